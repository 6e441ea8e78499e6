//! Simulator state and the deterministic seed data.

use std::collections::BTreeMap;
use std::sync::PoisonError;

use serde_json::{Map, Value, json};

use super::query::{Kind, Record, Val};
use crate::cached::Cached;
use crate::clock::now_ms;
use crate::rng::Rng;
use crate::sim::Sim;

use super::QRadar;

/// Fixed reference time (2025-01-01T00:00:00Z): seeded timestamps are placed
/// in the 30 days before it, so the same seed always yields the same data.
pub(crate) const BASE_TIME_MS: i64 = 1_735_689_600_000;
const DAY_MS: i64 = 86_400_000;
const WINDOW_MS: i64 = 30 * DAY_MS;

/// Name recorded as note author / closing user for SEC-token requests, in the
/// form QRadar uses for authorized services.
pub(crate) const SEC_USER: &str = "API_user: sim";

// ---------------------------------------------------------------------------
// users, offense types, catalogs
// ---------------------------------------------------------------------------

/// A QRadar user that offenses can be assigned to.
#[derive(Debug)]
pub(crate) struct User {
    pub(crate) user_id: i64,
    pub(crate) username: &'static str,
    pub(crate) description: &'static str,
}

pub(crate) static USERS: &[User] = &[
    User {
        user_id: 1,
        username: "admin",
        description: "Administrator",
    },
    User {
        user_id: 2,
        username: "analyst1",
        description: "SOC Analyst, Tier 1",
    },
    User {
        user_id: 3,
        username: "analyst2",
        description: "SOC Analyst, Tier 2",
    },
    User {
        user_id: 4,
        username: "soc_lead",
        description: "SOC Team Lead",
    },
];

pub(crate) fn known_user(name: &str) -> Option<&'static str> {
    USERS
        .iter()
        .find(|u| u.username == name)
        .map(|u| u.username)
}

impl Record for User {
    const SCHEMA: &'static [(&'static str, Kind)] = &[
        ("user_id", Kind::Num),
        ("username", Kind::Str),
        ("description", Kind::Str),
    ];
    fn value(&self, field: usize) -> Val<'_> {
        match field {
            0 => Val::Num(self.user_id),
            1 => Val::Str(self.username),
            2 => Val::Str(self.description),
            _ => Val::Null,
        }
    }
    fn to_json(&self) -> Value {
        json!({"user_id": self.user_id, "username": self.username, "description": self.description})
    }
}

/// An offense type (what the offense is indexed on).
#[derive(Debug)]
pub(crate) struct OffenseType {
    pub(crate) id: i64,
    name: &'static str,
    property_name: &'static str,
    database_type: &'static str,
    custom: bool,
}

pub(crate) static OFFENSE_TYPES: &[OffenseType] = &[
    OffenseType {
        id: 0,
        name: "Source IP",
        property_name: "sourceIP",
        database_type: "EVENTS",
        custom: false,
    },
    OffenseType {
        id: 1,
        name: "Destination IP",
        property_name: "destinationIP",
        database_type: "EVENTS",
        custom: false,
    },
    OffenseType {
        id: 2,
        name: "Event Name",
        property_name: "qid",
        database_type: "EVENTS",
        custom: false,
    },
    OffenseType {
        id: 3,
        name: "Username",
        property_name: "userName",
        database_type: "EVENTS",
        custom: false,
    },
    OffenseType {
        id: 7,
        name: "Log Source",
        property_name: "logSourceId",
        database_type: "EVENTS",
        custom: false,
    },
    OffenseType {
        id: 12,
        name: "Hostname",
        property_name: "hostName",
        database_type: "COMMON",
        custom: false,
    },
    OffenseType {
        id: 1001,
        name: "Process Name",
        property_name: "Process Name",
        database_type: "EVENTS",
        custom: true,
    },
];

