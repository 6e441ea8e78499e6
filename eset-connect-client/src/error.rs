//! ESET Connect's error answers: the body read leniently, its gRPC code, the `request-id`.
//!
//! ESET documents the statuses (400, 401, 403, 404, 429, 500, 502, 503, 504, each with a
//! `request-id` header to quote to support) but not the JSON body. The service is a
//! grpc-gateway, whose error body is `{"code": <gRPC code>, "message": "...", "details":
//! [...]}`; the OAuth endpoint answers `{"error": "invalid_grant", "error_description":
//! "..."}` as OAuth servers do. Both shapes are read when present and any other body is kept
//! (as JSON, or as a snippet for an HTML gateway page); the request id is in every error
//! ([`incident_core::Error::request_id`]).
//!
//! A refusal is that error body whatever the status: answered with a 2xx (to
//! `basic-attributes:update`, `:close`, `:reopen`, a new comment or any other call), an
//! object with a non-zero gRPC `code` or an OAuth `error` is an [`Error::Api`] with the
//! status as sent, the code, the message and the kind the code means, never an empty
//! result. A `{}` answer (grpc-gateway's empty result) is a success.
//!
//! ```
//! use eset_connect_client::{EsetErrorExt, GrpcCode};
//!
//! fn explain(err: &incident_core::Error) -> String {
//!     match err.grpc_code() {
//!         Some(GrpcCode::FailedPrecondition) => "not in this state".into(),
//!         _ => format!("{err} (quote request id {:?} to ESET)", err.request_id()),
//!     }
//! }
//! # let _ = explain;
//! ```

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use incident_core::transport::{Answer, ErrorParser, JsonErrorParser};
use incident_core::{Error, ErrorKind, VendorError};

pub use crate::model::{EsetErrorBody, GrpcCode};

/// Reads ESET's error bodies into the shared error: `code` (or the OAuth `error`) as the
/// vendor code, `message` (or `error_description`) as the message, and the codes that say
/// more than the status mapped to an [`ErrorKind`] (16 and `invalid_grant` unauthorized, 7
/// forbidden, 5 not found, 9 and 6 conflict).
#[derive(Debug, Clone)]
pub struct EsetErrorParser {
    json: JsonErrorParser,
}

impl Default for EsetErrorParser {
    fn default() -> Self {
        EsetErrorParser {
            json: JsonErrorParser::new()
                .code_at("/code")
                .code_at("/error")
                .message_at("/message")
                .message_at("/error_description")
                .kind_for("16", ErrorKind::Unauthorized)
                .kind_for("invalid_grant", ErrorKind::Unauthorized)
                .kind_for("invalid_client", ErrorKind::Unauthorized)
                .kind_for("7", ErrorKind::Forbidden)
                .kind_for("5", ErrorKind::NotFound)
                .kind_for("6", ErrorKind::Conflict)
                .kind_for("9", ErrorKind::Conflict),
        }
    }
}

