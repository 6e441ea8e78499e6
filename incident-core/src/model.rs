//! The normalized incident model, aligned with OCSF Incident Finding (class 2005).
//!
//! Status, severity and verdict carry their OCSF ids ([`IncidentStatus::ocsf_id`],
//! [`Severity::ocsf_id`], [`Verdict::ocsf_id`]); a vendor value with no OCSF counterpart is
//! kept as `Other(String)` (OCSF id 99) rather than forced into a wrong bucket.

use std::any::Any;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::error::{Error, Result};

pub use crate::vendor::Vendor;

/// Workflow status, as OCSF `status_id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IncidentStatus {
    /// 0: not known.
    Unknown,
    /// 1: new, nobody works on it yet.
    New,
    /// 2: being worked on.
    InProgress,
    /// 3: waiting (for input, for a third party).
    OnHold,
    /// 4: resolved.
    Resolved,
    /// 5: closed.
    Closed,
    /// 99: a vendor status with no OCSF counterpart (e.g. QRadar `HIDDEN`), by its vendor name.
    Other(String),
}

impl IncidentStatus {
    /// The OCSF `status_id`.
    pub fn ocsf_id(&self) -> u8 {
        match self {
            IncidentStatus::Unknown => 0,
            IncidentStatus::New => 1,
            IncidentStatus::InProgress => 2,
            IncidentStatus::OnHold => 3,
            IncidentStatus::Resolved => 4,
            IncidentStatus::Closed => 5,
            IncidentStatus::Other(_) => 99,
        }
    }

    /// The OCSF caption, or the vendor's value for `Other`.
    pub fn caption(&self) -> &str {
        match self {
            IncidentStatus::Unknown => "Unknown",
            IncidentStatus::New => "New",
            IncidentStatus::InProgress => "In Progress",
            IncidentStatus::OnHold => "On Hold",
            IncidentStatus::Resolved => "Resolved",
            IncidentStatus::Closed => "Closed",
            IncidentStatus::Other(s) => s,
        }
    }

    /// Equality that compares vendor names in `Other` without regard to ASCII case
    /// (`Other("HIDDEN")` is the same status as `Other("Hidden")`).
    pub fn same_as(&self, other: &IncidentStatus) -> bool {
        match (self, other) {
            (IncidentStatus::Other(a), IncidentStatus::Other(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        }
    }

    /// Whether the incident is finished (resolved or closed).
    pub fn is_closed(&self) -> bool {
        matches!(self, IncidentStatus::Resolved | IncidentStatus::Closed)
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.caption())
    }
}

/// Severity, as OCSF `severity_id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Severity {
    /// 0: not known.
    Unknown,
    /// 1: informational.
    Informational,
    /// 2: low.
    Low,
    /// 3: medium.
    Medium,
    /// 4: high.
    High,
    /// 5: critical.
    Critical,
    /// 6: fatal.
    Fatal,
    /// 99: a vendor value with no OCSF counterpart.
    Other(String),
}

impl Severity {
    /// The OCSF `severity_id`.
    pub fn ocsf_id(&self) -> u8 {
        match self {
            Severity::Unknown => 0,
            Severity::Informational => 1,
            Severity::Low => 2,
            Severity::Medium => 3,
            Severity::High => 4,
            Severity::Critical => 5,
            Severity::Fatal => 6,
            Severity::Other(_) => 99,
        }
    }

    /// The OCSF caption, or the vendor's value for `Other`.
    pub fn caption(&self) -> &str {
        match self {
            Severity::Unknown => "Unknown",
            Severity::Informational => "Informational",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
            Severity::Fatal => "Fatal",
            Severity::Other(s) => s,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.caption())
    }
}

/// The analyst's conclusion, as OCSF `verdict_id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verdict {
    /// 0: not known.
    Unknown,
    /// 1: false positive.
    FalsePositive,
    /// 2: true positive.
    TruePositive,
    /// 3: disregard.
    Disregard,
    /// 4: suspicious.
    Suspicious,
    /// 5: benign.
    Benign,
    /// 6: test.
    Test,
    /// 7: insufficient data.
    InsufficientData,
    /// 8: security risk.
    SecurityRisk,
    /// 9: managed externally.
    ManagedExternally,
    /// 10: duplicate.
    Duplicate,
    /// 99: a vendor value with no OCSF counterpart.
    Other(String),
}

