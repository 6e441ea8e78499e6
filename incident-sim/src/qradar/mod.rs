//! Simulator of the IBM QRadar SIEM offenses REST API (`/api/siem/...`).
//!
//! The simulator runs on the shared [`SimServer`] (`127.0.0.1` with a random
//! port, HTTP or HTTPS with a self-signed certificate, HTTP/1.1 and HTTP/2,
//! request log, faults, sessions), which [`QRadarSim`] dereferences to. It
//! keeps state: updates, notes and new closing reasons are visible to later
//! requests and through the inspection methods of [`QRadarSim`].
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
//! | POST | `/api/auth/logout` | ends the request's session and clears the `SEC` cookie |
//!
//! Every request needs `SEC: <token>` or matching HTTP Basic credentials.
//! The configured token is a session of the server that never expires by
//! itself: [`Fault::ExpireSessions`] or `sim.sessions().expire_all()` makes
//! it answer 401 (as a revoked authorized-service token does), and
//! `sim.sessions().issue(None)` gives a new token that works.
//!
//! # The `SEC` session cookie
//!
//! A console answers a request authenticated with Basic credentials with
//! `Set-Cookie: SEC=<session token>; Path=/; HttpOnly` (and `Secure` over HTTPS), and
//! accepts that token afterwards in the `SEC` header (or the `SEC` cookie) in place of the
//! credentials. The simulator does the same: each Basic-authenticated request opens a session
//! that lives [`QRadarSimBuilder::session_ttl`] (30 minutes by default), or until
//! [`Fault::ExpireSessions`], `sim.sessions().expire_all()` or `POST /api/auth/logout`
//! ends it; then the token gets 401 and the client logs on with Basic again. An answer to a
//! request made in a session carries its cookie again, whatever its status; an answer to an
//! authorized-service token carries none.
//!
//! IBM documents the two credentials (an authorized-service token in `SEC`, Basic); the
//! cookie, its name, its value going back as the `SEC` header and the logout path come from
//! the IBM/Red Hat Ansible collection `ibm.qradar` (`plugins/httpapi/qradar.py`), which
//! reads `Set-Cookie` on every answer and takes the value of the first cookie when it names
//! `SEC`. The cookie's attributes and lifetime, and the cookie on every answer of a session,
//! are inferred: a console's session timeout is its administrator's setting.
//!
//! Errors use QRadar's JSON body
//! `{"http_response":{"code":..,"message":..},"code":..,"message":..,"description":..,"details":{}}`.

use std::fmt;
use std::io;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use serde_json::Value;

pub mod cli;
mod error;
mod handlers;
mod model;
mod query;

use crate::server::{ServerOptions, SimServer};
use handlers::{QRadarVendor, Shared};
use model::State;
use query::Record;

pub use crate::server::{Fault, RecordedRequest};

/// The `SEC` token a simulator accepts unless [`QRadarSimBuilder::token`] says otherwise.
pub const DEFAULT_TOKEN: &str = "sim-sec-token";
/// The Basic user name a simulator accepts by default.
pub const DEFAULT_USER: &str = "admin";
/// The Basic password a simulator accepts by default.
pub const DEFAULT_PASSWORD: &str = "sim-password";

/// The data generator's seed unless [`QRadarSimBuilder::seed`] says otherwise.
pub const DEFAULT_SEED: u64 = 0x0051_4144_4152_5349;
/// How long a session handed out in the `SEC` cookie lives unless
/// [`QRadarSimBuilder::session_ttl`] says otherwise: 30 minutes.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(30 * 60);

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
    session_ttl: Option<Duration>,
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
            session_ttl: Some(DEFAULT_SESSION_TTL),
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
            .field("session_ttl", &self.session_ttl)
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

    /// How long a session opened by a Basic-authenticated request (its token handed out
    /// in the `SEC` cookie) lives (default [`DEFAULT_SESSION_TTL`]; `None`: until expired
    /// on demand or logged out).
    pub fn session_ttl(mut self, ttl: Option<Duration>) -> Self {
        self.session_ttl = ttl;
        self
    }

    /// Serve HTTPS with a freshly generated self-signed certificate valid for
    /// `localhost` and `127.0.0.1` (see [`SimServer::ca_cert_pem`]).
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
        let shared = Arc::new(Shared {
            state: RwLock::new(State::seeded(self.offenses, self.seed)),
            token: self.token,
            user: self.user,
            password: self.password,
            session_ttl: self.session_ttl,
            https: self.https,
            sessions: OnceLock::new(),
        });
        let vendor = QRadarVendor {
            shared: Arc::clone(&shared),
        };
        let options = ServerOptions::new().port(self.port).https(self.https);
        let server = SimServer::start(vendor, options).await?;
        server.sessions().insert(shared.token.clone(), None);
        Ok(QRadarSim { server, shared })
    }
}

/// A running QRadar simulator. Dropping it stops the server and closes its
/// connections.
///
/// It dereferences to its [`SimServer`]: `url()`, `ca_cert_pem()`,
/// `inject()`, `requests()`, `last_request()`, `sessions()`, the counters.
pub struct QRadarSim {
    server: SimServer,
    shared: Arc<Shared>,
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

crate::server::sim_handle!(QRadarSim);

impl QRadarSim {
    /// A builder with the defaults: 25 offenses, fixed seed, token
    /// `sim-sec-token`, Basic `admin` / `sim-password`, plain HTTP.
    pub fn builder() -> QRadarSimBuilder {
        QRadarSimBuilder::default()
    }

    /// The server this simulator runs on (also reachable by deref).
    pub fn server(&self) -> &SimServer {
        &self.server
    }

    /// The configured `SEC` token (accepted until the sessions are expired
    /// or it is revoked).
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The accepted Basic auth user name and password.
    pub fn basic_credentials(&self) -> (&str, &str) {
        (&self.shared.user, &self.shared.password)
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
}
