//! Skyhigh's errors: the Error object (in `responseInfo.error`, also inside an HTTP 200), its
//! HTTP-style codes, and what a response means ([`SkyhighHook`]).
//!
//! | Answer | Result |
//! |---|---|
//! | 200 with `responseInfo.error` (bare or in the envelope's `body`) | [`Error::Api`] with status 200, the error's `code` as vendor code and its kind |
//! | 200 envelope whose `statusCodeValue` is 400 or more | [`Error::Api`] with that code |
//! | 404 with a JSON body to `queryIncidents` ("No data was found for provided criteria") | an empty page, not an error |
//! | 404 with another body (an HTML page: a wrong URL) | [`Error::Api`], [`ErrorKind::NotFound`] |
//! | 400 / 401 / 409 / 429 / 500 / 503 | [`Error::Api`] of that kind; 429 and 503 retried (with `Retry-After`), 409 not retried |
//! | `modifyIncidents` whose error names only some incidents of the batch | a [`ModifyOutcome`](crate::ModifyOutcome) with those refused |
//!
//! ```
//! use skyhigh_client::{SkyhighErrorCode, SkyhighErrorExt};
//!
//! fn explain(err: &incident_core::Error) -> &'static str {
//!     match err.skyhigh_code() {
//!         Some(SkyhighErrorCode::Conflict) => "changed meanwhile: check and resubmit",
//!         Some(SkyhighErrorCode::RateLimited) => "slow down",
//!         _ => "something else",
//!     }
//! }
//! # let _ = explain;
//! ```

use std::fmt;

use incident_core::reqwest::StatusCode;
use incident_core::reqwest::header::HeaderMap;
use incident_core::transport::{ErrorParser, ResponseAction, ResponseHook};
use incident_core::{ApiRequest, Error, ErrorKind, VendorError};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::model::SkyhighError;

/// The HTTP-style codes of Skyhigh's Error object, as the swagger lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkyhighErrorCode {
    /// 400: invalid field values (`target` names them).
    InvalidRequest,
    /// 401: missing or wrong credentials, or an expired token.
    Unauthorized,
    /// 403: the user lacks the role (modifying needs "Incident Management").
    Forbidden,
    /// 404: no data was found for the criteria (an empty result for `queryIncidents`), or
    /// no such incident.
    NoData,
    /// 409: a concurrent change; resubmit once the request is verified to be still current.
    Conflict,
    /// 429: rate limited; resubmit after traffic is reduced.
    RateLimited,
    /// 500: an error inside the service.
    Server,
    /// 503: temporarily unavailable.
    Unavailable,
    /// Another code, kept as sent.
    Other(i64),
}

impl SkyhighErrorCode {
    /// The typed code of a numeric one.
    pub fn from_code(code: i64) -> Self {
        match code {
            400 => SkyhighErrorCode::InvalidRequest,
            401 => SkyhighErrorCode::Unauthorized,
            403 => SkyhighErrorCode::Forbidden,
            404 => SkyhighErrorCode::NoData,
            409 => SkyhighErrorCode::Conflict,
            429 => SkyhighErrorCode::RateLimited,
            500 => SkyhighErrorCode::Server,
            503 => SkyhighErrorCode::Unavailable,
            other => SkyhighErrorCode::Other(other),
        }
    }

    /// The numeric code.
    pub fn code(self) -> i64 {
        match self {
            SkyhighErrorCode::InvalidRequest => 400,
            SkyhighErrorCode::Unauthorized => 401,
            SkyhighErrorCode::Forbidden => 403,
            SkyhighErrorCode::NoData => 404,
            SkyhighErrorCode::Conflict => 409,
            SkyhighErrorCode::RateLimited => 429,
            SkyhighErrorCode::Server => 500,
            SkyhighErrorCode::Unavailable => 503,
            SkyhighErrorCode::Other(code) => code,
        }
    }

    /// The kind the code means; `None` for a code that is not an HTTP error status.
    pub fn kind(self) -> Option<ErrorKind> {
        let status = u16::try_from(self.code())
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())?;
        (status.is_client_error() || status.is_server_error())
            .then(|| ErrorKind::from_status(status))
    }
}

impl fmt::Display for SkyhighErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// Finds the Error object in any of the shapes the service and its gateway answer with:
/// `{headers, body: {responseInfo: {error}}, statusCodeValue}`, `{responseInfo: {error}}`,
/// `{body: {error}}` (a ResponseInfo in the envelope), `{error: {...}}`, a bare Error, the
/// Spring default `{status, error, message, path}` and OAuth's
/// `{error, error_description}`.
pub fn find_error(value: &Value) -> Option<SkyhighError> {
    for pointer in [
        "/body/responseInfo/error",
        "/responseInfo/error",
        "/body/error",
        "/error",
    ] {
        if let Some(e) = value.pointer(pointer).filter(|e| e.is_object())
            && let Ok(e) = SkyhighError::deserialize(e)
        {
            return Some(e);
        }
    }
    let object = value.as_object()?;
    let text = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_owned);
    let code = object
        .get("code")
        .or_else(|| object.get("status"))
        .or_else(|| object.get("statusCodeValue"))
        .and_then(|c| c.as_i64().or_else(|| c.as_str()?.trim().parse().ok()));
    let message = text("message")
        .filter(|m| !m.is_empty())
        .or_else(|| text("error_description"))
        .or_else(|| text("error"));
    (code.is_some() || message.is_some()).then(|| SkyhighError {
        code,
        message,
        target: text("target"),
        ..SkyhighError::default()
    })
}

