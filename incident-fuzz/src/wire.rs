//! The input format of the targets that feed an HTTP answer, and the checks every error
//! they produce must pass.
//!
//! An input is an answer as text, so that seeds can be written by hand and a fixture is a
//! seed as it is:
//!
//! ```text
//! 200 GET /siem/offenses 25
//! content-range: items 0-24/100
//!
//! [{"id": 1}, ...]
//! ```
//!
//! The first line is read as a status line when it starts with three digits: the status,
//! then optionally the method, the request path and an argument (a page size, or a JSON
//! request body). Header lines follow up to an empty line; the rest is the body. Input
//! without a status line is a body answered `200` without headers.

use incident_core::http::header::{HeaderMap, HeaderName, HeaderValue};
use incident_core::http::{Method, StatusCode};
use incident_core::{ApiPath, ApiRequest, Error};

/// One answer, and what its first line says of the request.
#[derive(Debug)]
pub(crate) struct Wire<'a> {
    pub(crate) status: StatusCode,
    pub(crate) method: Option<Method>,
    pub(crate) path: Option<&'a str>,
    pub(crate) arg: Option<&'a str>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl<'a> Wire<'a> {
    pub(crate) fn parse(data: &'a [u8]) -> Wire<'a> {
        let status_line = data.len() >= 3 && data[..3].iter().all(u8::is_ascii_digit);
        let mut wire = Wire {
            status: StatusCode::OK,
            method: None,
            path: None,
            arg: None,
            headers: HeaderMap::new(),
            body: Vec::new(),
        };
        if !status_line {
            wire.body = data.to_vec();
            return wire;
        }
        let (head, body) = match find(data, b"\n\n") {
            Some(at) => (&data[..at], &data[at + 2..]),
            None => (data, &[][..]),
        };
        wire.body = body.to_vec();
        let mut lines = head.split(|b| *b == b'\n');
        let first = std::str::from_utf8(lines.next().unwrap_or_default()).unwrap_or_default();
        let mut words = first.split_ascii_whitespace();
        if let Some(code) = words.next().and_then(|w| w.parse::<u16>().ok()) {
            wire.status = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
        }
        wire.method = words
            .next()
            .and_then(|m| Method::from_bytes(m.as_bytes()).ok());
        wire.path = words.next();
        wire.arg = words.next();
        for line in lines {
            let Some(colon) = line.iter().position(|b| *b == b':') else {
                continue;
            };
            let value = line[colon + 1..].trim_ascii();
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(line[..colon].trim_ascii()),
                HeaderValue::from_bytes(value),
            ) {
                wire.headers.append(name, value);
            }
        }
        wire
    }

    /// The request the first line names, else `default`; with the argument as its JSON
    /// body when it is JSON.
    pub(crate) fn request(&self, default: ApiRequest) -> ApiRequest {
        let path = self.path.and_then(|p| ApiPath::from_encoded(p).ok());
        let mut request = match (&self.method, path) {
            (Some(method), Some(path)) => ApiRequest::new(method.clone(), path),
            (Some(method), None) => ApiRequest::new(method.clone(), default.path().clone()),
            _ => default,
        };
        if let Some(body) = self
            .arg
            .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
            && let Ok(with_body) = request.clone().json(&body)
        {
            request = with_body;
        }
        request
    }

    /// The argument as a number.
    pub(crate) fn number(&self) -> Option<u64> {
        self.arg.and_then(|a| a.parse().ok())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Everything a caller reads of an error, read, with the promise of the error's display:
/// what a server wrote is printed without control characters, so that a hostile server
/// cannot forge log lines.
pub(crate) fn check_error(error: &Error) {
    let shown = error.to_string();
    assert!(
        !shown.chars().any(char::is_control),
        "the message of an error holds a control character: {shown:?}"
    );
    let _ = format!("{error:?}");
    let _ = (
        error.kind(),
        error.status(),
        error.vendor_code(),
        error.request_id(),
        error.is_retryable(),
        error.attempts(),
        error.vendor_body::<serde_json::Value>(),
    );
}
