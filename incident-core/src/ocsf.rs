//! Export to OCSF: an [`Incident`] as an OCSF 1.8.0 **Incident Finding** (class_uid 2005).
//!
//! [`Incident::to_ocsf`] gives an [`IncidentFinding`], which serializes (serde) to the JSON
//! of the class; absent values are left out, never written as `null`. The tests validate
//! hand-built incidents and every simulator's incidents against the class's JSON Schema,
//! generated from the official OCSF 1.8.0 schema (see `tests/ocsf/` of this crate).
//!
//! ```
//! use incident_core::{Incident, IncidentStatus, Severity, Vendor};
//! use incident_core::ocsf::{Activity, CLASS_UID};
//!
//! let mut incident = Incident::new(Vendor::new("qradar", "QRadar").product("QRadar SIEM", "IBM"), "42", "Port scan", serde_json::json!({"id": 42}));
//! incident.status = IncidentStatus::New;
//! incident.severity = Severity::High;
//!
//! let finding = incident
//!     .to_ocsf()
//!     .src_url("https://qradar.example.com/console/offense/42");
//! assert_eq!(finding.class_uid, CLASS_UID);
//! assert_eq!(finding.type_uid, 200_501); // class_uid * 100 + activity_id (Create)
//! assert_eq!(finding.activity_id, Activity::Create.ocsf_id());
//!
//! let json = serde_json::to_value(&finding).unwrap();
//! assert_eq!(json["severity_id"], 4);
//! assert_eq!(json["finding_info_list"][0]["uid"], "42");
//! // Nobody is assigned: the incident sits in the vendor's unassigned queue.
//! assert_eq!(json["assignee_group"]["name"], "Unassigned");
//! ```
//!
//! # The mapping
//!
//! | OCSF attribute | from |
//! |---|---|
//! | `class_uid` / `class_name` | 2005 / `Incident Finding` |
//! | `category_uid` / `category_name` | 2 / `Findings` |
//! | `activity_id` / `activity_name` | [`Activity::of`]: 3 Close when the status is Resolved or Closed, else 2 Update when the incident changed after it was created (or only an update time is known), else 1 Create. Override with [`IncidentFinding::activity`] (a poller that knows whether it saw the incident before) |
//! | `type_uid` / `type_name` | `class_uid * 100 + activity_id` (200501 Create, 200502 Update, 200503 Close, 200500 Unknown) / `Incident Finding: Create`... |
//! | `time` | the latest of [`Incident::created`], [`Incident::updated`] and [`Incident::closed`], in milliseconds since the epoch; the time of the export when the incident has none |
//! | `timezone_offset` | the UTC offset, in minutes, of the timestamp `time` comes from |
//! | `severity_id` / `severity` | [`Severity::ocsf_id`] / its caption; a vendor value with no OCSF counterpart is 99 with the vendor's word |
//! | `status_id` / `status` | [`IncidentStatus::ocsf_id`](crate::IncidentStatus::ocsf_id) / its caption (99 with the vendor's word, e.g. QRadar `Hidden`, Skyhigh `Suppressed`) |
//! | `verdict_id` / `verdict` | [`Verdict::ocsf_id`](crate::Verdict::ocsf_id) / its caption; left out when the vendor recorded no verdict |
//! | `priority_id` / `priority` | [`Priority::from_severity`]: none of the five vendors' normalized records carries a priority of its own, so the urgency is the severity's (Informational and Low: Low, Medium: Medium, High: High, Critical and Fatal: Critical, Unknown: Unknown, a vendor severity with no counterpart: 99 with its word). Override with [`IncidentFinding::priority`] |
//! | `message` | [`Incident::title`] |
//! | `desc` | [`Incident::description`], when there is one |
//! | `comment` | [`Incident::close_reason`] (the vendor's close reason in its words), when there is one |
//! | `src_url` | not known to the normalized model (a console link is vendor and deployment specific): set it with [`IncidentFinding::src_url`] |
//! | `assignee` | [`Incident::assignee`] as a `user`: its `uid` for Sentinel (user id) and ESET Connect (user uuid), its `name` for QRadar (user name) |
//! | `assignee_group` | only for an unassigned incident: see below |
//! | `finding_info_list` | one `finding_info`: `uid` [`Incident::id`] (the vendor's id), `title` [`Incident::title`], `desc` [`Incident::description`], `created_time` [`Incident::created`], `modified_time` [`Incident::updated`] |
//! | `metadata` | `version` `1.8.0`, `profiles` `["incident"]` (the class implies the profile), `product` the vendor's product (`name` and `vendor_name`, e.g. `QRadar SIEM` by `IBM`) |
//! | `raw_data` | [`Incident::record_json`], the vendor's own record, as JSON text. Leave it out with [`IncidentFinding::without_raw_data`] |
//! | `unmapped.closed_time` | [`Incident::closed`], in milliseconds (the class has no attribute for it) |
//!
//! Not exported: notes and comments (the normalized incident does not carry them; vendors keep
//! them behind separate calls), `confidence_*`, `impact_*`, `start_time` / `end_time` (the
//! times of the first and last event in the incident, which the normalized model does not
//! know) and `observables`. Each is in the vendor record, and so in `raw_data`.
//!
//! # Unassigned incidents
//!
//! The class requires at least one of `assignee` and `assignee_group`. An incident nobody is
//! assigned to (also every CyberArk PTA and Skyhigh incident: those APIs have no assignee) is
//! exported with no `assignee` and with `assignee_group` set to the vendor's unassigned
//! queue, `{"name": "Unassigned", "desc": "Not assigned to anyone in <vendor>"}`
//! ([`UNASSIGNED_GROUP`]). No user is made up, so "is it assigned?" stays answerable: it is
//! exactly when `assignee` is present. A SOC with a queue of its own names it with
//! [`IncidentFinding::assignee_group`].

