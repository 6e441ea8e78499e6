//! The exact requests on the wire (httpmock): method, path, complete query, headers, body,
//! and the decoded answer, for every operation; the typed error for every error status.

use base64::Engine as _;
use futures::TryStreamExt;
use httpmock::prelude::*;
use httpmock::{Mock, MockServer};
use incident_core::{ErrorKind, RetryPolicy};
use incident_testkit::{ErrorCase, exact_query, json_reply};
use sentinel_client::{FaultBody, Incident, IncidentState, SentinelClient, SentinelErrorExt};
use serde_json::{Value, json};

const SEED: &str = include_str!("fixtures/incident_seed.json");
const PUT_SEED: &str = include_str!("fixtures/incident_put_seed.json");
const TOKENS: &str = "/SentinelAuthServices/auth/tokens";
const INCIDENTS: &str = "/SentinelRESTServices/objects/incident";
const USER: &str = "admin";
const PASSWORD: &str = "s3cret-pw";
const TOKEN: &str = "tok-AAA";

fn basic() -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    format!("Basic {encoded}")
}

fn client(server: &MockServer) -> SentinelClient {
    SentinelClient::builder(server.base_url())
        .credentials(USER, PASSWORD)
        .retry_policy(RetryPolicy::default().initial_backoff(std::time::Duration::from_millis(1)))
        .build()
        .unwrap()
}

fn seed() -> Value {
    serde_json::from_str(SEED).unwrap()
}

/// The logon: Basic credentials, no body, answered with a token.
async fn logon<'a>(server: &'a MockServer, token: &str) -> Mock<'a> {
    let token = token.to_owned();
    server
        .mock_async(|when, then| {
            exact_query(when.method(POST).path(TOKENS), &[])
                .header("authorization", basic())
                .header("accept", "application/json")
                .header("content-length", "0");
            json_reply(then, 200, &json!({"Token": token}));
        })
        .await
}

fn saml(token: &str) -> String {
    format!("X-SAML {token}")
}

#[tokio::test]
async fn get_logs_on_once_and_sends_the_token() {
    let server = MockServer::start_async().await;
    let logon = logon(&server, TOKEN).await;
    let get = server
        .mock_async(|when, then| {
            exact_query(when.method(GET).path(format!("{INCIDENTS}/201")), &[])
                .header("authorization", saml(TOKEN))
                .header("accept", "application/json");
            json_reply(then, 200, &seed());
        })
        .await;
    let client = client(&server);
    let (a, b) = tokio::join!(client.incidents().get(201), client.incidents().get("201"));
    let a = a.unwrap();
    assert_eq!(a, b.unwrap());
    assert_eq!(a.name.as_deref(), Some("Failed Logins"));
    assert_eq!(a.state, Some(IncidentState::Investigating));
    logon.assert_async().await;
    get.assert_calls_async(2).await;
}

#[tokio::test]
async fn ids_are_one_encoded_segment() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{INCIDENTS}/a%2F..%2Fb%3Fx"));
            json_reply(then, 200, &seed());
        })
        .await;
    client(&server).incidents().get("a/../b?x").await.unwrap();
    get.assert_async().await;
}

#[tokio::test]
async fn list_sends_query_fields_page_and_pagesize() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let next = format!("https://10.1.1.1:8443{INCIDENTS}?page=3&pagesize=50");
    let body = json!({"objects": [seed()], "next": next, "prev": "x"});
    let list = server
        .mock_async(|when, then| {
            exact_query(
                when.method(GET)
                    .path(INCIDENTS)
                    .header("authorization", saml(TOKEN)),
                &[
                    ("query", "state:OPEN"),
                    ("field", "name"),
                    ("field", "state"),
                    ("page", "2"),
                    ("pagesize", "50"),
                ],
            );
            json_reply(then, 200, &body);
        })
        .await;
    let page = client(&server)
        .incidents()
        .list()
        .query("state:OPEN")
        .fields(["name", "state"])
        .page(2)
        .page_size(50)
        .await
        .unwrap();
    list.assert_async().await;
    assert_eq!(page.objects.len(), 1);
    assert_eq!(page.objects[0].id().as_deref(), Some("42"));
    assert_eq!(page.next.as_deref(), Some(next.as_str()));
    assert_eq!(page.prev.as_deref(), Some("x"));
}

