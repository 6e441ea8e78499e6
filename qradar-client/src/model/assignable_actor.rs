//! Users an offense can be assigned to (`/siem/offenses/{offense_id}/assignable_actors`).

use serde::{Deserialize, Serialize};

use incident_core::serde_helpers::lenient_u64_option;

/// A user who may be assigned an offense: one whose security profile covers the offense's
/// networks and log sources. Pass [`AssignableActor::username`] as `assigned_to`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AssignableActor {
    /// The ID of the QRadar user.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_id: Option<u64>,
    /// The user name: the value `assigned_to` takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The description of the user account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Fields this version of the crate does not model, kept as sent and written back.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}