use serde::Serialize;
use time::OffsetDateTime;

use crate::model::{Incident, Severity, Vendor};

/// The OCSF version the export follows (`metadata.version`).
pub const VERSION: &str = "1.8.0";
/// OCSF `class_uid` of Incident Finding.
pub const CLASS_UID: u32 = 2005;
/// OCSF `category_uid` of Findings.
pub const CATEGORY_UID: u32 = 2;
/// The profile the class implies, named in `metadata.profiles`.
pub const INCIDENT_PROFILE: &str = "incident";
/// The `assignee_group` name of an incident nobody is assigned to.
pub const UNASSIGNED_GROUP: &str = "Unassigned";

/// What an Incident Finding reports about the incident: OCSF `activity_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Activity {
    /// 0: not known.
    Unknown,
    /// 1: the incident was created (or is seen for the first time).
    Create,
    /// 2: the incident changed.
    Update,
    /// 3: the incident was closed.
    Close,
}

impl Activity {
    /// The OCSF `activity_id`.
    pub fn ocsf_id(self) -> u8 {
        match self {
            Activity::Unknown => 0,
            Activity::Create => 1,
            Activity::Update => 2,
            Activity::Close => 3,
        }
    }

    /// The OCSF caption (`activity_name`).
    pub fn caption(self) -> &'static str {
        match self {
            Activity::Unknown => "Unknown",
            Activity::Create => "Create",
            Activity::Update => "Update",
            Activity::Close => "Close",
        }
    }

    /// The activity an incident's state suggests: Close when it is resolved or closed,
    /// Update when it changed after it was created (or only its update time is known),
    /// Create otherwise.
    pub fn of(incident: &Incident) -> Activity {
        if incident.status.is_closed() {
            return Activity::Close;
        }
        match (incident.created, incident.updated) {
            (Some(created), Some(updated)) if updated > created => Activity::Update,
            (None, Some(_)) => Activity::Update,
            _ => Activity::Create,
        }
    }
}

/// The urgency of an incident: OCSF `priority_id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Priority {
    /// 0: not known.
    Unknown,
    /// 1: low.
    Low,
    /// 2: medium.
    Medium,
    /// 3: high.
    High,
    /// 4: critical.
    Critical,
    /// 99: a value with no OCSF counterpart, in its own words.
    Other(String),
}

