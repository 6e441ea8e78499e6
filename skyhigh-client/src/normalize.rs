#![doc = include_str!("normalize.md")]

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use futures::TryStreamExt;
use incident_core::source::{Query, Update};
use incident_core::{
    Capabilities, Closure, Cursor, Error, Incident, IncidentPage, IncidentQuery, IncidentSource,
    IncidentStatus, Result, Severity, StatusChange, TimeField, Verdict,
};
use time::OffsetDateTime;

use crate::client::{SkyhighClient, VENDOR};
use crate::incidents::{DEFAULT_PAGE_SIZE, QueryCursor, QueryIncidents};
use crate::model::{
    Incident as SkyhighIncident, IncidentId, IncidentStatus as Status, RiskSeverity,
    TimesSelection, WorkflowStatus, format_query_time, parse_time,
};

/// The page size of the normalized listing unless the query sets one.
pub const NORMALIZED_PAGE_SIZE: u32 = 100;

/// How far before a change the read-back after an update starts searching, for clocks that
/// differ between the client and the service.
pub const READ_BACK_MARGIN: Duration = Duration::from_secs(600);

/// The normalized severity of a risk severity.
pub fn severity_from_skyhigh(severity: Option<&RiskSeverity>) -> Severity {
    match severity {
        None => Severity::Unknown,
        Some(RiskSeverity::Info) => Severity::Informational,
        Some(RiskSeverity::Low) => Severity::Low,
        Some(RiskSeverity::Medium) => Severity::Medium,
        Some(RiskSeverity::High) => Severity::High,
        Some(other) => Severity::Other(other.as_str().to_owned()),
    }
}

/// The normalized status of a Skyhigh status (see the module table).
pub fn status_from_skyhigh(status: Option<&Status>) -> IncidentStatus {
    match status {
        None => IncidentStatus::Unknown,
        Some(Status::New) => IncidentStatus::New,
        Some(Status::Opened) => IncidentStatus::InProgress,
        Some(Status::Resolved) => IncidentStatus::Resolved,
        Some(Status::FalsePositive | Status::Archived) => IncidentStatus::Closed,
        Some(Status::Suppressed) => IncidentStatus::Other("Suppressed".to_owned()),
        Some(other) => IncidentStatus::Other(other.as_str().to_owned()),
    }
}

/// Converts a Skyhigh incident to a normalized one.
///
/// # Errors
///
/// [`Error::Protocol`] for an incident without an `incidentId`.
pub fn incident_from_skyhigh(incident: SkyhighIncident) -> Result<Incident> {
    let id = incident
        .incident_id
        .clone()
        .ok_or_else(|| Error::protocol(VENDOR, "an incident without an incidentId"))?;
    let policy = incident
        .information
        .as_ref()
        .and_then(|i| i.get_str("policyName"))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    let group = incident
        .incident_group
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty());
    let title = policy
        .clone()
        .or_else(|| group.map(str::to_owned))
        .unwrap_or_else(|| format!("Incident {id}"));
    let mut parts = Vec::new();
    if let Some(group) = group {
        parts.push(group.to_owned());
    }
    if let Some(actor) = &incident.actor_id {
        parts.push(format!("actor {actor}"));
    }
    if let Some(services) = incident.service_names.as_ref().filter(|s| !s.is_empty()) {
        parts.push(format!("services {}", services.join(", ")));
    }
    let status = status_from_skyhigh(incident.status.as_ref());
    let mut normalized = Incident::new(VENDOR, id.as_str(), title, incident.clone());
    normalized.description = (!parts.is_empty()).then(|| parts.join("; "));
    normalized.severity = severity_from_skyhigh(incident.incident_risk_severity.as_ref());
    normalized.created = incident.time_created;
    normalized.updated = incident.time_modified;
    if status.is_closed() {
        normalized.close_reason = incident.status.as_ref().map(|s| s.as_str().to_owned());
    }
    normalized.verdict =
        matches!(incident.status, Some(Status::FalsePositive)).then_some(Verdict::FalsePositive);
    normalized.status = status;
    Ok(normalized)
}

