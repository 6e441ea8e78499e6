//! Decoding the seed's examples and real published answers, with the documented quirks.
//!
//! Fixtures (values changed, structure and types kept as published):
//! - `ace_incidents.json`: the shape of `ace-ecosystem/ACE`
//!   `tests/saq/collectors/test_mvision/incidents.json` (commit 46b686bb): a wrapped
//!   `queryIncidents` answer with one DLP incident whose `information` is an object, and
//!   `actualLimit: 100` beside one incident.
//! - `xsoar_incidents.json`: the shape of the "Context Example" of `demisto/content`
//!   `Packs/McAfeeMVisionCASB/Integrations/McAfeeMVisionCASB/README.md` (commit d1236e2e):
//!   `CAP-` incidents with integer risk scores, `incidentRiskSeverityId` and a nested
//!   `device`.
//! - `seed_anomaly.json`, `seed_audit.json`: the seed's (002) anomaly and audit examples,
//!   turned from the syslog export into the API's JSON, the audit one with `information`
//!   as the seed's `{key, value}` array and `actorIdType` in the seed's `User` spelling.
//! - the ModifyIncident API page's example answer and the Knowledge Base's information keys,
//!   inline below.

use incident_core::{IncidentSource as _, Severity, Verdict};
use serde_json::{Value, json};
use skyhigh_client::normalize::incident_from_skyhigh;
use skyhigh_client::{
    ActorIdType, Incident, IncidentKind, IncidentResponse, IncidentStatus, ResponseInfo,
    RiskSeverity, SkyhighClient,
};
use time::macros::datetime;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_ace_collectors_answer() {
    let v = fixture("ace_incidents.json");
    let body: IncidentResponse = serde_json::from_value(v["body"].clone()).unwrap();
    assert_eq!(body.incidents.len(), 1);
    let info: &ResponseInfo = body.response_info.as_ref().unwrap();
    assert_eq!(info.actual_limit, Some(100), "not a count of the incidents");
    assert_eq!(info.next_offset, None);
    assert_eq!(info.error, None);
    assert_eq!(
        info.next_start_time.as_deref(),
        Some("2021-03-05T22:10:07.118Z")
    );
    let i = &body.incidents[0];
    assert_eq!(i.incident_id.as_ref().unwrap().kind(), IncidentKind::Dlp);
    assert_eq!(i.incident_id.as_ref().unwrap().number(), Some(48213));
    assert_eq!(i.actor_id_type, Some(ActorIdType::User));
    assert_eq!(i.incident_risk_score, Some(10.0));
    assert_eq!(i.incident_risk_severity, Some(RiskSeverity::High));
    assert_eq!(i.status, Some(IncidentStatus::New));
    assert_eq!(
        i.activity_names.as_deref(),
        Some(&["Modified".to_string()][..])
    );
    assert_eq!(i.instance_id, Some(10417));
    assert_eq!(
        i.time_modified,
        Some(datetime!(2021-03-04 09:41:12.305 UTC))
    );
    assert_eq!(i.significantly_updated_at, i.time_modified);
    assert_eq!(i.incident_group_id, None);
    let p = i.policy().unwrap();
    assert_eq!(p.policy_id, Some(281_734));
    assert_eq!(
        p.policy_name.as_deref(),
        Some("OneDrive Detection - Account Numbers")
    );
    assert_eq!(p.content_item_size, Some(98_765));
    assert_eq!(p.total_match_count, Some(812));
    assert_eq!(p.match_locations, Some(vec!["ledger.xlsx".to_string()]));
    assert_eq!(p.collaboration_shared_link, Some(false));
    assert_eq!(p.device, Some(json!({"ip": "0.0.0.0"})));
    assert_eq!(p.extra.get("externalCollaboratorsCount"), Some(&json!(0)));
    // Written back with every member (a null `incidentGroupId` is left out), read again the same.
    let back = serde_json::to_value(i).unwrap();
    assert_eq!(
        back["information"],
        v["body"]["incidents"][0]["information"]
    );
    assert_eq!(serde_json::from_value::<Incident>(back).unwrap(), *i);

    let n = incident_from_skyhigh(i.clone()).unwrap();
    assert_eq!(n.id, "DLP-48213");
    assert_eq!(n.title, "OneDrive Detection - Account Numbers");
    assert_eq!(
        n.description.as_deref(),
        Some("Alert.Policy.Dlp; actor rroe@example.org; services OneDrive")
    );
    assert_eq!(n.severity, Severity::High);
    assert_eq!(n.status, incident_core::IncidentStatus::New);
    assert_eq!(n.record::<Incident>(), Some(i));
}

