//! Where checkpoints are kept between runs: the [`CheckpointStore`] trait and its file
//! implementation, [`FileStore`].

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use serde_json::Value;

use super::Checkpoint;
use crate::error::BoxError;
use crate::vendor::Vendor;

/// What a checkpoint file says it is, so that another JSON file is not taken for one.
const FORMAT: &str = "incident-core sync checkpoint";
/// The version of the file's layout this build writes and reads.
const FORMAT_VERSION: u64 = 1;

/// Keeps one [`Checkpoint`] per source, by its [`Vendor`] identity, between runs of a sync.
///
/// [`FileStore`] keeps each in a file; a poller that writes what it delivers to a database
/// implements this trait on that database instead, and saves the checkpoint of a batch in
/// the transaction that writes the batch, so that the two cannot part.
///
/// A store never hands out a checkpoint it cannot vouch for: a record that cannot be read
/// back, or that was made with another source, is a [`StoreError`], never `Ok(None)`, which
/// means "no checkpoint was ever saved" and makes the next run start from scratch.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
///
/// use async_trait::async_trait;
/// use incident_core::Vendor;
/// use incident_core::sync::{Checkpoint, CheckpointStore, StoreError};
///
/// /// Checkpoints in a table of a database (here a map), as the JSON of `to_json`.
/// #[derive(Debug, Default)]
/// struct Table(Mutex<HashMap<&'static str, String>>);
///
/// #[async_trait]
/// impl CheckpointStore for Table {
///     async fn load(&self, vendor: Vendor) -> Result<Option<Checkpoint>, StoreError> {
///         let row = self.0.lock().unwrap().get(vendor.key()).cloned();
///         let Some(json) = row else { return Ok(None) };
///         let location = format!("the checkpoints table, row {}", vendor.key());
///         let checkpoint = Checkpoint::from_json(&json)
///             .map_err(|e| StoreError::corrupt(&location, e.to_string()))?;
///         if !checkpoint.is_for(vendor) {
///             let found = checkpoint.vendor().unwrap_or_default().to_owned();
///             return Err(StoreError::foreign(&location, vendor, found));
///         }
///         Ok(Some(checkpoint))
///     }
///
///     async fn save(&self, vendor: Vendor, checkpoint: &Checkpoint) -> Result<(), StoreError> {
///         self.0.lock().unwrap().insert(vendor.key(), checkpoint.to_json());
///         Ok(())
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let table = Table::default();
/// let qradar = Vendor::new("qradar", "QRadar");
/// assert_eq!(table.load(qradar).await?, None);
/// table.save(qradar, &Checkpoint::new()).await?;
/// assert_eq!(table.load(qradar).await?, Some(Checkpoint::new()));
/// # Ok::<(), StoreError>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait CheckpointStore: Send + Sync + fmt::Debug {
    /// The checkpoint last saved for `vendor`; `None` when none was ever saved (the first
    /// run, which starts from [`Checkpoint::new`] or [`Checkpoint::starting_at`]).
    ///
    /// A saved record that cannot be read back is [`StoreError::Corrupt`], one made with
    /// another source [`StoreError::Foreign`]: never `None`.
    async fn load(&self, vendor: Vendor) -> Result<Option<Checkpoint>, StoreError>;

    /// Keeps `checkpoint` for `vendor` in place of the one saved before. When it returns
    /// `Ok`, the checkpoint survives a crash of the process (and, for [`FileStore`], of the
    /// machine); when it fails, or the process dies while it runs, [`load`](Self::load)
    /// gives the previous checkpoint or this one, whole.
    async fn save(&self, vendor: Vendor, checkpoint: &Checkpoint) -> Result<(), StoreError>;
}

