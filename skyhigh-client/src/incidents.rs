//! The incidents API: `queryIncidents` (one page, or every page through the time cursor),
//! `modifyIncidents`, `queryIncidentInformationKeys` and `queryIncidentGroups`.
//!
//! # Errors
//!
//! Every operation fails with [`Error::InvalidInput`] for a value refused before anything is
//! sent (an invalid [`Criteria`] or incident id, a `limit` outside 1 to [`MAX_LIMIT`]); with
//! the errors of [`Transport::execute`], among them [`Error::Api`] for a non-2xx or a
//! refusal inside a 200, with Skyhigh's code ([`SkyhighErrorExt`](crate::SkyhighErrorExt);
//! every case in [`crate::error`]); with [`Error::Decode`] for an answer of another shape.

use std::collections::HashSet;
use std::sync::Arc;

use futures::stream::BoxStream;
use incident_core::paging::{Page, Paginator, WalkLimits};
use incident_core::{ApiPath, ApiRequest, Call, CallOptions, Error, Result, Transport};

use crate::client::VENDOR;
use crate::error::modify_verdict;
use crate::model::{
    Criteria, Incident, IncidentChange, IncidentId, InformationKeysByType, ModifyAnswer,
    ModifyOutcome, TimesSelection, WorkflowStatus, Wrapped, decode_page,
};
pub use crate::model::{DEFAULT_PAGE_SIZE, IncidentPage, MAX_LIMIT, MAX_TIES, QueryCursor};

incident_core::operations_handle! {
    /// Incident operations; get it from [`crate::SkyhighClient::incidents`].
    pub struct IncidentsApi { transport: Transport }
}

impl IncidentsApi {
    /// `POST /queryIncidents?limit=N` with a [`Criteria`] body.
    pub fn query(&self) -> QueryIncidents {
        QueryIncidents {
            transport: self.transport.clone(),
            criteria: Criteria::default(),
            limit: None,
            offset: None,
            limits: WalkLimits::default(),
            options: CallOptions::default(),
        }
    }

    /// `POST /modifyIncidents`: a batch of workflow status changes.
    ///
    /// A batch the service refuses inside its HTTP 200 is an error; one it refuses in part
    /// reports the incidents it named (see [`ModifyOutcome`]).
    ///
    /// ```no_run
    /// # async fn run(client: skyhigh_client::SkyhighClient) -> incident_core::Result<()> {
    /// use skyhigh_client::WorkflowStatus;
    /// let outcome = client
    ///     .incidents()
    ///     .modify()
    ///     .status("DLP-108", WorkflowStatus::Resolved)
    ///     .status("DLP-109", WorkflowStatus::FalsePositive)
    ///     .send()
    ///     .await?;
    /// for (id, error) in outcome.refused() {
    ///     eprintln!("{id} was not changed: {:?}", error.message);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn modify(&self) -> ModifyIncidents {
        ModifyIncidents {
            transport: self.transport.clone(),
            batch: Vec::new(),
            invalid: None,
            options: CallOptions::default(),
        }
    }

    /// `POST /queryIncidentInformationKeys`: the `information` keys of each incident type,
    /// with their descriptions.
    ///
    /// # Errors
    ///
    /// As every operation: see [the module](self).
    pub async fn information_keys(&self) -> Result<Vec<InformationKeysByType>> {
        self.list("/queryIncidentInformationKeys").await
    }

    /// `POST /queryIncidentGroups`: every incident group, e.g.
    /// `Alert.Access.AnomalousAccessLocation`.
    ///
    /// # Errors
    ///
    /// As every operation: see [the module](self).
    pub async fn groups(&self) -> Result<Vec<String>> {
        self.list("/queryIncidentGroups").await
    }

    /// A `POST` without a body whose answer is a list, bare or in the Spring envelope.
    fn list<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        path: &'static str,
    ) -> Call<Vec<T>> {
        let request = ApiRequest::post(ApiPath::new(path)).idempotent(true);
        Call::json(&self.transport, Ok(request)).and_then(|w: Wrapped<Vec<T>>| Ok(w.into_inner()))
    }
}

/// A `queryIncidents` request: every Criteria field, `limit`, the walk limits and the
/// per-call options (applied to every request of a walk).
///
/// End it with [`send`](Self::send) (or `.await` it) for one page, or with
/// [`into_stream`](Self::into_stream) for every incident, page after page.
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is sent or streamed"]
pub struct QueryIncidents {
    transport: Transport,
    criteria: Criteria,
    limit: Option<u32>,
    offset: Option<u64>,
    limits: WalkLimits,
    options: CallOptions,
}

