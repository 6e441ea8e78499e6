//! The Sentinel scenario: list every incident of a Sentinel simulator (a token, then
//! `page`/`pagesize` pages, then sign-out) with the SDK, hand-written reqwest calls and the
//! Python peer, each in a process of its own.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use futures::TryStreamExt;
use sentinel_client::{Incident, Page, SentinelClient};

use crate::client::Measurement;
use crate::harness::{Config, Environment, PEERS, Peer, figure, median, run_client};

/// The scenario's name on the clients' command lines.
pub const SCENARIO: &str = "sentinel-list-all";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A Sentinel simulator serving in a child process (`benchmarks sim sentinel ...`).
struct Sim {
    child: Child,
    stdin: ChildStdin,
    url: String,
    credentials: String,
}

impl Sim {
    fn start(env: &Environment, incidents: usize) -> Result<Self, String> {
        let mut child = Command::new(&env.exe)
            .args(["sim", "sentinel", "--incidents", &incidents.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the Sentinel simulator: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err("the simulator's standard streams are missing".to_owned());
        };
        let (mut url, mut user, mut password) = (String::new(), String::new(), String::new());
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| format!("cannot read from the simulator: {e}"))?;
            if let Some(v) = line.strip_prefix("SENTINEL_URL=") {
                url = v.to_owned();
            } else if let Some(v) = line.strip_prefix("SENTINEL_USERNAME=") {
                user = v.to_owned();
            } else if let Some(v) = line.strip_prefix("SENTINEL_PASSWORD=") {
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
        Err("the Sentinel simulator exited".to_owned())
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

/// Runs the scenario and prints its table: median seconds and peak RSS per column.
pub fn run(config: &Config, env: &Environment) -> Result<(), String> {
    let (n, page_size) = if config.quick {
        (2_000, 100)
    } else {
        (20_000, 500)
    };
    eprintln!("sentinel list-all: {n} incidents, pages of {page_size}");
    let sim = Sim::start(env, n)?;
    let args = [
        SCENARIO.to_owned(),
        sim.url.clone(),
        sim.credentials.clone(),
        page_size.to_string(),
        "0".to_owned(),
    ];
    let expected = (n as u64) * (n as u64 + 1) / 2;
    let check = |peer: Peer, m: &Measurement| {
        if m.items == n as u64 && m.id_sum == expected {
            Ok(())
        } else {
            Err(format!(
                "{peer:?} saw {} incidents with id sum {}, expected {n} and {expected}",
                m.items, m.id_sum
            ))
        }
    };
    // Untimed warm-up.
    let warm = run_client(env, PEERS[1], &args, crate::client::Runtime::MultiThread)?;
    check(PEERS[1], &warm)?;
    let mut seconds: [Vec<f64>; 3] = Default::default();
    let mut rss: [Vec<f64>; 3] = Default::default();
    for _ in 0..config.runs {
        for (i, peer) in PEERS.into_iter().enumerate() {
            let m = run_client(env, peer, &args, crate::client::Runtime::MultiThread)?;
            check(peer, &m)?;
            seconds[i].push(m.seconds);
            rss[i].push(m.peak_rss_kib.map_or(f64::NAN, |k| k as f64));
        }
    }
    let s = seconds.map(median);
    let r = rss.map(median).map(|k| k / 1024.0);
    println!(
        "\nSentinel list-all {n} incidents (pages of {page_size}, token and sign-out included):"
    );
    println!(
        "| {:40} | {:>10} | {:>11} | {:>10} | {:>9} | {:>12} |",
        "scenario", "SDK", "raw reqwest", "Python", "SDK / raw", "SDK / Python"
    );
    println!(
        "|------------------------------------|-----------:|------------:|-----------:|----------:|-------------:|"
    );
    for (label, v, p) in [("seconds", s, 3), ("client peak RSS, MiB", r, 1)] {
        println!(
            "| {:40} | {:>10} | {:>11} | {:>10} | {:>9} | {:>12} |",
            format!("sentinel list-all: {label}"),
            figure(v[0], p, ""),
            figure(v[1], p, ""),
            figure(v[2], p, ""),
            figure(v[0] / v[1], 2, "x"),
            figure(v[0] / v[2], 2, "x")
        );
    }
    Ok(())
}

fn split(credentials: &str) -> Result<(&str, &str), BoxError> {
    credentials
        .split_once(':')
        .ok_or_else(|| "credentials must be user:password".into())
}

/// The SDK: the incident stream, then sign-out.
pub async fn list_all_sdk(
    url: &str,
    credentials: &str,
    page_size: u64,
) -> Result<(u64, u64), BoxError> {
    let (user, password) = split(credentials)?;
    let client = SentinelClient::builder(url)
        .credentials(user, password)
        .build()?;
    let mut incidents = client.incidents().list().page_size(page_size).into_stream();
    let (mut items, mut id_sum) = (0, 0);
    while let Some(incident) = incidents.try_next().await? {
        items += 1;
        id_sum += incident
            .id()
            .and_then(|id| id.parse::<u64>().ok())
            .unwrap_or(0);
    }
    client.sign_out().await?;
    Ok((items, id_sum))
}

/// What a careful hand-written loop does: a token, the same page requests and headers as
/// the SDK, a status check, the SDK's typed `Incident`, and the token deleted.
pub async fn list_all_raw(
    url: &str,
    credentials: &str,
    page_size: u64,
) -> Result<(u64, u64), BoxError> {
    let (user, password) = split(credentials)?;
    let http = reqwest::Client::new();
    let base = url.trim_end_matches('/');
    let token: serde_json::Value = serde_json::from_slice(
        &http
            .post(format!("{base}/SentinelAuthServices/auth/tokens"))
            .basic_auth(user, Some(password))
            .header("Accept", "application/json")
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?,
    )?;
    let token = token["Token"].as_str().ok_or("no Token")?.to_owned();
    let saml = format!("X-SAML {token}");
    let (mut items, mut id_sum, mut page) = (0, 0, 1u64);
    loop {
        let body = http
            .get(format!(
                "{base}/SentinelRESTServices/objects/incident?page={page}&pagesize={page_size}"
            ))
            .header("Authorization", &saml)
            .header("Accept", "application/json")
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let got: Page<Incident> = serde_json::from_slice(&body)?;
        for incident in &got.objects {
            items += 1;
            id_sum += incident
                .id()
                .and_then(|id| id.parse::<u64>().ok())
                .unwrap_or(0);
        }
        if (got.objects.len() as u64) < page_size {
            break;
        }
        page += 1;
    }
    http.delete(format!("{base}/SentinelAuthServices/auth/tokens/{token}"))
        .basic_auth(user, Some(password))
        .send()
        .await?
        .error_for_status()?;
    Ok((items, id_sum))
}
