//! What ESET Connect sends and takes: incidents, comments, pages, and the proto3 JSON
//! encodings of their timestamps and durations.

mod incident;
mod wire;

pub(crate) use incident::{CommentEnvelope, IncidentEnvelope};
pub use incident::{
    CommentsPage, Incident, IncidentComment, IncidentMetrics, IncidentSeverity, IncidentStatus,
    IncidentsPage, ResolveReason,
};
pub use wire::{format_duration, format_timestamp, parse_duration, parse_timestamp};
