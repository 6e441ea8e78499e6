//! The HTTP transport every vendor client is built on.
//!
//! A [`Transport`] owns one pooled `reqwest::Client`, the base URL, the credentials and the
//! retry policy. Vendor crates describe each call as an [`ApiRequest`] and get back an
//! [`ApiResponse`], or an [`Error`] that already carries the status, the vendor's error
//! code and message (through the vendor's [`ErrorParser`]), the request id and the number of
//! attempts.

mod auth;
pub(crate) mod builder;
pub mod call;
mod hook;
mod options;
mod path;
mod ratelimit;
mod request;
mod response;
mod session;

pub use auth::{Auth, Authenticator, Credentials, Login, basic_value, sensitive_value};
pub use builder::TransportBuilder;
pub use call::{Call, CallOptions};
pub use hook::{Answer, DefaultHook, ResponseAction, ResponseHook};
pub use path::{ApiPath, encode_path_segment};
pub use ratelimit::RateLimit;
pub use request::{ApiRequest, RequestBody};
pub use response::{ApiResponse, ErrorParser, JsonBodyParser, JsonErrorParser, decode_json};
pub use session::{DEFAULT_REFRESH_MARGIN, Session, SessionAuth, SessionProvider, TokenAnswer};

use crate::vendor::Vendor;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::error::{ApiError, Error, ErrorKind, Result, TransportFailure, VendorError, snippet};
use crate::retry::{RetryPolicy, parse_retry_after};

/// Default time allowed to open a TCP + TLS connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for one attempt, from sending to the last byte of the body.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default bound on one operation across all its attempts, retry waits, polls and logon.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);
/// Default limit on the size of a response body: 32 MiB, room for pages of about 20,000
/// QRadar offenses with every field, far below what would strain memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;
/// Error bodies larger than this are not parsed as JSON (a snippet is kept); error answers
/// are read up to [`MAX_ERROR_BODY_BYTES`] only.
pub const MAX_ERROR_BODY_PARSE: usize = 64 * 1024;
/// How much of an error answer's body is read; the rest is discarded.
pub const MAX_ERROR_BODY_BYTES: usize = 1024 * 1024;
/// At most this many polls ([`ResponseAction::Poll`]) for one operation, whatever the deadline.
pub const MAX_POLLS: u32 = 1000;

/// Response headers in which servers commonly send a request id, checked in order.
pub const DEFAULT_REQUEST_ID_HEADERS: &[&str] = &[
    "x-request-id",
    "request-id",
    "x-correlation-id",
    "x-amzn-requestid",
];

/// The shared HTTP machinery of a vendor client. Cheap to clone (`Arc` inside), `Send + Sync`.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    vendor: Vendor,
    http: reqwest::Client,
    base: Url,
    authenticator: Option<Arc<dyn Authenticator>>,
    /// The same transport without authenticator, for the authenticator's own calls.
    bare: Option<Transport>,
    hook: Arc<dyn ResponseHook>,
    rate_limit: Option<Arc<RateLimit>>,
    /// This transport sends the authenticator's own requests (logon, refresh, logoff): they
    /// take the next slot ahead of the queued requests, which may be waiting for them.
    limit_ahead: bool,
    deadline: Duration,
    request_timeout: Duration,
    retry: RetryPolicy,
    headers: HeaderMap,
    error_parser: Arc<dyn ErrorParser>,
    request_id_headers: Vec<HeaderName>,
    max_response_bytes: usize,
    max_items_per_answer: u64,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("vendor", &self.inner.vendor)
            .field("base_url", &self.inner.base.as_str())
            .field("authenticator", &self.inner.authenticator)
            .field("request_timeout", &self.inner.request_timeout)
            .field("deadline", &self.inner.deadline)
            .field("retry", &self.inner.retry)
            .field("rate_limit", &self.inner.rate_limit)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to.
pub(crate) enum Step {
    Done(ApiResponse),
    /// An error that no retry can mend.
    Fail(Error),
    /// An error that may be retried, after `wait` or the policy's backoff; with `restart`,
    /// as the request was first sent, without the headers of earlier polls.
    Retry {
        error: Error,
        wait: Option<Duration>,
        retryable: bool,
        restart: bool,
    },
    /// The credentials were refused.
    Reauthenticate(Error),
    /// Not ready yet: ask again with these headers.
    Poll {
        after: Duration,
        headers: HeaderMap,
        status: StatusCode,
    },
}

