//! The HTTP transport every vendor client is built on.
//!
//! A [`Transport`] owns one pooled `reqwest::Client`, the base URL, the credentials and the
//! retry policy. Vendor crates describe each call as an [`ApiRequest`] and get back an
//! [`ApiResponse`], or an [`Error`] that already carries the status, the vendor's error
//! code and message (through the vendor's [`ErrorParser`]), the request id and the number of
//! attempts.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue,
};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::error::{ApiError, DecodeError, Error, ErrorKind, Result, VendorError, snippet};
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::secret::Secret;

/// Default time allowed to open a TCP + TLS connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole request, from sending to the last byte of the body.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default limit on the size of a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// Response headers in which servers commonly send a request id, checked in order.
pub const DEFAULT_REQUEST_ID_HEADERS: &[&str] = &[
    "x-request-id",
    "request-id",
    "x-correlation-id",
    "x-amzn-requestid",
];

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

/// How requests are authenticated.
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials (tests, or a proxy that adds them).
    None,
    /// A header whose whole value is secret, e.g. QRadar's `SEC: <token>`.
    Header {
        /// The header name.
        name: HeaderName,
        /// The header value.
        value: Secret,
    },
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Header { name, .. } => f
                .debug_struct("Header")
                .field("name", name)
                .field("value", &"[REDACTED]")
                .finish(),
            Auth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"[REDACTED]")
                .finish(),
            Auth::Bearer(_) => f.write_str("Bearer([REDACTED])"),
        }
    }
}

