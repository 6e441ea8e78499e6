#![doc = include_str!("normalize.md")]

use std::sync::{Arc, PoisonError};

use async_trait::async_trait;
use futures::TryStreamExt;
use incident_core::source::{Query, Update};
use incident_core::{
    AssigneeChange, Capabilities, Closure, Cursor, Error, Incident, IncidentPage, IncidentQuery,
    IncidentSource, IncidentStatus, Result, Severity, StatusChange, TimeField, Verdict,
};

use crate::client::{QRadarClient, VENDOR};
use crate::model::Filter;
use crate::model::{ClosingReason, Offense, OffenseStatus, StatusUpdate};

/// The page size the normalized listing uses unless the query sets one.
pub const NORMALIZED_PAGE_SIZE: u32 = 100;

/// The normalized severity of a QRadar severity (0–10).
pub fn severity_from_qradar(severity: Option<u64>) -> Severity {
    match severity {
        None => Severity::Unknown,
        Some(0..=1) => Severity::Informational,
        Some(2..=3) => Severity::Low,
        Some(4..=5) => Severity::Medium,
        Some(6..=7) => Severity::High,
        Some(8..=10) => Severity::Critical,
        Some(n) => Severity::Other(n.to_string()),
    }
}

/// The normalized status of an offense (see the module table).
pub fn status_from_qradar(offense: &Offense) -> IncidentStatus {
    match &offense.status {
        None => IncidentStatus::Unknown,
        Some(OffenseStatus::Open) if offense.assigned_to.is_some() => IncidentStatus::InProgress,
        Some(OffenseStatus::Open) => IncidentStatus::New,
        Some(OffenseStatus::Hidden) => IncidentStatus::Other("Hidden".to_string()),
        Some(OffenseStatus::Closed) => IncidentStatus::Closed,
        Some(other) => IncidentStatus::Other(other.as_str().to_string()),
    }
}

fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn verdict_from_reason(text: &str) -> Option<Verdict> {
    let text = squash(text);
    if text.starts_with("falsepositive") {
        Some(Verdict::FalsePositive)
    } else if text.starts_with("nonissue") {
        Some(Verdict::Benign)
    } else {
        None
    }
}

/// Converts an offense to a normalized incident. `reasons` names closing reasons (pass an
/// empty slice to leave [`Incident::close_reason`] as the reason id).
///
/// # Errors
///
/// [`Error::Protocol`] for an offense without an id.
pub fn incident_from_offense(offense: Offense, reasons: &[ClosingReason]) -> Result<Incident> {
    let id = offense
        .id
        .ok_or_else(|| Error::protocol(VENDOR, "an offense without an id"))?;
    let description = offense
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let title = description
        .as_deref()
        .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
        .map_or_else(|| format!("Offense {id}"), str::to_owned);
    let reason_text = offense.closing_reason_id.map(|rid| {
        reasons
            .iter()
            .find(|r| r.id == Some(rid))
            .and_then(|r| r.text.clone())
            .unwrap_or_else(|| rid.to_string())
    });
    let mut incident = Incident::new(VENDOR, id.to_string(), title, offense.clone());
    incident.description = description;
    incident.status = status_from_qradar(&offense);
    incident.severity = severity_from_qradar(offense.severity);
    incident.assignee = offense.assigned_to.clone();
    incident.created = offense.first_persisted_time.or(offense.start_time);
    incident.updated = offense.last_persisted_time.or(offense.last_updated_time);
    incident.closed = offense.close_time;
    incident.verdict = reason_text.as_deref().and_then(verdict_from_reason);
    incident.close_reason = reason_text;
    Ok(incident)
}

fn parse_id(id: &str) -> Result<u64> {
    // Digits only: `parse` would take a sign too.
    let digits = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    let not_an_id = || format!("{id:?} is not a QRadar offense id (a number)");
    let id = id.parse().ok().filter(|_| digits);
    id.ok_or_else(|| Error::invalid_input("offense id", not_an_id()))
}

