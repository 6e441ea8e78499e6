//! One paginator for every paging style the vendor APIs use.
//!
//! A [`Paginator`] walks a listing page by page, lazily: nothing is requested until its stream
//! is polled, and at most a few pages are held in memory whatever the number of items. It is
//! built from the vendor crate's request function, in one of these styles:
//!
//! | Style | Constructor | Vendors | End of the walk |
//! |---|---|---|---|
//! | any cursor | [`Paginator::from_callback`] | (the base of the others) | `next` is `None` |
//! | offset / range, with prefetch | [`Paginator::offsets`] | QRadar `Range` | an empty or last page, the total |
//! | page number + page size | [`Paginator::page_numbers`] | Sentinel `page`/`pagesize`, PTA `page`/`size` | a short or empty page |
//! | opaque page token | [`Paginator::page_tokens`] | ESET `pageToken`/`nextPageToken` | an empty or missing token |
//! | time cursor, de-duplicated | [`Paginator::time_cursor`] | Skyhigh `startTime`/`nextStartTime` | no cursor, a cursor that stops moving, an empty page |
//! | next links | [`Paginator::next_links`] | Sentinel `next` | an empty or missing link |
//!
//! Then read it by page ([`Paginator::pages`], for callers that keep a cursor) or by item
//! ([`Paginator::items`]); both are `Send + 'static` streams, so a walk can be spawned:
//!
//! ```
//! use futures::TryStreamExt;
//! use incident_core::paging::{Page, Paginator};
//!
//! # async fn run() -> incident_core::Result<()> {
//! // An API whose pages are `[0, 1, 2]`, `[3, 4, 5]`, `[6]`, with the next page's index as
//! // the cursor.
//! let paginator = Paginator::from_callback(|cursor: Option<u32>| async move {
//!     let page = cursor.unwrap_or(0);
//!     let items: Vec<u32> = (page * 3..(page * 3 + 3).min(7)).collect();
//!     let next = (page < 2).then_some(page + 1);
//!     Ok(Page::new(items, next))
//! });
//! let mut items = paginator.items();
//! let mut seen = Vec::new();
//! while let Some(item) = items.try_next().await? {
//!     seen.push(item);
//! }
//! assert_eq!(seen, [0, 1, 2, 3, 4, 5, 6]);
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()).unwrap();
//! ```
//!
//! # Guards
//!
//! A server that lies must not make a walk endless, nor exhaust memory. Every walk, whatever
//! its style, holds to these bounds; a vendor crate describes how to fetch one page and
//! gets them all without a loop of its own:
//! - **Items are counted while decoding.** A vendor decodes a page with [`decode_page`]
//!   (the page size it asked for as the bound) and its model marks the item arrays with
//!   [`bounded`] (or decodes a bare array as [`Items`]): one item past the bound is an
//!   [`Error::Protocol`] raised before it is decoded, so a page of two million `{}` for a
//!   request of 25 costs 25 records. Any other answer is bounded by the transport's
//!   [`max_items_per_answer`](crate::TransportBuilder::max_items_per_answer). The walk
//!   checks again that no page holds more than [`page_size`](Paginator::page_size) (plus a
//!   documented [`page_overflow`](Paginator::page_overflow)).
//! - **A server that repeats itself is caught.** A page whose `next` cursor is the cursor
//!   that fetched it is an [`Error::Protocol`] (or the end of the walk, for vendors that
//!   document it so: see [`Paginator::when_cursor_stalls`]); a `next` cursor, token or link
//!   already requested earlier in the walk (a cycle of any length) is an
//!   [`Error::Protocol`]; so is a full page made only of records already delivered
//!   ([`Paginator::identify_by`]), and a next page after as many pages as the first total
//!   reported has items, plus one.
//! - **The walk never goes past the first total** a page reports ([`Page::total`]), and
//!   fails after [`MAX_EMPTY_PAGES`] empty pages in a row.
//! - **A ceiling on pages**: [`DEFAULT_PAGE_CEILING`] pages unless raised
//!   ([`Paginator::page_ceiling`]), then [`Error::LimitExceeded`], so that a server inventing
//!   ever-new cursors over new records cannot hold a caller forever;
//!   [`Paginator::deadline`] bounds a whole walk in time.
//! - [`Paginator::max_items`] and [`Paginator::max_pages`] stop a walk cleanly.
//! - Offset walks check that each page starts where it was asked to, and stop at an empty
//!   page.
//!
//! Memory: a walk holds the pages in flight (one, or `prefetch + 1` for offsets), the keys of
//! one page for de-duplication, one fingerprint per page requested and, with
//! [`identify_by`](Paginator::identify_by), one per record delivered (up to
//! [`MAX_REMEMBERED_RECORDS`]).

pub mod decode;
mod limits;

use crate::vendor::Vendor;
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};
use std::sync::Arc;
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::error::{Error, Result};

pub use decode::{
    DEFAULT_MAX_ITEMS_PER_ANSWER, Items, bounded, decode_limited, decode_page, items_and_rest,
};
pub use limits::WalkLimits;

/// The page size of offset and page-number paginators unless [`Paginator::page_size`] says
/// otherwise.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// How many pages an offset paginator requests ahead unless [`Paginator::prefetch`] says
/// otherwise: one, so that at most two requests of a walk are in flight.
pub const DEFAULT_PREFETCH: usize = 1;

/// How many pages in a row may come out empty (as sent, or emptied by de-duplication) while
/// the server keeps giving new cursors, before the walk decides the server is looping and
/// fails with [`Error::Protocol`].
pub const MAX_EMPTY_PAGES: u32 = 100;

/// How many pages a walk may fetch unless [`Paginator::page_ceiling`] or
/// [`Paginator::max_pages`] says otherwise: a server that invents ever-new cursors cannot hold
/// a caller forever. Reaching it is an [`Error::LimitExceeded`], never a silent end.
pub const DEFAULT_PAGE_CEILING: u64 = 10_000;

/// How many records a walk remembers (as 64-bit fingerprints, about 16 bytes each) to
/// recognize a page made only of records it already delivered
/// ([`Paginator::identify_by`]); records past this number are not remembered.
pub const MAX_REMEMBERED_RECORDS: usize = 1 << 20;

/// The vendor name put in protocol errors unless [`Paginator::vendor`] says otherwise.
const UNKNOWN_VENDOR: Vendor = Vendor::new("unknown", "the server");

/// One page of a listing: its items, the cursor of the next page, and the total when the
/// server tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page<T, C> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last page.
    pub next: Option<C>,
    /// How many items match in total, when the server says.
    pub total: Option<u64>,
}

impl<T, C> Page<T, C> {
    /// A page with its items and the cursor of the next page.
    pub fn new(items: Vec<T>, next: Option<C>) -> Self {
        Page {
            items,
            next,
            total: None,
        }
    }

    /// The last page: no next cursor.
    pub fn last(items: Vec<T>) -> Self {
        Page::new(items, None)
    }

    /// Sets how many items match in total.
    #[must_use]
    pub fn with_total(mut self, total: Option<u64>) -> Self {
        self.total = total;
        self
    }
}

/// What the request function of an offset paginator ([`Paginator::offsets`]) returns for
/// the window it was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OffsetPage<T> {
    /// The items, in order, from the position asked for.
    pub items: Vec<T>,
    /// The position of the first item as the server reports it (QRadar's `Content-Range`),
    /// when it does; a position other than the one asked for is a protocol error.
    pub start: Option<u64>,
    /// How many items match in total, when the server says.
    pub total: Option<u64>,
    /// The server says nothing follows this page (a QRadar answer without `Content-Range`,
    /// or `items */n`).
    pub last: bool,
}

