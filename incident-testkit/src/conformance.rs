//! The [`IncidentSource`] conformance suite.
//!
//! [`run_conformance`] checks a source through the trait alone, against data it may change
//! (a simulator, an in-memory store, a test tenant), that listing, streaming, getting and
//! updating behave as the trait documents and exactly as the source's [`Capabilities`] say:
//! every change the capabilities deny gives [`Error::Unsupported`] and changes nothing,
//! every change they allow works and is visible through `get_incident` afterwards. A
//! capability and the behaviour behind it cannot drift apart without the suite failing.
//!
//! The suite changes one incident ([`Fixture::incident_id`]) and reads everything else.
//! Steps, in order: paging (a full walk with cursors, held to the paging bounds page by
//! page: see [`MAX_PAGES`]), the `stream_incidents` stream and its limit, status filters
//! (every status of [`Capabilities::filter_statuses`] lists exactly the incidents in it,
//! every other OCSF status is unsupported), time windows, `get_incident` against the
//! listing, a missing id, the unsupported changes (every verdict and severity the
//! capabilities do not list among them), the settable statuses, severity (each of
//! [`Capabilities::severities`]), assign, unassign, note, close (with the fixture's closure)
//! and reopen, then a close with each verdict of [`Capabilities::verdicts`], read back and
//! reopened. The [crate documentation](crate) has the fixture contract and every check by
//! name.

use std::collections::HashSet;
use std::fmt;

use futures::TryStreamExt;
use incident_core::mapping::{OCSF_SEVERITIES, OCSF_STATUSES, OCSF_VERDICTS};
use incident_core::paging::MAX_EMPTY_PAGES;
use incident_core::time::OffsetDateTime;
use incident_core::{
    Capabilities, Closure, Cursor, Error, Incident, IncidentQuery, IncidentSource, IncidentStatus,
    IncidentUpdate, Severity, TimeField, Vendor, Verdict,
};

/// What the suite needs to know about the data behind a source.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use = "a fixture does nothing until the suite runs with it"]
pub struct Fixture {
    /// An incident the suite may change: open (not closed) and assigned to nobody. It is
    /// closed, reopened, assigned and given a note.
    pub incident_id: String,
    /// An id in the vendor's format that no incident has.
    pub missing_id: String,
    /// The page size of the walks; the data must fill at least two pages of it.
    pub page_size: u32,
    /// Statuses to filter on: each listing must hold exactly the incidents of the full
    /// walk in that status. Together they must match at least one incident.
    pub filter_statuses: Vec<IncidentStatus>,
    /// Statuses the vendor cannot filter on: listing with them must give
    /// [`Error::Unsupported`].
    pub unfilterable_statuses: Vec<IncidentStatus>,
    /// A user the vendor accepts as assignee (needed when the capabilities allow assign).
    pub assignee: Option<String>,
    /// A closure the vendor accepts (needed when the capabilities allow close). A verdict
    /// in it must read back from `get_incident` when the capabilities allow verdicts.
    pub closure: Option<Closure>,
    /// The status that reopens a closed incident, `None` when the vendor cannot reopen.
    pub reopen: Option<IncidentStatus>,
    /// The text of the note the suite adds.
    pub note: String,
    /// Top-level fields of the vendor record that the vendor's listing leaves out by design
    /// (ESET lists incidents without `deviceUuids` and `detectionUuids`): when a listed
    /// record lacks one, `get_incident` is not held to lack it too.
    pub listing_omits: Vec<String>,
}

impl Fixture {
    /// A fixture for changing `incident_id`, with `missing_id` as an id nobody has; page
    /// size 10, no status filters, no assignee, closure or reopen status yet.
    pub fn new(incident_id: impl Into<String>, missing_id: impl Into<String>) -> Self {
        Fixture {
            incident_id: incident_id.into(),
            missing_id: missing_id.into(),
            page_size: 10,
            filter_statuses: Vec::new(),
            unfilterable_statuses: Vec::new(),
            assignee: None,
            closure: None,
            reopen: None,
            note: "Conformance check: note added through IncidentSource.".into(),
            listing_omits: Vec::new(),
        }
    }

    /// Declares a top-level record field the vendor's listing leaves out by design.
    pub fn listing_omits(mut self, field: impl Into<String>) -> Self {
        self.listing_omits.push(field.into());
        self
    }

    /// Sets the page size of the walks.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// Adds a status to filter on.
    pub fn filter_status(mut self, status: IncidentStatus) -> Self {
        self.filter_statuses.push(status);
        self
    }

    /// Adds a status the vendor cannot filter on.
    pub fn unfilterable_status(mut self, status: IncidentStatus) -> Self {
        self.unfilterable_statuses.push(status);
        self
    }

    /// Sets the user to assign.
    pub fn assignee(mut self, user: impl Into<String>) -> Self {
        self.assignee = Some(user.into());
        self
    }

