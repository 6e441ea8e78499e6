//! The vendor-agnostic simulator server: what every vendor simulator shares.
//!
//! A [`SimServer`] listens on `127.0.0.1` (a free port, or a given one), over
//! HTTP or HTTPS with a freshly generated self-signed certificate, HTTP/1.1
//! and HTTP/2. In front of the vendor's routes it
//!
//! 1. reads the request body (at most [`MAX_REQUEST_BODY`] bytes, else the
//!    vendor's 413) and records the request in a bounded log
//!    ([`SimServer::requests`]);
//! 2. applies the next queued [`Fault`] whose path prefix matches, if any
//!    ([`SimServer::inject`]);
//! 3. asks the vendor to [`authorize`](Vendor::authorize) the request,
//!    typically against its [`Sessions`];
//! 4. answers a request carrying a `response-id` header from the pending
//!    answers of [`Fault::Pending`];
//! 5. routes it to the vendor's [`Router`].
//!
//! It counts accepted connections and answered requests, and dates every
//! answer with its own clock, which can be set off the local one
//! ([`SimServer::set_clock_skew`]).
//!
//! # Adding a vendor
//!
//! A vendor implements [`Vendor`]: its routes, its credential check and its
//! error body. Everything else (listener, TLS, faults, log, counters,
//! sessions) comes from the server.
//!
//! ```
//! use axum::Router;
//! use axum::http::StatusCode;
//! use axum::http::request::Parts;
//! use axum::response::{IntoResponse, Response};
//! use axum::routing::get;
//! use incident_sim::server::{ServerContext, ServerOptions, Sessions, SimServer, Vendor};
//!
//! /// Answers `GET /items` to `Authorization: Bearer <session token>`.
//! struct Acme;
//!
//! impl Vendor for Acme {
//!     fn name(&self) -> &'static str {
//!         "acme"
//!     }
//!
//!     fn router(&self, _ctx: &ServerContext) -> Router {
//!         Router::new().route("/items", get(|| async { "[]" }))
//!     }
//!
//!     fn authorize(&self, parts: &mut Parts, sessions: &Sessions) -> Result<(), Response> {
//!         let token = parts
//!             .headers
//!             .get("authorization")
//!             .and_then(|v| v.to_str().ok())
//!             .and_then(|v| v.strip_prefix("Bearer "));
//!         match token {
//!             Some(token) if sessions.check(token) => Ok(()),
//!             _ => Err(self.error_response(StatusCode::UNAUTHORIZED, "Bad token.")),
//!         }
//!     }
//!
//!     fn error_response(&self, status: StatusCode, message: &str) -> Response {
//!         let body = serde_json::json!({ "error": message }).to_string();
//!         (status, [("content-type", "application/json")], body).into_response()
//!     }
//! }
//!
//! # async fn demo() -> std::io::Result<()> {
//! let server = SimServer::start(Acme, ServerOptions::new()).await?;
//! let token = server.sessions().issue(None);
//! // GET {server.url()}/items with `Authorization: Bearer {token}` answers 200.
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

mod conn;
mod fault;
mod log;
pub(crate) mod sessions;

pub use fault::{DEFAULT_PENDING_TTL, Fault};
pub use log::{REQUEST_LOG_BYTES, REQUEST_LOG_CAPACITY, RecordedRequest};
pub use sessions::{MAX_SESSIONS, Sessions};

use fault::{FaultQueue, PendingStore};
use log::RequestLog;
use sessions::relock;

/// Largest request body accepted; a larger one is answered with the
/// vendor's 413 and recorded without its body.
pub const MAX_REQUEST_BODY: usize = 8 * 1024 * 1024;

/// Name of the header that carries the id of a pending answer, in the 202
/// and in the requests that poll it (see [`Fault::Pending`]).
pub const RESPONSE_ID: &str = "response-id";

