//! Wire-level tests of the QRadar client: for every operation, the exact request that goes
//! out (method, `/api/...` path, the complete set of query parameters, the `SEC` or Basic
//! credentials, `Version`, `Accept`, `Range`, an empty body on POSTs) and the decoded answer,
//! the typed error of every documented error status, and the normalized `IncidentSource`
//! layer on top.

use std::time::Duration;

use futures::TryStreamExt;
use httpmock::prelude::*;
use httpmock::{Then, When};
use incident_core::{
    Closure, Cursor, Error, ErrorKind, IncidentQuery, IncidentSource, IncidentStatus,
    IncidentUpdate, RetryPolicy, Severity, TimeField, Verdict,
};
use qradar_client::{
    ContentRange, DatabaseType, Filter, Offense, OffenseStatus, QRadarClient, QRadarClientBuilder,
    QRadarErrorCode, QRadarErrorExt, RuleType, StatusUpdate,
};
use serde_json::{Value, json};
use time::macros::datetime;

const TOKEN: &str = "sec-7f3a9c2e-41d8-4b6e-9d0a-5e1f00c0ffee";
const JSON_TYPE: &str = "application/json";
const OFFENSES: &str = "/api/siem/offenses";
const REASONS: &str = "/api/siem/offense_closing_reasons";

/// A client with an authorized-service token and retries off (so that every error test
/// sees exactly one request).
fn client(server: &MockServer) -> QRadarClient {
    builder(server).build().expect("a client")
}

fn builder(server: &MockServer) -> QRadarClientBuilder {
    QRadarClient::builder(server.base_url())
        .sec_token(TOKEN)
        .retry_policy(RetryPolicy::disabled())
}

/// Matches `method path?query` with exactly these query parameters (no more, no fewer),
/// the `SEC` token, `Version: 26.0` and `Accept: application/json`.
fn expect(when: When, method: Method, path: &str, query: &[(&str, &str)]) -> When {
    let when = when
        .method(method)
        .path(path)
        .header("sec", TOKEN)
        .header("version", "26.0")
        .header("accept", JSON_TYPE)
        .header_prefix("user-agent", "qradar-client/")
        .header_missing("authorization");
    incident_testkit::exact_query(when, query)
}

/// A GET: no body (httpmock refuses body matchers on GET), no `Content-Length`.
fn get_on(when: When, path: &str, query: &[(&str, &str)]) -> When {
    expect(when, GET, path, query).header_missing("content-length")
}

/// A POST with every setting in the query string: no body, `Content-Length: 0`.
fn post_on(when: When, path: &str, query: &[(&str, &str)]) -> When {
    expect(when, POST, path, query)
        .header("content-length", "0")
        .header_missing("content-type")
        .body("")
}

fn reply(then: Then, status: u16, body: &Value) -> Then {
    incident_testkit::json_reply(then, status, body)
}

/// The documented description of each unique code, as QRadar puts it in `description`.
fn description(code: i64) -> &'static str {
    match code {
        1002 => "No offense was found for the provided offense_id.",
        1004 => "The closing reason already exists.",
        1005 => "A request parameter is not valid.",
        1008 => "Request cannot be completed due to the state of the offense.",
        1009 => "User does not have the required capability to perform the action.",
        1010 => "The filter parameter is not valid.",
        1020 => "An error occurred during the attempt to retrieve the offenses.",
        1030 => "The sort parameter is not valid.",
        85101001 => "The offense does not exist.",
        _ => "Unexpected error.",
    }
}

/// A QRadar error body (shape of the API overview's "Error messages" page).
fn qradar_error(status: u16, code: i64, message: &str) -> Value {
    let http_message = match status {
        403 => "Your account is not authorized to access the requested resource.",
        404 => "We could not find the resource you requested.",
        409 => {
            "The request could not be completed due to a conflict with the current state of the resource."
        }
        422 => "The request was well-formed but was unable to be followed due to semantic errors.",
        _ => "Unexpected internal server error.",
    };
    json!({
        "http_response": { "code": status, "message": http_message },
        "code": code,
        "message": message,
        "description": description(code),
        "details": {}
    })
}

/// Checks everything an API error built from [`qradar_error`] must carry.
fn assert_qradar_error(
    err: &Error,
    status: u16,
    code: i64,
    typed: QRadarErrorCode,
    kind: ErrorKind,
    message: &str,
) {
    let Error::Api(api) = err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(api.status.as_u16(), status, "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
    assert_eq!(err.kind(), Some(kind), "{err}");
    assert_eq!(err.is_not_found(), kind == ErrorKind::NotFound, "{err}");
    assert_eq!(err.vendor_code(), Some(code.to_string().as_str()));
    let desc = description(code);
    assert_eq!(
        err.vendor_message(),
        Some(format!("{message} — {desc}").as_str())
    );
    assert_eq!(err.qradar_code(), Some(typed));
    assert_eq!(typed.code(), code);
    let body = err.qradar_body().expect("a typed QRadar error body");
    assert_eq!(body.code, Some(code));
    assert_eq!(body.error_code(), Some(typed));
    assert_eq!(body.message.as_deref(), Some(message));
    assert_eq!(body.description.as_deref(), Some(desc));
    assert_eq!(body.details, Some(json!({})));
    assert_eq!(body.http_response.and_then(|h| h.code), Some(status));
    assert_eq!(api.snippet, None, "a JSON body gives no snippet");
    assert_eq!(err.attempts(), 1);
    let text = err.to_string();
    assert!(
        text.contains(&format!("(code {code})")) && text.contains(message),
        "{text}"
    );
}

/// A small offense for list answers.
fn offense(id: u64, status: &str, assigned_to: Option<&str>, severity: u64) -> Value {
    json!({
        "id": id,
        "description": format!("Offense number {id}\nsecond line\n"),
        "status": status,
        "assigned_to": assigned_to,
        "severity": severity,
        "start_time": 1_700_000_000_000_u64 + id,
        "first_persisted_time": 1_700_000_001_000_u64 + id,
        "last_persisted_time": 1_700_000_400_000_u64 + id,
        "close_time": null,
        "closing_reason_id": null
    })
}

fn closing_reasons() -> Value {
    json!([
        { "id": 1, "text": "Non-Issue", "is_reserved": false, "is_deleted": false },
        { "id": 2, "text": "False-Positive, Tuned", "is_reserved": false, "is_deleted": false },
        { "id": 3, "text": "Policy Violation", "is_reserved": false, "is_deleted": true },
        { "id": 54, "text": "System Reserved", "is_reserved": true, "is_deleted": false }
    ])
}

fn ids(offenses: &[Offense]) -> Vec<u64> {
    offenses.iter().filter_map(|o| o.id).collect()
}

fn is_invalid_input(err: &Error, expected_what: &str) -> bool {
    matches!(err, Error::InvalidInput { what, .. } if *what == expected_what)
}

// ---------------------------------------------------------------------------------------
// GET /siem/offenses
// ---------------------------------------------------------------------------------------

/// The closing-reason listing the normalized layer makes (reserved and deleted included).
async fn mock_all_reasons(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            get_on(
                when,
                REASONS,
                &[("include_reserved", "true"), ("include_deleted", "true")],
            );
            reply(then, 200, &closing_reasons());
        })
        .await
}

/// `POST` closing offense `id` with reason `reason`, answered with the closed offense.
async fn mock_close(server: &MockServer, id: u64, reason: u64) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            let path = format!("/api/siem/offenses/{id}");
            let reason_text = reason.to_string();
            post_on(
                when,
                &path,
                &[("status", "CLOSED"), ("closing_reason_id", &reason_text)],
            );
            let mut o = offense(id, "CLOSED", None, 3);
            o["closing_reason_id"] = json!(reason);
            reply(then, 200, &o);
        })
        .await
}

#[tokio::test]
async fn offenses_list_sends_typed_filter_fields_sort_and_range() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(
                when,
                OFFENSES,
                &[
                    ("filter", "status = OPEN and severity >= 5"),
                    ("fields", "id,status,severity"),
                    ("sort", "-severity"),
                ],
            )
            .header("range", "items=0-1");
            reply(
                then,
                200,
                &json!([
                    { "id": 7, "status": "OPEN", "severity": 9 },
                    { "id": 3, "status": "OPEN", "severity": 6 }
                ]),
            )
            .header("content-range", "items 0-1/5");
        })
        .await;
    let page = client(&server)
        .offenses()
        .list()
        .filter(Filter::status(OffenseStatus::Open).and(Filter::field("severity").ge(5)))
        .fields("id,status,severity")
        .sort("-severity")
        .range(0, 1)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(ids(&page.items), [7, 3]);
    assert_eq!(page.items[0].severity, Some(9));
    assert_eq!(page.items[1].status, Some(OffenseStatus::Open));
    assert_eq!(page.items[0].description, None, "left out by fields=");
    assert_eq!(
        page.content_range,
        Some(ContentRange::Items {
            start: 0,
            end: 1,
            total: Some(5)
        })
    );
    assert_eq!(page.total(), Some(5));
    assert_eq!(page.next_start(), Some(2));
}

#[tokio::test]
async fn offenses_list_raw_filter_is_sent_verbatim_without_range() {
    let server = MockServer::start_async().await;
    let raw = r#"status=OPEN or (assigned_to = "o'brien & co" and id in (1,2))"#;
    let mock = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[("filter", raw)]).header_missing("range");
            reply(then, 200, &json!([{ "id": 1 }]));
        })
        .await;
    // `.await` on the request itself works like `.send()`.
    let page = client(&server)
        .offenses()
        .list()
        .filter_raw(raw)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(ids(&page.items), [1]);
    assert_eq!(page.content_range, None);
    assert_eq!(page.total(), None);
    assert_eq!(page.next_start(), None);
}

