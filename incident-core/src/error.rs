//! The one error type of every crate in the workspace.

use crate::vendor::Vendor;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

/// An error of a dependency, kept for its message and its `source()` chain without making its
/// type part of this API (so that upgrading the HTTP client changes no public signature).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What part of an exchange failed, for an [`Error::Transport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportFailure {
    /// No connection could be made (DNS, refused, unreachable, reset during the handshake).
    Connect,
    /// The request could not be sent on the connection.
    Request,
    /// The answer's body could not be read to its end (connection closed, reset).
    Body,
    /// Anything else the HTTP client reports.
    Other,
}

impl std::fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportFailure::Connect => "connect",
            TransportFailure::Request => "request",
            TransportFailure::Body => "body",
            TransportFailure::Other => "other",
        })
    }
}

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How many characters of a non-JSON error body are kept in an error.
pub const SNIPPET_LIMIT: usize = 512;

/// Everything that can go wrong when talking to a vendor API.
///
/// Match on the variant for the broad class, or use the accessors ([`Error::status`],
/// [`Error::kind`], [`Error::vendor_code`], [`Error::request_id`], [`Error::is_retryable`],
/// [`Error::attempts`]) which work across variants. No variant ever holds a secret: auth
/// headers are not kept, and URLs with credentials are refused when a client is built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a non-success HTTP status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The server answered with success, but the body is not what the API documents
    /// (malformed or truncated JSON, an HTML page, a missing required field).
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// No complete answer arrived within the configured timeout.
    #[error("request timed out after {attempts} attempt(s)")]
    Timeout {
        /// How many attempts were made.
        attempts: u32,
        /// The underlying error, from the HTTP client (its `Display` and `source()` chain;
        /// its type is not part of this API).
        #[source]
        source: BoxError,
    },
    /// The request could not be sent or the answer could not be read (DNS, connection refused,
    /// connection reset, also during the TLS handshake). A refused certificate is
    /// [`Error::Tls`] instead.
    #[error("transport error after {attempts} attempt(s): {source}")]
    Transport {
        /// How many attempts were made.
        attempts: u32,
        /// What failed.
        failure: TransportFailure,
        /// The underlying error, from the HTTP client (its `Display` and `source()` chain;
        /// its type is not part of this API).
        #[source]
        source: BoxError,
    },
    /// The operation did not finish within its deadline (all attempts, retry waits, polls
    /// and logon together).
    #[error("no answer within the deadline of {deadline:?} ({attempts} attempt(s))")]
    Deadline {
        /// The deadline.
        deadline: Duration,
        /// How many attempts were started.
        attempts: u32,
    },
    /// The server answered with a redirect. No vendor API here redirects, and following one
    /// would send credentials (and replay updates) elsewhere, so redirects are refused.
    #[error("{vendor} answered {status} with a redirect to {}; redirects are not followed", location.as_deref().unwrap_or("no location"))]
    Redirect {
        /// The vendor's name.
        vendor: Vendor,
        /// The 3xx status.
        status: StatusCode,
        /// The origin (`scheme://host:port`) the redirect pointed at; never its path or query.
        location: Option<String>,
    },
    /// The TLS handshake failed for a reason that trying again cannot fix, most often because
    /// the server's certificate is not trusted (unknown issuer, expired, issued for another
    /// host name). Not retried. A connection broken during the handshake is a
    /// [`Error::Transport`] instead.
    #[error("TLS handshake failed: {reason}")]
    Tls {
        /// How many attempts were made (earlier ones failed otherwise, e.g. connection reset).
        attempts: u32,
        /// Why, e.g. "the server's certificate is not trusted (...)".
        reason: String,
        /// The underlying error, from the TLS stack (its `Display` and `source()` chain; its
        /// type is not part of this API).
        #[source]
        source: BoxError,
    },
    /// The response body was larger than the configured limit.
    #[error("response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// A value given by the caller was refused before any request was sent (an id that would
    /// change the URL path, a value outside the documented range).
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// What was invalid, e.g. `"path segment"`.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The vendor cannot express the requested change or query through its API.
    #[error("{vendor} does not support {what}")]
    Unsupported {
        /// The vendor's name.
        vendor: Vendor,
        /// What was asked for.
        what: String,
    },
    /// The vendor has no such resource, as found by the client rather than answered with a
    /// 404: the object is missing from a listing the vendor offers in place of a read by id
    /// (CyberArk PTA documents no `GET` of one security event, Skyhigh none of one incident). [`Error::kind`] is
    /// [`ErrorKind::NotFound`] and [`Error::is_not_found`] is true, as for a 404.
    #[error("{vendor} has no {what}")]
    NotFound {
        /// The vendor's name.
        vendor: Vendor,
        /// What was looked for, e.g. `security event "5f0b..."`.
        what: String,
    },
    /// The server's answers contradict the documented protocol (a page cursor that does not
    /// advance, a `Content-Range` that does not match the items).
    #[error("{vendor} broke the protocol: {message}")]
    Protocol {
        /// The vendor's name.
        vendor: Vendor,
        /// What was wrong.
        message: String,
    },
    /// A limit the client keeps against runaway servers was reached: more pages in one walk
    /// than its ceiling, more records in one unpaged answer than allowed. Nothing past the
    /// limit was delivered; raise the limit named in `what` if the server is right.
    #[error("{vendor}: more than {limit} {what}")]
    LimitExceeded {
        /// The vendor's name.
        vendor: Vendor,
        /// What was counted, and how to raise the limit.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// A variable of the environment is missing or cannot be used, when a client is
    /// configured from the environment (`from_env`). The error names the variable, never a
    /// secret's value.
    #[error(transparent)]
    Env(Box<crate::env::EnvError>),
    /// The client configuration is invalid (bad base URL, unreadable certificate).
    #[error("invalid configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

/// The broad class of an API error, derived from the HTTP status and refined by the vendor's
/// own error code where the vendor crate knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400 or 422: the request was refused as invalid.
    InvalidRequest,
    /// 401: missing or wrong credentials.
    Unauthorized,
    /// 403: authenticated, but not allowed.
    Forbidden,
    /// 404: no such resource.
    NotFound,
    /// 409: the resource's state does not allow the change.
    Conflict,
    /// 429: rate limited.
    RateLimited,
    /// 503: temporarily unavailable.
    Unavailable,
    /// Another 5xx.
    Server,
    /// Any other status.
    Other,
}