/// Why a [`CheckpointStore`] could not load or save a checkpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file system refused an operation (a missing permission, a full disk, a path that
    /// is not a directory).
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `"write"`, `"replace"`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The error of the operating system.
        #[source]
        source: io::Error,
    },
    /// A record is there but is no checkpoint this build can read: truncated, edited, another
    /// program's file, or written by a newer layout. The sync does not start from scratch
    /// over it: repair or remove it (a removed checkpoint means a first run again).
    #[error("the checkpoint at {location} is corrupt: {reason}")]
    Corrupt {
        /// Where the record is: a path, a table and row.
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The record holds the checkpoint of another source (a file copied or renamed, a
    /// mix-up of configuration): using it would skip or repeat that source's incidents.
    #[error("the checkpoint at {location} was made with {found}, not with {}", expected.key())]
    Foreign {
        /// Where the record is.
        location: String,
        /// The source it was asked for.
        expected: Vendor,
        /// The key of the source that made it.
        found: String,
    },
    /// The store's own backend failed (a database error, a lost connection).
    #[error("the checkpoint store failed: {source}")]
    Backend {
        /// The backend's error.
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    /// A [`StoreError::Corrupt`] for the record at `location`.
    pub fn corrupt(location: impl fmt::Display, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            location: location.to_string(),
            reason: reason.into(),
        }
    }

    /// A [`StoreError::Foreign`]: the record at `location`, asked for `expected`, was made
    /// with the source whose key is `found`.
    pub fn foreign(
        location: impl fmt::Display,
        expected: Vendor,
        found: impl Into<String>,
    ) -> StoreError {
        StoreError::Foreign {
            location: location.to_string(),
            expected,
            found: found.into(),
        }
    }

    /// A [`StoreError::Backend`] around a backend's error.
    pub fn backend(source: impl Into<BoxError>) -> StoreError {
        StoreError::Backend {
            source: source.into(),
        }
    }

    fn io(action: &'static str, path: &Path, source: io::Error) -> StoreError {
        StoreError::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }
}

/// Checkpoints in files, one per source, in one directory: the default [`CheckpointStore`].
///
/// The checkpoint of a source whose [key](Vendor::key) is `qradar` is
/// `<dir>/qradar.checkpoint.json` (a key's characters other than `a`-`z`, `0`-`9`, `-` and
/// `_` are written `%XX`, so that no key can name a path outside the directory). A save
/// writes `<file>.tmp` beside it, flushes it to disk (`fsync`), renames it over the old
/// file and flushes the directory, so that a crash at any point leaves either the old
/// checkpoint or the new one, whole, and a save that returned has reached the disk. A
/// temporary file left by a crash is ignored by [`load`](CheckpointStore::load) and
/// replaced by the next save. The directory is created by the first save.
///
/// The file holds the checkpoint's JSON in an envelope naming the format and the source:
/// another file, a truncated or edited one, or another source's checkpoint is refused with a
/// [`StoreError`], never taken for a first run.
///
/// One process at a time saves the checkpoints of a directory (saves through clones of one
/// `FileStore` are serialized); two pollers of the same source would deliver its changes
/// twice anyway.
///
/// ```no_run
/// use incident_core::IncidentSource;
/// use incident_core::sync::{CheckpointStore, FileStore, changes_since};
///
/// async fn poll(source: &dyn IncidentSource) -> Result<(), Box<dyn std::error::Error>> {
///     let store = FileStore::new("/var/lib/soc-sync");
///     let checkpoint = store.load(source.vendor()).await?.unwrap_or_default();
///     let mut changes = changes_since(source, &checkpoint);
///     while let Some(batch) = changes.next_batch().await? {
///         for incident in &batch.incidents {
///             println!("{} {} {}", incident.id, incident.status, incident.title);
///         }
///         store.save(source.vendor(), batch.checkpoint()).await?;
///     }
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    /// Held by each save: the temporary file's name is fixed.
    writing: Arc<Mutex<()>>,
}

impl FileStore {
    /// A store of the checkpoint files in `dir`. Nothing is read or created until the first
    /// load or save.
    pub fn new(dir: impl Into<PathBuf>) -> FileStore {
        FileStore {
            dir: dir.into(),
            writing: Arc::new(Mutex::new(())),
        }
    }

    /// The directory of the checkpoint files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that keeps the checkpoint of `vendor`.
    pub fn path(&self, vendor: Vendor) -> PathBuf {
        self.dir.join(file_name(vendor))
    }

