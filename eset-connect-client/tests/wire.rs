//! Wire-level tests of the ESET Connect client against two httpmock servers (the IAM host
//! and the incident management host): for every operation, the exact request (method, path,
//! the complete query, `Authorization`, `Content-Type`, the body) and the decoded answer; the
//! OAuth grants; the pending-answer protocol; the typed error of every documented status.

use std::time::Duration;

use eset_connect_client::{
    EsetClient, EsetClientBuilder, EsetErrorExt, Filter, GrpcCode, IncidentSeverity,
    IncidentStatus, ResolveReason,
};
use futures::TryStreamExt;
use httpmock::prelude::*;
use httpmock::{Mock, When};
use incident_core::{Error, ErrorKind, RetryPolicy};
use incident_testkit::{ErrorCase, assert_error_cases, exact_query, json_reply};
use serde_json::{Value, json};
use time::macros::datetime;

const USER: &str = "api-user@example.com";
const PASSWORD: &str = "p&ss w=rd+7%";
const ACCESS: &str = "eyJhbGciOiJSUzI1NiJ9.access-1";
const REFRESH: &str = "refresh-1-7c4f0e";
const UUID: &str = "3f1d6d2e-5c7a-4b0e-9a57-0c8f6f3f2a11";

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn builder(api: &str, iam: &str) -> EsetClientBuilder {
    EsetClient::builder_with_urls(api, iam)
        .credentials(USER, PASSWORD)
        .poll_interval(Duration::from_millis(1))
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(2)),
        )
}

/// The password grant, form-encoded, with no `Authorization` (the IAM host never gets the
/// token).
fn password_grant(when: When) -> When {
    when.method(POST)
        .path("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .header_missing("authorization")
        .body("grant_type=password&username=api-user%40example.com&password=p%26ss+w%3Drd%2B7%25")
}

async fn token_mock<'a>(iam: &'a MockServer, access: &str, expires_in: u64) -> Mock<'a> {
    let body = json!({
        "access_token": access,
        "refresh_token": REFRESH,
        "token_type": "Bearer",
        "expires_in": expires_in,
    });
    iam.mock_async(|when, then| {
        password_grant(when);
        json_reply(then.header("request-id", "iam-req-1"), 200, &body);
    })
    .await
}

/// Two hosts and a client against them; the IAM host hands out `ACCESS` for an hour.
struct Hosts {
    api: MockServer,
    iam: MockServer,
}

impl Hosts {
    async fn start() -> Hosts {
        Hosts {
            api: MockServer::start_async().await,
            iam: MockServer::start_async().await,
        }
    }

    fn client(&self) -> EsetClient {
        builder(&self.api.base_url(), &self.iam.base_url())
            .build()
            .unwrap()
    }
}

/// A request to the incident host with the bearer token, JSON accepted, the crate's agent.
fn api(when: When, method: Method, path: &str) -> When {
    when.method(method)
        .path(path)
        .header("authorization", format!("Bearer {ACCESS}"))
        .header("accept", "application/json")
        .header_prefix("user-agent", "eset-connect-client/")
}

fn get(when: When, path: &str, query: &[(&str, &str)]) -> When {
    exact_query(api(when, GET, path), query).header_missing("content-type")
}

fn post_json(when: When, path: &str, body: Value) -> When {
    exact_query(api(when, POST, path), &[])
        .header("content-type", "application/json")
        .json_body(body)
}

