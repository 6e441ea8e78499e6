//! Hostile servers: the paging bounds every client is held to.
//!
//! [`run_hostile`] serves a vendor's listing from a loopback server that lies the way a
//! broken appliance, a buggy proxy or a hostile host does, and checks that a walk over it
//! (a vendor stream, or [`IncidentSource::stream_incidents`](incident_core::IncidentSource::stream_incidents))
//! ends with a typed error within a few requests, without a panic, and without holding much
//! more memory than an honest walk. The vendor describes only how its listing looks on the
//! wire ([`PageWire`]); the scenarios ([`Scenario`]) are the same for every vendor:
//!
//! | scenario | what the server does |
//! |---|---|
//! | [`Scenario::Honest`] | pages of distinct records, then a last page (the baseline) |
//! | [`Scenario::OversizedPage`] | answers the first page with two million `{}` |
//! | [`Scenario::HugeBody`] | answers with a 64 MiB chunked body |
//! | [`Scenario::SameAnswer`] | answers every page with the first page, cursor included |
//! | [`Scenario::CursorCycle`] | next cursors that go round: first, A, B, A... |
//! | [`Scenario::EverNewCursor`] | the same records under a new cursor every time |
//!
//! Memory is the process's peak resident set (`VmHWM`), reset before each scenario
//! (`/proc/self/clear_refs`), so the scenarios must run alone in their test binary: put the
//! call in a test file of its own with a single test.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, Response, StatusCode};
use futures::TryStreamExt;
use futures::stream::BoxStream;
use incident_core::Error;

/// A request as the hostile server received it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Request {
    /// `GET`, `POST`...
    pub method: String,
    /// The URL path.
    pub path: String,
    /// The query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body (at most 1 MiB is read).
    pub body: Vec<u8>,
}

impl Request {
    /// The first query parameter of that name.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first header of that name (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// An answer of the hostile server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// Headers to send (`Content-Type` is `application/json` unless given).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Reply {
    /// `200` with this JSON text.
    pub fn json(body: impl Into<String>) -> Self {
        Reply {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the status.
    #[must_use]
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
}

/// How a vendor's listing looks on the wire: what [`run_hostile`] needs to serve it.
///
/// Cursors are numbers chosen by the harness; a vendor whose server chooses the next page's
/// cursor (a page token, a next link, a time cursor) renders a number as its own form in
/// [`page`](Self::page) and reads it back in [`cursor`](Self::cursor).
pub trait PageWire: Send + Sync + 'static {
    /// Answers a request that is not the listing (a logon, a token grant, a logoff);
    /// `None` answers 404.
    fn other(&self, request: &Request) -> Option<Reply> {
        let _ = request;
        None
    }

    /// Whether `request` asks for a page of the listing under test.
    fn is_listing(&self, request: &Request) -> bool;

    /// Whether the server chooses the next page's cursor (a token, a link, a time) rather
    /// than the client (a position, a page number, the last id seen).
    fn server_cursors(&self) -> bool;

    /// The harness cursor a listing request carries: for server cursors, the number the
    /// harness gave in [`page`](Self::page); for client cursors, the position of the page's
    /// first record when the request names one (a `Range` start, a page number times the
    /// page size). `None` for the first page, and for a request that names no position.
    fn cursor(&self, request: &Request) -> Option<u64>;

    /// A page answering `request`: `items` is the JSON text of an array of `count` items;
    /// `next` the harness cursor of the next page, `None` on the last page. A vendor whose
    /// client chooses its cursors says there is more (a total, a full page) when `next` is
    /// set.
    fn page(&self, request: &Request, items: &str, count: u64, next: Option<u64>) -> Reply;

    /// The JSON text of record `i` as the listing sends it: a distinct id for each `i`,
    /// and times (where the vendor has them) that grow with `i`.
    fn record(&self, i: u64) -> String;

    /// Whether the listing comes in pages. An unpaged listing (PTA's security events) is
    /// held to the oversized answer and the huge body only: repeating itself is all a
    /// one-page answer can do, and is no lie. Default `true`.
    fn paged(&self) -> bool {
        true
    }

    /// How many items the oversized answer holds, and the JSON text of each. Default
    /// [`OVERSIZED_ITEMS`] `{}`.
    fn oversized(&self) -> (usize, &'static str) {
        (OVERSIZED_ITEMS, "{}")
    }
}

/// What the hostile server does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scenario {
    /// Pages of distinct records, `pages` of them, then the end.
    Honest {
        /// How many pages.
        pages: u64,
    },
    /// The first page holds two million `{}` (or what [`PageWire::oversized`] says).
    OversizedPage,
    /// The first answer is a 64 MiB chunked body (no `Content-Length`).
    HugeBody,
    /// Every page is the first page: the same records and the same next cursor.
    SameAnswer,
    /// Distinct pages whose next cursors go round: first → A, A → B, B → A.
    CursorCycle,
    /// The same records under a new next cursor every time.
    EverNewCursor,
}

