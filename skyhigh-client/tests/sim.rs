//! Integration tests over real HTTP (and HTTPS) against the stateful Skyhigh simulator.

use std::collections::HashSet;
use std::time::Duration;

use futures::TryStreamExt;
use incident_core::{Error, ErrorKind, RetryPolicy};
use incident_sim::skyhigh::{FIRST_INCIDENT_TIME, PageBoundary, ResponseShape};
use incident_sim::{Fault, SkyhighSim};
use skyhigh_client::{
    Incident, IncidentCategory, IncidentStatus, Product, QueryCursor, SkyhighClient,
    SkyhighErrorCode, SkyhighErrorExt, TimesSelection, TokenHeader, WorkflowStatus, parse_time,
};
use time::OffsetDateTime;

fn fast() -> RetryPolicy {
    RetryPolicy::default().initial_backoff(Duration::from_millis(5))
}

async fn start(n: usize) -> (SkyhighSim, SkyhighClient) {
    let sim = SkyhighSim::builder().incidents(n).start().await.unwrap();
    let (user, password) = sim.credentials();
    let client = SkyhighClient::builder(sim.url())
        .basic_auth(user, password.to_owned())
        .retry_policy(fast())
        .build()
        .unwrap();
    (sim, client)
}

fn since() -> OffsetDateTime {
    parse_time(FIRST_INCIDENT_TIME).unwrap()
}

fn ids(incidents: &[Incident]) -> Vec<String> {
    incidents
        .iter()
        .map(|i| i.incident_id.as_ref().unwrap().to_string())
        .collect()
}

/// How many incidents the documented first page of `limit` holds: `limit`, and the ones
/// after it that share the timestamp of the last of them.
fn first_page_len(sim: &SkyhighSim, limit: usize) -> usize {
    let times: Vec<String> = sim
        .incidents()
        .iter()
        .map(|i| i["timeModified"].as_str().unwrap().to_owned())
        .collect();
    let boundary = &times[limit - 1];
    limit + times[limit..].iter().take_while(|t| *t == boundary).count()
}

fn sim_ids(sim: &SkyhighSim) -> Vec<String> {
    sim.incidents()
        .iter()
        .map(|i| i["incidentId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_stream_walks_every_incident_once_across_shared_timestamps() {
    let (sim, client) = start(237).await;
    // The data really has boundaries inside groups sharing one timeModified.
    let times: Vec<String> = sim
        .incidents()
        .iter()
        .map(|i| i["timeModified"].as_str().unwrap().to_owned())
        .collect();
    assert!(times.windows(2).filter(|w| w[0] == w[1]).count() > 40);
    // The documented walk (ties kept in the page, null at the end) and the one some tenants
    // answer (the boundary repeated on the next page): the stream handles both.
    for boundary in [PageBoundary::IncludeTies, PageBoundary::RepeatBoundary] {
        sim.set_page_boundary(boundary);
        for limit in [5, 7, 10, 25, 500] {
            let before = sim.requests_served();
            let all: Vec<Incident> = client
                .incidents()
                .query()
                .start_time(since())
                .limit(limit)
                .into_stream()
                .try_collect()
                .await
                .unwrap();
            assert_eq!(
                ids(&all),
                sim_ids(&sim),
                "{boundary:?}, limit {limit}: none missed, none twice"
            );
            let unique: HashSet<_> = ids(&all).into_iter().collect();
            assert_eq!(unique.len(), 237);
            // At most four incidents share an instant: a page holds `limit + 3` at most.
            let requests = sim.requests_served() - before;
            assert!(
                requests >= 237 / u64::from(limit + 3),
                "{boundary:?}, limit {limit}: {requests} requests"
            );
        }
    }
    // A limit smaller than a group sharing one instant cannot page through it when the
    // boundary repeats: refused, not looped on or cut short.
    let e = client
        .incidents()
        .query()
        .start_time(since())
        .limit(1)
        .into_stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Protocol { .. }), "{e:?}");
    // As documented, the group comes whole in one page: even a limit of 1 walks everything.
    sim.set_page_boundary(PageBoundary::IncludeTies);
    let all: Vec<Incident> = client
        .incidents()
        .query()
        .start_time(since())
        .limit(1)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), sim_ids(&sim));
    // Every request fed back the previous nextStartTime as startTime.
    let bodies: Vec<serde_json::Value> = sim
        .requests()
        .iter()
        .rev()
        .take(3)
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert!(bodies.iter().all(|b| b["startTime"].is_string()));
}

