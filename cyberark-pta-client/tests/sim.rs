//! Integration tests over real HTTP (and HTTPS) against the stateful PTA simulator: session
//! expiry in the middle of a run, logoff, close and reopen, filters, risk events, faults.

use std::time::Duration;

use cyberark_pta_client::{
    AuthType, CloseReason, DateUnit, EventFilterMode, EventStatus, PtaClient, PtaErrorCode,
    PtaErrorExt, RiskType,
};
use futures::TryStreamExt;
use incident_core::{ErrorKind, RetryPolicy};
use incident_sim::{Fault, PtaSim};

async fn start() -> (PtaSim, PtaClient) {
    let sim = PtaSim::builder()
        .events(60)
        .risk_events(45)
        .start()
        .await
        .unwrap();
    let client = client(&sim).build().unwrap();
    (sim, client)
}

fn client(sim: &PtaSim) -> cyberark_pta_client::PtaClientBuilder {
    PtaClient::builder(sim.url())
        .credentials(sim.username(), sim.password())
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
}

#[tokio::test]
async fn list_close_reopen_and_read_back() {
    let (sim, client) = start().await;
    let open = client
        .events()
        .list()
        .status(EventStatus::Open)
        .await
        .unwrap();
    let want = sim
        .events()
        .iter()
        .filter(|e| e["mStatus"] == "OPEN")
        .count();
    assert_eq!(open.len(), want);
    assert!(open.iter().all(|e| e.is_open()));
    let id = open[0].id.clone().unwrap();

    let closed = client.events().close(&id).await.unwrap();
    assert_eq!(closed.status, Some(EventStatus::Closed));
    assert!(closed.last_update_time > open[0].last_update_time);
    assert_eq!(sim.event(&id).unwrap()["mStatus"], "CLOSED");
    let again = client.events().get(&id).await.unwrap();
    assert_eq!(again, closed);
    let reopened = client.events().reopen(&id).await.unwrap();
    assert!(reopened.is_open());
    // The wire: raw token, the trailing slash of the list, upper-case status.
    let requests = sim.requests();
    let patch = requests.iter().rev().find(|r| r.method == "PATCH").unwrap();
    assert_eq!(
        patch.path,
        format!("/PasswordVault/API/pta/API/Events/{id}")
    );
    assert_eq!(patch.body_str(), Some(r#"{"mStatus":"OPEN"}"#));
    assert!(!patch.header("authorization").unwrap().starts_with("Bearer"));
    assert!(
        requests
            .iter()
            .any(|r| r.path == "/PasswordVault/API/pta/API/Events/")
    );

    let err = client
        .events()
        .get("000000000000000000000000")
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    let err = client
        .events()
        .close("000000000000000000000000")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::NotFound));
    assert_eq!(err.pta_code(), Some(PtaErrorCode::WebService));
}

