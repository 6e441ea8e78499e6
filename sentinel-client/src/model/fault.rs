//! A fault answer of Sentinel, as the client keeps it (see the crate's `error` module).

use incident_core::{ApiError, ErrorKind};

/// The body of a fault answer: every body is one of these three.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultBody {
    /// A JSON body, parsed.
    Json(serde_json::Value),
    /// A body that is not JSON (an HTML page from the application server or a proxy, plain
    /// text): a bounded, printable prefix of it.
    Text(String),
    /// No body.
    Empty,
}

/// A fault answer of Sentinel: its status and body, and what could be read from it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SentinelFault {
    /// The HTTP status.
    pub status: u16,
    /// The broad class, from the status.
    pub kind: ErrorKind,
    /// The body.
    pub body: FaultBody,
    /// A message found in a JSON body (see [`SentinelErrorParser`](crate::SentinelErrorParser)).
    pub message: Option<String>,
    /// A code found in a JSON body (see [`SentinelErrorParser`](crate::SentinelErrorParser)).
    pub code: Option<String>,
}

impl SentinelFault {
    /// The fault behind an API error.
    pub(crate) fn from_api(api: &ApiError) -> SentinelFault {
        let body = match (&api.body, &api.snippet) {
            (Some(value), _) => FaultBody::Json(value.clone()),
            (None, Some(text)) => FaultBody::Text(text.clone()),
            (None, None) => FaultBody::Empty,
        };
        SentinelFault {
            status: api.status.as_u16(),
            kind: api.kind,
            body,
            message: api.message.clone(),
            code: api.vendor_code.clone(),
        }
    }
}
