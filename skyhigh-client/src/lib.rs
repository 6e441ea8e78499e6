#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod env;
pub mod error;
pub mod incidents;
pub mod model;
pub mod normalize;

pub use client::{
    API_PATH, AuthMethod, DEFAULT_TOKEN_LIFETIME, NEO_AUTH_PATH, Region, SKYHIGH, SkyhighClient,
    SkyhighClientBuilder, TokenHeader,
};
pub use env::ENVIRONMENT;
pub use error::{SkyhighErrorCode, SkyhighErrorExt, SkyhighErrorParser, SkyhighHook};
pub use incidents::{
    DEFAULT_PAGE_SIZE, IncidentPage, IncidentsApi, MAX_LIMIT, MAX_TIES, ModifyIncidents,
    QueryCursor, QueryIncidents,
};
pub use model::*;

pub use incident_core;
/// The error, result and secret types of every call, re-exported so that no direct
/// dependency on `incident-core` is needed.
pub use incident_core::{Error, ErrorKind, Result, Secret};

/// Entry points for the fuzz targets (the `fuzz/` package) and the tests that replay their
/// corpora. Not part of the public API; it may change in any release.
#[doc(hidden)]
pub mod fuzzing {
    use incident_core::{ApiResponse, Result};

    use crate::IncidentPage;

    /// Reads a `queryIncidents` answer asked with `limit` incidents, as the query does.
    pub fn decode_page(
        response: &ApiResponse,
        limit: Option<u32>,
        by_creation: bool,
    ) -> Result<IncidentPage> {
        crate::model::decode_page(response, limit, by_creation)
    }
}
