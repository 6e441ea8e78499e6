//! The Skyhigh list-all scenario: every incident of the simulator through the time cursor
//! (`nextStartTime` fed back until it is null; pages that carry the incidents sharing their
//! last timestamp beyond the limit, as the simulator does by default; boundary repeats, from a
//! tenant that sends them, dropped by `incidentId`), with the SDK's
//! stream, a hand-written reqwest loop and the Python peer (`python/skyhigh_peer.py`), each in
//! a process of its own. A child module of the harness, which owns the processes and the
//! table helpers.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use futures::TryStreamExt;
use serde::Deserialize;
use skyhigh_client::{Incident, ResponseInfo, SkyhighClient};

use super::{Config, Environment, PEERS, Peer, check, median, run_client};

use crate::client::{Implementation, Runtime};

/// The `startTime` of every walk: the simulator's first incident.
const START: &str = incident_sim::skyhigh::FIRST_INCIDENT_TIME;

/// Incidents in the simulator and the `limit` of each request.
pub(super) fn sizes(config: &Config) -> (usize, u64) {
    if config.quick {
        (3_000, 500)
    } else {
        (50_000, 500)
    }
}

/// Sum of the numbers of the seeded ids `X-1000`, `X-1001`...: every implementation must
/// see each incident exactly once.
fn id_sum(n: u64) -> u64 {
    n * 1_000 + n * n.saturating_sub(1) / 2
}

fn number(incident: &Incident) -> u64 {
    incident
        .incident_id
        .as_ref()
        .and_then(|id| id.number())
        .unwrap_or(0)
}

/// A Skyhigh simulator serving in a child process (`benchmarks sim skyhigh ...`).
struct Sim {
    child: Child,
    stdin: ChildStdin,
    url: String,
    credentials: String,
}

