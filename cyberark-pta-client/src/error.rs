//! The PVWA error body and the error codes seen from real servers.
//!
//! PVWA answers errors with `{"ErrorCode": "PASWS013E", "ErrorMessage": "..."}`. Some answers
//! carry the code only at the start of the message (`"ITATS955E You are unauthorized ..."`),
//! ASP.NET routing errors carry `{"Message": "..."}`, and IIS in front of PVWA answers with an
//! HTML page (`Server Error in '/PasswordVault' Application`). [`PtaErrorParser`] reads all
//! of them into the shared [`incident_core::Error`] (an HTML page keeps a bounded snippet),
//! and [`PtaErrorExt`] gives the typed code and body back.
//!
//! A refusal is that error body whatever the status: answered with a 2xx to the `PATCH` of
//! a security event or a risk event (or to any other call), a JSON object with a non-null
//! `ErrorCode` or `ErrorMessage` (in either case) is an [`Error::Api`] with the status as
//! sent, never an event with every field missing. An HTML page with a 2xx is one too.
//!
//! ```
//! use cyberark_pta_client::{PtaErrorCode, PtaErrorExt};
//!
//! fn explain(err: &incident_core::Error) -> &'static str {
//!     match err.pta_code() {
//!         Some(PtaErrorCode::LogonFailed) => "wrong user name, password or logon type",
//!         Some(PtaErrorCode::NoSessionToken) => "the request carried no session token",
//!         _ if err.is_not_found() => "no such event",
//!         _ => "something else",
//!     }
//! }
//! # let _ = explain;
//! ```

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use incident_core::transport::{Answer, ErrorParser, ResponseAction, ResponseHook};
use incident_core::{Error, VendorError};

pub use crate::model::{PtaErrorBody, PtaErrorCode};

/// Reads PVWA error bodies for the shared transport: the code (from `ErrorCode` or the start
/// of the message), the message, the kind the code implies and the JSON body. A body that is
/// not JSON (an IIS HTML page) gives an empty [`VendorError`], and the transport keeps the
/// status and a bounded snippet of the page.
#[derive(Debug, Clone, Copy, Default)]
pub struct PtaErrorParser;

impl ErrorParser for PtaErrorParser {
    fn parse(&self, _status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> VendorError {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return VendorError::new();
        };
        let mut out = VendorError::new();
        if let Some(parsed) = PtaErrorBody::from_value(&value) {
            if let Some(code) = parsed.code() {
                out = out.with_code(code);
                if let Some(kind) = PtaErrorCode::from_code(code).kind() {
                    out = out.with_kind(kind);
                }
            }
            if let Some(message) = parsed.message() {
                out = out.with_message(message);
            }
        }
        out.with_body(value)
    }
}

/// Refuses the success answers that are not answers: an HTML page (IIS or a proxy
/// answering for PVWA, which psPAS reports as "HTML Response Received") and a PVWA error
/// body. Both become an [`Error::Api`] with the status as sent: the page with a snippet
/// rather than a JSON decode error, the error body with its code, message and kind.
///
/// A security event and a risk event have every field optional and keep unknown ones, so
/// `{"ErrorCode": "...", "ErrorMessage": "..."}` answered with 200 would decode as an event
/// with nothing but extra fields: a close or reopen that PVWA refused would look made. No
/// event, page or logon answer has those members (in either case): hence the module rule.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PtaHook;

impl ResponseHook for PtaHook {
    fn inspect(&self, answer: &Answer<'_>) -> ResponseAction {
        if !answer.status.is_success() {
            return ResponseAction::Default;
        }
        if answer.is_html() {
            return ResponseAction::Fail(VendorError::new().with_message(
                "an HTML page instead of the JSON answer (IIS or a proxy answered)",
            ));
        }
        if answer.first_byte() == Some(b'{') && is_error_body(answer) {
            return ResponseAction::Fail(PtaErrorParser.parse_answer(answer));
        }
        ResponseAction::Default
    }
}

/// Whether a JSON object carries PVWA's error members (read up to a risk page's
/// `entities`, which only a result has).
fn is_error_body(answer: &Answer<'_>) -> bool {
    let members = ["ErrorCode", "errorCode", "ErrorMessage", "errorMessage"];
    answer
        .peek_members(members, &["entities"])
        .is_some_and(|found| found.iter().flatten().any(|v| !v.is_null()))
}

/// PTA-specific accessors on the shared [`incident_core::Error`].
pub trait PtaErrorExt {
    /// The PVWA error code of an API error, when its body had one.
    fn pta_code(&self) -> Option<PtaErrorCode>;
    /// The PVWA error body of an API error, when the body was a JSON object.
    fn pta_body(&self) -> Option<PtaErrorBody>;
}

impl PtaErrorExt for Error {
    fn pta_code(&self) -> Option<PtaErrorCode> {
        self.vendor_code().map(PtaErrorCode::from_code)
    }

