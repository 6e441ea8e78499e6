//! What PTA sends, with the vendor's field names.
//!
//! Every field is an `Option` (audits leave out what their sensor does not know), enums keep
//! unknown values in `Unknown(String)`, and each object keeps the fields this version does not
//! model in `extra`. Scores are `f64` (documented as Integer, sent as floats), times are
//! [`OffsetDateTime`](::time::OffsetDateTime) read from PTA's milliseconds (see [`time`] for the
//! unit question).

mod event;
mod risk;
pub mod time;

pub use event::{
    AccountDetails, AccountType, Address, Audit, AuditAccount, AuditType, CloseReason, EventStatus,
    EventType, ResolvedAddress, SecurityEvent, SensorType,
};
pub use risk::{RiskEvent, RiskEventsPage, RiskType};
