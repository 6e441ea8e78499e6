//! A client-side rate limiter: a token bucket with a first-come, first-served queue.

use std::pin::pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::future::select;
use tokio::sync::Notify;
use tokio::time::Instant;

/// No wait between slots, and no burst, is ever longer than this: it keeps every instant the
/// limiter computes far from overflowing, whatever period is configured.
const LONGEST_INTERVAL: Duration = Duration::from_secs(365 * 24 * 3600);

/// How much later than the requests sent after it a request may reach the server without
/// being refused: the bucket holds back the slots the server refills in this time.
const ARRIVAL_MARGIN: Duration = Duration::from_millis(100);

/// Limits how many requests a client sends: at most `requests` per `period`, the server's
/// limit, in bursts a little smaller ([`burst`](Self::burst)).
///
/// The burst is smaller than the server's because the server counts arrivals, not
/// departures. While a burst is on its way (opening connections, crossing the network, or
/// waiting for a busy client to write it), the server's bucket is still full and refills
/// nothing, while the client's refills: with buckets of the same size, the requests sent
/// in that time would be refused (429). The client holds back as many slots as the server
/// refills in 100 ms, at least one (9 of 10 per second; 45 of 50), so a burst may take
/// that long to arrive. The steady rate is still `requests` per `period`.
///
/// Each attempt (a retry, a poll, a replay after a refused token) takes one slot, when it is
/// about to be sent; the transport takes it once the request's credentials are at hand, so
/// calls waiting for a logon hold no slot and do not send in one burst when it ends.
///
/// - **First come, first served**: when the bucket is empty, callers wait in arrival order; a
///   newcomer never overtakes a caller already waiting. Only the caller at the head of the
///   queue watches the clock.
/// - **Nothing is taken in advance**: a slot is taken when it is used, so a caller that gives
///   up while waiting (its future dropped: a deadline, a cancelled task) leaves nothing behind
///   and the next caller moves up at once.
/// - **The authenticator's own requests go first**: a logon, refresh or logoff sent through
///   [`Transport::unauthenticated`](super::Transport::unauthenticated) to the same host counts
///   against the same bucket, since the server counts it, but takes the next slot ahead of
///   the queue. The callers queued behind it may be waiting for that very logon; if it
///   waited its turn behind them, they would all be stalled.
///
/// The bucket is kept as the time at which it is full again (the generic cell rate
/// algorithm), in whole nanoseconds, so slots are spaced exactly `period / requests` apart
/// (rounded up, never faster) and, with a burst above one, a late wake-up does not lower
/// the rate.
///
/// ```
/// use std::time::Duration;
/// use incident_core::transport::RateLimit;
/// // ESET Connect allows 10 requests per second per credential.
/// let limit = RateLimit::new(10, Duration::from_secs(1));
/// assert_eq!(limit.requests(), 10);
/// assert_eq!(limit.burst(), 9);
/// assert_eq!(limit.interval(), Duration::from_millis(100));
/// ```
#[derive(Debug)]
pub struct RateLimit {
    requests: u32,
    period: Duration,
    burst: u32,
    /// Time between two slots once the burst is spent.
    interval: Duration,
    /// How far ahead of the steady pace a request may go: `burst - 1` intervals, which is
    /// what lets a full bucket send `burst` at once.
    tolerance: Duration,
    state: Mutex<State>,
    /// Callers of [`acquire`](Self::acquire), in arrival order; the holder is the head.
    queue: tokio::sync::Mutex<()>,
    /// The authenticator's own requests, in arrival order, ahead of `queue`.
    ahead_queue: tokio::sync::Mutex<()>,
    /// Signalled when a request waiting ahead is served or gives up, so that the head of
    /// `queue` looks again.
    ahead_done: Notify,
}

#[derive(Debug)]
struct State {
    /// When the bucket is full again (the "theoretical arrival time"): a request may go at
    /// `full_at - tolerance` or later.
    full_at: Instant,
    /// Requests waiting ahead of the queue; the queue's head does not take a slot meanwhile.
    ahead: usize,
}

/// What a caller finds when it looks at the bucket.
enum Next {
    Now,
    At(Instant),
    /// A request waits ahead of the queue: let it go first.
    AfterAhead,
}

