#![doc = include_str!("normalize.md")]

use async_trait::async_trait;
use incident_core::source::{Query, Update};
use incident_core::{
    AssigneeChange, Capabilities, Closure, Cursor, Error, Incident, IncidentPage, IncidentSource,
    IncidentStatus, Result, Severity, StatusChange, TimeField, Verdict,
};

use crate::client::{EsetClient, VENDOR};
use crate::filter::Filter;
use crate::incidents::MAX_PAGE_SIZE;
use crate::model::{
    Incident as EsetIncident, IncidentSeverity, IncidentStatus as EsetStatus, ResolveReason,
};

/// The page size the normalized listing uses unless the query sets one.
pub const NORMALIZED_PAGE_SIZE: u32 = 100;

/// The normalized status of an ESET status (see the module table).
pub fn status_from_eset(status: Option<&EsetStatus>) -> IncidentStatus {
    match status {
        None | Some(EsetStatus::Unspecified) => IncidentStatus::Unknown,
        Some(EsetStatus::Open) => IncidentStatus::New,
        Some(EsetStatus::InProgress) => IncidentStatus::InProgress,
        Some(EsetStatus::WaitingForInput) => IncidentStatus::OnHold,
        Some(EsetStatus::Closed) => IncidentStatus::Closed,
        Some(other) => IncidentStatus::Other(other.as_str().to_owned()),
    }
}

/// The ESET status a normalized status filters on; `None` for statuses ESET does not have.
pub fn status_to_eset(status: &IncidentStatus) -> Option<EsetStatus> {
    match status {
        IncidentStatus::New => Some(EsetStatus::Open),
        IncidentStatus::InProgress => Some(EsetStatus::InProgress),
        IncidentStatus::OnHold => Some(EsetStatus::WaitingForInput),
        IncidentStatus::Closed => Some(EsetStatus::Closed),
        IncidentStatus::Other(value) => match EsetStatus::from_wire(value) {
            EsetStatus::Unknown(v)
                if v.starts_with("INCIDENT_STATUS_")
                    && v.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') =>
            {
                Some(EsetStatus::Unknown(v))
            }
            EsetStatus::Unknown(_) | EsetStatus::Unspecified => None,
            known => Some(known),
        },
        _ => None,
    }
}

/// The normalized severity of an ESET severity.
pub fn severity_from_eset(severity: Option<&IncidentSeverity>) -> Severity {
    match severity {
        None | Some(IncidentSeverity::Unspecified) => Severity::Unknown,
        Some(IncidentSeverity::Low) => Severity::Low,
        Some(IncidentSeverity::Medium) => Severity::Medium,
        Some(IncidentSeverity::High) => Severity::High,
        Some(other) => Severity::Other(other.as_str().to_owned()),
    }
}

/// The ESET severity of a normalized one; `None` for those ESET does not have.
pub fn severity_to_eset(severity: &Severity) -> Option<IncidentSeverity> {
    match severity {
        Severity::Low => Some(IncidentSeverity::Low),
        Severity::Medium => Some(IncidentSeverity::Medium),
        Severity::High => Some(IncidentSeverity::High),
        _ => None,
    }
}

/// The verdict a resolve reason records.
pub fn verdict_from_eset(reason: Option<&ResolveReason>) -> Option<Verdict> {
    match reason? {
        ResolveReason::Unspecified => None,
        ResolveReason::TruePositive => Some(Verdict::TruePositive),
        ResolveReason::FalsePositive => Some(Verdict::FalsePositive),
        ResolveReason::Suspicious => Some(Verdict::Suspicious),
        other => Some(Verdict::Other(other.as_str().to_owned())),
    }
}

/// The resolve reason that records a verdict; `None` for verdicts ESET has no reason for.
pub fn verdict_to_eset(verdict: &Verdict) -> Option<ResolveReason> {
    match verdict {
        Verdict::TruePositive => Some(ResolveReason::TruePositive),
        Verdict::FalsePositive => Some(ResolveReason::FalsePositive),
        Verdict::Suspicious => Some(ResolveReason::Suspicious),
        _ => None,
    }
}