    /// Sets the closure to close with.
    pub fn closure(mut self, closure: Closure) -> Self {
        self.closure = Some(closure);
        self
    }

    /// Sets the status that reopens a closed incident.
    pub fn reopen(mut self, status: IncidentStatus) -> Self {
        self.reopen = Some(status);
        self
    }

    /// Sets the note text.
    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.note = text.into();
        self
    }
}

/// How one check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// It ran and passed.
    Passed,
    /// It did not apply (the capabilities or the fixture say why).
    Skipped(String),
}

/// One check of the suite.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
}

/// What a passing run checked.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The vendor of the source.
    pub vendor: Vendor,
    /// The capabilities the source declared.
    pub capabilities: Capabilities,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// How many incidents the full walk saw.
    pub incidents: usize,
}

impl Report {
    /// The checks that ran and passed.
    pub fn passed(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Passed)
    }

    /// The checks that were skipped, with the reason.
    pub fn skipped(&self) -> impl Iterator<Item = (&str, &str)> {
        self.checks.iter().filter_map(|c| match &c.outcome {
            Outcome::Skipped(why) => Some((c.name.as_str(), why.as_str())),
            Outcome::Passed => None,
        })
    }

    /// Whether the check named `name` ran and passed.
    pub fn has_passed(&self, name: &str) -> bool {
        self.passed().any(|c| c.name == name)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} conformance: {} passed, {} skipped, {} incidents walked",
            self.vendor,
            self.passed().count(),
            self.skipped().count(),
            self.incidents
        )?;
        for (name, why) in self.skipped() {
            writeln!(f, "  skipped {name}: {why}")?;
        }
        Ok(())
    }
}

/// The first check that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// The vendor of the source.
    pub vendor: Vendor,
    /// The check that failed.
    pub check: String,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} conformance failed in {:?}: {}",
            self.vendor, self.check, self.message
        )
    }
}

impl std::error::Error for Failure {}

/// Runs the suite and returns what it checked.
///
/// # Panics
///
/// Panics with the [`Failure`] of the first check that failed.
pub async fn run_conformance(source: &dyn IncidentSource, fixture: &Fixture) -> Report {
    match try_conformance(source, fixture).await {
        Ok(report) => report,
        Err(failure) => panic!("{failure}"),
    }
}

/// Runs the suite.
///
/// # Errors
///
/// The [`Failure`] of the first check that failed.
pub async fn try_conformance(
    source: &dyn IncidentSource,
    fixture: &Fixture,
) -> Result<Report, Failure> {
    let mut suite = Suite {
        source,
        fixture,
        caps: source.capabilities(),
        vendor: source.vendor(),
        checks: Vec::new(),
        check: String::new(),
    };
    let walked = suite.run().await?;
    Ok(Report {
        vendor: suite.vendor,
        capabilities: suite.caps,
        checks: suite.checks,
        incidents: walked,
    })
}

/// The most pages the suite's own cursor walk reads before it fails as endless.
pub const MAX_PAGES: usize = 10_000;

struct Suite<'a> {
    source: &'a dyn IncidentSource,
    fixture: &'a Fixture,
    caps: Capabilities,
    vendor: Vendor,
    checks: Vec<Check>,
    /// The check running now, for failure messages.
    check: String,
}

type Step<T = ()> = Result<T, Failure>;

