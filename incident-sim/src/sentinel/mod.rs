//! Simulator of the NetIQ / OpenText Sentinel REST API: X-SAML sessions and incidents
//! (`/SentinelAuthServices/...`, `/SentinelRESTServices/objects/...`).
//!
//! It runs on the shared [`SimServer`] (`127.0.0.1` with a random port, HTTP or HTTPS with
//! a self-signed certificate, request log, faults, sessions), which [`SentinelSim`]
//! dereferences to, and keeps state: created, updated and deleted incidents show in later
//! answers and through [`SentinelSim::incident`].
//!
//! # Endpoints
//!
//! | Method | Path | Notes |
//! |---|---|---|
//! | POST | `/SentinelAuthServices/auth/tokens` | HTTP Basic; answers `{"Token": "..."}` |
//! | DELETE | `/SentinelAuthServices/auth/tokens/{token}` | Basic, or that token as `X-SAML`; 204, 404 for an unknown token |
//! | GET, POST | `/SentinelRESTServices/objects/incident` | GET: `query`, repeated `field` (`[none]`: `meta` only), `page` (from 1), `pagesize` (default: all); answers `{objects, next, prev}` with absolute links. POST answers 201 with the incident and `Location` |
//! | GET, PUT, DELETE | `/SentinelRESTServices/objects/incident/{id}` | PUT merges the fields sent (server-set ones ignored) and answers a bare 200; DELETE answers 204 |
//! | GET | `/SentinelRESTServices/objects/incident-events` | `query=incident-id.e{id}` (the form of an incident's `events` link), `page`, `pagesize` |
//! | GET | `/SentinelRESTServices/objects/incident-events/{event-uuid}/{incident-id}` | |
//! | GET | `/SentinelRESTServices/objects/external-data/{id}`, `.../annotation/{id}` | what incidents refer to |
//!
//! Every other request needs `Authorization: X-SAML <token>` with a live token: a token
//! expires after [`SentinelSimBuilder::token_ttl`] (default: never), on
//! [`Fault::ExpireSessions`], or when deleted. A body holding
//! a `\u` escape is refused with 400, as Sentinel's JSON parser does. `query` takes the
//! simulator's own subset of TinyQ (whose grammar is not public): `field:value` terms joined
//! by ` AND `. Faults answer `{"message": ..., "status": ...}` (Sentinel documents no fault
//! body; this shape is the simulator's). Annotations carry their text in a `text` field,
//! an invention too: the annotation object is not publicly documented.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use serde_json::Value;

pub mod cli;
mod handlers;
mod model;

use crate::server::{ServerOptions, SimServer};
use handlers::{Config, SentinelVendor, Shared};

pub use crate::server::{Fault, RecordedRequest};

/// The user name the simulator accepts by default.
pub const DEFAULT_USER: &str = "admin";
/// The password the simulator accepts by default.
pub const DEFAULT_PASSWORD: &str = "sim-password";
/// The data generator's seed unless [`SentinelSimBuilder::seed`] says otherwise.
pub const DEFAULT_SEED: u64 = 0x5345_4e54_494e_454c;

/// The page `GET /SentinelRESTServices/objects/incident` answers (without `page`,
/// `pagesize`, `query` or `field`) from a simulator seeded with `n` incidents and `seed`,
/// with links on `base`: every field of Sentinel's incident. Deterministic, for decode
/// tests and benchmarks that need realistic data without a server.
pub fn seeded_incidents_json(base: &str, n: usize, seed: u64) -> String {
    let state = model::State::seeded(base, n, seed);
    let objects: Vec<&Value> = state.incidents.values().collect();
    serde_json::json!({ "objects": objects }).to_string()
}

/// Configures and starts a [`SentinelSim`].
#[derive(Clone)]
pub struct SentinelSimBuilder {
    config: Config,
    https: bool,
    port: u16,
}

