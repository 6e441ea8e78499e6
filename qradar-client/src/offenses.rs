//! Offenses (`/siem/offenses`): list, get, update; their notes and assignable actors.

use incident_core::{ApiPath, ApiRequest, Call, CallOptions, Error, Result, Transport};

pub use crate::model::StatusUpdate;
use crate::model::{AssignableActor, Note, Offense, OffenseChanges};
use crate::request::{List, Single};

fn offense_path(id: u64) -> Result<ApiPath> {
    ApiPath::new("/siem/offenses").segment(id)
}

incident_core::operations_handle! {
    /// Offense operations; get it from [`crate::QRadarClient::offenses`].
    pub struct OffensesApi { transport: Transport }
}

impl OffensesApi {
    /// Lists offenses (`GET /siem/offenses`), with `filter`, `fields`, `sort` and `Range`.
    pub fn list(&self) -> List<Offense> {
        List::new(&self.transport, Ok(ApiPath::new("/siem/offenses")))
    }

    /// Reads one offense (`GET /siem/offenses/{offense_id}`).
    pub fn get(&self, offense_id: u64) -> Single<Offense> {
        let request = offense_path(offense_id).map(ApiRequest::get);
        Single::new(&self.transport, request)
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
            changes: OffenseChanges::default(),
            fields: None,
            options: CallOptions::default(),
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
    pub fn assignable_actors(&self, offense_id: u64) -> List<AssignableActor> {
        let path = offense_path(offense_id).map(|p| p.then("assignable_actors"));
        List::new(&self.transport, path)
    }
}

/// An offense update: every setting is a query parameter and the body is empty, as QRadar
/// documents. An update without a status change is retried like a read after a 5xx; one
/// with a status change is retried only after 429 and 503.
#[derive(Debug, Clone)]
#[must_use = "an update does nothing until it is sent"]
pub struct UpdateOffense {
    transport: Transport,
    offense_id: u64,
    changes: OffenseChanges,
    fields: Option<String>,
    options: CallOptions,
}

impl UpdateOffense {
    /// Protects (`true`) or unprotects the offense.
    pub fn protected(mut self, protected: bool) -> Self {
        self.changes.protected = Some(protected);
        self
    }

    /// Sets or clears the follow-up flag.
    pub fn follow_up(mut self, follow_up: bool) -> Self {
        self.changes.follow_up = Some(follow_up);
        self
    }

    /// Moves the offense to `status`.
    pub fn status(mut self, status: StatusUpdate) -> Self {
        self.changes.status = Some(status);
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
        self.changes.assigned_to = Some(user.into());
        self
    }

    /// Returns only these fields of the updated offense.
    pub fn fields(mut self, fields: impl Into<String>) -> Self {
        self.fields = Some(fields.into());
        self
    }

    incident_core::call_options!(options);

    fn request(&self) -> Result<ApiRequest> {
        let path = offense_path(self.offense_id)?;
        let request = self.changes.apply(ApiRequest::post(path))?;
        Ok(request
            .query_opt("fields", self.fields.clone())
            // Setting flags and the assignee twice changes nothing; a status change is not
            // retried, because a close that succeeded before a 5xx would be refused the
            // second time (409, code 1008) and hide the success.
            .idempotent(self.changes.status.is_none()))
    }

    /// The update as a [`Call`].
    pub fn call(self) -> Call<Offense> {
        Call::json(&self.transport, self.request()).options(self.options)
    }

    /// Sends the update and returns the offense as it is afterwards.
    ///
    /// # Errors
    ///
    /// As every QRadar call: see [`crate::request`].
    pub async fn send(self) -> Result<Offense> {
        self.call().await
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
    pub fn list(&self) -> List<Note> {
        List::new(&self.transport, self.path())
    }

    /// Reads one note (`GET /siem/offenses/{offense_id}/notes/{note_id}`).
    pub fn get(&self, note_id: u64) -> Single<Note> {
        let request = self.path().and_then(|p| p.segment(note_id));
        Single::new(&self.transport, request.map(ApiRequest::get))
    }

    /// Adds a note (`POST /siem/offenses/{offense_id}/notes?note_text=...`, answered with
    /// 201). An empty note is refused before sending. Notes cannot be deleted through the
    /// API. Not retried after a 5xx or a connection failure, since the note may have been
    /// created.
    pub fn create(&self, note_text: impl Into<String>) -> Single<Note> {
        let note_text = note_text.into();
        let request = if note_text.trim().is_empty() {
            Err(Error::invalid_input("note_text", "the note is empty"))
        } else {
            self.path()
                .map(|p| ApiRequest::post(p).query("note_text", note_text))
        };
        Single::new(&self.transport, request)
    }
}