#[tokio::test]
async fn one_page_has_its_cursor_and_the_next_starts_there() {
    let (sim, client) = start(30).await;
    let first = || {
        client
            .incidents()
            .query()
            .start_time(since())
            .limit(10)
            .send()
    };
    // As documented: the ties of the last time within the limit are in the page, and the
    // next start is the time of the first incident left out.
    let page = first().await.unwrap();
    let len = first_page_len(&sim, 10);
    assert_eq!(page.incidents.len(), len);
    assert!(
        page.envelope.is_some(),
        "the simulator wraps answers by default"
    );
    let Some(QueryCursor::StartTime(next)) = &page.next else {
        panic!("{:?}", page.next)
    };
    let after = &sim.incidents()[len];
    assert_eq!(next.as_str(), after["timeModified"].as_str().unwrap());
    assert!(parse_time(next) > page.incidents[len - 1].time_modified);
    // A page that ends the window: a null cursor.
    let rest = client
        .incidents()
        .query()
        .start_time_raw(next.clone())
        .limit(500)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.incidents.len(), 30 - len);
    assert_eq!(rest.next, None);
    // As some tenants answer: the page stops at the limit and the next start is its last
    // time, inclusive.
    sim.set_page_boundary(PageBoundary::RepeatBoundary);
    let page = first().await.unwrap();
    assert_eq!(page.incidents.len(), 10);
    let last = page.incidents[9].time_modified.unwrap();
    let Some(QueryCursor::StartTime(next)) = &page.next else {
        panic!("{:?}", page.next)
    };
    assert_eq!(parse_time(next), Some(last));
    let req = sim.last_request().unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/shnapi/rest/external/api/v1/queryIncidents");
    assert_eq!(req.query.as_deref(), Some("limit=10"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"startTime": "2024-05-01T00:00:00.000Z"})
    );
}

