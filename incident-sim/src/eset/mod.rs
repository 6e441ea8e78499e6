//! Simulator of ESET Connect incident management (`/v2/incidents...`) and of the OAuth
//! endpoint of its IAM host (`/oauth/token`).
//!
//! One [`SimServer`] plays both hosts: the incident routes and `POST /oauth/token` do not
//! collide, so [`SimServer::url`] and [`EsetSim::iam_url`] are the same address (with
//! `--https`, one certificate covers both). Tokens the IAM issues are sessions of the
//! server, so `sim.sessions().expire_all()` and [`Fault::ExpireSessions`] make the incident
//! host answer 401.
//!
//! # Endpoints
//!
//! | Method | Path | Notes |
//! |---|---|---|
//! | POST | `/oauth/token` | form-encoded; `grant_type=password` (`username`, `password`) or `refresh_token` (single use: each refresh spends its token and hands out a new one); 400 `invalid_grant`, 415 for another content type |
//! | GET | `/v2/incidents` | `filter` (the documented language, plus `<`, `>` and `AND`), `orderBy` (default `create_time desc`), `pageSize` (0 or absent: 50; above 1000: 400), `pageToken` (base64, bound to the filter and order); no `deviceUuids`/`detectionUuids` |
//! | GET | `/v2/incidents/{uuid}` | `{"incident": ...}` with every field |
//! | POST | `/v2/incidents/{uuid}/basic-attributes:update` | `updateMask` required and checked; unknown body fields refused; an empty assignee only while `OPEN` |
//! | POST | `/v2/incidents/{uuid}:close` | `closureReason` (true/false positive, suspicious, or none: absent, null, empty or `INCIDENT_RESOLVE_REASON_UNSPECIFIED`, and an empty body, close with no reason), optional `finalComment`; a closed incident gives 400 (code 9) |
//! | POST | `/v2/incidents/{uuid}:reopen` | only a closed incident |
//! | GET, POST | `/v2/incidents/{uuid}/comments` | `pageSize`/`pageToken`; POST takes `{"comment": {"text"}}` |
//! | GET, DELETE | `/v2/incidents/{uuid}/comments/{commentUuid}` | `{"comment": ...}`; the delete answers `{}` |
//! | POST | `/v2/incidents/{uuid}/comments/{commentUuid}/text:update` | `{"text"}` (or `{"comment": {"text"}}`); answers `{"comment": ...}` with a new `updateTime` |
//!
//! # What is documented and what is inferred
//!
//! ESET's reference documents the OAuth grants, the incident list, get, update, close and
//! reopen, the comment list and create, the filter language, the `request-id` header, the
//! 202 protocol (a pending answer kept 10 minutes), and 10 requests per second per set of
//! API credentials. Inferred:
//!
//! - the comment get, delete and `text:update` paths come from a public ESET Connect client
//!   (a Python `IncidentsClient` with a CLI), not from ESET's reference; their answers
//!   (`{"comment": ...}`, `{}` for the delete) follow the create's and grpc-gateway's
//!   conventions, and the `text:update` body (`{"text"}`) is that client's;
//! - a close with no reason: the `:close` schema makes `closureReason` an enum whose zero
//!   value is `INCIDENT_RESOLVE_REASON_UNSPECIFIED`, and one revision of the page marks the
//!   body optional; the simulator closes such an incident with no `resolveReason`, which
//!   proto3 JSON leaves out;
//! - the error body: grpc-gateway's default, which ESET's generated schema names suggest.
//!
//! Every answer carries a `request-id` header; errors use grpc-gateway's body
//! `{"code": <gRPC code>, "message", "details": []}`, OAuth errors `{"error",
//! "error_description"}`. Incident requests need `Authorization: Bearer <token>` (401, code
//! 16) and are limited to 10 per second by default, bursts of 10 (429 with `Retry-After: 1`,
//! code 8; [`EsetSimBuilder::rate_limit`]), counted per API user: the tokens of one user
//! share its limit, another user ([`EsetSimBuilder::add_api_user`]) has its own. A slow
//! query is [`Fault::Pending`] (202 with a `response-id`, polled with the identical
//! request; the answer is kept [`EsetSimBuilder::pending_ttl`], ESET's 10 minutes, then a
//! poll gets 404); a gateway timeout is `Fault::HtmlError { status: 504 }`.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use serde_json::Value;

pub mod cli;
mod handlers;
mod query;
mod state;

use crate::server::{DEFAULT_PENDING_TTL, ServerOptions, SimServer};
use handlers::{EsetVendor, RateLimit, Shared};
use state::{OPEN, State, USERS};

