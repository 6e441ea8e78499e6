//! Wire tests: every operation against httpmock, asserting the exact request (method, path,
//! query, headers, body) and the decoded result; the token flows; the paging rules; the
//! typed error of every documented status.

use std::time::Duration;

use futures::TryStreamExt;
use httpmock::MockServer;
use incident_core::{Error, ErrorKind, RetryPolicy};
use incident_testkit::{ErrorCase, exact_query, json_reply};
use serde_json::{Value, json};
use skyhigh_client::{
    ActorIdType, ChangeOutcome, HistoricalUserRisk, Incident, IncidentCategory, IncidentStatus,
    PermissionType, Product, QueryCursor, RiskSeverity, SkyhighClient, SkyhighErrorCode,
    SkyhighErrorExt, TimesSelection, TokenHeader, WorkflowStatus,
};
use time::macros::datetime;

const USER: &str = "api-user@example.com";
const PASSWORD: &str = "wire-Pa55word";
/// `Basic base64(api-user@example.com:wire-Pa55word)`.
const BASIC: &str = "Basic YXBpLXVzZXJAZXhhbXBsZS5jb206d2lyZS1QYTU1d29yZA==";
const QUERY: &str = "/shnapi/rest/external/api/v1/queryIncidents";
const MODIFY: &str = "/shnapi/rest/external/api/v1/modifyIncidents";

fn retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(2))
}

fn client(url: &str) -> SkyhighClient {
    SkyhighClient::builder(url)
        .basic_auth(USER, PASSWORD)
        .retry_policy(retry())
        .build()
        .unwrap()
}

fn incident(id: &str, modified: &str) -> Value {
    json!({
        "incidentId": id,
        "incidentGroup": "Alert.Policy.Dlp",
        "incidentRiskSeverity": "high",
        "status": "new",
        "timeCreated": "2024-05-01T08:00:00.000Z",
        "timeModified": modified,
    })
}

fn wrapped(incidents: Vec<Value>, next: Option<&str>) -> Value {
    json!({
        "headers": {},
        "body": {
            "incidents": incidents,
            "responseInfo": {"actualLimit": 3, "apiElapsedMillis": 12, "error": null,
                             "nextOffset": null, "nextStartTime": next, "source": "wire"}
        },
        "statusCode": "OK",
        "statusCodeValue": 200
    })
}

fn id_list(items: &[Incident]) -> Vec<String> {
    items
        .iter()
        .map(|i| i.incident_id.as_ref().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn query_sends_every_criteria_field_and_decodes_the_envelope() {
    let server = MockServer::start_async().await;
    let body = json!({
        "actorIdType": "USER",
        "actorIds": ["jdoe@example.com"],
        "category": ["Compromised Accounts"],
        "deviceTypes": ["WindowsDesktop", "iPhoneMobile"],
        "endTime": "2024-05-02T00:00:00.000Z",
        "incidentCriteria": {
            "categories": [{"incidentType": "Alert", "category": "Policy"}, {"incidentType": "Threat"}],
            "product": "SANCTIONED",
            "fields": {"policyName": ["PII", "Encrypted files"], "status": ["new"]},
            "historicaluserriskscore": ["High"]
        },
        "permissionType": "DENIED",
        "protocolTypes": ["https"],
        "serviceCategories": ["Cloud Storage"],
        "serviceNames": ["OneDrive"],
        "serviceRiskMaximum": 9,
        "serviceRiskMinimum": 3,
        "startTime": "2024-05-01T00:00:00.000Z",
        "timesSelection": "CREATED_AT",
        "uploadDataMinimum": 1048576,
        "userRiskMaximum": 10,
        "userRiskMinimum": 7
    });
    let mock = server
        .mock_async(|when, then| {
            let when = when
                .method("POST")
                .path(QUERY)
                .header("authorization", BASIC)
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .json_body(body.clone());
            exact_query(when, &[("limit", "3")]);
            json_reply(
                then,
                200,
                &wrapped(
                    vec![
                        incident("DLP-1", "2024-05-01T09:00:00.000Z"),
                        incident("DLP-2", "2024-05-01T09:00:01.000Z"),
                    ],
                    Some("2024-05-01T09:00:01.000Z"),
                ),
            );
        })
        .await;
    let page = client(&server.base_url())
        .incidents()
        .query()
        .actor_id_type(ActorIdType::User)
        .actor_ids(["jdoe@example.com"])
        .threat_categories(["Compromised Accounts"])
        .device_types(["WindowsDesktop", "iPhoneMobile"])
        .start_time(datetime!(2024-05-01 0:00 UTC))
        .end_time(datetime!(2024-05-02 2:00 +2))
        .category(IncidentCategory::new("Alert", "Policy"))
        .category(IncidentCategory::of_type("Threat"))
        .product(Product::Sanctioned)
        .field("policyName", ["PII", "Encrypted files"])
        .field("status", ["new"])
        .historical_user_risk([HistoricalUserRisk::High])
        .permission_type(PermissionType::Denied)
        .protocol_types(["https"])
        .service_categories(["Cloud Storage"])
        .service_names(["OneDrive"])
        .service_risk(Some(3), Some(9))
        .user_risk(Some(7), Some(10))
        .upload_data_minimum(1_048_576)
        .times_selection(TimesSelection::CreatedAt)
        .limit(3)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(id_list(&page.incidents), ["DLP-1", "DLP-2"]);
    assert_eq!(
        page.incidents[0].incident_risk_severity,
        Some(RiskSeverity::High)
    );
    assert_eq!(page.incidents[0].status, Some(IncidentStatus::New));
    assert_eq!(
        page.incidents[1].time_modified,
        Some(datetime!(2024-05-01 9:00:01 UTC))
    );
    assert_eq!(
        page.next,
        Some(QueryCursor::StartTime("2024-05-01T09:00:01.000Z".into()))
    );
    assert_eq!(page.response_info.api_elapsed_millis, Some(12));
    let envelope = page.envelope.unwrap();
    assert_eq!(envelope.status_code.as_deref(), Some("OK"));
    assert_eq!(envelope.status_code_value, Some(200));
    assert!(!page.no_data);
}

#[tokio::test]
async fn query_decodes_the_bare_shape_and_sends_no_limit_unless_asked() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            let when = when.method("POST").path(QUERY).json_body(json!({}));
            exact_query(when, &[]);
            json_reply(
                then,
                200,
                &json!({"responseInfo": {"nextStartTime": null, "nextOffset": -1},
                        "incidents": [incident("CAP-9", "2024-05-01T09:00:00Z")]}),
            );
        })
        .await;
    let page = client(&server.base_url())
        .incidents()
        .query()
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert!(page.envelope.is_none());
    assert_eq!(id_list(&page.incidents), ["CAP-9"]);
    assert_eq!(page.next, None, "a null cursor and nextOffset -1: the end");
}