#[tokio::test]
async fn offenses_list_past_the_end_is_unsatisfied_with_no_items() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[]).header("range", "items=10-19");
            reply(then, 200, &json!([])).header("content-range", "items */5");
        })
        .await;
    let page = client(&server)
        .offenses()
        .list()
        .range(10, 19)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert!(page.items.is_empty());
    assert_eq!(
        page.content_range,
        Some(ContentRange::Unsatisfied { total: Some(5) })
    );
    assert_eq!(page.total(), Some(5));
    assert_eq!(page.next_start(), None);
}

#[tokio::test]
async fn offenses_list_refuses_bad_input_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            reply(then, 200, &json!([]));
        })
        .await;
    let c = client(&server);
    let err = c.offenses().list().range(5, 2).send().await.unwrap_err();
    assert!(is_invalid_input(&err, "range"), "{err:?}");
    assert!(err.to_string().contains("before its start"), "{err}");
    let err = c
        .offenses()
        .list()
        .filter(Filter::field("status = OPEN or id").eq(1))
        .send()
        .await
        .unwrap_err();
    assert!(is_invalid_input(&err, "filter"), "{err:?}");
    let err = c
        .offenses()
        .list()
        .page_size(0)
        .into_stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(is_invalid_input(&err, "page size"), "{err:?}");
    assert_eq!(err.attempts(), 0);
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn offenses_list_with_an_unreadable_content_range_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[]).header("range", "items=0-1");
            reply(then, 200, &json!([{ "id": 1 }])).header("content-range", "items 0-1");
        })
        .await;
    let err = client(&server)
        .offenses()
        .list()
        .range(0, 1)
        .send()
        .await
        .unwrap_err();
    mock.assert_async().await;
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("items 0-1"), "{err}");
}

#[tokio::test]
async fn basic_auth_and_a_custom_version_go_on_the_wire() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(OFFENSES)
                // base64("soc-bot:Pa55 w0rd!")
                .header("authorization", "Basic c29jLWJvdDpQYTU1IHcwcmQh")
                .header_missing("sec")
                .header("version", "19.0")
                .header("accept", JSON_TYPE)
                .is_true(|req| req.query_params().is_empty());
            reply(then, 200, &json!([{ "id": 5 }]));
        })
        .await;
    // A base URL that already ends in /api is used as is.
    let c = QRadarClient::builder(server.url("/api/"))
        .basic_auth("soc-bot", "Pa55 w0rd!")
        .api_version("19.0")
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    assert_eq!(c.api_version(), "19.0");
    let page = c.offenses().list().send().await.unwrap();
    mock.assert_async().await;
    assert_eq!(ids(&page.items), [5]);
}

// ---------------------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn offenses_stream_walks_three_pages_in_order() {
    let server = MockServer::start_async().await;
    let query = [("filter", "status = OPEN"), ("sort", "+id")];
    let pages = [
        (
            "items=0-1",
            "items 0-1/5",
            json!([{ "id": 11 }, { "id": 12 }]),
        ),
        (
            "items=2-3",
            "items 2-3/5",
            json!([{ "id": 13 }, { "id": 14 }]),
        ),
        ("items=4-5", "items 4-4/5", json!([{ "id": 15 }])),
    ];
    let mut mocks = Vec::new();
    for (range, content_range, body) in &pages {
        mocks.push(
            server
                .mock_async(|when, then| {
                    get_on(when, OFFENSES, &query).header("range", *range);
                    reply(then, 200, body).header("content-range", *content_range);
                })
                .await,
        );
    }
    let all: Vec<Offense> = client(&server)
        .offenses()
        .list()
        .filter(Filter::status(OffenseStatus::Open))
        .sort("+id")
        .page_size(2)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), [11, 12, 13, 14, 15]);
    for mock in &mocks {
        mock.assert_async().await;
    }
}

/// Mocks `GET /siem/offenses` asked with `Range: items={first}-{last}`: it answers the
/// offenses at positions `from..=to` (id = position + 1) as `items {from}-{to}/{total}`.
async fn mock_range(
    server: &MockServer,
    (first, last): (u64, u64),
    (from, to): (u64, u64),
    total: u64,
) -> httpmock::Mock<'_> {
    let body: Vec<_> = (from..=to).map(|i| json!({ "id": i + 1 })).collect();
    server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[]).header("range", format!("items={first}-{last}"));
            reply(then, 200, &json!(body))
                .header("content-range", format!("items {from}-{to}/{total}"));
        })
        .await
}

#[tokio::test]
async fn offenses_stream_prefetches_no_further_than_the_total() {
    let server = MockServer::start_async().await;
    let mut mocks = Vec::new();
    for start in (0..10u64).step_by(2) {
        mocks.push(mock_range(&server, (start, start + 1), (start, start + 1), 10).await);
    }
    let beyond = server
        .mock_async(|when, then| {
            when.any_request();
            reply(then, 416, &json!([]));
        })
        .await;
    let all: Vec<Offense> = client(&server)
        .offenses()
        .list()
        .page_size(2)
        .prefetch(3)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), (1..=10).collect::<Vec<u64>>());
    for mock in &mocks {
        // Each page exactly once, prefetched or not.
        mock.assert_async().await;
    }
    assert_eq!(beyond.calls_async().await, 0);
}

#[tokio::test]
async fn offenses_stream_follows_a_console_that_caps_the_page_size() {
    let server = MockServer::start_async().await;
    // Asked for 5 items, the console sends at most 3.
    let capped = |start: u64| (start, (start + 2).min(9));
    let mut mocks = Vec::new();
    for start in [0u64, 3, 6, 9] {
        mocks.push(mock_range(&server, (start, start + 4), capped(start), 10).await);
    }
    // The requests made ahead of a short page (from 5 after the first, from 8 after the
    // second) start at the wrong place: their answers must be dropped, not yielded.
    for start in [5u64, 8] {
        mock_range(&server, (start, start + 4), capped(start), 10).await;
    }
    let all: Vec<Offense> = client(&server)
        .offenses()
        .list()
        .page_size(5)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), (1..=10).collect::<Vec<u64>>());
    for mock in &mocks {
        mock.assert_async().await;
    }
}

#[tokio::test]
async fn offenses_stream_takes_an_answer_without_content_range_as_the_whole_list() {
    // QRadar answers a Range with a Content-Range; an answer without one did not see the
    // Range (a proxy dropped it), so it holds the whole list and asking on would repeat it.
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[]).header("range", "items=0-1");
            reply(then, 200, &json!([{ "id": 1 }, { "id": 2 }]));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[]).header("range", "items=2-3");
            reply(then, 200, &json!([{ "id": 3 }]));
        })
        .await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            reply(then, 200, &json!([]));
        })
        .await;
    let all: Vec<Offense> = client(&server)
        .offenses()
        .list()
        .page_size(2)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), [1, 2]);
    first.assert_async().await;
    assert_eq!(second.calls_async().await, 0);
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn offenses_stream_stays_inside_the_requested_range() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[]).header("range", "items=1-2");
            reply(then, 200, &json!([{ "id": 2 }, { "id": 3 }]))
                .header("content-range", "items 1-2/50");
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[]).header("range", "items=3-3");
            reply(then, 200, &json!([{ "id": 4 }])).header("content-range", "items 3-3/50");
        })
        .await;
    let all: Vec<Offense> = client(&server)
        .offenses()
        .list()
        .range(1, 3)
        .page_size(2)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), [2, 3, 4]);
    first.assert_async().await;
    second.assert_async().await;
}

#[tokio::test]
async fn offenses_stream_refuses_a_page_from_the_wrong_position() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[]).header("range", "items=0-1");
            reply(then, 200, &json!([{ "id": 1 }, { "id": 2 }]))
                .header("content-range", "items 0-1/4");
        })
        .await;
    // A proxy that drops the Range header makes the server start over.
    let second = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[]).header("range", "items=2-3");
            reply(then, 200, &json!([{ "id": 1 }, { "id": 2 }]))
                .header("content-range", "items 0-1/4");
        })
        .await;
    let mut stream = client(&server).offenses().list().page_size(2).into_stream();
    assert_eq!(stream.try_next().await.unwrap().and_then(|o| o.id), Some(1));
    assert_eq!(stream.try_next().await.unwrap().and_then(|o| o.id), Some(2));
    let err = stream.try_next().await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("from 2"), "{err}");
    first.assert_async().await;
    second.assert_async().await;
}

