//! The triage logic of `cargo run --example triage` against the simulators: a vendor that is
//! down, refuses the credentials or hangs is reported and does not stop the others, and a
//! source of your own is triaged beside the five vendors.

use std::time::Duration;

use cyberark_pta_client::PtaClient;
use eset_connect_client::EsetClient;
use incident_core::{IncidentSource, IncidentStatus, RetryPolicy, Vendor, Verdict};
use incident_examples::tickets::{Resolution, TICKETS, Ticket, TicketState};
use incident_examples::triage::{self, Failure, Options, Outcome};
use incident_sim::{EsetSim, Fault, PtaSim, QRadarSim, SentinelSim, SkyhighSim};
use qradar_client::QRadarClient;
use sentinel_client::SentinelClient;
use skyhigh_client::SkyhighClient;

fn options() -> Options {
    Options {
        deadline: Duration::from_secs(60),
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_down_or_unauthorized_does_not_stop_the_others() {
    let qradar_sim = QRadarSim::builder().offenses(30).start().await.unwrap();
    let qradar = QRadarClient::builder(qradar_sim.url())
        .sec_token(qradar_sim.token())
        .build()
        .unwrap();
    // A wrong password: the PVWA answers 401.
    let pta_sim = PtaSim::builder().events(20).start().await.unwrap();
    let pta = PtaClient::builder(pta_sim.url())
        .credentials(pta_sim.username(), "not-the-password")
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let sentinel_sim = SentinelSim::builder().incidents(30).start().await.unwrap();
    let (user, password) = sentinel_sim.credentials();
    let sentinel = SentinelClient::builder(sentinel_sim.url())
        .credentials(user, password)
        .build()
        .unwrap();
    // Down: the simulator is gone, its port refuses connections.
    let gone = SkyhighSim::builder().incidents(5).start().await.unwrap();
    let (user, password) = gone.credentials();
    let skyhigh = SkyhighClient::builder(gone.url())
        .basic_auth(user, password.to_owned())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    drop(gone);
    let eset_sim = EsetSim::builder().incidents(30).start().await.unwrap();
    let (user, password) = eset_sim.credentials();
    let eset = EsetClient::builder_with_urls(eset_sim.url(), eset_sim.iam_url())
        .credentials(user, password)
        .build()
        .unwrap();

    let sources: Vec<&dyn IncidentSource> = vec![&qradar, &pta, &sentinel, &skyhigh, &eset];
    let run = triage::run(&sources, &options()).await;
    let report = |v: Vendor| run.vendors.iter().find(|r| r.vendor == v).unwrap();
    for r in &run.vendors {
        println!("{r}");
    }

    // The failures are reported, each as what it is.
    let pta_report = report(cyberark_pta_client::CYBERARK_PTA);
    assert!(pta_report.failed());
    assert!(
        matches!(&pta_report.listed, Err(f) if f.is_unauthorized()),
        "{pta_report}"
    );
    assert!(
        pta_report.to_string().contains("unauthorized"),
        "{pta_report}"
    );
    assert!(pta_report.outcome.is_none());
    let skyhigh_report = report(skyhigh_client::SKYHIGH);
    assert!(skyhigh_report.failed());
    assert!(
        matches!(&skyhigh_report.listed, Err(Failure::Error(_))),
        "{skyhigh_report}"
    );
    assert!(
        !skyhigh_report.to_string().contains(password),
        "{skyhigh_report}"
    );

    // The others listed, merged and closed their top incident.
    assert!(run.incidents.iter().all(|i| {
        [
            qradar_client::QRADAR,
            sentinel_client::SENTINEL,
            eset_connect_client::ESET_CONNECT,
        ]
        .contains(&i.vendor)
    }));
    assert!(run.incidents.iter().all(triage::is_open));
    assert!(
        run.incidents
            .windows(2)
            .all(|w| triage::triage_order(&w[0], &w[1]).is_le())
    );
    for vendor in [
        qradar_client::QRADAR,
        sentinel_client::SENTINEL,
        eset_connect_client::ESET_CONNECT,
    ] {
        let r = report(vendor);
        assert!(!r.failed(), "{r}");
        let top = run.incidents.iter().find(|i| i.vendor == vendor).unwrap();
        let Some(Outcome::Closed {
            incident, dropped, ..
        }) = &r.outcome
        else {
            panic!("{r}");
        };
        assert_eq!(incident.id, top.id);
        assert!(incident.status.is_closed(), "{r}");
        assert_eq!(incident.verdict, Some(Verdict::FalsePositive), "{r}");
        // Sentinel has no notes: closed without it, and says so.
        let want: &[&str] = if vendor == sentinel_client::SENTINEL {
            &["the note"]
        } else {
            &[]
        };
        assert_eq!(dropped, want, "{r}");
    }
    // The simulators hold the closes.
    let top = |v: Vendor| {
        run.incidents
            .iter()
            .find(|i| i.vendor == v)
            .unwrap()
            .id
            .clone()
    };
    let offense = qradar_sim
        .offense(top(qradar_client::QRADAR).parse().unwrap())
        .unwrap();
    assert_eq!(offense["status"], "CLOSED");
    assert!(
        qradar_sim
            .notes(top(qradar_client::QRADAR).parse().unwrap())
            .iter()
            .any(|n| n["note_text"] == options().note.as_str())
    );
    let incident = sentinel_sim
        .incident(top(sentinel_client::SENTINEL).parse().unwrap())
        .unwrap();
    assert_eq!(incident["state"], "CLOSED");
    let id = top(eset_connect_client::ESET_CONNECT);
    assert_eq!(
        eset_sim.incident(&id).unwrap()["status"],
        "INCIDENT_STATUS_CLOSED"
    );
    assert!(
        eset_sim
            .comments(&id)
            .iter()
            .any(|c| c["text"] == options().note.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_that_hangs_is_cut_off_and_one_without_verdicts_still_closes() {
    // Every answer of this QRadar is delayed far beyond the deadline.
    let hanging = QRadarSim::builder().offenses(5).start().await.unwrap();
    hanging.inject(Fault::Delay(Duration::from_secs(600)), 100);
    let qradar = QRadarClient::builder(hanging.url())
        .sec_token(hanging.token())
        .build()
        .unwrap();
    let pta_sim = PtaSim::builder().events(20).start().await.unwrap();
    let pta = PtaClient::builder(pta_sim.url())
        .credentials(pta_sim.username(), pta_sim.password())
        .build()
        .unwrap();
    let options = Options {
        deadline: Duration::from_secs(3),
        ..Options::default()
    };
    let sources: Vec<&dyn IncidentSource> = vec![&qradar, &pta];
    let run = triage::run(&sources, &options).await;
    for r in &run.vendors {
        println!("{r}");
    }
    let q = &run.vendors[0];
    assert!(
        matches!(q.listed, Err(Failure::Timeout(d)) if d == options.deadline),
        "{q}"
    );
    assert!(q.to_string().contains("timed out"), "{q}");

    // PTA records no verdict and takes no note: both refused, reported, and the event is
    // closed without them.
    let p = &run.vendors[1];
    let Some(Outcome::Closed {
        incident,
        refused,
        dropped,
    }) = &p.outcome
    else {
        panic!("{p}");
    };
    assert_eq!(incident.status, IncidentStatus::Closed);
    assert_eq!(dropped, &["the False Positive verdict", "the note"]);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].contains("does not support"), "{refused:?}");
    assert_eq!(pta_sim.event(&incident.id).unwrap()["mStatus"], "CLOSED");
}

/// The ticket queue of `cargo run --example custom_source`, a source written outside
/// incident-core, is triaged as the sixth source beside the five simulated vendors, as the
/// example does: listed, merged into the one table, and its top ticket closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_of_your_own_is_triaged_beside_the_five_vendors() {
    let qradar_sim = QRadarSim::builder().offenses(20).start().await.unwrap();
    let qradar = QRadarClient::builder(qradar_sim.url())
        .sec_token(qradar_sim.token())
        .build()
        .unwrap();
    let pta_sim = PtaSim::builder().events(20).start().await.unwrap();
    let pta = PtaClient::builder(pta_sim.url())
        .credentials(pta_sim.username(), pta_sim.password())
        .build()
        .unwrap();
    let sentinel_sim = SentinelSim::builder().incidents(20).start().await.unwrap();
    let (user, password) = sentinel_sim.credentials();
    let sentinel = SentinelClient::builder(sentinel_sim.url())
        .credentials(user, password)
        .build()
        .unwrap();
    let skyhigh_sim = SkyhighSim::builder().incidents(20).start().await.unwrap();
    let (user, password) = skyhigh_sim.credentials();
    let skyhigh = SkyhighClient::builder(skyhigh_sim.url())
        .basic_auth(user, password.to_owned())
        .build()
        .unwrap();
    let eset_sim = EsetSim::builder().incidents(20).start().await.unwrap();
    let (user, password) = eset_sim.credentials();
    let eset = EsetClient::builder_with_urls(eset_sim.url(), eset_sim.iam_url())
        .credentials(user, password)
        .build()
        .unwrap();
    let tickets = incident_examples::connect::tickets(30);
    let sources: Vec<&dyn IncidentSource> =
        vec![&qradar, &pta, &sentinel, &skyhigh, &eset, &*tickets.source];
    // The open tickets before the run: new, in progress or on hold (an escalated ticket is
    // another team's, in a status of the queue's own).
    let open: Vec<String> = {
        let listed: Vec<incident_core::Incident> = futures::TryStreamExt::try_collect(
            tickets
                .source
                .stream_incidents(incident_core::IncidentQuery::new()),
        )
        .await
        .unwrap();
        listed
            .into_iter()
            .filter(triage::is_open)
            .map(|i| i.id)
            .collect()
    };
    assert_eq!(open.len(), 21);

    let run = triage::run(&sources, &options()).await;
    for r in &run.vendors {
        println!("{r}");
    }
    let vendors: Vec<Vendor> = run.vendors.iter().map(|r| r.vendor).collect();
    assert_eq!(
        vendors,
        [
            qradar_client::QRADAR,
            cyberark_pta_client::CYBERARK_PTA,
            sentinel_client::SENTINEL,
            skyhigh_client::SKYHIGH,
            eset_connect_client::ESET_CONNECT,
            TICKETS,
        ]
    );
    for r in &run.vendors {
        assert!(!r.failed(), "{r}");
    }

    // Its open tickets are in the merged list, each once, in the triage order with the rest.
    let listed: Vec<&str> = run
        .incidents
        .iter()
        .filter(|i| i.vendor == TICKETS)
        .map(|i| i.id.as_str())
        .collect();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    let mut want: Vec<&str> = open.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(sorted, want);
    assert!(
        run.incidents
            .windows(2)
            .all(|w| triage::triage_order(&w[0], &w[1]).is_le())
    );
    // The most urgent open ticket (P1, the oldest of them) comes first of the queue's.
    assert_eq!(listed[0], "TCK-3");
    let table = triage::table(
        &run.incidents,
        200,
        incident_core::time::OffsetDateTime::now_utc(),
    );
    assert!(
        table.lines().any(|l| l.starts_with("ACME Tickets")
            && l.contains("TCK-3")
            && l.contains("Critical")),
        "{table}"
    );

    // Closed as a false positive with the note, nothing dropped: the queue records both.
    let report = run.vendors.iter().find(|r| r.vendor == TICKETS).unwrap();
    let Some(Outcome::Closed {
        incident, dropped, ..
    }) = &report.outcome
    else {
        panic!("{report}");
    };
    assert_eq!(incident.id, "TCK-3");
    assert_eq!(incident.status, IncidentStatus::Closed);
    assert_eq!(incident.verdict, Some(Verdict::FalsePositive));
    assert!(dropped.is_empty(), "{report}");
    let ticket = tickets.source.get_incident("TCK-3").await.unwrap();
    let ticket = ticket.record::<Ticket>().unwrap();
    assert_eq!(ticket.state, TicketState::Done);
    assert_eq!(ticket.resolution, Some(Resolution::FalseAlarm));
    let notes: Vec<&str> = ticket.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(notes, [options().note.as_str()]);
}