pub use crate::server::{Fault, RecordedRequest};

/// The API user's name a simulator accepts unless [`EsetSimBuilder::credentials`] says
/// otherwise.
pub const DEFAULT_USERNAME: &str = "api-user@example.com";
/// The API user's password a simulator accepts by default.
pub const DEFAULT_PASSWORD: &str = "sim-eset-password";
/// The data generator's seed unless [`EsetSimBuilder::seed`] says otherwise.
pub const DEFAULT_SEED: u64 = 0x4553_4554_5349_4d00;
/// Requests per second the incident host accepts unless
/// [`EsetSimBuilder::rate_limit`] says otherwise: ESET's documented 10.
pub const DEFAULT_RATE_LIMIT: u32 = 10;
/// How long an access token lives unless [`EsetSimBuilder::token_lifetime`] says
/// otherwise: ESET's 60 minutes.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// A fresh id a client cannot guess: 32 hexadecimal digits after `prefix`.
pub(crate) fn fresh_id(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let high = RandomState::new().hash_one(n);
    let low = RandomState::new().hash_one(n ^ high);
    format!("{prefix}{high:016x}{low:016x}")
}

/// Locks a mutex whose contents stay consistent even if a holder panicked.
pub(crate) fn relock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Configures and starts an [`EsetSim`].
#[derive(Clone)]
pub struct EsetSimBuilder {
    incidents: usize,
    seed: u64,
    /// The API users, the first being the one [`EsetSim::credentials`] gives.
    users: Vec<(String, String)>,
    rate_limit: Option<u32>,
    token_lifetime: Duration,
    pending_ttl: Duration,
    https: bool,
    port: u16,
}

impl Default for EsetSimBuilder {
    fn default() -> Self {
        EsetSimBuilder {
            incidents: 60,
            seed: DEFAULT_SEED,
            users: vec![(DEFAULT_USERNAME.to_owned(), DEFAULT_PASSWORD.to_owned())],
            rate_limit: Some(DEFAULT_RATE_LIMIT),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            pending_ttl: DEFAULT_PENDING_TTL,
            https: false,
            port: 0,
        }
    }
}

impl fmt::Debug for EsetSimBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.users.iter().map(|(u, _)| u.as_str()).collect();
        f.debug_struct("EsetSimBuilder")
            .field("incidents", &self.incidents)
            .field("seed", &self.seed)
            .field("users", &names)
            .field("rate_limit", &self.rate_limit)
            .field("token_lifetime", &self.token_lifetime)
            .field("pending_ttl", &self.pending_ttl)
            .field("https", &self.https)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl EsetSimBuilder {
    /// Number of seeded incidents (default 60), created over 60 days from 2025-03-01, in
    /// every status and severity.
    pub fn incidents(mut self, n: usize) -> Self {
        self.incidents = n;
        self
    }

    /// Seed of the data generator; the same seed gives the same incidents.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The API user's name and password the IAM accepts.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        let user = (username.into(), password.into());
        match self.users.first_mut() {
            Some(first) => *first = user,
            None => self.users.push(user),
        }
        self
    }

    /// Adds another API user the IAM accepts. Each API user has a rate limit of its own, as
    /// ESET applies the limit per set of API credentials.
    pub fn add_api_user(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.users.push((username.into(), password.into()));
        self
    }

    /// Requests per second the incident host accepts from each API user, in bursts of as
    /// many (default [`DEFAULT_RATE_LIMIT`]); `None` turns the limit off (benchmarks).
    pub fn rate_limit(mut self, per_second: Option<u32>) -> Self {
        self.rate_limit = per_second;
        self
    }

    /// How long an access token lives (default [`DEFAULT_TOKEN_LIFETIME`]); `expires_in`
    /// says so in whole seconds. Short lifetimes make clients refresh in the middle of a
    /// walk.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// How long the answer of a slow query ([`Fault::Pending`]) waits to be retrieved,
    /// from its first 202 (default [`DEFAULT_PENDING_TTL`], ESET's 10 minutes); a poll
    /// after that gets 404, as ESET answers once it has cleared its cache. Tests shorten it.
    pub fn pending_ttl(mut self, ttl: Duration) -> Self {
        self.pending_ttl = ttl;
        self
    }

    /// Serve HTTPS with a freshly generated self-signed certificate valid for `localhost`
    /// and `127.0.0.1` (see [`SimServer::ca_cert_pem`]).
    pub fn https(mut self, on: bool) -> Self {
        self.https = on;
        self
    }

    /// Listen on this port of `127.0.0.1` (default 0: a free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Binds `127.0.0.1`, spawns the server on the current tokio runtime and returns once
    /// the socket is listening.
    ///
    /// # Panics
    ///
    /// Panics if called outside a tokio runtime.
    pub async fn start(self) -> io::Result<EsetSim> {
        let shared = Arc::new(Shared {
            state: RwLock::new(State::seeded(self.incidents, self.seed)),
            users: self.users,
            token_lifetime: self.token_lifetime,
            refresh_tokens: Mutex::new(HashMap::new()),
            rate_limit: Mutex::new(RateLimit::new(self.rate_limit)),
            sessions: Mutex::new(None),
            password_grants: AtomicU64::new(0),
            refresh_grants: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
        });
        let vendor = EsetVendor {
            shared: Arc::clone(&shared),
        };
        let options = ServerOptions::new()
            .port(self.port)
            .https(self.https)
            .pending_ttl(self.pending_ttl);
        let server = SimServer::start(vendor, options).await?;
        Ok(EsetSim { server, shared })
    }
}

