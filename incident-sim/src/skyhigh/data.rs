//! The incidents a Skyhigh simulator serves: seeded, deterministic, realistic, with several
//! incidents sharing a `timeModified` so that page boundaries fall inside such groups.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::cached::Cached;
use crate::clock::{iso_ms, now_ms};
use crate::rng::Rng;
use crate::sim::Sim;

use super::{PageBoundary, ResponseShape, Skyhigh};

/// 2024-05-01T00:00:00Z: the first seeded incident's time.
pub(crate) const BASE_TIME_MS: i64 = 1_714_521_600_000;

/// Reads a request time as the service does: `yyyy-mm-ddThh:mm:ss[.sss][Z|±hh:mm|±hhmm]`,
/// no zone meaning UTC. Milliseconds since the epoch.
pub(crate) fn parse_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let t = OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .or_else(|| {
            let (head, tail) = text.split_at(text.len().checked_sub(5)?);
            let ok = (tail.starts_with('+') || tail.starts_with('-'))
                && tail[1..].bytes().all(|b| b.is_ascii_digit());
            ok.then(|| format!("{head}{}:{}", &tail[..3], &tail[3..]))
                .and_then(|fixed| OffsetDateTime::parse(&fixed, &Rfc3339).ok())
        })
        .or_else(|| {
            let naive = format_description!(
                version = 2,
                "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
            );
            PrimitiveDateTime::parse(text, &naive)
                .ok()
                .map(|t| t.assume_offset(UtcOffset::UTC))
        })?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// One stored incident.
#[derive(Clone, Debug)]
pub(crate) struct Rec {
    pub(crate) id: String,
    pub(crate) num: u64,
    pub(crate) group: String,
    pub(crate) actor: String,
    pub(crate) actor_type: &'static str,
    pub(crate) services: Vec<String>,
    pub(crate) severity: &'static str,
    pub(crate) score: f64,
    pub(crate) status: String,
    pub(crate) created_ms: i64,
    pub(crate) modified_ms: i64,
    pub(crate) information: Value,
    pub(crate) responses: Vec<String>,
    pub(crate) activity_names: Vec<String>,
    pub(crate) instance_id: u64,
    pub(crate) instance_name: &'static str,
}

impl Rec {
    pub(crate) fn kind(&self) -> &str {
        self.id.split_once('-').map_or("", |(p, _)| p)
    }

    pub(crate) fn to_json(&self) -> Value {
        let severity_id = match self.severity {
            "low" => json!(0),
            "medium" => json!(1),
            "high" => json!(2),
            _ => Value::Null,
        };
        json!({
            "activityNames": self.activity_names,
            "actorId": self.actor,
            "actorIdType": self.actor_type,
            "incidentGroup": self.group,
            "incidentGroupId": null,
            "incidentId": self.id,
            "incidentRiskScore": self.score,
            "incidentRiskSeverity": self.severity,
            "incidentRiskSeverityId": severity_id,
            "information": self.information,
            "instanceId": self.instance_id,
            "instanceName": self.instance_name,
            "responses": self.responses,
            "serviceNames": self.services,
            "significantlyUpdatedAt": iso_ms(self.modified_ms),
            "status": self.status,
            "timeCreated": iso_ms(self.created_ms),
            "timeModified": iso_ms(self.modified_ms),
        })
    }
}