fn objects(ids: std::ops::RangeInclusive<u64>) -> Vec<Value> {
    ids.map(|id| json!({"meta": {"@href": format!("/SentinelRESTServices/objects/incident/{id}")}}))
        .collect()
}

fn ids(all: &[Incident]) -> Vec<u64> {
    all.iter()
        .map(|i| i.id().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn the_stream_follows_next_links_on_the_configured_origin() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let page = |n: &'static str, body: Value| {
        let server = &server;
        async move {
            server
                .mock_async(|when, then| {
                    exact_query(
                        when.method(GET).path(INCIDENTS),
                        &[("query", "q"), ("page", n), ("pagesize", "2")],
                    );
                    json_reply(then, 200, &body);
                })
                .await
        }
    };
    // A link naming another host (NAT), a link without pagesize, then a short page.
    let p1 = page(
        "1",
        json!({"objects": objects(1..=2),
        "next": format!("https://164.99.19.131:8443{INCIDENTS}?query=q&page=2&pagesize=2")}),
    )
    .await;
    let p2 = page(
        "2",
        json!({"objects": objects(3..=4), "next": format!("{INCIDENTS}?page=3&query=q")}),
    )
    .await;
    let p3 = page(
        "3",
        json!({"objects": objects(5..=5), "next": "https://evil.example/x?page=4"}),
    )
    .await;
    let all: Vec<Incident> = client(&server)
        .incidents()
        .list()
        .query("q")
        .page_size(2)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), [1, 2, 3, 4, 5]);
    for p in [p1, p2, p3] {
        p.assert_async().await;
    }
}

#[tokio::test]
async fn bad_next_links_fall_back_to_page_numbers() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let mut mocks = Vec::new();
    // Page 1 links to another resource; page 2 links back to page 1; page 3 sends none;
    // page 4 is empty.
    let bodies = [
        json!({"objects": objects(1..=2), "next": "/SentinelAuthServices/auth/tokens?page=2"}),
        json!({"objects": objects(3..=4), "next": format!("{INCIDENTS}?page=1&pagesize=2")}),
        json!({"objects": objects(5..=6)}),
        json!({"objects": []}),
    ];
    for (n, body) in bodies.iter().enumerate() {
        let n = (n + 1).to_string();
        mocks.push(
            server
                .mock_async(|when, then| {
                    exact_query(
                        when.method(GET).path(INCIDENTS),
                        &[("page", n.as_str()), ("pagesize", "2")],
                    );
                    json_reply(then, 200, body);
                })
                .await,
        );
    }
    let all: Vec<Incident> = client(&server)
        .incidents()
        .list()
        .page_size(2)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), [1, 2, 3, 4, 5, 6]);
    for m in &mocks {
        m.assert_async().await;
    }
}

#[tokio::test]
async fn a_link_to_the_last_page_number_ends_the_walk_there() {
    // The server links to page u64::MAX, which comes back full and without a link: the
    // next page number overflowed (a panic, or page 0 in a release build).
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let last = u64::MAX.to_string();
    let mut mocks = Vec::new();
    for (n, body) in [
        (
            "1",
            json!({"objects": objects(1..=2), "next": format!("{INCIDENTS}?page={last}")}),
        ),
        (last.as_str(), json!({"objects": objects(3..=4)})),
    ] {
        mocks.push(
            server
                .mock_async(|when, then| {
                    exact_query(
                        when.method(GET).path(INCIDENTS),
                        &[("page", n), ("pagesize", "2")],
                    );
                    json_reply(then, 200, &body);
                })
                .await,
        );
    }
    let all: Vec<Incident> = client(&server)
        .incidents()
        .list()
        .page_size(2)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), [1, 2, 3, 4]);
    for m in &mocks {
        m.assert_async().await;
    }
}

