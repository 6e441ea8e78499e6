//! What Sentinel sends: the incident object of seed 003 and the objects it refers to, with
//! Sentinel's own field names.
//!
//! Every field is an `Option` (the documentation marks all of them "Required: false", and
//! the `field` parameter can leave any out); numbers also decode from digit strings;
//! ratings keep their string or number form; states keep unknown values in
//! `Unknown(String)`; timestamps are [`time::OffsetDateTime`], decoded from ISO 8601 with
//! milliseconds; references to other objects are [`ObjectRef`] URLs; unknown fields are
//! kept in each object's `extra` map.

mod common;
mod fault;
mod incident;
mod objects;
mod paths;
mod write;

pub(crate) use common::TokenAnswer;
pub use common::{Link, Meta, ObjectRef, Rating, iso_millis_option};
pub use fault::{FaultBody, SentinelFault};
pub use incident::{Incident, IncidentState};
pub use objects::{Annotation, ExternalData, IncidentEvent, Listed, Page};
pub use paths::{AUTH_TOKENS_PATH, OBJECTS_PATH};
pub(crate) use paths::{incident_events_path, incident_path, incidents_path};
pub(crate) use write::strip_read_only;
pub use write::{READ_ONLY_FIELDS, has_unicode_escape};
