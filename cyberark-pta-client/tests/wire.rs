//! Wire-level tests of the PTA client: for every operation, the exact request that goes out
//! (method, path with its trailing slash, the complete query, the raw session token in
//! `Authorization`, the JSON body) and the decoded answer; the logon and logoff, the re-logon
//! on 401, the URL rules refused before any request, and the normalized layer on top.

use std::time::Duration;

use cyberark_pta_client::{
    AuthType, CloseReason, DateUnit, EventFilterMode, EventStatus, EventType, PtaClient,
    PtaClientBuilder, PtaErrorCode, PtaErrorExt, RiskType,
};
use futures::TryStreamExt;
use httpmock::prelude::*;
use httpmock::{Mock, Then, When};
use incident_core::{
    Closure, Cursor, Error, ErrorKind, IncidentQuery, IncidentSource, IncidentStatus,
    IncidentUpdate, RetryPolicy, TimeField,
};
use serde_json::{Value, json};
use time::macros::datetime;

const USER: &str = "soc-bot";
const PASSWORD: &str = "Pa55 w0rd+&%-wire";
const TOKEN: &str = "tok-7f3a9c2e41d84b6e9d0a5e1f00c0ffee";
const EVENTS: &str = "/PasswordVault/API/pta/API/Events/";
const RISKS: &str = "/PasswordVault/API/pta/API/Risks/RisksEvents/";
const XSOAR: &str = include_str!("fixtures/events_xsoar.json");

fn builder(server: &MockServer) -> PtaClientBuilder {
    PtaClient::builder(server.base_url())
        .credentials(USER, PASSWORD)
        .retry_policy(RetryPolicy::disabled())
}

fn client(server: &MockServer) -> PtaClient {
    builder(server).build().expect("a client")
}

fn reply(then: Then, status: u16, body: &Value) -> Then {
    incident_testkit::json_reply(then, status, body)
}

/// The logon of `kind` with the test credentials, answered with `token` as a JSON string.
async fn mock_logon<'a>(server: &'a MockServer, kind: &str, token: &str) -> Mock<'a> {
    let path = format!("/PasswordVault/API/auth/{kind}/Logon");
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(path)
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .header_missing("authorization")
                .json_body(json!({"username": USER, "password": PASSWORD}));
            reply(then, 200, &json!(token));
        })
        .await
}

/// A call with the raw session token (no scheme) and the client's headers.
fn authed(when: When, method: Method, path: &str, query: &[(&str, &str)]) -> When {
    let when = when
        .method(method)
        .path(path)
        .header("authorization", TOKEN)
        .header("accept", "application/json")
        .header_prefix("user-agent", "cyberark-pta-client/");
    incident_testkit::exact_query(when, query)
}

fn xsoar() -> Value {
    serde_json::from_str(XSOAR).unwrap()
}

fn is_invalid(err: &Error, expected: &str) -> bool {
    matches!(err, Error::InvalidInput { what, .. } if *what == expected)
}

// -----------------------------------------------------------------------------------------
// Sessions
// -----------------------------------------------------------------------------------------

#[tokio::test]
async fn one_logon_then_the_raw_token_on_every_call() {
    let server = MockServer::start_async().await;
    let logon = mock_logon(&server, "CyberArk", TOKEN).await;
    let list = server
        .mock_async(|when, then| {
            authed(when, GET, EVENTS, &[]).header_missing("content-length");
            reply(then, 200, &xsoar());
        })
        .await;
    let c = client(&server);
    let events = c.events().list().send().await.unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(
        events[0].event_type,
        Some(EventType::InteractiveLogonWithServiceAccount)
    );
    let again = c.events().list().await.unwrap();
    assert_eq!(again, events);
    assert_eq!(logon.calls_async().await, 1, "the session is reused");
    assert_eq!(list.calls_async().await, 2);
    assert_eq!(c.sessions_obtained(), 1);
}

#[tokio::test]
async fn each_logon_type_goes_in_the_path_with_concurrent_session() {
    for kind in [
        AuthType::CyberArk,
        AuthType::Ldap,
        AuthType::Radius,
        AuthType::Windows,
    ] {
        let server = MockServer::start_async().await;
        let path = format!("/PasswordVault/API/auth/{kind}/Logon");
        let logon = server
            .mock_async(|when, then| {
                when.method(POST).path(path).json_body(json!({
                    "username": USER, "password": PASSWORD, "concurrentSession": true
                }));
                reply(then, 200, &json!(TOKEN));
            })
            .await;
        let c = builder(&server)
            .auth_type(kind)
            .concurrent_session(true)
            .build()
            .unwrap();
        c.log_on().await.unwrap();
        assert_eq!(logon.calls_async().await, 1, "{kind}");
    }
}

