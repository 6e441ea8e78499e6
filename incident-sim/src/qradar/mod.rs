//! Simulator of the IBM QRadar SIEM offenses REST API (`/api/siem/...`).
//!
//! The simulator serves on `127.0.0.1` with a random port, over HTTP or HTTPS
//! (self-signed certificate), HTTP/1.1 and HTTP/2. It keeps state: updates,
//! notes and new closing reasons are visible to later requests and through
//! the inspection methods of [`QRadarSim`].
//!
//! # Endpoints
//!
//! | Method | Path | Notes |
//! |---|---|---|
//! | GET | `/api/siem/offenses` | `filter`, `fields`, `sort`, `Range` |
//! | GET, POST | `/api/siem/offenses/{id}` | POST takes `protected`, `follow_up`, `status`, `closing_reason_id`, `assigned_to`, `fields` |
//! | GET, POST | `/api/siem/offenses/{id}/notes` | POST takes `note_text` and answers 201 |
//! | GET | `/api/siem/offenses/{id}/notes/{note_id}` | |
//! | GET | `/api/siem/offenses/{id}/assignable_actors` | users `admin`, `analyst1`, `analyst2`, `soc_lead` |
//! | GET, POST | `/api/siem/offense_closing_reasons` | `include_reserved`, `include_deleted`; POST takes `reason` |
//! | GET | `/api/siem/offense_closing_reasons/{id}` | |
//! | GET | `/api/siem/offense_types`, `/api/siem/offense_types/{id}` | sortable on `id` only |
//!
//! Every request needs `SEC: <token>` or matching HTTP Basic credentials.
//! Errors use QRadar's JSON body
//! `{"http_response":{"code":..,"message":..},"code":..,"message":..,"description":..,"details":{}}`.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

mod error;
mod handlers;
mod model;
mod query;

use handlers::{Shared, relock};
use model::State;
use query::Record;

/// A failure to inject instead of (or around) normal request handling.
///
/// Queued faults apply to the next requests in arrival order, whatever their
/// path, before authentication is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// 429 with a `Retry-After: N` header and a QRadar JSON error body
    /// (unique code 1029).
    TooManyRequests {
        /// Seconds announced in `Retry-After`.
        retry_after_secs: u64,
    },
    /// 503 with a QRadar JSON error body (unique code 1021).
    ServiceUnavailable,
    /// 500 with a QRadar JSON error body (unique code 1020).
    InternalError,
    /// The given status with a `text/html` body, as a proxy in front of the
    /// console would answer. An invalid status code becomes 502.
    HtmlError {
        /// HTTP status to answer.
        status: u16,
    },
    /// Handle the request normally, then send only the first half of the
    /// body. Status and headers are kept; `Content-Length` matches the
    /// shortened body, so the HTTP framing stays valid and only the JSON is
    /// broken.
    TruncatedBody,
    /// Sleep, then handle the request normally.
    Delay(Duration),
}

/// A request as received, for assertions on what a client sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path as sent on the wire (still percent-encoded), e.g. `/api/siem/offenses`.
    pub path: String,
    /// Raw query string without the `?`, if any.
    pub query: Option<String>,
    /// All headers in arrival order, names lower-case.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// First value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The `SEC` token a simulator accepts unless [`QRadarSimBuilder::token`] says otherwise.
pub const DEFAULT_TOKEN: &str = "sim-sec-token";
/// The Basic user name a simulator accepts by default.
pub const DEFAULT_USER: &str = "admin";
/// The Basic password a simulator accepts by default.
pub const DEFAULT_PASSWORD: &str = "sim-password";

/// The data generator's seed unless [`QRadarSimBuilder::seed`] says otherwise.
pub const DEFAULT_SEED: u64 = 0x0051_4144_4152_5349;

/// The JSON array `GET /api/siem/offenses` (without `Range`, `filter` or
/// `fields`) answers from a fresh simulator seeded with `n` offenses and
/// `seed`: every field of QRadar's offense, with one to three rules and log
/// sources each, about 1.3 kB per offense. Deterministic, for decode tests and
/// benchmarks that need realistic data without a server.
pub fn seeded_offenses_json(n: usize, seed: u64) -> String {
    query::json_array(State::seeded(n, seed).offenses.iter())
}

/// Configures and starts a [`QRadarSim`].
#[derive(Clone)]
pub struct QRadarSimBuilder {
    offenses: usize,
    seed: u64,
    token: String,
    user: String,
    password: String,
    https: bool,
    port: u16,
}

impl Default for QRadarSimBuilder {
    fn default() -> Self {
        QRadarSimBuilder {
            offenses: 25,
            seed: DEFAULT_SEED,
            token: DEFAULT_TOKEN.to_owned(),
            user: DEFAULT_USER.to_owned(),
            password: DEFAULT_PASSWORD.to_owned(),
            https: false,
            port: 0,
        }
    }
}