impl<T> OffsetPage<T> {
    /// The items of a window, nothing else known.
    pub fn new(items: Vec<T>) -> Self {
        OffsetPage {
            items,
            start: None,
            total: None,
            last: false,
        }
    }

    /// Sets the position of the first item as the server reports it.
    #[must_use]
    pub fn starting_at(mut self, start: u64) -> Self {
        self.start = Some(start);
        self
    }

    /// Sets how many items match in total.
    #[must_use]
    pub fn with_total(mut self, total: Option<u64>) -> Self {
        self.total = total;
        self
    }

    /// Marks the page as the last one.
    #[must_use]
    pub fn last(mut self) -> Self {
        self.last = true;
        self
    }
}

/// What a walk does with a page whose `next` cursor is the cursor that fetched it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StalledCursor {
    /// An [`Error::Protocol`]: the server would be asked for the same page forever. The
    /// default.
    #[default]
    Error,
    /// The walk ends after that page, for vendors that document a cursor that stops moving
    /// as the end (Skyhigh's `nextStartTime`).
    End,
}

/// The request function of a cursor paginator.
type CursorFn<T, C> = dyn Fn(Option<C>) -> BoxFuture<'static, Result<Page<T, C>>> + Send + Sync;
/// The request function of an offset paginator: `(start, len)`.
type OffsetFn<T> = dyn Fn(u64, u64) -> BoxFuture<'static, Result<OffsetPage<T>>> + Send + Sync;
/// The request function of a page-number paginator: `(number, size)`.
type NumberFn<T> = dyn Fn(u64, u64) -> BoxFuture<'static, Result<Vec<T>>> + Send + Sync;

/// The settings of a walk.
#[derive(Debug, Clone)]
struct Config {
    vendor: Vendor,
    page_size: Option<u64>,
    max_items: Option<u64>,
    max_pages: Option<u64>,
    stalled: StalledCursor,
    end_on_empty_page: bool,
    prefetch: usize,
    first_position: u64,
    last_position: Option<u64>,
    ceiling: u64,
    overflow: u64,
    deadline: Option<Duration>,
}

impl Config {
    fn protocol(&self, message: String) -> Error {
        Error::Protocol {
            vendor: self.vendor,
            message,
        }
    }

    /// The page size of the styles that ask for one: set and at least 1.
    fn asked_page_size(&self) -> Result<u64> {
        match self.page_size.unwrap_or(DEFAULT_PAGE_SIZE) {
            0 => Err(Error::invalid_input("page size", "must be at least 1")),
            size => Ok(size),
        }
    }
}

/// Fetches the page at a cursor; `None` is the first page.
trait Source<T, C>: Send {
    fn fetch<'a>(
        &'a mut self,
        cursor: Option<C>,
        config: &'a Config,
    ) -> BoxFuture<'a, Result<Page<T, C>>>;
}

struct CallbackSource<T, C>(Arc<CursorFn<T, C>>);

impl<T: 'static, C: 'static> Source<T, C> for CallbackSource<T, C> {
    fn fetch<'a>(
        &'a mut self,
        cursor: Option<C>,
        _: &'a Config,
    ) -> BoxFuture<'a, Result<Page<T, C>>> {
        (self.0)(cursor)
    }
}

struct NumberSource<T> {
    first: u64,
    fetch: Arc<NumberFn<T>>,
}

impl<T: Send + 'static> Source<T, u64> for NumberSource<T> {
    fn fetch<'a>(
        &'a mut self,
        cursor: Option<u64>,
        config: &'a Config,
    ) -> BoxFuture<'a, Result<Page<T, u64>>> {
        let number = cursor.unwrap_or(self.first);
        let size = config.asked_page_size();
        let fetch = self.fetch.clone();
        async move {
            let size = size?;
            let items = fetch(number, size).await?;
            // A short or empty page is the last one; a longer one is refused by the walk.
            let next = if items.len() as u64 >= size {
                number.checked_add(1)
            } else {
                None
            };
            Ok(Page::new(items, next))
        }
        .boxed()
    }
}

/// A spawned request, cancelled when dropped: a stream dropped half-way leaves nothing
/// running behind it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    async fn join(mut self) -> T {
        match (&mut self.0).await {
            Ok(value) => value,
            // The task is only aborted by this guard's drop, so the error is a panic, which
            // goes on unwinding here.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A window requested ahead of time.
struct Ahead<T> {
    start: u64,
    len: u64,
    task: AbortOnDrop<Result<OffsetPage<T>>>,
}

struct OffsetSource<T> {
    fetch: Arc<OffsetFn<T>>,
    /// Windows requested and not read yet, in order and contiguous.
    ahead: VecDeque<Ahead<T>>,
    /// The smallest total reported so far: no position at or past it is asked for.
    cap: Option<u64>,
    /// How many pages have been read.
    read: u64,
    /// The server answered a window with fewer items than asked (it caps the page size):
    /// windows asked ahead would start at the wrong place, so none are asked any more.
    capped: bool,
}

impl<T: Send + 'static> OffsetSource<T> {
    /// The last position to visit, from the configured last position and `max_items`.
    fn bound(config: &Config) -> Option<u64> {
        let by_items = config
            .max_items
            .map(|n| config.first_position.saturating_add(n.saturating_sub(1)));
        match (config.last_position, by_items) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Requests the window starting at `start` in a task of its own; `false` when there is
    /// nothing to ask there.
    fn request(&mut self, start: u64, size: u64, config: &Config) -> Result<bool> {
        let mut end = start.saturating_add(size - 1);
        if let Some(bound) = Self::bound(config) {
            if start > bound {
                return Ok(false);
            }
            end = end.min(bound);
        }
        let len = end - start + 1;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::config("offset paginators must be polled inside a tokio runtime")
        })?;
        let task = runtime.spawn((self.fetch)(start, len));
        self.ahead.push_back(Ahead {
            start,
            len,
            task: AbortOnDrop(task),
        });
        Ok(true)
    }

    async fn next_page(&mut self, cursor: Option<u64>, config: &Config) -> Result<Page<T, u64>> {
        let size = config.asked_page_size()?;
        let start = cursor.unwrap_or(config.first_position);
        if self.ahead.front().is_some_and(|a| a.start != start) {
            // Asked ahead from a position the walk did not reach (a short page).
            self.ahead.clear();
        }
        if self.ahead.is_empty() && !self.request(start, size, config)? {
            return Ok(Page::last(Vec::new()));
        }
        // Ask ahead only once a total says there is more, while the server answers whole
        // windows, and never for more pages than the walk may read (`max_pages`, else the
        // page ceiling): a window asked ahead is a request the server answers.
        let pages = config.max_pages.unwrap_or(config.ceiling);
        while !self.capped
            && self.ahead.len() <= config.prefetch
            && let Some(cap) = self.cap
            && self.read + (self.ahead.len() as u64) < pages
            && let Some(back) = self.ahead.back()
            && let Some(next) = back.start.checked_add(back.len)
            && next < cap
            && self.request(next, size, config)?
        {}
        let Some(Ahead { start, len, task }) = self.ahead.pop_front() else {
            return Ok(Page::last(Vec::new()));
        };
        self.read += 1;
        let page = task.join().await?;
        if let Some(s) = page.start
            && s != start
        {
            self.ahead.clear();
            return Err(
                config.protocol(format!("asked for items from {start}, got items from {s}"))
            );
        }
        let got = page.items.len() as u64;
        if got > len {
            self.ahead.clear();
            return Err(config.protocol(format!("asked for {len} items from {start}, got {got}")));
        }
        if let Some(total) = page.total {
            self.cap = Some(self.cap.map_or(total, |c| c.min(total)));
        }
        let next = start.checked_add(got).filter(|&next| {
            !page.last
                && got > 0
                && self.cap.is_none_or(|cap| next < cap)
                && Self::bound(config).is_none_or(|bound| next <= bound)
        });
        if got < len {
            self.capped = true;
        }
        if next.is_none() || got != len {
            // The end, or a short page: what was asked ahead starts at the wrong place.
            self.ahead.clear();
        }
        Ok(Page::new(page.items, next).with_total(page.total))
    }
}

