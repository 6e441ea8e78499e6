#![doc = include_str!("normalize.md")]

use async_trait::async_trait;
use incident_core::source::{Query, Update};
use incident_core::{
    Capabilities, Cursor, Error, Incident, IncidentPage, IncidentQuery, IncidentSource,
    IncidentStatus, Result, Severity, StatusChange, TimeField, Verdict,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::client::{PtaClient, VENDOR};
use crate::model::{Address, Audit, CloseReason, EventStatus, SecurityEvent};

/// The page size the normalized listing uses unless the query sets one.
pub const NORMALIZED_PAGE_SIZE: u32 = 100;

/// The normalized severity of a PTA score (see the module table).
pub fn severity_from_score(score: Option<f64>) -> Severity {
    match score {
        None => Severity::Unknown,
        Some(s) if !(0.0..=100.0).contains(&s) => Severity::Other(format!("score {s}")),
        Some(s) if s < 10.0 => Severity::Informational,
        Some(s) if s < 35.0 => Severity::Low,
        Some(s) if s < 65.0 => Severity::Medium,
        Some(s) if s < 85.0 => Severity::High,
        Some(_) => Severity::Critical,
    }
}

/// The normalized status of an event.
pub fn status_from_pta(status: Option<&EventStatus>) -> IncidentStatus {
    match status {
        None => IncidentStatus::Unknown,
        Some(EventStatus::Open) => IncidentStatus::New,
        Some(EventStatus::Closed) => IncidentStatus::Closed,
        Some(other) => IncidentStatus::Other(other.as_str().to_owned()),
    }
}

fn address(a: Option<&Address>) -> Option<&str> {
    a.and_then(Address::display_name)
}

/// The one-line title: the type, who, and from where.
pub fn title_of(event: &SecurityEvent) -> String {
    let kind = event
        .event_type
        .as_ref()
        .map_or("Security event", |t| t.as_str());
    let mut title = kind.to_owned();
    if let Some(who) = event.who() {
        title.push_str(&format!(": {who}"));
    }
    if let Some(from) = event
        .audits()
        .iter()
        .find_map(|a| address(a.source.as_ref()))
    {
        title.push_str(&format!(" from {from}"));
    }
    title
}

fn audit_line(audit: &Audit) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(t) = audit.create_time.and_then(|t| t.format(&Rfc3339).ok()) {
        parts.push(t);
    }
    let kind = audit.audit_type.as_ref().map_or("audit", |t| t.as_str());
    let sensor = audit
        .sensor_type
        .as_ref()
        .map(|s| format!(" ({})", s.as_str()))
        .unwrap_or_default();
    parts.push(format!("{kind}{sensor}"));
    if let Some(action) = &audit.action {
        parts.push(action.clone());
    }
    if let Some(command) = &audit.psm_command {
        parts.push(format!("command {command:?}"));
    }
    if let Some(user) = &audit.vault_user {
        parts.push(format!("user {user}"));
    }
    if let Some(account) = audit
        .account
        .as_ref()
        .and_then(|a| a.account_as_str.as_ref())
    {
        parts.push(format!("account {account}"));
    }
    match (
        address(audit.source.as_ref()),
        address(audit.target.as_ref()),
    ) {
        (Some(s), Some(t)) => parts.push(format!("{s} -> {t}")),
        (Some(s), None) => parts.push(format!("from {s}")),
        (None, Some(t)) => parts.push(format!("to {t}")),
        (None, None) => {}
    }
    parts.join(", ")
}

