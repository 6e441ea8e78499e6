//! QRadar's documented error statuses, table-driven: each answer on the wire and the typed
//! error it gives (status, kind, unique code, message, snippet of an HTML page, request id,
//! attempts of a retried 429 or 503).

use std::time::Duration;

use incident_core::{ErrorKind, RetryPolicy};
use incident_testkit::ErrorCase;
use qradar_client::{QRadarClient, QRadarErrorCode, QRadarErrorExt};
use serde_json::{Value, json};

const TOKEN: &str = "sec-5b2e0c1a-errors-table";

/// Three attempts, no real waiting: a retried 429 or 503 ends after exactly three requests.
fn client(url: &str) -> QRadarClient {
    QRadarClient::builder(url)
        .sec_token(TOKEN)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(2)),
        )
        .build()
        .expect("a client")
}

/// QRadar's error body (API overview, "Error messages").
fn qradar_error(status: u16, code: i64, message: &str, description: &str) -> Value {
    json!({
        "http_response": { "code": status, "message": "QRadar's wording of the status" },
        "code": code,
        "message": message,
        "description": description,
        "details": {}
    })
}

fn case(status: u16, code: i64, message: &str, kind: ErrorKind) -> ErrorCase {
    ErrorCase::json(
        status,
        &qradar_error(status, code, message, "The documented description."),
    )
    .named(format!("{status}/{code}"))
    .kind(kind)
    .vendor_code(&code.to_string())
    .message_contains(message)
}

const BAD_GATEWAY: &str =
    "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";

/// The answers of `POST /siem/offenses/{id}` (not idempotent: a 500 is not retried, a 429
/// or 503 is, since the server did not act on it).
fn update_table() -> Vec<ErrorCase> {
    vec![
        case(400, 1005, "Bad request syntax", ErrorKind::InvalidRequest),
        ErrorCase::text(
            401,
            "You are unauthorized to access the requested resource.",
        )
        .kind(ErrorKind::Unauthorized),
        case(
            403,
            1009,
            "User does not have the required capability",
            ErrorKind::Forbidden,
        ),
        case(
            404,
            1002,
            "No offense was found for the provided offense_id",
            ErrorKind::NotFound,
        ),
        case(
            409,
            1008,
            "Offense 42 is closed and cannot be hidden",
            ErrorKind::Conflict,
        ),
        case(
            422,
            1005,
            "closing_reason_id 999 is not a valid closing reason",
            ErrorKind::InvalidRequest,
        ),
        case(429, 1020, "Too many requests", ErrorKind::RateLimited)
            .retry_after("0")
            .attempts(3),
        case(500, 1020, "Unexpected internal error", ErrorKind::Server),
        case(503, 1020, "Service is starting up", ErrorKind::Unavailable)
            .retry_after("0")
            .attempts(3),
        ErrorCase::html(502, BAD_GATEWAY)
            .kind(ErrorKind::Server)
            .request_id("edge-5c1"),
    ]
}

#[tokio::test]
async fn every_documented_status_of_an_update_is_typed() {
    let table = update_table();
    let errors = incident_testkit::assert_error_cases(
        client,
        async |c: &QRadarClient| c.offenses().update(42).hide().send().await,
        &table,
    )
    .await;
    // The unique codes come back typed, the JSON body decoded.
    let typed: Vec<_> = errors.iter().map(QRadarErrorExt::qradar_code).collect();
    assert_eq!(
        typed,
        [
            Some(QRadarErrorCode::InvalidParameter),
            None,
            Some(QRadarErrorCode::MissingCapability),
            Some(QRadarErrorCode::NotFound),
            Some(QRadarErrorCode::OffenseState),
            Some(QRadarErrorCode::InvalidParameter),
            Some(QRadarErrorCode::Server),
            Some(QRadarErrorCode::Server),
            Some(QRadarErrorCode::Server),
            None,
        ]
    );
    let not_found = errors[3].qradar_body().expect("a typed body");
    assert_eq!(not_found.code, Some(1002));
    assert_eq!(
        not_found.http_response.as_ref().and_then(|h| h.code),
        Some(404),
        "{not_found:?}"
    );
    assert!(errors[6].is_retryable() && errors[8].is_retryable());
    assert!(!errors[3].is_retryable());
}

#[tokio::test]
async fn a_read_is_retried_through_5xx_but_not_through_4xx() {
    let table = [
        case(500, 1020, "An error occurred", ErrorKind::Server).attempts(3),
        ErrorCase::html(502, BAD_GATEWAY)
            .kind(ErrorKind::Server)
            .attempts(3),
        case(503, 1020, "Down for maintenance", ErrorKind::Unavailable)
            .retry_after("0")
            .attempts(3),
        case(
            422,
            1010,
            "Field 'rules.name' is not filterable",
            ErrorKind::InvalidRequest,
        ),
        case(404, 1002, "No offense 7", ErrorKind::NotFound),
    ];
    let errors = incident_testkit::assert_error_cases(
        client,
        async |c: &QRadarClient| c.offenses().get(7).send().await,
        &table,
    )
    .await;
    assert_eq!(
        errors[3].qradar_code(),
        Some(QRadarErrorCode::InvalidFilter)
    );
    assert_eq!(
        errors[4].api_error().map(|e| e.path.as_str()),
        Some("/api/siem/offenses/7")
    );
}

#[tokio::test]
#[should_panic(expected = "expected NotFound, got Some(InvalidRequest)")]
async fn a_case_that_does_not_match_fails_the_table() {
    // The table is not lenient: a 404 expected where the server answers 422 fails.
    let wrong =
        [ErrorCase::json(422, &qradar_error(422, 1005, "m", "d")).kind(ErrorKind::NotFound)];
    incident_testkit::assert_error_cases(
        client,
        async |c: &QRadarClient| c.offenses().get(7).send().await,
        &wrong,
    )
    .await;
}