#[tokio::test]
async fn a_session_that_expires_mid_run_is_renewed_once() {
    let (sim, client) = start().await;
    client.events().list().await.unwrap();
    assert_eq!(client.sessions_obtained(), 1);
    sim.inject(Fault::ExpireSessions, 1);
    let events = client.events().list().await.unwrap();
    assert_eq!(events.len(), 60);
    assert_eq!(client.sessions_obtained(), 2);
    assert_eq!(sim.logons().len(), 2);

    // Sessions that time out by themselves, too.
    let sim = PtaSim::builder()
        .session_ttl(Some(Duration::from_millis(200)))
        .start()
        .await
        .unwrap();
    let client = client_for(&sim);
    for _ in 0..3 {
        client.events().list().await.unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(client.sessions_obtained(), 3);
}

fn client_for(sim: &PtaSim) -> PtaClient {
    client(sim).build().unwrap()
}

#[tokio::test]
async fn concurrent_calls_share_one_logon() {
    let (sim, client) = start().await;
    let calls = (0..20).map(|_| client.events().list().send());
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(sim.logons().len(), 1);
}

#[tokio::test]
async fn logoff_ends_the_session_and_the_next_call_logs_on_again() {
    let (sim, client) = start().await;
    client.log_on().await.unwrap();
    client.log_off().await.unwrap();
    assert_eq!(sim.logoffs(), 1);
    let logoff = sim.last_request().unwrap();
    assert_eq!(logoff.path, "/PasswordVault/API/Auth/Logoff");
    let token = logoff.header("authorization").unwrap().to_owned();
    assert!(!sim.sessions().check(&token), "the token was revoked");
    client.events().list().await.unwrap();
    assert_eq!(sim.logons().len(), 2);
}

#[tokio::test]
async fn logon_types_app_path_and_a_wrong_password() {
    let sim = PtaSim::builder().app_path("pam/PV").start().await.unwrap();
    for kind in [AuthType::Ldap, AuthType::Radius, AuthType::Windows] {
        let c = client(&sim)
            .auth_type(kind)
            .app_path("pam/PV")
            .concurrent_session(true)
            .build()
            .unwrap();
        c.log_on().await.unwrap();
    }
    assert_eq!(sim.logons(), ["LDAP", "RADIUS", "Windows"]);
    assert_eq!(sim.concurrent_sessions(), [Some(true); 3]);

    let wrong = PtaClient::builder(sim.url())
        .credentials(sim.username(), "not-the-password")
        .app_path("pam/PV")
        .build()
        .unwrap();
    let err = wrong.events().list().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(err.kind(), Some(ErrorKind::Unauthorized));
    assert_eq!(err.pta_code(), Some(PtaErrorCode::LogonFailed));

    // A wrong application path meets IIS's HTML page.
    let lost = client(&sim).build().unwrap();
    let err = lost.log_on().await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let snippet = err.api_error().and_then(|e| e.snippet.clone()).unwrap();
    assert!(
        snippet.contains("The resource cannot be found."),
        "{snippet}"
    );
}

#[tokio::test]
async fn date_filters_in_each_unit_and_the_legacy_header() {
    let sim = PtaSim::builder().events(80).start().await.unwrap();
    let events = sim.events();
    let mut times: Vec<i64> = events
        .iter()
        .map(|e| e["lastUpdateTime"].as_i64().unwrap())
        .collect();
    times.sort_unstable();
    let from_ms = times[40];
    let from =
        time::OffsetDateTime::from_unix_timestamp_nanos(from_ms as i128 * 1_000_000).unwrap();
    let want = times.iter().filter(|t| **t >= from_ms).count();

    let got = client_for(&sim)
        .events()
        .list()
        .from_update_date(from)
        .await
        .unwrap();
    assert_eq!(got.len(), want);
    let legacy = client(&sim)
        .event_filter_mode(EventFilterMode::LegacyHeader)
        .build()
        .unwrap();
    assert_eq!(
        legacy
            .events()
            .list()
            .from_update_date(from)
            .await
            .unwrap()
            .len(),
        want
    );
    let open = legacy
        .events()
        .list()
        .status(EventStatus::Open)
        .await
        .unwrap();
    assert!(!open.is_empty() && open.iter().all(|e| e.is_open()));

    let seconds_sim = PtaSim::builder()
        .events(80)
        .dates_in_seconds(true)
        .start()
        .await
        .unwrap();
    let seconds = client(&seconds_sim)
        .date_unit(DateUnit::Seconds)
        .build()
        .unwrap();
    let from_s = time::OffsetDateTime::from_unix_timestamp(from_ms / 1000).unwrap();
    let want = times
        .iter()
        .filter(|t| **t >= (from_ms / 1000) * 1000)
        .count();
    assert_eq!(
        seconds
            .events()
            .list()
            .from_update_date(from_s)
            .await
            .unwrap()
            .len(),
        want
    );

    let account = events
        .iter()
        .find_map(|e| e["audits"][0]["accountId"].as_str())
        .unwrap();
    let by_account = client_for(&sim)
        .events()
        .list()
        .account_id(account)
        .await
        .unwrap();
    assert!(!by_account.is_empty());
    assert!(by_account.iter().all(|e| {
        e.audits()
            .iter()
            .any(|a| a.account_id.as_deref() == Some(account))
    }));
}

#[tokio::test]
async fn risk_events_stream_over_pages_and_close_with_a_reason() {
    let (sim, client) = start().await;
    let all: Vec<_> = client
        .risks()
        .list()
        .size(10)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 45);
    let pages: Vec<Option<String>> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/RisksEvents/"))
        .map(|r| r.query)
        .collect();
    assert_eq!(pages.len(), 5, "pages 0 to 4: {pages:?}");
    assert_eq!(pages[4].as_deref(), Some("page=4&size=10"));
    let spn: Vec<_> = client
        .risks()
        .list()
        .risk_type(RiskType::RiskySpn)
        .status(EventStatus::Open)
        .sort("-score")
        .size(1000)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert!(spn.iter().all(|r| r.risk_type == Some(RiskType::RiskySpn) && r.status == Some(EventStatus::Open)));
    assert!(spn.windows(2).all(|w| w[0].score >= w[1].score));
    let id = spn[0].id.clone().unwrap();
    let closed = client
        .risks()
        .close(&id, CloseReason::NotReal)
        .reason_text("Lab account, SPN expected")
        .await
        .unwrap();
    assert_eq!(closed.status, Some(EventStatus::Closed));
    assert_eq!(
        closed.reason_text.as_deref(),
        Some("Lab account, SPN expected")
    );
    assert_eq!(sim.risk_event(&id).unwrap()["closeReason"], "NOTREAL");
    assert!(
        closed.extra.contains_key("account"),
        "fields not modelled are kept"
    );
    let reopened = client.risks().reopen(&id).await.unwrap();
    assert_eq!(reopened.close_reason, None);
}

