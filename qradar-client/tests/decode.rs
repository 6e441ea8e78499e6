//! Decoding of QRadar's documented and real-world JSON into the model types: the seed's own
//! sample, nulls and missing fields, floats and strings where integers are documented,
//! unknown enum values and extra fields, partial objects from `fields=`, and round trips.

use incident_core::ErrorKind;
use incident_core::reqwest::StatusCode;
use incident_core::reqwest::header::HeaderMap;
use incident_core::transport::ErrorParser;
use qradar_client::error::{QRadarErrorBody, QRadarErrorCode, QRadarErrorParser};
use qradar_client::model::{
    AssignableActor, ClosingReason, DatabaseType, LogSource, Note, Offense, OffenseRule,
    OffenseStatus, OffenseType, RuleType,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::macros::datetime;

const SEED: &str = include_str!("fixtures/offense_seed.json");
const REAL: &str = include_str!("fixtures/offense_real.json");
const LIST: &str = include_str!("fixtures/offenses_list.json");
const NOTES: &str = include_str!("fixtures/notes.json");
const CLOSING_REASONS: &str = include_str!("fixtures/closing_reasons.json");
const OFFENSE_TYPES: &str = include_str!("fixtures/offense_types.json");
const ERROR_404: &str = include_str!("fixtures/error_404.json");

fn decode<T: DeserializeOwned>(text: &str) -> T {
    match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("decode failed: {e}"),
    }
}

/// Serializes, decodes again, and checks nothing changed.
fn assert_round_trip<T>(value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let text = serde_json::to_string(value).expect("serialize");
    let again: T = decode(&text);
    assert_eq!(&again, value, "round trip changed the value: {text}");
}

/// The JSON value with every `null` member removed (the model does not write `None`).
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

#[test]
fn seed_sample_decodes_with_placeholder_enums_as_unknown() {
    let o: Offense = decode(SEED);
    let t42 = datetime!(1970-01-01 00:00:00.042 UTC);

    assert_eq!(o.id, Some(42));
    assert_eq!(o.description.as_deref(), Some("String"));
    assert_eq!(o.assigned_to.as_deref(), Some("String"));
    assert_eq!(o.categories, Some(vec!["String".to_owned()]));
    assert_eq!(o.category_count, Some(42));
    assert_eq!(o.policy_category_count, Some(42));
    assert_eq!(o.security_category_count, Some(42));
    assert_eq!(o.close_time, Some(t42));
    assert_eq!(o.closing_user.as_deref(), Some("String"));
    assert_eq!(o.closing_reason_id, Some(42));
    assert_eq!(o.credibility, Some(42));
    assert_eq!(o.relevance, Some(42));
    assert_eq!(o.severity, Some(42));
    assert_eq!(o.magnitude, Some(42));
    assert_eq!(o.destination_networks, Some(vec!["String".to_owned()]));
    assert_eq!(o.source_network.as_deref(), Some("String"));
    assert_eq!(o.device_count, Some(42));
    assert_eq!(o.event_count, Some(42));
    assert_eq!(o.flow_count, Some(42));
    assert_eq!(o.inactive, Some(true));
    assert_eq!(o.last_updated_time, Some(t42));
    assert_eq!(o.local_destination_count, Some(42));
    assert_eq!(o.offense_source.as_deref(), Some("String"));
    assert_eq!(o.offense_type, Some(42));
    assert_eq!(o.protected, Some(true));
    assert_eq!(o.follow_up, Some(true));
    assert_eq!(o.remote_destination_count, Some(42));
    assert_eq!(o.source_count, Some(42));
    assert_eq!(o.start_time, Some(t42));
    assert_eq!(o.username_count, Some(42));
    assert_eq!(o.source_address_ids, Some(vec![42]));
    assert_eq!(o.local_destination_address_ids, Some(vec![42]));
    assert_eq!(o.domain_id, Some(42));
    assert_eq!(o.last_persisted_time, Some(t42));
    assert_eq!(o.first_persisted_time, Some(t42));

    // The documentation's placeholders are not values QRadar knows: kept verbatim.
    assert_eq!(
        o.status,
        Some(OffenseStatus::Unknown(
            "String <one of: OPEN, HIDDEN, CLOSED>".to_owned()
        ))
    );
    let rules = o.rules.clone().expect("rules");
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].id, Some(42));
    assert_eq!(
        rules[0].rule_type,
        Some(RuleType::Unknown(
            "String <one of: ADE_RULE, BUILDING_BLOCK_RULE, CRE_RULE>".to_owned()
        ))
    );
    let sources = o.log_sources.clone().expect("log_sources");
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].id, Some(42));
    assert_eq!(sources[0].name.as_deref(), Some("String"));
    assert_eq!(sources[0].type_id, Some(42));
    assert_eq!(sources[0].type_name.as_deref(), Some("String"));
    assert!(
        o.extra.is_empty(),
        "every seed field is modelled: {:?}",
        o.extra
    );

    // Every field is modelled, so writing it back gives the sample itself.
    let original: Value = decode(SEED);
    assert_eq!(serde_json::to_value(&o).expect("serialize"), original);
    assert_round_trip(&o);
}

