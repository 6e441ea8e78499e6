//! The walks over a hostile QRadar console: an oversized page, a 64 MiB body, the same page
//! at every position, and the same offenses under ever-new positions each end with a typed
//! error within a few requests and without holding much memory (the test kit's
//! [`run_hostile`]), for the offense stream (`Range` offsets with prefetch) and for
//! `IncidentSource::stream_incidents` (`id >` the last id seen).
//!
//! Alone in its test binary: memory is measured for the whole process.

use futures::StreamExt;
use incident_core::{IncidentQuery, IncidentSource};
use incident_testkit::hostile::{Bounds, PageWire, Reply, Request, check_hostile, run_hostile};
use qradar_client::QRadarClient;

const PAGE: u64 = 25;

struct QRadar;

/// The `Range: items=start-end` of a request.
fn range(request: &Request) -> Option<(u64, u64)> {
    let (start, end) = request
        .header("range")?
        .strip_prefix("items=")?
        .split_once('-')?;
    Some((start.parse().ok()?, end.parse().ok()?))
}

impl PageWire for QRadar {
    fn is_listing(&self, request: &Request) -> bool {
        request.method == "GET" && request.path == "/api/siem/offenses"
    }

    fn server_cursors(&self) -> bool {
        false
    }

    fn cursor(&self, request: &Request) -> Option<u64> {
        range(request).map(|(start, _)| start).filter(|s| *s > 0)
    }

    fn page(&self, request: &Request, items: &str, count: u64, next: Option<u64>) -> Reply {
        // The positions asked for, and a total that says whether more follow.
        let start = range(request).map_or(0, |(s, _)| s);
        let end = start + count.max(1) - 1;
        let total = if next.is_some() {
            1_000_000
        } else {
            start + count
        };
        Reply::json(items).header("content-range", format!("items {start}-{end}/{total}"))
    }

    fn record(&self, i: u64) -> String {
        format!(
            r#"{{"id":{},"description":"Offense {i}","status":"OPEN","severity":5,"magnitude":4,"start_time":1733097628071,"last_updated_time":{}}}"#,
            i + 1,
            1733097628071 + i
        )
    }
}

fn client(base: &str) -> QRadarClient {
    QRadarClient::builder(base)
        .sec_token("token")
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_walk_ends_bounded_on_a_hostile_console() {
    let bounds = Bounds::default();
    let outcomes = run_hostile(QRadar, PAGE, bounds, |base| {
        client(&base)
            .offenses()
            .list()
            .page_size(PAGE)
            .into_stream()
            .map(|r| r.map(|_| ()))
            .boxed()
    })
    .await;
    let report = check_hostile(&outcomes, PAGE, bounds).unwrap_or_else(|e| panic!("{e}"));
    println!("offense stream:\n{report}");
    let outcomes = run_hostile(QRadar, PAGE, bounds, |base| {
        let source: Box<dyn IncidentSource> = Box::new(client(&base));
        source.stream_incidents(IncidentQuery::new().page_size(PAGE as u32))
    })
    .await;
    let report = check_hostile(&outcomes, PAGE, bounds).unwrap_or_else(|e| panic!("{e}"));
    println!("IncidentSource::stream_incidents:\n{report}");
}