/// What a vendor simulator plugs into a [`SimServer`].
///
/// The server calls [`router`](Self::router) once when it starts, then for
/// every request that no fault answered: [`authorize`](Self::authorize),
/// then the router. [`error_response`](Self::error_response) renders the
/// errors the server itself answers (faults, 404 for an unknown
/// `response-id`, 413 for a body too large) in the vendor's format.
pub trait Vendor: Send + Sync + 'static {
    /// Short lower-case name, e.g. `qradar`, used in log messages.
    fn name(&self) -> &'static str;

    /// The vendor's routes, with their state applied. Give it a fallback
    /// for unknown paths in the vendor's error format, else unknown paths get
    /// an empty 404. Handlers that log a user on issue tokens through
    /// [`ServerContext::sessions`].
    fn router(&self, ctx: &ServerContext) -> Router;

    /// Admits a request or answers it (typically 401 with the vendor's
    /// body). Runs before routing, so unknown paths need credentials too, as
    /// on the real products; a logon endpoint that needs none must be let
    /// through here by its path. It may put what handlers need (the
    /// authenticated user) into `parts.extensions`.
    ///
    /// # Errors
    ///
    /// The response that answers a refused request, sent as it is.
    #[allow(
        clippy::result_large_err,
        reason = "the rejection is the response itself, built once per refused request"
    )]
    fn authorize(&self, parts: &mut Parts, sessions: &Sessions) -> Result<(), Response>;

    /// The vendor's error response with this status and a human-readable
    /// message, e.g. QRadar's
    /// `{"http_response":{..},"code":..,"message":..,..}`.
    fn error_response(&self, status: StatusCode, message: &str) -> Response;
}

/// What a [`Vendor`] can use when it builds its router.
#[derive(Clone, Debug)]
pub struct ServerContext {
    url: String,
    sessions: Sessions,
}

impl ServerContext {
    /// The server's base URL, e.g. `http://127.0.0.1:40123`, for vendors that
    /// answer with absolute links.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's session tokens, for logon handlers.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }
}

/// How a [`SimServer`] listens, and how long it keeps what it holds for
/// clients.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "options do nothing until a server starts with them"]
pub struct ServerOptions {
    port: u16,
    https: bool,
    pending_ttl: Duration,
    clock_skew: i64,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            port: 0,
            https: false,
            pending_ttl: DEFAULT_PENDING_TTL,
            clock_skew: 0,
        }
    }
}

impl ServerOptions {
    /// Plain HTTP on a free port.
    pub fn new() -> Self {
        ServerOptions::default()
    }

    /// How long a pending answer of [`Fault::Pending`] waits to be
    /// retrieved, from its first 202 (default [`DEFAULT_PENDING_TTL`], ESET
    /// Connect's 10 minutes); a poll after that gets the vendor's 404. Tests
    /// shorten it to see the expiry.
    pub fn pending_ttl(mut self, ttl: Duration) -> Self {
        self.pending_ttl = ttl;
        self
    }

    /// How long a pending answer waits to be retrieved.
    pub fn pending_ttl_value(&self) -> Duration {
        self.pending_ttl
    }

    /// Listen on this port of `127.0.0.1` (default 0: a free port chosen by
    /// the system).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Serve HTTPS with a freshly generated self-signed certificate valid for
    /// `localhost` and `127.0.0.1` (see [`SimServer::ca_cert_pem`]).
    pub fn https(mut self, on: bool) -> Self {
        self.https = on;
        self
    }

    /// How many seconds the server's clock is off: every answer's `Date`
    /// header is the current time plus this (negative: behind), as a
    /// server whose clock drifted would send (default 0: the `Date` of the
    /// local clock). See [`SimServer::set_clock_skew`].
    pub fn clock_skew(mut self, seconds: i64) -> Self {
        self.clock_skew = seconds;
        self
    }

    /// How many seconds the server's clock is off.
    pub fn clock_skew_value(&self) -> i64 {
        self.clock_skew
    }

    /// The port asked for (0: any free port).
    pub fn port_number(&self) -> u16 {
        self.port
    }

    /// Whether HTTPS is asked for.
    pub fn is_https(&self) -> bool {
        self.https
    }
}

/// State shared by the connection tasks and the [`SimServer`] handle.
pub(crate) struct Shared {
    vendor: Arc<dyn Vendor>,
    router: Router,
    faults: Mutex<FaultQueue>,
    pending: Mutex<PendingStore>,
    log: Mutex<RequestLog>,
    sessions: Sessions,
    connections: AtomicU64,
    requests: AtomicU64,
    /// Seconds added to the local time in the `Date` header.
    clock_skew: AtomicI64,
}

/// A running simulator server. Dropping it stops the server and closes its
/// connections.
///
/// Vendor simulators ([`Sim`](crate::Sim), such as [`QRadarSim`](crate::QRadarSim))
/// dereference to it, so these methods are theirs too.
pub struct SimServer {
    addr: SocketAddr,
    https: bool,
    ca_pem: Option<String>,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl fmt::Debug for SimServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimServer")
            .field("vendor", &self.shared.vendor.name())
            .field("url", &self.url())
            .field("connections_accepted", &self.connections_accepted())
            .field("requests_served", &self.requests_served())
            .finish_non_exhaustive()
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        // The connection tasks live in a JoinSet owned by the accept task,
        // so aborting it closes every connection too.
        self.task.abort();
    }
}

