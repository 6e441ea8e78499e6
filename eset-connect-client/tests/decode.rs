//! Decoding what ESET Connect sends, from the vendor's own samples and the quirks of its
//! proto3 JSON.
//!
//! Fixtures and their sources:
//! - `seed_update_response.json`, `seed_update_request.json`: verbatim from the seed,
//!   ESET Connect's "POST Update incident basic attributes" page
//!   (help.eset.com/eset_connect/en-US/incident_management_v2_incidents_incidentUuid_basic-attributes-update_post.html,
//!   `../shared/seeds/004_f9db764e76cc95ea.txt`): the response and request examples, with
//!   the documentation's placeholder values (`"string"`, `0`).
//! - `incident_get.json`, `incidents_list.json`: the same `v2Incident` shape (the get page's
//!   example and Azure's `table_IntegrationTableIncidentsV2.json` column list name the same
//!   fields) with realistic values in the encodings the notes give: int64 metrics as strings
//!   and numbers, durations as proto3 seconds, timestamps with 3 and 6 fractional digits, a
//!   list page without `deviceUuids`/`detectionUuids` and with a `nextPageToken`. ESET
//!   publishes no real incident JSON (`../shared/api/eset-connect.md` §2.9).

use eset_connect_client::{
    EsetErrorBody, GrpcCode, Incident, IncidentComment, IncidentSeverity, IncidentStatus,
    IncidentsPage, ResolveReason,
};
use incident_core::transport::decode_json;
use serde::Deserialize;
use serde_json::{Value, json};
use time::macros::datetime;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[derive(Debug, Deserialize)]
struct Envelope {
    incident: Incident,
}

#[test]
fn the_seed_response_with_its_placeholders_fails_at_the_first_placeholder_time() {
    // The documentation's example is a schema sketch: "string" is not a timestamp. The
    // error names where decoding stopped.
    let (path, err) =
        decode_json::<Envelope>(fixture("seed_update_response.json").as_bytes()).unwrap_err();
    assert_eq!(path, "incident.createTime");
    assert!(err.to_string().contains("RFC 3339"), "{err}");
}

#[test]
fn the_seed_response_shape_decodes_with_values_in_place_of_the_placeholders() {
    let mut v: Value = serde_json::from_str(&fixture("seed_update_response.json")).unwrap();
    let incident = v["incident"].as_object_mut().unwrap();
    incident.insert("createTime".into(), json!("2025-04-07T08:30:00Z"));
    incident.insert("updateTime".into(), json!("2025-04-07T08:31:00.5Z"));
    incident.insert("responseDuration".into(), json!("60s"));
    incident.insert("triageDuration".into(), json!("1.5s"));
    let e: Envelope = serde_json::from_value(v).unwrap();
    let i = e.incident;
    // Everything else is the seed's own value.
    assert_eq!(i.uuid.as_deref(), Some("string"));
    assert_eq!(i.assignee_uuid.as_deref(), Some("string"));
    assert_eq!(i.device_uuids, Some(vec!["string".to_string()]));
    assert_eq!(i.detection_uuids, Some(vec!["string".to_string()]));
    assert_eq!(i.tags, Some(vec!["string".to_string()]));
    assert_eq!(i.status, Some(IncidentStatus::Unspecified));
    assert_eq!(i.severity, Some(IncidentSeverity::Unspecified));
    assert_eq!(i.resolve_reason, Some(ResolveReason::Unspecified));
    let m = i.metrics.unwrap();
    assert_eq!(
        (m.device_count, m.executable_count, m.process_count),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(i.update_time, Some(datetime!(2025-04-07 8:31:00.5 UTC)));
    assert_eq!(i.triage_duration, Some(time::Duration::milliseconds(1500)));
    assert!(i.extra.is_empty());
}

#[test]
fn the_seed_request_names_the_attributes_the_builder_writes() {
    // The request example lists exactly the four updatable attributes and the mask.
    let v: Value = serde_json::from_str(&fixture("seed_update_request.json")).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "assigneeUuid",
            "description",
            "displayName",
            "severity",
            "updateMask"
        ]
    );
    let severity: IncidentSeverity = serde_json::from_value(v["severity"].clone()).unwrap();
    assert_eq!(severity, IncidentSeverity::Unspecified);
}