impl Priority {
    /// The OCSF `priority_id`.
    pub fn ocsf_id(&self) -> u8 {
        match self {
            Priority::Unknown => 0,
            Priority::Low => 1,
            Priority::Medium => 2,
            Priority::High => 3,
            Priority::Critical => 4,
            Priority::Other(_) => 99,
        }
    }

    /// The OCSF caption (`priority`), or the value's own words for `Other`.
    pub fn caption(&self) -> &str {
        match self {
            Priority::Unknown => "Unknown",
            Priority::Low => "Low",
            Priority::Medium => "Medium",
            Priority::High => "High",
            Priority::Critical => "Critical",
            Priority::Other(s) => s,
        }
    }

    /// The priority a severity implies, used when nothing better is known: Informational
    /// and Low are Low, Critical and Fatal are Critical.
    pub fn from_severity(severity: &Severity) -> Priority {
        match severity {
            Severity::Unknown => Priority::Unknown,
            Severity::Informational | Severity::Low => Priority::Low,
            Severity::Medium => Priority::Medium,
            Severity::High => Priority::High,
            Severity::Critical | Severity::Fatal => Priority::Critical,
            Severity::Other(s) => Priority::Other(s.clone()),
        }
    }
}

/// An OCSF `user` (the assignee).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct User {
    /// The user name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user's id in the vendor's system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

/// An OCSF `group` (the assignee group).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Group {
    /// The group's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The group's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// What the group is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
}

impl Group {
    /// A group by name.
    pub fn named(name: impl Into<String>) -> Self {
        Group {
            name: Some(name.into()),
            ..Group::default()
        }
    }

    /// A group by id.
    #[must_use]
    pub fn with_uid(mut self, uid: impl Into<String>) -> Self {
        self.uid = Some(uid.into());
        self
    }

    /// Describes the group.
    #[must_use]
    pub fn with_desc(mut self, desc: impl Into<String>) -> Self {
        self.desc = Some(desc.into());
        self
    }

    /// The unassigned queue of `vendor`: what an incident nobody is assigned to gets.
    pub fn unassigned(vendor: Vendor) -> Self {
        Group::named(UNASSIGNED_GROUP).with_desc(format!("Not assigned to anyone in {vendor}"))
    }
}

/// An OCSF `product`: the vendor product that reported the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Product {
    /// The product's name, e.g. `QRadar SIEM`.
    pub name: String,
    /// The vendor's name, e.g. `IBM`.
    pub vendor_name: String,
}

impl Product {
    /// The product behind `vendor`'s incidents.
    pub fn of(vendor: Vendor) -> Self {
        let (name, vendor_name) = (vendor.product_name(), vendor.vendor_name());
        Product {
            name: name.to_owned(),
            vendor_name: vendor_name.to_owned(),
        }
    }
}

/// OCSF `metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Metadata {
    /// The OCSF version, [`VERSION`].
    pub version: String,
    /// The product that reported the incident.
    pub product: Product,
    /// The profiles applied: [`INCIDENT_PROFILE`].
    pub profiles: Vec<String>,
}

/// An OCSF `finding_info`: what the incident is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FindingInfo {
    /// The vendor's id of the incident.
    pub uid: String,
    /// The title.
    pub title: String,
    /// The description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// When the vendor created the incident, in milliseconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_time: Option<i64>,
    /// When the incident last changed, in milliseconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified_time: Option<i64>,
}

