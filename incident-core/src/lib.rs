#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod env;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod mapping;
pub mod model;
pub mod ocsf;
pub mod paging;
pub mod retry;
pub mod secret;
pub mod serde_helpers;
pub mod source;
pub mod sync;
mod tls;
pub mod transport;
pub mod vendor;

pub use error::{
    ApiError, BoxError, DecodeError, Error, ErrorKind, Result, TransportFailure, VendorError,
};
pub use model::{
    AssigneeChange, Capabilities, Checked, Closure, Cursor, Incident, IncidentPage, IncidentQuery,
    IncidentStatus, IncidentUpdate, Severity, StatusChange, TimeField, TimeWindow, Vendor,
    VendorRecord, Verdict,
};
pub use paging::{OffsetPage, Paginator, StalledCursor};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use source::IncidentSource;
pub use transport::{
    Answer, ApiPath, ApiRequest, ApiResponse, Auth, Authenticator, Call, CallOptions, Credentials,
    ErrorParser, JsonErrorParser, RateLimit, ResponseAction, ResponseHook, Session, SessionAuth,
    SessionProvider, Transport, TransportBuilder,
};

/// The HTTP client, re-exported for the two escape hatches that take its types,
/// [`TransportBuilder::http_client`] (a prebuilt `reqwest::Client`) and
/// [`TransportBuilder::proxy`] (a `reqwest::Proxy`); no error, answer or hook exposes a
/// reqwest type, so that an upgrade of reqwest changes no other public signature.
pub use reqwest;

/// The `http` crate (1.x), whose vocabulary types appear in public signatures:
/// `StatusCode`, `Method`, `HeaderMap`, `HeaderName`, `HeaderValue`. They are the very types
/// `reqwest` re-exports, so `incident_core::reqwest::StatusCode` is the same type.
pub use http;
pub use time;
