//! QRadar's error body and its unique error codes.
//!
//! Every QRadar error answer carries a JSON body with a numeric `code` that is unique per
//! endpoint (`1002` = not found on the offense endpoints, `85101001` on assignable actors).
//! [`QRadarErrorParser`] reads it into the shared [`incident_core::Error`], and
//! [`QRadarErrorExt`] gives the typed code and body back.
//!
//! A refusal is an error body, whatever the status: the same body with a 2xx (an update,
//! a note or a closing reason the appliance did not make, answered 200 or 201 by a proxy
//! or an older version) is an [`Error::Api`] too, through [`QRadarHook`], rather than a
//! record whose fields are all missing. A 2xx body counts as an error body when it is an
//! object with an `http_response` object, or with both a `code` and a `message`: members
//! no offense, note, closing reason or offense type has.
//!
//! ```
//! use qradar_client::{QRadarErrorCode, QRadarErrorExt};
//!
//! fn explain(err: &incident_core::Error) -> &'static str {
//!     match err.qradar_code() {
//!         Some(QRadarErrorCode::OffenseState) => "the offense cannot change in its state",
//!         Some(QRadarErrorCode::NotFound) => "no such offense",
//!         _ => "something else",
//!     }
//! }
//! # let _ = explain;
//! ```

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;

use incident_core::transport::{Answer, ErrorParser, ResponseAction, ResponseHook};
use incident_core::{Error, ErrorKind, VendorError};

use crate::model::error::lenient_u16;
pub use crate::model::error::{HttpResponse, QRadarErrorBody, QRadarErrorCode};

/// Reads QRadar error bodies for the shared transport.
///
/// Sets the vendor code (the decimal `code`), the message
/// ([`QRadarErrorBody::display_message`]), the kind the code implies and the JSON body. A
/// body that is not JSON (an HTML page from a proxy, an empty body) gives an empty
/// [`VendorError`], and the transport falls back to the HTTP status and a snippet. The
/// code never overrides 429 or 503, which mean "try later" whatever the body says.
#[derive(Debug, Clone, Copy, Default)]
pub struct QRadarErrorParser;

impl ErrorParser for QRadarErrorParser {
    fn parse(&self, _status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> VendorError {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
            return VendorError::new();
        };
        let parsed = QRadarErrorBody::from_value(&value).unwrap_or_default();
        let mut out = VendorError::new().with_body(value);
        out.code = parsed.code.map(|code| code.to_string());
        // (The transport keeps 429 and 503 as they are whatever the kind says.)
        out.kind = parsed.error_code().and_then(QRadarErrorCode::kind);
        out.message = parsed.display_message();
        out
    }
}

/// Refuses a QRadar error body that arrives with a 2xx status.
///
/// Offenses, notes and closing reasons are modelled with every field optional and their
/// unknown fields kept (`fields=` can drop any of them, even `id`), so an error body would
/// decode as a record with nothing but extra fields: an update or a note the appliance
/// refused would look applied. QRadar documents one error shape for every endpoint, and no
/// record has its members: an object with an `http_response` object, or with both a `code`
/// and a `message`, is an error whatever the status. It becomes an [`Error::Api`] with the
/// status as sent, the unique code, the message, and the kind the code means, or else the
/// kind of the status in `http_response.code`. Arrays (lists) and empty bodies pass.
#[derive(Debug, Clone, Copy, Default)]
pub struct QRadarHook;

impl ResponseHook for QRadarHook {
    fn inspect(&self, answer: &Answer<'_>) -> ResponseAction {
        if !answer.status.is_success() || answer.first_byte() != Some(b'{') {
            return ResponseAction::Default;
        }
        #[derive(Deserialize)]
        struct Peek {
            http_response: Option<serde_json::Value>,
            code: Option<serde_json::Value>,
            message: Option<serde_json::Value>,
        }
        let Ok(peek) = serde_json::from_slice::<Peek>(answer.body) else {
            // Not an object of that shape: the operation's decoding reports it.
            return ResponseAction::Default;
        };
        let present = |v: &Option<serde_json::Value>| v.as_ref().is_some_and(|v| !v.is_null());
        let http_response = peek.http_response.filter(serde_json::Value::is_object);
        if http_response.is_none() && !(present(&peek.code) && present(&peek.message)) {
            return ResponseAction::Default;
        }
        let mut error = QRadarErrorParser.parse_answer(answer);
        if error.kind.is_none()
            && let Some(kind) = http_response
                .and_then(|h| lenient_u16(&h["code"]).ok().flatten())
                .and_then(|c| StatusCode::from_u16(c).ok())
                .filter(|c| c.is_client_error() || c.is_server_error())
                .map(ErrorKind::from_status)
        {
            error = error.with_kind(kind);
        }
        ResponseAction::Fail(error)
    }
}

