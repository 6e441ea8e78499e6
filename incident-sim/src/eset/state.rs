//! ESET simulator state: incidents, comments and users, the deterministic seed data, and
//! the proto3 JSON they are served as.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::cached::{Cached, push_json_array};
use crate::rng::Rng;
use crate::server::sessions::relock;
use crate::sim::Sim;

use super::Eset;
use super::handlers::RateLimit;

/// Fixed reference time (2025-03-01T00:00:00Z): seeded incidents are created in the 60 days
/// after it, so the same seed always gives the same data.
const BASE_TIME: i64 = 1_740_787_200;

/// The users incidents can be assigned to; the first is the API user itself (the author of
/// comments written through the API).
pub(crate) const USERS: [&str; 5] = [
    "0f3c2a1b-8d4e-4f5a-9b6c-7d8e9f0a1b2c",
    "9b2c1e4f-7a3d-4c5b-8e6f-0a1b2c3d4e5f",
    "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
    "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
    "7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b",
];

pub(crate) const OPEN: &str = "INCIDENT_STATUS_OPEN";
pub(crate) const IN_PROGRESS: &str = "INCIDENT_STATUS_IN_PROGRESS";
pub(crate) const WAITING: &str = "INCIDENT_STATUS_WAITING_FOR_INPUT";
pub(crate) const CLOSED: &str = "INCIDENT_STATUS_CLOSED";

pub(crate) const STATUSES: [&str; 5] = [
    "INCIDENT_STATUS_UNSPECIFIED",
    OPEN,
    IN_PROGRESS,
    WAITING,
    CLOSED,
];
pub(crate) const SEVERITIES: [&str; 4] = [
    "INCIDENT_SEVERITY_LEVEL_UNSPECIFIED",
    "INCIDENT_SEVERITY_LEVEL_LOW",
    "INCIDENT_SEVERITY_LEVEL_MEDIUM",
    "INCIDENT_SEVERITY_LEVEL_HIGH",
];
/// The zero value of the closure reason enum: no reason given.
pub(crate) const UNSPECIFIED_REASON: &str = "INCIDENT_RESOLVE_REASON_UNSPECIFIED";
pub(crate) const REASONS: [&str; 3] = [
    "INCIDENT_RESOLVE_REASON_TRUE_POSITIVE",
    "INCIDENT_RESOLVE_REASON_FALSE_POSITIVE",
    "INCIDENT_RESOLVE_REASON_SUSPICIOUS",
];

/// One incident.
#[derive(Clone, Debug)]
pub(crate) struct Incident {
    pub(crate) uuid: String,
    pub(crate) display_name: String,
    pub(crate) description: String,
    pub(crate) assignee: String,
    pub(crate) status: &'static str,
    pub(crate) severity: &'static str,
    pub(crate) resolve_reason: Option<&'static str>,
    pub(crate) create_time: OffsetDateTime,
    pub(crate) update_time: OffsetDateTime,
    pub(crate) triage: Option<Duration>,
    pub(crate) response: Option<Duration>,
    pub(crate) metrics: [i64; 3],
    pub(crate) tags: Vec<String>,
    pub(crate) devices: Vec<String>,
    pub(crate) detections: Vec<String>,
}

impl Incident {
    /// The incident as proto3 JSON: defaults left out, int64 as strings. A list leaves out
    /// `deviceUuids` and `detectionUuids` (`full` false), as ESET's does.
    pub(crate) fn to_json(&self, full: bool) -> Value {
        let mut o = Map::new();
        o.insert("uuid".into(), json!(self.uuid));
        o.insert("displayName".into(), json!(self.display_name));
        if !self.description.is_empty() {
            o.insert("description".into(), json!(self.description));
        }
        if !self.assignee.is_empty() {
            o.insert("assigneeUuid".into(), json!(self.assignee));
        }
        o.insert("createTime".into(), json!(timestamp(self.create_time)));
        o.insert("updateTime".into(), json!(timestamp(self.update_time)));
        o.insert("status".into(), json!(self.status));
        o.insert("severity".into(), json!(self.severity));
        if let Some(reason) = self.resolve_reason {
            o.insert("resolveReason".into(), json!(reason));
        }
        if let Some(d) = self.triage {
            o.insert("triageDuration".into(), json!(duration(d)));
        }
        if let Some(d) = self.response {
            o.insert("responseDuration".into(), json!(duration(d)));
        }
        let mut metrics = Map::new();
        for (name, value) in ["deviceCount", "executableCount", "processCount"]
            .iter()
            .zip(self.metrics)
        {
            if value != 0 {
                metrics.insert((*name).into(), json!(value.to_string()));
            }
        }
        if !metrics.is_empty() {
            o.insert("metrics".into(), Value::Object(metrics));
        }
        if !self.tags.is_empty() {
            o.insert("tags".into(), json!(self.tags));
        }
        if full {
            if !self.devices.is_empty() {
                o.insert("deviceUuids".into(), json!(self.devices));
            }
            if !self.detections.is_empty() {
                o.insert("detectionUuids".into(), json!(self.detections));
            }
        }
        Value::Object(o)
    }
}