/// An OCSF 1.8.0 Incident Finding (class_uid 2005), built by [`Incident::to_ocsf`].
///
/// The fields carry the OCSF attribute names; serialize it with serde (absent values are
/// left out). Change the activity with [`activity`](Self::activity), which keeps `type_uid`
/// in step. The module documentation lists where each attribute comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct IncidentFinding {
    /// OCSF `activity_id`, see [`Activity`].
    pub activity_id: u8,
    /// The activity's caption.
    pub activity_name: String,
    /// [`CATEGORY_UID`].
    pub category_uid: u32,
    /// `Findings`.
    pub category_name: String,
    /// [`CLASS_UID`].
    pub class_uid: u32,
    /// `Incident Finding`.
    pub class_name: String,
    /// `class_uid * 100 + activity_id`.
    pub type_uid: u32,
    /// `Incident Finding: <activity>`.
    pub type_name: String,
    /// The time of the finding, in milliseconds since the epoch.
    pub time: i64,
    /// The UTC offset, in minutes, of the timestamp `time` comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone_offset: Option<i32>,
    /// OCSF `severity_id`.
    pub severity_id: u8,
    /// The severity's caption, or the vendor's word for 99.
    pub severity: String,
    /// OCSF `status_id`.
    pub status_id: u8,
    /// The status's caption, or the vendor's word for 99.
    pub status: String,
    /// OCSF `verdict_id`, when a verdict is recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict_id: Option<u8>,
    /// The verdict's caption.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// OCSF `priority_id`, see [`Priority`].
    pub priority_id: u8,
    /// The priority's caption.
    pub priority: String,
    /// The incident's title.
    pub message: String,
    /// The incident's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// A link to the incident in the vendor's console.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_url: Option<String>,
    /// Who the incident is assigned to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<User>,
    /// The group the incident is assigned to; the unassigned queue when nobody is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_group: Option<Group>,
    /// Details given on closing or updating the incident: the vendor's close reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// What the incident is: one entry, with the vendor's id.
    pub finding_info_list: Vec<FindingInfo>,
    /// OCSF version, product and profiles.
    pub metadata: Metadata,
    /// The vendor's record, as JSON text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_data: Option<String>,
    /// What the class has no attribute for (`closed_time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmapped: Option<serde_json::Map<String, serde_json::Value>>,
}

impl IncidentFinding {
    /// Sets the activity, and with it `activity_name`, `type_uid` and `type_name`.
    #[must_use]
    pub fn activity(mut self, activity: Activity) -> Self {
        self.activity_id = activity.ocsf_id();
        self.activity_name = activity.caption().to_owned();
        self.type_uid = CLASS_UID * 100 + u32::from(activity.ocsf_id());
        self.type_name = format!("Incident Finding: {}", activity.caption());
        self
    }

    /// Sets `src_url`, the link to the incident in the vendor's console.
    #[must_use]
    pub fn src_url(mut self, url: impl Into<String>) -> Self {
        self.src_url = Some(url.into());
        self
    }

    /// Sets the priority (derived from the severity by default).
    #[must_use]
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority_id = priority.ocsf_id();
        self.priority = priority.caption().to_owned();
        self
    }

    /// Sets `comment` (the close reason by default).
    #[must_use]
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Sets the assignee group, e.g. a SOC's own queue in place of the vendor's unassigned
    /// queue.
    #[must_use]
    pub fn assignee_group(mut self, group: Group) -> Self {
        self.assignee_group = Some(group);
        self
    }

    /// Leaves the vendor's record out (`raw_data`).
    #[must_use]
    pub fn without_raw_data(mut self) -> Self {
        self.raw_data = None;
        self
    }
}

