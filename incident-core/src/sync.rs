//! Resumable, de-duplicating sync: "what changed since last time", exactly once, across
//! restarts.
//!
//! A poller keeps a [`Checkpoint`] (a watermark on the update time plus the incidents already
//! delivered near it), and on each run asks [`changes_since`] for what was created or changed
//! since. The answer comes in [`Batch`]es, one per page the vendor returns; **each batch
//! carries the checkpoint that is valid once its incidents are handled**, so the caller
//! persists it right after handling them and a restart resumes there: neither the
//! checkpoint nor an incident can be dropped between the two, and a restart mid-run does not
//! repeat what was already delivered.
//!
//! ```no_run
//! use incident_core::IncidentSource;
//! use incident_core::sync::{CheckpointStore, FileStore, changes_since};
//!
//! /// One poll: hands every created or changed incident to the ticket system once, and keeps
//! /// the checkpoint in `store` (a file per source, replaced whole: a crash while saving
//! /// leaves the previous one).
//! async fn poll(
//!     source: &dyn IncidentSource,
//!     store: &dyn CheckpointStore,
//! ) -> Result<(), Box<dyn std::error::Error>> {
//!     // None on the first run: everything the vendor has (or `Checkpoint::starting_at(t)`).
//!     // A corrupt or foreign checkpoint is an error, never a silent restart.
//!     let checkpoint = store.load(source.vendor()).await?.unwrap_or_default();
//!     let mut changes = changes_since(source, &checkpoint);
//!     while let Some(batch) = changes.next_batch().await? {
//!         for incident in &batch.incidents {
//!             println!("{} {} {} {}", incident.vendor, incident.id, incident.status, incident.title);
//!         }
//!         store.save(source.vendor(), batch.checkpoint()).await?;
//!     }
//!     Ok(())
//! }
//!
//! # async fn run(source: &dyn IncidentSource) -> Result<(), Box<dyn std::error::Error>> {
//! // Poll every minute; an error (vendor down, 401) ends one poll, the next resumes from the
//! // last checkpoint saved.
//! let store = FileStore::new("/var/lib/soc-sync");
//! loop {
//!     if let Err(e) = poll(source, &store).await {
//!         eprintln!("poll failed: {e}");
//!     }
//!     tokio::time::sleep(std::time::Duration::from_secs(60)).await;
//! }
//! # }
//! ```
//!
//! # Keeping the checkpoint
//!
//! A [`CheckpointStore`] keeps one checkpoint per source, by its [`Vendor`]: [`FileStore`]
//! writes a file per source in a directory (a temporary file, flushed, renamed over the old
//! one, the directory flushed), and refuses a corrupt file or another source's checkpoint
//! with a [`StoreError`] rather than starting over. A poller that writes what it delivers
//! to a database implements the trait on that database and writes each batch and its
//! checkpoint in one transaction: then a crash loses neither, and repeats nothing. Where
//! the handling and the checkpoint cannot share a transaction, key what the handling writes
//! by [`Version`], so that a batch handled again after a crash changes nothing.
//!
//! # How a run works
//!
//! A run lists the incidents whose update time is at or after the checkpoint's watermark,
//! with no upper bound (a changed incident stays in the listing, so pages do not shift
//! under the walk because of a change), in whatever order the vendor lists them. Each
//! incident is keyed by its *time*, [`Incident::updated`] (else [`Incident::created`]), and a
//! *fingerprint* of its vendor record. It is delivered unless:
//! - its time is before the watermark (everything before it was delivered; the listing asks
//!   from one second before, so that a vendor rounding the bound cannot drop a change);
//! - the checkpoint holds the same id with the same time and fingerprint (already
//!   delivered: a tie at the watermark, a page read again, a restart), or with a later time
//!   (an older copy).
//!
//! Delivered incidents are added to the checkpoint as they go. When the listing ends, the
//! watermark moves to the earlier of the latest time read and `start - overlap` (the start
//! of the run by the local clock minus the [overlap](Changes::overlap), 5 minutes by
//! default), never backwards, and the checkpoint forgets the incidents before it. Between
//! runs it so holds only the incidents of the overlap window and those at the watermark
//! instant; during a run it also holds the run's deliveries (for a first run over a large
//! tenant, start with [`Checkpoint::starting_at`]).
//!
//! Why not the latest time read: a vendor that lists by id or by creation time shows an
//! incident changed *behind* the walk's position only on the next run, while incidents
//! changed later, ahead of it, are read in this one. Its new time is after the run's start,
//! so the next run, which lists from `start - overlap`, finds it. Re-reading the overlap
//! window costs a few incidents a run; those already delivered are skipped by the
//! checkpoint.
//!
//! # Exactly once, and its limits
//!
//! Each version of an incident (a time and a fingerprint) is delivered once, and the latest
//! version of every incident created or changed after the watermark is delivered, in this
//! run or the next, provided that:
//! - **clocks**: the local clock is not ahead of the vendor's by more than the overlap, nor
//!   does the vendor list a change later than the overlap after the time it records for it
//!   (a search index that lags). Widen [`Changes::overlap`] for such vendors; a wider
//!   overlap costs re-reading, never a duplicate;
//! - **the listing** reaches every incident that is present and unchanged during the walk:
//!   keyset or time cursors (QRadar, PTA, Skyhigh here), pages over an order a change does
//!   not alter (ESET's creation order, Sentinel's) or newest-first. A listing ordered by update
//!   time, oldest first, and paged by offset skips an incident each time one behind the
//!   position changes: nothing on the client side can see that;
//! - **the caller** persists the checkpoint of a batch after handling it: a crash in between
//!   delivers that batch again (make the handling idempotent per [`Version`], or persist
//!   the checkpoint in the same transaction as its effect).
//!
//! Vendors with coarse times: two changes of one incident within one tick of the vendor's
//! clock have the same time; the fingerprint tells them apart while the incident is in the
//! overlap window (after it, such a change is not seen). A vendor record that changes on
//! every read (a field such as an age) is a new version on every read inside the window.
//!
//! Vendors that cannot filter on the update time ([`Capabilities::time_fields`] without
//! [`TimeField::Updated`]): every run walks the whole listing and filters here, with the same
//! guarantees at the cost of reading every incident.
//!
//! Incidents with neither an update nor a creation time cannot be placed before or after
//! the watermark: they are delivered once per fingerprint, and the checkpoint keeps them as
//! long as runs keep listing them. Status filters are not offered: a change that takes an
//! incident out of a filter would never be seen; filter the delivered incidents instead.
//!
//! [`Capabilities::time_fields`]: crate::Capabilities::time_fields

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::model::{Cursor, Incident, IncidentQuery, TimeField};
use crate::paging::Page;
use crate::serde_helpers::to_utc_saturating;
use crate::source::IncidentSource;
use crate::vendor::Vendor;

