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

/// Entry points for the fuzz targets (the `fuzz/` package) and the tests that replay their
/// corpora. Not part of the public API; it may change in any release.
#[doc(hidden)]
pub mod fuzzing {
    use incident_core::{ApiResponse, Result};
    use serde::de::DeserializeOwned;

    use crate::model::Page;

    /// Reads a list answer asked with `asked` items at most, as every QRadar list does.
    pub fn decode_page<T: DeserializeOwned>(
        response: &ApiResponse,
        asked: Option<u64>,
    ) -> Result<Page<T>> {
        Page::decode(response, asked)
    }
}
