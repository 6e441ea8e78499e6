//! The incidents API: `queryIncidents` (one page, or every page through the time cursor),
//! `modifyIncidents`, `queryIncidentInformationKeys` and `queryIncidentGroups`.

use std::collections::HashSet;
use std::sync::Arc;

use futures::stream::BoxStream;
use incident_core::paging::{Page, Paginator};
use incident_core::reqwest::StatusCode;
use incident_core::{ApiPath, ApiRequest, ApiResponse, Error, Result, Transport};
use time::OffsetDateTime;

use crate::client::VENDOR;
use crate::error::modify_verdict;
use crate::model::{
    ActorIdType, Criteria, Envelope, HistoricalUserRisk, Incident, IncidentCategory,
    IncidentChange, IncidentCriteria, IncidentId, IncidentResponse, IncidentsWire,
    InformationKeysByType, ModifyAnswer, ModifyOutcome, PermissionType, Product, ResponseInfo,
    TimesSelection, WorkflowStatus, Wrapped, format_time,
};

/// The most incidents one `queryIncidents` may ask for: the swagger's maximum (the
/// documentation page says 500; a larger `limit` "is not flagged as an error but will also
/// not increase results").
pub const MAX_LIMIT: u32 = 10_000;

/// The `limit` [`QueryIncidents::into_stream`] sends unless [`QueryIncidents::limit`] says
/// otherwise: 500, the largest page every source agrees the service serves.
pub const DEFAULT_PAGE_SIZE: u32 = 500;

/// How many incidents beyond the `limit` one page may hold: Skyhigh adds to a page the
/// incidents that share the timestamp of its last one ("Managing API Responses"), so that a
/// time cursor never splits them. Only incidents with that same timestamp are accepted
/// there, and no more than this many.
pub const MAX_TIES: u32 = 1_000;

/// Where the next page of a query starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QueryCursor {
    /// `responseInfo.nextStartTime`, sent back verbatim as `startTime` (inclusive: the
    /// incidents at that instant come again, and the stream drops them).
    StartTime(String),
    /// `responseInfo.nextOffset`, sent as the `offset` parameter with the same criteria.
    Offset(u64),
}

impl QueryCursor {
    /// The cursor a ResponseInfo gives: `nextStartTime` when set, else a `nextOffset` that
    /// is not `-1`; `None` at the end.
    pub fn from_response_info(info: &ResponseInfo) -> Option<QueryCursor> {
        if let Some(t) = info
            .next_start_time
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            return Some(QueryCursor::StartTime(t.to_owned()));
        }
        info.next_offset
            .and_then(|o| u64::try_from(o).ok())
            .map(QueryCursor::Offset)
    }
}

/// One answer of `queryIncidents`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IncidentPage {
    /// The incidents, in ascending `timeModified` (or `timeCreated`) order.
    pub incidents: Vec<Incident>,
    /// `responseInfo` (empty for a 404 "no data").
    pub response_info: ResponseInfo,
    /// The Spring envelope's other members, when the answer was wrapped.
    pub envelope: Option<Envelope>,
    /// Where the next page starts; `None` at the end (no cursor, or no data).
    pub next: Option<QueryCursor>,
    /// Whether the service answered "no data was found for the criteria" (404).
    pub no_data: bool,
}

/// Incident operations; get it from [`crate::SkyhighClient::incidents`].
#[derive(Debug, Clone)]
pub struct IncidentsApi {
    transport: Transport,
}

impl IncidentsApi {
    pub(crate) fn new(transport: Transport) -> Self {
        IncidentsApi { transport }
    }

    /// `POST /queryIncidents?limit=N` with a [`Criteria`] body.
    pub fn query(&self) -> QueryIncidents {
        QueryIncidents {
            transport: self.transport.clone(),
            criteria: Criteria::default(),
            limit: None,
            offset: None,
            max_items: None,
            max_pages: None,
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
        }
    }