impl SimServer {
    /// Binds `127.0.0.1`, spawns the server for `vendor` on the current
    /// tokio runtime and returns once the socket is listening.
    ///
    /// # Errors
    ///
    /// The I/O error of binding the port (in use, not allowed), or of making the
    /// certificate for HTTPS.
    ///
    /// # Panics
    ///
    /// Panics if called outside a tokio runtime.
    pub async fn start<V: Vendor>(vendor: V, options: ServerOptions) -> io::Result<SimServer> {
        SimServer::start_with_sessions(vendor, options, Sessions::new()).await
    }

    /// Like [`start`](Self::start), with session tokens the vendor holds already.
    pub(crate) async fn start_with_sessions<V: Vendor>(
        vendor: V,
        options: ServerOptions,
        sessions: Sessions,
    ) -> io::Result<SimServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, options.port)).await?;
        let addr = listener.local_addr()?;
        let (tls, ca_pem) = if options.https {
            let (acceptor, pem) = conn::tls_acceptor()?;
            (Some(acceptor), Some(pem))
        } else {
            (None, None)
        };
        let ctx = ServerContext {
            url: base_url(options.https, addr),
            sessions: sessions.clone(),
        };
        // The gate already bounds bodies by MAX_REQUEST_BODY and answers
        // 413 in the vendor's format; axum's own 2 MB default would answer a
        // plain-text 413 to extractors.
        let router = vendor.router(&ctx).layer(DefaultBodyLimit::disable());
        let shared = Arc::new(Shared {
            vendor: Arc::new(vendor),
            router,
            faults: Mutex::default(),
            pending: Mutex::new(PendingStore::new(options.pending_ttl)),
            log: Mutex::default(),
            sessions,
            connections: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            clock_skew: AtomicI64::new(options.clock_skew),
        });
        let task = tokio::spawn(conn::accept_loop(listener, tls, Arc::clone(&shared)));
        Ok(SimServer {
            addr,
            https: options.https,
            ca_pem,
            shared,
            task,
        })
    }

    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        base_url(self.https, self.addr)
    }

    /// The address listened on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// PEM of the self-signed server certificate, when serving HTTPS. Trust
    /// it as a root certificate to connect without disabling verification.
    pub fn ca_cert_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// TCP connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// HTTP requests answered so far, including faults and errors (and
    /// requests whose connection a [`Fault::ConnectionReset`] closed).
    pub fn requests_served(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Sets how many seconds the server's clock is off from now on: every
    /// answer's `Date` header is the current time plus `seconds` (negative:
    /// behind), whatever answers it (the vendor, a fault, an error). 0 sends
    /// the local time again.
    pub fn set_clock_skew(&self, seconds: i64) {
        self.shared.clock_skew.store(seconds, Ordering::Relaxed);
    }

    /// How many seconds the server's clock is off (see
    /// [`set_clock_skew`](Self::set_clock_skew)).
    pub fn clock_skew(&self) -> i64 {
        self.shared.clock_skew.load(Ordering::Relaxed)
    }

    /// Makes the next `times` requests (any path) fail with `fault`. Faults
    /// queued by successive calls apply one after the other.
    pub fn inject(&self, fault: Fault, times: usize) {
        relock(&self.shared.faults).push(fault, times, None);
    }

    /// Like [`inject`](Self::inject), for requests whose path starts with
    /// `path_prefix` only; other requests pass it by.
    pub fn inject_on(&self, path_prefix: &str, fault: Fault, times: usize) {
        relock(&self.shared.faults).push(fault, times, Some(path_prefix.to_owned()));
    }

    /// Faults still queued, counting each repetition.
    pub fn faults_pending(&self) -> usize {
        relock(&self.shared.faults).len()
    }

    /// Forgets every queued fault.
    pub fn clear_faults(&self) {
        relock(&self.shared.faults).clear();
    }

    /// The requests received, oldest first: every one, recorded before
    /// faults and authorization, within the last [`REQUEST_LOG_CAPACITY`]
    /// and [`REQUEST_LOG_BYTES`].
    pub fn requests(&self) -> Vec<RecordedRequest> {
        relock(&self.shared.log).all()
    }

    /// The most recent request received, recorded before faults and
    /// authorization.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        relock(&self.shared.log).last()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        relock(&self.shared.log).clear();
    }

    /// The session tokens the vendor accepts: issue one, revoke one, or
    /// expire them all to force a 401.
    pub fn sessions(&self) -> &Sessions {
        &self.shared.sessions
    }
}

fn base_url(https: bool, addr: SocketAddr) -> String {
    let scheme = if https { "https" } else { "http" };
    format!("{scheme}://{addr}")
}