#[test]
fn real_offense_with_nulls_missing_and_extra_fields() {
    let o: Offense = decode(REAL);

    assert_eq!(o.id, Some(15));
    assert_eq!(o.assigned_to, None);
    assert_eq!(o.closing_user, None);
    assert_eq!(o.close_time, None);
    assert_eq!(o.closing_reason_id, None);
    assert_eq!(o.log_sources, None);
    assert_eq!(o.first_persisted_time, None);
    assert_eq!(o.status, Some(OffenseStatus::Open));
    assert!(!o.is_closed());
    assert_eq!(o.start_time, Some(datetime!(2021-02-15 13:21:36.537 UTC)));
    assert_eq!(
        o.last_updated_time,
        Some(datetime!(2021-02-15 17:28:43.456 UTC))
    );
    assert_eq!(
        o.last_persisted_time,
        Some(datetime!(2021-02-15 18:46:40.999 UTC))
    );
    assert_eq!(o.severity, Some(6));
    assert_eq!(o.magnitude, Some(3));
    assert_eq!(o.credibility, Some(2));
    assert_eq!(o.relevance, Some(1));
    assert_eq!(o.event_count, Some(15));
    assert_eq!(o.flow_count, Some(0));
    assert_eq!(o.offense_type, Some(3));
    assert_eq!(o.offense_source.as_deref(), Some("jdoe"));
    assert_eq!(o.domain_id, Some(0));
    assert_eq!(o.source_address_ids, Some(vec![2, 1]));
    assert_eq!(o.local_destination_address_ids, Some(vec![1]));
    assert_eq!(
        o.categories,
        Some(vec![
            "General Authentication Failed".to_owned(),
            "User Login Failure".to_owned()
        ])
    );
    assert_eq!(
        o.description.as_deref(),
        Some(
            "Multiple Login Failures for the Same User\n containing Failure Audit: \
             The domain controller failed to validate the credentials for an account\n"
        )
    );
    let mut rule = OffenseRule::default();
    rule.id = Some(100056);
    rule.rule_type = Some(RuleType::CreRule);
    assert_eq!(o.rules, Some(vec![rule]));

    // The unknown field is kept, and only it.
    assert_eq!(o.extra.len(), 1);
    assert_eq!(
        o.extra.get("assigned_group"),
        Some(&json!({"id": 3, "name": "Tier 1 Analysts"}))
    );

    // Written back: the same document minus the nulls, extra field included.
    let original: Value = decode(REAL);
    assert_eq!(
        serde_json::to_value(&o).expect("serialize"),
        without_nulls(original)
    );
    assert_round_trip(&o);
}

