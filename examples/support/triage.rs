//! Triage across vendors: list the open incidents of every source concurrently, merge them
//! by severity and time, and close the top incident of each vendor as a false positive with
//! a note, reporting what each vendor did or why it could not.
//!
//! A vendor that fails (down, unauthorized, too slow) is reported and does not stop the
//! others: every vendor's work runs under its own deadline, and its errors stay its own.

use std::cmp::Ordering;
use std::fmt;
use std::time::Duration;

use futures::TryStreamExt;
use futures::future::join_all;
use incident_core::time::OffsetDateTime;
use incident_core::{
    Closure, Error, ErrorKind, Incident, IncidentQuery, IncidentSource, IncidentStatus,
    IncidentUpdate, Severity, Vendor, Verdict,
};

/// How a triage run works.
#[derive(Debug, Clone)]
pub struct Options {
    /// Incidents asked for per request.
    pub page_size: u32,
    /// How long one vendor may take to list its open incidents, and again to close one.
    pub deadline: Duration,
    /// The note added to each incident closed.
    pub note: String,
    /// The most rows the table shows.
    pub rows: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            page_size: 50,
            deadline: Duration::from_secs(120),
            note: "Closed by the triage example: false positive.".into(),
            rows: 25,
        }
    }
}

/// Why a vendor's step failed.
#[derive(Debug)]
pub enum Failure {
    /// The vendor answered with an error, or could not be reached.
    Error(Error),
    /// The step did not end within the deadline.
    Timeout(Duration),
}

impl Failure {
    /// Whether the vendor refused the credentials (HTTP 401).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Failure::Error(e) if e.kind() == Some(ErrorKind::Unauthorized))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Timeout(d) => write!(f, "timed out after {} s", d.as_secs_f64()),
            Failure::Error(e) => {
                if e.kind() == Some(ErrorKind::Unauthorized) {
                    f.write_str("unauthorized (check the credentials): ")?;
                }
                // The causes the error's own text does not already hold.
                let mut text = e.to_string();
                let mut source = std::error::Error::source(e);
                while let Some(cause) = source {
                    let cause_text = cause.to_string();
                    if !text.contains(&cause_text) {
                        text = format!("{text}: {cause_text}");
                    }
                    source = cause.source();
                }
                f.write_str(&text)
            }
        }
    }
}

async fn within<T>(
    deadline: Duration,
    work: impl Future<Output = incident_core::Result<T>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(deadline, work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(Failure::Error(e)),
        Err(_) => Err(Failure::Timeout(deadline)),
    }
}

/// The query for the open incidents of a source: the open statuses it can filter on (New,
/// In Progress, On Hold); with none of them, everything, left to [`is_open`] to sort out.
pub fn open_query(source: &dyn IncidentSource, page_size: u32) -> IncidentQuery {
    let caps = source.capabilities();
    let mut query = IncidentQuery::new().page_size(page_size);
    for status in [
        IncidentStatus::New,
        IncidentStatus::InProgress,
        IncidentStatus::OnHold,
    ] {
        if caps.filters_status(&status) {
            query = query.status(status);
        }
    }
    query
}

/// Whether an incident waits for work: neither resolved nor closed, nor in a vendor status
/// of its own (QRadar's Hidden, Skyhigh's Suppressed).
pub fn is_open(incident: &Incident) -> bool {
    matches!(
        incident.status,
        IncidentStatus::New
            | IncidentStatus::InProgress
            | IncidentStatus::OnHold
            | IncidentStatus::Unknown
    )
}

/// Every open incident of a source, walked page by page through its stream.
///
/// # Errors
///
/// [`Failure::Error`] for the source's error, [`Failure::Timeout`] past the deadline.
pub async fn list_open(
    source: &dyn IncidentSource,
    options: &Options,
) -> Result<Vec<Incident>, Failure> {
    let query = open_query(source, options.page_size);
    let listed: Vec<Incident> = within(
        options.deadline,
        source.stream_incidents(query).try_collect(),
    )
    .await?;
    Ok(listed.into_iter().filter(is_open).collect())
}

fn severity_rank(severity: &Severity) -> u8 {
    match severity.ocsf_id() {
        99 => 0,
        n => n,
    }
}

fn time_of(incident: &Incident) -> Option<OffsetDateTime> {
    incident.created.or(incident.updated)
}