impl From<Step> for crate::fuzzing::Outcome {
    fn from(step: Step) -> Self {
        use crate::fuzzing::Outcome;
        match step {
            Step::Done(response) => Outcome::Done(response),
            Step::Fail(error) => Outcome::Fail(error),
            Step::Retry {
                error,
                wait,
                retryable,
                restart,
            } => Outcome::Retry {
                error,
                wait,
                retryable,
                restart,
            },
            Step::Reauthenticate(error) => Outcome::Reauthenticate(error),
            Step::Poll { after, headers, .. } => Outcome::Poll { after, headers },
        }
    }
}

impl Transport {
    fn from_inner(bare: Inner, authenticator: Option<Arc<dyn Authenticator>>) -> Transport {
        match authenticator {
            None => Transport {
                inner: Arc::new(bare),
            },
            Some(auth) => {
                let bare_transport = Transport {
                    inner: Arc::new(Inner {
                        limit_ahead: true,
                        ..bare.clone()
                    }),
                };
                Transport {
                    inner: Arc::new(Inner {
                        authenticator: Some(auth),
                        bare: Some(bare_transport),
                        ..bare
                    }),
                }
            }
        }
    }

    /// The vendor's display name.
    pub fn vendor(&self) -> Vendor {
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

    /// This transport without its authenticator: the same connection pool, TLS settings,
    /// proxy, timeouts, rate limit and error handling, no credentials. The authenticator
    /// makes its logon, refresh and logoff calls through it.
    ///
    /// Its requests count against the shared rate limit, since they reach the same host,
    /// but take the next free slot ahead of the requests queued for one: those may be
    /// waiting for this very logon, and a logon queued behind them would stall them all.
    pub fn unauthenticated(&self) -> &Transport {
        self.inner.bare.as_ref().unwrap_or(self)
    }

    /// A transport for another base URL of the same vendor (ESET's IAM host, Skyhigh's
    /// authentication path), sharing this one's connection pool, TLS settings, proxy and
    /// timeouts, without credentials: they are only ever attached for this transport's own
    /// origin.
    ///
    /// The rate limit follows the host: a base URL on this transport's origin (scheme, host
    /// and port) shares its limiter, and its place in it (ahead of the queue when this is
    /// the [`unauthenticated`](Self::unauthenticated) transport of an authenticator); a base
    /// URL on another origin has none, because a limit that a vendor documents for its API
    /// host says nothing of another service, and requests for a token must not wait behind
    /// the calls that need it.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a base URL that [`TransportBuilder::build`] would refuse.
    pub fn with_base_url(&self, base_url: &str) -> Result<Transport> {
        let base = builder::parse_base_url(base_url)?;
        let same_host = base.origin() == self.inner.base.origin();
        Ok(Transport {
            inner: Arc::new(Inner {
                base,
                authenticator: None,
                bare: None,
                rate_limit: self.inner.rate_limit.clone().filter(|_| same_host),
                limit_ahead: self.inner.limit_ahead && same_host,
                ..(*self.inner).clone()
            }),
        })
    }

    /// Obtains credentials now, as the next request would: a session authenticator logs on
    /// unless it holds a valid session; static credentials need no request. This makes a
    /// wrong password show before any other work, as its own step.
    ///
    /// # Errors
    ///
    /// What the authenticator's logon returns: an [`Error::Api`] (most often
    /// [`ErrorKind::Unauthorized`]) when the server refuses it, or another error of
    /// [`execute`](Self::execute).
    pub async fn authenticate(&self) -> Result<()> {
        match &self.inner.authenticator {
            Some(auth) => auth.credentials(self.unauthenticated()).await.map(|_| ()),
            None => Ok(()),
        }
    }

    /// Ends the authenticator's session, if it has one (a logoff). Static credentials do
    /// nothing. The next request logs on again.
    ///
    /// # Errors
    ///
    /// What the authenticator's logoff returns, as from [`execute`](Self::execute).
    pub async fn sign_out(&self) -> Result<()> {
        match &self.inner.authenticator {
            Some(auth) => auth.sign_out(self.unauthenticated()).await,
            None => Ok(()),
        }
    }

    /// A GET request for a `next` link a server sent, relative or absolute. The link is
    /// always requested on this transport's configured origin: a link to the same origin
    /// below the base path is followed as is; any other link is rebuilt from its path and
    /// query on the configured base, so credentials never go to a host the server names.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a link that is not a URL reference or that holds a `.` or
    /// `..` segment.
    pub fn request_for_link(&self, link: &str) -> Result<ApiRequest> {
        let base = &self.inner.base;
        let url = base
            .join(link.trim())
            .map_err(|e| Error::invalid_input("next link", e.to_string()))?;
        if url.origin() != base.origin() {
            tracing::debug!(
                "a next link names another origin; it is requested on the configured one"
            );
        }
        let base_path = base.path().trim_end_matches('/');
        let path = url.path();
        let below = match path.strip_prefix(base_path) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
            _ => path,
        };
        let mut request = ApiRequest::get(ApiPath::from_encoded(below)?);
        for (name, value) in url.query_pairs() {
            request = request.query(name.into_owned(), value.into_owned());
        }
        Ok(request)
    }