/// Mounts one page of a walk: the request with `startTime` = `start`, the answer.
async fn page_at<'a>(
    server: &'a MockServer,
    start: &str,
    incidents: Vec<Value>,
    next: Option<&str>,
) -> httpmock::Mock<'a> {
    let body = json!({"startTime": start});
    let answer = wrapped(incidents, next);
    server
        .mock_async(move |when, then| {
            let when = when.method("POST").path(QUERY).json_body(body);
            exact_query(when, &[("limit", "3")]);
            json_reply(then, 200, &answer);
        })
        .await
}

#[tokio::test]
async fn the_stream_feeds_next_start_time_back_and_drops_boundary_repeats() {
    let server = MockServer::start_async().await;
    let (t0, t1, t2, t3) = (
        "2024-05-01T00:00:00.000Z",
        "2024-05-01T09:00:00.000Z",
        "2024-05-01T09:05:00.000Z",
        "2024-05-01T10:00:00.000Z",
    );
    let pages = [
        page_at(
            &server,
            t0,
            vec![
                incident("DLP-1", t1),
                incident("DLP-2", t1),
                incident("DLP-3", t1),
            ],
            Some(t1),
        )
        .await,
        // Three more share t1: the start is inclusive, so DLP-1..3 come again.
        page_at(
            &server,
            t1,
            vec![
                incident("DLP-1", t1),
                incident("DLP-2", t1),
                incident("DLP-3", t1),
            ],
            Some(t2),
        )
        .await,
        page_at(
            &server,
            t2,
            vec![
                incident("DLP-4", t2),
                incident("DLP-5", t3),
                incident("DLP-6", t3),
            ],
            Some(t3),
        )
        .await,
        // Only the boundary repeat, and the cursor stops moving: the end.
        page_at(&server, t3, vec![incident("DLP-6", t3)], Some(t3)).await,
    ];
    let all: Vec<Incident> = client(&server.base_url())
        .incidents()
        .query()
        .start_time(datetime!(2024-05-01 0:00 UTC))
        .limit(3)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        id_list(&all),
        ["DLP-1", "DLP-2", "DLP-3", "DLP-4", "DLP-5", "DLP-6"]
    );
    for page in &pages {
        page.assert_async().await;
    }
}

#[tokio::test]
async fn the_stream_ends_at_no_data_and_follows_next_offset() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            let when = when
                .method("POST")
                .path(QUERY)
                .json_body(json!({"startTime": "2024-05-01T00:00:00.000Z"}));
            exact_query(when, &[("limit", "2")]);
            json_reply(
                then,
                200,
                &json!({"responseInfo": {"nextOffset": 2, "nextStartTime": null},
                        "incidents": [incident("AUD-1", "2024-05-01T01:00:00Z"), incident("AUD-2", "2024-05-01T02:00:00Z")]}),
            );
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            let when = when
                .method("POST")
                .path(QUERY)
                .json_body(json!({"startTime": "2024-05-01T00:00:00.000Z"}));
            exact_query(when, &[("limit", "2"), ("offset", "2")]);
            json_reply(
                then,
                404,
                &json!({"responseInfo": {"error": {"code": 404, "message": "No data was found for provided criteria"}}}),
            );
        })
        .await;
    let all: Vec<Incident> = client(&server.base_url())
        .incidents()
        .query()
        .start_time(datetime!(2024-05-01 0:00 UTC))
        .limit(2)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_list(&all), ["AUD-1", "AUD-2"]);
    first.assert_async().await;
    second.assert_async().await;
}

