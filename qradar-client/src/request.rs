//! Request builders shared by every QRadar endpoint: lists with `filter`, `fields`, `sort` and
//! `Range`, single-object reads with `fields`, pages with their `Content-Range`, and streams
//! that walk every page.

use std::marker::PhantomData;
use std::sync::Arc;

use futures::stream::BoxStream;
use incident_core::paging::{Items, OffsetPage, Paginator};
use incident_core::{ApiPath, ApiRequest, ApiResponse, Error, Result};
use serde::de::DeserializeOwned;

use crate::client::VENDOR;
pub use crate::model::{ContentRange, Page};
use crate::model::{Filter, Range};
use incident_core::Transport;

/// The page size [`List::into_stream`] uses unless [`List::page_size`] says otherwise.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// How many pages [`List::into_stream`] requests ahead unless [`List::prefetch`] says
/// otherwise: one, so that at most two requests of a stream are in flight.
pub const DEFAULT_PREFETCH: usize = 1;

/// Marker types naming each list endpoint, so that each list request offers exactly the
/// parameters its endpoint documents (`sort` only where QRadar accepts it, `include_reserved`
/// only on closing reasons).
pub mod endpoint {
    /// `GET /siem/offenses`.
    #[derive(Debug, Clone, Copy)]
    pub struct Offenses;
    /// `GET /siem/offenses/{offense_id}/notes`.
    #[derive(Debug, Clone, Copy)]
    pub struct Notes;
    /// `GET /siem/offenses/{offense_id}/assignable_actors`.
    #[derive(Debug, Clone, Copy)]
    pub struct AssignableActors;
    /// `GET /siem/offense_closing_reasons`.
    #[derive(Debug, Clone, Copy)]
    pub struct ClosingReasons;
    /// `GET /siem/offense_types`.
    #[derive(Debug, Clone, Copy)]
    pub struct OffenseTypes;

    use crate::model::{AssignableActor, ClosingReason, Note, Offense, OffenseType};

    /// How the records of an endpoint are named, so that a walk recognizes a page of
    /// records it already delivered (incident-core's `Paginator::identify_by`): the id, and
    /// the update time where the record has one. `None` when `fields` left the id out.
    pub trait Keyed<T> {
        /// The id (and version) of `item`.
        fn key(item: &T) -> Option<(u64, Option<i128>)>;
    }
    impl Keyed<Offense> for Offenses {
        fn key(o: &Offense) -> Option<(u64, Option<i128>)> {
            Some((o.id?, o.last_updated_time.map(|t| t.unix_timestamp_nanos())))
        }
    }
    impl Keyed<Note> for Notes {
        fn key(n: &Note) -> Option<(u64, Option<i128>)> {
            Some((n.id?, None))
        }
    }
    impl Keyed<AssignableActor> for AssignableActors {
        fn key(a: &AssignableActor) -> Option<(u64, Option<i128>)> {
            Some((a.user_id?, None))
        }
    }
    impl Keyed<ClosingReason> for ClosingReasons {
        fn key(c: &ClosingReason) -> Option<(u64, Option<i128>)> {
            Some((c.id?, None))
        }
    }
    impl Keyed<OffenseType> for OffenseTypes {
        fn key(t: &OffenseType) -> Option<(u64, Option<i128>)> {
            Some((t.id?, None))
        }
    }

    /// Endpoints that accept the `sort` parameter.
    pub trait Sortable {}
    impl Sortable for Offenses {}
    impl Sortable for AssignableActors {}
    impl Sortable for OffenseTypes {}
}

/// Decodes a list answer asked with `asked` items at most (`None`: no `Range` was sent).
///
/// More items than asked is a protocol error raised before they are decoded (incident-core's
/// [`decode_page`](incident_core::paging::decode_page)), so that a console cannot make the
/// client build millions of records; so is a `Content-Range` that does not match the items.
pub(crate) fn decode_page<T: DeserializeOwned>(
    resp: &ApiResponse,
    asked: Option<u64>,
) -> Result<Page<T>> {
    let raw = resp.header_str("content-range");
    let content_range = raw
        .map(|raw| {
            ContentRange::parse(raw).ok_or_else(|| {
                Error::protocol(VENDOR, format!("unreadable Content-Range header {raw:?}"))
            })
        })
        .transpose()?;
    let items = incident_core::paging::decode_page::<Items<T>>(resp, asked)?.into_vec();
    if content_range.is_some_and(|r| !r.holds(items.len() as u64)) {
        return Err(Error::protocol(
            VENDOR,
            format!(
                "Content-Range {:?} does not match the {} items of the page",
                raw.unwrap_or_default(),
                items.len()
            ),
        ));
    }
    Ok(Page {
        items,
        content_range,
    })
}