/// QRadar-specific accessors on the shared [`incident_core::Error`].
pub trait QRadarErrorExt {
    /// The QRadar error code of an API error, when its body had one.
    fn qradar_code(&self) -> Option<QRadarErrorCode>;
    /// The QRadar error body of an API error, when the body was a JSON object.
    fn qradar_body(&self) -> Option<QRadarErrorBody>;
}

impl QRadarErrorExt for Error {
    fn qradar_code(&self) -> Option<QRadarErrorCode> {
        self.vendor_code()
            .and_then(|c| c.trim().parse::<i64>().ok())
            .map(QRadarErrorCode::from_code)
    }

    fn qradar_body(&self) -> Option<QRadarErrorBody> {
        self.api_error()?
            .body
            .as_ref()
            .and_then(QRadarErrorBody::from_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "message": "test_set does not exist",
      "details": {},
      "description": "The reference set does not exist.",
      "code": 1002,
      "http_response": { "message": "We could not find the resource you requested.", "code": 404 }
    }"#;

    fn parse(status: u16, body: &str) -> VendorError {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        QRadarErrorParser.parse(status, &HeaderMap::new(), body.as_bytes())
    }

    #[test]
    fn documented_sample_body() {
        let body: QRadarErrorBody = serde_json::from_str(SAMPLE).unwrap();
        assert_eq!(body.code, Some(1002));
        assert_eq!(body.message.as_deref(), Some("test_set does not exist"));
        assert_eq!(
            body.description.as_deref(),
            Some("The reference set does not exist.")
        );
        assert_eq!(body.details, Some(serde_json::json!({})));
        let http = body.http_response.clone().unwrap();
        assert_eq!(http.code, Some(404));
        assert_eq!(
            http.message.as_deref(),
            Some("We could not find the resource you requested.")
        );
        assert_eq!(body.error_code(), Some(QRadarErrorCode::NotFound));

        let v = parse(404, SAMPLE);
        assert_eq!(v.code.as_deref(), Some("1002"));
        assert_eq!(
            v.message.as_deref(),
            Some("test_set does not exist — The reference set does not exist.")
        );
        assert_eq!(v.kind, Some(ErrorKind::NotFound));
        assert_eq!(
            v.body.as_ref().and_then(|b| b.get("code")),
            Some(&serde_json::json!(1002))
        );
    }

    #[test]
    fn code_as_string_and_extra_fields() {
        let text = r#"{"code": "1008", "message": "Offense is closed", "description": "Offense is closed", "severity": "ERROR", "contexts": []}"#;
        let body: QRadarErrorBody = serde_json::from_str(text).unwrap();
        assert_eq!(body.code, Some(1008));
        let v = parse(409, text);
        assert_eq!(v.code.as_deref(), Some("1008"));
        // Description equal to the message is not repeated.
        assert_eq!(v.message.as_deref(), Some("Offense is closed"));
        assert_eq!(v.kind, Some(ErrorKind::Conflict));
    }

    #[test]
    fn missing_fields() {
        let v = parse(500, "{}");
        assert_eq!(v.code, None);
        assert_eq!(v.message, None);
        assert_eq!(v.kind, None);
        assert_eq!(v.body, Some(serde_json::json!({})));

        let v = parse(422, r#"{"description": "Bad filter", "code": 1010}"#);
        assert_eq!(v.message.as_deref(), Some("Bad filter"));
        assert_eq!(v.kind, Some(ErrorKind::InvalidRequest));

        let v = parse(
            403,
            r#"{"message": "", "http_response": {"code": 403, "message": "Forbidden"}}"#,
        );
        assert_eq!(v.message.as_deref(), Some("Forbidden"));
        assert_eq!(v.code, None);
    }

    #[test]
    fn odd_field_types_keep_the_rest() {
        let text = r#"{"code": "E42", "message": "boom", "description": 7,
                       "http_response": {"code": "not a status", "message": "Server Error"}}"#;
        assert!(serde_json::from_str::<QRadarErrorBody>(text).is_err());
        let v = parse(500, text);
        assert_eq!(v.code, None);
        assert_eq!(v.message.as_deref(), Some("boom"));
        assert_eq!(v.kind, None);
        assert!(v.body.is_some());
        let body = QRadarErrorBody::from_value(v.body.as_ref().unwrap()).unwrap();
        assert_eq!(body.message.as_deref(), Some("boom"));
        assert_eq!(body.description, None);
        let http = body.http_response.unwrap();
        assert_eq!(http.code, None);
        assert_eq!(http.message.as_deref(), Some("Server Error"));

        let v = parse(
            404,
            r#"{"code": 85101001.0, "http_response": {"code": "404"}}"#,
        );
        assert_eq!(v.code.as_deref(), Some("85101001"));
        assert_eq!(v.kind, Some(ErrorKind::NotFound));
    }

    #[test]
    fn html_empty_and_non_object_bodies() {
        for body in [
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "",
            "   ",
            "{\"code\": 10",
            "\u{0}\u{1}",
        ] {
            assert_eq!(parse(502, body), VendorError::new(), "{body:?}");
        }
        let v = parse(500, r#"["not", "an", "object"]"#);
        assert_eq!(v.code, None);
        assert_eq!(v.message, None);
        assert_eq!(v.body, Some(serde_json::json!(["not", "an", "object"])));
        let v = parse(500, "null");
        assert_eq!(v.code, None);
    }

    #[test]
    fn the_hook_refuses_error_bodies_inside_a_2xx_only() {
        let request =
            incident_core::ApiRequest::post(incident_core::ApiPath::new("/siem/offenses/7"));
        let inspect = |status: u16, body: &str| {
            QRadarHook.inspect(&Answer::new(
                &request,
                StatusCode::from_u16(status).unwrap(),
                &HeaderMap::new(),
                body.as_bytes(),
            ))
        };
        let ResponseAction::Fail(v) = inspect(200, SAMPLE) else {
            panic!("the documented error body inside a 200")
        };
        assert_eq!(v.code.as_deref(), Some("1002"));
        assert_eq!(v.kind, Some(ErrorKind::NotFound));
        assert!(v.body.is_some());
        for record in [
            r#"{"id": 7, "description": "Brute force\n", "status": "OPEN"}"#,
            r#"{"id": 205, "note_text": "code: 1002", "username": "admin"}"#,
            r#"{"message": "a field named so", "code": null}"#,
            r#"[{"code": 1, "message": "x"}]"#,
            "",
            "{}",
            "{\"code\": 10",
        ] {
            assert!(
                matches!(inspect(200, record), ResponseAction::Default),
                "{record}"
            );
        }
        // An error status is the parser's business.
        assert!(matches!(inspect(404, SAMPLE), ResponseAction::Default));
    }

    #[test]
    fn code_mapping_round_trips() {
        for (code, kind) in [
            (1002, Some(ErrorKind::NotFound)),
            (1004, Some(ErrorKind::Conflict)),
            (1005, Some(ErrorKind::InvalidRequest)),
            (1008, Some(ErrorKind::Conflict)),
            (1009, Some(ErrorKind::Forbidden)),
            (1010, Some(ErrorKind::InvalidRequest)),
            (1012, Some(ErrorKind::InvalidRequest)),
            (1020, Some(ErrorKind::Server)),
            (1030, Some(ErrorKind::InvalidRequest)),
            (85101001, Some(ErrorKind::NotFound)),
            (85101030, Some(ErrorKind::InvalidRequest)),
            (4242, None),
            (-1, None),
        ] {
            let typed = QRadarErrorCode::from_code(code);
            assert_eq!(typed.code(), code);
            assert_eq!(typed.kind(), kind, "{code}");
        }
        assert_eq!(
            QRadarErrorCode::from_code(1008),
            QRadarErrorCode::OffenseState
        );
        assert_eq!(QRadarErrorCode::from_code(7), QRadarErrorCode::Other(7));
    }

    #[tokio::test]
    async fn extension_trait_through_the_transport() {
        use httpmock::{Method::POST, MockServer};
        use incident_core::{ApiPath, ApiRequest, RetryPolicy, TransportBuilder};

        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path("/api/siem/offenses/7");
                then.status(409)
                    .header("content-type", "application/json")
                    .body(
                        r#"{"code": 1008, "message": "Offense 7 is inactive",
                            "description": "Request cannot be completed due to the state of the offense.",
                            "details": {}, "http_response": {"code": 409, "message": "Conflict"}}"#,
                    );
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(POST).path("/api/siem/offenses/8");
                then.status(502).body("<html>Bad Gateway</html>");
            })
            .await;
        let transport = TransportBuilder::new("QRadar", server.url("/api"))
            .retry_policy(RetryPolicy::disabled())
            .error_parser(QRadarErrorParser)
            .build()
            .unwrap();
        let path = |id: u64| ApiPath::new("/siem/offenses").segment(id).unwrap();

        let err = transport
            .execute(ApiRequest::post(path(7)))
            .await
            .unwrap_err();
        assert_eq!(err.qradar_code(), Some(QRadarErrorCode::OffenseState));
        assert_eq!(err.kind(), Some(ErrorKind::Conflict));
        assert_eq!(err.vendor_code(), Some("1008"));
        assert_eq!(
            err.vendor_message(),
            Some(
                "Offense 7 is inactive — Request cannot be completed due to the state of the offense."
            )
        );
        let body = err.qradar_body().unwrap();
        assert_eq!(body.code, Some(1008));
        assert_eq!(body.http_response.and_then(|h| h.code), Some(409));

        let err = transport
            .execute(ApiRequest::post(path(8)))
            .await
            .unwrap_err();
        assert_eq!(err.qradar_code(), None);
        assert_eq!(err.qradar_body(), None);
        assert_eq!(err.kind(), Some(ErrorKind::Server));
    }

    #[test]
    fn extension_trait_on_non_api_errors() {
        let err = Error::invalid_input("filter", "bad");
        assert_eq!(err.qradar_code(), None);
        assert_eq!(err.qradar_body(), None);
    }
}
