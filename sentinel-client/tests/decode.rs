//! Decoding Sentinel's documented samples (see `fixtures/README.md` for the source of each)
//! and the quirks a real server adds.

use incident_core::IncidentStatus;
use sentinel_client::normalize::incident_from_sentinel;
use sentinel_client::{ExternalData, Incident, IncidentEvent, IncidentState, Page, Rating};
use serde_json::{Value, json};
use time::macros::datetime;

const SEED: &str = include_str!("fixtures/incident_seed.json");
const PUT_SEED: &str = include_str!("fixtures/incident_put_seed.json");
const HOST: &str = "https://164.99.19.131:8443/SentinelRESTServices/objects";

#[test]
fn the_seed_sample_decodes_completely() {
    let i: Incident = serde_json::from_str(SEED).unwrap();
    let meta = i.meta.as_ref().unwrap();
    assert_eq!(meta.object_type.as_deref(), Some("incident"));
    assert_eq!(i.id().as_deref(), Some("42"));
    assert_eq!(i.name.as_deref(), Some("Failed Logins"));
    assert_eq!(i.category.as_deref(), Some("Denial of Service"));
    assert_eq!(
        i.desc.as_deref(),
        Some("Detected more that 100 failed logins in a 10 minute period.")
    );
    assert_eq!(i.state, Some(IncidentState::Investigating));
    assert_eq!((i.severity, i.priority), (Some(4), Some(1)));
    assert_eq!(i.resolution.as_deref(), Some("Locked user account."));
    assert_eq!(i.sev_rating, Some(Rating::Text("5".into())));
    assert_eq!(i.sev_rating.as_ref().unwrap().as_f64(), Some(5.0));
    assert_eq!(i.crit_rating, Some(Rating::Text("Wildebeest".into())));
    assert_eq!(i.vuln_rating.as_ref().unwrap().as_f64(), None);
    assert_eq!(i.createdate, Some(datetime!(2012-04-25 13:33:44.522 UTC)));
    assert_eq!(i.moddate, Some(datetime!(2012-04-25 13:33:44.522 UTC)));
    assert_eq!(i.user_ids(), ["42"]);
    let first = |v: &Option<Vec<sentinel_client::ObjectRef>>| v.as_ref().unwrap()[0].clone();
    assert_eq!(first(&i.users).object_type().as_deref(), Some("user"));
    assert_eq!(
        first(&i.attachments).as_str(),
        format!("{HOST}/attachment/42")
    );
    assert_eq!(
        first(&i.external_datas).object_type().as_deref(),
        Some("external-data")
    );
    assert_eq!(
        first(&i.workflow_infos).object_type().as_deref(),
        Some("workflow-info")
    );
    assert_eq!(first(&i.annotations), first(&i.notes));
    let events = i.events.as_ref().unwrap().href.as_ref().unwrap();
    assert_eq!(
        events.as_str(),
        format!("{HOST}/incident-events?query=incident-id.e42")
    );
    assert!(i.extra.is_empty(), "{:?}", i.extra);
    // Every field comes back as it was sent.
    let sent: Value = serde_json::from_str(SEED).unwrap();
    assert_eq!(serde_json::to_value(&i).unwrap(), sent);
}

#[test]
fn the_seed_put_sample_decodes_and_round_trips() {
    let i: Incident = serde_json::from_str(PUT_SEED).unwrap();
    assert_eq!(i.meta, None);
    assert_eq!(i.id(), None);
    assert_eq!(i.state, Some(IncidentState::Investigating));
    let sent: Value = serde_json::from_str(PUT_SEED).unwrap();
    assert_eq!(serde_json::to_value(&i).unwrap(), sent);
}

#[test]
fn the_seed_sample_normalizes() {
    let i: Incident = serde_json::from_str(SEED).unwrap();
    let n = incident_from_sentinel(i).unwrap();
    assert_eq!(n.id, "42");
    assert_eq!(n.title, "Failed Logins");
    assert_eq!(n.status, IncidentStatus::InProgress);
    assert_eq!(n.severity, incident_core::Severity::High);
    assert_eq!(n.assignee.as_deref(), Some("42"));
    assert_eq!(n.created, Some(datetime!(2012-04-25 13:33:44.522 UTC)));
    // Not closed: no close reason or verdict read from the resolution.
    assert_eq!((&n.close_reason, &n.verdict), (&None, &None));
    assert_eq!(
        n.record::<Incident>().unwrap().name.as_deref(),
        Some("Failed Logins")
    );
}

