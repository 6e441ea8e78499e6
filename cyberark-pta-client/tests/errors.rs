//! PVWA's documented error statuses (200, 400, 401, 403, 404, 409, 500 of the PAS "REST
//! APIs" page, plus 429 and 503), table-driven: after a successful logon, each answer on the
//! wire and the typed error it gives (status, kind, PVWA code, message, snippet of an IIS
//! page, request id, attempts), for an update and for the listing.

use std::time::Duration;

use cyberark_pta_client::{PtaClient, PtaErrorCode, PtaErrorExt};
use httpmock::MockServer;
use incident_core::{Error, ErrorKind, RetryPolicy};
use incident_testkit::ErrorCase;
use serde_json::json;

const TOKEN: &str = "tok-errors-5b2e0c1a";

/// Three attempts, no real waiting: a retried answer ends after exactly three requests.
fn client(url: &str) -> PtaClient {
    PtaClient::builder(url)
        .credentials("soc-bot", "errors-table-password")
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(2)),
        )
        .build()
        .expect("a client")
}

/// What the server answers.
struct Answer {
    status: u16,
    content_type: &'static str,
    body: String,
    headers: Vec<(&'static str, &'static str)>,
}

/// A PVWA error body and the case it must give.
fn pvwa(status: u16, code: &str, message: &str) -> (Answer, ErrorCase) {
    let body = json!({"ErrorCode": code, "ErrorMessage": message});
    (
        Answer {
            status,
            content_type: "application/json",
            body: body.to_string(),
            headers: Vec::new(),
        },
        ErrorCase::json(status, &body)
            .named(format!("{status}/{code}"))
            .vendor_code(code)
            .message_contains(message),
    )
}

fn html(status: u16, page: &str) -> (Answer, ErrorCase) {
    (
        Answer {
            status,
            content_type: "text/html",
            body: page.to_owned(),
            headers: Vec::new(),
        },
        ErrorCase::html(status, page),
    )
}

/// Adds `Retry-After: 0`, expected to be honoured.
fn retry_after_0((mut answer, case): (Answer, ErrorCase)) -> (Answer, ErrorCase) {
    answer.headers.push(("retry-after", "0"));
    (answer, case.retry_after("0"))
}

const IIS_500: &str = "<!DOCTYPE html><html><head><title>Runtime Error</title></head><body>\
    <h1>Server Error in '/PasswordVault' Application.</h1><h2><i>Runtime Error</i></h2></body></html>";

fn table() -> Vec<(Answer, ErrorCase)> {
    let asp_net = json!({"Message": "No HTTP resource was found that matches the request URI."});
    let (mut gateway, gateway_case) =
        html(502, "<html><body><h1>502 Bad Gateway</h1></body></html>");
    gateway.headers.push(("x-request-id", "edge-7c1"));
    let with = |(a, c): (Answer, ErrorCase), f: fn(ErrorCase) -> ErrorCase| (a, f(c));
    vec![
        pvwa(400, "PASWS167E", "There are some invalid parameters"),
        // The session is refused twice: after the first 401 the client logs on again and
        // replays once.
        with(
            pvwa(
                401,
                "ITATS955E",
                "You are unauthorized to perform this action",
            ),
            |c| c.attempts(2),
        ),
        with(
            pvwa(
                403,
                "CAIWS001E",
                "Couldn't retrieve session token from request header.",
            ),
            |c| c.kind(ErrorKind::Unauthorized),
        ),
        pvwa(
            403,
            "CAWS00001E",
            "The user is not allowed to perform this action",
        ),
        pvwa(404, "CAWS00001E", "The security event was not found"),
        pvwa(
            409,
            "CAWS00001E",
            "The security event was changed by another user",
        ),
        with(
            retry_after_0(pvwa(429, "CAWS00001E", "Too many requests")),
            |c| c.attempts(3),
        ),
        // PATCH of a status is idempotent: a 500 is retried.
        with(pvwa(500, "CAWS00001E", "Unexpected error"), |c| {
            c.attempts(3)
        }),
        with(
            retry_after_0(pvwa(503, "CAWS00001E", "The service is unavailable")),
            |c| c.attempts(3),
        ),
        with(html(500, IIS_500), |c| c.attempts(3)),
        (
            Answer {
                status: 404,
                content_type: "application/json",
                body: asp_net.to_string(),
                headers: Vec::new(),
            },
            ErrorCase::json(404, &asp_net)
                .named("404 ASP.NET")
                .no_vendor_code()
                .message_contains("No HTTP resource"),
        ),
        (gateway, gateway_case.request_id("edge-7c1").attempts(3)),
    ]
}

