//! A local mirror of incidents in SQLite, fed by `incident_core::sync`: the database behind
//! `cargo run --example sync_sqlite`.
//!
//! Three tables, and the checkpoints:
//!
//! - `incidents`: the latest state of every incident mirrored, one row per `(vendor, id)`:
//!   status, severity, title, assignee, whether it is open, times, its [`Version`] and its
//!   OCSF Incident Finding as JSON;
//! - `changes`: every version delivered, one row per `(vendor, id, version)` (a `UNIQUE`
//!   constraint), with its update time, status, severity and assignee and when it was
//!   received;
//! - `runs`: the runs of the sync that ended, per vendor, with their start and end;
//! - `sync_checkpoints`: one row per vendor with the checkpoint (as JSON), a generation that
//!   each write increments, and counters.
//!
//! [`Mirror::write_batch`] writes a batch's incidents, its changes and its checkpoint in one
//! transaction: a crash before the commit leaves none of them, after it all of them, so the
//! next run goes on exactly where the last committed batch left off. [`Mirror`] is the
//! [`CheckpointStore`] of the database.
//!
//! Times are stored as text in UTC with nine fractional digits
//! (`2026-03-01T12:00:01.500000000Z`), so that they sort as they compare.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::connect::BoxError;
use async_trait::async_trait;
use incident_core::sync::{Batch, Checkpoint, CheckpointStore, StoreError, Version};
use incident_core::time::{OffsetDateTime, UtcOffset};
use incident_core::{Incident, Vendor};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};

/// `PRAGMA application_id` of a mirror database ("SYNC"): another SQLite file is refused.
pub const APPLICATION_ID: i32 = 0x5359_4E43;
/// `PRAGMA user_version`: the layout of the tables below.
pub const SCHEMA_VERSION: i32 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS incidents (
    vendor      TEXT NOT NULL,
    id          TEXT NOT NULL,
    status      TEXT NOT NULL,
    severity    TEXT NOT NULL,
    title       TEXT NOT NULL,
    assignee    TEXT,
    open        INTEGER NOT NULL,
    created     TEXT,
    updated     TEXT,
    closed      TEXT,
    version     TEXT NOT NULL,
    ocsf        TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (vendor, id)
);
CREATE TABLE IF NOT EXISTS changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor      TEXT NOT NULL,
    id          TEXT NOT NULL,
    version     TEXT NOT NULL,
    updated     TEXT,
    status      TEXT NOT NULL,
    severity    TEXT NOT NULL,
    assignee    TEXT,
    received_at TEXT NOT NULL,
    UNIQUE (vendor, id, version)
);
CREATE TABLE IF NOT EXISTS runs (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    delivered   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sync_checkpoints (
    vendor      TEXT PRIMARY KEY,
    checkpoint  TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    saved_at    TEXT NOT NULL,
    batches     INTEGER NOT NULL DEFAULT 0,
    changes     INTEGER NOT NULL DEFAULT 0,
    replayed    INTEGER NOT NULL DEFAULT 0,
    runs        INTEGER NOT NULL DEFAULT 0
);
";

/// A time as the database stores it: UTC, nine fractional digits, so that text order is
/// time order.
pub fn db_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    )
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::backend(e)
}

/// What one batch wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Incidents the batch delivered.
    pub delivered: usize,
    /// Versions new to the `changes` table.
    pub new: usize,
    /// Versions the table held already: a batch delivered again. The sync and the one
    /// transaction per batch keep this at zero; it is counted to show it.
    pub replayed: usize,
}

/// What a mirror database holds for one vendor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VendorSummary {
    /// The vendor's key, e.g. `qradar`.
    pub vendor: String,
    /// Incidents mirrored.
    pub incidents: i64,
    /// Of which open: new, in progress, on hold or of unknown status.
    pub open: i64,
    /// Versions recorded in `changes`.
    pub changes: i64,
    /// Batches written.
    pub batches: i64,
    /// Versions delivered again (see [`Written::replayed`]).
    pub replayed: i64,
    /// Runs of the sync that ended.
    pub runs: i64,
    /// When the last run ended.
    pub last_run: Option<String>,
    /// The checkpoint's watermark.
    pub watermark: Option<String>,
}