#[tokio::test]
async fn the_password_grant_then_bearer_on_the_incident_host() {
    let h = Hosts::start().await;
    let token = token_mock(&h.iam, ACCESS, 3600).await;
    let get_one = h
        .api
        .mock_async(|when, then| {
            get(when, &format!("/v2/incidents/{UUID}"), &[]);
            json_reply(then, 200, &fixture("incident_get.json"));
        })
        .await;
    let client = h.client();
    let incident = client.incidents().get(UUID).await.unwrap();
    assert_eq!(incident.uuid.as_deref(), Some(UUID));
    assert_eq!(incident.status, Some(IncidentStatus::InProgress));
    assert_eq!(incident.severity, Some(IncidentSeverity::High));
    assert_eq!(incident.device_uuids.as_ref().unwrap().len(), 2);
    assert_eq!(incident.detection_uuids.as_ref().unwrap().len(), 3);
    assert_eq!(
        incident.create_time,
        Some(datetime!(2025-04-07 8:30:00.12 UTC))
    );
    assert_eq!(
        incident.triage_duration,
        Some(time::Duration::milliseconds(754_500))
    );
    assert_eq!(incident.metrics.as_ref().unwrap().process_count, Some(17));
    // A second call uses the same token.
    client.incidents().get(UUID).await.unwrap();
    token.assert_async().await;
    get_one.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_time_the_client_cannot_read_is_a_decode_error_naming_its_path() {
    // Its instant is past the year 9999 in UTC: writing the record back panicked.
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    let mut body = fixture("incident_get.json");
    body["incident"]["updateTime"] = json!("9999-12-31T23:59:59-01:00");
    h.api
        .mock_async(|when, then| {
            get(when, &format!("/v2/incidents/{UUID}"), &[]);
            json_reply(then, 200, &body);
        })
        .await;
    let e = h.client().incidents().get(UUID).await.unwrap_err();
    let Error::Decode(d) = &e else {
        panic!("{e:?}");
    };
    assert_eq!(d.json_path, "incident.updateTime");
    let message = d.source.to_string();
    assert!(
        message.starts_with(
            "\"9999-12-31T23:59:59-01:00\" is not an RFC 3339 timestamp in the years 0000 \
             to 9999 at line 1"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn ids_are_encoded_as_one_segment_before_the_verb() {
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    let odd = h
        .api
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/incidents/..%2Fadmin%3Ax:close")
                .header("authorization", format!("Bearer {ACCESS}"));
            then.status(200).body("");
        })
        .await;
    let client = h.client();
    let closed = client
        .incidents()
        .close("../admin:x", ResolveReason::TruePositive)
        .send()
        .await
        .unwrap();
    assert_eq!(closed, None, "an empty answer holds no incident");
    odd.assert_async().await;
    for bad in ["", ".", ".."] {
        let e = client.incidents().get(bad).await.unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{bad:?}: {e:?}");
        assert_eq!(e.attempts(), 0);
    }
}

#[tokio::test]
async fn list_sends_filter_order_size_and_token_and_decodes_the_page() {
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    let filter = "incident.status in [INCIDENT_STATUS_OPEN,INCIDENT_STATUS_IN_PROGRESS] && \
                  incident.create_time >= timestamp(\"2025-04-01T00:00:00Z\")";
    let list = h
        .api
        .mock_async(|when, then| {
            get(
                when,
                "/v2/incidents",
                &[
                    ("filter", filter),
                    ("orderBy", "create_time desc"),
                    ("pageSize", "25"),
                    ("pageToken", "abc+/="),
                ],
            );
            json_reply(then, 200, &fixture("incidents_list.json"));
        })
        .await;
    let page = h
        .client()
        .incidents()
        .list()
        .filter(
            Filter::status_in([IncidentStatus::Open, IncidentStatus::InProgress])
                .and(Filter::created_at_or_after(datetime!(2025-04-01 0:00 UTC))),
        )
        .order_by("create_time desc")
        .page_size(25)
        .page_token("abc+/=")
        .await
        .unwrap();
    // The mock matched the decoded query: the token with `+/=` went percent-encoded.
    list.assert_async().await;
    assert_eq!(page.incidents.len(), 2);
    assert_eq!(page.next_token(), Some("Q2hBSUFCSVlDZ1FJQVJB+/=="));
    let second = &page.incidents[1];
    assert_eq!(second.status, Some(IncidentStatus::Open));
    assert_eq!(second.assignee_uuid, None);
    assert_eq!(second.device_uuids, None, "lists carry no device uuids");
}

#[tokio::test]
async fn a_raw_filter_goes_as_written() {
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    let list = h
        .api
        .mock_async(|when, then| {
            get(
                when,
                "/v2/incidents",
                &[("filter", "incident.tags has \"vip\""), ("pageSize", "50")],
            );
            json_reply(then, 200, &json!({}));
        })
        .await;
    let page = h
        .client()
        .incidents()
        .list()
        .filter_raw("incident.tags has \"vip\"")
        .send()
        .await
        .unwrap();
    list.assert_async().await;
    assert!(page.incidents.is_empty());
    assert_eq!(page.next_token(), None);
}

#[tokio::test]
async fn the_stream_follows_tokens_percent_encoded_to_an_empty_one() {
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    let page = |uuids: &[&str], next: &str| {
        json!({
            "incidents": uuids.iter().map(|u| json!({"uuid": u})).collect::<Vec<_>>(),
            "nextPageToken": next,
        })
    };
    let mut mocks = Vec::new();
    for (token, body) in [
        (None, page(&["a", "b"], "t1+/=")),
        (Some("t1+/="), page(&["c", "d"], "t2 &x")),
        (Some("t2 &x"), page(&["e"], "")),
    ] {
        let mut query = vec![("pageSize", "2")];
        if let Some(t) = token {
            query.push(("pageToken", t));
        }
        mocks.push(
            h.api
                .mock_async(|when, then| {
                    get(when, "/v2/incidents", &query);
                    json_reply(then, 200, &body);
                })
                .await,
        );
    }
    let all: Vec<String> = h
        .client()
        .incidents()
        .list()
        .page_size(2)
        .into_stream()
        .map_ok(|i| i.uuid.unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all, ["a", "b", "c", "d", "e"]);
    for m in &mocks {
        m.assert_async().await;
    }
    // Page-level access keeps the token of the next page.
    let pages: Vec<_> = h
        .client()
        .incidents()
        .list()
        .page_size(2)
        .max_pages(1)
        .paginator()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].next.as_deref(), Some("t1+/="));
}

