//! What a vendor says a response means, before the transport's default handling.

use std::fmt;
use std::time::Duration;

use http::StatusCode;
use http::header::HeaderMap;
use serde::de::{self, Deserializer as _, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::ApiRequest;
use crate::error::VendorError;

/// What a [`ResponseHook`] decides about one response.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ResponseAction {
    /// The default handling: a 2xx is the answer, anything else an error, retried as the
    /// retry policy says.
    Default,
    /// The answer is an error even if its status is 2xx (Skyhigh's `responseInfo.error`
    /// inside a 200), with what the vendor said. Not retried.
    Fail(VendorError),
    /// The credentials were refused (a vendor code meaning "token expired"): invalidate them
    /// and replay the request once.
    Reauthenticate,
    /// The answer is not ready: resend the identical request after `after`, with these
    /// headers added (ESET's 202 with a `response-id`). Bounded by the operation deadline.
    /// The hook sees the answers to the polls with these headers in the request.
    Poll {
        /// How long to wait before asking again.
        after: Duration,
        /// Headers to add to the repeated request.
        headers: HeaderMap,
    },
    /// Retry this answer (counted against the retry policy), after the given wait or the
    /// policy's backoff.
    Retry {
        /// The wait; `None` uses the policy's backoff.
        after: Option<Duration>,
    },
    /// The answer is an error after which the request must be sent again as it was first
    /// sent, without the headers earlier [`Poll`](Self::Poll)s added: the server forgot the
    /// pending answer (ESET's 504 "timeout reached", or its 404 to a `response-id` that was
    /// retrieved or expired: "repeat the whole query"). Counted against the retry policy,
    /// after the given wait or the policy's backoff; only for idempotent requests, since a
    /// request that is not may have taken effect (429 and 503 are retried anyway).
    Restart {
        /// The wait; `None` uses the policy's backoff.
        after: Option<Duration>,
    },
    /// Do not retry this error, whatever its status. Ignored for 429 and 503, which the
    /// transport always retries: the server said it did not act.
    NoRetry,
    /// The answer is a success whatever its status (Skyhigh's 404 "no data was found for
    /// the provided criteria", which means an empty result): it is returned as an
    /// [`ApiResponse`](super::ApiResponse) with its own status and body, for the vendor
    /// crate to read. Ignored for 429 and 503, which are always retried.
    Accept,
}

/// One answer as a [`ResponseHook`] sees it: the request it answers, its status, headers
/// and body (read whole, up to the body cap).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Answer<'a> {
    /// The request the answer is to: after a [`Poll`](ResponseAction::Poll), with the
    /// poll's headers.
    pub request: &'a ApiRequest,
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: &'a HeaderMap,
    /// The response body.
    pub body: &'a [u8],
}

impl<'a> Answer<'a> {
    /// An answer to `request` (the transport makes them; a hook's tests too).
    pub fn new(
        request: &'a ApiRequest,
        status: StatusCode,
        headers: &'a HeaderMap,
        body: &'a [u8],
    ) -> Self {
        Answer {
            request,
            status,
            headers,
            body,
        }
    }

    /// The first byte of the body that is not ASCII white space (`None` for a blank body):
    /// enough to tell a JSON object (`{`), an array (`[`) or an HTML page (`<`) apart
    /// before parsing anything.
    pub fn first_byte(&self) -> Option<u8> {
        self.body.iter().copied().find(|b| !b.is_ascii_whitespace())
    }

    /// Whether the answer is an HTML page (a `text/html` content type, or a body whose
    /// first byte is `<`): a login portal, a proxy or a web server answering in place of
    /// the API.
    pub fn is_html(&self) -> bool {
        let html_type = self
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"));
        html_type || self.first_byte() == Some(b'<')
    }

    /// The `wanted` members of the body's top-level JSON object, as sent, read up to the
    /// object's end or to its first member named in `results` (one only a result has, such
    /// as a page's array of items): a hook that looks for an error body inside a 2xx answer
    /// does not read a whole page that the client then decodes. `None` when the body is
    /// not a JSON object (or is cut short before a `results` member).
    ///
    /// ```
    /// # use incident_core::{ApiPath, ApiRequest, transport::Answer};
    /// # use http::{HeaderMap, StatusCode};
    /// # let request = ApiRequest::get(ApiPath::new("/v2/incidents"));
    /// # let headers = HeaderMap::new();
    /// let body = br#"{"code": 5, "message": "gone", "items": [{"code": 7}]}"#;
    /// let answer = Answer::new(&request, StatusCode::OK, &headers, body);
    /// let [code, error] = answer.peek_members(["code", "error"], &["items"]).unwrap();
    /// assert_eq!((code, error), (Some(5.into()), None));
    /// let page = br#"{"items": [], "code": 5}"#;
    /// let answer = Answer::new(&request, StatusCode::OK, &headers, page);
    /// assert_eq!(answer.peek_members(["code"], &["items"]), Some([None]));
    /// ```
    pub fn peek_members<const N: usize>(
        &self,
        wanted: [&str; N],
        results: &[&str],
    ) -> Option<[Option<Value>; N]> {
        let mut peek = Peek {
            wanted,
            results,
            found: std::array::from_fn(|_| None),
            stopped: false,
        };
        let mut de = serde_json::Deserializer::from_slice(self.body);
        let read = de.deserialize_map(&mut peek).and_then(|()| de.end());
        (read.is_ok() || peek.stopped).then_some(peek.found)
    }
}

/// What [`Answer::peek_members`] looks for, and what it found.
struct Peek<'a, const N: usize> {
    wanted: [&'a str; N],
    results: &'a [&'a str],
    found: [Option<Value>; N],
    /// Whether a result member ended the reading.
    stopped: bool,
}

impl<'de, const N: usize> Visitor<'de> for &mut Peek<'_, N> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if let Some(i) = self.wanted.iter().position(|w| *w == key) {
                self.found[i] = Some(map.next_value()?);
            } else if self.results.contains(&key.as_str()) {
                self.stopped = true;
                return Err(de::Error::custom("a result member"));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// Sees every response, 2xx included, before the transport decides what it means.
///
/// The request it is given is the one the answer is to: after a
/// [`Poll`](ResponseAction::Poll), with the poll's headers (so a hook can tell the answer to a
/// poll from the answer to the first request).
///
/// Implemented by vendor crates; a closure `Fn(&Answer<'_>) -> ResponseAction` works too.
/// Must not panic, and should be cheap on the common 2xx path (look at the status and
/// headers first; peek at the body only when needed).
pub trait ResponseHook: Send + Sync + 'static {
    /// Decides what the response means.
    fn inspect(&self, answer: &Answer<'_>) -> ResponseAction;
}

impl<F> ResponseHook for F
where
    F: Fn(&Answer<'_>) -> ResponseAction + Send + Sync + 'static,
{
    fn inspect(&self, answer: &Answer<'_>) -> ResponseAction {
        self(answer)
    }
}

/// The hook used when a vendor sets none.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultHook;

impl ResponseHook for DefaultHook {
    fn inspect(&self, _: &Answer<'_>) -> ResponseAction {
        ResponseAction::Default
    }
}
