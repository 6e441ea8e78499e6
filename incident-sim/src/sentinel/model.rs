//! The Sentinel simulator's state and its deterministic seed data.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use serde_json::{Map, Value, json};

use crate::cached::{Cached, push_json_array};
use crate::clock::{iso_ms, now_ms};
use crate::rng::Rng;
use crate::sim::Sim;

use super::Sentinel;

/// Fixed reference time (2025-01-01T00:00:00Z): seeded dates fall in the 30 days before
/// it, so the same seed always gives the same data.
const BASE_TIME_MS: i64 = 1_735_689_600_000;
const DAY_MS: i64 = 86_400_000;

/// Where the data objects live.
pub(crate) const OBJECTS: &str = "/SentinelRESTServices/objects";

/// Sentinel users incidents are assigned to: (id, name).
pub(crate) const USERS: &[(u64, &str)] = &[
    (1, "admin"),
    (2, "analyst1"),
    (3, "analyst2"),
    (4, "soc_lead"),
];

/// What an incident is about: name, category, description, severity range.
struct Scenario {
    name: &'static str,
    category: &'static str,
    desc: &'static str,
    severity: (i64, i64),
}

static SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "Failed Logins",
        category: "Denial of Service",
        desc: "Detected more than 100 failed logins in a 10 minute period.",
        severity: (3, 5),
    },
    Scenario {
        name: "Brute force against VPN gateway",
        category: "Authentication",
        desc: "Repeated authentication failures from one source against vpn01 followed by a success.",
        severity: (4, 5),
    },
    Scenario {
        name: "Malware detected on workstation",
        category: "Malware",
        desc: "Endpoint protection quarantined Trojan.GenericKD on WS-0231; the user account kept running processes.",
        severity: (3, 5),
    },
    Scenario {
        name: "Privileged account used outside hours",
        category: "Policy Violation",
        desc: "Domain administrator logon to dc02 at 03:12 from a workstation outside the admin network.",
        severity: (2, 4),
    },
    Scenario {
        name: "Port scan from internal host",
        category: "Reconnaissance",
        desc: "Host 10.20.4.17 contacted 1,024 ports on 37 hosts within five minutes.",
        severity: (1, 3),
    },
    Scenario {
        name: "Data exfiltration suspected",
        category: "Data Loss",
        desc: "2.3 GB uploaded to an unclassified cloud storage domain by a finance user.",
        severity: (4, 5),
    },
    Scenario {
        name: "Configuration change on firewall",
        category: "Change Management",
        desc: "Rule set of fw-edge-1 changed outside a change window.",
        severity: (0, 2),
    },
];

static RESOLUTIONS: &[&str] = &[
    "Locked user account.",
    "Reimaged the workstation and reset the user's password.",
    "Confirmed with the change board: approved emergency change.",
    "Blocked the source address at the perimeter firewall.",
    "Compte verrouillé, mot de passe réinitialisé.",
];

/// Everything mutable behind the simulator's lock. Objects are kept as the JSON Sentinel
/// sends, with absolute URLs built on the link base; incidents keep their text until they
/// change.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The base of every URL the simulator writes.
    pub(crate) base: String,
    pub(crate) incidents: BTreeMap<u64, Cached<Value>>,
    pub(crate) next_incident: u64,
    /// Incident-event associations by incident id.
    pub(crate) events: BTreeMap<u64, Vec<Value>>,
    pub(crate) external_data: BTreeMap<u64, Value>,
    pub(crate) annotations: BTreeMap<u64, Value>,
}

impl State {
    /// The URL of an object: `{base}/SentinelRESTServices/objects/{kind}/{id}`.
    pub(crate) fn href(&self, kind: &str, id: impl std::fmt::Display) -> String {
        format!("{}{OBJECTS}/{kind}/{id}", self.base)
    }

    pub(crate) fn meta(&self, kind: &str, id: impl std::fmt::Display) -> Value {
        json!({"type": kind, "@href": self.href(kind, id)})
    }

    /// The link to an incident's events, as the documentation's sample writes it.
    pub(crate) fn events_link(&self, id: u64) -> Value {
        json!({"@href": format!("{}{OBJECTS}/incident-events?query=incident-id.e{id}", self.base)})
    }

