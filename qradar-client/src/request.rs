//! The two shapes of QRadar operations: a [`List`] (`filter`, `fields`, `sort`, `Range`),
//! answered one [`Page`] at a time or walked page by page, and a [`Single`] object read or
//! written, with `fields`. Both end in an [`incident_core::Call`], so every operation takes
//! the per-call options of incident-core (`deadline`, `retry_policy`, `header`).
//!
//! # Errors
//!
//! Every QRadar operation fails with [`Error::InvalidInput`] for a value refused before
//! anything is sent (an invalid [`Filter`], a `range` that ends before it starts, an empty
//! note, an update that changes nothing); with the errors of
//! [`Transport::execute`](incident_core::Transport::execute), among them [`Error::Api`] for
//! a non-2xx with QRadar's code ([`QRadarErrorExt`](crate::QRadarErrorExt)); with
//! [`Error::Decode`] for an answer of another shape; and, for a list, with
//! [`Error::Protocol`] for a `Content-Range` that does not match the items or more items
//! than asked for.

use std::future::IntoFuture;
use std::marker::PhantomData;
use std::sync::Arc;

use futures::stream::BoxStream;
use incident_core::paging::{OffsetPage, Paginator, WalkLimits};
use incident_core::{ApiPath, ApiRequest, Call, CallOptions, Error, Result, Transport};
use serde::de::DeserializeOwned;

use crate::client::VENDOR;
use crate::model::{Filter, ListParams, Range, Record, Sortable};

pub use crate::model::{ContentRange, Page};
pub use incident_core::paging::{DEFAULT_PAGE_SIZE, DEFAULT_PREFETCH};

/// What a page says about its window, for the offset paginator.
fn offset_page<T>(page: Page<T>, asked: u64) -> OffsetPage<T> {
    match page.content_range {
        Some(ContentRange::Items { start, total, .. }) => OffsetPage::new(page.items)
            .starting_at(start)
            .with_total(total),
        Some(ContentRange::Unsatisfied { total }) => {
            OffsetPage::new(page.items).with_total(total).last()
        }
        // QRadar answers a `Range` with a `Content-Range`. Without one, the `Range` was not
        // seen (a proxy dropped it): the answer is the whole list, and asking again would
        // bring it again.
        None => {
            if page.items.len() as u64 >= asked {
                tracing::warn!(
                    items = page.items.len(),
                    "a list answer without Content-Range is taken as the whole list"
                );
            }
            OffsetPage::new(page.items).last()
        }
    }
}

/// A list request: `GET` on a collection of `T`, with the parameters its endpoint accepts
/// ([`sort`](Self::sort) only where QRadar sorts).
///
/// `.await` it (or [`send`](Self::send) it) for one page, or walk every item with
/// [`into_stream`](Self::into_stream).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent or streamed"]
pub struct List<T> {
    transport: Transport,
    path: Result<ApiPath, String>,
    params: ListParams,
    page_size: u64,
    prefetch: usize,
    limits: WalkLimits,
    options: CallOptions,
    _item: PhantomData<fn() -> T>,
}

impl<T: Record> List<T> {
    pub(crate) fn new(transport: &Transport, path: Result<ApiPath>) -> Self {
        List {
            transport: transport.clone(),
            path: path.map_err(|e| e.to_string()),
            params: ListParams::default(),
            page_size: DEFAULT_PAGE_SIZE,
            prefetch: DEFAULT_PREFETCH,
            limits: WalkLimits::default(),
            options: CallOptions::default(),
            _item: PhantomData,
        }
    }

    /// Sets a parameter of one endpoint; the last value set is the one sent.
    pub(crate) fn flag(mut self, name: &'static str, value: impl ToString) -> Self {
        self.params.flag(name, value.to_string());
        self
    }

