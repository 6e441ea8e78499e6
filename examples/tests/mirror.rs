//! The SQLite mirror of `cargo run --example sync_sqlite` as a checkpoint store: a batch and
//! its checkpoint in one transaction, a replayed batch counted and not recorded twice, and a
//! corrupt or foreign checkpoint row, another poller's write or another database refused.

use std::path::PathBuf;

use incident_core::sync::{Batch, Checkpoint, CheckpointStore, StoreError, changes_since};
use incident_core::time::OffsetDateTime;
use incident_core::{IncidentSource, Vendor};
use incident_examples::mirror::Mirror;
use incident_examples::tickets::{Priority, TICKETS, TicketQueue};
use rusqlite::Connection;

/// A database file of its own under the system's temporary directory, removed on drop.
struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> TempDb {
        let path =
            std::env::temp_dir().join(format!("mirror-test-{}-{name}.sqlite", std::process::id()));
        let db = TempDb(path);
        db.clean();
        db
    }

    fn clean(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.clean();
    }
}

/// Every batch of one run of the sync over `queue`, from `checkpoint`.
async fn run(queue: &TicketQueue, checkpoint: &Checkpoint) -> Vec<Batch> {
    let mut changes = changes_since(queue, checkpoint).page_size(4);
    let mut batches = Vec::new();
    while let Some(batch) = changes.next_batch().await.unwrap() {
        batches.push(batch);
    }
    batches
}

fn count(db: &TempDb, sql: &str) -> i64 {
    Connection::open(&db.0)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn batches_and_checkpoints_are_written_together_and_once() {
    let db = TempDb::new("batches");
    let mirror = Mirror::open(&db.0).unwrap();
    let queue = TicketQueue::seeded(10);
    assert_eq!(mirror.load(TICKETS).await.unwrap(), None);
    let started = OffsetDateTime::now_utc();
    let batches = run(&queue, &Checkpoint::new()).await;
    assert!(batches.len() > 2, "{}", batches.len());
    let mut new = 0;
    for batch in &batches {
        let written = mirror.write_batch(TICKETS, batch, started).unwrap();
        assert_eq!(written.replayed, 0);
        new += written.new;
    }
    assert_eq!(new, 10);
    let last = batches.last().unwrap().checkpoint();
    assert_eq!(mirror.load(TICKETS).await.unwrap().as_ref(), Some(last));
    assert_eq!(count(&db, "SELECT count(*) FROM incidents"), 10);
    assert_eq!(count(&db, "SELECT count(*) FROM changes"), 10);
    assert_eq!(count(&db, "SELECT count(*) FROM runs"), 1);
    let ocsf: String = Connection::open(&db.0)
        .unwrap()
        .query_row("SELECT ocsf FROM incidents LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert!(ocsf.contains(r#""class_uid":2005"#), "{ocsf}");

    // A batch handled again (as if its checkpoint had not been saved) records nothing
    // twice, and says so.
    let again = mirror.write_batch(TICKETS, &batches[0], started).unwrap();
    assert_eq!((again.new, again.replayed), (0, again.delivered));
    assert_eq!(count(&db, "SELECT count(*) FROM changes"), 10);

    // A change: one new version, the incident row updated.
    queue.open("Printer on fire", Priority::P1);
    let checkpoint = mirror.load(TICKETS).await.unwrap().unwrap();
    let more = run(&queue, &checkpoint).await;
    let new: usize = more
        .iter()
        .map(|b| mirror.write_batch(TICKETS, b, started).unwrap().new)
        .sum();
    assert_eq!(new, 1);
    let summary = mirror.summary().unwrap();
    assert_eq!(summary.len(), 1);
    assert_eq!(
        (summary[0].incidents, summary[0].changes, summary[0].runs),
        (11, 11, 2)
    );
    assert!(summary[0].replayed > 0);
}

#[tokio::test]
async fn a_corrupt_or_foreign_checkpoint_row_is_an_error() {
    let db = TempDb::new("rows");
    let mirror = Mirror::open(&db.0).unwrap();
    let queue = TicketQueue::seeded(3);
    let batches = run(&queue, &Checkpoint::new()).await;
    let last = batches.last().unwrap();
    mirror
        .write_batch(TICKETS, last, OffsetDateTime::now_utc())
        .unwrap();
    let set = |json: &str| {
        Connection::open(&db.0)
            .unwrap()
            .execute(
                "UPDATE sync_checkpoints SET checkpoint = ?1 WHERE vendor = ?2",
                [json, TICKETS.key()],
            )
            .unwrap();
    };
    set(r#"{"watermark":"yesterday"}"#);
    let e = mirror.load(TICKETS).await.unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    set(&last
        .checkpoint()
        .to_json()
        .replace("acme-tickets", "qradar"));
    let e = mirror.load(TICKETS).await.unwrap_err();
    assert!(
        matches!(&e, StoreError::Foreign { found, .. } if found == "qradar"),
        "{e:?}"
    );
    // Nor is another source's checkpoint saved under this one's name.
    let other = Vendor::new("other", "Other");
    let e = mirror.save(other, last.checkpoint()).await.unwrap_err();
    assert!(matches!(e, StoreError::Foreign { .. }), "{e:?}");
}

#[tokio::test]
async fn a_second_poller_on_the_same_database_is_refused() {
    let db = TempDb::new("pollers");
    let first = Mirror::open(&db.0).unwrap();
    let second = Mirror::open(&db.0).unwrap();
    let queue = TicketQueue::seeded(3);
    let batches = run(&queue, &Checkpoint::new()).await;
    assert_eq!(first.load(TICKETS).await.unwrap(), None);
    assert_eq!(second.load(TICKETS).await.unwrap(), None);
    let now = OffsetDateTime::now_utc();
    first.write_batch(TICKETS, &batches[0], now).unwrap();
    // The second read the checkpoint before the first moved it.
    let e = second.write_batch(TICKETS, &batches[0], now).unwrap_err();
    assert!(e.to_string().contains("another poller"), "{e}");
    let e = second
        .save(TICKETS, batches[0].checkpoint())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("another poller"), "{e}");
    let first_batch = batches[0].incidents.len() as i64;
    assert_eq!(count(&db, "SELECT count(*) FROM changes"), first_batch);
    // Once it reads the checkpoint again, it goes on from there.
    second.load(TICKETS).await.unwrap();
    second.write_batch(TICKETS, &batches[1], now).unwrap();
    // The source as a trait object names the same rows.
    let source: &dyn IncidentSource = &queue;
    assert_eq!(source.vendor(), TICKETS);
}

#[test]
fn another_database_is_not_taken_for_a_mirror() {
    let db = TempDb::new("foreign");
    Connection::open(&db.0)
        .unwrap()
        .execute_batch("CREATE TABLE accounts (id INTEGER PRIMARY KEY);")
        .unwrap();
    let e = Mirror::open(&db.0).unwrap_err();
    assert!(e.to_string().contains("another application"), "{e}");
    db.clean();
    std::fs::write(
        &db.0,
        b"not a database at all, but long enough to look like one.....",
    )
    .unwrap();
    let e = Mirror::open(&db.0).unwrap_err();
    assert!(e.to_string().contains("not a SQLite database"), "{e}");
    db.clean();
    let e = Mirror::open_existing(&db.0).unwrap_err();
    assert!(e.to_string().contains("no database"), "{e}");
    assert!(!db.0.exists(), "opening an existing mirror creates nothing");
}