#[test]
fn offense_list_with_lenient_numbers_and_unknown_status() {
    let list: Vec<Offense> = decode(LIST);
    assert_eq!(list.len(), 3);
    let ids: Vec<Option<u64>> = list.iter().map(|o| o.id).collect();
    assert_eq!(ids, vec![Some(41), Some(42), Some(43)]);

    // Hidden, with floats and strings where integers are documented.
    let hidden = &list[0];
    assert_eq!(hidden.status, Some(OffenseStatus::Hidden));
    assert_eq!(hidden.severity, Some(5));
    assert_eq!(hidden.magnitude, Some(4));
    assert_eq!(hidden.event_count, Some(1200));
    assert_eq!(hidden.flow_count, Some(0));
    assert_eq!(hidden.assigned_to.as_deref(), Some("alice"));
    assert_eq!(hidden.close_time, None);
    let mut cre = LogSource::default();
    cre.id = Some(63);
    cre.name = Some("Custom Rule Engine-8 :: qradar-console".to_owned());
    cre.type_id = Some(18);
    cre.type_name = Some("EventCRE".to_owned());
    assert_eq!(hidden.log_sources, Some(vec![cre]));

    // Closed, with every closing field set.
    let closed = &list[1];
    assert_eq!(closed.status, Some(OffenseStatus::Closed));
    assert!(closed.is_closed());
    assert_eq!(closed.close_time, Some(datetime!(2021-02-18 15:26:40 UTC)));
    assert_eq!(closed.closing_user.as_deref(), Some("admin"));
    assert_eq!(closed.closing_reason_id, Some(2));
    assert_eq!(
        closed.first_persisted_time,
        Some(datetime!(2021-02-15 14:24:12 UTC))
    );
    assert_eq!(
        closed.start_time,
        Some(datetime!(2021-02-15 14:24:11.536 UTC))
    );
    assert_eq!(closed.source_address_ids, Some(vec![1, 2, 3]));
    assert_eq!(closed.local_destination_address_ids, Some(vec![]));
    assert_eq!(closed.domain_id, Some(2));
    assert_eq!(closed.protected, Some(true));
    assert_eq!(closed.follow_up, Some(true));
    assert_eq!(closed.inactive, Some(true));
    let rules = closed.rules.clone().expect("rules");
    assert_eq!(rules[0].id, Some(100045));
    assert_eq!(rules[0].rule_type, Some(RuleType::AdeRule));
    assert_eq!(rules[1].id, Some(100046));
    assert_eq!(rules[1].rule_type, Some(RuleType::BuildingBlockRule));

    // A status and a rule type this crate does not know.
    let archived = &list[2];
    assert_eq!(
        archived.status,
        Some(OffenseStatus::Unknown("ARCHIVED".to_owned()))
    );
    assert!(archived.status.as_ref().is_some_and(|s| s.is_unknown()));
    assert_eq!(
        archived.rules.as_ref().and_then(|r| r[0].rule_type.clone()),
        Some(RuleType::Unknown("THREAT_INTEL_RULE".to_owned()))
    );
    assert_eq!(archived.assigned_to, None);
    assert_eq!(archived.log_sources, None);

    // Unknown values are written back unchanged; lenient numbers are written as integers.
    let written = serde_json::to_value(&list).expect("serialize");
    assert_eq!(written[2]["status"], json!("ARCHIVED"));
    assert_eq!(written[2]["rules"][0]["type"], json!("THREAT_INTEL_RULE"));
    assert_eq!(written[0]["severity"], json!(5));
    assert_eq!(written[0]["magnitude"], json!(4));
    assert_eq!(written[1]["source_address_ids"], json!([1, 2, 3]));
    assert_eq!(written[1]["rules"][1]["id"], json!(100046));
    assert_eq!(written[1]["close_time"], json!(1613662000000u64));
    assert_round_trip(&list);
}

