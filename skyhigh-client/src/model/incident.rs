//! The Incident object of the seed, as the service really sends it.

use std::fmt;

use incident_core::serde_helpers::{lenient_f64_option, lenient_i64_option};
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::time::time_option;

incident_core::string_enum! {
    /// `incidentRiskSeverity`. The documentation lists low, medium and high; integrations
    /// also see `info`.
    pub enum RiskSeverity {
        /// `info`.
        Info = "info",
        /// `low` (`incidentRiskSeverityId` 0).
        Low = "low",
        /// `medium` (`incidentRiskSeverityId` 1).
        Medium = "medium",
        /// `high` (`incidentRiskSeverityId` 2).
        High = "high",
    }
}

incident_core::string_enum! {
    /// `status`: the incident's workflow state.
    pub enum IncidentStatus {
        /// `new`.
        New = "new",
        /// `opened`.
        Opened = "opened",
        /// `false positive` (with a space).
        FalsePositive = "false positive",
        /// `resolved`.
        Resolved = "resolved",
        /// `suppressed`.
        Suppressed = "suppressed",
        /// `archived`.
        Archived = "archived",
    }
}

incident_core::string_enum! {
    /// The three-letter prefix of an `incidentId`, naming what kind of incident it is.
    pub enum IncidentKind {
        /// `ANO`: sanctioned anomaly.
        Anomaly = "ANO",
        /// `APP`: consolidated application violation.
        AppViolation = "APP",
        /// `AUD`: audit (configuration) violation.
        Audit = "AUD",
        /// `CAP`: cloud access policy violation.
        CloudAccessPolicy = "CAP",
        /// `DLP`: data loss prevention policy violation.
        Dlp = "DLP",
        /// `EPO`: ePO violation.
        Epo = "EPO",
        /// `MAL`: malware.
        Malware = "MAL",
        /// `SHW`: shadow (unsanctioned service) anomaly.
        ShadowAnomaly = "SHW",
        /// `THR`: threat.
        Threat = "THR",
    }
}

/// `actorIdType`: whether `actorId` is a user name or an IP address.
///
/// The service writes `USER` / `IP_ADDRESS`, the documentation `User` / `IpAddress`; both are
/// read, in any case. Written back as `USER` / `IP_ADDRESS`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActorIdType {
    /// A user name (may be tokenized).
    User,
    /// An IP address.
    IpAddress,
    /// Another value, kept as sent.
    Unknown(String),
}

impl ActorIdType {
    /// Reads `USER`, `User`, `IP_ADDRESS`, `IpAddress`... (case and `_` ignored).
    pub fn from_wire(value: &str) -> ActorIdType {
        // The spellings seen, without a copy.
        match value {
            "USER" | "User" => return ActorIdType::User,
            "IP_ADDRESS" | "IpAddress" => return ActorIdType::IpAddress,
            _ => {}
        }
        let squashed: String = value
            .chars()
            .filter(|c| *c != '_' && *c != ' ')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match squashed.as_str() {
            "user" => ActorIdType::User,
            "ipaddress" => ActorIdType::IpAddress,
            _ => ActorIdType::Unknown(value.to_owned()),
        }
    }

    /// The value as sent in requests: `USER`, `IP_ADDRESS`, or the unknown value.
    pub fn as_str(&self) -> &str {
        match self {
            ActorIdType::User => "USER",
            ActorIdType::IpAddress => "IP_ADDRESS",
            ActorIdType::Unknown(s) => s,
        }
    }
}

impl fmt::Display for ActorIdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ActorIdType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl From<&str> for ActorIdType {
    fn from(value: &str) -> ActorIdType {
        ActorIdType::from_wire(value)
    }
}

impl From<String> for ActorIdType {
    fn from(value: String) -> ActorIdType {
        match ActorIdType::from_wire(&value) {
            ActorIdType::Unknown(_) => ActorIdType::Unknown(value),
            known => known,
        }
    }
}

impl<'de> Deserialize<'de> for ActorIdType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        incident_core::serde_helpers::str_into(d)
    }
}

/// An `incidentId` such as `DLP-59882`: a type prefix, a dash and a number.
///
/// Kept as sent; [`kind`](Self::kind), [`prefix`](Self::prefix) and
/// [`number`](Self::number) read its parts. [`IncidentId::parse`] checks an id given by a
/// caller before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentId(String);

/// The longest incident id accepted from a caller.
pub const MAX_INCIDENT_ID_LEN: usize = 64;

