//! Table-driven tests of error statuses.
//!
//! One operation runs against each answer of a table, each time on a fresh mock server
//! with a fresh client, and the typed [`Error`] it gives is checked: HTTP status, kind,
//! vendor code, vendor message, snippet of a non-JSON body, request id, and how many
//! attempts were made (also counted on the server).
//!
//! ```no_run
//! # async fn f() {
//! use incident_core::ErrorKind;
//! use incident_testkit::ErrorCase;
//! # #[derive(Debug)] struct Client(String);
//! # impl Client { async fn get(&self) -> incident_core::Result<()> { Ok(()) } }
//! let cases = [
//!     ErrorCase::json(404, &serde_json::json!({"code": 1002, "message": "no offense 7"}))
//!         .kind(ErrorKind::NotFound)
//!         .vendor_code("1002"),
//!     ErrorCase::html(502, "<html><h1>Bad Gateway</h1></html>"),
//!     ErrorCase::json(429, &serde_json::json!({}))
//!         .retry_after("0")
//!         .attempts(3),
//! ];
//! let errors = incident_testkit::assert_error_cases(
//!     |url| Client(url.to_owned()),
//!     async |c: &Client| c.get().await,
//!     &cases,
//! )
//! .await;
//! assert_eq!(errors.len(), 3);
//! # }
//! ```

use std::fmt;

use httpmock::MockServer;
use incident_core::error::SNIPPET_LIMIT;
use incident_core::reqwest::StatusCode;
use incident_core::{Error, ErrorKind};

/// The header a case's request id is sent in (see [`ErrorCase::request_id`]).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// One answer of an error table and what the client must make of it.
#[derive(Debug, Clone)]
#[must_use = "a case does nothing until it is checked"]
pub struct ErrorCase {
    name: Option<String>,
    status: u16,
    content_type: String,
    body: String,
    headers: Vec<(String, String)>,
    kind: Option<ErrorKind>,
    vendor_code: Option<Option<String>>,
    message_contains: Option<String>,
    snippet: Option<Option<String>>,
    request_id: Option<String>,
    attempts: u32,
}

impl ErrorCase {
    fn new(status: u16, content_type: &str, body: String, snippet: Option<String>) -> Self {
        ErrorCase {
            name: None,
            status,
            content_type: content_type.to_owned(),
            body,
            headers: Vec::new(),
            kind: None,
            vendor_code: None,
            message_contains: None,
            snippet: Some(snippet),
            request_id: None,
            attempts: 1,
        }
    }

