//! The client's rate limit against the ESET simulator, which enforces ESET's limit and
//! answers 429 beyond it: hundreds of concurrent calls while the token is renewed, or
//! revoked, in the middle of the run, and calls cancelled while they wait.
//!
//! Rates and gaps are measured at the server, by sampling its request counter, and
//! asserted generously; 429s are counted by the server exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use eset_connect_client::{EsetClient, EsetClientBuilder};
use futures::future::join_all;
use incident_core::RateLimit;
use incident_sim::EsetSim;
use tokio::time::Instant;

/// The limit of these tests, on both sides: ESET's 10 per second would make them slow for
/// the same property.
const PER_SECOND: u32 = 50;

/// These tests measure real time: one at a time, so that they do not slow each other.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A simulator on a runtime of its own, so that the server handles each request when it
/// arrives, whatever the client's tasks are doing.
struct Server {
    sim: Arc<EsetSim>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Server {
    async fn start(sim: incident_sim::EsetSimBuilder) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sim = runtime.spawn(sim.start()).await.unwrap().unwrap();
        Server {
            sim: Arc::new(sim),
            runtime: Some(runtime),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn builder(sim: &EsetSim) -> EsetClientBuilder {
    let (user, password) = sim.credentials();
    // The IAM on another origin (the same server under another name), as ESET's is: token
    // requests are then outside the limit.
    let iam = sim.iam_url().replace("127.0.0.1", "localhost");
    EsetClient::builder_with_urls(sim.url(), iam).credentials(user, password)
}

/// When the server's request count changed, sampled every millisecond until stopped.
struct Arrivals {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<(Instant, u64)>>,
}

impl Arrivals {
    fn record(sim: &Arc<EsetSim>) -> Arrivals {
        let stop = Arc::new(AtomicBool::new(false));
        let task = {
            let (sim, stop) = (Arc::clone(sim), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut seen = vec![(Instant::now(), sim.requests_served())];
                let mut tick = tokio::time::interval(Duration::from_millis(1));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                while !stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    let n = sim.requests_served();
                    if seen.last().is_some_and(|(_, last)| *last != n) {
                        seen.push((Instant::now(), n));
                    }
                }
                seen
            })
        };
        Arrivals { stop, task }
    }

    async fn finish(self) -> Vec<(Instant, u64)> {
        self.stop.store(true, Ordering::Relaxed);
        let mut seen = self.task.await.unwrap();
        // The first sample is the count before the run, not an arrival.
        seen.remove(0);
        seen
    }
}

/// What the server saw of a run.
struct Run {
    /// Requests per second beyond the first burst, from the first to the last arrival.
    rate: f64,
    /// The longest time without a request between the first and the last.
    longest_gap: Duration,
}

fn measure(seen: &[(Instant, u64)], requests: u64, burst: u64) -> Run {
    let span = seen[seen.len() - 1].0 - seen[0].0;
    Run {
        rate: (requests - burst) as f64 / span.as_secs_f64(),
        longest_gap: seen
            .windows(2)
            .map(|w| w[1].0 - w[0].0)
            .max()
            .unwrap_or_default(),
    }
}

/// `calls` concurrent gets, all of which must succeed; `during` runs beside them.
async fn run_calls(
    client: &EsetClient,
    sim: &Arc<EsetSim>,
    calls: usize,
    during: impl std::future::Future<Output = ()>,
) -> Vec<(Instant, u64)> {
    let uuids = sim.incident_uuids();
    let arrivals = Arrivals::record(sim);
    let gets = (0..calls).map(|i| {
        let (client, uuid) = (client.clone(), uuids[i % uuids.len()].clone());
        tokio::spawn(async move { client.incidents().get(&uuid).await })
    });
    let (results, ()) = tokio::join!(join_all(gets), during);
    for r in results {
        r.unwrap().unwrap();
    }
    arrivals.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_expiring_mid_run_neither_stalls_nor_bursts() {
    // Tokens of one second, renewed by the client after 0.8 s: three or four renewals in a
    // run of 200 calls at 50 per second.
    let _serial = ONE_AT_A_TIME.lock().await;
    let server = Server::start(
        EsetSim::builder()
            .rate_limit(Some(PER_SECOND))
            .token_lifetime(Duration::from_secs(1)),
    )
    .await;
    let sim = &server.sim;
    let limit = RateLimit::new(PER_SECOND, Duration::from_secs(1));
    let burst = limit.burst();
    let client = builder(sim).rate_limit(limit).build().unwrap();
    let seen = run_calls(&client, sim, 200, async {}).await;
    let (password, refresh) = sim.token_grants();
    assert_eq!(password, 1);
    assert!(refresh >= 2, "{refresh} renewals");
    assert_eq!(sim.rate_limited(), 0, "the server refused some");
    let run = measure(&seen, 200, u64::from(burst));
    println!(
        "token renewed {refresh} times: {:.1} requests/s beyond the burst, longest gap {:?}, 429s: {}",
        run.rate,
        run.longest_gap,
        sim.rate_limited()
    );
    assert!(
        run.longest_gap < Duration::from_secs(1),
        "no request for {:?}",
        run.longest_gap
    );
    assert!(
        run.rate >= 0.95 * f64::from(PER_SECOND),
        "{:.1}/s",
        run.rate
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_mid_run_neither_stalls_nor_bursts() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let server = Server::start(EsetSim::builder().rate_limit(Some(PER_SECOND))).await;
    let sim = &server.sim;
    let limit = RateLimit::new(PER_SECOND, Duration::from_secs(1));
    let burst = limit.burst();
    let client = builder(sim).rate_limit(limit).build().unwrap();
    // The server forgets every token once 100 calls have been answered: the calls in
    // flight get a 401 and are replayed with a new token, those queued wait for it.
    let revoke = async {
        while sim.requests_served() < 100 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        sim.sessions().expire_all();
    };
    let seen = run_calls(&client, sim, 200, revoke).await;
    let (password, refresh) = sim.token_grants();
    assert_eq!(password + refresh, 2, "one token, then one more");
    assert_eq!(sim.rate_limited(), 0, "the server refused some");
    let requests = sim.requests_served() - 2;
    let refused = requests - 200;
    // The calls already sent with the old token when the first 401 came back: a handful.
    assert!(refused <= 10, "{refused} calls replayed after a 401");
    let run = measure(&seen, requests, u64::from(burst));
    println!(
        "token revoked: {refused} replayed, {:.1} requests/s beyond the burst, longest gap {:?}, 429s: {}",
        run.rate,
        run.longest_gap,
        sim.rate_limited()
    );
    assert!(
        run.longest_gap < Duration::from_secs(1),
        "no request for {:?}",
        run.longest_gap
    );
    assert!(
        run.rate >= 0.95 * f64::from(PER_SECOND),
        "{:.1}/s",
        run.rate
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_cancelled_while_waiting_leave_no_dead_time() {
    // ESET's own limit, on both sides: one slot every 100 ms once the burst (9) is spent.
    let _serial = ONE_AT_A_TIME.lock().await;
    let server = Server::start(EsetSim::builder()).await;
    let sim = &server.sim;
    let client = builder(sim).build().unwrap();
    let uuid = sim.incident_uuids()[0].clone();
    for _ in 0..9 {
        client.incidents().get(&uuid).await.unwrap();
    }
    // 30 calls queue for the next slots, then are cancelled.
    let waiting: Vec<_> = (0..30)
        .map(|_| {
            let (client, uuid) = (client.clone(), uuid.clone());
            tokio::spawn(async move { client.incidents().get(&uuid).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    for call in &waiting {
        call.abort();
    }
    let sent_before = sim.requests_served();
    for call in waiting {
        let _ = call.await;
    }
    // The next call waits for the next slot at most (100 ms), not behind 30 cancelled ones
    // (3 s).
    let started = Instant::now();
    client.incidents().get(&uuid).await.unwrap();
    let waited = started.elapsed();
    println!(
        "after 30 cancelled calls the next waited {waited:?} ({} sent meanwhile); 429s: {}",
        sim.requests_served() - sent_before - 1,
        sim.rate_limited()
    );
    assert!(waited < Duration::from_millis(1000), "waited {waited:?}");
    assert_eq!(sim.rate_limited(), 0);
}