impl Verdict {
    /// The OCSF `verdict_id`.
    pub fn ocsf_id(&self) -> u8 {
        match self {
            Verdict::Unknown => 0,
            Verdict::FalsePositive => 1,
            Verdict::TruePositive => 2,
            Verdict::Disregard => 3,
            Verdict::Suspicious => 4,
            Verdict::Benign => 5,
            Verdict::Test => 6,
            Verdict::InsufficientData => 7,
            Verdict::SecurityRisk => 8,
            Verdict::ManagedExternally => 9,
            Verdict::Duplicate => 10,
            Verdict::Other(_) => 99,
        }
    }

    /// The OCSF caption, or the vendor's value for `Other`.
    pub fn caption(&self) -> &str {
        match self {
            Verdict::Unknown => "Unknown",
            Verdict::FalsePositive => "False Positive",
            Verdict::TruePositive => "True Positive",
            Verdict::Disregard => "Disregard",
            Verdict::Suspicious => "Suspicious",
            Verdict::Benign => "Benign",
            Verdict::Test => "Test",
            Verdict::InsufficientData => "Insufficient Data",
            Verdict::SecurityRisk => "Security Risk",
            Verdict::ManagedExternally => "Managed Externally",
            Verdict::Duplicate => "Duplicate",
            Verdict::Other(s) => s,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.caption())
    }
}

/// The vendor's own record behind an [`Incident`]: reachable typed (by downcast) or as JSON.
pub trait VendorRecord: Any + fmt::Debug + Send + Sync {
    /// The record as the vendor's JSON.
    fn to_json(&self) -> serde_json::Value;
    /// The record as `Any`, for downcasting to the vendor crate's type.
    fn as_any(&self) -> &dyn Any;
}

impl<T> VendorRecord for T
where
    T: serde::Serialize + fmt::Debug + Send + Sync + 'static,
{
    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One incident, normalized across vendors.
///
/// Built by the vendor crates; the vendor's full record stays reachable through
/// [`Incident::record`] (typed) and [`Incident::record_json`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Incident {
    /// The vendor's id, as text.
    pub id: String,
    /// Which vendor it comes from.
    pub vendor: Vendor,
    /// A one-line title (OCSF `finding_info.title`).
    pub title: String,
    /// A longer description, when the vendor has one distinct from the title.
    pub description: Option<String>,
    /// Workflow status.
    pub status: IncidentStatus,
    /// Severity.
    pub severity: Severity,
    /// Who it is assigned to, in the vendor's terms (user name or id).
    pub assignee: Option<String>,
    /// When the vendor created it.
    pub created: Option<OffsetDateTime>,
    /// When it last changed.
    pub updated: Option<OffsetDateTime>,
    /// When it was closed.
    pub closed: Option<OffsetDateTime>,
    /// The verdict, where the vendor records one.
    pub verdict: Option<Verdict>,
    /// The close reason in the vendor's words (e.g. a QRadar closing reason's text).
    pub close_reason: Option<String>,
    record: Arc<dyn VendorRecord>,
}

impl Incident {
    /// A new incident with status and severity unknown and no optional data; set the public
    /// fields afterwards.
    pub fn new(
        vendor: Vendor,
        id: impl Into<String>,
        title: impl Into<String>,
        record: impl VendorRecord,
    ) -> Self {
        Incident {
            id: id.into(),
            vendor,
            title: title.into(),
            description: None,
            status: IncidentStatus::Unknown,
            severity: Severity::Unknown,
            assignee: None,
            created: None,
            updated: None,
            closed: None,
            verdict: None,
            close_reason: None,
            record: Arc::new(record),
        }
    }

    /// The vendor's record as its own type, e.g. `incident.record::<qradar_client::Offense>()`.
    pub fn record<T: 'static>(&self) -> Option<&T> {
        self.record.as_any().downcast_ref()
    }

    /// The vendor's record as JSON.
    pub fn record_json(&self) -> serde_json::Value {
        self.record.to_json()
    }
}

/// Which timestamp a [`TimeWindow`] applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeField {
    /// [`Incident::created`].
    Created,
    /// [`Incident::updated`].
    Updated,
}

