//! Skyhigh's errors: the Error object (in `responseInfo.error`, also inside an HTTP 200), its
//! HTTP-style codes, and what a response means ([`SkyhighHook`]).
//!
//! The swagger declares every answer as `default` and says to "check responseInfo --> error
//! for any unexpected errors or warnings": a call can be refused inside an HTTP 200. Such an
//! answer is never read as a success. Its Error is looked for in every shape an answer
//! comes in, by one function that the hook and the outcome of `modifyIncidents` share:
//!
//! | Answer | Result |
//! |---|---|
//! | 2xx whose Error object (not `null`) is at `body.responseInfo.error` or `body.error` (the Spring envelope `{headers, body, statusCode, statusCodeValue}` around an IncidentResponse or a ResponseInfo), `responseInfo.error` (`{responseInfo}`) or `error` (a bare ResponseInfo, the documented answer of `modifyIncidents`) | [`Error::Api`] with status 200, the error's `code` as vendor code and the kind it means (403 [`ErrorKind::Forbidden`], 401 unauthorized, 404 not found, 409 conflict...); for `modifyIncidents`, see below |
//! | 2xx whose top-level `error` is text: Spring's default error body `{status, error, message, path}` or OAuth's `{error, error_description}` (text is never read as a Skyhigh Error object) | [`Error::Api`] with `status` as the code and `message`, `error_description` or `error` as the message |
//! | 2xx envelope whose `statusCodeValue` is 400 or more, without an Error | [`Error::Api`] with that code and `statusCode` as the message |
//! | `modifyIncidents`: an Error whose `details` each name (in `target`) an incident of the batch, and not every incident is named | a [`ModifyOutcome`](crate::ModifyOutcome): the named ones [`ChangeOutcome::Refused`](crate::ChangeOutcome::Refused) with their detail, the others applied |
//! | `modifyIncidents`: an Error with empty `details`, with a detail that names no incident of the batch, or whose details name every incident | the batch is refused: [`Error::Api`] with the first incident's detail when every one is named (its code, else the Error's), else the Error itself; [`SkyhighErrorExt::skyhigh_error`] gives the whole Error with every detail |
//! | 404 with a JSON body to `queryIncidents` ("No data was found for provided criteria"), or an envelope saying 404 to it | an empty page, not an error |
//! | 404 with another body (an HTML page: a wrong URL) | [`Error::Api`], [`ErrorKind::NotFound`] |
//! | 400 / 401 / 403 / 409 / 429 / 500 / 503 | [`Error::Api`] of that kind; 429 and 503 retried (with `Retry-After`), 409 not retried |
//!
//! An error inside a 2xx is never retried: the service answered. An Error whose `code` is
//! not an error status (a 2xx "warning") still refuses the call, with [`ErrorKind::Other`].
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

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use incident_core::reqwest::StatusCode;
use incident_core::reqwest::header::HeaderMap;
use incident_core::transport::{ErrorParser, MAX_ERROR_BODY_PARSE, ResponseAction, ResponseHook};
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

/// Finds the Error object of an error answer (or of the body an [`Error`] keeps) in any of
/// the shapes the service and its gateway answer with:
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

/// A value read for some of its members only: a JSON object hands its members to
/// [`Members::member`], anything else (an array of incidents, a string, a number) reads as
/// nothing. The hook looks into answers of every shape this way without building their
/// incidents, and a member of an unexpected type cannot make it miss the error.
trait Members: Default {
    /// Reads (or skips) the value of the member `key`; must consume it either way.
    fn member<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;
}

struct Lenient<T>(T);