/// The triage order: the most severe first; among equals the oldest first (it has waited
/// longest), incidents without a time last; then by vendor and id, so the order is stable.
pub fn triage_order(a: &Incident, b: &Incident) -> Ordering {
    severity_rank(&b.severity)
        .cmp(&severity_rank(&a.severity))
        .then_with(|| match (time_of(a), time_of(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.vendor.name().cmp(b.vendor.name()))
        .then_with(|| a.id.cmp(&b.id))
}

/// The incidents of every vendor in one list, in [`triage_order`].
pub fn merge(lists: impl IntoIterator<Item = Vec<Incident>>) -> Vec<Incident> {
    let mut all: Vec<Incident> = lists.into_iter().flatten().collect();
    all.sort_by(triage_order);
    all
}

/// How long ago `since` was, as `3d 4h`, `5h 12m`, `7m` or `-` when unknown.
pub fn age(since: Option<OffsetDateTime>, now: OffsetDateTime) -> String {
    let Some(since) = since else {
        return "-".into();
    };
    let minutes = (now - since).whole_minutes().max(0);
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {minutes}m")
    } else {
        format!("{minutes}m")
    }
}

fn clip(text: &str, width: usize) -> String {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() <= width {
        text
    } else {
        let mut clipped: String = text.chars().take(width - 1).collect();
        clipped.push('…');
        clipped
    }
}

/// The table of the first `rows` incidents: vendor, id, severity, status, age, title.
pub fn table(incidents: &[Incident], rows: usize, now: OffsetDateTime) -> String {
    let mut out = format!(
        "{:<13} {:<38} {:<13} {:<12} {:>9}  {}\n",
        "VENDOR", "ID", "SEVERITY", "STATUS", "AGE", "TITLE"
    );
    for i in incidents.iter().take(rows) {
        out.push_str(&format!(
            "{:<13} {:<38} {:<13} {:<12} {:>9}  {}\n",
            i.vendor.name(),
            clip(&i.id, 38),
            clip(i.severity.caption(), 13),
            clip(i.status.caption(), 12),
            age(time_of(i), now),
            clip(&i.title, 60)
        ));
    }
    if incidents.len() > rows {
        out.push_str(&format!(
            "... and {} more open incidents\n",
            incidents.len() - rows
        ));
    }
    out
}

/// What closing one vendor's top incident came to.
#[derive(Debug)]
pub enum Outcome {
    /// Closed. `refused` holds what the vendor refused first (its `Unsupported` errors), and
    /// `dropped` the parts left out to close anyway.
    Closed {
        /// The incident as it is after the close.
        incident: Box<Incident>,
        /// The vendor's refusals of the full change.
        refused: Vec<String>,
        /// What the close went without (the verdict, the note).
        dropped: Vec<&'static str>,
    },
    /// The vendor cannot close it through the normalized interface.
    NotClosed {
        /// The incident.
        id: String,
        /// Why.
        reasons: Vec<String>,
    },
    /// The vendor failed.
    Failed {
        /// The incident.
        id: String,
        /// How.
        failure: Failure,
    },
}

/// Closes `incident` as a false positive with `note`. What the vendor cannot do gives
/// `Unsupported` before anything is sent; it is reported, and the close is tried again
/// without the parts the vendor's capabilities rule out (the verdict, the note).
pub async fn close_false_positive(
    source: &dyn IncidentSource,
    incident: &Incident,
    options: &Options,
) -> Outcome {
    let id = incident.id.clone();
    let caps = source.capabilities();
    let full = IncidentUpdate::new()
        .close(Closure::verdict(Verdict::FalsePositive))
        .note(options.note.clone());
    let refusal = match within(options.deadline, source.update_incident(&id, &full)).await {
        Ok(incident) => {
            return Outcome::Closed {
                incident: Box::new(incident),
                refused: Vec::new(),
                dropped: Vec::new(),
            };
        }
        Err(Failure::Error(e)) if e.is_unsupported() => e.to_string(),
        Err(failure) => return Outcome::Failed { id, failure },
    };
    let mut reasons = vec![refusal];
    let mut dropped = Vec::new();
    let mut closure = Closure::default();
    if caps.records_verdict(&Verdict::FalsePositive) {
        closure = Closure::verdict(Verdict::FalsePositive);
    } else {
        dropped.push("the False Positive verdict");
    }
    let mut update = IncidentUpdate::new().close(closure);
    if caps.notes {
        update = update.note(options.note.clone());
    } else {
        dropped.push("the note");
    }
    if !caps.close {
        reasons.push("the vendor cannot close incidents".into());
        return Outcome::NotClosed { id, reasons };
    }
    if dropped.is_empty() {
        return Outcome::NotClosed { id, reasons };
    }
    if caps.close_requires_reason && !caps.records_verdict(&Verdict::FalsePositive) {
        reasons.push("a close needs a vendor close reason, which this triage does not pick".into());
        return Outcome::NotClosed { id, reasons };
    }
    match within(options.deadline, source.update_incident(&id, &update)).await {
        Ok(incident) => Outcome::Closed {
            incident: Box::new(incident),
            refused: reasons,
            dropped,
        },
        Err(Failure::Error(e)) if e.is_unsupported() => {
            reasons.push(e.to_string());
            Outcome::NotClosed { id, reasons }
        }
        Err(failure) => Outcome::Failed { id, failure },
    }
}

/// What happened with one vendor.
#[derive(Debug)]
pub struct VendorReport {
    /// The vendor.
    pub vendor: Vendor,
    /// How many open incidents it listed, or why it could not.
    pub listed: Result<usize, Failure>,
    /// The close of its top incident, when it had one.
    pub outcome: Option<Outcome>,
}

impl fmt::Display for VendorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let vendor = self.vendor;
        let count = match &self.listed {
            Err(failure) => return write!(f, "{vendor}: listing failed: {failure}"),
            Ok(n) => *n,
        };
        match &self.outcome {
            None => write!(f, "{vendor}: {count} open incidents; nothing to close"),
            Some(Outcome::Closed {
                incident,
                refused,
                dropped,
            }) => {
                write!(
                    f,
                    "{vendor}: {count} open; closed {} ({}), status {}, verdict {}, close reason {}",
                    incident.id,
                    clip(&incident.title, 40),
                    incident.status,
                    incident.verdict.as_ref().map_or("-", |v| v.caption()),
                    incident.close_reason.as_deref().unwrap_or("-")
                )?;
                if dropped.is_empty() {
                    f.write_str(", with the note")
                } else {
                    write!(
                        f,
                        ", without {} (refused: {})",
                        dropped.join(" and "),
                        refused.join("; ")
                    )
                }
            }
            Some(Outcome::NotClosed { id, reasons }) => write!(
                f,
                "{vendor}: {count} open; could not close {id}: {}",
                reasons.join("; ")
            ),
            Some(Outcome::Failed { id, failure }) => {
                write!(f, "{vendor}: {count} open; closing {id} failed: {failure}")
            }
        }
    }
}