impl<T: Send + 'static> Source<T, u64> for OffsetSource<T> {
    fn fetch<'a>(
        &'a mut self,
        cursor: Option<u64>,
        config: &'a Config,
    ) -> BoxFuture<'a, Result<Page<T, u64>>> {
        self.next_page(cursor, config).boxed()
    }
}

/// Drops the items of a page already seen on the page before.
trait Dedup<T>: Send {
    fn retain_new(&mut self, items: &mut Vec<T>);
}

struct ByKey<F, K> {
    key: F,
    /// The keys of the latest page that brought anything new.
    previous: HashSet<K>,
}

impl<T, F, K> Dedup<T> for ByKey<F, K>
where
    F: Fn(&T) -> K + Send,
    K: Eq + Hash + Send,
{
    fn retain_new(&mut self, items: &mut Vec<T>) {
        let mut current = HashSet::with_capacity(items.len());
        items.retain(|item| {
            let key = (self.key)(item);
            let fresh = !self.previous.contains(&key);
            // Every key of the page is kept, repeated or not: the next page overlaps this one.
            current.insert(key) && fresh
        });
        if !items.is_empty() {
            self.previous = current;
        }
        // A page of repeats only holds keys already kept: keep the larger set.
    }
}

/// A lazy walk over the pages of a listing. See the [module documentation](self).
///
/// Built with one of the constructors, tuned with the builder methods, then consumed by
/// [`pages`](Self::pages) or [`items`](Self::items).
#[must_use = "a paginator does nothing until its stream is polled"]
pub struct Paginator<T, C> {
    source: Box<dyn Source<T, C>>,
    dedup: Option<Box<dyn Dedup<T>>>,
    config: Config,
    identity: Option<Identity<T>>,
}

/// The fingerprint of a record, for recognizing records already delivered.
type Identity<T> = Box<dyn Fn(&T) -> Option<u64> + Send>;

/// A set of fingerprints. They come from a keyed hash ([`RandomState`]), which a server
/// cannot steer, so the set uses them as their own hash rather than hashing them again.
type Fingerprints = HashSet<u64, BuildHasherDefault<Prehashed>>;

/// Hashes a fingerprint as itself (bytes, which fingerprints never write, are folded in).
#[derive(Debug, Default, Clone, Copy)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl<T, C> fmt::Debug for Paginator<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paginator")
            .field("vendor", &self.config.vendor)
            .field("page_size", &self.config.page_size)
            .field("max_items", &self.config.max_items)
            .field("max_pages", &self.config.max_pages)
            .field("stalled", &self.config.stalled)
            .field("end_on_empty_page", &self.config.end_on_empty_page)
            .field("dedup", &self.dedup.is_some())
            .field("identity", &self.identity.is_some())
            .field("ceiling", &self.config.ceiling)
            .field("deadline", &self.config.deadline)
            .finish_non_exhaustive()
    }
}