fn status_filter(status: &IncidentStatus) -> Result<Filter> {
    let open = || Filter::status(OffenseStatus::Open);
    Ok(match status {
        IncidentStatus::New => open().and(Filter::field("assigned_to").is_null()),
        IncidentStatus::InProgress => open().and(Filter::field("assigned_to").is_not_null()),
        IncidentStatus::Closed | IncidentStatus::Resolved => Filter::status(OffenseStatus::Closed),
        IncidentStatus::Other(s) if s.eq_ignore_ascii_case("hidden") => {
            Filter::status(OffenseStatus::Hidden)
        }
        other => {
            return Err(Error::unsupported(
                VENDOR,
                format!("filtering on the status {other}"),
            ));
        }
    })
}

/// Builds the QRadar filter of a normalized query, listing after offense `after`.
///
/// # Errors
///
/// [`Error::Unsupported`] for a status or time field QRadar cannot filter on.
pub fn query_filter(query: &IncidentQuery, after: Option<u64>) -> Result<Option<Filter>> {
    let mut parts: Vec<Filter> = Vec::new();
    if let Some(after) = after {
        parts.push(Filter::id_gt(after));
    }
    let statuses = query.statuses.iter().map(status_filter);
    parts.extend(
        statuses
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .reduce(Filter::or),
    );
    if let Some(w) = &query.window {
        let field = match w.field {
            TimeField::Created => "first_persisted_time",
            TimeField::Updated => "last_persisted_time",
            _ => return Err(Error::unsupported(VENDOR, "this time field")),
        };
        if let Some(from) = w.from {
            parts.push(Filter::field(field).ge(from));
        }
        if let Some(to) = w.to {
            parts.push(Filter::field(field).lt(to));
        }
    }
    Ok(parts.into_iter().reduce(Filter::and))
}

impl QRadarClient {
    /// All closing reasons, reserved and deleted included, cached after the first call;
    /// `refresh` reloads them.
    ///
    /// # Errors
    ///
    /// As listing them: see [`crate::request`].
    pub async fn closing_reasons_cached(&self, refresh: bool) -> Result<Arc<Vec<ClosingReason>>> {
        let cache = &self.closing_reasons_cache;
        let cached = cache.read().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some(reasons) = cached.filter(|_| !refresh) {
            return Ok(reasons);
        }
        let reasons: Vec<ClosingReason> = self
            .closing_reasons()
            .list()
            .include_reserved(true)
            .include_deleted(true)
            .into_stream()
            .try_collect()
            .await?;
        let reasons = Arc::new(reasons);
        *cache.write().unwrap_or_else(PoisonError::into_inner) = Some(reasons.clone());
        Ok(reasons)
    }

    /// The cached closing reasons for naming the reason of a closed offense, when one of
    /// `offenses` has one. A failure to list them (a token without that capability, say) is
    /// logged and leaves the reason as its id, rather than failing a read or an update that
    /// has already been applied.
    async fn closing_reasons_for_display(&self, offenses: &[Offense]) -> Arc<Vec<ClosingReason>> {
        if offenses.iter().all(|o| o.closing_reason_id.is_none()) {
            return Arc::default();
        }
        match self.closing_reasons_cached(false).await {
            Ok(reasons) => reasons,
            Err(error) => {
                tracing::warn!(%error, "could not list closing reasons; using reason ids");
                Arc::default()
            }
        }
    }

    /// One offense as an incident, its closing reason named.
    async fn incident(&self, offense: Offense) -> Result<Incident> {
        let reasons = self
            .closing_reasons_for_display(std::slice::from_ref(&offense))
            .await;
        incident_from_offense(offense, &reasons)
    }