    pub(crate) fn seeded(base: &str, n: usize, seed: u64) -> State {
        let mut state = State {
            base: base.trim_end_matches('/').to_owned(),
            next_incident: n as u64 + 1,
            ..State::default()
        };
        let mut rng = Rng::new(seed);
        let mut next_external = 1u64;
        let mut next_annotation = 1u64;
        for id in 1..=n as u64 {
            let scenario = &SCENARIOS[rng.below_i64(SCENARIOS.len() as i64) as usize];
            // Spread over 30 days, oldest first, distinct to the millisecond.
            let created = BASE_TIME_MS - 30 * DAY_MS
                + (id as i64 - 1) * (30 * DAY_MS / (n.max(1) as i64))
                + rng.below_i64(3_600_000);
            let modified = created + rng.between(60_000, 2 * DAY_MS);
            let roll = rng.below_i64(100);
            let state_name = match roll {
                0..=29 => "OPEN",
                30..=49 => "ASSIGNED",
                50..=59 => "Investigating",
                60..=89 => "CLOSED",
                _ => "REJECTED",
            };
            let user = USERS[rng.below_i64(USERS.len() as i64) as usize].0;
            let users: Vec<Value> = if state_name == "OPEN" {
                Vec::new()
            } else {
                vec![Value::String(state.href("user", user))]
            };
            let severity = rng.between(scenario.severity.0, scenario.severity.1);
            let mut incident = Map::new();
            incident.insert("meta".into(), state.meta("incident", id));
            incident.insert("name".into(), json!(scenario.name));
            incident.insert("desc".into(), json!(scenario.desc));
            incident.insert("category".into(), json!(scenario.category));
            incident.insert("state".into(), json!(state_name));
            incident.insert("severity".into(), json!(severity));
            incident.insert("priority".into(), json!(rng.between(1, 5)));
            incident.insert(
                "sev-rating".into(),
                json!(rng.between(severity.max(1) - 1, severity).to_string()),
            );
            incident.insert("crit-rating".into(), json!("0"));
            incident.insert("vuln-rating".into(), json!("0"));
            incident.insert("createdate".into(), json!(iso_ms(created)));
            incident.insert("moddate".into(), json!(iso_ms(modified)));
            incident.insert("creator".into(), json!(state.href("user", 1)));
            incident.insert("modifier".into(), json!(state.href("user", user)));
            incident.insert("users".into(), Value::Array(users));
            if matches!(state_name, "CLOSED" | "REJECTED") {
                let r = RESOLUTIONS[rng.below_i64(RESOLUTIONS.len() as i64) as usize];
                incident.insert("resolution".into(), json!(r));
            }
            incident.insert("events".into(), state.events_link(id));
            let events: Vec<Value> = (0..rng.between(1, 4))
                .map(|i| {
                    let uuid = format!(
                        "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
                        rng.next_u64() as u32,
                        rng.next_u64() as u16,
                        rng.next_u64() as u16,
                        rng.next_u64() as u16,
                        rng.next_u64() & 0xFFFF_FFFF_FFFF
                    );
                    let at = created - 60_000 * (i + 1);
                    json!({
                        "meta": {"type": "incident-events", "@href": format!("{}{OBJECTS}/incident-events/{uuid}/{id}", state.base)},
                        "event-id": uuid.to_lowercase(),
                        "incident-id": id,
                        "event-time": iso_ms(at),
                        "createdate": iso_ms(created),
                        "moddate": iso_ms(created),
                    })
                })
                .collect();
            state.events.insert(id, events);
            let mut external = Vec::new();
            if rng.below_i64(3) == 0 {
                let xid = next_external;
                next_external += 1;
                state.external_data.insert(
                    xid,
                    json!({
                        "meta": state.meta("external-data", xid),
                        "id": format!("TKT-{}", 10_000 + xid),
                        "source": "ServiceNow",
                        "type": "ticket",
                        "data": {"number": format!("INC{:07}", 40_000 + xid), "priority": "2 - High"},
                        "createdate": iso_ms(modified),
                        "moddate": iso_ms(modified),
                        "creator": state.href("user", 1),
                        "modifier": state.href("user", 1),
                    }),
                );
                external.push(json!(state.href("external-data", xid)));
            }
            incident.insert("external-datas".into(), Value::Array(external));
            let mut notes = Vec::new();
            if state_name != "OPEN" {
                let aid = next_annotation;
                next_annotation += 1;
                state.annotations.insert(
                    aid,
                    json!({
                        "meta": state.meta("annotation", aid),
                        "text": format!("Triage started by user {user}."),
                        "createdate": iso_ms(modified),
                        "moddate": iso_ms(modified),
                        "creator": state.href("user", user),
                        "modifier": state.href("user", user),
                    }),
                );
                notes.push(json!(state.href("annotation", aid)));
            }
            incident.insert("annotations".into(), Value::Array(notes.clone()));
            incident.insert("notes".into(), Value::Array(notes));
            incident.insert("attachments".into(), json!([]));
            incident.insert("workflow-infos".into(), json!([]));
            state
                .incidents
                .insert(id, Cached::new(Value::Object(incident)));
        }
        state
    }
}

