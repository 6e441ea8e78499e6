//! The ticket queue of `cargo run --example custom_source`, a source that is none of the
//! vendors, held to what every vendor client is held to: the published conformance suite,
//! the OCSF export against the class's JSON Schema, and a resumable sync.

#[path = "../../incident-core/tests/ocsf/schema.rs"]
mod schema;

use std::collections::BTreeSet;

use futures::TryStreamExt;
use incident_core::mapping::capability_matrix;
use incident_core::sync::{Checkpoint, changes_since};
use incident_core::{
    Closure, Cursor, Incident, IncidentQuery, IncidentSource, IncidentStatus, IncidentUpdate,
    Severity, Vendor, Verdict,
};
use incident_examples::tickets::{
    Priority, Resolution, TICKETS, TicketQueue, TicketState, parse_id,
};
use incident_testkit::{Fixture, run_conformance};

/// Every check the suite runs against the queue, in order: the queue supports every change
/// the trait offers, so none is skipped.
const CHECKS: &[&str] = &[
    "capabilities",
    "paging",
    "incidents() stream",
    "status filter Escalated",
    "status filter New",
    "status filter In Progress",
    "status filter On Hold",
    "status filter Closed",
    "status filters match something",
    "status filter Unknown is unsupported",
    "status filter Resolved is unsupported",
    "time window on Created",
    "time window on Updated",
    "get_incident equals the listing",
    "get_incident of a missing id",
    "close with verdict Unknown is unsupported",
    "close with verdict Disregard is unsupported",
    "close with verdict Suspicious is unsupported",
    "close with verdict Test is unsupported",
    "close with verdict Insufficient Data is unsupported",
    "close with verdict Security Risk is unsupported",
    "close with verdict Managed Externally is unsupported",
    "severity Unknown is unsupported",
    "severity Informational is unsupported",
    "severity Fatal is unsupported",
    "status Unknown is unsupported",
    "status Conformance-Undefined is unsupported",
    "status Closed set directly is invalid input",
    "status Resolved set directly is invalid input",
    "an empty update is invalid input",
    "refused changes change nothing",
    "set status New",
    "set status In Progress",
    "set status On Hold",
    "set status Escalated",
    "restore status New",
    "set severity",
    "set severity Low",
    "set severity Medium",
    "set severity High",
    "set severity Critical",
    "assign",
    "unassign",
    "note",
    "close",
    "verdict reads back",
    "reopen as New",
    "close with verdict False Positive",
    "close with verdict True Positive",
    "close with verdict Benign",
    "close with verdict Duplicate",
];

/// The first ticket that is open and nobody's, as the suite needs.
fn open_unassigned(queue: &TicketQueue) -> String {
    queue
        .tickets()
        .into_iter()
        .find(|t| t.state == TicketState::Open && t.owner.is_none())
        .expect("the seed has an open ticket nobody owns")
        .id()
}

#[tokio::test]
async fn the_ticket_queue_passes_the_published_conformance_suite() {
    let queue = TicketQueue::seeded(40);
    let id = open_unassigned(&queue);
    assert_eq!(id, "TCK-1");
    let before = queue.ticket(1).unwrap();
    let fixture = Fixture::new(&id, "TCK-999999")
        .page_size(7)
        .filter_status(IncidentStatus::Other("Escalated".into()))
        .assignee("analyst1")
        .closure(Closure::reason("Checked with the user.").with_verdict(Verdict::FalsePositive))
        .reopen(IncidentStatus::New)
        .note("Conformance note on a ticket.");
    let report = run_conformance(&queue, &fixture).await;
    println!("{report}");

    assert_eq!(report.vendor, TICKETS);
    assert_eq!(report.capabilities, queue.capabilities());
    assert_eq!(report.incidents, 40);
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, CHECKS);
    assert_eq!(report.passed().count(), CHECKS.len(), "{report}");
    assert_eq!(report.skipped().count(), 0, "{report}");

    // The one ticket the suite changed, as it left it: reopened, nobody's, at the last
    // priority it set, with its note; every other ticket as it was.
    let after = queue.ticket(1).unwrap();
    assert_eq!(after.state, TicketState::Open);
    assert_eq!(after.owner, None);
    assert_eq!(after.priority, Priority::P1);
    assert_eq!((after.resolution, after.done), (None, None));
    let notes: Vec<&str> = after.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(notes, ["Conformance note on a ticket."]);
    assert_eq!(
        (after.opened, &after.summary),
        (before.opened, &before.summary)
    );
    assert!(after.changed > before.changed);
    let untouched = TicketQueue::seeded(40).tickets();
    for (now, seeded) in queue.tickets().iter().zip(&untouched).skip(1) {
        assert_eq!(
            (
                now.state,
                now.priority,
                &now.owner,
                now.changed - now.opened
            ),
            (
                seeded.state,
                seeded.priority,
                &seeded.owner,
                seeded.changed - seeded.opened
            ),
            "ticket {}",
            now.number
        );
    }
}