#[tokio::test]
async fn a_time_the_client_cannot_read_is_a_decode_error_naming_its_path() {
    for (field, text) in [
        ("moddate", "201922337201922337203685477580836"),
        ("createdate", "9999-12-31T23:59:59-01:00"),
    ] {
        let server = MockServer::start_async().await;
        logon(&server, TOKEN).await;
        let mut record = seed();
        record[field] = json!(text);
        server
            .mock_async(|when, then| {
                when.method(GET).path(format!("{INCIDENTS}/42"));
                json_reply(then, 200, &record);
            })
            .await;
        let e = client(&server).incidents().get("42").await.unwrap_err();
        let incident_core::Error::Decode(d) = &e else {
            panic!("{e:?}");
        };
        assert_eq!(d.json_path, field);
        let message = d.source.to_string();
        assert!(
            message.starts_with(&format!(
                "{text:?} is not an ISO 8601 date-time (or milliseconds since 1970) in the \
                 years 0000 to 9999 at line 1"
            )),
            "{message}"
        );
    }
}

#[tokio::test]
async fn a_page_larger_than_asked_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(INCIDENTS);
            json_reply(then, 200, &json!({"objects": objects(1..=3)}));
        })
        .await;
    let err = client(&server)
        .incidents()
        .list()
        .page_size(2)
        .into_stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(err, incident_core::Error::Protocol { .. }),
        "{err:?}"
    );
    let err = client(&server)
        .incidents()
        .list()
        .page_size(0)
        .await
        .unwrap_err();
    assert!(
        matches!(err, incident_core::Error::InvalidInput { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn update_reads_changes_and_writes_back_in_utf8() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let path = format!("{INCIDENTS}/201");
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(path.as_str());
            json_reply(then, 200, &seed());
        })
        .await;
    // The documentation's PUT sample, with the two changes.
    let mut want: Value = serde_json::from_str(PUT_SEED).unwrap();
    want["state"] = json!("CLOSED");
    want["resolution"] = json!("Compte verrouillé; mot de passe réinitialisé.");
    let want_text = "Compte verrouillé; mot de passe réinitialisé.";
    let put = server
        .mock_async(|when, then| {
            exact_query(when.method(PUT).path(path.as_str()), &[])
                .header("authorization", saml(TOKEN))
                .header("content-type", "application/json")
                .json_body(want.clone())
                .body_includes(want_text);
            then.status(200);
        })
        .await;
    let updated = client(&server)
        .incidents()
        .update(201)
        .state(IncidentState::Closed)
        .resolution(want_text)
        .await
        .unwrap();
    put.assert_async().await;
    // Read before, and again after the bare 200.
    get.assert_calls_async(2).await;
    assert_eq!(updated.id().as_deref(), Some("42"));
}

#[tokio::test]
async fn a_partial_update_sends_only_what_is_set_and_uses_the_answer() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let path = format!("{INCIDENTS}/7");
    let user = format!("{}/SentinelRESTServices/objects/user/3", server.base_url());
    let mut answer = seed();
    answer["severity"] = json!(2);
    let put = server
        .mock_async(|when, then| {
            when.method(PUT).path(path.as_str()).json_body(json!({
                "severity": 2, "priority": 3, "category": "Malware", "name": "N", "desc": "D",
                "users": [user.clone()],
            }));
            json_reply(then, 200, &answer);
        })
        .await;
    let c = client(&server);
    let updated = c
        .incidents()
        .update(7)
        .partial(true)
        .severity(2)
        .priority(3)
        .category("Malware")
        .name("N")
        .desc("D")
        .users([c.user_ref("3").unwrap()])
        .await
        .unwrap();
    put.assert_async().await;
    assert_eq!(updated.severity, Some(2));
}

