#![doc = include_str!("normalize.md")]

use async_trait::async_trait;
use incident_core::source::{Query, Update};
use incident_core::{
    AssigneeChange, Capabilities, Closure, Cursor, Error, Incident as NormalizedIncident,
    IncidentPage, IncidentQuery, IncidentSource, IncidentStatus, Result, Severity, StatusChange,
    TimeField, Verdict,
};

use crate::client::{SentinelClient, VENDOR};
use crate::model::{Incident, IncidentState, ObjectRef, incidents_path};
use crate::request::Walker;

/// The page size the normalized listing uses unless the query sets one.
pub const NORMALIZED_PAGE_SIZE: u32 = 100;

/// How many pages one `list_incidents` call reads at most while the client-side filters
/// leave them empty, before it returns an empty page with the cursor to go on from.
pub const MAX_SCANNED_PAGES: usize = 20;

/// The prefix of the line a verdict is recorded in, inside `resolution`.
pub const VERDICT_PREFIX: &str = "Verdict:";

/// The verdicts a resolution's `Verdict:` line records and reads back, by caption.
const VERDICTS: [Verdict; 11] = [
    Verdict::Unknown,
    Verdict::FalsePositive,
    Verdict::TruePositive,
    Verdict::Disregard,
    Verdict::Suspicious,
    Verdict::Benign,
    Verdict::Test,
    Verdict::InsufficientData,
    Verdict::SecurityRisk,
    Verdict::ManagedExternally,
    Verdict::Duplicate,
];

/// The normalized status of a Sentinel state (see the module table).
pub fn status_from_sentinel(state: Option<&IncidentState>) -> IncidentStatus {
    match state {
        None => IncidentStatus::Unknown,
        Some(IncidentState::Open) => IncidentStatus::New,
        Some(IncidentState::Assigned | IncidentState::Investigating) => IncidentStatus::InProgress,
        Some(IncidentState::Closed | IncidentState::Rejected) => IncidentStatus::Closed,
        Some(other) => IncidentStatus::Other(other.as_str().to_owned()),
    }
}

/// The normalized severity of a Sentinel severity (0–5).
pub fn severity_from_sentinel(severity: Option<i64>) -> Severity {
    match severity {
        None => Severity::Unknown,
        Some(0) => Severity::Informational,
        Some(1..=2) => Severity::Low,
        Some(3) => Severity::Medium,
        Some(4) => Severity::High,
        Some(5) => Severity::Critical,
        Some(n) => Severity::Other(n.to_string()),
    }
}

/// The Sentinel severity (0–5) for a normalized one; `Other` accepts the number itself.
///
/// # Errors
///
/// [`Error::InvalidInput`] for an `Other` outside 0 to 5; [`Error::Unsupported`] for
/// `Unknown` and `Fatal`.
pub fn severity_to_sentinel(severity: &Severity) -> Result<i64> {
    Ok(match severity {
        Severity::Informational => 0,
        Severity::Low => 1,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
        Severity::Other(n) => match n.trim().parse::<i64>() {
            Ok(n @ 0..=5) => n,
            _ => {
                return Err(Error::invalid_input(
                    "severity",
                    format!("{n:?} is not a Sentinel severity (0 to 5)"),
                ));
            }
        },
        other => {
            return Err(Error::unsupported(
                VENDOR,
                format!("the severity {other} (Sentinel's scale ends at 5, Critical)"),
            ));
        }
    })
}