impl Clone for RateLimit {
    /// The same limit with a full bucket of its own: a clone does not share the original's
    /// count.
    fn clone(&self) -> Self {
        RateLimit::new(self.requests, self.period)
    }
}

impl RateLimit {
    /// At most `requests` per `period` (`requests` is at least 1; a zero period is one
    /// nanosecond), the server's limit. The bucket starts full.
    pub fn new(requests: u32, period: Duration) -> Self {
        let requests = requests.max(1);
        let period = period.max(Duration::from_nanos(1));
        // Rounded up: a rate a hair below the limit, never above it.
        let nanos = period.as_nanos().div_ceil(u128::from(requests));
        let interval = u64::try_from(nanos)
            .map(Duration::from_nanos)
            .unwrap_or(LONGEST_INTERVAL)
            .clamp(Duration::from_nanos(1), LONGEST_INTERVAL);
        let held_back = ARRIVAL_MARGIN
            .as_nanos()
            .div_ceil(interval.as_nanos())
            .clamp(1, u128::from(requests));
        // At most `requests`, so the conversion cannot fail.
        let burst = u32::try_from(u128::from(requests) - held_back)
            .unwrap_or(requests)
            .max(1);
        let tolerance = interval
            .checked_mul(burst - 1)
            .unwrap_or(LONGEST_INTERVAL)
            .min(LONGEST_INTERVAL);
        RateLimit {
            requests,
            period,
            burst,
            interval,
            tolerance,
            state: Mutex::new(State {
                full_at: Instant::now(),
                ahead: 0,
            }),
            queue: tokio::sync::Mutex::new(()),
            ahead_queue: tokio::sync::Mutex::new(()),
            ahead_done: Notify::new(),
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

    /// The most requests sent at once, after an idle period: [`requests`](Self::requests)
    /// less the slots the server refills in 100 ms, at least one held back and at least one
    /// left, so that a burst slow to arrive cannot push the server's count over its limit.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// The time between two requests once a burst is spent: `period / requests`, rounded up
    /// to the nanosecond.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Waits for a slot, in arrival order, and takes it. Dropping the future before it
    /// completes takes nothing.
    pub async fn acquire(&self) {
        // `|| Some(())` never declines, so the result is always `Some`.
        let _ = self.acquire_with(false, || Some(())).await;
    }

    /// Waits for a slot and, when one is free, asks `check` whether the request still wants
    /// it: `Some` takes the slot and returns the value, `None` leaves the queue without taking
    /// anything (the request's credentials went stale while it waited; it gets new ones
    /// without holding up the callers behind it). `check` runs without any lock held.
    ///
    /// With `ahead`, the request goes before every caller queued by `acquire`: it is the
    /// authenticator's own, and they may be waiting for it.
    pub(crate) async fn acquire_with<T>(
        &self,
        ahead: bool,
        mut check: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        if ahead {
            let _ahead = AheadGuard::new(self);
            let _turn = self.ahead_queue.lock().await;
            self.wait(true, &mut check).await
        } else {
            let _turn = self.queue.lock().await;
            self.wait(false, &mut check).await
        }
    }

    /// The head of a queue waits here until a slot is free, then takes it.
    async fn wait<T>(&self, ahead: bool, check: &mut impl FnMut() -> Option<T>) -> Option<T> {
        loop {
            // Registered before looking, so that a signal between the look and the wait is
            // not missed.
            let mut ahead_done = pin!(self.ahead_done.notified());
            ahead_done.as_mut().enable();
            match self.look(ahead, Instant::now(), false) {
                Next::Now => {
                    let value = check()?;
                    // A request ahead may have taken the slot while `check` ran.
                    if let Next::Now = self.look(ahead, Instant::now(), true) {
                        return Some(value);
                    }
                }
                Next::At(at) => {
                    tracing::trace!(
                        wait_ms = at.saturating_duration_since(Instant::now()).as_millis() as u64,
                        "rate limit"
                    );
                    let sleep = pin!(tokio::time::sleep_until(at));
                    // Woken early when a request ahead is done: it may have used a slot this
                    // wait did not count on.
                    select(sleep, ahead_done).await;
                }
                Next::AfterAhead => ahead_done.await,
            }
        }
    }

    /// When the next slot is free for this caller; with `take`, takes it if that is now.
    fn look(&self, ahead: bool, now: Instant, take: bool) -> Next {
        let mut state = self.lock();
        if !ahead && state.ahead > 0 {
            return Next::AfterAhead;
        }
        // `None` only for an instant before the clock's origin: long free.
        match state.full_at.checked_sub(self.tolerance) {
            Some(earliest) if now < earliest => Next::At(earliest),
            _ => {
                if take {
                    let from = state.full_at.max(now);
                    // Cannot overflow: `from` is at most a year and a bit ahead of now.
                    state.full_at = from.checked_add(self.interval).unwrap_or(from);
                }
                Next::Now
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is two plain values updated at once: a panic elsewhere cannot leave them
        // half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Counts a request waiting ahead of the queue for as long as it waits, served or dropped.
struct AheadGuard<'a>(&'a RateLimit);

impl<'a> AheadGuard<'a> {
    fn new(limit: &'a RateLimit) -> Self {
        limit.lock().ahead += 1;
        AheadGuard(limit)
    }
}

impl Drop for AheadGuard<'_> {
    fn drop(&mut self) {
        {
            let mut state = self.0.lock();
            state.ahead = state.ahead.saturating_sub(1);
        }
        self.0.ahead_done.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn per_second(n: u32) -> Arc<RateLimit> {
        Arc::new(RateLimit::new(n, Duration::from_secs(1)))
    }

    /// Lets every spawned task run until it waits on something.
    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn bursts_then_paces() {
        let limit = per_second(10);
        assert_eq!(limit.burst(), 9);
        let start = Instant::now();
        for _ in 0..9 {
            limit.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        // Then exactly one slot every 100 ms, each 100 ms after the one before.
        for k in 1..=20u64 {
            limit.acquire().await;
            assert_eq!(start.elapsed(), Duration::from_millis(100 * k), "slot {k}");
        }
        // An idle second fills the bucket again, and no more than that.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let idle = Instant::now();
        for _ in 0..9 {
            limit.acquire().await;
        }
        assert_eq!(idle.elapsed(), Duration::ZERO);
        limit.acquire().await;
        assert_eq!(idle.elapsed(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn an_uneven_division_never_exceeds_the_limit() {
        let limit = per_second(3);
        assert_eq!(limit.interval(), Duration::from_nanos(333_333_334));
        let start = Instant::now();
        for _ in 0..9 {
            limit.acquire().await;
        }
        // 2 at once, then 7 more: at least two seconds.
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_arrival_order() {
        let limit = per_second(10);
        for _ in 0..limit.burst() {
            limit.acquire().await;
        }
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..25 {
            let (limit, order) = (Arc::clone(&limit), Arc::clone(&order));
            tasks.push(tokio::spawn(async move {
                limit.acquire().await;
                order.lock().unwrap().push((i, Instant::now()));
            }));
            settle().await;
        }
        // A latecomer queues behind them all.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let late = {
            let (limit, order) = (Arc::clone(&limit), Arc::clone(&order));
            tokio::spawn(async move {
                limit.acquire().await;
                order.lock().unwrap().push((99, Instant::now()));
            })
        };
        for t in tasks {
            t.await.unwrap();
        }
        late.await.unwrap();
        let order = order.lock().unwrap();
        let ids: Vec<i32> = order.iter().map(|(i, _)| *i).collect();
        let mut expected: Vec<i32> = (0..25).collect();
        expected.push(99);
        assert_eq!(ids, expected);
        // One every 100 ms, in that order.
        for pair in order.windows(2) {
            assert_eq!(pair[1].1 - pair[0].1, Duration::from_millis(100));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_waiters_give_their_places_back() {
        let limit = per_second(10);
        for _ in 0..limit.burst() {
            limit.acquire().await;
        }
        let waiters: Vec<_> = (0..30)
            .map(|_| {
                let limit = Arc::clone(&limit);
                tokio::spawn(async move { limit.acquire().await })
            })
            .collect();
        settle().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        for w in &waiters {
            w.abort();
        }
        for w in waiters {
            assert!(w.await.unwrap_err().is_cancelled());
        }
        // The next caller waits for the next slot only (at 100 ms), not behind 30 ghosts.
        let start = Instant::now();
        limit.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(80));
        // And the pace goes on from there.
        limit.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(180));
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_while_waiting_takes_nothing() {
        let limit = per_second(2);
        assert_eq!(limit.burst(), 1);
        limit.acquire().await;
        for _ in 0..4 {
            let waited = tokio::time::timeout(Duration::from_millis(100), limit.acquire()).await;
            assert!(waited.is_err());
        }
        // 400 ms have passed: the next slot is still the one at 500 ms.
        let start = Instant::now();
        limit.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_ahead_takes_the_next_slot_before_the_queue() {
        let limit = per_second(10);
        for _ in 0..limit.burst() {
            limit.acquire().await;
        }
        let order = Arc::new(Mutex::new(Vec::new()));
        let queued: Vec<_> = (0..5)
            .map(|i| {
                let (limit, order) = (Arc::clone(&limit), Arc::clone(&order));
                tokio::spawn(async move {
                    limit.acquire().await;
                    order.lock().unwrap().push((i, Instant::now()));
                })
            })
            .collect();
        settle().await;
        let start = Instant::now();
        let got = limit.acquire_with(true, || Some("logon")).await;
        assert_eq!(got, Some("logon"));
        // The next slot (100 ms), not the sixth.
        assert_eq!(start.elapsed(), Duration::from_millis(100));
        for q in queued {
            q.await.unwrap();
        }
        let order = order.lock().unwrap();
        let times: Vec<u64> = order
            .iter()
            .map(|(_, at)| (*at - start).as_millis() as u64)
            .collect();
        // The queue goes on one slot later, in order.
        assert_eq!(times, vec![200, 300, 400, 500, 600]);
        assert!(order.windows(2).all(|p| p[0].0 < p[1].0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_ahead_that_gives_up_holds_nothing_up() {
        let limit = per_second(10);
        for _ in 0..limit.burst() {
            limit.acquire().await;
        }
        let ahead = {
            let limit = Arc::clone(&limit);
            tokio::spawn(async move { limit.acquire_with(true, || Some(())).await })
        };
        settle().await;
        let queued = {
            let limit = Arc::clone(&limit);
            tokio::spawn(async move {
                limit.acquire().await;
                Instant::now()
            })
        };
        settle().await;
        let start = Instant::now();
        tokio::time::sleep(Duration::from_millis(30)).await;
        ahead.abort();
        assert!(ahead.await.unwrap_err().is_cancelled());
        // The queued caller gets the slot the request ahead would have had.
        let served = queued.await.unwrap();
        assert_eq!(served - start, Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn a_declined_slot_stays_free_for_the_next_caller() {
        let limit = per_second(1);
        let declined = limit.acquire_with(false, || None::<()>).await;
        assert_eq!(declined, None);
        // The one slot of the burst is still there.
        let start = Instant::now();
        limit.acquire().await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        limit.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[test]
    fn the_burst_leaves_room_for_100_ms_of_arrival() {
        let burst = |n, ms| RateLimit::new(n, Duration::from_millis(ms)).burst();
        assert_eq!(burst(10, 1000), 9);
        assert_eq!(burst(50, 1000), 45);
        assert_eq!(burst(1000, 1000), 900);
        assert_eq!(burst(100, 60_000), 99);
        assert_eq!(burst(2, 1000), 1);
        assert_eq!(burst(1, 1000), 1);
        // A period shorter than the margin: one slot at a time.
        assert_eq!(burst(5, 50), 1);
    }

    #[test]
    fn extreme_settings_do_not_overflow() {
        let limit = RateLimit::new(0, Duration::ZERO);
        assert_eq!((limit.requests(), limit.burst()), (1, 1));
        assert_eq!(limit.interval(), Duration::from_nanos(1));
        let limit = RateLimit::new(u32::MAX, Duration::MAX);
        assert_eq!(limit.interval(), LONGEST_INTERVAL);
        let limit = RateLimit::new(u32::MAX, Duration::from_secs(1));
        assert_eq!(limit.interval(), Duration::from_nanos(1));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            let limit = RateLimit::new(2, Duration::MAX);
            limit.acquire().await;
            let second = tokio::time::timeout(Duration::from_secs(1), limit.acquire()).await;
            assert!(second.is_err());
        });
    }
}