impl Record for OffenseType {
    const SCHEMA: &'static [(&'static str, Kind)] = &[
        ("id", Kind::Num),
        ("name", Kind::Str),
        ("property_name", Kind::Str),
        ("database_type", Kind::CiStr),
        ("custom", Kind::Bool),
    ];
    fn value(&self, field: usize) -> Val<'_> {
        match field {
            0 => Val::Num(self.id),
            1 => Val::Str(self.name),
            2 => Val::Str(self.property_name),
            3 => Val::Str(self.database_type),
            4 => Val::Bool(self.custom),
            _ => Val::Null,
        }
    }
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "property_name": self.property_name,
            "database_type": self.database_type,
            "custom": self.custom,
        })
    }
}

/// Rule id and type that contributed to an offense.
type RuleRef = (i64, &'static str);

#[derive(Debug)]
struct LogSource {
    id: i64,
    name: &'static str,
    type_id: i64,
    type_name: &'static str,
}

static LOG_SOURCES: &[LogSource] = &[
    LogSource {
        id: 63,
        name: "WindowsAuthServer @ dc01.corp.example.com",
        type_id: 12,
        type_name: "Microsoft Windows Security Event Log",
    },
    LogSource {
        id: 64,
        name: "WindowsAuthServer @ dc02.corp.example.com",
        type_id: 12,
        type_name: "Microsoft Windows Security Event Log",
    },
    LogSource {
        id: 65,
        name: "Custom Rule Engine-8 :: qradar-console",
        type_id: 18,
        type_name: "Custom Rule Engine",
    },
    LogSource {
        id: 69,
        name: "Asa @ 10.10.1.1",
        type_id: 41,
        type_name: "Cisco Adaptive Security Appliance (ASA)",
    },
    LogSource {
        id: 77,
        name: "LinuxServer @ web01.corp.example.com",
        type_id: 11,
        type_name: "Linux OS",
    },
    LogSource {
        id: 81,
        name: "Palo Alto PA Series @ fw01.corp.example.com",
        type_id: 206,
        type_name: "Palo Alto PA Series",
    },
    LogSource {
        id: 90,
        name: "Sysmon @ ws-0142.corp.example.com",
        type_id: 12,
        type_name: "Microsoft Windows Security Event Log",
    },
    LogSource {
        id: 95,
        name: "Office 365 REST API @ corp.onmicrosoft.com",
        type_id: 397,
        type_name: "Microsoft 365",
    },
];

static RULES: &[RuleRef] = &[
    (100_045, "CRE_RULE"),
    (100_051, "CRE_RULE"),
    (100_211, "CRE_RULE"),
    (100_257, "CRE_RULE"),
    (100_302, "CRE_RULE"),
    (101_118, "BUILDING_BLOCK_RULE"),
    (101_120, "BUILDING_BLOCK_RULE"),
    (101_377, "BUILDING_BLOCK_RULE"),
    (102_503, "ADE_RULE"),
    (102_517, "ADE_RULE"),
];

static NETWORKS: &[&str] = &[
    "Net-10-172-192.Net_10_0_0_0",
    "Net-10-172-192.Net_172_16_0_0",
    "Net-10-172-192.Net_192_168_0_0",
    "DMZ.web_servers",
    "Servers.datacenter",
    "other",
];

static ACCOUNTS: &[&str] = &[
    "jsmith",
    "mgarcia",
    "administrator",
    "svc_backup",
    "akumar",
    "lchen",
    "root",
    "guest",
];

static HOSTS: &[&str] = &[
    "ws-0142.corp.example.com",
    "ws-0377.corp.example.com",
    "web01.corp.example.com",
    "db02.corp.example.com",
    "dc01.corp.example.com",
];

static POLICY_CATEGORIES: &[&str] = &[
    "Compliance Policy Violation",
    "Application Policy Violation",
    "Access Denied",
];

struct Scenario {
    description: &'static str,
    event_name: &'static str,
    types: &'static [i64],
    categories: &'static [&'static str],
}