fn vendor_error(error: &SkyhighError) -> VendorError {
    let mut out = VendorError::new();
    if let Some(code) = error.code {
        out = out.with_code(code.to_string());
        if let Some(kind) = SkyhighErrorCode::from_code(code).kind() {
            out = out.with_kind(kind);
        }
    }
    let message = match (&error.message, &error.target) {
        (Some(m), Some(t)) if !t.is_empty() => Some(format!("{m} (target: {t})")),
        (Some(m), _) => Some(m.clone()),
        (None, Some(t)) => Some(format!("target: {t}")),
        (None, None) => None,
    };
    if let Some(message) = message {
        out = out.with_message(message);
    }
    out
}

/// Reads Skyhigh error bodies for the shared transport (see [`find_error`]). The whole JSON
/// body is kept for [`SkyhighErrorExt::skyhigh_error`]; a body that is not JSON (a proxy's
/// HTML page) gives an empty [`VendorError`], and the transport keeps a snippet.
#[derive(Debug, Clone, Copy, Default)]
pub struct SkyhighErrorParser;

impl ErrorParser for SkyhighErrorParser {
    fn parse(&self, _: StatusCode, _: &HeaderMap, body: &[u8]) -> VendorError {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return VendorError::new();
        };
        let out = find_error(&value)
            .map(|e| vendor_error(&e))
            .unwrap_or_default();
        out.with_body(value)
    }
}

/// What the hook needs of a successful answer, read without building its incidents.
#[derive(Default, Deserialize)]
struct Peek {
    #[serde(default)]
    body: Option<PeekBody>,
    #[serde(rename = "responseInfo", default)]
    response_info: Option<PeekInfo>,
    #[serde(rename = "statusCodeValue", default)]
    status_code_value: Option<Value>,
    #[serde(rename = "statusCode", default)]
    status_code: Option<Value>,
}

#[derive(Default, Deserialize)]
struct PeekInfo {
    #[serde(default)]
    error: Option<Value>,
}

/// The envelope's `body`: an IncidentResponse, a ResponseInfo, or an array (skipped).
#[derive(Default)]
struct PeekBody {
    response_info: Option<PeekInfo>,
    error: Option<Value>,
}

impl<'de> Deserialize<'de> for PeekBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PeekBody;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an answer body")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PeekBody, A::Error> {
                let mut out = PeekBody::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "responseInfo" => out.response_info = map.next_value()?,
                        "error" => out.error = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PeekBody, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(PeekBody::default())
            }
            fn visit_unit<E>(self) -> Result<PeekBody, E> {
                Ok(PeekBody::default())
            }
        }
        d.deserialize_any(V)
    }
}

fn is_operation(request: &ApiRequest, operation: &str) -> bool {
    request
        .path()
        .as_str()
        .trim_end_matches('/')
        .ends_with(operation)
}