impl<T, C> Paginator<T, C>
where
    T: Send + 'static,
    C: Clone + Eq + Hash + Send + 'static,
{
    fn with_source(source: Box<dyn Source<T, C>>) -> Self {
        Paginator {
            source,
            dedup: None,
            config: Config {
                vendor: UNKNOWN_VENDOR,
                page_size: None,
                max_items: None,
                max_pages: None,
                stalled: StalledCursor::Error,
                end_on_empty_page: false,
                prefetch: DEFAULT_PREFETCH,
                first_position: 0,
                last_position: None,
                ceiling: DEFAULT_PAGE_CEILING,
                overflow: 0,
                deadline: None,
            },
            identity: None,
        }
    }

    /// A paginator over any cursor: `fetch(None)` requests the first page, `fetch(Some(c))`
    /// the page at cursor `c` (the `next` of the page before). The walk ends at a page
    /// without `next`.
    ///
    /// An empty page with a `next` cursor does not end the walk (servers that filter after
    /// paging send those); a cursor that does not advance does, see
    /// [`when_cursor_stalls`](Self::when_cursor_stalls).
    pub fn from_callback<F, Fut>(fetch: F) -> Self
    where
        F: Fn(Option<C>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Page<T, C>>> + Send + 'static,
    {
        let fetch: Arc<CursorFn<T, C>> = Arc::new(move |cursor| fetch(cursor).boxed());
        Self::with_source(Box::new(CallbackSource(fetch)))
    }

    /// A paginator over a time cursor (Skyhigh: `nextStartTime` fed back as `startTime`,
    /// inclusive): `fetch(None)` requests from the caller's own start, `fetch(Some(t))` from
    /// `t`.
    ///
    /// Because the start is inclusive, the items at the boundary come again on the next
    /// page: they are dropped by `key` (see [`dedup_by`](Self::dedup_by)). The walk ends at
    /// a page without a cursor, at a cursor that stops moving, and at an empty page. Set
    /// [`page_size`](Self::page_size) to the limit sent: a *full* page whose cursor did not
    /// move is then an [`Error::Protocol`] rather than the end, since more items share that
    /// instant than a page holds and the rest cannot be reached.
    ///
    /// ```
    /// use futures::TryStreamExt;
    /// use incident_core::paging::{Page, Paginator};
    ///
    /// # async fn run() -> incident_core::Result<()> {
    /// // (id, modified) pairs, at most 3 per page from `start` inclusive.
    /// let data = [("a", 1), ("b", 2), ("c", 2), ("d", 3)];
    /// let paginator = Paginator::time_cursor(
    ///     move |start: Option<u32>| async move {
    ///         let start = start.unwrap_or(0);
    ///         let items: Vec<_> = data.iter().copied().filter(|i| i.1 >= start).take(3).collect();
    ///         let next = items.last().map(|i| i.1);
    ///         Ok(Page::new(items, next))
    ///     },
    ///     |item: &(&str, u32)| item.0,
    /// )
    /// .page_size(3);
    /// // Asks from 0 ([a, b, c]), from 2 ([b, c, d]), from 3 ([d], the cursor stays: the end).
    /// let ids: Vec<&str> = paginator.items().map_ok(|i| i.0).try_collect().await?;
    /// assert_eq!(ids, ["a", "b", "c", "d"]);
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()).unwrap();
    /// ```
    pub fn time_cursor<F, Fut, K, KF>(fetch: F, key: KF) -> Self
    where
        F: Fn(Option<C>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Page<T, C>>> + Send + 'static,
        KF: Fn(&T) -> K + Send + 'static,
        K: Eq + Hash + Send + 'static,
    {
        Self::from_callback(fetch)
            .when_cursor_stalls(StalledCursor::End)
            .end_on_empty_page(true)
            .dedup_by(key)
    }

    /// The vendor named in protocol errors, e.g. `"Skyhigh"`.
    pub fn vendor(mut self, vendor: impl Into<Vendor>) -> Self {
        self.config.vendor = vendor.into();
        self
    }

    /// The number of items each request asks for. Offset and page-number paginators pass
    /// it to their request function (default [`DEFAULT_PAGE_SIZE`]; 0 is refused when the
    /// walk starts); for every paginator, a page holding more items is an
    /// [`Error::Protocol`].
    pub fn page_size(mut self, size: u64) -> Self {
        self.config.page_size = Some(size);
        self
    }

    /// Stops the walk after this many items. The last page is cut to fit; its `next` is
    /// then `None`, since the cut items would be skipped by resuming from it. Offset
    /// paginators do not request past the limit.
    pub fn max_items(mut self, max: u64) -> Self {
        self.config.max_items = Some(max);
        self
    }

    /// Stops the walk after this many pages (requests). The last page keeps its `next`
    /// cursor, so that a caller of [`pages`](Self::pages) can resume from it later. Replaces
    /// the [`page_ceiling`](Self::page_ceiling): the caller has said how many pages it wants.
    pub fn max_pages(mut self, max: u64) -> Self {
        self.config.max_pages = Some(max);
        self
    }

    /// How many pages the walk may fetch before it fails with [`Error::LimitExceeded`]
    /// (default [`DEFAULT_PAGE_CEILING`]), when no [`max_pages`](Self::max_pages) is set.
    /// Raise it for walks of more than `ceiling × page size` items.
    pub fn page_ceiling(mut self, ceiling: u64) -> Self {
        self.config.ceiling = ceiling;
        self
    }

    /// Bounds the whole walk in time: once `deadline` has passed since the first page was
    /// asked for, the walk fails with [`Error::Deadline`] (the request in flight is
    /// dropped). Each request is bounded by the transport's own deadline either way. The
    /// time the caller spends between pages counts too. Needs a tokio runtime with time
    /// enabled.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.config.deadline = Some(deadline);
        self
    }

    /// Lets a page hold up to `extra` items more than [`page_size`](Self::page_size), for a
    /// vendor that documents so (Skyhigh adds the incidents that share the last one's
    /// timestamp); the vendor crate checks what those items are. Default 0.
    pub fn page_overflow(mut self, extra: u64) -> Self {
        self.config.overflow = extra;
        self
    }

    /// Names the records of the walk by `key` (an id with a version, such as the update
    /// time), so that the walk recognizes a page made only of records it already delivered:
    /// a full page (as many items as [`page_size`](Self::page_size), or any non-empty page
    /// when no page size is set) whose every record was delivered earlier in the walk, and
    /// that has a next cursor, is an [`Error::Protocol`]: the server repeats itself under
    /// new cursors. A record whose key is `None` (its id was not asked for) is never taken
    /// for a repeat. Up to [`MAX_REMEMBERED_RECORDS`] records are remembered, as
    /// fingerprints.
    pub fn identify_by<K, KF>(mut self, key: KF) -> Self
    where
        KF: Fn(&T) -> Option<K> + Send + 'static,
        K: Hash,
    {
        let hasher = RandomState::new();
        self.identity = Some(Box::new(move |item| key(item).map(|k| hasher.hash_one(k))));
        self
    }

    /// What to do with a page whose `next` cursor is the cursor that fetched it (default
    /// [`StalledCursor::Error`]). With [`StalledCursor::End`], a full page (as many items as
    /// [`page_size`](Self::page_size)) that does not move the cursor is still an error:
    /// what follows it cannot be reached.
    pub fn when_cursor_stalls(mut self, stalled: StalledCursor) -> Self {
        self.config.stalled = stalled;
        self
    }

    /// Ends the walk at a page that arrives empty, whatever its cursor says (default
    /// `false`: an empty page with a cursor is followed). Pages emptied by
    /// [`dedup_by`](Self::dedup_by) do not count: they arrived with items.
    pub fn end_on_empty_page(mut self, end: bool) -> Self {
        self.config.end_on_empty_page = end;
        self
    }

    /// Drops items whose `key` was on the previous page: for time cursors, whose inclusive
    /// start brings the items of the boundary again. Memory stays bounded: only the keys
    /// of the latest page that brought new items are kept. A page may come out empty; the
    /// walk goes on while it has a cursor.
    pub fn dedup_by<K, KF>(mut self, key: KF) -> Self
    where
        KF: Fn(&T) -> K + Send + 'static,
        K: Eq + Hash + Send + 'static,
    {
        self.dedup = Some(Box::new(ByKey {
            key,
            previous: HashSet::new(),
        }));
        self
    }

    /// The pages, lazily, each with the cursor of the next one (after the guards, the
    /// de-duplication and the limits).
    pub fn pages(self) -> BoxStream<'static, Result<Page<T, C>>> {
        let walk = Walk {
            source: self.source,
            dedup: self.dedup,
            identity: self.identity,
            config: self.config,
            cursor: Some(None),
            pages: 0,
            items: 0,
            received: 0,
            first_total: None,
            empty_in_a_row: 0,
            visited: Fingerprints::default(),
            cursor_hasher: RandomState::new(),
            delivered: Fingerprints::default(),
            started: None,
        };
        stream::try_unfold(walk, |mut walk| async move {
            let page = walk.step().await?;
            Ok(page.map(|page| (page, walk)))
        })
        .boxed()
    }

    /// The items of every page, lazily: `while let Some(item) = items.try_next().await?`.
    pub fn items(self) -> BoxStream<'static, Result<T>> {
        self.pages()
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// The same as [`items`](Self::items).
    pub fn into_stream(self) -> BoxStream<'static, Result<T>> {
        self.items()
    }
}