/// A half-open time window `[from, to)` on one timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimeWindow {
    /// The timestamp filtered on.
    pub field: TimeField,
    /// Inclusive lower bound.
    pub from: Option<OffsetDateTime>,
    /// Exclusive upper bound.
    pub to: Option<OffsetDateTime>,
}

/// What to list, in vendor-neutral terms.
///
/// ```
/// use incident_core::{IncidentQuery, IncidentStatus, TimeField};
/// use time::macros::datetime;
/// let q = IncidentQuery::new()
///     .status(IncidentStatus::New)
///     .status(IncidentStatus::InProgress)
///     .window(TimeField::Updated, Some(datetime!(2026-11-01 0:00 UTC)), None)
///     .limit(500);
/// assert_eq!(q.statuses.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
#[must_use = "a query does nothing until it is listed"]
pub struct IncidentQuery {
    /// Keep only incidents in one of these statuses (empty: all).
    pub statuses: Vec<IncidentStatus>,
    /// Keep only incidents whose timestamp falls in this window.
    pub window: Option<TimeWindow>,
    /// The most incidents a stream yields in total.
    pub limit: Option<usize>,
    /// How many incidents to ask for per request (the vendor's default when `None`).
    pub page_size: Option<u32>,
}

impl IncidentQuery {
    /// All incidents.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a status to keep.
    pub fn status(mut self, status: IncidentStatus) -> Self {
        self.statuses.push(status);
        self
    }

    /// Keeps only incidents whose `field` falls in `[from, to)`.
    pub fn window(
        mut self,
        field: TimeField,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> Self {
        self.window = Some(TimeWindow { field, from, to });
        self
    }

    /// Stops after `limit` incidents.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Asks for `size` incidents per request.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }
}

/// An opaque position in a listing, handed back to get the next page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps a vendor-specific position.
    pub fn new(value: impl Into<String>) -> Self {
        Cursor(value.into())
    }

    /// The position as text (to store between runs).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One page of a listing.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IncidentPage {
    /// The incidents of this page.
    pub items: Vec<Incident>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
    /// How many incidents match in total, when the vendor says.
    pub total: Option<u64>,
}

impl IncidentPage {
    /// A page.
    pub fn new(items: Vec<Incident>, next: Option<Cursor>, total: Option<u64>) -> Self {
        IncidentPage { items, next, total }
    }
}

/// How to close an incident: a reason in the vendor's words, a verdict, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use = "a closure does nothing until it is part of an update"]
pub struct Closure {
    /// The vendor's close reason, by name or id (e.g. QRadar `"False-Positive, Tuned"` or `"2"`).
    pub reason: Option<String>,
    /// The verdict.
    pub verdict: Option<Verdict>,
}

impl Closure {
    /// A closure with a vendor close reason.
    pub fn reason(reason: impl Into<String>) -> Self {
        Closure {
            reason: Some(reason.into()),
            verdict: None,
        }
    }

    /// A closure with a verdict.
    pub fn verdict(verdict: Verdict) -> Self {
        Closure {
            reason: None,
            verdict: Some(verdict),
        }
    }

    /// Adds a verdict.
    pub fn with_verdict(mut self, verdict: Verdict) -> Self {
        self.verdict = Some(verdict);
        self
    }
}

/// A change of status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusChange {
    /// Moves to a status that is not a closing one (new, in progress, on hold, or a
    /// vendor's `Other`).
    Set(IncidentStatus),
    /// Closes.
    Close(Closure),
}

/// A change of assignee.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssigneeChange {
    /// Assigns to this user (in the vendor's terms).
    Assign(String),
    /// Removes the assignee.
    Unassign,
}

/// A change to an incident, in vendor-neutral terms. A vendor that cannot express a part of
/// it answers [`Error::Unsupported`] before sending anything.
///
/// ```
/// use incident_core::{Closure, IncidentUpdate, Verdict};
/// let update = IncidentUpdate::new()
///     .close(Closure::reason("Non-Issue").with_verdict(Verdict::Benign))
///     .note("Checked with the asset owner.");
/// assert!(!update.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
#[must_use = "a change does nothing until it is applied"]
pub struct IncidentUpdate {
    /// A new status.
    pub status: Option<StatusChange>,
    /// A new assignee.
    pub assignee: Option<AssigneeChange>,
    /// A new severity.
    pub severity: Option<Severity>,
    /// A note or comment to add.
    pub note: Option<String>,
}