    fn pta_body(&self) -> Option<PtaErrorBody> {
        self.api_error()?
            .body
            .as_ref()
            .and_then(PtaErrorBody::from_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::error::code_in_text;
    use incident_core::{ApiRequest, ErrorKind};
    use reqwest::header::CONTENT_TYPE;

    fn parse(body: &str) -> VendorError {
        PtaErrorParser.parse(StatusCode::FORBIDDEN, &HeaderMap::new(), body.as_bytes())
    }

    #[test]
    fn codes_from_the_body_or_the_message() {
        let e = parse(
            r#"{"ErrorCode":"PASWS013E","ErrorMessage":"Failed to logon. Reason: Authentication failure for User XXX"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("PASWS013E"));
        assert_eq!(e.kind, Some(ErrorKind::Unauthorized));
        assert!(e.message.unwrap().contains("Authentication failure"));
        let e =
            parse(r#"{"ErrorMessage":"ITATS955E You are unauthorized to perform this action."}"#);
        assert_eq!(e.code.as_deref(), Some("ITATS955E"));
        assert_eq!(e.kind, None);
        let e = parse(r#"{"Message":"No HTTP resource was found that matches the request URI."}"#);
        assert_eq!(e.code, None);
        assert!(e.message.unwrap().starts_with("No HTTP resource"));
        assert!(e.body.is_some());
        let e = parse("<html><title>Runtime Error</title></html>");
        assert_eq!(e, VendorError::new());
        let e = parse(r#"["not", "an", "object"]"#);
        assert_eq!(e.code, None);
    }

    #[test]
    fn codes_in_text() {
        assert_eq!(code_in_text("ITATS955E You are"), Some("ITATS955E"));
        assert_eq!(code_in_text("CAWS00001E: failed"), Some("CAWS00001E"));
        for no in [
            "You are unauthorized",
            "PASWS013",
            "AB123E",
            "",
            "PASWS013EX y",
            "é",
        ] {
            assert_eq!(code_in_text(no), None, "{no}");
        }
    }

    #[test]
    fn typed_codes_round_trip() {
        for code in [
            PtaErrorCode::LogonFailed,
            PtaErrorCode::NoSessionToken,
            PtaErrorCode::Unauthorized,
            PtaErrorCode::WebService,
            PtaErrorCode::SessionEnded,
            PtaErrorCode::ActionNotAllowed,
            PtaErrorCode::InvalidParameters,
            PtaErrorCode::VaultLogonFailed,
            PtaErrorCode::Other("PASWS999E".into()),
        ] {
            assert_eq!(PtaErrorCode::from_code(code.as_str()), code);
        }
        let e = parse(
            r#"{"ErrorCode":"PASWS041E","ErrorMessage":"You are not authorized to perform this action."}"#,
        );
        assert_eq!(e.code.as_deref(), Some("PASWS041E"));
        assert_eq!(e.kind, Some(ErrorKind::Forbidden));
        assert_eq!(
            parse(r#"{"ErrorCode":"PASWS006E","ErrorMessage":"x"}"#).kind,
            Some(ErrorKind::Unauthorized)
        );
        assert_eq!(
            parse(r#"{"ErrorMessage":"ITATS528E Authentication failure for user [u] from station: s (code: -77)."}"#).kind,
            Some(ErrorKind::Unauthorized)
        );
        assert_eq!(
            parse(
                r#"{"ErrorCode":"PASWS167E","ErrorMessage":"There are some invalid parameters"}"#
            )
            .kind,
            Some(ErrorKind::InvalidRequest)
        );
        assert_eq!(
            PtaErrorCode::from_code("pasws013e"),
            PtaErrorCode::LogonFailed
        );
    }

    #[test]
    fn error_bodies_inside_a_2xx_are_refused() {
        let req = ApiRequest::patch(incident_core::ApiPath::new("/x"));
        let headers = HeaderMap::new();
        let inspect = |body: &str| {
            PtaHook.inspect(&Answer::new(
                &req,
                StatusCode::OK,
                &headers,
                body.as_bytes(),
            ))
        };
        let ResponseAction::Fail(v) = inspect(
            r#"{"ErrorCode":"PASWS013E","ErrorMessage":"Failed to logon. Reason: Authentication failure"}"#,
        ) else {
            panic!("PVWA's error body inside a 200")
        };
        assert_eq!(v.code.as_deref(), Some("PASWS013E"));
        assert_eq!(v.kind, Some(ErrorKind::Unauthorized));
        assert!(v.body.is_some());
        for refusal in [
            r#"{"errorMessage":"ITATS955E You are unauthorized"}"#,
            r#"{"ErrorCode":"PASWS013E","entities":[]}"#,
        ] {
            assert!(
                matches!(inspect(refusal), ResponseAction::Fail(_)),
                "{refusal}"
            );
        }
        for answer in [
            // A risk page is read no further than its entities.
            r#"{"entities":[{"id":"r1"}],"ErrorCode":"PASWS013E"}"#,
            r#"{"id":"5f0b","mStatus":"CLOSED","additionalData":{"ErrorCode":"x"}}"#,
            r#"{"ErrorCode":null,"ErrorMessage":null,"id":"5f0b"}"#,
            r#"[{"ErrorCode":"PASWS013E"}]"#,
            r#""token""#,
            "",
            "{\"ErrorCode\": ",
        ] {
            assert!(
                matches!(inspect(answer), ResponseAction::Default),
                "{answer}"
            );
        }
    }

    #[test]
    fn html_success_answers_are_refused() {
        let req = ApiRequest::get(incident_core::ApiPath::new("/x"));
        let mut html = HeaderMap::new();
        html.insert(CONTENT_TYPE, "text/html; charset=utf-8".parse().unwrap());
        let page = b"<!DOCTYPE html><html>Guru</html>";
        let none = HeaderMap::new();
        let inspect = |status, headers, body: &[u8]| {
            PtaHook.inspect(&Answer::new(&req, status, headers, body))
        };
        assert!(matches!(
            inspect(StatusCode::OK, &html, page),
            ResponseAction::Fail(_)
        ));
        assert!(matches!(
            inspect(StatusCode::OK, &none, b"  <html>"),
            ResponseAction::Fail(_)
        ));
        assert!(matches!(
            inspect(StatusCode::OK, &none, b"[]"),
            ResponseAction::Default
        ));
        assert!(matches!(
            inspect(StatusCode::NOT_FOUND, &html, page),
            ResponseAction::Default
        ));
    }
}