/// A mirror database. See the [module documentation](self).
pub struct Mirror {
    path: PathBuf,
    conn: Mutex<Connection>,
    /// The generation of each vendor's checkpoint row as this process last read or wrote
    /// it: a write that finds another refuses, as another poller has moved the checkpoint.
    generations: Mutex<HashMap<String, i64>>,
}

impl fmt::Debug for Mirror {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mirror")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Mirror {
    /// Opens the mirror at `path`, creating the database and its tables when the file does
    /// not exist.
    ///
    /// # Errors
    ///
    /// SQLite's error, or a refusal of a SQLite file of another application.
    pub fn open(path: impl AsRef<Path>) -> Result<Mirror, BoxError> {
        Mirror::open_with(path.as_ref(), true)
    }

    /// Opens an existing mirror, creating nothing.
    ///
    /// # Errors
    ///
    /// For a missing file or a file that is not a mirror database; SQLite's error.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Mirror, BoxError> {
        Mirror::open_with(path.as_ref(), false)
    }

    fn open_with(path: &Path, create: bool) -> Result<Mirror, BoxError> {
        let location = path.display().to_string();
        if !create && !path.is_file() {
            return Err(format!("there is no database at {location}").into());
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags)?;
        // Another poller or a reader may hold the database for a moment.
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let not_ours = |reason: String| -> BoxError { format!("{location} is {reason}").into() };
        let app: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::NotADatabase =>
                {
                    not_ours("not a SQLite database".into())
                }
                e => e.into(),
            })?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        match app {
            APPLICATION_ID => {}
            0 if tables == 0 && create => {
                conn.execute_batch(&format!(
                    "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
                ))
                ?;
            }
            _ => {
                return Err(not_ours(format!(
                    "a SQLite database of another application (application_id {app:#x}, \
                     {tables} objects), not a mirror"
                )));
            }
        }
        let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version != SCHEMA_VERSION {
            return Err(not_ours(format!(
                "a mirror of layout version {version}; this example reads version {SCHEMA_VERSION}"
            )));
        }
        // WAL: readers (a --summary, a test) never block the writer; FULL: a commit is on
        // the disk when it returns, not only safe from a crash of the process.
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Mirror {
            path: path.to_owned(),
            conn: Mutex::new(conn),
            generations: Mutex::new(HashMap::new()),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn location(&self, vendor: Vendor) -> String {
        format!(
            "{}, table sync_checkpoints, vendor {}",
            self.path.display(),
            vendor.key()
        )
    }

    /// Refuses a write when another process has written the vendor's checkpoint since this
    /// one read it; returns the row's generation.
    fn check_generation(&self, tx: &Transaction<'_>, vendor: Vendor) -> Result<i64, StoreError> {
        let now: i64 = tx
            .query_row(
                "SELECT generation FROM sync_checkpoints WHERE vendor = ?1",
                [vendor.key()],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?
            .unwrap_or(0);
        let known = self
            .generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(vendor.key())
            .copied();
        match known {
            Some(known) if known != now => Err(StoreError::backend(format!(
                "the checkpoint of {vendor} in {} was saved by another poller since this one \
                 read it (generation {now}, expected {known}); one poller per database",
                self.path.display()
            ))),
            _ => Ok(now),
        }
    }

    fn remember(&self, vendor: Vendor, generation: i64) {
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(vendor.key().to_owned(), generation);
    }

    /// Writes a batch of `vendor`'s run that started at `run_started`: its incidents (the
    /// latest state of each), a `changes` row per version not recorded yet, its checkpoint,
    /// and for the run's last batch a `runs` row, in one transaction.
    ///
    /// # Errors
    ///
    /// [`StoreError`] for a batch of another vendor, a checkpoint another poller saved
    /// meanwhile, or SQLite's error; nothing is written then.
    pub fn write_batch(
        &self,
        vendor: Vendor,
        batch: &Batch,
        run_started: OffsetDateTime,
    ) -> Result<Written, StoreError> {
        let checkpoint = batch.checkpoint();
        if !checkpoint.is_for(vendor) {
            let found = checkpoint.vendor().unwrap_or_default().to_owned();
            return Err(StoreError::foreign(self.location(vendor), vendor, found));
        }
        let received = db_time(OffsetDateTime::now_utc());
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db)?;
        let generation = self.check_generation(&tx, vendor)?;
        let mut written = Written {
            delivered: batch.incidents.len(),
            ..Written::default()
        };
        {
            let mut change = tx
                .prepare_cached(
                    "INSERT INTO changes
                         (vendor, id, version, updated, status, severity, assignee, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (vendor, id, version) DO NOTHING",
                )
                .map_err(db)?;
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO incidents (vendor, id, status, severity, title, assignee,
                         open, created, updated, closed, version, ocsf, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                     ON CONFLICT (vendor, id) DO UPDATE SET
                         status = excluded.status, severity = excluded.severity,
                         title = excluded.title, assignee = excluded.assignee,
                         open = excluded.open,
                         created = excluded.created, updated = excluded.updated,
                         closed = excluded.closed, version = excluded.version,
                         ocsf = excluded.ocsf, received_at = excluded.received_at",
                )
                .map_err(db)?;
            for incident in &batch.incidents {
                let version = Version::of(incident).to_string();
                let updated = incident.updated.map(db_time);
                let inserted = change
                    .execute(params![
                        vendor.key(),
                        incident.id,
                        version,
                        updated,
                        incident.status.to_string(),
                        incident.severity.to_string(),
                        incident.assignee,
                        received,
                    ])
                    .map_err(db)?;
                if inserted == 0 {
                    written.replayed += 1;
                } else {
                    written.new += 1;
                }
                upsert
                    .execute(params![
                        vendor.key(),
                        incident.id,
                        incident.status.to_string(),
                        incident.severity.to_string(),
                        incident.title,
                        incident.assignee,
                        crate::triage::is_open(incident),
                        incident.created.map(db_time),
                        updated,
                        incident.closed.map(db_time),
                        version,
                        ocsf_json(incident),
                        received,
                    ])
                    .map_err(db)?;
            }
        }
        let last = batch.is_last();
        tx.execute(
            "INSERT INTO sync_checkpoints
                 (vendor, checkpoint, generation, saved_at, batches, changes, replayed, runs)
             VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7)
             ON CONFLICT (vendor) DO UPDATE SET
                 checkpoint = excluded.checkpoint, generation = excluded.generation,
                 saved_at = excluded.saved_at, batches = batches + 1,
                 changes = changes + excluded.changes, replayed = replayed + excluded.replayed,
                 runs = runs + excluded.runs",
            params![
                vendor.key(),
                checkpoint.to_json(),
                generation + 1,
                received,
                written.new as i64,
                written.replayed as i64,
                i64::from(last),
            ],
        )
        .map_err(db)?;
        if last {
            let delivered: i64 = tx
                .query_row(
                    "SELECT count(*) FROM changes WHERE vendor = ?1 AND received_at >= ?2",
                    params![vendor.key(), db_time(run_started)],
                    |r| r.get(0),
                )
                .map_err(db)?;
            tx.execute(
                "INSERT INTO runs (vendor, started_at, finished_at, delivered)
                 VALUES (?1, ?2, ?3, ?4)",
                params![vendor.key(), db_time(run_started), received, delivered],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)?;
        self.remember(vendor, generation + 1);
        Ok(written)
    }

    /// What the database holds, per vendor, by vendor key.
    ///
    /// # Errors
    ///
    /// [`StoreError`] for SQLite's error.
    pub fn summary(&self) -> Result<Vec<VendorSummary>, StoreError> {
        let conn = self.conn();
        let mut by_vendor: HashMap<String, VendorSummary> = HashMap::new();
        let mut rows: Vec<(String, i64, i64)> = Vec::new();
        {
            let mut stmt = conn
                .prepare(
                    "SELECT vendor, count(*),
                            sum(open)
                     FROM incidents GROUP BY vendor",
                )
                .map_err(db)?;
            let mapped = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(db)?;
            for row in mapped {
                rows.push(row.map_err(db)?);
            }
        }
        for (vendor, incidents, open) in rows {
            let s = by_vendor.entry(vendor.clone()).or_default();
            s.vendor = vendor;
            s.incidents = incidents;
            s.open = open;
        }
        let mut changes: Vec<(String, i64)> = Vec::new();
        {
            let mut stmt = conn
                .prepare("SELECT vendor, count(*) FROM changes GROUP BY vendor")
                .map_err(db)?;
            let mapped = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(db)?;
            for row in mapped {
                changes.push(row.map_err(db)?);
            }
        }
        for (vendor, n) in changes {
            let s = by_vendor.entry(vendor.clone()).or_default();
            s.vendor = vendor;
            s.changes = n;
        }
        type Counters = (String, String, i64, i64, i64, Option<String>);
        let mut counters: Vec<Counters> = Vec::new();
        {
            let mut stmt = conn
                .prepare(
                    "SELECT c.vendor, c.checkpoint, c.batches, c.replayed, c.runs,
                            (SELECT max(finished_at) FROM runs r WHERE r.vendor = c.vendor)
                     FROM sync_checkpoints c",
                )
                .map_err(db)?;
            let mapped = stmt
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })
                .map_err(db)?;
            for row in mapped {
                counters.push(row.map_err(db)?);
            }
        }
        for (vendor, checkpoint, batches, replayed, runs, last_run) in counters {
            let watermark = Checkpoint::from_json(&checkpoint)
                .ok()
                .and_then(|c| c.watermark())
                .map(db_time);
            let s = by_vendor.entry(vendor.clone()).or_default();
            s.vendor = vendor;
            s.batches = batches;
            s.replayed = replayed;
            s.runs = runs;
            s.last_run = last_run;
            s.watermark = watermark;
        }
        let mut all: Vec<VendorSummary> = by_vendor.into_values().collect();
        all.sort_by(|a, b| a.vendor.cmp(&b.vendor));
        Ok(all)
    }
}