impl Suite<'_> {
    fn begin(&mut self, name: impl Into<String>) {
        self.check = name.into();
    }

    fn pass(&mut self) {
        self.checks.push(Check {
            name: std::mem::take(&mut self.check),
            outcome: Outcome::Passed,
        });
    }

    fn skip(&mut self, name: impl Into<String>, why: impl Into<String>) {
        self.checks.push(Check {
            name: name.into(),
            outcome: Outcome::Skipped(why.into()),
        });
    }

    fn fail(&self, message: impl Into<String>) -> Failure {
        Failure {
            vendor: self.vendor,
            check: self.check.clone(),
            message: message.into(),
        }
    }

    fn ensure(&self, ok: bool, message: impl FnOnce() -> String) -> Step {
        if ok {
            Ok(())
        } else {
            Err(self.fail(message()))
        }
    }

    /// `result` as a value, or a failure naming `what`.
    fn ok<T>(&self, what: &str, result: incident_core::Result<T>) -> Step<T> {
        result.map_err(|e| self.fail(format!("{what} failed: {e}")))
    }

    fn id(&self) -> &str {
        &self.fixture.incident_id
    }

    async fn get(&self) -> Step<Incident> {
        let got = self.source.get_incident(self.id()).await;
        self.ok(&format!("get_incident({:?})", self.id()), got)
    }

    async fn update(&self, update: &IncidentUpdate) -> incident_core::Result<Incident> {
        self.source.update_incident(self.id(), update).await
    }

    async fn run(&mut self) -> Step<usize> {
        self.begin("capabilities");
        self.check_capabilities()?;
        self.pass();

        self.begin("paging");
        let all = self.paging().await?;
        self.pass();

        self.begin("incidents() stream");
        self.stream(&all).await?;
        self.pass();

        self.status_filters(&all).await?;
        self.time_windows(&all).await?;

        self.begin("get_incident equals the listing");
        self.get_equals_list(&all).await?;
        self.pass();

        self.begin("get_incident of a missing id");
        let missing = &self.fixture.missing_id;
        match self.source.get_incident(missing).await {
            Err(e) if e.is_not_found() => {}
            other => {
                return Err(self.fail(format!("expected a not-found error, got {other:?}")));
            }
        }
        self.pass();

        self.unsupported_changes().await?;
        self.settable_statuses().await?;
        self.severity().await?;
        self.assign().await?;
        self.note().await?;
        self.close_and_reopen().await?;
        self.close_with_each_verdict().await?;
        Ok(all.len())
    }

    fn check_capabilities(&self) -> Step {
        let c = &self.caps;
        self.ensure(!c.close_requires_reason || c.close, || {
            "close_requires_reason is set but close is not".into()
        })?;
        self.ensure(!c.verdict || c.close, || {
            "verdict is set but close is not (verdicts are recorded on close)".into()
        })?;
        self.ensure(c.verdict != c.verdicts.is_empty(), || {
            format!(
                "verdict is {} but verdicts lists {:?}",
                c.verdict, c.verdicts
            )
        })?;
        self.ensure(c.set_severity != c.severities.is_empty(), || {
            format!(
                "set_severity is {} but severities lists {:?}",
                c.set_severity, c.severities
            )
        })?;
        for s in &self.fixture.filter_statuses {
            self.ensure(c.filters_status(s), || {
                format!("the fixture filters on {s}, which filter_statuses does not list")
            })?;
        }
        for s in &self.fixture.unfilterable_statuses {
            self.ensure(!c.filters_status(s), || {
                format!("the fixture says {s} cannot be filtered on, but filter_statuses lists it")
            })?;
        }
        for s in &c.settable_statuses {
            self.ensure(!s.is_closed(), || {
                format!("settable_statuses lists the closing status {s}: closing is a Close change")
            })?;
        }
        self.ensure(!c.assign || self.fixture.assignee.is_some(), || {
            "the capabilities allow assign but the fixture names no assignee".into()
        })?;
        self.ensure(!c.close || self.fixture.closure.is_some(), || {
            "the capabilities allow close but the fixture has no closure".into()
        })?;
        self.ensure(self.fixture.page_size > 0, || "the page size is 0".into())
    }

    /// Walks every page with cursors, as a caller keeping its own cursor does, and holds the
    /// source to the paging guarantees page by page, so that a lying source fails within a
    /// few requests rather than holding the suite: no page larger than asked, no incident
    /// listed twice, nothing past the total the first page announced, no cursor that does
    /// not advance or comes back (a cycle of any length), at most [`MAX_EMPTY_PAGES`] empty
    /// pages in a row, and at most [`MAX_PAGES`] pages.
    async fn walk(&self, query: &IncidentQuery) -> Step<(Vec<Vec<Incident>>, Option<u64>)> {
        let mut pages = Vec::new();
        let mut cursor: Option<Cursor> = None;
        let mut requested: HashSet<Cursor> = HashSet::new();
        let mut listed: HashSet<String> = HashSet::new();
        let mut total = None;
        let mut empty_in_a_row = 0;
        loop {
            let n = pages.len() + 1;
            let page = self
                .source
                .list_incidents(query, cursor.as_ref())
                .await
                .map_err(|e| {
                    self.fail(format!(
                        "list_incidents(page {n}, cursor {:?}) failed: {e}",
                        cursor.as_ref().map(Cursor::as_str)
                    ))
                })?;
            if pages.is_empty() {
                total = page.total;
            }
            if let Some(size) = query.page_size {
                self.ensure(page.items.len() <= size as usize, || {
                    format!(
                        "page {n} holds {} incidents, more than the {size} asked",
                        page.items.len()
                    )
                })?;
            }
            for incident in &page.items {
                self.ensure(listed.insert(incident.id.clone()), || {
                    format!(
                        "page {n} (cursor {:?}) lists the incident {:?} again",
                        cursor.as_ref().map(Cursor::as_str),
                        incident.id
                    )
                })?;
            }
            if let Some(total) = total {
                self.ensure(listed.len() as u64 <= total, || {
                    format!(
                        "page {n} brings the walk to {} incidents, past the {total} the first page announced",
                        listed.len()
                    )
                })?;
            }
            empty_in_a_row = if page.items.is_empty() {
                empty_in_a_row + 1
            } else {
                0
            };
            pages.push(page.items);
            match page.next {
                None => break,
                Some(next) => {
                    self.ensure(Some(&next) != cursor.as_ref(), || {
                        format!("the cursor {:?} did not advance", next.as_str())
                    })?;
                    self.ensure(!requested.contains(&next), || {
                        format!(
                            "the cursor {:?} came back after page {n}: following it would loop",
                            next.as_str()
                        )
                    })?;
                    self.ensure(empty_in_a_row < MAX_EMPTY_PAGES, || {
                        format!(
                            "{MAX_EMPTY_PAGES} empty pages in a row, each with a new cursor: the walk does not end"
                        )
                    })?;
                    self.ensure(pages.len() < MAX_PAGES, || {
                        format!("more than {MAX_PAGES} pages: the walk does not end")
                    })?;
                    requested.insert(next.clone());
                    cursor = Some(next);
                }
            }
        }
        Ok((pages, total))
    }

    fn query(&self) -> IncidentQuery {
        IncidentQuery::new().page_size(self.fixture.page_size)
    }

    async fn collect(&self, query: IncidentQuery, what: &str) -> Step<Vec<Incident>> {
        let items = self.source.stream_incidents(query).try_collect().await;
        self.ok(what, items)
    }

    fn no_duplicates(&self, items: &[Incident], what: &str) -> Step {
        let mut seen = HashSet::new();
        for i in items {
            self.ensure(seen.insert(i.id.as_str()), || {
                format!("{what} yields the incident {:?} twice", i.id)
            })?;
        }
        Ok(())
    }

    async fn paging(&self) -> Step<Vec<Incident>> {
        let (pages, total) = self.walk(&self.query()).await?;
        self.ensure(pages.len() >= 2, || {
            format!(
                "the data fills {} page(s) of {}: the fixture's page size must give at least two",
                pages.len(),
                self.fixture.page_size
            )
        })?;
        let all: Vec<Incident> = pages.into_iter().flatten().collect();
        self.no_duplicates(&all, "the cursor walk")?;
        if let Some(total) = total {
            self.ensure(total == all.len() as u64, || {
                format!(
                    "the first page announces {total} incidents, the walk found {}",
                    all.len()
                )
            })?;
        }
        for i in &all {
            self.ensure(i.vendor == self.vendor, || {
                format!("incident {:?} says vendor {}", i.id, i.vendor)
            })?;
        }
        Ok(all)
    }

    async fn stream(&self, all: &[Incident]) -> Step {
        let streamed = self.collect(self.query(), "incidents()").await?;
        self.no_duplicates(&streamed, "incidents()")?;
        let want: Vec<&str> = all.iter().map(|i| i.id.as_str()).collect();
        let got: Vec<&str> = streamed.iter().map(|i| i.id.as_str()).collect();
        self.ensure(got == want, || {
            format!(
                "incidents() yields {} incidents, the cursor walk {}; first difference at {:?}",
                got.len(),
                want.len(),
                got.iter().zip(&want).position(|(a, b)| a != b)
            )
        })?;
        let limit = self.fixture.page_size as usize + 1;
        let limited = self
            .collect(self.query().limit(limit), "incidents() with a limit")
            .await?;
        let got: Vec<&str> = limited.iter().map(|i| i.id.as_str()).collect();
        self.ensure(got == want[..limit.min(want.len())], || {
            format!("incidents() with limit {limit} yields {got:?}")
        })
    }

    async fn status_filters(&mut self, all: &[Incident]) -> Step {
        let mut matched = 0;
        // The fixture's statuses (vendor `Other` values among them), then the capabilities'.
        let mut filtered: Vec<IncidentStatus> = Vec::new();
        for s in self
            .fixture
            .filter_statuses
            .iter()
            .chain(&self.caps.filter_statuses)
        {
            if !filtered.iter().any(|f| f.same_as(s)) {
                filtered.push(s.clone());
            }
        }
        let mut unfilterable: Vec<IncidentStatus> = self.fixture.unfilterable_statuses.clone();
        for s in &OCSF_STATUSES {
            if !self.caps.filters_status(s) && !unfilterable.iter().any(|u| u.same_as(s)) {
                unfilterable.push(s.clone());
            }
        }
        for status in &filtered {
            self.begin(format!("status filter {status}"));
            let listed = self
                .collect(
                    self.query().status(status.clone()),
                    &format!("incidents() with status {status}"),
                )
                .await?;
            self.no_duplicates(&listed, "a filtered listing")?;
            if let Some(wrong) = listed.iter().find(|i| !i.status.same_as(status)) {
                return Err(self.fail(format!(
                    "incident {:?} has status {}",
                    wrong.id, wrong.status
                )));
            }
            let want = all.iter().filter(|i| i.status.same_as(status)).count();
            self.ensure(listed.len() == want, || {
                format!(
                    "the filter gives {} incidents, the full walk has {want} in that status",
                    listed.len()
                )
            })?;
            matched += listed.len();
            self.pass();
        }
        if !filtered.is_empty() {
            self.begin("status filters match something");
            self.ensure(matched > 0, || {
                "no status filter matched any incident: the filters checked nothing".into()
            })?;
            self.pass();
        }
        for status in &unfilterable {
            self.begin(format!("status filter {status} is unsupported"));
            let got = self
                .source
                .list_incidents(&self.query().status(status.clone()), None)
                .await;
            self.ensure(matches!(&got, Err(e) if e.is_unsupported()), || {
                format!("expected Error::Unsupported, got {got:?}")
            })?;
            self.pass();
        }
        Ok(())
    }

    async fn time_windows(&mut self, all: &[Incident]) -> Step {
        for field in [TimeField::Created, TimeField::Updated] {
            let time = |i: &Incident| match field {
                TimeField::Created => i.created,
                _ => i.updated,
            };
            let name = format!("time window on {field:?}");
            if !self.caps.time_fields.contains(&field) {
                self.begin(format!("{name} is unsupported"));
                let query = self.query().window(field, None, None);
                let got = self.source.list_incidents(&query, None).await;
                self.ensure(matches!(&got, Err(e) if e.is_unsupported()), || {
                    format!("not in time_fields, so Error::Unsupported expected, got {got:?}")
                })?;
                self.pass();
                continue;
            }
            self.begin(name);
            let mut times: Vec<OffsetDateTime> = all.iter().filter_map(time).collect();
            times.sort();
            times.dedup();
            self.ensure(times.len() >= 4, || {
                format!("only {} distinct times to build a window from", times.len())
            })?;
            let (from, to) = (times[times.len() / 4], times[times.len() * 3 / 4]);
            let inside = |t: Option<OffsetDateTime>| t.is_some_and(|t| from <= t && t < to);
            let mut want: Vec<&str> = all
                .iter()
                .filter(|i| inside(time(i)))
                .map(|i| i.id.as_str())
                .collect();
            let listed = self
                .collect(
                    self.query().window(field, Some(from), Some(to)),
                    "incidents() with a time window",
                )
                .await?;
            if let Some(wrong) = listed.iter().find(|i| !inside(time(i))) {
                return Err(self.fail(format!(
                    "incident {:?} at {:?} is outside [{from}, {to})",
                    wrong.id,
                    time(wrong)
                )));
            }
            let mut got: Vec<&str> = listed.iter().map(|i| i.id.as_str()).collect();
            got.sort_unstable();
            want.sort_unstable();
            self.ensure(got == want, || {
                format!(
                    "the window [{from}, {to}) gives {} incidents, the full walk has {} inside it",
                    got.len(),
                    want.len()
                )
            })?;
            self.pass();
        }
        Ok(())
    }

    async fn get_equals_list(&self, all: &[Incident]) -> Step {
        let target = all.iter().find(|i| i.id == *self.id()).ok_or_else(|| {
            self.fail(format!(
                "the fixture's incident {:?} is not in the listing",
                self.id()
            ))
        })?;
        self.ensure(!target.status.is_closed(), || {
            format!(
                "the fixture's incident {:?} is {}: it must be open",
                target.id, target.status
            )
        })?;
        self.ensure(target.assignee.is_none(), || {
            format!(
                "the fixture's incident {:?} is assigned to {:?}: it must be unassigned",
                target.id, target.assignee
            )
        })?;
        let picks = [&all[0], &all[all.len() / 2], &all[all.len() - 1], target];
        for listed in picks {
            let got = self.source.get_incident(&listed.id).await;
            let got = self.ok(&format!("get_incident({:?})", listed.id), got)?;
            if let Err(diff) = same_incident_except(listed, &got, &self.fixture.listing_omits) {
                return Err(self.fail(format!(
                    "incident {:?} differs between list and get: {diff}",
                    listed.id
                )));
            }
        }
        Ok(())
    }

    /// Every change the capabilities deny gives `Unsupported` and leaves the incident as
    /// it was; closing statuses set directly and an empty update are invalid input.
    async fn unsupported_changes(&mut self) -> Step {
        let before = self.get().await?;
        let caps = self.caps.clone();
        let user = self
            .fixture
            .assignee
            .clone()
            .unwrap_or_else(|| "conformance-user".into());
        let closure = self
            .fixture
            .closure
            .clone()
            .unwrap_or_else(|| Closure::reason("Conformance"));
        let severity = if before.severity == Severity::High {
            Severity::Low
        } else {
            Severity::High
        };
        let mut denied: Vec<(String, IncidentUpdate)> = Vec::new();
        if !caps.set_severity {
            denied.push(("severity".into(), IncidentUpdate::new().severity(severity)));
        }
        if !caps.unassign {
            denied.push(("unassign".into(), IncidentUpdate::new().unassign()));
        }
        if !caps.assign {
            denied.push(("assign".into(), IncidentUpdate::new().assign(user)));
        }
        if !caps.notes {
            denied.push(("note".into(), IncidentUpdate::new().note("x")));
        }
        if !caps.close {
            denied.push(("close".into(), IncidentUpdate::new().close(closure.clone())));
        }
        if !caps.verdict {
            let with_verdict = closure.clone().with_verdict(Verdict::Benign);
            denied.push(("verdict".into(), IncidentUpdate::new().close(with_verdict)));
        }
        if caps.close {
            for verdict in OCSF_VERDICTS {
                if !caps.records_verdict(&verdict) {
                    denied.push((
                        format!("close with verdict {verdict}"),
                        IncidentUpdate::new().close(Closure::verdict(verdict)),
                    ));
                }
            }
        }
        if caps.set_severity {
            for severity in OCSF_SEVERITIES {
                if !caps.sets_severity(&severity) {
                    denied.push((
                        format!("severity {severity}"),
                        IncidentUpdate::new().severity(severity),
                    ));
                }
            }
        }
        let candidates = [
            IncidentStatus::Unknown,
            IncidentStatus::New,
            IncidentStatus::InProgress,
            IncidentStatus::OnHold,
            IncidentStatus::Other("Conformance-Undefined".into()),
        ];
        for status in candidates {
            if !caps.settable_statuses.iter().any(|s| s.same_as(&status)) {
                denied.push((
                    format!("status {status}"),
                    IncidentUpdate::new().status(status),
                ));
            }
        }
        for (what, update) in &denied {
            self.begin(format!("{what} is unsupported"));
            let got = self.update(update).await;
            self.ensure(matches!(&got, Err(e) if e.is_unsupported()), || {
                format!("the capabilities deny it, so Error::Unsupported expected, got {got:?}")
            })?;
            self.pass();
        }
        let invalid = [
            (
                "status Closed set directly",
                IncidentUpdate::new().status(IncidentStatus::Closed),
            ),
            (
                "status Resolved set directly",
                IncidentUpdate::new().status(IncidentStatus::Resolved),
            ),
            ("an empty update", IncidentUpdate::new()),
        ];
        for (what, update) in invalid {
            self.begin(format!("{what} is invalid input"));
            let got = self.update(&update).await;
            self.ensure(matches!(&got, Err(Error::InvalidInput { .. })), || {
                format!("expected Error::InvalidInput, got {got:?}")
            })?;
            self.pass();
        }
        self.begin("refused changes change nothing");
        let after = self.get().await?;
        same_incident(&before, &after).map_err(|d| self.fail(d))?;
        self.pass();
        Ok(())
    }

    /// Each settable status can be set; one the vendor refuses in the incident's present
    /// state must be refused as invalid input, never as unsupported. The incident's status
    /// is restored afterwards.
    async fn settable_statuses(&mut self) -> Step {
        let before = self.get().await?;
        for status in self.caps.settable_statuses.clone() {
            let name = format!("set status {status}");
            self.begin(name.clone());
            match self
                .update(&IncidentUpdate::new().status(status.clone()))
                .await
            {
                Ok(returned) => {
                    let got = self.get().await?;
                    self.ensure(
                        returned.status.same_as(&status) && got.status.same_as(&status),
                        || {
                            format!(
                                "update returned {}, get shows {}",
                                returned.status, got.status
                            )
                        },
                    )?;
                    self.pass();
                }
                Err(Error::InvalidInput { reason, .. }) => {
                    self.skip(name, format!("refused in the present state: {reason}"));
                }
                Err(e) => {
                    return Err(self.fail(format!(
                        "settable_statuses lists {status}, but the update failed: {e}"
                    )));
                }
            }
        }
        let now = self.get().await?;
        if !now.status.same_as(&before.status) {
            self.begin(format!("restore status {}", before.status));
            let back = self
                .update(&IncidentUpdate::new().status(before.status.clone()))
                .await;
            self.ok("restoring the status", back)?;
            let got = self.get().await?;
            self.ensure(got.status.same_as(&before.status), || {
                format!("restored to {}, get shows {}", before.status, got.status)
            })?;
            self.pass();
        }
        Ok(())
    }

    async fn severity(&mut self) -> Step {
        if !self.caps.set_severity {
            self.skip("set severity", "the capabilities deny it");
            return Ok(());
        }
        let before = self.get().await?;
        // High (Low when it is High already) where the capabilities list it; else the
        // first severity they list that the incident does not have.
        let preferred = if before.severity == Severity::High {
            Severity::Low
        } else {
            Severity::High
        };
        let target = if self.caps.sets_severity(&preferred) {
            Some(preferred)
        } else {
            self.caps
                .severities
                .iter()
                .find(|s| **s != before.severity)
                .cloned()
        };
        match target {
            Some(target) => {
                self.begin("set severity");
                let got = self
                    .update(&IncidentUpdate::new().severity(target.clone()))
                    .await;
                self.ok("setting the severity", got)?;
                let after = self.get().await?;
                self.ensure(after.severity == target, || {
                    format!("set {target}, get shows {}", after.severity)
                })?;
                self.pass();
            }
            None => self.skip(
                "set severity",
                format!(
                    "the incident has the only severity listed, {}",
                    before.severity
                ),
            ),
        }
        for severity in self.caps.severities.clone() {
            self.begin(format!("set severity {severity}"));
            let returned = self
                .update(&IncidentUpdate::new().severity(severity.clone()))
                .await;
            let returned = self.ok(&format!("setting the severity {severity}"), returned)?;
            let got = self.get().await?;
            self.ensure(
                returned.severity == severity && got.severity == severity,
                || {
                    format!(
                        "set {severity}; update returned {}, get shows {}",
                        returned.severity, got.severity
                    )
                },
            )?;
            self.pass();
        }
        Ok(())
    }

    async fn assign(&mut self) -> Step {
        let Some(user) = self.fixture.assignee.clone().filter(|_| self.caps.assign) else {
            self.skip("assign", "the capabilities deny it");
            self.skip("unassign", "nothing assigned");
            return Ok(());
        };
        self.begin("assign");
        let returned = self
            .update(&IncidentUpdate::new().assign(user.clone()))
            .await;
        let returned = self.ok("assigning", returned)?;
        let got = self.get().await?;
        self.ensure(
            returned.assignee.as_deref() == Some(user.as_str())
                && got.assignee.as_deref() == Some(user.as_str()),
            || {
                format!(
                    "assigned {user:?}; update returned {:?}, get shows {:?}",
                    returned.assignee, got.assignee
                )
            },
        )?;
        self.pass();
        if !self.caps.unassign {
            self.skip("unassign", "the capabilities deny it");
            return Ok(());
        }
        self.begin("unassign");
        let returned = self.update(&IncidentUpdate::new().unassign()).await;
        self.ok("unassigning", returned)?;
        let got = self.get().await?;
        self.ensure(got.assignee.is_none(), || {
            format!("unassigned, get shows {:?}", got.assignee)
        })?;
        self.pass();
        Ok(())
    }

    async fn note(&mut self) -> Step {
        if !self.caps.notes {
            self.skip("note", "the capabilities deny it");
            return Ok(());
        }
        self.begin("note");
        let before = self.get().await?;
        let note = IncidentUpdate::new().note(self.fixture.note.clone());
        let returned = self.update(&note).await;
        let returned = self.ok("adding a note", returned)?;
        self.ensure(
            returned.id == before.id
                && returned.status.same_as(&before.status)
                && returned.assignee == before.assignee,
            || {
                format!(
                    "a note changed the incident: status {} -> {}, assignee {:?} -> {:?}",
                    before.status, returned.status, before.assignee, returned.assignee
                )
            },
        )?;
        self.pass();
        Ok(())
    }

    async fn close_and_reopen(&mut self) -> Step {
        let Some(closure) = self.fixture.closure.clone().filter(|_| self.caps.close) else {
            self.skip("close", "the capabilities deny it");
            self.skip("reopen", "nothing closed");
            return Ok(());
        };
        if self.caps.close_requires_reason {
            self.begin("close without a reason is refused");
            let before = self.get().await?;
            let got = self
                .update(&IncidentUpdate::new().close(Closure::default()))
                .await;
            self.ensure(
                matches!(&got, Err(e @ (Error::InvalidInput { .. } | Error::Unsupported { .. })) if e.attempts() == 0 || e.is_unsupported()),
                || format!("close_requires_reason is set, so an error before sending expected, got {got:?}"),
            )?;
            let after = self.get().await?;
            same_incident(&before, &after).map_err(|d| self.fail(d))?;
            self.pass();
        }

        self.begin("close");
        let returned = self
            .update(&IncidentUpdate::new().close(closure.clone()))
            .await;
        let returned = self.ok(&format!("closing with {closure:?}"), returned)?;
        let got = self.get().await?;
        self.ensure(
            returned.status.is_closed() && got.status.is_closed(),
            || {
                format!(
                    "closed; update returned {}, get shows {}",
                    returned.status, got.status
                )
            },
        )?;
        if self
            .fixture
            .filter_statuses
            .iter()
            .any(|s| s.same_as(&got.status))
        {
            let listed = self
                .collect(
                    self.query().status(got.status.clone()),
                    "incidents() of closed incidents",
                )
                .await?;
            self.ensure(listed.iter().any(|i| i.id == got.id), || {
                format!("the closed incident is not listed under {}", got.status)
            })?;
        }
        self.pass();

        match (&closure.verdict, self.caps.verdict) {
            (Some(verdict), true) => {
                self.begin("verdict reads back");
                self.ensure(got.verdict.as_ref() == Some(verdict), || {
                    format!("closed with {verdict}, get shows {:?}", got.verdict)
                })?;
                self.pass();
            }
            (None, true) => self.skip("verdict reads back", "the fixture's closure has none"),
            (_, false) => self.skip("verdict reads back", "the capabilities deny verdicts"),
        }

        let Some(status) = self.fixture.reopen.clone() else {
            self.skip("reopen", "the fixture says the vendor cannot reopen");
            return Ok(());
        };
        self.begin(format!("reopen as {status}"));
        let returned = self
            .update(&IncidentUpdate::new().status(status.clone()))
            .await;
        let returned = self.ok("reopening", returned)?;
        let got = self.get().await?;
        self.ensure(
            returned.status.same_as(&status) && got.status.same_as(&status),
            || {
                format!(
                    "reopened as {status}; update returned {}, get shows {}",
                    returned.status, got.status
                )
            },
        )?;
        self.pass();
        Ok(())
    }
}