impl VendorReport {
    /// Whether this vendor failed (listing or closing), rather than did what it can.
    pub fn failed(&self) -> bool {
        self.listed.is_err() || matches!(self.outcome, Some(Outcome::Failed { .. }))
    }
}

/// What a run did: the merged open incidents and each vendor's report, in the order of the
/// sources.
#[derive(Debug)]
pub struct Triage {
    /// Every open incident listed, in [`triage_order`].
    pub incidents: Vec<Incident>,
    /// One report per source.
    pub vendors: Vec<VendorReport>,
}

/// Lists the open incidents of every source concurrently, merges them, and closes the top
/// incident of each vendor concurrently (see [`close_false_positive`]).
pub async fn run(sources: &[&dyn IncidentSource], options: &Options) -> Triage {
    let listings = join_all(sources.iter().map(|s| list_open(*s, options))).await;
    let mut lists = Vec::new();
    let mut counts = Vec::new();
    for listing in listings {
        match listing {
            Ok(list) => {
                counts.push(Ok(list.len()));
                lists.push(list);
            }
            Err(failure) => {
                counts.push(Err(failure));
                lists.push(Vec::new());
            }
        }
    }
    let incidents = merge(lists);
    let closes = join_all(sources.iter().map(|source| {
        let top = incidents.iter().find(|i| i.vendor == source.vendor());
        async move {
            match top {
                Some(top) => Some(close_false_positive(*source, top, options).await),
                None => None,
            }
        }
    }))
    .await;
    let vendors = sources
        .iter()
        .zip(counts)
        .zip(closes)
        .map(|((source, listed), outcome)| VendorReport {
            vendor: source.vendor(),
            outcome: if listed.is_ok() { outcome } else { None },
            listed,
        })
        .collect();
    Triage { incidents, vendors }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incident_core::time::Duration as Span;

    /// Day `day` at `h:m`, counted from the Unix epoch.
    fn at(day: i64, h: i64, m: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Span::days(day) + Span::hours(h) + Span::minutes(m)
    }

    fn incident(vendor: Vendor, id: &str, severity: Severity, day: u8) -> Incident {
        let mut i = Incident::new(vendor, id, "t", serde_json::json!({}));
        i.severity = severity;
        i.created = Some(at(i64::from(day), 0, 0));
        i
    }

    #[test]
    fn most_severe_first_then_oldest() {
        let merged = merge([
            vec![
                incident(qradar_client::QRADAR, "1", Severity::Low, 1),
                incident(qradar_client::QRADAR, "2", Severity::Critical, 5),
            ],
            vec![
                incident(skyhigh_client::SKYHIGH, "A", Severity::Critical, 2),
                incident(skyhigh_client::SKYHIGH, "B", Severity::Other("x".into()), 0),
                incident(skyhigh_client::SKYHIGH, "C", Severity::Unknown, 0),
            ],
        ]);
        let ids: Vec<&str> = merged.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["A", "2", "1", "B", "C"]);
    }

    #[test]
    fn ages() {
        let now = at(3, 5, 30);
        assert_eq!(age(Some(at(1, 1, 0)), now), "2d 4h");
        assert_eq!(age(Some(at(3, 1, 10)), now), "4h 20m");
        assert_eq!(age(Some(at(3, 5, 28)), now), "2m");
        assert_eq!(age(Some(at(4, 0, 0)), now), "0m");
        assert_eq!(age(None, now), "-");
    }
}
