//! A source of incidents that is none of the vendors: a team's own ticket queue, in memory,
//! with its own states, priorities, resolutions and identity, made an [`IncidentSource`]
//! entirely outside incident-core.
//!
//! The queue is what a team would have (a table in its own database, an internal tracker);
//! the mapping to the normalized model lives here, beside it, and incident-core names no
//! part of it. [`TICKETS`] is the queue's identity, made with [`Vendor::new`] as every vendor
//! crate makes its own.
//!
//! | ticket | normalized |
//! |---|---|
//! | [`TicketState::Open`] | [`IncidentStatus::New`] |
//! | [`TicketState::Working`] | [`IncidentStatus::InProgress`] |
//! | [`TicketState::Waiting`] | [`IncidentStatus::OnHold`] |
//! | [`TicketState::Escalated`] | [`IncidentStatus::Other`]`("Escalated")` |
//! | [`TicketState::Done`] | [`IncidentStatus::Closed`] |
//! | [`Priority::P1`] to [`Priority::P4`] | [`Severity::Critical`], `High`, `Medium`, `Low` |
//! | [`Resolution::Fixed`] | [`Verdict::TruePositive`] |
//! | [`Resolution::FalseAlarm`] | [`Verdict::FalsePositive`] |
//! | [`Resolution::Expected`] | [`Verdict::Benign`] |
//! | [`Resolution::Duplicate`] | [`Verdict::Duplicate`] |
//! | `owner` | the assignee, by user name |
//! | `resolution_note` | the close reason |
//! | `comments` | notes |

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use incident_core::source::{Query, Update};
use incident_core::time::{Duration, OffsetDateTime};
use incident_core::{
    AssigneeChange, Capabilities, Cursor, Error, Incident, IncidentPage, IncidentSource,
    IncidentStatus, IncidentUpdate, Result, Severity, StatusChange, TimeField, Vendor, Verdict,
};
use serde::Serialize;

/// The identity of the ticket queue: its key goes into sync checkpoints, its product into
/// the OCSF export.
pub const TICKETS: Vendor =
    Vendor::new("acme-tickets", "ACME Tickets").product("Ticket Queue", "ACME");

/// The most tickets one page holds, whatever was asked.
pub const MAX_PAGE_SIZE: u32 = 500;

/// The page size when the query names none.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// The prefix of a ticket's id: ticket 7 is `TCK-7`.
const ID_PREFIX: &str = "TCK-";

/// The prefix of a listing cursor: the page after ticket 7 starts at `after:7`.
const CURSOR_PREFIX: &str = "after:";

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// Nobody works on it yet.
    Open,
    /// Someone works on it.
    Working,
    /// Waiting for someone outside the team.
    Waiting,
    /// Handed to another team; no OCSF status says that.
    Escalated,
    /// Finished, with or without a resolution.
    Done,
}

/// The name of [`TicketState::Escalated`] as a normalized status of its own.
pub const ESCALATED: &str = "Escalated";

impl TicketState {
    /// The normalized status.
    pub fn status(self) -> IncidentStatus {
        match self {
            TicketState::Open => IncidentStatus::New,
            TicketState::Working => IncidentStatus::InProgress,
            TicketState::Waiting => IncidentStatus::OnHold,
            TicketState::Escalated => IncidentStatus::Other(ESCALATED.into()),
            TicketState::Done => IncidentStatus::Closed,
        }
    }

    /// The state a normalized status stands for, `None` for one the queue does not have.
    pub fn from_status(status: &IncidentStatus) -> Option<TicketState> {
        [
            TicketState::Open,
            TicketState::Working,
            TicketState::Waiting,
            TicketState::Escalated,
            TicketState::Done,
        ]
        .into_iter()
        .find(|state| state.status().same_as(status))
    }
}

/// How urgent a ticket is, P1 first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Priority {
    /// Drop everything.
    P1,
    /// Today.
    P2,
    /// This week.
    P3,
    /// When there is time.
    P4,
}

impl Priority {
    /// The normalized severity.
    pub fn severity(self) -> Severity {
        match self {
            Priority::P1 => Severity::Critical,
            Priority::P2 => Severity::High,
            Priority::P3 => Severity::Medium,
            Priority::P4 => Severity::Low,
        }
    }