/// Whether an incident matches the statuses of a query, or the error for a status Skyhigh
/// has no counterpart of.
fn status_matcher(statuses: &[IncidentStatus]) -> Result<Vec<IncidentStatus>> {
    for s in statuses {
        let known = matches!(
            s,
            IncidentStatus::New
                | IncidentStatus::InProgress
                | IncidentStatus::Resolved
                | IncidentStatus::Closed
        ) || matches!(s, IncidentStatus::Other(v) if Status::from_wire(v) == Status::Suppressed);
        if !known {
            return Err(Error::unsupported(
                VENDOR,
                format!("filtering on the status {s}"),
            ));
        }
    }
    Ok(statuses.to_vec())
}

/// The workflow status a normalized closure sets.
///
/// # Errors
///
/// [`Error::InvalidInput`] for a reason that is not a closing status or contradicts the
/// verdict; [`Error::Unsupported`] for a verdict other than False Positive.
pub fn workflow_status_for_closure(closure: &Closure) -> Result<WorkflowStatus> {
    let by_reason = match &closure.reason {
        None => None,
        Some(reason) => {
            let squashed: String = reason
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            Some(match squashed.as_str() {
                "resolved" => WorkflowStatus::Resolved,
                "falsepositive" => WorkflowStatus::FalsePositive,
                "archived" => WorkflowStatus::Archived,
                _ => {
                    return Err(Error::invalid_input(
                        "close reason",
                        format!(
                            "{reason:?} is not a Skyhigh closing status: resolved, false positive or archived"
                        ),
                    ));
                }
            })
        }
    };
    let by_verdict = match &closure.verdict {
        None => None,
        Some(Verdict::FalsePositive) => Some(WorkflowStatus::FalsePositive),
        Some(other) => {
            return Err(Error::unsupported(
                VENDOR,
                format!("recording the verdict {other} (only False Positive has a status)"),
            ));
        }
    };
    match (by_reason, by_verdict) {
        (Some(r), Some(v)) if r != v => Err(Error::invalid_input(
            "close reason",
            format!(
                "the reason {} contradicts the verdict False Positive",
                r.as_str()
            ),
        )),
        (r, v) => Ok(r.or(v).unwrap_or(WorkflowStatus::Resolved)),
    }
}

/// The normalized cursor: the query cursor and the ids of the page that the next one may
/// repeat, as `s:<nextStartTime>` or `o:<nextOffset>`, then one id per line.
fn encode_cursor(cursor: &QueryCursor, repeat: &[String]) -> Cursor {
    let head = match cursor {
        QueryCursor::StartTime(t) => format!("s:{t}"),
        QueryCursor::Offset(o) => format!("o:{o}"),
    };
    let mut text = head;
    for id in repeat {
        text.push('\n');
        text.push_str(id);
    }
    Cursor::new(text)
}

fn decode_cursor(cursor: &Cursor) -> Result<(QueryCursor, HashSet<String>)> {
    let bad = || {
        Error::invalid_input(
            "cursor",
            format!(
                "{:?} is not a Skyhigh cursor",
                cursor.as_str().chars().take(80).collect::<String>()
            ),
        )
    };
    let mut lines = cursor.as_str().split('\n');
    let head = lines.next().ok_or_else(bad)?;
    let query = if let Some(t) = head.strip_prefix("s:") {
        parse_time(t).ok_or_else(bad)?;
        QueryCursor::StartTime(t.to_owned())
    } else if let Some(o) = head.strip_prefix("o:") {
        QueryCursor::Offset(o.parse().map_err(|_| bad())?)
    } else {
        return Err(bad());
    };
    let ids = lines
        .map(|id| IncidentId::parse(id).map(String::from).map_err(|_| bad()))
        .collect::<Result<HashSet<_>>>()?;
    Ok((query, ids))
}