#[tokio::test]
async fn a_full_page_that_does_not_move_the_cursor_or_an_oversized_page_is_refused() {
    let server = MockServer::start_async().await;
    let t = "2024-05-01T09:00:00.000Z";
    server
        .mock_async(|when, then| {
            when.method("POST").path(QUERY);
            json_reply(
                then,
                200,
                &wrapped(
                    vec![
                        incident("DLP-1", t),
                        incident("DLP-2", t),
                        incident("DLP-3", t),
                    ],
                    Some(t),
                ),
            );
        })
        .await;
    let c = client(&server.base_url());
    let e = c
        .incidents()
        .query()
        .start_time_raw(t)
        .limit(3)
        .into_stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Protocol { .. }), "{e:?}");
    // Beyond the limit, Skyhigh adds the incidents that share the last one's timestamp.
    let page = c
        .incidents()
        .query()
        .start_time_raw(t)
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(id_list(&page.incidents), ["DLP-1", "DLP-2", "DLP-3"]);
}

#[tokio::test]
async fn beyond_the_limit_only_incidents_of_the_last_timestamp_are_accepted() {
    let server = MockServer::start_async().await;
    let (t1, t2) = ("2024-05-01T09:00:00.000Z", "2024-05-01T09:00:00.001Z");
    server
        .mock_async(|when, then| {
            when.method("POST").path(QUERY);
            json_reply(
                then,
                200,
                &wrapped(
                    vec![
                        incident("DLP-1", t1),
                        incident("DLP-2", t1),
                        incident("DLP-3", t2),
                    ],
                    Some(t2),
                ),
            );
        })
        .await;
    let c = client(&server.base_url());
    let e = c.incidents().query().limit(2).send().await.unwrap_err();
    assert!(
        matches!(&e, Error::Protocol { message, .. } if message.contains("more than the limit of 2")),
        "{e:?}"
    );
    // No more than MAX_TIES beyond the limit, whatever their timestamp, counted while
    // decoding.
    let server = MockServer::start_async().await;
    let c = client(&server.base_url());
    let many = server
        .mock_async(|when, then| {
            when.method("POST").path(QUERY).query_param("limit", "1");
            let incidents: Vec<Value> = (0..=skyhigh_client::MAX_TIES + 1)
                .map(|i| incident(&format!("DLP-{i}"), t1))
                .collect();
            json_reply(then, 200, &wrapped(incidents, Some(t2)));
        })
        .await;
    let e = c.incidents().query().limit(1).send().await.unwrap_err();
    assert!(
        matches!(&e, Error::Protocol { message, .. } if message.contains("more than the 1001 items asked for")),
        "{e:?}"
    );
    many.assert_async().await;
}