#[test]
fn quirks_of_real_servers() {
    let i: Incident = serde_json::from_value(json!({
        "meta": {"type": "incident", "@href": "/SentinelRESTServices/objects/incident/7", "x": 1},
        "state": "Escalated",
        "severity": "3",
        "priority": 2.0,
        "sev-rating": 3.5,
        "crit-rating": null,
        "users": [{"@href": "https://h/SentinelRESTServices/objects/user/5"}],
        "resolution": null,
        "createdate": "2024-06-01T10:00:00+02:00",
        "moddate": 1717228800123u64,
        "custom-field": {"a": [1, 2]},
    }))
    .unwrap();
    assert_eq!(i.id().as_deref(), Some("7"));
    assert_eq!(i.state, Some(IncidentState::Unknown("Escalated".into())));
    assert_eq!((i.severity, i.priority), (Some(3), Some(2)));
    assert_eq!(i.sev_rating.as_ref().unwrap().as_f64(), Some(3.5));
    assert_eq!(i.crit_rating, None);
    assert_eq!(i.user_ids(), ["5"]);
    assert_eq!(i.createdate, Some(datetime!(2024-06-01 08:00:00 UTC)));
    assert_eq!(i.moddate, Some(datetime!(2024-06-01 08:00:00.123 UTC)));
    assert_eq!(i.extra["custom-field"], json!({"a": [1, 2]}));
    assert_eq!(i.meta.as_ref().unwrap().extra["x"], json!(1));
    let n = incident_from_sentinel(i.clone()).unwrap();
    assert_eq!(n.status, IncidentStatus::Other("Escalated".into()));
    // Written back: the dates in Sentinel's form, the unknown values as they came.
    let back = serde_json::to_value(&i).unwrap();
    assert_eq!(back["state"], "Escalated");
    assert_eq!(back["moddate"], "2024-06-01T08:00:00.123Z");
    assert_eq!(back["custom-field"], json!({"a": [1, 2]}));

    // `field=[none]`: metadata only.
    let meta_only: Incident =
        serde_json::from_str(r#"{"meta":{"@href":"/SentinelRESTServices/objects/incident/9"}}"#)
            .unwrap();
    assert_eq!(meta_only.id().as_deref(), Some("9"));
    assert!(incident_from_sentinel(Incident::default()).is_err());

    // Wrong types give a decode error naming the field.
    for (bad, field) in [
        (json!({"severity": "high"}), "severity"),
        (json!({"createdate": "yesterday"}), "createdate"),
        (json!({"users": "x"}), "users"),
        (json!({"sev-rating": [1]}), "sev-rating"),
    ] {
        let text = bad.to_string();
        let err = incident_core::transport::decode_json::<Incident>(text.as_bytes()).unwrap_err();
        assert!(err.0.contains(field), "{field}: {}", err.0);
    }
}

#[test]
fn pages_events_and_external_data() {
    let page: Page<Incident> = serde_json::from_value(json!({
        "objects": [serde_json::from_str::<Value>(SEED).unwrap()],
        "next": format!("{HOST}/incident?page=2&pagesize=1"),
        "prev": null,
    }))
    .unwrap();
    assert_eq!(page.objects.len(), 1);
    assert!(page.next.unwrap().ends_with("page=2&pagesize=1"));
    assert_eq!(page.prev, None);
    let empty: Page<Incident> = serde_json::from_str("{}").unwrap();
    assert!(empty.objects.is_empty());

    // incident-eventsinstance-ops: {meta, createdate, moddate, incident-id (a number), event-id}.
    let e: IncidentEvent = serde_json::from_value(json!({
        "meta": {"type": "incident-events", "@href": format!("{HOST}/incident-events/0E5C5D66-9B4B-4E6B-9F0D-5A3C1B2E4F60/201")},
        "createdate": "2012-04-25T13:33:44.507Z",
        "moddate": "2012-04-25T13:33:44.507Z",
        "incident-id": 201,
        "event-id": "0e5c5d66-9b4b-4e6b-9f0d-5a3c1b2e4f60",
    }))
    .unwrap();
    assert_eq!(e.incident_id, Some(201));
    assert_eq!(e.createdate, Some(datetime!(2012-04-25 13:33:44.507 UTC)));
    assert!(
        e.meta
            .unwrap()
            .href
            .unwrap()
            .as_str()
            .to_lowercase()
            .contains(e.event_id.as_deref().unwrap())
    );

    // external-datainstance-ops: {meta, id, source, data, type, createdate, moddate, creator, modifier}.
    let x: ExternalData = serde_json::from_value(json!({
        "meta": {"type": "external-data", "@href": format!("{HOST}/external-data/42")},
        "id": "INC0012345",
        "source": "ServiceNow",
        "data": "{\"priority\": 2}",
        "type": "ticket",
        "createdate": "2012-04-25T13:33:44.507Z",
        "moddate": "2012-04-25T13:33:44.507Z",
        "creator": format!("{HOST}/user/42"),
        "modifier": format!("{HOST}/user/42"),
    }))
    .unwrap();
    assert_eq!(x.meta.as_ref().unwrap().id().as_deref(), Some("42"));
    assert_eq!(x.source.as_deref(), Some("ServiceNow"));
    assert_eq!(x.data_type.as_deref(), Some("ticket"));
    assert_eq!(x.creator.unwrap().id().as_deref(), Some("42"));
}

#[test]
fn times_at_the_end_of_the_range_decode_in_utc_and_write_back() {
    // Inside the range with an offset: decoded in UTC, written back (record, OCSF export)
    // without a panic.
    let mut v: Value = serde_json::from_str(SEED).unwrap();
    v["createdate"] = json!("9999-12-31T22:59:59.999-01:00");
    v["moddate"] = json!("253402300799999");
    let i: Incident = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(i.createdate, Some(datetime!(9999-12-31 23:59:59.999 UTC)));
    assert_eq!(i.moddate, Some(datetime!(9999-12-31 23:59:59.999 UTC)));
    let n = incident_from_sentinel(i).unwrap();
    let record = n.record_json();
    assert_eq!(record["createdate"], "9999-12-31T23:59:59.999Z");
    assert_eq!(record["moddate"], "9999-12-31T23:59:59.999Z");
    let ocsf = serde_json::to_value(n.to_ocsf()).unwrap();
    assert_eq!(ocsf["time"], 253_402_300_799_999_i64);

    // Past the year 9999 in UTC, or milliseconds whose product overflows: a decode error
    // naming the value.
    for (field, text) in [
        ("createdate", "9999-12-31T23:59:59-01:00"),
        ("moddate", "201922337201922337203685477580836"),
        ("moddate", "253402300800000"),
    ] {
        let mut bad = v.clone();
        bad[field] = json!(text);
        let err = serde_json::from_value::<Incident>(bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{text:?} is not an ISO 8601 date-time (or milliseconds since 1970) in the \
                 years 0000 to 9999"
            ),
            "{field}"
        );
    }
}