impl ErrorKind {
    /// The kind a status implies when the vendor says nothing more specific.
    pub fn from_status(status: StatusCode) -> ErrorKind {
        match status.as_u16() {
            400 | 422 => ErrorKind::InvalidRequest,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            503 => ErrorKind::Unavailable,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Other,
        }
    }
}

/// What a vendor crate reads out of an error response body.
///
/// Produced by an [`ErrorParser`](crate::transport::ErrorParser); every field is optional
/// because error bodies are often not what the documentation promises.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
#[must_use = "what was read from an error body is lost unless it is returned"]
pub struct VendorError {
    /// The vendor's own error code, e.g. QRadar's `1002`.
    pub code: Option<String>,
    /// The vendor's message.
    pub message: Option<String>,
    /// A more specific kind than the status gives, when the code says so.
    pub kind: Option<ErrorKind>,
    /// The whole JSON body, for vendor crates to decode into their typed error body.
    pub body: Option<serde_json::Value>,
}

impl VendorError {
    /// An empty value: nothing was recognised.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the vendor code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets the vendor message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Sets a more specific kind.
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Keeps the JSON body.
    pub fn with_body(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// A non-success HTTP answer, with everything the vendor said about it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The vendor's name, e.g. `"QRadar"`.
    pub vendor: Vendor,
    /// The HTTP status.
    pub status: StatusCode,
    /// The broad class (status refined by the vendor code).
    pub kind: ErrorKind,
    /// The HTTP method of the request.
    pub method: http::Method,
    /// The URL path of the request (no query string, no credentials).
    pub path: String,
    /// The vendor's error code.
    pub vendor_code: Option<String>,
    /// The vendor's message.
    pub message: Option<String>,
    /// The request id the server sent in a response header, if any.
    pub request_id: Option<String>,
    /// The JSON error body, when the body was JSON.
    pub body: Option<serde_json::Value>,
    /// A bounded, printable snippet of the body when it was not JSON (HTML error pages).
    pub snippet: Option<String>,
    /// The wait the server asked for in `Retry-After`, if any.
    pub retry_after: Option<Duration>,
    /// How many attempts were made before giving up.
    pub attempts: u32,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} answered {} to {} {}",
            self.vendor, self.status, self.method, self.path
        )?;
        // What the server wrote is printed without control characters (CR/LF, terminal
        // escapes) and bounded, so that a hostile server cannot forge log lines.
        if let Some(code) = &self.vendor_code {
            write!(f, " (code {})", printable(code, 64))?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {}", printable(message, MESSAGE_LIMIT))?;
        }
        if let Some(snippet) = &self.snippet {
            write!(f, ": body {snippet:?}")?;
        }
        if let Some(id) = &self.request_id {
            // A header value may hold tabs.
            write!(f, " [request id {}]", printable(id, 128))?;
        }
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A success answer whose body could not be decoded.
#[derive(Debug)]
#[non_exhaustive]
pub struct DecodeError {
    /// The vendor's name.
    pub vendor: Vendor,
    /// The HTTP status of the answer.
    pub status: StatusCode,
    /// The URL path of the request.
    pub path: String,
    /// Where in the JSON document decoding failed, e.g. `[3].rules[0].id` (`.` for the root).
    pub json_path: String,
    /// The `Content-Type` of the answer.
    pub content_type: Option<String>,
    /// A bounded, printable snippet of the body.
    pub snippet: String,
    /// The request id the server sent, if any.
    pub request_id: Option<String>,
    /// The serde error.
    pub source: serde_json::Error,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The JSON path is made of the answer's member names, and the serde error may quote
        // them too: like everything else the server wrote, they are printed without control
        // characters and bounded, so that a hostile server cannot forge log lines.
        write!(
            f,
            "could not decode the {} answer ({}) to {} at `{}`: {}",
            self.vendor,
            self.status,
            self.path,
            printable(&self.json_path, PATH_LIMIT),
            printable(&self.source.to_string(), MESSAGE_LIMIT)
        )?;
        if let Some(ct) = &self.content_type {
            write!(f, "; content-type {}", printable(ct, 128))?;
        }
        write!(f, "; body starts {:?}", self.snippet)
    }
}

