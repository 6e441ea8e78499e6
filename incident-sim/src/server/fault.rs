//! Fault injection: the [`Fault`] enum, the queue of injected faults and the
//! store of pending (202) answers.

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use super::sessions::fresh_id;

/// A failure to inject instead of (or around) normal request handling.
///
/// Queued faults (see [`SimServer::inject`](super::SimServer::inject)) apply
/// to the next requests in arrival order, before authentication is checked.
/// Error statuses carry the vendor's own error body, rendered by
/// [`Vendor::error_response`](super::Vendor::error_response).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// 429 with a `Retry-After: N` header and the vendor's error body.
    TooManyRequests {
        /// Seconds announced in `Retry-After`.
        retry_after_secs: u64,
    },
    /// 503 with the vendor's error body.
    ServiceUnavailable,
    /// 500 with the vendor's error body.
    InternalError,
    /// The given status with a `text/html` body, as a proxy in front of the
    /// product would answer. An invalid status code becomes 502.
    HtmlError {
        /// HTTP status to answer.
        status: u16,
    },
    /// 200 with an HTML sign-in form instead of the API's answer, as a
    /// single sign-on portal or a reverse proxy in front of the product
    /// answers a request that did not come through its login, or a wrong
    /// base path that lands on the product's web console. The request is
    /// not handled.
    LoginPage,
    /// Handle the request normally, then send only the first half of the
    /// body. Status and headers are kept; `Content-Length` matches the
    /// shortened body, so the HTTP framing stays valid and only the JSON is
    /// broken.
    TruncatedBody,
    /// Sleep, then handle the request normally.
    Delay(Duration),
    /// Stop accepting every session token issued so far (see
    /// [`Sessions::expire_all`](super::Sessions::expire_all)), then handle
    /// the request normally: a request that authenticates with a session
    /// token gets the vendor's 401, and a token issued afterwards works.
    ExpireSessions,
    /// ESET Connect's slow-query protocol: answer `202 Accepted` with an
    /// empty body and a fresh `response-id` header. A later identical
    /// request (same method, path, query and body) that carries the request
    /// header `response-id: <id>` gets 202 again with the same id until
    /// `polls` 202s have been sent in all; the next such request is handled
    /// normally and consumes the id. A request carrying an unknown, consumed
    /// or expired id (the pending answer lives
    /// [`ServerOptions::pending_ttl`](super::ServerOptions::pending_ttl) from
    /// its first 202, ESET's 10 minutes by default), or one that differs from
    /// the original, gets the vendor's 404. `polls: 0` handles the request
    /// normally.
    Pending {
        /// 202 answers in all, the first one included.
        polls: u32,
    },
    /// 200 with `Content-Type: application/json` and this body, for vendors
    /// that report errors inside a successful response (Skyhigh's
    /// `{"responseInfo":{"error":{...}}}`). The request is not handled.
    ErrorInside200 {
        /// The body to send.
        body: String,
    },
    /// Close the connection with a TCP reset, without answering. Other
    /// requests in flight on the same connection (HTTP/2) fail too.
    ConnectionReset,
}

#[derive(Debug)]
struct Queued {
    fault: Fault,
    left: usize,
    /// Only requests whose path starts with this prefix take the fault.
    prefix: Option<String>,
}

/// Injected faults, in injection order.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    queue: VecDeque<Queued>,
}

impl FaultQueue {
    pub(crate) fn push(&mut self, fault: Fault, times: usize, prefix: Option<String>) {
        if times > 0 {
            self.queue.push_back(Queued {
                fault,
                left: times,
                prefix,
            });
        }
    }

    /// The fault the request to `path` takes: the oldest one queued for any
    /// path or for a prefix of `path`.
    pub(crate) fn take(&mut self, path: &str) -> Option<Fault> {
        let index = self
            .queue
            .iter()
            .position(|q| q.prefix.as_deref().is_none_or(|p| path.starts_with(p)))?;
        let entry = self.queue.get_mut(index)?;
        let fault = entry.fault.clone();
        entry.left -= 1;
        if entry.left == 0 {
            self.queue.remove(index);
        }
        Some(fault)
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.iter().map(|q| q.left).sum()
    }
}

/// Most pending answers kept at once; the oldest is forgotten first (its id
/// then gets 404, as an expired one does on ESET Connect).
pub(crate) const MAX_PENDING: usize = 1_000;

/// How long a pending answer waits to be retrieved unless
/// [`ServerOptions::pending_ttl`](super::ServerOptions::pending_ttl) says
/// otherwise: ESET Connect clears its cache of a slow query after 10 minutes,
/// and a later poll gets 404.
pub const DEFAULT_PENDING_TTL: Duration = Duration::from_secs(10 * 60);

/// What identifies "the identical request" of a pending answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RequestKey {
    method: String,
    target: String,
    body_hash: u64,
}

impl RequestKey {
    pub(crate) fn new(method: &str, target: &str, body: &[u8]) -> Self {
        let mut hasher = DefaultHasher::new();
        body.hash(&mut hasher);
        RequestKey {
            method: method.to_owned(),
            target: target.to_owned(),
            body_hash: hasher.finish(),
        }
    }
}