mod store;

pub use store::{CheckpointStore, FileStore, StoreError};

/// The overlap a run re-reads before its start unless [`Changes::overlap`] says otherwise.
pub const DEFAULT_OVERLAP: Duration = Duration::from_secs(5 * 60);

/// The widest overlap accepted: a wider one is cut to this.
pub const MAX_OVERLAP: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Where a sync stands: the update-time watermark and the incidents already delivered at or
/// after it. Serializable (JSON through [`to_json`](Self::to_json) and
/// [`from_json`](Self::from_json), or any serde format) so the caller can persist it between
/// runs. See the [module documentation](self).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The vendor the checkpoint was made with: a checkpoint of another is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vendor: Option<String>,
    /// Every version of an incident with a time before it has been delivered.
    #[serde(default, with = "time::serde::rfc3339::option")]
    watermark: Option<OffsetDateTime>,
    /// The versions delivered at or after the watermark (and those without a time), by id.
    #[serde(default)]
    seen: BTreeMap<String, Seen>,
}

/// One delivered version of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    /// Its update time (else its creation time).
    #[serde(default, with = "time::serde::rfc3339::option")]
    time: Option<OffsetDateTime>,
    /// The fingerprint of its vendor record, as 16 hex digits.
    fingerprint: String,
}

impl Checkpoint {
    /// The start of a sync: the first run delivers every incident the vendor lists.
    pub fn new() -> Self {
        Self::default()
    }

    /// A sync that starts at `time`: the first run delivers the incidents created or changed
    /// at or after it.
    ///
    /// A time outside what RFC 3339 writes (years 0000 to 9999 in UTC) counts as the
    /// nearest it can write, as every time a checkpoint keeps does.
    pub fn starting_at(time: OffsetDateTime) -> Self {
        Checkpoint {
            watermark: Some(to_utc_saturating(time)),
            ..Self::default()
        }
    }

    /// Every version of an incident with an update time before this has been delivered
    /// (`None` before the first run ends).
    pub fn watermark(&self) -> Option<OffsetDateTime> {
        self.watermark
    }

    /// How many delivered incidents the checkpoint remembers (those at or after the
    /// watermark).
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }

    /// The key of the vendor the checkpoint was made with ([`Vendor::key`](crate::Vendor::key)),
    /// once a run has started.
    pub fn vendor(&self) -> Option<&str> {
        self.vendor.as_deref()
    }

    /// Whether the checkpoint may be used with `vendor`: it was made with it (by its
    /// [key](Vendor::key), or by its display name for a checkpoint written before keys
    /// existed), or no run has started from it yet. [`changes_since`] refuses it otherwise,
    /// and so does a [`CheckpointStore`] loading it.
    pub fn is_for(&self, vendor: Vendor) -> bool {
        match &self.vendor {
            None => true,
            Some(v) => v == vendor.key() || v == vendor.name(),
        }
    }

    /// The checkpoint as JSON, to persist.
    pub fn to_json(&self) -> String {
        // Strings, and times in UTC within the years 0000 to 9999 (`starting_at`, `accept`
        // and `finish` bring every time there), which RFC 3339 writes: this cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A checkpoint read back from [`to_json`](Self::to_json)'s JSON.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `json` is not one.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json)
            .map_err(|e| Error::invalid_input("checkpoint", format!("not a sync checkpoint: {e}")))
    }
}

/// The incidents of one page of a run, and the checkpoint to persist once they are handled.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Batch {
    /// The incidents created or changed since the checkpoint, each version once (may be
    /// empty: a page of incidents already delivered, or the end of the run).
    pub incidents: Vec<Incident>,
    checkpoint: Checkpoint,
    last: bool,
}