impl Default for SentinelSimBuilder {
    fn default() -> Self {
        SentinelSimBuilder {
            config: Config {
                incidents: 60,
                seed: DEFAULT_SEED,
                user: DEFAULT_USER.to_owned(),
                password: DEFAULT_PASSWORD.to_owned(),
                token_ttl: None,
                link_base: None,
            },
            https: false,
            port: 0,
        }
    }
}

impl fmt::Debug for SentinelSimBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentinelSimBuilder")
            .field("incidents", &self.config.incidents)
            .field("seed", &self.config.seed)
            .field("user", &self.config.user)
            .field("token_ttl", &self.config.token_ttl)
            .field("link_base", &self.config.link_base)
            .field("https", &self.https)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl SentinelSimBuilder {
    /// Number of seeded incidents, with ids `1..=n` (default 60).
    pub fn incidents(mut self, n: usize) -> Self {
        self.config.incidents = n;
        self
    }

    /// Seed of the data generator; the same seed gives the same incidents.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// The user name and password accepted for tokens (default `admin` / `sim-password`).
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.config.user = user.into();
        self.config.password = password.into();
        self
    }

    /// How long a token lives (default: until deleted or expired by a fault).
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.config.token_ttl = Some(ttl);
        self
    }

    /// The base of every URL the simulator writes (`meta.@href`, references, `next` and
    /// `prev`), instead of its own address: a server behind NAT, which names a host the
    /// client cannot reach, e.g. `https://164.99.19.131:8443`.
    pub fn link_base(mut self, base: impl Into<String>) -> Self {
        self.config.link_base = Some(base.into());
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
    pub async fn start(self) -> io::Result<SentinelSim> {
        let shared = Arc::new(Shared {
            state: RwLock::default(),
            config: self.config,
            issued: AtomicU64::new(0),
            deleted: AtomicU64::new(0),
            sessions: OnceLock::new(),
        });
        let vendor = SentinelVendor {
            shared: Arc::clone(&shared),
        };
        let options = ServerOptions::new().port(self.port).https(self.https);
        let server = SimServer::start(vendor, options).await?;
        Ok(SentinelSim { server, shared })
    }
}

/// A running Sentinel simulator. Dropping it stops the server.
///
/// It dereferences to its [`SimServer`]: `url()`, `ca_cert_pem()`, `inject()`,
/// `requests()`, `last_request()`, `sessions()`, the counters.
pub struct SentinelSim {
    server: SimServer,
    shared: Arc<Shared>,
}

impl fmt::Debug for SentinelSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentinelSim")
            .field("url", &self.url())
            .field("tokens_issued", &self.tokens_issued())
            .field("requests_served", &self.requests_served())
            .finish_non_exhaustive()
    }
}

crate::server::sim_handle!(SentinelSim);

impl SentinelSim {
    /// A builder with the defaults: 60 incidents, fixed seed, `admin` / `sim-password`,
    /// tokens that do not expire by themselves, plain HTTP.
    pub fn builder() -> SentinelSimBuilder {
        SentinelSimBuilder::default()
    }

    /// The server this simulator runs on (also reachable by deref).
    pub fn server(&self) -> &SimServer {
        &self.server
    }

    /// The accepted user name and password.
    pub fn credentials(&self) -> (&str, &str) {
        (&self.shared.config.user, &self.shared.config.password)
    }

    /// Current state of an incident, exactly as `GET .../objects/incident/{id}` answers.
    pub fn incident(&self, id: u64) -> Option<Value> {
        self.shared.read().incidents.get(&id).cloned()
    }

    /// The ids of every incident, in order.
    pub fn incident_ids(&self) -> Vec<u64> {
        self.shared.read().incidents.keys().copied().collect()
    }

    /// Tokens issued so far (logons).
    pub fn tokens_issued(&self) -> u64 {
        self.shared.issued.load(Ordering::Relaxed)
    }

    /// Tokens deleted so far (sign-outs).
    pub fn tokens_deleted(&self) -> u64 {
        self.shared.deleted.load(Ordering::Relaxed)
    }
}
