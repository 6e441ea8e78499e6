//! The Rust side of the client processes: the SDK and the hand-written reqwest calls doing
//! the same requests. Each run happens in a process of its own (`benchmarks client ...`), so
//! that its peak resident set is its own, and prints one [`Measurement`] as a JSON line.
//!
//! The Python peer (`python/peer.py`) prints the same line for the same requests.

use std::error::Error as StdError;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt, stream};
use qradar_client::QRadarClient;
use qradar_client::model::Offense;
use serde::{Deserialize, Serialize};

/// The API version every implementation sends in the `Version` header (the SDK's default).
pub const API_VERSION: &str = "26.0";
/// The user the bulk update assigns offenses to.
pub const ASSIGNEE: &str = "analyst1";

/// What one client run reports.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Measurement {
    /// Offenses listed, or updates made.
    pub items: u64,
    /// Wall time of the work, from creating the client to the last item, in seconds.
    pub seconds: f64,
    /// CPU time (user and system, every thread) the client process spent on the same work,
    /// in seconds.
    #[serde(default)]
    pub cpu_seconds: Option<f64>,
    /// Peak resident set of the client process in KiB (`VmHWM`), where the system tells.
    pub peak_rss_kib: Option<u64>,
    /// Sum of the ids of the offenses seen: the work cannot be skipped, and every
    /// implementation must agree.
    pub id_sum: u64,
}

/// When a client's work began, by the wall clock and by the process's CPU clock.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    wall: Instant,
    cpu: f64,
}

impl Start {
    /// Now.
    pub fn now() -> Start {
        Start {
            wall: Instant::now(),
            cpu: crate::cpu::own_seconds(),
        }
    }

    /// The measurement of work that began at this start and just ended, having seen
    /// `items` with this checksum.
    pub fn finish(self, items: u64, id_sum: u64) -> Measurement {
        Measurement {
            items,
            seconds: self.wall.elapsed().as_secs_f64(),
            cpu_seconds: Some(crate::cpu::own_seconds() - self.cpu),
            peak_rss_kib: peak_rss_kib(),
            id_sum,
        }
    }

    /// Prints the measurement of the work that just ended as the JSON line the harness
    /// reads.
    pub fn report(self, items: u64, id_sum: u64) -> Result<(), String> {
        let measurement = self.finish(items, id_sum);
        let line = serde_json::to_string(&measurement).map_err(|e| e.to_string())?;
        println!("{line}");
        Ok(())
    }
}

/// Which client does the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// `qradar-client` with its defaults.
    Sdk,
    /// `qradar-client` with `prefetch(0)`: each page requested once the previous one is
    /// read, the same request pattern as the hand-written loop.
    SdkSequential,
    /// reqwest calls written by hand, decoding the SDK's `Offense`.
    Raw,
}

impl Implementation {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Implementation::Sdk => "sdk",
            Implementation::SdkSequential => "sdk-prefetch-0",
            Implementation::Raw => "raw",
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        [
            Implementation::Sdk,
            Implementation::SdkSequential,
            Implementation::Raw,
        ]
        .into_iter()
        .find(|i| i.name() == s)
        .ok_or_else(|| format!("unknown implementation {s:?}"))
    }
}

/// The tokio runtime a Rust client runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// What `#[tokio::main]` gives: one worker thread per core.
    MultiThread,
    /// `#[tokio::main(flavor = "current_thread")]`.
    CurrentThread,
}

impl Runtime {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::MultiThread => "multi-thread",
            Runtime::CurrentThread => "current-thread",
        }
    }
}

type BoxError = Box<dyn StdError + Send + Sync>;

/// `benchmarks client list-all|bulk-update IMPLEMENTATION URL TOKEN N M [RUNTIME]`: runs one
/// client and prints its measurement as a JSON line on standard output.
pub fn run(args: &[String]) -> Result<(), String> {
    let (args, runtime) = match args {
        [rest @ .., last] if last == Runtime::CurrentThread.name() => {
            (rest, Runtime::CurrentThread)
        }
        [rest @ .., last] if last == Runtime::MultiThread.name() => (rest, Runtime::MultiThread),
        _ => (args, Runtime::MultiThread),
    };
    let [scenario, implementation, url, token, n, m] = args else {
        return Err(
            "usage: benchmarks client list-all|bulk-update sdk|sdk-prefetch-0|raw \
             URL TOKEN PAGE_SIZE|COUNT _|CONCURRENCY [multi-thread|current-thread]"
                .to_owned(),
        );
    };
    let implementation = Implementation::parse(implementation)?;
    let number = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("expected a number, got {s:?}"))
    };
    let (n, m) = (number(n)?, number(m)?);
    let runtime = match runtime {
        Runtime::MultiThread => tokio::runtime::Builder::new_multi_thread(),
        Runtime::CurrentThread => tokio::runtime::Builder::new_current_thread(),
    }
    .enable_all()
    .build()
    .map_err(|e| e.to_string())?;
    let started = Start::now();
    let result = runtime.block_on(async {
        match (scenario.as_str(), implementation) {
            ("list-all", Implementation::Sdk) => list_all_sdk(url, token, n, None).await,
            ("list-all", Implementation::SdkSequential) => {
                list_all_sdk(url, token, n, Some(0)).await
            }
            ("list-all", Implementation::Raw) => list_all_raw(url, token, n).await,
            ("bulk-update", Implementation::Sdk | Implementation::SdkSequential) => {
                bulk_update_sdk(url, token, n, m).await
            }
            ("bulk-update", Implementation::Raw) => bulk_update_raw(url, token, n, m).await,
            (crate::sentinel::SCENARIO, Implementation::Raw) => {
                crate::sentinel::list_all_raw(url, token, n).await
            }
            (crate::sentinel::SCENARIO, _) => crate::sentinel::list_all_sdk(url, token, n).await,
            ("skyhigh-list-all", Implementation::Sdk | Implementation::SdkSequential) => {
                crate::harness::skyhigh::list_all_sdk(url, token, n).await
            }
            ("skyhigh-list-all", Implementation::Raw) => {
                crate::harness::skyhigh::list_all_raw(url, token, n).await
            }
            (other, _) => Err(format!("unknown scenario {other:?}").into()),
        }
    });
    let (items, id_sum) = result.map_err(|e| error_chain(&*e))?;
    started.report(items, id_sum)
}

