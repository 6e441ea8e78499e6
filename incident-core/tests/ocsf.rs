//! The OCSF export of hand-built incidents, validated against the JSON Schema of the OCSF
//! 1.8.0 Incident Finding class (`tests/ocsf/`, generated from the official schema).

#[path = "ocsf/schema.rs"]
mod schema;

use incident_core::ocsf::{Activity, Group, UNASSIGNED_GROUP};
use incident_core::{Incident, IncidentStatus, Severity, Vendor, Verdict};
use serde_json::{Value, json};
use time::macros::datetime;

/// Sources that name assignees by user name, and by id.
const VENDORS: [Vendor; 3] = [
    Vendor::new("alpha", "Alpha").product("Alpha SIEM", "Alpha Inc"),
    Vendor::new("bravo", "Bravo"),
    Vendor::new("delta", "Delta").assignees_by_id(),
];

fn statuses() -> Vec<IncidentStatus> {
    vec![
        IncidentStatus::Unknown,
        IncidentStatus::New,
        IncidentStatus::InProgress,
        IncidentStatus::OnHold,
        IncidentStatus::Resolved,
        IncidentStatus::Closed,
        IncidentStatus::Other("Hidden".into()),
    ]
}

fn severities() -> Vec<Severity> {
    vec![
        Severity::Unknown,
        Severity::Informational,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
        Severity::Fatal,
        Severity::Other("Magnitude 11".into()),
    ]
}

fn verdicts() -> Vec<Option<Verdict>> {
    vec![
        None,
        Some(Verdict::Unknown),
        Some(Verdict::FalsePositive),
        Some(Verdict::TruePositive),
        Some(Verdict::Disregard),
        Some(Verdict::Suspicious),
        Some(Verdict::Benign),
        Some(Verdict::Test),
        Some(Verdict::InsufficientData),
        Some(Verdict::SecurityRisk),
        Some(Verdict::ManagedExternally),
        Some(Verdict::Duplicate),
        Some(Verdict::Other("Policy exception".into())),
    ]
}

/// An incident with nothing but its id and title.
fn bare(vendor: Vendor) -> Incident {
    Incident::new(vendor, "1001", "Suspicious logon", json!({"id": 1001}))
}

/// An incident with every optional part filled.
fn full(vendor: Vendor) -> Incident {
    let mut i = bare(vendor);
    i.description = Some("Three failed logons, then a success, from a new country.".into());
    i.status = IncidentStatus::Closed;
    i.severity = Severity::High;
    i.assignee = Some("analyst1".into());
    i.created = Some(datetime!(2026-03-01 08:00:00.125 UTC));
    i.updated = Some(datetime!(2026-03-01 09:30 +01:00));
    i.closed = Some(datetime!(2026-03-01 10:00 UTC));
    i.verdict = Some(Verdict::FalsePositive);
    i.close_reason = Some("False-Positive, Tuned".into());
    i
}

fn export(incident: &Incident) -> Value {
    let value = serde_json::to_value(incident.to_ocsf()).unwrap();
    schema::assert_valid(&value);
    value
}