    fn read(&self, vendor: Vendor) -> Result<Option<Checkpoint>, StoreError> {
        let path = self.path(vendor);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io("read", &path, e)),
        };
        decode(&bytes, vendor, &path.display().to_string()).map(Some)
    }

    fn write(&self, vendor: Vendor, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let path = self.path(vendor);
        if !checkpoint.is_for(vendor) {
            let found = checkpoint.vendor().unwrap_or_default().to_owned();
            return Err(StoreError::foreign(path.display(), vendor, found));
        }
        let bytes = encode(vendor, checkpoint);
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        if !self.dir.is_dir() {
            fs::create_dir_all(&self.dir)
                .map_err(|e| StoreError::io("create the directory", &self.dir, e))?;
            // The new directory's own entry, in its parent.
            if let Some(parent) = self.dir.parent() {
                sync_dir(parent)?;
            }
        }
        let tmp = tmp_path(&path);
        let written = write_synced(&tmp, &bytes).and_then(|()| {
            fs::rename(&tmp, &path).map_err(|e| StoreError::io("replace", &path, e))
        });
        if let Err(e) = written {
            // Best effort: a leftover is ignored by loads and replaced by the next save.
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        sync_dir(&self.dir)
    }
}

#[async_trait]
impl CheckpointStore for FileStore {
    async fn load(&self, vendor: Vendor) -> Result<Option<Checkpoint>, StoreError> {
        let store = self.clone();
        blocking(move || store.read(vendor)).await
    }

    async fn save(&self, vendor: Vendor, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let store = self.clone();
        let checkpoint = checkpoint.clone();
        blocking(move || store.write(vendor, &checkpoint)).await
    }
}

/// Runs file work on tokio's blocking threads when there is a runtime, else right here.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle
            .spawn_blocking(work)
            .await
            .map_err(StoreError::backend)?,
        Err(_) => work(),
    }
}

/// `<key>.checkpoint.json`, the key's bytes other than `a-z0-9-_` written `%XX`.
fn file_name(vendor: Vendor) -> String {
    let mut name = String::new();
    for byte in vendor.key().bytes() {
        match byte {
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => name.push(char::from(byte)),
            _ => name.push_str(&format!("%{byte:02X}")),
        }
    }
    if name.is_empty() {
        // An empty key still names a file of its own.
        name.push('%');
    }
    name.push_str(".checkpoint.json");
    name
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    path.with_file_name(name)
}

fn encode(vendor: Vendor, checkpoint: &Checkpoint) -> Vec<u8> {
    let envelope = serde_json::json!({
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "vendor": vendor.key(),
        "checkpoint": checkpoint,
    });
    let mut bytes = serde_json::to_vec_pretty(&envelope).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn decode(bytes: &[u8], vendor: Vendor, location: &str) -> Result<Checkpoint, StoreError> {
    let corrupt = |reason: String| StoreError::corrupt(location, reason);
    let envelope: Value = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(format!("not JSON (truncated or overwritten?): {e}")))?;
    if envelope.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(corrupt(format!(
            "not a checkpoint file (no \"format\": \"{FORMAT}\")"
        )));
    }
    match envelope.get("version").and_then(Value::as_u64) {
        Some(FORMAT_VERSION) => {}
        Some(v) => {
            return Err(corrupt(format!(
                "layout version {v}; this build reads version {FORMAT_VERSION}"
            )));
        }
        None => return Err(corrupt("no layout version".into())),
    }
    let Some(found) = envelope.get("vendor").and_then(Value::as_str) else {
        return Err(corrupt("no source named".into()));
    };
    if found != vendor.key() {
        return Err(StoreError::foreign(location, vendor, found));
    }
    let checkpoint = envelope
        .get("checkpoint")
        .ok_or_else(|| corrupt("no checkpoint".into()))
        .and_then(|c| {
            serde_json::from_value::<Checkpoint>(c.clone())
                .map_err(|e| corrupt(format!("not a sync checkpoint: {e}")))
        })?;
    if !checkpoint.is_for(vendor) {
        let found = checkpoint.vendor().unwrap_or_default().to_owned();
        return Err(StoreError::foreign(location, vendor, found));
    }
    Ok(checkpoint)
}

