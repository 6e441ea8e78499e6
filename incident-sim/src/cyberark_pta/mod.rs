//! Simulator of the CyberArk PTA API of a self-hosted PVWA (`/PasswordVault/API/...`).
//!
//! The simulator runs on the shared [`SimServer`] (`127.0.0.1` with a random port, HTTP or
//! HTTPS with a self-signed certificate, request log, faults, sessions), which [`PtaSim`]
//! dereferences to. It keeps state: status updates are visible to later requests and through
//! the inspection methods of [`PtaSim`].
//!
//! # Endpoints
//!
//! Paths are matched without regard to case, as IIS does, below the application path
//! (`PasswordVault` unless [`PtaSimBuilder::app_path`] says otherwise).
//!
//! | Method | Path | Notes |
//! |---|---|---|
//! | POST | `/PasswordVault/API/auth/{type}/Logon` | `CyberArk`, `LDAP`, `RADIUS` or `Windows`; JSON `{username, password, concurrentSession?}`; answers the session token as a JSON string |
//! | POST | `/PasswordVault/API/Auth/Logoff` | ends the session of the `Authorization` token |
//! | GET | `/PasswordVault/API/pta/API/Events/` | `status`, `fromUpdateDate`, `accountID`, or the header `lastUpdatedEventDate`; newest change first; the trailing slash is required |
//! | PATCH | `/PasswordVault/API/pta/API/Events/{id}` | `{"mStatus": "OPEN"\|"CLOSED"}` (any case); answers the event |
//! | GET | `/PasswordVault/API/pta/API/Risks/RisksEvents/` | `filter` (`type eq "..." AND status eq "..."`), `sort` (`score`, `detectionTime`, `-` for descending), `page` (from 0), `size` (1–1000, default 100); answers `{"entities": [...]}` |
//! | PATCH | `/PasswordVault/API/pta/API/Risks/RisksEvents/{id}` | `{"status", "closeReason"?, "reasonText"? (≤ 100)}` |
//!
//! The date filters (`fromUpdateDate`, `lastUpdatedEventDate`) are read in milliseconds by
//! default, as psPAS and Cortex XSOAR send them and as every published sample's times are;
//! CyberArk's documentation says seconds since 1970, which
//! [`PtaSimBuilder::dates_in_seconds`] (`incident-sim cyberark-pta --dates-in-seconds`)
//! selects.
//!
//! Every request but the logon needs `Authorization: <token>`, the raw token of a logon.
//! Tokens live [`PtaSimBuilder::session_ttl`] (20 minutes by default, PVWA's default session
//! timeout); [`Fault::ExpireSessions`] or `sim.sessions().expire_all()` ends them all.
//!
//! # Errors
//!
//! PVWA's body `{"ErrorCode": ..., "ErrorMessage": ...}`: a failed logon is 403 `PASWS013E`
//! ("Authentication failure for User ..."), a request without a token 401 `CAIWS001E`, an
//! unknown, expired or `Bearer`-prefixed token 401 `ITATS955E`, a logon without user name or
//! password 400 `PASWS167E`; codes seen from real servers. The real codes of the other errors
//! (bad parameters, unknown ids) are not published: the simulator uses `CAWS00001E`, PVWA's
//! generic web-service code, for them. A path no route matches gets ASP.NET's
//! `{"Message": "No HTTP resource was found ..."}` (404), a method a route does not take its
//! 405, and a path outside the application IIS's HTML 404 page.
//!
//! # Data
//!
//! Seeded deterministically in the shapes of the published samples (Cortex XSOAR's
//! CyberArkPAS test data and the CyberArk documentation): `VaultViaIrregularIp` and
//! `VaultViaIrregularHours` (a Vault logon, `station`/`reason`/`vault_user`),
//! `InteractiveLogonWithServiceAccount` (a `DOMAIN` account, `aggregation_count`),
//! `PSMSuspiciousActivity` (a `LOCAL_UNIX` account with `mTarget`, `psmCommand`,
//! `mitigationAction`, `sessionIDs`), and `SuspectedCredentialsTheft` (two audits). Ids are
//! 24-digit ObjectIds; about a third of the events are closed.

use std::fmt;
use std::io;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::Value;

pub mod cli;
mod handlers;
mod model;

use crate::server::{ServerOptions, SimServer};
use handlers::{PtaVendor, Shared};
use model::State;

pub use crate::server::{Fault, RecordedRequest};

/// The user name a simulator accepts unless [`PtaSimBuilder::credentials`] says otherwise.
pub const DEFAULT_USER: &str = "pta-admin";
/// The password a simulator accepts by default.
pub const DEFAULT_PASSWORD: &str = "sim-password";
/// The application path unless [`PtaSimBuilder::app_path`] says otherwise.
pub const DEFAULT_APP_PATH: &str = "PasswordVault";
/// PVWA's default session timeout: 20 minutes.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(20 * 60);
/// The data generator's seed unless [`PtaSimBuilder::seed`] says otherwise.
pub const DEFAULT_SEED: u64 = 0x0050_5441_5349_4d31;

/// Configures and starts a [`PtaSim`].
#[derive(Clone)]
pub struct PtaSimBuilder {
    events: usize,
    risk_events: usize,
    seed: u64,
    username: String,
    password: String,
    app_path: String,
    session_ttl: Option<Duration>,
    dates_in_seconds: bool,
    https: bool,
    port: u16,
}