#[tokio::test]
async fn both_answer_shapes_and_no_data() {
    let (sim, client) = start(20).await;
    let wrapped: Vec<Incident> = client
        .incidents()
        .query()
        .start_time(since())
        .limit(6)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    sim.set_response_shape(ResponseShape::Bare);
    let page = client
        .incidents()
        .query()
        .start_time(since())
        .limit(6)
        .send()
        .await
        .unwrap();
    assert!(page.envelope.is_none());
    let bare: Vec<Incident> = client
        .incidents()
        .query()
        .start_time(since())
        .limit(6)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(wrapped, bare);
    assert_eq!(bare.len(), 20);
    // Nothing in the window: the service's 404, an empty page, in both shapes.
    for shape in [ResponseShape::Bare, ResponseShape::Envelope] {
        sim.set_response_shape(shape);
        let empty = client
            .incidents()
            .query()
            .start_time(since() - time::Duration::days(30))
            .end_time(since() - time::Duration::days(29))
            .send()
            .await
            .unwrap();
        assert!(empty.no_data && empty.incidents.is_empty() && empty.next.is_none());
    }
    // Without a startTime the service starts at "now": nothing.
    let none: Vec<Incident> = client
        .incidents()
        .query()
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn filters_on_actors_services_groups_product_fields_and_created_time() {
    let (sim, client) = start(150).await;
    let all = sim.incidents();
    let actor = all[0]["actorId"].as_str().unwrap().to_owned();
    let got: Vec<Incident> = client
        .incidents()
        .query()
        .start_time(since())
        .actor_ids([actor.clone()])
        .limit(20)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    let want = all
        .iter()
        .filter(|i| i["actorId"] == actor.as_str())
        .count();
    assert_eq!(got.len(), want);
    assert!(
        got.iter()
            .all(|i| i.actor_id.as_deref() == Some(actor.as_str()))
    );

    let dlp: Vec<Incident> = client
        .incidents()
        .query()
        .start_time(since())
        .category(IncidentCategory::new("Alert", "Policy"))
        .field("policyName", ["PII", "Encrypted files"])
        .product(Product::Sanctioned)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert!(!dlp.is_empty());
    for i in &dlp {
        let p = i.policy().unwrap();
        assert!(matches!(
            p.policy_name.as_deref(),
            Some("PII" | "Encrypted files")
        ));
        assert!(
            i.incident_group
                .as_deref()
                .unwrap()
                .starts_with("Alert.Policy.")
        );
    }
    let shadow: Vec<Incident> = client
        .incidents()
        .query()
        .start_time(since())
        .product(Product::Shadow)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert!(!shadow.is_empty());
    assert!(
        shadow
            .iter()
            .all(|i| i.incident_id.as_ref().unwrap().prefix() == Some("SHW"))
    );

    // By creation time: ascending timeCreated, every incident once.
    let created: Vec<Incident> = client
        .incidents()
        .query()
        .start_time(since() - time::Duration::hours(2))
        .times_selection(TimesSelection::CreatedAt)
        .limit(9)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(created.len(), 150);
    assert!(
        created
            .windows(2)
            .all(|w| w[0].time_created <= w[1].time_created)
    );
}

#[tokio::test]
async fn modify_persists_and_reads_back_with_outcomes() {
    let (sim, client) = start(40).await;
    let first = sim.incidents()[0]["incidentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = sim.incidents()[1]["incidentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let outcome = client
        .incidents()
        .modify()
        .status(&first, WorkflowStatus::Resolved)
        .status(&second, WorkflowStatus::FalsePositive)
        .send()
        .await
        .unwrap();
    assert!(outcome.all_applied(), "{outcome:?}");
    assert_eq!(sim.incident(&first).unwrap()["status"], "resolved");
    assert_eq!(sim.incident(&second).unwrap()["status"], "false positive");
    let req = sim.last_request().unwrap();
    assert_eq!(req.path, "/shnapi/rest/external/api/v1/modifyIncidents");
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!([
            {"incidentId": first, "changeRequests": {"WORKFLOW_STATUS": "resolved"}},
            {"incidentId": second, "changeRequests": {"WORKFLOW_STATUS": "false positive"}}
        ])
    );
    // Modified incidents moved to the end of the time order, and a walk still sees each once.
    let all: Vec<Incident> = client
        .incidents()
        .query()
        .start_time(since())
        .limit(7)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 40);
    let tail = ids(&all[38..]);
    assert!(tail.contains(&first) && tail.contains(&second), "{tail:?}");
    let resolved = all
        .iter()
        .find(|i| i.incident_id.as_ref().unwrap().as_str() == first)
        .unwrap();
    assert_eq!(resolved.status, Some(IncidentStatus::Resolved));

    // A batch with one unknown incident: that one refused, the other applied.
    let partial = client
        .incidents()
        .modify()
        .status(&first, WorkflowStatus::Opened)
        .status("DLP-999999", WorkflowStatus::Opened)
        .send()
        .await
        .unwrap();
    assert!(!partial.all_applied());
    let refused: Vec<_> = partial
        .refused()
        .map(|(id, e)| (id.to_string(), e.code))
        .collect();
    assert_eq!(refused, [("DLP-999999".to_string(), Some(404))]);
    assert_eq!(sim.incident(&first).unwrap()["status"], "opened");
    // Only unknown incidents: the whole call fails, typed.
    let e = client
        .incidents()
        .modify()
        .status("DLP-999999", WorkflowStatus::Opened)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(200));
    assert_eq!(e.skyhigh_code(), Some(SkyhighErrorCode::NoData));
    assert!(e.is_not_found());
    // An unknown status value sent verbatim is refused by the service.
    let e = client
        .incidents()
        .modify()
        .status(&first, WorkflowStatus::from("PENDING"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::InvalidRequest));
    // Bad ids never leave the client.
    let before = sim.requests_served();
    let e = client
        .incidents()
        .modify()
        .status("DLP 1\r\n", WorkflowStatus::Resolved)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }));
    assert_eq!(sim.requests_served(), before);
}