impl QueryIncidents {
    crate::model::criteria_setters!(criteria);

    /// Replaces the whole Criteria.
    pub fn criteria(mut self, criteria: Criteria) -> Self {
        self.criteria = criteria;
        self
    }

    /// The Criteria as it will be sent.
    pub fn current_criteria(&self) -> &Criteria {
        &self.criteria
    }

    /// Incidents per request (`limit`): 1 to [`MAX_LIMIT`]. Without it, [`send`](Self::send)
    /// sends none (the service's default, 50 or 100) and
    /// [`into_stream`](Self::into_stream) sends [`DEFAULT_PAGE_SIZE`].
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The `offset` parameter, for a `nextOffset` kept from an earlier answer.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    incident_core::walk_limits!(limits);

    incident_core::call_options!(options);

    /// The request for the page at `cursor` (`None`: the first), `limit` incidents long.
    fn request(&self, cursor: Option<&QueryCursor>, limit: Option<u32>) -> Result<ApiRequest> {
        if let Some(l) = limit.filter(|&l| l == 0 || l > MAX_LIMIT) {
            let why = format!("{l} is outside 1..={MAX_LIMIT}");
            return Err(Error::invalid_input("limit", why));
        }
        self.criteria.validate()?;
        let mut criteria_override = None;
        let mut offset = self.offset;
        match cursor {
            None => {}
            Some(QueryCursor::StartTime(t)) => {
                let mut c = self.criteria.clone();
                c.start_time = Some(t.clone());
                criteria_override = Some(c);
                offset = None;
            }
            Some(QueryCursor::Offset(o)) => offset = Some(*o),
        }
        let criteria = criteria_override.as_ref().unwrap_or(&self.criteria);
        ApiRequest::post(ApiPath::new("/queryIncidents"))
            .query_opt("limit", limit.map(|l| l.to_string()))
            .query_opt("offset", offset.map(|o| o.to_string()))
            // A query changes nothing: safe to repeat after a 5xx or a broken connection.
            .idempotent(true)
            .json(criteria)
    }

    /// The query of one page as a [`Call`].
    pub fn call(self) -> Call<IncidentPage> {
        let (limit, by_creation) = (self.limit, self.by_creation());
        let request = self.request(None, limit);
        Call::new(&self.transport, request, move |resp| {
            decode_page(resp, limit, by_creation)
        })
        .options(self.options)
    }

    /// Sends the query and returns one page.
    ///
    /// # Errors
    ///
    /// As every operation ([the module](self)); [`Error::Protocol`] for more incidents than
    /// `limit` and [`MAX_TIES`], or ones past `limit` that do not share its timestamp.
    pub async fn send(self) -> Result<IncidentPage> {
        self.call().await
    }

    /// Whether the query walks `timeCreated` (`timesSelection: CREATED_AT`) rather than
    /// `timeModified`.
    fn by_creation(&self) -> bool {
        self.criteria.times_selection == Some(TimesSelection::CreatedAt)
    }

    /// Every matching incident, page after page: each `nextStartTime` goes back as
    /// `startTime` (a `nextOffset` as `offset`), and the incidents repeated at a page
    /// boundary (the start is inclusive) are dropped by `incidentId`. The walk ends when the
    /// cursor is null, stops moving, or a page is empty (or "no data"); a *full* page whose
    /// cursor did not move is an [`Error::Protocol`] (more incidents share one instant than
    /// a page holds, and the rest cannot be reached: lower the window or raise the limit).
    /// Memory holds one page and the ids of the previous one. Built on incident-core's
    /// [`Paginator::time_cursor`].
    pub fn into_stream(self) -> BoxStream<'static, Result<Incident>> {
        self.paginator().items()
    }

    /// The walk of [`into_stream`](Self::into_stream) as a paginator, for page-level access
    /// (each page with the cursor of the next one, to keep between runs).
    pub fn paginator(self) -> Paginator<Incident, QueryCursor> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        let (limits, by_creation) = (self.limits, self.by_creation());
        let query = Arc::new(self);
        Paginator::time_cursor(
            move |cursor: Option<QueryCursor>| {
                let query = Arc::clone(&query);
                async move {
                    let req = query.request(cursor.as_ref(), Some(limit))?;
                    let resp = query.transport.execute(query.options.apply(req)).await?;
                    let page = decode_page(&resp, Some(limit), by_creation)?;
                    Ok(Page::new(page.incidents, page.next))
                }
            },
            |incident: &Incident| incident.incident_id.clone(),
        )
        .vendor(VENDOR)
        .page_size(u64::from(limit))
        .page_overflow(u64::from(MAX_TIES))
        .identify_by(|i: &Incident| {
            Some((
                i.incident_id.clone()?,
                i.time_modified.map(|t| t.unix_timestamp_nanos()),
            ))
        })
        .limits(&limits)
    }
}

