//! A client-side rate limiter (token bucket).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Limits how many requests a client sends: at most `requests` per `period`, with bursts of
/// up to `requests`. Every attempt (retries and polls included) takes one token; a request
/// that finds the bucket empty waits its turn, in arrival order.
///
/// ```
/// use std::time::Duration;
/// use incident_core::transport::RateLimit;
/// // ESET Connect allows 10 requests per second per credential.
/// let limit = RateLimit::new(10, Duration::from_secs(1));
/// assert_eq!(limit.requests(), 10);
/// ```
#[derive(Debug)]
pub struct RateLimit {
    requests: u32,
    period: Duration,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    /// Tokens available; negative when requests are queued behind the refill.
    tokens: f64,
    last: Instant,
}

impl Clone for RateLimit {
    fn clone(&self) -> Self {
        RateLimit::new(self.requests, self.period)
    }
}

impl RateLimit {
    /// At most `requests` per `period` (`requests` is at least 1; a zero period is one
    /// nanosecond).
    pub fn new(requests: u32, period: Duration) -> Self {
        let requests = requests.max(1);
        RateLimit {
            requests,
            period: period.max(Duration::from_nanos(1)),
            state: Mutex::new(Bucket {
                tokens: f64::from(requests),
                last: Instant::now(),
            }),
        }
    }

    /// Requests allowed per period.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Takes a token and returns how long to wait before using it.
    fn reserve(&self) -> Duration {
        let rate = f64::from(self.requests) / self.period.as_secs_f64();
        let mut b = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(f64::from(self.requests));
        b.last = now;
        b.tokens -= 1.0;
        if b.tokens >= 0.0 {
            Duration::ZERO
        } else {
            // A period too long for a `Duration` (`Duration::MAX` per request) waits as long
            // as one can, rather than panicking in `from_secs_f64`.
            Duration::try_from_secs_f64(-b.tokens / rate).unwrap_or(Duration::MAX)
        }
    }

    /// Waits until a request may be sent.
    pub async fn acquire(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            tracing::trace!(wait_ms = wait.as_millis() as u64, "rate limit");
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_period_too_long_for_a_duration_waits_the_longest_one() {
        // One request per `Duration::MAX`: the wait for the third, about 2^65 s, used to
        // panic in `Duration::from_secs_f64`.
        let limit = RateLimit::new(1, Duration::MAX);
        assert_eq!(limit.reserve(), Duration::ZERO);
        let second = limit.reserve();
        assert!(second > Duration::from_secs(u64::MAX / 2), "{second:?}");
        assert_eq!(limit.reserve(), Duration::MAX);
    }

    #[tokio::test(start_paused = true)]
    async fn bursts_then_paces() {
        let limit = RateLimit::new(10, Duration::from_secs(1));
        let start = Instant::now();
        for _ in 0..10 {
            limit.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        for _ in 0..10 {
            limit.acquire().await;
        }
        // Ten more tokens take one second to refill.
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(999) && waited <= Duration::from_millis(1001),
            "{waited:?}"
        );
    }
}