#[tokio::test]
async fn modify_sends_the_batch_and_reports_each_incident() {
    let server = MockServer::start_async().await;
    let all_ok = server
        .mock_async(|when, then| {
            let when = when
                .method("POST")
                .path(MODIFY)
                .header("authorization", BASIC)
                .header("content-type", "application/json")
                .json_body(json!([
                    {"incidentId": "DLP-108", "changeRequests": {"WORKFLOW_STATUS": "resolved"}},
                    {"incidentId": "DLP-109", "changeRequests": {"WORKFLOW_STATUS": "false positive"}},
                    {"incidentId": "CAP-7", "changeRequests": {"WORKFLOW_STATUS": "PENDING"}}
                ]));
            exact_query(when, &[]);
            // The ModifyIncident API page's example answer.
            json_reply(
                then,
                200,
                &json!({"headers": {}, "body": {"actualLimit": 1, "apiElapsedMillis": 3004, "error": null,
                        "nextOffset": null, "nextStartTime": null,
                        "source": "shnapi-0296f506c07a6ec34.node.usprod.consul"},
                        "statusCode": "OK", "statusCodeValue": 200}),
            );
        })
        .await;
    let c = client(&server.base_url());
    let outcome = c
        .incidents()
        .modify()
        .status("DLP-108", WorkflowStatus::Resolved)
        .status("DLP-109", WorkflowStatus::FalsePositive)
        .status("CAP-7", WorkflowStatus::from("PENDING"))
        .send()
        .await
        .unwrap();
    all_ok.assert_async().await;
    assert!(outcome.all_applied());
    assert_eq!(outcome.outcomes.len(), 3);
    assert_eq!(
        outcome.response_info.source.as_deref(),
        Some("shnapi-0296f506c07a6ec34.node.usprod.consul")
    );

    // A partial refusal, named per incident in the error's details.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("POST").path(MODIFY);
            json_reply(
                then,
                200,
                &json!({"body": {"actualLimit": 1, "error": {"code": 400, "message": "1 of 2 incidents were not modified",
                        "details": [{"code": 404, "message": "Incident 'DLP-2' was not found", "target": "DLP-2"}]}}}),
            );
        })
        .await;
    let outcome = client(&server.base_url())
        .incidents()
        .modify()
        .status("DLP-1", WorkflowStatus::Archived)
        .status("DLP-2", WorkflowStatus::Archived)
        .await
        .unwrap();
    assert_eq!(outcome.outcome("DLP-1"), Some(&ChangeOutcome::Applied));
    let Some(ChangeOutcome::Refused(e)) = outcome.outcome("DLP-2") else {
        panic!("{outcome:?}")
    };
    assert_eq!(e.code, Some(404));

    // Every incident refused: an error, typed by the incident's code.
    let e = client(&server.base_url())
        .incidents()
        .modify()
        .status("DLP-2", WorkflowStatus::Archived)
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(200));
    assert!(e.is_not_found(), "{e:?}");
    assert_eq!(e.skyhigh_code(), Some(SkyhighErrorCode::NoData));
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let c = client(&server.base_url());
    let modify = c.incidents().modify();
    for e in [
        modify
            .clone()
            .status("DLP-1\"}]", WorkflowStatus::Resolved)
            .send()
            .await
            .unwrap_err(),
        modify.clone().send().await.unwrap_err(),
        modify
            .clone()
            .status("DLP-1", WorkflowStatus::Resolved)
            .status("DLP-1", WorkflowStatus::New)
            .send()
            .await
            .unwrap_err(),
        c.incidents().query().limit(0).send().await.unwrap_err(),
        c.incidents()
            .query()
            .limit(10_001)
            .send()
            .await
            .unwrap_err(),
        c.incidents()
            .query()
            .user_risk(Some(8), Some(2))
            .send()
            .await
            .unwrap_err(),
        c.incidents()
            .query()
            .upload_data_minimum(-1)
            .send()
            .await
            .unwrap_err(),
        c.incidents()
            .query()
            .start_time_raw("yesterday")
            .into_stream()
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
        assert_eq!(e.attempts(), 0);
    }
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn information_keys_and_groups_in_both_shapes() {
    let server = MockServer::start_async().await;
    let keys = server
        .mock_async(|when, then| {
            let when = when
                .method("POST")
                .path("/shnapi/rest/external/api/v1/queryIncidentInformationKeys")
                .header("authorization", BASIC)
                .header("content-length", "0");
            exact_query(when, &[]);
            // The Knowledge Base page's shape, and the seed's {key, value} array.
            json_reply(
                then,
                200,
                &json!({"headers": {}, "body": [
                    {"type": "AuditViolation", "informationKeys": {"accountId": "The account"}},
                    {"type": "Threat", "informationKeys": [{"key": "threatCategory", "value": "The category"}]}
                ], "statusCode": "OK", "statusCodeValue": 200}),
            );
        })
        .await;
    let groups = server
        .mock_async(|when, then| {
            when.method("POST")
                .path("/shnapi/rest/external/api/v1/queryIncidentGroups");
            json_reply(
                then,
                200,
                &json!([
                    "Alert.Access.AnomalousAccessLocation",
                    "Alert.Access.BruteForceLogin"
                ]),
            );
        })
        .await;
    let c = client(&server.base_url());
    let got = c.incidents().information_keys().await.unwrap();
    keys.assert_async().await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].incident_type.as_deref(), Some("AuditViolation"));
    assert_eq!(
        got[1]
            .information_keys
            .as_ref()
            .unwrap()
            .get_str("threatCategory"),
        Some("The category")
    );
    assert_eq!(
        c.incidents().groups().await.unwrap(),
        [
            "Alert.Access.AnomalousAccessLocation",
            "Alert.Access.BruteForceLogin"
        ]
    );
    groups.assert_async().await;
}

