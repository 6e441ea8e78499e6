#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod env;
pub mod error;
pub mod incidents;
pub mod model;
pub mod normalize;
pub mod objects;
pub mod request;

pub use client::{AUTH_TOKENS_PATH, OBJECTS_PATH, SENTINEL, SentinelClient, SentinelClientBuilder};
pub use env::ENVIRONMENT;
pub use error::{FaultBody, SentinelErrorExt, SentinelErrorParser, SentinelFault, SentinelHook};
pub use incidents::{IncidentsApi, ListIncidents, UpdateIncident};
pub use model::*;
pub use request::{DEFAULT_PAGE_SIZE, List};

pub use incident_core;
/// The error, result and secret types of every call, re-exported so that no direct
/// dependency on `incident-core` is needed.
pub use incident_core::{Error, ErrorKind, Result, Secret};