#[tokio::test]
async fn information_keys_and_groups() {
    let (_sim, client) = start(30).await;
    let keys = client.incidents().information_keys().await.unwrap();
    let types: Vec<_> = keys
        .iter()
        .filter_map(|k| k.incident_type.as_deref())
        .collect();
    assert!(
        types.contains(&"PolicyViolation") && types.contains(&"Threat"),
        "{types:?}"
    );
    let policy = keys
        .iter()
        .find(|k| k.incident_type.as_deref() == Some("PolicyViolation"))
        .unwrap();
    assert!(
        policy
            .information_keys
            .as_ref()
            .unwrap()
            .get_str("policyName")
            .is_some()
    );
    let groups = client.incidents().groups().await.unwrap();
    assert!(groups.contains(&"Alert.Policy.Dlp".to_string()));
    assert!(groups.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn access_tokens_in_both_headers_renewed_after_expiry() {
    let sim = SkyhighSim::builder()
        .incidents(12)
        .tenant_id("4711")
        .start()
        .await
        .unwrap();
    let (user, password) = sim.credentials();
    for header in [TokenHeader::XAccessToken, TokenHeader::Bearer] {
        let client = SkyhighClient::builder(sim.url())
            .access_token_auth(user, password.to_owned())
            .bps_tenant_id("4711")
            .token_header(header)
            .retry_policy(fast())
            .build()
            .unwrap();
        sim.clear_requests();
        let page = client
            .incidents()
            .query()
            .start_time(since())
            .limit(5)
            .send()
            .await
            .unwrap();
        assert_eq!(page.incidents.len(), first_page_len(&sim, 5));
        let log = sim.requests();
        let paths: Vec<_> = log.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/shnapi/rest/external/api/v1/token",
                "/neo/neo-auth-service/oauth/token",
                "/shnapi/rest/external/api/v1/queryIncidents"
            ]
        );
        assert_eq!(
            log[0].query.as_deref(),
            Some("grant_type=password&token_type=iam")
        );
        assert!(
            log[0]
                .header("authorization")
                .unwrap()
                .starts_with("Basic ")
        );
        assert_eq!(log[0].header("bps-tenant-id"), Some("4711"));
        assert_eq!(log[1].query.as_deref(), Some("grant_type=iam_token"));
        assert!(log[1].header("x-iam-token").is_some());
        match header {
            TokenHeader::XAccessToken => {
                assert!(log[2].header("x-access-token").is_some());
                assert!(log[2].header("authorization").is_none());
            }
            _ => {
                assert!(
                    log[2]
                        .header("authorization")
                        .unwrap()
                        .starts_with("Bearer ")
                );
                assert!(log[2].header("x-access-token").is_none());
            }
        }
        // A revoked token: one new logon, the call replayed.
        sim.inject(Fault::ExpireSessions, 1);
        client.incidents().groups().await.unwrap();
        let paths: Vec<_> = sim
            .requests()
            .iter()
            .skip(3)
            .map(|r| r.path.clone())
            .collect();
        assert_eq!(
            paths,
            [
                "/shnapi/rest/external/api/v1/queryIncidentGroups",
                "/shnapi/rest/external/api/v1/token",
                "/neo/neo-auth-service/oauth/token",
                "/shnapi/rest/external/api/v1/queryIncidentGroups"
            ]
        );
    }
    // The neo-auth password grant.
    let client = SkyhighClient::builder(sim.url())
        .neo_password_auth(user, password.to_owned())
        .build()
        .unwrap();
    sim.clear_requests();
    client.incidents().groups().await.unwrap();
    let log = sim.requests();
    assert_eq!(log[0].query.as_deref(), Some("grant_type=password"));
    assert_eq!(log[0].header("x-auth-username"), Some(user));
    // A wrong tenant and a wrong password are typed 403 / 401.
    let wrong = SkyhighClient::builder(sim.url())
        .access_token_auth(user, password.to_owned())
        .bps_tenant_id("1")
        .build()
        .unwrap();
    let e = wrong.incidents().groups().await.unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Forbidden), "{e}");
    let wrong = SkyhighClient::builder(sim.url())
        .basic_auth(user, "nope")
        .build()
        .unwrap();
    let e = wrong.incidents().groups().await.unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Unauthorized));
    assert!(e.to_string().contains("401"), "{e}");
}