#[tokio::test]
async fn the_iam_token_flow_on_the_wire() {
    for (header, attach) in [
        (TokenHeader::XAccessToken, ("x-access-token", "acc-7f3e")),
        (TokenHeader::Bearer, ("authorization", "Bearer acc-7f3e")),
    ] {
        let server = MockServer::start_async().await;
        let iam = server
            .mock_async(|when, then| {
                let when = when
                    .method("POST")
                    .path("/shnapi/rest/external/api/v1/token")
                    .header("authorization", BASIC)
                    .header("bps-tenant-id", "4711");
                exact_query(when, &[("grant_type", "password"), ("token_type", "iam")]);
                json_reply(
                    then,
                    200,
                    &json!({"access_token": "iam-1c2d", "token_type": "bearer"}),
                );
            })
            .await;
        let neo = server
            .mock_async(|when, then| {
                let when = when
                    .method("POST")
                    .path("/neo/neo-auth-service/oauth/token")
                    .header("x-iam-token", "iam-1c2d")
                    .header("bps-tenant-id", "4711")
                    .json_body(json!({}));
                exact_query(when, &[("grant_type", "iam_token")]);
                // The CNAPP authentication page's answer.
                json_reply(
                    then,
                    200,
                    &json!({"access_token": "acc-7f3e", "token_type": "bearer", "refresh_token": "ref-1",
                            "expires_in": 509, "scope": "read write", "tenantName": "Example",
                            "tenantID": 12345, "user": USER, "userId": 1, "email": USER, "jti": "j"}),
                );
            })
            .await;
        let groups = server
            .mock_async(|when, then| {
                when.method("POST")
                    .path("/shnapi/rest/external/api/v1/queryIncidentGroups")
                    .header(attach.0, attach.1);
                json_reply(then, 200, &json!(["Alert.Policy.Dlp"]));
            })
            .await;
        let c = SkyhighClient::builder(server.base_url())
            .access_token_auth(USER, PASSWORD)
            .bps_tenant_id("4711")
            .token_header(header)
            .build()
            .unwrap();
        for _ in 0..3 {
            assert_eq!(c.incidents().groups().await.unwrap(), ["Alert.Policy.Dlp"]);
        }
        iam.assert_async().await;
        neo.assert_async().await;
        groups.assert_calls_async(3).await;
    }
}

#[tokio::test]
async fn the_neo_password_grant_and_a_token_answer_without_a_token() {
    let server = MockServer::start_async().await;
    let neo = server
        .mock_async(|when, then| {
            let when = when
                .method("POST")
                .path("/neo/neo-auth-service/oauth/token")
                .header("x-auth-username", USER)
                .header("x-auth-password", PASSWORD);
            exact_query(when, &[("grant_type", "password")]);
            json_reply(
                then,
                200,
                &json!({"token_type": "bearer", "secret-ish": "x"}),
            );
        })
        .await;
    let c = SkyhighClient::builder(server.base_url())
        .neo_password_auth(USER, PASSWORD)
        .build()
        .unwrap();
    let e = c.incidents().groups().await.unwrap_err();
    neo.assert_async().await;
    assert!(
        matches!(&e, Error::Protocol { message, .. } if message.contains("no access_token")),
        "{e:?}"
    );
}

fn skyhigh_error(status: u16, message: &str, target: Option<&str>) -> Value {
    json!({"headers": {}, "body": {"responseInfo": {"actualLimit": 0, "error":
        {"code": status, "message": message, "target": target}}, "incidents": []},
        "statusCode": "ERROR", "statusCodeValue": status})
}

fn case(status: u16, message: &str, kind: ErrorKind) -> ErrorCase {
    ErrorCase::json(status, &skyhigh_error(status, message, None))
        .kind(kind)
        .vendor_code(&status.to_string())
        .message_contains(message)
}

const BAD_GATEWAY: &str = "<html><head><title>502 Bad Gateway</title></head></html>";

#[tokio::test]
async fn every_documented_status_of_a_query_is_typed() {
    let table = [
        ErrorCase::json(400, &skyhigh_error(400, "Invalid field value", Some("startTime")))
            .kind(ErrorKind::InvalidRequest)
            .vendor_code("400")
            .message_contains("Invalid field value (target: startTime)"),
        ErrorCase::json(
            401,
            &json!({"timestamp": "2024-05-01T00:00:00.000+0000", "status": 401, "error": "Unauthorized",
                    "message": "", "path": QUERY}),
        )
        .kind(ErrorKind::Unauthorized)
        .vendor_code("401")
        .message_contains("Unauthorized"),
        ErrorCase::html(404, "<html>Not Found</html>").kind(ErrorKind::NotFound),
        case(409, "Concurrency conflict; resubmit once verified", ErrorKind::Conflict),
        case(429, "Exceeding rate-limiting thresholds", ErrorKind::RateLimited)
            .retry_after("0")
            .attempts(3),
        case(500, "Internal error", ErrorKind::Server).attempts(3),
        case(503, "Service unavailable", ErrorKind::Unavailable)
            .retry_after("0")
            .attempts(3),
        ErrorCase::html(502, BAD_GATEWAY)
            .kind(ErrorKind::Server)
            .request_id("edge-9")
            .attempts(3),
        // Errors inside a 200: not retried.
        ErrorCase::json(200, &skyhigh_error(429, "Exceeding rate-limiting thresholds", None))
            .named("error inside a 200")
            .kind(ErrorKind::RateLimited)
            .vendor_code("429"),
        ErrorCase::json(200, &json!({"headers": {}, "body": {}, "statusCode": "INTERNAL_SERVER_ERROR", "statusCodeValue": 500}))
            .named("an envelope saying 500 inside a 200")
            .kind(ErrorKind::Server)
            .vendor_code("500")
            .message_contains("INTERNAL_SERVER_ERROR"),
    ];
    let errors = incident_testkit::assert_error_cases(
        client,
        async |c: &SkyhighClient| {
            c.incidents()
                .query()
                .start_time(datetime!(2024-05-01 0:00 UTC))
                .send()
                .await
        },
        &table,
    )
    .await;
    let codes: Vec<_> = errors.iter().map(SkyhighErrorExt::skyhigh_code).collect();
    assert_eq!(
        codes,
        [
            Some(SkyhighErrorCode::InvalidRequest),
            Some(SkyhighErrorCode::Unauthorized),
            None,
            Some(SkyhighErrorCode::Conflict),
            Some(SkyhighErrorCode::RateLimited),
            Some(SkyhighErrorCode::Server),
            Some(SkyhighErrorCode::Unavailable),
            None,
            Some(SkyhighErrorCode::RateLimited),
            Some(SkyhighErrorCode::Server),
        ]
    );
    let bad = errors[0].skyhigh_error().unwrap();
    assert_eq!(bad.target.as_deref(), Some("startTime"));
    assert!(!errors[3].is_retryable(), "409 means: check, then resubmit");
}

