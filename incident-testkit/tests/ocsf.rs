//! Every incident of every vendor's simulator, listed through `IncidentSource` and exported
//! as an OCSF 1.8.0 Incident Finding, is valid against the class's JSON Schema (generated from
//! the official schema; see `incident-core/tests/ocsf/`).

#[path = "../../incident-core/tests/ocsf/schema.rs"]
mod schema;

use std::collections::BTreeSet;
use std::time::Duration;

use cyberark_pta_client::PtaClient;
use eset_connect_client::EsetClient;
use futures::TryStreamExt;
use incident_core::{Incident, IncidentQuery, IncidentSource, RetryPolicy, Vendor};
use incident_sim::{EsetSim, PtaSim, QRadarSim, SentinelSim, SkyhighSim};
use qradar_client::QRadarClient;
use sentinel_client::SentinelClient;
use serde_json::Value;
use skyhigh_client::SkyhighClient;

/// The five simulators, kept running while their clients are used.
struct Sims {
    _qradar: QRadarSim,
    _pta: PtaSim,
    _sentinel: SentinelSim,
    _skyhigh: SkyhighSim,
    _eset: EsetSim,
}

/// Each vendor's client against its simulator, built as in its `tests/conformance.rs`, with
/// the number of incidents the simulator holds.
async fn start_all() -> (Sims, Vec<(Box<dyn IncidentSource>, usize)>) {
    let fast = || RetryPolicy::default().initial_backoff(Duration::from_millis(10));

    let qradar = QRadarSim::builder().offenses(60).start().await.unwrap();
    let qradar_client = QRadarClient::builder(qradar.url())
        .sec_token(qradar.token())
        .retry_policy(fast())
        .build()
        .unwrap();

    let pta = PtaSim::builder()
        .events(45)
        .credentials("soc-bot", "ocsf-export-password")
        .start()
        .await
        .unwrap();
    let pta_client = PtaClient::builder(pta.url())
        .credentials(pta.username(), pta.password())
        .retry_policy(fast())
        .build()
        .unwrap();

    let sentinel = SentinelSim::builder().incidents(45).start().await.unwrap();
    let (user, password) = sentinel.credentials();
    let sentinel_client = SentinelClient::builder(sentinel.url())
        .credentials(user, password)
        .retry_policy(fast())
        .build()
        .unwrap();

    let skyhigh = SkyhighSim::builder().incidents(60).start().await.unwrap();
    let (user, password) = skyhigh.credentials();
    let skyhigh_client = SkyhighClient::builder(skyhigh.url())
        .basic_auth(user, password.to_owned())
        .retry_policy(fast())
        .build()
        .unwrap();

    let eset = EsetSim::builder().rate_limit(None).start().await.unwrap();
    let (user, password) = eset.credentials();
    let eset_client = EsetClient::builder_with_urls(eset.url(), eset.iam_url())
        .credentials(user, password)
        .no_rate_limit()
        .poll_interval(Duration::from_millis(5))
        .retry_policy(fast())
        .build()
        .unwrap();

    let sources: Vec<(Box<dyn IncidentSource>, usize)> = vec![
        (Box::new(qradar_client), 60),
        (Box::new(pta_client), 45),
        (Box::new(sentinel_client), 45),
        (Box::new(skyhigh_client), 60),
        (Box::new(eset_client), 60),
    ];
    let sims = Sims {
        _qradar: qradar,
        _pta: pta,
        _sentinel: sentinel,
        _skyhigh: skyhigh,
        _eset: eset,
    };
    (sims, sources)
}

/// The OCSF severity_id a vendor's own severity word must give, where the vendor has words.
fn expected_severity_id(vendor: Vendor, record: &Value) -> Option<u64> {
    let id = if vendor == skyhigh_client::SKYHIGH {
        match record["incidentRiskSeverity"].as_str()? {
            "info" => 1,
            "low" => 2,
            "medium" => 3,
            "high" => 4,
            _ => return None,
        }
    } else if vendor == eset_connect_client::ESET_CONNECT {
        match record["severity"].as_str()? {
            "INCIDENT_SEVERITY_LEVEL_LOW" => 2,
            "INCIDENT_SEVERITY_LEVEL_MEDIUM" => 3,
            "INCIDENT_SEVERITY_LEVEL_HIGH" => 4,
            _ => return None,
        }
    } else {
        return None;
    };
    Some(id)
}

/// What the exported findings of one vendor held, to show the run was not vacuous.
#[derive(Debug, Default)]
struct Seen {
    statuses: BTreeSet<u64>,
    severities: BTreeSet<u64>,
    verdicts: BTreeSet<u64>,
    activities: BTreeSet<u64>,
    assigned: usize,
    unassigned: usize,
    severity_words_checked: usize,
}

