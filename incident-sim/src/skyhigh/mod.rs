//! Simulator of the Skyhigh Security Cloud incidents API
//! (`/shnapi/rest/external/api/v1/...`).
//!
//! The simulator runs on the shared [`SimServer`] (`127.0.0.1` with a random port, HTTP or
//! HTTPS with a self-signed certificate, HTTP/1.1 and HTTP/2, request log, faults,
//! sessions), which [`SkyhighSim`] dereferences to. It keeps state: a modified incident
//! gets its new status and a new `timeModified`, so it moves to the end of the time order,
//! as on the service.
//!
//! # Endpoints
//!
//! | Method | Path | Notes |
//! |---|---|---|
//! | POST | `/shnapi/rest/external/api/v1/queryIncidents` | `limit` (default 50, at most 500 served), `offset`; Criteria body: `startTime` (inclusive), `endTime` (exclusive; both default to now), `timesSelection`, `actorIds`, `serviceNames`, `incidentCriteria` (categories, product, fields); risk ranges and times checked (400 with `target`); ascending `timeModified` (or `timeCreated`); pages end as [`PageBoundary`] says; nothing found is a 404 |
//! | POST | `/shnapi/rest/external/api/v1/modifyIncidents` | `[{incidentId, changeRequests: {WORKFLOW_STATUS}}]`, statuses in any case (`FALSE_POSITIVE` too); unknown ids and statuses are named in `responseInfo.error.details` (HTTP 200) |
//! | POST | `/shnapi/rest/external/api/v1/queryIncidentInformationKeys` | |
//! | POST | `/shnapi/rest/external/api/v1/queryIncidentGroups` | |
//! | POST | `/shnapi/rest/external/api/v1/token?grant_type=password&token_type=iam` | Basic, optional `bps-tenant-id`: an IAM token |
//! | POST | `/neo/neo-auth-service/oauth/token?grant_type=iam_token` | `x-iam-token`: an access token (`expires_in` = the token lifetime) |
//! | POST | `/neo/neo-auth-service/oauth/token?grant_type=password` | `x-auth-username`, `x-auth-password`: an access token |
//!
//! Every other call needs HTTP Basic or an access token in `x-access-token` or
//! `Authorization: Bearer`. Access tokens are sessions of the server:
//! [`Fault::ExpireSessions`] revokes them. Answers are wrapped in the Spring envelope
//! `{headers, body, statusCode, statusCodeValue}` unless [`ResponseShape::Bare`] is chosen;
//! errors are a ResponseInfo whose `error` is `{code, message, target}`.
//! [`Fault::ErrorInside200`] sends an error inside a 200.
//!
//! # Page boundaries
//!
//! Skyhigh's "Managing API Responses" page documents the walk: a page holds `limit`
//! incidents *plus* every later one that shares the timestamp of the last of them, "to
//! ensure that incidents with identical start times are not split into two API responses"
//! (so a page may hold more than the limit); `responseInfo.nextStartTime` continues the
//! query, sent back as `startTime`, until it is `null`. That is the default,
//! [`PageBoundary::IncludeTies`]: `nextStartTime` is the time of the first incident the
//! page did not hold (the page says nothing more precise; with an inclusive `startTime` the
//! next page starts at that incident and repeats none), and `null` once the window holds no
//! more. The incidents added beyond the limit are capped at [`MAX_TIES`] (1,000, what
//! `skyhigh_client::MAX_TIES` accepts): a page never exceeds `limit + MAX_TIES`, and more
//! incidents than that at one instant cannot be walked with that limit (the next page starts
//! at that same instant again).
//!
//! Real tenants have also been seen to repeat the boundary instead:
//! [`PageBoundary::RepeatBoundary`] stops a page at the limit, gives the time of its last
//! incident as `nextStartTime` (so the incidents at that instant come again on the next
//! page) and the end of the window on a short page. Clients must handle both.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use serde_json::Value;

pub mod cli;
mod data;
mod handlers;

use crate::server::{ServerOptions, Sessions, SimServer};
use handlers::{Shared, SkyhighVendor};