/// Converts an ESET incident to a normalized one (see the module table).
///
/// # Errors
///
/// [`Error::Protocol`] for an incident without a uuid.
pub fn incident_from_eset(incident: EsetIncident) -> Result<Incident> {
    let id = incident
        .uuid
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::protocol(VENDOR, "an incident without a uuid"))?;
    let title = incident
        .display_name
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map_or_else(|| format!("Incident {id}"), str::to_owned);
    let mut out = Incident::new(VENDOR, id, title, incident.clone());
    out.description = incident
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    out.status = status_from_eset(incident.status.as_ref());
    out.severity = severity_from_eset(incident.severity.as_ref());
    out.assignee = incident.assignee_uuid.clone().filter(|a| !a.is_empty());
    out.created = incident.create_time;
    out.updated = incident.update_time;
    out.verdict = verdict_from_eset(incident.resolve_reason.as_ref());
    out.close_reason = incident
        .resolve_reason
        .as_ref()
        .filter(|r| **r != ResolveReason::Unspecified)
        .map(|r| r.as_str().to_owned());
    Ok(out)
}

/// The resolve reason of a normalized close: from the verdict, from a reason naming one, or
/// both when they agree.
fn closure_reason(closure: &Closure) -> Result<ResolveReason> {
    let from_verdict = match &closure.verdict {
        None => None,
        Some(v) => Some(verdict_to_eset(v).ok_or_else(|| {
            Error::unsupported(
                VENDOR,
                format!(
                    "the verdict {v} (ESET records true positive, false positive or suspicious)"
                ),
            )
        })?),
    };
    let from_reason = match closure.reason.as_deref() {
        None => None,
        Some(text) => Some(ResolveReason::from_name(text).ok_or_else(|| {
            Error::invalid_input(
                "close reason",
                format!("{text:?} is not an ESET resolve reason (TRUE_POSITIVE, FALSE_POSITIVE, SUSPICIOUS)"),
            )
        })?),
    };
    match (from_verdict, from_reason) {
        (Some(a), Some(b)) if a != b => Err(Error::invalid_input(
            "close reason",
            format!(
                "the verdict says {}, the reason {}",
                a.short_name(),
                b.short_name()
            ),
        )),
        (Some(r), _) | (None, Some(r)) => Ok(r),
        (None, None) => Err(Error::invalid_input(
            "close",
            "ESET closes with a reason: give a verdict (false positive, true positive, suspicious)",
        )),
    }
}