impl SkyhighClient {
    /// The query of a normalized listing (without its cursor).
    fn normalized_query(&self, query: &IncidentQuery, limit: u32) -> QueryIncidents {
        let mut q = self.incidents().query().limit(limit);
        let (from, to) = match &query.window {
            Some(w) => {
                if w.field == TimeField::Created {
                    q = q.times_selection(TimesSelection::CreatedAt);
                }
                (w.from, w.to)
            }
            None => (None, None),
        };
        q = q.start_time(from.unwrap_or(self.history_start));
        if let Some(to) = to {
            q = q.end_time(to);
        }
        q
    }

    /// Searches the incidents modified at or after `since` for `id`.
    async fn find(
        &self,
        id: &IncidentId,
        since: OffsetDateTime,
    ) -> Result<Option<SkyhighIncident>> {
        let mut stream = self
            .incidents()
            .query()
            .start_time(since)
            .limit(DEFAULT_PAGE_SIZE)
            .into_stream();
        while let Some(incident) = stream.try_next().await? {
            if incident.incident_id.as_ref() == Some(id) {
                return Ok(Some(incident));
            }
        }
        Ok(None)
    }

    /// One incident by id, searching every incident since the client's history start
    /// (Skyhigh has no read by id).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the search ends without it; [`Error::InvalidInput`] for an
    /// invalid id; as the query: see [`crate::incidents`].
    pub async fn find_incident(&self, id: &str) -> Result<SkyhighIncident> {
        let parsed = IncidentId::parse(id)?;
        self.find(&parsed, self.history_start)
            .await?
            .ok_or_else(|| Error::not_found(VENDOR, format!("incident {id:?}")))
    }
}