static SCENARIOS: &[Scenario] = &[
    Scenario {
        description: "Multiple Login Failures for the Same User\n containing Failure Audit: An account failed to log on",
        event_name: "Failure Audit: An account failed to log on",
        types: &[3, 0, 7],
        categories: &["User Login Failure", "Misc Login Failed", "Access Denied"],
    },
    Scenario {
        description: "Login Successful After Scan Attempt\n preceded by Local Host Port Scan Detected\n containing Success Audit: An account was successfully logged on",
        event_name: "Success Audit: An account was successfully logged on",
        types: &[0, 3],
        categories: &[
            "User Login Success",
            "Host Port Scan",
            "Suspicious Activity",
        ],
    },
    Scenario {
        description: "Excessive Firewall Denies Between Hosts\n containing Deny protocol src inside dst outside",
        event_name: "Deny protocol src inside dst outside",
        types: &[0, 1],
        categories: &["Firewall Deny", "Access Denied", "Suspicious Activity"],
    },
    Scenario {
        description: "Outbound Connection to Known Malicious Host\n containing Traffic to Botnet Command and Control Server",
        event_name: "Traffic to Botnet Command and Control Server",
        types: &[1, 0, 12],
        categories: &["Botnet Address", "Suspicious Activity", "Firewall Permit"],
    },
    Scenario {
        description: "Brute Force Attack on SSH Service\n containing sshd: Failed password for invalid user",
        event_name: "sshd: Failed password for invalid user",
        types: &[0, 3, 12],
        categories: &[
            "SSH Login Failed",
            "Brute Force Login",
            "User Login Failure",
        ],
    },
    Scenario {
        description: "Suspicious PowerShell Command Executed\n containing Process Create: Encoded Command",
        event_name: "Process Create: Encoded Command",
        types: &[12, 3, 2],
        categories: &[
            "Suspicious Activity",
            "Process Creation Success",
            "Application Policy Violation",
        ],
    },
    Scenario {
        description: "Potential Ransomware Activity Detected\n containing File Encrypted by Suspicious Process",
        event_name: "File Encrypted by Suspicious Process",
        types: &[12, 2],
        categories: &["Malware", "Ransomware", "File Modified"],
    },
    Scenario {
        description: "Privilege Escalation: User Added to Administrators Group\n containing A member was added to a security-enabled global group",
        event_name: "A member was added to a security-enabled global group",
        types: &[3, 7],
        categories: &[
            "Group Member Added",
            "Compliance Policy Violation",
            "Suspicious Activity",
        ],
    },
    Scenario {
        description: "Large Outbound Data Transfer to Cloud Storage\n containing Flow Upload Volume Threshold Exceeded",
        event_name: "Flow Upload Volume Threshold Exceeded",
        types: &[0, 1],
        categories: &[
            "Data Exfiltration",
            "Network Threshold Policy Violation",
            "Compliance Policy Violation",
        ],
    },
    Scenario {
        description: "Malware Detected by Endpoint Protection\n containing Trojan:Win32/Emotet detected",
        event_name: "Trojan:Win32/Emotet detected",
        types: &[12, 2, 0],
        categories: &["Malware", "Virus Detected", "Suspicious Activity"],
    },
];

// ---------------------------------------------------------------------------
// offenses
// ---------------------------------------------------------------------------

/// Offense workflow status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Open,
    Hidden,
    Closed,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Open => "OPEN",
            Status::Hidden => "HIDDEN",
            Status::Closed => "CLOSED",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        [Status::Open, Status::Hidden, Status::Closed]
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
    }
}