pub use crate::server::{Fault, RecordedRequest};

/// The Basic user name a simulator accepts by default.
pub const DEFAULT_USER: &str = "api-user@example.com";
/// The Basic password a simulator accepts by default.
pub const DEFAULT_PASSWORD: &str = "sim-skyhigh-password";
/// The data generator's seed unless [`SkyhighSimBuilder::seed`] says otherwise.
pub const DEFAULT_SEED: u64 = 0x5348_4e41_5049;
/// The first seeded incident's `timeModified`: 2024-05-01T00:00:00Z.
pub const FIRST_INCIDENT_TIME: &str = "2024-05-01T00:00:00.000Z";

/// Most incidents a page holds beyond its `limit` in [`PageBoundary::IncludeTies`]: the
/// incidents that share the timestamp of the last one within the limit, up to this many.
/// The same bound as `skyhigh_client::MAX_TIES`.
pub const MAX_TIES: usize = 1_000;

/// How a page of `queryIncidents` ends when later incidents share the timestamp of its last
/// one, and what its `nextStartTime` is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageBoundary {
    /// As Skyhigh documents it (the default): the incidents sharing the timestamp of the last
    /// one within the limit are added to the page, at most [`MAX_TIES`] of them;
    /// `nextStartTime` is the time of the first incident not served, `null` when the window
    /// holds no more.
    #[default]
    IncludeTies,
    /// As some tenants answer: a page stops at the limit and its `nextStartTime` is the time
    /// of its last incident, so the incidents at that instant come again on the next page;
    /// a short page's `nextStartTime` is the end of the window.
    RepeatBoundary,
}

/// The shape of the simulator's answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseShape {
    /// The Spring envelope `{headers, body, statusCode, statusCodeValue}`, as the service
    /// answers (the default).
    #[default]
    Envelope,
    /// The bare object, as the swagger documents it.
    Bare,
}

/// The JSON `queryIncidents` would list (bare, without the envelope) from a fresh simulator
/// seeded with `n` incidents and `seed`: `{"incidents": [...], "responseInfo": {...}}`.
/// Deterministic, for decode tests and benchmarks.
pub fn seeded_incidents_json(n: usize, seed: u64) -> String {
    let incidents: Vec<Value> = data::seeded(n, seed).iter().map(|r| r.to_json()).collect();
    serde_json::json!({
        "incidents": incidents,
        "responseInfo": {"actualLimit": n, "apiElapsedMillis": 1, "error": null,
                         "nextOffset": null, "nextStartTime": null, "source": "seed"}
    })
    .to_string()
}

/// Configures and starts a [`SkyhighSim`].
#[derive(Clone)]
pub struct SkyhighSimBuilder {
    incidents: usize,
    seed: u64,
    user: String,
    password: String,
    tenant_id: Option<String>,
    token_ttl: Duration,
    shape: ResponseShape,
    boundary: PageBoundary,
    https: bool,
    port: u16,
}

impl Default for SkyhighSimBuilder {
    fn default() -> Self {
        SkyhighSimBuilder {
            incidents: 60,
            seed: DEFAULT_SEED,
            user: DEFAULT_USER.to_owned(),
            password: DEFAULT_PASSWORD.to_owned(),
            tenant_id: None,
            token_ttl: Duration::from_secs(600),
            shape: ResponseShape::Envelope,
            boundary: PageBoundary::IncludeTies,
            https: false,
            port: 0,
        }
    }
}