#[async_trait]
impl IncidentSource for SkyhighClient {
    incident_core::source_identity!(VENDOR);

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::none();
        caps.settable_statuses = vec![
            IncidentStatus::New,
            IncidentStatus::InProgress,
            IncidentStatus::Other("Suppressed".into()),
        ];
        caps.close = true;
        caps.close_requires_reason = false;
        caps.verdict = true;
        caps.verdicts = vec![Verdict::FalsePositive];
        caps.time_fields = vec![TimeField::Updated, TimeField::Created];
        caps.filter_statuses = vec![
            IncidentStatus::New,
            IncidentStatus::InProgress,
            IncidentStatus::Resolved,
            IncidentStatus::Closed,
            IncidentStatus::Other("Suppressed".into()),
        ];
        caps
    }

    async fn list_page(&self, query: Query<'_>, cursor: Option<&Cursor>) -> Result<IncidentPage> {
        let statuses = status_matcher(&query.statuses)?;
        // The query's limit does not shrink the page: a page smaller than a group of
        // incidents sharing one instant could not get past it (the stream cuts the last
        // page to the limit).
        let size = query
            .page_size
            .unwrap_or(NORMALIZED_PAGE_SIZE)
            .clamp(1, crate::incidents::MAX_LIMIT);
        let (current, repeated) = match cursor {
            None => (None, HashSet::new()),
            Some(c) => {
                let (q, ids) = decode_cursor(c)?;
                (Some(q), ids)
            }
        };
        let mut q = self.normalized_query(&query, size);
        match &current {
            Some(QueryCursor::StartTime(t)) => q = q.start_time_raw(t.clone()),
            Some(QueryCursor::Offset(o)) => q = q.offset(*o),
            None => {}
        }
        let page = q.send().await?;
        let got = page.incidents.len();
        let created = query
            .window
            .as_ref()
            .is_some_and(|w| w.field == TimeField::Created);
        let time_of = |i: &SkyhighIncident| {
            if created {
                i.time_created
            } else {
                i.time_modified
            }
        };
        // The incidents this page takes: those listed before (repeated at the start, kept
        // to know their times) and at most `size` new ones. Skyhigh adds to a page the
        // incidents that share the timestamp of its last one, beyond the limit: those past
        // `size` are left to the next page, which starts again at the last time taken.
        let mut taken: Vec<(SkyhighIncident, bool)> = Vec::with_capacity(got.min(size as usize));
        let mut fresh = 0_usize;
        let mut cut = false;
        for incident in page.incidents {
            let listed = incident
                .incident_id
                .as_ref()
                .is_some_and(|id| repeated.contains(id.as_str()));
            if !listed {
                if fresh == size as usize {
                    cut = true;
                    break;
                }
                fresh += 1;
            }
            taken.push((incident, listed));
        }
        let mut next = page.next.clone();
        if cut {
            // Not a stop: the new incidents taken are progress, and the ones at the cut's
            // instant go into the cursor, so the next page drops them.
            let last = taken
                .iter()
                .rev()
                .find(|(_, listed)| !listed)
                .and_then(|(i, _)| time_of(i))
                .ok_or_else(|| {
                    let why = "a page holds more incidents than the limit, and the last one \
                               within it has no time to continue from";
                    Error::protocol(VENDOR, why)
                })?;
            next = Some(QueryCursor::StartTime(format_query_time(last)));
        } else if next.is_some() && next == current {
            // The cursor stopped moving: the end, unless the page was full (the rest could
            // never be reached).
            if got >= size as usize {
                let why =
                    format!("the cursor did not advance after a full page of {got} incidents");
                return Err(Error::protocol(VENDOR, why));
            }
            next = None;
        }
        // The ids the next page may bring again: those taken at or after its start.
        let next_start = match &next {
            Some(QueryCursor::StartTime(t)) => parse_time(t),
            _ => None,
        };
        let repeat: Vec<String> = taken
            .iter()
            .map(|(i, _)| i)
            .filter(|i| match (next_start, time_of(i)) {
                (Some(start), Some(t)) => t >= start,
                _ => matches!(next, Some(QueryCursor::StartTime(_))),
            })
            .filter_map(|i| i.incident_id.as_ref().map(|id| id.as_str().to_owned()))
            .collect();
        let mut items = Vec::with_capacity(fresh);
        for (incident, listed) in taken {
            if listed {
                continue;
            }
            let normalized = incident_from_skyhigh(incident)?;
            if statuses.is_empty() || statuses.iter().any(|s| s.same_as(&normalized.status)) {
                items.push(normalized);
            }
        }
        let next = next.map(|n| encode_cursor(&n, &repeat));
        Ok(IncidentPage::new(items, next, None))
    }

    async fn get_incident(&self, id: &str) -> Result<Incident> {
        incident_from_skyhigh(self.find_incident(id).await?)
    }

    async fn apply_update(&self, id: &str, update: Update<'_>) -> Result<Incident> {
        let parsed = IncidentId::parse(id)?;
        let status = match &update.status {
            Some(StatusChange::Set(IncidentStatus::New)) => WorkflowStatus::New,
            Some(StatusChange::Set(IncidentStatus::InProgress)) => WorkflowStatus::Opened,
            Some(StatusChange::Set(IncidentStatus::Other(s)))
                if Status::from_wire(s) == Status::Suppressed =>
            {
                WorkflowStatus::Suppressed
            }
            Some(StatusChange::Close(closure)) => workflow_status_for_closure(closure)?,
            Some(other) => {
                return Err(Error::unsupported(
                    VENDOR,
                    format!("the status change {other:?}"),
                ));
            }
            None => return Err(Error::invalid_input("update", "the update changes nothing")),
        };
        let started = OffsetDateTime::now_utc();
        let outcome = self.incidents().modify().status(id, status).send().await?;
        if let Some((_, error)) = outcome.refused().next() {
            return Err(match error.code {
                Some(404) => Error::not_found(VENDOR, format!("incident {id:?}")),
                _ => {
                    let why = error.message.as_deref().unwrap_or("no reason given");
                    Error::protocol(VENDOR, format!("modifyIncidents refused {id}: {why}"))
                }
            });
        }
        // The change moved the incident's timeModified to about now: search from a little
        // before, then everything.
        let since = started - READ_BACK_MARGIN;
        let found = match self.find(&parsed, since).await? {
            Some(found) => found,
            None => self.find_incident(id).await?,
        };
        incident_from_skyhigh(found)
    }
}