/// One offense. Catalog-derived strings are `&'static` so that seeding
/// 100,000 offenses costs only a few allocations each.
#[derive(Debug)]
pub(crate) struct Offense {
    pub(crate) id: i64,
    description: &'static str,
    pub(crate) assigned_to: Option<&'static str>,
    categories: Vec<&'static str>,
    policy_category_count: i64,
    pub(crate) close_time: Option<i64>,
    pub(crate) closing_user: Option<String>,
    pub(crate) closing_reason_id: Option<i64>,
    credibility: i64,
    relevance: i64,
    severity: i64,
    magnitude: i64,
    destination_networks: Vec<&'static str>,
    source_network: &'static str,
    device_count: i64,
    event_count: i64,
    flow_count: i64,
    pub(crate) inactive: bool,
    last_updated_time: i64,
    local_destination_count: i64,
    offense_source: String,
    offense_type: i64,
    pub(crate) protected: bool,
    pub(crate) follow_up: bool,
    remote_destination_count: i64,
    source_count: i64,
    start_time: i64,
    pub(crate) status: Status,
    username_count: i64,
    source_address_ids: Vec<i64>,
    local_destination_address_ids: Vec<i64>,
    domain_id: i64,
    pub(crate) last_persisted_time: i64,
    first_persisted_time: i64,
    rules: Vec<RuleRef>,
    log_sources: Vec<&'static LogSource>,
}

fn opt_str(v: Option<&str>) -> Val<'_> {
    v.map_or(Val::Null, Val::Str)
}

fn opt_num(v: Option<i64>) -> Val<'static> {
    v.map_or(Val::Null, Val::Num)
}

impl Record for Offense {
    const SCHEMA: &'static [(&'static str, Kind)] = &[
        ("id", Kind::Num),
        ("description", Kind::Str),
        ("assigned_to", Kind::Str),
        ("category_count", Kind::Num),
        ("policy_category_count", Kind::Num),
        ("security_category_count", Kind::Num),
        ("close_time", Kind::Num),
        ("closing_user", Kind::Str),
        ("closing_reason_id", Kind::Num),
        ("credibility", Kind::Num),
        ("relevance", Kind::Num),
        ("severity", Kind::Num),
        ("magnitude", Kind::Num),
        ("source_network", Kind::Str),
        ("device_count", Kind::Num),
        ("event_count", Kind::Num),
        ("flow_count", Kind::Num),
        ("inactive", Kind::Bool),
        ("last_updated_time", Kind::Num),
        ("local_destination_count", Kind::Num),
        ("offense_source", Kind::Str),
        ("offense_type", Kind::Num),
        ("protected", Kind::Bool),
        ("follow_up", Kind::Bool),
        ("remote_destination_count", Kind::Num),
        ("source_count", Kind::Num),
        ("start_time", Kind::Num),
        ("status", Kind::CiStr),
        ("username_count", Kind::Num),
        ("domain_id", Kind::Num),
        ("last_persisted_time", Kind::Num),
        ("first_persisted_time", Kind::Num),
    ];

    fn value(&self, field: usize) -> Val<'_> {
        match field {
            0 => Val::Num(self.id),
            1 => Val::Str(self.description),
            2 => opt_str(self.assigned_to),
            3 => Val::Num(self.category_count()),
            4 => Val::Num(self.policy_category_count),
            5 => Val::Num(self.category_count() - self.policy_category_count),
            6 => opt_num(self.close_time),
            7 => opt_str(self.closing_user.as_deref()),
            8 => opt_num(self.closing_reason_id),
            9 => Val::Num(self.credibility),
            10 => Val::Num(self.relevance),
            11 => Val::Num(self.severity),
            12 => Val::Num(self.magnitude),
            13 => Val::Str(self.source_network),
            14 => Val::Num(self.device_count),
            15 => Val::Num(self.event_count),
            16 => Val::Num(self.flow_count),
            17 => Val::Bool(self.inactive),
            18 => Val::Num(self.last_updated_time),
            19 => Val::Num(self.local_destination_count),
            20 => Val::Str(&self.offense_source),
            21 => Val::Num(self.offense_type),
            22 => Val::Bool(self.protected),
            23 => Val::Bool(self.follow_up),
            24 => Val::Num(self.remote_destination_count),
            25 => Val::Num(self.source_count),
            26 => Val::Num(self.start_time),
            27 => Val::Str(self.status.as_str()),
            28 => Val::Num(self.username_count),
            29 => Val::Num(self.domain_id),
            30 => Val::Num(self.last_persisted_time),
            31 => Val::Num(self.first_persisted_time),
            _ => Val::Null,
        }
    }

    fn to_json(&self) -> Value {
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|(id, ty)| json!({"id": id, "type": ty}))
            .collect();
        let log_sources: Vec<Value> = self
            .log_sources
            .iter()
            .map(|l| json!({"id": l.id, "name": l.name, "type_id": l.type_id, "type_name": l.type_name}))
            .collect();
        let entries: [(&str, Value); 38] = [
            ("id", self.id.into()),
            ("description", self.description.into()),
            ("assigned_to", self.assigned_to.into()),
            ("categories", self.categories.clone().into()),
            ("category_count", self.category_count().into()),
            ("policy_category_count", self.policy_category_count.into()),
            (
                "security_category_count",
                (self.category_count() - self.policy_category_count).into(),
            ),
            ("close_time", self.close_time.into()),
            ("closing_user", self.closing_user.clone().into()),
            ("closing_reason_id", self.closing_reason_id.into()),
            ("credibility", self.credibility.into()),
            ("relevance", self.relevance.into()),
            ("severity", self.severity.into()),
            ("magnitude", self.magnitude.into()),
            (
                "destination_networks",
                self.destination_networks.clone().into(),
            ),
            ("source_network", self.source_network.into()),
            ("device_count", self.device_count.into()),
            ("event_count", self.event_count.into()),
            ("flow_count", self.flow_count.into()),
            ("inactive", self.inactive.into()),
            ("last_updated_time", self.last_updated_time.into()),
            (
                "local_destination_count",
                self.local_destination_count.into(),
            ),
            ("offense_source", self.offense_source.clone().into()),
            ("offense_type", self.offense_type.into()),
            ("protected", self.protected.into()),
            ("follow_up", self.follow_up.into()),
            (
                "remote_destination_count",
                self.remote_destination_count.into(),
            ),
            ("source_count", self.source_count.into()),
            ("start_time", self.start_time.into()),
            ("status", self.status.as_str().into()),
            ("username_count", self.username_count.into()),
            ("source_address_ids", self.source_address_ids.clone().into()),
            (
                "local_destination_address_ids",
                self.local_destination_address_ids.clone().into(),
            ),
            ("domain_id", self.domain_id.into()),
            ("last_persisted_time", self.last_persisted_time.into()),
            ("first_persisted_time", self.first_persisted_time.into()),
            ("rules", rules.into()),
            ("log_sources", log_sources.into()),
        ];
        Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<Map<String, Value>>(),
        )
    }
}