fn check(incident: &Incident, seen: &mut Seen) {
    let finding = serde_json::to_value(incident.to_ocsf()).unwrap();
    schema::assert_valid(&finding);

    let vendor = incident.vendor;
    let ctx = format!("{vendor} {}", incident.id);
    assert_eq!(finding["class_uid"], 2005, "{ctx}");
    assert_eq!(finding["category_uid"], 2, "{ctx}");
    let activity = finding["activity_id"].as_u64().unwrap();
    assert_eq!(finding["type_uid"], 2005 * 100 + activity, "{ctx}");
    assert_eq!(finding["metadata"]["version"], "1.8.0", "{ctx}");
    assert_eq!(finding["finding_info_list"][0]["uid"], incident.id, "{ctx}");
    assert_eq!(finding["status_id"], incident.status.ocsf_id(), "{ctx}");
    assert_eq!(finding["severity_id"], incident.severity.ocsf_id(), "{ctx}");
    assert!(finding["time"].as_i64().unwrap() > 0, "{ctx}");

    // The vendor's record travels as raw_data, unchanged.
    let record: Value = serde_json::from_str(finding["raw_data"].as_str().unwrap()).unwrap();
    assert_eq!(record, incident.record_json(), "{ctx}");
    if let Some(id) = expected_severity_id(vendor, &record) {
        assert_eq!(finding["severity_id"], id, "{ctx}: {record}");
        seen.severity_words_checked += 1;
    }

    match finding.get("assignee") {
        Some(user) => {
            let by_id = vendor.names_assignees_by_id();
            let key = if by_id { "uid" } else { "name" };
            assert_eq!(
                user[key].as_str(),
                incident.assignee.as_deref(),
                "{ctx}: {user}"
            );
            seen.assigned += 1;
        }
        None => {
            assert_eq!(finding["assignee_group"]["name"], "Unassigned", "{ctx}");
            seen.unassigned += 1;
        }
    }
    if let Some(v) = &incident.verdict {
        assert_eq!(finding["verdict_id"], v.ocsf_id(), "{ctx}");
        seen.verdicts.insert(u64::from(v.ocsf_id()));
    }
    seen.statuses.insert(u64::from(incident.status.ocsf_id()));
    seen.severities
        .insert(u64::from(incident.severity.ocsf_id()));
    seen.activities.insert(activity);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_simulator_incident_is_a_valid_ocsf_incident_finding() {
    let (_sims, sources) = start_all().await;
    let mut total = 0;
    let mut all_verdicts = BTreeSet::new();
    for (source, expected) in &sources {
        let vendor = source.vendor();
        let incidents: Vec<Incident> = source
            .stream_incidents(IncidentQuery::new().page_size(25))
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("{vendor}: {e}"));
        assert_eq!(
            incidents.len(),
            *expected,
            "{vendor}: every incident listed"
        );

        let mut seen = Seen::default();
        for incident in &incidents {
            check(incident, &mut seen);
        }
        println!("{vendor}: {} findings valid, {seen:?}", incidents.len());

        // The simulators hold incidents in more than one state, and the export followed.
        assert!(seen.statuses.len() >= 2, "{vendor}: {seen:?}");
        assert!(
            seen.activities.contains(&3),
            "{vendor}: a closed one: {seen:?}"
        );
        assert!(seen.unassigned > 0, "{vendor}: {seen:?}");
        if [
            qradar_client::QRADAR,
            sentinel_client::SENTINEL,
            eset_connect_client::ESET_CONNECT,
        ]
        .contains(&vendor)
        {
            assert!(seen.assigned > 0, "{vendor}: {seen:?}")
        } else {
            // No assignee in these APIs: every incident is in the unassigned queue.
            assert_eq!(seen.assigned, 0, "{vendor}: {seen:?}")
        }
        if [skyhigh_client::SKYHIGH, eset_connect_client::ESET_CONNECT].contains(&vendor) {
            assert_eq!(seen.severity_words_checked, incidents.len(), "{vendor}");
            assert!(seen.severities.len() >= 2, "{vendor}: {seen:?}");
        }
        all_verdicts.extend(seen.verdicts);
        total += incidents.len();
    }
    assert_eq!(total, 60 + 45 + 45 + 60 + 60);
    assert!(
        all_verdicts.contains(&1),
        "a false positive somewhere: {all_verdicts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_incident_from_get_incident_is_valid_too() {
    let (_sims, sources) = start_all().await;
    for (source, _) in &sources {
        let first: Vec<Incident> = source
            .stream_incidents(IncidentQuery::new().limit(1))
            .try_collect()
            .await
            .unwrap();
        // ESET's get holds more than its listing (device and detection uuids).
        let got = source.get_incident(&first[0].id).await.unwrap();
        let finding = serde_json::to_value(got.to_ocsf()).unwrap();
        schema::assert_valid(&finding);
        assert_eq!(finding["finding_info_list"][0]["uid"], first[0].id);
    }
}
