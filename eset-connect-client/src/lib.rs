#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod env;
pub mod error;
pub mod incidents;
pub mod model;
pub mod normalize;

pub use client::{ESET_CONNECT, EsetClient, EsetClientBuilder, Region};
pub use env::ENVIRONMENT;
pub use error::{EsetErrorBody, EsetErrorExt, EsetErrorParser, GrpcCode};
pub use incidents::{
    CloseIncident, CommentsApi, IncidentsApi, ListComments, ListIncidents, UpdateIncident,
};
pub use model::filter::{self, Filter};
pub use model::{
    CommentsPage, Incident, IncidentComment, IncidentMetrics, IncidentSeverity, IncidentStatus,
    IncidentsPage, ResolveReason,
};

pub use incident_core;
/// The error, result and secret types of every call, re-exported so that no direct
/// dependency on `incident-core` is needed.
pub use incident_core::{Error, ErrorKind, Result, Secret};