    /// The URL path of `request` as logs and errors show it: secret segments redacted.
    fn shown_path(&self, request: &ApiRequest, url: &Url) -> String {
        if request.path.has_secret() {
            let base_path = self.inner.base.path().trim_end_matches('/');
            format!("{base_path}{}", request.path.shown())
        } else {
            url.path().to_string()
        }
    }

    pub(crate) fn url_for(&self, path: &ApiPath) -> Url {
        let mut url = self.inner.base.clone();
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}{}", path.as_str()));
        url
    }

    /// Sends `request` and returns the success answer or the error: credentials attached,
    /// the rate limit respected (every attempt takes a slot, once its credentials are at
    /// hand), retried as the policy allows, polled and re-authenticated as the vendor's
    /// response hook says, all within the operation deadline. Dropping the future, or the
    /// deadline, while it waits for a slot frees its place for the next caller.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for a non-success status once the retries are spent; [`Error::Timeout`],
    /// [`Error::Transport`], [`Error::Tls`], [`Error::Redirect`], [`Error::BodyTooLarge`];
    /// [`Error::Deadline`] when the whole operation overran; and the authenticator's errors.
    pub async fn execute(&self, request: ApiRequest) -> Result<ApiResponse> {
        let url = self.url_for(&request.path);
        let span = tracing::debug_span!(
            "http_request",
            vendor = self.inner.vendor.name(),
            method = %request.method,
            path = %self.shown_path(&request, &url),
        );
        let deadline = request.deadline.unwrap_or(self.inner.deadline);
        let mut attempts = 0;
        let run = self.execute_inner(&request, &url, deadline, &mut attempts);
        let result = tokio::time::timeout(deadline, run).instrument(span).await;
        match result {
            Ok(result) => result,
            Err(_) => Err(Error::Deadline { deadline, attempts }),
        }
    }

    async fn execute_inner(
        &self,
        request: &ApiRequest,
        url: &Url,
        budget: Duration,
        attempts: &mut u32,
    ) -> Result<ApiResponse> {
        let inner = &*self.inner;
        // A deadline past what an `Instant` can hold is no deadline (`tokio::time::timeout`
        // in `execute` treats it the same way).
        let deadline = Instant::now().checked_add(budget);
        let policy = request.retry.unwrap_or(inner.retry);
        let mut tries = 0u32;
        let mut polls = 0u32;
        let mut reauthenticated = false;
        // The request as this attempt sends it: after a poll, with the headers the vendor's
        // hook asked for (the hook then sees them too).
        let mut current = Cow::Borrowed(request);
        loop {
            *attempts += 1;
            let attempt = *attempts;
            let credentials = self.credentials_and_slot().await?;
            let remaining = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => Duration::MAX,
            };
            let timeout = remaining.min(inner.request_timeout);
            let builder = self.build_request(&current, url, &credentials, timeout);
            tracing::debug!(attempt, "sending");
            let started = Instant::now();
            let step = match builder.send().await {
                Ok(resp) => self.read_response(resp, &current, url, attempt).await,
                Err(e) => self.transport_failure(e, &current, attempt),
            };
            // An attempt cut short by the deadline ends the operation.
            if remaining < inner.request_timeout
                && matches!(
                    &step,
                    Step::Retry {
                        error: Error::Timeout { .. },
                        ..
                    }
                )
            {
                return Err(Error::Deadline {
                    deadline: budget,
                    attempts: attempt,
                });
            }
            let latency_ms = started.elapsed().as_millis() as u64;
            let (error, wait) = match step {
                Step::Done(resp) => {
                    tracing::debug!(
                        attempt,
                        status = resp.status.as_u16(),
                        latency_ms,
                        "answered"
                    );
                    return Ok(resp);
                }
                Step::Fail(e) => {
                    tracing::debug!(attempt, latency_ms, status = ?e.status().map(|s| s.as_u16()), "failed");
                    return Err(e);
                }
                Step::Reauthenticate(e) => {
                    tracing::debug!(attempt, latency_ms, "credentials refused");
                    let replay = match (&inner.authenticator, reauthenticated) {
                        (Some(auth), false) => auth.invalidate(&credentials).await,
                        _ => false,
                    };
                    if !replay {
                        return Err(e);
                    }
                    reauthenticated = true;
                    continue;
                }
                Step::Poll {
                    after,
                    headers,
                    status,
                } => {
                    polls += 1;
                    tracing::debug!(
                        attempt,
                        status = status.as_u16(),
                        latency_ms,
                        polls,
                        "not ready; polling"
                    );
                    if polls > MAX_POLLS || !before(deadline, after) {
                        return Err(Error::Protocol {
                            vendor: inner.vendor,
                            message: format!("the answer was still not ready after {polls} polls"),
                        });
                    }
                    let mut polled = request.clone();
                    polled.headers.extend(headers);
                    current = Cow::Owned(polled);
                    tokio::time::sleep(after).await;
                    continue;
                }
                Step::Retry {
                    error,
                    wait,
                    retryable,
                    restart,
                } => {
                    tracing::debug!(attempt, status = ?error.status().map(|s| s.as_u16()), latency_ms, retryable, restart, "error");
                    tries += 1;
                    if !retryable || tries >= policy.attempts() {
                        return Err(error);
                    }
                    if restart {
                        current = Cow::Borrowed(request);
                    }
                    (error, wait)
                }
            };
            let delay = policy.delay(tries, wait);
            if !before(deadline, delay) {
                tracing::debug!(
                    attempt,
                    delay_ms = delay.as_millis() as u64,
                    "no time left to retry"
                );
                return Err(error);
            }
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// The credentials for the next attempt, and its rate-limit slot once they are at hand.
    ///
    /// The slot comes second so that a request waiting for a logon holds none: otherwise the
    /// slots of every request queued behind a session renewal pass unused, and the requests
    /// all go at once when it ends, far beyond the server's limit. Credentials that go stale
    /// while the request waits for its slot are not sent: the slot is left to the next
    /// caller, new credentials are obtained, and the request queues again.
    async fn credentials_and_slot(&self) -> Result<Credentials> {
        let inner = &*self.inner;
        loop {
            let obtained = match &inner.authenticator {
                Some(auth) => auth.credentials(self.unauthenticated()).await?,
                None => Credentials::none(),
            };
            let Some(limit) = &inner.rate_limit else {
                return Ok(obtained);
            };
            // Credentials the authenticator calls stale as soon as it hands them out are
            // sent as they are (the server decides): checking them again could only loop.
            let auth = inner
                .authenticator
                .as_ref()
                .filter(|auth| auth.revalidate(&obtained).is_some());
            let check = || match auth {
                Some(auth) => auth.revalidate(&obtained),
                None => Some(obtained.clone()),
            };
            match limit.acquire_with(inner.limit_ahead, check).await {
                Some(credentials) => return Ok(credentials),
                None => tracing::debug!("the credentials expired while waiting for a slot"),
            }
        }
    }

    fn transport_failure(&self, e: reqwest::Error, request: &ApiRequest, attempt: u32) -> Step {
        if let Some(reason) = crate::tls::handshake_failure(&e) {
            // A refused certificate is refused again: no retry.
            tracing::debug!(attempt, reason = %reason, "TLS failure");
            return Step::Fail(Error::Tls {
                attempts: attempt,
                reason,
                source: Box::new(e.without_url()),
            });
        }
        // Without its URL: the query may hold filter values, assignees or note text.
        let e = e.without_url();
        let timeout = e.is_timeout();
        tracing::debug!(attempt, timeout, error = %e, "transport failure");
        let error = if timeout {
            Error::Timeout {
                attempts: attempt,
                source: Box::new(e),
            }
        } else {
            let failure = if e.is_connect() {
                TransportFailure::Connect
            } else if e.is_body() || e.is_decode() {
                TransportFailure::Body
            } else if e.is_request() {
                TransportFailure::Request
            } else {
                TransportFailure::Other
            };
            Error::Transport {
                attempts: attempt,
                failure,
                source: Box::new(e),
            }
        };
        Step::Retry {
            error,
            wait: None,
            retryable: request.idempotent,
            restart: false,
        }
    }

    fn build_request(
        &self,
        request: &ApiRequest,
        url: &Url,
        credentials: &Credentials,
        timeout: Duration,
    ) -> reqwest::RequestBuilder {
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
            .timeout(timeout)
            .headers(inner.headers.clone());
        for (name, value) in &request.headers {
            b = b.header(name, value);
        }
        // The URL is always the configured base plus a path: credentials never leave the
        // configured origin (redirects are refused, links are rebuilt on the base).
        b = credentials.apply(b);
        match &request.body {
            None if request.method == Method::POST
                || request.method == Method::PUT
                || request.method == Method::PATCH =>
            {
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
        }
    }

    pub(crate) async fn read_response(
        &self,
        mut resp: reqwest::Response,
        request: &ApiRequest,
        url: &Url,
        attempt: u32,
    ) -> Step {
        let inner = &*self.inner;
        let status = resp.status();
        if status.is_redirection() {
            return Step::Fail(Error::Redirect {
                vendor: inner.vendor,
                status,
                location: resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(|l| location_origin(url, l)),
            });
        }
        let limit = if status.is_success() {
            inner.max_response_bytes
        } else {
            inner.max_response_bytes.min(MAX_ERROR_BODY_BYTES)
        };
        if status.is_success() && resp.content_length().is_some_and(|n| n > limit as u64) {
            return Step::Fail(Error::BodyTooLarge { limit });
        }
        let capacity = resp.content_length().unwrap_or(0).min(limit as u64) as usize;
        let mut body = Vec::with_capacity(capacity);
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        if status.is_success() {
                            return Step::Fail(Error::BodyTooLarge { limit });
                        }
                        // Enough of an error page has been read; the rest is dropped.
                        body.extend_from_slice(&chunk[..limit - body.len()]);
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return self.transport_failure(e, request, attempt),
            }
        }
        let headers = std::mem::take(resp.headers_mut());
        self.classify(request, url, attempt, status, headers, body)
    }

    /// What an answer that arrived whole means: the vendor's hook first, then the default
    /// handling (a 2xx is the answer; anything else an error, retried as the policy says).
    fn classify(
        &self,
        request: &ApiRequest,
        url: &Url,
        attempt: u32,
        status: StatusCode,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Step {
        let inner = &*self.inner;
        let request_id = self.request_id(&headers);
        let action = inner
            .hook
            .inspect(&Answer::new(request, status, &headers, &body));
        let api_error = |parsed: VendorError, body: &[u8]| {
            self.api_error(
                status,
                &headers,
                request,
                url,
                attempt,
                parsed,
                body,
                request_id.clone(),
            )
        };
        let done = match action {
            ResponseAction::Default => status.is_success(),
            // A vendor's "this error status means an empty result"; 429 and 503 are still
            // retried.
            ResponseAction::Accept => !matches!(status.as_u16(), 429 | 503),
            _ => false,
        };
        if done {
            return Step::Done(ApiResponse {
                vendor: inner.vendor,
                path: self.shown_path(request, url),
                status,
                headers,
                body,
                request_id,
                attempts: attempt,
                max_items: inner.max_items_per_answer,
            });
        }
        match action {
            ResponseAction::Fail(parsed) => Step::Fail(Error::Api(api_error(parsed, &body))),
            ResponseAction::Poll { after, headers } => Step::Poll {
                after,
                headers,
                status,
            },
            action => {
                let parsed = if body.len() <= MAX_ERROR_BODY_PARSE {
                    inner.error_parser.parse(status, &headers, &body)
                } else {
                    VendorError::new()
                };
                let error = api_error(parsed, &body);
                let always = matches!(status.as_u16(), 429 | 503);
                match action {
                    ResponseAction::Reauthenticate => Step::Reauthenticate(Error::Api(error)),
                    _ if status == StatusCode::UNAUTHORIZED && inner.authenticator.is_some() => {
                        Step::Reauthenticate(Error::Api(error))
                    }
                    ResponseAction::Retry { after } => Step::Retry {
                        wait: after.or(error.retry_after),
                        error: Error::Api(error),
                        retryable: true,
                        restart: false,
                    },
                    ResponseAction::Restart { after } => Step::Retry {
                        wait: after.or(error.retry_after),
                        error: Error::Api(error),
                        retryable: request.idempotent || always,
                        restart: true,
                    },
                    ResponseAction::NoRetry if !always => Step::Fail(Error::Api(error)),
                    _ => Step::Retry {
                        wait: error.retry_after,
                        retryable: RetryPolicy::should_retry_status(status, request.idempotent),
                        error: Error::Api(error),
                        restart: false,
                    },
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn api_error(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        request: &ApiRequest,
        url: &Url,
        attempt: u32,
        parsed: VendorError,
        body: &[u8],
        request_id: Option<String>,
    ) -> Box<ApiError> {
        let is_json = parsed.body.is_some()
            || (body.len() <= MAX_ERROR_BODY_PARSE
                && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok());
        Box::new(ApiError {
            vendor: self.inner.vendor,
            status,
            // 429 and 503 keep their kind whatever the vendor code says: they are retried
            // and callers must see them as transient.
            kind: match status.as_u16() {
                429 | 503 => ErrorKind::from_status(status),
                _ => parsed
                    .kind
                    .unwrap_or_else(|| ErrorKind::from_status(status)),
            },
            method: request.method.clone(),
            path: self.shown_path(request, url),
            vendor_code: parsed.code,
            message: parsed.message,
            request_id,
            body: parsed.body,
            snippet: (!is_json && !body.is_empty()).then(|| snippet(body)),
            retry_after: parse_retry_after(headers),
            attempts: attempt,
        })
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

/// Whether a wait of `wait` from now ends before `deadline` (`None`: no deadline). A wait
/// too long for an `Instant` (a `Retry-After` of `u64::MAX` seconds under a policy that does
/// not cap it) ends after any deadline rather than overflowing.
fn before(deadline: Option<Instant>, wait: Duration) -> bool {
    match (deadline, Instant::now().checked_add(wait)) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(deadline), Some(end)) => end < deadline,
    }
}

/// The origin (`scheme://host:port`) a `Location` header points at, resolved against the
/// request URL; never its path or query, which may carry secrets.
fn location_origin(url: &Url, location: &str) -> String {
    match url.join(location) {
        Ok(target) => target.origin().ascii_serialization(),
        Err(_) => "an unreadable location".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use http::header::HeaderName;

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
    fn the_rate_limit_follows_the_host() {
        let limited = |url: &str| {
            TransportBuilder::new("Test", url)
                .auth(Auth::Bearer(Secret::from("t")))
                .rate_limit(RateLimit::new(10, Duration::from_secs(1)))
                .build()
                .unwrap()
        };
        let t = limited("https://api.example.com/v1");
        let shared = |other: &Transport| match (&t.inner.rate_limit, &other.inner.rate_limit) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        // The authenticator's own requests share the limit, ahead of the queue.
        let bare = t.unauthenticated();
        assert!(shared(bare) && bare.inner.limit_ahead && !t.inner.limit_ahead);
        // Another path on the same host: the same limit, and the same place in it.
        let auth_path = bare.with_base_url("https://api.example.com/auth").unwrap();
        assert!(shared(&auth_path) && auth_path.inner.limit_ahead);
        let same = t.with_base_url("https://api.example.com/other").unwrap();
        assert!(shared(&same) && !same.inner.limit_ahead);
        // Another host, or another port of the same: not counted.
        for other in [
            "https://iam.example.com",
            "https://api.example.com:8443/v1",
            "http://api.example.com/v1",
        ] {
            let o = bare.with_base_url(other).unwrap();
            assert!(
                o.inner.rate_limit.is_none() && !o.inner.limit_ahead,
                "{other}"
            );
        }
        // Without an authenticator, the transport is its own unauthenticated one and queues.
        let plain = TransportBuilder::new("Test", "https://api.example.com")
            .rate_limit(RateLimit::new(10, Duration::from_secs(1)))
            .build()
            .unwrap();
        assert!(!plain.unauthenticated().inner.limit_ahead);
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
}
