//! Simulator of ESET Connect incident management (`/v2/incidents...`) and of the OAuth
//! endpoint of its IAM host (`/oauth/token`).
//!
//! One [`SimServer`](crate::SimServer) plays both hosts: the incident routes and `POST /oauth/token` do not
//! collide, so [`SimServer::url`](crate::SimServer::url) and [`EsetSim::iam_url`] are the same address (with
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

use std::time::Duration;

use clap::Args;

mod handlers;
mod query;
mod state;

use crate::server::ServerOptions;
use crate::sim::{Common, Secret, logon_variables, seconds, setters, sim_vendor};

pub use crate::server::{Fault, RecordedRequest};
pub use handlers::Eset;
pub use state::seeded_incidents_json;

/// The filter language, `orderBy` and page tokens for the fuzz targets (the `fuzz/`
/// package) and the tests that replay their corpora. Not part of the public API; it may
/// change in any release.
#[doc(hidden)]
pub mod fuzzing;

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

/// What an [`EsetSimBuilder`] sets: the flags of `incident-sim eset`.
#[derive(Args, Clone, Debug)]
pub struct EsetOptions {
    /// Incidents to seed
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub(crate) incidents: usize,
    #[command(flatten)]
    pub(crate) common: Common<Eset>,
    /// The other API users, each with its own rate limit.
    #[arg(skip)]
    pub(crate) more_users: Vec<(String, Secret)>,
    /// Requests per second, 0 for none
    #[arg(long, value_name = "N", default_value = "10", value_parser = per_second)]
    pub(crate) rate_limit: ::std::option::Option<u32>,
    /// Access token lifetime in seconds
    #[arg(long, value_name = "S", default_value = "3600", value_parser = lifetime)]
    pub(crate) token_lifetime: Duration,
    /// How long a pending (202) answer is kept, in seconds
    #[arg(long, value_name = "S", default_value = "600", value_parser = seconds)]
    pub(crate) pending_ttl: Duration,
}

/// `--rate-limit`: 0 turns the limit off.
fn per_second(raw: &str) -> Result<Option<u32>, String> {
    let n: u32 = raw
        .parse()
        .map_err(|_| format!("expected a number, got {raw:?}"))?;
    Ok((n > 0).then_some(n))
}

/// `--token-lifetime`: at least a second.
fn lifetime(raw: &str) -> Result<Duration, String> {
    seconds(raw).and_then(|d| match d.is_zero() {
        true => Err("a token must live at least 1 second".to_owned()),
        false => Ok(d),
    })
}

setters!(Eset {
    /// Number of seeded incidents (default 60), created over 60 days from 2025-03-01, in
    /// every status and severity.
    incidents(n: usize) => incidents = n;
    /// Requests per second the incident host accepts from each API user, in bursts of as
    /// many (default [`DEFAULT_RATE_LIMIT`]); `None` turns the limit off (benchmarks).
    rate_limit(per_second: Option<u32>) => rate_limit = per_second;
    /// How long an access token lives (default [`DEFAULT_TOKEN_LIFETIME`]); `expires_in`
    /// says so in whole seconds. Short lifetimes make clients refresh in the middle of a
    /// walk.
    token_lifetime(lifetime: Duration) => token_lifetime = lifetime;
    /// How long the answer of a slow query ([`Fault::Pending`]) waits to be retrieved,
    /// from its first 202 (default [`DEFAULT_PENDING_TTL`](crate::server::DEFAULT_PENDING_TTL), ESET's 10 minutes); a poll
    /// after that gets 404, as ESET answers once it has cleared its cache. Tests shorten it.
    pending_ttl(ttl: Duration) => pending_ttl = ttl;
});

impl EsetSimBuilder {
    /// Adds another API user the IAM accepts. Each API user has a rate limit of its own, as
    /// ESET applies the limit per set of API credentials.
    pub fn add_api_user(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        let user = (username.into(), Secret(password.into()));
        self.options.more_users.push(user);
        self
    }
}

sim_vendor! {
    Eset: EsetSim, EsetSimBuilder, "ESET Connect";
    options: EsetOptions, command: "eset", env_prefix: "ESET";
    defaults: DEFAULT_SEED, DEFAULT_USERNAME, DEFAULT_PASSWORD, user_flag: "username";
    open(options, _, sessions) = Ok(Eset::open(options, sessions));
    server_options(options) = ServerOptions::new().pending_ttl(options.pending_ttl);
    variables(sim) = [vec![("IAM_URL", sim.iam_url())], logon_variables(sim.credentials())].concat();
    summary(sim) = format!("ESET Connect simulator: {} incidents", sim.options.incidents);
}