impl Batch {
    /// The checkpoint that is valid once [`incidents`](Self::incidents) are handled.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The checkpoint, taking it out of the batch.
    pub fn into_checkpoint(self) -> Checkpoint {
        self.checkpoint
    }

    /// Whether this is the run's last batch (its checkpoint has the new watermark).
    pub fn is_last(&self) -> bool {
        self.last
    }
}

/// One version of an incident as the sync tells versions apart: its time
/// ([`Incident::updated`], else [`Incident::created`]) and the fingerprint of its vendor
/// record, the pair a [`Checkpoint`] remembers. A batch delivers each version once; a
/// handler that keys what it writes by `(vendor, id, version)` (a unique constraint, an
/// idempotency key) stays exact even if the caller saves a checkpoint only after its
/// handling: a batch handled again after a crash writes nothing twice.
///
/// Two versions with the same time are told apart by the fingerprint (a vendor whose clock
/// keeps seconds, two changes within one tick); an incident whose record comes back the
/// same has the same version.
///
/// ```
/// use incident_core::sync::Version;
/// use incident_core::time::macros::datetime;
/// use incident_core::{Incident, Vendor};
///
/// let mut incident = Incident::new(Vendor::from("Test"), "7", "t", serde_json::json!({"a": 1}));
/// incident.updated = Some(datetime!(2026-03-01 12:00:01.5 UTC));
/// let version = Version::of(&incident);
/// assert_eq!(version.to_string(), "2026-03-01T12:00:01.5Z#79eb4b1cc90ef0e4");
/// assert_eq!(version.fingerprint(), "79eb4b1cc90ef0e4");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    time: Option<OffsetDateTime>,
    fingerprint: String,
}

impl Version {
    /// The version of `incident` as it is.
    pub fn of(incident: &Incident) -> Version {
        Version {
            time: incident.updated.or(incident.created),
            fingerprint: fingerprint(incident),
        }
    }

    /// Its update time, else its creation time (`None` when the vendor gives neither).
    pub fn time(&self) -> Option<OffsetDateTime> {
        self.time
    }

    /// The fingerprint of the vendor record, as 16 hex digits (FNV-1a of the id and the
    /// record's JSON: the same in every build and on every platform).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// `<time in RFC 3339, UTC>#<fingerprint>`, or `-#<fingerprint>` without a time: a text key
/// that is equal for equal versions.
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.time {
            None => write!(f, "-#{}", self.fingerprint),
            Some(t) => {
                // In UTC, so that one instant has one text; a year RFC 3339 cannot write
                // (before 0 or after 9999) as nanoseconds since the epoch.
                let t = t.to_offset(time::UtcOffset::UTC);
                match t.format(&time::format_description::well_known::Rfc3339) {
                    Ok(text) => write!(f, "{text}#{}", self.fingerprint),
                    Err(_) => write!(f, "@{}#{}", t.unix_timestamp_nanos(), self.fingerprint),
                }
            }
        }
    }
}

/// A run of a sync, started by [`changes_since`]: read it with
/// [`next_batch`](Self::next_batch) until `None`.
#[must_use = "a run does nothing until next_batch is called"]
pub struct Changes {
    source: Arc<dyn IncidentSource>,
    checkpoint: Checkpoint,
    overlap: time::Duration,
    page_size: Option<u32>,
    started: Option<OffsetDateTime>,
    state: State,
}

enum State {
    NotStarted,
    Walking(Walk),
    Done,
}

struct Walk {
    pages: BoxStream<'static, Result<Page<Incident, Cursor>>>,
    /// The latest incident time read at or after the watermark.
    latest: Option<OffsetDateTime>,
    /// Ids of incidents without a time that this run listed.
    untimed: HashSet<String>,
}

impl fmt::Debug for Changes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::NotStarted => "not started",
            State::Walking(_) => "walking",
            State::Done => "done",
        };
        f.debug_struct("Changes")
            .field("vendor", &self.source.vendor())
            .field("watermark", &self.checkpoint.watermark)
            .field("remembered", &self.checkpoint.seen.len())
            .field("overlap", &self.overlap)
            .field("page_size", &self.page_size)
            .field("started", &self.started)
            .field("state", &state)
            .finish()
    }
}

/// A run delivering the incidents of `source` created or changed since `checkpoint`. Nothing
/// is requested until [`Changes::next_batch`]. See the [module documentation](self).
pub fn changes_since(source: &dyn IncidentSource, checkpoint: &Checkpoint) -> Changes {
    Changes {
        source: source.shared(),
        checkpoint: checkpoint.clone(),
        overlap: to_time_duration(DEFAULT_OVERLAP),
        page_size: None,
        started: None,
        state: State::NotStarted,
    }
}

fn to_time_duration(d: Duration) -> time::Duration {
    let capped = d.min(MAX_OVERLAP);
    time::Duration::try_from(capped).unwrap_or(time::Duration::ZERO)
}

impl Changes {
    /// How far before its start the run assumes a change may still appear (default
    /// [`DEFAULT_OVERLAP`], at most [`MAX_OVERLAP`]): the local clock's lead over the
    /// vendor's plus the vendor's delay in listing a change. Wider costs re-reading, never a
    /// duplicate.
    pub fn overlap(mut self, overlap: Duration) -> Self {
        self.overlap = to_time_duration(overlap);
        self
    }

