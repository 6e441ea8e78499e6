//! One API call, described independently of the HTTP client.

use std::borrow::Cow;
use std::time::Duration;

use http::Method;
use http::header::{HeaderMap, HeaderName, HeaderValue};

use super::ApiPath;
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

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
#[must_use = "a request does nothing until it is executed"]
pub struct ApiRequest {
    pub(super) method: Method,
    pub(super) path: ApiPath,
    pub(super) query: Vec<(Cow<'static, str>, String)>,
    pub(super) headers: HeaderMap,
    pub(super) body: Option<RequestBody>,
    pub(super) idempotent: bool,
    pub(super) retry: Option<RetryPolicy>,
    pub(super) deadline: Option<Duration>,
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
            deadline: None,
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

    /// A PUT request.
    pub fn put(path: ApiPath) -> Self {
        Self::new(Method::PUT, path)
    }

    /// A PATCH request.
    pub fn patch(path: ApiPath) -> Self {
        Self::new(Method::PATCH, path)
    }

    /// A DELETE request.
    pub fn delete(path: ApiPath) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Adds a query parameter (encoded when sent).
    pub fn query(mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn query_opt<V: Into<String>>(
        self,
        name: impl Into<Cow<'static, str>>,
        value: Option<V>,
    ) -> Self {
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
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `body` cannot be serialized (a map with keys that are not
    /// strings, a `Serialize` impl that fails).
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

    /// Bounds this operation (every attempt, retry wait, poll and logon) by `deadline`
    /// instead of the client's [`deadline`](super::TransportBuilder::deadline).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
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

    /// The headers added to this request.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body, if any.
    pub fn body(&self) -> Option<&RequestBody> {
        self.body.as_ref()
    }

    /// Whether the request may be retried after a 5xx or a connection failure.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }
}