    /// The priority of a normalized severity: the four the queue has, or its own names
    /// (`Severity::Other("P2")`); `None` for any other.
    pub fn from_severity(severity: &Severity) -> Option<Priority> {
        match severity {
            Severity::Critical => Some(Priority::P1),
            Severity::High => Some(Priority::P2),
            Severity::Medium => Some(Priority::P3),
            Severity::Low => Some(Priority::P4),
            Severity::Other(name) => match name.trim().to_ascii_uppercase().as_str() {
                "P1" => Some(Priority::P1),
                "P2" => Some(Priority::P2),
                "P3" => Some(Priority::P3),
                "P4" => Some(Priority::P4),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Why a ticket was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// A real problem, fixed.
    Fixed,
    /// Nothing happened: the alert was wrong.
    FalseAlarm,
    /// It happened, and was meant to.
    Expected,
    /// Another ticket covers it.
    Duplicate,
}

impl Resolution {
    /// Every resolution, in the order of the verdicts they record.
    pub const ALL: [Resolution; 4] = [
        Resolution::FalseAlarm,
        Resolution::Fixed,
        Resolution::Expected,
        Resolution::Duplicate,
    ];

    /// The normalized verdict.
    pub fn verdict(self) -> Verdict {
        match self {
            Resolution::Fixed => Verdict::TruePositive,
            Resolution::FalseAlarm => Verdict::FalsePositive,
            Resolution::Expected => Verdict::Benign,
            Resolution::Duplicate => Verdict::Duplicate,
        }
    }

    /// The resolution that records `verdict`, `None` for a verdict the queue cannot record.
    pub fn from_verdict(verdict: &Verdict) -> Option<Resolution> {
        Resolution::ALL
            .into_iter()
            .find(|r| r.verdict() == *verdict)
    }
}

/// A comment on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    /// What it says.
    pub text: String,
    /// When it was written.
    #[serde(with = "incident_core::time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A ticket, as the queue keeps it: the vendor record of its incidents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ticket {
    /// The ticket's number, from 1.
    pub number: u64,
    /// One line.
    pub summary: String,
    /// More, when there is more.
    pub details: Option<String>,
    /// Where it stands.
    pub state: TicketState,
    /// How urgent it is.
    pub priority: Priority,
    /// The user name of whoever owns it.
    pub owner: Option<String>,
    /// When it was opened.
    #[serde(with = "incident_core::time::serde::rfc3339")]
    pub opened: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "incident_core::time::serde::rfc3339")]
    pub changed: OffsetDateTime,
    /// When it was done.
    #[serde(with = "incident_core::time::serde::rfc3339::option")]
    pub done: Option<OffsetDateTime>,
    /// Why it was done.
    pub resolution: Option<Resolution>,
    /// What whoever closed it wrote.
    pub resolution_note: Option<String>,
    /// Comments, oldest first.
    pub comments: Vec<Comment>,
}

impl Ticket {
    /// The ticket's id as an incident: `TCK-<number>`.
    pub fn id(&self) -> String {
        format!("{ID_PREFIX}{}", self.number)
    }

    /// The ticket as a normalized incident; the ticket itself is its record.
    pub fn to_incident(&self) -> Incident {
        let mut incident = Incident::new(TICKETS, self.id(), self.summary.clone(), self.clone());
        incident.description = self.details.clone();
        incident.status = self.state.status();
        incident.severity = self.priority.severity();
        incident.assignee = self.owner.clone();
        incident.created = Some(self.opened);
        incident.updated = Some(self.changed);
        incident.closed = self.done;
        incident.verdict = self.resolution.map(Resolution::verdict);
        incident.close_reason = self.resolution_note.clone();
        incident
    }

    fn time(&self, field: TimeField) -> OffsetDateTime {
        match field {
            TimeField::Created => self.opened,
            _ => self.changed,
        }
    }
}

/// The number of a ticket id (`TCK-7` is 7).
///
/// # Errors
///
/// [`Error::InvalidInput`] for anything else.
pub fn parse_id(id: &str) -> Result<u64> {
    id.strip_prefix(ID_PREFIX)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| Error::invalid_input("ticket id", format!("{id:?} is not TCK-<number>")))
}

#[derive(Debug, Default)]
struct Queue {
    tickets: BTreeMap<u64, Ticket>,
    last: u64,
}

/// An in-memory ticket queue: cheap to clone (clones share the tickets), safe to share
/// between tasks.
#[derive(Clone, Default)]
pub struct TicketQueue {
    queue: Arc<Mutex<Queue>>,
}

impl fmt::Debug for TicketQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketQueue")
            .field("tickets", &self.lock().tickets.len())
            .finish()
    }
}