impl Offense {
    fn category_count(&self) -> i64 {
        self.categories.len() as i64
    }
}

// ---------------------------------------------------------------------------
// notes, closing reasons
// ---------------------------------------------------------------------------

/// A note attached to an offense.
#[derive(Clone, Debug)]
pub(crate) struct Note {
    pub(crate) id: i64,
    pub(crate) create_time: i64,
    pub(crate) username: String,
    pub(crate) note_text: String,
}

impl Record for Note {
    const SCHEMA: &'static [(&'static str, Kind)] = &[
        ("id", Kind::Num),
        ("username", Kind::Str),
        ("create_time", Kind::Num),
        ("note_text", Kind::Str),
    ];
    fn value(&self, field: usize) -> Val<'_> {
        match field {
            0 => Val::Num(self.id),
            1 => Val::Str(&self.username),
            2 => Val::Num(self.create_time),
            3 => Val::Str(&self.note_text),
            _ => Val::Null,
        }
    }
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "create_time": self.create_time,
            "username": self.username,
            "note_text": self.note_text,
        })
    }
}

/// A reason that can be given when closing an offense.
#[derive(Clone, Debug)]
pub(crate) struct ClosingReason {
    pub(crate) id: i64,
    pub(crate) text: String,
    pub(crate) is_reserved: bool,
    pub(crate) is_deleted: bool,
}