#[tokio::test]
async fn page_sizes_over_1000_and_oversized_pages_are_refused() {
    let h = Hosts::start().await;
    let token = token_mock(&h.iam, ACCESS, 3600).await;
    let client = h.client();
    for size in [0, 1001, 5000] {
        let e = client
            .incidents()
            .list()
            .page_size(size)
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidInput {
                    what: "page size",
                    ..
                }
            ),
            "{e:?}"
        );
    }
    assert_eq!(token.calls_async().await, 0, "nothing was sent");
    h.api
        .mock_async(|when, then| {
            get(when, "/v2/incidents", &[("pageSize", "1")]);
            json_reply(
                then,
                200,
                &json!({"incidents": [{"uuid": "a"}, {"uuid": "b"}], "nextPageToken": "x"}),
            );
        })
        .await;
    let e = client
        .incidents()
        .list()
        .page_size(1)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Protocol { .. }), "{e:?}");
    let e = client
        .incidents()
        .list()
        .page_size(1)
        .into_stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("more than"), "{e}");
}

#[tokio::test]
async fn update_sends_the_attributes_set_and_a_mask_of_their_names() {
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    let path = format!("/v2/incidents/{UUID}/basic-attributes:update");
    let update = h
        .api
        .mock_async(|when, then| {
            post_json(
                when,
                &path,
                json!({
                    "description": "Lateral movement confirmed.",
                    "severity": "INCIDENT_SEVERITY_LEVEL_HIGH",
                    "updateMask": "description,severity",
                }),
            );
            json_reply(then, 200, &fixture("incident_get.json"));
        })
        .await;
    let unassign = h
        .api
        .mock_async(|when, then| {
            post_json(
                when,
                &path,
                json!({"assigneeUuid": "", "displayName": "Renamed", "updateMask": "assigneeUuid,displayName"}),
            );
            json_reply(then, 200, &fixture("incident_get.json"));
        })
        .await;
    let client = h.client();
    let incident = client
        .incidents()
        .update(UUID)
        .severity(IncidentSeverity::High)
        .description("Lateral movement confirmed.")
        .await
        .unwrap();
    assert_eq!(incident.uuid.as_deref(), Some(UUID));
    client
        .incidents()
        .update(UUID)
        .unassign()
        .display_name("Renamed")
        .await
        .unwrap();
    update.assert_async().await;
    unassign.assert_async().await;
    for bad in [
        client.incidents().update(UUID),
        client
            .incidents()
            .update(UUID)
            .severity(IncidentSeverity::Unspecified),
        client.incidents().update(UUID).assignee("   "),
    ] {
        let e = bad.send().await.unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    }
}

#[tokio::test]
async fn close_reopen_and_comments() {
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    let close = h
        .api
        .mock_async(|when, then| {
            post_json(
                when,
                &format!("/v2/incidents/{UUID}:close"),
                json!({
                    "closureReason": "INCIDENT_RESOLVE_REASON_FALSE_POSITIVE",
                    "finalComment": {"text": "Admin script.", "isFinalComment": true},
                }),
            );
            json_reply(
                then,
                200,
                &json!({"incident": {"uuid": UUID, "status": "INCIDENT_STATUS_CLOSED",
                    "resolveReason": "INCIDENT_RESOLVE_REASON_FALSE_POSITIVE"}}),
            );
        })
        .await;
    let reopen = h
        .api
        .mock_async(|when, then| {
            post_json(when, &format!("/v2/incidents/{UUID}:reopen"), json!({}));
            json_reply(
                then,
                200,
                &json!({"incident": {"uuid": UUID, "status": "INCIDENT_STATUS_OPEN"}}),
            );
        })
        .await;
    let comments_path = format!("/v2/incidents/{UUID}/comments");
    let create = h
        .api
        .mock_async(|when, then| {
            post_json(
                when,
                &comments_path,
                json!({"comment": {"text": "Called the user.", "isFinalComment": false}}),
            );
            json_reply(
                then,
                200,
                &json!({"comment": {"uuid": "c-9", "incidentUuid": UUID, "text": "Called the user.",
                    "isFinalComment": false, "authorUuid": "u-1", "createTime": "2025-04-07T10:00:00Z"}}),
            );
        })
        .await;
    let list = h
        .api
        .mock_async(|when, then| {
            get(when, &comments_path, &[("pageSize", "10")]);
            json_reply(
                then,
                200,
                &json!({"comments": [
                    {"uuid": "c-1", "text": "Isolated the host.", "createTime": "2025-04-07T09:00:00Z"},
                    {"uuid": "c-2", "text": "Closing.", "isFinalComment": true}
                ]}),
            );
        })
        .await;
    let client = h.client();
    let closed = client
        .incidents()
        .close(UUID, ResolveReason::FalsePositive)
        .final_comment("Admin script.")
        .await
        .unwrap()
        .unwrap();
    assert!(closed.is_closed());
    assert_eq!(closed.resolve_reason, Some(ResolveReason::FalsePositive));
    let reopened = client.incidents().reopen(UUID).await.unwrap().unwrap();
    assert_eq!(reopened.status, Some(IncidentStatus::Open));
    let comment = client
        .incidents()
        .comments(UUID)
        .create("Called the user.")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(comment.uuid.as_deref(), Some("c-9"));
    assert_eq!(comment.create_time, Some(datetime!(2025-04-07 10:00 UTC)));
    let page = client
        .incidents()
        .comments(UUID)
        .list()
        .page_size(10)
        .await
        .unwrap();
    assert_eq!(page.comments.len(), 2);
    assert_eq!(page.comments[1].is_final_comment, Some(true));
    let streamed: Vec<_> = client
        .incidents()
        .comments(UUID)
        .list()
        .page_size(10)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 2);
    for m in [&close, &reopen, &create] {
        m.assert_async().await;
    }
    list.assert_calls_async(2).await;

    let e = client
        .incidents()
        .close(UUID, ResolveReason::Unspecified)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    let e = client
        .incidents()
        .comments(UUID)
        .create("  ")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
}

