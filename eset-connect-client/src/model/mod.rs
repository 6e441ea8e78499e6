//! What ESET Connect sends and takes: incidents, comments, pages, the proto3 JSON
//! encodings of their timestamps and durations, the list filter, the
//! request bodies, the error bodies and the regions.

mod error;
pub mod filter;
mod incident;
mod region;
mod request;
mod wire;

pub use error::{EsetErrorBody, GrpcCode};
pub(crate) use incident::{CommentEnvelope, IncidentEnvelope};
pub use incident::{
    CommentsPage, Incident, IncidentComment, IncidentMetrics, IncidentSeverity, IncidentStatus,
    IncidentsPage, ResolveReason,
};
pub use region::Region;
pub(crate) use request::{BasicAttributes, UpdateBody};
pub use request::{DEFAULT_PAGE_SIZE, Listed, MAX_PAGE_SIZE};
pub use wire::{format_duration, format_timestamp, parse_duration, parse_timestamp};