impl Record for ClosingReason {
    const SCHEMA: &'static [(&'static str, Kind)] = &[
        ("id", Kind::Num),
        ("text", Kind::Str),
        ("is_reserved", Kind::Bool),
        ("is_deleted", Kind::Bool),
    ];
    fn value(&self, field: usize) -> Val<'_> {
        match field {
            0 => Val::Num(self.id),
            1 => Val::Str(&self.text),
            2 => Val::Bool(self.is_reserved),
            3 => Val::Bool(self.is_deleted),
            _ => Val::Null,
        }
    }
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "text": self.text,
            "is_reserved": self.is_reserved,
            "is_deleted": self.is_deleted,
        })
    }
}

// ---------------------------------------------------------------------------
// state
// ---------------------------------------------------------------------------

/// Everything mutable behind the simulator's lock. Every collection is kept
/// in ascending id order (see [`Record`]). Offenses keep their JSON text until they
/// change, so that large list pages cost a copy rather than a serialization.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) offenses: Vec<Cached<Offense>>,
    pub(crate) notes: BTreeMap<i64, Vec<Note>>,
    pub(crate) next_note_id: i64,
    pub(crate) closing_reasons: Vec<ClosingReason>,
}

impl State {
    pub(crate) fn seeded(offenses: usize, seed: u64) -> Self {
        let reason = |id, text: &str, is_reserved, is_deleted| ClosingReason {
            id,
            text: text.to_owned(),
            is_reserved,
            is_deleted,
        };
        State {
            offenses: generate_offenses(offenses, seed),
            notes: BTreeMap::new(),
            next_note_id: 1,
            closing_reasons: vec![
                reason(1, "Non-Issue", false, false),
                reason(2, "False-Positive, Tuned", false, false),
                reason(3, "Policy Violation", false, false),
                reason(4, "System Reserved", true, false),
                reason(5, "Old Reason", false, true),
            ],
        }
    }

    pub(crate) fn offense(&self, id: i64) -> Option<&Offense> {
        let idx = self.offenses.binary_search_by_key(&id, |o| o.id).ok()?;
        self.offenses.get(idx).map(|o| &**o)
    }

    pub(crate) fn offense_mut(&mut self, id: i64) -> Option<&mut Offense> {
        let idx = self.offenses.binary_search_by_key(&id, |o| o.id).ok()?;
        // The mutable borrow drops the offense's text.
        self.offenses.get_mut(idx).map(|o| &mut **o)
    }
}

/// The generator's seed for the offense raised with `id`: its own stream, the same for the
/// same seed and id.
fn raised_seed(seed: u64, id: i64) -> u64 {
    seed ^ (id as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93)
}

fn generate_offenses(n: usize, seed: u64) -> Vec<Cached<Offense>> {
    let mut rng = Rng::new(seed);
    let span = n.max(1) as i64;
    (0..n)
        .map(|i| {
            // Ids follow creation order, but the first contributing event
            // can predate creation by up to a day and a half, so sorting by
            // start_time is observably different from id order.
            let created = BASE_TIME_MS - WINDOW_MS + (i as i64 + 1) * WINDOW_MS / span;
            let start_time = (created - rng.below_i64(36 * 3_600_000))
                .clamp(BASE_TIME_MS - WINDOW_MS, BASE_TIME_MS - 3_600_000);
            Cached::new(generate_offense(&mut rng, i as i64 + 1, start_time))
        })
        .collect()
}

