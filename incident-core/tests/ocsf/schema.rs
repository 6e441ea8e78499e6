//! The JSON Schema of the OCSF 1.8.0 Incident Finding class (class_uid 2005), generated from
//! the official schema by `generate.py` beside this file, and a validator over it.
//!
//! Shared by the OCSF tests of `incident-core` (`tests/ocsf.rs`) and of `incident-testkit`
//! (which includes this file by path), so the schema is loaded and checked in one place.

use std::sync::LazyLock;

use serde_json::Value;

/// The committed schema, as `generate.py` wrote it.
pub const SCHEMA: &str = include_str!("incident_finding-1.8.0.schema.json");

static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(SCHEMA).expect("the committed schema is JSON");
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "the generator targets draft 2020-12"
    );
    jsonschema::validator_for(&schema).expect("the committed schema compiles")
});

/// Every way `instance` breaks the schema, as `<instance path>: <message>`; empty when valid.
pub fn violations(instance: &Value) -> Vec<String> {
    VALIDATOR
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Panics with every violation, and the instance, unless `instance` is a valid Incident
/// Finding.
pub fn assert_valid(instance: &Value) {
    let violations = violations(instance);
    assert!(
        violations.is_empty(),
        "not a valid OCSF 1.8.0 Incident Finding:\n  {}\n{instance:#}",
        violations.join("\n  ")
    );
}
