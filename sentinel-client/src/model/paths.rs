//! Where Sentinel's services and objects live, below the base URL.

use incident_core::{ApiPath, Result};

/// Where the authentication service issues and deletes tokens.
pub const AUTH_TOKENS_PATH: &str = "/SentinelAuthServices/auth/tokens";

/// Where the REST data objects live: `{OBJECTS_PATH}/incident`, `.../external-data`...
pub const OBJECTS_PATH: &str = "/SentinelRESTServices/objects";

/// The incident collection.
pub(crate) fn incidents_path() -> ApiPath {
    ApiPath::new(OBJECTS_PATH).then("incident")
}

/// One incident, its id encoded as one path segment (refused when empty, `.` or `..`).
pub(crate) fn incident_path(id: &str) -> Result<ApiPath> {
    incidents_path().segment(id)
}

/// The incident-events collection.
pub(crate) fn incident_events_path() -> ApiPath {
    ApiPath::new(OBJECTS_PATH).then("incident-events")
}