impl fmt::Debug for QRadarSimBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QRadarSimBuilder")
            .field("offenses", &self.offenses)
            .field("seed", &self.seed)
            .field("user", &self.user)
            .field("https", &self.https)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl QRadarSimBuilder {
    /// Number of seeded offenses, with ids `1..=n` (default 25).
    pub fn offenses(mut self, n: usize) -> Self {
        self.offenses = n;
        self
    }

    /// Seed of the data generator; the same seed gives the same offenses.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Token accepted in the `SEC` header (default `sim-sec-token`).
    pub fn token(mut self, t: impl Into<String>) -> Self {
        self.token = t.into();
        self
    }

    /// Credentials accepted as HTTP Basic auth (default `admin` /
    /// `sim-password`).
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.user = user.into();
        self.password = password.into();
        self
    }

    /// Serve HTTPS with a freshly generated self-signed certificate valid for
    /// `localhost` and `127.0.0.1` (see [`QRadarSim::ca_cert_pem`]).
    pub fn https(mut self, on: bool) -> Self {
        self.https = on;
        self
    }

    /// Listen on this port of `127.0.0.1` (default 0: a free port chosen by
    /// the system).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Binds `127.0.0.1` (see [`port`](Self::port)), spawns the server on the current tokio runtime
    /// and returns once the socket is listening.
    ///
    /// # Panics
    ///
    /// Panics if called outside a tokio runtime.
    pub async fn start(self) -> io::Result<QRadarSim> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port)).await?;
        let addr = listener.local_addr()?;
        let (tls, ca_pem) = if self.https {
            let (acceptor, pem) = tls_acceptor()?;
            (Some(acceptor), Some(pem))
        } else {
            (None, None)
        };
        let shared = Arc::new(Shared {
            state: RwLock::new(State::seeded(self.offenses, self.seed)),
            faults: Mutex::default(),
            last_request: Mutex::default(),
            connections: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            token: self.token,
            user: self.user,
            password: self.password,
        });
        let router = handlers::router(Arc::clone(&shared));
        let task = tokio::spawn(accept_loop(listener, router, tls, Arc::clone(&shared)));
        Ok(QRadarSim {
            addr,
            https: self.https,
            shared,
            ca_pem,
            task,
        })
    }
}

/// A running QRadar simulator. Dropping it stops the server and closes its
/// connections.
pub struct QRadarSim {
    addr: SocketAddr,
    https: bool,
    shared: Arc<Shared>,
    ca_pem: Option<String>,
    task: JoinHandle<()>,
}

impl fmt::Debug for QRadarSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QRadarSim")
            .field("url", &self.url())
            .field("connections_accepted", &self.connections_accepted())
            .field("requests_served", &self.requests_served())
            .finish_non_exhaustive()
    }
}

impl Drop for QRadarSim {
    fn drop(&mut self) {
        // The connection tasks live in a JoinSet owned by the accept task,
        // so aborting it closes every connection too.
        self.task.abort();
    }
}

impl QRadarSim {
    /// A builder with the defaults: 25 offenses, fixed seed, token
    /// `sim-sec-token`, Basic `admin` / `sim-password`, plain HTTP.
    pub fn builder() -> QRadarSimBuilder {
        QRadarSimBuilder::default()
    }

    /// Base URL without a trailing slash and without `/api`, e.g.
    /// `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The accepted `SEC` token.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The accepted Basic auth user name and password.
    pub fn basic_credentials(&self) -> (&str, &str) {
        (&self.shared.user, &self.shared.password)
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

    /// HTTP requests answered so far, including faults and errors.
    pub fn requests_served(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Makes the next `times` requests (any path) fail with `fault`. Faults
    /// queued by successive calls apply one after the other.
    pub fn inject(&self, fault: Fault, times: usize) {
        if times > 0 {
            relock(&self.shared.faults).push_back((fault, times));
        }
    }

    /// Current state of an offense, exactly as `GET /api/siem/offenses/{id}`
    /// would return it.
    pub fn offense(&self, id: u64) -> Option<Value> {
        let id = i64::try_from(id).ok()?;
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        state.offense(id).map(Record::to_json)
    }

    /// Notes of an offense, oldest first (empty for an unknown offense).
    pub fn notes(&self, offense_id: u64) -> Vec<Value> {
        let Ok(id) = i64::try_from(offense_id) else {
            return Vec::new();
        };
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        state
            .notes
            .get(&id)
            .map(|notes| notes.iter().map(Record::to_json).collect())
            .unwrap_or_default()
    }

    /// The most recent request received, recorded before authentication and
    /// fault injection.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        relock(&self.shared.last_request).clone()
    }
}

fn tls_acceptor() -> io::Result<(TlsAcceptor, String)> {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(io::Error::other)?;
    let pem = certified.cert.pem();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    // An explicit provider: another crate in the same build may enable a
    // second rustls backend, which makes the implicit default ambiguous.
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((TlsAcceptor::from(Arc::new(config)), pem))
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Typically EMFILE; back off instead of spinning.
                tracing::debug!(error = %e, "qradar sim: accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        shared.connections.fetch_add(1, Ordering::Relaxed);
        connections.spawn(serve(stream, router.clone(), tls.clone()));
    }
}

async fn serve(stream: TcpStream, router: Router, tls: Option<TlsAcceptor>) {
    let _ = stream.set_nodelay(true);
    let service = TowerToHyperService::new(router);
    let builder = auto::Builder::new(TokioExecutor::new());
    let result = match tls {
        Some(acceptor) => match acceptor.accept(stream).await {
            Ok(stream) => {
                builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await
            }
            Err(e) => {
                tracing::debug!(error = %e, "qradar sim: TLS handshake failed");
                return;
            }
        },
        None => {
            builder
                .serve_connection(TokioIo::new(stream), service)
                .await
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "qradar sim: connection ended with an error");
    }
}