#[derive(Debug)]
struct PendingAnswer {
    id: String,
    key: RequestKey,
    /// 202s still to send before the real answer.
    left: u32,
    /// After this instant the answer is forgotten (`None`: a lifetime too long
    /// to represent, which never ends in practice).
    expires: Option<Instant>,
}

/// What a request carrying a `response-id` header gets.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Poll {
    /// 202 again, with the same id.
    Wait,
    /// The real answer; the id is consumed.
    Ready,
    /// 404: unknown, consumed, forgotten, or a different request.
    Unknown,
}

/// The pending answers of [`Fault::Pending`].
#[derive(Debug)]
pub(crate) struct PendingStore {
    answers: VecDeque<PendingAnswer>,
    ttl: Duration,
}

impl Default for PendingStore {
    fn default() -> Self {
        PendingStore::new(DEFAULT_PENDING_TTL)
    }
}

impl PendingStore {
    /// An empty store whose answers live `ttl` from their first 202.
    pub(crate) fn new(ttl: Duration) -> Self {
        PendingStore {
            answers: VecDeque::new(),
            ttl,
        }
    }

    /// Registers a pending answer after its first 202 and returns its id.
    pub(crate) fn start(&mut self, key: RequestKey, polls: u32) -> String {
        let now = Instant::now();
        self.forget_expired(now);
        let id = fresh_id("");
        if self.answers.len() >= MAX_PENDING {
            self.answers.pop_front();
        }
        self.answers.push_back(PendingAnswer {
            id: id.clone(),
            key,
            left: polls.saturating_sub(1),
            expires: now.checked_add(self.ttl),
        });
        id
    }

    /// Answers are started in time order and share one lifetime, so the expired
    /// ones are at the front.
    fn forget_expired(&mut self, now: Instant) {
        while self
            .answers
            .front()
            .is_some_and(|a| a.expires.is_some_and(|at| at <= now))
        {
            self.answers.pop_front();
        }
    }

    pub(crate) fn poll(&mut self, id: &str, key: &RequestKey) -> Poll {
        self.forget_expired(Instant::now());
        let Some(index) = self.answers.iter().position(|a| a.id == id) else {
            return Poll::Unknown;
        };
        let Some(answer) = self.answers.get_mut(index) else {
            return Poll::Unknown;
        };
        if answer.key != *key {
            return Poll::Unknown;
        }
        if answer.left > 0 {
            answer.left -= 1;
            Poll::Wait
        } else {
            self.answers.remove(index);
            Poll::Ready
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_order_counts_and_prefixes() {
        let mut q = FaultQueue::default();
        q.push(Fault::InternalError, 0, None);
        assert_eq!(q.len(), 0);
        q.push(Fault::ServiceUnavailable, 1, Some("/api/b".into()));
        q.push(Fault::InternalError, 2, None);
        assert_eq!(q.len(), 3);
        assert_eq!(q.take("/api/a"), Some(Fault::InternalError));
        assert_eq!(q.take("/api/b/1"), Some(Fault::ServiceUnavailable));
        assert_eq!(q.take("/api/b/1"), Some(Fault::InternalError));
        assert_eq!(q.take("/api/b/1"), None);
        q.push(Fault::ConnectionReset, 5, Some("/x".into()));
        assert_eq!(q.take("/y"), None);
        q.clear();
        assert_eq!(q.take("/x"), None);
    }

    #[test]
    fn pending_answers() {
        let mut p = PendingStore::default();
        let key = || RequestKey::new("GET", "/a?b=1", b"");
        let id = p.start(key(), 3);
        assert_eq!(id.len(), 32);
        assert_eq!(
            p.poll(&id, &RequestKey::new("GET", "/a?b=2", b"")),
            Poll::Unknown
        );
        assert_eq!(
            p.poll(&id, &RequestKey::new("GET", "/a?b=1", b"x")),
            Poll::Unknown
        );
        assert_eq!(p.poll(&id, &key()), Poll::Wait);
        assert_eq!(p.poll(&id, &key()), Poll::Wait);
        assert_eq!(p.poll(&id, &key()), Poll::Ready);
        assert_eq!(p.poll(&id, &key()), Poll::Unknown);
        assert_eq!(p.poll("nope", &key()), Poll::Unknown);

        let first = p.start(key(), 1);
        for _ in 0..MAX_PENDING {
            p.start(key(), 1);
        }
        assert_eq!(p.answers.len(), MAX_PENDING);
        assert_eq!(p.poll(&first, &key()), Poll::Unknown, "forgotten");
    }

    #[test]
    fn pending_answers_expire() {
        let key = || RequestKey::new("GET", "/a", b"");
        let mut gone = PendingStore::new(Duration::ZERO);
        let id = gone.start(key(), 2);
        assert_eq!(gone.poll(&id, &key()), Poll::Unknown, "expired at once");
        assert!(gone.answers.is_empty());
        let mut kept = PendingStore::default();
        let id = kept.start(key(), 2);
        assert_eq!(kept.poll(&id, &key()), Poll::Wait);
        assert_eq!(kept.poll(&id, &key()), Poll::Ready);
        let mut forever = PendingStore::new(Duration::MAX);
        let id = forever.start(key(), 1);
        assert_eq!(forever.poll(&id, &key()), Poll::Ready);
    }
}