/// Runs `op` against each case: a fresh server that logs the client on, then answers every
/// other request with the case's answer.
async fn run<T: std::fmt::Debug>(
    op: impl AsyncFn(&PtaClient) -> incident_core::Result<T>,
) -> Vec<Error> {
    let table = table();
    let mut errors = Vec::new();
    let mut failures = Vec::new();
    for (answer, case) in &table {
        let server = MockServer::start_async().await;
        let logon = server
            .mock_async(|when, then| {
                when.method("POST")
                    .path("/PasswordVault/API/auth/CyberArk/Logon");
                incident_testkit::json_reply(then, 200, &json!(TOKEN));
            })
            .await;
        let rest = server
            .mock_async(|when, then| {
                when.header("authorization", TOKEN);
                let mut then = then
                    .status(answer.status)
                    .header("content-type", answer.content_type)
                    .body(answer.body.as_str());
                for (name, value) in &answer.headers {
                    then = then.header(*name, *value);
                }
                let _ = then;
            })
            .await;
        let client = client(&server.base_url());
        match op(&client).await {
            Ok(v) => failures.push(format!("{}: expected an error, got {v:?}", case.name())),
            Err(err) => {
                let mut wrong = case.mismatches(&err);
                let calls = rest.calls_async().await;
                if calls != err.attempts() as usize {
                    wrong.push(format!(
                        "the server saw {calls} calls, the error says {}",
                        err.attempts()
                    ));
                }
                let logons = logon.calls_async().await;
                let want_logons = if answer.status == 401 { 2 } else { 1 };
                if logons != want_logons {
                    wrong.push(format!("{logons} logons, expected {want_logons}"));
                }
                if !wrong.is_empty() {
                    failures.push(format!("{}: {}\n    {err}", case.name(), wrong.join("; ")));
                }
                errors.push(err);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    errors
}

#[tokio::test]
async fn every_documented_status_of_a_status_update_is_typed() {
    let errors =
        run(async |c: &PtaClient| c.events().close("5f0ea000e4b0ba4baf5d1910").await).await;
    let typed: Vec<Option<PtaErrorCode>> = errors.iter().map(PtaErrorExt::pta_code).collect();
    assert_eq!(typed[0], Some(PtaErrorCode::InvalidParameters));
    assert_eq!(typed[1], Some(PtaErrorCode::Unauthorized));
    assert_eq!(typed[2], Some(PtaErrorCode::NoSessionToken));
    assert_eq!(typed[4], Some(PtaErrorCode::WebService));
    assert_eq!(typed[9], None, "an IIS page has no code");
    let body = errors[4].pta_body().expect("a typed body");
    assert_eq!(
        body.error_message.as_deref(),
        Some("The security event was not found")
    );
    assert!(errors[4].is_not_found());
    assert!(errors[6].is_retryable() && errors[8].is_retryable());
    assert!(
        errors[9]
            .api_error()
            .unwrap()
            .snippet
            .as_deref()
            .unwrap()
            .contains("Server Error in '/PasswordVault'")
    );
    assert_eq!(
        errors[4].api_error().map(|e| e.path.as_str()),
        Some("/PasswordVault/API/pta/API/Events/5f0ea000e4b0ba4baf5d1910")
    );
}

#[tokio::test]
async fn the_listing_gives_the_same_typed_errors() {
    let errors = run(async |c: &PtaClient| c.events().list().await).await;
    assert_eq!(errors.len(), table().len());
    assert_eq!(errors[2].kind(), Some(ErrorKind::Unauthorized));
    assert_eq!(
        errors[10].vendor_message(),
        Some("No HTTP resource was found that matches the request URI.")
    );
}