#[tokio::test]
async fn a_configured_application_path_prefixes_every_call() {
    let server = MockServer::start_async().await;
    let logon = server
        .mock_async(|when, then| {
            when.method(POST).path("/pam/PV/API/auth/CyberArk/Logon");
            reply(then, 200, &json!(TOKEN));
        })
        .await;
    let list = server
        .mock_async(|when, then| {
            authed(when, GET, "/pam/PV/API/pta/API/Events/", &[]);
            reply(then, 200, &json!([]));
        })
        .await;
    let c = builder(&server).app_path("pam/PV").build().unwrap();
    assert_eq!(c.app_path(), "pam/PV");
    assert!(c.events().list().await.unwrap().is_empty());
    assert_eq!(
        (logon.calls_async().await, list.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn logoff_sends_the_token_and_the_next_call_logs_on_again() {
    let server = MockServer::start_async().await;
    let logon = mock_logon(&server, "CyberArk", TOKEN).await;
    let logoff = server
        .mock_async(|when, then| {
            authed(when, POST, "/PasswordVault/API/Auth/Logoff", &[])
                .header("content-length", "0")
                .body("");
            then.status(200);
        })
        .await;
    let list = server
        .mock_async(|when, then| {
            authed(when, GET, EVENTS, &[]);
            reply(then, 200, &json!([]));
        })
        .await;
    let c = client(&server);
    // Without a session, nothing to log off.
    c.log_off().await.unwrap();
    assert_eq!(logoff.calls_async().await, 0);
    c.events().list().await.unwrap();
    c.log_off().await.unwrap();
    assert_eq!(logoff.calls_async().await, 1);
    c.events().list().await.unwrap();
    assert_eq!(logon.calls_async().await, 2);
    assert_eq!(list.calls_async().await, 2);
}

#[tokio::test]
async fn an_expired_session_logs_on_once_more_and_replays() {
    let server = MockServer::start_async().await;
    let first_logon = mock_logon(&server, "CyberArk", TOKEN).await;
    let ok = server
        .mock_async(|when, then| {
            authed(when, GET, EVENTS, &[]);
            reply(then, 200, &json!([]));
        })
        .await;
    let c = client(&server);
    c.events().list().await.unwrap();
    // The server forgets the session: the old token gets 401, a new logon gives another.
    first_logon.delete_async().await;
    ok.delete_async().await;
    let expired = server
        .mock_async(|when, then| {
            authed(when, GET, EVENTS, &[]);
            reply(
                then,
                401,
                &json!({"ErrorCode": "ITATS955E", "ErrorMessage": "You are unauthorized."}),
            );
        })
        .await;
    let second_logon = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/PasswordVault/API/auth/CyberArk/Logon");
            reply(then, 200, &json!("tok-second"));
        })
        .await;
    let replayed = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(EVENTS)
                .header("authorization", "tok-second");
            reply(then, 200, &xsoar());
        })
        .await;
    let events = c.events().list().await.unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(expired.calls_async().await, 1);
    assert_eq!(second_logon.calls_async().await, 1);
    assert_eq!(replayed.calls_async().await, 1);
    assert_eq!(c.sessions_obtained(), 2);
}

#[tokio::test]
async fn a_refused_logon_is_typed_and_not_repeated() {
    let server = MockServer::start_async().await;
    let logon = server
        .mock_async(|when, then| {
            when.method(POST).path("/PasswordVault/API/auth/CyberArk/Logon");
            reply(
                then,
                403,
                &json!({"ErrorCode": "PASWS013E",
                        "ErrorMessage": "Failed to logon. Reason: Authentication failure for User soc-bot"}),
            );
        })
        .await;
    let err = client(&server).events().list().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(err.kind(), Some(ErrorKind::Unauthorized));
    assert_eq!(err.pta_code(), Some(PtaErrorCode::LogonFailed));
    assert_eq!(err.vendor_code(), Some("PASWS013E"));
    assert!(err.to_string().contains("Authentication failure"), "{err}");
    assert!(!err.to_string().contains(PASSWORD) && !format!("{err:?}").contains(PASSWORD));
    assert_eq!(logon.calls_async().await, 1);
}

