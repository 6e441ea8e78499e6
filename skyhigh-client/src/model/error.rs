//! The shapes Skyhigh's errors come in: the Error object's HTTP-style codes, where an answer
//! of any shape keeps its Error, and what the answer of `modifyIncidents` says about its
//! batch. [`crate::error`] turns them into incident-core errors.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use incident_core::ErrorKind;
use incident_core::reqwest::StatusCode;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::SkyhighError;

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

/// Finds the Error object of an error answer (or of the body an [`Error`](incident_core::Error) keeps) in any of
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
/// that [`SkyhighHook`](crate::SkyhighHook) and the outcome of `modifyIncidents` share, so that they cannot
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
/// not JSON. Used by [`SkyhighHook`](crate::SkyhighHook) (which turns [`BatchVerdict::Refused`] into an
/// [`Error::Api`](incident_core::Error::Api)) and by the outcome of the call (which reports the others), so both read
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
