//! Security events (`{app}/API/pta/API/Events/`): list with filters, get (through the list),
//! open and close.

use incident_core::paging::Items;
use incident_core::reqwest::header::{HeaderName, HeaderValue};
use incident_core::{ApiPath, ApiRequest, ApiResponse, Call, CallOptions, Error, Result};
use time::OffsetDateTime;

use crate::client::{EventFilterMode, PtaClient, VENDOR};
use crate::model::{EventStatus, ListedEvent, SecurityEvent, StatusBody};
use crate::url_rules::{check_url_value, path_with};

pub use crate::model::{DEFAULT_MAX_EVENTS, LEGACY_DATE_HEADER};

incident_core::operations_handle! {
    /// Security event operations; get it from [`PtaClient::events`].
    pub struct EventsApi { client: PtaClient }
}

impl EventsApi {
    /// `{app}/API/pta/API/Events/`, with the trailing slash PVWA expects.
    fn collection(&self) -> ApiPath {
        self.client.path("API/pta/API/Events").trailing_slash()
    }

    /// Lists security events (`GET {app}/API/pta/API/Events/`). Without filters, PVWA
    /// answers every event, open and closed; the answer is one JSON array (PTA does not page
    /// it).
    pub fn list(&self) -> ListEvents {
        ListEvents {
            client: self.client.clone(),
            status: None,
            from_update_date: None,
            account_id: None,
            max_events: DEFAULT_MAX_EVENTS,
            options: CallOptions::default(),
        }
    }

    /// Reads one security event.
    ///
    /// PTA documents no `GET` of a single event (only the `PATCH` of one): this lists the
    /// events and picks the one with this id, so it costs a whole listing. An id that is not
    /// in the listing gives [`Error::NotFound`] (`is_not_found()` is true). The id is
    /// checked against PVWA's URL rules first, like every id this crate sends.
    pub fn get(&self, event_id: impl Into<String>) -> GetEvent {
        GetEvent {
            list: self.list(),
            id: event_id.into(),
            options: CallOptions::default(),
        }
    }

    /// Sets the status of one security event (`PATCH {app}/API/pta/API/Events/{id}` with
    /// `{"mStatus": "OPEN"|"CLOSED"}`), answered with the event as it is afterwards.
    pub fn update(&self, event_id: impl Into<String>, status: EventStatus) -> UpdateEvent {
        UpdateEvent {
            client: self.client.clone(),
            base: self.client.path("API/pta/API/Events"),
            id: event_id.into(),
            status,
            options: CallOptions::default(),
        }
    }

    /// Closes one security event (`{"mStatus": "CLOSED"}`).
    pub fn close(&self, event_id: impl Into<String>) -> UpdateEvent {
        self.update(event_id, EventStatus::Closed)
    }

    /// Reopens one security event (`{"mStatus": "OPEN"}`).
    pub fn reopen(&self, event_id: impl Into<String>) -> UpdateEvent {
        self.update(event_id, EventStatus::Open)
    }
}

/// A security event listing; `.await` it (or [`send`](Self::send) it).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct ListEvents {
    client: PtaClient,
    status: Option<EventStatus>,
    from_update_date: Option<OffsetDateTime>,
    account_id: Option<String>,
    max_events: u64,
    options: CallOptions,
}

impl ListEvents {
    /// Most events the answer may hold (default [`DEFAULT_MAX_EVENTS`]); one more is an
    /// [`Error::LimitExceeded`] raised before it is decoded.
    pub fn max_events(mut self, max: u64) -> Self {
        self.max_events = max;
        self
    }