impl IncidentId {
    /// Checks an id given by a caller: 1 to [`MAX_INCIDENT_ID_LEN`] characters, ASCII
    /// letters, digits, `-` and `_` only. (Incident ids travel in JSON bodies, but one with
    /// spaces or control characters is a mistake worth stopping before a batch is sent.)
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](incident_core::Error::InvalidInput) for another id.
    ///
    /// ```
    /// use skyhigh_client::{IncidentId, IncidentKind};
    /// let id = IncidentId::parse("DLP-108").unwrap();
    /// assert_eq!(id.kind(), IncidentKind::Dlp);
    /// assert_eq!(id.number(), Some(108));
    /// assert!(IncidentId::parse("DLP-108\n").is_err());
    /// assert!(IncidentId::parse("").is_err());
    /// ```
    pub fn parse(id: &str) -> incident_core::Result<IncidentId> {
        let ok = !id.is_empty()
            && id.len() <= MAX_INCIDENT_ID_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(IncidentId(id.to_owned()))
        } else {
            Err(incident_core::Error::invalid_input(
                "incident id",
                format!(
                    "{:?} is not a Skyhigh incident id such as \"DLP-108\"",
                    id.chars().take(80).collect::<String>()
                ),
            ))
        }
    }

    /// The id as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the first dash, e.g. `DLP`.
    pub fn prefix(&self) -> Option<&str> {
        self.0.split_once('-').map(|(p, _)| p)
    }

    /// The number after the dash, e.g. `108` of `DLP-108`.
    pub fn number(&self) -> Option<u64> {
        self.0.split_once('-').and_then(|(_, n)| n.parse().ok())
    }

    /// The kind of incident its prefix names ([`IncidentKind::Unknown`] for another prefix,
    /// or the whole id when there is no dash).
    pub fn kind(&self) -> IncidentKind {
        IncidentKind::from_wire(self.prefix().unwrap_or(&self.0))
    }
}

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<IncidentId> for String {
    fn from(id: IncidentId) -> String {
        id.0
    }
}

/// `information`: the incident's other key/value pairs (see
/// [`queryIncidentInformationKeys`](crate::incidents::IncidentsApi::information_keys)).
///
/// The seed documents an array of `{key, value}`; the service sends a JSON object, with
/// nested objects (`device: {ip, os, application}`). Both are read into one map; it is
/// written back as an object.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Information(pub Map<String, Value>);

