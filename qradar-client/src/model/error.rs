//! The JSON body of a QRadar error answer and QRadar's unique error codes.

use serde::{Deserialize, Deserializer, Serialize};

use incident_core::ErrorKind;
use incident_core::serde_helpers::lenient_i64_option;

/// The JSON body of a QRadar error answer.
///
/// QRadar documents this shape for every endpoint, "even for endpoints that support other
/// MIME types". Every field is optional and unknown fields are ignored, because proxies,
/// removed API versions and Ariel errors send variants of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(default)]
pub struct QRadarErrorBody {
    /// The HTTP status QRadar meant, with its generic wording.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_response: Option<HttpResponse>,
    /// The unique error code, e.g. `1002`; see [`QRadarErrorCode`]. Some versions and
    /// proxies send it as a string, which is accepted.
    #[serde(with = "lenient_i64_option", skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// The specific message, e.g. `"test_set does not exist"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The endpoint's documented description of the code, e.g.
    /// `"The reference set does not exist."`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free-form details; usually `{}`, for Ariel (AQL) errors things such as
    /// `line_number`, `start_index` and `token_text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// The `http_response` part of a QRadar error body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The HTTP status code, e.g. `404`.
    #[serde(
        default,
        deserialize_with = "lenient_u16",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<u16>,
    /// QRadar's generic text for the status, e.g.
    /// `"We could not find the resource you requested."`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

pub(crate) fn lenient_u16<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    let status = |v: i64| u16::try_from(v).map_err(|_| format!("{v} is not an HTTP status"));
    let code = lenient_i64_option::deserialize(d)?.map(status);
    code.transpose().map_err(serde::de::Error::custom)
}

impl QRadarErrorBody {
    /// Reads an error body from JSON, keeping whatever can be read.
    ///
    /// Fields of an unexpected type are dropped one by one instead of losing the whole body
    /// (an error body that cannot be read would hide the API error behind a decode error).
    /// Returns `None` only when the value is not a JSON object.
    pub fn from_value(value: &serde_json::Value) -> Option<QRadarErrorBody> {
        let object = value.as_object()?;
        if let Ok(body) = QRadarErrorBody::deserialize(value) {
            return Some(body);
        }
        fn field<T: serde::de::DeserializeOwned>(
            object: &serde_json::Map<String, serde_json::Value>,
            name: &str,
        ) -> Option<T> {
            object
                .get(name)
                .and_then(|v| serde_json::from_value(v.clone()).ok())
        }
        #[derive(Deserialize)]
        struct Code(#[serde(with = "lenient_i64_option")] Option<i64>);
        Some(QRadarErrorBody {
            http_response: object.get("http_response").and_then(|v| {
                let o = v.as_object()?;
                Some(HttpResponse {
                    code: o.get("code").and_then(|c| lenient_u16(c).ok().flatten()),
                    message: field(o, "message"),
                })
            }),
            code: field::<Code>(object, "code").and_then(|c| c.0),
            message: field(object, "message"),
            description: field(object, "description"),
            details: object.get("details").cloned(),
        })
    }

    /// The typed error code, when the body has one.
    pub fn error_code(&self) -> Option<QRadarErrorCode> {
        self.code.map(QRadarErrorCode::from_code)
    }

    /// The message to show: `message`, with ` — description` appended when the description
    /// says something more; falls back to the description, then to `http_response.message`.
    pub fn display_message(&self) -> Option<String> {
        let non_empty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let message = non_empty(&self.message);
        let description = non_empty(&self.description);
        match (message, description) {
            (Some(m), Some(d)) if m != d => Some(format!("{m} — {d}")),
            (Some(m), _) => Some(m),
            (None, Some(d)) => Some(d),
            (None, None) => self
                .http_response
                .as_ref()
                .and_then(|h| non_empty(&h.message)),
        }
    }
}

/// QRadar's unique error codes, as documented for the offenses, notes, closing reasons,
/// offense types and assignable actors endpoints.
///
/// Codes are unique per endpoint, not globally; the names follow their meaning on these
/// endpoints. Any other code is kept in [`QRadarErrorCode::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QRadarErrorCode {
    /// 1002 (HTTP 404): no such offense, note or closing reason.
    NotFound,
    /// 1004 (HTTP 409): a closing reason with that text already exists.
    AlreadyExists,
    /// 1005 (HTTP 422): a request parameter is not valid (a missing `closing_reason_id` when
    /// closing, a closing reason text outside 5–60 characters, a bad `Range`).
    InvalidParameter,
    /// 1008 (HTTP 409): the request cannot be completed in the offense's current state
    /// (e.g. changing an inactive or already closed offense).
    OffenseState,
    /// 1009 (HTTP 403): the user or authorized service lacks the capability for the action.
    MissingCapability,
    /// 1010 (HTTP 422): the `filter` parameter is not valid (syntax, or a field that is not
    /// filterable).
    InvalidFilter,
    /// 1012 (HTTP 422, offense types): a sort field that cannot be sorted on (only `id` can).
    InvalidSortField,
    /// 1020 (HTTP 500): an error inside QRadar while processing the request.
    Server,
    /// 1030 (HTTP 422, offenses list): the `sort` field or order is not valid.
    InvalidSort,
    /// 85101001 (HTTP 404, assignable actors): no offense with that id.
    ActorOffenseNotFound,
    /// 85101030 (HTTP 422, assignable actors): a request parameter is not valid.
    ActorInvalidParameter,
    /// A code not listed here, kept as sent.
    Other(i64),
}

/// Each known code, the number QRadar sends and the kind it means.
const CODES: [(QRadarErrorCode, i64, ErrorKind); 11] = {
    use ErrorKind::*;
    use QRadarErrorCode as Q;
    [
        (Q::NotFound, 1002, NotFound),
        (Q::AlreadyExists, 1004, Conflict),
        (Q::InvalidParameter, 1005, InvalidRequest),
        (Q::OffenseState, 1008, Conflict),
        (Q::MissingCapability, 1009, Forbidden),
        (Q::InvalidFilter, 1010, InvalidRequest),
        (Q::InvalidSortField, 1012, InvalidRequest),
        (Q::Server, 1020, Server),
        (Q::InvalidSort, 1030, InvalidRequest),
        (Q::ActorOffenseNotFound, 85101001, NotFound),
        (Q::ActorInvalidParameter, 85101030, InvalidRequest),
    ]
};

impl QRadarErrorCode {
    /// The typed code for a numeric one.
    pub fn from_code(code: i64) -> QRadarErrorCode {
        let known = CODES.iter().find(|(_, c, _)| *c == code);
        known.map_or(QRadarErrorCode::Other(code), |(typed, _, _)| *typed)
    }

    /// The numeric code QRadar sends.
    pub fn code(self) -> i64 {
        match self {
            QRadarErrorCode::Other(code) => code,
            // Every other variant is in `CODES`, each once (the tests go through them all).
            known => CODES
                .iter()
                .find(|(t, _, _)| *t == known)
                .map_or(0, |e| e.1),
        }
    }

    /// The broad class the code means, or `None` for a code not known here (the HTTP status
    /// then decides).
    pub fn kind(self) -> Option<ErrorKind> {
        CODES.iter().find(|(t, _, _)| *t == self).map(|e| e.2)
    }
}