#[test]
fn partial_objects_from_fields_parameter() {
    let list: Vec<Offense> =
        decode(r#"[{"id": 7, "status": "OPEN"}, {"id": 8, "status": "CLOSED"}]"#);
    let mut expected = Offense::default();
    expected.id = Some(7);
    expected.status = Some(OffenseStatus::Open);
    assert_eq!(list[0], expected);
    assert_eq!(list[1].id, Some(8));
    assert_eq!(list[1].status, Some(OffenseStatus::Closed));
    assert_eq!(list[1].severity, None);
    assert_eq!(list[1].rules, None);
    assert_eq!(
        serde_json::to_string(&list[0]).expect("serialize"),
        r#"{"id":7,"status":"OPEN"}"#
    );

    // Subfields in brackets: `fields=id,rules(id)`.
    let o: Offense = decode(r#"{"id": 9, "rules": [{"id": 1}, {}]}"#);
    let rules = o.rules.expect("rules");
    assert_eq!(rules[0].id, Some(1));
    assert_eq!(rules[0].rule_type, None);
    assert_eq!(rules[1], OffenseRule::default());

    // An empty object is a valid (if useless) answer.
    assert_eq!(decode::<Offense>("{}"), Offense::default());
}

#[test]
fn status_case_and_values_built_by_hand() {
    let o: Offense = decode(r#"{"status": "closed", "rules": [{"type": "cre_rule"}]}"#);
    assert_eq!(o.status, Some(OffenseStatus::Closed));
    assert_eq!(
        o.rules.as_ref().and_then(|r| r[0].rule_type.clone()),
        Some(RuleType::CreRule)
    );

    let mut built = Offense::default();
    built.id = Some(1);
    built.status = Some(OffenseStatus::Closed);
    built.close_time = Some(datetime!(2024-05-01 12:00:00.5 UTC));
    built
        .extra
        .insert("risk_score".to_owned(), json!({"value": 0.25}));
    assert_eq!(
        serde_json::to_string(&built).expect("serialize"),
        r#"{"id":1,"close_time":1714564800500,"status":"CLOSED","risk_score":{"value":0.25}}"#
    );
    assert_round_trip(&built);
}

#[test]
fn invalid_values_are_errors_not_panics() {
    for text in [
        r#"{"id": -1}"#,
        r#"{"severity": 5.5}"#,
        r#"{"event_count": "many"}"#,
        r#"{"start_time": "yesterday"}"#,
        r#"{"start_time": 1.5}"#,
        r#"{"status": 3}"#,
        r#"{"rules": {"id": 1}}"#,
        r#"{"source_address_ids": [1, null]}"#,
        r#"{"categories": "one"}"#,
        r#"{"inactive": "yes"}"#,
    ] {
        let err =
            serde_json::from_str::<Offense>(text).expect_err(&format!("{text} should not decode"));
        assert!(!err.to_string().is_empty());
    }
    let err = serde_json::from_str::<Offense>(r#"{"id": -1}"#).expect_err("negative id");
    assert!(err.to_string().contains("negative"), "{err}");
}

#[test]
fn notes_with_authorized_service_user() {
    let notes: Vec<Note> = decode(NOTES);
    assert_eq!(notes.len(), 2);

    assert_eq!(notes[0].id, Some(1));
    assert_eq!(notes[0].username.as_deref(), Some("alice"));
    assert_eq!(notes[0].api_user(), None);
    assert_eq!(
        notes[0].create_time,
        Some(datetime!(2021-02-09 16:40:58.860 UTC))
    );
    assert_eq!(
        notes[0].note_text.as_deref(),
        Some("Escalated to the network team.")
    );

    assert_eq!(notes[1].id, Some(5));
    assert_eq!(notes[1].username.as_deref(), Some("API_user: test_user"));
    assert_eq!(notes[1].api_user(), Some("test_user"));
    assert_eq!(
        notes[1].create_time,
        Some(datetime!(2021-02-14 12:52:21.975 UTC))
    );

    let original: Value = decode(NOTES);
    assert_eq!(serde_json::to_value(&notes).expect("serialize"), original);
    assert_round_trip(&notes);
}

#[test]
fn closing_reasons_and_which_can_close() {
    let reasons: Vec<ClosingReason> = decode(CLOSING_REASONS);
    let summary: Vec<(Option<u64>, Option<&str>, bool)> = reasons
        .iter()
        .map(|r| (r.id, r.text.as_deref(), r.is_usable()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Some(1), Some("Non-Issue"), true),
            (Some(2), Some("False-Positive, Tuned"), true),
            (Some(3), Some("Duplicate Ticket"), false),
            (Some(54), Some("System Auto-Close"), false),
        ]
    );
    assert_eq!(reasons[2].is_deleted, Some(true));
    assert_eq!(reasons[3].is_reserved, Some(true));

    // Flags dropped by `fields=id,text` do not make a reason unusable; a missing id does.
    let partial: ClosingReason = decode(r#"{"id": "7", "text": "Tuned"}"#);
    assert_eq!(partial.id, Some(7));
    assert!(partial.is_usable());
    let no_id: ClosingReason = decode(r#"{"text": "Tuned", "is_reserved": false}"#);
    assert!(!no_id.is_usable());

    let original: Value = decode(CLOSING_REASONS);
    assert_eq!(serde_json::to_value(&reasons).expect("serialize"), original);
    assert_round_trip(&reasons);
}

#[test]
fn offense_types_with_unknown_database_type() {
    let types: Vec<OffenseType> = decode(OFFENSE_TYPES);
    assert_eq!(types.len(), 6);
    assert_eq!(types[0].id, Some(0));
    assert_eq!(types[0].name.as_deref(), Some("Source IP"));
    assert_eq!(types[0].property_name.as_deref(), Some("sourceIP"));
    assert_eq!(types[0].database_type, Some(DatabaseType::Common));
    assert_eq!(types[0].custom, Some(false));
    assert_eq!(types[2].database_type, Some(DatabaseType::Events));
    assert_eq!(types[3].database_type, Some(DatabaseType::Flows));
    assert_eq!(types[4].id, Some(1001));
    assert_eq!(types[4].custom, Some(true));
    assert_eq!(
        types[5].database_type,
        Some(DatabaseType::Unknown("ASSETS".to_owned()))
    );

    let original: Value = decode(OFFENSE_TYPES);
    assert_eq!(serde_json::to_value(&types).expect("serialize"), original);
    assert_round_trip(&types);
}

#[test]
fn assignable_actors() {
    let actors: Vec<AssignableActor> = decode(
        r#"[{"user_id": 5, "username": "alice", "description": "Tier 1 analyst"},
            {"user_id": "6", "username": "bob", "description": null}]"#,
    );
    assert_eq!(actors[0].user_id, Some(5));
    assert_eq!(actors[0].username.as_deref(), Some("alice"));
    assert_eq!(actors[0].description.as_deref(), Some("Tier 1 analyst"));
    assert_eq!(actors[1].user_id, Some(6));
    assert_eq!(actors[1].description, None);
    assert_round_trip(&actors);
}

#[test]
fn error_body_404() {
    let body: QRadarErrorBody = decode(ERROR_404);
    assert_eq!(body.code, Some(1002));
    assert_eq!(body.error_code(), Some(QRadarErrorCode::NotFound));
    assert_eq!(
        body.message.as_deref(),
        Some("Offense 999999 does not exist")
    );
    assert_eq!(
        body.description.as_deref(),
        Some("No offense was found for the provided offense_id.")
    );
    assert_eq!(body.details, Some(json!({})));
    let http = body.http_response.clone().expect("http_response");
    assert_eq!(http.code, Some(404));
    assert_eq!(
        http.message.as_deref(),
        Some("We could not find the resource you requested.")
    );
    assert_round_trip(&body);

    let parsed = QRadarErrorParser.parse(
        StatusCode::NOT_FOUND,
        &HeaderMap::new(),
        ERROR_404.as_bytes(),
    );
    assert_eq!(parsed.code.as_deref(), Some("1002"));
    assert_eq!(
        parsed.message.as_deref(),
        Some("Offense 999999 does not exist — No offense was found for the provided offense_id.")
    );
    assert_eq!(parsed.kind, Some(ErrorKind::NotFound));
    assert_eq!(parsed.body, Some(decode::<Value>(ERROR_404)));
}

#[test]
fn unknown_fields_of_nested_and_other_records_survive_a_round_trip() {
    let offense: Offense = decode(
        r#"{"id": 7, "rules": [{"id": 1, "type": "CRE_RULE", "rule_name": "new in 27.0"}],
            "log_sources": [{"id": 2, "name": "fw", "vendor_key": "x"}], "new_top": true}"#,
    );
    let rules = offense.rules.as_ref().unwrap();
    assert_eq!(rules[0].extra["rule_name"], "new in 27.0");
    assert_eq!(
        offense.log_sources.as_ref().unwrap()[0].extra["vendor_key"],
        "x"
    );
    let back = serde_json::to_value(&offense).unwrap();
    assert_eq!(back["rules"][0]["rule_name"], "new in 27.0");
    assert_eq!(back["log_sources"][0]["vendor_key"], "x");
    assert_eq!(back["new_top"], true);

    let extra = |v: Value| -> Value {
        let mut o = v;
        o["added_later"] = json!({"k": [1, 2]});
        o
    };
    let note: Note = decode(&extra(json!({"id": 1, "note_text": "n"})).to_string());
    let actor: AssignableActor = decode(&extra(json!({"username": "a"})).to_string());
    let reason: ClosingReason = decode(&extra(json!({"id": 1, "text": "r"})).to_string());
    let kind: OffenseType = decode(&extra(json!({"id": 0, "name": "Source IP"})).to_string());
    for back in [
        serde_json::to_value(&note).unwrap(),
        serde_json::to_value(&actor).unwrap(),
        serde_json::to_value(&reason).unwrap(),
        serde_json::to_value(&kind).unwrap(),
    ] {
        assert_eq!(back["added_later"], json!({"k": [1, 2]}), "{back}");
    }
}
