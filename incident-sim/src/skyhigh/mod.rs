//! Simulator of the Skyhigh Security Cloud incidents API
//! (`/shnapi/rest/external/api/v1/...`).
//!
//! The simulator runs on the shared [`SimServer`](crate::SimServer) (`127.0.0.1` with a random port, HTTP or
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

use std::time::Duration;

use clap::Args;

mod data;
mod handlers;

use crate::sim::{Common, logon_variables, setters, sim_vendor};

pub use crate::server::{Fault, RecordedRequest};
pub use data::seeded_incidents_json;
pub use handlers::{MAX_TIES, PageBoundary, ResponseShape, Skyhigh};

/// The Basic user name a simulator accepts by default.
pub const DEFAULT_USER: &str = "api-user@example.com";
/// The Basic password a simulator accepts by default.
pub const DEFAULT_PASSWORD: &str = "sim-skyhigh-password";
/// The data generator's seed unless [`SkyhighSimBuilder::seed`] says otherwise.
pub const DEFAULT_SEED: u64 = 0x5348_4e41_5049;
/// The first seeded incident's `timeModified`: 2024-05-01T00:00:00Z.
pub const FIRST_INCIDENT_TIME: &str = "2024-05-01T00:00:00.000Z";

/// What a [`SkyhighSimBuilder`] sets: the flags of `incident-sim skyhigh`.
#[derive(Args, Clone, Debug)]
pub struct SkyhighOptions {
    /// Incidents to seed
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub(crate) incidents: usize,
    #[command(flatten)]
    pub(crate) common: Common<Skyhigh>,
    /// The only `bps-tenant-id` the IAM token endpoint accepts (any when unset).
    #[arg(skip)]
    pub(crate) tenant_id: Option<String>,
    /// The lifetime of access tokens.
    #[arg(skip = Duration::from_secs(600))]
    pub(crate) token_ttl: Duration,
    /// Answer without the Spring envelope
    #[arg(long)]
    pub(crate) bare: bool,
    /// End pages at the limit and repeat the incidents at the last timestamp on the next
    /// page (default: keep them in the page, as documented)
    #[arg(long)]
    pub(crate) repeat_boundary: bool,
}

setters!(Skyhigh {
    /// Number of seeded incidents (default 60), modified from
    /// [`FIRST_INCIDENT_TIME`] on, about a third sharing their time with the one before
    /// (at most four share one instant).
    incidents(n: usize) => incidents = n;
    /// The only `bps-tenant-id` the IAM token endpoint accepts (any when unset).
    tenant_id(tenant: impl Into<String>) => tenant_id = Some(tenant.into());
    /// The lifetime of access tokens, announced as `expires_in` (default 600 s).
    token_ttl(ttl: Duration) => token_ttl = ttl;
    /// The shape of the answers (default [`ResponseShape::Envelope`]).
    response_shape(shape: ResponseShape) => bare = shape == ResponseShape::Bare;
    /// How pages end at incidents sharing a timestamp (default
    /// [`PageBoundary::IncludeTies`], as documented).
    page_boundary(boundary: PageBoundary) =>
        repeat_boundary = boundary == PageBoundary::RepeatBoundary;
});

sim_vendor! {
    Skyhigh: SkyhighSim, SkyhighSimBuilder, "Skyhigh Security Cloud";
    options: SkyhighOptions, command: "skyhigh", env_prefix: "SKYHIGH";
    defaults: DEFAULT_SEED, DEFAULT_USER, DEFAULT_PASSWORD;
    open(options, _, sessions) = Ok(Skyhigh::open(options, sessions));
    variables(sim) = logon_variables(sim.credentials());
    summary(sim) = format!("Skyhigh simulator: {} incidents", sim.options.incidents);
}
