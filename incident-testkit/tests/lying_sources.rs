//! The conformance suite itself, against small in-memory sources: a read-only source that
//! does exactly what its capabilities say passes; a source that lies about its pages fails
//! in the `paging` check within a few requests, naming the lie; one whose capabilities
//! promise what it cannot do fails in the check of that promise.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use incident_core::source::{Query, Update};
use incident_core::time::{Duration, OffsetDateTime};
use incident_core::{
    Capabilities, Cursor, Error, Incident, IncidentPage, IncidentSource, IncidentStatus, Result,
    Vendor,
};
use incident_testkit::{Fixture, try_conformance};

const SHELF: Vendor = Vendor::new("shelf", "Shelf");
const INCIDENTS: u64 = 25;
const PAGE: u32 = 10;

/// How the source lies about its pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lie {
    /// It does not.
    Honest,
    /// Every page after the first names its own cursor as the next.
    SameCursor,
    /// Next cursors go round: first → 10, 10 → 20, 20 → 10.
    CursorCycle,
    /// The first page again and again, under a new cursor each time.
    EverNewCursor,
    /// The first page holds every incident, whatever was asked.
    OversizedPage,
    /// After the first page, empty pages with new cursors, forever.
    EndlessEmptyPages,
    /// The first page announces fewer incidents than there are.
    SmallTotal,
    /// Its capabilities say notes can be added; they cannot.
    PromisesNotes,
}

/// A read-only source of `INCIDENTS` incidents (`S-1`...), every other one new, paged by
/// offset (`o:<n>`).
#[derive(Debug, Clone)]
struct Shelf {
    lie: Lie,
    listings: Arc<AtomicUsize>,
}