#[test]
fn a_full_incident() {
    let e: Envelope = serde_json::from_str(&fixture("incident_get.json")).unwrap();
    let i = e.incident;
    assert_eq!(
        i.display_name.as_deref(),
        Some("Ransomware behaviour on WKS-0042")
    );
    assert_eq!(i.status, Some(IncidentStatus::InProgress));
    assert_eq!(i.create_time, Some(datetime!(2025-04-07 8:30:00.12 UTC)));
    assert_eq!(i.update_time, Some(datetime!(2025-04-07 9:12:45.00012 UTC)));
    assert_eq!(
        i.response_duration,
        Some(time::Duration::new(2565, 340_012))
    );
    let m = i.metrics.as_ref().unwrap();
    assert_eq!(
        (m.device_count, m.executable_count, m.process_count),
        (Some(2), Some(3), Some(17))
    );
    assert_eq!(i.detection_uuids.as_ref().unwrap().len(), 3);
    // Written back in proto3 form: times with Z and 3 or 6 digits, durations in seconds.
    let back = serde_json::to_value(&i).unwrap();
    assert_eq!(back["createTime"], "2025-04-07T08:30:00.120Z");
    assert_eq!(back["updateTime"], "2025-04-07T09:12:45.000120Z");
    assert_eq!(back["triageDuration"], "754.500s");
    assert_eq!(back["status"], "INCIDENT_STATUS_IN_PROGRESS");
    let again: Incident = serde_json::from_value(back).unwrap();
    assert_eq!(again, i);
}

#[test]
fn a_list_page_lacks_device_and_detection_uuids() {
    let page: IncidentsPage = serde_json::from_str(&fixture("incidents_list.json")).unwrap();
    assert_eq!(page.incidents.len(), 2);
    assert!(page.incidents.iter().all(|i| i.device_uuids.is_none()));
    assert!(page.incidents.iter().all(|i| i.detection_uuids.is_none()));
    assert_eq!(page.next_token(), Some("Q2hBSUFCSVlDZ1FJQVJB+/=="));
    let open = &page.incidents[1];
    // proto3 omits defaults: no assignee, no tags, zero metrics left out.
    assert_eq!(open.assignee_uuid, None);
    assert_eq!(open.tags, None);
    assert_eq!(open.metrics.as_ref().unwrap().process_count, None);
    // An empty page, and the last page's empty token.
    let page: IncidentsPage = serde_json::from_str(r#"{"nextPageToken": ""}"#).unwrap();
    assert!(page.incidents.is_empty());
    assert_eq!(page.next_token(), None);
}

#[test]
fn proto3_quirks() {
    let i: Incident = serde_json::from_value(json!({
        "uuid": "u",
        "status": "INCIDENT_STATUS_ARCHIVED",
        "severity": "incident_severity_level_high",
        "resolveReason": "INCIDENT_RESOLVE_REASON_DUPLICATE",
        "createTime": "2025-04-07T10:30:00+02:00",
        "updateTime": "2025-04-07T08:30:00.000000001Z",
        "triageDuration": "PT1H2M3.5S",
        "responseDuration": null,
        "metrics": {"deviceCount": "9007199254740993", "futureCount": 4},
        "assigneeUuid": null,
        "riskScore": 87.5,
    }))
    .unwrap();
    assert_eq!(
        i.status,
        Some(IncidentStatus::Unknown("INCIDENT_STATUS_ARCHIVED".into()))
    );
    assert_eq!(i.severity, Some(IncidentSeverity::High));
    assert!(i.resolve_reason.as_ref().unwrap().is_unknown());
    assert_eq!(i.create_time, Some(datetime!(2025-04-07 8:30 UTC)));
    assert_eq!(
        i.update_time,
        Some(datetime!(2025-04-07 8:30:00.000000001 UTC))
    );
    assert_eq!(
        i.triage_duration,
        Some(time::Duration::milliseconds(3_723_500))
    );
    assert_eq!(i.response_duration, None);
    let m = i.metrics.as_ref().unwrap();
    // An int64 above 2^53 keeps every digit as a string.
    assert_eq!(m.device_count, Some(9_007_199_254_740_993));
    assert_eq!(m.extra["futureCount"], 4);
    assert_eq!(i.extra["riskScore"], 87.5);
    // Unknown values and fields are written back unchanged.
    let back = serde_json::to_value(&i).unwrap();
    assert_eq!(back["status"], "INCIDENT_STATUS_ARCHIVED");
    assert_eq!(back["resolveReason"], "INCIDENT_RESOLVE_REASON_DUPLICATE");
    assert_eq!(back["riskScore"], 87.5);
    assert_eq!(back["metrics"]["futureCount"], 4);
    // Empty objects decode.
    assert_eq!(
        serde_json::from_str::<Incident>("{}").unwrap(),
        Incident::default()
    );
}

#[test]
fn bad_values_give_the_json_path() {
    for (body, path) in [
        (
            r#"{"incidents":[{"uuid":"a"},{"uuid":"b","updateTime":"yesterday"}]}"#,
            "incidents[1].updateTime",
        ),
        (
            r#"{"incidents":[{"uuid":"a","metrics":{"deviceCount":"many"}}]}"#,
            "incidents[0].metrics.deviceCount",
        ),
        (
            r#"{"incidents":[{"uuid":"a","triageDuration":"1.5"}]}"#,
            "incidents[0].triageDuration",
        ),
        (r#"{"incidents":[{"tags":"vip"}]}"#, "incidents[0].tags"),
    ] {
        let (got, _) = decode_json::<IncidentsPage>(body.as_bytes()).unwrap_err();
        assert_eq!(got, path, "{body}");
    }
}

#[test]
fn comments() {
    // The fields of v2IncidentComment (comments_get page).
    let c: IncidentComment = serde_json::from_value(json!({
        "uuid": "c-1",
        "incidentUuid": "3f1d6d2e-5c7a-4b0e-9a57-0c8f6f3f2a11",
        "text": "Host isolated, credentials reset.",
        "isFinalComment": true,
        "authorUuid": "9b2c1e4f-7a3d-4c5b-8e6f-0a1b2c3d4e5f",
        "createTime": "2025-04-07T10:00:00Z",
        "updateTime": "2025-04-07T10:05:00.250Z"
    }))
    .unwrap();
    assert_eq!(c.is_final_comment, Some(true));
    assert_eq!(c.update_time, Some(datetime!(2025-04-07 10:05:00.25 UTC)));
}

#[test]
fn error_bodies() {
    // grpc-gateway's default shape (inferred: ESET documents no error body).
    let b = EsetErrorBody::from_value(&json!({
        "code": 3,
        "message": "invalid updateMask: unknown field \"status\"",
        "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": []}]
    }))
    .unwrap();
    assert_eq!(b.grpc_code(), Some(GrpcCode::InvalidArgument));
    assert_eq!(b.details.as_ref().unwrap().len(), 1);
    // The token endpoint answers as an OAuth server.
    let b = EsetErrorBody::from_value(
        &json!({"error": "invalid_grant", "error_description": "Invalid refresh token"}),
    )
    .unwrap();
    assert_eq!(b.error.as_deref(), Some("invalid_grant"));
    assert_eq!(b.grpc_code(), None);
}