#[tokio::test]
async fn every_documented_status_of_a_modify_is_typed() {
    let table = [
        case(400, "WORKFLOW_STATUS is invalid", ErrorKind::InvalidRequest),
        case(401, "Bad credentials", ErrorKind::Unauthorized),
        case(
            403,
            "Incident Management role required",
            ErrorKind::Forbidden,
        ),
        case(404, "No incident DLP-1", ErrorKind::NotFound),
        case(409, "Concurrency conflict", ErrorKind::Conflict),
        case(
            429,
            "Exceeding rate-limiting thresholds",
            ErrorKind::RateLimited,
        )
        .retry_after("0")
        .attempts(3),
        // Setting a status twice changes nothing more: retried like a read.
        case(500, "Internal error", ErrorKind::Server).attempts(3),
        case(503, "Service unavailable", ErrorKind::Unavailable).attempts(3),
    ];
    incident_testkit::assert_error_cases(
        client,
        async |c: &SkyhighClient| {
            c.incidents()
                .modify()
                .status("DLP-1", WorkflowStatus::Resolved)
                .send()
                .await
        },
        &table,
    )
    .await;
}

#[tokio::test]
async fn a_time_the_client_cannot_read_is_a_decode_error_naming_its_path() {
    // `aaé0000`: the fifth byte from the end is inside `é` (reading it panicked);
    // `9999-12-31T23:59:59-01:00`: its instant is past the year 9999 in UTC (writing it
    // back panicked).
    for (field, text) in [
        ("timeCreated", "aa\u{e9}0000"),
        ("timeModified", "9999-12-31T23:59:59-01:00"),
    ] {
        let server = MockServer::start_async().await;
        let mut record = incident("DLP-1", "2024-05-01T09:00:00.000Z");
        record[field] = json!(text);
        server
            .mock_async(|when, then| {
                when.method("POST").path(QUERY);
                json_reply(then, 200, &wrapped(vec![record], None));
            })
            .await;
        let e = client(&server.base_url())
            .incidents()
            .query()
            .send()
            .await
            .unwrap_err();
        let Error::Decode(d) = &e else {
            panic!("{e:?}");
        };
        assert_eq!(d.json_path, format!("body.incidents[0].{field}"));
        let message = d.source.to_string();
        assert!(
            message.starts_with(&format!(
                "{text:?} is not a date-time Skyhigh sends at line 1"
            )),
            "{message}"
        );
    }
}

/// The documented shapes of a `modifyIncidents` answer, around one ResponseInfo.
const MODIFY_SHAPES: [&str; 4] = [
    "bare ResponseInfo",
    "{responseInfo}",
    "envelope around a ResponseInfo",
    "envelope around {responseInfo}",
];

fn modify_answer(shape: &str, error: Value) -> Value {
    let info = json!({"actualLimit": 2, "apiElapsedMillis": 41, "error": error,
                      "nextOffset": null, "nextStartTime": null, "source": "wire"});
    let envelope = |body: Value| json!({"headers": {}, "body": body, "statusCode": "OK", "statusCodeValue": 200});
    match shape {
        "bare ResponseInfo" => info,
        "{responseInfo}" => json!({"responseInfo": info}),
        "envelope around a ResponseInfo" => envelope(info),
        _ => envelope(json!({"responseInfo": info})),
    }
}

/// Sends `DLP-1` resolved and `DLP-2` archived to a server that expects exactly that request
/// once and answers `answer` with a 200.
async fn modify_two(answer: &Value) -> incident_core::Result<skyhigh_client::ModifyOutcome> {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            let when = when
                .method("POST")
                .path(MODIFY)
                .header("authorization", BASIC)
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .json_body(json!([
                    {"incidentId": "DLP-1", "changeRequests": {"WORKFLOW_STATUS": "resolved"}},
                    {"incidentId": "DLP-2", "changeRequests": {"WORKFLOW_STATUS": "archived"}}
                ]));
            exact_query(when, &[]);
            json_reply(then, 200, answer);
        })
        .await;
    let result = client(&server.base_url())
        .incidents()
        .modify()
        .status("DLP-1", WorkflowStatus::Resolved)
        .status("DLP-2", WorkflowStatus::Archived)
        .send()
        .await;
    mock.assert_async().await;
    result
}