/// A list request: `GET` on a collection, with the parameters endpoint `E` accepts.
///
/// End it with [`send`](Self::send) (or `.await` it directly) for one page, or with
/// [`into_stream`](Self::into_stream) to walk every item page by page.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent or streamed"]
pub struct List<T, E> {
    transport: Transport,
    path: Result<ApiPath, String>,
    filter: Option<Filter>,
    fields: Option<String>,
    sort: Option<String>,
    range: Option<Range>,
    page_size: u64,
    prefetch: usize,
    max_items: Option<u64>,
    max_pages: Option<u64>,
    extra: Vec<(&'static str, String)>,
    _marker: PhantomData<fn() -> (T, E)>,
}

impl<T, E> List<T, E>
where
    T: DeserializeOwned + Send + 'static,
    E: endpoint::Keyed<T> + Send + 'static,
{
    pub(crate) fn new(transport: Transport, path: Result<ApiPath>) -> Self {
        List {
            transport,
            path: path.map_err(|e| e.to_string()),
            filter: None,
            fields: None,
            sort: None,
            range: None,
            page_size: DEFAULT_PAGE_SIZE,
            prefetch: DEFAULT_PREFETCH,
            max_items: None,
            max_pages: None,
            extra: Vec::new(),
            _marker: PhantomData,
        }
    }

    pub(crate) fn param(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.retain(|(n, _)| *n != name);
        self.extra.push((name, value.into()));
        self
    }

    /// Keeps only the items matching `filter` (QRadar's `filter` parameter).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Keeps only the items matching a filter written in QRadar's syntax, sent as is.
    pub fn filter_raw(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(Filter::raw(filter.into()));
        self
    }

    /// Returns only these fields, e.g. `"id,status,rules(id)"`. Every model field is an
    /// `Option`, so objects with fields left out still decode.
    pub fn fields(mut self, fields: impl Into<String>) -> Self {
        self.fields = Some(fields.into());
        self
    }

    /// Asks for the items at positions `start..=end` (zero-based, inclusive), sent as the
    /// `Range: items=start-end` header. `end` before `start` is refused when sent.
    pub fn range(mut self, start: u64, end: u64) -> Self {
        self.range = Some(Range { start, end });
        self
    }

    /// The number of items per request when streaming (default [`DEFAULT_PAGE_SIZE`]).
    pub fn page_size(mut self, size: u64) -> Self {
        self.page_size = size;
        self
    }

    /// How many pages [`into_stream`](Self::into_stream) requests ahead of the one being
    /// read (default [`DEFAULT_PREFETCH`]); 0 requests each page only when the previous one
    /// has been read.
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.prefetch = pages;
        self
    }

    /// Ends [`into_stream`](Self::into_stream) after this many items; no request asks for
    /// items past the limit.
    pub fn max_items(mut self, max: u64) -> Self {
        self.max_items = Some(max);
        self
    }

    /// Ends [`into_stream`](Self::into_stream) after this many pages (requests), so that a
    /// console that sends one item per page of a huge total cannot keep a walk going.
    pub fn max_pages(mut self, max: u64) -> Self {
        self.max_pages = Some(max);
        self
    }

    fn request(&self, range: Option<Range>) -> Result<ApiRequest> {
        let path = self
            .path
            .clone()
            .map_err(|reason| Error::invalid_input("path segment", reason))?;
        if let Some(filter) = &self.filter {
            filter.validate()?;
        }
        let mut req = ApiRequest::get(path)
            .query_opt("filter", self.filter.as_ref().map(|f| f.to_string()))
            .query_opt("fields", self.fields.clone())
            .query_opt("sort", self.sort.clone());
        for (name, value) in &self.extra {
            req = req.query(*name, value.clone());
        }
        if let Some(range) = range {
            let (name, value) = range.header()?;
            req = req.header(name, value);
        }
        Ok(req)
    }