impl Scenario {
    /// Every hostile scenario (not [`Scenario::Honest`]).
    pub const HOSTILE: [Scenario; 5] = [
        Scenario::OversizedPage,
        Scenario::HugeBody,
        Scenario::SameAnswer,
        Scenario::CursorCycle,
        Scenario::EverNewCursor,
    ];
}

/// How many `{}` the oversized page holds.
pub const OVERSIZED_ITEMS: usize = 2_000_000;
/// The size of the huge chunked body.
pub const HUGE_BODY_BYTES: usize = 64 * 1024 * 1024;

/// What one scenario came to.
#[derive(Debug)]
#[non_exhaustive]
pub struct Outcome {
    /// The scenario.
    pub scenario: Scenario,
    /// Listing requests the server received.
    pub requests: u64,
    /// Items the walk yielded before it ended.
    pub items: u64,
    /// How the walk ended: `Ok` after its last item, or the error.
    pub result: Result<(), Error>,
    /// How long it took.
    pub elapsed: Duration,
    /// The growth of the process's peak resident set during the scenario, in bytes, when
    /// the platform tells it.
    pub peak_growth: Option<u64>,
    /// The scenario did not end within the time allowed.
    pub hung: bool,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?}: {} requests, {} items, {:.2} s, peak +{}: ",
            self.scenario,
            self.requests,
            self.items,
            self.elapsed.as_secs_f64(),
            self.peak_growth.map_or("?".to_owned(), |b| format!(
                "{:.1} MiB",
                b as f64 / 1048576.0
            )),
        )?;
        match (&self.result, self.hung) {
            (_, true) => write!(f, "did not end"),
            (Ok(()), _) => write!(f, "ended without an error"),
            (Err(e), _) => write!(f, "{e}"),
        }
    }
}

/// The limits a hostile scenario must stay within.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Bounds {
    /// Most listing requests a hostile scenario may take.
    pub max_requests: u64,
    /// Most growth of the peak resident set, in bytes, over the honest walk's.
    pub max_extra_memory: u64,
    /// Most time a scenario may take.
    pub max_time: Duration,
}

impl Default for Bounds {
    /// 200 requests, 96 MiB over the honest walk, 60 seconds.
    fn default() -> Self {
        Bounds {
            max_requests: 200,
            max_extra_memory: 96 * 1024 * 1024,
            max_time: Duration::from_secs(60),
        }
    }
}

struct Server {
    wire: Arc<dyn PageWire>,
    scenario: std::sync::Mutex<Scenario>,
    page_size: u64,
    requests: AtomicU64,
}