/// How many characters of the JSON path of a decoding failure its message shows.
const PATH_LIMIT: usize = 256;

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl Error {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            _ => None,
        }
    }

    /// The broad class of an API error (and [`ErrorKind::NotFound`] for
    /// [`Error::NotFound`]); `None` for other errors that are not HTTP answers.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            Error::Api(e) => Some(e.kind),
            Error::NotFound { .. } => Some(ErrorKind::NotFound),
            _ => None,
        }
    }

    /// The vendor's error code, when the error body carried one.
    pub fn vendor_code(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.vendor_code.as_deref(),
            _ => None,
        }
    }

    /// The vendor's error message, when the error body carried one.
    pub fn vendor_message(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.message.as_deref(),
            _ => None,
        }
    }

    /// The request id the server sent with its answer.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::Decode(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// The API error, when the server answered with an error status.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The vendor's JSON error body decoded into the vendor crate's typed body `T`, when
    /// the server sent a JSON error body of that shape.
    pub fn vendor_body<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        self.api_error()?
            .body
            .as_ref()
            .and_then(|b| T::deserialize(b).ok())
    }

    /// How many attempts were made; 0 when no request was sent.
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Api(e) => e.attempts,
            Error::Timeout { attempts, .. }
            | Error::Transport { attempts, .. }
            | Error::Deadline { attempts, .. }
            | Error::Tls { attempts, .. } => *attempts,
            Error::Decode(_) | Error::BodyTooLarge { .. } => 1,
            _ => 0,
        }
    }

    /// True for "no such resource" (HTTP 404, a vendor code that means it, or
    /// [`Error::NotFound`]).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. }) || self.kind() == Some(ErrorKind::NotFound)
    }

    /// True for a timeout of one attempt or of the whole operation.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. } | Error::Deadline { .. })
    }

    /// True for [`Error::Unsupported`].
    pub fn is_unsupported(&self) -> bool {
        matches!(self, Error::Unsupported { .. })
    }

    /// Whether trying the same request again later may succeed: rate limiting, 5xx,
    /// timeouts and connection failures. (The transport already retried as configured; this
    /// tells a caller whether a retry at a higher level makes sense.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => matches!(
                e.kind,
                ErrorKind::RateLimited | ErrorKind::Unavailable | ErrorKind::Server
            ),
            Error::Timeout { .. } | Error::Transport { .. } => true,
            _ => false,
        }
    }

    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid_input(what: &'static str, reason: impl Into<String>) -> Error {
        Error::InvalidInput {
            what,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::NotFound`].
    pub fn not_found(vendor: impl Into<Vendor>, what: impl Into<String>) -> Error {
        Error::NotFound {
            vendor: vendor.into(),
            what: what.into(),
        }
    }

    /// Shorthand for [`Error::Protocol`]: the server broke the documented protocol.
    pub fn protocol(vendor: impl Into<Vendor>, message: impl Into<String>) -> Error {
        Error::Protocol {
            vendor: vendor.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Unsupported`].
    pub fn unsupported(vendor: impl Into<Vendor>, what: impl Into<String>) -> Error {
        Error::Unsupported {
            vendor: vendor.into(),
            what: what.into(),
        }
    }

    /// Shorthand for [`Error::Config`] without a source.
    pub fn config(message: impl Into<String>) -> Error {
        Error::Config {
            message: message.into(),
            source: None,
        }
    }
}