/// What the seeded tickets are about, in turn.
const SUMMARIES: [&str; 12] = [
    "Phishing report from finance",
    "Impossible travel for j.doe",
    "Malware quarantined on LAPTOP-042",
    "Firewall rule changed outside a change window",
    "Repeated MFA denials for a service desk account",
    "Admin logon at 03:00 from a new device",
    "Unusually large export from the CRM",
    "TLS certificate of vpn-gw expires in 5 days",
    "New mail forwarding rule to an outside address",
    "Port scan from a guest network host",
    "Password spray against the VPN portal",
    "USB storage on a finance workstation",
];

impl TicketQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// A queue of `count` tickets opened seven minutes apart, the newest an hour ago, in
    /// every priority and state: of each twelve, five open and nobody's, three worked on or
    /// waiting, one escalated, and three done (fixed, a false alarm, expected).
    pub fn seeded(count: usize) -> Self {
        let queue = TicketQueue::new();
        let now = OffsetDateTime::now_utc();
        {
            let mut q = queue.lock();
            for i in 1..=count as u64 {
                // Seven minutes apart, and changed 0 to 12 minutes after: every time distinct.
                let opened =
                    now - Duration::hours(1) - Duration::minutes(7 * (count as i64 - i as i64));
                let changed = opened + Duration::minutes(3 * (i % 5) as i64);
                let (state, owner, resolution) = match i % 12 {
                    0 => (TicketState::Done, Some("analyst1"), Some(Resolution::Fixed)),
                    2 | 10 => (TicketState::Working, Some("analyst2"), None),
                    4 => (TicketState::Waiting, Some("analyst1"), None),
                    6 => (TicketState::Done, None, Some(Resolution::FalseAlarm)),
                    8 => (TicketState::Escalated, Some("j.doe"), None),
                    9 => (
                        TicketState::Done,
                        Some("analyst2"),
                        Some(Resolution::Expected),
                    ),
                    _ => (TicketState::Open, None, None),
                };
                let priority = [
                    Priority::P3,
                    Priority::P2,
                    Priority::P4,
                    Priority::P1,
                    Priority::P3,
                ][(i % 5) as usize];
                let done = (state == TicketState::Done).then_some(changed);
                q.last = i;
                q.tickets.insert(
                    i,
                    Ticket {
                        number: i,
                        summary: SUMMARIES[(i as usize - 1) % SUMMARIES.len()].to_owned(),
                        details: (i % 3 == 0)
                            .then(|| format!("Reported by the monitoring rule R-{}.", 100 + i)),
                        state,
                        priority,
                        owner: owner.map(str::to_owned),
                        opened,
                        changed,
                        done,
                        resolution,
                        resolution_note: resolution.map(|r| format!("{r:?} after review.")),
                        comments: Vec::new(),
                    },
                );
            }
        }
        queue
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic elsewhere while the lock was held leaves whole tickets behind: go on.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens a new ticket, nobody's, and returns it.
    pub fn open(&self, summary: impl Into<String>, priority: Priority) -> Ticket {
        let mut q = self.lock();
        q.last += 1;
        let now = OffsetDateTime::now_utc();
        let ticket = Ticket {
            number: q.last,
            summary: summary.into(),
            details: None,
            state: TicketState::Open,
            priority,
            owner: None,
            opened: now,
            changed: now,
            done: None,
            resolution: None,
            resolution_note: None,
            comments: Vec::new(),
        };
        q.tickets.insert(ticket.number, ticket.clone());
        ticket
    }

    /// The ticket with this number.
    pub fn ticket(&self, number: u64) -> Option<Ticket> {
        self.lock().tickets.get(&number).cloned()
    }

    /// Every ticket, by number.
    pub fn tickets(&self) -> Vec<Ticket> {
        self.lock().tickets.values().cloned().collect()
    }
}

/// Checks an update against what the queue holds, before anything changes: the parts the
/// capabilities allow may still carry values the queue refuses.
fn check_values(update: &IncidentUpdate) -> Result<()> {
    if let Some(AssigneeChange::Assign(user)) = &update.assignee
        && user.trim().is_empty()
    {
        return Err(Error::invalid_input("assignee", "the user name is empty"));
    }
    if let Some(note) = &update.note
        && note.trim().is_empty()
    {
        return Err(Error::invalid_input("note", "the note is empty"));
    }
    if let Some(severity) = &update.severity
        && Priority::from_severity(severity).is_none()
    {
        return Err(Error::invalid_input(
            "severity",
            format!("the queue has no priority {severity}: P1 to P4"),
        ));
    }
    Ok(())
}

