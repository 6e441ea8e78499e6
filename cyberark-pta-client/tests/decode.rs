//! Decoding of PTA's documented and real-world JSON into the model types: the seed's field
//! set, real answers published by Cortex XSOAR, the closed-event shape, the quirks (float
//! scores, time units, lower-case statuses, numeric ids, unknown types, extra fields), error
//! bodies, and round trips. See `fixtures/README.md` for the source of each fixture.

use cyberark_pta_client::normalize::incident_from_event;
use cyberark_pta_client::{
    AccountType, AuditType, CloseReason, EventStatus, EventType, PtaErrorBody, PtaErrorCode,
    RiskEventsPage, RiskType, SecurityEvent, SensorType,
};
use incident_core::{IncidentStatus, Severity, Verdict};
use serde_json::{Value, json};
use time::macros::datetime;

const XSOAR: &str = include_str!("fixtures/events_xsoar.json");
const SEED: &str = include_str!("fixtures/event_seed.json");
const CLOSED: &str = include_str!("fixtures/event_closed.json");

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> T {
    match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("decode failed: {e}"),
    }
}

/// Serializes and compares with the source JSON: nothing lost, nothing added.
fn assert_written_back(text: &str) {
    let original: Value = decode(text);
    let events: Value = match &original {
        Value::Array(_) => serde_json::to_value(decode::<Vec<SecurityEvent>>(text)).unwrap(),
        _ => serde_json::to_value(decode::<SecurityEvent>(text)).unwrap(),
    };
    // Statuses and whole-number floats come back canonical; the rest exactly.
    let canonical = |v: &Value| {
        let mut text = v.to_string();
        text = text.replace("\"mStatus\":\"open\"", "\"mStatus\":\"OPEN\"");
        text = text.replace("1597754768000.0", "1597754768000");
        serde_json::from_str::<Value>(&text).unwrap()
    };
    assert_eq!(canonical(&events), canonical(&original));
}

#[test]
fn real_xsoar_events_decode_completely() {
    let events: Vec<SecurityEvent> = decode(XSOAR);
    assert_eq!(events.len(), 3);

    let e = &events[0];
    assert_eq!(e.id.as_deref(), Some("5ebd5480e4b07501bd67d51c"));
    assert_eq!(
        e.event_type,
        Some(EventType::InteractiveLogonWithServiceAccount)
    );
    assert_eq!(e.score, Some(60.0));
    assert_eq!(e.create_time, Some(datetime!(2020-05-14 14:20:20.171 UTC)));
    assert_eq!(
        e.last_update_time,
        Some(datetime!(2020-07-21 12:16:02.775 UTC))
    );
    assert_eq!(e.status, Some(EventStatus::Open));
    assert_eq!(e.additional("aggregation_count"), Some(&json!(12)));
    let a = &e.audits()[0];
    assert_eq!(a.id.as_deref(), Some("5ebd5479e4b07501bd67d176"));
    assert_eq!(a.audit_type, Some(AuditType::WindowsLogon));
    assert_eq!(a.sensor_type, Some(SensorType::Siem));
    assert_eq!(a.action.as_deref(), Some("Logon"));
    assert_eq!(a.account_id.as_deref(), Some("27_3"));
    assert_eq!(a.vault_user, None);
    let account = a.account.as_ref().unwrap();
    assert_eq!(
        account.account_as_str.as_deref(),
        Some("administrator@cybr.com")
    );
    assert_eq!(account.account_type, Some(AccountType::Domain));
    let details = account.account.as_ref().unwrap();
    assert_eq!(details.domain.as_deref(), Some("cybr.com"));
    assert_eq!(details.user.as_deref(), Some("administrator"));
    assert_eq!(details.spn_list, Some(vec![]));
    assert_eq!(details.target, None);
    let source = a.source.as_ref().unwrap();
    assert_eq!(source.original_address.as_deref(), Some("10.0.0.5"));
    let resolved = source.resolved_address.as_ref().unwrap();
    assert_eq!(resolved.original_address.as_deref(), Some("dc01.cybr.com"));
    assert_eq!(resolved.address.as_deref(), Some("10.0.0.5"));
    assert_eq!(resolved.host_name.as_deref(), Some("dc01"));
    assert_eq!(resolved.fqdn.as_deref(), Some("dc01.cybr.com"));
    assert_eq!(
        a.target.as_ref().and_then(|t| t.display_name()),
        Some("dc01.cybr.com")
    );
    assert_eq!(a.cloud_data, Some(serde_json::Map::new()));

    // The float score of the documentation's "Integer".
    assert_eq!(events[1].score, Some(27.656250000000004));
    assert_eq!(events[1].who(), Some("Administrator"));
    assert_eq!(
        events[1].audits()[0]
            .source
            .as_ref()
            .unwrap()
            .resolved_address,
        None
    );
    assert_eq!(
        events[1].additional("station"),
        Some(&json!("82.166.99.178"))
    );
    assert_eq!(events[2].score, Some(29.414062500000004));
    assert!(events.iter().all(|e| e.extra.is_empty()));
    assert_written_back(XSOAR);
}