// ---------------------------------------------------------------------------------------
// GET /siem/offenses/{offense_id}
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn get_offense_decodes_every_documented_field() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offenses/42", &[]).header_missing("range");
            then.status(200)
                .header("content-type", JSON_TYPE)
                .body(include_str!("fixtures/wire_offense_full.json"));
        })
        .await;
    let o = client(&server).offenses().get(42).send().await.unwrap();
    mock.assert_async().await;
    assert_eq!(o.id, Some(42));
    assert_eq!(
        o.description.as_deref(),
        Some("Multiple Login Failures for the Same User\n preceded by Login Failures Detected\n")
    );
    assert_eq!(o.assigned_to.as_deref(), Some("alice"));
    assert_eq!(
        o.categories,
        Some(vec![
            "User Login Failure".into(),
            "Misc Login Failed".into()
        ])
    );
    assert_eq!(
        (
            o.category_count,
            o.policy_category_count,
            o.security_category_count
        ),
        (Some(2), Some(0), Some(2))
    );
    assert_eq!(
        (o.close_time, o.closing_user.as_deref(), o.closing_reason_id),
        (None, None, None)
    );
    assert_eq!(
        (o.credibility, o.relevance, o.severity, o.magnitude),
        (Some(3), Some(5), Some(6), Some(5))
    );
    assert_eq!(
        o.destination_networks,
        Some(vec!["Net-10-172-192.Net_10_0_0_0".into(), "other".into()])
    );
    assert_eq!(
        o.source_network.as_deref(),
        Some("Net-10-172-192.Net_10_0_0_0")
    );
    assert_eq!(
        (o.device_count, o.event_count, o.flow_count),
        (Some(1), Some(271), Some(0))
    );
    assert_eq!(o.inactive, Some(false));
    assert_eq!(o.start_time, Some(datetime!(2023-11-14 22:13:20 UTC)));
    assert_eq!(
        o.last_updated_time,
        Some(datetime!(2023-11-14 22:18:20 UTC))
    );
    assert_eq!(
        o.first_persisted_time,
        Some(datetime!(2023-11-14 22:13:21 UTC))
    );
    assert_eq!(
        o.last_persisted_time,
        Some(datetime!(2023-11-14 22:20:00.123 UTC))
    );
    assert_eq!(
        (
            o.local_destination_count,
            o.remote_destination_count,
            o.source_count
        ),
        (Some(2), Some(0), Some(1))
    );
    assert_eq!(o.offense_source.as_deref(), Some("10.0.0.7"));
    assert_eq!(o.offense_type, Some(0));
    assert_eq!((o.protected, o.follow_up), (Some(false), Some(true)));
    assert_eq!(o.status, Some(OffenseStatus::Open));
    assert!(!o.is_closed());
    assert_eq!(o.username_count, Some(1));
    assert_eq!(o.source_address_ids, Some(vec![17]));
    assert_eq!(o.local_destination_address_ids, Some(vec![3, 7]));
    assert_eq!(o.domain_id, Some(0));
    let rules = o.rules.as_ref().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(
        (rules[0].id, rules[0].rule_type.clone()),
        (Some(100270), Some(RuleType::CreRule))
    );
    assert_eq!(rules[1].rule_type, Some(RuleType::BuildingBlockRule));
    let sources = o.log_sources.as_ref().unwrap();
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].id, Some(65));
    assert_eq!(
        sources[0].name.as_deref(),
        Some("Custom Rule Engine-8 :: qradar")
    );
    assert_eq!(sources[0].type_id, Some(18));
    assert_eq!(sources[0].type_name.as_deref(), Some("EventCRE"));
    assert!(
        o.extra.is_empty(),
        "every documented field is modelled: {:?}",
        o.extra
    );
}

#[tokio::test]
async fn get_offense_with_fields() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(
                when,
                "/api/siem/offenses/7",
                &[("fields", "id,status,rules(id)")],
            );
            reply(
                then,
                200,
                &json!({ "id": 7, "status": "HIDDEN", "rules": [{ "id": 9 }] }),
            );
        })
        .await;
    let o = client(&server)
        .offenses()
        .get(7)
        .fields("id,status,rules(id)")
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(o.id, Some(7));
    assert_eq!(o.status, Some(OffenseStatus::Hidden));
    assert_eq!(o.rules.unwrap()[0].id, Some(9));
    assert_eq!(o.description, None);
}

#[tokio::test]
async fn an_unknown_status_and_extra_fields_decode() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offenses/8", &[]);
            reply(
                then,
                200,
                &json!({
                    "id": 8,
                    "status": "ARCHIVED",
                    "severity": 4,
                    "risk_score": 87.5,
                    "ai_summary": { "text": "brute force", "confidence": "high" }
                }),
            );
        })
        .await;
    let o = client(&server).offenses().get(8).send().await.unwrap();
    mock.assert_async().await;
    assert_eq!(o.status, Some(OffenseStatus::Unknown("ARCHIVED".into())));
    assert_eq!(o.severity, Some(4));
    assert_eq!(o.extra.len(), 2, "{:?}", o.extra);
    assert_eq!(o.extra.get("risk_score"), Some(&json!(87.5)));
    assert_eq!(
        o.extra.get("ai_summary"),
        Some(&json!({ "text": "brute force", "confidence": "high" }))
    );
    assert!(!o.extra.contains_key("severity"));
}

// ---------------------------------------------------------------------------------------
// POST /siem/offenses/{offense_id}
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn close_sends_status_closed_and_the_closing_reason() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            post_on(
                when,
                "/api/siem/offenses/42",
                &[
                    ("status", "CLOSED"),
                    ("closing_reason_id", "3"),
                    (
                        "fields",
                        "id,status,closing_reason_id,close_time,closing_user",
                    ),
                ],
            );
            reply(
                then,
                200,
                &json!({
                    "id": 42, "status": "CLOSED", "closing_reason_id": 3,
                    "close_time": 1_700_000_500_000_u64, "closing_user": "API_user: soc-bot"
                }),
            );
        })
        .await;
    let o = client(&server)
        .offenses()
        .update(42)
        .close(3)
        .fields("id,status,closing_reason_id,close_time,closing_user")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert!(o.is_closed());
    assert_eq!(o.closing_reason_id, Some(3));
    assert_eq!(o.close_time, Some(datetime!(2023-11-14 22:21:40 UTC)));
    assert_eq!(o.closing_user.as_deref(), Some("API_user: soc-bot"));
}

#[tokio::test]
async fn hide_sends_status_hidden() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            post_on(when, "/api/siem/offenses/5", &[("status", "HIDDEN")]);
            reply(then, 200, &json!({ "id": 5, "status": "HIDDEN" }));
        })
        .await;
    let o = client(&server).offenses().update(5).hide().await.unwrap();
    mock.assert_async().await;
    assert_eq!(o.status, Some(OffenseStatus::Hidden));
}

#[tokio::test]
async fn open_sends_status_open() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            post_on(when, "/api/siem/offenses/5", &[("status", "OPEN")]);
            reply(then, 200, &json!({ "id": 5, "status": "OPEN" }));
        })
        .await;
    let o = client(&server)
        .offenses()
        .update(5)
        .status(StatusUpdate::Hidden)
        .open()
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(o.status, Some(OffenseStatus::Open));
}

#[tokio::test]
async fn assign_protect_and_follow_up() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            post_on(
                when,
                "/api/siem/offenses/77",
                &[
                    ("assigned_to", "jane.doe@corp"),
                    ("protected", "true"),
                    ("follow_up", "false"),
                    ("fields", "id,assigned_to,protected,follow_up"),
                ],
            );
            reply(
                then,
                200,
                &json!({ "id": 77, "assigned_to": "jane.doe@corp", "protected": true, "follow_up": false }),
            );
        })
        .await;
    let o = client(&server)
        .offenses()
        .update(77)
        .assign_to("jane.doe@corp")
        .protected(true)
        .follow_up(false)
        .fields("id,assigned_to,protected,follow_up")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(o.assigned_to.as_deref(), Some("jane.doe@corp"));
    assert_eq!((o.protected, o.follow_up), (Some(true), Some(false)));
}

#[tokio::test]
async fn an_update_that_changes_nothing_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            reply(then, 200, &json!({ "id": 1 }));
        })
        .await;
    let offenses = client(&server).offenses();
    let err = offenses.update(1).send().await.unwrap_err();
    assert!(is_invalid_input(&err, "offense update"), "{err:?}");
    let err = offenses.update(1).fields("id").send().await.unwrap_err();
    assert!(is_invalid_input(&err, "offense update"), "{err:?}");
    let err = offenses.update(1).assign_to("  ").send().await.unwrap_err();
    assert!(is_invalid_input(&err, "assigned_to"), "{err:?}");
    assert_eq!(any.calls_async().await, 0);
}

// ---------------------------------------------------------------------------------------
// Notes
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn notes_list_with_filter_fields_and_range() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(
                when,
                "/api/siem/offenses/42/notes",
                &[("filter", "id > 100"), ("fields", "id,create_time,username,note_text")],
            )
            .header("range", "items=0-49");
            reply(
                then,
                200,
                &json!([
                    { "id": 101, "create_time": 1_700_000_000_123_u64, "username": "API_user: test_user", "note_text": "first" },
                    { "id": 102, "create_time": 1_700_000_060_000_u64, "username": "alice", "note_text": "second" }
                ]),
            )
            .header("content-range", "items 0-1/2");
        })
        .await;
    let page = client(&server)
        .offenses()
        .notes(42)
        .list()
        .filter(Filter::id_gt(100))
        .fields("id,create_time,username,note_text")
        .range(0, 49)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(page.items.len(), 2);
    let first = &page.items[0];
    assert_eq!(first.id, Some(101));
    assert_eq!(
        first.create_time,
        Some(datetime!(2023-11-14 22:13:20.123 UTC))
    );
    assert_eq!(first.api_user(), Some("test_user"));
    assert_eq!(first.note_text.as_deref(), Some("first"));
    assert_eq!(page.items[1].username.as_deref(), Some("alice"));
    assert_eq!(page.items[1].api_user(), None);
    assert_eq!(page.total(), Some(2));
    assert_eq!(page.next_start(), None);
}

#[tokio::test]
async fn note_get() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(
                when,
                "/api/siem/offenses/42/notes/101",
                &[("fields", "id,note_text")],
            );
            reply(then, 200, &json!({ "id": 101, "note_text": "hello" }));
        })
        .await;
    let note = client(&server)
        .offenses()
        .notes(42)
        .get(101)
        .fields("id,note_text")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(note.id, Some(101));
    assert_eq!(note.note_text.as_deref(), Some("hello"));
    assert_eq!(note.create_time, None);
}

#[tokio::test]
async fn note_create_sends_the_text_as_a_query_parameter_exactly() {
    let text = "Checked with owner: a=b & c=d; 1+1=2, 100% done — ✓ ünïcödé 日本語\nline two?#x";
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            post_on(when, "/api/siem/offenses/42/notes", &[("note_text", text)]);
            reply(
                then,
                201,
                &json!({
                    "id": 205, "create_time": 1_700_000_000_123_u64,
                    "username": "API_user: soc-bot", "note_text": text
                }),
            );
        })
        .await;
    let note = client(&server)
        .offenses()
        .notes(42)
        .create(text)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(note.id, Some(205));
    assert_eq!(
        note.create_time,
        Some(datetime!(2023-11-14 22:13:20.123 UTC))
    );
    assert_eq!(note.api_user(), Some("soc-bot"));
    assert_eq!(note.note_text.as_deref(), Some(text));
}