fn check_error(case: &ErrorCase, e: &Error) {
    let wrong = case.mismatches(e);
    assert!(wrong.is_empty(), "{}: {wrong:?}\n    {e}", case.name());
}

#[tokio::test]
async fn modify_a_batch_refused_as_a_whole_with_empty_details_is_an_error_in_every_shape() {
    let error = json!({"code": 403, "message": "The Incident Management role is required",
                       "target": null, "details": []});
    for shape in MODIFY_SHAPES {
        let e = modify_two(&modify_answer(shape, error.clone()))
            .await
            .unwrap_err();
        check_error(
            &ErrorCase::json(200, &json!({}))
                .named(shape)
                .kind(ErrorKind::Forbidden)
                .vendor_code("403")
                .message_contains("The Incident Management role is required"),
            &e,
        );
        assert_eq!(
            e.skyhigh_code(),
            Some(SkyhighErrorCode::Forbidden),
            "{shape}"
        );
        assert!(!e.is_retryable(), "{shape}");
        let whole = e.skyhigh_error().unwrap();
        assert_eq!(whole.details.as_deref(), Some(&[][..]), "{shape}");
    }
}

#[tokio::test]
async fn modify_details_naming_every_incident_are_an_error_in_every_shape() {
    let error = json!({"code": 400, "message": "2 of 2 incidents were not modified", "details": [
        {"code": 404, "message": "Incident 'DLP-1' was not found", "target": "DLP-1"},
        {"code": 409, "message": "Incident 'DLP-2' changed meanwhile", "target": "DLP-2"}]});
    for shape in MODIFY_SHAPES {
        let e = modify_two(&modify_answer(shape, error.clone()))
            .await
            .unwrap_err();
        // The first incident's own error, with its code.
        check_error(
            &ErrorCase::json(200, &json!({}))
                .named(shape)
                .kind(ErrorKind::NotFound)
                .vendor_code("404")
                .message_contains("Incident 'DLP-1' was not found"),
            &e,
        );
        assert_eq!(e.skyhigh_code(), Some(SkyhighErrorCode::NoData), "{shape}");
        // The whole Error, with every incident's detail, stays reachable.
        let whole = e.skyhigh_error().unwrap();
        assert_eq!(whole.code, Some(400), "{shape}");
        let targets: Vec<_> = whole
            .details
            .unwrap()
            .iter()
            .map(|d| d.target.clone().unwrap())
            .collect();
        assert_eq!(targets, ["DLP-1", "DLP-2"], "{shape}");
    }
}

#[tokio::test]
async fn modify_details_naming_some_incidents_are_refused_per_incident_in_every_shape() {
    let detail =
        json!({"code": 409, "message": "Incident 'DLP-2' changed meanwhile", "target": "DLP-2"});
    let error = json!({"code": 400, "message": "1 of 2 incidents were not modified",
                       "details": [detail.clone()]});
    for shape in MODIFY_SHAPES {
        let outcome = modify_two(&modify_answer(shape, error.clone()))
            .await
            .unwrap();
        assert!(!outcome.all_applied(), "{shape}");
        assert_eq!(
            outcome.outcome("DLP-1"),
            Some(&ChangeOutcome::Applied),
            "{shape}"
        );
        let Some(ChangeOutcome::Refused(refused)) = outcome.outcome("DLP-2") else {
            panic!("{shape}: {outcome:?}")
        };
        assert_eq!(serde_json::to_value(refused).unwrap(), detail, "{shape}");
        let ids: Vec<_> = outcome.refused().map(|(id, _)| id.to_string()).collect();
        assert_eq!(ids, ["DLP-2"], "{shape}");
        // The ResponseInfo is read from whichever shape held it.
        let info = &outcome.response_info;
        assert_eq!(
            (info.actual_limit, info.source.as_deref()),
            (Some(2), Some("wire")),
            "{shape}"
        );
        assert_eq!(
            serde_json::to_value(info.error.as_ref().unwrap()).unwrap(),
            error,
            "{shape}"
        );
        assert!(info.extra.is_empty(), "{shape}: {:?}", info.extra);
    }
}

#[tokio::test]
async fn modify_without_an_error_applies_everything_in_every_shape() {
    for shape in MODIFY_SHAPES {
        let outcome = modify_two(&modify_answer(shape, Value::Null))
            .await
            .unwrap();
        assert!(outcome.all_applied(), "{shape}: {outcome:?}");
        let ids: Vec<_> = outcome
            .outcomes
            .iter()
            .map(|(id, o)| (id.to_string(), o.clone()))
            .collect();
        assert_eq!(
            ids,
            [
                ("DLP-1".to_string(), ChangeOutcome::Applied),
                ("DLP-2".to_string(), ChangeOutcome::Applied)
            ],
            "{shape}"
        );
        assert_eq!(
            outcome.response_info.api_elapsed_millis,
            Some(41),
            "{shape}"
        );
        assert_eq!(outcome.response_info.error, None, "{shape}");
    }
}