#[test]
fn the_queue_has_a_column_of_its_own_in_the_capability_matrix() {
    let matrix = capability_matrix(&[(TICKETS, TicketQueue::new().capabilities())]);
    let expected = "\
| | ACME Tickets |
|---|---|
| filter on status | New, In Progress, On Hold, Closed, Escalated |
| time window on | created, updated |
| set status | New, In Progress, On Hold, Escalated |
| close | yes |
| verdicts recorded on close | False Positive, True Positive, Benign, Duplicate |
| assign | yes |
| unassign | yes |
| set severity | Low, Medium, High, Critical |
| add notes | yes |
";
    assert_eq!(matrix, expected);
    // Identity by key, as for any vendor: another name, the same source.
    assert_eq!(TICKETS, Vendor::new("acme-tickets", "Tickets (renamed)"));
    assert_ne!(TICKETS, qradar_client::QRADAR);
}

#[tokio::test]
async fn bad_input_is_a_typed_error_and_changes_nothing() {
    let queue = TicketQueue::seeded(12);
    let before = queue.tickets();
    let invalid = |r: incident_core::Result<Incident>| {
        matches!(r, Err(incident_core::Error::InvalidInput { .. }))
    };
    for id in [
        "",
        "TCK-",
        "TCK-x",
        "tck-1",
        "../TCK-1",
        "TCK-1/comments",
        "TCK--1",
    ] {
        assert!(
            matches!(
                queue.get_incident(id).await,
                Err(incident_core::Error::InvalidInput { .. })
            ),
            "{id:?}"
        );
        let update = IncidentUpdate::new().note("n");
        assert!(invalid(queue.update_incident(id, &update).await), "{id:?}");
    }
    assert_eq!(parse_id("TCK-12").unwrap(), 12);
    let missing = queue.get_incident("TCK-13").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    assert_eq!(missing.to_string(), "ACME Tickets has no ticket TCK-13");

    for update in [
        IncidentUpdate::new().assign("  "),
        IncidentUpdate::new().note(""),
        IncidentUpdate::new().severity(Severity::Other("P9".into())),
        // A good part beside a bad one: nothing of it applies.
        IncidentUpdate::new()
            .status(IncidentStatus::InProgress)
            .note(" \n"),
    ] {
        assert!(
            invalid(queue.update_incident("TCK-1", &update).await),
            "{update:?}"
        );
    }
    for update in [
        IncidentUpdate::new().severity(Severity::Fatal),
        IncidentUpdate::new().close(Closure::verdict(Verdict::Suspicious)),
        IncidentUpdate::new().status(IncidentStatus::Other("Parked".into())),
    ] {
        let e = queue.update_incident("TCK-1", &update).await.unwrap_err();
        assert!(e.is_unsupported(), "{update:?}: {e}");
    }

    // The queue's own priority names go through `Other`.
    let p2 = IncidentUpdate::new().severity(Severity::Other("p2".into()));
    let got = queue.update_incident("TCK-3", &p2).await.unwrap();
    assert_eq!(got.severity, Severity::High);

    let listing = |query: IncidentQuery, cursor: Option<&'static str>| {
        let queue = queue.clone();
        async move {
            queue
                .list_incidents(&query, cursor.map(Cursor::new).as_ref())
                .await
        }
    };
    for (query, cursor) in [
        (IncidentQuery::new().page_size(0), None),
        (IncidentQuery::new(), Some("7")),
        (IncidentQuery::new(), Some("after:")),
        (IncidentQuery::new(), Some("after:-1")),
        (
            IncidentQuery::new().status(IncidentStatus::Other("Parked".into())),
            None,
        ),
    ] {
        let got = listing(query.clone(), cursor).await;
        assert!(
            matches!(got, Err(incident_core::Error::InvalidInput { .. })),
            "{query:?} {cursor:?}: {got:?}"
        );
    }
    let e = listing(IncidentQuery::new().status(IncidentStatus::Resolved), None)
        .await
        .unwrap_err();
    assert!(e.is_unsupported(), "{e}");
    // A cursor past the last ticket is an empty last page; a page size past the ceiling
    // gives the ceiling.
    let past = listing(IncidentQuery::new(), Some("after:18446744073709551615"))
        .await
        .unwrap();
    assert_eq!(
        (past.items.len(), past.next, past.total),
        (0, None, Some(12))
    );
    let all = listing(IncidentQuery::new().page_size(u32::MAX), None)
        .await
        .unwrap();
    assert_eq!((all.items.len(), all.next), (12, None));

    let after = queue.tickets();
    for (a, b) in after.iter().zip(&before) {
        if a.number != 3 {
            assert_eq!(a, b);
        }
    }
}