    /// How many incidents to ask for per page (the vendor client's default otherwise).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// The time the run counts as its start (default: the local clock when the first batch
    /// is asked for). Set it from the vendor's clock when that is known, e.g. a `Date`
    /// header.
    pub fn started_at(mut self, start: OffsetDateTime) -> Self {
        self.started = Some(start);
        self
    }

    /// The checkpoint as of the last batch returned (the one given, before the first).
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The next batch of the run, `None` after the last one ([`Batch::is_last`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a checkpoint made with another vendor, and any error of
    /// the source's listing (the vendor down). An error ends the run: the checkpoint of the
    /// last batch stays valid, and a new run from it goes on where this one stopped.
    pub async fn next_batch(&mut self) -> Result<Option<Batch>> {
        if matches!(self.state, State::NotStarted) {
            match self.start() {
                Ok(walk) => self.state = State::Walking(walk),
                Err(e) => {
                    self.state = State::Done;
                    return Err(e);
                }
            }
        }
        let State::Walking(walk) = &mut self.state else {
            return Ok(None);
        };
        match walk.pages.try_next().await {
            Err(e) => {
                self.state = State::Done;
                Err(e)
            }
            Ok(Some(page)) => {
                let incidents = accept(&mut self.checkpoint, walk, page.items);
                Ok(Some(Batch {
                    incidents,
                    checkpoint: self.checkpoint.clone(),
                    last: false,
                }))
            }
            Ok(None) => {
                let latest = walk.latest;
                let untimed = std::mem::take(&mut walk.untimed);
                self.state = State::Done;
                self.finish(latest, &untimed);
                Ok(Some(Batch {
                    incidents: Vec::new(),
                    checkpoint: self.checkpoint.clone(),
                    last: true,
                }))
            }
        }
    }

    fn start(&mut self) -> Result<Walk> {
        let vendor = self.source.vendor();
        match &self.checkpoint.vendor {
            Some(v) if !self.checkpoint.is_for(vendor) => {
                return Err(Error::invalid_input(
                    "checkpoint",
                    format!("the checkpoint was made with {v}, not {vendor}"),
                ));
            }
            Some(_) => {}
            None => self.checkpoint.vendor = Some(vendor.key().to_owned()),
        }
        self.started.get_or_insert_with(OffsetDateTime::now_utc);
        let mut query = IncidentQuery::new();
        if let Some(size) = self.page_size {
            query = query.page_size(size);
        }
        let filters_on_updated = self
            .source
            .capabilities()
            .time_fields
            .contains(&TimeField::Updated);
        if filters_on_updated && let Some(w) = self.checkpoint.watermark {
            // A second before the watermark, whole: a vendor that rounds the bound up, or
            // keeps seconds only, still lists what is at the watermark.
            let from = w
                .replace_nanosecond(0)
                .ok()
                .and_then(|t| t.checked_sub(time::Duration::SECOND))
                .unwrap_or(w);
            query = query.window(TimeField::Updated, Some(from), None);
        }
        let pages = crate::source::paginator(Arc::clone(&self.source), Arc::new(query)).pages();
        Ok(Walk {
            pages,
            latest: None,
            untimed: HashSet::new(),
        })
    }

    /// Moves the watermark to the earlier of the latest time read and the run's start
    /// minus the overlap, and forgets the incidents before it.
    fn finish(&mut self, latest: Option<OffsetDateTime>, untimed: &HashSet<String>) {
        let cutoff = self
            .started
            .and_then(|s| s.checked_sub(self.overlap))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let candidate = latest.map(|l| to_utc_saturating(l.min(cutoff)));
        let checkpoint = &mut self.checkpoint;
        checkpoint.watermark = checkpoint.watermark.max(candidate);
        let watermark = checkpoint.watermark;
        checkpoint.seen.retain(|id, seen| match seen.time {
            Some(t) => watermark.is_none_or(|w| t >= w),
            None => untimed.contains(id),
        });
    }
}

/// Keeps the incidents of a page that the checkpoint has not delivered, and records them.
fn accept(checkpoint: &mut Checkpoint, walk: &mut Walk, items: Vec<Incident>) -> Vec<Incident> {
    let mut delivered = Vec::new();
    for incident in items {
        // In the range a checkpoint can write: a custom source may give any time.
        let time = incident.updated.or(incident.created).map(to_utc_saturating);
        match time {
            Some(t) if checkpoint.watermark.is_some_and(|w| t < w) => continue,
            Some(t) => walk.latest = walk.latest.max(Some(t)),
            None => {
                walk.untimed.insert(incident.id.clone());
            }
        }
        let fingerprint = fingerprint(&incident);
        let new = match checkpoint.seen.get(&incident.id) {
            None => true,
            Some(seen) => match (seen.time, time) {
                (Some(before), Some(now)) if before > now => false,
                (before, now) => before != now || seen.fingerprint != fingerprint,
            },
        };
        if new {
            checkpoint
                .seen
                .insert(incident.id.clone(), Seen { time, fingerprint });
            delivered.push(incident);
        }
    }
    delivered
}

/// FNV-1a (64 bits) of the vendor record's JSON and the normalized time, as 16 hex digits:
/// stable across builds and platforms, unlike `std`'s hasher, so a persisted checkpoint
/// still matches after an upgrade.
fn fingerprint(incident: &Incident) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let record = serde_json::to_vec(&incident.record_json()).unwrap_or_default();
    let mut hash = OFFSET;
    for byte in incident.id.as_bytes().iter().chain(&[0]).chain(&record) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(PRIME);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use async_trait::async_trait;
    use time::macros::datetime;

    use super::*;
    use crate::model::{Capabilities, IncidentPage, Vendor};
    use crate::source::{Query, Update};

    const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

    fn at(seconds: i64) -> OffsetDateTime {
        T0 + time::Duration::seconds(seconds)
    }

    #[derive(Debug, Clone)]
    struct Row {
        id: String,
        updated: Option<OffsetDateTime>,
        version: u32,
    }

    #[derive(Debug, Clone, Copy)]
    enum Order {
        Id,
        NewestFirst,
    }

    type Hook = Box<dyn FnMut(usize, &mut Vec<Row>) + Send>;

    /// An in-memory vendor: offset pages over `order`, a window on the update time when
    /// `filters_on_updated`, and `hook(page, rows)` run before each page after the first.
    struct Mem {
        rows: Mutex<Vec<Row>>,
        order: Order,
        filters_on_updated: bool,
        page: usize,
        hook: Mutex<Option<Hook>>,
        windows: Mutex<Vec<Option<OffsetDateTime>>>,
        /// How many incidents the listing has served.
        served: Mutex<usize>,
    }

    impl fmt::Debug for Mem {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Mem").finish_non_exhaustive()
        }
    }