#[test]
fn every_status_severity_and_verdict_is_valid_with_the_ids_of_the_model() {
    let mut checked = 0;
    for status in statuses() {
        for severity in severities() {
            for verdict in verdicts() {
                let mut i = bare(VENDORS[0]);
                i.status = status.clone();
                i.severity = severity.clone();
                i.verdict = verdict.clone();
                let f = export(&i);
                assert_eq!(f["status_id"], status.ocsf_id());
                assert_eq!(f["status"], status.caption());
                assert_eq!(f["severity_id"], severity.ocsf_id());
                assert_eq!(f["severity"], severity.caption());
                match &verdict {
                    Some(v) => {
                        assert_eq!(f["verdict_id"], v.ocsf_id());
                        assert_eq!(f["verdict"], v.caption());
                    }
                    None => assert!(f.get("verdict_id").is_none() && f.get("verdict").is_none()),
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 7 * 8 * 13);
}

#[test]
fn every_vendor_with_and_without_optional_data() {
    for vendor in VENDORS {
        let minimal = export(&bare(vendor));
        assert_eq!(minimal["class_uid"], 2005);
        assert_eq!(minimal["category_uid"], 2);
        assert_eq!(minimal["activity_id"], 1);
        assert_eq!(minimal["type_uid"], 200_501);
        assert_eq!(minimal["metadata"]["version"], "1.8.0");
        assert_eq!(minimal["metadata"]["profiles"], json!(["incident"]));
        assert!(minimal["metadata"]["product"]["vendor_name"].is_string());
        assert_eq!(
            minimal["finding_info_list"],
            json!([{"uid": "1001", "title": "Suspicious logon"}])
        );
        assert_eq!(minimal["message"], "Suspicious logon");
        assert_eq!(minimal["raw_data"], r#"{"id":1001}"#);
        for absent in [
            "desc",
            "verdict_id",
            "comment",
            "src_url",
            "assignee",
            "unmapped",
        ] {
            assert!(
                minimal.get(absent).is_none(),
                "{vendor}: {absent} in {minimal:#}"
            );
        }

        let full = export(&full(vendor));
        assert_eq!(full["activity_id"], 3, "a closed incident reports Close");
        assert_eq!(full["type_uid"], 200_503);
        assert_eq!(full["activity_name"], "Close");
        assert_eq!(full["type_name"], "Incident Finding: Close");
        assert_eq!(
            full["time"], 1_772_359_200_000_i64,
            "the close time, the latest"
        );
        assert_eq!(full["timezone_offset"], 0);
        assert_eq!(full["unmapped"]["closed_time"], 1_772_359_200_000_i64);
        assert_eq!(
            full["finding_info_list"][0]["created_time"],
            1_772_352_000_125_i64
        );
        assert_eq!(
            full["finding_info_list"][0]["modified_time"],
            1_772_353_800_000_i64
        );
        assert_eq!(full["severity_id"], 4);
        assert_eq!(full["priority_id"], 3);
        assert_eq!(full["priority"], "High");
        assert_eq!(full["verdict_id"], 1);
        assert_eq!(full["verdict"], "False Positive");
        assert_eq!(full["comment"], "False-Positive, Tuned");
        assert_eq!(
            full["desc"],
            "Three failed logons, then a success, from a new country."
        );
        assert!(full.get("assignee_group").is_none());
        let by_id = vendor.names_assignees_by_id();
        let key = if by_id { "uid" } else { "name" };
        assert_eq!(full["assignee"], json!({key: "analyst1"}), "{vendor}");

        // With a console link and without the raw record.
        let linked = full_incident_with(vendor)
            .to_ocsf()
            .src_url("https://console.example.com/incidents/1001")
            .without_raw_data();
        let linked = serde_json::to_value(linked).unwrap();
        schema::assert_valid(&linked);
        assert_eq!(
            linked["src_url"],
            "https://console.example.com/incidents/1001"
        );
        assert!(linked.get("raw_data").is_none());
    }
}

fn full_incident_with(vendor: Vendor) -> Incident {
    let mut i = full(vendor);
    i.status = IncidentStatus::InProgress;
    i.verdict = None;
    i.close_reason = None;
    i
}

#[test]
fn the_product_of_each_source_is_its_identitys() {
    let products: Vec<Value> = VENDORS
        .iter()
        .map(|v| export(&bare(*v))["metadata"]["product"].clone())
        .collect();
    assert_eq!(
        products,
        [
            json!({"name": "Alpha SIEM", "vendor_name": "Alpha Inc"}),
            // Without a product, the display name names both.
            json!({"name": "Bravo", "vendor_name": "Bravo"}),
            json!({"name": "Delta", "vendor_name": "Delta"}),
        ]
    );
}

#[test]
fn severity_maps_to_severity_id_and_priority() {
    for (severity, severity_id, priority_id) in [
        (Severity::Unknown, 0, 0),
        (Severity::Informational, 1, 1),
        (Severity::Low, 2, 1),
        (Severity::Medium, 3, 2),
        (Severity::High, 4, 3),
        (Severity::Critical, 5, 4),
        (Severity::Fatal, 6, 4),
        (Severity::Other("Sev-X".into()), 99, 99),
    ] {
        let mut i = bare(VENDORS[2]);
        i.severity = severity.clone();
        let f = export(&i);
        assert_eq!(f["severity_id"], severity_id, "{severity}");
        assert_eq!(f["priority_id"], priority_id, "{severity}");
    }
}

#[test]
fn an_unassigned_incident_sits_in_the_unassigned_queue() {
    for vendor in VENDORS {
        for assignee in [None, Some(String::new()), Some(" ".to_string())] {
            let mut i = full(vendor);
            i.assignee = assignee;
            let f = export(&i);
            assert!(f.get("assignee").is_none(), "no user is made up");
            assert_eq!(f["assignee_group"]["name"], UNASSIGNED_GROUP);
            assert_eq!(
                f["assignee_group"]["desc"],
                format!("Not assigned to anyone in {vendor}")
            );
        }
    }
    // A SOC names its own queue.
    let own = bare(VENDORS[1])
        .to_ocsf()
        .assignee_group(Group::named("SOC Tier 1").with_uid("grp-7"));
    let own = serde_json::to_value(own).unwrap();
    schema::assert_valid(&own);
    assert_eq!(
        own["assignee_group"],
        json!({"name": "SOC Tier 1", "uid": "grp-7"})
    );
}

#[test]
fn every_activity_keeps_type_uid_in_step() {
    for (activity, id) in [
        (Activity::Unknown, 0),
        (Activity::Create, 1),
        (Activity::Update, 2),
        (Activity::Close, 3),
    ] {
        let f = serde_json::to_value(bare(VENDORS[2]).to_ocsf().activity(activity)).unwrap();
        schema::assert_valid(&f);
        assert_eq!(f["activity_id"], id);
        assert_eq!(f["type_uid"], 2005 * 100 + id);
    }
    // Changed after creation: Update.
    let mut i = full_incident_with(VENDORS[2]);
    i.closed = None;
    let f = export(&i);
    assert_eq!(
        (f["activity_id"].clone(), f["type_uid"].clone()),
        (json!(2), json!(200_502))
    );
    assert_eq!(f["time"], 1_772_353_800_000_i64, "the update time");
}

#[test]
fn text_is_carried_as_is() {
    let mut i = bare(VENDORS[2]);
    i.title = "Compte verrouillé \"admin\" <script>\n2e ligne".into();
    i.description = Some(String::new());
    i.close_reason = Some("Résolu\tpar l'équipe".into());
    let f = export(&i);
    assert_eq!(f["finding_info_list"][0]["title"], i.title.as_str());
    assert_eq!(f["desc"], "");
    assert_eq!(f["comment"], "Résolu\tpar l'équipe");
}

/// The validation is not vacuous: what breaks the class is refused.
#[test]
fn the_schema_refuses_what_breaks_the_class() {
    type Edit = dyn Fn(&mut Value);
    let good = export(&full(VENDORS[0]));
    let broken = |edit: &Edit| {
        let mut f = good.clone();
        edit(&mut f);
        schema::violations(&f)
    };
    let cases: [(&str, &Edit); 9] = [
        ("no assignee nor group", &|f| {
            f.as_object_mut().unwrap().remove("assignee");
        }),
        ("another class", &|f| f["class_uid"] = json!(2004)),
        ("a type_uid of another class", &|f| {
            f["type_uid"] = json!(200_401)
        }),
        ("an unknown status_id", &|f| f["status_id"] = json!(6)),
        ("a null", &|f| f["desc"] = Value::Null),
        ("an attribute the class lacks", &|f| f["title"] = json!("t")),
        ("time as text", &|f| {
            f["time"] = json!("2026-03-01T10:00:00Z")
        }),
        ("a finding without uid", &|f| {
            f["finding_info_list"][0]
                .as_object_mut()
                .unwrap()
                .remove("uid");
        }),
        ("metadata without version", &|f| {
            f["metadata"].as_object_mut().unwrap().remove("version");
        }),
    ];
    for (what, edit) in cases {
        assert!(!broken(edit).is_empty(), "{what} was accepted");
    }
    assert!(schema::violations(&good).is_empty());
}