const USERS: &[&str] = &[
    "jdoe@example.com",
    "asmith@example.com",
    "mlopez@example.com",
    "kwang@example.com",
    "svc-backup@example.com",
    "pnovak@example.com",
];
const IPS: &[&str] = &["203.0.113.17", "198.51.100.4", "192.0.2.88"];
const SANCTIONED: &[(&str, &str, u64)] = &[
    ("OneDrive", "Example OneDrive", 12892),
    ("Microsoft Office 365 and OneDrive", "Example O365", 444_441),
    ("Box", "Example Box", 7731),
    ("Salesforce", "Example Salesforce", 5120),
    ("Microsoft Azure", "Azure", 6840),
    ("Slack", "Example Slack", 9012),
];
const SHADOW: &[&str] = &[
    "WeTransfer",
    "Mega",
    "Dropbox Basic",
    "Pastebin",
    "Zippyshare",
];
const DLP_POLICIES: &[(u64, &str)] = &[
    (373_100, "OneDrive Detection - Targeted Account Numbers"),
    (373_101, "PII"),
    (373_102, "Encrypted files"),
    (373_103, "Source code leaving the company"),
];
const CAP_POLICIES: &[(u64, &str, &str)] = &[
    (
        333_333,
        "Block downloads to unmanaged devices",
        "Block Access",
    ),
    (777_777, "allow successfactors", "Allow Access"),
];
const AUDIT_POLICIES: &[(u64, &str)] = &[
    (
        405_763,
        "MFA for accounts with read permissions on subscription not enabled",
    ),
    (405_770, "Storage account allows public blob access"),
];
const CITIES: &[(&str, &str, &str)] = &[
    ("oslo", "NO", "2.148.4.85"),
    ("moscow", "RU", "1.2.2.78"),
    ("beijing", "CN", "80.64.104.97"),
    ("nowshera", "PK", "39.43.30.58"),
    ("shimajiri", "JP", "14.12.145.139"),
];

/// Kinds with their share (per 100).
const KINDS: &[(&str, u64)] = &[
    ("DLP", 35),
    ("CAP", 20),
    ("ANO", 15),
    ("AUD", 10),
    ("THR", 8),
    ("SHW", 7),
    ("MAL", 5),
];

const STATUSES: &[(&str, u64)] = &[
    ("new", 45),
    ("opened", 25),
    ("resolved", 10),
    ("false positive", 7),
    ("suppressed", 6),
    ("archived", 7),
];

