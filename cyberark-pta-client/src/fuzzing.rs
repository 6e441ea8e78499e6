use incident_core::{ApiResponse, Result};

use crate::model::{EventStatus, SecurityEvent};

/// Reads an answer of the security-event listing as [`ListEvents`](crate::ListEvents)
/// does.
pub fn decode_events(
    response: &ApiResponse,
    max_events: u64,
    kept_status: Option<&EventStatus>,
) -> Result<Vec<SecurityEvent>> {
    crate::events::decode_events(response, max_events, kept_status)
}