#[tokio::test]
async fn a_logon_answer_that_is_not_a_string_is_a_protocol_error_without_the_body() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/PasswordVault/API/auth/CyberArk/Logon");
            reply(then, 200, &json!({"token": "secret-looking-value"}));
        })
        .await;
    let err = client(&server).log_on().await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("secret-looking-value"));
}

// -----------------------------------------------------------------------------------------
// Security events
// -----------------------------------------------------------------------------------------

#[tokio::test]
async fn list_filters_go_in_the_query() {
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    let from = datetime!(2020-07-01 00:00:00.250 UTC);
    let list = server
        .mock_async(|when, then| {
            authed(
                when,
                GET,
                EVENTS,
                &[
                    ("status", "OPEN"),
                    ("fromUpdateDate", "1593561600250"),
                    ("accountID", "27_3"),
                ],
            );
            reply(then, 200, &json!([xsoar()[0]]));
        })
        .await;
    let events = client(&server)
        .events()
        .list()
        .status(EventStatus::Open)
        .from_update_date(from)
        .account_id("27_3")
        .await
        .unwrap();
    assert_eq!(events[0].audits()[0].account_id.as_deref(), Some("27_3"));
    assert_eq!(list.calls_async().await, 1);
}

#[tokio::test]
async fn dates_in_seconds_when_the_server_reads_seconds() {
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    let list = server
        .mock_async(|when, then| {
            authed(when, GET, EVENTS, &[("fromUpdateDate", "1593561600")]);
            reply(then, 200, &json!([]));
        })
        .await;
    let c = builder(&server)
        .date_unit(DateUnit::Seconds)
        .build()
        .unwrap();
    c.events()
        .list()
        .from_update_date(datetime!(2020-07-01 00:00:00.250 UTC))
        .await
        .unwrap();
    assert_eq!(list.calls_async().await, 1);
}

#[tokio::test]
async fn the_legacy_mode_sends_the_date_header_and_filters_the_status_itself() {
    let server = MockServer::start_async().await;
    let logon = mock_logon(&server, "CyberArk", TOKEN).await;
    let mut answer = xsoar();
    answer[2]["mStatus"] = json!("CLOSED");
    let list = server
        .mock_async(|when, then| {
            authed(when, GET, EVENTS, &[]).header("lastupdatedeventdate", "1593561600000");
            reply(then, 200, &answer);
        })
        .await;
    let c = builder(&server)
        .event_filter_mode(EventFilterMode::LegacyHeader)
        .build()
        .unwrap();
    let open = c
        .events()
        .list()
        .status(EventStatus::Open)
        .from_update_date(datetime!(2020-07-01 0:00 UTC))
        .await
        .unwrap();
    assert_eq!(open.len(), 2);
    assert!(open.iter().all(|e| e.is_open()));
    assert_eq!(list.calls_async().await, 1);
    let err = c.events().list().account_id("27_3").await.unwrap_err();
    assert!(is_invalid(&err, "accountID"), "{err:?}");
    assert_eq!(list.calls_async().await + logon.calls_async().await, 2);
}

#[tokio::test]
async fn get_goes_through_the_list() {
    let server = MockServer::start_async().await;
    let logon = mock_logon(&server, "CyberArk", TOKEN).await;
    let list = server
        .mock_async(|when, then| {
            authed(when, GET, EVENTS, &[]);
            reply(then, 200, &xsoar());
        })
        .await;
    let c = client(&server);
    let e = c.events().get("5f0c5b5de4b0ba4baf5c66db").await.unwrap();
    assert_eq!(e.score, Some(29.414062500000004));
    let err = c
        .events()
        .get("000000000000000000000000")
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(matches!(err, Error::NotFound { .. }));
    assert_eq!(list.calls_async().await, 2);
    // Refused before any request.
    let err = c.events().get("../admin").await.unwrap_err();
    assert!(is_invalid(&err, "event id"), "{err:?}");
    assert_eq!(list.calls_async().await + logon.calls_async().await, 3);
}

