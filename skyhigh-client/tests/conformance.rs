//! The IncidentSource conformance suite and the secret-leak checks of `incident-testkit`,
//! run against the Skyhigh simulator over real HTTP.

use std::time::Duration;

use futures::TryStreamExt;
use incident_core::{
    Closure, Incident, IncidentQuery, IncidentSource, IncidentStatus, IncidentUpdate, RetryPolicy,
    Verdict,
};
use incident_sim::SkyhighSim;
use incident_sim::skyhigh::PageBoundary;
use incident_testkit::{Fixture, LeakCheck, run_conformance};
use skyhigh_client::SkyhighClient;

async fn start(n: usize) -> (SkyhighSim, SkyhighClient) {
    let sim = SkyhighSim::builder().incidents(n).start().await.unwrap();
    let (user, password) = sim.credentials();
    let client = SkyhighClient::builder(sim.url())
        .basic_auth(user, password.to_owned())
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
        .build()
        .unwrap();
    (sim, client)
}

/// What Skyhigh can do through the normalized interface: filter on its statuses (not On
/// Hold), set New, In Progress and Suppressed, close with the False Positive verdict and
/// reopen; no assignee, note or severity.
fn skyhigh_fixture(id: String) -> Fixture {
    Fixture::new(id, "DLP-999999")
        .page_size(7)
        .filter_status(IncidentStatus::New)
        .filter_status(IncidentStatus::InProgress)
        .filter_status(IncidentStatus::Resolved)
        .filter_status(IncidentStatus::Closed)
        .filter_status(IncidentStatus::Other("Suppressed".into()))
        .unfilterable_status(IncidentStatus::OnHold)
        .unfilterable_status(IncidentStatus::Unknown)
        .closure(Closure::verdict(Verdict::FalsePositive))
        .reopen(IncidentStatus::InProgress)
}

async fn first_new(source: &dyn IncidentSource) -> String {
    let first: Vec<Incident> = source
        .stream_incidents(IncidentQuery::new().status(IncidentStatus::New).limit(1))
        .try_collect()
        .await
        .unwrap();
    first[0].id.clone()
}

#[tokio::test]
async fn skyhigh_conforms_to_its_capabilities() {
    let (sim, client) = start(60).await;
    let id = first_new(&client).await;
    let report = run_conformance(&client, &skyhigh_fixture(id.clone())).await;
    println!("{report}");
    assert_eq!(report.vendor, skyhigh_client::SKYHIGH);
    assert_eq!(report.incidents, 60);
    for check in [
        "paging",
        "incidents() stream",
        "status filter Suppressed",
        "status filter Closed",
        "status filter On Hold is unsupported",
        "time window on Created",
        "time window on Updated",
        "severity is unsupported",
        "assign is unsupported",
        "unassign is unsupported",
        "note is unsupported",
        "status On Hold is unsupported",
        "get_incident equals the listing",
        "get_incident of a missing id",
        "refused changes change nothing",
        "set status New",
        "set status In Progress",
        "set status Suppressed",
        "close",
        "verdict reads back",
        "reopen as In Progress",
    ] {
        assert!(
            report.has_passed(check),
            "{check} did not pass:\n{report:#?}"
        );
    }
    // The simulator saw the changes: reopened last.
    assert_eq!(sim.incident(&id).unwrap()["status"], "opened");
}

#[tokio::test]
async fn skyhigh_conforms_when_the_tenant_repeats_the_page_boundary() {
    let (sim, client) = start(60).await;
    sim.set_page_boundary(PageBoundary::RepeatBoundary);
    let id = first_new(&client).await;
    let report = run_conformance(&client, &skyhigh_fixture(id)).await;
    assert_eq!(report.incidents, 60);
    assert!(report.has_passed("paging"), "{report:#?}");
    assert!(report.has_passed("incidents() stream"), "{report:#?}");
}

#[tokio::test]
async fn normalized_pages_hold_their_size_when_a_page_carries_ties_beyond_it() {
    let (sim, client) = start(90).await;
    let expected: Vec<String> = sim
        .incidents()
        .iter()
        .map(|i| i["incidentId"].as_str().unwrap().to_owned())
        .collect();
    // Every size, down to one: smaller than the groups of up to four incidents that share
    // an instant, which the documented pages carry whole beyond the limit.
    for size in [1, 2, 3, 5, 8] {
        let query = IncidentQuery::new().page_size(size);
        let mut cursor = None;
        let mut listed = Vec::new();
        let mut pages = 0;
        loop {
            let page = client
                .list_incidents(&query, cursor.as_ref())
                .await
                .unwrap();
            assert!(page.items.len() <= size as usize, "size {size}");
            listed.extend(page.items.into_iter().map(|i| i.id));
            pages += 1;
            assert!(pages < 1_000, "size {size}: the walk does not end");
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(
            listed, expected,
            "size {size}: each incident once, in order"
        );
    }
}

#[tokio::test]
async fn the_password_stays_out_of_logs_errors_and_debug() {
    let (user, password) = ("soc-bot@example.com", "Pa55 w0rd!-skyhigh");
    let sim = SkyhighSim::builder()
        .incidents(12)
        .credentials(user, password)
        .start()
        .await
        .unwrap();
    let basic = SkyhighClient::builder(sim.url())
        .basic_auth(user, password)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let check = LeakCheck::default().basic_auth(user, password);
    let id = sim.incidents()[3]["incidentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = check.run(&basic, basic.get_incident(&id)).await;
    assert_eq!(got.result.unwrap().id, id);
    let closed = check
        .run(
            &basic,
            basic.update_incident(&id, &IncidentUpdate::new().close(Closure::default())),
        )
        .await;
    assert_eq!(closed.result.unwrap().status, IncidentStatus::Resolved);
    assert!(format!("{basic:?}").contains(user));

    // The token flow: neither the password nor the IAM or access token shows anywhere.
    let tokens = SkyhighClient::builder(sim.url())
        .access_token_auth(user, password)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let run = check.run(&tokens, tokens.incidents().groups()).await;
    assert!(!run.result.unwrap().is_empty());
    let issued: Vec<String> = sim
        .requests()
        .iter()
        .filter_map(|r| r.header("x-access-token").map(str::to_owned))
        .collect();
    assert!(!issued.is_empty());
    let tokens_check = LeakCheck::new(issued.clone()).basic_auth(user, password);
    let again = tokens_check.run(&tokens, tokens.get_incident(&id)).await;
    assert!(again.result.is_ok());

    // A refused password is not written anywhere either.
    let wrong = "wr0ng-Pa55-skyhigh";
    let refused_client = SkyhighClient::builder(sim.url())
        .access_token_auth(user, wrong)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let refused = LeakCheck::default()
        .basic_auth(user, wrong)
        .run(&refused_client, refused_client.incidents().groups())
        .await;
    assert_eq!(
        refused.result.unwrap_err().kind(),
        Some(incident_core::ErrorKind::Unauthorized)
    );
}