#[test]
fn the_seed_field_set_decodes_with_its_spelling() {
    let e: SecurityEvent = decode(SEED);
    assert_eq!(e.event_type, Some(EventType::PsmSuspiciousActivity));
    // "open or closed" in the documentation's case.
    assert_eq!(e.status, Some(EventStatus::Open));
    assert!(e.is_open());
    let a = &e.audits()[0];
    assert_eq!(a.audit_type, Some(AuditType::PsmSshCommand));
    assert_eq!(a.sensor_type, Some(SensorType::Psm));
    assert_eq!(a.psm_command.as_deref(), Some("rm -rf /var/log/audit"));
    assert_eq!(a.vault_user.as_deref(), Some("jsmith"));
    let account = a.account.as_ref().unwrap();
    assert_eq!(account.account_type, Some(AccountType::LocalUnix));
    let details = account.account.as_ref().unwrap();
    assert_eq!(details.user.as_deref(), Some("root"));
    // `mtarget`, as the seed spells it.
    let target = details.target.as_ref().unwrap();
    assert_eq!(target.original_address.as_deref(), Some("10.0.3.12"));
    assert_eq!(
        target
            .resolved_address
            .as_ref()
            .unwrap()
            .host_name
            .as_deref(),
        Some("lnx-db01")
    );
    assert_eq!(e.additional("mitigationAction"), Some(&json!("terminate")));
    assert_eq!(e.additional("sessionIsLive"), Some(&json!("false")));
    assert_eq!(e.additional("matchPatterns"), Some(&json!("rm -rf")));
    assert_eq!(
        e.additional("sessionIDs"),
        Some(&json!(["d5e3c6a1-7b2f-4c1e-9a55-0f4e2b7c9d10"]))
    );
    // Written back with the canonical `mTarget`.
    let back = serde_json::to_value(&e).unwrap();
    assert!(back["audits"][0]["account"]["account"]["mTarget"].is_object());
}

#[test]
fn a_closed_event_with_unknown_types_and_extra_fields_loses_nothing() {
    let e: SecurityEvent = decode(CLOSED);
    assert_eq!(
        e.event_type,
        Some(EventType::Unknown("SuspectedCredentialsTheft".into()))
    );
    assert_eq!(e.status, Some(EventStatus::Closed));
    assert_eq!(e.close_reason, Some(CloseReason::Handled));
    assert_eq!(
        e.reason_text.as_deref(),
        Some("Password rotated by the CPM")
    );
    assert_eq!(e.extra.get("tenantId"), Some(&json!("default")));
    assert_eq!(e.additional_data, Some(serde_json::Map::new()));
    let a = &e.audits()[0];
    assert_eq!(
        a.audit_type,
        Some(AuditType::Unknown("VAULT_RETRIEVE_PASSWORD".into()))
    );
    assert_eq!(a.account_id.as_deref(), Some("42"));
    assert_eq!(a.extra.get("riskFactors"), Some(&json!(["unmanaged"])));
    assert_eq!(e.last_update_time, Some(datetime!(2020-08-18 12:46:08 UTC)));
    let back = serde_json::to_value(&e).unwrap();
    assert_eq!(back["type"], "SuspectedCredentialsTheft");
    assert_eq!(back["audits"][0]["riskFactors"], json!(["unmanaged"]));
    assert_eq!(back["tenantId"], "default");
}

#[test]
fn quirks_seconds_strings_nulls_and_plain_string_addresses() {
    let e: SecurityEvent = decode(
        r#"{"id":"x","score":"41.5","createTime":1594793984,"lastUpdateTime":null,
            "mStatus":"Closed","audits":[{"source":"10.1.2.3","target":null,"account":null}]}"#,
    );
    assert_eq!(e.score, Some(41.5));
    assert_eq!(e.create_time, Some(datetime!(2020-07-15 06:19:44 UTC)));
    assert_eq!(e.last_update_time, None);
    assert_eq!(e.status, Some(EventStatus::Closed));
    let a = &e.audits()[0];
    assert_eq!(
        a.source.as_ref().unwrap().original_address.as_deref(),
        Some("10.1.2.3")
    );
    assert_eq!(a.target, None);
    let e: SecurityEvent = decode("{}");
    assert_eq!(e, SecurityEvent::default());
    assert!(e.audits().is_empty());
    for bad in [
        r#"{"score":"high"}"#,
        r#"{"createTime":"yesterday"}"#,
        r#"{"audits":{}}"#,
        r#"{"audits":[{"accountId":true}]}"#,
    ] {
        assert!(serde_json::from_str::<SecurityEvent>(bad).is_err(), "{bad}");
    }
}