/// The page `GET /SentinelRESTServices/objects/incident` answers (without `page`,
/// `pagesize`, `query` or `field`) from a simulator seeded with `n` incidents and `seed`,
/// with links on `base`: every field of Sentinel's incident. Deterministic, for decode
/// tests and benchmarks that need realistic data without a server.
pub fn seeded_incidents_json(base: &str, n: usize, seed: u64) -> String {
    let state = State::seeded(base, n, seed);
    let mut out = String::from("{\"objects\":");
    push_json_array(&mut out, state.incidents.values().map(Cached::json));
    out.push('}');
    out
}

impl Sim<Sentinel> {
    /// The accepted user name and password.
    pub fn credentials(&self) -> (&str, &str) {
        (
            &self.options.common.user,
            self.options.common.password.as_str(),
        )
    }

    /// Current state of an incident, exactly as `GET .../objects/incident/{id}` answers.
    pub fn incident(&self, id: u64) -> Option<Value> {
        let state = self.shared.state.read();
        state.incidents.get(&id).map(|i| Value::clone(i))
    }

    /// A new incident, as a correlation rule firing now creates one: drawn like the seeded
    /// ones, `OPEN`, unassigned, created and modified now, with the next id. Returns its id.
    pub fn raise_incident(&self) -> u64 {
        let mut st = self.shared.state.write();
        let id = st.next_incident;
        st.next_incident += 1;
        let mut rng = Rng::new(self.options.common.seed() ^ id.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        let scenario = &SCENARIOS[rng.below_i64(SCENARIOS.len() as i64) as usize];
        let severity = rng.between(scenario.severity.0, scenario.severity.1);
        let now = iso_ms(now_ms());
        let creator = Value::String(st.href("user", USERS[0].0));
        let mut incident = Map::new();
        incident.insert("meta".into(), st.meta("incident", id));
        incident.insert("name".into(), json!(scenario.name));
        incident.insert("desc".into(), json!(scenario.desc));
        incident.insert("category".into(), json!(scenario.category));
        incident.insert("state".into(), json!("OPEN"));
        incident.insert("severity".into(), json!(severity));
        incident.insert("priority".into(), json!(rng.between(1, 5)));
        incident.insert("sev-rating".into(), json!(severity.to_string()));
        incident.insert("crit-rating".into(), json!("0"));
        incident.insert("vuln-rating".into(), json!("0"));
        incident.insert("createdate".into(), json!(now));
        incident.insert("moddate".into(), json!(now));
        incident.insert("creator".into(), creator.clone());
        incident.insert("modifier".into(), creator);
        incident.insert("users".into(), json!([]));
        incident.insert("events".into(), st.events_link(id));
        incident.insert("external-datas".into(), json!([]));
        incident.insert("annotations".into(), json!([]));
        incident.insert("notes".into(), json!([]));
        incident.insert("attachments".into(), json!([]));
        incident.insert("workflow-infos".into(), json!([]));
        st.events.insert(id, Vec::new());
        st.incidents
            .insert(id, Cached::new(Value::Object(incident)));
        id
    }

    /// The ids of every incident, in order.
    pub fn incident_ids(&self) -> Vec<u64> {
        self.shared.state.read().incidents.keys().copied().collect()
    }

    /// Tokens issued so far (logons).
    pub fn tokens_issued(&self) -> u64 {
        self.shared.issued.load(Ordering::Relaxed)
    }

    /// Tokens deleted so far (sign-outs).
    pub fn tokens_deleted(&self) -> u64 {
        self.shared.deleted.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_is_deterministic_and_plausible() {
        let a = State::seeded("http://h:1", 50, 7);
        let b = State::seeded("http://h:1", 50, 7);
        assert_eq!(a.incidents, b.incidents);
        assert_eq!(a.incidents.len(), 50);
        let states: Vec<&str> = a
            .incidents
            .values()
            .filter_map(|i| i["state"].as_str())
            .collect();
        for s in ["OPEN", "ASSIGNED", "CLOSED"] {
            assert!(states.contains(&s), "{s}");
        }
        let first = &a.incidents[&1];
        assert_eq!(
            first["meta"]["@href"],
            "http://h:1/SentinelRESTServices/objects/incident/1"
        );
        assert!(first["createdate"].as_str().unwrap().ends_with('Z'));
        assert_eq!(iso_ms(1_335_360_824_522), "2012-04-25T13:33:44.522Z");
    }
}
