//! `v2Incident` and its enums.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use incident_core::serde_helpers::lenient_i64_option;

use super::wire::{duration_option, timestamp_option};

incident_core::string_enum! {
    /// `v2IncidentStatus`: where an incident is in its handling.
    pub enum IncidentStatus {
        /// `INCIDENT_STATUS_UNSPECIFIED`: the zero value (proto3 JSON usually omits it).
        Unspecified = "INCIDENT_STATUS_UNSPECIFIED",
        /// `INCIDENT_STATUS_OPEN`: reported or detected, not handled yet ("New" in some
        /// consoles).
        Open = "INCIDENT_STATUS_OPEN",
        /// `INCIDENT_STATUS_IN_PROGRESS`: being actively addressed.
        InProgress = "INCIDENT_STATUS_IN_PROGRESS",
        /// `INCIDENT_STATUS_WAITING_FOR_INPUT`: awaiting input from the customer.
        WaitingForInput = "INCIDENT_STATUS_WAITING_FOR_INPUT",
        /// `INCIDENT_STATUS_CLOSED`: closed, the necessary actions taken.
        Closed = "INCIDENT_STATUS_CLOSED",
    }
}

incident_core::string_enum! {
    /// `v2IncidentSeverityLevel`. ESET leaves the interpretation to the client: Low is
    /// "Warning" in some consoles, Medium "Error" or "Threat", High "Critical".
    pub enum IncidentSeverity {
        /// `INCIDENT_SEVERITY_LEVEL_UNSPECIFIED`: the zero value, the fallback.
        Unspecified = "INCIDENT_SEVERITY_LEVEL_UNSPECIFIED",
        /// `INCIDENT_SEVERITY_LEVEL_LOW`.
        Low = "INCIDENT_SEVERITY_LEVEL_LOW",
        /// `INCIDENT_SEVERITY_LEVEL_MEDIUM`.
        Medium = "INCIDENT_SEVERITY_LEVEL_MEDIUM",
        /// `INCIDENT_SEVERITY_LEVEL_HIGH`.
        High = "INCIDENT_SEVERITY_LEVEL_HIGH",
    }
}

incident_core::string_enum! {
    /// `v2IncidentResolveReason`: why an incident was closed (its `resolveReason`, and the
    /// `closureReason` of a close).
    pub enum ResolveReason {
        /// `INCIDENT_RESOLVE_REASON_UNSPECIFIED`: the zero value.
        Unspecified = "INCIDENT_RESOLVE_REASON_UNSPECIFIED",
        /// `INCIDENT_RESOLVE_REASON_TRUE_POSITIVE`: a genuine security threat.
        TruePositive = "INCIDENT_RESOLVE_REASON_TRUE_POSITIVE",
        /// `INCIDENT_RESOLVE_REASON_FALSE_POSITIVE`: first thought a threat, then found a
        /// false alarm.
        FalsePositive = "INCIDENT_RESOLVE_REASON_FALSE_POSITIVE",
        /// `INCIDENT_RESOLVE_REASON_SUSPICIOUS`: not a confirmed threat, but worth the
        /// insight into behaviour it gives.
        Suspicious = "INCIDENT_RESOLVE_REASON_SUSPICIOUS",
    }
}

impl IncidentStatus {
    /// The value without its `INCIDENT_STATUS_` prefix, e.g. `OPEN`.
    pub fn short_name(&self) -> &str {
        short(self.as_str(), "INCIDENT_STATUS_")
    }
}

impl IncidentSeverity {
    /// The value without its `INCIDENT_SEVERITY_LEVEL_` prefix, e.g. `HIGH`.
    pub fn short_name(&self) -> &str {
        short(self.as_str(), "INCIDENT_SEVERITY_LEVEL_")
    }
}

impl ResolveReason {
    /// The value without its `INCIDENT_RESOLVE_REASON_` prefix, e.g. `FALSE_POSITIVE`.
    pub fn short_name(&self) -> &str {
        short(self.as_str(), "INCIDENT_RESOLVE_REASON_")
    }

    /// Reads a reason by its full or short name, in any case (`FALSE_POSITIVE`,
    /// `false positive`, `INCIDENT_RESOLVE_REASON_FALSE_POSITIVE`); `None` for anything else.
    pub fn from_name(name: &str) -> Option<ResolveReason> {
        let squashed: String = name
            .trim()
            .chars()
            .map(|c| match c {
                ' ' | '-' => '_',
                c => c.to_ascii_uppercase(),
            })
            .collect();
        let full = if squashed.starts_with("INCIDENT_RESOLVE_REASON_") {
            squashed
        } else {
            format!("INCIDENT_RESOLVE_REASON_{squashed}")
        };
        match ResolveReason::from_wire(&full) {
            ResolveReason::Unknown(_) => None,
            known => Some(known),
        }
    }
}

fn short<'a>(value: &'a str, prefix: &str) -> &'a str {
    value.strip_prefix(prefix).unwrap_or(value)
}

