//! When and how long to wait before trying a request again.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use http::StatusCode;
use http::header::{HeaderMap, RETRY_AFTER};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

/// Retry settings of a client.
///
/// What is retried:
/// - 429 and 503: always, whatever the method, because the server says it did not act;
/// - other 5xx, timeouts and connection failures: only for idempotent requests (GET, PUT,
///   DELETE, and requests a vendor crate marks idempotent), because a non-idempotent request
///   may have taken effect before the failure.
///
/// Waits grow exponentially from [`initial_backoff`](RetryPolicy::initial_backoff) up to
/// [`max_backoff`](RetryPolicy::max_backoff), with jitter so that many clients do not retry in
/// step. A `Retry-After` header (seconds or HTTP-date) replaces the computed wait, capped at
/// [`max_retry_after`](RetryPolicy::max_retry_after) so that a server can never make a
/// client sleep for an hour.
///
/// ```
/// use std::time::Duration;
/// use incident_core::RetryPolicy;
/// let policy = RetryPolicy::default().max_attempts(5).initial_backoff(Duration::from_millis(100));
/// assert_eq!(policy.attempts(), 5);
/// assert_eq!(RetryPolicy::disabled().attempts(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a retry policy does nothing until it is given to a transport or a call"]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, 250 ms initial backoff, 8 s maximum backoff, `Retry-After` capped at 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Total attempts including the first (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry; it doubles for each further retry.
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// The longest computed wait between two attempts.
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// The longest wait a `Retry-After` header can impose.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Total attempts including the first.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether an error status may be retried.
    pub fn should_retry_status(status: StatusCode, idempotent: bool) -> bool {
        match status.as_u16() {
            429 | 503 => true,
            500..=599 => idempotent,
            _ => false,
        }
    }

    /// The wait before attempt `attempt + 1`, given that attempt `attempt` (1-based) failed,
    /// and the server's `Retry-After` if it sent one.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let exp = attempt.saturating_sub(1).min(16);
        let full = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        // "Equal jitter": half the wait is fixed, the other half random.
        let half = full / 2;
        half + half.mul_f64(random_unit())
    }
}

/// A uniformly distributed value in `[0, 1)`, from the standard library's per-process random
/// hasher keys (good enough for jitter; not for cryptography).
fn random_unit() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

const IMF_FIXDATE: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// Reads a `Retry-After` header: delta-seconds (`120`) or an HTTP-date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`). A date in the past means "now". Anything else is
/// ignored.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = time::PrimitiveDateTime::parse(value, IMF_FIXDATE)
        .ok()?
        .assume_utc();
    let now = OffsetDateTime::now_utc();
    Some(if at > now {
        Duration::try_from(at - now).unwrap_or_default()
    } else {
        Duration::ZERO
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HeaderValue;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(
            parse_retry_after(&headers("7")),
            Some(Duration::from_secs(7))
        );
        assert_eq!(parse_retry_after(&headers(" 0 ")), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        let future = OffsetDateTime::now_utc() + time::Duration::seconds(120);
        let text = future.format(IMF_FIXDATE).unwrap();
        let wait = parse_retry_after(&headers(&text)).unwrap();
        assert!(
            wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        assert_eq!(parse_retry_after(&headers("soon")), None);
        assert_eq!(parse_retry_after(&headers("-3")), None);
        assert_eq!(parse_retry_after(&HeaderMap::new()), None);
    }

    /// `text` cut at every byte (either side), and with each byte replaced by characters
    /// that trip parsers (multi-byte, digits, signs, separators, a long number) or with one
    /// bit flipped; invalid UTF-8 is replaced.
    fn mutations(text: &str) -> Vec<String> {
        let bytes = text.as_bytes();
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let mut out = Vec::new();
        for i in 0..=bytes.len() {
            out.push(lossy(&bytes[..i]));
            out.push(lossy(&bytes[i..]));
        }
        for i in 0..bytes.len() {
            for with in [
                "",
                "é",
                "9",
                "-",
                "+",
                ":",
                ".",
                " ",
                "99999999999999999999",
            ] {
                out.push(format!(
                    "{}{with}{}",
                    lossy(&bytes[..i]),
                    lossy(&bytes[i + 1..])
                ));
            }
            for bit in 0..8 {
                let mut b = bytes.to_vec();
                b[i] ^= 1 << bit;
                out.push(lossy(&b));
            }
        }
        out
    }

    #[test]
    fn retry_after_never_panics_on_mangled_values() {
        for valid in [
            "120",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            for text in mutations(valid) {
                let Ok(value) = HeaderValue::from_str(&text) else {
                    continue;
                };
                let mut h = HeaderMap::new();
                h.insert(RETRY_AFTER, value);
                let outcome = std::panic::catch_unwind(|| parse_retry_after(&h));
                assert!(outcome.is_ok(), "Retry-After {text:?} panicked");
            }
        }
        assert_eq!(
            parse_retry_after(&headers("18446744073709551615")),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(parse_retry_after(&headers("18446744073709551616")), None);
    }

    #[test]
    fn delays_grow_and_are_capped() {
        let p = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(1000))
            .max_retry_after(Duration::from_secs(5));
        for _ in 0..50 {
            let d1 = p.delay(1, None);
            assert!(
                d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100),
                "{d1:?}"
            );
            let d3 = p.delay(3, None);
            assert!(
                d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400),
                "{d3:?}"
            );
            let d30 = p.delay(30, None);
            assert!(d30 >= Duration::from_millis(500) && d30 <= Duration::from_millis(1000));
        }
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn which_statuses_are_retried() {
        let s = |c| StatusCode::from_u16(c).unwrap();
        assert!(RetryPolicy::should_retry_status(s(429), false));
        assert!(RetryPolicy::should_retry_status(s(503), false));
        assert!(!RetryPolicy::should_retry_status(s(500), false));
        assert!(RetryPolicy::should_retry_status(s(500), true));
        assert!(RetryPolicy::should_retry_status(s(502), true));
        assert!(!RetryPolicy::should_retry_status(s(404), true));
        assert!(!RetryPolicy::should_retry_status(s(422), true));
    }
}
