//! Typed views of an incident's `information` for the kinds the documentation shows:
//! policy violations (DLP, cloud access), anomalies, audit violations and threats.
//!
//! The service puts these details in `information` (its keys are listed by
//! `queryIncidentInformationKeys`); the syslog examples of the documentation also show some
//! of them with an `information` prefix (`informationPolicyName`), which is read too. Each
//! view keeps the keys it does not name in `extra`. Values whose shape varies between
//! sources (a list, or the text `"[a, b]"` the syslog export writes) are read leniently.

use std::fmt;

use incident_core::serde_helpers::{lenient_f64_option, lenient_i64_option};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::incident::Incident;
use super::time::time_option;

/// A list of strings sent as a JSON array, as the text `"[a, b]"`, or as one string.
pub mod lenient_strings_option {
    use super::*;

    /// Writes a JSON array, or `null`.
    ///
    /// # Errors
    ///
    /// The serializer's error.
    pub fn serialize<S: serde::Serializer>(
        value: &Option<Vec<String>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(serializer)
    }

    /// Reads an array of strings (numbers become text), `"[a, b]"`, `"a"`, or `null`.
    ///
    /// # Errors
    ///
    /// The deserializer's error for another value.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Vec<String>>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of strings")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                let s = s.trim();
                let inner = s
                    .strip_prefix('[')
                    .and_then(|s| s.strip_suffix(']'))
                    .map(str::trim);
                Ok(Some(match inner {
                    Some("") => Vec::new(),
                    Some(list) => list.split(',').map(|p| p.trim().to_owned()).collect(),
                    None => vec![s.to_owned()],
                }))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<Value>()? {
                    match v {
                        Value::String(s) => out.push(s),
                        Value::Null => {}
                        other => out.push(other.to_string()),
                    }
                }
                Ok(Some(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A boolean sent as `true`/`false` or as the text `"true"`/`"false"`.
mod lenient_bool_option {
    use super::*;

    pub fn serialize<S: serde::Serializer>(
        value: &Option<bool>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(de::Error::custom(format!("{other} is not a boolean"))),
        }
    }
}

/// A policy violation (`DLP-`, `CAP-`, `APP-`, `EPO-`): the policy and the content item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PolicyInfo {
    /// `policyId`.
    #[serde(rename = "policyId", default, with = "lenient_i64_option")]
    pub policy_id: Option<i64>,
    /// `policyName`.
    #[serde(rename = "policyName", default)]
    pub policy_name: Option<String>,
    /// `contentItemId`.
    #[serde(rename = "contentItemId", default)]
    pub content_item_id: Option<String>,
    /// `contentItemName`: a file name, or a request path for cloud access incidents.
    #[serde(rename = "contentItemName", default)]
    pub content_item_name: Option<String>,
    /// `contentItemType`, e.g. `FILE`, `REQUEST`.
    #[serde(rename = "contentItemType", default)]
    pub content_item_type: Option<String>,
    /// `contentItemHierarchy`: the folder path.
    #[serde(rename = "contentItemHierarchy", default)]
    pub content_item_hierarchy: Option<String>,
    /// `contentItemParent`.
    #[serde(rename = "contentItemParent", default)]
    pub content_item_parent: Option<String>,
    /// `contentItemSize` in bytes.
    #[serde(rename = "contentItemSize", default, with = "lenient_i64_option")]
    pub content_item_size: Option<i64>,
    /// `contentItemCreatedOn`.
    #[serde(rename = "contentItemCreatedOn", default, with = "time_option")]
    pub content_item_created_on: Option<OffsetDateTime>,
    /// `matchLocations`: where the DLP rule matched.
    #[serde(rename = "matchLocations", default, with = "lenient_strings_option")]
    pub match_locations: Option<Vec<String>>,
    /// `totalMatchCount`.
    #[serde(rename = "totalMatchCount", default, with = "lenient_i64_option")]
    pub total_match_count: Option<i64>,
    /// `collaborationSharedLink`.
    #[serde(
        rename = "collaborationSharedLink",
        default,
        with = "lenient_bool_option"
    )]
    pub collaboration_shared_link: Option<bool>,
    /// `externalCollaborators`.
    #[serde(
        rename = "externalCollaborators",
        default,
        with = "lenient_strings_option"
    )]
    pub external_collaborators: Option<Vec<String>>,
    /// `lastExecutedResponseLabel`, e.g. `Block Access`.
    #[serde(rename = "lastExecutedResponseLabel", default)]
    pub last_executed_response_label: Option<String>,
    /// `remediationResponse`.
    #[serde(rename = "remediationResponse", default)]
    pub remediation_response: Option<String>,
    /// `device`: `{ip, os: {platform, type}, application: {user_agent, type}, device_type}`.
    #[serde(default)]
    pub device: Option<Value>,
    /// `eventId`.
    #[serde(rename = "eventId", default)]
    pub event_id: Option<Value>,
    /// `source`, e.g. `API`.
    #[serde(default)]
    pub source: Option<String>,
    /// The other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An anomaly (`ANO-`, `SHW-`): what was anomalous, against which threshold, from where.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AnomalyInfo {
    /// `anomalyCategory`, e.g. `Access Anomalies`.
    #[serde(rename = "anomalyCategory", default, with = "lenient_strings_option")]
    pub anomaly_category: Option<Vec<String>>,
    /// `anomalyCause`, e.g. `CUSTOMER BLACKLIST`.
    #[serde(rename = "anomalyCause", default)]
    pub anomaly_cause: Option<String>,
    /// `anomalyValue`.
    #[serde(rename = "anomalyValue", default)]
    pub anomaly_value: Option<Value>,
    /// `anomalyCount`: number of underlying anomalies (documented as a list of strings).
    #[serde(rename = "anomalyCount", default, with = "lenient_strings_option")]
    pub anomaly_count: Option<Vec<String>>,
    /// `anomalyIds`: the underlying anomaly ids (`ANO-` prefixed).
    #[serde(rename = "anomalyIds", default, with = "lenient_strings_option")]
    pub anomaly_ids: Option<Vec<String>>,
    /// `cities` (`informationCities` in the syslog export).
    #[serde(default, alias = "informationCities", with = "lenient_strings_option")]
    pub cities: Option<Vec<String>>,
    /// `countries`.
    #[serde(default, with = "lenient_strings_option")]
    pub countries: Option<Vec<String>>,
    /// `sourceIps`.
    #[serde(rename = "sourceIps", default, with = "lenient_strings_option")]
    pub source_ips: Option<Vec<String>>,
    /// `sourceIpOrgs` (`informationSourceIpOrgs` in the syslog export).
    #[serde(
        rename = "sourceIpOrgs",
        alias = "informationSourceIpOrgs",
        default,
        with = "lenient_strings_option"
    )]
    pub source_ip_orgs: Option<Vec<String>>,
    /// `isPartOfThreat`.
    #[serde(rename = "isPartOfThreat", default, with = "lenient_bool_option")]
    pub is_part_of_threat: Option<bool>,
    /// `threatCategory`, e.g. `Compromised Accounts`.
    #[serde(rename = "threatCategory", default)]
    pub threat_category: Option<String>,
    /// `thresholdDuration`, e.g. `weekly`.
    #[serde(rename = "thresholdDuration", default)]
    pub threshold_duration: Option<String>,
    /// `thresholdValue`.
    #[serde(rename = "thresholdValue", default, with = "lenient_f64_option")]
    pub threshold_value: Option<f64>,
    /// The other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An audit (configuration) violation (`AUD-`): the account, configuration item and policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditInfo {
    /// `accountId` (`informationAccountId` in the syslog export).
    #[serde(rename = "accountId", alias = "informationAccountId", default)]
    pub account_id: Option<String>,
    /// `configType`, e.g. `SUBSCRIPTION`.
    #[serde(rename = "configType", alias = "informationConfigType", default)]
    pub config_type: Option<String>,
    /// `category`, e.g. `SecurityCenterRecommendations`.
    #[serde(default)]
    pub category: Option<String>,
    /// `contentItemId`.
    #[serde(rename = "contentItemId", alias = "informationContentItemId", default)]
    pub content_item_id: Option<String>,
    /// `contentItemName`.
    #[serde(
        rename = "contentItemName",
        alias = "informationContentItemName",
        default
    )]
    pub content_item_name: Option<String>,
    /// `contentItemType`.
    #[serde(
        rename = "contentItemType",
        alias = "informationContentItemType",
        default
    )]
    pub content_item_type: Option<String>,
    /// `policyId`.
    #[serde(
        rename = "policyId",
        alias = "informationPolicyId",
        default,
        with = "lenient_i64_option"
    )]
    pub policy_id: Option<i64>,
    /// `policyName`.
    #[serde(rename = "policyName", alias = "informationPolicyName", default)]
    pub policy_name: Option<String>,
    /// The other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A threat (`THR-`): anomalies correlated into one threat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ThreatInfo {
    /// `threatCategory`, e.g. `Compromised Accounts`, `Insider Threat`.
    #[serde(rename = "threatCategory", default)]
    pub threat_category: Option<String>,
    /// `anomalyIds`: the anomalies the threat is built from.
    #[serde(rename = "anomalyIds", default, with = "lenient_strings_option")]
    pub anomaly_ids: Option<Vec<String>>,
    /// `anomalyCategory`.
    #[serde(rename = "anomalyCategory", default, with = "lenient_strings_option")]
    pub anomaly_category: Option<Vec<String>>,
    /// `sourceIps`.
    #[serde(rename = "sourceIps", default, with = "lenient_strings_option")]
    pub source_ips: Option<Vec<String>>,
    /// `countries`.
    #[serde(default, with = "lenient_strings_option")]
    pub countries: Option<Vec<String>>,
    /// The other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Incident {
    fn view<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_value(Value::Object(self.information_map()))
    }

    /// `information` read as a policy violation (DLP, cloud access); the map itself stays
    /// in `information`.
    ///
    /// # Errors
    ///
    /// serde's error when a known key holds a value of another type, as for every view.
    pub fn policy(&self) -> serde_json::Result<PolicyInfo> {
        self.view()
    }

    /// `information` read as an anomaly.
    ///
    /// # Errors
    ///
    /// As [`policy`](Self::policy).
    pub fn anomaly(&self) -> serde_json::Result<AnomalyInfo> {
        self.view()
    }

    /// `information` read as an audit violation.
    ///
    /// # Errors
    ///
    /// As [`policy`](Self::policy).
    pub fn audit(&self) -> serde_json::Result<AuditInfo> {
        self.view()
    }

    /// `information` read as a threat.
    ///
    /// # Errors
    ///
    /// As [`policy`](Self::policy).
    pub fn threat(&self) -> serde_json::Result<ThreatInfo> {
        self.view()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_in_every_shape() {
        let a: AnomalyInfo = serde_json::from_value(serde_json::json!({
            "cities": "[oslo, moscow]",
            "countries": ["NO", "RU"],
            "sourceIps": "1.2.2.78",
            "anomalyIds": [94483, "ANO-1"],
            "isPartOfThreat": "false",
            "thresholdValue": -1,
            "other": 1
        }))
        .unwrap();
        assert_eq!(a.cities, Some(vec!["oslo".into(), "moscow".into()]));
        assert_eq!(a.countries, Some(vec!["NO".into(), "RU".into()]));
        assert_eq!(a.source_ips, Some(vec!["1.2.2.78".into()]));
        assert_eq!(a.anomaly_ids, Some(vec!["94483".into(), "ANO-1".into()]));
        assert_eq!(a.is_part_of_threat, Some(false));
        assert_eq!(a.threshold_value, Some(-1.0));
        assert_eq!(a.extra.get("other"), Some(&serde_json::json!(1)));
    }
}