#[tokio::test]
async fn close_and_reopen_patch_the_status_upper_case() {
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    let id = "5f0ea000e4b0ba4baf5d1910";
    let mut closed = xsoar()[1].clone();
    closed["mStatus"] = json!("Closed");
    let path = format!("/PasswordVault/API/pta/API/Events/{id}");
    let close = server
        .mock_async(|when, then| {
            authed(when, PATCH, &path, &[])
                .header("content-type", "application/json")
                .json_body(json!({"mStatus": "CLOSED"}));
            reply(then, 200, &closed);
        })
        .await;
    let reopen = server
        .mock_async(|when, then| {
            authed(when, PATCH, &path, &[]).json_body(json!({"mStatus": "OPEN"}));
            reply(then, 200, &xsoar()[1]);
        })
        .await;
    let c = client(&server);
    let e = c.events().close(id).await.unwrap();
    assert_eq!(e.status, Some(EventStatus::Closed), "parsed in any case");
    let e = c.events().reopen(id).await.unwrap();
    assert_eq!(e.status, Some(EventStatus::Open));
    let e = c.events().update(id, EventStatus::Closed).await.unwrap();
    assert_eq!(e.id.as_deref(), Some(id));
    assert_eq!(
        (close.calls_async().await, reopen.calls_async().await),
        (2, 1)
    );
}

#[tokio::test]
async fn the_url_rules_refuse_before_sending_and_a_dot_gets_a_slash() {
    let server = MockServer::start_async().await;
    let logon = mock_logon(&server, "CyberArk", TOKEN).await;
    let dotted = server
        .mock_async(|when, then| {
            authed(when, PATCH, "/PasswordVault/API/pta/API/Events/ev.1/", &[]);
            reply(then, 200, &xsoar()[1]);
        })
        .await;
    let c = client(&server);
    for bad in ["a b", "a+b", "a&b", "a%2Fb", "a/b", "", "..", "é"] {
        let err = c.events().close(bad).await.unwrap_err();
        assert!(is_invalid(&err, "event id"), "{bad}: {err:?}");
        let err = c.risks().reopen(bad).await.unwrap_err();
        assert!(is_invalid(&err, "risk event id"), "{bad}: {err:?}");
    }
    let err = c.events().list().account_id("27 3").await.unwrap_err();
    assert!(err.to_string().contains("no spaces"), "{err}");
    assert_eq!(logon.calls_async().await, 0, "nothing was sent");
    c.events().close("ev.1").await.unwrap();
    assert_eq!(dotted.calls_async().await, 1);
    let err = c
        .events()
        .update("x", EventStatus::Unknown("PENDING".into()))
        .await
        .unwrap_err();
    assert!(is_invalid(&err, "mStatus"), "{err:?}");
}

#[tokio::test]
async fn an_html_page_with_200_is_a_typed_error_with_a_snippet() {
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    server
        .mock_async(|when, then| {
            authed(when, GET, EVENTS, &[]);
            incident_testkit::html(
                then,
                200,
                "<html><head><title>Guru Meditation</title></head><body>Portal</body></html>",
            );
        })
        .await;
    let err = client(&server).events().list().await.unwrap_err();
    let api = err.api_error().expect("an API error");
    assert_eq!(api.status.as_u16(), 200);
    assert!(api.snippet.as_deref().unwrap().contains("Guru Meditation"));
    assert!(err.to_string().contains("HTML page"), "{err}");
}

#[tokio::test]
async fn a_malformed_event_list_names_the_json_path() {
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    server
        .mock_async(|when, then| {
            authed(when, GET, EVENTS, &[]);
            reply(
                then,
                200,
                &json!([{"id": "a"}, {"id": "b", "score": "high"}]),
            );
        })
        .await;
    let err = client(&server).events().list().await.unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("expected a decode error, got {err:?}");
    };
    assert_eq!(d.json_path, "[1].score");
}

// -----------------------------------------------------------------------------------------
// Risk events
// -----------------------------------------------------------------------------------------

fn risk(id: &str, score: f64) -> Value {
    json!({"id": id, "type": "RISK_RISKY_SPN", "score": score, "status": "OPEN",
           "detectionTime": 1735000000000_i64})
}