#[async_trait]
impl IncidentSource for EsetClient {
    incident_core::source_identity!(VENDOR);

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::none();
        caps.settable_statuses = vec![IncidentStatus::New];
        caps.close = true;
        caps.close_requires_reason = true;
        caps.verdict = true;
        caps.verdicts = vec![
            Verdict::FalsePositive,
            Verdict::TruePositive,
            Verdict::Suspicious,
        ];
        caps.assign = true;
        caps.unassign = true;
        caps.set_severity = true;
        caps.severities = vec![Severity::Low, Severity::Medium, Severity::High];
        caps.notes = true;
        caps.time_fields = vec![TimeField::Created, TimeField::Updated];
        caps.filter_statuses = vec![
            IncidentStatus::New,
            IncidentStatus::InProgress,
            IncidentStatus::OnHold,
            IncidentStatus::Closed,
        ];
        caps
    }

    async fn list_page(&self, query: Query<'_>, cursor: Option<&Cursor>) -> Result<IncidentPage> {
        let mut filter: Option<Filter> = None;
        let mut add = |f: Filter| {
            filter = Some(match filter.take() {
                None => f,
                Some(g) => g.and(f),
            });
        };
        if !query.statuses.is_empty() {
            let statuses = query
                .statuses
                .iter()
                .map(|s| {
                    status_to_eset(s).ok_or_else(|| {
                        Error::unsupported(VENDOR, format!("filtering on the status {s}"))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            add(Filter::status_in(statuses));
        }
        if let Some(window) = &query.window {
            let created = window.field == TimeField::Created;
            if let Some(from) = window.from {
                add(if created {
                    Filter::created_at_or_after(from)
                } else {
                    Filter::updated_at_or_after(from)
                });
            }
            if let Some(to) = window.to {
                add(if created {
                    Filter::created_before(to)
                } else {
                    Filter::updated_before(to)
                });
            }
        }
        let mut size = query
            .page_size
            .unwrap_or(NORMALIZED_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE);
        if let Some(limit) = query.limit {
            size = size.min(u32::try_from(limit).unwrap_or(u32::MAX).max(1));
        }
        let mut list = self
            .incidents()
            .list()
            .order_by("create_time")
            .page_size(size);
        if let Some(filter) = filter {
            list = list.filter(filter);
        }
        if let Some(cursor) = cursor {
            list = list.page_token(cursor.as_str());
        }
        let page = list.send().await?;
        let next = page.next_token().map(Cursor::new);
        let items = page
            .incidents
            .into_iter()
            .map(incident_from_eset)
            .collect::<Result<Vec<_>>>()?;
        Ok(IncidentPage::new(items, next, None))
    }

    async fn get_incident(&self, id: &str) -> Result<Incident> {
        incident_from_eset(self.incidents().get(id).await?)
    }

    async fn apply_update(&self, id: &str, update: Update<'_>) -> Result<Incident> {
        // Everything that can be refused is refused before the first request.
        let severity = match &update.severity {
            None => None,
            Some(s) => Some(severity_to_eset(s).ok_or_else(|| {
                Error::unsupported(
                    VENDOR,
                    format!("the severity {s} (ESET has Low, Medium and High)"),
                )
            })?),
        };
        let close = match &update.status {
            Some(StatusChange::Close(closure)) => Some(closure_reason(closure)?),
            _ => None,
        };
        if let Some(note) = &update.note
            && note.trim().is_empty()
        {
            return Err(Error::invalid_input("note", "the note is empty"));
        }
        let reopen_asked = matches!(&update.status, Some(StatusChange::Set(IncidentStatus::New)));
        let unassign = matches!(update.assignee, Some(AssigneeChange::Unassign));

        let mut current: Option<EsetIncident> = None;
        if reopen_asked || unassign {
            let incident = self.incidents().get(id).await?;
            let status = incident.status.clone();
            if reopen_asked {
                match status {
                    Some(EsetStatus::Closed) => {}
                    Some(EsetStatus::Open) => {}
                    other => {
                        return Err(Error::invalid_input(
                            "status change",
                            format!(
                                "ESET reopens closed incidents only; this one is {}",
                                other
                                    .as_ref()
                                    .map_or("of unknown status", |s| s.short_name())
                            ),
                        ));
                    }
                }
            }
            let will_be_open = matches!(status, Some(EsetStatus::Open))
                || (reopen_asked && matches!(status, Some(EsetStatus::Closed)));
            if unassign && !will_be_open {
                return Err(Error::invalid_input(
                    "assignee",
                    format!(
                        "ESET keeps an assignee on an incident that is not Open; this one is {}",
                        status
                            .as_ref()
                            .map_or("of unknown status", |s| s.short_name())
                    ),
                ));
            }
            current = Some(incident);
        }

        if reopen_asked && current.as_ref().is_some_and(EsetIncident::is_closed) {
            current = self.incidents().reopen(id).await?;
        }
        if update.assignee.is_some() || severity.is_some() {
            let mut change = self.incidents().update(id);
            match &update.assignee {
                Some(AssigneeChange::Assign(user)) => change = change.assignee(user.clone()),
                Some(AssigneeChange::Unassign) => change = change.unassign(),
                _ => {}
            }
            if let Some(severity) = severity {
                change = change.severity(severity);
            }
            current = Some(change.send().await?);
        }
        match (close, &update.note) {
            (Some(reason), note) => {
                let mut closing = self.incidents().close(id, reason);
                if let Some(note) = note {
                    closing = closing.final_comment(note.clone());
                }
                current = closing.send().await?;
            }
            (None, Some(note)) => {
                self.incidents().comments(id).create(note.clone()).await?;
                // The comment may have moved `updateTime`: read the incident again.
                current = None;
            }
            (None, None) => {}
        }
        let incident = match current {
            Some(incident) => incident,
            None => self.incidents().get(id).await?,
        };
        incident_from_eset(incident)
    }
}

#[cfg(test)]
mod tests {
    use incident_core::mapping::{OCSF_SEVERITIES, OCSF_STATUSES, OCSF_VERDICTS};
    use incident_testkit::{doc_table, every_variant};

    use super::*;

    /// The module's docs: the tables checked here are the ones readers see.
    const DOC: &str = include_str!("normalize.md");

    /// Checks a documented table from normalized values (`prefix` and the `Debug` name, or
    /// `any other` for the values no other row names) to the ESET values `to_eset` gives
    /// (their wire names, `unsupported` for `None`), and that it covers `every` value.
    fn check_from_normalized<N: std::fmt::Debug>(
        heading: &str,
        prefix: &str,
        every: impl IntoIterator<Item = N>,
        to_eset: impl Fn(&N) -> Option<String>,
    ) {
        let rows = doc_table(DOC, heading);
        let other = rows.iter().find(|row| row[0] == "any other");
        for value in every {
            let name = format!("{prefix}::{value:?}");
            let row = rows
                .iter()
                .find(|row| row[0] == name)
                .or(other)
                .unwrap_or_else(|| panic!("{heading}: {name} is not documented"));
            let eset = to_eset(&value).unwrap_or_else(|| "unsupported".to_owned());
            assert_eq!(eset, row[1], "{heading}: {name}");
        }
    }

    #[test]
    fn the_documented_statuses_are_the_mapping() {
        let rows = doc_table(DOC, "Status: ESET → normalized");
        for row in &rows {
            let status = status_from_eset(Some(&EsetStatus::from_wire(&row[0])));
            assert_eq!(format!("IncidentStatus::{status:?}"), row[1], "{row:?}");
        }
        let statuses = every_variant!(
            EsetStatus: Unspecified, Open, InProgress, WaitingForInput, Closed;
            not EsetStatus::Unknown(_)
        );
        for status in statuses {
            assert!(
                rows.iter().any(|row| row[0] == status.as_str()),
                "the status {status} is not documented"
            );
        }
        check_from_normalized(
            "Status: normalized → ESET",
            "IncidentStatus",
            OCSF_STATUSES,
            |s| status_to_eset(s).map(|e| e.as_str().to_owned()),
        );
    }

    #[test]
    fn the_documented_severities_are_the_mapping() {
        let rows = doc_table(DOC, "Severity: ESET → normalized");
        for row in &rows {
            let severity = severity_from_eset(Some(&IncidentSeverity::from_wire(&row[0])));
            assert_eq!(format!("Severity::{severity:?}"), row[1], "{row:?}");
        }
        let severities = every_variant!(
            IncidentSeverity: Unspecified, Low, Medium, High;
            not IncidentSeverity::Unknown(_)
        );
        for severity in severities {
            assert!(
                rows.iter().any(|row| row[0] == severity.as_str()),
                "the severity {severity} is not documented"
            );
        }
        check_from_normalized(
            "Severity: normalized → ESET",
            "Severity",
            OCSF_SEVERITIES,
            |s| severity_to_eset(s).map(|e| e.as_str().to_owned()),
        );
    }

    #[test]
    fn the_documented_verdicts_are_the_mapping() {
        let rows = doc_table(DOC, "Verdict: ESET → normalized");
        for row in &rows {
            let verdict = verdict_from_eset(Some(&ResolveReason::from_wire(&row[0])))
                .map_or_else(|| "none".to_owned(), |v| format!("Verdict::{v:?}"));
            assert_eq!(verdict, row[1], "{row:?}");
        }
        let reasons = every_variant!(
            ResolveReason: Unspecified, TruePositive, FalsePositive, Suspicious;
            not ResolveReason::Unknown(_)
        );
        for reason in reasons {
            assert!(
                rows.iter().any(|row| row[0] == reason.as_str()),
                "the resolve reason {reason} is not documented"
            );
        }
        check_from_normalized(
            "Verdict: normalized → ESET",
            "Verdict",
            OCSF_VERDICTS,
            |v| verdict_to_eset(v).map(|e| e.as_str().to_owned()),
        );
    }

    #[test]
    fn statuses_both_ways() {
        for (eset, normalized) in [
            (EsetStatus::Open, IncidentStatus::New),
            (EsetStatus::InProgress, IncidentStatus::InProgress),
            (EsetStatus::WaitingForInput, IncidentStatus::OnHold),
            (EsetStatus::Closed, IncidentStatus::Closed),
        ] {
            assert_eq!(status_from_eset(Some(&eset)), normalized);
            assert_eq!(status_to_eset(&normalized), Some(eset));
        }
        assert_eq!(status_from_eset(None), IncidentStatus::Unknown);
        assert_eq!(
            status_from_eset(Some(&EsetStatus::Unspecified)),
            IncidentStatus::Unknown
        );
        let new = EsetStatus::from_wire("INCIDENT_STATUS_ARCHIVED");
        let other = status_from_eset(Some(&new));
        assert_eq!(
            other,
            IncidentStatus::Other("INCIDENT_STATUS_ARCHIVED".into())
        );
        assert_eq!(status_to_eset(&other), Some(new));
        assert_eq!(status_to_eset(&IncidentStatus::Resolved), None);
        assert_eq!(
            status_to_eset(&IncidentStatus::Other("x] || y".into())),
            None
        );
    }

    #[test]
    fn severities_and_verdicts() {
        assert_eq!(
            severity_from_eset(Some(&IncidentSeverity::High)),
            Severity::High
        );
        assert_eq!(severity_to_eset(&Severity::Critical), None);
        assert_eq!(
            verdict_from_eset(Some(&ResolveReason::Suspicious)),
            Some(Verdict::Suspicious)
        );
        assert_eq!(verdict_from_eset(Some(&ResolveReason::Unspecified)), None);
        assert_eq!(verdict_to_eset(&Verdict::Benign), None);
    }

    #[test]
    fn closure_reasons() {
        assert_eq!(
            closure_reason(&Closure::verdict(Verdict::FalsePositive)).unwrap(),
            ResolveReason::FalsePositive
        );
        assert_eq!(
            closure_reason(&Closure::reason("true positive")).unwrap(),
            ResolveReason::TruePositive
        );
        assert_eq!(
            closure_reason(&Closure::reason("SUSPICIOUS").with_verdict(Verdict::Suspicious))
                .unwrap(),
            ResolveReason::Suspicious
        );
        assert!(
            closure_reason(&Closure::verdict(Verdict::Benign))
                .unwrap_err()
                .is_unsupported()
        );
        for bad in [
            Closure::default(),
            Closure::reason("Non-Issue"),
            Closure::reason("FALSE_POSITIVE").with_verdict(Verdict::TruePositive),
        ] {
            assert!(
                matches!(closure_reason(&bad), Err(Error::InvalidInput { .. })),
                "{bad:?}"
            );
        }
    }
}
