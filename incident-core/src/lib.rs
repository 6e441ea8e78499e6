#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod error;
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

pub use error::{ApiError, DecodeError, Error, ErrorKind, Result, VendorError};
pub use model::{
    AssigneeChange, Capabilities, Closure, Cursor, Incident, IncidentPage, IncidentQuery,
    IncidentStatus, IncidentUpdate, Severity, StatusChange, TimeField, TimeWindow, Vendor,
    VendorRecord, Verdict,
};
pub use paging::{OffsetPage, Paginator, StalledCursor};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use source::IncidentSource;
pub use transport::{
    ApiPath, ApiRequest, ApiResponse, Auth, Authenticator, Credentials, ErrorParser,
    JsonErrorParser, RateLimit, ResponseAction, ResponseHook, Session, SessionAuth,
    SessionProvider, Transport, TransportBuilder,
};

/// Re-exported so that users of the vendor crates need no direct dependency on them.
pub use reqwest;
pub use time;
