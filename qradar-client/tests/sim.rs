//! Integration tests over real HTTP (and HTTPS) against the stateful QRadar simulator.

use std::time::Duration;

use futures::TryStreamExt;
use incident_core::reqwest::Method;
use incident_core::{
    ApiPath, ApiRequest, Closure, Error, ErrorKind, IncidentQuery, IncidentSource, IncidentStatus,
    IncidentUpdate, RetryPolicy, Severity, Verdict,
};
use incident_sim::{Fault, QRadarSim};
use qradar_client::{Filter, OffenseStatus, QRadarClient, QRadarErrorCode, QRadarErrorExt};

async fn start(offenses: usize) -> (QRadarSim, QRadarClient) {
    let sim = QRadarSim::builder()
        .offenses(offenses)
        .start()
        .await
        .unwrap();
    let client = QRadarClient::builder(sim.url())
        .sec_token(sim.token())
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
        .build()
        .unwrap();
    (sim, client)
}

async fn first_open(client: &QRadarClient) -> u64 {
    let page = client
        .offenses()
        .list()
        .filter(Filter::status(OffenseStatus::Open))
        .sort("+id")
        .range(0, 0)
        .send()
        .await
        .unwrap();
    page.items[0].id.unwrap()
}

#[tokio::test]
async fn the_stream_walks_every_offense_across_pages() {
    let (sim, client) = start(237).await;
    let before = sim.requests_served();
    let ids: Vec<u64> = client
        .offenses()
        .list()
        .sort("+id")
        .fields("id,status")
        .page_size(50)
        .into_stream()
        .map_ok(|o| o.id.unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, (1..=237).collect::<Vec<_>>());
    assert_eq!(
        sim.requests_served() - before,
        5,
        "237 offenses in pages of 50"
    );

    // A filtered walk sees exactly the matching offenses.
    let open: Vec<_> = client
        .offenses()
        .list()
        .filter(Filter::status(OffenseStatus::Open))
        .page_size(40)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    let page = client
        .offenses()
        .list()
        .filter(Filter::status(OffenseStatus::Open))
        .range(0, 0)
        .send()
        .await
        .unwrap();
    assert_eq!(Some(open.len() as u64), page.total());
    assert!(open.iter().all(|o| o.status == Some(OffenseStatus::Open)));
}

#[tokio::test]
async fn a_range_past_the_end_is_empty_with_the_total() {
    let (_sim, client) = start(3).await;
    let page = client.offenses().list().range(10, 19).send().await.unwrap();
    assert!(page.items.is_empty());
    assert_eq!(
        page.content_range,
        Some(qradar_client::ContentRange::Unsatisfied { total: Some(3) })
    );
    assert_eq!(page.next_start(), None);
}

#[tokio::test]
async fn note_then_close_with_a_reason_and_read_back() {
    let (sim, client) = start(20).await;
    let id = first_open(&client).await;

    let text = "Checked with the asset owner & closed: scanner traffic (ünïcode)";
    let note = client.offenses().notes(id).create(text).await.unwrap();
    assert_eq!(note.note_text.as_deref(), Some(text));
    let fetched = client
        .offenses()
        .notes(id)
        .get(note.id.unwrap())
        .await
        .unwrap();
    assert_eq!(fetched, note);
    let notes = client.offenses().notes(id).list().send().await.unwrap();
    assert!(notes.items.contains(&note));
    assert_eq!(sim.notes(id).len(), notes.items.len());

    let closed = client.offenses().update(id).close(1).await.unwrap();
    assert_eq!(closed.status, Some(OffenseStatus::Closed));
    assert_eq!(closed.closing_reason_id, Some(1));
    assert!(closed.close_time.is_some());
    let again = client.offenses().get(id).await.unwrap();
    assert_eq!(again.status, Some(OffenseStatus::Closed));
    assert_eq!(sim.offense(id).unwrap()["status"], "CLOSED");

    // Closing twice is a state conflict, typed.
    let err = client.offenses().update(id).close(1).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    assert_eq!(err.qradar_code(), Some(QRadarErrorCode::OffenseState));
    assert_eq!(err.kind(), Some(ErrorKind::Conflict));

    // Reopen, then hide.
    let reopened = client.offenses().update(id).open().await.unwrap();
    assert_eq!(reopened.status, Some(OffenseStatus::Open));
    assert_eq!(reopened.closing_reason_id, None);
    let hidden = client
        .offenses()
        .update(id)
        .hide()
        .follow_up(true)
        .await
        .unwrap();
    assert_eq!(hidden.status, Some(OffenseStatus::Hidden));
    assert_eq!(hidden.follow_up, Some(true));
}