impl IncidentUpdate {
    /// An empty change.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves to `status` (use [`close`](Self::close) to close).
    pub fn status(mut self, status: IncidentStatus) -> Self {
        self.status = Some(StatusChange::Set(status));
        self
    }

    /// Closes.
    pub fn close(mut self, closure: Closure) -> Self {
        self.status = Some(StatusChange::Close(closure));
        self
    }

    /// Assigns to `user`.
    pub fn assign(mut self, user: impl Into<String>) -> Self {
        self.assignee = Some(AssigneeChange::Assign(user.into()));
        self
    }

    /// Removes the assignee.
    pub fn unassign(mut self) -> Self {
        self.assignee = Some(AssigneeChange::Unassign);
        self
    }

    /// Sets the severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    /// Adds a note.
    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.note = Some(text.into());
        self
    }

    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.assignee.is_none()
            && self.severity.is_none()
            && self.note.is_none()
    }
}

/// What a vendor can change and filter through the normalized interface.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Statuses accepted by [`StatusChange::Set`].
    pub settable_statuses: Vec<IncidentStatus>,
    /// Whether incidents can be closed.
    pub close: bool,
    /// Whether closing needs a vendor close reason (QRadar does).
    pub close_requires_reason: bool,
    /// Whether a verdict can be recorded: `true` exactly when [`verdicts`](Self::verdicts)
    /// is not empty.
    pub verdict: bool,
    /// The verdicts a close records: closing with [`Closure::verdict`] of one of them works
    /// and reads back as that verdict. Any other verdict, alone or beside a reason, gives
    /// [`Error::Unsupported`].
    pub verdicts: Vec<Verdict>,
    /// Whether the assignee can be set.
    pub assign: bool,
    /// Whether the assignee can be removed.
    pub unassign: bool,
    /// Whether the severity can be set: `true` exactly when
    /// [`severities`](Self::severities) is not empty.
    pub set_severity: bool,
    /// The severities an update can set (and reads back as set). Another severity other
    /// than [`Severity::Other`] gives [`Error::Unsupported`]; an `Other` value is left to the
    /// vendor (Sentinel takes its own 0 to 5).
    pub severities: Vec<Severity>,
    /// Whether notes can be added.
    pub notes: bool,
    /// Timestamps a [`TimeWindow`] may apply to.
    pub time_fields: Vec<TimeField>,
    /// The statuses a listing can filter on: a filter on one of them lists exactly the
    /// incidents in that status. Another status other than [`IncidentStatus::Other`] gives
    /// [`Error::Unsupported`]; an `Other` value is left to the vendor (its own statuses, and
    /// those it may add later).
    pub filter_statuses: Vec<IncidentStatus>,
}

impl Capabilities {
    /// Nothing supported; set the public fields afterwards.
    pub fn none() -> Self {
        Self::default()
    }