#[tokio::test]
async fn a_202_is_polled_with_its_response_id_as_the_identical_request() {
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    let path = format!("/v2/incidents/{UUID}/basic-attributes:update");
    let body = json!({"severity": "INCIDENT_SEVERITY_LEVEL_LOW", "updateMask": "severity"});
    let first = h
        .api
        .mock_async(|when, then| {
            post_json(when, &path, body.clone()).header_missing("response-id");
            then.status(202)
                .header("response-id", "5b1e0c3a-9f7d-4e2b-8a6c-1d0f2e3a4b5c")
                .header("request-id", "req-1");
        })
        .await;
    let poll = h
        .api
        .mock_async(|when, then| {
            post_json(when, &path, body.clone())
                .header("response-id", "5b1e0c3a-9f7d-4e2b-8a6c-1d0f2e3a4b5c");
            json_reply(then, 200, &fixture("incident_get.json"));
        })
        .await;
    let incident = h
        .client()
        .incidents()
        .update(UUID)
        .severity(IncidentSeverity::Low)
        .await
        .unwrap();
    assert_eq!(incident.uuid.as_deref(), Some(UUID));
    first.assert_async().await;
    poll.assert_async().await;

    // A 202 without a response-id cannot be polled: a clear error.
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    h.api
        .mock_async(|when, then| {
            when.any_request();
            then.status(202).header("request-id", "req-2");
        })
        .await;
    let e = h.client().incidents().get(UUID).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(202));
    assert!(e.to_string().contains("response-id"), "{e}");
    assert_eq!(e.request_id(), Some("req-2"));
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_and_a_refused_refresh_falls_back_to_the_password() {
    let h = Hosts::start().await;
    // expires_in 1: renewed a fifth of its life early, so at 0.8 s.
    let logon = h
        .iam
        .mock_async(|when, then| {
            password_grant(when);
            json_reply(
                then,
                200,
                &json!({"access_token": ACCESS, "refresh_token": REFRESH, "token_type": "Bearer", "expires_in": 1}),
            );
        })
        .await;
    let refresh = h
        .iam
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .header_missing("authorization")
                .body(format!("grant_type=refresh_token&refresh_token={REFRESH}"));
            json_reply(
                then,
                200,
                &json!({"access_token": "access-2", "refresh_token": "refresh-2", "expires_in": 1}),
            );
        })
        .await;
    let refused = h
        .iam
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth/token")
                .body("grant_type=refresh_token&refresh_token=refresh-2");
            json_reply(
                then,
                400,
                &json!({"error": "invalid_grant", "error_description": "Refresh token was already used"}),
            );
        })
        .await;
    let seen = |token: &'static str| {
        let h = &h;
        async move {
            h.api
                .mock_async(|when, then| {
                    when.method(GET)
                        .path("/v2/incidents")
                        .header("authorization", format!("Bearer {token}"));
                    json_reply(then, 200, &json!({"incidents": []}));
                })
                .await
        }
    };
    let first = seen(ACCESS).await;
    let second = seen("access-2").await;
    let client = h.client();
    client.incidents().list().send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    client.incidents().list().send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    client.incidents().list().send().await.unwrap();
    refresh.assert_async().await;
    refused.assert_async().await;
    // The refused refresh fell back to the password grant: its token is the first one.
    logon.assert_calls_async(2).await;
    first.assert_calls_async(2).await;
    second.assert_async().await;
}