impl ErrorParser for EsetErrorParser {
    fn parse(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> VendorError {
        self.json.parse(status, headers, body)
    }
}

/// The error an answer with a 2xx status carries instead of a result, if any.
///
/// Incidents, comments and their envelopes have every field optional and keep unknown
/// ones, and close, reopen and a new comment answer with a body ESET does not document
/// (grpc-gateway's `{}` for an empty result), so an error body with a 200 would pass for
/// success. No result has a top-level `code` or `error`: an object with a non-zero gRPC
/// `code` (grpc-gateway's status `{"code": 3, "message": "...", "details": []}`), or with
/// a text `error` (OAuth's `{"error", "error_description"}`), is the error, read by
/// [`EsetErrorParser`] and given the kind its gRPC code means ([`GrpcCode::kind`]) or, for
/// OAuth, unauthorized. `{"code": 0}` is gRPC's OK, not an error. The object is read up to
/// its first member that only a result has (`incidents`, ...): a page is not read twice, and
/// a `code` after the page's incidents is not seen.
pub(crate) fn error_inside_success(answer: &Answer<'_>) -> Option<VendorError> {
    if answer.first_byte() != Some(b'{') {
        return None;
    }
    let [code, error] = answer.peek_members(
        ["code", "error"],
        &["incidents", "incident", "comments", "comment"],
    )?;
    let code = code.as_ref().and_then(|c| match c {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    let oauth = error.as_ref().is_some_and(serde_json::Value::is_string);
    if !(code.is_some_and(|c| c != 0) || oauth) {
        return None;
    }
    let mut error = EsetErrorParser::default().parse_answer(answer);
    if error.kind.is_none() {
        let kind = match code.filter(|c| *c != 0) {
            Some(code) => GrpcCode::from_code(code).kind(),
            None => Some(ErrorKind::Unauthorized),
        };
        if let Some(kind) = kind {
            error = error.with_kind(kind);
        }
    }
    Some(error)
}

/// ESET-specific accessors on [`incident_core::Error`].
pub trait EsetErrorExt {
    /// The error body ESET sent, read leniently, when it was JSON.
    fn eset_body(&self) -> Option<EsetErrorBody>;
    /// The gRPC code of the error body.
    fn grpc_code(&self) -> Option<GrpcCode>;
    /// The OAuth error of the token endpoint, e.g. `invalid_grant`.
    fn oauth_error(&self) -> Option<String>;
}

impl EsetErrorExt for Error {
    fn eset_body(&self) -> Option<EsetErrorBody> {
        self.api_error()?
            .body
            .as_ref()
            .and_then(EsetErrorBody::from_value)
    }

    fn grpc_code(&self) -> Option<GrpcCode> {
        self.eset_body()?.grpc_code()
    }

    fn oauth_error(&self) -> Option<String> {
        self.eset_body()?.error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn grpc_and_oauth_bodies() {
        let p = EsetErrorParser::default();
        let e = p.parse(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"code":9,"message":"incident is closed","details":[]}"#,
        );
        assert_eq!(e.code.as_deref(), Some("9"));
        assert_eq!(e.message.as_deref(), Some("incident is closed"));
        assert_eq!(e.kind, Some(ErrorKind::Conflict));
        let e = p.parse(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"error":"invalid_grant","error_description":"refresh token revoked"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("invalid_grant"));
        assert_eq!(e.kind, Some(ErrorKind::Unauthorized));
        let e = p.parse(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"<html>");
        assert_eq!(e, VendorError::new());
    }

    #[test]
    fn errors_inside_a_success_answer() {
        let request = incident_core::ApiRequest::get(incident_core::ApiPath::new("/v2/incidents"));
        let headers = HeaderMap::new();
        let read = |body: &str| {
            error_inside_success(&Answer::new(
                &request,
                StatusCode::OK,
                &headers,
                body.as_bytes(),
            ))
        };
        let e = read(r#"{"code": 3, "message": "invalid updateMask", "details": []}"#).unwrap();
        assert_eq!(e.code.as_deref(), Some("3"));
        assert_eq!(e.kind, Some(ErrorKind::InvalidRequest));
        assert_eq!(e.message.as_deref(), Some("invalid updateMask"));
        assert!(e.body.is_some());
        // The parser's own kinds stay; a code as a string counts.
        assert_eq!(
            read(r#"{"code": "16", "message": "x"}"#).unwrap().kind,
            Some(ErrorKind::Unauthorized)
        );
        assert_eq!(read(r#"{"code": 99}"#).unwrap().kind, None);
        for error in [
            r#"{"requestId": "r-1", "code": 5, "message": "gone"}"#,
            r#"{"code": 5, "incidents": []}"#,
        ] {
            assert_eq!(read(error).unwrap().code.as_deref(), Some("5"), "{error}");
        }
        let e =
            read(r#"{"error": "invalid_grant", "error_description": "Bad credentials"}"#).unwrap();
        assert_eq!(e.kind, Some(ErrorKind::Unauthorized));
        for success in [
            "{}",
            r#"{"code": 0, "message": ""}"#,
            r#"{"incident": {"uuid": "a", "code": 5}}"#,
            r#"{"comment": {"text": "code 5"}}"#,
            r#"{"access_token": "a", "expires_in": 3600}"#,
            r#"[{"code": 3}]"#,
            r#"{"code": 3, "message": "x"} trailing"#,
            r#"{"incidents": [{"code": 3}], "code": 5}"#,
            "",
            "{\"code\": ",
        ] {
            assert_eq!(read(success), None, "{success}");
        }
        assert_eq!(
            GrpcCode::FailedPrecondition.kind(),
            Some(ErrorKind::Conflict)
        );
        assert_eq!(
            GrpcCode::ResourceExhausted.kind(),
            Some(ErrorKind::Unauthorized)
        );
        assert_eq!(GrpcCode::Cancelled.kind(), None);
        assert_eq!(GrpcCode::Other(42).kind(), None);
    }

    #[test]
    fn lenient_body() {
        let b =
            EsetErrorBody::from_value(&json!({"code": "5", "message": "gone", "x": 1})).unwrap();
        assert_eq!(b.grpc_code(), Some(GrpcCode::NotFound));
        assert_eq!(b.extra["x"], 1);
        // A field of the wrong type does not lose the rest.
        let b =
            EsetErrorBody::from_value(&json!({"code": 3, "message": 7, "details": {}})).unwrap();
        assert_eq!(b.code, Some(3));
        assert_eq!(b.message, None);
        assert!(EsetErrorBody::from_value(&json!([1])).is_none());
        for n in 1..=16 {
            assert_eq!(GrpcCode::from_code(n).code(), n);
        }
        assert_eq!(GrpcCode::from_code(99), GrpcCode::Other(99));
    }
}