fn error_chain(e: &(dyn StdError + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The peak resident set of this process in KiB, from `/proc/self/status` (Linux).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn sdk_client(url: &str, token: &str) -> Result<QRadarClient, BoxError> {
    Ok(QRadarClient::builder(url)
        .sec_token(token.to_owned())
        .api_version(API_VERSION)
        .build()?)
}

async fn list_all_sdk(
    url: &str,
    token: &str,
    page_size: u64,
    prefetch: Option<usize>,
) -> Result<(u64, u64), BoxError> {
    let client = sdk_client(url, token)?;
    let mut list = client.offenses().list().page_size(page_size);
    if let Some(pages) = prefetch {
        list = list.prefetch(pages);
    }
    let mut offenses = list.into_stream();
    let (mut items, mut id_sum) = (0, 0);
    while let Some(offense) = offenses.try_next().await? {
        items += 1;
        id_sum += offense.id.unwrap_or(0);
    }
    Ok((items, id_sum))
}

/// What a careful hand-written loop does: the same `Range` requests and headers as the SDK,
/// a status check, the total from `Content-Range`, and the SDK's typed `Offense`.
async fn list_all_raw(url: &str, token: &str, page_size: u64) -> Result<(u64, u64), BoxError> {
    let http = reqwest::Client::new();
    let endpoint = format!("{}/api/siem/offenses", url.trim_end_matches('/'));
    let (mut items, mut id_sum, mut start) = (0, 0, 0u64);
    loop {
        let resp = http
            .get(&endpoint)
            .header("SEC", token)
            .header("Version", API_VERSION)
            .header("Accept", "application/json")
            .header(
                "Range",
                format!("items={start}-{}", start + page_size.max(1) - 1),
            )
            .send()
            .await?
            .error_for_status()?;
        let total = resp
            .headers()
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit('/').next())
            .and_then(|t| t.trim().parse::<u64>().ok());
        let body = resp.bytes().await?;
        let page: Vec<Offense> = serde_json::from_slice(&body)?;
        for offense in &page {
            items += 1;
            id_sum += offense.id.unwrap_or(0);
        }
        start += page.len() as u64;
        if page.is_empty() || total.is_none_or(|t| start >= t) {
            return Ok((items, id_sum));
        }
    }
}

async fn bulk_update_sdk(
    url: &str,
    token: &str,
    count: u64,
    concurrency: u64,
) -> Result<(u64, u64), BoxError> {
    let client = sdk_client(url, token)?;
    let offenses = client.offenses();
    stream::iter(1..=count)
        .map(|id| {
            offenses
                .update(id)
                .assign_to(ASSIGNEE)
                .follow_up(true)
                .send()
        })
        .buffer_unordered(concurrency.max(1) as usize)
        .map_err(BoxError::from)
        .try_fold((0, 0), |(items, id_sum), offense| async move {
            Ok((items + 1, id_sum + offense.id.unwrap_or(0)))
        })
        .await
}

async fn bulk_update_raw(
    url: &str,
    token: &str,
    count: u64,
    concurrency: u64,
) -> Result<(u64, u64), BoxError> {
    let http = reqwest::Client::new();
    let base = url.trim_end_matches('/');
    stream::iter(1..=count)
        .map(|id| {
            let request = http
                .post(format!(
                    "{base}/api/siem/offenses/{id}?assigned_to={ASSIGNEE}&follow_up=true"
                ))
                .header("SEC", token)
                .header("Version", API_VERSION)
                .header("Accept", "application/json")
                .header("Content-Length", "0");
            async move {
                let resp = request.send().await?.error_for_status()?;
                let body = resp.bytes().await?;
                let offense: Offense = serde_json::from_slice(&body)?;
                Ok::<_, BoxError>(offense)
            }
        })
        .buffer_unordered(concurrency.max(1) as usize)
        .try_fold((0, 0), |(items, id_sum), offense| async move {
            Ok((items + 1, id_sum + offense.id.unwrap_or(0)))
        })
        .await
}
