//! The ESET client against the ESET simulator over real HTTP: walking every incident,
//! updating, closing with a comment, reopening, a token refresh and a 202 in the middle of
//! a walk, a 504 while polling, a 401, the rate limit, HTTPS with the simulator's
//! certificate, and no secret in logs or errors.

use std::time::Duration;

use eset_connect_client::{
    EsetClient, EsetClientBuilder, EsetErrorExt, Filter, IncidentSeverity, IncidentStatus,
    ResolveReason,
};
use futures::{StreamExt, TryStreamExt};
use incident_core::{ErrorKind, RetryPolicy};
use incident_sim::{EsetSim, Fault};
use incident_testkit::LeakCheck;

fn builder(sim: &EsetSim) -> EsetClientBuilder {
    let (user, password) = sim.credentials();
    EsetClient::builder_with_urls(sim.url(), sim.iam_url())
        .credentials(user, password)
        .poll_interval(Duration::from_millis(5))
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(5)))
}

fn client(sim: &EsetSim) -> EsetClient {
    builder(sim).no_rate_limit().build().unwrap()
}

async fn unlimited() -> EsetSim {
    EsetSim::builder().rate_limit(None).start().await.unwrap()
}

#[tokio::test]
async fn walks_every_incident_page_by_page() {
    let sim = unlimited().await;
    let client = client(&sim);
    let pages: Vec<_> = client
        .incidents()
        .list()
        .order_by("create_time")
        .page_size(7)
        .paginator()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 60_usize.div_ceil(7));
    assert!(pages.iter().all(|p| p.items.len() <= 7));
    let uuids: Vec<String> = pages
        .iter()
        .flat_map(|p| p.items.iter().map(|i| i.uuid.clone().unwrap()))
        .collect();
    assert_eq!(uuids, sim.incident_uuids(), "every incident, oldest first");
    // Lists leave out device and detection uuids; get has them.
    let first = &pages[0].items[0];
    assert!(first.device_uuids.is_none());
    let full = client.incidents().get(&uuids[0]).await.unwrap();
    assert!(full.device_uuids.is_some_and(|d| !d.is_empty()));
    // One token for all of it.
    assert_eq!(sim.token_grants(), (1, 0));

    // A typed filter: the server keeps only what matches.
    let open: Vec<_> = client
        .incidents()
        .list()
        .filter(
            Filter::status(IncidentStatus::Open).and(Filter::severity_in([
                IncidentSeverity::High,
                IncidentSeverity::Medium,
            ])),
        )
        .page_size(5)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert!(!open.is_empty());
    assert!(open.iter().all(
        |i| i.status == Some(IncidentStatus::Open) && i.severity != Some(IncidentSeverity::Low)
    ));
}

#[tokio::test]
async fn update_close_with_a_comment_and_reopen() {
    let sim = unlimited().await;
    let client = client(&sim);
    let uuid = sim.open_unassigned().unwrap();
    let before = sim.incident(&uuid).unwrap();
    let updated = client
        .incidents()
        .update(&uuid)
        .severity(IncidentSeverity::High)
        .description("Confirmed on a second host.")
        .await
        .unwrap();
    assert_eq!(updated.severity, Some(IncidentSeverity::High));
    let now = sim.incident(&uuid).unwrap();
    assert_eq!(now["severity"], "INCIDENT_SEVERITY_LEVEL_HIGH");
    assert_eq!(now["description"], "Confirmed on a second host.");
    assert_eq!(now["displayName"], before["displayName"], "not in the mask");
    let sent = sim.last_request().unwrap();
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["updateMask"], "description,severity");

    let user = sim.users()[1].clone();
    client
        .incidents()
        .update(&uuid)
        .assignee(&user)
        .await
        .unwrap();
    let closed = client
        .incidents()
        .close(&uuid, ResolveReason::FalsePositive)
        .final_comment("Admin script, confirmed with the owner.")
        .await
        .unwrap()
        .unwrap();
    assert!(closed.is_closed());
    assert_eq!(closed.resolve_reason, Some(ResolveReason::FalsePositive));
    let comments: Vec<_> = client
        .incidents()
        .comments(&uuid)
        .list()
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].is_final_comment, Some(true));

    // Closed and assigned: the assignee cannot be removed; a second close is refused.
    let e = client
        .incidents()
        .update(&uuid)
        .unassign()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Conflict));
    assert!(e.request_id().is_some(), "{e}");
    let e = client
        .incidents()
        .close(&uuid, ResolveReason::TruePositive)
        .await
        .unwrap_err();
    assert_eq!(
        e.grpc_code(),
        Some(eset_connect_client::GrpcCode::FailedPrecondition)
    );

    let reopened = client.incidents().reopen(&uuid).await.unwrap().unwrap();
    assert_eq!(reopened.status, Some(IncidentStatus::Open));
    assert_eq!(reopened.resolve_reason, None);
    client
        .incidents()
        .comments(&uuid)
        .create("Reopened: seen again.")
        .await
        .unwrap();
    assert_eq!(sim.comments(&uuid).len(), 2);
    let e = client
        .incidents()
        .get("no-such-incident")
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
}