impl Suite<'_> {
    /// Closes with each verdict the capabilities record, alone as [`Closure::verdict`]: the
    /// incident is closed and reads back with that verdict; then it is reopened for the
    /// next one. (Verdicts they do not record were checked as unsupported.)
    async fn close_with_each_verdict(&mut self) -> Step {
        if !self.caps.close {
            return Ok(());
        }
        let Some(reopen) = self.fixture.reopen.clone() else {
            for verdict in self.caps.verdicts.clone() {
                self.skip(
                    format!("close with verdict {verdict}"),
                    "the fixture says the vendor cannot reopen",
                );
            }
            return Ok(());
        };
        for verdict in self.caps.verdicts.clone() {
            self.begin(format!("close with verdict {verdict}"));
            let closure = Closure::verdict(verdict.clone());
            let returned = self.update(&IncidentUpdate::new().close(closure)).await;
            let returned = self.ok(&format!("closing with the verdict {verdict}"), returned)?;
            let got = self.get().await?;
            self.ensure(
                returned.status.is_closed()
                    && got.status.is_closed()
                    && returned.verdict.as_ref() == Some(&verdict)
                    && got.verdict.as_ref() == Some(&verdict),
                || {
                    format!(
                        "closed with {verdict}; update returned {} {:?}, get shows {} {:?}",
                        returned.status, returned.verdict, got.status, got.verdict
                    )
                },
            )?;
            let back = self
                .update(&IncidentUpdate::new().status(reopen.clone()))
                .await;
            self.ok(&format!("reopening as {reopen}"), back)?;
            let got = self.get().await?;
            self.ensure(got.status.same_as(&reopen), || {
                format!("reopened as {reopen}, get shows {}", got.status)
            })?;
            self.pass();
        }
        Ok(())
    }
}