#[tokio::test]
async fn a_401_gets_a_new_token_and_one_replay() {
    let h = Hosts::start().await;
    let logon = token_mock(&h.iam, ACCESS, 3600).await;
    let refused = h
        .api
        .mock_async(|when, then| {
            get(when, "/v2/incidents", &[("pageSize", "50")]);
            json_reply(
                then.header("request-id", "req-401"),
                401,
                &json!({"code": 16, "message": "Token has expired or is invalid."}),
            );
        })
        .await;
    let e = h.client().incidents().list().send().await.unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Unauthorized));
    assert_eq!(e.request_id(), Some("req-401"));
    assert_eq!(e.grpc_code(), Some(GrpcCode::Unauthenticated));
    assert_eq!(e.attempts(), 2);
    refused.assert_calls_async(2).await;
    // The refresh token of the first token was tried, then the password (no refresh mock
    // answers, so the refresh fails).
    assert!(logon.calls_async().await >= 2);
}

#[tokio::test]
async fn an_oauth_refusal_is_unauthorized_with_its_oauth_error() {
    let h = Hosts::start().await;
    h.iam
        .mock_async(|when, then| {
            password_grant(when);
            json_reply(
                then.header("request-id", "iam-9"),
                400,
                &json!({"error": "invalid_grant", "error_description": "Invalid user credentials"}),
            );
        })
        .await;
    let e = h.client().incidents().get(UUID).await.unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Unauthorized));
    assert_eq!(e.oauth_error().as_deref(), Some("invalid_grant"));
    assert_eq!(e.vendor_message(), Some("Invalid user credentials"));
    assert_eq!(e.request_id(), Some("iam-9"));
    assert_eq!(e.api_error().unwrap().path, "/oauth/token");
    assert!(!e.to_string().contains(PASSWORD));
}