#[test]
fn the_xsoar_context_example() {
    let v = fixture("xsoar_incidents.json");
    let incidents: Vec<Incident> = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(incidents.len(), 2);
    assert_eq!(incidents[0].incident_risk_score, Some(10.0));
    assert_eq!(incidents[1].incident_risk_score, Some(3.0));
    assert_eq!(incidents[0].incident_risk_severity_id, Some(2));
    assert_eq!(incidents[1].incident_risk_severity, Some(RiskSeverity::Low));
    assert_eq!(incidents[0].kind(), Some(IncidentKind::CloudAccessPolicy));
    let p = incidents[0].policy().unwrap();
    assert_eq!(
        p.last_executed_response_label.as_deref(),
        Some("Block Access")
    );
    assert_eq!(p.device.as_ref().unwrap()["os"]["platform"], "Windows");
    assert_eq!(p.content_item_type.as_deref(), Some("REQUEST"));
    // The integer scores are written back as doubles, as the documentation types them.
    let back = serde_json::to_value(&incidents).unwrap();
    assert_eq!(back[1]["incidentRiskScore"], json!(3.0));
    assert_eq!(back[0]["information"], v[0]["information"]);
    assert_eq!(
        serde_json::from_value::<Vec<Incident>>(back).unwrap(),
        incidents
    );
}

#[test]
fn the_seeds_anomaly_and_audit_examples() {
    let anomaly: Incident = serde_json::from_value(fixture("seed_anomaly.json")).unwrap();
    assert_eq!(anomaly.kind(), Some(IncidentKind::Anomaly));
    assert_eq!(anomaly.status, Some(IncidentStatus::Opened));
    let a = anomaly.anomaly().unwrap();
    assert_eq!(
        a.anomaly_category,
        Some(vec!["Access Anomalies".to_string()])
    );
    assert_eq!(a.anomaly_cause.as_deref(), Some("CUSTOMER BLACKLIST"));
    assert_eq!(a.cities.as_ref().map(Vec::len), Some(5));
    assert_eq!(a.countries.as_ref().unwrap()[0], "NO");
    assert_eq!(a.source_ips.as_ref().unwrap()[4], "2.148.4.85");
    assert_eq!(a.source_ip_orgs.as_ref().map(Vec::len), Some(5));
    assert_eq!(a.is_part_of_threat, Some(false));
    assert_eq!(a.threat_category.as_deref(), Some("Compromised Accounts"));
    assert_eq!(a.threshold_duration.as_deref(), Some("weekly"));
    assert_eq!(a.threshold_value, Some(-1.0));
    assert!(a.extra.contains_key("informationServicesAndAccountIds"));
    let t = anomaly.threat().unwrap();
    assert_eq!(t.threat_category.as_deref(), Some("Compromised Accounts"));

    let audit: Incident = serde_json::from_value(fixture("seed_audit.json")).unwrap();
    assert_eq!(
        audit.actor_id_type,
        Some(ActorIdType::User),
        "the seed's spelling"
    );
    assert_eq!(audit.kind(), Some(IncidentKind::Audit));
    let a = audit.audit().unwrap();
    assert_eq!(
        a.account_id.as_deref(),
        Some("dc960d72-efdf-4b89-adb8-4c78eb969c83")
    );
    assert_eq!(a.config_type.as_deref(), Some("SUBSCRIPTION"));
    assert_eq!(a.policy_id, Some(405_763));
    assert_eq!(a.content_item_name.as_deref(), Some("Microsoft Azure"));
    assert_eq!(a.category.as_deref(), Some("SecurityCenterRecommendations"));
    // The {key, value} array is written back as an object.
    let back = serde_json::to_value(&audit).unwrap();
    assert_eq!(back["information"]["informationPolicyId"], 405_763);
    let n = incident_from_skyhigh(audit).unwrap();
    assert_eq!(n.title, "Alert.Policy.Audit");
    assert_eq!(n.severity, Severity::Low);
}

