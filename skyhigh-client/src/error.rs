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
//! | 2xx whose Error object (not `null`) is at `body.responseInfo.error` or `body.error` (the Spring envelope `{headers, body, statusCode, statusCodeValue}` around an IncidentResponse or a ResponseInfo), `responseInfo.error` (`{responseInfo}`) or `error` (a bare ResponseInfo, the documented answer of `modifyIncidents`) | [`Error::Api`] with status 200, the error's `code` as vendor code and the kind it means (403 [`ErrorKind::Forbidden`](incident_core::ErrorKind::Forbidden), 401 unauthorized, 404 not found, 409 conflict...); for `modifyIncidents`, see below |
//! | 2xx whose top-level `error` is text: Spring's default error body `{status, error, message, path}` or OAuth's `{error, error_description}` (text is never read as a Skyhigh Error object) | [`Error::Api`] with `status` as the code and `message`, `error_description` or `error` as the message |
//! | 2xx envelope whose `statusCodeValue` is 400 or more, without an Error | [`Error::Api`] with that code and `statusCode` as the message |
//! | `modifyIncidents`: an Error whose `details` each name (in `target`) an incident of the batch, and not every incident is named | a [`ModifyOutcome`](crate::ModifyOutcome): the named ones [`ChangeOutcome::Refused`](crate::ChangeOutcome::Refused) with their detail, the others applied |
//! | `modifyIncidents`: an Error with empty `details`, with a detail that names no incident of the batch, or whose details name every incident | the batch is refused: [`Error::Api`] with the first incident's detail when every one is named (its code, else the Error's), else the Error itself; [`SkyhighErrorExt::skyhigh_error`] gives the whole Error with every detail |
//! | 404 with a JSON body to `queryIncidents` ("No data was found for provided criteria"), or an envelope saying 404 to it | an empty page, not an error |
//! | 404 with another body (an HTML page: a wrong URL) | [`Error::Api`], [`ErrorKind::NotFound`](incident_core::ErrorKind::NotFound) |
//! | 400 / 401 / 403 / 409 / 429 / 500 / 503 | [`Error::Api`] of that kind; 429 and 503 retried (with `Retry-After`), 409 not retried |
//!
//! An error inside a 2xx is never retried: the service answered. An Error whose `code` is
//! not an error status (a 2xx "warning") still refuses the call, with [`ErrorKind::Other`](incident_core::ErrorKind::Other).
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

use incident_core::reqwest::StatusCode;
use incident_core::reqwest::header::HeaderMap;
use incident_core::transport::{
    Answer, ErrorParser, MAX_ERROR_BODY_PARSE, ResponseAction, ResponseHook,
};
use incident_core::{ApiRequest, Error, VendorError};
use serde::Deserialize;
use serde_json::Value;

use crate::model::SkyhighError;
pub(crate) use crate::model::error::{AnswerStatus, BatchVerdict, answer_status, modify_verdict};
pub use crate::model::error::{SkyhighErrorCode, find_error};

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
    fn inspect(&self, answer: &Answer<'_>) -> ResponseAction {
        let json = answer.first_byte() == Some(b'{');
        if answer.status == StatusCode::NOT_FOUND
            && is_operation(answer.request, "queryIncidents")
            && json
        {
            return ResponseAction::Accept;
        }
        if !answer.status.is_success() || !json {
            return ResponseAction::Default;
        }
        if is_operation(answer.request, "modifyIncidents") {
            return match modify_verdict(answer.body, &batch_ids(answer.request)) {
                Ok(BatchVerdict::Refused(error)) => fail(&error, answer.body),
                // Applied, partly applied (reported per incident), or not JSON (reported by
                // the operation's decoding, with the JSON path).
                _ => ResponseAction::Default,
            };
        }
        match answer_status(answer.body) {
            Ok(AnswerStatus {
                error: Some(error),
                from_envelope_status,
            }) => {
                // An envelope saying 404 to a query is "no data": an empty page.
                if from_envelope_status
                    && error.code == Some(404)
                    && is_operation(answer.request, "queryIncidents")
                {
                    ResponseAction::Default
                } else {
                    fail(&error, answer.body)
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
    use incident_core::ErrorKind;
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