/// The incident ids of a `modifyIncidents` request body.
fn batch_ids(request: &ApiRequest) -> Vec<String> {
    #[derive(Deserialize)]
    struct Item {
        #[serde(rename = "incidentId")]
        incident_id: String,
    }
    match request.body() {
        Some(incident_core::transport::RequestBody::Json(bytes)) => {
            serde_json::from_slice::<Vec<Item>>(bytes)
                .map(|items| items.into_iter().map(|i| i.incident_id).collect())
                .unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// Skyhigh's [`ResponseHook`]: an error inside a 200 is an error, a JSON 404 to
/// `queryIncidents` is an empty result, a `modifyIncidents` error that names only some of
/// the batch is a partial outcome (see the [module table](self)).
#[derive(Debug, Clone, Copy, Default)]
pub struct SkyhighHook;

impl ResponseHook for SkyhighHook {
    fn inspect(
        &self,
        request: &ApiRequest,
        status: StatusCode,
        _: &HeaderMap,
        body: &[u8],
    ) -> ResponseAction {
        let json = || body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if status == StatusCode::NOT_FOUND && is_operation(request, "queryIncidents") && json() {
            return ResponseAction::Accept;
        }
        if !status.is_success() || !json() {
            return ResponseAction::Default;
        }
        let Ok(peek) = serde_json::from_slice::<Peek>(body) else {
            // Undecodable: the operation's own decoding reports it with the JSON path.
            return ResponseAction::Default;
        };
        let error = peek
            .body
            .as_ref()
            .and_then(|b| {
                b.response_info
                    .as_ref()
                    .and_then(|i| i.error.clone())
                    .or_else(|| b.error.clone())
            })
            .or_else(|| peek.response_info.and_then(|i| i.error))
            .filter(Value::is_object)
            .and_then(|e| SkyhighError::deserialize(&e).ok());
        if let Some(error) = error {
            if is_operation(request, "modifyIncidents") {
                let ids = batch_ids(request);
                let details = error.details.as_deref().unwrap_or_default();
                let named = |id: &String| details.iter().any(|d| d.targets().any(|t| t == id));
                let every_detail_names_one = !details.is_empty()
                    && details
                        .iter()
                        .all(|d| d.targets().any(|t| ids.iter().any(|id| id == t)));
                if every_detail_names_one && !ids.iter().all(named) {
                    // Some of the batch went through: reported per incident.
                    return ResponseAction::Default;
                }
                if every_detail_names_one && let Some(first) = details.first() {
                    // Nothing went through: the error of the first incident, with its code.
                    let mut e = first.clone();
                    if e.code.is_none() {
                        e.code = error.code;
                    }
                    return ResponseAction::Fail(vendor_error(&e));
                }
            }
            return ResponseAction::Fail(vendor_error(&error));
        }
        let code = peek
            .status_code_value
            .as_ref()
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()));
        match code {
            Some(404) if is_operation(request, "queryIncidents") => ResponseAction::Default,
            Some(code) if code >= 400 => {
                let mut e = SkyhighError {
                    code: Some(code),
                    ..SkyhighError::default()
                };
                e.message = peek
                    .status_code
                    .as_ref()
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                ResponseAction::Fail(vendor_error(&e))
            }
            _ => ResponseAction::Default,
        }
    }
}

/// Skyhigh-specific accessors on the shared [`incident_core::Error`].
pub trait SkyhighErrorExt {
    /// The typed code of an API error, when the answer had one.
    fn skyhigh_code(&self) -> Option<SkyhighErrorCode>;
    /// The Error object of an API error, when the answer had one.
    fn skyhigh_error(&self) -> Option<SkyhighError>;
}

impl SkyhighErrorExt for Error {
    fn skyhigh_code(&self) -> Option<SkyhighErrorCode> {
        self.vendor_code()
            .and_then(|c| c.trim().parse::<i64>().ok())
            .map(SkyhighErrorCode::from_code)
    }

    fn skyhigh_error(&self) -> Option<SkyhighError> {
        self.api_error()?.body.as_ref().and_then(find_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_in_every_shape() {
        let cases = [
            json!({"headers": {}, "body": {"responseInfo": {"error": {"code": 400, "message": "Invalid field", "target": "startTime"}}, "incidents": []}, "statusCode": "BAD_REQUEST", "statusCodeValue": 400}),
            json!({"responseInfo": {"error": {"code": 400, "message": "Invalid field", "target": "startTime"}}}),
            json!({"body": {"actualLimit": 0, "error": {"code": 400, "message": "Invalid field", "target": "startTime"}}}),
            json!({"code": 400, "message": "Invalid field", "target": "startTime"}),
        ];
        for c in cases {
            let e = find_error(&c).unwrap();
            assert_eq!(e.code, Some(400), "{c}");
            assert_eq!(e.message.as_deref(), Some("Invalid field"));
            assert_eq!(e.targets().collect::<Vec<_>>(), ["startTime"]);
            let v = SkyhighErrorParser.parse(
                StatusCode::BAD_REQUEST,
                &HeaderMap::new(),
                c.to_string().as_bytes(),
            );
            assert_eq!(v.code.as_deref(), Some("400"));
            assert_eq!(v.kind, Some(ErrorKind::InvalidRequest));
            assert_eq!(
                v.message.as_deref(),
                Some("Invalid field (target: startTime)")
            );
        }
        let spring = json!({"timestamp": "2024-05-01T00:00:00.000+0000", "status": 401, "error": "Unauthorized", "message": "", "path": "/shnapi/rest/external/api/v1/queryIncidents"});
        let e = find_error(&spring).unwrap();
        assert_eq!(
            (e.code, e.message.as_deref()),
            (Some(401), Some("Unauthorized"))
        );
        let oauth = json!({"error": "invalid_grant", "error_description": "Bad credentials"});
        let e = find_error(&oauth).unwrap();
        assert_eq!(e.message.as_deref(), Some("Bad credentials"));
        assert!(
            SkyhighErrorParser
                .parse(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"<html>")
                .body
                .is_none()
        );
    }

    #[test]
    fn codes() {
        assert_eq!(SkyhighErrorCode::from_code(409), SkyhighErrorCode::Conflict);
        assert_eq!(SkyhighErrorCode::Conflict.kind(), Some(ErrorKind::Conflict));
        assert_eq!(SkyhighErrorCode::from_code(200).kind(), None);
        assert_eq!(SkyhighErrorCode::Other(-3).kind(), None);
        assert_eq!(SkyhighErrorCode::from_code(418).code(), 418);
    }
}