    /// Finds the usable closing reason a normalized closure names: by id (`"2"`) or by text
    /// (case-insensitive), else by verdict. Reloads the reasons once if the name is unknown.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an unknown, reserved or deleted reason, or a closure that
    /// names none; [`Error::Unsupported`] for a verdict no reason matches; as listing them.
    pub async fn resolve_closing_reason(&self, closure: &Closure) -> Result<ClosingReason> {
        for refresh in [false, true] {
            let reasons = self.closing_reasons_cached(refresh).await?;
            if let Some(found) = pick_reason(&reasons, closure)? {
                return Ok(found);
            }
        }
        let reasons = self.closing_reasons_cached(false).await?;
        let names: Vec<String> = reasons
            .iter()
            .filter(|r| r.is_usable())
            .filter_map(|r| r.text.clone())
            .collect();
        Err(match (&closure.reason, &closure.verdict) {
            (Some(name), _) => Error::invalid_input(
                "closing reason",
                format!("no usable closing reason {name:?}; usable reasons: {names:?}"),
            ),
            (None, Some(v)) => Error::unsupported(
                VENDOR,
                format!(
                    "closing with the verdict {v} without a closing reason (usable reasons: {names:?})"
                ),
            ),
            (None, None) => Error::invalid_input(
                "closing reason",
                format!(
                    "QRadar needs a closing reason to close an offense; usable reasons: {names:?}"
                ),
            ),
        })
    }
}

fn pick_reason(reasons: &[ClosingReason], closure: &Closure) -> Result<Option<ClosingReason>> {
    if let Some(name) = &closure.reason {
        let name = name.trim();
        let by_id = name.parse::<u64>().ok();
        let found = reasons.iter().find(|r| {
            (by_id.is_some() && r.id == by_id)
                || r.text
                    .as_deref()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case(name))
        });
        return match found {
            Some(r) if !r.is_usable() => Err(Error::invalid_input(
                "closing reason",
                format!("{name:?} is reserved or deleted and cannot close an offense"),
            )),
            found => Ok(found.cloned()),
        };
    }
    let prefix = match &closure.verdict {
        Some(Verdict::FalsePositive) => "falsepositive",
        Some(Verdict::Benign | Verdict::Disregard) => "nonissue",
        _ => return Ok(None),
    };
    Ok(reasons
        .iter()
        .find(|r| {
            r.is_usable()
                && r.text
                    .as_deref()
                    .is_some_and(|t| squash(t).starts_with(prefix))
        })
        .cloned())
}

#[async_trait]
impl IncidentSource for QRadarClient {
    incident_core::source_identity!(VENDOR);

    fn capabilities(&self) -> Capabilities {
        use IncidentStatus::{Closed, InProgress, New};
        let hidden = || IncidentStatus::Other("Hidden".into());
        let mut caps = Capabilities::none();
        caps.settable_statuses = vec![New, InProgress, hidden()];
        caps.close = true;
        caps.close_requires_reason = true;
        caps.verdict = true;
        caps.verdicts = vec![Verdict::FalsePositive, Verdict::Benign];
        caps.assign = true;
        caps.unassign = false;
        caps.set_severity = false;
        caps.notes = true;
        caps.time_fields = vec![TimeField::Created, TimeField::Updated];
        caps.filter_statuses = vec![New, InProgress, Closed, hidden()];
        caps
    }

    async fn list_page(&self, query: Query<'_>, cursor: Option<&Cursor>) -> Result<IncidentPage> {
        let after = cursor.map(|c| {
            c.as_str().parse::<u64>().map_err(|_| {
                Error::invalid_input("cursor", format!("{:?} is not a QRadar cursor", c.as_str()))
            })
        });
        let after = after.transpose()?;
        let limit = query.limit.map_or(u64::MAX, |limit| limit as u64);
        let page_size = query.page_size.unwrap_or(NORMALIZED_PAGE_SIZE);
        let size = u64::from(page_size).min(limit).max(1);
        let mut list = self.offenses().list().sort("+id").range(0, size - 1);
        if let Some(filter) = query_filter(&query, after)? {
            list = list.filter(filter);
        }
        let page = list.send().await?;
        let total = page.total();
        let reasons = self.closing_reasons_for_display(&page.items).await;
        let got = page.items.len() as u64;
        let items = page
            .items
            .into_iter()
            .map(|o| incident_from_offense(o, &reasons))
            .collect::<Result<Vec<_>>>()?;
        let more = got == size && total.is_none_or(|t| t > got);
        let last = items.last().filter(|_| more);
        let next = last.map(|last| Cursor::new(last.id.clone()));
        // The total of a later page counts only what follows the cursor.
        let total = total.filter(|_| after.is_none());
        Ok(IncidentPage::new(items, next, total))
    }

    async fn get_incident(&self, id: &str) -> Result<Incident> {
        let offense = self.offenses().get(parse_id(id)?).await?;
        self.incident(offense).await
    }