    /// `POST /queryIncidentInformationKeys`: the `information` keys of each incident type,
    /// with their descriptions.
    pub async fn information_keys(&self) -> Result<Vec<InformationKeysByType>> {
        let req = ApiRequest::post(ApiPath::new("/queryIncidentInformationKeys")).idempotent(true);
        let wrapped: Wrapped<Vec<InformationKeysByType>> =
            self.transport.execute(req).await?.json()?;
        Ok(wrapped.into_inner())
    }

    /// `POST /queryIncidentGroups`: every incident group, e.g.
    /// `Alert.Access.AnomalousAccessLocation`.
    pub async fn groups(&self) -> Result<Vec<String>> {
        let req = ApiRequest::post(ApiPath::new("/queryIncidentGroups")).idempotent(true);
        let wrapped: Wrapped<Vec<String>> = self.transport.execute(req).await?.json()?;
        Ok(wrapped.into_inner())
    }
}

/// A `queryIncidents` request: every Criteria field, `limit`, and the walk limits.
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
    max_items: Option<u64>,
    max_pages: Option<u64>,
}

impl QueryIncidents {
    /// Incidents modified (or created, see [`times_selection`](Self::times_selection)) at or
    /// after `start`. Without a start the service starts at "now" and finds nothing.
    pub fn start_time(mut self, start: OffsetDateTime) -> Self {
        self.criteria.start_time = Some(format_time(start));
        self
    }

    /// `startTime` as text, sent verbatim (a `nextStartTime` kept from an earlier run).
    pub fn start_time_raw(mut self, start: impl Into<String>) -> Self {
        self.criteria.start_time = Some(start.into());
        self
    }

    /// Incidents before `end` (exclusive; the service's default is now).
    pub fn end_time(mut self, end: OffsetDateTime) -> Self {
        self.criteria.end_time = Some(format_time(end));
        self
    }

    /// Which time the window and the cursor apply to (default `LAST_MODIFIED_AT`).
    pub fn times_selection(mut self, selection: TimesSelection) -> Self {
        self.criteria.times_selection = Some(selection);
        self
    }

    /// Only these actors (user names or IP addresses).
    pub fn actor_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.criteria.actor_ids = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// Only actors of this type.
    pub fn actor_id_type(mut self, kind: ActorIdType) -> Self {
        self.criteria.actor_id_type = Some(kind);
        self
    }

    /// Only these threat categories (`category`).
    pub fn threat_categories<I, S>(mut self, categories: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.criteria.category = Some(categories.into_iter().map(Into::into).collect());
        self
    }