#[tokio::test]
async fn note_create_with_fields_and_an_empty_note_refused() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            post_on(
                when,
                "/api/siem/offenses/9/notes",
                &[("note_text", "ok"), ("fields", "id")],
            );
            reply(then, 201, &json!({ "id": 1 }));
        })
        .await;
    let notes = client(&server).offenses().notes(9);
    let err = notes.create(" \n ").send().await.unwrap_err();
    assert!(is_invalid_input(&err, "note_text"), "{err:?}");
    assert_eq!(mock.calls_async().await, 0);
    let note = notes.create("ok").fields("id").await.unwrap();
    assert_eq!(note.id, Some(1));
    mock.assert_async().await;
}

// ---------------------------------------------------------------------------------------
// Assignable actors, closing reasons, offense types
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn assignable_actors_list() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(
                when,
                "/api/siem/offenses/42/assignable_actors",
                &[
                    ("sort", "+username"),
                    ("fields", "user_id,username,description"),
                ],
            )
            .header("range", "items=0-9");
            reply(
                then,
                200,
                &json!([
                    { "user_id": 3, "username": "alice", "description": "Tier 1" },
                    { "user_id": 4, "username": "bob", "description": null }
                ]),
            )
            .header("content-range", "items 0-1/2");
        })
        .await;
    let page = client(&server)
        .offenses()
        .assignable_actors(42)
        .sort("+username")
        .fields("user_id,username,description")
        .range(0, 9)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    let users: Vec<_> = page
        .items
        .iter()
        .map(|a| (a.user_id, a.username.as_deref(), a.description.as_deref()))
        .collect();
    assert_eq!(
        users,
        [
            (Some(3), Some("alice"), Some("Tier 1")),
            (Some(4), Some("bob"), None)
        ]
    );
}

#[tokio::test]
async fn closing_reasons_list_with_include_flags() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(
                when,
                REASONS,
                &[
                    ("include_reserved", "true"),
                    ("include_deleted", "false"),
                    ("filter", "id < 100"),
                    ("fields", "id,text,is_reserved,is_deleted"),
                ],
            )
            .header("range", "items=0-3");
            reply(then, 200, &closing_reasons()).header("content-range", "items 0-3/4");
        })
        .await;
    let page = client(&server)
        .closing_reasons()
        .list()
        .include_deleted(true)
        .include_reserved(true)
        // The last value of a flag wins; it is sent once.
        .include_deleted(false)
        .filter_raw("id < 100")
        .fields("id,text,is_reserved,is_deleted")
        .range(0, 3)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    let texts: Vec<_> = page
        .items
        .iter()
        .filter_map(|r| r.text.as_deref())
        .collect();
    assert_eq!(
        texts,
        [
            "Non-Issue",
            "False-Positive, Tuned",
            "Policy Violation",
            "System Reserved"
        ]
    );
    let usable: Vec<_> = page.items.iter().map(|r| r.is_usable()).collect();
    assert_eq!(usable, [true, true, false, false]);
    assert_eq!(page.items[3].id, Some(54));
    assert_eq!(page.items[3].is_reserved, Some(true));
}

#[tokio::test]
async fn closing_reason_get() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offense_closing_reasons/2", &[]);
            reply(
                then,
                200,
                &json!({ "id": 2, "text": "False-Positive, Tuned", "is_reserved": false, "is_deleted": false }),
            );
        })
        .await;
    let reason = client(&server)
        .closing_reasons()
        .get(2)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(reason.id, Some(2));
    assert_eq!(reason.text.as_deref(), Some("False-Positive, Tuned"));
    assert_eq!(
        (reason.is_reserved, reason.is_deleted),
        (Some(false), Some(false))
    );
}

#[tokio::test]
async fn closing_reason_create() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            post_on(
                when,
                REASONS,
                &[("reason", "Duplicate of #17 & co"), ("fields", "id,text")],
            );
            reply(
                then,
                201,
                &json!({ "id": 61, "text": "Duplicate of #17 & co" }),
            );
        })
        .await;
    let reason = client(&server)
        .closing_reasons()
        .create("Duplicate of #17 & co")
        .fields("id,text")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(reason.id, Some(61));
    assert_eq!(reason.text.as_deref(), Some("Duplicate of #17 & co"));
}

#[tokio::test]
async fn closing_reason_length_is_checked_in_characters_before_sending() {
    let sixty = "é".repeat(60);
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            post_on(when, REASONS, &[("reason", sixty.as_str())]);
            reply(then, 201, &json!({ "id": 62, "text": sixty }));
        })
        .await;
    let reasons = client(&server).closing_reasons();
    for bad in ["Dupe".to_string(), "x".repeat(61), String::new()] {
        let err = reasons.create(bad.clone()).send().await.unwrap_err();
        assert!(is_invalid_input(&err, "closing reason"), "{bad:?}: {err:?}");
    }
    assert_eq!(mock.calls_async().await, 0);
    // 60 characters (120 bytes) is within the limit.
    let reason = reasons.create(sixty.clone()).await.unwrap();
    assert_eq!(reason.text.as_deref(), Some(sixty.as_str()));
    mock.assert_async().await;
}

#[tokio::test]
async fn offense_types_list_sorted() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(
                when,
                "/api/siem/offense_types",
                &[("sort", "+id"), ("filter", "custom = false")],
            )
            .header("range", "items=0-2");
            reply(
                then,
                200,
                &json!([
                    { "id": 0, "property_name": "sourceIP", "name": "Source IP", "database_type": "COMMON", "custom": false },
                    { "id": 3, "property_name": "userName", "name": "Username", "database_type": "EVENTS", "custom": false },
                    { "id": 12, "property_name": "sourceASN", "name": "Source ASN", "database_type": "FLOWS", "custom": false }
                ]),
            )
            .header("content-range", "items 0-2/40");
        })
        .await;
    let page = client(&server)
        .offense_types()
        .list()
        .sort("+id")
        .filter(Filter::field("custom").eq(false))
        .range(0, 2)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    let kinds: Vec<_> = page
        .items
        .iter()
        .map(|t| (t.id, t.name.as_deref(), t.database_type.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (Some(0), Some("Source IP"), Some(DatabaseType::Common)),
            (Some(3), Some("Username"), Some(DatabaseType::Events)),
            (Some(12), Some("Source ASN"), Some(DatabaseType::Flows)),
        ]
    );
    assert_eq!(page.items[1].property_name.as_deref(), Some("userName"));
    assert_eq!(page.next_start(), Some(3));
}

#[tokio::test]
async fn offense_type_get() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(
                when,
                "/api/siem/offense_types/1004",
                &[("fields", "id,name,custom")],
            );
            reply(
                then,
                200,
                &json!({ "id": 1004, "name": "VPN Group", "custom": true }),
            );
        })
        .await;
    let t = client(&server)
        .offense_types()
        .get(1004)
        .fields("id,name,custom")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(t.id, Some(1004));
    assert_eq!(t.name.as_deref(), Some("VPN Group"));
    assert_eq!(t.custom, Some(true));
    assert_eq!(t.database_type, None);
}

// ---------------------------------------------------------------------------------------
// Documented errors
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn update_without_the_capability_is_403_1009() {
    let server = MockServer::start_async().await;
    let msg = "User does not have the required capability to update offenses";
    let mock = server
        .mock_async(|when, then| {
            post_on(when, "/api/siem/offenses/42", &[("status", "HIDDEN")]);
            reply(then, 403, &qradar_error(403, 1009, msg));
        })
        .await;
    let err = client(&server)
        .offenses()
        .update(42)
        .hide()
        .send()
        .await
        .unwrap_err();
    mock.assert_async().await;
    let typed = QRadarErrorCode::MissingCapability;
    assert_qradar_error(&err, 403, 1009, typed, ErrorKind::Forbidden, msg);
}

#[tokio::test]
async fn get_of_a_missing_offense_is_404_1002() {
    let server = MockServer::start_async().await;
    let msg = "No offense was found for the provided offense_id 404404";
    let mock = server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offenses/404404", &[]);
            reply(then, 404, &qradar_error(404, 1002, msg));
        })
        .await;
    let err = client(&server)
        .offenses()
        .get(404404)
        .send()
        .await
        .unwrap_err();
    mock.assert_async().await;
    let typed = QRadarErrorCode::NotFound;
    assert_qradar_error(&err, 404, 1002, typed, ErrorKind::NotFound, msg);
    assert_eq!(err.api_error().unwrap().path, "/api/siem/offenses/404404");
}

#[tokio::test]
async fn update_of_an_offense_in_the_wrong_state_is_409_1008() {
    let server = MockServer::start_async().await;
    let msg = "Offense 42 is closed and cannot be assigned";
    let mock = server
        .mock_async(|when, then| {
            post_on(when, "/api/siem/offenses/42", &[("assigned_to", "bob")]);
            reply(then, 409, &qradar_error(409, 1008, msg));
        })
        .await;
    let err = client(&server)
        .offenses()
        .update(42)
        .assign_to("bob")
        .send()
        .await
        .unwrap_err();
    mock.assert_async().await;
    let typed = QRadarErrorCode::OffenseState;
    assert_qradar_error(&err, 409, 1008, typed, ErrorKind::Conflict, msg);
}

#[tokio::test]
async fn close_with_an_invalid_parameter_is_422_1005() {
    let server = MockServer::start_async().await;
    let msg = "closing_reason_id 999 is not a valid closing reason";
    let mock = server
        .mock_async(|when, then| {
            post_on(
                when,
                "/api/siem/offenses/42",
                &[("status", "CLOSED"), ("closing_reason_id", "999")],
            );
            reply(then, 422, &qradar_error(422, 1005, msg));
        })
        .await;
    let err = client(&server)
        .offenses()
        .update(42)
        .close(999)
        .send()
        .await
        .unwrap_err();
    mock.assert_async().await;
    let typed = QRadarErrorCode::InvalidParameter;
    assert_qradar_error(&err, 422, 1005, typed, ErrorKind::InvalidRequest, msg);
}