#[tokio::test]
async fn risk_list_sends_filter_sort_page_and_size() {
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    let list = server
        .mock_async(|when, then| {
            authed(
                when,
                GET,
                RISKS,
                &[
                    ("filter", r#"type eq "RISK_RISKY_SPN" AND status eq "OPEN""#),
                    ("sort", "score"),
                    ("page", "2"),
                    ("size", "50"),
                ],
            );
            reply(then, 200, &json!({"entities": [risk("r1", 44.5)]}));
        })
        .await;
    let c = client(&server);
    let page = c
        .risks()
        .list()
        .risk_type(RiskType::RiskySpn)
        .status(EventStatus::Open)
        .sort("score")
        .page(2)
        .size(50)
        .await
        .unwrap();
    assert_eq!(page.entities[0].score, Some(44.5));
    assert_eq!(list.calls_async().await, 1);
    for size in [0, 1001] {
        let err = c.risks().list().size(size).await.unwrap_err();
        assert!(is_invalid(&err, "size"), "{err:?}");
    }
    let err = c
        .risks()
        .list()
        .filter("type eq \"A&B\"")
        .await
        .unwrap_err();
    assert!(is_invalid(&err, "filter"), "{err:?}");
    assert_eq!(list.calls_async().await, 1);
}

#[tokio::test]
async fn the_risk_stream_walks_pages_until_a_short_one() {
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    let mut mocks = Vec::new();
    for (page, ids) in [
        ("0", vec!["a", "b"]),
        ("1", vec!["c", "d"]),
        ("2", vec!["e"]),
    ] {
        let entities: Vec<Value> = ids.iter().map(|id| risk(id, 10.0)).collect();
        mocks.push(
            server
                .mock_async(|when, then| {
                    authed(
                        when,
                        GET,
                        RISKS,
                        &[
                            ("filter", "status eq \"OPEN\""),
                            ("page", page),
                            ("size", "2"),
                        ],
                    );
                    reply(then, 200, &json!({"entities": entities}));
                })
                .await,
        );
    }
    let ids: Vec<String> = client(&server)
        .risks()
        .list()
        .status(EventStatus::Open)
        .size(2)
        .into_stream()
        .map_ok(|r| r.id.unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    for m in &mocks {
        assert_eq!(m.calls_async().await, 1);
    }
}

#[tokio::test]
async fn a_risk_page_longer_than_asked_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    server
        .mock_async(|when, then| {
            authed(when, GET, RISKS, &[("size", "1")]);
            reply(
                then,
                200,
                &json!({"entities": [risk("a", 1.0), risk("b", 2.0)]}),
            );
        })
        .await;
    let err = client(&server).risks().list().size(1).await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
}

#[tokio::test]
async fn risk_close_and_reopen_send_the_reason() {
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    let path = format!("{RISKS}r1");
    let close = server
        .mock_async(|when, then| {
            authed(when, PATCH, &path, &[]).json_body(json!({
                "status": "CLOSED", "closeReason": "NOTREAL", "reasonText": "lab account"
            }));
            let mut closed = risk("r1", 44.5);
            closed["status"] = json!("CLOSED");
            closed["closeReason"] = json!("NOTREAL");
            reply(then, 200, &closed);
        })
        .await;
    let reopen = server
        .mock_async(|when, then| {
            authed(when, PATCH, &path, &[]).json_body(json!({"status": "OPEN"}));
            reply(then, 200, &risk("r1", 44.5));
        })
        .await;
    let c = client(&server);
    let r = c
        .risks()
        .close("r1", CloseReason::NotReal)
        .reason_text("lab account")
        .await
        .unwrap();
    assert_eq!(r.close_reason, Some(CloseReason::NotReal));
    let r = c.risks().reopen("r1").await.unwrap();
    assert_eq!(r.status, Some(EventStatus::Open));
    assert_eq!(
        (close.calls_async().await, reopen.calls_async().await),
        (1, 1)
    );
    let err = c
        .risks()
        .close("r1", CloseReason::Handled)
        .reason_text("é".repeat(101))
        .await
        .unwrap_err();
    assert!(is_invalid(&err, "reasonText"), "{err:?}");
    let err = c.risks().reopen("r1").reason_text("why").await.unwrap_err();
    assert!(is_invalid(&err, "reasonText"), "{err:?}");
    assert_eq!(close.calls_async().await + reopen.calls_async().await, 2);
}

// -----------------------------------------------------------------------------------------
// The normalized layer
// -----------------------------------------------------------------------------------------

#[tokio::test]
async fn normalized_listing_pages_in_the_client_with_a_time_cursor() {
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    // First page: status and the window's start (one second earlier) go to the server.
    let first = server
        .mock_async(|when, then| {
            authed(
                when,
                GET,
                EVENTS,
                &[("status", "OPEN"), ("fromUpdateDate", "1594500000000")],
            );
            reply(then, 200, &xsoar());
        })
        .await;
    let c = client(&server);
    let query = IncidentQuery::new()
        .status(IncidentStatus::New)
        .window(
            TimeField::Updated,
            Some(datetime!(2020-07-11 20:40:01 UTC)),
            None,
        )
        .page_size(2);
    let page = c.list_incidents(&query, None).await.unwrap();
    let ids: Vec<&str> = page.items.iter().map(|i| i.id.as_str()).collect();
    // Oldest change first.
    assert_eq!(
        ids,
        ["5f0c5b5de4b0ba4baf5c66db", "5f0ea000e4b0ba4baf5d1910"]
    );
    assert_eq!(page.total, Some(3));
    let next = page.next.clone().expect("a next page");
    assert_eq!(
        next.as_str(),
        "1594793984000000000:5f0ea000e4b0ba4baf5d1910"
    );
    assert_eq!(first.calls_async().await, 1);
    // The next page asks from the cursor's time.
    let second = server
        .mock_async(|when, then| {
            authed(
                when,
                GET,
                EVENTS,
                &[("status", "OPEN"), ("fromUpdateDate", "1594793983000")],
            );
            reply(then, 200, &json!([xsoar()[0], xsoar()[1]]));
        })
        .await;
    let page = c.list_incidents(&query, Some(&next)).await.unwrap();
    let ids: Vec<&str> = page.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["5ebd5480e4b07501bd67d51c"]);
    assert_eq!((page.next, page.total), (None, None));
    assert_eq!(second.calls_async().await, 1);

    let err = c
        .list_incidents(&IncidentQuery::new().status(IncidentStatus::OnHold), None)
        .await
        .unwrap_err();
    assert!(err.is_unsupported());
    let err = c
        .list_incidents(&query, Some(&Cursor::new("later")))
        .await
        .unwrap_err();
    assert!(is_invalid(&err, "cursor"));
}