    /// Only these device types, e.g. `WindowsDesktop`.
    pub fn device_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.criteria.device_types = Some(types.into_iter().map(Into::into).collect());
        self
    }

    /// Only allowed or denied events.
    pub fn permission_type(mut self, permission: PermissionType) -> Self {
        self.criteria.permission_type = Some(permission);
        self
    }

    /// Only these protocols, e.g. `https`.
    pub fn protocol_types<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.criteria.protocol_types = Some(protocols.into_iter().map(Into::into).collect());
        self
    }

    /// Only these service categories, e.g. `Cloud Storage`.
    pub fn service_categories<I, S>(mut self, categories: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.criteria.service_categories = Some(categories.into_iter().map(Into::into).collect());
        self
    }

    /// Only these services, e.g. `OneDrive`.
    pub fn service_names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.criteria.service_names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Service risk between `min` and `max` inclusive (`min <= max`, checked when sent).
    pub fn service_risk(mut self, min: Option<i32>, max: Option<i32>) -> Self {
        self.criteria.service_risk_minimum = min;
        self.criteria.service_risk_maximum = max;
        self
    }

    /// User risk between `min` and `max` inclusive (`min <= max`, checked when sent).
    pub fn user_risk(mut self, min: Option<i32>, max: Option<i32>) -> Self {
        self.criteria.user_risk_minimum = min;
        self.criteria.user_risk_maximum = max;
        self
    }

    /// Only events that uploaded at least this many bytes.
    pub fn upload_data_minimum(mut self, bytes: i64) -> Self {
        self.criteria.upload_data_minimum = Some(bytes);
        self
    }

    fn incident_criteria(&mut self) -> &mut IncidentCriteria {
        self.criteria
            .incident_criteria
            .get_or_insert_with(IncidentCriteria::default)
    }

    /// Adds an incident group to keep (`incidentCriteria.categories`).
    pub fn category(mut self, category: IncidentCategory) -> Self {
        self.incident_criteria()
            .categories
            .get_or_insert_with(Vec::new)
            .push(category);
        self
    }

    /// Only sanctioned or only shadow incidents (`incidentCriteria.product`).
    pub fn product(mut self, product: Product) -> Self {
        self.incident_criteria().product = Some(product);
        self
    }

    /// Only sanctioned incidents whose `field` has one of `values`
    /// (`incidentCriteria.fields`; see [`crate::model::CRITERIA_FIELD_NAMES`]).
    pub fn field<I, S>(mut self, field: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.incident_criteria()
            .fields
            .get_or_insert_with(Default::default)
            .insert(field.into(), values.into_iter().map(Into::into).collect());
        self
    }

    /// Only sanctioned DLP incidents of users in these risk bands.
    pub fn historical_user_risk(
        mut self,
        bands: impl IntoIterator<Item = HistoricalUserRisk>,
    ) -> Self {
        self.incident_criteria().historical_user_risk_score = Some(bands.into_iter().collect());
        self
    }

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

    /// Ends [`into_stream`](Self::into_stream) after this many incidents.
    pub fn max_items(mut self, max: u64) -> Self {
        self.max_items = Some(max);
        self
    }

    /// Ends [`into_stream`](Self::into_stream) after this many requests.
    pub fn max_pages(mut self, max: u64) -> Self {
        self.max_pages = Some(max);
        self
    }

    fn checked_limit(&self) -> Result<Option<u32>> {
        match self.limit {
            Some(l) if l == 0 || l > MAX_LIMIT => Err(Error::invalid_input(
                "limit",
                format!("{l} is outside 1..={MAX_LIMIT}"),
            )),
            l => Ok(l),
        }
    }

    fn request(&self, cursor: Option<&QueryCursor>, limit: Option<u32>) -> Result<ApiRequest> {
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

    /// Sends the query and returns one page.
    pub async fn send(self) -> Result<IncidentPage> {
        let limit = self.checked_limit()?;
        let req = self.request(None, limit)?;
        let resp = self.transport.execute(req).await?;
        decode_page(&resp, limit, self.by_creation())
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
        let (max_items, max_pages) = (self.max_items, self.max_pages);
        let by_creation = self.by_creation();
        let query = Arc::new(self);
        let mut paginator = Paginator::time_cursor(
            move |cursor: Option<QueryCursor>| {
                let query = Arc::clone(&query);
                async move {
                    if limit == 0 || limit > MAX_LIMIT {
                        return Err(Error::invalid_input(
                            "limit",
                            format!("{limit} is outside 1..={MAX_LIMIT}"),
                        ));
                    }
                    let req = query.request(cursor.as_ref(), Some(limit))?;
                    let resp = query.transport.execute(req).await?;
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
        });
        if let Some(max) = max_items {
            paginator = paginator.max_items(max);
        }
        if let Some(max) = max_pages {
            paginator = paginator.max_pages(max);
        }
        paginator
    }
}

incident_core::impl_into_future!([] QueryIncidents => IncidentPage);

/// Reads a `queryIncidents` answer in either shape; a 404 (accepted by the hook) or an
/// envelope saying 404 is "no data".
///
/// The incidents are counted while they are decoded: more than `limit` plus [`MAX_TIES`] is
/// a protocol error raised before the surplus is decoded, and the incidents beyond `limit`
/// must share the timestamp (`timeCreated` when `by_creation`, else `timeModified`) of the
/// one at the limit.
pub(crate) fn decode_page(
    resp: &ApiResponse,
    limit: Option<u32>,
    by_creation: bool,
) -> Result<IncidentPage> {
    if resp.status() == StatusCode::NOT_FOUND {
        return Ok(no_data(None));
    }
    let bound = limit.map(|l| u64::from(l) + u64::from(MAX_TIES));
    let (response, envelope) =
        incident_core::paging::decode_page::<IncidentsWire>(resp, bound)?.into_parts();
    if envelope
        .as_ref()
        .and_then(|e| e.status_code_value)
        .is_some_and(|c| c == 404)
    {
        return Ok(no_data(envelope));
    }
    let IncidentResponse {
        response_info,
        incidents,
    } = response;
    if let Some(limit) = limit.map(|l| l as usize)
        && incidents.len() > limit
    {
        let time = |i: &Incident| {
            if by_creation {
                i.time_created
            } else {
                i.time_modified
            }
        };
        let boundary = incidents.get(limit.saturating_sub(1)).and_then(time);
        if limit == 0
            || boundary.is_none()
            || incidents[limit..].iter().any(|i| time(i) != boundary)
        {
            return Err(Error::Protocol {
                vendor: VENDOR,
                message: format!(
                    "a page holds {} incidents, more than the limit of {limit}, and not all \
                     of the extra ones share the timestamp of the last one within the limit",
                    incidents.len()
                ),
            });
        }
    }
    let response_info = response_info.unwrap_or_default();
    let next = if incidents.is_empty() {
        None
    } else {
        QueryCursor::from_response_info(&response_info)
    };
    Ok(IncidentPage {
        incidents,
        response_info,
        envelope,
        next,
        no_data: false,
    })
}

fn no_data(envelope: Option<Envelope>) -> IncidentPage {
    IncidentPage {
        incidents: Vec::new(),
        response_info: ResponseInfo::default(),
        envelope,
        next: None,
        no_data: true,
    }
}

/// A `modifyIncidents` batch; end it with [`send`](Self::send) or `.await` it.
#[derive(Debug, Clone)]
#[must_use = "a change does nothing until it is sent"]
pub struct ModifyIncidents {
    transport: Transport,
    batch: Vec<IncidentChange>,
    /// The first invalid id given, refused when sent.
    invalid: Option<String>,
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

    /// Sends the batch and returns each incident's outcome. An empty batch, an invalid id,
    /// the same incident twice or a change without `WORKFLOW_STATUS` is refused before
    /// sending. Setting a status twice has the same effect as once, so the call is retried
    /// after a 5xx or a broken connection.
    pub async fn send(self) -> Result<ModifyOutcome> {
        if let Some(id) = &self.invalid {
            IncidentId::parse(id)?;
        }
        if self.batch.is_empty() {
            return Err(Error::invalid_input(
                "modifyIncidents",
                "the batch is empty",
            ));
        }
        let mut seen = HashSet::new();
        for change in &self.batch {
            IncidentId::parse(change.incident_id.as_str())?;
            if !seen.insert(change.incident_id.as_str()) {
                return Err(Error::invalid_input(
                    "modifyIncidents",
                    format!("{} is in the batch twice", change.incident_id),
                ));
            }
            if change.change_requests.workflow_status.is_none() {
                return Err(Error::invalid_input(
                    "modifyIncidents",
                    format!(
                        "the change of {} sets no WORKFLOW_STATUS",
                        change.incident_id
                    ),
                ));
            }
        }
        let req = ApiRequest::post(ApiPath::new("/modifyIncidents"))
            .idempotent(true)
            .json(&self.batch)?;
        let resp = self.transport.execute(req).await?;
        let info = resp.json::<ModifyAnswer>()?.into_response_info();
        let ids: Vec<&str> = self.batch.iter().map(|c| c.incident_id.as_str()).collect();
        // The same reading of the answer as the hook's, which already failed the call if
        // the batch was refused as a whole.
        let verdict = modify_verdict(resp.body(), &ids).map_err(|e| Error::Protocol {
            vendor: VENDOR,
            message: format!("the answer of modifyIncidents cannot be read: {e}"),
        })?;
        Ok(ModifyOutcome::from_answer(&self.batch, info, verdict))
    }
}

incident_core::impl_into_future!([] ModifyIncidents => ModifyOutcome);