#[tokio::test]
async fn create_posts_the_writable_fields() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let post = server
        .mock_async(|when, then| {
            exact_query(when.method(POST).path(INCIDENTS), &[])
                .header("authorization", saml(TOKEN))
                .json_body(json!({"name": "Créé", "severity": 3, "state": "OPEN"}));
            json_reply(then, 201, &seed());
        })
        .await;
    let mut new = Incident::new("Créé");
    new.severity = Some(3);
    new.state = Some(IncidentState::Open);
    // Server-set fields are not sent.
    new.meta = serde_json::from_value(seed()["meta"].clone()).ok();
    new.createdate = Some(time::OffsetDateTime::UNIX_EPOCH);
    let created = client(&server).incidents().create(&new).await.unwrap();
    post.assert_async().await;
    assert_eq!(created.id().as_deref(), Some("42"));
}

#[tokio::test]
async fn create_with_an_empty_answer_reads_the_location() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(INCIDENTS);
            then.status(201)
                .header("location", format!("https://10.0.0.9:8443{INCIDENTS}/77"));
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{INCIDENTS}/77"));
            json_reply(then, 200, &seed());
        })
        .await;
    client(&server)
        .incidents()
        .create(&Incident::new("x"))
        .await
        .unwrap();
    get.assert_async().await;
}

#[tokio::test]
async fn delete_events_external_data_annotations_and_sign_out() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let delete = server
        .mock_async(|when, then| {
            exact_query(when.method(DELETE).path(format!("{INCIDENTS}/201")), &[])
                .header("authorization", saml(TOKEN));
            then.status(204);
        })
        .await;
    let events = server
        .mock_async(|when, then| {
            exact_query(
                when.method(GET)
                    .path("/SentinelRESTServices/objects/incident-events"),
                &[
                    ("query", "incident-id.e42"),
                    ("page", "1"),
                    ("pagesize", "100"),
                ],
            );
            json_reply(
                then,
                200,
                &json!({"objects": [{"incident-id": 42, "event-id": "abc"}]}),
            );
        })
        .await;
    let one_event = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/SentinelRESTServices/objects/incident-events/abc/42");
            json_reply(then, 200, &json!({"incident-id": "42", "event-id": "abc"}));
        })
        .await;
    let data = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/SentinelRESTServices/objects/external-data/42");
            json_reply(
                then,
                200,
                &json!({"source": "ServiceNow", "type": "ticket"}),
            );
        })
        .await;
    let note = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/SentinelRESTServices/objects/annotation/42");
            json_reply(
                then,
                200,
                &json!({"text": "Looked at it.", "createdate": "2012-04-25T13:33:44.507Z"}),
            );
        })
        .await;
    let sign_out = server
        .mock_async(|when, then| {
            exact_query(when.method(DELETE).path(format!("{TOKENS}/{TOKEN}")), &[])
                .header("authorization", basic());
            then.status(204);
        })
        .await;
    let c = client(&server);
    c.incidents().delete(201).await.unwrap();
    delete.assert_async().await;

    let incident: Incident = serde_json::from_str(SEED).unwrap();
    let listed: Vec<_> = c
        .incidents()
        .events_of(&incident)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed[0].incident_id, Some(42));
    events.assert_async().await;
    assert_eq!(
        c.incident_events()
            .get("abc", "42")
            .await
            .unwrap()
            .incident_id,
        Some(42)
    );
    one_event.assert_async().await;

    let x = c
        .external_data()
        .get_ref(&incident.external_datas.clone().unwrap()[0])
        .await
        .unwrap();
    assert_eq!(x.source.as_deref(), Some("ServiceNow"));
    data.assert_async().await;
    let n = c
        .annotations()
        .get_ref(&incident.notes.clone().unwrap()[0])
        .await
        .unwrap();
    assert_eq!(n.text(), Some("Looked at it."));
    note.assert_async().await;

    c.sign_out().await.unwrap();
    sign_out.assert_async().await;
}