#[tokio::test]
async fn list_with_an_invalid_filter_is_422_1010() {
    let server = MockServer::start_async().await;
    let msg = "Field 'rules.name' is not filterable";
    let mock = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[("filter", "rules.name = \"x\"")]);
            reply(then, 422, &qradar_error(422, 1010, msg));
        })
        .await;
    let err = client(&server)
        .offenses()
        .list()
        .filter(Filter::field("rules.name").eq("x"))
        .send()
        .await
        .unwrap_err();
    mock.assert_async().await;
    let typed = QRadarErrorCode::InvalidFilter;
    assert_qradar_error(&err, 422, 1010, typed, ErrorKind::InvalidRequest, msg);
}

#[tokio::test]
async fn list_with_an_invalid_sort_is_422_1030() {
    let server = MockServer::start_async().await;
    let msg = "Field 'categories' is not sortable";
    let mock = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[("sort", "+categories")]);
            reply(then, 422, &qradar_error(422, 1030, msg));
        })
        .await;
    let err = client(&server)
        .offenses()
        .list()
        .sort("+categories")
        .send()
        .await
        .unwrap_err();
    mock.assert_async().await;
    let typed = QRadarErrorCode::InvalidSort;
    assert_qradar_error(&err, 422, 1030, typed, ErrorKind::InvalidRequest, msg);
}

#[tokio::test]
async fn list_failing_inside_qradar_is_500_1020() {
    let server = MockServer::start_async().await;
    let msg = "An error occurred during the attempt to retrieve the offenses";
    let mock = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[]);
            reply(then, 500, &qradar_error(500, 1020, msg));
        })
        .await;
    let err = client(&server).offenses().list().send().await.unwrap_err();
    mock.assert_async().await;
    assert_qradar_error(
        &err,
        500,
        1020,
        QRadarErrorCode::Server,
        ErrorKind::Server,
        msg,
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn creating_an_existing_closing_reason_is_409_1004() {
    let server = MockServer::start_async().await;
    let msg = "The closing reason Non-Issue already exists";
    let mock = server
        .mock_async(|when, then| {
            post_on(when, REASONS, &[("reason", "Non-Issue")]);
            reply(then, 409, &qradar_error(409, 1004, msg));
        })
        .await;
    let err = client(&server)
        .closing_reasons()
        .create("Non-Issue")
        .send()
        .await
        .unwrap_err();
    mock.assert_async().await;
    let typed = QRadarErrorCode::AlreadyExists;
    assert_qradar_error(&err, 409, 1004, typed, ErrorKind::Conflict, msg);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn assignable_actors_of_a_missing_offense_is_404_85101001() {
    let server = MockServer::start_async().await;
    let msg = "Offense 9 does not exist";
    let mock = server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offenses/9/assignable_actors", &[]);
            reply(then, 404, &qradar_error(404, 85101001, msg));
        })
        .await;
    let err = client(&server)
        .offenses()
        .assignable_actors(9)
        .send()
        .await
        .unwrap_err();
    mock.assert_async().await;
    let typed = QRadarErrorCode::ActorOffenseNotFound;
    assert_qradar_error(&err, 404, 85101001, typed, ErrorKind::NotFound, msg);
}

#[tokio::test]
async fn a_401_with_a_plain_text_body() {
    let mocked = incident_testkit::mock_api(|url| {
        QRadarClient::builder(url)
            .sec_token(TOKEN)
            .retry_policy(RetryPolicy::disabled())
            .build()
            .expect("a client")
    })
    .await;
    let body = "You are unauthorized to access the requested resource.";
    let mock = mocked
        .server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offenses/1", &[]);
            incident_testkit::text(then, 401, body);
        })
        .await;
    let err = mocked.client.offenses().get(1).send().await.unwrap_err();
    mock.assert_async().await;
    let api = err.api_error().expect("an API error");
    assert_eq!(api.status.as_u16(), 401);
    assert_eq!(err.kind(), Some(ErrorKind::Unauthorized));
    assert_eq!(api.snippet.as_deref(), Some(body));
    assert_eq!(api.body, None);
    assert_eq!((err.vendor_code(), err.vendor_message()), (None, None));
    assert_eq!(err.qradar_code(), None);
    assert_eq!(err.qradar_body(), None);
    assert!(!err.is_not_found() && !err.is_retryable());
    assert!(err.to_string().contains("401"), "{err}");
}

#[tokio::test]
async fn an_html_502_page_gives_the_status_and_a_snippet() {
    let server = MockServer::start_async().await;
    let page =
        "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
    let mock = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[]).header("range", "items=0-9");
            incident_testkit::html(then, 502, page).header("x-request-id", "edge-5c1");
        })
        .await;
    let c = QRadarClient::builder(server.base_url())
        .sec_token(TOKEN)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = c.offenses().list().range(0, 9).send().await.unwrap_err();
    mock.assert_async().await;
    let api = err.api_error().expect("an API error");
    assert_eq!(api.status.as_u16(), 502);
    assert_eq!(err.kind(), Some(ErrorKind::Server));
    assert_eq!(api.snippet.as_deref(), Some(page));
    assert_eq!((api.body.as_ref(), err.vendor_code()), (None, None));
    assert_eq!(err.qradar_code(), None);
    assert_eq!(err.request_id(), Some("edge-5c1"));
    assert_eq!(err.attempts(), 1);
    assert!(err.to_string().contains("Bad Gateway"), "{err}");
}

#[tokio::test]
async fn malformed_json_in_a_success_is_a_decode_error_with_the_json_path() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[]);
            reply(
                then,
                200,
                &json!([{ "id": 1 }, { "id": 2, "severity": "high" }]),
            );
        })
        .await;
    let one = server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offenses/3", &[]);
            then.status(200)
                .header("content-type", JSON_TYPE)
                .body(r#"{"id": 3, "rules": [{"id": 1}, {"id": "#);
        })
        .await;
    let c = client(&server);
    let err = c.offenses().list().send().await.unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("expected a decode error, got {err:?}");
    };
    assert_eq!(d.json_path, "[1].severity", "{err}");
    assert_eq!(d.status.as_u16(), 200);
    assert_eq!(d.path, OFFENSES);
    assert!(err.to_string().contains("[1].severity"), "{err}");
    let err = c.offenses().get(3).send().await.unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("expected a decode error, got {err:?}");
    };
    assert_eq!(d.json_path, "rules[1].id", "{err}");
    assert!(d.snippet.starts_with(r#"{"id": 3"#), "{err}");
    list.assert_async().await;
    one.assert_async().await;
}

#[tokio::test]
async fn a_decode_error_keeps_the_request_id() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offenses/3", &[]);
            reply(then, 200, &json!({ "id": "three" })).header("x-request-id", "req-9f2");
        })
        .await;
    let err = client(&server).offenses().get(3).send().await.unwrap_err();
    mock.assert_async().await;
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert_eq!(err.request_id(), Some("req-9f2"), "{err:?}");
}

#[tokio::test]
async fn an_update_is_retried_after_a_500_but_a_note_is_not() {
    let server = MockServer::start_async().await;
    let fail_update = server
        .mock_async(|when, then| {
            post_on(when, "/api/siem/offenses/42", &[("follow_up", "true")]);
            reply(then, 500, &qradar_error(500, 1020, "busy")).up_to_n_times(1);
        })
        .await;
    let update = server
        .mock_async(|when, then| {
            post_on(when, "/api/siem/offenses/42", &[("follow_up", "true")]);
            reply(then, 200, &json!({ "id": 42, "follow_up": true }));
        })
        .await;
    let fail_note = server
        .mock_async(|when, then| {
            post_on(when, "/api/siem/offenses/42/notes", &[("note_text", "n")]);
            reply(then, 500, &qradar_error(500, 1020, "busy")).up_to_n_times(1);
        })
        .await;
    let note = server
        .mock_async(|when, then| {
            post_on(when, "/api/siem/offenses/42/notes", &[("note_text", "n")]);
            reply(then, 201, &json!({ "id": 1 }));
        })
        .await;
    let fast = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(10));
    let c = builder(&server).retry_policy(fast).build().unwrap();
    let o = c
        .offenses()
        .update(42)
        .follow_up(true)
        .send()
        .await
        .unwrap();
    assert_eq!(o.follow_up, Some(true));
    fail_update.assert_async().await;
    update.assert_async().await;
    // The note may have been created before the 500: it is not sent again.
    let err = c.offenses().notes(42).create("n").send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(err.attempts(), 1);
    fail_note.assert_async().await;
    assert_eq!(note.calls_async().await, 0);
}