#[tokio::test]
async fn modify_errors_that_cannot_be_placed_or_read_refuse_the_whole_batch() {
    let cases = [
        // A detail about a field, not an incident: nothing says which went through.
        (
            json!({"code": 400, "message": "Invalid change", "details": [
                {"code": 400, "message": "Unknown WORKFLOW_STATUS", "target": "WORKFLOW_STATUS"},
                {"code": 404, "message": "not found", "target": "DLP-2"}]}),
            ErrorCase::json(200, &json!({}))
                .named("a detail naming no incident")
                .kind(ErrorKind::InvalidRequest)
                .vendor_code("400")
                .message_contains("Invalid change"),
        ),
        // Members of unexpected types: still an error, with what can be read.
        (
            json!({"code": "four hundred", "message": "Not modified", "details": "none"}),
            ErrorCase::json(200, &json!({}))
                .named("an Error with odd member types")
                .kind(ErrorKind::Other)
                .no_vendor_code()
                .message_contains("Not modified"),
        ),
    ];
    for (error, case) in cases {
        for shape in MODIFY_SHAPES {
            let e = modify_two(&modify_answer(shape, error.clone()))
                .await
                .unwrap_err();
            check_error(&case, &e);
        }
    }
    // Spring's default error body and OAuth's, inside a 200: their `error` is text, not a
    // Skyhigh Error, and still an error.
    let spring = json!({"timestamp": "2024-05-01T00:00:00.000+0000", "status": 401,
                        "error": "Unauthorized", "message": "Full authentication is required",
                        "path": MODIFY});
    let e = modify_two(&spring).await.unwrap_err();
    check_error(
        &ErrorCase::json(200, &json!({}))
            .named("Spring's default error body")
            .kind(ErrorKind::Unauthorized)
            .vendor_code("401")
            .message_contains("Full authentication is required"),
        &e,
    );
    let oauth = json!({"error": "invalid_token", "error_description": "Access token expired"});
    let e = modify_two(&oauth).await.unwrap_err();
    check_error(
        &ErrorCase::json(200, &json!({}))
            .named("OAuth's error body")
            .kind(ErrorKind::Other)
            .no_vendor_code()
            .message_contains("Access token expired"),
        &e,
    );
    // An envelope whose status says the call failed, without an Error object.
    let envelope = json!({"headers": {}, "body": {"actualLimit": 0, "error": null},
                          "statusCode": "FORBIDDEN", "statusCodeValue": 403});
    let e = modify_two(&envelope).await.unwrap_err();
    check_error(
        &ErrorCase::json(200, &json!({}))
            .named("an envelope saying 403")
            .kind(ErrorKind::Forbidden)
            .vendor_code("403")
            .message_contains("FORBIDDEN"),
        &e,
    );
}

/// Per-call options reach the wire: an extra header on a query (one page, and every page of
/// a walk) and on a modify, and a retry policy that replaces the client's.
#[tokio::test]
async fn per_call_options_reach_the_wire_on_a_query_and_a_modify() {
    use incident_core::http::{HeaderName, HeaderValue};
    let corr = || HeaderName::from_static("x-correlation-id");
    let server = MockServer::start_async().await;
    let query = server
        .mock_async(|when, then| {
            when.method("POST")
                .path(QUERY)
                .header("authorization", BASIC)
                .header("x-correlation-id", "q-1");
            json_reply(then, 503, &json!({"message": "unavailable"}));
        })
        .await;
    let modify = server
        .mock_async(|when, then| {
            when.method("POST")
                .path(MODIFY)
                .header("authorization", BASIC)
                .header("x-correlation-id", "m-1");
            json_reply(then, 503, &json!({"message": "unavailable"}));
        })
        .await;
    let c = client(&server.base_url());
    let q = || {
        let q = c
            .incidents()
            .query()
            .start_time(datetime!(2024-05-01 0:00 UTC));
        q.header(corr(), HeaderValue::from_static("q-1"))
    };
    // The client's policy makes three attempts; the call's own makes one.
    let e = q().await.unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Unavailable), "{e:?}");
    assert_eq!(query.calls_async().await, 3);
    let e = q().retry_policy(RetryPolicy::disabled()).await.unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Unavailable), "{e:?}");
    assert_eq!(query.calls_async().await, 4);
    let walk = q().retry_policy(RetryPolicy::disabled()).into_stream();
    assert!(walk.try_collect::<Vec<_>>().await.is_err());
    assert_eq!(query.calls_async().await, 5);

    let m = || {
        let m = c
            .incidents()
            .modify()
            .status("DLP-1", WorkflowStatus::Resolved);
        m.header(corr(), HeaderValue::from_static("m-1"))
    };
    assert!(m().retry_policy(RetryPolicy::disabled()).await.is_err());
    assert_eq!(modify.calls_async().await, 1);
    assert!(m().await.is_err());
    assert_eq!(modify.calls_async().await, 4);
}