impl Auth {
    fn apply(&self, req: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder> {
        Ok(match self {
            Auth::None => req,
            Auth::Header { name, value } => {
                req.header(name.clone(), sensitive_value(value.expose())?)
            }
            Auth::Basic { username, password } => req.basic_auth(username, Some(password.expose())),
            Auth::Bearer(token) => req.header(
                AUTHORIZATION,
                sensitive_value(&format!("Bearer {}", token.expose()))?,
            ),
        })
    }
}

fn sensitive_value(value: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        // Never echo the value: it is a credential.
        Error::config("the credential contains characters not allowed in an HTTP header")
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// Builds a [`Transport`]. Vendor crates wrap this in their own client builder.
pub struct TransportBuilder {
    vendor: &'static str,
    base_url: String,
    auth: Auth,
    connect_timeout: Duration,
    request_timeout: Duration,
    retry: RetryPolicy,
    root_certs: Vec<reqwest::Certificate>,
    accept_invalid_certs: bool,
    accept_invalid_hostnames: bool,
    built_in_roots: bool,
    proxy: Option<reqwest::Proxy>,
    no_proxy: bool,
    http_client: Option<reqwest::Client>,
    user_agent: String,
    default_headers: HeaderMap,
    error_parser: Arc<dyn ErrorParser>,
    request_id_headers: Vec<HeaderName>,
    max_response_bytes: usize,
    deferred_error: Option<Error>,
}

impl fmt::Debug for TransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportBuilder")
            .field("vendor", &self.vendor)
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("root_certs", &self.root_certs.len())
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("accept_invalid_hostnames", &self.accept_invalid_hostnames)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl TransportBuilder {
    /// Starts a builder for `vendor` (a display name used in errors and logs) at `base_url`.
    /// Every request path is appended to the base URL's path.
    pub fn new(vendor: &'static str, base_url: impl Into<String>) -> Self {
        TransportBuilder {
            vendor,
            base_url: base_url.into(),
            auth: Auth::None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            root_certs: Vec::new(),
            accept_invalid_certs: false,
            accept_invalid_hostnames: false,
            built_in_roots: true,
            proxy: None,
            no_proxy: false,
            http_client: None,
            user_agent: concat!("incident-core/", env!("CARGO_PKG_VERSION")).to_string(),
            default_headers: HeaderMap::new(),
            error_parser: Arc::new(JsonBodyParser),
            request_id_headers: DEFAULT_REQUEST_ID_HEADERS
                .iter()
                .map(|h| HeaderName::from_static(h))
                .collect(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            deferred_error: None,
        }
    }

    /// Sets the credentials.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Time allowed to open a connection (TCP and TLS). Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt, from sending to the last byte of the body. Default 60 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the retry policy ([`RetryPolicy::disabled`] turns retries off).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Trusts the certificate(s) in a PEM document in addition to the system roots; this is
    /// how a self-signed appliance certificate is accepted without turning verification off.
    /// An unreadable PEM is reported by `build`.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
        match reqwest::Certificate::from_pem_bundle(pem) {
            Ok(certs) if !certs.is_empty() => self.root_certs.extend(certs),
            Ok(_) => {
                self.deferred_error
                    .get_or_insert(Error::config("the PEM document holds no certificate"));
            }
            Err(e) => {
                self.deferred_error.get_or_insert(Error::Config {
                    message: "could not read the PEM certificate".into(),
                    source: Some(Box::new(e)),
                });
            }
        }
        self
    }

    /// Trusts only the certificates added with
    /// [`add_root_certificate_pem`](Self::add_root_certificate_pem), not the system roots.
    pub fn tls_built_in_roots(mut self, enabled: bool) -> Self {
        self.built_in_roots = enabled;
        self
    }

    /// **Dangerous**: accepts any certificate, including expired and self-signed ones for any
    /// host. Anyone on the network path can then read and change the traffic, credentials
    /// included. Prefer [`add_root_certificate_pem`](Self::add_root_certificate_pem).
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// **Dangerous**: accepts a trusted certificate whose name does not match the host (the
    /// default QRadar appliance certificate, for instance). With rustls this only applies
    /// together with added root certificates, which then become the only trusted roots.
    pub fn danger_accept_invalid_hostnames(mut self, accept: bool) -> Self {
        self.accept_invalid_hostnames = accept;
        self
    }

    /// Sends every request through this proxy. By default the `HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY` and `NO_PROXY` environment variables are honoured.
    pub fn proxy(mut self, proxy: reqwest::Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Ignores proxy settings from the environment.
    pub fn no_proxy(mut self) -> Self {
        self.no_proxy = true;
        self
    }

    /// Uses a prebuilt `reqwest::Client` (its own TLS, proxy and pool settings) instead of
    /// building one. The TLS, proxy and connect-timeout settings of this builder are then
    /// ignored; the request timeout, retry policy and credentials still apply.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Sets the `User-Agent` product tokens, e.g. `qradar-client/0.1.0`; `incident-core/x.y.z`
    /// is appended.
    pub fn user_agent(mut self, product: impl AsRef<str>) -> Self {
        self.user_agent = format!(
            "{} incident-core/{}",
            product.as_ref(),
            env!("CARGO_PKG_VERSION")
        );
        self
    }

    /// Adds a header sent with every request (e.g. QRadar's `Version`).
    pub fn default_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.default_headers.insert(name, value);
        self
    }

    /// Sets the vendor's error-body parser.
    pub fn error_parser(mut self, parser: impl ErrorParser) -> Self {
        self.error_parser = Arc::new(parser);
        self
    }

    /// Sets the response headers read as the request id, in order of preference.
    pub fn request_id_headers(mut self, names: impl IntoIterator<Item = HeaderName>) -> Self {
        self.request_id_headers = names.into_iter().collect();
        self
    }

    /// Largest response body accepted, in bytes (default 256 MiB). A larger body gives
    /// [`Error::BodyTooLarge`] instead of exhausting memory.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Builds the transport.
    ///
    /// Fails with [`Error::Config`] when the base URL is not an `http`/`https` URL, carries
    /// credentials, a query or a fragment, or when a certificate could not be read.
    pub fn build(self) -> Result<Transport> {
        if let Some(e) = self.deferred_error {
            return Err(e);
        }
        let base = parse_base_url(&self.base_url)?;
        let http = match self.http_client {
            Some(client) => client,
            None => {
                let mut b = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .user_agent(self.user_agent.clone())
                    .tls_danger_accept_invalid_certs(self.accept_invalid_certs);
                if self.accept_invalid_hostnames || !self.built_in_roots {
                    b = b
                        .tls_danger_accept_invalid_hostnames(self.accept_invalid_hostnames)
                        .tls_certs_only(self.root_certs);
                } else {
                    b = b.tls_certs_merge(self.root_certs);
                }
                if self.no_proxy {
                    b = b.no_proxy();
                }
                if let Some(p) = self.proxy {
                    b = b.proxy(p);
                }
                b.build().map_err(|e| Error::Config {
                    message: "could not build the HTTP client".into(),
                    source: Some(Box::new(e)),
                })?
            }
        };
        let mut headers = self.default_headers;
        headers
            .entry(ACCEPT)
            .or_insert(HeaderValue::from_static("application/json"));
        if let Ok(ua) = HeaderValue::from_str(&self.user_agent) {
            headers.insert(reqwest::header::USER_AGENT, ua);
        }
        Ok(Transport {
            inner: Arc::new(Inner {
                vendor: self.vendor,
                http,
                base,
                auth: self.auth,
                request_timeout: self.request_timeout,
                retry: self.retry,
                headers,
                error_parser: self.error_parser,
                request_id_headers: self.request_id_headers,
                max_response_bytes: self.max_response_bytes,
            }),
        })
    }
}

fn parse_base_url(raw: &str) -> Result<Url> {
    let url = Url::parse(raw.trim()).map_err(|e| Error::Config {
        message: format!("invalid base URL {raw:?}"),
        source: Some(Box::new(e)),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(format!(
            "the base URL must be http or https, not {}",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Refused rather than stripped: credentials in a URL end up in logs and errors.
        return Err(Error::config(
            "the base URL must not contain credentials; pass them to the client builder",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(
            "the base URL must not have a query or fragment",
        ));
    }
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(Error::config("the base URL must have a host"));
    }
    Ok(url)
}

/// The shared HTTP machinery of a vendor client. Cheap to clone (`Arc` inside), `Send + Sync`.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    vendor: &'static str,
    http: reqwest::Client,
    base: Url,
    auth: Auth,
    request_timeout: Duration,
    retry: RetryPolicy,
    headers: HeaderMap,
    error_parser: Arc<dyn ErrorParser>,
    request_id_headers: Vec<HeaderName>,
    max_response_bytes: usize,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("vendor", &self.inner.vendor)
            .field("base_url", &self.inner.base.as_str())
            .field("auth", &self.inner.auth)
            .field("request_timeout", &self.inner.request_timeout)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// A URL path below the base URL, built from literal parts and caller-supplied segments.
///
/// Literal parts come from the vendor crate (`"/siem/offenses"`); every caller-supplied value
/// goes through [`ApiPath::segment`], which percent-encodes it as exactly one segment and
/// refuses values that no encoding can keep in place (empty, `.` and `..`), so an id can never
/// change which resource is addressed.
///
/// ```
/// use incident_core::ApiPath;
/// let p = ApiPath::new("/siem/offenses").segment("a/../b?x#y").unwrap().then("notes");
/// assert_eq!(p.as_str(), "/siem/offenses/a%2F..%2Fb%3Fx%23y/notes");
/// assert!(ApiPath::new("/siem/offenses").segment("..").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiPath(String);

impl ApiPath {
    /// Starts from a literal path such as `/siem/offenses` (trusted; not encoded).
    pub fn new(literal: &'static str) -> Self {
        let mut p = ApiPath(String::new());
        p.push_literal(literal);
        p
    }

    /// Appends a literal part (trusted; not encoded).
    pub fn then(mut self, literal: &'static str) -> Self {
        self.push_literal(literal);
        self
    }

    fn push_literal(&mut self, literal: &str) {
        let literal = literal.trim_matches('/');
        if !literal.is_empty() {
            self.0.push('/');
            self.0.push_str(literal);
        }
    }

    /// Appends one caller-supplied segment, percent-encoded.
    pub fn segment(mut self, value: impl fmt::Display) -> Result<Self> {
        let value = value.to_string();
        self.0.push('/');
        self.0.push_str(&encode_path_segment(&value)?);
        Ok(self)
    }

    /// The encoded path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Percent-encodes `value` as exactly one URL path segment: everything but the RFC 3986
/// unreserved characters is encoded. Empty values, `.` and `..` are refused (URL parsers
/// resolve them, and their encoded forms, as relative paths).
pub fn encode_path_segment(value: &str) -> Result<String> {
    if value.is_empty() {
        return Err(Error::invalid_input(
            "path segment",
            "an id must not be empty",
        ));
    }
    if value == "." || value == ".." {
        return Err(Error::invalid_input(
            "path segment",
            format!("{value:?} would address another resource"),
        ));
    }
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// A body to send.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RequestBody {
    /// A JSON document (`Content-Type: application/json`).
    Json(Vec<u8>),
    /// A form (`Content-Type: application/x-www-form-urlencoded`), already encoded.
    Form(String),
}

/// One API call, described independently of the HTTP client.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    method: Method,
    path: ApiPath,
    query: Vec<(Cow<'static, str>, String)>,
    headers: HeaderMap,
    body: Option<RequestBody>,
    idempotent: bool,
    retry: Option<RetryPolicy>,
}

impl ApiRequest {
    /// A request with `method` to `path`. GET, HEAD, PUT, DELETE and OPTIONS count as
    /// idempotent; POST and PATCH do not unless [`idempotent`](Self::idempotent) says so.
    pub fn new(method: Method, path: ApiPath) -> Self {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        ApiRequest {
            method,
            path,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: None,
            idempotent,
            retry: None,
        }
    }

    /// A GET request.
    pub fn get(path: ApiPath) -> Self {
        Self::new(Method::GET, path)
    }

    /// A POST request.
    pub fn post(path: ApiPath) -> Self {
        Self::new(Method::POST, path)
    }

    /// Adds a query parameter (encoded when sent).
    pub fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((Cow::Borrowed(name), value.into()));
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn query_opt<V: Into<String>>(self, name: &'static str, value: Option<V>) -> Self {
        match value {
            Some(v) => self.query(name, v),
            None => self,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Sends `body` serialized as JSON.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::invalid_input("request body", e.to_string()))?;
        self.body = Some(RequestBody::Json(bytes));
        Ok(self)
    }

    /// Sends an already encoded form body.
    pub fn form(mut self, encoded: String) -> Self {
        self.body = Some(RequestBody::Form(encoded));
        self
    }

    /// Declares whether sending the request twice has the same effect as sending it once,
    /// which allows retrying it after a 5xx or a connection failure.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Uses this retry policy for this request instead of the client's.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path below the base URL.
    pub fn path(&self) -> &ApiPath {
        &self.path
    }

    /// The query parameters.
    pub fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
    }

    /// Whether the request may be retried after a 5xx or a connection failure.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }
}

/// A success answer: status, headers and the whole body.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    vendor: &'static str,
    path: String,
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
    request_id: Option<String>,
    attempts: u32,
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

impl Transport {
    /// The vendor's display name.
    pub fn vendor(&self) -> &'static str {
        self.inner.vendor
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The client's retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    fn url_for(&self, path: &ApiPath) -> Url {
        let mut url = self.inner.base.clone();
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}{}", path.as_str()));
        url
    }

    /// Sends `request`, retrying as the policy allows, and returns the success answer or
    /// the error.
    pub async fn execute(&self, request: ApiRequest) -> Result<ApiResponse> {
        let url = self.url_for(&request.path);
        let span = tracing::debug_span!(
            "http_request",
            vendor = self.inner.vendor,
            method = %request.method,
            path = %url.path(),
        );
        self.execute_inner(request, url).instrument(span).await
    }

    async fn execute_inner(&self, request: ApiRequest, url: Url) -> Result<ApiResponse> {
        let inner = &*self.inner;
        let policy = request.retry.unwrap_or(inner.retry);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let builder = self.build_request(&request, &url)?;
            tracing::debug!(attempt, "sending");
            let outcome = match builder.send().await {
                Ok(resp) => self.read_response(resp, &request, &url, attempt).await,
                Err(e) => Err(Failure::Transport(e)),
            };
            let (retryable, wait, error) = match outcome {
                Ok(resp) => {
                    tracing::debug!(attempt, status = resp.status.as_u16(), "answered");
                    return Ok(resp);
                }
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Api(api)) => {
                    let retryable =
                        RetryPolicy::should_retry_status(api.status, request.idempotent);
                    let wait = api.retry_after;
                    tracing::debug!(
                        attempt,
                        status = api.status.as_u16(),
                        retryable,
                        "error status"
                    );
                    (retryable, wait, Error::Api(api))
                }
                Err(Failure::Transport(e)) => {
                    let timeout = e.is_timeout();
                    tracing::debug!(attempt, timeout, error = %e, "transport failure");
                    let e = e.without_url();
                    let error = if timeout {
                        Error::Timeout {
                            attempts: attempt,
                            source: e,
                        }
                    } else {
                        Error::Transport {
                            attempts: attempt,
                            source: e,
                        }
                    };
                    (request.idempotent, None, error)
                }
            };
            if !retryable || attempt >= policy.attempts() {
                return Err(error);
            }
            let delay = policy.delay(attempt, wait);
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    fn build_request(&self, request: &ApiRequest, url: &Url) -> Result<reqwest::RequestBuilder> {
        let inner = &*self.inner;
        let mut target = url.clone();
        if !request.query.is_empty() {
            target
                .query_pairs_mut()
                .extend_pairs(request.query.iter().map(|(k, v)| (k.as_ref(), v.as_str())));
        }
        let mut b = inner
            .http
            .request(request.method.clone(), target)
            .timeout(inner.request_timeout)
            .headers(inner.headers.clone());
        for (name, value) in &request.headers {
            b = b.header(name, value);
        }
        b = inner.auth.apply(b)?;
        b = match &request.body {
            None if request.method == Method::POST || request.method == Method::PUT => {
                b.header(CONTENT_LENGTH, HeaderValue::from_static("0"))
            }
            None => b,
            Some(RequestBody::Json(bytes)) => b
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(bytes.clone()),
            Some(RequestBody::Form(text)) => b
                .header(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                )
                .body(text.clone()),
        };
        Ok(b)
    }

    async fn read_response(
        &self,
        mut resp: reqwest::Response,
        request: &ApiRequest,
        url: &Url,
        attempt: u32,
    ) -> std::result::Result<ApiResponse, Failure> {
        let inner = &*self.inner;
        let status = resp.status();
        let limit = inner.max_response_bytes;
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Failure::Final(Error::BodyTooLarge { limit }));
        }
        let mut body = Vec::with_capacity(resp.content_length().unwrap_or(0) as usize);
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(Failure::Final(Error::BodyTooLarge { limit }));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(Failure::Transport(e)),
            }
        }
        let headers = std::mem::take(resp.headers_mut());
        let request_id = self.request_id(&headers);
        if status.is_success() {
            return Ok(ApiResponse {
                vendor: inner.vendor,
                path: url.path().to_string(),
                status,
                headers,
                body,
                request_id,
                attempts: attempt,
            });
        }
        let parsed = inner.error_parser.parse(status, &headers, &body);
        let is_json =
            parsed.body.is_some() || serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok();
        Err(Failure::Api(Box::new(ApiError {
            vendor: inner.vendor,
            status,
            kind: parsed
                .kind
                .unwrap_or_else(|| ErrorKind::from_status(status)),
            method: request.method.clone(),
            path: url.path().to_string(),
            vendor_code: parsed.code,
            message: parsed.message,
            request_id,
            body: parsed.body,
            snippet: (!is_json && !body.is_empty()).then(|| snippet(&body)),
            retry_after: parse_retry_after(&headers),
            attempts: attempt,
        })))
    }

    fn request_id(&self, headers: &HeaderMap) -> Option<String> {
        self.inner
            .request_id_headers
            .iter()
            .find_map(|h| headers.get(h))
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(128).collect())
    }
}