/// The verdict a resolution records on its `Verdict:` line, if any.
pub fn verdict_from_resolution(resolution: &str) -> Option<Verdict> {
    let line = resolution
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| starts_with_ignore_case(l, VERDICT_PREFIX))?;
    let caption = line[VERDICT_PREFIX.len()..].trim();
    if caption.is_empty() {
        return None;
    }
    Some(
        VERDICTS
            .into_iter()
            .find(|v| v.caption().eq_ignore_ascii_case(caption))
            .unwrap_or_else(|| Verdict::Other(caption.to_owned())),
    )
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// The resolution text without its `Verdict:` line; `None` when nothing else is left.
fn reason_from_resolution(resolution: &str) -> Option<String> {
    let kept: Vec<&str> = resolution
        .lines()
        .filter(|l| !starts_with_ignore_case(l.trim(), VERDICT_PREFIX))
        .collect();
    let text = kept.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// The resolution a normalized closure writes: the reason, then `Verdict: <caption>`.
pub fn resolution_for(closure: &Closure) -> Option<String> {
    let reason = closure
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let verdict = closure
        .verdict
        .as_ref()
        .map(|v| format!("{VERDICT_PREFIX} {}", v.caption()));
    match (reason, verdict) {
        (None, None) => None,
        (Some(r), None) => Some(r.to_owned()),
        (None, Some(v)) => Some(v),
        (Some(r), Some(v)) => Some(format!("{r}\n{v}")),
    }
}

/// Converts a Sentinel incident to a normalized one (see the module table).
///
/// # Errors
///
/// [`Error::Protocol`] for an incident without `meta.@href`, so without an id.
pub fn incident_from_sentinel(incident: Incident) -> Result<NormalizedIncident> {
    let why = "an incident without meta.@href, so without an id";
    let id = incident.id().ok_or_else(|| Error::protocol(VENDOR, why))?;
    let title = incident
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map_or_else(|| format!("Incident {id}"), str::to_owned);
    let status = status_from_sentinel(incident.state.as_ref());
    let closed = status.is_closed();
    let mut out = NormalizedIncident::new(VENDOR, id, title, incident.clone());
    out.description = incident.desc.clone().filter(|d| !d.trim().is_empty());
    out.severity = severity_from_sentinel(incident.severity);
    out.assignee = incident.users.iter().flatten().find_map(ObjectRef::id);
    out.created = incident.createdate;
    out.updated = incident.moddate;
    if closed && let Some(resolution) = incident.resolution.as_deref() {
        out.verdict = verdict_from_resolution(resolution);
        out.close_reason = reason_from_resolution(resolution);
    }
    out.status = status;
    Ok(out)
}

fn matches(query: &IncidentQuery, incident: &NormalizedIncident) -> bool {
    let status_ok =
        query.statuses.is_empty() || query.statuses.iter().any(|s| s.same_as(&incident.status));
    let window_ok = query.window.as_ref().is_none_or(|w| {
        let time = match w.field {
            TimeField::Created => incident.created,
            _ => incident.updated,
        };
        match time {
            None => w.from.is_none() && w.to.is_none(),
            Some(t) => w.from.is_none_or(|from| t >= from) && w.to.is_none_or(|to| t < to),
        }
    });
    status_ok && window_ok
}

impl SentinelClient {
    /// The user reference for a normalized assignee: a user URL as is, else a user id.
    fn assignee_ref(&self, user: &str) -> Result<ObjectRef> {
        let user = user.trim();
        if user.starts_with("https://") || user.starts_with("http://") {
            Ok(ObjectRef::new(user))
        } else {
            self.user_ref(user)
        }
    }
}

#[async_trait]
impl IncidentSource for SentinelClient {
    incident_core::source_identity!(VENDOR);

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::none();
        caps.settable_statuses = vec![IncidentStatus::New, IncidentStatus::InProgress];
        caps.close = true;
        caps.close_requires_reason = false;
        caps.verdict = true;
        // Written as the resolution's `Verdict:` line, which reads back.
        caps.verdicts = VERDICTS.to_vec();
        caps.assign = true;
        caps.unassign = true;
        caps.set_severity = true;
        caps.severities = vec![
            Severity::Informational,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ];
        caps.notes = false;
        caps.time_fields = vec![TimeField::Created, TimeField::Updated];
        // Statuses are matched in the client, on the normalized status: any of them.
        caps.filter_statuses = vec![
            IncidentStatus::Unknown,
            IncidentStatus::New,
            IncidentStatus::InProgress,
            IncidentStatus::OnHold,
            IncidentStatus::Resolved,
            IncidentStatus::Closed,
        ];
        caps
    }

    async fn list_page(&self, query: Query<'_>, cursor: Option<&Cursor>) -> Result<IncidentPage> {
        let mut size = u64::from(query.page_size.unwrap_or(NORMALIZED_PAGE_SIZE)).max(1);
        if let Some(limit) = query.limit {
            size = size.min((limit as u64).max(1));
        }
        let walker = Walker {
            size,
            ..Walker::new(self.transport.clone(), incidents_path())
        };
        let mut cursor = cursor.map(|c| c.as_str().to_owned());
        for _ in 0..MAX_SCANNED_PAGES {
            let (page, next) = walker.fetch::<Incident>(cursor.as_deref()).await?;
            let mut items = Vec::with_capacity(page.objects.len());
            for incident in page.objects {
                let normalized = incident_from_sentinel(incident)?;
                if matches(&query, &normalized) {
                    items.push(normalized);
                }
            }
            if !items.is_empty() || next.is_none() {
                return Ok(IncidentPage::new(items, next.map(Cursor::new), None));
            }
            cursor = next;
        }
        Ok(IncidentPage::new(Vec::new(), cursor.map(Cursor::new), None))
    }

    async fn get_incident(&self, id: &str) -> Result<NormalizedIncident> {
        incident_from_sentinel(self.incidents().get(id).await?)
    }

    async fn apply_update(&self, id: &str, update: Update<'_>) -> Result<NormalizedIncident> {
        let mut change = self.incidents().update(id);
        match &update.status {
            None => {}
            Some(StatusChange::Set(IncidentStatus::New)) => {
                change = change.state(IncidentState::Open);
            }
            Some(StatusChange::Set(IncidentStatus::InProgress)) => {
                change = change.state(IncidentState::Assigned);
            }
            Some(StatusChange::Close(closure)) => {
                change = change.state(IncidentState::Closed);
                if let Some(resolution) = resolution_for(closure) {
                    change = change.resolution(resolution);
                }
            }
            Some(other) => {
                return Err(Error::unsupported(
                    VENDOR,
                    format!("the status change {other:?}"),
                ));
            }
        }
        match &update.assignee {
            None => {}
            Some(AssigneeChange::Assign(user)) => {
                change = change.users([self.assignee_ref(user)?]);
            }
            Some(_) => change = change.users([]),
        }
        if let Some(severity) = &update.severity {
            change = change.severity(severity_to_sentinel(severity)?);
        }
        incident_from_sentinel(change.send().await?)
    }
}