#[test]
fn times_at_the_end_of_the_range_decode_in_utc_and_write_back() {
    use eset_connect_client::normalize::incident_from_eset;
    // Inside the range with an offset: decoded in UTC, written back (record, OCSF export)
    // without a panic.
    let mut v: Value = serde_json::from_str(&fixture("incident_get.json")).unwrap();
    v["incident"]["createTime"] = json!("9999-12-31T22:59:59.999999999-01:00");
    v["incident"]["updateTime"] = json!("9999-12-31T23:59:59.999999999Z");
    let e: Envelope = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(
        e.incident.create_time,
        Some(datetime!(9999-12-31 23:59:59.999999999 UTC))
    );
    let n = incident_from_eset(e.incident).unwrap();
    let record = n.record_json();
    assert_eq!(record["createTime"], "9999-12-31T23:59:59.999999999Z");
    assert_eq!(record["updateTime"], "9999-12-31T23:59:59.999999999Z");
    let ocsf = serde_json::to_value(n.to_ocsf()).unwrap();
    assert_eq!(ocsf["time"], 253_402_300_799_999_i64);

    // Past the year 9999 in UTC, or before the year 0000: a decode error naming the value.
    for (field, text) in [
        ("createTime", "9999-12-31T23:59:59-01:00"),
        ("updateTime", "0000-01-01T00:00:00.5+00:01"),
    ] {
        let mut bad = v.clone();
        bad["incident"][field] = json!(text);
        let err = serde_json::from_value::<Envelope>(bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{text:?} is not an RFC 3339 timestamp in the years 0000 to 9999"),
            "{field}"
        );
    }
}