impl Shelf {
    fn new(lie: Lie) -> Self {
        Shelf {
            lie,
            listings: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn incident(n: u64) -> Incident {
        let mut i = Incident::new(SHELF, format!("S-{n}"), format!("Finding {n}"), n);
        i.status = if n % 2 == 1 {
            IncidentStatus::New
        } else {
            IncidentStatus::Closed
        };
        i.created = Some(OffsetDateTime::UNIX_EPOCH + Duration::hours(n as i64));
        i
    }
}

#[async_trait]
impl IncidentSource for Shelf {
    fn vendor(&self) -> Vendor {
        SHELF
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::none();
        caps.notes = self.lie == Lie::PromisesNotes;
        caps
    }

    async fn list_page(&self, query: Query<'_>, cursor: Option<&Cursor>) -> Result<IncidentPage> {
        let n = self.listings.fetch_add(1, Ordering::SeqCst) as u64;
        let size = u64::from(query.page_size.unwrap_or(PAGE));
        let offset = match cursor {
            None => 0,
            Some(c) => c
                .as_str()
                .strip_prefix("o:")
                .and_then(|o| o.parse().ok())
                .ok_or_else(|| Error::invalid_input("cursor", "not o:<n>"))?,
        };
        let page = |from: u64, to: u64| (from + 1..=to.min(INCIDENTS)).map(Shelf::incident);
        let honest_next = (offset + size < INCIDENTS).then(|| offset + size);
        let (items, next): (Vec<Incident>, Option<u64>) = match self.lie {
            Lie::SameCursor if offset > 0 => (page(offset, offset + size).collect(), Some(offset)),
            Lie::CursorCycle => {
                let next = if offset == 2 * size {
                    size
                } else {
                    offset + size
                };
                (page(offset, offset + size).collect(), Some(next))
            }
            Lie::EverNewCursor => (page(0, size).collect(), Some(1000 + n)),
            Lie::OversizedPage => (page(0, INCIDENTS).collect(), None),
            Lie::EndlessEmptyPages if offset > 0 => (Vec::new(), Some(offset + size)),
            _ => (page(offset, offset + size).collect(), honest_next),
        };
        let total = match self.lie {
            Lie::SmallTotal => Some(INCIDENTS - 10),
            _ => Some(INCIDENTS),
        };
        let next = next.map(|o| Cursor::new(format!("o:{o}")));
        Ok(IncidentPage::new(items, next, total))
    }

    async fn get_incident(&self, id: &str) -> Result<Incident> {
        id.strip_prefix("S-")
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|n| (1..=INCIDENTS).contains(n))
            .map(Shelf::incident)
            .ok_or_else(|| Error::not_found(SHELF, format!("incident {id:?}")))
    }

    async fn apply_update(&self, _: &str, _: Update<'_>) -> Result<Incident> {
        // A read-only shelf: what passed the capabilities fails all the same.
        Err(Error::config("the shelf is read-only"))
    }

    fn shared(&self) -> Arc<dyn IncidentSource> {
        Arc::new(self.clone())
    }
}

fn fixture() -> Fixture {
    Fixture::new("S-1", "S-999").page_size(PAGE)
}

#[tokio::test]
async fn a_read_only_source_that_keeps_its_word_passes() {
    let shelf = Shelf::new(Lie::Honest);
    let report = try_conformance(&shelf, &fixture()).await.unwrap();
    assert_eq!(report.incidents, INCIDENTS as usize);
    assert_eq!(report.vendor, SHELF);
    assert!(report.has_passed("paging"), "{report}");
    assert!(report.has_passed("note is unsupported"), "{report}");
    assert!(report.has_passed("close is unsupported"), "{report}");
    assert!(report.has_passed("time window on Created is unsupported"));
    assert!(report.has_passed("status filter New is unsupported"));
    let skipped: Vec<&str> = report.skipped().map(|(name, _)| name).collect();
    assert_eq!(
        skipped,
        [
            "set severity",
            "assign",
            "unassign",
            "note",
            "close",
            "reopen"
        ]
    );
    assert_eq!(
        report.to_string().lines().next(),
        Some("Shelf conformance: 28 passed, 6 skipped, 25 incidents walked")
    );
}

/// The check that fails, its message, and how many listings the suite asked for.
async fn failure(lie: Lie) -> (String, String, usize) {
    let shelf = Shelf::new(lie);
    let f = try_conformance(&shelf, &fixture())
        .await
        .expect_err("a lying source must fail the suite");
    assert_eq!(f.vendor, SHELF);
    (f.check, f.message, shelf.listings.load(Ordering::SeqCst))
}

#[tokio::test]
async fn lying_pages_fail_the_paging_check_within_a_few_requests() {
    let cases = [
        (
            Lie::SameCursor,
            r#"the cursor "o:10" did not advance"#.to_owned(),
            2,
        ),
        (
            Lie::CursorCycle,
            r#"the cursor "o:10" came back after page 3: following it would loop"#.to_owned(),
            3,
        ),
        (
            Lie::EverNewCursor,
            r#"page 2 (cursor Some("o:1000")) lists the incident "S-1" again"#.to_owned(),
            2,
        ),
        (
            Lie::OversizedPage,
            "page 1 holds 25 incidents, more than the 10 asked".to_owned(),
            1,
        ),
        (
            Lie::EndlessEmptyPages,
            "100 empty pages in a row, each with a new cursor: the walk does not end".to_owned(),
            101,
        ),
        (
            Lie::SmallTotal,
            "page 2 brings the walk to 20 incidents, past the 15 the first page announced"
                .to_owned(),
            2,
        ),
    ];
    for (lie, message, listings) in cases {
        let got = failure(lie).await;
        assert_eq!(got, ("paging".to_owned(), message, listings), "{lie:?}");
    }
}

#[tokio::test]
async fn a_capability_the_source_does_not_have_fails_its_check() {
    let (check, message, _) = failure(Lie::PromisesNotes).await;
    assert_eq!(check, "note");
    assert_eq!(
        message,
        "adding a note failed: invalid configuration: the shelf is read-only"
    );
}