fn weighted<'a>(rng: &mut Rng, table: &'a [(&'a str, u64)]) -> &'a str {
    let total: u64 = table.iter().map(|(_, w)| w).sum();
    let mut n = rng.below(total);
    for (value, weight) in table {
        if n < *weight {
            return value;
        }
        n -= weight;
    }
    table[0].0
}

/// The most seeded incidents that share one `timeModified`.
pub(crate) const MAX_SHARED: usize = 4;

/// `n` incidents from `seed`, in ascending `timeModified` order. About a third share their
/// `timeModified` with the one before.
pub(crate) fn seeded(n: usize, seed: u64) -> Vec<Rec> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    let mut modified = BASE_TIME_MS;
    let mut run = 0;
    for i in 0..n {
        // At most four incidents share one instant, so that any limit of five or more can
        // page through them (the service cannot page inside a larger group).
        if i > 0 && (rng.below(3) != 0 || run == MAX_SHARED - 1) {
            modified += 1_000 * (1 + rng.below(300) as i64) + rng.below(1_000) as i64;
            run = 0;
        } else if i > 0 {
            run += 1;
        }
        let created = modified - 1_000 * rng.below(3_600) as i64 - rng.below(1_000) as i64;
        let kind = weighted(&mut rng, KINDS);
        let num = 1_000 + i as u64;
        let (service, instance_name, instance_id) = *rng.pick(SANCTIONED);
        let user = *rng.pick(USERS);
        let severity = *rng.pick(&["low", "low", "medium", "high", "info"]);
        let score = match severity {
            "high" => 10.0,
            "medium" => 6.0,
            "info" => 1.0,
            _ => 3.0,
        };
        let mut rec = Rec {
            id: format!("{kind}-{num}"),
            num,
            group: String::new(),
            actor: user.to_owned(),
            actor_type: "USER",
            services: vec![service.to_owned()],
            severity,
            score,
            status: weighted(&mut rng, STATUSES).to_owned(),
            created_ms: created,
            modified_ms: modified,
            information: json!({}),
            responses: vec!["Allowed".to_owned()],
            activity_names: Vec::new(),
            instance_id,
            instance_name,
        };
        let event_id = (31_000 + rng.below(9_000)).to_string();
        match kind {
            "DLP" => {
                let (policy_id, policy) = *rng.pick(DLP_POLICIES);
                let file = format!("report-{}.xlsx", rng.below(900) + 100);
                let folder = format!("/personal/{}/Documents", user.replace(['@', '.'], "_"));
                rec.group = "Alert.Policy.Dlp".to_owned();
                rec.activity_names =
                    vec![rng.pick(&["Modified", "Uploaded", "Shared"]).to_string()];
                rec.information = json!({
                    "collaborationSharedLink": rng.below(4) == 0,
                    "contentItemCreatedOn": iso_ms(created - 86_400_000),
                    "contentItemHierarchy": folder,
                    "contentItemId": format!("{folder}/{file}:{}", rng.next_u64() % 100_000),
                    "contentItemName": file,
                    "contentItemParent": "Documents",
                    "contentItemSize": 10_000 + rng.below(500_000),
                    "contentItemType": "FILE",
                    "device": {"ip": *rng.pick(IPS)},
                    "eventId": event_id,
                    "externalCollaborators": [],
                    "externalCollaboratorsCount": 0,
                    "matchLocations": [file],
                    "policyId": policy_id,
                    "policyName": policy,
                    "source": "API",
                    "totalMatchCount": 1 + rng.below(2_000),
                    "userAttributes": {}
                });
            }
            "CAP" => {
                let (policy_id, policy, response) = *rng.pick(CAP_POLICIES);
                rec.group = "Alert.Policy.CloudAccess".to_owned();
                rec.responses = vec![response.to_owned()];
                rec.information = json!({
                    "contentItemCreatedOn": iso_ms(created),
                    "contentItemId": "UNKNOWN",
                    "contentItemName": *rng.pick(&["/", "/css/webfonts/office365icons.eot?", "/api/v2/download"]),
                    "contentItemType": "REQUEST",
                    "device": {
                        "application": {"type": "application", "user_agent": *rng.pick(&["Chrome", "Firefox", "Unknown"])},
                        "device_type": *rng.pick(&["Desktop", "Unknown", "Mobile"]),
                        "ip": *rng.pick(IPS),
                        "os": {"platform": *rng.pick(&["Windows", "macOS", "Unknown"]), "type": "os"}
                    },
                    "eventId": event_id,
                    "lastExecutedResponseLabel": response,
                    "policyId": policy_id,
                    "policyName": policy,
                    "userAttributes": {}
                });
            }
            "ANO" | "SHW" => {
                let picks: Vec<_> = (0..3).map(|_| *rng.pick(CITIES)).collect();
                if kind == "SHW" {
                    rec.services = vec![rng.pick(SHADOW).to_string()];
                    rec.group = "Alert.Shadow.HighRiskServiceUsage".to_owned();
                    rec.instance_name = "Shadow IT";
                    rec.information = json!({
                        "anomalyCategory": ["Data Exfiltration"],
                        "anomalyCause": "HIGH UPLOAD VOLUME",
                        "anomalyValue": 50_000_000 + rng.below(900_000_000),
                        "sourceIps": [picks[0].2],
                        "thresholdDuration": "daily",
                        "thresholdValue": 50_000_000,
                        "isPartOfThreat": false
                    });
                } else {
                    rec.group = "Alert.Access.AnomalousAccessLocation".to_owned();
                    rec.responses = vec!["Admin Login".to_owned()];
                    rec.information = json!({
                        "anomalyCategory": ["Access Anomalies"],
                        "anomalyCause": *rng.pick(&["CUSTOMER BLACKLIST", "IMPOSSIBLE TRAVEL"]),
                        "anomalyValue": "NA",
                        "cities": picks.iter().map(|c| c.0).collect::<Vec<_>>(),
                        "countries": picks.iter().map(|c| c.1).collect::<Vec<_>>(),
                        "sourceIps": picks.iter().map(|c| c.2).collect::<Vec<_>>(),
                        "isPartOfThreat": rng.below(3) == 0,
                        "threatCategory": "Compromised Accounts",
                        "thresholdDuration": "weekly",
                        "thresholdValue": -1
                    });
                }
            }
            "AUD" => {
                let (policy_id, policy) = *rng.pick(AUDIT_POLICIES);
                rec.group = "Alert.Policy.Audit".to_owned();
                rec.actor = "N/A".to_owned();
                rec.services = vec!["Microsoft Azure".to_owned()];
                rec.instance_name = "Azure";
                rec.responses = vec!["Violation Detected".to_owned()];
                rec.information = json!({
                    "accountId": "dc960d72-efdf-4b89-adb8-4c78eb969c83",
                    "category": "SecurityCenterRecommendations",
                    "configType": "SUBSCRIPTION",
                    "contentItemId": "dc960d72-efdf-4b89-adb8-4c78eb969c83",
                    "contentItemName": "Microsoft Azure",
                    "contentItemType": "SUBSCRIPTION",
                    "policyId": policy_id,
                    "policyName": policy
                });
            }
            "THR" => {
                let category =
                    *rng.pick(&["CompromisedAccount", "InsiderThreat", "PrivilegeAccess"]);
                rec.group = format!("Threat.{category}.{}", rng.pick(&["Detected", "Escalated"]));
                if rng.below(2) == 0 {
                    rec.actor = rng.pick(IPS).to_string();
                    rec.actor_type = "IP_ADDRESS";
                }
                rec.information = json!({
                    "threatCategory": match category {
                        "CompromisedAccount" => "Compromised Accounts",
                        "InsiderThreat" => "Insider Threat",
                        _ => "Privileged Access Misuse",
                    },
                    "anomalyIds": [format!("ANO-{}", 90_000 + rng.below(9_000)), format!("ANO-{}", 90_000 + rng.below(9_000))],
                    "anomalyCategory": ["Access Anomalies", "Data Exfiltration"],
                    "sourceIps": [*rng.pick(IPS)],
                    "countries": ["US"]
                });
            }
            _ => {
                rec.group = "Alert.Policy.Malware".to_owned();
                rec.responses = vec!["Quarantined".to_owned()];
                rec.information = json!({
                    "contentItemName": format!("invoice-{}.pdf.exe", rng.below(1000)),
                    "contentItemType": "FILE",
                    "malwareName": *rng.pick(&["Trojan.GenericKD", "W97M.Downloader", "JS.Phish"]),
                    "malwareSeverity": *rng.pick(&["High", "Medium"]),
                    "policyName": "Malware detection",
                    "eventId": event_id
                });
            }
        }
        out.push(rec);
    }
    out
}

/// The information keys of each incident type, as `queryIncidentInformationKeys` lists them.
pub(crate) fn information_keys() -> Value {
    json!([
        {"type": "AuditViolation", "informationKeys": {
            "accountId": "Cloud account the configuration belongs to",
            "configType": "Type of the configuration item",
            "category": "Audit category",
            "contentItemId": "Identifier of the configuration item",
            "contentItemName": "Name of the configuration item",
            "policyId": "Identifier of the audit policy",
            "policyName": "Name of the audit policy"}},
        {"type": "PolicyViolation", "informationKeys": {
            "contentItemName": "Name of the file or request",
            "contentItemHierarchy": "Folder of the file",
            "matchLocations": "Where the content matched",
            "policyId": "Identifier of the DLP policy",
            "policyName": "Name of the DLP policy",
            "totalMatchCount": "Number of matches"}},
        {"type": "SanctionedAnomaly", "informationKeys": {
            "anomalyCategory": "Category of the anomaly",
            "anomalyCause": "Cause of the anomaly",
            "cities": "Cities of the activities",
            "sourceIps": "Source IP addresses"}},
        {"type": "ShadowAnomaly", "informationKeys": {
            "anomalyCategory": "Category of the anomaly",
            "thresholdValue": "Threshold exceeded"}},
        {"type": "Threat", "informationKeys": {
            "anomalyIds": "Anomalies the threat is built from",
            "threatCategory": "Category of the threat"}},
        {"type": "VulnerabilityViolation", "informationKeys": {
            "policyName": "Name of the vulnerability policy"}}
    ])
}

/// Groups every tenant has, beside those of the seeded incidents.
pub(crate) const KNOWN_GROUPS: &[&str] = &[
    "Alert.Access.AnomalousAccessLocation",
    "Alert.Access.BruteForceLogin",
    "Alert.Admin.PrivilegeEscalation",
    "Alert.Data.InsiderThreat",
    "Alert.Policy.Audit",
    "Alert.Policy.CloudAccess",
    "Alert.Policy.Dlp",
    "Alert.Policy.Malware",
    "Alert.Shadow.HighRiskServiceUsage",
    "Threat.CompromisedAccount.Detected",
    "Threat.InsiderThreat.Detected",
    "Threat.PrivilegeAccess.Detected",
];

/// The JSON `queryIncidents` would list (bare, without the envelope) from a fresh simulator
/// seeded with `n` incidents and `seed`: `{"incidents": [...], "responseInfo": {...}}`.
/// Deterministic, for decode tests and benchmarks.
pub fn seeded_incidents_json(n: usize, seed: u64) -> String {
    let incidents: Vec<Value> = seeded(n, seed).iter().map(|r| r.to_json()).collect();
    serde_json::json!({
        "incidents": incidents,
        "responseInfo": {"actualLimit": n, "apiElapsedMillis": 1, "error": null,
                         "nextOffset": null, "nextStartTime": null, "source": "seed"}
    })
    .to_string()
}

impl Sim<Skyhigh> {
    /// The accepted user name and password.
    pub fn credentials(&self) -> (&str, &str) {
        (
            &self.options.common.user,
            self.options.common.password.as_str(),
        )
    }

    /// Changes the shape of the answers from now on.
    pub fn set_response_shape(&self, shape: ResponseShape) {
        let envelope = shape == ResponseShape::Envelope;
        self.shared.envelope.store(envelope, Ordering::Relaxed);
    }

    /// Changes how pages end at incidents sharing a timestamp, from now on.
    pub fn set_page_boundary(&self, boundary: PageBoundary) {
        let repeat = boundary == PageBoundary::RepeatBoundary;
        self.shared.repeat_boundary.store(repeat, Ordering::Relaxed);
    }

    /// An incident as `queryIncidents` would list it.
    pub fn incident(&self, id: &str) -> Option<Value> {
        let incidents = self.shared.incidents.read();
        incidents.iter().find(|r| r.id == id).map(|r| r.to_json())
    }

    /// A new incident, as the service raises one on a detection now: drawn like the seeded
    /// ones, `new`, created and modified now, with the next number. Returns its id (e.g.
    /// `DLP-1060`).
    pub fn raise_incident(&self) -> String {
        let mut incidents = self.shared.incidents.write();
        let num = incidents
            .iter()
            .map(|r| r.num)
            .max()
            .map_or(1_000, |n| n + 1);
        let seed = self.shared.options.common.seed() ^ num.wrapping_mul(0xD6E8_FEB8_6659_FD93);
        let Some(mut rec) = seeded(1, seed).pop() else {
            return String::new();
        };
        let kind = rec.kind().to_owned();
        let now = now_ms();
        rec.num = num;
        rec.id = format!("{kind}-{num}");
        rec.status = "new".to_owned();
        rec.created_ms = now;
        rec.modified_ms = incidents.last().map_or(now, |r| now.max(r.modified_ms));
        let id = rec.id.clone();
        // The latest time: the order by (timeModified, number) holds.
        incidents.push(Cached::new(rec));
        id
    }

    /// Every incident, in the order `queryIncidents` lists them (ascending `timeModified`).
    pub fn incidents(&self) -> Vec<Value> {
        self.shared
            .incidents
            .read()
            .iter()
            .map(|r| r.to_json())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_and_data_is_deterministic() {
        assert_eq!(iso_ms(BASE_TIME_MS), "2024-05-01T00:00:00.000Z");
        for text in [
            "2024-05-01T00:00:00.000Z",
            "2024-05-01T00:00:00Z",
            "2024-05-01T00:00:00",
            "2024-05-01T02:00:00+02:00",
            "2024-05-01T02:00:00.000+0200",
        ] {
            assert_eq!(parse_ms(text), Some(BASE_TIME_MS), "{text}");
        }
        assert_eq!(parse_ms("soon"), None);
        assert_eq!(parse_ms(""), None);
        let a = seeded(200, 7);
        let b = seeded(200, 7);
        assert_eq!(a.len(), 200);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_json() == y.to_json()));
        assert!(a.windows(2).all(|w| w[0].modified_ms <= w[1].modified_ms));
        let shared = a
            .windows(2)
            .filter(|w| w[0].modified_ms == w[1].modified_ms)
            .count();
        assert!(
            shared > 30,
            "{shared} incidents share a time with the one before"
        );
        assert!(a.iter().all(|r| r.created_ms <= r.modified_ms));
        let longest = a
            .chunk_by(|x, y| x.modified_ms == y.modified_ms)
            .map(<[Rec]>::len)
            .max();
        assert!(
            longest.is_some_and(|l| l > 1 && l <= MAX_SHARED),
            "{longest:?}"
        );
    }
}
