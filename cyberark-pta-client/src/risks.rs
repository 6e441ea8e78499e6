//! Risk events (`{app}/API/pta/API/Risks/RisksEvents/`, PAM self-hosted 13.2 and later): one
//! page with `filter`, `sort`, `page` and `size`, or a stream over every page; close and
//! reopen with a close reason.

use std::future::IntoFuture;

use futures::stream::BoxStream;
use incident_core::paging::{Paginator, WalkLimits};
use incident_core::{ApiPath, ApiRequest, Call, CallOptions, Error, Result};

use crate::client::{PtaClient, VENDOR};
use crate::model::{CloseReason, EventStatus, RiskEvent, RiskEventsPage, RiskType};
use crate::model::{RiskUpdateBody, risk_filter};
use crate::url_rules::{check_url_value, path_with};

pub use crate::model::{DEFAULT_RISK_PAGE_SIZE, MAX_REASON_TEXT, MAX_RISK_PAGE_SIZE};

incident_core::operations_handle! {
    /// Risk event operations; get it from [`PtaClient::risks`].
    pub struct RisksApi { client: PtaClient }
}

impl RisksApi {
    /// Lists risk events (`GET {app}/API/pta/API/Risks/RisksEvents/`).
    pub fn list(&self) -> ListRiskEvents {
        ListRiskEvents {
            client: self.client.clone(),
            risk_type: None,
            status: None,
            filter: None,
            sort: None,
            page: None,
            size: None,
            limits: WalkLimits::default(),
            options: CallOptions::default(),
        }
    }

    /// Closes a risk event with a reason (`PATCH .../RisksEvents/{id}` with
    /// `{"status": "CLOSED", "closeReason": ...}`); add a text with
    /// [`UpdateRiskEvent::reason_text`].
    pub fn close(&self, risk_event_id: impl Into<String>, reason: CloseReason) -> UpdateRiskEvent {
        UpdateRiskEvent {
            client: self.client.clone(),
            id: risk_event_id.into(),
            status: EventStatus::Closed,
            close_reason: Some(reason),
            reason_text: None,
            options: CallOptions::default(),
        }
    }

    /// Reopens a risk event (`{"status": "OPEN"}`).
    pub fn reopen(&self, risk_event_id: impl Into<String>) -> UpdateRiskEvent {
        UpdateRiskEvent {
            client: self.client.clone(),
            id: risk_event_id.into(),
            status: EventStatus::Open,
            close_reason: None,
            reason_text: None,
            options: CallOptions::default(),
        }
    }
}

/// A risk event listing: one page with [`send`](Self::send) (or `.await`), or every page
/// with [`into_stream`](Self::into_stream).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent or streamed"]
pub struct ListRiskEvents {
    client: PtaClient,
    risk_type: Option<RiskType>,
    status: Option<EventStatus>,
    filter: Option<String>,
    sort: Option<String>,
    page: Option<u64>,
    size: Option<u64>,
    limits: WalkLimits,
    options: CallOptions,
}

impl ListRiskEvents {
    /// Only risk events of this type (`type eq "..."` in `filter`).
    pub fn risk_type(mut self, risk_type: RiskType) -> Self {
        self.risk_type = Some(risk_type);
        self
    }

    /// Only risk events in this status (`status eq "..."` in `filter`).
    pub fn status(mut self, status: EventStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// A `filter` written by hand, e.g. `type eq "RISK_RISKY_SPN" AND status eq "OPEN"`;
    /// replaces [`risk_type`](Self::risk_type) and [`status`](Self::status). `+`, `&` and
    /// `%` are refused (PVWA does not support them in URL values).
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// The `sort` field: `detectionTime` or `score`.
    pub fn sort(mut self, sort: impl Into<String>) -> Self {
        self.sort = Some(sort.into());
        self
    }

    /// The page to ask for, from 0 (the first page of [`into_stream`](Self::into_stream)).
    pub fn page(mut self, page: u64) -> Self {
        self.page = Some(page);
        self
    }

    /// Risk events per page, 1 to [`MAX_RISK_PAGE_SIZE`].
    pub fn size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }

    fn filter_text(&self) -> Option<String> {
        self.filter
            .clone()
            .or_else(|| risk_filter(self.risk_type.as_ref(), self.status.as_ref()))
    }

    fn request(&self, page: Option<u64>, size: Option<u64>) -> Result<ApiRequest> {
        if let Some(size) = size
            && !(1..=MAX_RISK_PAGE_SIZE).contains(&size)
        {
            return Err(Error::invalid_input(
                "size",
                format!("{size} is outside 1..={MAX_RISK_PAGE_SIZE}"),
            ));
        }
        let filter = self.filter_text();
        if let Some(f) = &filter
            && let Some(c) = f
                .chars()
                .find(|c| matches!(c, '+' | '&' | '%') || c.is_control())
        {
            return Err(Error::invalid_input(
                "filter",
                format!("the filter contains {c:?}; PVWA supports none of + & % in URL values"),
            ));
        }
        if let Some(sort) = &self.sort {
            check_url_value("sort", sort)?;
        }
        let request = ApiRequest::get(self.collection())
            .query_opt("filter", filter)
            .query_opt("sort", self.sort.clone())
            .query_opt("page", page.map(|p| p.to_string()))
            .query_opt("size", size.map(|s| s.to_string()));
        Ok(self.options.apply(request))
    }

