//! The response side: ResponseInfo, the Error object, IncidentResponse, information keys and
//! the Spring `ResponseEntity` envelope the service wraps every answer in.

use incident_core::serde_helpers::lenient_i64_option;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::incident::{Incident, Information};

/// The seed's Error object: an HTTP-style `code`, its `message`, the field(s) at fault in
/// `target`, and smaller errors in `details`. Sent in `responseInfo.error`, also inside an
/// HTTP 200.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(default)]
pub struct SkyhighError {
    /// `code`: an HTTP status (2xx, 4xx, 5xx).
    #[serde(with = "lenient_i64_option", skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// `message`: the English meaning of the code, or more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `target`: comma-separated field name(s) to fix (for `modifyIncidents`, the incident
    /// id a detail is about).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `details`: the smaller errors that caused this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<SkyhighError>>,
    /// Other members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SkyhighError {
    /// The targets named in `target`, split at commas and trimmed.
    pub fn targets(&self) -> impl Iterator<Item = &str> {
        self.target
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
}

/// The seed's ResponseInfo: how the answer was made and where the next page starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResponseInfo {
    /// `actualLimit`. Not a count of the items: a published answer has 100 here and one
    /// incident.
    #[serde(
        rename = "actualLimit",
        default,
        with = "lenient_i64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub actual_limit: Option<i64>,
    /// `apiElapsedMillis`.
    #[serde(
        rename = "apiElapsedMillis",
        default,
        with = "lenient_i64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub api_elapsed_millis: Option<i64>,
    /// `error`: set when the call failed, even with HTTP 200.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<SkyhighError>,
    /// `nextOffset`: the `offset` of the next block; `-1` when there is none, `null` in
    /// time-based queries.
    #[serde(
        rename = "nextOffset",
        default,
        with = "lenient_i64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_offset: Option<i64>,
    /// `nextStartTime`: the `startTime` of the next block, kept as sent so that it goes
    /// back verbatim.
    #[serde(
        rename = "nextStartTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_start_time: Option<String>,
    /// `source`: the host(s) that answered (for debugging).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Other members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The seed's IncidentResponse: `{responseInfo, incidents}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IncidentResponse {
    /// `responseInfo`.
    #[serde(
        rename = "responseInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub response_info: Option<ResponseInfo>,
    /// `incidents`, in ascending `timeModified` (or `timeCreated`) order. Decoded within
    /// the bound of the answer (incident-core's [`bounded`](incident_core::paging::bounded)).
    #[serde(default, deserialize_with = "incident_core::paging::bounded")]
    pub incidents: Vec<Incident>,
}

/// The members of the Spring `ResponseEntity` envelope besides `body`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Envelope {
    /// `headers` (always `{}` in published answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Value>,
    /// `statusCode`, e.g. `OK`.
    #[serde(
        rename = "statusCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub status_code: Option<String>,
    /// `statusCodeValue`, e.g. `200`.
    #[serde(
        rename = "statusCodeValue",
        default,
        with = "lenient_i64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_code_value: Option<i64>,
}

/// A `queryIncidents` answer in either shape: bare `{responseInfo, incidents}` or wrapped
/// `{headers, body: {responseInfo, incidents}, statusCode, statusCodeValue}`. Read in one
/// pass (no buffering of the incidents).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct IncidentsWire {
    #[serde(default)]
    body: Option<IncidentResponse>,
    #[serde(rename = "responseInfo", default)]
    response_info: Option<ResponseInfo>,
    #[serde(default, deserialize_with = "incident_core::paging::bounded")]
    incidents: Vec<Incident>,
    #[serde(default)]
    headers: Option<Value>,
    #[serde(rename = "statusCode", default)]
    status_code: Option<String>,
    #[serde(rename = "statusCodeValue", default, with = "lenient_i64_option")]
    status_code_value: Option<i64>,
}

impl IncidentsWire {
    /// The response and the envelope, when there was one.
    pub(crate) fn into_parts(self) -> (IncidentResponse, Option<Envelope>) {
        let envelope =
            (self.body.is_some() || self.status_code.is_some() || self.status_code_value.is_some())
                .then_some(Envelope {
                    headers: self.headers,
                    status_code: self.status_code,
                    status_code_value: self.status_code_value,
                });
        let mut response = self.body.unwrap_or_default();
        if response.response_info.is_none() {
            response.response_info = self.response_info;
        }
        if response.incidents.is_empty() {
            response.incidents = self.incidents;
        }
        (response, envelope)
    }
}

/// An answer of any other operation: `T` bare or as the envelope's `body`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Wrapped<T> {
    Envelope {
        body: T,
        #[serde(flatten)]
        _envelope: Envelope,
    },
    Bare(T),
}

impl<T> Wrapped<T> {
    pub(crate) fn into_inner(self) -> T {
        match self {
            Wrapped::Envelope { body, .. } | Wrapped::Bare(body) => body,
        }
    }
}

/// The ResponseInfo of a `modifyIncidents` answer in any of its shapes: bare (as the
/// operation documents it), `{responseInfo}`, or either one as the envelope's `body`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ModifyAnswer {
    #[serde(default)]
    body: Option<InfoShapes>,
    #[serde(flatten)]
    bare: InfoShapes,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct InfoShapes {
    #[serde(rename = "responseInfo", default)]
    response_info: Option<ResponseInfo>,
    #[serde(flatten)]
    bare: ResponseInfo,
}

impl ModifyAnswer {
    /// The ResponseInfo, wherever it was.
    pub(crate) fn into_response_info(self) -> ResponseInfo {
        let shapes = self.body.unwrap_or(self.bare);
        let mut info = shapes.response_info.unwrap_or(shapes.bare);
        // The envelope's own members, when the ResponseInfo was the envelope itself.
        for member in [
            "body",
            "headers",
            "statusCode",
            "statusCodeValue",
            "responseInfo",
        ] {
            info.extra.remove(member);
        }
        info
    }
}

/// One element of `queryIncidentInformationKeys`: the `information` keys of one incident
/// type, each with its description.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InformationKeysByType {
    /// `type`: `AuditViolation`, `PolicyViolation`, `SanctionedAnomaly`, `ShadowAnomaly`,
    /// `Threat`, `VulnerabilityViolation`...
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub incident_type: Option<String>,
    /// `informationKeys`: key → description (read from an object or a `{key, value}` array).
    #[serde(
        rename = "informationKeys",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub information_keys: Option<Information>,
    /// Other members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