#[tokio::test]
async fn a_refused_token_is_replaced_once_and_the_request_replayed() {
    let server = MockServer::start_async().await;
    let first = logon(&server, "tok-old").await;
    let path = format!("{INCIDENTS}/5");
    let refused = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(path.as_str())
                .header("authorization", saml("tok-old"));
            json_reply(then, 401, &json!({"message": "Token expired"}));
        })
        .await;
    let c = client(&server);
    // Before the replay: a second logon gives a new token.
    first.assert_calls_async(0).await;
    let err = c.incidents().get(5).await.unwrap_err();
    // The same token again: one replay only, then the 401 is returned.
    assert_eq!(err.kind(), Some(ErrorKind::Unauthorized));
    refused.assert_calls_async(2).await;
    first.assert_calls_async(2).await;
}

#[tokio::test]
async fn documented_error_statuses_are_typed() {
    // Sentinel documents no fault body: JSON, HTML and empty bodies all keep the status.
    let cases = [
        (
            ErrorCase::json(400, &json!({"message": "Invalid JSON"}))
                .message_contains("Invalid JSON"),
            400,
            "application/json",
            r#"{"message": "Invalid JSON"}"#,
        ),
        (
            ErrorCase::json(403, &json!({"error": "Forbidden"})).kind(ErrorKind::Forbidden),
            403,
            "application/json",
            r#"{"error": "Forbidden"}"#,
        ),
        (
            ErrorCase::json(404, &json!({"message": "No incident 9"})),
            404,
            "application/json",
            r#"{"message": "No incident 9"}"#,
        ),
        (
            ErrorCase::json(409, &json!({})),
            409,
            "application/json",
            "{}",
        ),
        (
            ErrorCase::html(500, "<html><body>Internal Error</body></html>").attempts(4),
            500,
            "text/html",
            "<html><body>Internal Error</body></html>",
        ),
        (
            ErrorCase::json(503, &json!({}))
                .retry_after("0")
                .attempts(4),
            503,
            "application/json",
            "{}",
        ),
        (
            ErrorCase::json(429, &json!({}))
                .retry_after("0")
                .attempts(4),
            429,
            "application/json",
            "{}",
        ),
    ];
    for (case, status, content_type, body) in cases {
        let server = MockServer::start_async().await;
        logon(&server, TOKEN).await;
        let answer = server
            .mock_async(|when, then| {
                when.path_prefix("/SentinelRESTServices");
                let mut then = then
                    .status(status)
                    .header("content-type", content_type)
                    .body(body);
                if status == 503 || status == 429 {
                    then = then.header("retry-after", "0");
                }
                let _ = then;
            })
            .await;
        let err = client(&server).incidents().get(9).await.unwrap_err();
        let wrong = case.mismatches(&err);
        assert!(wrong.is_empty(), "{status}: {wrong:?} ({err})");
        answer.assert_calls_async(case_attempts(status)).await;
        let fault = err.sentinel_fault().unwrap();
        assert_eq!(fault.status, status);
        match (content_type, &fault.body) {
            ("text/html", FaultBody::Text(t)) => assert!(t.contains("Internal Error")),
            ("application/json", FaultBody::Json(v)) => {
                assert_eq!(*v, serde_json::from_str::<Value>(body).unwrap())
            }
            other => panic!("{status}: {other:?}"),
        }
    }
    // A wrong password: the logon's 401.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(TOKENS);
            then.status(401).body("");
        })
        .await;
    let err = client(&server).incidents().get(1).await.unwrap_err();
    assert!(
        ErrorCase::text(401, "")
            .mismatches(&err)
            .iter()
            .all(|m| m.starts_with("snippet")),
        "{err}"
    );
    assert_eq!(err.sentinel_fault().unwrap().body, FaultBody::Empty);
    // A PUT is retried after a 5xx (it is idempotent), a POST is not.
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST).path(INCIDENTS);
            then.status(500);
        })
        .await;
    client(&server)
        .incidents()
        .create(&Incident::new("x"))
        .await
        .unwrap_err();
    post.assert_calls_async(1).await;
}

