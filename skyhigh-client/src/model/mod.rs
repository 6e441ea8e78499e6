//! The Skyhigh incidents API objects, one file per area, with the vendor's field names.

mod criteria;
pub(crate) mod error;
mod incident;
mod information;
mod modify;
mod page;
mod query;
mod response;
mod service;
mod time;

pub use criteria::{
    CRITERIA_FIELD_NAMES, Criteria, HistoricalUserRisk, IncidentCategory, IncidentCriteria,
    PermissionType, Product, TimesSelection,
};
pub use error::SkyhighErrorCode;
pub use incident::{
    ActorIdType, Incident, IncidentId, IncidentKind, IncidentStatus, Information,
    MAX_INCIDENT_ID_LEN, RiskSeverity,
};
pub use information::{AnomalyInfo, AuditInfo, PolicyInfo, ThreatInfo, lenient_strings_option};
pub use modify::{ChangeOutcome, ChangeRequests, IncidentChange, ModifyOutcome, WorkflowStatus};
pub(crate) use page::decode_page;
pub use page::{DEFAULT_PAGE_SIZE, IncidentPage, MAX_LIMIT, MAX_TIES, QueryCursor};
pub(crate) use query::criteria_setters;
pub use response::{Envelope, IncidentResponse, InformationKeysByType, ResponseInfo, SkyhighError};
pub(crate) use response::{IncidentsWire, ModifyAnswer, Wrapped};
pub use service::{API_PATH, DEFAULT_TOKEN_LIFETIME, NEO_AUTH_PATH, Region, TokenHeader};
pub use time::{format_query_time, format_time, parse_time, time_option};
