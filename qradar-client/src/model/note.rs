//! Notes on an offense (`/siem/offenses/{offense_id}/notes`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use incident_core::serde_helpers::{epoch_millis_option, lenient_u64_option};

/// A note attached to an offense.
///
/// QRadar notes are append-only: the API can create and read them but not edit or delete
/// them, so write them as an audit trail.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Note {
    /// The ID of the note.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<u64>,
    /// When the note was created (sent as milliseconds since the epoch).
    #[serde(
        default,
        with = "epoch_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub create_time: Option<OffsetDateTime>,
    /// Who wrote the note: a QRadar user name, or for a note created through an authorized
    /// service token, `"API_user: <service name>"` (e.g. `"API_user: test_user"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The text of the note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_text: Option<String>,
    /// Fields this version of the crate does not model, kept as sent and written back.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Note {
    /// The authorized service name when the note was written through an API token
    /// (`"API_user: name"` gives `Some("name")`); `None` for a note written by a user.
    pub fn api_user(&self) -> Option<&str> {
        self.username
            .as_deref()
            .and_then(|u| u.strip_prefix("API_user:"))
            .map(str::trim)
    }
}