impl Server {
    fn answer(&self, request: &Request) -> Response<Body> {
        if !self.wire.is_listing(request) {
            return match self.wire.other(request) {
                Some(reply) => to_response(reply),
                None => to_response(Reply::json("{}").status(404)),
            };
        }
        let n = self.requests.fetch_add(1, Ordering::SeqCst);
        let scenario = *self.scenario.lock().unwrap_or_else(|e| e.into_inner());
        let cursor = self.wire.cursor(request);
        let size = self.page_size;
        // The records of the page that starts at record `start`.
        let records = |start: u64| {
            let items: Vec<String> = (start..start + size).map(|i| self.wire.record(i)).collect();
            format!("[{}]", items.join(","))
        };
        let reply = match scenario {
            Scenario::Honest { pages } => {
                // The position the request names, else (a client that names none, such
                // as one that filters on the last id seen) pages in the order asked.
                let start = match cursor {
                    Some(c) => c,
                    None if self.wire.server_cursors() => 0,
                    None => n * size,
                };
                let page = start / size.max(1);
                if page >= pages {
                    // Past the last page: an empty one.
                    self.wire.page(request, "[]", 0, None)
                } else {
                    let next = (page + 1 < pages).then_some(start + size);
                    self.wire.page(request, &records(start), size, next)
                }
            }
            Scenario::OversizedPage => {
                let (count, item) = self.wire.oversized();
                let mut items = String::with_capacity(count * (item.len() + 1) + 2);
                items.push('[');
                for i in 0..count {
                    if i > 0 {
                        items.push(',');
                    }
                    items.push_str(item);
                }
                items.push(']');
                self.wire.page(request, &items, count as u64, Some(size))
            }
            Scenario::HugeBody => return huge_body(),
            Scenario::SameAnswer => self.wire.page(request, &records(0), size, Some(size)),
            Scenario::CursorCycle => {
                let (a, b) = (size, 2 * size);
                let (start, next) = match cursor {
                    None => (0, a),
                    Some(c) if c == a => (a, b),
                    Some(_) => (b, a),
                };
                self.wire.page(request, &records(start), size, Some(next))
            }
            Scenario::EverNewCursor => {
                self.wire
                    .page(request, &records(0), size, Some(size * (n + 1)))
            }
        };
        to_response(reply)
    }
}

fn to_response(reply: Reply) -> Response<Body> {
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    response
}

/// A 64 MiB array of `{}` sent in chunks, without `Content-Length`.
fn huge_body() -> Response<Body> {
    const CHUNK: usize = 64 * 1024;
    let chunk = Bytes::from("{},".repeat(CHUNK / 3));
    let chunks = HUGE_BODY_BYTES / chunk.len();
    let stream = futures::stream::iter(
        std::iter::once(Bytes::from_static(b"["))
            .chain(std::iter::repeat_n(chunk, chunks))
            .chain(std::iter::once(Bytes::from_static(b"{}]")))
            .map(Ok::<_, Infallible>),
    );
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

async fn handle(
    state: axum::extract::State<Arc<Server>>,
    request: axum::extract::Request,
) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .unwrap_or_default();
    let query = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let request = Request {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query,
        headers: parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        body: body.to_vec(),
    };
    state.answer(&request)
}