/// Compares two readings of one incident.
///
/// # Errors
///
/// The first field that differs, with both values.
pub fn same_incident(a: &Incident, b: &Incident) -> Result<(), String> {
    same_incident_except(a, b, &[])
}

/// Compares a listed incident `a` with a reading `b` of it, except the top-level record
/// fields in `omitted` that `a` lacks (a listing that leaves them out by design).
///
/// # Errors
///
/// The first field that differs, with both values.
pub fn same_incident_except(a: &Incident, b: &Incident, omitted: &[String]) -> Result<(), String> {
    fn eq<T: PartialEq + fmt::Debug>(field: &str, a: &T, b: &T) -> Result<(), String> {
        if a == b {
            Ok(())
        } else {
            Err(format!("{field}: {a:?} != {b:?}"))
        }
    }
    eq("id", &a.id, &b.id)?;
    eq("vendor", &a.vendor, &b.vendor)?;
    eq("title", &a.title, &b.title)?;
    eq("description", &a.description, &b.description)?;
    eq("status", &a.status, &b.status)?;
    eq("severity", &a.severity, &b.severity)?;
    eq("assignee", &a.assignee, &b.assignee)?;
    eq("created", &a.created, &b.created)?;
    eq("updated", &a.updated, &b.updated)?;
    eq("closed", &a.closed, &b.closed)?;
    eq("verdict", &a.verdict, &b.verdict)?;
    eq("close_reason", &a.close_reason, &b.close_reason)?;
    let (listed, mut got) = (a.record_json(), b.record_json());
    if let (Some(listed), Some(got)) = (listed.as_object(), got.as_object_mut()) {
        for field in omitted {
            if !listed.contains_key(field) {
                got.remove(field);
            }
        }
    }
    eq("vendor record", &listed, &got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn incident(record: serde_json::Value) -> Incident {
        Incident::new(Vendor::new("acme", "Acme"), "a", "t", record)
    }

    #[test]
    fn fields_a_listing_omits_are_compared_only_when_listed() {
        let listed = incident(json!({"uuid": "a"}));
        let got = incident(json!({"uuid": "a", "deviceUuids": ["d"]}));
        assert!(same_incident(&listed, &got).is_err());
        let omitted = ["deviceUuids".to_string()];
        assert!(same_incident_except(&listed, &got, &omitted).is_ok());
        // A listed field must still match, and other fields still count.
        let listed = incident(json!({"uuid": "a", "deviceUuids": ["x"]}));
        assert!(same_incident_except(&listed, &got, &omitted).is_err());
        let got = incident(json!({"uuid": "a", "deviceUuids": ["d"], "tags": []}));
        let listed = incident(json!({"uuid": "a"}));
        assert!(same_incident_except(&listed, &got, &omitted).is_err());
    }
}