#[tokio::test]
async fn the_server_refuses_a_close_without_reason() {
    // The typed API cannot express it; the raw transport can, and the simulator answers as
    // QRadar documents.
    let (_sim, client) = start(5).await;
    let id = first_open(&client).await;
    let req = ApiRequest::new(
        Method::POST,
        ApiPath::new("/siem/offenses").segment(id).unwrap(),
    )
    .query("status", "CLOSED");
    let err = client.transport().execute(req).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    assert_eq!(err.qradar_code(), Some(QRadarErrorCode::InvalidParameter));
    assert!(
        err.qradar_body()
            .unwrap()
            .message
            .unwrap()
            .contains("closing_reason_id")
    );
}

#[tokio::test]
async fn missing_offenses_and_reasons_are_typed() {
    let (_sim, client) = start(5).await;
    let err = client.offenses().get(999_999).await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.qradar_code(), Some(QRadarErrorCode::NotFound));
    let id = first_open(&client).await;
    let err = client.offenses().update(id).close(4).await.unwrap_err();
    assert_eq!(
        err.qradar_code(),
        Some(QRadarErrorCode::InvalidParameter),
        "reserved reason: {err}"
    );
}

#[tokio::test]
async fn closing_reasons_and_offense_types() {
    let (_sim, client) = start(1).await;
    let visible = client.closing_reasons().list().send().await.unwrap();
    assert!(visible.items.iter().all(|r| r.is_usable()));
    let all = client
        .closing_reasons()
        .list()
        .include_reserved(true)
        .include_deleted(true)
        .send()
        .await
        .unwrap();
    assert!(all.items.len() > visible.items.len());
    let created = client
        .closing_reasons()
        .create("Duplicate of another case")
        .await
        .unwrap();
    assert_eq!(created.text.as_deref(), Some("Duplicate of another case"));
    let got = client
        .closing_reasons()
        .get(created.id.unwrap())
        .await
        .unwrap();
    assert_eq!(got, created);
    let dup = client
        .closing_reasons()
        .create("duplicate of another case")
        .await
        .unwrap_err();
    assert_eq!(dup.qradar_code(), Some(QRadarErrorCode::AlreadyExists));

    let types = client
        .offense_types()
        .list()
        .sort("+id")
        .send()
        .await
        .unwrap();
    assert!(!types.items.is_empty());
    let first = &types.items[0];
    assert_eq!(
        &client.offense_types().get(first.id.unwrap()).await.unwrap(),
        first
    );
    let actors = client.offenses().assignable_actors(1).send().await.unwrap();
    assert!(
        actors
            .items
            .iter()
            .any(|a| a.username.as_deref() == Some("admin"))
    );
}

#[tokio::test]
async fn faults_429_and_503_are_retried_through() {
    let (sim, client) = start(10).await;
    sim.inject(
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        1,
    );
    sim.inject(Fault::ServiceUnavailable, 1);
    let before = sim.requests_served();
    let page = client.offenses().list().range(0, 4).send().await.unwrap();
    assert_eq!(page.items.len(), 5);
    assert_eq!(sim.requests_served() - before, 3);
}

#[tokio::test]
async fn broken_answers_give_clear_errors() {
    let (sim, client) = start(10).await;
    let strict = QRadarClient::builder(sim.url())
        .sec_token(sim.token())
        .retry_policy(RetryPolicy::disabled())
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    sim.inject(Fault::HtmlError { status: 502 }, 1);
    let err = strict.offenses().get(1).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert!(
        err.api_error()
            .unwrap()
            .snippet
            .as_deref()
            .unwrap()
            .contains("Bad Gateway")
    );

    sim.inject(Fault::TruncatedBody, 1);
    let err = strict
        .offenses()
        .list()
        .range(0, 9)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");

    sim.inject(Fault::Delay(Duration::from_secs(3)), 1);
    let err = strict.offenses().get(1).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");

    sim.inject(Fault::InternalError, 1);
    let err = strict.offenses().get(1).await.unwrap_err();
    assert_eq!(err.qradar_code(), Some(QRadarErrorCode::Server));

    // A retrying client gets through a 500 on a read.
    sim.inject(Fault::InternalError, 1);
    assert_eq!(client.offenses().get(1).await.unwrap().id, Some(1));
}

#[tokio::test]
async fn credentials_are_checked() {
    let (sim, _) = start(1).await;
    let wrong = QRadarClient::builder(sim.url())
        .sec_token("not-the-token")
        .build()
        .unwrap();
    let err = wrong.offenses().get(1).await.unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::Unauthorized));
    assert!(!format!("{err:?}{err}").contains("not-the-token"));

    let (user, password) = sim.basic_credentials();
    let basic = QRadarClient::builder(sim.url())
        .basic_auth(user, password)
        .build()
        .unwrap();
    assert_eq!(basic.offenses().get(1).await.unwrap().id, Some(1));
}