/// A running ESET Connect simulator (both hosts on one server). Dropping it stops the
/// server.
///
/// It dereferences to its [`SimServer`]: `url()`, `ca_cert_pem()`, `inject()`,
/// `requests()`, `sessions()`, the counters.
pub struct EsetSim {
    server: SimServer,
    shared: Arc<Shared>,
}

impl fmt::Debug for EsetSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EsetSim")
            .field("url", &self.url())
            .field("requests_served", &self.requests_served())
            .finish_non_exhaustive()
    }
}

crate::server::sim_handle!(EsetSim);

impl EsetSim {
    /// A builder with the defaults: 60 incidents, fixed seed, `api-user@example.com` /
    /// `sim-eset-password`, 10 requests per second, tokens for an hour, plain HTTP.
    pub fn builder() -> EsetSimBuilder {
        EsetSimBuilder::default()
    }

    /// The IAM host's base URL: the same server as [`url`](SimServer::url).
    pub fn iam_url(&self) -> String {
        self.server.url()
    }

    /// The first API user's name and password.
    pub fn credentials(&self) -> (&str, &str) {
        self.shared
            .users
            .first()
            .map_or(("", ""), |(u, p)| (u.as_str(), p.as_str()))
    }

    /// The uuids of the users incidents can be assigned to; the first is the API user.
    pub fn users(&self) -> Vec<String> {
        USERS.iter().map(|u| (*u).to_owned()).collect()
    }

    /// An incident exactly as `GET /v2/incidents/{uuid}` answers it (`incident` inside).
    pub fn incident(&self, uuid: &str) -> Option<Value> {
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        state.incident(uuid).map(|i| i.to_json(true))
    }

    /// The uuids of every incident, oldest first.
    pub fn incident_uuids(&self) -> Vec<String> {
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        state.incidents.iter().map(|i| i.uuid.clone()).collect()
    }

    /// The oldest incident that is open and has no assignee, if any.
    pub fn open_unassigned(&self) -> Option<String> {
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        state
            .incidents
            .iter()
            .find(|i| i.status == OPEN && i.assignee.is_empty())
            .map(|i| i.uuid.clone())
    }

    /// The comments of an incident, oldest first, as `GET .../comments` lists them.
    pub fn comments(&self, uuid: &str) -> Vec<Value> {
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        state
            .comments
            .get(uuid)
            .map(|c| c.iter().map(|c| c.to_json()).collect())
            .unwrap_or_default()
    }

    /// Tokens handed out so far by the password grant and by the refresh_token grant.
    pub fn token_grants(&self) -> (u64, u64) {
        (
            self.shared.password_grants.load(Ordering::Relaxed),
            self.shared.refresh_grants.load(Ordering::Relaxed),
        )
    }

    /// Requests answered 429 by the rate limit so far, all API users together.
    pub fn rate_limited(&self) -> u64 {
        self.shared.rate_limited.load(Ordering::Relaxed)
    }

    /// Refuses every refresh token handed out so far (`invalid_grant`), as after a
    /// password change: clients must fall back to the password grant.
    pub fn revoke_refresh_tokens(&self) {
        relock(&self.shared.refresh_tokens).clear();
    }

    /// Changes the rate limit of the incident host, per API user (`None`: off); every
    /// user starts again with a full burst.
    pub fn set_rate_limit(&self, per_second: Option<u32>) {
        *relock(&self.shared.rate_limit) = RateLimit::new(per_second);
    }
}