/// The text of an incident as a list sends it (without `deviceUuids` and
/// `detectionUuids`), kept until the incident changes.
pub(crate) fn listed(incident: &Cached<Incident>) -> &str {
    incident.text(|i| i.to_json(false).to_string())
}

/// The JSON `GET /v2/incidents` answers with a page holding every incident (without
/// `filter` or `orderBy`: newest first) from a fresh simulator seeded with `n` incidents
/// and `seed`: `{"incidents": [...], "nextPageToken": ""}`. Deterministic, for decode tests
/// and benchmarks that need realistic data without a server.
pub fn seeded_incidents_json(n: usize, seed: u64) -> String {
    let state = State::seeded(n, seed);
    let mut out = String::from("{\"incidents\":");
    push_json_array(&mut out, state.incidents.iter().rev().map(listed));
    out.push_str(",\"nextPageToken\":\"\"}");
    out
}

/// One comment.
#[derive(Clone, Debug)]
pub(crate) struct Comment {
    pub(crate) uuid: String,
    pub(crate) incident_uuid: String,
    pub(crate) text: String,
    pub(crate) is_final: bool,
    pub(crate) author: String,
    pub(crate) create_time: OffsetDateTime,
    /// When the text last changed (the creation time until then).
    pub(crate) update_time: OffsetDateTime,
}

impl Comment {
    pub(crate) fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("uuid".into(), json!(self.uuid));
        o.insert("incidentUuid".into(), json!(self.incident_uuid));
        o.insert("text".into(), json!(self.text));
        if self.is_final {
            o.insert("isFinalComment".into(), json!(true));
        }
        o.insert("authorUuid".into(), json!(self.author));
        o.insert("createTime".into(), json!(timestamp(self.create_time)));
        o.insert("updateTime".into(), json!(timestamp(self.update_time)));
        Value::Object(o)
    }
}

/// Everything the simulator holds.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// In creation order, each with the text a list sends until it changes.
    pub(crate) incidents: Vec<Cached<Incident>>,
    pub(crate) index: HashMap<String, usize>,
    pub(crate) comments: HashMap<String, Vec<Comment>>,
    rng: Rng,
}

impl State {
    pub(crate) fn incident(&self, uuid: &str) -> Option<&Incident> {
        self.index.get(uuid).map(|&i| &*self.incidents[i])
    }

    /// The incident, to change: its listed text is dropped.
    pub(crate) fn incident_mut(&mut self, uuid: &str) -> Option<&mut Incident> {
        self.index.get(uuid).map(|&i| &mut *self.incidents[i])
    }

    /// A fresh uuid from the generator.
    pub(crate) fn new_uuid(&mut self) -> String {
        uuid(&mut self.rng)
    }

    /// Adds a comment and returns it.
    pub(crate) fn add_comment(&mut self, incident: &str, text: String, is_final: bool) -> Comment {
        let at = now();
        let comment = Comment {
            uuid: self.new_uuid(),
            incident_uuid: incident.to_owned(),
            text,
            is_final,
            author: USERS[0].to_owned(),
            create_time: at,
            update_time: at,
        };
        self.comments
            .entry(incident.to_owned())
            .or_default()
            .push(comment.clone());
        comment
    }

    /// `n` incidents from `seed`.
    pub(crate) fn seeded(n: usize, seed: u64) -> State {
        let mut rng = Rng::new(seed);
        let mut state = State::default();
        let base =
            OffsetDateTime::from_unix_timestamp(BASE_TIME).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        // Spread over 60 days, at least a second apart.
        let step = (60 * 86_400 / n.max(1) as i64).max(1);
        for i in 0..n {
            // Milliseconds or microseconds now and then, to show 3 and 6 fractional digits.
            let fraction = match rng.below(4) {
                0 => Duration::milliseconds(rng.below(1000) as i64),
                1 => Duration::microseconds(rng.below(1_000_000) as i64),
                _ => Duration::ZERO,
            };
            let create = base
                + Duration::seconds(step * i as i64 + rng.below(step.max(2) as u64 / 2) as i64)
                + fraction;
            let incident = generate(&mut rng, create);
            state
                .index
                .insert(incident.uuid.clone(), state.incidents.len());
            state.incidents.push(Cached::new(incident));
        }
        state.rng = rng;
        state
    }