    /// Checks an update against these capabilities, naming the first part `vendor` cannot
    /// express. [`IncidentSource::update_incident`](crate::IncidentSource::update_incident)
    /// calls this with the source's own capabilities before anything is sent, so an
    /// unsupported change never half-applies.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] naming the first part `vendor` cannot express;
    /// [`Error::InvalidInput`] for an update that changes nothing or sets a closed status
    /// without a [`StatusChange::Close`].
    pub fn check_update<'a>(
        &self,
        vendor: Vendor,
        update: &'a IncidentUpdate,
    ) -> Result<Checked<'a, IncidentUpdate>> {
        let unsupported = |what: String| Err(Error::unsupported(vendor, what));
        match &update.status {
            Some(StatusChange::Set(s)) if s.is_closed() => {
                return Err(Error::invalid_input(
                    "status change",
                    format!("use a Close change to move to {s}"),
                ));
            }
            Some(StatusChange::Set(s)) if !self.settable_statuses.iter().any(|t| t.same_as(s)) => {
                return unsupported(format!("setting the status {s}"));
            }
            Some(StatusChange::Close(_)) if !self.close => {
                return unsupported("closing incidents".into());
            }
            // A verdict the vendor cannot record is refused, also beside a close reason:
            // it would otherwise be dropped without a word.
            Some(StatusChange::Close(c)) if c.verdict.is_some() && !self.verdict => {
                return unsupported("recording a verdict".into());
            }
            Some(StatusChange::Close(Closure {
                verdict: Some(v), ..
            })) if !self.records_verdict(v) => {
                return unsupported(format!("recording the verdict {v}"));
            }
            _ => {}
        }
        match &update.assignee {
            Some(AssigneeChange::Assign(_)) if !self.assign => {
                return unsupported("assigning incidents".into());
            }
            Some(AssigneeChange::Unassign) if !self.unassign => {
                return unsupported("removing the assignee".into());
            }
            _ => {}
        }
        match &update.severity {
            Some(_) if !self.set_severity => return unsupported("changing the severity".into()),
            Some(s) if !self.sets_severity(s) => {
                return unsupported(format!("setting the severity {s}"));
            }
            _ => {}
        }
        if update.note.is_some() && !self.notes {
            return unsupported("adding notes".into());
        }
        if update.is_empty() {
            return Err(Error::invalid_input("update", "the update changes nothing"));
        }
        Ok(Checked(update))
    }

    /// Whether a close records `verdict` (see [`verdicts`](Self::verdicts)).
    pub fn records_verdict(&self, verdict: &Verdict) -> bool {
        self.verdict && self.verdicts.contains(verdict)
    }

    /// Whether an update can set `severity` (see [`severities`](Self::severities)).
    pub fn sets_severity(&self, severity: &Severity) -> bool {
        self.set_severity
            && (matches!(severity, Severity::Other(_)) || self.severities.contains(severity))
    }

    /// Whether a listing can filter on `status` (see
    /// [`filter_statuses`](Self::filter_statuses)); an `Other` status is left to the vendor.
    pub fn filters_status(&self, status: &IncidentStatus) -> bool {
        matches!(status, IncidentStatus::Other(_))
            || self.filter_statuses.iter().any(|s| s.same_as(status))
    }

    /// Checks that a query filters on statuses and a timestamp the vendor can filter on.
    /// [`IncidentSource::list_incidents`](crate::IncidentSource::list_incidents) calls this
    /// with the source's own capabilities before anything is sent.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] naming the status or timestamp `vendor` cannot filter on.
    pub fn check_query<'a>(
        &self,
        vendor: Vendor,
        query: &'a IncidentQuery,
    ) -> Result<Checked<'a, IncidentQuery>> {
        if let Some(s) = query.statuses.iter().find(|s| !self.filters_status(s)) {
            return Err(Error::unsupported(
                vendor,
                format!("filtering on the status {s}"),
            ));
        }
        if let Some(w) = &query.window
            && !self.time_fields.contains(&w.field)
        {
            return Err(Error::unsupported(
                vendor,
                format!("filtering on the {:?} time", w.field),
            ));
        }
        Ok(Checked(query))
    }
}

/// A query or an update that passed a check against [`Capabilities`]
/// ([`Capabilities::check_query`], [`Capabilities::check_update`]), and reads as the value
/// itself (`Deref`).
///
/// Only incident-core makes one, so the methods of
/// [`IncidentSource`](crate::IncidentSource) that take it
/// ([`list_page`](crate::IncidentSource::list_page),
/// [`apply_update`](crate::IncidentSource::apply_update)) cannot be reached with a value
/// that skipped the check.
#[derive(Debug)]
pub struct Checked<'a, T>(&'a T);

impl<'a, T> Checked<'a, T> {
    /// The checked value, borrowed for as long as the original.
    pub fn get(self) -> &'a T {
        self.0
    }
}

impl<T> Clone for Checked<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Checked<'_, T> {}