#[tokio::test]
async fn every_ticket_exports_as_a_valid_ocsf_incident_finding() {
    let queue = TicketQueue::seeded(40);
    // One of each resolution, and a note, so that every verdict the queue records shows.
    queue
        .update_incident(
            "TCK-1",
            &IncidentUpdate::new()
                .close(Closure::verdict(Verdict::Duplicate))
                .note("Same as TCK-13."),
        )
        .await
        .unwrap();
    let incidents: Vec<Incident> = queue
        .stream_incidents(IncidentQuery::new().page_size(9))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(incidents.len(), 40);

    let mut statuses = BTreeSet::new();
    let mut verdicts = BTreeSet::new();
    let (mut assigned, mut unassigned) = (0, 0);
    for incident in &incidents {
        let finding = serde_json::to_value(incident.to_ocsf()).unwrap();
        schema::assert_valid(&finding);

        let ticket = queue.ticket(parse_id(&incident.id).unwrap()).unwrap();
        let ctx = &incident.id;
        assert_eq!(finding["class_uid"], 2005, "{ctx}");
        assert_eq!(finding["metadata"]["version"], "1.8.0", "{ctx}");
        assert_eq!(
            finding["metadata"]["product"]["name"], "Ticket Queue",
            "{ctx}"
        );
        assert_eq!(
            finding["metadata"]["product"]["vendor_name"], "ACME",
            "{ctx}"
        );
        assert_eq!(finding["finding_info_list"][0]["uid"], ticket.id(), "{ctx}");
        assert_eq!(
            finding["finding_info_list"][0]["title"], ticket.summary,
            "{ctx}"
        );
        let severity_id = match ticket.priority {
            Priority::P1 => 5,
            Priority::P2 => 4,
            Priority::P3 => 3,
            Priority::P4 => 2,
        };
        assert_eq!(finding["severity_id"], severity_id, "{ctx}");
        let status_id = match ticket.state {
            TicketState::Open => 1,
            TicketState::Working => 2,
            TicketState::Waiting => 3,
            TicketState::Escalated => 99,
            TicketState::Done => 5,
        };
        // Close for a done ticket, else Create while it never changed, else Update.
        let activity_id = match ticket.state {
            TicketState::Done => 3,
            _ if ticket.changed == ticket.opened => 1,
            _ => 2,
        };
        assert_eq!(finding["status_id"], status_id, "{ctx}");
        assert_eq!(finding["activity_id"], activity_id, "{ctx}");
        if ticket.state == TicketState::Escalated {
            assert_eq!(finding["status"], "Escalated", "{ctx}");
        }
        match ticket.resolution {
            Some(r) => {
                let id = match r {
                    Resolution::FalseAlarm => 1,
                    Resolution::Fixed => 2,
                    Resolution::Expected => 5,
                    Resolution::Duplicate => 10,
                };
                assert_eq!(finding["verdict_id"], id, "{ctx}");
                verdicts.insert(id);
            }
            None => assert!(finding.get("verdict_id").is_none(), "{ctx}"),
        }
        match &ticket.owner {
            Some(owner) => {
                assert_eq!(finding["assignee"]["name"], owner.as_str(), "{ctx}");
                assigned += 1;
            }
            None => {
                assert_eq!(finding["assignee_group"]["name"], "Unassigned", "{ctx}");
                unassigned += 1;
            }
        }
        // The ticket travels as raw_data, unchanged.
        let raw: serde_json::Value =
            serde_json::from_str(finding["raw_data"].as_str().unwrap()).unwrap();
        assert_eq!(raw, serde_json::to_value(&ticket).unwrap(), "{ctx}");
        statuses.insert(status_id);
    }
    assert_eq!(statuses, BTreeSet::from([1, 2, 3, 5, 99]));
    assert_eq!(verdicts, BTreeSet::from([1, 2, 5, 10]));
    assert_eq!((assigned, unassigned), (20, 20));
}