fn generate_offense(rng: &mut Rng, id: i64, start_time: i64) -> Offense {
    let scenario = &SCENARIOS[rng.below_i64(SCENARIOS.len() as i64) as usize];
    let offense_type = *rng.pick(scenario.types);

    let log_sources = rng.pick_some(LOG_SOURCES, 1, 3);
    let offense_source = match offense_type {
        0 => format!(
            "10.{}.{}.{}",
            rng.below_i64(255),
            rng.below_i64(255),
            rng.between(1, 254)
        ),
        1 => format!(
            "{}.{}.{}.{}",
            rng.between(23, 223),
            rng.below_i64(255),
            rng.below_i64(255),
            rng.between(1, 254)
        ),
        2 => scenario.event_name.to_owned(),
        3 => (*rng.pick(ACCOUNTS)).to_owned(),
        7 => log_sources
            .first()
            .map_or("Custom Rule Engine-8", |l| l.name)
            .to_owned(),
        _ => (*rng.pick(HOSTS)).to_owned(),
    };
    let categories: Vec<&str> = rng
        .pick_some(scenario.categories, 1, 3)
        .into_iter()
        .copied()
        .collect();
    let policy_category_count = categories
        .iter()
        .filter(|c| POLICY_CATEGORIES.contains(c))
        .count() as i64;

    let credibility = rng.between(0, 10);
    let relevance = rng.between(0, 10);
    let severity = rng.between(0, 10);
    let magnitude = ((5 * relevance + 3 * severity + 3 * credibility + 5) / 11).clamp(0, 10);

    let active_for = rng.below_i64((BASE_TIME_MS - start_time).min(3 * DAY_MS));
    let last_updated_time = start_time + active_for;
    let first_persisted_time = start_time + rng.between(1_000, 60_000);
    let mut last_persisted_time =
        (last_updated_time + rng.below_i64(300_000)).max(first_persisted_time);

    let roll = rng.below_i64(100);
    let status = match roll {
        0..70 => Status::Open,
        70..80 => Status::Hidden,
        _ => Status::Closed,
    };
    let (close_time, closing_user, closing_reason_id) = if status == Status::Closed {
        let close =
            last_updated_time + rng.below_i64((BASE_TIME_MS - last_updated_time).min(2 * DAY_MS));
        last_persisted_time = last_persisted_time.max(close);
        (
            Some(close),
            Some(rng.pick(USERS).username.to_owned()),
            Some(rng.between(1, 3)),
        )
    } else {
        (None, None, None)
    };
    // QRadar marks offenses inactive after five days without new events.
    let inactive = status == Status::Closed || BASE_TIME_MS - last_updated_time > 5 * DAY_MS;

    let source_count = rng.between(1, 4);
    let local_destination_count = rng.between(0, 4);
    let event_count = if rng.chance(70) {
        rng.between(1, 500)
    } else {
        rng.between(500, 250_000)
    };
    let flow_count = if rng.chance(50) {
        0
    } else {
        rng.between(1, 5_000)
    };
    let destination_networks = rng.pick_some(NETWORKS, 1, 2).into_iter().copied().collect();
    let source_network = *rng.pick(NETWORKS);
    let assigned_to = if rng.chance(45) {
        None
    } else {
        Some(rng.pick(USERS).username)
    };
    let rules = rng.pick_some(RULES, 1, 3).into_iter().copied().collect();
    let source_address_ids = (0..source_count).map(|_| rng.between(1, 10_000)).collect();
    let local_destination_address_ids = (0..local_destination_count)
        .map(|_| rng.between(1, 10_000))
        .collect();
    let username_count = if offense_type == 3 {
        rng.between(1, 3)
    } else {
        rng.between(0, 2)
    };
    let remote_destination_count = rng.between(0, 5);
    let protected = rng.chance(5);
    let follow_up = rng.chance(10);
    let domain_id = if rng.chance(90) { 0 } else { rng.between(1, 3) };
    let description = scenario.description;

    Offense {
        id,
        description,
        assigned_to,
        categories,
        policy_category_count,
        close_time,
        closing_user,
        closing_reason_id,
        credibility,
        relevance,
        severity,
        magnitude,
        destination_networks,
        source_network,
        device_count: log_sources.len() as i64,
        event_count,
        flow_count,
        inactive,
        last_updated_time,
        local_destination_count,
        offense_source,
        offense_type,
        protected,
        follow_up,
        remote_destination_count,
        source_count,
        start_time,
        status,
        username_count,
        source_address_ids,
        local_destination_address_ids,
        domain_id,
        last_persisted_time,
        first_persisted_time,
        rules,
        log_sources,
    }
}

