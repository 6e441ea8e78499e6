//! The shapes of ESET Connect's error bodies: grpc-gateway's `{"code", "message",
//! "details"}` and OAuth's `{"error", "error_description"}`, and the gRPC codes.

use serde::{Deserialize, Serialize};

use incident_core::ErrorKind;
use incident_core::serde_helpers::lenient_i64_option;

/// The JSON body of an ESET Connect error answer, read leniently: every field optional,
/// unknown fields kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(default)]
pub struct EsetErrorBody {
    /// The gRPC status code (grpc-gateway's `code`), as a number or a string.
    #[serde(with = "lenient_i64_option", skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// The message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Structured details (`{"@type": ..., ...}` objects).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<serde_json::Value>>,
    /// The OAuth error of the token endpoint, e.g. `invalid_grant`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The OAuth error's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// Anything else the body holds.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl EsetErrorBody {
    /// Reads an error body from JSON, keeping what can be read: a field of an unexpected
    /// type is dropped rather than losing the body. `None` when the value is not an object.
    pub fn from_value(value: &serde_json::Value) -> Option<EsetErrorBody> {
        let object = value.as_object()?;
        if let Ok(body) = EsetErrorBody::deserialize(value) {
            return Some(body);
        }
        let text = |name: &str| object.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        Some(EsetErrorBody {
            code: object.get("code").and_then(|v| match v {
                serde_json::Value::Number(n) => n.as_i64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }),
            message: text("message"),
            details: object.get("details").and_then(|v| v.as_array()).cloned(),
            error: text("error"),
            error_description: text("error_description"),
            extra: object
                .iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "code" | "message" | "details" | "error" | "error_description"
                    )
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }

    /// The typed gRPC code, when the body has one.
    pub fn grpc_code(&self) -> Option<GrpcCode> {
        self.code.map(GrpcCode::from_code)
    }
}

/// The gRPC status codes ESET Connect's gateway puts in `code`.
///
/// ESET's own list (error_codes.html) gives 3, 7, 8, 13, 14 and 16, with meanings of its own
/// for two of them: 3 is also "invalid access token" and 8 is "access token expired", not
/// the usual "resource exhausted".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GrpcCode {
    /// 1: the request was cancelled.
    Cancelled,
    /// 2: unknown error.
    Unknown,
    /// 3: invalid argument (a validation error, a bad filter or `updateMask`; ESET also
    /// uses it for an invalid access token).
    InvalidArgument,
    /// 4: the deadline was exceeded.
    DeadlineExceeded,
    /// 5: not found.
    NotFound,
    /// 6: already exists.
    AlreadyExists,
    /// 7: permission denied (ESET: the API is not enabled for the token).
    PermissionDenied,
    /// 8: resource exhausted (ESET: the access token expired).
    ResourceExhausted,
    /// 9: the resource is not in a state that allows the change (closing a closed
    /// incident, reopening an open one).
    FailedPrecondition,
    /// 10: aborted.
    Aborted,
    /// 11: out of range.
    OutOfRange,
    /// 12: not implemented.
    Unimplemented,
    /// 13: internal error.
    Internal,
    /// 14: unavailable (ESET: an error from the identity service).
    Unavailable,
    /// 15: data loss.
    DataLoss,
    /// 16: unauthenticated (token validation failed).
    Unauthenticated,
    /// Any other code, kept as sent.
    Other(i64),
}

impl GrpcCode {
    /// The typed code for a number.
    pub fn from_code(code: i64) -> GrpcCode {
        match code {
            1 => GrpcCode::Cancelled,
            2 => GrpcCode::Unknown,
            3 => GrpcCode::InvalidArgument,
            4 => GrpcCode::DeadlineExceeded,
            5 => GrpcCode::NotFound,
            6 => GrpcCode::AlreadyExists,
            7 => GrpcCode::PermissionDenied,
            8 => GrpcCode::ResourceExhausted,
            9 => GrpcCode::FailedPrecondition,
            10 => GrpcCode::Aborted,
            11 => GrpcCode::OutOfRange,
            12 => GrpcCode::Unimplemented,
            13 => GrpcCode::Internal,
            14 => GrpcCode::Unavailable,
            15 => GrpcCode::DataLoss,
            16 => GrpcCode::Unauthenticated,
            other => GrpcCode::Other(other),
        }
    }

    /// The kind an error with this code means, as the gateway maps codes to HTTP statuses
    /// (with ESET's own meaning of 8, an expired access token); `None` for 1 (cancelled)
    /// and codes not listed. Used for an error that arrives with a 2xx, whose status says
    /// nothing.
    pub fn kind(self) -> Option<ErrorKind> {
        Some(match self {
            GrpcCode::InvalidArgument | GrpcCode::OutOfRange => ErrorKind::InvalidRequest,
            GrpcCode::NotFound => ErrorKind::NotFound,
            GrpcCode::AlreadyExists | GrpcCode::FailedPrecondition | GrpcCode::Aborted => {
                ErrorKind::Conflict
            }
            GrpcCode::PermissionDenied => ErrorKind::Forbidden,
            GrpcCode::ResourceExhausted | GrpcCode::Unauthenticated => ErrorKind::Unauthorized,
            GrpcCode::Unavailable => ErrorKind::Unavailable,
            GrpcCode::Unknown
            | GrpcCode::DeadlineExceeded
            | GrpcCode::Unimplemented
            | GrpcCode::Internal
            | GrpcCode::DataLoss => ErrorKind::Server,
            GrpcCode::Cancelled | GrpcCode::Other(_) => return None,
        })
    }

    /// The number.
    pub fn code(self) -> i64 {
        match self {
            GrpcCode::Cancelled => 1,
            GrpcCode::Unknown => 2,
            GrpcCode::InvalidArgument => 3,
            GrpcCode::DeadlineExceeded => 4,
            GrpcCode::NotFound => 5,
            GrpcCode::AlreadyExists => 6,
            GrpcCode::PermissionDenied => 7,
            GrpcCode::ResourceExhausted => 8,
            GrpcCode::FailedPrecondition => 9,
            GrpcCode::Aborted => 10,
            GrpcCode::OutOfRange => 11,
            GrpcCode::Unimplemented => 12,
            GrpcCode::Internal => 13,
            GrpcCode::Unavailable => 14,
            GrpcCode::DataLoss => 15,
            GrpcCode::Unauthenticated => 16,
            GrpcCode::Other(n) => n,
        }
    }
}

/// Whether an error body says the access token is invalid or expired.
pub(crate) fn token_refused(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Code {
        #[serde(default, with = "lenient_i64_option")]
        code: Option<i64>,
    }
    body.len() < 64 * 1024
        && serde_json::from_slice::<Code>(body).is_ok_and(|c| matches!(c.code, Some(8 | 16)))
}
