#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod closing_reasons;
pub mod env;
pub mod error;
pub mod model;
pub mod normalize;
pub mod offense_types;
pub mod offenses;
pub mod request;

pub use client::{DEFAULT_API_VERSION, QRADAR, QRadarClient, QRadarClientBuilder};
pub use env::ENVIRONMENT;
pub use error::{QRadarErrorBody, QRadarErrorCode, QRadarErrorExt, QRadarErrorParser, QRadarHook};
pub use model::filter::{self, Filter};
pub use model::*;
pub use offenses::UpdateOffense;
pub use request::{List, Single};

pub use incident_core;
/// The error, result and secret types of every call, re-exported so that no direct
/// dependency on `incident-core` is needed.
pub use incident_core::{Error, ErrorKind, Result, Secret};
