//! The IncidentSource conformance suite of `incident-testkit`, and the normalized layer's
//! ESET specifics, against the ESET simulator over real HTTP.

use std::time::Duration;

use eset_connect_client::{EsetClient, Incident as EsetIncident};
use futures::TryStreamExt;
use incident_core::{
    Closure, Error, IncidentQuery, IncidentSource, IncidentStatus, IncidentUpdate, RetryPolicy,
    Severity, TimeField, Verdict,
};
use incident_sim::EsetSim;
use incident_testkit::{Fixture, run_conformance};

async fn start() -> (EsetSim, EsetClient) {
    let sim = EsetSim::builder().rate_limit(None).start().await.unwrap();
    let (user, password) = sim.credentials();
    let client = EsetClient::builder_with_urls(sim.url(), sim.iam_url())
        .credentials(user, password)
        .no_rate_limit()
        .poll_interval(Duration::from_millis(5))
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(5)))
        .build()
        .unwrap();
    (sim, client)
}

/// What ESET can do through the normalized interface: filter on its four statuses (not
/// Resolved), assign to a user uuid, close by verdict, reopen (New); lists leave out the
/// device and detection uuids.
fn eset_fixture(sim: &EsetSim) -> Fixture {
    Fixture::new(
        sim.open_unassigned().unwrap(),
        "00000000-0000-4000-8000-000000000000",
    )
    .page_size(7)
    .filter_status(IncidentStatus::New)
    .filter_status(IncidentStatus::InProgress)
    .filter_status(IncidentStatus::OnHold)
    .filter_status(IncidentStatus::Closed)
    .unfilterable_status(IncidentStatus::Resolved)
    .unfilterable_status(IncidentStatus::Unknown)
    .assignee(sim.users()[1].clone())
    .closure(Closure::verdict(Verdict::FalsePositive))
    .reopen(IncidentStatus::New)
    .listing_omits("deviceUuids")
    .listing_omits("detectionUuids")
}

#[tokio::test]
async fn eset_conforms_to_its_capabilities() {
    let (sim, client) = start().await;
    let fixture = eset_fixture(&sim);
    let report = run_conformance(&client, &fixture).await;
    println!("{report}");
    assert_eq!(report.vendor, eset_connect_client::ESET_CONNECT);
    assert_eq!(report.incidents, 60);
    for check in [
        "paging",
        "incidents() stream",
        "status filter On Hold",
        "status filter Resolved is unsupported",
        "time window on Created",
        "time window on Updated",
        "get_incident equals the listing",
        "get_incident of a missing id",
        "status In Progress is unsupported",
        "refused changes change nothing",
        "set status New",
        "set severity",
        "assign",
        "unassign",
        "note",
        "close without a reason is refused",
        "close",
        "verdict reads back",
        "reopen as New",
    ] {
        assert!(report.has_passed(check), "{check} did not pass:\n{report}");
    }
    // The suite's note went in as a comment, the close as the resolve reason.
    let id = &fixture.incident_id;
    assert!(
        sim.comments(id)
            .iter()
            .any(|c| c["text"] == fixture.note.as_str())
    );
}

#[tokio::test]
async fn the_normalized_mapping() {
    let (sim, client) = start().await;
    let id = sim.open_unassigned().unwrap();
    let incident = client.get_incident(&id).await.unwrap();
    assert_eq!(incident.vendor, eset_connect_client::ESET_CONNECT);
    assert_eq!(incident.status, IncidentStatus::New);
    assert_eq!(incident.assignee, None);
    let record = incident.record::<EsetIncident>().unwrap();
    assert_eq!(incident.title, record.display_name.clone().unwrap());
    assert_eq!(incident.created, record.create_time);

    // Close as a false positive with a note: one :close with the final comment.
    sim.clear_requests();
    let closed = client
        .update_incident(
            &id,
            &IncidentUpdate::new()
                .close(Closure::verdict(Verdict::FalsePositive))
                .note("Admin script; closing."),
        )
        .await
        .unwrap();
    assert_eq!(closed.status, IncidentStatus::Closed);
    assert_eq!(closed.verdict, Some(Verdict::FalsePositive));
    assert_eq!(
        closed.close_reason.as_deref(),
        Some("INCIDENT_RESOLVE_REASON_FALSE_POSITIVE")
    );
    let paths: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, [format!("/v2/incidents/{id}:close")]);
    let comments = sim.comments(&id);
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["isFinalComment"], true);
    assert_eq!(comments[0]["text"], "Admin script; closing.");

    // What ESET cannot express is refused before anything is sent.
    sim.clear_requests();
    for (update, unsupported) in [
        (IncidentUpdate::new().severity(Severity::Critical), true),
        (
            IncidentUpdate::new().close(Closure::verdict(Verdict::Benign)),
            true,
        ),
        (IncidentUpdate::new().status(IncidentStatus::OnHold), true),
        (
            IncidentUpdate::new().close(Closure::reason("Non-Issue")),
            false,
        ),
    ] {
        let e = client.update_incident(&id, &update).await.unwrap_err();
        assert_eq!(e.is_unsupported(), unsupported, "{update:?}: {e}");
        assert_eq!(e.attempts(), 0, "{e}");
    }
    assert!(sim.requests().is_empty());

    // A closed, assigned incident keeps its assignee: refused after one read.
    // The inherent `incidents()` is the API area; the trait's stream is called by path.
    let busy = client
        .stream_incidents(
            IncidentQuery::new()
                .status(IncidentStatus::InProgress)
                .limit(1),
        )
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    let e = client
        .update_incident(&busy[0].id, &IncidentUpdate::new().unassign())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    let e = client
        .update_incident(
            &busy[0].id,
            &IncidentUpdate::new().status(IncidentStatus::New),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");

    // Reopen, assign and raise the severity in one update.
    let user = sim.users()[3].clone();
    let back = client
        .update_incident(
            &id,
            &IncidentUpdate::new()
                .status(IncidentStatus::New)
                .assign(user.clone())
                .severity(Severity::High),
        )
        .await
        .unwrap();
    assert_eq!(back.status, IncidentStatus::New);
    assert_eq!(back.assignee.as_deref(), Some(user.as_str()));
    assert_eq!(back.severity, Severity::High);
    assert_eq!(back.verdict, None);

    // Filters go to the server: a window on the update time finds the incident just
    // changed.
    let recent: Vec<_> = client
        .stream_incidents(IncidentQuery::new().window(TimeField::Updated, back.updated, None))
        .try_collect()
        .await
        .unwrap();
    assert!(recent.iter().any(|i| i.id == id));
    let sent = sim.last_request().unwrap();
    assert!(
        sent.query.unwrap_or_default().contains("update_time"),
        "the window is in the filter"
    );
}