/// The description: one line per audit.
pub fn description_of(event: &SecurityEvent) -> Option<String> {
    let lines: Vec<String> = event.audits().iter().map(audit_line).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// Converts a security event to a normalized incident (see the module table).
///
/// # Errors
///
/// [`Error::Protocol`] for an event without an id.
pub fn incident_from_event(event: SecurityEvent) -> Result<Incident> {
    let id = event
        .id
        .clone()
        .ok_or_else(|| Error::protocol(VENDOR, "a security event without an id"))?;
    let title = title_of(&event);
    let mut incident = Incident::new(VENDOR, id, title, event.clone());
    incident.description = description_of(&event);
    incident.status = status_from_pta(event.status.as_ref());
    incident.severity = severity_from_score(event.score);
    incident.created = event.create_time;
    incident.updated = event.last_update_time;
    incident.close_reason = match (&event.close_reason, &event.reason_text) {
        (Some(r), Some(t)) if !t.trim().is_empty() => Some(format!("{}: {}", r.as_str(), t.trim())),
        (Some(r), _) => Some(r.as_str().to_owned()),
        (None, Some(t)) if !t.trim().is_empty() => Some(t.trim().to_owned()),
        _ => None,
    };
    incident.verdict = match event.close_reason {
        Some(CloseReason::NotReal) => Some(Verdict::FalsePositive),
        _ => None,
    };
    Ok(incident)
}

/// The position of an event in the normalized order: `lastUpdateTime` in nanoseconds, id.
fn position(event: &SecurityEvent) -> (i128, &str) {
    (
        event
            .last_update_time
            .map_or(i128::MIN, OffsetDateTime::unix_timestamp_nanos),
        event.id.as_deref().unwrap_or(""),
    )
}

fn cursor_of(event: &SecurityEvent) -> Cursor {
    let (nanos, id) = position(event);
    Cursor::new(format!("{nanos}:{id}"))
}

fn parse_cursor(cursor: &Cursor) -> Result<(i128, String)> {
    let bad = || {
        Error::invalid_input(
            "cursor",
            format!("{:?} is not a PTA cursor", cursor.as_str()),
        )
    };
    let (nanos, id) = cursor.as_str().split_once(':').ok_or_else(bad)?;
    Ok((nanos.parse().map_err(|_| bad())?, id.to_owned()))
}

fn server_status(query: &IncidentQuery) -> Result<Option<EventStatus>> {
    let mut wanted: Vec<EventStatus> = Vec::new();
    for s in &query.statuses {
        let status = match s {
            IncidentStatus::New => EventStatus::Open,
            IncidentStatus::Closed | IncidentStatus::Resolved => EventStatus::Closed,
            other => {
                return Err(Error::unsupported(
                    VENDOR,
                    format!("filtering on the status {other}"),
                ));
            }
        };
        if !wanted.contains(&status) {
            wanted.push(status);
        }
    }
    // Both statuses are everything: no filter.
    Ok(match wanted.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    })
}

fn in_window(query: &IncidentQuery, event: &SecurityEvent) -> bool {
    let Some(w) = &query.window else {
        return true;
    };
    let t = match w.field {
        TimeField::Created => event.create_time,
        _ => event.last_update_time,
    };
    match t {
        None => w.from.is_none() && w.to.is_none(),
        Some(t) => w.from.is_none_or(|f| t >= f) && w.to.is_none_or(|to| t < to),
    }
}

/// Reads a normalized id: the PTA event id, checked against PVWA's URL rules.
fn event_id(id: &str) -> Result<&str> {
    crate::url_rules::check_url_value("event id", id)?;
    Ok(id)
}