impl<'de, T: Members> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Members> Visitor<'de> for V<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = T::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    out.member(&key, &mut map)?;
                }
                Ok(Lenient(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(T::default()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(T::default()))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

/// `{error}`: a ResponseInfo (`responseInfo`, or the envelope's `body`).
#[derive(Default)]
struct InfoPeek {
    error: Option<Value>,
}

impl Members for InfoPeek {
    fn member<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "error" => self.error = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// The envelope's `body`: an IncidentResponse `{responseInfo, incidents}`, a ResponseInfo,
/// or an array (information keys, groups).
#[derive(Default)]
struct BodyPeek {
    response_info: InfoPeek,
    error: Option<Value>,
}

impl Members for BodyPeek {
    fn member<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "responseInfo" => self.response_info = map.next_value::<Lenient<InfoPeek>>()?.0,
            "error" => self.error = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// Every place an answer of any operation may hold its Error, and the envelope's status.
#[derive(Default)]
struct AnswerPeek {
    body: BodyPeek,
    response_info: InfoPeek,
    error: Option<Value>,
    status: Option<Value>,
    error_description: Option<Value>,
    message: Option<Value>,
    status_code_value: Option<Value>,
    status_code: Option<Value>,
}

impl Members for AnswerPeek {
    fn member<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "body" => self.body = map.next_value::<Lenient<BodyPeek>>()?.0,
            "responseInfo" => self.response_info = map.next_value::<Lenient<InfoPeek>>()?.0,
            "error" => self.error = map.next_value()?,
            "status" => self.status = map.next_value()?,
            "error_description" => self.error_description = map.next_value()?,
            "message" => self.message = map.next_value()?,
            "statusCodeValue" => self.status_code_value = map.next_value()?,
            "statusCode" => self.status_code = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

fn number(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_str()?.trim().parse().ok())
}

/// An Error object as sent; a member of an unexpected type is dropped rather than losing
/// the error (an error that cannot be read must not pass for no error).
fn error_object(value: &Value) -> SkyhighError {
    if let Ok(e) = SkyhighError::deserialize(value) {
        return e;
    }
    let Some(object) = value.as_object() else {
        return SkyhighError::default();
    };
    let text = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_owned);
    let mut extra = object.clone();
    for known in ["code", "message", "target", "details"] {
        extra.remove(known);
    }
    SkyhighError {
        code: object.get("code").and_then(number),
        message: text("message"),
        target: text("target"),
        details: object.get("details").and_then(Value::as_array).map(|d| {
            d.iter()
                .filter(|e| e.is_object())
                .map(error_object)
                .collect()
        }),
        extra,
    }
}

/// What a successful (2xx) answer says about itself.
#[derive(Debug, Default)]
pub(crate) struct AnswerStatus {
    /// The error the answer carries, if any.
    pub(crate) error: Option<SkyhighError>,
    /// Whether [`error`](Self::error) comes from the envelope's `statusCodeValue` alone
    /// (`{headers, body, statusCode, statusCodeValue: 4xx/5xx}` with no Error object).
    pub(crate) from_envelope_status: bool,
}

/// Reads the error of a 2xx answer, whatever its shape. This is the one reading of `error`
/// that [`SkyhighHook`] and the outcome of `modifyIncidents` share, so that they cannot
/// disagree. In order:
///
/// 1. an Error object (not `null`) at `body.responseInfo.error`, `body.error` (a
///    ResponseInfo in the Spring envelope), `responseInfo.error` or `error` (a bare
///    ResponseInfo, as `modifyIncidents` documents its answer);
/// 2. a top-level `error` that is text: Spring's default error body
///    `{status, error, message, path}` or OAuth's `{error, error_description}`, never a
///    Skyhigh Error object, read as one with `status` as its code;
/// 3. an envelope whose `statusCodeValue` is 400 or more, with `statusCode` as the message.
///
/// Fails only on a body that is not JSON.
pub(crate) fn answer_status(body: &[u8]) -> Result<AnswerStatus, serde_json::Error> {
    let Lenient(peek) = serde_json::from_slice::<Lenient<AnswerPeek>>(body)?;
    let object = [
        &peek.body.response_info.error,
        &peek.body.error,
        &peek.response_info.error,
        &peek.error,
    ]
    .into_iter()
    .flatten()
    .find(|e| e.is_object())
    .map(error_object);
    if object.is_some() {
        return Ok(AnswerStatus {
            error: object,
            from_envelope_status: false,
        });
    }
    let text = |v: &Option<Value>| {
        v.as_ref()
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    if let Some(error) = text(&peek.error) {
        return Ok(AnswerStatus {
            error: Some(SkyhighError {
                code: peek.status.as_ref().and_then(number),
                message: text(&peek.message)
                    .or_else(|| text(&peek.error_description))
                    .or(Some(error)),
                ..SkyhighError::default()
            }),
            from_envelope_status: false,
        });
    }
    let code = peek
        .status_code_value
        .as_ref()
        .and_then(number)
        .filter(|c| *c >= 400);
    Ok(AnswerStatus {
        error: code.map(|code| SkyhighError {
            code: Some(code),
            message: text(&peek.status_code),
            ..SkyhighError::default()
        }),
        from_envelope_status: code.is_some(),
    })
}

/// What the answer of `modifyIncidents` means for its batch.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BatchVerdict {
    /// No error: every change was applied.
    Applied,
    /// Every detail of the error names an incident of the batch, and some of the batch are
    /// not named: those named were refused (with their detail), the others applied.
    Partial(Vec<(String, SkyhighError)>),
    /// The batch was refused as a whole: the error names no incident of the batch (no
    /// details, or a detail about something else), or names every one. The error to report:
    /// the first detail when every incident is named (with the code of the whole error when
    /// it has none), else the whole error.
    Refused(SkyhighError),
}

/// Reads the answer of `modifyIncidents` to a batch of `ids`; fails only on a body that is
/// not JSON. Used by [`SkyhighHook`] (which turns [`BatchVerdict::Refused`] into an
/// [`Error::Api`]) and by the outcome of the call (which reports the others), so both read
/// the same error the same way.
pub(crate) fn modify_verdict<S: AsRef<str>>(
    body: &[u8],
    ids: &[S],
) -> Result<BatchVerdict, serde_json::Error> {
    let Some(error) = answer_status(body)?.error else {
        return Ok(BatchVerdict::Applied);
    };
    let in_batch = |target: &str| ids.iter().any(|id| id.as_ref() == target);
    let details = error.details.as_deref().unwrap_or_default();
    let attributable = !details.is_empty() && details.iter().all(|d| d.targets().any(in_batch));
    if !attributable {
        return Ok(BatchVerdict::Refused(error));
    }
    let named = |id: &str| details.iter().any(|d| d.targets().any(|t| t == id));
    if ids.iter().all(|id| named(id.as_ref())) {
        let mut first = details.first().cloned().unwrap_or_default();
        if first.code.is_none() {
            first.code = error.code;
        }
        return Ok(BatchVerdict::Refused(first));
    }
    let refused = ids
        .iter()
        .filter_map(|id| {
            let id = id.as_ref();
            details
                .iter()
                .find(|d| d.targets().any(|t| t == id))
                .map(|d| (id.to_owned(), d.clone()))
        })
        .collect();
    Ok(BatchVerdict::Partial(refused))
}

fn is_operation(request: &ApiRequest, operation: &str) -> bool {
    request
        .path()
        .as_str()
        .trim_end_matches('/')
        .ends_with(operation)
}

/// The incident ids of a `modifyIncidents` request body (none when it cannot be read: then
/// any error refuses the whole batch).
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

/// The failure for `error`, keeping the whole answer (when small enough to parse, as for an
/// error status) so that [`SkyhighErrorExt::skyhigh_error`] gives every detail.
fn fail(error: &SkyhighError, body: &[u8]) -> ResponseAction {
    let mut out = vendor_error(error);
    if body.len() <= MAX_ERROR_BODY_PARSE
        && let Ok(value) = serde_json::from_slice::<Value>(body)
    {
        out = out.with_body(value);
    }
    ResponseAction::Fail(out)
}

/// Skyhigh's [`ResponseHook`]: an error inside a 2xx is an error, a JSON 404 to
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
        if is_operation(request, "modifyIncidents") {
            return match modify_verdict(body, &batch_ids(request)) {
                Ok(BatchVerdict::Refused(error)) => fail(&error, body),
                // Applied, partly applied (reported per incident), or not JSON (reported by
                // the operation's decoding, with the JSON path).
                _ => ResponseAction::Default,
            };
        }
        match answer_status(body) {
            Ok(AnswerStatus {
                error: Some(error),
                from_envelope_status,
            }) => {
                // An envelope saying 404 to a query is "no data": an empty page.
                if from_envelope_status
                    && error.code == Some(404)
                    && is_operation(request, "queryIncidents")
                {
                    ResponseAction::Default
                } else {
                    fail(&error, body)
                }
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

    fn read(body: &Value) -> Option<SkyhighError> {
        answer_status(body.to_string().as_bytes()).unwrap().error
    }

    #[test]
    fn the_error_of_a_success_answer_in_every_shape() {
        let e = json!({"code": 403, "message": "No role", "details": []});
        let info = json!({"actualLimit": 1, "error": e.clone(), "nextOffset": null});
        for (shape, body) in [
            ("bare", info.clone()),
            ("responseInfo", json!({"responseInfo": info.clone()})),
            (
                "envelope",
                json!({"headers": {}, "body": info.clone(), "statusCode": "OK", "statusCodeValue": 200}),
            ),
            (
                "envelope of responseInfo",
                json!({"headers": {}, "body": {"responseInfo": info.clone(), "incidents": [{"incidentId": "DLP-1", "error": "x"}]}, "statusCodeValue": 200}),
            ),
        ] {
            let found = read(&body).unwrap_or_else(|| panic!("{shape}"));
            assert_eq!(serde_json::to_value(found).unwrap(), e, "{shape}");
        }
        // Success answers, whatever else they hold.
        for body in [
            json!({"actualLimit": 1, "error": null, "source": "s"}),
            json!({"headers": {}, "body": {"responseInfo": {"error": null}, "incidents": []}, "statusCode": "OK", "statusCodeValue": 200}),
            json!({"headers": {}, "body": ["Alert.Policy.Dlp"], "statusCodeValue": "200"}),
            json!({"responseInfo": [], "body": 7, "error": null}),
            json!({"access_token": "a", "token_type": "bearer"}),
        ] {
            assert_eq!(read(&body), None, "{body}");
        }
        assert!(answer_status(b"[1, 2]").unwrap().error.is_none());
        assert!(answer_status(b"{\"error\": {").is_err());
        // Text in `error` is Spring's or OAuth's error body, never a Skyhigh Error object.
        let spring =
            read(&json!({"status": "401", "error": "Unauthorized", "message": "", "path": "/x"}))
                .unwrap();
        assert_eq!(
            (spring.code, spring.message.as_deref()),
            (Some(401), Some("Unauthorized"))
        );
        let oauth =
            read(&json!({"error": "invalid_token", "error_description": "expired"})).unwrap();
        assert_eq!(
            (oauth.code, oauth.message.as_deref()),
            (None, Some("expired"))
        );
        // Members of unexpected types are dropped, the error kept.
        let odd = read(&json!({"error": {"code": [4], "message": "Refused", "details": [{"target": "DLP-1", "code": "404"}, 3]}})).unwrap();
        assert_eq!((odd.code, odd.message.as_deref()), (None, Some("Refused")));
        assert_eq!(odd.details.unwrap()[0].code, Some(404));
        let status = answer_status(
            json!({"body": {}, "statusCode": "CONFLICT", "statusCodeValue": 409})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        assert!(status.from_envelope_status);
        assert_eq!(status.error.unwrap().code, Some(409));
    }

    #[test]
    fn the_verdict_on_a_batch() {
        let detail =
            |id: &str| json!({"code": 404, "message": format!("{id} not found"), "target": id});
        let answer = |details: Value| {
            json!({"error": {"code": 400, "message": "not modified", "details": details}})
                .to_string()
        };
        let ids = ["DLP-1", "DLP-2"];
        let verdict = |body: String| modify_verdict(body.as_bytes(), &ids).unwrap();
        assert_eq!(
            verdict(json!({"error": null}).to_string()),
            BatchVerdict::Applied
        );
        let BatchVerdict::Partial(refused) = verdict(answer(json!([detail("DLP-2")]))) else {
            panic!()
        };
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].0, "DLP-2");
        // Named all: the first incident's error, taking the whole error's code if it has none.
        let BatchVerdict::Refused(e) = verdict(answer(
            json!([{"target": "DLP-2, DLP-1", "message": "both"}]),
        )) else {
            panic!()
        };
        assert_eq!((e.code, e.message.as_deref()), (Some(400), Some("both")));
        for details in [
            json!([]),
            json!(null),
            json!([detail("DLP-1"), detail("CAP-9")]),
            json!([{"message": "no target"}]),
        ] {
            let BatchVerdict::Refused(e) = verdict(answer(details.clone())) else {
                panic!("{details}")
            };
            assert_eq!(e.message.as_deref(), Some("not modified"), "{details}");
        }
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