enum Failure {
    Api(Box<ApiError>),
    Transport(reqwest::Error),
    Final(Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_as_one() {
        assert_eq!(encode_path_segment("42").unwrap(), "42");
        assert_eq!(encode_path_segment("a b+c&d%").unwrap(), "a%20b%2Bc%26d%25");
        assert_eq!(encode_path_segment("../admin").unwrap(), "..%2Fadmin");
        assert_eq!(encode_path_segment("...").unwrap(), "...");
        assert_eq!(encode_path_segment("é").unwrap(), "%C3%A9");
        assert!(encode_path_segment("").is_err());
        assert!(encode_path_segment(".").is_err());
        assert!(matches!(
            encode_path_segment(".."),
            Err(Error::InvalidInput { .. })
        ));
    }

    #[test]
    fn base_url_rules() {
        assert!(parse_base_url("https://qradar.example.com").is_ok());
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("not a url").is_err());
        let e = parse_base_url("https://admin:pw@host/")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("pw"), "{e}");
        assert!(parse_base_url("https://host/?a=b").is_err());
    }

    #[test]
    fn url_joins_base_path() {
        let t = TransportBuilder::new("Test", "https://host/api/")
            .build()
            .unwrap();
        let u = t.url_for(&ApiPath::new("/siem/offenses").segment("a/b").unwrap());
        assert_eq!(u.as_str(), "https://host/api/siem/offenses/a%2Fb");
        let t = TransportBuilder::new("Test", "https://host")
            .build()
            .unwrap();
        assert_eq!(t.url_for(&ApiPath::new("x")).as_str(), "https://host/x");
    }

    #[test]
    fn debug_hides_credentials() {
        let auth = Auth::Basic {
            username: "u".into(),
            password: Secret::from("pw-123"),
        };
        let b = TransportBuilder::new("Test", "https://host").auth(auth.clone());
        assert!(!format!("{b:?}").contains("pw-123"));
        let t = b.build().unwrap();
        assert!(!format!("{t:?}").contains("pw-123"));
        let h = Auth::Header {
            name: HeaderName::from_static("sec"),
            value: Secret::from("tok-9"),
        };
        assert!(!format!("{h:?}").contains("tok-9"));
        assert!(!format!("{:?}", Auth::Bearer(Secret::from("tok-9"))).contains("tok-9"));
    }

    #[test]
    fn bad_pem_is_a_config_error() {
        let e = TransportBuilder::new("Test", "https://host")
            .add_root_certificate_pem(b"not a pem")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e:?}");
    }
}