    fn mem(order: Order, filters_on_updated: bool, rows: &[(&str, i64)]) -> Arc<Mem> {
        Arc::new(Mem {
            rows: Mutex::new(
                rows.iter()
                    .map(|(id, t)| Row {
                        id: (*id).to_owned(),
                        updated: Some(at(*t)),
                        version: 1,
                    })
                    .collect(),
            ),
            order,
            filters_on_updated,
            page: 2,
            hook: Mutex::new(None),
            windows: Mutex::new(Vec::new()),
            served: Mutex::new(0),
        })
    }

    impl Mem {
        fn on_page(&self, hook: impl FnMut(usize, &mut Vec<Row>) + Send + 'static) {
            *self.hook.lock().unwrap() = Some(Box::new(hook));
        }

        fn change(&self, id: &str, updated: OffsetDateTime) {
            change(&mut self.rows.lock().unwrap(), id, updated);
        }

        fn add(&self, id: &str, updated: OffsetDateTime) {
            self.rows.lock().unwrap().push(Row {
                id: id.into(),
                updated: Some(updated),
                version: 1,
            });
        }

        /// The current version of every incident.
        fn versions(&self) -> HashMap<String, u32> {
            let rows = self.rows.lock().unwrap();
            rows.iter().map(|r| (r.id.clone(), r.version)).collect()
        }
    }

    fn change(rows: &mut [Row], id: &str, updated: OffsetDateTime) {
        let row = rows.iter_mut().find(|r| r.id == id).unwrap();
        row.version += 1;
        row.updated = Some(updated);
    }

    #[async_trait]
    impl IncidentSource for Arc<Mem> {
        fn vendor(&self) -> Vendor {
            crate::vendor::test_vendors::DELTA
        }
        fn shared(&self) -> Arc<dyn IncidentSource> {
            Arc::new(Arc::clone(self))
        }
        fn capabilities(&self) -> Capabilities {
            let mut caps = Capabilities::none();
            if self.filters_on_updated {
                caps.time_fields = vec![TimeField::Updated];
            }
            caps
        }
        async fn list_page(
            &self,
            query: Query<'_>,
            cursor: Option<&Cursor>,
        ) -> Result<IncidentPage> {
            let offset: usize = cursor.map_or(0, |c| c.as_str().parse().unwrap());
            let mut rows = self.rows.lock().unwrap();
            if offset > 0
                && let Some(hook) = self.hook.lock().unwrap().as_mut()
            {
                hook(offset / self.page, &mut rows);
            }
            let from = query.window.and_then(|w| w.from);
            if offset == 0 {
                self.windows.lock().unwrap().push(from);
            }
            let mut listed: Vec<Row> = rows
                .iter()
                .filter(|r| from.is_none_or(|f| r.updated.is_some_and(|t| t >= f)))
                .cloned()
                .collect();
            match self.order {
                Order::Id => listed.sort_by(|a, b| a.id.cmp(&b.id)),
                Order::NewestFirst => listed.sort_by_key(|r| std::cmp::Reverse(r.updated)),
            }
            let more = listed.len() > offset + self.page;
            let items = listed
                .into_iter()
                .skip(offset)
                .take(self.page)
                .map(|r| {
                    let mut i = Incident::new(
                        crate::vendor::test_vendors::DELTA,
                        r.id.clone(),
                        "t",
                        serde_json::json!({"id": r.id, "version": r.version}),
                    );
                    i.updated = r.updated;
                    i
                })
                .collect::<Vec<_>>();
            *self.served.lock().unwrap() += items.len();
            let next = more.then(|| Cursor::new((offset + self.page).to_string()));
            Ok(IncidentPage::new(items, next, None))
        }
        async fn get_incident(&self, _: &str) -> Result<Incident> {
            Err(Error::unsupported("Test", "get"))
        }
        async fn apply_update(&self, _: &str, _: Update<'_>) -> Result<Incident> {
            Err(Error::unsupported("Test", "update"))
        }
    }