impl Incident {
    /// This incident as an OCSF 1.8.0 Incident Finding; see [`crate::ocsf`] for the mapping.
    ///
    /// ```
    /// # use incident_core::{Incident, Vendor};
    /// let incident = Incident::new(Vendor::new("eset", "ESET Connect").assignees_by_id(), "7f3c", "Ransomware", serde_json::json!({}));
    /// let line = serde_json::to_string(&incident.to_ocsf()).unwrap();
    /// assert!(line.contains(r#""class_uid":2005"#));
    /// ```
    pub fn to_ocsf(&self) -> IncidentFinding {
        let latest = [self.created, self.updated, self.closed]
            .into_iter()
            .flatten()
            .max();
        let at = latest.unwrap_or_else(OffsetDateTime::now_utc);
        let assignee = self
            .assignee
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .map(|a| user(self.vendor, a));
        let assignee_group = match assignee {
            Some(_) => None,
            None => Some(Group::unassigned(self.vendor)),
        };
        let raw_data = match self.record_json() {
            serde_json::Value::Null => None,
            record => Some(record.to_string()),
        };
        let unmapped = self.closed.map(|closed| {
            let mut map = serde_json::Map::new();
            map.insert("closed_time".into(), millis(closed).into());
            map
        });
        let priority = Priority::from_severity(&self.severity);
        let activity = Activity::of(self);
        IncidentFinding {
            activity_id: activity.ocsf_id(),
            activity_name: activity.caption().to_owned(),
            category_uid: CATEGORY_UID,
            category_name: "Findings".to_owned(),
            class_uid: CLASS_UID,
            class_name: "Incident Finding".to_owned(),
            type_uid: CLASS_UID * 100 + u32::from(activity.ocsf_id()),
            type_name: format!("Incident Finding: {}", activity.caption()),
            time: millis(at),
            timezone_offset: latest.map(|t| i32::from(t.offset().whole_minutes())),
            severity_id: self.severity.ocsf_id(),
            severity: self.severity.caption().to_owned(),
            status_id: self.status.ocsf_id(),
            status: self.status.caption().to_owned(),
            verdict_id: self.verdict.as_ref().map(|v| v.ocsf_id()),
            verdict: self.verdict.as_ref().map(|v| v.caption().to_owned()),
            priority_id: priority.ocsf_id(),
            priority: priority.caption().to_owned(),
            message: self.title.clone(),
            desc: self.description.clone(),
            src_url: None,
            assignee,
            assignee_group,
            comment: self.close_reason.clone(),
            finding_info_list: vec![FindingInfo {
                uid: self.id.clone(),
                title: self.title.clone(),
                desc: self.description.clone(),
                created_time: self.created.map(millis),
                modified_time: self.updated.map(millis),
            }],
            metadata: Metadata {
                version: VERSION.to_owned(),
                product: Product::of(self.vendor),
                profiles: vec![INCIDENT_PROFILE.to_owned()],
            },
            raw_data,
            unmapped,
        }
    }
}

/// The assignee as an OCSF user: the vendors that name assignees by id give `uid`.
fn user(vendor: Vendor, assignee: &str) -> User {
    if vendor.names_assignees_by_id() {
        User {
            name: None,
            uid: Some(assignee.to_owned()),
        }
    } else {
        User {
            name: Some(assignee.to_owned()),
            uid: None,
        }
    }
}