    async fn apply_update(&self, id: &str, update: Update<'_>) -> Result<Incident> {
        let offense_id = parse_id(id)?;
        let assign = match &update.assignee {
            None => None,
            Some(AssigneeChange::Assign(user)) => Some(user.clone()),
            Some(_) => return Err(Error::unsupported(VENDOR, "removing the assignee")),
        };
        let mut notes: Vec<String> = update.note.iter().cloned().collect();
        let status = match &update.status {
            None => None,
            Some(StatusChange::Set(
                target @ (IncidentStatus::New | IncidentStatus::InProgress),
            )) => {
                // QRadar has one OPEN status; New and In Progress differ by the assignee, which
                // the API can set but not remove. Refuse what the result would contradict.
                let assigned = assign.is_some()
                    || (self.offenses().get(offense_id).fields("id,assigned_to"))
                        .await?
                        .assigned_to
                        .is_some();
                if *target == IncidentStatus::New && assigned {
                    return Err(Error::unsupported(
                        VENDOR,
                        "setting New on an assigned offense (the API cannot remove the assignee)",
                    ));
                }
                if *target == IncidentStatus::InProgress && !assigned {
                    return Err(Error::invalid_input(
                        "status change",
                        "In Progress means open and assigned in QRadar: assign the offense too",
                    ));
                }
                Some(StatusUpdate::Open)
            }
            Some(StatusChange::Set(IncidentStatus::Other(s)))
                if s.eq_ignore_ascii_case("hidden") =>
            {
                Some(StatusUpdate::Hidden)
            }
            Some(StatusChange::Set(other)) => {
                return Err(Error::unsupported(
                    VENDOR,
                    format!("setting the status {other}"),
                ));
            }
            Some(StatusChange::Close(closure)) => {
                let reason = self.resolve_closing_reason(closure).await?;
                let closing_reason_id = reason
                    .id
                    .ok_or_else(|| Error::protocol(VENDOR, "a closing reason without an id"))?;
                if let (Some(_), Some(verdict)) = (&closure.reason, &closure.verdict) {
                    notes.push(format!("Verdict: {verdict}"));
                }
                Some(StatusUpdate::Closed { closing_reason_id })
            }
            Some(other) => {
                return Err(Error::unsupported(
                    VENDOR,
                    format!("the status change {other:?}"),
                ));
            }
        };
        let mut offense = None;
        if status.is_some() || assign.is_some() {
            let mut change = self.offenses().update(offense_id);
            if let Some(status) = status {
                change = change.status(status);
            }
            if let Some(user) = assign {
                change = change.assign_to(user);
            }
            offense = Some(change.await?);
        }
        if !notes.is_empty() {
            let note = self.offenses().notes(offense_id).create(notes.join("\n"));
            note.await?;
        }
        let offense = match offense {
            Some(o) => o,
            None => self.offenses().get(offense_id).await?,
        };
        self.incident(offense).await
    }
}

#[cfg(test)]
mod tests {
    use incident_testkit::{doc_table, every_variant, int_range};

    use super::*;

    /// The module's docs: the tables checked here are the ones readers see.
    const DOC: &str = include_str!("normalize.md");

    #[test]
    fn the_documented_statuses_are_the_mapping() {
        let rows = doc_table(DOC, "Status: QRadar → normalized");
        for row in &rows {
            let assigned: &[bool] = match row[1].as_str() {
                "none" => &[false],
                "set" => &[true],
                "either" => &[false, true],
                other => panic!("assigned_to {other:?} is none, set or either"),
            };
            for &assigned in assigned {
                let offense = Offense {
                    status: Some(OffenseStatus::from_wire(&row[0])),
                    assigned_to: assigned.then(|| "admin".to_owned()),
                    ..Default::default()
                };
                let status = status_from_qradar(&offense);
                assert_eq!(
                    format!("IncidentStatus::{status:?}"),
                    row[2],
                    "{row:?}, assigned: {assigned}"
                );
            }
        }
        for status in
            every_variant!(OffenseStatus: Open, Hidden, Closed; not OffenseStatus::Unknown(_))
        {
            assert!(
                rows.iter().any(|row| row[0] == status.as_str()),
                "the status {status} is not documented"
            );
        }
    }