/// The documented error statuses of every endpoint (with `request-id`), on a GET: 4xx once
/// (401 once more with a new token), 429, 5xx and 504 retried up to the policy's 4 attempts.
#[tokio::test]
async fn every_documented_error_status_is_a_typed_error_with_its_request_id() {
    let iam = MockServer::start_async().await;
    token_mock(&iam, ACCESS, 3600).await;
    let iam_url = iam.base_url();
    let grpc = |code: i64, message: &str| json!({"code": code, "message": message, "details": []});
    let rid = "0b7e9c1a-2f3d-4e5b-8a6c-7d8e9f0a1b2c";
    let case = |status: u16, body: Value| {
        ErrorCase::json(status, &body)
            .header("request-id", rid)
            .retry_after("0")
    };
    let cases = [
        case(400, grpc(3, "invalid filter")).vendor_code("3"),
        case(401, grpc(16, "Token has expired or is invalid."))
            .vendor_code("16")
            .attempts(2),
        case(403, grpc(7, "Access denied. Check permissions."))
            .kind(ErrorKind::Forbidden)
            .vendor_code("7"),
        case(404, grpc(5, "Requested resource not found.")).vendor_code("5"),
        case(429, grpc(8, "Rate limit reached.")).attempts(4),
        case(500, grpc(13, "Internal server failure.")).attempts(4),
        case(502, json!({})).attempts(4),
        case(503, grpc(14, "Environment under maintenance.")).attempts(4),
        case(504, json!({})).attempts(4).named("504 repeated"),
        ErrorCase::html(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
            .header("request-id", rid)
            .attempts(4),
        case(400, grpc(16, "token validation failed"))
            .kind(ErrorKind::Unauthorized)
            .attempts(2)
            .named("400 with an invalid token"),
        case(400, grpc(9, "incident is closed"))
            .kind(ErrorKind::Conflict)
            .message_contains("closed"),
    ];
    let build = move |url: &str| builder(url, &iam_url).build().unwrap();
    let errors = assert_error_cases(
        build,
        async |c: &EsetClient| c.incidents().get(UUID).await,
        &cases,
    )
    .await;
    for e in &errors {
        assert_eq!(e.request_id(), Some(rid), "{e}");
        assert!(e.to_string().contains(rid), "{e}");
    }
    assert_eq!(errors[3].grpc_code(), Some(GrpcCode::NotFound));
    assert!(errors[3].is_not_found());
    assert_eq!(
        errors[11].eset_body().unwrap().message.as_deref(),
        Some("incident is closed")
    );
}

/// grpc-gateway's error body, answered with a 200 and a `request-id`.
fn refuse(then: httpmock::Then, code: i64, message: &str, request_id: &str) {
    let body = json!({"code": code, "message": message, "details": []});
    json_reply(then.header("request-id", request_id), 200, &body);
}

/// An error answered with a 200 and a `request-id`: the gRPC code and message as sent.
fn assert_refused(err: &Error, code: GrpcCode, kind: ErrorKind, message: &str, request_id: &str) {
    let wrong = ErrorCase::json(200, &json!({}))
        .kind(kind)
        .vendor_code(&code.code().to_string())
        .message_contains(message)
        .request_id(request_id)
        .mismatches(err);
    assert!(wrong.is_empty(), "{wrong:?}: {err}");
    assert_eq!(err.grpc_code(), Some(code));
    assert_eq!(err.eset_body().unwrap().details, Some(vec![]));
}

#[tokio::test]
async fn writes_refused_inside_a_200_are_errors() {
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    let update = h
        .api
        .mock_async(|when, then| {
            post_json(
                when,
                &format!("/v2/incidents/{UUID}/basic-attributes:update"),
                json!({"assigneeUuid": "", "updateMask": "assigneeUuid"}),
            );
            refuse(
                then,
                9,
                "assigneeUuid can only be empty when the status is 'Open'",
                "req-update",
            );
        })
        .await;
    let close = h
        .api
        .mock_async(|when, then| {
            post_json(
                when,
                &format!("/v2/incidents/{UUID}:close"),
                json!({"closureReason": "INCIDENT_RESOLVE_REASON_TRUE_POSITIVE"}),
            );
            refuse(then, 9, "the incident is already closed", "req-close");
        })
        .await;
    let reopen = h
        .api
        .mock_async(|when, then| {
            post_json(when, &format!("/v2/incidents/{UUID}:reopen"), json!({}));
            refuse(then, 5, "incident not found", "req-reopen");
        })
        .await;
    let comment = h
        .api
        .mock_async(|when, then| {
            post_json(
                when,
                &format!("/v2/incidents/{UUID}/comments"),
                json!({"comment": {"text": "Called the user.", "isFinalComment": false}}),
            );
            refuse(
                then,
                7,
                "Incident Management is not enabled for this token",
                "req-comment",
            );
        })
        .await;
    let client = h.client();
    let err = client
        .incidents()
        .update(UUID)
        .unassign()
        .await
        .unwrap_err();
    update.assert_async().await;
    assert_refused(
        &err,
        GrpcCode::FailedPrecondition,
        ErrorKind::Conflict,
        "assigneeUuid can only be empty when the status is 'Open'",
        "req-update",
    );
    let err = client
        .incidents()
        .close(UUID, ResolveReason::TruePositive)
        .await
        .unwrap_err();
    close.assert_async().await;
    assert_refused(
        &err,
        GrpcCode::FailedPrecondition,
        ErrorKind::Conflict,
        "the incident is already closed",
        "req-close",
    );
    let err = client.incidents().reopen(UUID).await.unwrap_err();
    reopen.assert_async().await;
    assert_refused(
        &err,
        GrpcCode::NotFound,
        ErrorKind::NotFound,
        "incident not found",
        "req-reopen",
    );
    let err = client
        .incidents()
        .comments(UUID)
        .create("Called the user.")
        .await
        .unwrap_err();
    comment.assert_async().await;
    assert_refused(
        &err,
        GrpcCode::PermissionDenied,
        ErrorKind::Forbidden,
        "Incident Management is not enabled for this token",
        "req-comment",
    );
}

#[tokio::test]
async fn empty_results_and_grpc_ok_are_successes() {
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    // grpc-gateway's empty result, and a status that says OK.
    let close = h
        .api
        .mock_async(|when, then| {
            post_json(
                when,
                &format!("/v2/incidents/{UUID}:close"),
                json!({"closureReason": "INCIDENT_RESOLVE_REASON_SUSPICIOUS"}),
            );
            json_reply(then, 200, &json!({}));
        })
        .await;
    let reopen = h
        .api
        .mock_async(|when, then| {
            post_json(when, &format!("/v2/incidents/{UUID}:reopen"), json!({}));
            json_reply(then, 200, &json!({"code": 0, "message": ""}));
        })
        .await;
    let client = h.client();
    let closed = client
        .incidents()
        .close(UUID, ResolveReason::Suspicious)
        .await
        .unwrap();
    assert_eq!(closed, None);
    assert_eq!(client.incidents().reopen(UUID).await.unwrap(), None);
    close.assert_async().await;
    reopen.assert_async().await;
}

const COMMENT: &str = "c-7a1f";

fn comment_path() -> String {
    format!("/v2/incidents/{UUID}/comments/{COMMENT}")
}

fn comment_json(text: &str, updated: &str) -> Value {
    json!({"uuid": COMMENT, "incidentUuid": UUID, "text": text, "isFinalComment": false,
           "authorUuid": "u-1", "createTime": "2025-04-07T10:00:00Z", "updateTime": updated})
}

#[tokio::test]
async fn one_comment_is_read_edited_and_deleted() {
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    let get_one = h
        .api
        .mock_async(|when, then| {
            get(when, &comment_path(), &[]);
            json_reply(
                then.header("request-id", "req-get"),
                200,
                &json!({"comment": comment_json("Isolated the host.", "2025-04-07T10:00:00Z")}),
            );
        })
        .await;
    let edit = h
        .api
        .mock_async(|when, then| {
            post_json(
                when,
                &format!("{}/text:update", comment_path()),
                json!({"text": "Isolated the host; reimaging."}),
            );
            json_reply(
                then,
                200,
                &json!({"comment": comment_json("Isolated the host; reimaging.",
                                                "2025-04-07T11:30:00.5Z")}),
            );
        })
        .await;
    let delete = h
        .api
        .mock_async(|when, then| {
            exact_query(api(when, DELETE, &comment_path()), &[])
                .header_missing("content-type")
                .body("");
            json_reply(then, 200, &json!({}));
        })
        .await;
    let client = h.client();
    let comments = client.incidents().comments(UUID);

    let comment = comments.get(COMMENT).await.unwrap();
    get_one.assert_async().await;
    assert_eq!(comment.uuid.as_deref(), Some(COMMENT));
    assert_eq!(comment.incident_uuid.as_deref(), Some(UUID));
    assert_eq!(comment.text.as_deref(), Some("Isolated the host."));
    assert_eq!(comment.is_final_comment, Some(false));
    assert_eq!(comment.author_uuid.as_deref(), Some("u-1"));
    assert_eq!(comment.create_time, Some(datetime!(2025-04-07 10:00 UTC)));

    let edited = comments
        .edit_text(COMMENT, "Isolated the host; reimaging.")
        .await
        .unwrap()
        .unwrap();
    edit.assert_async().await;
    assert_eq!(
        edited.text.as_deref(),
        Some("Isolated the host; reimaging.")
    );
    assert_eq!(
        edited.update_time,
        Some(datetime!(2025-04-07 11:30:00.5 UTC))
    );

    comments.delete(COMMENT).await.unwrap();
    delete.assert_async().await;

    // Nothing to change is refused before sending.
    let e = comments.edit_text(COMMENT, " \n").await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    assert_eq!(e.attempts(), 0);
}

#[tokio::test]
async fn the_answers_of_one_comment_are_read_leniently() {
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    // A bare comment, without the envelope.
    h.api
        .mock_async(|when, then| {
            get(when, &comment_path(), &[]);
            json_reply(then, 200, &comment_json("Bare.", "2025-04-07T10:00:00Z"));
        })
        .await;
    // An empty answer to the edit, an empty body to the delete.
    let edit = h
        .api
        .mock_async(|when, then| {
            post_json(
                when,
                &format!("{}/text:update", comment_path()),
                json!({"text": "New text."}),
            );
            json_reply(then, 200, &json!({}));
        })
        .await;
    let delete = h
        .api
        .mock_async(|when, then| {
            api(when, DELETE, &comment_path());
            then.status(200).body("");
        })
        .await;
    let client = h.client();
    let comments = client.incidents().comments(UUID);
    let bare = comments.get(COMMENT).await.unwrap();
    assert_eq!(bare.text.as_deref(), Some("Bare."));
    assert_eq!(
        comments.edit_text(COMMENT, "New text.").await.unwrap(),
        None
    );
    comments.delete(COMMENT).await.unwrap();
    edit.assert_async().await;
    delete.assert_async().await;

    // A get that answers no comment at all is a protocol error, not an empty comment.
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    h.api
        .mock_async(|when, then| {
            get(when, &comment_path(), &[]);
            json_reply(then, 200, &json!({}));
        })
        .await;
    let e = h
        .client()
        .incidents()
        .comments(UUID)
        .get(COMMENT)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Protocol { .. }), "{e:?}");
    // A time it cannot read is a decode error naming its path, in either shape.
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    h.api
        .mock_async(|when, then| {
            get(when, &comment_path(), &[]);
            json_reply(
                then,
                200,
                &json!({"comment": comment_json("x", "yesterday")}),
            );
        })
        .await;
    let e = h
        .client()
        .incidents()
        .comments(UUID)
        .get(COMMENT)
        .await
        .unwrap_err();
    let Error::Decode(d) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(d.json_path, "comment.updateTime");
}