    /// What runs delivered, as (id, version), in order.
    #[derive(Debug, Default)]
    struct Log(Vec<(String, u32)>);

    impl Log {
        fn record(&mut self, batch: &Batch) {
            for i in &batch.incidents {
                let v = i.record_json()["version"].as_u64().unwrap() as u32;
                self.0.push((i.id.clone(), v));
            }
        }

        /// No version delivered twice, and the latest version of every incident delivered.
        fn assert_exactly_once(&self, source: &Mem) {
            let mut seen = HashSet::new();
            for d in &self.0 {
                assert!(
                    seen.insert(d.clone()),
                    "{d:?} delivered twice: {:?}",
                    self.0
                );
            }
            for (id, version) in source.versions() {
                assert!(
                    seen.contains(&(id.clone(), version)),
                    "{id} version {version} missed: {:?}",
                    self.0
                );
            }
        }

        fn ids(&self) -> Vec<&str> {
            self.0.iter().map(|(id, _)| id.as_str()).collect()
        }
    }

    /// One whole run started at `start`; returns its last checkpoint.
    async fn run(
        source: &Arc<Mem>,
        checkpoint: &Checkpoint,
        start: OffsetDateTime,
        log: &mut Log,
    ) -> Checkpoint {
        let mut changes = changes_since(source, checkpoint).started_at(start);
        let mut last = None;
        while let Some(batch) = changes.next_batch().await.unwrap() {
            log.record(&batch);
            assert_eq!(batch.checkpoint(), changes.checkpoint());
            last = Some(batch);
        }
        let last = last.unwrap();
        assert!(last.is_last() && last.incidents.is_empty());
        assert!(changes.next_batch().await.unwrap().is_none());
        last.into_checkpoint()
    }

    #[tokio::test]
    async fn a_first_run_delivers_everything_and_a_second_nothing() {
        let s = mem(
            Order::Id,
            true,
            &[("a", 1), ("b", 5), ("c", 3), ("d", 2), ("e", 4)],
        );
        let mut log = Log::default();
        let cp = run(&s, &Checkpoint::new(), at(3600), &mut log).await;
        assert_eq!(log.ids(), ["a", "b", "c", "d", "e"]);
        // Nothing changed after 5 s, long before the run: the watermark is the latest time.
        assert_eq!(cp.watermark(), Some(at(5)));
        assert_eq!(cp.remembered(), 1);
        assert_eq!(cp.vendor(), Some("delta"));
        let cp2 = run(&s, &cp, at(3700), &mut log).await;
        assert_eq!(log.0.len(), 5);
        assert_eq!(cp2, cp);
        // The second run asked the vendor from a whole second before the watermark.
        assert_eq!(*s.windows.lock().unwrap(), [None, Some(at(4))]);
        log.assert_exactly_once(&s);
    }

    #[tokio::test]
    async fn ties_at_the_watermark_are_told_apart_by_id_and_fingerprint() {
        let s = mem(Order::Id, true, &[("a", 1), ("b", 7), ("c", 7), ("d", 7)]);
        let mut log = Log::default();
        let cp = run(&s, &Checkpoint::new(), at(3600), &mut log).await;
        assert_eq!(cp.watermark(), Some(at(7)));
        assert_eq!(cp.remembered(), 3, "b, c and d are at the watermark");

        // A coarse clock: e appears at the same instant, c changes within the same tick,
        // and f comes later.
        s.add("e", at(7));
        change(&mut s.rows.lock().unwrap(), "c", at(7));
        s.add("f", at(8));
        let cp = run(&s, &cp, at(3700), &mut log).await;
        assert_eq!(log.ids()[4..], ["c", "e", "f"]);
        assert_eq!(cp.watermark(), Some(at(8)));
        assert_eq!(cp.remembered(), 1);
        log.assert_exactly_once(&s);
    }