    /// A new incident, created and updated now: drawn like the seeded ones, open,
    /// unassigned. Returns its uuid.
    pub(crate) fn raise(&mut self) -> String {
        let mut rng = std::mem::take(&mut self.rng);
        let at = now();
        let mut incident = generate(&mut rng, at);
        self.rng = rng;
        incident.status = OPEN;
        incident.assignee = String::new();
        incident.resolve_reason = None;
        incident.triage = None;
        incident.response = None;
        incident.update_time = at;
        let uuid = incident.uuid.clone();
        self.index.insert(uuid.clone(), self.incidents.len());
        self.incidents.push(Cached::new(incident));
        uuid
    }
}

/// One incident created at `create`, drawn from `rng` as the seed data is.
fn generate(rng: &mut Rng, create: OffsetDateTime) -> Incident {
    let status = match rng.below(20) {
        0..=6 => OPEN,
        7..=11 => IN_PROGRESS,
        12..=13 => WAITING,
        _ => CLOSED,
    };
    let severity = SEVERITIES[1 + rng.below(3) as usize];
    let assignee = if status == OPEN && rng.below(2) == 0 {
        String::new()
    } else {
        USERS[1 + rng.below(USERS.len() as u64 - 1) as usize].to_owned()
    };
    let (threat, detail) = THREATS[rng.below(THREATS.len() as u64) as usize];
    let host = format!(
        "{}-{:04}",
        HOSTS[rng.below(HOSTS.len() as u64) as usize],
        rng.below(10_000)
    );
    let triage =
        (status != OPEN).then(|| Duration::milliseconds(60_000 + rng.below(3_600_000) as i64));
    let response =
        (status == CLOSED).then(|| Duration::milliseconds(600_000 + rng.below(86_400_000) as i64));
    let update = create
        + triage.unwrap_or(Duration::ZERO)
        + response.unwrap_or(Duration::ZERO)
        + Duration::seconds(rng.below(600) as i64);
    let devices: Vec<String> = (0..1 + rng.below(3)).map(|_| uuid(rng)).collect();
    let detections: Vec<String> = (0..1 + rng.below(5)).map(|_| uuid(rng)).collect();
    let tags: Vec<String> = (0..rng.below(3))
        .map(|_| TAGS[rng.below(TAGS.len() as u64) as usize].to_owned())
        .fold(Vec::new(), |mut v, t| {
            if !v.contains(&t) {
                v.push(t);
            }
            v
        });
    Incident {
        uuid: uuid(rng),
        display_name: format!("{threat} on {host}"),
        description: if rng.below(5) == 0 {
            String::new()
        } else {
            format!("{detail} Seen on {host}.")
        },
        assignee,
        status,
        severity,
        resolve_reason: (status == CLOSED)
            .then(|| REASONS[rng.below(REASONS.len() as u64) as usize]),
        create_time: create,
        update_time: update,
        triage,
        response,
        metrics: [
            devices.len() as i64,
            rng.below(6) as i64,
            rng.below(40) as i64,
        ],
        tags,
        devices,
        detections,
    }
}

const THREATS: [(&str, &str); 10] = [
    (
        "Ransomware behaviour",
        "Mass file renames with an unknown extension, then shadow copies deleted by vssadmin.exe.",
    ),
    (
        "Credential dumping attempt",
        "A process read the memory of lsass.exe.",
    ),
    (
        "Suspicious PowerShell download",
        "powershell.exe fetched and ran an encoded script from the internet.",
    ),
    (
        "Lateral movement over SMB",
        "PsExec-like service creation from another workstation.",
    ),
    (
        "Persistence through a scheduled task",
        "A new scheduled task runs a binary from a user-writable folder.",
    ),
    (
        "Cobalt Strike beacon",
        "Periodic HTTPS callbacks matching a known beacon profile.",
    ),
    (
        "Phishing attachment executed",
        "An Office document spawned a script interpreter.",
    ),
    (
        "Cryptominer activity",
        "Sustained CPU use by an unsigned binary connecting to a mining pool.",
    ),
    (
        "Defense evasion: security tool tampering",
        "An attempt to stop the endpoint protection service.",
    ),
    (
        "Data exfiltration to cloud storage",
        "Large uploads to a personal cloud storage account.",
    ),
];

const HOSTS: [&str; 5] = ["WKS", "LAP", "SRV-DC", "SRV-SQL", "SRV-WEB"];
const TAGS: [&str; 6] = ["vip", "finance", "ransomware", "server", "remote", "test"];

/// RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits, as proto3 JSON writes timestamps.
pub(crate) fn timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        fraction(at.nanosecond())
    )
}

/// Seconds with 0, 3, 6 or 9 fractional digits and `s`, as proto3 JSON writes durations.
pub(crate) fn duration(d: Duration) -> String {
    let sign = if d.is_negative() { "-" } else { "" };
    let d = d.abs();
    format!(
        "{sign}{}{}s",
        d.whole_seconds(),
        fraction(d.subsec_nanoseconds().unsigned_abs())
    )
}