#[test]
fn events_normalize_to_incidents() {
    let events: Vec<SecurityEvent> = decode(XSOAR);
    let i = incident_from_event(events[1].clone()).unwrap();
    assert_eq!(i.id, "5f0ea000e4b0ba4baf5d1910");
    assert_eq!(
        i.title,
        "VaultViaIrregularIp: Administrator from 82.166.99.178"
    );
    assert_eq!(
        i.description.as_deref(),
        Some(
            "2020-07-15T06:19:44Z, VAULT_LOGON (VAULT), Logon, user Administrator, from 82.166.99.178"
        )
    );
    assert_eq!(i.status, IncidentStatus::New);
    assert_eq!(i.severity, Severity::Low);
    assert_eq!(i.created, Some(datetime!(2020-07-15 06:19:44 UTC)));
    let record = i.record::<SecurityEvent>().unwrap();
    assert_eq!(record.additional("reason"), Some(&json!("ip")));

    let i = incident_from_event(events[0].clone()).unwrap();
    assert_eq!(i.severity, Severity::Medium);
    assert_eq!(
        i.title,
        "InteractiveLogonWithServiceAccount: administrator@cybr.com from dc01.cybr.com"
    );
    assert!(
        i.description
            .unwrap()
            .contains("dc01.cybr.com -> dc01.cybr.com")
    );

    let i = incident_from_event(decode(SEED)).unwrap();
    assert_eq!(i.severity, Severity::High);
    assert!(
        i.description
            .unwrap()
            .contains("command \"rm -rf /var/log/audit\""),
    );

    let mut closed: SecurityEvent = decode(CLOSED);
    let i = incident_from_event(closed.clone()).unwrap();
    assert_eq!(i.status, IncidentStatus::Closed);
    assert_eq!(i.severity, Severity::Critical);
    assert_eq!(
        i.close_reason.as_deref(),
        Some("HANDLED: Password rotated by the CPM")
    );
    assert_eq!(i.verdict, None);
    closed.close_reason = Some(CloseReason::NotReal);
    assert_eq!(
        incident_from_event(closed).unwrap().verdict,
        Some(Verdict::FalsePositive)
    );
    assert!(incident_from_event(SecurityEvent::default()).is_err());
}

#[test]
fn risk_event_pages_and_error_bodies() {
    let page: RiskEventsPage = decode(
        r#"{"entities":[{"id":"r1","type":"RISK_RISKY_SPN","score":44.5,"status":"OPEN",
            "detectionTime":1735000000000,"account":"svc_sql@cybr.com"},
            {"id":"r2","type":"RISK_SOMETHING_NEW","status":"closed","closeReason":"NOTREAL",
            "reasonText":"lab"}],"total":2}"#,
    );
    assert_eq!(page.entities.len(), 2);
    assert_eq!(page.entities[0].risk_type, Some(RiskType::RiskySpn));
    assert_eq!(
        page.entities[0].extra.get("account"),
        Some(&json!("svc_sql@cybr.com"))
    );
    assert!(page.entities[1].risk_type.as_ref().unwrap().is_unknown());
    assert_eq!(page.entities[1].status, Some(EventStatus::Closed));
    assert_eq!(page.entities[1].close_reason, Some(CloseReason::NotReal));
    assert_eq!(page.extra.get("total"), Some(&json!(2)));

    // infamousjoeg/CyberArk-RESTAPI issue #2.
    let body: Value = decode(
        r#"{"ErrorCode":"PASWS013E","ErrorMessage":"Failed to logon. Reason: Authentication failure for User XXX"}"#,
    );
    let parsed = PtaErrorBody::from_value(&body).unwrap();
    assert_eq!(parsed.typed_code(), Some(PtaErrorCode::LogonFailed));
    assert!(parsed.message().unwrap().contains("Authentication failure"));
    // psPAS issue #189.
    let body = json!({"ErrorCode":"CAIWS001E","ErrorMessage":"Couldn't retrieve session token from request header."});
    let parsed = PtaErrorBody::from_value(&body).unwrap();
    assert_eq!(parsed.typed_code(), Some(PtaErrorCode::NoSessionToken));
    // psPAS issue #26: the code only in the text.
    let body = json!({"ErrorMessage":"ITATS955E You are unauthorized to perform this action."});
    assert_eq!(
        PtaErrorBody::from_value(&body).unwrap().typed_code(),
        Some(PtaErrorCode::Unauthorized)
    );
    assert!(PtaErrorBody::from_value(&json!("text")).is_none());
}