#[tokio::test]
async fn a_missing_comment_is_a_typed_404_and_a_delete_is_never_sent_twice() {
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    let not_found = json!({"code": 5, "message": "Requested resource not found.", "details": []});
    let get_404 = h
        .api
        .mock_async(|when, then| {
            get(when, &comment_path(), &[]);
            json_reply(then.header("request-id", "req-404"), 404, &not_found);
        })
        .await;
    let edit_404 = h
        .api
        .mock_async(|when, then| {
            api(when, POST, &format!("{}/text:update", comment_path()));
            json_reply(then.header("request-id", "req-404"), 404, &not_found);
        })
        .await;
    let delete_500 = h
        .api
        .mock_async(|when, then| {
            api(when, DELETE, &comment_path());
            json_reply(
                then.header("request-id", "req-500"),
                500,
                &json!({"code": 13, "message": "Internal server failure.", "details": []}),
            );
        })
        .await;
    let client = h.client();
    let comments = client.incidents().comments(UUID);
    for e in [
        comments.get(COMMENT).await.unwrap_err(),
        comments.edit_text(COMMENT, "x").await.unwrap_err(),
    ] {
        assert!(e.is_not_found(), "{e:?}");
        assert_eq!(e.grpc_code(), Some(GrpcCode::NotFound));
        assert_eq!(e.request_id(), Some("req-404"));
        assert_eq!(e.attempts(), 1, "a 404 is not retried");
    }
    get_404.assert_async().await;
    edit_404.assert_async().await;
    // A delete the server may have made is not sent again.
    let e = comments.delete(COMMENT).await.unwrap_err();
    assert_eq!(e.status(), Some(reqwest::StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(e.attempts(), 1);
    delete_500.assert_calls_async(1).await;
}

#[tokio::test]
async fn comment_ids_are_encoded_as_one_segment_and_dots_are_refused() {
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    let odd = "..%2Fc%3A1%20x";
    let odd_get = h
        .api
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v2/incidents/..%2Fadmin/comments/{odd}"));
            json_reply(then, 200, &json!({"comment": {"uuid": "../c:1 x"}}));
        })
        .await;
    let odd_edit = h
        .api
        .mock_async(|when, then| {
            when.method(POST).path(format!(
                "/v2/incidents/..%2Fadmin/comments/{odd}/text:update"
            ));
            json_reply(then, 200, &json!({}));
        })
        .await;
    let odd_delete = h
        .api
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("/v2/incidents/..%2Fadmin/comments/{odd}"));
            json_reply(then, 200, &json!({}));
        })
        .await;
    let client = h.client();
    let comments = client.incidents().comments("../admin");
    assert_eq!(
        comments.get("../c:1 x").await.unwrap().uuid.as_deref(),
        Some("../c:1 x")
    );
    comments.edit_text("../c:1 x", "t").await.unwrap();
    comments.delete("../c:1 x").await.unwrap();
    odd_get.assert_async().await;
    odd_edit.assert_async().await;
    odd_delete.assert_async().await;
    let comments = client.incidents().comments(UUID);
    for bad in ["", ".", ".."] {
        for e in [
            comments.get(bad).await.unwrap_err(),
            comments.edit_text(bad, "t").await.unwrap_err(),
            comments.delete(bad).await.unwrap_err(),
            client
                .incidents()
                .comments(bad)
                .get(COMMENT)
                .await
                .unwrap_err(),
        ] {
            assert!(matches!(e, Error::InvalidInput { .. }), "{bad:?}: {e:?}");
            assert_eq!(e.attempts(), 0);
        }
    }
}

