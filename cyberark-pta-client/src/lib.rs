#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod env;
pub mod error;
pub mod events;
pub mod model;
pub mod normalize;
pub mod risks;
pub mod session;

pub use client::{
    CYBERARK_PTA, DEFAULT_APP_PATH, DateUnit, EventFilterMode, PtaClient, PtaClientBuilder,
};
pub use env::ENVIRONMENT;
pub use error::{PtaErrorBody, PtaErrorCode, PtaErrorExt, PtaErrorParser};
pub use events::{EventsApi, GetEvent, ListEvents, UpdateEvent};
pub use model::url_rules;
pub use model::*;
pub use risks::{ListRiskEvents, RisksApi, UpdateRiskEvent};
pub use session::AuthType;

pub use incident_core;
/// The error, result and secret types of every call, re-exported so that no direct
/// dependency on `incident-core` is needed.
pub use incident_core::{Error, ErrorKind, Result, Secret};

/// Entry points for the fuzz targets (the `fuzz/` package) and the tests that replay their
/// corpora. Not part of the public API; it may change in any release.
#[doc(hidden)]
pub mod fuzzing;
