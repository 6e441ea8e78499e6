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

use incident_core::reqwest::StatusCode;
use incident_core::reqwest::header::HeaderMap;
use incident_core::transport::{ErrorParser, JsonErrorParser};
use incident_core::{Error, ErrorKind, VendorError};

/// The body of a fault answer: every body is one of these three.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultBody {
    /// A JSON body, parsed.
    Json(serde_json::Value),
    /// A body that is not JSON (an HTML page from the application server or a proxy, plain
    /// text): a bounded, printable prefix of it.
    Text(String),
    /// No body.
    Empty,
}

/// A fault answer of Sentinel: its status and body, and what could be read from it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SentinelFault {
    /// The HTTP status.
    pub status: u16,
    /// The broad class, from the status.
    pub kind: ErrorKind,
    /// The body.
    pub body: FaultBody,
    /// A message found in a JSON body (see [`SentinelErrorParser`]).
    pub message: Option<String>,
    /// A code found in a JSON body (see [`SentinelErrorParser`]).
    pub code: Option<String>,
}

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

/// Sentinel-specific accessors on the shared [`incident_core::Error`].
pub trait SentinelErrorExt {
    /// The fault answer behind an API error: status, body, and what was read from it.
    fn sentinel_fault(&self) -> Option<SentinelFault>;
}

impl SentinelErrorExt for Error {
    fn sentinel_fault(&self) -> Option<SentinelFault> {
        let api = self.api_error()?;
        let body = match (&api.body, &api.snippet) {
            (Some(value), _) => FaultBody::Json(value.clone()),
            (None, Some(text)) => FaultBody::Text(text.clone()),
            (None, None) => FaultBody::Empty,
        };
        Some(SentinelFault {
            status: api.status.as_u16(),
            kind: api.kind,
            body,
            message: api.message.clone(),
            code: api.vendor_code.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn not_an_api_error() {
        assert_eq!(
            Error::invalid_input("x", "y").sentinel_fault(),
            None::<SentinelFault>
        );
    }
}