/// Every incident a whole run from `checkpoint` delivers, and the checkpoint it ends with.
async fn run(source: &dyn IncidentSource, checkpoint: &Checkpoint) -> (Vec<Incident>, Checkpoint) {
    let mut changes = changes_since(source, checkpoint).page_size(7);
    let mut delivered = Vec::new();
    let mut last = checkpoint.clone();
    while let Some(batch) = changes.next_batch().await.unwrap() {
        delivered.extend(batch.incidents.iter().cloned());
        last = batch.into_checkpoint();
    }
    (delivered, last)
}

fn ids(incidents: &[Incident]) -> Vec<&str> {
    incidents.iter().map(|i| i.id.as_str()).collect()
}

#[tokio::test]
async fn a_sync_resumes_from_its_checkpoint_and_sees_only_the_changes() {
    let queue = TicketQueue::seeded(30);

    // The first run delivers every ticket, once, and ends with a checkpoint made with the
    // queue's key; the caller persists it as JSON.
    let (first, checkpoint) = run(&queue, &Checkpoint::new()).await;
    assert_eq!(first.len(), 30);
    let all: BTreeSet<&str> = ids(&first).into_iter().collect();
    assert_eq!(all.len(), 30);
    assert_eq!(checkpoint.vendor(), Some("acme-tickets"));
    let newest_seed = queue.tickets().iter().map(|t| t.changed).max();
    assert_eq!(checkpoint.watermark(), newest_seed);
    let persisted = checkpoint.to_json();

    // Changes while nothing runs: a close, an assignment, a note, a new ticket.
    let fp = IncidentUpdate::new().close(Closure::verdict(Verdict::FalsePositive));
    queue.update_incident("TCK-5", &fp).await.unwrap();
    queue
        .update_incident("TCK-7", &IncidentUpdate::new().assign("analyst2"))
        .await
        .unwrap();
    queue
        .update_incident("TCK-11", &IncidentUpdate::new().note("Asked the user."))
        .await
        .unwrap();
    let new = queue.open("Beaconing to a new domain", Priority::P2);
    assert_eq!(new.id(), "TCK-31");

    // A new process resumes from the persisted checkpoint and sees exactly the changes, in
    // the listing's order, each as it is now.
    let restored = Checkpoint::from_json(&persisted).unwrap();
    let (second, checkpoint) = run(&queue, &restored).await;
    assert_eq!(ids(&second), ["TCK-5", "TCK-7", "TCK-11", "TCK-31"]);
    assert_eq!(second[0].status, IncidentStatus::Closed);
    assert_eq!(second[0].verdict, Some(Verdict::FalsePositive));
    assert_eq!(second[1].assignee.as_deref(), Some("analyst2"));
    let noted = second[2]
        .record::<incident_examples::tickets::Ticket>()
        .unwrap();
    assert_eq!(noted.comments[0].text, "Asked the user.");
    assert_eq!(second[3].title, "Beaconing to a new domain");

    // A quiet run sees nothing; a second change of one ticket is seen again.
    let (third, checkpoint) = run(&queue, &checkpoint).await;
    assert_eq!(ids(&third), Vec::<&str>::new());
    queue
        .update_incident("TCK-5", &IncidentUpdate::new().status(IncidentStatus::New))
        .await
        .unwrap();
    let (fourth, _) = run(&queue, &checkpoint).await;
    assert_eq!(ids(&fourth), ["TCK-5"]);
    assert_eq!(fourth[0].status, IncidentStatus::New);

    // A checkpoint made with another source is refused, not misread.
    let theirs = Checkpoint::from_json(r#"{"vendor":"qradar"}"#).unwrap();
    let mut changes = changes_since(&queue, &theirs);
    let e = changes.next_batch().await.unwrap_err();
    assert!(
        matches!(e, incident_core::Error::InvalidInput { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("qradar"), "{e}");
}
