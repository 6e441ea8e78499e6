//! Offense closing reasons (`/siem/offense_closing_reasons`).

use serde::{Deserialize, Serialize};

use incident_core::serde_helpers::lenient_u64_option;
use incident_core::{Error, Result};

/// The shortest closing reason text QRadar accepts.
pub const REASON_MIN_CHARS: usize = 5;
/// The longest closing reason text QRadar accepts.
pub const REASON_MAX_CHARS: usize = 60;

/// Why an offense was closed. Closing an offense requires the ID of one of these.
///
/// QRadar ships defaults such as `1 "Non-Issue"` and `2 "False-Positive, Tuned"`;
/// administrators add their own. `GET /siem/offense_closing_reasons` leaves out reserved and
/// deleted reasons unless `include_reserved` / `include_deleted` are set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClosingReason {
    /// The ID of the closing reason, as passed in `closing_reason_id`.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<u64>,
    /// The text of the reason, e.g. `"Non-Issue"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// True for a reason QRadar reserves for its own use (e.g. offenses closed by the
    /// system); it cannot be used to close an offense through the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_reserved: Option<bool>,
    /// True for a reason an administrator deleted; still returned so that old offenses can
    /// show why they were closed, but it cannot close new ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deleted: Option<bool>,
    /// Fields this version of the crate does not model, kept as sent and written back.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ClosingReason {
    /// Whether this reason can close an offense: it has an id and is neither reserved nor
    /// deleted. A missing flag (dropped by `fields=`) counts as "not set", as QRadar
    /// defaults both to false.
    pub fn is_usable(&self) -> bool {
        self.id.is_some() && self.is_reserved != Some(true) && self.is_deleted != Some(true)
    }

    /// Refuses a reason text QRadar would refuse: outside 5 to 60 characters, once trimmed.
    pub(crate) fn check_text(text: &str) -> Result<()> {
        let chars = text.trim().chars().count();
        if (REASON_MIN_CHARS..=REASON_MAX_CHARS).contains(&chars) {
            return Ok(());
        }
        Err(Error::invalid_input(
            "closing reason",
            format!("must be {REASON_MIN_CHARS} to {REASON_MAX_CHARS} characters, not {chars}"),
        ))
    }
}
