//! Simulator of the NetIQ / OpenText Sentinel REST API: X-SAML sessions and incidents
//! (`/SentinelAuthServices/...`, `/SentinelRESTServices/objects/...`).
//!
//! It runs on the shared [`SimServer`](crate::SimServer) (`127.0.0.1` with a random port, HTTP or HTTPS with
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

use std::time::Duration;

use clap::Args;

mod handlers;
mod model;

use crate::sim::{Common, logon_variables, seconds, setters, sim_vendor};

pub use crate::server::{Fault, RecordedRequest};
pub use handlers::Sentinel;
pub use model::seeded_incidents_json;

/// The `query` subset for the fuzz targets (the `fuzz/` package) and the tests that replay
/// their corpora. Not part of the public API; it may change in any release.
#[doc(hidden)]
pub mod fuzzing;

/// The user name the simulator accepts by default.
pub const DEFAULT_USER: &str = "admin";
/// The password the simulator accepts by default.
pub const DEFAULT_PASSWORD: &str = "sim-password";
/// The data generator's seed unless [`SentinelSimBuilder::seed`] says otherwise.
pub const DEFAULT_SEED: u64 = 0x5345_4e54_494e_454c;

/// What a [`SentinelSimBuilder`] sets: the flags of `incident-sim sentinel`.
#[derive(Args, Clone, Debug)]
pub struct SentinelOptions {
    /// Incidents to seed, ids 1..=N
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub(crate) incidents: usize,
    #[command(flatten)]
    pub(crate) common: Common<Sentinel>,
    /// Token lifetime in seconds (default: no expiry)
    #[arg(long, value_name = "S", value_parser = seconds)]
    pub(crate) token_ttl: Option<Duration>,
    /// The base of the links the simulator writes, when not its own address.
    #[arg(skip)]
    pub(crate) link_base: Option<String>,
}

setters!(Sentinel {
    /// Number of seeded incidents, with ids `1..=n` (default 60).
    incidents(n: usize) => incidents = n;
    /// How long a token lives (default: until deleted or expired by a fault).
    token_ttl(ttl: Duration) => token_ttl = Some(ttl);
    /// The base of every URL the simulator writes (`meta.@href`, references, `next` and
    /// `prev`), instead of its own address: a server behind NAT, which names a host the
    /// client cannot reach, e.g. `https://164.99.19.131:8443`.
    link_base(base: impl Into<String>) => link_base = Some(base.into());
});

sim_vendor! {
    Sentinel: SentinelSim, SentinelSimBuilder, "NetIQ / OpenText Sentinel";
    options: SentinelOptions, command: "sentinel", env_prefix: "SENTINEL";
    defaults: DEFAULT_SEED, DEFAULT_USER, DEFAULT_PASSWORD;
    open(options, _, sessions) = Ok(Sentinel::open(options, sessions));
    variables(sim) = logon_variables(sim.credentials());
    summary(sim) = format!("Sentinel simulator: {} incidents", sim.options.incidents);
}