impl Default for PtaSimBuilder {
    fn default() -> Self {
        PtaSimBuilder {
            events: 40,
            risk_events: 30,
            seed: DEFAULT_SEED,
            username: DEFAULT_USER.to_owned(),
            password: DEFAULT_PASSWORD.to_owned(),
            app_path: DEFAULT_APP_PATH.to_owned(),
            session_ttl: Some(DEFAULT_SESSION_TTL),
            dates_in_seconds: false,
            https: false,
            port: 0,
        }
    }
}

impl fmt::Debug for PtaSimBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PtaSimBuilder")
            .field("events", &self.events)
            .field("risk_events", &self.risk_events)
            .field("seed", &self.seed)
            .field("username", &self.username)
            .field("app_path", &self.app_path)
            .field("session_ttl", &self.session_ttl)
            .field("dates_in_seconds", &self.dates_in_seconds)
            .field("https", &self.https)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl PtaSimBuilder {
    /// Number of seeded security events (default 40).
    pub fn events(mut self, n: usize) -> Self {
        self.events = n;
        self
    }

    /// Number of seeded risk events (default 30).
    pub fn risk_events(mut self, n: usize) -> Self {
        self.risk_events = n;
        self
    }

    /// Seed of the data generator; the same seed gives the same data.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The user name and password the logon accepts, with every logon type (default
    /// `pta-admin` / `sim-password`). User names compare without regard to case.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = username.into();
        self.password = password.into();
        self
    }

    /// The IIS application PVWA is served under (default `PasswordVault`).
    pub fn app_path(mut self, path: impl Into<String>) -> Self {
        self.app_path = path.into();
        self
    }

    /// How long a session token lives (default 20 minutes; `None`: until logoff or
    /// expiry on demand).
    pub fn session_ttl(mut self, ttl: Option<Duration>) -> Self {
        self.session_ttl = ttl;
        self
    }

    /// Reads `fromUpdateDate` and `lastUpdatedEventDate` as seconds, as the documentation
    /// says, instead of milliseconds, as psPAS sends them (the default).
    pub fn dates_in_seconds(mut self, seconds: bool) -> Self {
        self.dates_in_seconds = seconds;
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
    pub async fn start(self) -> io::Result<PtaSim> {
        let app = self.app_path.trim_matches('/').to_ascii_lowercase();
        if app.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the application path is empty",
            ));
        }
        let shared = Arc::new(Shared {
            state: RwLock::new(State::seeded(self.events, self.risk_events, self.seed)),
            username: self.username,
            password: self.password,
            app,
            session_ttl: self.session_ttl,
            dates_in_seconds: self.dates_in_seconds,
            sessions: RwLock::new(None),
        });
        let vendor = PtaVendor {
            shared: Arc::clone(&shared),
        };
        let options = ServerOptions::new().port(self.port).https(self.https);
        let server = SimServer::start(vendor, options).await?;
        Ok(PtaSim {
            server,
            shared,
            app_path: self.app_path.trim_matches('/').to_owned(),
        })
    }
}

/// A running PTA simulator. Dropping it stops the server.
///
/// It dereferences to its [`SimServer`]: `url()` (the PVWA base URL, without the
/// application path), `ca_cert_pem()`, `inject()`, `requests()`, `sessions()`, the counters.
pub struct PtaSim {
    server: SimServer,
    shared: Arc<Shared>,
    app_path: String,
}

impl fmt::Debug for PtaSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PtaSim")
            .field("url", &self.url())
            .field("app_path", &self.app_path)
            .field("requests_served", &self.requests_served())
            .finish_non_exhaustive()
    }
}

crate::server::sim_handle!(PtaSim);

impl PtaSim {
    /// A builder with the defaults: 40 security events, 30 risk events, fixed seed, user
    /// `pta-admin` / `sim-password`, application `PasswordVault`, 20-minute sessions.
    pub fn builder() -> PtaSimBuilder {
        PtaSimBuilder::default()
    }

    /// The server this simulator runs on (also reachable by deref).
    pub fn server(&self) -> &SimServer {
        &self.server
    }

    /// The accepted user name.
    pub fn username(&self) -> &str {
        &self.shared.username
    }

    /// The accepted password.
    pub fn password(&self) -> &str {
        &self.shared.password
    }

    /// The application path, e.g. `PasswordVault`.
    pub fn app_path(&self) -> &str {
        &self.app_path
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        f(&state)
    }

    /// A security event as the list answers it.
    pub fn event(&self, id: &str) -> Option<Value> {
        self.read(|s| s.event(id).cloned().map(Value::Object))
    }

    /// Every security event, in creation order.
    pub fn events(&self) -> Vec<Value> {
        self.read(|s| s.events.iter().cloned().map(Value::Object).collect())
    }

    /// A risk event as the list answers it.
    pub fn risk_event(&self, id: &str) -> Option<Value> {
        self.read(|s| s.risk(id).cloned().map(Value::Object))
    }

    /// Every risk event, in detection order.
    pub fn risk_events(&self) -> Vec<Value> {
        self.read(|s| s.risks.iter().cloned().map(Value::Object).collect())
    }

    /// The logon type of every successful logon so far, as PVWA names it (`CyberArk`,
    /// `LDAP`, `RADIUS`, `Windows`).
    pub fn logons(&self) -> Vec<String> {
        self.read(|s| s.logons.clone())
    }

    /// The `concurrentSession` each successful logon sent.
    pub fn concurrent_sessions(&self) -> Vec<Option<bool>> {
        self.read(|s| s.concurrent.clone())
    }

    /// How many logoffs were answered.
    pub fn logoffs(&self) -> u64 {
        self.read(|s| s.logoffs)
    }
}