    #[test]
    fn the_documented_severities_are_the_mapping() {
        let mut documented = Vec::new();
        for row in doc_table(DOC, "Severity: QRadar → normalized") {
            for n in int_range(&row[0]) {
                let n = u64::try_from(n).unwrap();
                let severity = severity_from_qradar(Some(n));
                assert_eq!(format!("Severity::{severity:?}"), row[1], "severity {n}");
                documented.push(n);
            }
        }
        documented.sort_unstable();
        assert_eq!(
            documented,
            (0..=10).collect::<Vec<u64>>(),
            "each of QRadar's severities, 0 to 10, in exactly one row"
        );
    }

    #[test]
    fn the_documented_verdicts_are_the_mapping() {
        for row in doc_table(DOC, "Verdict: QRadar closing reason ↔ normalized") {
            let text = format!("{}, as documented", row[0]);
            let verdict = verdict_from_reason(&text)
                .unwrap_or_else(|| panic!("{text:?} reads as no verdict"));
            assert_eq!(format!("Verdict::{verdict:?}"), row[1], "{text:?}");
            // Closing with the verdict alone picks the first usable reason starting so.
            let reasons = [
                reason(1, "Other", false),
                reason(2, &text.to_uppercase(), true),
                reason(3, &text.to_lowercase(), false),
                reason(4, &text, false),
            ];
            let picked = pick_reason(&reasons, &Closure::verdict(verdict)).unwrap();
            assert_eq!(picked.and_then(|r| r.id), Some(3), "{row:?}");
        }
    }

    #[test]
    fn severities() {
        assert_eq!(severity_from_qradar(None), Severity::Unknown);
        assert_eq!(severity_from_qradar(Some(0)), Severity::Informational);
        assert_eq!(severity_from_qradar(Some(3)), Severity::Low);
        assert_eq!(severity_from_qradar(Some(5)), Severity::Medium);
        assert_eq!(severity_from_qradar(Some(7)), Severity::High);
        assert_eq!(severity_from_qradar(Some(10)), Severity::Critical);
        assert_eq!(severity_from_qradar(Some(11)), Severity::Other("11".into()));
    }

    #[test]
    fn filters_of_queries() {
        let q = IncidentQuery::new()
            .status(IncidentStatus::New)
            .status(IncidentStatus::Closed);
        let f = query_filter(&q, Some(41)).unwrap().unwrap().to_string();
        assert_eq!(
            f,
            "id > 41 and ((status = OPEN and assigned_to is null) or status = CLOSED)"
        );
        let q = IncidentQuery::new().status(IncidentStatus::OnHold);
        assert!(query_filter(&q, None).unwrap_err().is_unsupported());
        assert!(query_filter(&IncidentQuery::new(), None).unwrap().is_none());
    }

    fn reason(id: u64, text: &str, reserved: bool) -> ClosingReason {
        ClosingReason {
            id: Some(id),
            text: Some(text.into()),
            is_reserved: Some(reserved),
            is_deleted: Some(false),
            ..Default::default()
        }
    }

    #[test]
    fn reasons_by_name_id_and_verdict() {
        let reasons = vec![
            reason(1, "Non-Issue", false),
            reason(2, "False-Positive, Tuned", false),
            reason(4, "System Reserved", true),
        ];
        let pick = |c: Closure| pick_reason(&reasons, &c).map(|r| r.and_then(|r| r.id));
        assert_eq!(pick(Closure::reason("non-issue")).unwrap(), Some(1));
        assert_eq!(pick(Closure::reason(" 2 ")).unwrap(), Some(2));
        assert_eq!(pick(Closure::reason("Nope")).unwrap(), None);
        assert!(pick(Closure::reason("System Reserved")).is_err());
        assert_eq!(
            pick(Closure::verdict(Verdict::FalsePositive)).unwrap(),
            Some(2)
        );
        assert_eq!(pick(Closure::verdict(Verdict::Benign)).unwrap(), Some(1));
        assert_eq!(pick(Closure::verdict(Verdict::TruePositive)).unwrap(), None);
    }
}
