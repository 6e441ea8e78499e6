//! Simulator of the CyberArk PTA API of a self-hosted PVWA (`/PasswordVault/API/...`).
//!
//! The simulator runs on the shared [`SimServer`](crate::SimServer) (`127.0.0.1` with a random port, HTTP or
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

use std::time::Duration;

use clap::Args;

mod handlers;
mod model;

use crate::sim::{Common, logon_variables, seconds, setters, sim_vendor};

pub use crate::server::{Fault, RecordedRequest};
pub use handlers::Pta;
pub use model::seeded_events_json;

/// The risk-event filter for the fuzz targets (the `fuzz/` package) and the tests that
/// replay their corpora. Not part of the public API; it may change in any release.
#[doc(hidden)]
pub mod fuzzing;

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

/// What a [`PtaSimBuilder`] sets: the flags of `incident-sim cyberark-pta`.
#[derive(Args, Clone, Debug)]
pub struct PtaOptions {
    /// Security events to seed
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub(crate) events: usize,
    /// Risk events to seed
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub(crate) risk_events: usize,
    #[command(flatten)]
    pub(crate) common: Common<Pta>,
    /// PVWA application path
    #[arg(long, value_name = "A", default_value = DEFAULT_APP_PATH)]
    pub(crate) app_path: String,
    /// Session lifetime in seconds
    #[arg(long, value_name = "S", default_value = "1200", value_parser = seconds)]
    pub(crate) session_ttl: Option<Duration>,
    /// Read fromUpdateDate and lastUpdatedEventDate as seconds, as documented (default:
    /// milliseconds, as psPAS sends them)
    #[arg(long)]
    pub(crate) dates_in_seconds: bool,
}

setters!(Pta {
    /// Number of seeded security events (default 40).
    events(n: usize) => events = n;
    /// Number of seeded risk events (default 30).
    risk_events(n: usize) => risk_events = n;
    /// The IIS application PVWA is served under (default `PasswordVault`).
    app_path(path: impl Into<String>) => app_path = path.into();
    /// How long a session token lives (default 20 minutes; `None`: until logoff or
    /// expiry on demand).
    session_ttl(ttl: Option<Duration>) => session_ttl = ttl;
    /// Reads `fromUpdateDate` and `lastUpdatedEventDate` as seconds, as the documentation
    /// says, instead of milliseconds, as psPAS sends them (the default).
    dates_in_seconds(seconds: bool) => dates_in_seconds = seconds;
});

sim_vendor! {
    Pta: PtaSim, PtaSimBuilder, "CyberArk PTA (PVWA)";
    options: PtaOptions, command: "cyberark-pta", env_prefix: "PTA";
    defaults: DEFAULT_SEED, DEFAULT_USER, DEFAULT_PASSWORD;
    open(options, _, sessions) = Pta::open(options, sessions);
    variables(sim) = logon_variables((sim.username(), sim.password()));
    summary(sim) = {
        let o = &sim.options;
        let unit = if o.dates_in_seconds { "seconds" } else { "milliseconds" };
        format!(
            "CyberArk PTA simulator: {} security events, {} risk events under /{}, \
             date filters in {unit}",
            o.events,
            o.risk_events,
            sim.app_path()
        )
    };
}
