//! Simulator of the IBM QRadar SIEM offenses REST API (`/api/siem/...`).
//!
//! The simulator runs on the shared [`SimServer`](crate::SimServer) (`127.0.0.1` with a random
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

use std::time::Duration;

use clap::Args;

mod error;
mod handlers;
mod model;
mod query;

use crate::sim::{Common, Secret, seconds, setters, sim_vendor};

pub use crate::server::{Fault, RecordedRequest};
pub use handlers::QRadar;

/// The list-query languages for the fuzz targets (the `fuzz/` package) and the tests that
/// replay their corpora. Not part of the public API; it may change in any release.
#[doc(hidden)]
pub mod fuzzing;
pub use model::seeded_offenses_json;

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

/// What a [`QRadarSimBuilder`] sets: the flags of `incident-sim qradar`.
#[derive(Args, Clone, Debug)]
pub struct QRadarOptions {
    /// Offenses to seed, ids 1..=N
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub(crate) offenses: usize,
    #[command(flatten)]
    pub(crate) common: Common<QRadar>,
    /// Accepted SEC token
    #[arg(long, value_name = "T", default_value = DEFAULT_TOKEN)]
    pub(crate) token: Secret,
    /// Lifetime in seconds of the session a Basic request opens (its SEC cookie)
    #[arg(long, value_name = "S", default_value = "1800", value_parser = seconds)]
    pub(crate) session_ttl: Option<Duration>,
}

setters!(QRadar {
    /// Number of seeded offenses, with ids `1..=n` (default 25).
    offenses(n: usize) => offenses = n;
    /// Token accepted in the `SEC` header (default `sim-sec-token`).
    token(t: impl Into<String>) => token = Secret(t.into());
    /// Credentials accepted as HTTP Basic auth (default `admin` / `sim-password`).
    basic_auth(user: impl Into<String>, password: impl Into<String>) =>
        common.user = user.into(), common.password = Secret(password.into());
    /// How long a session opened by a Basic-authenticated request (its token handed out
    /// in the `SEC` cookie) lives (default [`DEFAULT_SESSION_TTL`]; `None`: until expired
    /// on demand or logged out).
    session_ttl(ttl: Option<Duration>) => session_ttl = ttl;
});

sim_vendor! {
    QRadar: QRadarSim, QRadarSimBuilder, "IBM QRadar SIEM";
    options: QRadarOptions, command: "qradar", env_prefix: "QRADAR";
    defaults: DEFAULT_SEED, DEFAULT_USER, DEFAULT_PASSWORD;
    open(options, server, sessions) = Ok(QRadar::open(options, server, sessions));
    variables(sim) = vec![("TOKEN", sim.token().to_owned())];
    summary(sim) = format!("QRadar simulator: {} offenses", sim.options.offenses);
}
