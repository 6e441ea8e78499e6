//! What ESET Connect sends and takes: incidents, comments, pages, the proto3 JSON
//! encodings of their timestamps and durations, the list filter, the
//! request bodies, the error bodies, the regions, the rate limit and the pending-answer
//! protocol.

mod error;
pub mod filter;
mod incident;
mod protocol;
mod region;
mod request;
mod wire;

pub(crate) use error::token_refused;
pub use error::{EsetErrorBody, GrpcCode};
pub(crate) use incident::{CommentEnvelope, IncidentEnvelope};
pub use incident::{
    CommentsPage, Incident, IncidentComment, IncidentMetrics, IncidentSeverity, IncidentStatus,
    IncidentsPage, ResolveReason,
};
pub use protocol::{DEFAULT_REQUESTS_PER_SECOND, PENDING_ANSWER_LIFETIME, REQUEST_ID, RESPONSE_ID};
pub use region::Region;
pub(crate) use request::{BasicAttributes, UpdateBody};
pub use request::{DEFAULT_PAGE_SIZE, Listed, MAX_PAGE_SIZE};
pub use wire::{format_duration, format_timestamp, parse_duration, parse_timestamp};