    /// Keeps only the items matching `filter` (QRadar's `filter` parameter).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.params.filter = Some(filter);
        self
    }

    /// Keeps only the items matching a filter written in QRadar's syntax, sent as is.
    pub fn filter_raw(self, filter: impl Into<String>) -> Self {
        self.filter(Filter::raw(filter))
    }

    /// Returns only these fields, e.g. `"id,status,rules(id)"`. Every model field is an
    /// `Option`, so objects with fields left out still decode.
    pub fn fields(mut self, fields: impl Into<String>) -> Self {
        self.params.fields = Some(fields.into());
        self
    }

    /// Asks for the items at positions `start..=end` (zero-based, inclusive), sent as the
    /// `Range: items=start-end` header. `end` before `start` is refused when sent.
    pub fn range(mut self, start: u64, end: u64) -> Self {
        self.params.range = Some(Range { start, end });
        self
    }

    /// The number of items per request when streaming (default [`DEFAULT_PAGE_SIZE`]).
    pub fn page_size(mut self, size: u64) -> Self {
        self.page_size = size;
        self
    }

    /// How many pages [`into_stream`](Self::into_stream) requests ahead of the one being read
    /// (default [`DEFAULT_PREFETCH`]); 0 requests each page once the previous one is read.
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.prefetch = pages;
        self
    }

    incident_core::walk_limits!(limits);

    incident_core::call_options!(options);

    fn request(&self, range: Option<Range>) -> Result<ApiRequest> {
        let path = self.path.clone();
        let path = path.map_err(|why| Error::invalid_input("path segment", why))?;
        let request = self.params.apply(ApiRequest::get(path), range)?;
        Ok(self.options.apply(request))
    }

    /// The request for one page, and how its answer is read.
    fn page(&self, range: Option<Range>) -> Call<Page<T>> {
        let asked = range.and_then(Range::len);
        Call::new(&self.transport, self.request(range), move |response| {
            Page::decode(response, asked)
        })
    }

    /// The page asked for ([`range`](Self::range), else the whole list) as a [`Call`].
    pub fn call(self) -> Call<Page<T>> {
        self.page(self.params.range)
    }

    /// Sends the request and returns one page.
    ///
    /// # Errors
    ///
    /// As every QRadar call: see [the module](self).
    pub async fn send(self) -> Result<Page<T>> {
        self.call().await
    }

    /// Walks every matching item, requesting [`page_size`](Self::page_size) items at a time
    /// with `Range` headers, [`prefetch`](Self::prefetch) pages ahead, from the start of
    /// [`range`](Self::range) if one was set (its end is then the last position visited).
    /// The walk, what it holds in memory and its bounds against a console that lies are
    /// incident-core's [`Paginator::offsets`]; here besides, a `Content-Range` that does not
    /// match the items is an [`Error::Protocol`], and an answer without one is the whole list
    /// (the `Range` was lost on the way). Must be polled inside a tokio runtime.
    ///
    /// Offsets shift when items are added or removed while the walk runs. For a walk that
    /// must not skip or repeat items, sort by id and filter on `id >` the last id seen
    /// (the normalized `IncidentSource` stream does this).
    pub fn into_stream(self) -> BoxStream<'static, Result<T>> {
        self.paginator().items()
    }

    /// The walk of [`into_stream`](Self::into_stream) as a paginator, for page-level access
    /// ([`Paginator::pages`]: each page with the position of the next one and the total).
    pub fn paginator(self) -> Paginator<T, u64> {
        let list = Arc::new(self);
        let fetch = {
            let list = list.clone();
            move |start, len| {
                let range = Range {
                    start,
                    end: start + (len - 1),
                };
                let page = list.page(Some(range));
                page.and_then(move |page| Ok(offset_page(page, len)))
                    .into_future()
            }
        };
        let mut paginator = Paginator::offsets(fetch)
            .vendor(VENDOR)
            .page_size(list.page_size)
            .prefetch(list.prefetch)
            .first_position(list.params.range.map_or(0, |r| r.start))
            .identify_by(T::key)
            .limits(&list.limits);
        if let Some(last) = list.params.range.map(|r| r.end) {
            paginator = paginator.last_position(last);
        }
        paginator
    }
}

impl<T: Sortable> List<T> {
    /// Sorts the items, e.g. `"+id"` or `"-start_time"` (`+` ascending, `-` descending).
    pub fn sort(mut self, sort: impl Into<String>) -> Self {
        self.params.sort = Some(sort.into());
        self
    }
}

incident_core::impl_into_future!([T] List<T> => Page<T>, where T: Record);

/// A request answered with one object: a read, or a write that returns what it made, with
/// QRadar's `fields` selection. `.await` it (or [`send`](Self::send) it).
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct Single<T> {
    transport: Transport,
    request: Result<ApiRequest>,
    fields: Option<String>,
    options: CallOptions,
    _item: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + Send + 'static> Single<T> {
    /// `request`, or why it cannot be made (returned when awaited, before anything is sent).
    pub(crate) fn new(transport: &Transport, request: Result<ApiRequest>) -> Self {
        Single {
            transport: transport.clone(),
            request,
            fields: None,
            options: CallOptions::default(),
            _item: PhantomData,
        }
    }

    /// Returns only these fields, e.g. `"id,status"`.
    pub fn fields(mut self, fields: impl Into<String>) -> Self {
        self.fields = Some(fields.into());
        self
    }

    incident_core::call_options!(options);

    /// The request as a [`Call`].
    pub fn call(self) -> Call<T> {
        let request = self.request.map(|r| r.query_opt("fields", self.fields));
        Call::json(&self.transport, request).options(self.options)
    }

    /// Sends the request and returns the object.
    ///
    /// # Errors
    ///
    /// As every QRadar call: see [the module](self).
    pub async fn send(self) -> Result<T> {
        self.call().await
    }
}

incident_core::impl_into_future!([T] Single<T> => T, where T: DeserializeOwned + Send + 'static);
