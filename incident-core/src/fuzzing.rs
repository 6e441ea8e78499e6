//! Entry points for the fuzz targets (the `fuzz/` package) and the tests that replay their
//! corpora: what the transport makes of one answer, without a network. Not part of the
//! public API; it may change in any release.

use std::time::Duration;

use futures::FutureExt;
use http::StatusCode;
use http::header::HeaderMap;

use crate::error::Error;
use crate::transport::{ApiRequest, ApiResponse, Transport};

/// What the transport makes of one answer to one attempt: the answer, or the error, and
/// what it would do next.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// A success answer, for the operation to decode.
    Done(ApiResponse),
    /// An error that no retry mends.
    Fail(Error),
    /// An error the transport may retry (`retryable`), after `wait` or the policy's backoff;
    /// with `restart`, as the request was first sent.
    Retry {
        /// The error returned if the request is not retried.
        error: Error,
        /// The wait the answer asked for.
        wait: Option<Duration>,
        /// Whether the request may be sent again.
        retryable: bool,
        /// Whether it is sent again without the headers of earlier polls.
        restart: bool,
    },
    /// The credentials were refused: new ones, and one replay.
    Reauthenticate(Error),
    /// Not ready: the same request again after `after`, with these headers.
    Poll {
        /// The wait before the next poll.
        after: Duration,
        /// The headers the next poll adds.
        headers: HeaderMap,
    },
}

impl Outcome {
    /// The error of an outcome that is not [`Done`](Self::Done) nor [`Poll`](Self::Poll).
    pub fn error(&self) -> Option<&Error> {
        match self {
            Outcome::Fail(e) | Outcome::Reauthenticate(e) | Outcome::Retry { error: e, .. } => {
                Some(e)
            }
            Outcome::Done(_) | Outcome::Poll { .. } => None,
        }
    }
}

/// What `transport` makes of the answer `status`, `headers`, `body` to `request` (its first
/// attempt): the same code as for an answer read from the network, from the redirect and
/// size checks through the vendor's response hook and error parser.
pub fn answer(
    transport: &Transport,
    request: &ApiRequest,
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
) -> Outcome {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    let response = reqwest::Response::from(response);
    let url = transport.url_for(request.path());
    // The body is in memory: reading it never waits.
    transport
        .read_response(response, request, &url, 1)
        .now_or_never()
        .expect("an answer held in memory is read without waiting")
        .into()
}