#[tokio::test]
async fn every_operation_takes_the_per_call_options() {
    use incident_core::http::{HeaderName, HeaderValue};
    let server = MockServer::start_async().await;
    let traced = |when: When| when.header("x-correlation-id", "c-1");
    let list = server
        .mock_async(|when, then| {
            traced(get_on(when, OFFENSES, &[])).header("range", "items=0-1");
            reply(then, 200, &json!([{ "id": 1 }, { "id": 2 }]))
                .header("content-range", "items 0-1/2");
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            traced(get_on(when, "/api/siem/offenses/1", &[("fields", "id")]));
            reply(then, 200, &json!({ "id": 1 }));
        })
        .await;
    let update = server
        .mock_async(|when, then| {
            traced(post_on(
                when,
                "/api/siem/offenses/1",
                &[("follow_up", "true")],
            ));
            reply(then, 200, &json!({ "id": 1, "follow_up": true }));
        })
        .await;
    let note = server
        .mock_async(|when, then| {
            traced(post_on(
                when,
                "/api/siem/offenses/1/notes",
                &[("note_text", "n")],
            ));
            reply(then, 201, &json!({ "id": 5 }));
        })
        .await;
    // A 503 the client's policy (retries disabled) gives up on; this call's policy retries.
    let flaky = server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offenses/2", &[]);
            reply(then, 503, &json!({})).up_to_n_times(1);
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offenses/2", &[]);
            reply(then, 200, &json!({ "id": 2 }));
        })
        .await;
    let c = client(&server);
    let (name, value) = (
        HeaderName::from_static("x-correlation-id"),
        HeaderValue::from_static("c-1"),
    );
    let page = c
        .offenses()
        .list()
        .range(0, 1)
        .header(name.clone(), value.clone())
        .await
        .unwrap();
    assert_eq!(ids(&page.items), [1, 2]);
    let all: Vec<Offense> = c
        .offenses()
        .list()
        .page_size(2)
        .header(name.clone(), value.clone())
        .deadline(Duration::from_secs(30))
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), [1, 2]);
    assert_eq!(list.calls_async().await, 2);
    let o = c
        .offenses()
        .get(1)
        .fields("id")
        .header(name.clone(), value.clone())
        .await
        .unwrap();
    assert_eq!(o.id, Some(1));
    let call = c.offenses().update(1).follow_up(true).call();
    let sent = call.request().unwrap().query_pairs().count();
    assert_eq!(sent, 1, "the call shows its request before it is sent");
    let o = call.header(name.clone(), value.clone()).await.unwrap();
    assert_eq!(o.follow_up, Some(true));
    let n = c.offenses().notes(1).create("n").call().header(name, value);
    assert_eq!(n.await.unwrap().id, Some(5));
    let fast = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(10));
    let o = c.offenses().get(2).retry_policy(fast).await.unwrap();
    assert_eq!(o.id, Some(2));
    for mock in [&get, &update, &note, &flaky, &second] {
        mock.assert_async().await;
    }
}

// ---------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_sec_token_never_shows_in_debug_or_errors() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offenses/1", &[]);
            reply(
                then,
                401,
                &json!({ "message": "Invalid SEC token", "code": 1001 }),
            );
        })
        .await;
    server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offenses/2", &[]);
            reply(then, 200, &json!({ "id": "two" }));
        })
        .await;
    let b = builder(&server);
    let mut texts = vec![format!("{b:?}")];
    let c = b.build().unwrap();
    texts.push(format!("{c:?}"));
    texts.push(format!("{:?}", c.offenses().list().range(0, 1)));
    texts.push(format!("{:?}", c.offenses().update(1).close(2)));
    texts.push(format!("{:?}", c.offenses().notes(1).create("x")));
    texts.push(format!("{:?}", c.closing_reasons().create("Some reason")));
    let errors = [
        c.offenses().get(1).send().await.unwrap_err(),
        c.offenses().get(2).send().await.unwrap_err(),
        c.offenses().list().range(3, 1).send().await.unwrap_err(),
    ];
    assert!(matches!(errors[0], Error::Api(_)), "{:?}", errors[0]);
    assert!(matches!(errors[1], Error::Decode(_)), "{:?}", errors[1]);
    for err in &errors {
        texts.push(format!("{err:?}"));
        texts.push(format!("{err}"));
    }
    assert!(texts[1].contains("QRadarClient"), "{}", texts[1]);
    for text in &texts {
        assert!(!text.contains(TOKEN), "the token leaks: {text}");
        assert!(
            !text.contains(&TOKEN[4..20]),
            "part of the token leaks: {text}"
        );
    }
}

#[tokio::test]
async fn the_basic_password_never_shows_in_debug_or_errors() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/siem/offenses/1")
                .header("authorization", "Basic c29jLWJvdDpQYTU1IHcwcmQh");
            reply(
                then,
                403,
                &qradar_error(403, 1009, "soc-bot may not read offenses"),
            );
        })
        .await;
    let b = QRadarClient::builder(server.base_url())
        .basic_auth("soc-bot", "Pa55 w0rd!")
        .retry_policy(RetryPolicy::disabled());
    let mut texts = vec![format!("{b:?}")];
    let c = b.build().unwrap();
    texts.push(format!("{c:?}"));
    let err = c.offenses().get(1).send().await.unwrap_err();
    mock.assert_async().await;
    assert_eq!(err.kind(), Some(ErrorKind::Forbidden));
    texts.push(format!("{err:?}"));
    texts.push(format!("{err}"));
    assert!(
        texts[1].contains("soc-bot"),
        "the user name is not secret: {}",
        texts[1]
    );
    for text in &texts {
        assert!(!text.contains("Pa55 w0rd!"), "the password leaks: {text}");
        assert!(
            !text.contains("c29jLWJvdDpQYTU1IHcwcmQh"),
            "the header leaks: {text}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The normalized layer (IncidentSource)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn normalized_ids_must_be_numbers_and_nothing_is_sent_otherwise() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            reply(then, 200, &json!({ "id": 2 }));
        })
        .await;
    let c = client(&server);
    for bad in [
        "1/../2", "../2", "..", "", "abc", "-1", "42/notes", "4 2", "1e3",
    ] {
        let err = IncidentSource::get_incident(&c, bad).await.unwrap_err();
        assert!(is_invalid_input(&err, "offense id"), "{bad:?}: {err:?}");
        let update = IncidentUpdate::new().note("n");
        let err = c.update_incident(bad, &update).await.unwrap_err();
        assert!(is_invalid_input(&err, "offense id"), "{bad:?}: {err:?}");
    }
    let query = IncidentQuery::new();
    let err = c
        .list_incidents(&query, Some(&Cursor::new("../1")))
        .await
        .unwrap_err();
    assert!(is_invalid_input(&err, "cursor"), "{err:?}");
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn normalized_get_maps_a_closed_offense_and_names_its_reason() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offenses/42", &[]);
            reply(
                then,
                200,
                &json!({
                    "id": 42, "status": "CLOSED", "severity": 9, "assigned_to": "alice",
                    "description": "  Suspicious outbound traffic\nfrom 10.0.0.7\n",
                    "start_time": 1_700_000_000_000_u64,
                    "first_persisted_time": 1_700_000_001_000_u64,
                    "last_persisted_time": 1_700_000_400_123_u64,
                    "close_time": 1_700_000_500_000_u64, "closing_reason_id": 2
                }),
            );
        })
        .await;
    let reasons = server
        .mock_async(|when, then| {
            get_on(
                when,
                REASONS,
                &[("include_reserved", "true"), ("include_deleted", "true")],
            )
            .header("range", "items=0-99");
            reply(then, 200, &closing_reasons()).header("content-range", "items 0-3/4");
        })
        .await;
    let incident = IncidentSource::get_incident(&client(&server), "42")
        .await
        .unwrap();
    get.assert_async().await;
    reasons.assert_async().await;
    assert_eq!(incident.id, "42");
    assert_eq!(incident.vendor, qradar_client::QRADAR);
    assert_eq!(incident.title, "Suspicious outbound traffic");
    assert_eq!(
        incident.description.as_deref(),
        Some("Suspicious outbound traffic\nfrom 10.0.0.7")
    );
    assert_eq!(incident.status, IncidentStatus::Closed);
    assert_eq!(incident.severity, Severity::Critical);
    assert_eq!(incident.assignee.as_deref(), Some("alice"));
    assert_eq!(incident.created, Some(datetime!(2023-11-14 22:13:21 UTC)));
    assert_eq!(
        incident.updated,
        Some(datetime!(2023-11-14 22:20:00.123 UTC))
    );
    assert_eq!(incident.closed, Some(datetime!(2023-11-14 22:21:40 UTC)));
    assert_eq!(
        incident.close_reason.as_deref(),
        Some("False-Positive, Tuned")
    );
    assert_eq!(incident.verdict, Some(Verdict::FalsePositive));
    let record = incident.record::<Offense>().expect("the offense behind it");
    assert_eq!(record.closing_reason_id, Some(2));
    assert_eq!(incident.record_json()["severity"], json!(9));
}

#[tokio::test]
async fn normalized_list_of_new_incidents_first_page() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(
                when,
                OFFENSES,
                &[
                    ("sort", "+id"),
                    ("filter", "status = OPEN and assigned_to is null"),
                ],
            )
            .header("range", "items=0-1");
            reply(
                then,
                200,
                &json!([offense(10, "OPEN", None, 1), offense(11, "OPEN", None, 7)]),
            )
            .header("content-range", "items 0-1/3");
        })
        .await;
    let query = IncidentQuery::new()
        .status(IncidentStatus::New)
        .page_size(2);
    let page = client(&server).list_incidents(&query, None).await.unwrap();
    mock.assert_async().await;
    let got: Vec<_> = page
        .items
        .iter()
        .map(|i| {
            (
                i.id.as_str(),
                i.title.as_str(),
                i.status.clone(),
                i.severity.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "10",
                "Offense number 10",
                IncidentStatus::New,
                Severity::Informational
            ),
            (
                "11",
                "Offense number 11",
                IncidentStatus::New,
                Severity::High
            ),
        ]
    );
    assert_eq!(page.items[0].assignee, None);
    assert_eq!(
        page.items[1].created,
        Some(datetime!(2023-11-14 22:13:21.011 UTC))
    );
    assert_eq!(
        page.items[1].updated,
        Some(datetime!(2023-11-14 22:20:00.011 UTC))
    );
    assert_eq!(page.next, Some(Cursor::new("11")));
    assert_eq!(page.total, Some(3));
}

#[tokio::test]
async fn normalized_list_next_page_filters_on_the_last_id() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            get_on(
                when,
                OFFENSES,
                &[
                    ("sort", "+id"),
                    (
                        "filter",
                        "id > 11 and status = OPEN and assigned_to is null",
                    ),
                ],
            )
            .header("range", "items=0-1");
            reply(then, 200, &json!([offense(14, "OPEN", None, 4)]))
                .header("content-range", "items 0-0/1");
        })
        .await;
    let query = IncidentQuery::new()
        .status(IncidentStatus::New)
        .page_size(2);
    let page = client(&server)
        .list_incidents(&query, Some(&Cursor::new("11")))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, "14");
    assert_eq!(page.items[0].severity, Severity::Medium);
    assert_eq!(page.next, None);
}