#[tokio::test]
async fn faults_error_inside_200_and_broken_answers() {
    let (sim, client) = start(20).await;
    sim.inject(
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        1,
    );
    sim.inject(Fault::ServiceUnavailable, 1);
    let page = client
        .incidents()
        .query()
        .start_time(since())
        .limit(5)
        .send()
        .await
        .unwrap();
    assert_eq!(page.incidents.len(), first_page_len(&sim, 5));

    let body = serde_json::json!({"headers": {}, "body": {"responseInfo": {"actualLimit": 0, "error": {"code": 429, "message": "Exceeding rate-limiting thresholds"}}, "incidents": []}, "statusCode": "OK", "statusCodeValue": 200});
    sim.inject(
        Fault::ErrorInside200 {
            body: body.to_string(),
        },
        1,
    );
    let e = client
        .incidents()
        .query()
        .start_time(since())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(200));
    assert_eq!(e.skyhigh_code(), Some(SkyhighErrorCode::RateLimited));
    assert_eq!(
        e.vendor_message(),
        Some("Exceeding rate-limiting thresholds")
    );
    assert_eq!(e.attempts(), 1, "an error inside a 200 is not retried");

    sim.inject(Fault::HtmlError { status: 502 }, 4);
    let e = client.incidents().groups().await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(502));
    assert!(e.api_error().unwrap().snippet.is_some());

    sim.inject(Fault::TruncatedBody, 1);
    let e = client
        .incidents()
        .query()
        .start_time(since())
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Decode(_)), "{e:?}");

    sim.inject(Fault::ConnectionReset, 1);
    // A query is safe to repeat: retried through the reset.
    assert!(
        client
            .incidents()
            .query()
            .start_time(since())
            .limit(3)
            .send()
            .await
            .is_ok()
    );

    // The service's own 400, with the field at fault.
    let e = client
        .incidents()
        .query()
        .start_time_raw("2024-02-30T00:00:00Z")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidInput { .. }),
        "refused before sending: {e:?}"
    );
}

#[tokio::test]
async fn tls_needs_the_simulators_certificate() {
    let sim = SkyhighSim::builder()
        .incidents(5)
        .https(true)
        .start()
        .await
        .unwrap();
    let (user, password) = sim.credentials();
    let untrusted = SkyhighClient::builder(sim.url())
        .basic_auth(user, password.to_owned())
        .build()
        .unwrap();
    let e = untrusted.incidents().groups().await.unwrap_err();
    assert!(matches!(e, Error::Tls { .. }), "{e:?}");
    let trusted = SkyhighClient::builder(sim.url())
        .basic_auth(user, password.to_owned())
        .add_root_certificate_pem(sim.ca_cert_pem().unwrap().as_bytes())
        .build()
        .unwrap();
    assert!(!trusted.incidents().groups().await.unwrap().is_empty());
}