impl<T: Send + 'static> Paginator<T, String> {
    /// A paginator over opaque page tokens (ESET's `pageToken` in, `nextPageToken` out):
    /// `fetch(None)` requests the first page, `fetch(Some(token))` the next ones. An empty
    /// or missing token ends the walk; the same token twice is an [`Error::Protocol`].
    ///
    /// ```
    /// use incident_core::paging::{Page, Paginator};
    ///
    /// # async fn list(token: Option<String>) -> incident_core::Result<(Vec<String>, String)> {
    /// # Ok((vec![], String::new())) }
    /// let incidents = Paginator::page_tokens(|token: Option<String>| async move {
    ///     // GET /v2/incidents?pageSize=100[&pageToken=token]
    ///     let (incidents, next_page_token) = list(token).await?;
    ///     Ok(Page::new(incidents, Some(next_page_token)))
    /// })
    /// .vendor("ESET")
    /// .page_size(100)
    /// .items();
    /// ```
    pub fn page_tokens<F, Fut>(fetch: F) -> Self
    where
        F: Fn(Option<String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Page<T, String>>> + Send + 'static,
    {
        Self::from_callback(move |token| {
            let page = fetch(token);
            async move {
                let mut page = page.await?;
                page.next = page.next.filter(|t| !t.is_empty());
                Ok(page)
            }
        })
    }

    /// A paginator over next links (Sentinel's `next` URL): `fetch(None)` sends the first
    /// request, `fetch(Some(link))` follows a link the server sent. Following a link is the
    /// caller's job, through the transport, which keeps credentials to the configured
    /// origin. An empty or missing link ends the walk; the same link twice is an
    /// [`Error::Protocol`].
    pub fn next_links<F, Fut>(fetch: F) -> Self
    where
        F: Fn(Option<String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Page<T, String>>> + Send + 'static,
    {
        Self::page_tokens(fetch)
    }
}

impl<T: Send + 'static> Paginator<T, u64> {
    /// A paginator over page numbers and a page size (Sentinel's `page`/`pagesize` from 1,
    /// PTA's `page`/`size` from 0): `fetch(number, size)` returns the items of page
    /// `number`. Numbering starts at `first`; the size is [`page_size`](Self::page_size)
    /// (default [`DEFAULT_PAGE_SIZE`]). A page shorter than the size, or empty, is the last.
    ///
    /// ```
    /// use incident_core::paging::Paginator;
    ///
    /// # async fn list(page: u64, size: u64) -> incident_core::Result<Vec<u64>> { Ok(vec![]) }
    /// // GET /SentinelRESTServices/objects/incident?page=1&pagesize=50, then page=2...
    /// let incidents = Paginator::page_numbers(1, |page, size| list(page, size))
    ///     .vendor("Sentinel")
    ///     .page_size(50)
    ///     .items();
    /// ```
    pub fn page_numbers<F, Fut>(first: u64, fetch: F) -> Self
    where
        F: Fn(u64, u64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<T>>> + Send + 'static,
    {
        let fetch: Arc<NumberFn<T>> = Arc::new(move |number, size| fetch(number, size).boxed());
        let mut paginator = Self::with_source(Box::new(NumberSource { first, fetch }));
        paginator.config.page_size = Some(DEFAULT_PAGE_SIZE);
        paginator
    }

    /// A paginator over positions (QRadar's `Range: items=start-end`):
    /// `fetch(start, len)` returns the items at positions `start..start + len`. The size of
    /// a window is [`page_size`](Self::page_size) (default [`DEFAULT_PAGE_SIZE`]); the walk
    /// goes from [`first_position`](Self::first_position) (default 0) to
    /// [`last_position`](Self::last_position).
    ///
    /// Once a page tells the total, the walk requests [`prefetch`](Self::prefetch) windows
    /// ahead of the one being read (default [`DEFAULT_PREFETCH`]), each in a tokio task of
    /// its own: the server prepares the next page, and another core decodes it, while this
    /// one is read. Dropping the stream cancels what is in flight. The stream must be
    /// polled inside a tokio runtime.
    ///
    /// The walk checks that each page starts where it was asked to and holds no more items
    /// than asked; it ends at an empty page, at a page marked [`OffsetPage::last`], and
    /// at the smallest total reported (so never past the first one). A page shorter than
    /// asked (a server that caps the page size) discards the windows asked ahead and goes
    /// on from the first position not yet seen, without asking ahead any more. No window is
    /// asked ahead past the pages the walk may read ([`max_pages`](Self::max_pages), else
    /// the [`page_ceiling`](Self::page_ceiling)), so a walk sends at most that many
    /// requests, plus the windows asked ahead that a short or last page discards (at most
    /// [`prefetch`](Self::prefetch), once).
    ///
    /// ```
    /// use futures::TryStreamExt;
    /// use incident_core::paging::{OffsetPage, Paginator};
    ///
    /// # async fn run() -> incident_core::Result<()> {
    /// let ids: Vec<u64> = Paginator::offsets(|start, len| async move {
    ///     // Positions 0..10 hold ids 1..=10.
    ///     let items: Vec<u64> = (start..(start + len).min(10)).map(|p| p + 1).collect();
    ///     Ok(OffsetPage::new(items).starting_at(start).with_total(Some(10)))
    /// })
    /// .page_size(4)
    /// .prefetch(2)
    /// .items()
    /// .try_collect()
    /// .await?;
    /// assert_eq!(ids, (1..=10).collect::<Vec<_>>());
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()).unwrap();
    /// ```
    pub fn offsets<F, Fut>(fetch: F) -> Self
    where
        F: Fn(u64, u64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<OffsetPage<T>>> + Send + 'static,
    {
        let fetch: Arc<OffsetFn<T>> = Arc::new(move |start, len| fetch(start, len).boxed());
        let mut paginator = Self::with_source(Box::new(OffsetSource {
            fetch,
            ahead: VecDeque::new(),
            cap: None,
            read: 0,
            capped: false,
        }));
        paginator.config.page_size = Some(DEFAULT_PAGE_SIZE);
        paginator
    }

    /// How many windows an offset paginator requests ahead of the one being read (default
    /// [`DEFAULT_PREFETCH`]); 0 requests each window only when the previous one has been
    /// read. Other paginators ignore it.
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.config.prefetch = pages;
        self
    }

    /// The position an offset paginator starts at (default 0). Other paginators ignore it.
    pub fn first_position(mut self, position: u64) -> Self {
        self.config.first_position = position;
        self
    }

    /// The last position (inclusive) an offset paginator visits (default: none). Other
    /// paginators ignore it.
    pub fn last_position(mut self, position: u64) -> Self {
        self.config.last_position = Some(position);
        self
    }
}

/// The state of a walk between pages.
struct Walk<T, C> {
    source: Box<dyn Source<T, C>>,
    dedup: Option<Box<dyn Dedup<T>>>,
    identity: Option<Identity<T>>,
    config: Config,
    /// The cursor of the next request (`Some(None)` for the first); `None` once done.
    cursor: Option<Option<C>>,
    /// Pages fetched.
    pages: u64,
    /// Items handed out.
    items: u64,
    /// Items received, before de-duplication.
    received: u64,
    /// The first total a page reported.
    first_total: Option<u64>,
    /// Pages in a row that came out empty.
    empty_in_a_row: u32,
    /// Fingerprints of every cursor requested in this walk: a next cursor among them is a
    /// cycle. At most one per page, so bounded by the page ceiling.
    visited: Fingerprints,
    cursor_hasher: RandomState,
    /// Fingerprints of the records delivered, when the walk can name them.
    delivered: Fingerprints,
    /// When the first page was asked for.
    started: Option<tokio::time::Instant>,
}

