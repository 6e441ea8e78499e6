//! The walks over a hostile PVWA: risk-event pages (page numbers) that are oversized, a
//! 64 MiB body, the same page at every number, and the same events again each end with a
//! typed error within a few requests and without holding much memory (the test kit's
//! [`run_hostile`]); the unpaged security-event list (what `IncidentSource::stream_incidents`
//! reads) is held to an oversized answer of ten million `{}`, one of as many events with
//! an id as the body cap holds, and a 64 MiB body.
//!
//! Alone in its test binary: memory is measured for the whole process.

use cyberark_pta_client::PtaClient;
use futures::StreamExt;
use incident_core::{Error, IncidentQuery, IncidentSource};
use incident_testkit::hostile::{
    Bounds, Outcome, PageWire, Reply, Request, Scenario, check_hostile, run_hostile,
};

const PAGE: u64 = 25;
const RISKS: &str = "/PasswordVault/API/pta/API/Risks/RisksEvents/";
const EVENTS: &str = "/PasswordVault/API/pta/API/Events/";

/// The logon and logoff every PVWA call needs.
fn session(request: &Request) -> Option<Reply> {
    if request.path.ends_with("/Logon") {
        return Some(Reply::json(r#""session-token""#));
    }
    request.path.ends_with("/Logoff").then(|| Reply::json("{}"))
}

struct Risks;

impl PageWire for Risks {
    fn other(&self, request: &Request) -> Option<Reply> {
        session(request)
    }

    fn is_listing(&self, request: &Request) -> bool {
        request.method == "GET" && request.path == RISKS
    }

    fn server_cursors(&self) -> bool {
        false
    }

    fn cursor(&self, request: &Request) -> Option<u64> {
        let page: u64 = request.query_param("page")?.parse().ok()?;
        (page > 0).then_some(page * PAGE)
    }

    fn page(&self, _: &Request, items: &str, _: u64, _: Option<u64>) -> Reply {
        Reply::json(format!(r#"{{"entities":{items}}}"#))
    }

    fn record(&self, i: u64) -> String {
        format!(
            r#"{{"id":"risk-{i}","type":"RISKY_SPN","score":44.5,"status":"OPEN","detectionTime":{}}}"#,
            1_700_000_000_000u64 + i
        )
    }
}

/// The security-event list: one JSON array, without paging.
struct Events {
    oversized: (usize, &'static str),
}

impl PageWire for Events {
    fn other(&self, request: &Request) -> Option<Reply> {
        session(request)
    }

    fn is_listing(&self, request: &Request) -> bool {
        request.method == "GET" && request.path == EVENTS
    }

    fn server_cursors(&self) -> bool {
        false
    }

    fn cursor(&self, _: &Request) -> Option<u64> {
        None
    }

    fn page(&self, _: &Request, items: &str, _: u64, _: Option<u64>) -> Reply {
        Reply::json(items)
    }

    fn record(&self, i: u64) -> String {
        format!(
            r#"{{"id":"5e8b0b4de4b0b4a3f5{i:06x}","type":"VaultViaIrregularIp","score":62.5,"createTime":{},"lastUpdateTime":{},"mStatus":"OPEN","audits":[],"additionalData":{{}}}}"#,
            1_586_134_861_000u64 + i,
            1_586_134_861_000u64 + i
        )
    }

    fn paged(&self) -> bool {
        false
    }

    fn oversized(&self) -> (usize, &'static str) {
        self.oversized
    }
}

fn client(base: &str) -> PtaClient {
    PtaClient::builder(base)
        .credentials("admin", "password")
        .build()
        .unwrap()
}

fn events(base: String) -> futures::stream::BoxStream<'static, incident_core::Result<()>> {
    let source: Box<dyn IncidentSource> = Box::new(client(&base));
    source
        .stream_incidents(IncidentQuery::new().page_size(PAGE as u32))
        .map(|r| r.map(|_| ()))
        .boxed()
}

fn oversized(outcomes: &[Outcome]) -> &Outcome {
    outcomes
        .iter()
        .find(|o| o.scenario == Scenario::OversizedPage)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_walk_ends_bounded_on_a_hostile_pvwa() {
    let bounds = Bounds::default();
    let outcomes = run_hostile(Risks, PAGE, bounds, |base| {
        client(&base)
            .risks()
            .list()
            .size(PAGE)
            .into_stream()
            .map(|r| r.map(|_| ()))
            .boxed()
    })
    .await;
    let report = check_hostile(&outcomes, PAGE, bounds).unwrap_or_else(|e| panic!("{e}"));
    println!("risk-event stream:\n{report}");

    // Ten million `{}` (28.6 MiB, under the body cap): the first event has no id.
    let wire = Events {
        oversized: (10_000_000, "{}"),
    };
    let outcomes = run_hostile(wire, PAGE, bounds, events).await;
    let report = check_hostile(&outcomes, PAGE, bounds).unwrap_or_else(|e| panic!("{e}"));
    println!("security events, ten million {{}}:\n{report}");
    let o = oversized(&outcomes);
    assert!(
        matches!(&o.result, Err(Error::Decode(e)) if e.json_path == "[0]"),
        "{o}"
    );

    // As many events with an id as fit under the body cap (2.8 million, 30.8 MB): refused
    // at the 100,001st, the default ListEvents::max_events. The figure includes the test
    // server's own two copies of the body (62 MB), so the bound is wider here.
    let mut wide = bounds;
    wide.max_extra_memory = 256 * 1024 * 1024;
    let wire = Events {
        oversized: (2_800_000, r#"{"id":"a"}"#),
    };
    let outcomes = run_hostile(wire, PAGE, wide, events).await;
    let report = check_hostile(&outcomes, PAGE, wide).unwrap_or_else(|e| panic!("{e}"));
    println!("security events, 2.8 million with an id:\n{report}");
    let o = oversized(&outcomes);
    assert!(
        matches!(&o.result, Err(Error::LimitExceeded { limit: 100_000, .. })),
        "{o}"
    );
}