/// Milliseconds since the epoch (OCSF `timestamp_t`); every `OffsetDateTime` fits.
fn millis(t: OffsetDateTime) -> i64 {
    let ms = t.unix_timestamp_nanos().div_euclid(1_000_000);
    i64::try_from(ms).unwrap_or(if ms < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::model::{IncidentStatus, Verdict};

    fn incident(vendor: Vendor) -> Incident {
        Incident::new(vendor, "17", "Brute force", serde_json::json!({"id": 17}))
    }

    #[test]
    fn identity_and_type_uid() {
        let f = incident(crate::vendor::test_vendors::ALPHA).to_ocsf();
        assert_eq!(
            (f.class_uid, f.category_uid, f.activity_id, f.type_uid),
            (2005, 2, 1, 200_501)
        );
        assert_eq!(f.type_name, "Incident Finding: Create");
        assert_eq!(f.metadata.version, "1.8.0");
        assert_eq!(f.metadata.profiles, ["incident"]);
        for (activity, uid) in [
            (Activity::Unknown, 200_500),
            (Activity::Create, 200_501),
            (Activity::Update, 200_502),
            (Activity::Close, 200_503),
        ] {
            let f = f.clone().activity(activity);
            assert_eq!(f.type_uid, uid);
            assert_eq!(f.type_uid, f.class_uid * 100 + u32::from(f.activity_id));
            assert_eq!(f.activity_name, activity.caption());
        }
    }

    #[test]
    fn activity_follows_the_state() {
        let mut i = incident(crate::vendor::test_vendors::DELTA);
        assert_eq!(Activity::of(&i), Activity::Create);
        i.created = Some(datetime!(2026-01-02 03:04:05.678 UTC));
        i.updated = i.created;
        assert_eq!(Activity::of(&i), Activity::Create);
        i.updated = Some(datetime!(2026-01-02 04:00 UTC));
        assert_eq!(Activity::of(&i), Activity::Update);
        i.created = None;
        assert_eq!(Activity::of(&i), Activity::Update);
        i.status = IncidentStatus::Resolved;
        assert_eq!(Activity::of(&i), Activity::Close);
    }

    #[test]
    fn times_are_milliseconds_of_the_latest_timestamp() {
        let mut i = incident(crate::vendor::test_vendors::ECHO);
        i.created = Some(datetime!(2026-01-02 03:04:05.678 +02:00));
        i.updated = Some(datetime!(2026-01-02 03:00 +00:00));
        i.closed = Some(datetime!(1969-12-31 23:59:59.999 UTC));
        let f = i.to_ocsf();
        assert_eq!(f.time, 1_767_322_800_000);
        assert_eq!(f.timezone_offset, Some(0));
        assert_eq!(f.finding_info_list[0].created_time, Some(1_767_315_845_678));
        assert_eq!(
            f.unmapped.unwrap()["closed_time"],
            serde_json::json!(-1),
            "before the epoch, floored"
        );
    }

    #[test]
    fn ids_and_captions() {
        let mut i = incident(crate::vendor::test_vendors::CHARLIE);
        i.severity = Severity::Other("Extreme".into());
        i.status = IncidentStatus::Other("Suppressed".into());
        i.verdict = Some(Verdict::Disregard);
        i.close_reason = Some("suppressed".into());
        let f = i.to_ocsf();
        assert_eq!((f.severity_id, f.severity.as_str()), (99, "Extreme"));
        assert_eq!((f.status_id, f.status.as_str()), (99, "Suppressed"));
        assert_eq!((f.priority_id, f.priority.as_str()), (99, "Extreme"));
        assert_eq!(
            (f.verdict_id, f.verdict.as_deref()),
            (Some(3), Some("Disregard"))
        );
        assert_eq!(f.comment.as_deref(), Some("suppressed"));
        let f = f.priority(Priority::High);
        assert_eq!((f.priority_id, f.priority.as_str()), (3, "High"));
    }

    #[test]
    fn assignees_by_name_or_id_and_the_unassigned_queue() {
        let mut q = incident(crate::vendor::test_vendors::ALPHA);
        q.assignee = Some("analyst1".into());
        let f = q.to_ocsf();
        assert_eq!(f.assignee.unwrap().name.as_deref(), Some("analyst1"));
        assert_eq!(f.assignee_group, None);

        let mut e = incident(crate::vendor::test_vendors::ECHO);
        e.assignee = Some("2f9b".into());
        assert_eq!(e.to_ocsf().assignee.unwrap().uid.as_deref(), Some("2f9b"));

        e.assignee = Some("  ".into());
        let f = e.to_ocsf();
        assert_eq!(f.assignee, None);
        assert_eq!(
            f.assignee_group,
            Some(Group::named("Unassigned").with_desc("Not assigned to anyone in Echo"))
        );
        let f = f.assignee_group(Group::named("SOC Tier 1").with_uid("t1"));
        assert_eq!(f.assignee_group.unwrap().uid.as_deref(), Some("t1"));
    }

    #[test]
    fn absent_values_are_left_out() {
        let json =
            serde_json::to_value(incident(crate::vendor::test_vendors::BRAVO).to_ocsf()).unwrap();
        let text = json.to_string();
        assert!(!text.contains("null"), "{text}");
        for absent in [
            "verdict_id",
            "desc",
            "src_url",
            "assignee",
            "comment",
            "unmapped",
        ] {
            assert!(json.get(absent).is_none(), "{absent} in {text}");
        }
        assert_eq!(json["raw_data"], r#"{"id":17}"#);
        assert_eq!(
            json["metadata"]["product"],
            serde_json::json!({"name": "Bravo Analytics", "vendor_name": "Bravo Corp"})
        );
        let bare = serde_json::to_value(
            incident(crate::vendor::test_vendors::ALPHA)
                .to_ocsf()
                .without_raw_data(),
        );
        assert!(bare.unwrap().get("raw_data").is_none());
    }
}
