//! Offenses (`/siem/offenses`): list, get, update; their notes and assignable actors.

use incident_core::{ApiPath, ApiRequest, Error, Result};

use crate::model::{AssignableActor, Note, Offense};
use crate::request::{Get, List, endpoint};
use incident_core::Transport;

/// A list of offenses (`GET /siem/offenses`).
pub type ListOffenses = List<Offense, endpoint::Offenses>;
/// A list of an offense's notes (`GET /siem/offenses/{offense_id}/notes`).
pub type ListNotes = List<Note, endpoint::Notes>;
/// A list of the users an offense can be assigned to.
pub type ListAssignableActors = List<AssignableActor, endpoint::AssignableActors>;

fn offense_path(id: u64) -> Result<ApiPath> {
    ApiPath::new("/siem/offenses").segment(id)
}

/// Offense operations; get it from [`crate::QRadarClient::offenses`].
#[derive(Debug, Clone)]
pub struct OffensesApi {
    transport: Transport,
}

impl OffensesApi {
    pub(crate) fn new(transport: Transport) -> Self {
        OffensesApi { transport }
    }

    /// Lists offenses (`GET /siem/offenses`), with `filter`, `fields`, `sort` and `Range`.
    pub fn list(&self) -> ListOffenses {
        List::new(self.transport.clone(), Ok(ApiPath::new("/siem/offenses")))
    }

    /// Reads one offense (`GET /siem/offenses/{offense_id}`).
    pub fn get(&self, offense_id: u64) -> Get<Offense> {
        Get::new(self.transport.clone(), offense_path(offense_id))
    }

    /// Starts an update of one offense (`POST /siem/offenses/{offense_id}`).
    ///
    /// ```no_run
    /// # async fn run(client: qradar_client::QRadarClient) -> incident_core::Result<()> {
    /// // Closing needs a closing reason: `close` takes its id, so a close without one
    /// // cannot be written.
    /// let offense = client.offenses().update(42).close(2).follow_up(false).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, offense_id: u64) -> UpdateOffense {
        UpdateOffense {
            transport: self.transport.clone(),
            offense_id,
            protected: None,
            follow_up: None,
            status: None,
            assigned_to: None,
            fields: None,
        }
    }

    /// The notes of one offense.
    pub fn notes(&self, offense_id: u64) -> NotesApi {
        NotesApi {
            transport: self.transport.clone(),
            offense_id,
        }
    }

    /// Lists the users an offense can be assigned to
    /// (`GET /siem/offenses/{offense_id}/assignable_actors`).
    pub fn assignable_actors(&self, offense_id: u64) -> ListAssignableActors {
        List::new(
            self.transport.clone(),
            offense_path(offense_id).map(|p| p.then("assignable_actors")),
        )
    }
}

/// The status an update moves an offense to. Closing carries its closing reason, so a close
/// without one cannot be expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusUpdate {
    /// `OPEN`: shows a hidden offense again, or reopens a closed one.
    Open,
    /// `HIDDEN`: hides the offense.
    Hidden,
    /// `CLOSED` with this closing reason id.
    Closed {
        /// The closing reason (see [`crate::QRadarClient::closing_reasons`]).
        closing_reason_id: u64,
    },
}

/// An offense update: every setting is a query parameter and the body is empty, as QRadar
/// documents. An update without a status change is retried like a read after a 5xx; one
/// with a status change is retried only after 429 and 503.
#[derive(Debug, Clone)]
#[must_use = "an update does nothing until it is sent"]
pub struct UpdateOffense {
    transport: Transport,
    offense_id: u64,
    protected: Option<bool>,
    follow_up: Option<bool>,
    status: Option<StatusUpdate>,
    assigned_to: Option<String>,
    fields: Option<String>,
}

impl UpdateOffense {
    /// Protects (`true`) or unprotects the offense.
    pub fn protected(mut self, protected: bool) -> Self {
        self.protected = Some(protected);
        self
    }

    /// Sets or clears the follow-up flag.
    pub fn follow_up(mut self, follow_up: bool) -> Self {
        self.follow_up = Some(follow_up);
        self
    }

    /// Moves the offense to `status`.
    pub fn status(mut self, status: StatusUpdate) -> Self {
        self.status = Some(status);
        self
    }

    /// Closes the offense with this closing reason.
    pub fn close(self, closing_reason_id: u64) -> Self {
        self.status(StatusUpdate::Closed { closing_reason_id })
    }

    /// Hides the offense.
    pub fn hide(self) -> Self {
        self.status(StatusUpdate::Hidden)
    }