#[cfg(test)]
mod tests {
    use incident_core::mapping::OCSF_VERDICTS;
    use incident_testkit::{doc_table, every_variant};

    use super::*;

    /// The module's docs: the tables checked here are the ones readers see.
    const DOC: &str = include_str!("normalize.md");

    /// A documented optional value: `none`, else the text.
    fn or_none(cell: &str) -> Option<&str> {
        (cell != "none").then_some(cell)
    }

    #[test]
    fn the_documented_statuses_are_the_mapping() {
        let rows = doc_table(DOC, "Status: Skyhigh → normalized");
        for row in &rows {
            let status = Status::from_wire(&row[0]);
            let normalized = status_from_skyhigh(Some(&status));
            assert_eq!(format!("IncidentStatus::{normalized:?}"), row[1], "{row:?}");
            let incident = incident_from_skyhigh(SkyhighIncident {
                incident_id: Some(IncidentId::parse("DLP-1").unwrap()),
                status: Some(status),
                ..Default::default()
            })
            .unwrap();
            assert_eq!(incident.status, normalized);
            assert_eq!(
                incident.close_reason.as_deref(),
                or_none(&row[2]),
                "{row:?}"
            );
            let verdict = incident.verdict.map(|v| format!("Verdict::{v:?}"));
            assert_eq!(verdict.as_deref(), or_none(&row[3]), "{row:?}");
        }
        let statuses = every_variant!(
            Status: New, Opened, FalsePositive, Resolved, Suppressed, Archived;
            not Status::Unknown(_)
        );
        for status in statuses {
            assert!(
                rows.iter().any(|row| row[0] == status.as_str()),
                "the status {status} is not documented"
            );
        }
    }

    #[test]
    fn the_documented_severities_are_the_mapping() {
        let rows = doc_table(DOC, "Severity: Skyhigh → normalized");
        for row in &rows {
            let severity = severity_from_skyhigh(Some(&RiskSeverity::from_wire(&row[0])));
            assert_eq!(format!("Severity::{severity:?}"), row[1], "{row:?}");
        }
        let severities = every_variant!(
            RiskSeverity: Info, Low, Medium, High;
            not RiskSeverity::Unknown(_)
        );
        for severity in severities {
            assert!(
                rows.iter().any(|row| row[0] == severity.as_str()),
                "the severity {severity} is not documented"
            );
        }
    }

    #[test]
    fn the_documented_closes_are_the_mapping() {
        let rows = doc_table(DOC, "Close: verdict → Skyhigh");
        let named: Vec<&str> = rows.iter().map(|row| row[0].as_str()).collect();
        for row in &rows {
            let verdicts = match row[0].as_str() {
                "none" => vec![None],
                "any other" => OCSF_VERDICTS
                    .into_iter()
                    .filter(|v| !named.contains(&format!("Verdict::{v:?}").as_str()))
                    .map(Some)
                    .collect(),
                name => vec![Some(
                    OCSF_VERDICTS
                        .into_iter()
                        .find(|v| format!("Verdict::{v:?}") == name)
                        .unwrap_or_else(|| panic!("{name:?} is not a verdict")),
                )],
            };
            for verdict in verdicts {
                let closure = verdict
                    .clone()
                    .map_or_else(Closure::default, Closure::verdict);
                match workflow_status_for_closure(&closure) {
                    Ok(status) => assert_eq!(status.as_str(), row[1], "{verdict:?}"),
                    Err(e) => assert!(
                        e.is_unsupported() && row[1] == "unsupported",
                        "{verdict:?}: {e}"
                    ),
                }
            }
        }
        let rows = doc_table(DOC, "Close: reason → Skyhigh");
        for row in &rows {
            let status = workflow_status_for_closure(&Closure::reason(row[0].as_str())).unwrap();
            assert_eq!(status.as_str(), row[1], "{row:?}");
        }
        // Each status that reads as closed can be set by naming it.
        let closing = every_variant!(
            Status: New, Opened, FalsePositive, Resolved, Suppressed, Archived;
            not Status::Unknown(_)
        )
        .into_iter()
        .filter(|s| status_from_skyhigh(Some(s)).is_closed());
        for status in closing {
            assert!(
                rows.iter().any(|row| row[1] == status.as_str()),
                "no documented reason closes as {status}"
            );
        }
    }