#[cfg(test)]
mod tests {
    use incident_core::mapping::OCSF_SEVERITIES;
    use incident_testkit::{doc_table, every_variant, int_range};

    use super::*;

    /// The module's docs: the tables checked here are the ones readers see.
    const DOC: &str = include_str!("normalize.md");

    #[test]
    fn the_documented_states_are_the_mapping() {
        let rows = doc_table(DOC, "Status: Sentinel → normalized");
        for row in &rows {
            let status = status_from_sentinel(Some(&IncidentState::from_wire(&row[0])));
            assert_eq!(format!("IncidentStatus::{status:?}"), row[1], "{row:?}");
        }
        let states = every_variant!(
            IncidentState: Open, Assigned, Investigating, Closed, Rejected;
            not IncidentState::Unknown(_)
        );
        for state in states {
            assert!(
                rows.iter().any(|row| row[0] == state.as_str()),
                "the state {state} is not documented"
            );
        }
    }

    #[test]
    fn the_documented_severities_are_the_mapping() {
        let mut documented = Vec::new();
        for row in doc_table(DOC, "Severity: Sentinel → normalized") {
            for n in int_range(&row[0]) {
                let severity = severity_from_sentinel(Some(n));
                assert_eq!(format!("Severity::{severity:?}"), row[1], "severity {n}");
                documented.push(n);
            }
        }
        documented.sort_unstable();
        assert_eq!(
            documented,
            (0..=5).collect::<Vec<i64>>(),
            "each of Sentinel's severities, 0 to 5, in exactly one row"
        );
    }

    #[test]
    fn the_documented_severity_changes_are_the_mapping() {
        let rows = doc_table(DOC, "Severity: normalized → Sentinel");
        for severity in OCSF_SEVERITIES {
            let name = format!("Severity::{severity:?}");
            let row = rows
                .iter()
                .find(|row| row[0] == name)
                .unwrap_or_else(|| panic!("the severity {severity} is not documented"));
            match severity_to_sentinel(&severity) {
                Ok(n) => assert_eq!(n.to_string(), row[1], "{row:?}"),
                Err(e) => assert!(e.is_unsupported() && row[1] == "unsupported", "{row:?}"),
            }
        }
        assert_eq!(rows.len(), OCSF_SEVERITIES.len(), "a row per severity");
    }

    #[test]
    fn states_and_severities() {
        assert_eq!(status_from_sentinel(None), IncidentStatus::Unknown);
        assert_eq!(
            status_from_sentinel(Some(&IncidentState::from("Investigating"))),
            IncidentStatus::InProgress
        );
        assert_eq!(
            status_from_sentinel(Some(&IncidentState::Rejected)),
            IncidentStatus::Closed
        );
        assert_eq!(
            status_from_sentinel(Some(&IncidentState::from("Escalated"))),
            IncidentStatus::Other("Escalated".into())
        );
        for (n, s) in [
            (0, Severity::Informational),
            (2, Severity::Low),
            (3, Severity::Medium),
            (4, Severity::High),
            (5, Severity::Critical),
            (9, Severity::Other("9".into())),
        ] {
            assert_eq!(severity_from_sentinel(Some(n)), s);
        }
        for s in [
            Severity::Informational,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ] {
            assert_eq!(
                severity_from_sentinel(Some(severity_to_sentinel(&s).unwrap())),
                s
            );
        }
        assert!(
            severity_to_sentinel(&Severity::Fatal)
                .unwrap_err()
                .is_unsupported()
        );
        assert_eq!(
            severity_to_sentinel(&Severity::Other("2".into())).unwrap(),
            2
        );
        assert!(severity_to_sentinel(&Severity::Other("7".into())).is_err());
    }

    #[test]
    fn verdicts_live_in_the_resolution() {
        let c = Closure::reason("Locked user account.").with_verdict(Verdict::FalsePositive);
        let text = resolution_for(&c).unwrap();
        assert_eq!(text, "Locked user account.\nVerdict: False Positive");
        assert_eq!(verdict_from_resolution(&text), Some(Verdict::FalsePositive));
        assert_eq!(
            reason_from_resolution(&text).as_deref(),
            Some("Locked user account.")
        );
        assert_eq!(
            resolution_for(&Closure::verdict(Verdict::Benign)).as_deref(),
            Some("Verdict: Benign")
        );
        assert_eq!(reason_from_resolution("Verdict: Benign"), None);
        assert_eq!(resolution_for(&Closure::default()), None);
        assert_eq!(
            verdict_from_resolution("verdict: something new"),
            Some(Verdict::Other("something new".into()))
        );
        assert_eq!(verdict_from_resolution("Locked user account."), None);
        assert_eq!(verdict_from_resolution("Verdict:"), None);
    }
}