#[tokio::test]
async fn normalized_list_maps_statuses_severities_and_titles() {
    let server = MockServer::start_async().await;
    let mut closed = offense(4, "CLOSED", Some("bob"), 8);
    closed["closing_reason_id"] = json!(1);
    closed["close_time"] = json!(1_700_000_500_000_u64);
    let mut untitled = offense(5, "OPEN", None, 2);
    untitled["description"] = Value::Null;
    untitled["first_persisted_time"] = Value::Null;
    let offenses = json!([
        offense(1, "OPEN", None, 0),
        offense(2, "OPEN", Some("alice"), 3),
        offense(3, "HIDDEN", None, 5),
        closed,
        untitled
    ]);
    let list = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[("sort", "+id")]).header("range", "items=0-99");
            reply(then, 200, &offenses).header("content-range", "items 0-4/5");
        })
        .await;
    let reasons = mock_all_reasons(&server).await;
    let page = client(&server)
        .list_incidents(&IncidentQuery::new(), None)
        .await
        .unwrap();
    list.assert_async().await;
    reasons.assert_async().await;
    let got: Vec<_> = page
        .items
        .iter()
        .map(|i| (i.status.clone(), i.severity.clone(), i.assignee.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (IncidentStatus::New, Severity::Informational, None),
            (IncidentStatus::InProgress, Severity::Low, Some("alice")),
            (
                IncidentStatus::Other("Hidden".into()),
                Severity::Medium,
                None
            ),
            (IncidentStatus::Closed, Severity::Critical, Some("bob")),
            (IncidentStatus::New, Severity::Low, None),
        ]
    );
    let closed = &page.items[3];
    assert_eq!(closed.close_reason.as_deref(), Some("Non-Issue"));
    // "Non-Issue" reads back as Benign, the verdict that closes with it.
    assert_eq!(closed.verdict, Some(Verdict::Benign));
    assert_eq!(closed.closed, Some(datetime!(2023-11-14 22:21:40 UTC)));
    let untitled = &page.items[4];
    assert_eq!(untitled.title, "Offense 5");
    assert_eq!(untitled.description, None);
    // No first_persisted_time: the creation time falls back to start_time.
    assert_eq!(
        untitled.created,
        Some(datetime!(2023-11-14 22:13:20.005 UTC))
    );
    assert_eq!(page.next, None, "fewer than a page: the last one");
    assert_eq!(page.total, Some(5));
}

#[tokio::test]
async fn normalized_status_and_time_filters() {
    let server = MockServer::start_async().await;
    let filter = "((status = OPEN and assigned_to is not null) or status = HIDDEN) \
                  and last_persisted_time >= 1704067200000 and last_persisted_time < 1704153600000";
    let mock = server
        .mock_async(|when, then| {
            get_on(when, OFFENSES, &[("sort", "+id"), ("filter", filter)])
                .header("range", "items=0-24");
            reply(then, 200, &json!([])).header("content-range", "items */0");
        })
        .await;
    let query = IncidentQuery::new()
        .status(IncidentStatus::InProgress)
        .status(IncidentStatus::Other("Hidden".into()))
        .window(
            TimeField::Updated,
            Some(datetime!(2024-01-01 0:00 UTC)),
            Some(datetime!(2024-01-02 0:00 UTC)),
        )
        .page_size(50)
        .limit(25);
    let page = client(&server).list_incidents(&query, None).await.unwrap();
    mock.assert_async().await;
    assert!(page.items.is_empty());
    assert_eq!(page.next, None);
    assert_eq!(page.total, Some(0));
}

#[tokio::test]
async fn normalized_stream_follows_cursors_across_pages() {
    let server = MockServer::start_async().await;
    let closed = |id: u64| {
        let mut o = offense(id, "CLOSED", None, 6);
        o["closing_reason_id"] = json!(2);
        o
    };
    let first = server
        .mock_async(|when, then| {
            get_on(
                when,
                OFFENSES,
                &[("sort", "+id"), ("filter", "status = CLOSED")],
            )
            .header("range", "items=0-1");
            reply(then, 200, &json!([closed(7), closed(9)])).header("content-range", "items 0-1/3");
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            get_on(
                when,
                OFFENSES,
                &[("sort", "+id"), ("filter", "id > 9 and status = CLOSED")],
            )
            .header("range", "items=0-1");
            reply(then, 200, &json!([closed(12)])).header("content-range", "items 0-0/1");
        })
        .await;
    let reasons = mock_all_reasons(&server).await;
    let c = client(&server);
    let query = IncidentQuery::new()
        .status(IncidentStatus::Closed)
        .page_size(2);
    let all: Vec<_> = c.stream_incidents(query).try_collect().await.unwrap();
    let got: Vec<_> = all
        .iter()
        .map(|i| (i.id.as_str(), i.close_reason.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("7", Some("False-Positive, Tuned")),
            ("9", Some("False-Positive, Tuned")),
            ("12", Some("False-Positive, Tuned")),
        ]
    );
    first.assert_async().await;
    second.assert_async().await;
    // Closing reasons are read once and cached.
    reasons.assert_async().await;
}

#[tokio::test]
async fn normalized_close_by_reason_name_lists_reasons_then_closes() {
    let server = MockServer::start_async().await;
    let reasons = server
        .mock_async(|when, then| {
            get_on(
                when,
                REASONS,
                &[("include_reserved", "true"), ("include_deleted", "true")],
            )
            .header("range", "items=0-99");
            reply(then, 200, &closing_reasons());
        })
        .await;
    let close = server
        .mock_async(|when, then| {
            post_on(
                when,
                "/api/siem/offenses/42",
                &[("status", "CLOSED"), ("closing_reason_id", "2")],
            );
            let mut o = offense(42, "CLOSED", Some("alice"), 6);
            o["closing_reason_id"] = json!(2);
            o["close_time"] = json!(1_700_000_500_000_u64);
            reply(then, 200, &o);
        })
        .await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let update = IncidentUpdate::new().close(Closure::reason("false-positive, tuned"));
    let incident = client(&server)
        .update_incident("42", &update)
        .await
        .unwrap();
    reasons.assert_async().await;
    close.assert_async().await;
    assert_eq!(any.calls_async().await, 0, "no note, no extra read");
    assert_eq!(incident.status, IncidentStatus::Closed);
    assert_eq!(
        incident.close_reason.as_deref(),
        Some("False-Positive, Tuned")
    );
    assert_eq!(incident.verdict, Some(Verdict::FalsePositive));
    assert_eq!(incident.closed, Some(datetime!(2023-11-14 22:21:40 UTC)));
}