#[tokio::test]
async fn normalized_get_and_update() {
    let server = MockServer::start_async().await;
    let logon = mock_logon(&server, "CyberArk", TOKEN).await;
    let list = server
        .mock_async(|when, then| {
            authed(when, GET, EVENTS, &[]);
            reply(then, 200, &xsoar());
        })
        .await;
    let id = "5f0ea000e4b0ba4baf5d1910";
    let mut closed = xsoar()[1].clone();
    closed["mStatus"] = json!("CLOSED");
    let patch = server
        .mock_async(|when, then| {
            authed(
                when,
                PATCH,
                &format!("/PasswordVault/API/pta/API/Events/{id}"),
                &[],
            )
            .json_body(json!({"mStatus": "CLOSED"}));
            reply(then, 200, &closed);
        })
        .await;
    let c = client(&server);
    let i = c.get_incident(id).await.unwrap();
    assert_eq!(i.status, IncidentStatus::New);
    let i = c
        .update_incident(id, &IncidentUpdate::new().close(Closure::default()))
        .await
        .unwrap();
    assert_eq!(i.status, IncidentStatus::Closed);
    assert_eq!(
        (list.calls_async().await, patch.calls_async().await),
        (1, 1)
    );
    for refused in [
        IncidentUpdate::new().note("n"),
        IncidentUpdate::new().assign("analyst"),
        IncidentUpdate::new().close(Closure::reason("HANDLED")),
        IncidentUpdate::new().status(IncidentStatus::InProgress),
    ] {
        let err = c.update_incident(id, &refused).await.unwrap_err();
        assert!(err.is_unsupported(), "{refused:?}: {err:?}");
    }
    let err = c
        .update_incident("a b", &IncidentUpdate::new().close(Closure::default()))
        .await
        .unwrap_err();
    assert!(is_invalid(&err, "event id"));
    assert_eq!(patch.calls_async().await, 1);
    assert_eq!(logon.calls_async().await, 1);
}