impl fmt::Debug for SkyhighSimBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SkyhighSimBuilder")
            .field("incidents", &self.incidents)
            .field("seed", &self.seed)
            .field("user", &self.user)
            .field("tenant_id", &self.tenant_id)
            .field("token_ttl", &self.token_ttl)
            .field("shape", &self.shape)
            .field("boundary", &self.boundary)
            .field("https", &self.https)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl SkyhighSimBuilder {
    /// Number of seeded incidents (default 60), modified from
    /// [`FIRST_INCIDENT_TIME`] on, about a third sharing their time with the one before
    /// (at most four share one instant).
    pub fn incidents(mut self, n: usize) -> Self {
        self.incidents = n;
        self
    }

    /// Seed of the data generator; the same seed gives the same incidents.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Credentials accepted as HTTP Basic and by the token endpoints.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.user = user.into();
        self.password = password.into();
        self
    }

    /// The only `bps-tenant-id` the IAM token endpoint accepts (any when unset).
    pub fn tenant_id(mut self, tenant: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant.into());
        self
    }

    /// The lifetime of access tokens, announced as `expires_in` (default 600 s).
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// The shape of the answers (default [`ResponseShape::Envelope`]).
    pub fn response_shape(mut self, shape: ResponseShape) -> Self {
        self.shape = shape;
        self
    }

    /// How pages end at incidents sharing a timestamp (default
    /// [`PageBoundary::IncludeTies`], as documented).
    pub fn page_boundary(mut self, boundary: PageBoundary) -> Self {
        self.boundary = boundary;
        self
    }

    /// Serve HTTPS with a freshly generated self-signed certificate.
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
    pub async fn start(self) -> io::Result<SkyhighSim> {
        let shared = Arc::new(Shared {
            incidents: RwLock::new(data::seeded(self.incidents, self.seed)),
            user: self.user,
            password: self.password,
            tenant_id: self.tenant_id,
            token_ttl: self.token_ttl,
            envelope: AtomicBool::new(self.shape == ResponseShape::Envelope),
            repeat_boundary: AtomicBool::new(self.boundary == PageBoundary::RepeatBoundary),
            iam_tokens: Sessions::new(),
            sessions: OnceLock::new(),
        });
        let vendor = SkyhighVendor {
            shared: Arc::clone(&shared),
        };
        let options = ServerOptions::new().port(self.port).https(self.https);
        let server = SimServer::start(vendor, options).await?;
        Ok(SkyhighSim { server, shared })
    }
}

/// A running Skyhigh simulator. Dropping it stops the server.
///
/// It dereferences to its [`SimServer`]: `url()`, `ca_cert_pem()`, `inject()`,
/// `requests()`, `last_request()`, `sessions()`, the counters.
pub struct SkyhighSim {
    server: SimServer,
    shared: Arc<Shared>,
}

impl fmt::Debug for SkyhighSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SkyhighSim")
            .field("url", &self.url())
            .field("requests_served", &self.requests_served())
            .finish_non_exhaustive()
    }
}

crate::server::sim_handle!(SkyhighSim);

impl SkyhighSim {
    /// A builder with the defaults: 60 incidents, fixed seed, Basic
    /// `api-user@example.com` / `sim-skyhigh-password`, enveloped answers, ties kept in
    /// the page as documented, plain HTTP.
    pub fn builder() -> SkyhighSimBuilder {
        SkyhighSimBuilder::default()
    }

    /// The server this simulator runs on (also reachable by deref).
    pub fn server(&self) -> &SimServer {
        &self.server
    }

    /// The accepted user name and password.
    pub fn credentials(&self) -> (&str, &str) {
        (&self.shared.user, &self.shared.password)
    }

    /// Changes the shape of the answers from now on.
    pub fn set_response_shape(&self, shape: ResponseShape) {
        self.shared
            .envelope
            .store(shape == ResponseShape::Envelope, Ordering::Relaxed);
    }

    /// Changes how pages end at incidents sharing a timestamp, from now on.
    pub fn set_page_boundary(&self, boundary: PageBoundary) {
        self.shared
            .repeat_boundary
            .store(boundary == PageBoundary::RepeatBoundary, Ordering::Relaxed);
    }

    /// An incident as `queryIncidents` would list it.
    pub fn incident(&self, id: &str) -> Option<Value> {
        self.shared
            .read()
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.to_json())
    }

    /// Every incident, in the order `queryIncidents` lists them (ascending `timeModified`).
    pub fn incidents(&self) -> Vec<Value> {
        self.shared.read().iter().map(|r| r.to_json()).collect()
    }
}