#[async_trait]
impl IncidentSource for PtaClient {
    incident_core::source_identity!(VENDOR);

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::none();
        caps.settable_statuses = vec![IncidentStatus::New];
        caps.close = true;
        caps.time_fields = vec![TimeField::Created, TimeField::Updated];
        caps.filter_statuses = vec![IncidentStatus::New, IncidentStatus::Closed];
        caps
    }

    async fn list_page(&self, query: Query<'_>, cursor: Option<&Cursor>) -> Result<IncidentPage> {
        let status = server_status(&query)?;
        let after = cursor.map(parse_cursor).transpose()?;
        let mut size = query.page_size.unwrap_or(NORMALIZED_PAGE_SIZE).max(1) as usize;
        if let Some(limit) = query.limit {
            size = size.min(limit.max(1));
        }
        let mut list = self.events().list();
        if let Some(status) = status {
            list = list.status(status);
        }
        // The server's lower bound: the cursor's time, else the window's start.
        let updated_from = query
            .window
            .filter(|w| w.field == TimeField::Updated)
            .and_then(|w| w.from);
        let from_cursor = after
            .as_ref()
            .and_then(|(nanos, _)| OffsetDateTime::from_unix_timestamp_nanos(*nanos).ok());
        // One second earlier: whether PVWA's bound is inclusive is not documented, and the
        // unit may round; the exact bound is applied below. (Saturating: a cursor can name
        // the first instant `time` holds, which has nothing before it.)
        if let Some(from) = from_cursor.max(updated_from) {
            list = list.from_update_date(from.saturating_sub(time::Duration::SECOND));
        }
        let mut events: Vec<SecurityEvent> = list
            .send()
            .await?
            .into_iter()
            .filter(|e| in_window(&query, e))
            .filter(|e| match &after {
                None => true,
                Some((nanos, id)) => position(e) > (*nanos, id.as_str()),
            })
            .collect();
        events.sort_by(|a, b| position(a).cmp(&position(b)));
        let total = after.is_none().then_some(events.len() as u64);
        let more = events.len() > size;
        events.truncate(size);
        let next = match events.last() {
            Some(last) if more => Some(cursor_of(last)),
            _ => None,
        };
        let items = events
            .into_iter()
            .map(incident_from_event)
            .collect::<Result<Vec<_>>>()?;
        Ok(IncidentPage::new(items, next, total))
    }

    async fn get_incident(&self, id: &str) -> Result<Incident> {
        incident_from_event(self.events().get(event_id(id)?).send().await?)
    }

    async fn apply_update(&self, id: &str, update: Update<'_>) -> Result<Incident> {
        let id = event_id(id)?;
        let status = match &update.status {
            Some(StatusChange::Close(closure)) => {
                if closure.reason.is_some() {
                    return Err(Error::unsupported(
                        VENDOR,
                        "a close reason (a security event update takes only mStatus)",
                    ));
                }
                EventStatus::Closed
            }
            Some(StatusChange::Set(IncidentStatus::New)) => EventStatus::Open,
            Some(StatusChange::Set(other)) => {
                return Err(Error::unsupported(
                    VENDOR,
                    format!("setting the status {other}"),
                ));
            }
            Some(other) => {
                return Err(Error::unsupported(
                    VENDOR,
                    format!("the status change {other:?}"),
                ));
            }
            None => return Err(Error::invalid_input("update", "the update changes nothing")),
        };
        incident_from_event(self.events().update(id, status).send().await?)
    }
}

#[cfg(test)]
mod tests {
    use incident_testkit::{doc_table, every_variant};

    use super::*;

    /// The module's docs: the tables checked here are the ones readers see.
    const DOC: &str = include_str!("normalize.md");

    #[test]
    fn the_documented_statuses_are_the_mapping() {
        let rows = doc_table(DOC, "Status: PTA → normalized");
        for row in &rows {
            let status = status_from_pta(Some(&EventStatus::from_wire(&row[0])));
            assert_eq!(format!("IncidentStatus::{status:?}"), row[1], "{row:?}");
        }
        for status in every_variant!(EventStatus: Open, Closed; not EventStatus::Unknown(_)) {
            assert!(
                rows.iter().any(|row| row[0] == status.as_str()),
                "the status {status} is not documented"
            );
        }
    }

    /// A documented score range, `10 ≤ score < 35`: its bounds, and whether it holds the
    /// upper one.
    fn score_range(cell: &str) -> (f64, f64, bool) {
        match cell.split_whitespace().collect::<Vec<_>>().as_slice() {
            [low, "≤", "score", op @ ("<" | "≤"), high] => {
                (low.parse().unwrap(), high.parse().unwrap(), *op == "≤")
            }
            _ => panic!("{cell:?} is not a range like `10 ≤ score < 35`"),
        }
    }