    /// Only events in this status (`status=OPEN`; in the legacy mode, filtered by the client).
    pub fn status(mut self, status: EventStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only events updated at or after `t` (`fromUpdateDate`, or the `lastUpdatedEventDate`
    /// header in the legacy mode), in the client's [`DateUnit`](crate::DateUnit).
    pub fn from_update_date(mut self, t: OffsetDateTime) -> Self {
        self.from_update_date = Some(t);
        self
    }

    /// Only events about this Vault account (`accountID`, PAS 11.4 and later; refused in the
    /// legacy mode).
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    incident_core::call_options!(options);

    pub(crate) fn request(&self) -> Result<ApiRequest> {
        let events = EventsApi::new(self.client.clone());
        let mut req = ApiRequest::get(events.collection());
        let date = self
            .from_update_date
            .map(|t| self.client.date_unit().format(t));
        if let Some(account) = &self.account_id {
            check_url_value("accountID", account)?;
        }
        match self.client.event_filter_mode() {
            EventFilterMode::Query => {
                req = req
                    .query_opt("fromUpdateDate", date)
                    .query_opt(
                        "status",
                        self.status.as_ref().map(|s| s.as_str().to_owned()),
                    )
                    .query_opt("accountID", self.account_id.clone());
            }
            EventFilterMode::LegacyHeader => {
                if self.account_id.is_some() {
                    return Err(Error::invalid_input(
                        "accountID",
                        "PAS 10.3 to 11.2 (the legacy filter mode) cannot filter on an account",
                    ));
                }
                if let Some(date) = date {
                    let value = HeaderValue::from_str(&date)
                        .map_err(|_| Error::invalid_input("lastUpdatedEventDate", date.clone()))?;
                    req = req.header(HeaderName::from_static("lastupdatedeventdate"), value);
                }
            }
        }
        Ok(req)
    }

    /// `request` (this listing's, or why it cannot be made), answered as this listing is.
    fn answer(self, request: Result<ApiRequest>) -> Call<Vec<SecurityEvent>> {
        let legacy = self.client.event_filter_mode() == EventFilterMode::LegacyHeader;
        let kept_status = self.status.filter(|_| legacy);
        let max_events = self.max_events;
        Call::new(self.client.transport(), request, move |resp| {
            decode_events(resp, max_events, kept_status.as_ref())
        })
        .options(self.options)
    }

    /// The listing as a [`Call`]: the events, in the server's order.
    ///
    /// Decoded event by event ([`decode_limited`](incident_core::paging::decode_limited)):
    /// an event without its `id` is an [`Error::Decode`], more than
    /// [`max_events`](Self::max_events) events an [`Error::LimitExceeded`].
    pub fn call(self) -> Call<Vec<SecurityEvent>> {
        let request = self.request();
        self.answer(request)
    }

    /// Sends the request and returns the events (see [`call`](Self::call)).
    ///
    /// # Errors
    ///
    /// As every call ([`PtaClient`]); [`Error::LimitExceeded`] past `max_events`.
    pub async fn send(self) -> Result<Vec<SecurityEvent>> {
        self.call().await
    }
}

incident_core::impl_into_future!([] ListEvents => Vec<SecurityEvent>);

/// Reads the answer of the event listing: at most `max_events` events, each with its id;
/// with `kept_status` (the legacy filter mode, whose server cannot filter), only the events
/// in that status.
pub(crate) fn decode_events(
    resp: &ApiResponse,
    max_events: u64,
    kept_status: Option<&EventStatus>,
) -> Result<Vec<SecurityEvent>> {
    let listed: Items<ListedEvent> = incident_core::paging::decode_limited(
        resp,
        max_events,
        "security events in one answer (ListEvents::max_events raises it)",
    )?;
    let mut events: Vec<SecurityEvent> = listed.into_iter().map(|l| l.0).collect();
    if let Some(status) = kept_status {
        events.retain(|e| e.status.as_ref() == Some(status));
    }
    Ok(events)
}

/// One security event, found through the listing; `.await` it (or [`send`](Self::send) it).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetEvent {
    list: ListEvents,
    id: String,
    options: CallOptions,
}

impl GetEvent {
    incident_core::call_options!(options);

    /// The listing that finds the event, as a [`Call`].
    pub fn call(self) -> Call<SecurityEvent> {
        let GetEvent { list, id, options } = self;
        let request = check_url_value("event id", &id).and_then(|()| list.request());
        let list = ListEvents { options, ..list };
        list.answer(request).and_then(move |events| {
            events
                .into_iter()
                .find(|e| e.id.as_deref() == Some(id.as_str()))
                .ok_or_else(|| Error::not_found(VENDOR, format!("security event {id:?}")))
        })
    }

    /// Lists the events and returns the one with the id.
    ///
    /// # Errors
    ///
    /// As the listing; [`Error::NotFound`] for an id it does not hold.
    pub async fn send(self) -> Result<SecurityEvent> {
        self.call().await
    }
}

incident_core::impl_into_future!([] GetEvent => SecurityEvent);

/// A status update of one security event; `.await` it (or [`send`](Self::send) it).
#[derive(Debug, Clone)]
#[must_use = "an update does nothing until it is sent"]
pub struct UpdateEvent {
    client: PtaClient,
    base: ApiPath,
    id: String,
    status: EventStatus,
    options: CallOptions,
}

impl UpdateEvent {
    incident_core::call_options!(options);

    pub(crate) fn request(&self) -> Result<ApiRequest> {
        if self.status.is_unknown() {
            return Err(Error::invalid_input(
                "mStatus",
                format!("{:?} is not OPEN or CLOSED", self.status.as_str()),
            ));
        }
        let path = path_with(self.base.clone(), "event id", &self.id)?;
        Ok(ApiRequest::patch(path)
            .json(&StatusBody {
                status: self.status.as_str(),
            })?
            // Setting a status twice leaves the event as setting it once does.
            .idempotent(true))
    }

    /// The update as a [`Call`]: the event as it is afterwards.
    pub fn call(self) -> Call<SecurityEvent> {
        Call::json(self.client.transport(), self.request()).options(self.options)
    }

    /// Sends the update and returns the event as it is afterwards.
    ///
    /// # Errors
    ///
    /// As every call: see [`PtaClient`].
    pub async fn send(self) -> Result<SecurityEvent> {
        self.call().await
    }
}

incident_core::impl_into_future!([] UpdateEvent => SecurityEvent);