    /// Sends the request and returns one page.
    pub async fn send(self) -> Result<Page<T>> {
        let req = self.request(self.range)?;
        let asked = self.range.and_then(Range::len);
        let resp = self.transport.execute(req).await?;
        decode_page(&resp, asked)
    }

    /// Walks every matching item, requesting [`page_size`](Self::page_size) items at a time
    /// with `Range` headers, starting at the position of [`range`](Self::range) if one was
    /// set (its end is then the last position visited).
    ///
    /// Once the first answer tells how many items match, the stream requests
    /// [`prefetch`](Self::prefetch) pages ahead of the one being read (default
    /// [`DEFAULT_PREFETCH`]), and each page is fetched and decoded in a task of its own: the
    /// console prepares the next page and another core decodes it while this one is read.
    /// At most `prefetch + 1` pages are held in memory, whatever the number of items.
    /// Dropping the stream cancels the requests still in flight. A page shorter than asked
    /// (a console that caps the page size) discards the requests ahead and the walk goes on
    /// from the first item not yet seen. Must be polled inside a tokio runtime, as every
    /// request of this crate. The walk is incident-core's offset [`Paginator`].
    ///
    /// A console that lies cannot keep the walk going nor fill memory: a page holding more
    /// items than asked is refused before they are decoded; a `Content-Range` that does not
    /// match the items, or a page from another position than asked, is an
    /// [`Error::Protocol`]; the walk never goes past the first total reported; an answer
    /// without `Content-Range` is the whole list (QRadar always sends one for a `Range`, so
    /// the `Range` was lost on the way). [`max_items`](Self::max_items) and
    /// [`max_pages`](Self::max_pages) bound a console that sends one item per page.
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
        let page_size = self.page_size;
        let prefetch = self.prefetch;
        let (max_items, max_pages) = (self.max_items, self.max_pages);
        let first = self.range.map_or(0, |r| r.start);
        let last = self.range.map(|r| r.end);
        let list = Arc::new(self);
        let mut paginator = Paginator::offsets(move |start, len| {
            // Built here, not in the task, so that a refused request fails before any task.
            let request = list.request(Some(Range {
                start,
                end: start + (len - 1),
            }));
            let transport = list.transport.clone();
            async move {
                let resp = transport.execute(request?).await?;
                Ok(offset_page(decode_page(&resp, Some(len))?, len))
            }
        })
        .vendor(VENDOR)
        .page_size(page_size)
        .prefetch(prefetch)
        .first_position(first)
        .identify_by(E::key);
        if let Some(last) = last {
            paginator = paginator.last_position(last);
        }
        if let Some(max) = max_items {
            paginator = paginator.max_items(max);
        }
        if let Some(max) = max_pages {
            paginator = paginator.max_pages(max);
        }
        paginator
    }
}

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

impl<T, E: endpoint::Sortable> List<T, E> {
    /// Sorts the items, e.g. `"+id"` or `"-start_time"` (`+` ascending, `-` descending).
    pub fn sort(mut self, sort: impl Into<String>) -> Self {
        self.sort = Some(sort.into());
        self
    }
}

incident_core::impl_into_future!([T, E] List<T, E> => Page<T>, where T: DeserializeOwned + Send + 'static, E: endpoint::Keyed<T> + Send + 'static);

/// A request for one object, with the optional `fields` parameter. End it with
/// [`send`](Self::send) or `.await` it directly.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct Get<T> {
    transport: Transport,
    path: Result<ApiPath, String>,
    fields: Option<String>,
    _marker: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + Send + 'static> Get<T> {
    pub(crate) fn new(transport: Transport, path: Result<ApiPath>) -> Self {
        Get {
            transport,
            path: path.map_err(|e| e.to_string()),
            fields: None,
            _marker: PhantomData,
        }
    }

    /// Returns only these fields, e.g. `"id,status"`.
    pub fn fields(mut self, fields: impl Into<String>) -> Self {
        self.fields = Some(fields.into());
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<T> {
        let path = self
            .path
            .map_err(|reason| Error::invalid_input("path segment", reason))?;
        let req = ApiRequest::get(path).query_opt("fields", self.fields);
        self.transport.execute(req).await?.json()
    }
}

incident_core::impl_into_future!([T] Get<T> => T, where T: DeserializeOwned + Send + 'static);