#[tokio::test]
async fn a_slow_pvwa_hits_the_deadline() {
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    server
        .mock_async(|when, then| {
            authed(when, GET, EVENTS, &[]);
            reply(then, 200, &json!([])).delay(Duration::from_secs(5));
        })
        .await;
    let c = builder(&server)
        .deadline(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = c.events().list().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

// -----------------------------------------------------------------------------------------
// Refusals inside a 2xx
// -----------------------------------------------------------------------------------------

/// PVWA's error body.
fn pvwa_error(code: &str, message: &str) -> Value {
    json!({"ErrorCode": code, "ErrorMessage": message})
}

/// An API error with status 200 carrying PVWA's error body as sent.
fn assert_refused(err: &Error, code: &str, message: &str) {
    let api = err.api_error().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(api.status.as_u16(), 200, "{err}");
    assert_eq!(err.vendor_code(), Some(code), "{err}");
    assert_eq!(err.vendor_message(), Some(message), "{err}");
    assert_eq!(err.pta_code(), Some(PtaErrorCode::from_code(code)));
    let body = err.pta_body().unwrap();
    assert_eq!(
        (body.error_code.as_deref(), body.error_message.as_deref()),
        (Some(code), Some(message))
    );
    assert_eq!(err.attempts(), 1, "an answer is not retried");
}

#[tokio::test]
async fn a_security_event_patch_refused_inside_a_200_is_an_error() {
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    let id = "5f0ea000e4b0ba4baf5d1910";
    let path = format!("{EVENTS}{id}");
    let message = "Security event 5f0ea000e4b0ba4baf5d1910 could not be updated";
    let close = server
        .mock_async(|when, then| {
            authed(when, PATCH, &path, &[])
                .header("content-type", "application/json")
                .json_body(json!({"mStatus": "CLOSED"}));
            reply(then, 200, &pvwa_error("PASWS167E", message));
        })
        .await;
    let reopen = server
        .mock_async(|when, then| {
            authed(when, PATCH, &path, &[])
                .header("content-type", "application/json")
                .json_body(json!({"mStatus": "OPEN"}));
            reply(
                then,
                200,
                &pvwa_error(
                    "CAIWS001E",
                    "Couldn't retrieve session token from request header",
                ),
            );
        })
        .await;
    let c = client(&server);
    let err = c.events().close(id).await.unwrap_err();
    close.assert_async().await;
    assert_refused(&err, "PASWS167E", message);
    // The code says what the 200 does not: the values were refused.
    assert_eq!(err.kind(), Some(ErrorKind::InvalidRequest), "{err}");
    let err = c.events().reopen(id).await.unwrap_err();
    reopen.assert_async().await;
    assert_refused(
        &err,
        "CAIWS001E",
        "Couldn't retrieve session token from request header",
    );
    assert_eq!(err.kind(), Some(ErrorKind::Unauthorized), "{err}");
}

#[tokio::test]
async fn a_risk_event_close_or_reopen_refused_inside_a_200_is_an_error() {
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    let path = format!("{RISKS}r1");
    let message = "ITATS955E You are unauthorized to perform this action.";
    let close = server
        .mock_async(|when, then| {
            authed(when, PATCH, &path, &[])
                .header("content-type", "application/json")
                .json_body(json!({"status": "CLOSED", "closeReason": "HANDLED"}));
            // The code only at the start of the message, in camel case.
            reply(then, 200, &json!({"errorMessage": message}));
        })
        .await;
    let reopen = server
        .mock_async(|when, then| {
            authed(when, PATCH, &path, &[])
                .header("content-type", "application/json")
                .json_body(json!({"status": "OPEN"}));
            reply(
                then,
                200,
                &pvwa_error("PASWS041E", "Risk event r1 was not found"),
            );
        })
        .await;
    let c = client(&server);
    let err = c
        .risks()
        .close("r1", CloseReason::Handled)
        .await
        .unwrap_err();
    close.assert_async().await;
    assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
    assert_eq!(err.pta_code(), Some(PtaErrorCode::Unauthorized));
    assert_eq!(err.vendor_message(), Some(message));
    assert_eq!(err.attempts(), 1);
    let err = c.risks().reopen("r1").await.unwrap_err();
    reopen.assert_async().await;
    assert_refused(&err, "PASWS041E", "Risk event r1 was not found");
}

// -----------------------------------------------------------------------------------------
// Per-call options
// -----------------------------------------------------------------------------------------

#[tokio::test]
async fn every_operation_takes_the_per_call_options() {
    use incident_core::http::{HeaderName, HeaderValue};
    let server = MockServer::start_async().await;
    mock_logon(&server, "CyberArk", TOKEN).await;
    let traced = |when: When| when.header("x-correlation-id", "c-1");
    let id = "5f0ea000e4b0ba4baf5d1910";
    let event_path = format!("/PasswordVault/API/pta/API/Events/{id}");
    let list = server
        .mock_async(|when, then| {
            traced(authed(when, GET, EVENTS, &[]));
            reply(then, 200, &xsoar());
        })
        .await;
    let close = server
        .mock_async(|when, then| {
            traced(authed(when, PATCH, &event_path, &[])).json_body(json!({"mStatus": "CLOSED"}));
            reply(then, 200, &xsoar()[1]);
        })
        .await;
    let risks = server
        .mock_async(|when, then| {
            traced(authed(when, GET, RISKS, &[("page", "0"), ("size", "2")]));
            reply(
                then,
                200,
                &json!({"entities": [risk("r1", 1.0), risk("r2", 2.0)]}),
            );
        })
        .await;
    let risk_path = "/PasswordVault/API/pta/API/Risks/RisksEvents/r1";
    let risk_close = server
        .mock_async(|when, then| {
            traced(authed(when, PATCH, risk_path, &[]));
            reply(then, 200, &risk("r1", 1.0));
        })
        .await;
    // A 503 the client's policy (retries disabled) gives up on; these calls' policy retries.
    let flaky_list = server
        .mock_async(|when, then| {
            authed(when, GET, EVENTS, &[("status", "CLOSED")]);
            reply(then, 503, &json!({})).up_to_n_times(1);
        })
        .await;
    let listed = server
        .mock_async(|when, then| {
            authed(when, GET, EVENTS, &[("status", "CLOSED")]);
            reply(then, 200, &json!([]));
        })
        .await;
    let flaky_reopen = server
        .mock_async(|when, then| {
            authed(when, PATCH, &event_path, &[]).json_body(json!({"mStatus": "OPEN"}));
            reply(then, 503, &json!({})).up_to_n_times(1);
        })
        .await;
    let reopened = server
        .mock_async(|when, then| {
            authed(when, PATCH, &event_path, &[]).json_body(json!({"mStatus": "OPEN"}));
            reply(then, 200, &xsoar()[1]);
        })
        .await;
    let c = client(&server);
    let (name, value) = (
        HeaderName::from_static("x-correlation-id"),
        HeaderValue::from_static("c-1"),
    );
    let events = c.events().list().header(name.clone(), value.clone());
    assert_eq!(events.await.unwrap().len(), 3);
    let get = c.events().get("5f0c5b5de4b0ba4baf5c66db");
    let e = get.header(name.clone(), value.clone()).await.unwrap();
    assert_eq!(e.id.as_deref(), Some("5f0c5b5de4b0ba4baf5c66db"));
    assert_eq!(list.calls_async().await, 2);
    let call = c.events().close(id).call();
    assert_eq!(call.request().unwrap().method(), "PATCH");
    let e = call.header(name.clone(), value.clone()).await.unwrap();
    assert_eq!(e.id.as_deref(), Some(id));
    close.assert_async().await;
    let walked: Vec<_> = c
        .risks()
        .list()
        .size(2)
        .max_pages(1)
        .header(name.clone(), value.clone())
        .deadline(Duration::from_secs(30))
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(walked.len(), 2);
    risks.assert_async().await;
    let r = c
        .risks()
        .close("r1", CloseReason::Handled)
        .header(name, value);
    assert_eq!(r.await.unwrap().id.as_deref(), Some("r1"));
    risk_close.assert_async().await;

    let fast = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(10));
    let closed = c.events().list().status(EventStatus::Closed);
    assert!(closed.retry_policy(fast).await.unwrap().is_empty());
    assert_eq!(
        (flaky_list.calls_async().await, listed.calls_async().await),
        (1, 1)
    );
    let e = c.events().reopen(id).retry_policy(fast).await.unwrap();
    assert_eq!(e.id.as_deref(), Some(id));
    assert_eq!(
        (
            flaky_reopen.calls_async().await,
            reopened.calls_async().await
        ),
        (1, 1)
    );
}