impl<T: Send + 'static, C: Clone + Eq + Hash + Send + 'static> Walk<T, C> {
    async fn step(&mut self) -> Result<Option<Page<T, C>>> {
        let Some(cursor) = self.cursor.take() else {
            return Ok(None);
        };
        let config = &self.config;
        if config.max_pages.is_some_and(|m| self.pages >= m)
            || config.max_items.is_some_and(|m| self.items >= m)
        {
            return Ok(None);
        }
        if config.max_pages.is_none() && self.pages >= config.ceiling {
            return Err(Error::LimitExceeded {
                vendor: config.vendor,
                what: "pages in one walk (Paginator::page_ceiling or max_pages raise it)",
                limit: config.ceiling,
            });
        }
        if let Some(c) = &cursor {
            self.visited.insert(self.cursor_hasher.hash_one(c));
        }
        let fetch = self.source.fetch(cursor.clone(), config);
        let mut page = match config.deadline {
            None => fetch.await?,
            Some(deadline) => {
                let started = *self.started.get_or_insert_with(tokio::time::Instant::now);
                match tokio::time::timeout_at(started + deadline, fetch).await {
                    Ok(page) => page?,
                    Err(_) => {
                        return Err(Error::Deadline {
                            deadline,
                            attempts: u32::try_from(self.pages + 1).unwrap_or(u32::MAX),
                        });
                    }
                }
            }
        };
        self.pages += 1;
        let got = page.items.len() as u64;
        if let Some(size) = config.page_size
            && got > size.saturating_add(config.overflow)
        {
            return Err(config.protocol(format!(
                "a page holds {got} items, more than the {size} asked for"
            )));
        }
        let full = config.page_size.map_or(got > 0, |size| got >= size);
        let mut next = page.next.take();
        if let Some(n) = &next {
            if cursor.as_ref() == Some(n) {
                match config.stalled {
                    StalledCursor::Error => {
                        return Err(config.protocol(
                            "the page cursor did not advance: the same page would be asked again"
                                .to_string(),
                        ));
                    }
                    // A full page that did not move the cursor is not the end: the items after
                    // it cannot be reached.
                    StalledCursor::End if config.page_size.is_some() && full => {
                        return Err(config.protocol(format!(
                            "the page cursor did not advance after a full page of {got} items: \
                             the items after it cannot be reached"
                        )));
                    }
                    StalledCursor::End => next = None,
                }
            } else if self.visited.contains(&self.cursor_hasher.hash_one(n)) {
                return Err(config.protocol(format!(
                    "the next page's cursor was already visited {} page(s) into this walk: \
                     the server goes round in a cycle",
                    self.pages
                )));
            }
        }
        if got == 0 && config.end_on_empty_page {
            next = None;
        }
        self.received = self.received.saturating_add(got);
        if let Some(total) = page.total {
            let first = *self.first_total.get_or_insert(total);
            if self.received >= first {
                next = None;
            }
        } else if self.first_total.is_some_and(|first| self.received >= first) {
            next = None;
        }
        if let Some(first) = self.first_total
            && next.is_some()
            && self.pages > first.saturating_add(1)
        {
            return Err(config.protocol(format!(
                "{} pages brought {} of the {first} items announced, and the server \
                 offers yet another page",
                self.pages, self.received
            )));
        }
        if let Some(dedup) = &mut self.dedup {
            dedup.retain_new(&mut page.items);
        }
        if let Some(identify) = &self.identity {
            let prints: Vec<Option<u64>> = page.items.iter().map(identify).collect();
            // Judged after de-duplication: the repeats of the page before at a time
            // cursor's boundary are expected, and already dropped.
            let all_delivered = !prints.is_empty()
                && prints
                    .iter()
                    .all(|p| p.is_some_and(|p| self.delivered.contains(&p)));
            if next.is_some() && full && all_delivered {
                return Err(config.protocol(format!(
                    "a page of {got} records all delivered earlier in this walk came with a \
                     new cursor: the server repeats itself"
                )));
            }
            for print in prints.into_iter().flatten() {
                if self.delivered.len() >= MAX_REMEMBERED_RECORDS {
                    break;
                }
                self.delivered.insert(print);
            }
        }
        self.empty_in_a_row = if page.items.is_empty() {
            self.empty_in_a_row.saturating_add(1)
        } else {
            0
        };
        if next.is_some() && self.empty_in_a_row >= MAX_EMPTY_PAGES {
            return Err(config.protocol(format!(
                "{MAX_EMPTY_PAGES} empty pages in a row, each with a new cursor"
            )));
        }
        if let Some(max) = config.max_items {
            let left = max.saturating_sub(self.items);
            if page.items.len() as u64 > left {
                page.items
                    .truncate(usize::try_from(left).unwrap_or(usize::MAX));
                next = None;
            }
        }
        self.items += page.items.len() as u64;
        page.next = next.clone();
        self.cursor = next.map(Some);
        Ok(Some(page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    use futures::TryStreamExt;

    /// What a test API was asked for, in order.
    type Log<A> = Arc<Mutex<Vec<A>>>;
    /// Scripted pages: items and the next cursor.
    type Script<T> = Vec<(Vec<T>, Option<u32>)>;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// A cursor API over fixed pages; records the cursors asked for.
    fn scripted(pages: Vec<(Vec<u32>, Option<u32>)>) -> (Paginator<u32, u32>, Log<Option<u32>>) {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        let paginator = Paginator::from_callback(move |cursor: Option<u32>| {
            log.lock().unwrap().push(cursor);
            let index = cursor.map_or(0, |c| c as usize);
            let (items, next) = pages.get(index).cloned().unwrap_or_default();
            async move { Ok(Page::new(items, next)) }
        });
        (paginator, asked)
    }

    fn collect<T: Send + 'static, C: Clone + Eq + Hash + Send + 'static>(
        p: Paginator<T, C>,
    ) -> Result<Vec<T>> {
        block_on(p.items().try_collect())
    }

    #[test]
    fn walks_until_no_cursor() {
        let (p, asked) = scripted(vec![
            (vec![1, 2], Some(1)),
            (vec![3], Some(2)),
            (vec![4], None),
        ]);
        assert_eq!(collect(p).unwrap(), [1, 2, 3, 4]);
        assert_eq!(*asked.lock().unwrap(), [None, Some(1), Some(2)]);
    }

    #[test]
    fn an_empty_page_with_a_cursor_is_followed() {
        let (p, asked) = scripted(vec![(vec![1], Some(1)), (vec![], Some(2)), (vec![2], None)]);
        assert_eq!(collect(p).unwrap(), [1, 2]);
        assert_eq!(asked.lock().unwrap().len(), 3);
        let (p, asked) = scripted(vec![(vec![1], Some(1)), (vec![], Some(2)), (vec![2], None)]);
        assert_eq!(collect(p.end_on_empty_page(true)).unwrap(), [1]);
        assert_eq!(asked.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_stalled_cursor_is_an_error_or_the_end() {
        let pages = vec![(vec![1], Some(1)), (vec![2], Some(1))];
        let (p, asked) = scripted(pages.clone());
        let err = collect(p.vendor("Test")).unwrap_err();
        assert!(
            matches!(&err, Error::Protocol { vendor, .. } if vendor.name() == "Test"),
            "{err:?}"
        );
        assert!(err.to_string().contains("did not advance"), "{err}");
        assert_eq!(asked.lock().unwrap().len(), 2);
        let (p, asked) = scripted(pages.clone());
        let p = p.when_cursor_stalls(StalledCursor::End);
        assert_eq!(collect(p).unwrap(), [1, 2]);
        assert_eq!(asked.lock().unwrap().len(), 2);
        // A full page that does not move the cursor is not the end: what follows is lost.
        let (p, _) = scripted(pages);
        let p = p.when_cursor_stalls(StalledCursor::End).page_size(1);
        let err = collect(p).unwrap_err();
        assert!(err.to_string().contains("after a full page"), "{err}");
    }

    #[test]
    fn a_page_larger_than_asked_is_refused() {
        let (p, _) = scripted(vec![(vec![1, 2], Some(1)), (vec![3, 4, 5], None)]);
        let mut items = p.page_size(2).items();
        block_on(async {
            assert_eq!(items.try_next().await.unwrap(), Some(1));
            assert_eq!(items.try_next().await.unwrap(), Some(2));
            let err = items.try_next().await.unwrap_err();
            assert!(
                err.to_string().contains("3 items, more than the 2"),
                "{err}"
            );
        });
    }

    #[test]
    fn limits_stop_cleanly() {
        let pages = || {
            (0..10)
                .map(|i| (vec![i * 2, i * 2 + 1], Some(i + 1)))
                .collect()
        };
        let (p, asked) = scripted(pages());
        assert_eq!(collect(p.max_items(3)).unwrap(), [0, 1, 2]);
        assert_eq!(asked.lock().unwrap().len(), 2);
        let (p, asked) = scripted(pages());
        assert_eq!(collect(p.max_items(4)).unwrap(), [0, 1, 2, 3]);
        assert_eq!(asked.lock().unwrap().len(), 2);
        let (p, asked) = scripted(pages());
        let all: Vec<_> = block_on(p.max_pages(2).pages().try_collect()).unwrap();
        assert_eq!(all.len(), 2);
        // The last page keeps its cursor, to resume from.
        assert_eq!(all[1].next, Some(2));
        assert_eq!(asked.lock().unwrap().len(), 2);
        // A page cut by max_items has no cursor: resuming would skip the cut items.
        let (p, _) = scripted(pages());
        let all: Vec<_> = block_on(p.max_items(3).pages().try_collect()).unwrap();
        assert_eq!(all[1].items, [2]);
        assert_eq!(all[1].next, None);
    }

    #[test]
    fn never_past_the_first_total() {
        // The total grows with every page.
        let p = Paginator::from_callback(|cursor: Option<u64>| async move {
            let c = cursor.unwrap_or(0);
            Ok(Page::new(vec![c], Some(c + 1)).with_total(Some(c + 3)))
        });
        assert_eq!(collect(p).unwrap(), [0, 1, 2]);
    }

    #[test]
    fn dedup_drops_the_boundary_and_keeps_walking_through_emptied_pages() {
        // (id, time) with an inclusive start: the last items of a page come again.
        let (p, asked) = {
            let asked = Arc::new(Mutex::new(Vec::new()));
            let log = asked.clone();
            let pages: Script<(u8, u32)> = vec![
                (vec![(1, 10), (2, 20)], Some(20)),
                (vec![(2, 20)], Some(21)),
                (vec![(2, 20), (3, 30)], Some(30)),
                (vec![(3, 30)], Some(30)),
            ];
            let p = Paginator::time_cursor(
                move |cursor: Option<u32>| {
                    log.lock().unwrap().push(cursor);
                    let i = match cursor {
                        None => 0,
                        Some(20) => 1,
                        Some(21) => 2,
                        _ => 3,
                    };
                    let (items, next) = pages[i].clone();
                    async move { Ok(Page::new(items, next)) }
                },
                |item: &(u8, u32)| item.0,
            );
            (p, asked)
        };
        let pages: Vec<_> = block_on(p.pages().try_collect()).unwrap();
        let items: Vec<Vec<u8>> = pages
            .iter()
            .map(|p| p.items.iter().map(|i| i.0).collect())
            .collect();
        assert_eq!(items, [vec![1, 2], vec![], vec![3], vec![]]);
        assert_eq!(pages[3].next, None);
        assert_eq!(*asked.lock().unwrap(), [None, Some(20), Some(21), Some(30)]);
    }

    #[test]
    fn dedup_memory_is_one_page_of_keys() {
        let mut d = ByKey {
            key: |x: &u32| *x,
            previous: HashSet::new(),
        };
        let mut page = vec![1, 2, 3, 3];
        d.retain_new(&mut page);
        assert_eq!(page, [1, 2, 3]);
        let mut page = vec![3, 4];
        d.retain_new(&mut page);
        assert_eq!(page, [4]);
        assert_eq!(d.previous.len(), 2);
        let mut page = vec![3];
        d.retain_new(&mut page);
        assert!(page.is_empty());
        // An emptied page keeps the keys it had.
        assert_eq!(d.previous.len(), 2);
    }

    #[test]
    fn page_numbers_end_at_a_short_or_empty_page() {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        let p = Paginator::page_numbers(1, move |n, size| {
            log.lock().unwrap().push((n, size));
            let items: Vec<u64> = ((n - 1) * size..(n * size).min(5)).collect();
            async move { Ok(items) }
        })
        .page_size(2);
        assert_eq!(collect(p).unwrap(), [0, 1, 2, 3, 4]);
        assert_eq!(*asked.lock().unwrap(), [(1, 2), (2, 2), (3, 2)]);
        let p = Paginator::page_numbers(0, |_, _| async { Ok(Vec::<u8>::new()) }).page_size(0);
        let err = collect(p).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    what: "page size",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn page_tokens_end_at_an_empty_token() {
        let p = Paginator::page_tokens(|token: Option<String>| async move {
            Ok(match token.as_deref() {
                None => Page::new(vec![1], Some("a".to_string())),
                Some("a") => Page::new(vec![2], Some(String::new())),
                Some(_) => Page::new(vec![99], None),
            })
        });
        assert_eq!(collect(p).unwrap(), [1, 2]);
    }

    fn offsets_over(total: u64, cap: u64) -> (Paginator<u64, u64>, Log<(u64, u64)>) {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        let p = Paginator::offsets(move |start, len| {
            log.lock().unwrap().push((start, len));
            let end = start.saturating_add(len.min(cap)).min(total);
            let items: Vec<u64> = (start..end).collect();
            async move {
                Ok(OffsetPage::new(items)
                    .starting_at(start)
                    .with_total(Some(total)))
            }
        });
        (p, asked)
    }

    #[test]
    fn offsets_walk_with_prefetch_and_stop_at_the_total() {
        let (p, asked) = offsets_over(7, u64::MAX);
        assert_eq!(
            collect(p.page_size(3).prefetch(4)).unwrap(),
            (0..7).collect::<Vec<_>>()
        );
        let mut asked = asked.lock().unwrap().clone();
        asked.sort();
        assert_eq!(asked, [(0, 3), (3, 3), (6, 3)]);
    }

    #[test]
    fn offsets_follow_a_capped_server_and_respect_the_limits() {
        let (p, _) = offsets_over(10, 3);
        assert_eq!(
            collect(p.page_size(5)).unwrap(),
            (0..10).collect::<Vec<_>>()
        );
        let (p, asked) = offsets_over(100, u64::MAX);
        let p = p.page_size(4).first_position(2).max_items(6).prefetch(0);
        assert_eq!(collect(p).unwrap(), (2..8).collect::<Vec<_>>());
        assert_eq!(*asked.lock().unwrap(), [(2, 4), (6, 2)]);
        let (p, asked) = offsets_over(100, u64::MAX);
        let p = p.page_size(4).last_position(4).prefetch(3);
        assert_eq!(collect(p).unwrap(), (0..5).collect::<Vec<_>>());
        assert_eq!(*asked.lock().unwrap(), [(0, 4), (4, 1)]);
        let (p, asked) = offsets_over(100, u64::MAX);
        let p = p.page_size(4).max_pages(2).prefetch(5);
        assert_eq!(collect(p).unwrap(), (0..8).collect::<Vec<_>>());
        assert_eq!(asked.lock().unwrap().len(), 2);
    }

    /// Found by fuzzing (the paginator target): against a server that caps its page size,
    /// every page discarded the windows asked ahead and asked them again, `prefetch + 1`
    /// requests a page; and windows were asked ahead past the page ceiling.
    #[test]
    fn offsets_ask_ahead_neither_past_the_ceiling_nor_of_a_capping_server() {
        // A server of 100 items that answers 2 items whatever the window.
        let (p, asked) = offsets_over(100, 2);
        let items = collect(p.page_size(5).prefetch(3)).unwrap();
        assert_eq!(items, (0..100).collect::<Vec<_>>());
        // 50 pages of 2 items, and the windows asked ahead of the first page only.
        assert!(
            asked.lock().unwrap().len() <= 50 + 3,
            "{:?}",
            asked.lock().unwrap().len()
        );
        // An endless listing: the walk reads 5 pages and fails, having asked for no window
        // past them.
        let (p, asked) = offsets_over(u64::MAX, u64::MAX);
        let err = collect(p.page_size(2).prefetch(3).page_ceiling(5)).unwrap_err();
        assert!(
            matches!(err, Error::LimitExceeded { limit: 5, .. }),
            "{err:?}"
        );
        assert_eq!(asked.lock().unwrap().len(), 5);
        let (p, asked) = offsets_over(u64::MAX, u64::MAX);
        assert_eq!(
            collect(p.page_size(2).prefetch(3).max_pages(4))
                .unwrap()
                .len(),
            8
        );
        assert_eq!(asked.lock().unwrap().len(), 4);
    }

    #[test]
    fn offsets_refuse_a_wrong_start_and_a_long_page() {
        let p = Paginator::offsets(|start, _| async move {
            Ok(OffsetPage::new(vec![1u8]).starting_at(start + 1))
        });
        let err = collect(p).unwrap_err();
        assert!(
            err.to_string().contains("from 0, got items from 1"),
            "{err}"
        );
        let p =
            Paginator::offsets(
                |_, len| async move { Ok(OffsetPage::new(vec![0u8; len as usize + 1])) },
            );
        let err = collect(p.page_size(2)).unwrap_err();
        assert!(
            err.to_string().contains("asked for 2 items from 0, got 3"),
            "{err}"
        );
    }

    #[test]
    fn offsets_near_the_end_of_u64_do_not_overflow() {
        let p = Paginator::offsets(|start, len| async move {
            Ok(OffsetPage::new(vec![start; len as usize]))
        })
        .first_position(u64::MAX - 2)
        .page_size(2);
        assert_eq!(collect(p).unwrap(), [u64::MAX - 2, u64::MAX - 2, u64::MAX]);
    }

    #[test]
    fn offsets_end_at_an_empty_or_last_page() {
        let asked = Arc::new(Mutex::new(0));
        let log = asked.clone();
        let p = Paginator::offsets(move |start, len| {
            *log.lock().unwrap() += 1;
            async move { Ok(OffsetPage::new((start..start + len).collect::<Vec<_>>()).last()) }
        });
        assert_eq!(collect(p.page_size(2)).unwrap(), [0, 1]);
        assert_eq!(*asked.lock().unwrap(), 1);
        let p = Paginator::offsets(|_, _| async { Ok(OffsetPage::new(Vec::<u8>::new())) });
        assert!(collect(p).unwrap().is_empty());
    }

    #[test]
    fn offsets_outside_a_runtime_are_a_config_error() {
        let p = Paginator::offsets(|_, _| async { Ok(OffsetPage::new(vec![1u8])) });
        // Outside a runtime the first poll fails at once.
        let err = p
            .items()
            .try_collect::<Vec<_>>()
            .now_or_never()
            .expect("ready at once")
            .unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
    }

    #[test]
    fn streams_are_send_and_static() {
        fn is_send_static<S: Send + 'static>(_: &S) {}
        let (p, _) = scripted(vec![]);
        is_send_static(&p.items());
        let (p, _) = offsets_over(1, 1);
        is_send_static(&p.pages());
    }

    /// A cursor API answering `answer(cursor)`, counting the requests.
    fn counted<T: Send + 'static>(
        answer: impl Fn(Option<u32>) -> (Vec<T>, Option<u32>) + Send + Sync + 'static,
    ) -> (Paginator<T, u32>, Arc<Mutex<u32>>) {
        let asked = Arc::new(Mutex::new(0));
        let log = asked.clone();
        let p = Paginator::from_callback(move |cursor: Option<u32>| {
            *log.lock().unwrap() += 1;
            let (items, next) = answer(cursor);
            async move { Ok(Page::new(items, next)) }
        });
        (p, asked)
    }

    #[test]
    fn a_cursor_cycle_of_any_length_is_an_error() {
        for length in [2u32, 3, 7] {
            // first -> 1 -> 2 -> ... -> length -> 1 -> ...
            let (p, asked) = counted(move |c| {
                let c = c.unwrap_or(0);
                let next = if c == length { 1 } else { c + 1 };
                (vec![c], Some(next))
            });
            let err = collect(p.vendor("Test")).unwrap_err();
            assert!(err.to_string().contains("already visited"), "{err}");
            assert_eq!(*asked.lock().unwrap(), length + 1, "cycle of {length}");
        }
        // With StalledCursor::End, only the cursor of the same page ends the walk; an older
        // one is still a cycle.
        let (p, _) = counted(|c| match c {
            None => (vec![0], Some(5)),
            Some(5) => (vec![1], Some(6)),
            _ => (vec![2], Some(5)),
        });
        let err = collect(p.when_cursor_stalls(StalledCursor::End)).unwrap_err();
        assert!(err.to_string().contains("already visited"), "{err}");
    }

    #[test]
    fn ever_new_cursors_over_the_same_records_are_an_error() {
        let (p, asked) = counted(|c| (vec![1u32, 2, 3], Some(c.unwrap_or(0) + 1)));
        let err = collect(p.identify_by(|i: &u32| Some(*i)).page_size(3)).unwrap_err();
        assert!(err.to_string().contains("delivered earlier"), "{err}");
        assert_eq!(*asked.lock().unwrap(), 2);
        // A page that repeats only part of what came is not a repeat.
        let (p, _) = counted(|c| {
            let c = c.unwrap_or(0);
            let items = if c < 3 { vec![c, c + 1] } else { vec![] };
            (items, (c < 3).then_some(c + 1))
        });
        assert_eq!(
            collect(p.identify_by(|i: &u32| Some(*i)).page_size(2)).unwrap(),
            [0, 1, 1, 2, 2, 3]
        );
        // Records that changed (another version) are new.
        let (p, _) = counted(|c| {
            let c = c.unwrap_or(0);
            ((0..2).map(|i| (i, c)).collect(), (c < 3).then_some(c + 1))
        });
        assert_eq!(
            collect(p.identify_by(|i: &(u32, u32)| Some(*i)))
                .unwrap()
                .len(),
            8
        );
        // Sets of records in a cycle under ever-new cursors.
        let (p, asked) = counted(|c| {
            let c = c.unwrap_or(0);
            (vec![c % 3 * 10, c % 3 * 10 + 1], Some(c + 1))
        });
        let err = collect(p.identify_by(|i: &u32| Some(*i)).page_size(2)).unwrap_err();
        assert!(err.to_string().contains("delivered earlier"), "{err}");
        assert_eq!(*asked.lock().unwrap(), 4);
        // Records the walk cannot name are never repeats.
        let (p, _) = counted(|c| {
            let c = c.unwrap_or(0);
            (vec![1u32, 2], (c < 3).then_some(c + 1))
        });
        let p = p.identify_by(|_: &u32| None::<u32>).page_size(2);
        assert_eq!(collect(p).unwrap().len(), 8);
    }

    #[test]
    fn the_page_ceiling_ends_a_walk_with_an_error_unless_max_pages_is_set() {
        let endless = || counted(|c| (vec![c.unwrap_or(0)], Some(c.unwrap_or(0) + 1)));
        let (p, asked) = endless();
        let err = collect(p.vendor("Test").page_ceiling(50)).unwrap_err();
        assert!(
            matches!(
                &err,
                Error::LimitExceeded {
                    vendor,
                    limit: 50,
                    ..
                } if vendor.name() == "Test"
            ),
            "{err:?}"
        );
        assert_eq!(*asked.lock().unwrap(), 50);
        let (p, asked) = endless();
        assert_eq!(collect(p.page_ceiling(50).max_pages(80)).unwrap().len(), 80);
        assert_eq!(*asked.lock().unwrap(), 80);
        // The default ceiling.
        let (p, asked) = endless();
        let err = collect(p).unwrap_err();
        assert!(matches!(err, Error::LimitExceeded { limit, .. } if limit == DEFAULT_PAGE_CEILING));
        assert_eq!(u64::from(*asked.lock().unwrap()), DEFAULT_PAGE_CEILING);
    }

    #[test]
    fn pages_past_the_total_announced_are_an_error() {
        // The total says 3 items; the server sends empty pages with new cursors after them.
        let p = Paginator::from_callback(|c: Option<u32>| async move {
            let c = c.unwrap_or(0);
            let items = if c == 0 { vec![1u8] } else { vec![] };
            Ok(Page::new(items, Some(c + 1)).with_total(Some(3)))
        });
        let err = collect(p).unwrap_err();
        assert!(
            err.to_string().contains("of the 3 items announced"),
            "{err}"
        );
    }

    #[test]
    fn a_documented_overflow_is_accepted_and_no_more() {
        let (p, _) = scripted(vec![(vec![1, 2, 3], None)]);
        assert_eq!(collect(p.page_size(2).page_overflow(1)).unwrap(), [1, 2, 3]);
        let (p, _) = scripted(vec![(vec![1, 2, 3, 4], None)]);
        assert!(collect(p.page_size(2).page_overflow(1)).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_bounds_the_whole_walk() {
        let p = Paginator::from_callback(|c: Option<u32>| async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let c = c.unwrap_or(0);
            Ok(Page::new(vec![c], Some(c + 1)))
        });
        let started = tokio::time::Instant::now();
        let err = p
            .deadline(Duration::from_millis(3500))
            .items()
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Deadline { attempts: 4, .. }),
            "{err:?}"
        );
        assert_eq!(started.elapsed(), Duration::from_millis(3500));
    }
}
