//! The HTTP transport every vendor client is built on.
//!
//! A [`Transport`] owns one pooled `reqwest::Client`, the base URL, the credentials and the
//! retry policy. Vendor crates describe each call as an [`ApiRequest`] and get back an
//! [`ApiResponse`], or an [`Error`] that already carries the status, the vendor's error
//! code and message (through the vendor's [`ErrorParser`]), the request id and the number of
//! attempts.

mod auth;
mod builder;
mod path;
mod request;
mod response;

pub use auth::Auth;
pub use builder::TransportBuilder;
pub use path::{ApiPath, encode_path_segment};
pub use request::{ApiRequest, RequestBody};
pub use response::{ApiResponse, ErrorParser, JsonBodyParser, decode_json};

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use tracing::Instrument;
use url::Url;

use crate::error::{ApiError, Error, ErrorKind, Result, snippet};
use crate::retry::{RetryPolicy, parse_retry_after};

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
    use crate::secret::Secret;
    use reqwest::header::HeaderName;

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
}
