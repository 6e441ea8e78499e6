//! Success answers, body decoding, and reading vendors' error bodies.

use crate::vendor::Vendor;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderMap};
use serde::de::DeserializeOwned;

use super::Answer;
use crate::error::{DecodeError, Error, ErrorKind, Result, VendorError, snippet};

/// Reads a vendor's error body. Implemented by each vendor crate; a closure
/// `Fn(StatusCode, &HeaderMap, &[u8]) -> VendorError` works too.
pub trait ErrorParser: Send + Sync + 'static {
    /// Reads what the vendor said in a non-success answer. Must not panic on any input.
    fn parse(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> VendorError;

    /// Reads what the vendor said in an answer a [`ResponseHook`](super::ResponseHook)
    /// refuses (an error body inside a 2xx): [`parse`](Self::parse) of its status, headers
    /// and body.
    fn parse_answer(&self, answer: &Answer<'_>) -> VendorError {
        self.parse(answer.status, answer.headers, answer.body)
    }
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

/// A declarative error-body parser: the vendor's code and message read at JSON pointers
/// (the first that holds a value wins), and vendor codes mapped to an [`ErrorKind`], so that
/// a vendor crate keeps only its typed body and code enum. The whole JSON body is kept for
/// [`Error::vendor_body`](crate::Error::vendor_body).
///
/// ```
/// use incident_core::transport::{ErrorParser, JsonErrorParser};
/// use incident_core::ErrorKind;
/// use incident_core::reqwest::{StatusCode, header::HeaderMap};
///
/// // CyberArk: {"ErrorCode": "PASWS013E", "ErrorMessage": "Authentication failure"}
/// let parser = JsonErrorParser::new()
///     .code_at("/ErrorCode")
///     .message_at("/ErrorMessage")
///     .kind_for("PASWS013E", ErrorKind::Unauthorized);
/// let body = br#"{"ErrorCode":"PASWS013E","ErrorMessage":"Authentication failure"}"#;
/// let e = parser.parse(StatusCode::BAD_REQUEST, &HeaderMap::new(), body);
/// assert_eq!(e.code.as_deref(), Some("PASWS013E"));
/// assert_eq!(e.message.as_deref(), Some("Authentication failure"));
/// assert_eq!(e.kind, Some(ErrorKind::Unauthorized));
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a parser does nothing until it is given to a transport"]
pub struct JsonErrorParser {
    code: Vec<&'static str>,
    message: Vec<&'static str>,
    kinds: Vec<(&'static str, ErrorKind)>,
}

impl JsonErrorParser {
    /// A parser that reads nothing yet (but keeps a JSON body).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the vendor code at this JSON pointer (a string or a number), e.g. `/code` or
    /// `/error/code`. Several pointers are tried in the order given.
    pub fn code_at(mut self, pointer: &'static str) -> Self {
        self.code.push(pointer);
        self
    }

    /// Reads the vendor message at this JSON pointer. Several are tried in order.
    pub fn message_at(mut self, pointer: &'static str) -> Self {
        self.message.push(pointer);
        self
    }

    /// Maps a vendor code to a kind more specific than the status gives. The transport
    /// never lets a code override 429 and 503, which it always retries.
    pub fn kind_for(mut self, code: &'static str, kind: ErrorKind) -> Self {
        self.kinds.push((code, kind));
        self
    }
}

fn text_at(value: &serde_json::Value, pointers: &[&str]) -> Option<String> {
    pointers.iter().find_map(|p| match value.pointer(p)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

impl ErrorParser for JsonErrorParser {
    fn parse(&self, _: StatusCode, _: &HeaderMap, body: &[u8]) -> VendorError {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
            return VendorError::new();
        };
        let mut out = VendorError::new();
        out.code = text_at(&value, &self.code);
        out.message = text_at(&value, &self.message);
        out.kind = out.code.as_deref().and_then(|code| {
            self.kinds
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(code))
                .map(|(_, k)| *k)
        });
        out.with_body(value)
    }
}

/// A success answer: status, headers and the whole body.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub(super) vendor: Vendor,
    pub(super) path: String,
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
    pub(super) request_id: Option<String>,
    pub(super) attempts: u32,
    /// Most items the answer may hold (the transport's ceiling).
    pub(super) max_items: u64,
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

    /// The vendor's display name.
    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// Most items this answer may hold in the arrays its model decodes through
    /// [`paging::bounded`](crate::paging::bounded) or [`paging::Items`](crate::paging::Items):
    /// the transport's
    /// [`max_items_per_answer`](crate::TransportBuilder::max_items_per_answer).
    pub fn max_items(&self) -> u64 {
        self.max_items
    }

    /// Decodes the body as JSON into `T`. On failure the error names the JSON path where
    /// decoding stopped, the content type and a snippet of the body.
    ///
    /// The item arrays of `T` decoded through [`paging::bounded`](crate::paging::bounded)
    /// or [`paging::Items`](crate::paging::Items) may hold at most
    /// [`max_items`](Self::max_items) items together; one more is an [`Error::Protocol`]
    /// raised before it is decoded. A page is decoded with the number of items it asked
    /// for through [`paging::decode_page`](crate::paging::decode_page).
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] for a body that is not a `T`; [`Error::Protocol`] for more items than
    /// [`max_items`](Self::max_items).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        crate::paging::decode_page(self, None)
    }

    /// Decodes the body within the bound its caller set.
    pub(crate) fn decode_within_bound<T: DeserializeOwned>(&self) -> Result<T> {
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
///
/// # Errors
///
/// The JSON path where decoding stopped and serde's error, for a body that is not a `T`.
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
            // The second pass counts the items of a bounded answer from zero again.
            crate::paging::decode::restart_count();
            let mut de = serde_json::Deserializer::from_slice(body);
            match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => Err((e.path().to_string(), e.into_inner())),
                // Cannot normally happen; keep the first error rather than panic.
                Ok(_) => Err((".".to_string(), first)),
            }
        }
    }
}