/// How many characters of a vendor's error message [`ApiError`]'s `Display` prints.
pub const MESSAGE_LIMIT: usize = 1024;

/// `text` with every control character (CR, LF, ESC...) replaced by a space, cut to `limit`
/// characters (an ellipsis marks the cut): safe to print in a terminal or a log line.
pub fn printable(text: &str, limit: usize) -> String {
    let mut out = String::with_capacity(text.len().min(limit + 3));
    for (i, c) in text.chars().enumerate() {
        if i == limit {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// A printable, bounded prefix of a body: at most [`SNIPPET_LIMIT`] characters, control
/// characters replaced, cut on a character boundary.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(SNIPPET_LIMIT * 4)]);
    let mut out = String::with_capacity(SNIPPET_LIMIT.min(text.len()));
    for (i, c) in text.chars().enumerate() {
        if i == SNIPPET_LIMIT {
            out.push('…');
            break;
        }
        out.push(if c.is_control() && c != '\n' { ' ' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing (the page targets): the JSON path of a decoding failure is made of
    /// the answer's member names, which a hostile server chooses, control characters
    /// included.
    #[test]
    fn a_decode_error_prints_what_the_server_wrote_without_control_characters() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Page {
            items: std::collections::BTreeMap<String, u8>,
        }
        let body = br#"{"items":{"a\r\nFAKE LOG LINE\u001b[31m":"x"}}"#;
        let (json_path, source) = crate::transport::decode_json::<Page>(body).unwrap_err();
        assert!(json_path.contains('\n'), "{json_path:?}");
        let e = DecodeError {
            vendor: "T".into(),
            status: StatusCode::OK,
            path: "/x".into(),
            json_path: format!("{json_path}{}", "k".repeat(5000)),
            content_type: Some("application/json\tx".into()),
            snippet: snippet(body),
            request_id: None,
            source,
        };
        let text = e.to_string();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.contains("a  FAKE LOG LINE [31m"), "{text}");
        assert!(text.chars().count() < 2000, "{}", text.len());
    }

    #[test]
    fn not_found_without_an_answer() {
        let e = Error::not_found("Charlie", "incident \"DLP-7\"");
        assert!(e.is_not_found());
        assert_eq!(e.to_string(), "Charlie has no incident \"DLP-7\"");
        assert_eq!(e.attempts(), 0);
        assert_eq!(e.status(), None);
        assert!(!e.is_retryable());
        assert!(!Error::unsupported("Charlie", "x").is_not_found());
    }

    #[test]
    fn snippet_is_bounded_and_printable() {
        let body = format!("<html>\u{7}{}</html>", "x".repeat(5000));
        let s = snippet(body.as_bytes());
        assert_eq!(s.chars().count(), SNIPPET_LIMIT + 1);
        assert!(s.starts_with("<html> x"));
        assert!(s.ends_with('…'));
        // A multi-byte character at the cut does not panic.
        let s = snippet("é".repeat(3000).as_bytes());
        assert!(s.starts_with("éé"));
    }

    #[test]
    fn printable_strips_controls_and_bounds() {
        assert_eq!(printable("a\r\nb\u{1b}[31mc", 100), "a  b [31mc");
        assert_eq!(printable("abcdef", 3), "abc…");
        let e = ApiError {
            vendor: "T".into(),
            status: StatusCode::BAD_REQUEST,
            kind: ErrorKind::InvalidRequest,
            method: http::Method::GET,
            path: "/x".into(),
            vendor_code: Some("1\n2".into()),
            message: Some(format!("bad\r\nFAKE LOG LINE{}", "x".repeat(5000))),
            request_id: None,
            body: None,
            snippet: None,
            retry_after: None,
            attempts: 1,
        };
        let text = e.to_string();
        assert!(!text.contains(['\r', '\n']), "{text}");
        assert!(text.chars().count() < MESSAGE_LIMIT + 100, "{}", text.len());
    }

    #[test]
    fn a_request_id_is_printed_without_control_characters() {
        let e = ApiError {
            vendor: "T".into(),
            status: StatusCode::ACCEPTED,
            kind: ErrorKind::Other,
            method: http::Method::GET,
            path: "/x".into(),
            vendor_code: None,
            message: None,
            request_id: Some("req\t1\t{".into()),
            body: None,
            snippet: None,
            retry_after: None,
            attempts: 1,
        };
        let text = e.to_string();
        assert!(text.ends_with("[request id req 1 {]"), "{text:?}");
        // The id itself is kept as the server sent it, to quote to the vendor.
        assert_eq!(e.request_id.as_deref(), Some("req\t1\t{"));
    }

    #[test]
    fn a_resource_missing_from_a_listing_is_not_found() {
        let e = Error::not_found("Bravo", "security event \"5f0b\"");
        assert!(e.is_not_found());
        assert_eq!(e.kind(), Some(ErrorKind::NotFound));
        assert_eq!(e.status(), None);
        assert_eq!(e.attempts(), 0);
        assert!(!e.is_retryable());
        assert_eq!(e.to_string(), "Bravo has no security event \"5f0b\"");
    }

    #[test]
    fn kind_from_status() {
        assert_eq!(
            ErrorKind::from_status(StatusCode::NOT_FOUND),
            ErrorKind::NotFound
        );
        assert_eq!(
            ErrorKind::from_status(StatusCode::UNPROCESSABLE_ENTITY),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            ErrorKind::from_status(StatusCode::TOO_MANY_REQUESTS),
            ErrorKind::RateLimited
        );
        assert_eq!(
            ErrorKind::from_status(StatusCode::BAD_GATEWAY),
            ErrorKind::Server
        );
        assert_eq!(
            ErrorKind::from_status(StatusCode::IM_A_TEAPOT),
            ErrorKind::Other
        );
    }
}