/// The JSON array `GET /api/siem/offenses` (without `Range`, `filter` or
/// `fields`) answers from a fresh simulator seeded with `n` offenses and
/// `seed`: every field of QRadar's offense, with one to three rules and log
/// sources each, about 1.3 kB per offense. Deterministic, for decode tests and
/// benchmarks that need realistic data without a server.
pub fn seeded_offenses_json(n: usize, seed: u64) -> String {
    super::query::json_array(State::seeded(n, seed).offenses.iter())
}

impl Sim<QRadar> {
    /// The configured `SEC` token (accepted until the sessions are expired
    /// or it is revoked).
    pub fn token(&self) -> &str {
        self.options.token.as_str()
    }

    /// The accepted Basic auth user name and password.
    pub fn basic_credentials(&self) -> (&str, &str) {
        (
            &self.options.common.user,
            self.options.common.password.as_str(),
        )
    }

    /// Current state of an offense, exactly as `GET /api/siem/offenses/{id}`
    /// would return it.
    pub fn offense(&self, id: u64) -> Option<Value> {
        let id = i64::try_from(id).ok()?;
        self.shared
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .offense(id)
            .map(Record::to_json)
    }

    /// A new offense, as a rule firing now raises one: drawn like the seeded ones, open,
    /// unassigned, created and updated now, with the next id. Returns its id.
    pub fn raise_offense(&self) -> u64 {
        let mut state = self
            .shared
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let id = state.offenses.last().map_or(1, |o| o.id + 1);
        let mut rng = Rng::new(raised_seed(self.options.common.seed(), id));
        let mut offense = generate_offense(&mut rng, id, BASE_TIME_MS - DAY_MS);
        let now = now_ms();
        offense.start_time = now - rng.between(1_000, 60_000);
        offense.last_updated_time = now;
        offense.first_persisted_time = now;
        offense.last_persisted_time = now;
        offense.status = Status::Open;
        offense.close_time = None;
        offense.closing_user = None;
        offense.closing_reason_id = None;
        offense.inactive = false;
        offense.assigned_to = None;
        // Ids only grow, so the list stays sorted by id.
        state.offenses.push(Cached::new(offense));
        u64::try_from(id).unwrap_or_default()
    }

    /// Notes of an offense, oldest first (empty for an unknown offense).
    pub fn notes(&self, offense_id: u64) -> Vec<Value> {
        let Ok(id) = i64::try_from(offense_id) else {
            return Vec::new();
        };
        self.shared
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .notes
            .get(&id)
            .map(|notes| notes.iter().map(Record::to_json).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_complete() {
        let a = State::seeded(500, 7);
        let b = State::seeded(500, 7);
        let c = State::seeded(500, 8);
        let ja: Vec<Value> = a.offenses.iter().map(Record::to_json).collect();
        let jb: Vec<Value> = b.offenses.iter().map(Record::to_json).collect();
        let jc: Vec<Value> = c.offenses.iter().map(Record::to_json).collect();
        assert_eq!(ja, jb);
        assert_ne!(ja, jc);
        let closed = a
            .offenses
            .iter()
            .filter(|o| o.status == Status::Closed)
            .count();
        let hidden = a
            .offenses
            .iter()
            .filter(|o| o.status == Status::Hidden)
            .count();
        assert!((60..140).contains(&closed), "{closed}");
        assert!((20..80).contains(&hidden), "{hidden}");
        for (i, o) in a.offenses.iter().enumerate() {
            assert_eq!(o.id, i as i64 + 1);
            assert_eq!(o.status == Status::Closed, o.close_time.is_some());
            assert!(o.start_time < BASE_TIME_MS && o.start_time >= BASE_TIME_MS - WINDOW_MS);
            assert!(o.last_persisted_time >= o.first_persisted_time);
            assert!(OFFENSE_TYPES.iter().any(|t| t.id == o.offense_type));
            assert!((0..=10).contains(&o.magnitude));
            assert!((1..=3).contains(&o.rules.len()) && (1..=3).contains(&o.log_sources.len()));
        }
        assert_eq!(ja[0].as_object().map(|m| m.len()), Some(38));
    }
}