/// `v2IncidentMetrics`: counts of what an incident involves. Each is an int64, sent as a
/// number or, as the proto3 JSON mapping has it, a string; both are read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IncidentMetrics {
    /// Devices related to the incident.
    #[serde(
        default,
        with = "lenient_i64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub device_count: Option<i64>,
    /// Executables related to the incident.
    #[serde(
        default,
        with = "lenient_i64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub executable_count: Option<i64>,
    /// Processes related to the incident.
    #[serde(
        default,
        with = "lenient_i64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub process_count: Option<i64>,
    /// Fields this version of the crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `v2Incident`, as `GET /v2/incidents/{incidentUuid}` returns it.
///
/// Every field is optional: proto3 JSON omits default values (an unset assignee, empty
/// tags, zero metrics, `UNSPECIFIED` enums), and **the list
/// (`GET /v2/incidents`) leaves out `deviceUuids` and `detectionUuids`**: read an incident
/// with [`get`](crate::incidents::IncidentsApi::get) for those. Fields added by newer API
/// versions are kept in [`extra`](Self::extra).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Incident {
    /// Unique identifier; an opaque string, usually an RFC 4122 UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Arbitrary text describing the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The user responsible for investigation and remediation (a user uuid). Only an
    /// `OPEN` incident may have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_uuid: Option<String>,
    /// Where the incident is in its handling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<IncidentStatus>,
    /// Severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<IncidentSeverity>,
    /// Why it was closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve_reason: Option<ResolveReason>,
    /// When it was created (read-only).
    #[serde(
        default,
        with = "timestamp_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub create_time: Option<OffsetDateTime>,
    /// When a user last changed it (read-only).
    #[serde(
        default,
        with = "timestamp_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub update_time: Option<OffsetDateTime>,
    /// How long it remained in triage (read-only).
    #[serde(
        default,
        with = "duration_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub triage_duration: Option<Duration>,
    /// How long it took to respond (read-only).
    #[serde(
        default,
        with = "duration_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub response_duration: Option<Duration>,
    /// Counts of the devices, executables and processes involved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<IncidentMetrics>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// The devices involved. Absent from list results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_uuids: Option<Vec<String>>,
    /// The detections grouped in the incident. Absent from list results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_uuids: Option<Vec<String>>,
    /// Fields this version of the crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Incident {
    /// Whether the status is `CLOSED`.
    pub fn is_closed(&self) -> bool {
        self.status == Some(IncidentStatus::Closed)
    }
}

/// `v2IncidentComment`: a comment on an incident; the final comment is the one a close
/// wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IncidentComment {
    /// Unique identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// The incident it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_uuid: Option<String>,
    /// The text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Whether this is the comment written when the incident was closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_final_comment: Option<bool>,
    /// Who wrote it (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_uuid: Option<String>,
    /// When it was written (read-only).
    #[serde(
        default,
        with = "timestamp_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub create_time: Option<OffsetDateTime>,
    /// When it last changed (read-only).
    #[serde(
        default,
        with = "timestamp_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub update_time: Option<OffsetDateTime>,
    /// Fields this version of the crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One page of `GET /v2/incidents`. The incidents are decoded within the bound of the
/// answer (incident-core's [`items_and_rest`](incident_core::paging::items_and_rest)): a list
/// request holds its page to the page size it asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IncidentsPage {
    /// The incidents of the page (without `deviceUuids` and `detectionUuids`).
    pub incidents: Vec<Incident>,
    /// The token of the next page; empty or absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    /// Fields this version of the crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One page of `GET /v2/incidents/{incidentUuid}/comments`, decoded as an
/// [`IncidentsPage`] is.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CommentsPage {
    /// The comments, oldest first.
    pub comments: Vec<IncidentComment>,
    /// The token of the next page; empty or absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    /// Fields this version of the crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The members of a page besides its items.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageRest {
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

impl<'de> Deserialize<'de> for IncidentsPage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (incidents, rest) =
            incident_core::paging::items_and_rest::<_, _, PageRest>(d, "incidents")?;
        Ok(IncidentsPage {
            incidents,
            next_page_token: rest.next_page_token,
            extra: rest.extra,
        })
    }
}

impl<'de> Deserialize<'de> for CommentsPage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (comments, rest) =
            incident_core::paging::items_and_rest::<_, _, PageRest>(d, "comments")?;
        Ok(CommentsPage {
            comments,
            next_page_token: rest.next_page_token,
            extra: rest.extra,
        })
    }
}

impl IncidentsPage {
    /// The token of the next page, `None` on the last page (an empty token means the end).
    pub fn next_token(&self) -> Option<&str> {
        self.next_page_token.as_deref().filter(|t| !t.is_empty())
    }
}

impl CommentsPage {
    /// The token of the next page, `None` on the last page (an empty token means the end).
    pub fn next_token(&self) -> Option<&str> {
        self.next_page_token.as_deref().filter(|t| !t.is_empty())
    }
}

/// The answers that carry one incident: `{"incident": {...}}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct IncidentEnvelope {
    #[serde(default)]
    pub(crate) incident: Option<Incident>,
}

/// The answers that carry one comment: `{"comment": {...}}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct CommentEnvelope {
    #[serde(default)]
    pub(crate) comment: Option<IncidentComment>,
}
