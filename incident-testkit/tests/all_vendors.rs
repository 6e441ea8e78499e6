//! The IncidentSource conformance suite against the simulators of all five vendors, in one
//! binary, and the capability matrix of the README checked against the clients.
//!
//! Each vendor's run checks every line of its `Capabilities` against the behaviour: each
//! status it lists filters exactly and each other OCSF status is unsupported, each verdict it
//! lists closes and reads back and each other is unsupported, each severity it lists is set
//! and each other is unsupported, and assign, unassign, notes, reopen as declared.

use std::time::Duration;

use cyberark_pta_client::PtaClient;
use eset_connect_client::EsetClient;
use futures::TryStreamExt;
use incident_core::mapping::{
    OCSF_SEVERITIES, OCSF_STATUSES, OCSF_VERDICTS, capability_matrix, matrix_in,
};
use incident_core::{
    Capabilities, Closure, Incident, IncidentQuery, IncidentSource, IncidentStatus, RetryPolicy,
    Vendor, Verdict,
};
use incident_sim::skyhigh::PageBoundary;
use incident_sim::{EsetSim, PtaSim, QRadarSim, SentinelSim, SkyhighSim};
use incident_testkit::{Fixture, Report, run_conformance};
use qradar_client::QRadarClient;
use sentinel_client::SentinelClient;
use skyhigh_client::SkyhighClient;

fn retry() -> RetryPolicy {
    RetryPolicy::default().initial_backoff(Duration::from_millis(10))
}

async fn first_new(source: &dyn IncidentSource) -> String {
    let first: Vec<Incident> = source
        .stream_incidents(IncidentQuery::new().status(IncidentStatus::New).limit(1))
        .try_collect()
        .await
        .unwrap();
    first[0].id.clone()
}