/// The per-call options (an extra header, a retry policy) reach the wire: on every page of
/// a walk, on one page, on a read and on an update.
#[tokio::test]
async fn per_call_options_reach_the_wire() {
    use incident_core::http::{HeaderName, HeaderValue};
    let name = HeaderName::from_static("x-correlation-id");
    let value = |v: &'static str| HeaderValue::from_static(v);
    let h = Hosts::start().await;
    token_mock(&h.iam, ACCESS, 3600).await;
    let first = h
        .api
        .mock_async(|when, then| {
            get(when, "/v2/incidents", &[("pageSize", "1")]).header("x-correlation-id", "walk");
            json_reply(
                then,
                200,
                &json!({"incidents": [{"uuid": "a"}], "nextPageToken": "t2"}),
            );
        })
        .await;
    let second = h
        .api
        .mock_async(|when, then| {
            get(
                when,
                "/v2/incidents",
                &[("pageSize", "1"), ("pageToken", "t2")],
            )
            .header("x-correlation-id", "walk");
            json_reply(then, 200, &json!({"incidents": [{"uuid": "b"}]}));
        })
        .await;
    let client = h.client();
    let walked: Vec<_> = client
        .incidents()
        .list()
        .page_size(1)
        .header(name.clone(), value("walk"))
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(walked.len(), 2);
    first.assert_async().await;
    second.assert_async().await;

    // Without retries, one 500 is the answer (the client's policy would retry it).
    let failing = h
        .api
        .mock_async(|when, then| {
            get(when, "/v2/incidents", &[("pageSize", "50")]).header("x-correlation-id", "page");
            then.status(500);
        })
        .await;
    let e = client
        .incidents()
        .list()
        .header(name.clone(), value("page"))
        .retry_policy(RetryPolicy::disabled())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Server), "{e:?}");
    failing.assert_calls_async(1).await;

    let path = format!("/v2/incidents/{UUID}");
    let read = h
        .api
        .mock_async(|when, then| {
            get(when, &path, &[]).header("x-correlation-id", "get");
            then.status(500);
        })
        .await;
    let e = client
        .incidents()
        .get(UUID)
        .header(name.clone(), value("get"))
        .retry_policy(RetryPolicy::disabled())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Server), "{e:?}");
    read.assert_calls_async(1).await;

    let update = h
        .api
        .mock_async(|when, then| {
            post_json(
                when,
                &format!("{path}/basic-attributes:update"),
                json!({"displayName": "Renamed", "updateMask": "displayName"}),
            )
            .header("x-correlation-id", "update");
            then.status(500);
        })
        .await;
    let e = client
        .incidents()
        .update(UUID)
        .display_name("Renamed")
        .header(name, value("update"))
        .retry_policy(RetryPolicy::disabled())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Server), "{e:?}");
    update.assert_calls_async(1).await;
}
