//! The walks over a hostile ESET Connect server: an oversized page, a 64 MiB body, a
//! repeated page token, a token cycle and ever-new tokens over the same incidents each end
//! with a typed error within a few requests and without holding much memory (the test kit's
//! [`run_hostile`]), for the vendor stream and for `IncidentSource::stream_incidents`.
//!
//! Alone in its test binary: memory is measured for the whole process.

use eset_connect_client::EsetClient;
use futures::StreamExt;
use incident_core::{IncidentQuery, IncidentSource};
use incident_testkit::hostile::{Bounds, PageWire, Reply, Request, check_hostile, run_hostile};

const PAGE: u64 = 25;

struct Eset;

impl PageWire for Eset {
    fn other(&self, request: &Request) -> Option<Reply> {
        (request.path == "/oauth/token").then(|| {
            Reply::json(
                r#"{"access_token":"access-1","refresh_token":"refresh-1","token_type":"Bearer","expires_in":3600}"#,
            )
        })
    }

    fn is_listing(&self, request: &Request) -> bool {
        request.method == "GET" && request.path == "/v2/incidents"
    }

    fn server_cursors(&self) -> bool {
        true
    }

    fn cursor(&self, request: &Request) -> Option<u64> {
        request
            .query_param("pageToken")?
            .strip_prefix("tok-")?
            .parse()
            .ok()
    }

    fn page(&self, _: &Request, items: &str, _: u64, next: Option<u64>) -> Reply {
        let token = next.map_or(String::new(), |n| format!("tok-{n}"));
        Reply::json(format!(
            r#"{{"incidents":{items},"nextPageToken":"{token}"}}"#
        ))
    }

    fn record(&self, i: u64) -> String {
        format!(
            r#"{{"uuid":"00000000-0000-4000-8000-{i:012}","displayName":"Incident {i}","createTime":"2025-04-07T08:30:00Z","updateTime":"2025-04-07T09:00:{:02}Z","status":"INCIDENT_STATUS_OPEN","severity":"INCIDENT_SEVERITY_LEVEL_HIGH"}}"#,
            i % 60
        )
    }
}

fn client(base: &str) -> EsetClient {
    EsetClient::builder_with_urls(base, base)
        .credentials("api-user@example.com", "password")
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_walk_ends_bounded_on_a_hostile_server() {
    let bounds = Bounds::default();
    let outcomes = run_hostile(Eset, PAGE, bounds, |base| {
        client(&base)
            .incidents()
            .list()
            .page_size(PAGE as u32)
            .into_stream()
            .map(|r| r.map(|_| ()))
            .boxed()
    })
    .await;
    let report = check_hostile(&outcomes, PAGE, bounds).unwrap_or_else(|e| panic!("{e}"));
    println!("vendor stream:\n{report}");
    let outcomes = run_hostile(Eset, PAGE, bounds, |base| {
        let source: Box<dyn IncidentSource> = Box::new(client(&base));
        source.stream_incidents(IncidentQuery::new().page_size(PAGE as u32))
    })
    .await;
    let report = check_hostile(&outcomes, PAGE, bounds).unwrap_or_else(|e| panic!("{e}"));
    println!("IncidentSource::stream_incidents:\n{report}");
}
