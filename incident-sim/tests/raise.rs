//! New incidents raised while a simulator runs: each vendor's `raise_*` adds one that is
//! open, created and updated now, with an id of its own, beside the seeded ones.

use std::time::{SystemTime, UNIX_EPOCH};

use incident_sim::{EsetSim, PtaSim, QRadarSim, SentinelSim, SkyhighSim};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap()
}

/// Milliseconds since the epoch of an RFC 3339 time.
fn ms(text: &Value) -> i64 {
    let t = OffsetDateTime::parse(text.as_str().unwrap(), &Rfc3339).unwrap();
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn recent(ms: i64, before: i64) {
    assert!(
        ms >= before && ms <= now_ms(),
        "{ms} not within [{before}, now]"
    );
}

#[tokio::test]
async fn every_simulator_raises_new_open_incidents() {
    let before = now_ms();

    let qradar = QRadarSim::builder().offenses(5).start().await.unwrap();
    let (a, b) = (qradar.raise_offense(), qradar.raise_offense());
    assert_eq!((a, b), (6, 7));
    let offense = qradar.offense(b).unwrap();
    assert_eq!(offense["status"], "OPEN");
    assert!(offense["assigned_to"].is_null());
    recent(offense["last_persisted_time"].as_i64().unwrap(), before);

    let pta = PtaSim::builder().events(5).start().await.unwrap();
    let (a, b) = (pta.raise_event(), pta.raise_event());
    assert_ne!(a, b);
    assert_eq!(pta.events().len(), 7);
    let event = pta.event(&b).unwrap();
    assert_eq!(event["mStatus"], "OPEN");
    recent(event["lastUpdateTime"].as_i64().unwrap(), before);
    recent(event["createTime"].as_i64().unwrap(), before);

    let sentinel = SentinelSim::builder().incidents(5).start().await.unwrap();
    let (a, b) = (sentinel.raise_incident(), sentinel.raise_incident());
    assert_eq!((a, b), (6, 7));
    let incident = sentinel.incident(b).unwrap();
    assert_eq!(incident["state"], "OPEN");
    assert_eq!(incident["users"], serde_json::json!([]));
    recent(ms(&incident["moddate"]), before);

    let eset = EsetSim::builder().incidents(5).start().await.unwrap();
    let (a, b) = (eset.raise_incident(), eset.raise_incident());
    assert_ne!(a, b);
    assert_eq!(eset.incident_uuids().len(), 7);
    let incident = eset.incident(&b).unwrap();
    assert_eq!(incident["status"], "INCIDENT_STATUS_OPEN");
    recent(ms(&incident["updateTime"]), before);

    let skyhigh = SkyhighSim::builder().incidents(5).start().await.unwrap();
    let (a, b) = (skyhigh.raise_incident(), skyhigh.raise_incident());
    assert!(a.ends_with("-1005") && b.ends_with("-1006"), "{a} {b}");
    let incident = skyhigh.incident(&b).unwrap();
    assert_eq!(incident["status"], "new");
    recent(ms(&incident["timeModified"]), before);
    // Listed last, in the time order.
    assert_eq!(
        skyhigh.incidents().last().unwrap()["incidentId"],
        b.as_str()
    );
}