#[tokio::test]
async fn a_token_refresh_in_the_middle_of_a_walk() {
    let sim = EsetSim::builder()
        .rate_limit(None)
        .token_lifetime(Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let client = client(&sim);
    let mut stream = client.incidents().list().page_size(20).into_stream();
    let mut seen = 0;
    while let Some(item) = stream.next().await {
        item.unwrap();
        seen += 1;
        if seen == 20 {
            // The token (2 s) is renewed a fifth of its life early: after 1.6 s.
            tokio::time::sleep(Duration::from_millis(1700)).await;
        }
    }
    assert_eq!(seen, 60);
    assert_eq!(sim.token_grants(), (1, 1), "renewed by the refresh grant");

    // A refused refresh (the refresh tokens revoked) falls back to the password grant.
    sim.revoke_refresh_tokens();
    tokio::time::sleep(Duration::from_millis(1700)).await;
    client.incidents().list().page_size(1).send().await.unwrap();
    assert_eq!(sim.token_grants(), (2, 1));

    // A token the server stops accepting: a new one and one replay.
    sim.sessions().expire_all();
    client.incidents().list().page_size(1).send().await.unwrap();
    assert_eq!(sim.token_grants(), (2, 2));
}

#[tokio::test]
async fn a_202_in_the_middle_of_a_walk_is_polled_and_a_504_repeats_the_query() {
    let sim = unlimited().await;
    let client = client(&sim);
    let mut stream = client.incidents().list().page_size(25).into_stream();
    let mut seen = Vec::new();
    while let Some(item) = stream.next().await {
        seen.push(item.unwrap().uuid.unwrap());
        if seen.len() == 25 {
            sim.clear_requests();
            sim.inject_on("/v2/incidents", Fault::Pending { polls: 3 }, 1);
        }
    }
    assert_eq!(seen, {
        let mut all = sim.incident_uuids();
        all.reverse(); // the default order is newest first
        all
    });
    let second_page: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v2/incidents")
        .collect();
    let ids: Vec<Option<String>> = second_page
        .iter()
        .map(|r| r.header("response-id").map(str::to_owned))
        .collect();
    assert_eq!(
        ids.len(),
        5,
        "a 202, two more 202s, the answer, the last page"
    );
    assert!(ids[0].is_none());
    assert!(ids[1].is_some() && ids[1] == ids[2] && ids[2] == ids[3]);
    assert!(
        ids[4].is_none(),
        "the next page carries no stale response-id"
    );
    assert!(
        second_page[..4]
            .iter()
            .all(|r| r.query == second_page[0].query),
        "the identical request"
    );

    // The cached answer times out (504) while polled: the whole query again, without the
    // response-id.
    sim.clear_requests();
    sim.inject_on("/v2/incidents", Fault::Pending { polls: 1 }, 1);
    sim.inject_on("/v2/incidents", Fault::HtmlError { status: 504 }, 1);
    let page = client.incidents().list().page_size(3).send().await.unwrap();
    assert_eq!(page.incidents.len(), 3);
    let ids: Vec<bool> = sim
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/incidents")
        .map(|r| r.header("response-id").is_some())
        .collect();
    assert_eq!(ids, [false, true, false]);

    // A POST that is not idempotent is not repeated after a 504: the close may have been
    // made.
    let uuid = sim.open_unassigned().unwrap();
    sim.inject_on("/v2/incidents", Fault::HtmlError { status: 504 }, 1);
    let e = client
        .incidents()
        .close(&uuid, ResolveReason::Suspicious)
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(504));
    assert_eq!(e.attempts(), 1);
}

#[tokio::test]
async fn the_rate_limit_holds_and_a_429_is_backed_off() {
    let sim = EsetSim::builder().start().await.unwrap();
    // The client's own limit (10 per second) keeps the walk under the server's.
    let paced = builder(&sim).build().unwrap();
    let started = std::time::Instant::now();
    let n = paced
        .incidents()
        .list()
        .page_size(3)
        .into_stream()
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap();
    assert_eq!(n, 60);
    // 20 pages and a token: beyond the burst of 9, ten a second.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sim.rate_limited(), 0);

    // Without it, the server's 429s are waited out (Retry-After: 1) and the walk ends.
    let before = sim.rate_limited();
    let unpaced = client(&sim);
    let n = unpaced
        .incidents()
        .list()
        .page_size(3)
        .into_stream()
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap();
    assert_eq!(n, 60);
    assert!(sim.rate_limited() > before, "the server refused some");
}

