//! QRadar-shaped error responses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answered with QRadar's JSON error body:
/// `{"http_response":{"code","message"},"code","message","description","details":{}}`.
#[derive(Clone, Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: u64,
    pub(crate) message: String,
    pub(crate) description: String,
}

/// The `http_response.message` QRadar pairs with each status.
fn http_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "You are unauthorized to access the requested resource.",
        403 => "Your account is not authorized to access the requested resource.",
        404 => "We could not find the resource you requested.",
        405 => "The request method is not supported for the requested resource.",
        409 => {
            "The request could not be completed due to a conflict with the current state of the resource."
        }
        422 => "The request was well-formed but was unable to be followed due to semantic errors.",
        429 => "Too many requests have been sent in a given amount of time.",
        503 => {
            "The server is currently unable to handle the request due to a temporary overloading or maintenance of the server."
        }
        500 => "Unexpected internal server error",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: u64,
        message: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            description: description.into(),
        }
    }

    /// 422 / 1005.
    pub(crate) fn invalid_param(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            1005,
            message,
            "A request parameter is not valid.",
        )
    }

    /// 404 / 1002.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            1002,
            message,
            "The requested resource does not exist.",
        )
    }

    /// 409 / 1008.
    pub(crate) fn offense_conflict(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            1008,
            message,
            "Request cannot be completed due to the state of the offense.",
        )
    }

    /// 500 / 1020.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            1020,
            message,
            "An error occurred during the attempt to process the request.",
        )
    }

    /// The error QRadar answers with `status`, for the errors the simulator
    /// server produces itself (faults, pending answers, oversized bodies):
    /// the unique code and description QRadar pairs with that status.
    pub(crate) fn for_status(status: StatusCode, message: &str) -> Self {
        let (code, description) = match status.as_u16() {
            401 => (11, ""),
            404 => (1002, "The requested resource does not exist."),
            405 => (
                1001,
                "The requested endpoint does not support this HTTP method.",
            ),
            400 | 413 | 422 => (1005, "A request parameter is not valid."),
            429 => (1029, "The rate limit for API requests has been exceeded."),
            503 => (
                1021,
                "The QRadar API is not available at this time. Please try again later.",
            ),
            _ => (
                1020,
                "An error occurred during the attempt to process the request.",
            ),
        };
        Self::new(status, code, message, description)
    }

    /// The fixed body QRadar answers when no usable credentials were sent.
    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            11,
            "No SEC header present in request. Please provide it and try again.",
            "",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "http_response": {"code": self.status.as_u16(), "message": http_message(self.status)},
            "code": self.code,
            "message": self.message,
            "description": self.description,
            "details": {},
        });
        (self.status, Json(body)).into_response()
    }
}
