//! Sentinel's fault answers.
//!
//! Every page of the 7.0 reference has a "Fault Codes" section, but its contents (and any
//! schema of a fault body) are not in the public copies of the documentation, and no
//! public client parses one. So a fault is kept as what it is: the HTTP status and the
//! body, parsed as JSON when it is JSON ([`FaultBody`]). The classification callers match
//! on is [`incident_core::ErrorKind`], from the status (401 unauthorized, 404 not found,
//! 400 invalid...). [`SentinelErrorParser`] still picks a message and a code out of a
//! JSON body under the names servers commonly use, so that errors read well when there is
//! one.
//!
//! A refusal may also come with a 2xx, in the answer to a write: see [`SentinelHook`].
//!
//! ```
//! use sentinel_client::{FaultBody, SentinelErrorExt};
//!
//! fn explain(err: &incident_core::Error) -> String {
//!     match err.sentinel_fault() {
//!         Some(fault) => match fault.body {
//!             FaultBody::Json(value) => format!("{}: {value}", fault.status),
//!             FaultBody::Text(text) => format!("{}: {text}", fault.status),
//!             FaultBody::Empty => format!("{} without a body", fault.status),
//!         },
//!         None => err.to_string(),
//!     }
//! }
//! # let _ = explain;
//! ```

use incident_core::reqwest::header::HeaderMap;
use incident_core::reqwest::{Method, StatusCode};
use incident_core::transport::{
    Answer, ErrorParser, JsonErrorParser, ResponseAction, ResponseHook,
};
use serde_json::Value;

use crate::client::OBJECTS_PATH;
pub use crate::model::{FaultBody, SentinelFault};
use incident_core::{Error, ErrorKind, VendorError};

/// Reads Sentinel fault bodies for the shared transport: keeps a JSON body whole, and takes
/// a message from `message`, `error.message`, `errorMessage`, `Error`, `error`,
/// `faultstring` or `reason` and a code from `code`, `errorCode`, `error.code` or
/// `faultcode`, whichever comes first. A body that is not JSON keeps the status and a
/// snippet. No code overrides the kind the status gives: none is documented.
#[derive(Debug, Clone)]
pub struct SentinelErrorParser(JsonErrorParser);

impl Default for SentinelErrorParser {
    fn default() -> Self {
        SentinelErrorParser(
            JsonErrorParser::new()
                .message_at("/message")
                .message_at("/error/message")
                .message_at("/errorMessage")
                .message_at("/Error")
                .message_at("/error")
                .message_at("/faultstring")
                .message_at("/reason")
                .code_at("/code")
                .code_at("/errorCode")
                .code_at("/error/code")
                .code_at("/faultcode"),
        )
    }
}

impl ErrorParser for SentinelErrorParser {
    fn parse(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> VendorError {
        self.0.parse(status, headers, body)
    }
}

/// Refuses a 2xx answer to a write of a REST object (`POST`, `PUT` or `DELETE` below
/// [`OBJECTS_PATH`]) whose body is JSON but not the object.
///
/// Sentinel documents the answers of its incident writes as a bare 200 (`PUT`), nothing
/// (`DELETE`), or the created incident (`POST`), and no fault body at all. Every field of
/// an incident is optional, so a fault answered with 200 would decode as an incident, and
/// an update that read the incident back after such an answer would return it unchanged,
/// as if the change had been made. So a write's answer is an empty body or the object
/// itself, named by its `meta` (with its `@href`); any other JSON (a fault such as
/// `{"message": ..., "status": 409}`, `{}`, an array) is an [`Error::Api`] with the status
/// as sent, what [`SentinelErrorParser`] reads from it, and the kind of an HTTP error
/// status found in its `status` or `code`. A body that is not JSON is left to the
/// operation, which reports it as a decode error. Reads and the token service are not
/// concerned.
#[derive(Debug, Clone, Default)]
pub struct SentinelHook {
    parser: SentinelErrorParser,
}

impl ResponseHook for SentinelHook {
    fn inspect(&self, answer: &Answer<'_>) -> ResponseAction {
        let write = matches!(
            *answer.request.method(),
            Method::POST | Method::PUT | Method::DELETE
        );
        let object = answer
            .request
            .path()
            .as_str()
            .strip_prefix(OBJECTS_PATH)
            .is_some_and(|rest| rest.starts_with('/'));
        if !answer.status.is_success() || !write || !object || answer.first_byte().is_none() {
            return ResponseAction::Default;
        }
        let Ok(value) = serde_json::from_slice::<Value>(answer.body) else {
            return ResponseAction::Default;
        };
        if value.get("meta").is_some_and(Value::is_object) {
            return ResponseAction::Default;
        }
        let mut error = self.parser.parse_answer(answer);
        let http_status = ["status", "code"]
            .iter()
            .filter_map(|k| value.get(*k))
            .find_map(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()))
            .and_then(|c| u16::try_from(c).ok())
            .and_then(|c| StatusCode::from_u16(c).ok())
            .filter(|c| c.is_client_error() || c.is_server_error());
        if let Some(http_status) = http_status {
            error = error.with_kind(ErrorKind::from_status(http_status));
        }
        if error.message.is_none() {
            error = error.with_message(format!(
                "the answer to {} {} is neither empty nor the object",
                answer.request.method(),
                answer.request.path().as_str()
            ));
        }
        ResponseAction::Fail(error)
    }
}