incident_core::impl_into_future!([] QueryIncidents => IncidentPage);

/// A `modifyIncidents` batch; end it with [`send`](Self::send) or `.await` it.
#[derive(Debug, Clone)]
#[must_use = "a change does nothing until it is sent"]
pub struct ModifyIncidents {
    transport: Transport,
    batch: Vec<IncidentChange>,
    /// The first invalid id given, refused when sent.
    invalid: Option<String>,
    options: CallOptions,
}

impl ModifyIncidents {
    /// Sets the workflow status of one incident. An id that is not a Skyhigh incident id
    /// makes [`send`](Self::send) fail before anything is sent.
    pub fn status(mut self, incident_id: &str, status: WorkflowStatus) -> Self {
        match IncidentId::parse(incident_id) {
            Ok(id) => self.batch.push(IncidentChange::status(id, status)),
            Err(_) => {
                self.invalid.get_or_insert_with(|| incident_id.to_owned());
            }
        }
        self
    }

    /// Adds a change as built by hand.
    pub fn change(mut self, change: IncidentChange) -> Self {
        self.batch.push(change);
        self
    }

    /// The batch as it will be sent.
    pub fn batch(&self) -> &[IncidentChange] {
        &self.batch
    }

    /// Sends the batch and returns each incident's outcome. Setting a status twice has the
    /// same effect as once, so the call is retried after a 5xx or a broken connection.
    ///
    /// # Errors
    ///
    /// As every operation ([the module](self)): [`Error::InvalidInput`] for an empty batch,
    /// an invalid id, the same incident twice or a change without `WORKFLOW_STATUS`;
    /// [`Error::Api`] for a batch refused as a whole; [`Error::Protocol`] for an answer
    /// whose Error cannot be read.
    pub async fn send(self) -> Result<ModifyOutcome> {
        self.call().await
    }

    incident_core::call_options!(options);

    /// The batch as a [`Call`] (see [`send`](Self::send)).
    pub fn call(self) -> Call<ModifyOutcome> {
        let request = self.request();
        let batch = self.batch;
        Call::new(&self.transport, request, move |resp| {
            let info = resp.json::<ModifyAnswer>()?.into_response_info();
            let ids: Vec<&str> = batch.iter().map(|c| c.incident_id.as_str()).collect();
            // The same reading of the answer as the hook's, which already failed the call
            // if the batch was refused as a whole.
            let verdict = modify_verdict(resp.body(), &ids).map_err(|e| {
                let why = format!("the answer of modifyIncidents cannot be read: {e}");
                Error::protocol(VENDOR, why)
            })?;
            Ok(ModifyOutcome::from_answer(&batch, info, verdict))
        })
        .options(self.options)
    }

    /// The request of the batch, or why it is refused before sending.
    fn request(&self) -> Result<ApiRequest> {
        if let Some(id) = &self.invalid {
            IncidentId::parse(id)?;
        }
        let refuse = |why: String| -> Result<ApiRequest> {
            Err(Error::invalid_input("modifyIncidents", why))
        };
        if self.batch.is_empty() {
            return refuse("the batch is empty".into());
        }
        let mut seen = HashSet::new();
        for change in &self.batch {
            let id = change.incident_id.as_str();
            IncidentId::parse(id)?;
            if !seen.insert(id) {
                return refuse(format!("{id} is in the batch twice"));
            }
            if change.change_requests.workflow_status.is_none() {
                return refuse(format!("the change of {id} sets no WORKFLOW_STATUS"));
            }
        }
        ApiRequest::post(ApiPath::new("/modifyIncidents"))
            .idempotent(true)
            .json(&self.batch)
    }
}

incident_core::impl_into_future!([] ModifyIncidents => ModifyOutcome);
