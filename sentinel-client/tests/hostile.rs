//! The walks over a hostile Sentinel server: an oversized page, a 64 MiB body, the same
//! page forever, `next` links that go round, and the same incidents under ever-new links
//! each end with a typed error within a few requests and without holding much memory (the
//! test kit's [`run_hostile`]), for the incident stream and for
//! `IncidentSource::stream_incidents`. A `next` link that does not name a later page is replaced
//! by the next page number; the incidents served again there are what ends the walk.
//!
//! Alone in its test binary: memory is measured for the whole process.

use futures::StreamExt;
use incident_core::{IncidentQuery, IncidentSource};
use incident_testkit::hostile::{Bounds, PageWire, Reply, Request, check_hostile, run_hostile};
use sentinel_client::SentinelClient;

const PAGE: u64 = 25;
const INCIDENTS: &str = "/SentinelRESTServices/objects/incident";

struct Sentinel;

impl PageWire for Sentinel {
    fn other(&self, request: &Request) -> Option<Reply> {
        request
            .path
            .starts_with("/SentinelAuthServices/auth/tokens")
            .then(|| {
                Reply::json(r#"{"Token":"tok-1"}"#).status(if request.method == "POST" {
                    201
                } else {
                    204
                })
            })
    }

    fn is_listing(&self, request: &Request) -> bool {
        request.method == "GET" && request.path == INCIDENTS
    }

    fn server_cursors(&self) -> bool {
        true
    }

    fn cursor(&self, request: &Request) -> Option<u64> {
        // The harness cursor of a `next` link; else the page number the client fell back to.
        if let Some(tok) = request.query_param("tok") {
            return tok.parse().ok();
        }
        let page: u64 = request.query_param("page")?.parse().ok()?;
        (page > 1).then(|| (page - 1) * PAGE)
    }

    fn page(&self, request: &Request, items: &str, _: u64, next: Option<u64>) -> Reply {
        // A link to a later page number, carrying the harness cursor.
        let page: u64 = request
            .query_param("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let next = next.map_or(String::new(), |n| {
            format!(r#","next":"https://sentinel.example.com:8443{INCIDENTS}?tok={n}&page={}&pagesize={PAGE}""#, page + 1)
        });
        Reply::json(format!(r#"{{"objects":{items}{next}}}"#))
    }

    fn record(&self, i: u64) -> String {
        format!(
            r#"{{"meta":{{"type":"incident","@href":"https://sentinel.example.com:8443{INCIDENTS}/{}"}},"name":"Incident {i}","state":"OPEN","severity":3,"moddate":"2024-05-01T09:00:00.{:03}Z"}}"#,
            i + 1,
            i % 1000
        )
    }
}

fn client(base: &str) -> SentinelClient {
    SentinelClient::builder(base)
        .credentials("admin", "password")
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_walk_ends_bounded_on_a_hostile_server() {
    let bounds = Bounds::default();
    let outcomes = run_hostile(Sentinel, PAGE, bounds, |base| {
        client(&base)
            .incidents()
            .list()
            .page_size(PAGE)
            .into_stream()
            .map(|r| r.map(|_| ()))
            .boxed()
    })
    .await;
    let report = check_hostile(&outcomes, PAGE, bounds).unwrap_or_else(|e| panic!("{e}"));
    println!("incident stream:\n{report}");
    let outcomes = run_hostile(Sentinel, PAGE, bounds, |base| {
        let source: Box<dyn IncidentSource> = Box::new(client(&base));
        source.stream_incidents(IncidentQuery::new().page_size(PAGE as u32))
    })
    .await;
    let report = check_hostile(&outcomes, PAGE, bounds).unwrap_or_else(|e| panic!("{e}"));
    println!("IncidentSource::stream_incidents:\n{report}");
}