#[async_trait]
impl IncidentSource for TicketQueue {
    incident_core::source_identity!(TICKETS);

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::none();
        caps.settable_statuses = vec![
            IncidentStatus::New,
            IncidentStatus::InProgress,
            IncidentStatus::OnHold,
            IncidentStatus::Other(ESCALATED.into()),
        ];
        caps.close = true;
        caps.verdicts = Resolution::ALL.iter().map(|r| r.verdict()).collect();
        caps.verdict = true;
        caps.assign = true;
        caps.unassign = true;
        caps.severities = vec![
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ];
        caps.set_severity = true;
        caps.notes = true;
        caps.time_fields = vec![TimeField::Created, TimeField::Updated];
        caps.filter_statuses = vec![
            IncidentStatus::New,
            IncidentStatus::InProgress,
            IncidentStatus::OnHold,
            IncidentStatus::Closed,
            IncidentStatus::Other(ESCALATED.into()),
        ];
        caps
    }

    async fn list_page(&self, query: Query<'_>, cursor: Option<&Cursor>) -> Result<IncidentPage> {
        let mut states = Vec::new();
        for status in &query.statuses {
            let state = TicketState::from_status(status).ok_or_else(|| {
                Error::invalid_input("status filter", format!("the queue has no status {status}"))
            })?;
            states.push(state);
        }
        let size = match query.page_size {
            Some(0) => return Err(Error::invalid_input("page size", "0 tickets per page")),
            Some(n) => n.min(MAX_PAGE_SIZE),
            None => DEFAULT_PAGE_SIZE,
        };
        let after = match cursor {
            None => 0,
            Some(c) => c
                .as_str()
                .strip_prefix(CURSOR_PREFIX)
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| {
                    Error::invalid_input(
                        "cursor",
                        format!("{:?} is not a ticket cursor", c.as_str()),
                    )
                })?,
        };
        let q = self.lock();
        let matches = |t: &&Ticket| {
            (states.is_empty() || states.contains(&t.state))
                && query.window.is_none_or(|w| {
                    let time = t.time(w.field);
                    w.from.is_none_or(|from| from <= time) && w.to.is_none_or(|to| time < to)
                })
        };
        let total = q.tickets.values().filter(matches).count() as u64;
        // One more than the page, to know whether another page follows.
        let mut page: Vec<&Ticket> = q
            .tickets
            .range(after.saturating_add(1)..)
            .map(|(_, t)| t)
            .filter(matches)
            .take(size as usize + 1)
            .collect();
        let more = page.len() > size as usize;
        page.truncate(size as usize);
        let next = match (more, page.last()) {
            (true, Some(last)) => Some(Cursor::new(format!("{CURSOR_PREFIX}{}", last.number))),
            _ => None,
        };
        let items = page.into_iter().map(Ticket::to_incident).collect();
        Ok(IncidentPage::new(items, next, Some(total)))
    }

    async fn get_incident(&self, id: &str) -> Result<Incident> {
        let number = parse_id(id)?;
        self.lock()
            .tickets
            .get(&number)
            .map(Ticket::to_incident)
            .ok_or_else(|| Error::not_found(TICKETS, format!("ticket {id}")))
    }

    async fn apply_update(&self, id: &str, update: Update<'_>) -> Result<Incident> {
        // The values are checked too before anything changes (the capabilities are, by
        // update_incident): a refused update changes nothing.
        check_values(&update)?;
        let number = parse_id(id)?;
        let mut q = self.lock();
        let ticket = q
            .tickets
            .get_mut(&number)
            .ok_or_else(|| Error::not_found(TICKETS, format!("ticket {id}")))?;
        let now = OffsetDateTime::now_utc();
        match &update.status {
            Some(StatusChange::Set(status)) => {
                // check_update let only the settable statuses through.
                let state = TicketState::from_status(status).ok_or_else(|| {
                    Error::unsupported(TICKETS, format!("setting the status {status}"))
                })?;
                ticket.state = state;
                ticket.done = None;
                ticket.resolution = None;
                ticket.resolution_note = None;
            }
            Some(StatusChange::Close(closure)) => {
                ticket.state = TicketState::Done;
                ticket.done = Some(now);
                ticket.resolution = closure.verdict.as_ref().and_then(Resolution::from_verdict);
                ticket.resolution_note = closure.reason.clone();
            }
            _ => {}
        }
        match &update.assignee {
            Some(AssigneeChange::Assign(user)) => ticket.owner = Some(user.trim().to_owned()),
            Some(AssigneeChange::Unassign) => ticket.owner = None,
            _ => {}
        }
        if let Some(priority) = update.severity.as_ref().and_then(Priority::from_severity) {
            ticket.priority = priority;
        }
        if let Some(note) = &update.note {
            ticket.comments.push(Comment {
                text: note.clone(),
                at: now,
            });
        }
        ticket.changed = now;
        Ok(ticket.to_incident())
    }
}
