//! The walks over a hostile Skyhigh service: an oversized page, a 64 MiB body, the same
//! page forever, `nextStartTime`s that go round, and the same incidents under ever-new
//! times each end with a typed error within a few requests and without holding much memory
//! (the test kit's [`run_hostile`]), for the query stream and for
//! `IncidentSource::stream_incidents`.
//!
//! Alone in its test binary: memory is measured for the whole process.

use futures::StreamExt;
use incident_core::time::{Duration, OffsetDateTime};
use incident_core::{IncidentQuery, IncidentSource};
use incident_testkit::hostile::{Bounds, PageWire, Reply, Request, check_hostile, run_hostile};
use skyhigh_client::{SkyhighClient, format_time, parse_time};

const PAGE: u64 = 25;

/// Record `i` was modified at `T0 + i` seconds; harness cursor `n` is the time of record `n`.
fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_714_521_600).unwrap()
}

fn at(i: u64) -> String {
    format_time(t0() + Duration::seconds(i as i64))
}

struct Skyhigh;

impl PageWire for Skyhigh {
    fn is_listing(&self, request: &Request) -> bool {
        request.method == "POST" && request.path.ends_with("/queryIncidents")
    }

    fn server_cursors(&self) -> bool {
        true
    }

    fn cursor(&self, request: &Request) -> Option<u64> {
        let start = parse_time(request.json()?["startTime"].as_str()?)?;
        let seconds = (start - t0()).whole_seconds();
        u64::try_from(seconds).ok().filter(|s| *s > 0)
    }

    fn page(&self, _: &Request, items: &str, _: u64, next: Option<u64>) -> Reply {
        let next = next.map_or("null".to_owned(), |n| format!("\"{}\"", at(n)));
        Reply::json(format!(
            r#"{{"responseInfo":{{"actualLimit":{PAGE},"error":null,"nextOffset":null,"nextStartTime":{next}}},"incidents":{items}}}"#
        ))
    }

    fn record(&self, i: u64) -> String {
        format!(
            r#"{{"incidentId":"DLP-{i}","incidentGroup":"Alert.Policy.Dlp","incidentRiskSeverity":"high","status":"new","timeCreated":"{}","timeModified":"{}"}}"#,
            at(i),
            at(i)
        )
    }
}

fn client(base: &str) -> SkyhighClient {
    SkyhighClient::builder(base)
        .basic_auth("api-user@example.com", "password")
        .history_start(t0())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_walk_ends_bounded_on_a_hostile_service() {
    let bounds = Bounds::default();
    let outcomes = run_hostile(Skyhigh, PAGE, bounds, |base| {
        client(&base)
            .incidents()
            .query()
            .start_time(t0())
            .limit(PAGE as u32)
            .into_stream()
            .map(|r| r.map(|_| ()))
            .boxed()
    })
    .await;
    let report = check_hostile(&outcomes, PAGE, bounds).unwrap_or_else(|e| panic!("{e}"));
    println!("query stream:\n{report}");
    let outcomes = run_hostile(Skyhigh, PAGE, bounds, |base| {
        let source: Box<dyn IncidentSource> = Box::new(client(&base));
        source.stream_incidents(IncidentQuery::new().page_size(PAGE as u32))
    })
    .await;
    let report = check_hostile(&outcomes, PAGE, bounds).unwrap_or_else(|e| panic!("{e}"));
    println!("IncidentSource::stream_incidents:\n{report}");
}