impl Information {
    /// The value at `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// The value at `key` when it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    /// The whole map.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Information {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Information;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object, or an array of {key, value}")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Information, A::Error> {
                // Gathered, then built in one pass (sorted, the last of a repeated key
                // kept, as inserts would): cheaper than an insert per member.
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16).min(64));
                while let Some(member) = map.next_entry::<String, Value>()? {
                    members.push(member);
                }
                Ok(Information(members.into_iter().collect()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Information, A::Error> {
                #[derive(Deserialize)]
                struct KeyValue {
                    key: String,
                    #[serde(default)]
                    value: Value,
                }
                let mut out = Map::new();
                while let Some(kv) = seq.next_element::<KeyValue>()? {
                    out.insert(kv.key, kv.value);
                }
                Ok(Information(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// One incident, as `queryIncidents` returns it.
///
/// Every field is optional (the service leaves fields out and sends `null`s); fields the
/// documentation does not list (`incidentGroupId`, `incidentRiskSeverityId`, `instanceId`,
/// `instanceName`, `significantlyUpdatedAt` are typed here; anything newer lands in
/// [`extra`](Self::extra)) are kept and written back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Incident {
    /// `activityNames`: the activities that caused the incident.
    #[serde(
        rename = "activityNames",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub activity_names: Option<Vec<String>>,
    /// `actorId`: the user name or IP address involved (may be tokenized).
    #[serde(rename = "actorId", default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    /// `actorIdType`: what [`actor_id`](Self::actor_id) is.
    #[serde(
        rename = "actorIdType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub actor_id_type: Option<ActorIdType>,
    /// `incidentGroup`: `incidentType.category.name`, e.g. `Alert.Policy.Dlp`.
    #[serde(
        rename = "incidentGroup",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub incident_group: Option<String>,
    /// `incidentGroupId` (undocumented; `null` in every published sample).
    #[serde(
        rename = "incidentGroupId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub incident_group_id: Option<Value>,
    /// `incidentId`, e.g. `DLP-59882`.
    #[serde(
        rename = "incidentId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub incident_id: Option<IncidentId>,
    /// `incidentRiskScore` (a double; sent as `10.0` and as `10`).
    #[serde(
        rename = "incidentRiskScore",
        default,
        with = "lenient_f64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub incident_risk_score: Option<f64>,
    /// `incidentRiskSeverity`.
    #[serde(
        rename = "incidentRiskSeverity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub incident_risk_severity: Option<RiskSeverity>,
    /// `incidentRiskSeverityId` (undocumented: 0 low, 2 high in the published samples).
    #[serde(
        rename = "incidentRiskSeverityId",
        default,
        with = "lenient_i64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub incident_risk_severity_id: Option<i64>,
    /// `information`: the other key/value pairs; see the typed views
    /// [`policy`](Self::policy), [`anomaly`](Self::anomaly), [`audit`](Self::audit) and
    /// [`threat`](Self::threat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information: Option<Information>,
    /// `instanceId`: the cloud service instance (undocumented).
    #[serde(
        rename = "instanceId",
        default,
        with = "lenient_i64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub instance_id: Option<i64>,
    /// `instanceName` (undocumented).
    #[serde(
        rename = "instanceName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub instance_name: Option<String>,
    /// `responses`: the actionable responses, e.g. `Block Access`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responses: Option<Vec<String>>,
    /// `serviceNames`: the cloud services involved.
    #[serde(
        rename = "serviceNames",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub service_names: Option<Vec<String>>,
    /// `significantlyUpdatedAt` (undocumented).
    #[serde(
        rename = "significantlyUpdatedAt",
        default,
        with = "time_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub significantly_updated_at: Option<OffsetDateTime>,
    /// `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<IncidentStatus>,
    /// `timeCreated`.
    #[serde(
        rename = "timeCreated",
        default,
        with = "time_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub time_created: Option<OffsetDateTime>,
    /// `timeModified`: the time the `startTime`/`endTime` filters and the paging cursor
    /// work on (unless `timesSelection` is `CREATED_AT`).
    #[serde(
        rename = "timeModified",
        default,
        with = "time_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub time_modified: Option<OffsetDateTime>,
    /// Fields this version does not know, kept and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Incident {
    /// The kind of incident its id names.
    pub fn kind(&self) -> Option<IncidentKind> {
        self.incident_id.as_ref().map(IncidentId::kind)
    }

    /// The `information` map (empty when the incident has none).
    pub fn information_map(&self) -> Map<String, Value> {
        self.information.clone().map(|i| i.0).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_id_types_in_any_spelling() {
        for (text, want) in [
            ("USER", ActorIdType::User),
            ("User", ActorIdType::User),
            ("user", ActorIdType::User),
            ("IP_ADDRESS", ActorIdType::IpAddress),
            ("IpAddress", ActorIdType::IpAddress),
            ("ip_address", ActorIdType::IpAddress),
            ("DEVICE", ActorIdType::Unknown("DEVICE".into())),
        ] {
            let got: ActorIdType = serde_json::from_value(serde_json::json!(text)).unwrap();
            assert_eq!(got, want, "{text}");
        }
        assert_eq!(serde_json::json!(ActorIdType::IpAddress), "IP_ADDRESS");
    }

    #[test]
    fn ids_and_kinds() {
        let id: IncidentId = serde_json::from_value(serde_json::json!("SHW-77")).unwrap();
        assert_eq!(id.kind(), IncidentKind::ShadowAnomaly);
        assert_eq!(id.prefix(), Some("SHW"));
        assert_eq!(id.number(), Some(77));
        let odd: IncidentId = serde_json::from_value(serde_json::json!("XYZ")).unwrap();
        assert_eq!(odd.kind(), IncidentKind::Unknown("XYZ".into()));
        assert_eq!(odd.number(), None);
        for bad in ["a b", "DLP-1;", "é", &"D".repeat(65)] {
            assert!(IncidentId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn information_as_object_or_key_value_array() {
        let a: Information =
            serde_json::from_str(r#"[{"key":"policyName","value":"PII"},{"key":"n","value":3}]"#)
                .unwrap();
        let b: Information = serde_json::from_str(r#"{"policyName":"PII","n":3}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.get_str("policyName"), Some("PII"));
        // A repeated member: the last one, as serde_json's own maps keep it.
        let c: Information = serde_json::from_str(r#"{"b":1,"a":1,"b":2,"a":3}"#).unwrap();
        let d: Map<String, Value> = serde_json::from_str(r#"{"b":1,"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(c.0, d);
        assert_eq!(c.get("a"), Some(&serde_json::json!(3)));
        assert!(serde_json::from_str::<Information>("3").is_err());
    }
}