#[tokio::test]
async fn faults_are_retried_or_typed() {
    let (sim, client) = start().await;
    client.log_on().await.unwrap();
    sim.inject(
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        1,
    );
    sim.inject(Fault::ServiceUnavailable, 1);
    assert_eq!(client.events().list().await.unwrap().len(), 60);
    sim.inject(Fault::ConnectionReset, 1);
    assert_eq!(
        client.events().list().await.unwrap().len(),
        60,
        "a GET is retried"
    );
    sim.inject(Fault::TruncatedBody, 1);
    let err = client.events().list().await.unwrap_err();
    assert!(matches!(err, incident_core::Error::Decode(_)), "{err:?}");
    // A GET gets the policy's four attempts.
    sim.inject(Fault::HtmlError { status: 502 }, 4);
    let err = client.events().list().await.unwrap_err();
    assert_eq!(err.attempts(), 4);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert!(err.api_error().unwrap().snippet.is_some());
}

#[tokio::test]
async fn https_with_the_appliance_certificate() {
    let sim = PtaSim::builder().https(true).start().await.unwrap();
    let pem = sim.ca_cert_pem().unwrap().to_owned();
    let client = client(&sim)
        .add_root_certificate_pem(pem.as_bytes())
        .build()
        .unwrap();
    assert_eq!(client.events().list().await.unwrap().len(), 40);
    // Without it, the certificate is refused before any request.
    let refused = client_for(&sim);
    let err = refused.log_on().await.unwrap_err();
    assert!(matches!(err, incident_core::Error::Tls { .. }), "{err:?}");
}

#[tokio::test]
async fn a_cursor_at_the_first_instant_time_holds_lists_without_a_panic() {
    use incident_core::{Cursor, IncidentQuery, IncidentSource};
    // -9999-01-01T00:00:00Z in nanoseconds: one second before it overflowed (a panic).
    let (sim, client) = start().await;
    let cursor = Cursor::new("-377705116800000000000:x");
    let page = client
        .list_incidents(&IncidentQuery::new(), Some(&cursor))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 60);
    let list = sim
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "GET")
        .unwrap();
    let query = list.query.unwrap_or_default();
    assert!(query.contains("fromUpdateDate=-377705116800000"), "{query}");
}