#[tokio::test]
async fn expired_sessions_and_reset_connections() {
    let (sim, client) = start(3).await;
    assert_eq!(client.offenses().get(1).await.unwrap().id, Some(1));

    // The console revokes the token: a typed 401, not retried.
    sim.inject(Fault::ExpireSessions, 1);
    let before = sim.requests().len();
    let err = client.offenses().get(1).await.unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::Unauthorized));
    assert_eq!(sim.requests().len(), before + 1);
    let renewed = QRadarClient::builder(sim.url())
        .sec_token(sim.sessions().issue(None))
        .build()
        .unwrap();
    assert_eq!(renewed.offenses().get(2).await.unwrap().id, Some(2));

    // A reset connection is a transport error; an idempotent GET is
    // retried on a new connection.
    sim.inject(Fault::ConnectionReset, 1);
    let before = sim.requests().len();
    assert_eq!(renewed.offenses().get(3).await.unwrap().id, Some(3));
    assert_eq!(sim.requests().len(), before + 2);
    let strict = QRadarClient::builder(sim.url())
        .sec_token(sim.sessions().issue(None))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    sim.inject(Fault::ConnectionReset, 1);
    let err = strict.offenses().get(3).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn tls_needs_the_console_certificate() {
    let sim = QRadarSim::builder()
        .offenses(2)
        .https(true)
        .start()
        .await
        .unwrap();
    assert!(sim.url().starts_with("https://"));
    let pem = sim.ca_cert_pem().unwrap().to_owned();

    let untrusting = QRadarClient::builder(sim.url())
        .sec_token(sim.token())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = untrusting.offenses().get(1).await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    let chain = format!("{err:?}").to_lowercase();
    assert!(
        chain.contains("certificate") || chain.contains("unknownissuer"),
        "{chain}"
    );

    let trusting = QRadarClient::builder(sim.url())
        .sec_token(sim.token())
        .add_root_certificate_pem(pem.as_bytes())
        .build()
        .unwrap();
    assert_eq!(trusting.offenses().get(1).await.unwrap().id, Some(1));

    let reckless = QRadarClient::builder(sim.url())
        .sec_token(sim.token())
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    assert_eq!(reckless.offenses().get(2).await.unwrap().id, Some(2));
}

#[tokio::test]
async fn the_normalized_interface_lists_and_closes() {
    let (sim, client) = start(60).await;
    let source: Box<dyn IncidentSource> = Box::new(client.clone());

    let new: Vec<_> = source
        .stream_incidents(
            IncidentQuery::new()
                .status(IncidentStatus::New)
                .page_size(7),
        )
        .try_collect()
        .await
        .unwrap();
    assert!(!new.is_empty());
    assert!(
        new.iter()
            .all(|i| i.status == IncidentStatus::New && i.assignee.is_none())
    );
    let ids: Vec<u64> = new.iter().map(|i| i.id.parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending, no repeats");

    let limited: Vec<_> = source
        .stream_incidents(IncidentQuery::new().limit(11).page_size(5))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(limited.len(), 11);

    let target = &new[0];
    let offense = target.record::<qradar_client::Offense>().unwrap();
    assert_eq!(offense.id.map(|i| i.to_string()), Some(target.id.clone()));

    let update = IncidentUpdate::new()
        .close(Closure::verdict(Verdict::FalsePositive))
        .note("Tuned the rule.");
    let closed = source.update_incident(&target.id, &update).await.unwrap();
    assert_eq!(closed.status, IncidentStatus::Closed);
    assert_eq!(closed.verdict, Some(Verdict::FalsePositive));
    assert_eq!(
        closed.close_reason.as_deref(),
        Some("False-Positive, Tuned")
    );
    let id: u64 = target.id.parse().unwrap();
    assert!(
        sim.notes(id)
            .iter()
            .any(|n| n["note_text"] == "Tuned the rule.")
    );

    let err = source
        .update_incident(&target.id, &IncidentUpdate::new().severity(Severity::High))
        .await
        .unwrap_err();
    assert!(err.is_unsupported());
    let err = source
        .update_incident(
            &target.id,
            &IncidentUpdate::new().close(Closure::reason("No such reason")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");

    let reopened = source
        .update_incident(
            &target.id,
            &IncidentUpdate::new()
                .status(IncidentStatus::InProgress)
                .assign("analyst1"),
        )
        .await
        .unwrap();
    assert_eq!(reopened.status, IncidentStatus::InProgress);
    assert_eq!(reopened.assignee.as_deref(), Some("analyst1"));
    let got = source.get_incident(&target.id).await.unwrap();
    assert_eq!(got.status, IncidentStatus::InProgress);
}