impl<T> Deref for Checked<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Serialize, PartialEq)]
    struct Rec {
        id: u32,
    }

    #[test]
    fn record_is_reachable() {
        let i = Incident::new(crate::vendor::test_vendors::ALPHA, "7", "t", Rec { id: 7 });
        assert_eq!(i.record::<Rec>(), Some(&Rec { id: 7 }));
        assert_eq!(i.record::<String>(), None);
        assert_eq!(i.record_json(), serde_json::json!({"id": 7}));
    }

    #[test]
    fn ocsf_ids() {
        assert_eq!(IncidentStatus::InProgress.ocsf_id(), 2);
        assert_eq!(IncidentStatus::Other("Hidden".into()).ocsf_id(), 99);
        assert_eq!(Severity::Critical.ocsf_id(), 5);
        assert_eq!(Verdict::Duplicate.ocsf_id(), 10);
        assert_eq!(IncidentStatus::Other("Hidden".into()).to_string(), "Hidden");
    }

    #[test]
    fn capability_checks() {
        let caps = Capabilities {
            settable_statuses: vec![IncidentStatus::New],
            close: true,
            assign: true,
            notes: true,
            ..Capabilities::none()
        };
        let v = crate::vendor::test_vendors::ALPHA;
        assert!(
            caps.check_update(v, &IncidentUpdate::new().assign("a").note("n"))
                .is_ok()
        );
        let e = caps
            .check_update(v, &IncidentUpdate::new().severity(Severity::High))
            .unwrap_err();
        assert!(e.is_unsupported(), "{e}");
        assert!(
            caps.check_update(v, &IncidentUpdate::new().unassign())
                .unwrap_err()
                .is_unsupported()
        );
        assert!(
            caps.check_update(v, &IncidentUpdate::new().status(IncidentStatus::OnHold))
                .unwrap_err()
                .is_unsupported()
        );
        assert!(matches!(
            caps.check_update(v, &IncidentUpdate::new().status(IncidentStatus::Closed)),
            Err(Error::InvalidInput { .. })
        ));
        assert!(matches!(
            caps.check_update(v, &IncidentUpdate::new()),
            Err(Error::InvalidInput { .. })
        ));
        let q = IncidentQuery::new().window(TimeField::Created, None, None);
        assert!(caps.check_query(v, &q).unwrap_err().is_unsupported());
        // Statuses: the listed ones, and any vendor `Other` value, go to the vendor.
        let filtering = Capabilities {
            filter_statuses: vec![IncidentStatus::New, IncidentStatus::Other("Hidden".into())],
            ..caps.clone()
        };
        for (status, ok) in [
            (IncidentStatus::New, true),
            (IncidentStatus::Other("HIDDEN".into()), true),
            (IncidentStatus::Other("Escalated".into()), true),
            (IncidentStatus::Resolved, false),
            (IncidentStatus::Unknown, false),
        ] {
            let query = IncidentQuery::new().status(status.clone());
            let got = filtering.check_query(v, &query);
            assert_eq!(got.is_ok(), ok, "{status}: {got:?}");
            if !ok {
                assert!(got.unwrap_err().is_unsupported());
            }
        }
        // A verdict the vendor cannot record is refused, with or without a close reason.
        let with_reason = Closure {
            reason: Some("Non-Issue".into()),
            verdict: Some(Verdict::FalsePositive),
        };
        for closure in [with_reason.clone(), Closure::verdict(Verdict::Benign)] {
            let e = caps
                .check_update(v, &IncidentUpdate::new().close(closure))
                .unwrap_err();
            assert!(e.is_unsupported(), "{e}");
        }
        let recording = Capabilities {
            verdict: true,
            verdicts: vec![Verdict::FalsePositive],
            ..caps.clone()
        };
        assert!(
            recording
                .check_update(v, &IncidentUpdate::new().close(with_reason))
                .is_ok()
        );
        // Only the listed verdicts, alone or beside a reason.
        for closure in [
            Closure::verdict(Verdict::Benign),
            Closure::reason("Non-Issue").with_verdict(Verdict::TruePositive),
        ] {
            let e = recording
                .check_update(v, &IncidentUpdate::new().close(closure))
                .unwrap_err();
            assert!(e.is_unsupported(), "{e}");
            assert!(e.to_string().contains("verdict"), "{e}");
        }
        // Only the listed severities; a vendor's own `Other` value goes to the vendor.
        let grading = Capabilities {
            set_severity: true,
            severities: vec![Severity::Low, Severity::High],
            ..caps.clone()
        };
        for (severity, ok) in [
            (Severity::High, true),
            (Severity::Other("2".into()), true),
            (Severity::Critical, false),
            (Severity::Unknown, false),
        ] {
            let update = IncidentUpdate::new().severity(severity.clone());
            let got = grading.check_update(v, &update);
            assert_eq!(got.is_ok(), ok, "{severity}: {got:?}");
            if !ok {
                assert!(got.unwrap_err().is_unsupported());
            }
        }
        assert!(
            caps.check_update(
                v,
                &IncidentUpdate::new().close(Closure::reason("Non-Issue"))
            )
            .is_ok()
        );
    }
}