#[tokio::test]
async fn https_with_the_simulators_certificate() {
    let sim = EsetSim::builder()
        .rate_limit(None)
        .https(true)
        .start()
        .await
        .unwrap();
    assert!(sim.url().starts_with("https://"));
    let client = builder(&sim)
        .add_root_certificate_pem(sim.ca_cert_pem().unwrap().as_bytes())
        .build()
        .unwrap();
    let page = client.incidents().list().page_size(2).send().await.unwrap();
    assert_eq!(page.incidents.len(), 2);
    // Without it, the certificate is refused before any request.
    let e = builder(&sim)
        .build()
        .unwrap()
        .incidents()
        .list()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, incident_core::Error::Tls { .. }), "{e:?}");
}

#[tokio::test]
async fn no_password_or_token_in_logs_errors_or_debug() {
    let sim = unlimited().await;
    let (user, password) = sim.credentials();
    let client = client(&sim);
    client.incidents().list().page_size(1).send().await.unwrap();
    let token = sim
        .last_request()
        .unwrap()
        .header("authorization")
        .unwrap()
        .trim_start_matches("Bearer ")
        .to_owned();
    let check = LeakCheck::new([password.to_owned(), token]);
    let leaks = check
        .run(&client, async {
            // A walk, a refusal, a renewal after a 401.
            client.incidents().list().page_size(10).send().await?;
            let e = client.incidents().get("nope").await.unwrap_err();
            assert!(e.is_not_found());
            sim.sessions().expire_all();
            client.incidents().list().page_size(1).send().await
        })
        .await;
    leaks.result.unwrap();
    assert!(leaks.lines.iter().any(|l| l.contains("/oauth/token")));

    let wrong = EsetClient::builder_with_urls(sim.url(), sim.iam_url())
        .credentials(user, "wrong-password-42")
        .build()
        .unwrap();
    let leaks = LeakCheck::new(["wrong-password-42"])
        .run(&wrong, wrong.incidents().list().send())
        .await;
    let e = leaks.result.unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Unauthorized));
    assert_eq!(e.oauth_error().as_deref(), Some("invalid_grant"));
}

#[tokio::test]
async fn one_comment_is_read_edited_and_deleted_against_the_simulator() {
    let sim = unlimited().await;
    let client = client(&sim);
    let uuid = sim.incident_uuids()[3].clone();
    let comments = client.incidents().comments(&uuid);
    let created = comments
        .create("Isolated the host.")
        .await
        .unwrap()
        .unwrap();
    let id = created.uuid.clone().unwrap();
    let read = comments.get(&id).await.unwrap();
    assert_eq!(read, created);

    let edited = comments
        .edit_text(&id, "Isolated the host; reimaging.")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        edited.text.as_deref(),
        Some("Isolated the host; reimaging.")
    );
    assert_eq!(edited.create_time, created.create_time);
    assert!(edited.update_time >= created.update_time);
    assert_eq!(
        sim.comments(&uuid)[0]["text"],
        "Isolated the host; reimaging."
    );
    let listed: Vec<_> = comments.list().into_stream().try_collect().await.unwrap();
    assert_eq!(listed, vec![edited]);

    comments.delete(&id).await.unwrap();
    assert!(sim.comments(&uuid).is_empty());
    for e in [
        comments.get(&id).await.unwrap_err(),
        comments.delete(&id).await.unwrap_err(),
        comments.edit_text(&id, "x").await.unwrap_err(),
        client
            .incidents()
            .comments("no-such-incident")
            .get(&id)
            .await
            .unwrap_err(),
    ] {
        assert!(e.is_not_found(), "{e:?}");
        assert_eq!(e.kind(), Some(ErrorKind::NotFound));
        assert!(e.request_id().is_some());
    }
}

#[tokio::test]
async fn a_pending_answer_that_expired_is_asked_for_again() {
    // The answer is kept 50 ms; the client polls every 150 ms: its poll meets ESET's 404
    // for a cleared cache, and the whole query goes again without the response-id.
    let sim = EsetSim::builder()
        .rate_limit(None)
        .pending_ttl(Duration::from_millis(50))
        .start()
        .await
        .unwrap();
    let client = builder(&sim)
        .poll_interval(Duration::from_millis(150))
        .no_rate_limit()
        .build()
        .unwrap();
    sim.inject_on("/v2/incidents", Fault::Pending { polls: 2 }, 1);
    let page = client.incidents().list().page_size(4).send().await.unwrap();
    assert_eq!(page.incidents.len(), 4);
    let polls: Vec<bool> = sim
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/incidents")
        .map(|r| r.header("response-id").is_some())
        .collect();
    assert_eq!(polls, [false, true, false]);
}