fn case_attempts(status: u16) -> usize {
    match status {
        500 | 503 | 429 => 4,
        _ => 1,
    }
}

/// A fault as the simulator and common servers write it.
fn fault(message: &str, status: u16) -> Value {
    json!({"message": message, "status": status})
}

/// An error answered with `status` (a 2xx): the fault as sent, with the kind of the status
/// it names.
fn assert_refused(err: &incident_core::Error, status: u16, kind: ErrorKind, message: &str) {
    let wrong = ErrorCase::json(status, &json!({}))
        .kind(kind)
        .message_contains(message)
        .mismatches(err);
    assert!(wrong.is_empty(), "{wrong:?}: {err}");
    let fault = err.sentinel_fault().unwrap();
    assert_eq!(fault.status, status);
    assert!(matches!(fault.body, FaultBody::Json(_)), "{fault:?}");
}

#[tokio::test]
async fn an_update_refused_inside_a_200_is_an_error_and_not_read_back() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let path = format!("{INCIDENTS}/201");
    let get = server
        .mock_async(|when, then| {
            exact_query(when.method(GET).path(path.as_str()), &[])
                .header("authorization", saml(TOKEN));
            json_reply(then, 200, &seed());
        })
        .await;
    let mut want: Value = serde_json::from_str(PUT_SEED).unwrap();
    want["state"] = json!("CLOSED");
    let message = "Incident 201 cannot move from Investigating to CLOSED";
    let put = server
        .mock_async(|when, then| {
            exact_query(when.method(PUT).path(path.as_str()), &[])
                .header("authorization", saml(TOKEN))
                .header("content-type", "application/json")
                .json_body(want.clone());
            json_reply(then, 200, &fault(message, 409));
        })
        .await;
    let err = client(&server)
        .incidents()
        .update(201)
        .state(IncidentState::Closed)
        .await
        .unwrap_err();
    put.assert_async().await;
    // Read once before the PUT; never again to pass the unchanged incident off as updated.
    get.assert_calls_async(1).await;
    assert_refused(&err, 200, ErrorKind::Conflict, message);

    // A partial update, and an answer that is JSON but no incident and no fault: refused.
    let partial = server
        .mock_async(|when, then| {
            exact_query(when.method(PUT).path(format!("{INCIDENTS}/7")), &[])
                .json_body(json!({"severity": 2}));
            json_reply(then, 200, &json!({}));
        })
        .await;
    let err = client(&server)
        .incidents()
        .update(7)
        .partial(true)
        .severity(2)
        .await
        .unwrap_err();
    partial.assert_async().await;
    assert_refused(
        &err,
        200,
        ErrorKind::Other,
        "is neither empty nor the object",
    );
}

#[tokio::test]
async fn a_create_refused_inside_a_201_is_an_error() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let message = "Invalid severity: 9";
    let post = server
        .mock_async(|when, then| {
            exact_query(when.method(POST).path(INCIDENTS), &[])
                .header("authorization", saml(TOKEN))
                .header("content-type", "application/json")
                .json_body(json!({"name": "Refused", "severity": 9}));
            json_reply(
                then,
                201,
                &json!({"error": {"code": "E400", "message": message}, "status": "400"}),
            )
            .header("location", format!("https://10.0.0.9:8443{INCIDENTS}/78"));
        })
        .await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{INCIDENTS}/78"));
            json_reply(then, 200, &seed());
        })
        .await;
    let mut new = Incident::new("Refused");
    new.severity = Some(9);
    let err = client(&server).incidents().create(&new).await.unwrap_err();
    post.assert_async().await;
    assert_eq!(read.calls_async().await, 0);
    assert_refused(&err, 201, ErrorKind::InvalidRequest, message);
    assert_eq!(err.vendor_code(), Some("E400"));
}