/// Checks that the report holds, for each status, verdict and severity, the check that its
/// capabilities call for, passed; and that the capabilities of the report are the client's.
fn assert_follows_capabilities(report: &Report, caps: &Capabilities) {
    assert_eq!(&report.capabilities, caps);
    let passed = |name: String| {
        assert!(report.has_passed(&name), "{name} did not pass:\n{report}");
    };
    for status in OCSF_STATUSES {
        passed(if caps.filters_status(&status) {
            format!("status filter {status}")
        } else {
            format!("status filter {status} is unsupported")
        });
    }
    for verdict in OCSF_VERDICTS {
        passed(if caps.records_verdict(&verdict) {
            format!("close with verdict {verdict}")
        } else {
            format!("close with verdict {verdict} is unsupported")
        });
    }
    if caps.set_severity {
        for severity in OCSF_SEVERITIES {
            passed(if caps.sets_severity(&severity) {
                format!("set severity {severity}")
            } else {
                format!("severity {severity} is unsupported")
            });
        }
    } else {
        passed("severity is unsupported".into());
    }
    for (allowed, name) in [
        (caps.assign, "assign"),
        (caps.notes, "note"),
        (caps.close, "close"),
    ] {
        passed(if allowed {
            name.to_owned()
        } else {
            format!("{name} is unsupported")
        });
    }
    if caps.assign {
        passed(if caps.unassign {
            "unassign".to_owned()
        } else {
            "unassign is unsupported".to_owned()
        });
    }
    for field in ["Created", "Updated"] {
        passed(format!("time window on {field}"));
    }
    for name in [
        "paging",
        "incidents() stream",
        "get_incident equals the listing",
        "get_incident of a missing id",
        "refused changes change nothing",
    ] {
        passed(name.to_owned());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qradar() {
    let sim = QRadarSim::builder().offenses(60).start().await.unwrap();
    let client = QRadarClient::builder(sim.url())
        .sec_token(sim.token())
        .retry_policy(retry())
        .build()
        .unwrap();
    let fixture = Fixture::new(first_new(&client).await, "999999")
        .page_size(7)
        .assignee("analyst1")
        .closure(Closure::verdict(Verdict::FalsePositive))
        .reopen(IncidentStatus::InProgress);
    let report = run_conformance(&client, &fixture).await;
    println!("{report}");
    assert_eq!(report.incidents, 60);
    assert_follows_capabilities(&report, &client.capabilities());
    assert!(report.has_passed("status filter Hidden"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cyberark_pta() {
    let sim = PtaSim::builder().events(45).start().await.unwrap();
    let client = PtaClient::builder(sim.url())
        .credentials(sim.username(), sim.password())
        .retry_policy(retry())
        .build()
        .unwrap();
    let fixture = Fixture::new(first_new(&client).await, "0123456789abcdef01234567")
        .page_size(7)
        .closure(Closure::default())
        .reopen(IncidentStatus::New);
    let report = run_conformance(&client, &fixture).await;
    println!("{report}");
    assert_eq!(report.incidents, 45);
    assert_follows_capabilities(&report, &client.capabilities());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel() {
    let sim = SentinelSim::builder().incidents(45).start().await.unwrap();
    let id = sim
        .incident_ids()
        .into_iter()
        .find(|id| {
            let i = sim.incident(*id).unwrap();
            i["state"] == "OPEN" && i["users"].as_array().is_none_or(Vec::is_empty)
        })
        .expect("the seed has an open, unassigned incident");
    let (user, password) = sim.credentials();
    let client = SentinelClient::builder(sim.url())
        .credentials(user, password)
        .retry_policy(retry())
        .build()
        .unwrap();
    let fixture = Fixture::new(id.to_string(), "999999")
        .page_size(10)
        .assignee("3")
        .closure(Closure::reason("Compte verrouillé.").with_verdict(Verdict::FalsePositive))
        .reopen(IncidentStatus::New);
    let report = run_conformance(&client, &fixture).await;
    println!("{report}");
    assert_eq!(report.incidents, 45);
    assert_follows_capabilities(&report, &client.capabilities());
}

/// Both page boundaries Skyhigh is seen to answer with: the documented one (the incidents
/// sharing the last timestamp kept in the page, beyond the limit) and the repeated one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skyhigh() {
    for boundary in [PageBoundary::IncludeTies, PageBoundary::RepeatBoundary] {
        let sim = SkyhighSim::builder()
            .incidents(60)
            .page_boundary(boundary)
            .start()
            .await
            .unwrap();
        let (user, password) = sim.credentials();
        let client = SkyhighClient::builder(sim.url())
            .basic_auth(user, password.to_owned())
            .retry_policy(retry())
            .build()
            .unwrap();
        let fixture = Fixture::new(first_new(&client).await, "DLP-999999")
            .page_size(7)
            .filter_status(IncidentStatus::Other("Suppressed".into()))
            .closure(Closure::verdict(Verdict::FalsePositive))
            .reopen(IncidentStatus::InProgress);
        let report = run_conformance(&client, &fixture).await;
        println!("{boundary:?}: {report}");
        assert_eq!(report.incidents, 60, "{boundary:?}");
        assert_follows_capabilities(&report, &client.capabilities());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eset_connect() {
    let sim = EsetSim::builder().rate_limit(None).start().await.unwrap();
    let (user, password) = sim.credentials();
    let client = EsetClient::builder_with_urls(sim.url(), sim.iam_url())
        .credentials(user, password)
        .no_rate_limit()
        .poll_interval(Duration::from_millis(5))
        .retry_policy(retry())
        .build()
        .unwrap();
    let fixture = Fixture::new(
        sim.open_unassigned().unwrap(),
        "00000000-0000-4000-8000-000000000000",
    )
    .page_size(7)
    .assignee(sim.users()[1].clone())
    .closure(Closure::verdict(Verdict::FalsePositive))
    .reopen(IncidentStatus::New)
    .listing_omits("deviceUuids")
    .listing_omits("detectionUuids");
    let report = run_conformance(&client, &fixture).await;
    println!("{report}");
    assert_eq!(report.incidents, 60);
    assert_follows_capabilities(&report, &client.capabilities());
}

/// The five clients, built without a server (capabilities need none).
fn clients() -> Vec<Box<dyn IncidentSource>> {
    let url = "https://incidents.example.com";
    vec![
        Box::new(QRadarClient::builder(url).sec_token("t").build().unwrap()),
        Box::new(
            PtaClient::builder(url)
                .credentials("u", "p")
                .build()
                .unwrap(),
        ),
        Box::new(
            SentinelClient::builder(url)
                .credentials("u", "p")
                .build()
                .unwrap(),
        ),
        Box::new(
            SkyhighClient::builder(url)
                .basic_auth("u", "p")
                .build()
                .unwrap(),
        ),
        Box::new(
            EsetClient::builder_with_urls(url, "https://iam.example.com")
                .credentials("u", "p")
                .build()
                .unwrap(),
        ),
    ]
}

#[test]
fn the_capability_matrix_of_the_docs_is_the_clients() {
    let sources = clients();
    let vendors: Vec<Vendor> = sources.iter().map(|s| s.vendor()).collect();
    assert_eq!(
        vendors,
        [
            qradar_client::QRADAR,
            cyberark_pta_client::CYBERARK_PTA,
            sentinel_client::SENTINEL,
            skyhigh_client::SKYHIGH,
            eset_connect_client::ESET_CONNECT
        ]
    );
    let matrix = capability_matrix(
        &sources
            .iter()
            .map(|s| (s.vendor(), s.capabilities()))
            .collect::<Vec<_>>(),
    );
    // The README holds the one matrix of the five clients: incident-core's mapping docs name
    // no vendor.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let found = matrix_in(&readme).expect("README.md has no <!-- capability-matrix --> section");
    assert!(
        found == matrix.trim_end(),
        "the capability matrix in README.md differs from the clients' capabilities; \
         replace it with:\n\n{matrix}"
    );
}