    /// `status` with a JSON body. Expected: no snippet; the vendor code is checked only
    /// when [`vendor_code`](Self::vendor_code) or [`no_vendor_code`](Self::no_vendor_code)
    /// says what it must be.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        ErrorCase::new(status, "application/json", body.to_string(), None)
    }

    /// `status` with an HTML page. Expected: no vendor code, and the page as snippet
    /// (its first [`SNIPPET_LIMIT`] characters).
    pub fn html(status: u16, page: &str) -> Self {
        ErrorCase::new(
            status,
            "text/html",
            page.to_owned(),
            Some(expected_snippet(page)),
        )
        .no_vendor_code()
    }

    /// `status` with a `text/plain` body. Expected as for [`html`](Self::html).
    pub fn text(status: u16, body: &str) -> Self {
        ErrorCase::new(
            status,
            "text/plain",
            body.to_owned(),
            Some(expected_snippet(body)),
        )
        .no_vendor_code()
    }

    /// Names the case in failure messages (default: the status and content type).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Answers with `Retry-After: value` (use `"0"` to keep the test fast).
    pub fn retry_after(self, value: &str) -> Self {
        self.header("retry-after", value)
    }

    /// Sends `id` in [`REQUEST_ID_HEADER`] and expects it in [`Error::request_id`].
    pub fn request_id(mut self, id: &str) -> Self {
        self.request_id = Some(id.to_owned());
        self.header(REQUEST_ID_HEADER, id)
    }

    /// The kind the error must have (default: [`ErrorKind::from_status`]).
    pub fn kind(mut self, kind: ErrorKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// The vendor code the error must carry.
    pub fn vendor_code(mut self, code: &str) -> Self {
        self.vendor_code = Some(Some(code.to_owned()));
        self
    }

    /// The error must carry no vendor code.
    pub fn no_vendor_code(mut self) -> Self {
        self.vendor_code = Some(None);
        self
    }

    /// The vendor message must contain `text`.
    pub fn message_contains(mut self, text: &str) -> Self {
        self.message_contains = Some(text.to_owned());
        self
    }

    /// How many attempts the client must make (default 1); the server must see as many
    /// requests. A retried 429 or 503 gives up after the retry policy's attempts.
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// The name used in failure messages.
    pub fn name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{} {}", self.status, self.content_type))
    }

    fn expected_kind(&self) -> ErrorKind {
        self.kind.unwrap_or_else(|| {
            ErrorKind::from_status(StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK))
        })
    }

    /// Every way `err` differs from this case's expectations (empty when it matches).
    pub fn mismatches(&self, err: &Error) -> Vec<String> {
        let mut out = Vec::new();
        let Some(api) = err.api_error() else {
            return vec![format!("expected Error::Api, got {err:?}")];
        };
        let mut check = |what: &str, ok: bool, detail: String| {
            if !ok {
                out.push(format!("{what}: {detail}"));
            }
        };
        check(
            "status",
            api.status.as_u16() == self.status && err.status() == Some(api.status),
            format!("expected {}, got {}", self.status, api.status),
        );
        let kind = self.expected_kind();
        check(
            "kind",
            err.kind() == Some(kind),
            format!("expected {kind:?}, got {:?}", err.kind()),
        );
        check(
            "is_not_found",
            err.is_not_found() == (kind == ErrorKind::NotFound),
            format!("{} for kind {kind:?}", err.is_not_found()),
        );
        if let Some(code) = &self.vendor_code {
            check(
                "vendor code",
                err.vendor_code() == code.as_deref(),
                format!("expected {code:?}, got {:?}", err.vendor_code()),
            );
        }
        if let Some(text) = &self.message_contains {
            check(
                "vendor message",
                err.vendor_message()
                    .is_some_and(|m| m.contains(text.as_str())),
                format!(
                    "expected one containing {text:?}, got {:?}",
                    err.vendor_message()
                ),
            );
        }
        if let Some(snippet) = &self.snippet {
            check(
                "snippet",
                api.snippet == *snippet,
                format!("expected {snippet:?}, got {:?}", api.snippet),
            );
        }
        if let Some(id) = &self.request_id {
            check(
                "request id",
                err.request_id() == Some(id.as_str()),
                format!("expected {id:?}, got {:?}", err.request_id()),
            );
        }
        check(
            "attempts",
            err.attempts() == self.attempts,
            format!("expected {}, got {}", self.attempts, err.attempts()),
        );
        let text = err.to_string();
        check(
            "Display",
            text.contains(&self.status.to_string()),
            format!("does not name the status: {text}"),
        );
        out
    }
}

fn expected_snippet(body: &str) -> String {
    let mut s: String = body
        .chars()
        .take(SNIPPET_LIMIT)
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect();
    if body.chars().count() > SNIPPET_LIMIT {
        s.push('…');
    }
    s
}

/// Runs `op` once per case, each time against a fresh mock server that answers every
/// request with the case's answer and a client built by `build` from the server's base
/// URL, and checks the error against the case. Returns the errors in case order, for
/// vendor-specific checks (typed error bodies and codes).
///
/// # Panics
///
/// Listing every case that did not match (an operation that succeeded included); also for
/// an empty table.
pub async fn assert_error_cases<C, T>(
    build: impl Fn(&str) -> C,
    op: impl AsyncFn(&C) -> incident_core::Result<T>,
    cases: &[ErrorCase],
) -> Vec<Error>
where
    T: fmt::Debug,
{
    assert!(!cases.is_empty(), "an error table needs at least one case");
    let mut errors = Vec::with_capacity(cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.any_request();
                let mut then = then
                    .status(case.status)
                    .header("content-type", case.content_type.as_str())
                    .body(case.body.as_str());
                for (name, value) in &case.headers {
                    then = then.header(name.as_str(), value.as_str());
                }
                let _ = then;
            })
            .await;
        let client = build(&server.base_url());
        match op(&client).await {
            Ok(value) => failures.push(format!(
                "case {:?}: expected an error, got Ok({value:?})",
                case.name()
            )),
            Err(err) => {
                let mut wrong = case.mismatches(&err);
                let calls = mock.calls_async().await;
                if calls != case.attempts as usize {
                    wrong.push(format!(
                        "requests seen by the server: expected {}, got {calls}",
                        case.attempts
                    ));
                }
                if !wrong.is_empty() {
                    failures.push(format!(
                        "case {:?}: {}\n    error: {err}",
                        case.name(),
                        wrong.join("; ")
                    ));
                }
                errors.push(err);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} error case(s) failed:\n  {}",
        failures.len(),
        cases.len(),
        failures.join("\n  ")
    );
    errors
}