/// Creates or truncates `path`, writes `bytes` and flushes them to the disk.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| StoreError::io("create", path, e))?;
    file.write_all(bytes)
        .map_err(|e| StoreError::io("write", path, e))?;
    file.sync_all()
        .map_err(|e| StoreError::io("flush to disk", path, e))
}

/// Flushes a directory's entries (a rename, a new file) to the disk. Only Unix can open a
/// directory for that; elsewhere a rename is as durable as the file system makes it.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StoreError::io("flush the directory", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use time::macros::datetime;

    use super::*;
    use crate::vendor::test_vendors::{ALPHA, BRAVO};

    /// A fresh directory under the system's temporary one, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "incident-core-store-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// A checkpoint as a run with `vendor` leaves it: a watermark and remembered incidents.
    fn made_with(vendor: Vendor) -> Checkpoint {
        Checkpoint::from_json(&format!(
            r#"{{"vendor":"{}","watermark":"2026-03-01T12:00:01.123456789Z",
                "seen":{{"7":{{"time":"2026-03-01T12:00:02Z","fingerprint":"79eb4b1cc90ef0e4"}},
                         "x":{{"time":null,"fingerprint":"0000000000000001"}}}}}}"#,
            vendor.key()
        ))
        .unwrap()
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn a_saved_checkpoint_loads_back_the_same() {
        let tmp = TempDir::new();
        let store = FileStore::new(tmp.0.join("checkpoints"));
        let checkpoint = made_with(ALPHA);
        assert_eq!(checkpoint.remembered(), 2);
        store.save(ALPHA, &checkpoint).await.unwrap();
        assert_eq!(store.load(ALPHA).await.unwrap(), Some(checkpoint.clone()));
        assert_eq!(
            checkpoint.watermark(),
            Some(datetime!(2026-03-01 12:00:01.123456789 UTC))
        );
        // One file per source, nothing left beside it.
        assert_eq!(files(store.dir()), ["alpha.checkpoint.json"]);
        assert_eq!(
            store.path(ALPHA),
            tmp.0.join("checkpoints/alpha.checkpoint.json")
        );
        let file: Value = serde_json::from_slice(&fs::read(store.path(ALPHA)).unwrap()).unwrap();
        assert_eq!(file["format"], FORMAT);
        assert_eq!(file["vendor"], "alpha");
        assert_eq!(
            file["checkpoint"]["seen"]["7"]["fingerprint"],
            "79eb4b1cc90ef0e4"
        );

        // A later save replaces it; another source has its own file.
        let fresh = Checkpoint::starting_at(datetime!(2026-04-01 0:00 UTC));
        store.save(ALPHA, &fresh).await.unwrap();
        store.save(BRAVO, &made_with(BRAVO)).await.unwrap();
        assert_eq!(store.load(ALPHA).await.unwrap(), Some(fresh));
        assert_eq!(store.load(BRAVO).await.unwrap(), Some(made_with(BRAVO)));
        assert_eq!(
            files(store.dir()),
            ["alpha.checkpoint.json", "bravo.checkpoint.json"]
        );

        // Through a trait object, and without a runtime.
        let dynamic: &dyn CheckpointStore = &store;
        assert!(dynamic.load(BRAVO).await.unwrap().is_some());
        let plain = store.clone();
        let loaded = std::thread::spawn(move || plain.read(BRAVO))
            .join()
            .unwrap();
        assert_eq!(loaded.unwrap(), Some(made_with(BRAVO)));
    }

    #[tokio::test]
    async fn no_file_is_a_first_run() {
        let tmp = TempDir::new();
        assert_eq!(FileStore::new(&tmp.0).load(ALPHA).await.unwrap(), None);
        // Nor a directory: nothing was ever saved.
        let store = FileStore::new(tmp.0.join("not/yet"));
        assert_eq!(store.load(ALPHA).await.unwrap(), None);
        assert!(!store.dir().exists(), "a load creates nothing");
    }

    #[tokio::test]
    async fn a_corrupt_file_is_an_error_not_a_first_run() {
        let tmp = TempDir::new();
        let store = FileStore::new(&tmp.0);
        store.save(ALPHA, &made_with(ALPHA)).await.unwrap();
        let good = fs::read(store.path(ALPHA)).unwrap();
        let envelope = |checkpoint: &str, version: u64| {
            format!(
                r#"{{"format":"{FORMAT}","version":{version},"vendor":"alpha","checkpoint":{checkpoint}}}"#
            )
        };
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (good[..good.len() / 2].to_vec(), "not JSON"),
            (Vec::new(), "not JSON"),
            (b"\0\0\0\0".to_vec(), "not JSON"),
            (b"hello".to_vec(), "not JSON"),
            (br#"{"watermark":null}"#.to_vec(), "not a checkpoint file"),
            (b"[1,2]".to_vec(), "not a checkpoint file"),
            (envelope("{}", 2).into_bytes(), "layout version 2"),
            (
                envelope(r#"{"seen":3}"#, 1).into_bytes(),
                "not a sync checkpoint",
            ),
            (
                envelope(r#"{"watermark":"yesterday"}"#, 1).into_bytes(),
                "not a sync checkpoint",
            ),
            (
                format!(r#"{{"format":"{FORMAT}","version":1,"vendor":"alpha"}}"#).into_bytes(),
                "no checkpoint",
            ),
            (
                format!(r#"{{"format":"{FORMAT}","version":1,"checkpoint":{{}}}}"#).into_bytes(),
                "no source named",
            ),
        ];
        for (bytes, why) in cases {
            fs::write(store.path(ALPHA), &bytes).unwrap();
            let e = store.load(ALPHA).await.unwrap_err();
            assert!(matches!(e, StoreError::Corrupt { .. }), "{why}: {e:?}");
            let text = e.to_string();
            assert!(text.contains(why), "{text}");
            assert!(
                text.contains(&store.path(ALPHA).display().to_string()),
                "{text}"
            );
        }
        // A save over a corrupt file repairs it.
        store.save(ALPHA, &made_with(ALPHA)).await.unwrap();
        assert_eq!(store.load(ALPHA).await.unwrap(), Some(made_with(ALPHA)));
    }

    #[tokio::test]
    async fn another_sources_checkpoint_is_refused() {
        let tmp = TempDir::new();
        let store = FileStore::new(&tmp.0);
        store.save(ALPHA, &made_with(ALPHA)).await.unwrap();
        // Copied (or renamed) to another source's name.
        fs::copy(store.path(ALPHA), store.path(BRAVO)).unwrap();
        let e = store.load(BRAVO).await.unwrap_err();
        let StoreError::Foreign {
            expected, found, ..
        } = &e
        else {
            panic!("{e:?}");
        };
        assert_eq!((*expected, found.as_str()), (BRAVO, "alpha"));
        assert!(
            e.to_string().contains("made with alpha, not with bravo"),
            "{e}"
        );

        // An envelope naming the right source around a checkpoint made with another.
        let mixed = serde_json::json!({
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "vendor": "bravo",
            "checkpoint": made_with(ALPHA),
        });
        fs::write(store.path(BRAVO), mixed.to_string()).unwrap();
        let e = store.load(BRAVO).await.unwrap_err();
        assert!(
            matches!(&e, StoreError::Foreign { found, .. } if found == "alpha"),
            "{e:?}"
        );

        // Nor is one saved under another source's name; the file keeps what it had.
        let before = fs::read(store.path(ALPHA)).unwrap();
        let e = store.save(ALPHA, &made_with(BRAVO)).await.unwrap_err();
        assert!(matches!(e, StoreError::Foreign { .. }), "{e:?}");
        assert_eq!(fs::read(store.path(ALPHA)).unwrap(), before);
        // A checkpoint no run has used yet belongs to no source: any may save it.
        store.save(BRAVO, &Checkpoint::new()).await.unwrap();
    }

    #[tokio::test]
    async fn a_temporary_file_left_by_a_crash_is_ignored_then_replaced() {
        let tmp = TempDir::new();
        let store = FileStore::new(&tmp.0);
        let leftover = tmp_path(&store.path(ALPHA));
        // A crash before the first rename: no checkpoint yet.
        fs::write(&leftover, b"{\"format\":\"incident-core sync check").unwrap();
        assert_eq!(store.load(ALPHA).await.unwrap(), None);
        store.save(ALPHA, &made_with(ALPHA)).await.unwrap();
        assert_eq!(files(&tmp.0), ["alpha.checkpoint.json"]);
        // A crash while writing the next one: the previous checkpoint stands.
        fs::write(&leftover, b"garbage").unwrap();
        assert_eq!(store.load(ALPHA).await.unwrap(), Some(made_with(ALPHA)));
        let fresh = Checkpoint::starting_at(datetime!(2026-04-01 0:00 UTC));
        store.save(ALPHA, &fresh).await.unwrap();
        assert_eq!(store.load(ALPHA).await.unwrap(), Some(fresh));
        assert_eq!(files(&tmp.0), ["alpha.checkpoint.json"]);
    }

    #[tokio::test]
    async fn an_unwritable_place_is_an_io_error_and_keeps_the_old_checkpoint() {
        let tmp = TempDir::new();
        // The directory is a file.
        let not_a_dir = tmp.0.join("plain-file");
        fs::write(&not_a_dir, b"x").unwrap();
        let store = FileStore::new(&not_a_dir);
        let e = store.save(ALPHA, &made_with(ALPHA)).await.unwrap_err();
        assert!(
            matches!(&e, StoreError::Io { action: "create the directory", path, .. } if *path == not_a_dir),
            "{e:?}"
        );
        assert!(
            e.to_string().starts_with("cannot create the directory"),
            "{e}"
        );
        let e = FileStore::new(not_a_dir.join("sub")).load(ALPHA).await;
        assert!(
            matches!(e, Err(StoreError::Io { action: "read", .. })),
            "{e:?}"
        );

        // The checkpoint's name is taken by a directory: the rename fails, nothing is left.
        let store = FileStore::new(&tmp.0);
        fs::create_dir(store.path(ALPHA)).unwrap();
        let e = store.save(ALPHA, &made_with(ALPHA)).await.unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::Io {
                    action: "replace",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(!tmp_path(&store.path(ALPHA)).exists());
        let e = store.load(ALPHA).await.unwrap_err();
        assert!(matches!(e, StoreError::Io { action: "read", .. }), "{e:?}");

        // A read-only directory (where permissions apply: not to root).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let locked = tmp.0.join("read-only");
            let store = FileStore::new(&locked);
            store.save(BRAVO, &made_with(BRAVO)).await.unwrap();
            fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
            let enforced = fs::write(locked.join("probe"), b"").is_err();
            let saved = store.save(BRAVO, &Checkpoint::new()).await;
            if enforced {
                let e = saved.unwrap_err();
                assert!(
                    matches!(
                        e,
                        StoreError::Io {
                            action: "create",
                            ..
                        }
                    ),
                    "{e:?}"
                );
                assert_eq!(store.load(BRAVO).await.unwrap(), Some(made_with(BRAVO)));
            }
            fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    #[test]
    fn a_key_names_one_file_inside_the_directory() {
        let evil = Vendor::new("../../etc/passwd", "Evil");
        assert_eq!(
            file_name(evil),
            "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd.checkpoint.json"
        );
        assert_eq!(file_name(ALPHA), "alpha.checkpoint.json");
        assert_eq!(
            file_name(Vendor::new("Acme Tickets", "x")),
            "%41cme%20%54ickets.checkpoint.json"
        );
        assert_eq!(file_name(Vendor::new("", "x")), "%.checkpoint.json");
        let store = FileStore::new("/var/lib/sync");
        assert_eq!(store.path(evil).parent(), Some(Path::new("/var/lib/sync")));
    }
}