fn fraction(nanos: u32) -> String {
    if nanos == 0 {
        String::new()
    } else if nanos.is_multiple_of(1_000_000) {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    }
}

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// An RFC 4122 version 4 uuid from the generator.
fn uuid(rng: &mut Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        8 + (b >> 62),
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

impl Sim<Eset> {
    /// The IAM host's base URL: the same server as [`url`](crate::SimServer::url).
    pub fn iam_url(&self) -> String {
        self.url()
    }

    /// The first API user's name and password.
    pub fn credentials(&self) -> (&str, &str) {
        (
            &self.options.common.user,
            self.options.common.password.as_str(),
        )
    }

    /// The uuids of the users incidents can be assigned to; the first is the API user.
    pub fn users(&self) -> Vec<String> {
        USERS.iter().map(|u| (*u).to_owned()).collect()
    }

    /// An incident exactly as `GET /v2/incidents/{uuid}` answers it (`incident` inside).
    pub fn incident(&self, uuid: &str) -> Option<Value> {
        self.shared
            .state
            .read()
            .incident(uuid)
            .map(|i| i.to_json(true))
    }

    /// A new incident, as ESET raises one on a detection now: drawn like the seeded ones,
    /// open, unassigned, created and updated now. Returns its uuid.
    pub fn raise_incident(&self) -> String {
        self.shared.state.write().raise()
    }

    /// The uuids of every incident, oldest first.
    pub fn incident_uuids(&self) -> Vec<String> {
        let state = self.shared.state.read();
        state.incidents.iter().map(|i| i.uuid.clone()).collect()
    }

    /// The oldest incident that is open and has no assignee, if any.
    pub fn open_unassigned(&self) -> Option<String> {
        self.shared
            .state
            .read()
            .incidents
            .iter()
            .find(|i| i.status == OPEN && i.assignee.is_empty())
            .map(|i| i.uuid.clone())
    }

    /// The comments of an incident, oldest first, as `GET .../comments` lists them.
    pub fn comments(&self, uuid: &str) -> Vec<Value> {
        self.shared
            .state
            .read()
            .comments
            .get(uuid)
            .map(|c| c.iter().map(|c| c.to_json()).collect())
            .unwrap_or_default()
    }

    /// Tokens handed out so far by the password grant and by the refresh_token grant.
    pub fn token_grants(&self) -> (u64, u64) {
        (
            self.shared.password_grants.load(Ordering::Relaxed),
            self.shared.refresh_grants.load(Ordering::Relaxed),
        )
    }

    /// Requests answered 429 by the rate limit so far, all API users together.
    pub fn rate_limited(&self) -> u64 {
        self.shared.rate_limited.load(Ordering::Relaxed)
    }

    /// Refuses every refresh token handed out so far (`invalid_grant`), as after a
    /// password change: clients must fall back to the password grant.
    pub fn revoke_refresh_tokens(&self) {
        relock(&self.shared.refresh_tokens).clear();
    }

    /// Changes the rate limit of the incident host, per API user (`None`: off); every
    /// user starts again with a full burst.
    pub fn set_rate_limit(&self, per_second: Option<u32>) {
        *relock(&self.shared.rate_limit) = RateLimit::new(per_second);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_data_is_deterministic_and_plausible() {
        let a = State::seeded(60, 7);
        let b = State::seeded(60, 7);
        assert_eq!(a.incidents.len(), 60);
        assert_eq!(a.incidents[10].uuid, b.incidents[10].uuid);
        assert_eq!(a.index.len(), 60, "uuids are unique");
        for i in &a.incidents {
            assert!(i.status == OPEN || !i.assignee.is_empty(), "{i:?}");
            assert_eq!(i.status == CLOSED, i.resolve_reason.is_some());
            assert!(i.update_time >= i.create_time);
            let list = i.to_json(false);
            assert!(list.get("deviceUuids").is_none());
            assert!(i.to_json(true).get("deviceUuids").is_some());
        }
        assert!(
            a.incidents
                .iter()
                .any(|i| i.status == OPEN && i.assignee.is_empty())
        );
        assert!(a.incidents.iter().any(|i| i.status == CLOSED));
        let u = &a.incidents[0].uuid;
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }

    #[test]
    fn proto3_encodings() {
        let t = OffsetDateTime::from_unix_timestamp(BASE_TIME).unwrap();
        assert_eq!(timestamp(t), "2025-03-01T00:00:00Z");
        assert_eq!(
            timestamp(t + Duration::microseconds(120)),
            "2025-03-01T00:00:00.000120Z"
        );
        assert_eq!(duration(Duration::milliseconds(1500)), "1.500s");
        assert_eq!(duration(Duration::seconds(-3)), "-3s");
    }
}
