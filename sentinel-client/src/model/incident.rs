//! The incident object (`/SentinelRESTServices/objects/incident[/{IncidentId}]`), as seed
//! 003 documents it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use incident_core::serde_helpers::lenient_i64_option;

use super::common::{Link, Meta, ObjectRef, Rating, iso_millis_option};

incident_core::string_enum! {
    /// The state of an incident.
    ///
    /// Sentinel documents the state as "For example OPEN, ASSIGNED, CLOSED or REJECTED":
    /// not a closed list. Its own sample sends `"Investigating"`, and incident workflows
    /// define more; any other value decodes as `Unknown` and is written back unchanged.
    pub enum IncidentState {
        /// Opened, nobody works on it yet.
        Open = "OPEN",
        /// Assigned to the users responsible for mitigating it.
        Assigned = "ASSIGNED",
        /// Being investigated (the value of the documentation's sample).
        Investigating = "Investigating",
        /// Closed; [`Incident::resolution`] says what was done.
        Closed = "CLOSED",
        /// Rejected: not an incident after all.
        Rejected = "REJECTED",
    }
}

/// A Sentinel incident: abnormal or suspicious events grouped for investigation.
///
/// Every field is an `Option`: the `field` parameter of a list can leave any of them out,
/// and the documentation marks every one "Required: false". Field names follow Sentinel's
/// kebab-case (`sev-rating`, `external-datas`, `workflow-infos`); references to other
/// objects are [`ObjectRef`] URLs; fields this version of the crate does not know are kept
/// in [`Incident::extra`].
///
/// An incident has no `id` field: its id is the last segment of `meta.@href`
/// ([`Incident::id`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Incident {
    /// The object's type name (`incident`) and URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// The name or title of the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A description of the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// The state, e.g. `OPEN`, `ASSIGNED`, `CLOSED`, `REJECTED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<IncidentState>,
    /// The impact or degree of seriousness of the incident (Sentinel's scale is 0–5).
    /// Digit strings and whole floats are accepted.
    #[serde(
        default,
        with = "lenient_i64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub severity: Option<i64>,
    /// The level of attention that mitigating the incident should get. Digit strings and
    /// whole floats are accepted.
    #[serde(
        default,
        with = "lenient_i64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub priority: Option<i64>,
    /// A classification or grouping, e.g. `"Denial of Service"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Actions taken to resolve the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// The average of the severities of the incident's events (a string in the
    /// documentation's sample; a number is accepted too).
    #[serde(
        rename = "sev-rating",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sev_rating: Option<Rating>,
    /// Reserved for future use.
    #[serde(
        rename = "crit-rating",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub crit_rating: Option<Rating>,
    /// Reserved for future use.
    #[serde(
        rename = "vuln-rating",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub vuln_rating: Option<Rating>,
    /// When the incident was created.
    #[serde(
        default,
        with = "iso_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub createdate: Option<OffsetDateTime>,
    /// When the incident was last modified.
    #[serde(
        default,
        with = "iso_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub moddate: Option<OffsetDateTime>,
    /// The Sentinel user who created the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<ObjectRef>,
    /// The Sentinel user who last modified the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modifier: Option<ObjectRef>,
    /// The users responsible for mitigating the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<ObjectRef>>,
    /// The link to the incident's events (`.../objects/incident-events?query=...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Link>,
    /// Attachments of the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<ObjectRef>>,
    /// Annotations added to the incident (`.../objects/annotation/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Vec<ObjectRef>>,
    /// Notes added to the incident (annotation objects, like
    /// [`annotations`](Self::annotations)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<ObjectRef>>,
    /// External data items of the incident (`.../objects/external-data/{id}`).
    #[serde(
        rename = "external-datas",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub external_datas: Option<Vec<ObjectRef>>,
    /// Workflows associated with the incident.
    #[serde(
        rename = "workflow-infos",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub workflow_infos: Option<Vec<ObjectRef>>,
    /// Fields this version of the crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Incident {
    /// A new incident to create, with its name; set the other public fields afterwards
    /// (or use [`IncidentsApi::create`](crate::incidents::IncidentsApi::create)'s input
    /// as is).
    pub fn new(name: impl Into<String>) -> Self {
        Incident {
            name: Some(name.into()),
            ..Incident::default()
        }
    }

    /// The incident's id, the last segment of `meta.@href` (`"42"` for
    /// `.../objects/incident/42`).
    pub fn id(&self) -> Option<String> {
        self.meta.as_ref()?.id()
    }

    /// The ids of the users responsible for it (the last segment of each user URL).
    pub fn user_ids(&self) -> Vec<String> {
        self.users
            .iter()
            .flatten()
            .filter_map(ObjectRef::id)
            .collect()
    }
}