    #[test]
    fn closures() {
        let fp = Closure::verdict(Verdict::FalsePositive);
        assert_eq!(
            workflow_status_for_closure(&fp).unwrap(),
            WorkflowStatus::FalsePositive
        );
        assert_eq!(
            workflow_status_for_closure(&Closure::default()).unwrap(),
            WorkflowStatus::Resolved
        );
        assert_eq!(
            workflow_status_for_closure(&Closure::reason("False_Positive")).unwrap(),
            WorkflowStatus::FalsePositive
        );
        assert_eq!(
            workflow_status_for_closure(&Closure::reason("ARCHIVED")).unwrap(),
            WorkflowStatus::Archived
        );
        assert!(workflow_status_for_closure(&Closure::reason("Non-Issue")).is_err());
        assert!(
            workflow_status_for_closure(&Closure::verdict(Verdict::Benign))
                .unwrap_err()
                .is_unsupported()
        );
        assert!(matches!(
            workflow_status_for_closure(
                &Closure::reason("resolved").with_verdict(Verdict::FalsePositive)
            ),
            Err(Error::InvalidInput { .. })
        ));
    }

    #[test]
    fn statuses_and_severities() {
        assert_eq!(
            status_from_skyhigh(Some(&Status::Opened)),
            IncidentStatus::InProgress
        );
        assert_eq!(
            status_from_skyhigh(Some(&Status::FalsePositive)),
            IncidentStatus::Closed
        );
        assert_eq!(
            status_from_skyhigh(Some(&Status::from_wire("escalated"))),
            IncidentStatus::Other("escalated".into())
        );
        assert_eq!(
            severity_from_skyhigh(Some(&RiskSeverity::Info)),
            Severity::Informational
        );
        assert_eq!(
            severity_from_skyhigh(Some(&RiskSeverity::from_wire("critical"))),
            Severity::Other("critical".into())
        );
        assert!(
            status_matcher(&[IncidentStatus::OnHold])
                .unwrap_err()
                .is_unsupported()
        );
        assert!(status_matcher(&[IncidentStatus::Other("suppressed".into())]).is_ok());
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = encode_cursor(
            &QueryCursor::StartTime("2024-05-01T09:00:00.000Z".into()),
            &["DLP-1".into(), "CAP-2".into()],
        );
        let (q, ids) = decode_cursor(&c).unwrap();
        assert_eq!(q, QueryCursor::StartTime("2024-05-01T09:00:00.000Z".into()));
        assert_eq!(ids.len(), 2);
        let (q, ids) = decode_cursor(&encode_cursor(&QueryCursor::Offset(7), &[])).unwrap();
        assert_eq!((q, ids.len()), (QueryCursor::Offset(7), 0));
        for bad in [
            "",
            "x:1",
            "s:yesterday",
            "o:-1",
            "s:2024-05-01T09:00:00Z\nbad id",
        ] {
            assert!(decode_cursor(&Cursor::new(bad)).is_err(), "{bad:?}");
        }
    }
}