#[tokio::test]
async fn normalized_close_with_an_unknown_or_unusable_reason_closes_nothing() {
    let server = MockServer::start_async().await;
    let reasons = mock_all_reasons(&server).await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let c = client(&server);
    let update = IncidentUpdate::new().close(Closure::reason("Solved by magic"));
    let err = c.update_incident("42", &update).await.unwrap_err();
    assert!(is_invalid_input(&err, "closing reason"), "{err:?}");
    assert!(
        err.to_string().contains("Non-Issue"),
        "names usable reasons: {err}"
    );
    // Unknown names reload the list once, in case the reason was just created.
    assert_eq!(reasons.calls_async().await, 2);
    let update = IncidentUpdate::new().close(Closure::reason("System Reserved"));
    let err = c.update_incident("42", &update).await.unwrap_err();
    assert!(is_invalid_input(&err, "closing reason"), "{err:?}");
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn normalized_unsupported_changes_send_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            reply(then, 200, &offense(1, "OPEN", None, 1));
        })
        .await;
    let c = client(&server);
    for update in [
        IncidentUpdate::new().severity(Severity::High),
        IncidentUpdate::new().unassign(),
        IncidentUpdate::new().status(IncidentStatus::OnHold),
        // The supported part must not be half-applied either.
        IncidentUpdate::new().assign("bob").severity(Severity::Low),
        IncidentUpdate::new().note("n").unassign(),
    ] {
        let err = c.update_incident("1", &update).await.unwrap_err();
        assert!(err.is_unsupported(), "{update:?}: {err:?}");
        assert_eq!(err.attempts(), 0);
    }
    let err = c
        .update_incident("1", &IncidentUpdate::new().status(IncidentStatus::Closed))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    let err = c
        .update_incident("1", &IncidentUpdate::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    let query = IncidentQuery::new().status(IncidentStatus::OnHold);
    let err = c.list_incidents(&query, None).await.unwrap_err();
    assert!(err.is_unsupported(), "{err:?}");
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn normalized_assign_with_a_note_posts_the_update_then_the_note() {
    let server = MockServer::start_async().await;
    let assign = server
        .mock_async(|when, then| {
            post_on(when, "/api/siem/offenses/42", &[("assigned_to", "bob")]);
            reply(then, 200, &offense(42, "OPEN", Some("bob"), 5));
        })
        .await;
    let note = server
        .mock_async(|when, then| {
            post_on(
                when,
                "/api/siem/offenses/42/notes",
                &[("note_text", "Escalated to bob: see ticket #123 & co")],
            );
            reply(
                then,
                201,
                &json!({ "id": 300, "note_text": "Escalated to bob: see ticket #123 & co" }),
            );
        })
        .await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let update = IncidentUpdate::new()
        .assign("bob")
        .note("Escalated to bob: see ticket #123 & co");
    let incident = client(&server)
        .update_incident("42", &update)
        .await
        .unwrap();
    assign.assert_async().await;
    note.assert_async().await;
    assert_eq!(any.calls_async().await, 0);
    assert_eq!(incident.assignee.as_deref(), Some("bob"));
    assert_eq!(incident.status, IncidentStatus::InProgress);
}

#[tokio::test]
async fn normalized_note_only_posts_the_note_then_reads_the_offense() {
    let server = MockServer::start_async().await;
    let note = server
        .mock_async(|when, then| {
            post_on(
                when,
                "/api/siem/offenses/42/notes",
                &[("note_text", "Looked at it")],
            );
            reply(then, 201, &json!({ "id": 301 }));
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            get_on(when, "/api/siem/offenses/42", &[]);
            reply(then, 200, &offense(42, "HIDDEN", None, 2));
        })
        .await;
    let update = IncidentUpdate::new().note("Looked at it");
    let incident = client(&server)
        .update_incident("42", &update)
        .await
        .unwrap();
    note.assert_async().await;
    get.assert_async().await;
    assert_eq!(incident.status, IncidentStatus::Other("Hidden".into()));
    assert_eq!(incident.severity, Severity::Low);
}

#[tokio::test]
async fn normalized_close_with_reason_and_verdict_records_the_verdict_in_a_note() {
    let server = MockServer::start_async().await;
    let reasons = mock_all_reasons(&server).await;
    let close = mock_close(&server, 8, 1).await;
    let note = server
        .mock_async(|when, then| {
            post_on(
                when,
                "/api/siem/offenses/8/notes",
                &[(
                    "note_text",
                    "Checked with the asset owner.\nVerdict: Benign",
                )],
            );
            reply(then, 201, &json!({ "id": 302 }));
        })
        .await;
    let update = IncidentUpdate::new()
        .close(Closure::reason("Non-Issue").with_verdict(Verdict::Benign))
        .note("Checked with the asset owner.");
    let incident = client(&server).update_incident("8", &update).await.unwrap();
    reasons.assert_async().await;
    close.assert_async().await;
    note.assert_async().await;
    assert_eq!(incident.status, IncidentStatus::Closed);
    assert_eq!(incident.close_reason.as_deref(), Some("Non-Issue"));
}

#[tokio::test]
async fn normalized_close_by_verdict_picks_the_matching_reason() {
    let server = MockServer::start_async().await;
    let reasons = mock_all_reasons(&server).await;
    let close = mock_close(&server, 8, 1).await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let update = IncidentUpdate::new().close(Closure::verdict(Verdict::Benign));
    let incident = client(&server).update_incident("8", &update).await.unwrap();
    reasons.assert_async().await;
    close.assert_async().await;
    assert_eq!(any.calls_async().await, 0, "a verdict alone needs no note");
    assert_eq!(incident.close_reason.as_deref(), Some("Non-Issue"));
    assert_eq!(incident.verdict, Some(Verdict::Benign));
}

#[tokio::test]
async fn normalized_hidden_status_is_case_insensitive_as_in_filters() {
    let server = MockServer::start_async().await;
    let hide = server
        .mock_async(|when, then| {
            post_on(when, "/api/siem/offenses/5", &[("status", "HIDDEN")]);
            reply(then, 200, &offense(5, "HIDDEN", None, 1));
        })
        .await;
    let update = IncidentUpdate::new().status(IncidentStatus::Other("HIDDEN".into()));
    let result = client(&server).update_incident("5", &update).await;
    let incident = result.unwrap();
    hide.assert_async().await;
    assert_eq!(incident.status, IncidentStatus::Other("Hidden".into()));
}

#[tokio::test]
async fn normalized_new_and_in_progress_follow_the_assignee() {
    let server = MockServer::start_async().await;
    let assigned = server
        .mock_async(|when, then| {
            get_on(
                when,
                "/api/siem/offenses/6",
                &[("fields", "id,assigned_to")],
            );
            reply(then, 200, &json!({"id": 6, "assigned_to": "alice"}));
        })
        .await;
    let unassigned = server
        .mock_async(|when, then| {
            get_on(
                when,
                "/api/siem/offenses/7",
                &[("fields", "id,assigned_to")],
            );
            reply(then, 200, &json!({"id": 7, "assigned_to": null}));
        })
        .await;
    let reopen = server
        .mock_async(|when, then| {
            post_on(when, "/api/siem/offenses/7", &[("status", "OPEN")]);
            reply(then, 200, &offense(7, "OPEN", None, 1));
        })
        .await;
    let c = client(&server);

    // New on an assigned offense would need the assignee removed, which the API cannot do.
    let err = c
        .update_incident("6", &IncidentUpdate::new().status(IncidentStatus::New))
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err:?}");
    // In Progress on an unassigned offense needs an assignee.
    let err = c
        .update_incident(
            "7",
            &IncidentUpdate::new().status(IncidentStatus::InProgress),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, incident_core::Error::InvalidInput { .. }),
        "{err:?}"
    );
    assert_eq!(reopen.calls_async().await, 0, "nothing was changed");

    let incident = c
        .update_incident("7", &IncidentUpdate::new().status(IncidentStatus::New))
        .await
        .unwrap();
    assert_eq!(incident.status, IncidentStatus::New);
    assigned.assert_calls_async(1).await;
    unassigned.assert_calls_async(2).await;
    reopen.assert_async().await;
}

// ---------------------------------------------------------------------------------------
// Refusals inside a 2xx
// ---------------------------------------------------------------------------------------

/// An error built from [`qradar_error`] that came with the success status `status`: the
/// status as sent, and everything else the body says.
fn assert_refused_inside(
    err: &Error,
    status: u16,
    code: i64,
    typed: QRadarErrorCode,
    kind: ErrorKind,
    message: &str,
) {
    let Error::Api(api) = err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(api.status.as_u16(), status, "{err}");
    assert_eq!(err.kind(), Some(kind), "{err}");
    assert_eq!(err.vendor_code(), Some(code.to_string().as_str()));
    assert_eq!(
        err.vendor_message(),
        Some(format!("{message} — {}", description(code)).as_str())
    );
    assert_eq!(err.qradar_code(), Some(typed));
    assert_eq!(err.qradar_body().and_then(|b| b.code), Some(code));
    assert_eq!(err.attempts(), 1, "an answer is not retried");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_offense_update_refused_inside_a_200_is_an_error() {
    let server = MockServer::start_async().await;
    let message = "Offense 42 is inactive and cannot be closed";
    let mock = server
        .mock_async(|when, then| {
            post_on(
                when,
                "/api/siem/offenses/42",
                &[("status", "CLOSED"), ("closing_reason_id", "3")],
            );
            reply(then, 200, &qradar_error(409, 1008, message));
        })
        .await;
    let err = client(&server)
        .offenses()
        .update(42)
        .close(3)
        .send()
        .await
        .unwrap_err();
    mock.assert_async().await;
    assert_refused_inside(
        &err,
        200,
        1008,
        QRadarErrorCode::OffenseState,
        ErrorKind::Conflict,
        message,
    );
    assert_eq!(
        err.qradar_body()
            .and_then(|b| b.http_response)
            .and_then(|h| h.code),
        Some(409)
    );
}

#[tokio::test]
async fn a_note_refused_inside_a_201_is_an_error() {
    let server = MockServer::start_async().await;
    let message = "Offense 42 does not exist";
    let mock = server
        .mock_async(|when, then| {
            post_on(
                when,
                "/api/siem/offenses/42/notes",
                &[("note_text", "Escalated to tier 2")],
            );
            reply(then, 201, &qradar_error(404, 1002, message));
        })
        .await;
    let err = client(&server)
        .offenses()
        .notes(42)
        .create("Escalated to tier 2")
        .send()
        .await
        .unwrap_err();
    mock.assert_async().await;
    assert_refused_inside(
        &err,
        201,
        1002,
        QRadarErrorCode::NotFound,
        ErrorKind::NotFound,
        message,
    );
    assert!(err.is_not_found());
}

#[tokio::test]
async fn error_bodies_of_every_variant_inside_a_2xx_are_errors_and_records_are_not() {
    let server = MockServer::start_async().await;
    // A closing reason refused; the unique code is one this crate does not know, so the
    // kind comes from `http_response`.
    let reason = server
        .mock_async(|when, then| {
            post_on(when, REASONS, &[("reason", "Duplicate")]);
            reply(
                then,
                201,
                &json!({"http_response": {"code": 403, "message": "Forbidden"}, "code": 4711,
                        "message": "No capability to add closing reasons", "details": {}}),
            );
        })
        .await;
    let err = client(&server)
        .closing_reasons()
        .create("Duplicate")
        .send()
        .await
        .unwrap_err();
    reason.assert_async().await;
    assert_eq!(err.status().map(|s| s.as_u16()), Some(201));
    assert_eq!(err.kind(), Some(ErrorKind::Forbidden), "{err}");
    assert_eq!(err.qradar_code(), Some(QRadarErrorCode::Other(4711)));
    assert_eq!(
        err.vendor_message(),
        Some("No capability to add closing reasons")
    );
    // A variant without `http_response` (a proxy, a removed version): `code` and `message`.
    let follow_up = server
        .mock_async(|when, then| {
            post_on(when, "/api/siem/offenses/7", &[("follow_up", "true")]);
            reply(
                then,
                200,
                &json!({"code": "1008", "message": "Offense is closed", "severity": "ERROR"}),
            );
        })
        .await;
    let err = client(&server)
        .offenses()
        .update(7)
        .follow_up(true)
        .send()
        .await
        .unwrap_err();
    follow_up.assert_async().await;
    assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
    assert_eq!(err.qradar_code(), Some(QRadarErrorCode::OffenseState));
    assert_eq!(err.kind(), Some(ErrorKind::Conflict));
    // A record holding only what `fields=` asked for, even without its id, is a record.
    let protect = server
        .mock_async(|when, then| {
            post_on(
                when,
                "/api/siem/offenses/8",
                &[("protected", "true"), ("fields", "protected")],
            );
            reply(then, 200, &json!({"protected": true}));
        })
        .await;
    let offense = client(&server)
        .offenses()
        .update(8)
        .protected(true)
        .fields("protected")
        .send()
        .await
        .unwrap();
    protect.assert_async().await;
    assert_eq!(offense.protected, Some(true));
    assert_eq!(offense.id, None);
}
