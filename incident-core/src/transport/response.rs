//! Success answers, body decoding, and reading vendors' error bodies.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde::de::DeserializeOwned;

use crate::error::{DecodeError, Error, Result, VendorError, snippet};

/// Reads a vendor's error body. Implemented by each vendor crate; a closure
/// `Fn(StatusCode, &HeaderMap, &[u8]) -> VendorError` works too.
pub trait ErrorParser: Send + Sync + 'static {
    /// Reads what the vendor said in a non-success answer. Must not panic on any input.
    fn parse(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> VendorError;
}

impl<F> ErrorParser for F
where
    F: Fn(StatusCode, &HeaderMap, &[u8]) -> VendorError + Send + Sync + 'static,
{
    fn parse(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> VendorError {
        self(status, headers, body)
    }
}

/// The parser used when a vendor crate sets none: keeps a JSON body, reads nothing from it.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBodyParser;

impl ErrorParser for JsonBodyParser {
    fn parse(&self, _: StatusCode, _: &HeaderMap, body: &[u8]) -> VendorError {
        let mut out = VendorError::new();
        out.body = serde_json::from_slice(body).ok();
        out
    }
}

/// A success answer: status, headers and the whole body.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub(super) vendor: &'static str,
    pub(super) path: String,
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
    pub(super) request_id: Option<String>,
    pub(super) attempts: u32,
}

impl ApiResponse {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header as text, if present and valid UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The request id the server sent, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// How many attempts it took.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Decodes the body as JSON into `T`. On failure the error names the JSON path where
    /// decoding stopped, the content type and a snippet of the body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        decode_json(&self.body).map_err(|(json_path, source)| {
            Error::Decode(Box::new(DecodeError {
                vendor: self.vendor,
                status: self.status,
                path: self.path.clone(),
                json_path,
                content_type: self.header_str(CONTENT_TYPE.as_str()).map(str::to_owned),
                snippet: snippet(&self.body),
                request_id: self.request_id.clone(),
                source,
            }))
        })
    }
}

/// Decodes JSON into `T`; on failure returns the JSON path of the failure and the serde
/// error. The fast path decodes directly; only a failing document is decoded a second time
/// with path tracking, so successful decodes pay nothing for the path.
pub fn decode_json<T: DeserializeOwned>(
    body: &[u8],
) -> std::result::Result<T, (String, serde_json::Error)> {
    // Validating the UTF-8 of the whole body once is cheaper than serde_json's check of each
    // string in turn; a body that is not UTF-8 takes the byte path for the error report.
    let fast = match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    };
    match fast {
        Ok(v) => Ok(v),
        Err(first) => {
            let mut de = serde_json::Deserializer::from_slice(body);
            match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => Err((e.path().to_string(), e.into_inner())),
                // Cannot normally happen; keep the first error rather than panic.
                Ok(_) => Err((".".to_string(), first)),
            }
        }
    }
}
