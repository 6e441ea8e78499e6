//! The IncidentSource conformance suite and the secret-leak checks of `incident-testkit`, run
//! against the PTA simulator over real HTTP.

use std::time::Duration;

use cyberark_pta_client::PtaClient;
use futures::TryStreamExt;
use incident_core::{
    Closure, Incident, IncidentQuery, IncidentSource, IncidentStatus, RetryPolicy,
};
use incident_sim::PtaSim;
use incident_testkit::{Fixture, LeakCheck, run_conformance};

async fn start(password: &str) -> (PtaSim, PtaClient) {
    let sim = PtaSim::builder()
        .events(45)
        .credentials("soc-bot", password)
        .start()
        .await
        .unwrap();
    let client = PtaClient::builder(sim.url())
        .credentials(sim.username(), password)
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
        .build()
        .unwrap();
    (sim, client)
}

/// What PTA can do through the normalized interface: filter on its two statuses, close
/// (no reason, no verdict: the update takes only `mStatus`) and reopen as New.
fn pta_fixture(id: String) -> Fixture {
    Fixture::new(id, "0123456789abcdef01234567")
        .page_size(7)
        .filter_status(IncidentStatus::New)
        .filter_status(IncidentStatus::Closed)
        .unfilterable_status(IncidentStatus::InProgress)
        .unfilterable_status(IncidentStatus::OnHold)
        .closure(Closure::default())
        .reopen(IncidentStatus::New)
}

#[tokio::test]
async fn pta_conforms_to_its_capabilities() {
    let (sim, client) = start("conformance-password").await;
    let open: Vec<Incident> = client
        .stream_incidents(IncidentQuery::new().status(IncidentStatus::New).limit(1))
        .try_collect()
        .await
        .unwrap();
    let id = open[0].id.clone();
    let report = run_conformance(&client, &pta_fixture(id.clone())).await;
    println!("{report}");
    assert_eq!(report.vendor, cyberark_pta_client::CYBERARK_PTA);
    assert_eq!(report.incidents, 45);
    for check in [
        "paging",
        "incidents() stream",
        "status filter New",
        "status filter Closed",
        "status filter In Progress is unsupported",
        "time window on Created",
        "time window on Updated",
        "get_incident of a missing id",
        "severity is unsupported",
        "assign is unsupported",
        "note is unsupported",
        "verdict is unsupported",
        "status In Progress is unsupported",
        "refused changes change nothing",
        "set status New",
        "close",
        "reopen as New",
    ] {
        assert!(
            report.has_passed(check),
            "{check} did not pass:\n{report:#?}"
        );
    }
    let skipped: Vec<_> = report.skipped().map(|(name, _)| name).collect();
    assert_eq!(
        skipped,
        [
            "set severity",
            "assign",
            "unassign",
            "note",
            "verdict reads back"
        ],
        "{report}"
    );
    // The simulator saw the close and the reopen.
    assert_eq!(sim.event(&id).unwrap()["mStatus"], "OPEN");
    assert!(
        sim.requests()
            .iter()
            .any(|r| r.method == "PATCH" && r.body_str() == Some(r#"{"mStatus":"CLOSED"}"#))
    );
}

#[tokio::test]
async fn the_password_and_the_session_token_stay_out_of_logs_errors_and_debug() {
    let password = "Pa55 w0rd!-pta-leak-check";
    let (sim, client) = start(password).await;
    let check = LeakCheck::new([password]);
    let listed = check.run(&client, client.events().list().send()).await;
    let events = listed.result.unwrap();
    assert_eq!(events.len(), 45);
    assert!(
        listed.lines.iter().any(|l| l.contains("status=200")),
        "{:#?}",
        listed.lines
    );

    // The token the simulator issued, found in its request log, is checked from now on.
    let token = sim
        .requests()
        .iter()
        .find_map(|r| r.header("authorization").map(str::to_owned))
        .unwrap();
    let check = check.secret(token);
    let id = events[0].id.clone().unwrap();
    let closed = check.run(&client, client.events().close(&id).send()).await;
    assert!(closed.result.is_ok());
    let update = incident_core::IncidentUpdate::new().status(IncidentStatus::New);
    let normalized = check
        .run(&client, client.update_incident(&id, &update))
        .await;
    assert_eq!(normalized.result.unwrap().status, IncidentStatus::New);
    let missing = check
        .run(
            &client,
            client.events().close("0123456789abcdef01234567").send(),
        )
        .await;
    assert!(missing.result.unwrap_err().is_not_found());
    // The session refused mid-run, the new logon, and the logoff log nothing secret either.
    sim.sessions().expire_all();
    let renewed = check.run(&client, client.events().list().send()).await;
    assert!(renewed.result.is_ok());
    let off = check.run(&client, client.log_off()).await;
    assert!(off.result.is_ok());

    // A refused password is not written anywhere.
    let wrong = "wr0ng-Pa55-leak-check";
    let refused_client = PtaClient::builder(sim.url())
        .credentials("soc-bot", wrong)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let refused = LeakCheck::new([password, wrong])
        .run(&refused_client, refused_client.events().list().send())
        .await;
    assert_eq!(
        refused.result.unwrap_err().kind(),
        Some(incident_core::ErrorKind::Unauthorized)
    );
}
