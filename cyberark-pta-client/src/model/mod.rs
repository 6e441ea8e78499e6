//! What PTA sends, with the vendor's field names.
//!
//! Every field is an `Option` (audits leave out what their sensor does not know), enums keep
//! unknown values in `Unknown(String)`, and each object keeps the fields this version does not
//! model in `extra`. Scores are `f64` (documented as Integer, sent as floats), times are
//! [`OffsetDateTime`](::time::OffsetDateTime) read from PTA's milliseconds (see [`time`] for the
//! unit question).
//!
//! Besides, what PVWA asks of a request: the URL rules ([`url_rules`]), the logon types, the
//! event filter modes and date units, PVWA's limits and the bodies of the updates, and the
//! error bodies and codes PVWA answers with. They are re-exported where the operations are.

pub(crate) mod error;
mod event;
mod request;
mod risk;
pub mod time;
pub mod url_rules;

pub use error::{PtaErrorBody, PtaErrorCode};
pub(crate) use event::ListedEvent;
pub use event::{
    AccountDetails, AccountType, Address, Audit, AuditAccount, AuditType, CloseReason, EventStatus,
    EventType, ResolvedAddress, SecurityEvent, SensorType,
};
pub use request::{
    AuthType, DEFAULT_APP_PATH, DEFAULT_MAX_EVENTS, DEFAULT_RISK_PAGE_SIZE, DateUnit,
    EventFilterMode, LEGACY_DATE_HEADER, MAX_REASON_TEXT, MAX_RISK_PAGE_SIZE,
};
pub(crate) use request::{LogonBody, RiskUpdateBody, StatusBody, risk_filter};
pub use risk::{RiskEvent, RiskEventsPage, RiskType};