    /// Opens the offense: shows a hidden one, reopens a closed one.
    pub fn open(self) -> Self {
        self.status(StatusUpdate::Open)
    }

    /// Assigns the offense to a user (see [`OffensesApi::assignable_actors`]).
    pub fn assign_to(mut self, user: impl Into<String>) -> Self {
        self.assigned_to = Some(user.into());
        self
    }

    /// Returns only these fields of the updated offense.
    pub fn fields(mut self, fields: impl Into<String>) -> Self {
        self.fields = Some(fields.into());
        self
    }

    pub(crate) fn request(&self) -> Result<ApiRequest> {
        if self.protected.is_none()
            && self.follow_up.is_none()
            && self.status.is_none()
            && self.assigned_to.is_none()
        {
            return Err(Error::invalid_input("offense update", "nothing to change"));
        }
        if self
            .assigned_to
            .as_deref()
            .is_some_and(|u| u.trim().is_empty())
        {
            return Err(Error::invalid_input(
                "assigned_to",
                "the user name is empty",
            ));
        }
        let (status, reason) = match self.status {
            None => (None, None),
            Some(StatusUpdate::Open) => (Some("OPEN"), None),
            Some(StatusUpdate::Hidden) => (Some("HIDDEN"), None),
            Some(StatusUpdate::Closed { closing_reason_id }) => {
                (Some("CLOSED"), Some(closing_reason_id.to_string()))
            }
        };
        Ok(ApiRequest::post(offense_path(self.offense_id)?)
            .query_opt("protected", self.protected.map(|b| b.to_string()))
            .query_opt("follow_up", self.follow_up.map(|b| b.to_string()))
            .query_opt("status", status)
            .query_opt("closing_reason_id", reason)
            .query_opt("assigned_to", self.assigned_to.clone())
            .query_opt("fields", self.fields.clone())
            // Setting flags and the assignee twice changes nothing; a status change is not
            // retried, because a close that succeeded before a 5xx would be refused the
            // second time (409, code 1008) and hide the success.
            .idempotent(self.status.is_none()))
    }

    /// Sends the update and returns the offense as it is afterwards.
    pub async fn send(self) -> Result<Offense> {
        let req = self.request()?;
        self.transport.execute(req).await?.json()
    }
}

incident_core::impl_into_future!([] UpdateOffense => Offense);

/// The notes of one offense; get it from [`OffensesApi::notes`].
#[derive(Debug, Clone)]
pub struct NotesApi {
    transport: Transport,
    offense_id: u64,
}

impl NotesApi {
    fn path(&self) -> Result<ApiPath> {
        offense_path(self.offense_id).map(|p| p.then("notes"))
    }

    /// Lists the notes (`GET /siem/offenses/{offense_id}/notes`), with `filter`, `fields`
    /// and `Range` (QRadar does not sort notes).
    pub fn list(&self) -> ListNotes {
        List::new(self.transport.clone(), self.path())
    }

    /// Reads one note (`GET /siem/offenses/{offense_id}/notes/{note_id}`).
    pub fn get(&self, note_id: u64) -> Get<Note> {
        Get::new(
            self.transport.clone(),
            self.path().and_then(|p| p.segment(note_id)),
        )
    }

    /// Adds a note (`POST /siem/offenses/{offense_id}/notes?note_text=...`, answered with
    /// 201). Notes cannot be deleted through the API. Not retried after a 5xx or a
    /// connection failure, since the note may have been created.
    pub fn create(&self, note_text: impl Into<String>) -> CreateNote {
        CreateNote {
            transport: self.transport.clone(),
            path: self.path(),
            note_text: note_text.into(),
            fields: None,
        }
    }
}

/// A note to create; end it with [`send`](Self::send) or `.await` it.
#[derive(Debug)]
#[must_use = "a note is not created until the request is sent"]
pub struct CreateNote {
    transport: Transport,
    path: Result<ApiPath>,
    note_text: String,
    fields: Option<String>,
}

impl CreateNote {
    /// Returns only these fields of the created note.
    pub fn fields(mut self, fields: impl Into<String>) -> Self {
        self.fields = Some(fields.into());
        self
    }

    /// Creates the note and returns it.
    pub async fn send(self) -> Result<Note> {
        if self.note_text.trim().is_empty() {
            return Err(Error::invalid_input("note_text", "the note is empty"));
        }
        let req = ApiRequest::post(self.path?)
            .query("note_text", self.note_text)
            .query_opt("fields", self.fields);
        self.transport.execute(req).await?.json()
    }
}

incident_core::impl_into_future!([] CreateNote => Note);