impl Sim {
    fn start(env: &Environment, incidents: usize) -> Result<Self, String> {
        let mut child = Command::new(&env.exe)
            .args(["sim", "skyhigh", "--incidents", &incidents.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the Skyhigh simulator: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err("the simulator's standard streams are missing".to_owned());
        };
        let (mut url, mut user, mut password) = (String::new(), String::new(), String::new());
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| format!("cannot read from the simulator: {e}"))?;
            if let Some(v) = line.strip_prefix("SKYHIGH_URL=") {
                url = v.to_owned();
            } else if let Some(v) = line.strip_prefix("SKYHIGH_USERNAME=") {
                user = v.to_owned();
            } else if let Some(v) = line.strip_prefix("SKYHIGH_PASSWORD=") {
                password = v.to_owned();
            } else if line == "READY" {
                return Ok(Sim {
                    child,
                    stdin,
                    url,
                    credentials: format!("{user}:{password}"),
                });
            }
        }
        let _ = child.kill();
        Err("the Skyhigh simulator exited".to_owned())
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.stdin.write_all(b"quit\n");
        let _ = self.stdin.flush();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Median seconds and peak RSS (KiB) of the SDK, raw reqwest and Python.
pub(super) struct SkyhighWalk {
    incidents: usize,
    page_size: u64,
    seconds: [f64; 3],
    rss_kib: [f64; 3],
}

pub(super) fn list_all(config: &Config, env: &Environment) -> Result<SkyhighWalk, String> {
    let (n, page_size) = sizes(config);
    let sim = Sim::start(env, n)?;
    let args = [
        "skyhigh-list-all".to_owned(),
        sim.url.clone(),
        sim.credentials.clone(),
        page_size.to_string(),
        "0".to_owned(),
    ];
    let expected = id_sum(n as u64);
    // Untimed warm-up.
    let raw = Peer::Rust(Implementation::Raw);
    check(
        raw,
        &run_client(env, raw, &args, Runtime::MultiThread)?,
        n as u64,
        expected,
    )?;
    let mut seconds: [Vec<f64>; 3] = Default::default();
    let mut rss: [Vec<f64>; 3] = Default::default();
    for _ in 0..config.runs {
        for (i, peer) in PEERS.into_iter().enumerate() {
            let m = run_client(env, peer, &args, Runtime::MultiThread)?;
            check(peer, &m, n as u64, expected)?;
            seconds[i].push(m.seconds);
            rss[i].push(m.peak_rss_kib.map_or(f64::NAN, |k| k as f64));
        }
    }
    Ok(SkyhighWalk {
        incidents: n,
        page_size,
        seconds: seconds.map(median),
        rss_kib: rss.map(median),
    })
}

impl std::fmt::Display for SkyhighWalk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [sdk, raw, python] = self.seconds;
        let [r0, r1, r2] = self.rss_kib.map(|k| k / 1024.0);
        writeln!(
            f,
            "\nSkyhigh list-all {} incidents (limit {}, time cursor with de-duplication):",
            self.incidents, self.page_size
        )?;
        writeln!(
            f,
            "| {:<28} | {:>10} | {:>11} | {:>10} | {:>9} | {:>12} |",
            "figure", "SDK", "raw reqwest", "Python", "SDK / raw", "SDK / Python"
        )?;
        writeln!(
            f,
            "|------------------------------|-----------:|------------:|-----------:|----------:|-------------:|"
        )?;
        writeln!(
            f,
            "| {:<28} | {sdk:>10.3} | {raw:>11.3} | {python:>10.3} | {:>8.2}x | {:>11.2}x |",
            "seconds",
            sdk / raw,
            sdk / python
        )?;
        let n = self.incidents as f64;
        writeln!(
            f,
            "| {:<28} | {:>10.0} | {:>11.0} | {:>10.0} | {:>8.2}x | {:>11.2}x |",
            "incidents/s",
            n / sdk,
            n / raw,
            n / python,
            raw / sdk,
            python / sdk
        )?;
        writeln!(
            f,
            "| {:<28} | {r0:>10.1} | {r1:>11.1} | {r2:>10.1} | {:>8.2}x | {:>11.2}x |",
            "client peak RSS, MiB",
            r0 / r1,
            r0 / r2
        )?;
        let vs_raw = sdk / raw;
        let vs_python = python / sdk;
        writeln!(
            f,
            "  [{}] SDK time <= 1.10x raw reqwest ({vs_raw:.2}x)",
            if vs_raw <= 1.10 { "met" } else { "MISSED" }
        )?;
        writeln!(
            f,
            "  [{}] SDK at least 5x faster than Python ({vs_python:.1}x)",
            if vs_python >= 5.0 { "met" } else { "MISSED" }
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The Rust clients (run in `benchmarks client skyhigh-list-all ...`)
// ---------------------------------------------------------------------------------------------

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn split(credentials: &str) -> (&str, &str) {
    credentials.split_once(':').unwrap_or((credentials, ""))
}

/// The SDK: the query stream.
pub(crate) async fn list_all_sdk(
    url: &str,
    credentials: &str,
    limit: u64,
) -> Result<(u64, u64), BoxError> {
    let (user, password) = split(credentials);
    let client = SkyhighClient::builder(url)
        .basic_auth(user, password.to_owned())
        .build()?;
    let mut incidents = client
        .incidents()
        .query()
        .start_time_raw(START)
        .limit(u32::try_from(limit)?)
        .into_stream();
    let (mut items, mut sum) = (0, 0);
    while let Some(incident) = incidents.try_next().await? {
        items += 1;
        sum += number(&incident);
    }
    Ok((items, sum))
}

#[derive(Deserialize)]
struct Answer {
    body: Body,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    incidents: Vec<Incident>,
    #[serde(rename = "responseInfo", default)]
    response_info: Option<ResponseInfo>,
}

/// What a careful hand-written loop does: the same requests, a status check (404 is the
/// end), the SDK's typed `Incident`, pages of any length, boundary repeats dropped against
/// the previous page, the end at a null cursor, an empty page or a cursor that stops moving.
pub(crate) async fn list_all_raw(
    url: &str,
    credentials: &str,
    limit: u64,
) -> Result<(u64, u64), BoxError> {
    let (user, password) = split(credentials);
    let http = reqwest::Client::new();
    let endpoint = format!(
        "{}/shnapi/rest/external/api/v1/queryIncidents?limit={limit}",
        url.trim_end_matches('/')
    );
    let (mut items, mut sum) = (0, 0);
    let mut start = START.to_owned();
    let mut previous: HashSet<String> = HashSet::new();
    loop {
        let resp = http
            .post(&endpoint)
            .basic_auth(user, Some(password))
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(serde_json::json!({"startTime": start}).to_string())
            .send()
            .await?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok((items, sum));
        }
        let bytes = resp.error_for_status()?.bytes().await?;
        let answer: Answer = serde_json::from_slice(&bytes)?;
        if let Some(error) = answer
            .body
            .response_info
            .as_ref()
            .and_then(|i| i.error.as_ref())
        {
            return Err(format!("error inside a 200: {error:?}").into());
        }
        let page = answer.body.incidents;
        if page.is_empty() {
            return Ok((items, sum));
        }
        let mut current = HashSet::with_capacity(page.len());
        for incident in &page {
            let id = incident
                .incident_id
                .as_ref()
                .map(|i| i.as_str().to_owned())
                .unwrap_or_default();
            if !previous.contains(&id) {
                items += 1;
                sum += number(incident);
            }
            current.insert(id);
        }
        previous = current;
        let next = answer
            .body
            .response_info
            .and_then(|i| i.next_start_time)
            .filter(|n| *n != start);
        match next {
            Some(next) => start = next,
            None => return Ok((items, sum)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums() {
        assert_eq!(id_sum(3), 1_000 + 1_001 + 1_002);
        assert_eq!(split("a@b:c:d"), ("a@b", "c:d"));
    }
}
