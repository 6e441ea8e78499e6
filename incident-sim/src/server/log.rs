//! The log of every request received.

use std::collections::VecDeque;

use axum::http::request::Parts;

/// Most requests the request log keeps ([`SimServer::requests`](super::SimServer::requests));
/// older ones are forgotten first.
pub const REQUEST_LOG_CAPACITY: usize = 10_000;

/// Most bytes (bodies, headers, paths and queries) the request log keeps;
/// older requests are forgotten first. The newest request is always kept.
pub const REQUEST_LOG_BYTES: usize = 64 * 1024 * 1024;

/// A request as received, for assertions on what a client sent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path as sent on the wire (still percent-encoded), e.g. `/api/siem/offenses`.
    pub path: String,
    /// Raw query string without the `?`, if any.
    pub query: Option<String>,
    /// All headers in arrival order, names lower-case, values decoded
    /// lossily as UTF-8.
    pub headers: Vec<(String, String)>,
    /// The body as received (empty for a request without one, and for a
    /// body over [`MAX_REQUEST_BODY`](super::MAX_REQUEST_BODY), which is
    /// answered 413).
    pub body: Vec<u8>,
}

impl RecordedRequest {
    pub(crate) fn new(parts: &Parts, body: &[u8]) -> Self {
        RecordedRequest {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.to_vec(),
        }
    }

    /// First value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text, if it is valid UTF-8.
    pub fn body_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// Bytes this record holds, as counted against [`REQUEST_LOG_BYTES`].
    fn weight(&self) -> usize {
        self.method.len()
            + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
            + self.body.len()
    }
}

/// The most recent requests, oldest first, bounded by
/// [`REQUEST_LOG_CAPACITY`] entries and [`REQUEST_LOG_BYTES`] bytes.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: VecDeque<RecordedRequest>,
    bytes: usize,
}

impl RequestLog {
    pub(crate) fn push(&mut self, request: RecordedRequest) {
        self.bytes += request.weight();
        self.entries.push_back(request);
        while self.entries.len() > REQUEST_LOG_CAPACITY
            || (self.bytes > REQUEST_LOG_BYTES && self.entries.len() > 1)
        {
            match self.entries.pop_front() {
                Some(old) => self.bytes -= old.weight(),
                None => break,
            }
        }
    }

    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        self.entries.iter().cloned().collect()
    }

    pub(crate) fn last(&self) -> Option<RecordedRequest> {
        self.entries.back().cloned()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(path: &str, body_len: usize) -> RecordedRequest {
        RecordedRequest {
            method: "GET".into(),
            path: path.into(),
            query: None,
            headers: Vec::new(),
            body: vec![b'x'; body_len],
        }
    }

    #[test]
    fn bounded_by_count_and_bytes() {
        let mut log = RequestLog::default();
        for i in 0..REQUEST_LOG_CAPACITY + 5 {
            log.push(rec(&format!("/{i}"), 0));
        }
        let all = log.all();
        assert_eq!(all.len(), REQUEST_LOG_CAPACITY);
        assert_eq!(all[0].path, "/5");
        assert_eq!(
            log.last().map(|r| r.path),
            Some(format!("/{}", REQUEST_LOG_CAPACITY + 4))
        );

        log.clear();
        assert!(log.all().is_empty() && log.last().is_none());
        let big = REQUEST_LOG_BYTES / 2;
        log.push(rec("/a", big));
        log.push(rec("/b", big));
        assert_eq!(log.all().len(), 1, "over the byte budget");
        assert_eq!(log.last().map(|r| r.path), Some("/b".to_owned()));
        log.push(rec("/huge", REQUEST_LOG_BYTES + 1));
        assert_eq!(log.all().len(), 1, "the newest is kept");
        assert_eq!(log.bytes, REQUEST_LOG_BYTES + 1 + 3 + 5);
    }
}