    #[test]
    fn the_documented_severities_are_the_mapping() {
        let mut end = (0.0, false);
        for row in doc_table(DOC, "Severity: PTA → normalized") {
            let (low, high, holds_high) = score_range(&row[0]);
            assert_eq!(
                (low, true),
                (end.0, !end.1),
                "{row:?} does not start where the row before ends"
            );
            let mut scores = vec![low, (low + high) / 2.0, high.next_down()];
            if holds_high {
                scores.push(high);
            }
            for score in scores {
                let severity = severity_from_score(Some(score));
                assert_eq!(format!("Severity::{severity:?}"), row[1], "score {score}");
            }
            end = (high, holds_high);
        }
        assert_eq!(end, (100.0, true), "the rows end before PTA's scores do");
    }

    #[test]
    fn the_documented_verdicts_are_the_mapping() {
        let rows = doc_table(DOC, "Verdict: PTA → normalized");
        for row in &rows {
            let event = SecurityEvent {
                id: Some("5f0ea000e4b0ba4baf5d1910".into()),
                status: Some(EventStatus::Closed),
                close_reason: Some(CloseReason::from_wire(&row[0])),
                ..Default::default()
            };
            let incident = incident_from_event(event).unwrap();
            let verdict = incident
                .verdict
                .as_ref()
                .map_or_else(|| "none".to_owned(), |v| format!("Verdict::{v:?}"));
            assert_eq!(verdict, row[1], "{row:?}");
            assert_eq!(incident.close_reason.as_deref(), Some(row[0].as_str()));
        }
        let reasons = every_variant!(
            CloseReason: Handled, NotReal, Other, None;
            not CloseReason::Unknown(_)
        );
        for reason in reasons {
            assert!(
                rows.iter().any(|row| row[0] == reason.as_str()),
                "the close reason {reason} is not documented"
            );
        }
    }

    #[test]
    fn severities() {
        assert_eq!(severity_from_score(None), Severity::Unknown);
        assert_eq!(severity_from_score(Some(0.0)), Severity::Informational);
        assert_eq!(severity_from_score(Some(9.99)), Severity::Informational);
        assert_eq!(severity_from_score(Some(10.0)), Severity::Low);
        assert_eq!(severity_from_score(Some(27.656250000000004)), Severity::Low);
        assert_eq!(severity_from_score(Some(35.0)), Severity::Medium);
        assert_eq!(severity_from_score(Some(60.0)), Severity::Medium);
        assert_eq!(severity_from_score(Some(65.0)), Severity::High);
        assert_eq!(severity_from_score(Some(85.0)), Severity::Critical);
        assert_eq!(severity_from_score(Some(100.0)), Severity::Critical);
        assert_eq!(
            severity_from_score(Some(100.5)),
            Severity::Other("score 100.5".into())
        );
        assert_eq!(
            severity_from_score(Some(-1.0)),
            Severity::Other("score -1".into())
        );
    }

    #[test]
    fn status_filters() {
        let q = IncidentQuery::new().status(IncidentStatus::New);
        assert_eq!(server_status(&q).unwrap(), Some(EventStatus::Open));
        let q = q.status(IncidentStatus::Closed);
        assert_eq!(server_status(&q).unwrap(), None);
        let q = IncidentQuery::new().status(IncidentStatus::InProgress);
        assert!(server_status(&q).unwrap_err().is_unsupported());
    }

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let c = Cursor::new("1594793984000000000:5f0ea000e4b0ba4baf5d1910");
        assert_eq!(
            parse_cursor(&c).unwrap(),
            (1594793984000000000, "5f0ea000e4b0ba4baf5d1910".to_owned())
        );
        for bad in ["", "x:y", "12"] {
            assert!(parse_cursor(&Cursor::new(bad)).is_err(), "{bad}");
        }
    }
}