#[test]
fn statuses_severities_and_unknown_values() {
    let text = json!({
        "incidentId": "THR-77",
        "actorIdType": "IpAddress",
        "actorId": "203.0.113.9",
        "incidentRiskSeverity": "info",
        "incidentRiskScore": "1.5",
        "status": "false positive",
        "timeCreated": "2024-05-01T09:00:00",
        "timeModified": "2024-05-01T11:00:00.000+0200",
        "brandNewField": {"x": 1}
    });
    let i: Incident = serde_json::from_value(text.clone()).unwrap();
    assert_eq!(i.actor_id_type, Some(ActorIdType::IpAddress));
    assert_eq!(i.incident_risk_severity, Some(RiskSeverity::Info));
    assert_eq!(i.incident_risk_score, Some(1.5));
    assert_eq!(i.status, Some(IncidentStatus::FalsePositive));
    assert_eq!(i.time_created, i.time_modified);
    assert_eq!(i.extra["brandNewField"], json!({"x": 1}));
    let n = incident_from_skyhigh(i).unwrap();
    assert_eq!(n.status, incident_core::IncidentStatus::Closed);
    assert_eq!(n.verdict, Some(Verdict::FalsePositive));
    assert_eq!(n.close_reason.as_deref(), Some("false positive"));
    assert_eq!(n.severity, Severity::Informational);

    let odd: Incident = serde_json::from_value(json!({
        "incidentId": "ZZZ-1", "status": "escalated", "incidentRiskSeverity": "critical",
        "actorIdType": "DEVICE", "information": null, "responses": null
    }))
    .unwrap();
    assert_eq!(
        odd.status,
        Some(IncidentStatus::Unknown("escalated".into()))
    );
    assert_eq!(
        odd.incident_risk_severity,
        Some(RiskSeverity::Unknown("critical".into()))
    );
    assert_eq!(
        odd.actor_id_type,
        Some(ActorIdType::Unknown("DEVICE".into()))
    );
    assert_eq!(odd.kind(), Some(IncidentKind::Unknown("ZZZ".into())));
    let n = incident_from_skyhigh(odd).unwrap();
    assert_eq!(
        n.status,
        incident_core::IncidentStatus::Other("escalated".into())
    );
    assert_eq!(n.severity, Severity::Other("critical".into()));
    assert_eq!(n.title, "Incident ZZZ-1");

    // An incident without an id cannot be normalized; a bad time is a decode error.
    assert!(incident_from_skyhigh(Incident::default()).is_err());
    let e =
        serde_json::from_value::<Incident>(json!({"timeModified": "May 17 2019 03:51:01.525 UTC"}))
            .unwrap_err();
    assert!(e.to_string().contains("not a date-time"), "{e}");
}

#[test]
fn the_modify_pages_example_answer() {
    // https://success.myshn.net/Skyhigh_SSE_APIs/Incidents_API/ModifyIncident__API
    let info: ResponseInfo = serde_json::from_value(json!({
        "actualLimit": 1, "apiElapsedMillis": 3004, "error": null, "nextOffset": null,
        "nextStartTime": null, "source": "shnapi-0296f506c07a6ec34.node.usprod.consul"
    }))
    .unwrap();
    assert_eq!(info.actual_limit, Some(1));
    assert_eq!(info.api_elapsed_millis, Some(3004));
    assert_eq!(info.error, None);
    assert!(info.extra.is_empty());
}

#[test]
fn the_normalized_capabilities_say_what_skyhigh_can_do() {
    let client = SkyhighClient::builder("https://www.myshn.net")
        .basic_auth("u", "p")
        .build()
        .unwrap();
    let caps = client.capabilities();
    assert!(caps.close && caps.verdict && !caps.close_requires_reason);
    assert!(!caps.assign && !caps.unassign && !caps.notes && !caps.set_severity);
    assert_eq!(caps.settable_statuses.len(), 3);
}

#[test]
fn times_at_the_end_of_the_range_decode_in_utc_and_write_back() {
    // Inside the range with an offset: decoded in UTC, written back (record, OCSF export)
    // without a panic.
    let i: Incident = serde_json::from_value(json!({
        "incidentId": "DLP-1",
        "timeCreated": "9999-12-31T22:59:59.999-01:00",
        "timeModified": "9999-12-31T23:59:59.999+0000",
    }))
    .unwrap();
    assert_eq!(i.time_created, Some(datetime!(9999-12-31 23:59:59.999 UTC)));
    assert_eq!(
        i.time_modified,
        Some(datetime!(9999-12-31 23:59:59.999 UTC))
    );
    let n = incident_from_skyhigh(i).unwrap();
    let record = n.record_json();
    assert_eq!(record["timeCreated"], "9999-12-31T23:59:59.999Z");
    assert_eq!(record["timeModified"], "9999-12-31T23:59:59.999Z");
    let ocsf = serde_json::to_value(n.to_ocsf()).unwrap();
    assert_eq!(ocsf["time"], 253_402_300_799_999_i64);

    // Past the year 9999 in UTC, before the year 0000, or a multi-byte character where
    // the offset would be: a decode error naming the value.
    for (field, text) in [
        ("timeCreated", "9999-12-31T23:59:59-01:00"),
        ("timeModified", "9999-12-31T23:59:59.000-0001"),
        ("significantlyUpdatedAt", "0000-01-01T00:00:00+01:00"),
        ("timeCreated", "aa\u{e9}0000"),
    ] {
        let err = serde_json::from_value::<Incident>(json!({ field: text })).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{text:?} is not a date-time Skyhigh sends"),
            "{field}"
        );
    }
}