    #[tokio::test]
    async fn a_change_behind_the_walk_is_delivered_by_the_next_run() {
        // Listed by id: "a" changes after the walk passed it, "e" (ahead) later still. A
        // watermark at the latest time read (e's) would lose a's change.
        let s = mem(
            Order::Id,
            true,
            &[("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)],
        );
        let start = at(3600);
        s.on_page(move |page, rows| {
            if page == 1 {
                change(rows, "a", start + time::Duration::seconds(1));
                change(rows, "e", start + time::Duration::seconds(2));
            }
        });
        let mut log = Log::default();
        let cp = run(&s, &Checkpoint::new(), start, &mut log).await;
        assert_eq!(log.0.len(), 5);
        assert!(log.0.contains(&("e".into(), 2)) && log.0.contains(&("a".into(), 1)));
        assert_eq!(cp.watermark(), Some(start - time::Duration::minutes(5)));

        *s.hook.lock().unwrap() = None;
        let cp = run(&s, &cp, at(3700), &mut log).await;
        assert_eq!(log.0[5..], [("a".to_owned(), 2)]);
        // Both are inside the overlap window of the second run: remembered, not repeated.
        assert_eq!(cp.remembered(), 2);
        run(&s, &cp, at(3800), &mut log).await;
        assert_eq!(log.0.len(), 6);
        log.assert_exactly_once(&s);
    }

    #[tokio::test]
    async fn pages_that_shift_under_the_walk_neither_lose_nor_repeat() {
        // Newest first, by offset: every change and every new incident moves to the front,
        // so the pages after it shift and show incidents again.
        let ids: Vec<(String, i64)> = (0..9).map(|i| (format!("i{i}"), i)).collect();
        let rows: Vec<(&str, i64)> = ids.iter().map(|(id, t)| (id.as_str(), *t)).collect();
        let s = mem(Order::NewestFirst, true, &rows);
        let start = at(3600);
        s.on_page(move |page, rows| {
            let t = start + time::Duration::seconds(page as i64);
            match page {
                1 => change(rows, "i2", t),
                2 => rows.push(Row {
                    id: "new".into(),
                    updated: Some(t),
                    version: 1,
                }),
                3 => change(rows, "i8", t),
                _ => {}
            }
        });
        let mut log = Log::default();
        let cp = run(&s, &Checkpoint::new(), start, &mut log).await;
        // The shifts showed incidents again; they were not delivered again.
        let distinct: HashSet<&str> = log.ids().into_iter().collect();
        assert!(*s.served.lock().unwrap() > distinct.len(), "{log:?}");
        *s.hook.lock().unwrap() = None;
        let cp = run(&s, &cp, start + time::Duration::minutes(1), &mut log).await;
        log.assert_exactly_once(&s);
        // Quiet: nothing more.
        let n = log.0.len();
        run(&s, &cp, start + time::Duration::minutes(2), &mut log).await;
        assert_eq!(log.0.len(), n);
    }

    #[tokio::test]
    async fn a_restart_from_a_persisted_checkpoint_goes_on_where_it_stopped() {
        let s = mem(
            Order::Id,
            true,
            &[("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5), ("f", 6)],
        );
        let start = at(3600);
        let mut log = Log::default();
        let mut changes = changes_since(&s, &Checkpoint::new()).started_at(start);
        let first = changes.next_batch().await.unwrap().unwrap();
        log.record(&first);
        assert_eq!(log.ids(), ["a", "b"]);
        let persisted = first.checkpoint().to_json();
        drop(changes);

        // Meanwhile "a" (delivered) and "f" (not yet) change.
        s.change("a", start + time::Duration::seconds(1));
        s.change("f", start + time::Duration::seconds(2));
        let restored = Checkpoint::from_json(&persisted).unwrap();
        assert_eq!(&restored, first.checkpoint());
        let cp = run(&s, &restored, start + time::Duration::seconds(10), &mut log).await;
        assert_eq!(log.ids()[2..], ["a", "c", "d", "e", "f"]);
        let cp = run(&s, &cp, start + time::Duration::minutes(1), &mut log).await;
        assert_eq!(log.0.len(), 7);
        log.assert_exactly_once(&s);
        assert!(cp.watermark().is_some());
    }

    #[tokio::test]
    async fn a_vendor_that_cannot_filter_on_the_update_time_is_walked_whole() {
        let s = mem(Order::Id, false, &[("a", 1), ("b", 2), ("c", 3)]);
        let start = at(3600);
        s.on_page(move |page, rows| {
            if page == 1 {
                change(rows, "a", start + time::Duration::seconds(1));
            }
        });
        let mut log = Log::default();
        let cp = run(&s, &Checkpoint::new(), start, &mut log).await;
        *s.hook.lock().unwrap() = None;
        s.change("b", start + time::Duration::seconds(30));
        let cp = run(&s, &cp, start + time::Duration::minutes(1), &mut log).await;
        run(&s, &cp, start + time::Duration::minutes(2), &mut log).await;
        assert_eq!(
            log.0,
            [
                ("a".to_owned(), 1),
                ("b".to_owned(), 1),
                ("c".to_owned(), 1),
                ("a".to_owned(), 2),
                ("b".to_owned(), 2),
            ]
        );
        log.assert_exactly_once(&s);
        // No window was sent (it would have been refused as unsupported).
        assert!(s.windows.lock().unwrap().iter().all(Option::is_none));
    }

    #[tokio::test]
    async fn incidents_without_a_time_are_delivered_once_per_version() {
        let s = mem(Order::Id, false, &[("a", 1)]);
        s.rows.lock().unwrap().push(Row {
            id: "x".into(),
            updated: None,
            version: 1,
        });
        let mut log = Log::default();
        let cp = run(&s, &Checkpoint::new(), at(3600), &mut log).await;
        let cp = run(&s, &cp, at(3700), &mut log).await;
        assert_eq!(log.ids(), ["a", "x"]);
        s.rows.lock().unwrap()[1].version = 2;
        let cp = run(&s, &cp, at(3800), &mut log).await;
        assert_eq!(log.ids(), ["a", "x", "x"]);
        log.assert_exactly_once(&s);
        // Forgotten once no run lists it.
        s.rows.lock().unwrap().pop();
        let cp = run(&s, &cp, at(3900), &mut log).await;
        assert_eq!(cp.remembered(), 1);
    }

    #[tokio::test]
    async fn the_checkpoint_round_trips_through_json_and_refuses_others() {
        let s = mem(Order::Id, true, &[("a", 1), ("b", 2)]);
        let mut cp = run(&s, &Checkpoint::new(), at(3600), &mut Log::default()).await;
        cp.watermark = Some(datetime!(2026-03-01 12:00:01.123456789 UTC));
        let json = cp.to_json();
        let back = Checkpoint::from_json(&json).unwrap();
        assert_eq!(back, cp);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["watermark"], "2026-03-01T12:00:01.123456789Z");
        assert_eq!(value["vendor"], "delta");
        assert_eq!(
            value["seen"]["b"]["fingerprint"].as_str().unwrap().len(),
            16
        );
        assert_eq!(Checkpoint::from_json("{}").unwrap(), Checkpoint::new());
        let starting = Checkpoint::starting_at(at(1));
        assert_eq!(
            Checkpoint::from_json(&starting.to_json()).unwrap(),
            starting
        );

        // Times RFC 3339 cannot write (a custom source's, a caller's) are kept as the
        // nearest it can, so that the checkpoint is never written empty.
        let far = mem(Order::Id, true, &[("old", -70_000_000_000), ("now", 10)]);
        let start = datetime!(9999-12-31 23:00 -5);
        let cp = run(&far, &Checkpoint::new(), start, &mut Log::default()).await;
        assert!(cp.watermark.is_some());
        assert_eq!(Checkpoint::from_json(&cp.to_json()).unwrap(), cp);
        let early = Checkpoint::starting_at(datetime!(-0005-06-01 0:00 UTC));
        assert_eq!(Checkpoint::from_json(&early.to_json()).unwrap(), early);
        assert_eq!(early.watermark(), Some(crate::serde_helpers::EARLIEST_TIME));

        for bad in ["", "42", r#"{"seen":3}"#, r#"{"watermark":"yesterday"}"#] {
            let e = Checkpoint::from_json(bad).unwrap_err();
            assert!(matches!(e, Error::InvalidInput { .. }), "{bad}: {e:?}");
        }
        let mut other = back.clone();
        other.vendor = Some("alpha".into());
        // An absurd overlap is cut, not a panic.
        let mut huge = changes_since(&s, &back)
            .started_at(at(3600))
            .overlap(Duration::MAX);
        while huge.next_batch().await.unwrap().is_some() {}
        assert_eq!(huge.checkpoint().watermark(), back.watermark());
        let mut changes = changes_since(&s, &other);
        let e = changes.next_batch().await.unwrap_err();
        assert!(e.to_string().contains("made with alpha"), "{e}");
        assert!(changes.next_batch().await.unwrap().is_none());
        assert!(format!("{changes:?}").contains("done"));
    }

    #[tokio::test]
    async fn an_error_ends_the_run_and_a_new_run_resumes() {
        #[derive(Debug)]
        struct Failing(Arc<Mem>, Mutex<bool>);
        #[async_trait]
        impl IncidentSource for Arc<Failing> {
            fn vendor(&self) -> Vendor {
                crate::vendor::test_vendors::DELTA
            }
            fn shared(&self) -> Arc<dyn IncidentSource> {
                Arc::new(Arc::clone(self))
            }
            fn capabilities(&self) -> Capabilities {
                self.0.capabilities()
            }
            async fn list_page(
                &self,
                query: Query<'_>,
                cursor: Option<&Cursor>,
            ) -> Result<IncidentPage> {
                if cursor.is_some() && *self.1.lock().unwrap() {
                    return Err(Error::Protocol {
                        vendor: "Test".into(),
                        message: "down".into(),
                    });
                }
                self.0.list_page(query, cursor).await
            }
            async fn get_incident(&self, _: &str) -> Result<Incident> {
                Err(Error::unsupported("Test", "get"))
            }
            async fn apply_update(&self, _: &str, _: Update<'_>) -> Result<Incident> {
                Err(Error::unsupported("Test", "update"))
            }
        }
        let s = mem(Order::Id, true, &[("a", 1), ("b", 2), ("c", 3)]);
        let failing = Arc::new(Failing(Arc::clone(&s), Mutex::new(true)));
        let mut log = Log::default();
        let mut changes = changes_since(&failing, &Checkpoint::new()).started_at(at(3600));
        let first = changes.next_batch().await.unwrap().unwrap();
        log.record(&first);
        assert!(changes.next_batch().await.is_err());
        assert!(changes.next_batch().await.unwrap().is_none());
        assert_eq!(changes.checkpoint(), first.checkpoint());

        *failing.1.lock().unwrap() = false;
        let mut changes = changes_since(&failing, first.checkpoint()).started_at(at(3700));
        while let Some(batch) = changes.next_batch().await.unwrap() {
            log.record(&batch);
        }
        assert_eq!(log.ids(), ["a", "b", "c"]);
        log.assert_exactly_once(&s);
    }

    #[test]
    fn the_fingerprint_is_stable() {
        let i = Incident::new(
            crate::vendor::test_vendors::ALPHA,
            "7",
            "t",
            serde_json::json!({"a": 1}),
        );
        // FNV-1a of "7\0{\"a\":1}": the same in every build, so persisted checkpoints match.
        assert_eq!(fingerprint(&i), "79eb4b1cc90ef0e4");
        let j = Incident::new(
            crate::vendor::test_vendors::ALPHA,
            "7",
            "t",
            serde_json::json!({"a": 2}),
        );
        assert_ne!(fingerprint(&i), fingerprint(&j));
    }
}