/// Sentinel-specific accessors on the shared [`incident_core::Error`].
pub trait SentinelErrorExt {
    /// The fault answer behind an API error: status, body, and what was read from it.
    fn sentinel_fault(&self) -> Option<SentinelFault>;
}

impl SentinelErrorExt for Error {
    fn sentinel_fault(&self) -> Option<SentinelFault> {
        self.api_error().map(SentinelFault::from_api)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incident_core::ApiRequest;

    fn parse(body: &str) -> VendorError {
        SentinelErrorParser::default().parse(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            body.as_bytes(),
        )
    }

    #[test]
    fn messages_and_codes_under_common_names() {
        let v = parse(r#"{"message": "Invalid JSON", "code": 400}"#);
        assert_eq!(v.message.as_deref(), Some("Invalid JSON"));
        assert_eq!(v.code.as_deref(), Some("400"));
        assert_eq!(v.kind, None);
        let v = parse(r#"{"error": {"code": "E7", "message": "no such incident"}}"#);
        assert_eq!(v.message.as_deref(), Some("no such incident"));
        assert_eq!(v.code.as_deref(), Some("E7"));
        let v = parse(r#"{"Error": "Token expired"}"#);
        assert_eq!(v.message.as_deref(), Some("Token expired"));
        let v = parse(r#"{"something": "else"}"#);
        assert_eq!(v.message, None);
        assert!(v.body.is_some());
        for body in ["<html>Bad</html>", "", "{\"message\": "] {
            assert_eq!(parse(body), VendorError::new(), "{body:?}");
        }
    }

    #[test]
    fn the_hook_refuses_write_answers_that_are_not_the_object() {
        let hook = SentinelHook::default();
        let put = ApiRequest::put(incident_core::ApiPath::new(OBJECTS_PATH).then("incident"));
        let get = ApiRequest::get(incident_core::ApiPath::new(OBJECTS_PATH).then("incident"));
        let logon = ApiRequest::post(incident_core::ApiPath::new(crate::client::AUTH_TOKENS_PATH));
        let inspect = |request: &ApiRequest, status: u16, body: &str| {
            hook.inspect(&Answer::new(
                request,
                StatusCode::from_u16(status).unwrap(),
                &HeaderMap::new(),
                body.as_bytes(),
            ))
        };
        let ResponseAction::Fail(v) =
            inspect(&put, 200, r#"{"message": "No incident 9.", "status": 404}"#)
        else {
            panic!("a fault inside a 200")
        };
        assert_eq!(v.kind, Some(ErrorKind::NotFound));
        assert_eq!(v.message.as_deref(), Some("No incident 9."));
        assert!(matches!(inspect(&put, 200, "[]"), ResponseAction::Fail(_)));
        let ResponseAction::Fail(v) = inspect(&put, 204, "{}") else {
            panic!("{{}} is not the incident")
        };
        assert_eq!(v.kind, None);
        assert!(v.message.unwrap().contains("neither empty nor the object"));
        for (request, status, body) in [
            (&put, 200, ""),
            (&put, 200, " \n"),
            (
                &put,
                200,
                r#"{"meta": {"type": "incident", "@href": "https://h/x/incident/9"}}"#,
            ),
            (&put, 200, "OK"),
            (&put, 400, r#"{"message": "bad"}"#),
            (
                &get,
                200,
                r#"{"message": "a read is the operation's business"}"#,
            ),
            (&logon, 200, r#"{"Token": "t"}"#),
        ] {
            assert!(
                matches!(inspect(request, status, body), ResponseAction::Default),
                "{body}"
            );
        }
    }

    #[test]
    fn not_an_api_error() {
        assert_eq!(
            Error::invalid_input("x", "y").sentinel_fault(),
            None::<SentinelFault>
        );
    }
}