fn ocsf_json(incident: &Incident) -> String {
    serde_json::to_string(&incident.to_ocsf()).unwrap_or_default()
}

#[async_trait]
impl CheckpointStore for Mirror {
    async fn load(&self, vendor: Vendor) -> Result<Option<Checkpoint>, StoreError> {
        let row: Option<(String, i64)> = self
            .conn()
            .query_row(
                "SELECT checkpoint, generation FROM sync_checkpoints WHERE vendor = ?1",
                [vendor.key()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db)?;
        let Some((json, generation)) = row else {
            self.remember(vendor, 0);
            return Ok(None);
        };
        let location = self.location(vendor);
        let checkpoint = Checkpoint::from_json(&json)
            .map_err(|e| StoreError::corrupt(&location, e.to_string()))?;
        if !checkpoint.is_for(vendor) {
            let found = checkpoint.vendor().unwrap_or_default().to_owned();
            return Err(StoreError::foreign(location, vendor, found));
        }
        self.remember(vendor, generation);
        Ok(Some(checkpoint))
    }

    async fn save(&self, vendor: Vendor, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        if !checkpoint.is_for(vendor) {
            let found = checkpoint.vendor().unwrap_or_default().to_owned();
            return Err(StoreError::foreign(self.location(vendor), vendor, found));
        }
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db)?;
        let generation = self.check_generation(&tx, vendor)?;
        tx.execute(
            "INSERT INTO sync_checkpoints (vendor, checkpoint, generation, saved_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (vendor) DO UPDATE SET checkpoint = excluded.checkpoint,
                 generation = excluded.generation, saved_at = excluded.saved_at",
            params![
                vendor.key(),
                checkpoint.to_json(),
                generation + 1,
                db_time(OffsetDateTime::now_utc())
            ],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        self.remember(vendor, generation + 1);
        Ok(())
    }
}