    /// One page, held to `size` risk events while decoded.
    fn page_call(&self, page: Option<u64>, size: Option<u64>) -> Call<RiskEventsPage> {
        Call::page(self.client.transport(), self.request(page, size), size)
    }

    fn collection(&self) -> ApiPath {
        self.client
            .path("API/pta/API/Risks/RisksEvents")
            .trailing_slash()
    }

    incident_core::walk_limits!(limits);

    incident_core::call_options!(options);

    /// The page asked for as a [`Call`]. A page holding more risk events than the `size`
    /// asked is an [`Error::Protocol`].
    pub fn call(self) -> Call<RiskEventsPage> {
        self.page_call(self.page, self.size)
    }

    /// Sends the request and returns one page (see [`call`](Self::call)).
    ///
    /// # Errors
    ///
    /// As every call ([`PtaClient`]); [`Error::Protocol`] for more risk events than asked.
    pub async fn send(self) -> Result<RiskEventsPage> {
        self.call().await
    }

    /// Every risk event of every page from [`page`](Self::page) (default 0), lazily: page
    /// `n + 1` is asked for once page `n` has been read. The walk ends at a page shorter than
    /// the size (default [`DEFAULT_RISK_PAGE_SIZE`]) or an empty one.
    pub fn into_stream(self) -> BoxStream<'static, Result<RiskEvent>> {
        self.paginator().items()
    }

    /// The walk of [`into_stream`](Self::into_stream) as incident-core's page-number
    /// [`Paginator`], for page-level access and its limits
    /// ([`max_pages`](Paginator::max_pages), [`page_ceiling`](Paginator::page_ceiling)).
    pub fn paginator(self) -> Paginator<RiskEvent, u64> {
        let size = self.size.unwrap_or(DEFAULT_RISK_PAGE_SIZE);
        let first = self.page.unwrap_or(0);
        let limits = self.limits;
        Paginator::page_numbers(first, move |page, size| {
            let page = self.page_call(Some(page), Some(size));
            page.and_then(|page| Ok(page.entities)).into_future()
        })
        .vendor(VENDOR)
        .page_size(size)
        .identify_by(|e: &RiskEvent| {
            Some((
                e.id.clone()?,
                e.status.as_ref().map(|s| s.as_str().to_owned()),
            ))
        })
        .limits(&limits)
    }
}

incident_core::impl_into_future!([] ListRiskEvents => RiskEventsPage);

/// A status update of one risk event; `.await` it (or [`send`](Self::send) it).
#[derive(Debug, Clone)]
#[must_use = "an update does nothing until it is sent"]
pub struct UpdateRiskEvent {
    client: PtaClient,
    id: String,
    status: EventStatus,
    close_reason: Option<CloseReason>,
    reason_text: Option<String>,
    options: CallOptions,
}

impl UpdateRiskEvent {
    /// The text that goes with the close reason, at most [`MAX_REASON_TEXT`] characters.
    pub fn reason_text(mut self, text: impl Into<String>) -> Self {
        self.reason_text = Some(text.into());
        self
    }

    pub(crate) fn request(&self) -> Result<ApiRequest> {
        if let Some(text) = &self.reason_text {
            let n = text.chars().count();
            if n > MAX_REASON_TEXT {
                return Err(Error::invalid_input(
                    "reasonText",
                    format!("{n} characters, more than the {MAX_REASON_TEXT} PVWA accepts"),
                ));
            }
            if self.status != EventStatus::Closed {
                return Err(Error::invalid_input(
                    "reasonText",
                    "a reason text goes with closing only",
                ));
            }
        }
        if self
            .close_reason
            .as_ref()
            .is_some_and(CloseReason::is_unknown)
        {
            return Err(Error::invalid_input(
                "closeReason",
                "not one of HANDLED, NOTREAL, OTHER, NONE",
            ));
        }
        let base = self.client.path("API/pta/API/Risks/RisksEvents");
        let path = path_with(base, "risk event id", &self.id)?;
        Ok(ApiRequest::patch(path)
            .json(&RiskUpdateBody {
                status: self.status.as_str(),
                close_reason: self.close_reason.as_ref().map(CloseReason::as_str),
                reason_text: self.reason_text.as_deref(),
            })?
            .idempotent(true))
    }

    incident_core::call_options!(options);

    /// The update as a [`Call`]: the risk event as it is afterwards.
    pub fn call(self) -> Call<RiskEvent> {
        Call::json(self.client.transport(), self.request()).options(self.options)
    }

    /// Sends the update and returns the risk event as it is afterwards.
    ///
    /// # Errors
    ///
    /// As every call: see [`PtaClient`].
    pub async fn send(self) -> Result<RiskEvent> {
        self.call().await
    }
}

incident_core::impl_into_future!([] UpdateRiskEvent => RiskEvent);