/// The process's peak resident set, in bytes (`VmHWM`), on Linux.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak resident set to the current one (Linux 4.0 and later); `false` when
/// the platform does not allow it.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A hostile server on loopback, serving a vendor's listing as the current [`Scenario`]
/// says; stopped when dropped. [`run_hostile`] drives it; use it directly to point a
/// program (an example, a playbook) at a lying server.
#[derive(Debug)]
pub struct HostileServer {
    server: Arc<Server>,
    base: String,
    serving: tokio::task::JoinHandle<()>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

impl HostileServer {
    /// Starts a server for `wire`, with pages of `page_size` records, in the
    /// [`Scenario::Honest`] scenario with four pages.
    ///
    /// # Errors
    ///
    /// The I/O error of binding a port of `127.0.0.1`.
    pub async fn start(wire: impl PageWire, page_size: u64) -> std::io::Result<HostileServer> {
        let server = Arc::new(Server {
            wire: Arc::new(wire),
            scenario: std::sync::Mutex::new(Scenario::Honest { pages: 4 }),
            page_size,
            requests: AtomicU64::new(0),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&server));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let serving = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(HostileServer {
            server,
            base,
            serving,
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Serves `scenario` from now on, counting listing requests from zero.
    pub fn set_scenario(&self, scenario: Scenario) {
        *self
            .server
            .scenario
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = scenario;
        self.server.requests.store(0, Ordering::SeqCst);
    }

    /// Listing requests received since the scenario was set.
    pub fn requests(&self) -> u64 {
        self.server.requests.load(Ordering::SeqCst)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

/// Runs every scenario against a walk made by `walk` (given the server's base URL, e.g.
/// `http://127.0.0.1:PORT`), the honest one first: pages of `page_size` records, which is
/// what the walk must ask for. Returns the outcomes, honest first.
///
/// Call it from a multi-threaded tokio test, alone in its test binary (memory is measured
/// for the whole process).
///
/// # Panics
///
/// When no port of `127.0.0.1` can be bound for the server.
pub async fn run_hostile<T, W>(
    wire: impl PageWire,
    page_size: u64,
    bounds: Bounds,
    walk: W,
) -> Vec<Outcome>
where
    T: Send + 'static,
    W: Fn(String) -> BoxStream<'static, incident_core::Result<T>>,
{
    let paged = wire.paged();
    let server = HostileServer::start(wire, page_size)
        .await
        .expect("a loopback port");
    let mut outcomes = Vec::new();
    let scenarios: Vec<Scenario> = if paged {
        std::iter::once(Scenario::Honest { pages: 4 })
            .chain(Scenario::HOSTILE)
            .collect()
    } else {
        vec![
            Scenario::Honest { pages: 1 },
            Scenario::OversizedPage,
            Scenario::HugeBody,
        ]
    };
    for scenario in scenarios {
        server.set_scenario(scenario);
        let before = if reset_peak_rss() { peak_rss() } else { None };
        let started = Instant::now();
        let mut stream = walk(server.url().to_owned());
        let mut items = 0u64;
        let run = async {
            loop {
                match stream.try_next().await {
                    Ok(Some(_)) => items += 1,
                    Ok(None) => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
        };
        let ended = tokio::time::timeout(bounds.max_time, run).await;
        drop(stream);
        let (result, hung) = match ended {
            Ok(result) => (result, false),
            Err(_) => (Ok(()), true),
        };
        outcomes.push(Outcome {
            scenario,
            requests: server.requests(),
            items,
            result,
            elapsed: started.elapsed(),
            peak_growth: before.and_then(|b| Some(peak_rss()?.saturating_sub(b))),
            hung,
        });
    }
    outcomes
}

/// Checks the outcomes of [`run_hostile`]: the honest walk yields every record of its
/// pages and ends cleanly; every hostile scenario ends with a typed error (never a
/// clean end, a hang or a panic) within the bounds' requests and time, and its peak
/// memory grows at most `max_extra_memory` over the honest walk's. Returns a line per
/// scenario.
///
/// # Errors
///
/// Every failure, one per line.
pub fn check_hostile(
    outcomes: &[Outcome],
    page_size: u64,
    bounds: Bounds,
) -> Result<String, String> {
    let mut report = String::new();
    let mut failures = Vec::new();
    let honest_peak = outcomes
        .iter()
        .find(|o| matches!(o.scenario, Scenario::Honest { .. }))
        .and_then(|o| o.peak_growth)
        .unwrap_or(0);
    for o in outcomes {
        report.push_str(&format!("{o}\n"));
        match o.scenario {
            Scenario::Honest { pages } => {
                if o.result.is_err() || o.hung || o.items != pages * page_size {
                    failures.push(format!(
                        "the honest walk must yield {} records and end: {o}",
                        pages * page_size
                    ));
                }
            }
            _ => {
                if o.hung {
                    failures.push(format!("did not end within {:?}: {o}", bounds.max_time));
                } else if o.result.is_ok() {
                    failures.push(format!("ended without an error: {o}"));
                }
                if o.requests > bounds.max_requests {
                    failures.push(format!("more than {} requests: {o}", bounds.max_requests));
                }
                if let Some(peak) = o.peak_growth
                    && peak > honest_peak + bounds.max_extra_memory
                {
                    failures.push(format!(
                        "peak memory grew {} MiB more than the honest walk's: {o}",
                        (peak - honest_peak) / 1048576
                    ));
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(report)
    } else {
        Err(format!("{}\n{report}", failures.join("\n")))
    }
}