#[tokio::test]
async fn a_delete_refused_inside_a_200_is_an_error() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let message = "Incident 201 is referenced by a workflow and cannot be deleted";
    let delete = server
        .mock_async(|when, then| {
            exact_query(when.method(DELETE).path(format!("{INCIDENTS}/201")), &[])
                .header("authorization", saml(TOKEN));
            json_reply(then, 200, &fault(message, 409));
        })
        .await;
    let err = client(&server).incidents().delete(201).await.unwrap_err();
    delete.assert_async().await;
    assert_refused(&err, 200, ErrorKind::Conflict, message);
    assert_eq!(err.attempts(), 1, "an answer is not retried");
}

// ---------------------------------------------------------------------------------------
// Per-call options
// ---------------------------------------------------------------------------------------

fn correlation() -> (
    incident_core::http::HeaderName,
    incident_core::http::HeaderValue,
) {
    let name = incident_core::http::HeaderName::from_static("x-correlation-id");
    (
        name,
        incident_core::http::HeaderValue::from_static("corr-7"),
    )
}

#[tokio::test]
async fn per_call_options_reach_every_request_of_a_list_walk() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let first = server
        .mock_async(|when, then| {
            exact_query(
                when.method(GET).path(INCIDENTS),
                &[("page", "1"), ("pagesize", "1")],
            )
            .header("authorization", saml(TOKEN))
            .header("x-correlation-id", "corr-7");
            json_reply(then, 200, &json!({"objects": [seed()]}));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            exact_query(
                when.method(GET).path(INCIDENTS),
                &[("page", "2"), ("pagesize", "1")],
            )
            .header("x-correlation-id", "corr-7");
            json_reply(then, 200, &json!({"objects": []}));
        })
        .await;
    let (name, value) = correlation();
    let all: Vec<Incident> = client(&server)
        .incidents()
        .list()
        .page_size(1)
        .header(name.clone(), value.clone())
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    first.assert_async().await;
    second.assert_async().await;

    // One page, with the client's retries turned off for this call: a 503 is sent once.
    let busy = server
        .mock_async(|when, then| {
            exact_query(
                when.method(GET).path(INCIDENTS),
                &[("page", "3"), ("pagesize", "1")],
            )
            .header("x-correlation-id", "corr-7");
            then.status(503);
        })
        .await;
    let list = client(&server).incidents().list().page_size(1).page(3);
    let call = list
        .header(name, value)
        .retry_policy(RetryPolicy::disabled());
    call.deadline(std::time::Duration::from_secs(5))
        .await
        .unwrap_err();
    busy.assert_calls_async(1).await;
}

#[tokio::test]
async fn per_call_options_reach_a_get_and_every_request_of_an_update() {
    let server = MockServer::start_async().await;
    logon(&server, TOKEN).await;
    let path = format!("{INCIDENTS}/201");
    let busy = server
        .mock_async(|when, then| {
            exact_query(when.method(GET).path(format!("{INCIDENTS}/9")), &[])
                .header("x-correlation-id", "corr-7");
            then.status(503);
        })
        .await;
    let (name, value) = correlation();
    let c = client(&server);
    let get = c.incidents().get(9).header(name.clone(), value.clone());
    get.retry_policy(RetryPolicy::disabled()).await.unwrap_err();
    busy.assert_calls_async(1).await;

    let read = server
        .mock_async(|when, then| {
            exact_query(when.method(GET).path(path.as_str()), &[])
                .header("authorization", saml(TOKEN))
                .header("x-correlation-id", "corr-7");
            json_reply(then, 200, &seed());
        })
        .await;
    let put = server
        .mock_async(|when, then| {
            exact_query(when.method(PUT).path(path.as_str()), &[])
                .header("authorization", saml(TOKEN))
                .header("x-correlation-id", "corr-7");
            json_reply(then, 200, &seed());
        })
        .await;
    let updated = c
        .incidents()
        .update(201)
        .state(IncidentState::Closed)
        .header(name, value)
        .deadline(std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Failed Logins"));
    read.assert_async().await;
    put.assert_async().await;
}
