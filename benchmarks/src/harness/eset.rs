//! The ESET Connect scenario: list every incident of the ESET simulator (its rate limit
//! off) through `eset-connect-client`, hand-written reqwest calls and a Python `requests`
//! script, each in a process of its own, and print the figures as ratios.
//!
//! Every implementation gets a token with the password grant, then follows
//! `nextPageToken` with pages of the same size, decoding each page: the SDK through its
//! stream (its client-side rate limit off, as the simulator's), the raw client into the
//! SDK's `IncidentsPage` type, Python with `json`. Each reports the number of incidents and
//! a checksum of their uuids, which must agree.

use std::process::{Command, Stdio};
use std::time::Instant;

use eset_connect_client::{EsetClient, IncidentsPage};
use futures::TryStreamExt;

use super::{
    Child, ChildStdin, ChildStdout, Config, Environment, Row, Table, Target, median, thousands,
};
use crate::client::{Measurement, peak_rss_kib};
use std::io::{BufRead, BufReader, Write};

/// Incidents to list and the page size, by harness mode.
fn sizes(config: &Config) -> (usize, u32) {
    if config.quick {
        (2_000, 100)
    } else {
        (100_000, 1_000)
    }
}

/// The ESET simulator in a child process (`benchmarks sim eset ...`).
struct Sim {
    child: Child,
    stdin: ChildStdin,
    url: String,
    iam: String,
    user: String,
    password: String,
}

impl Sim {
    fn start(env: &Environment, incidents: usize) -> Result<Sim, String> {
        let mut child = Command::new(&env.exe)
            .args(["sim", "eset", "--rate-limit", "0", "--incidents"])
            .arg(incidents.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the ESET simulator: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err("the simulator's standard streams are missing".to_owned());
        };
        let mut stdout: BufReader<ChildStdout> = BufReader::new(stdout);
        let mut sim = Sim {
            child,
            stdin,
            url: String::new(),
            iam: String::new(),
            user: String::new(),
            password: String::new(),
        };
        loop {
            let mut line = String::new();
            match stdout.read_line(&mut line) {
                Ok(0) | Err(_) => return Err("the ESET simulator exited".to_owned()),
                Ok(_) => {}
            }
            let line = line.trim_end();
            if line == "READY" {
                return Ok(sim);
            }
            if let Some((name, value)) = line.split_once('=') {
                let value = value.to_owned();
                match name {
                    "ESET_URL" => sim.url = value,
                    "ESET_IAM_URL" => sim.iam = value,
                    "ESET_USERNAME" => sim.user = value,
                    "ESET_PASSWORD" => sim.password = value,
                    _ => {}
                }
            }
        }
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

/// A checksum of a uuid that every implementation computes alike: its first 8 hex digits.
fn uuid_sum(uuid: &str) -> u64 {
    uuid.get(..8)
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .unwrap_or(0)
}

/// `benchmarks eset-client sdk|raw URL IAM_URL USER PASSWORD PAGE_SIZE`: lists every
/// incident and prints one [`Measurement`] line.
pub(crate) fn client(args: &[String]) -> Result<(), String> {
    let [implementation, url, iam, user, password, size] = args else {
        return Err(
            "usage: benchmarks eset-client sdk|raw URL IAM_URL USER PASSWORD PAGE_SIZE".into(),
        );
    };
    let size: u32 = size.parse().map_err(|_| "PAGE_SIZE must be a number")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let (items, id_sum) = runtime.block_on(async {
        match implementation.as_str() {
            "sdk" => sdk(url, iam, user, password, size).await,
            "raw" => raw(url, iam, user, password, size).await,
            other => Err(format!("unknown implementation {other:?}")),
        }
    })?;
    let m = Measurement {
        items,
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_kib: peak_rss_kib(),
        id_sum,
    };
    println!("{}", serde_json::to_string(&m).map_err(|e| e.to_string())?);
    Ok(())
}

async fn sdk(
    url: &str,
    iam: &str,
    user: &str,
    password: &str,
    size: u32,
) -> Result<(u64, u64), String> {
    let client = EsetClient::builder_with_urls(url, iam)
        .credentials(user, password.to_owned())
        .no_rate_limit()
        .build()
        .map_err(|e| e.to_string())?;
    client
        .incidents()
        .list()
        .page_size(size)
        .into_stream()
        .try_fold((0u64, 0u64), |(n, sum), i| async move {
            Ok((n + 1, sum + uuid_sum(i.uuid.as_deref().unwrap_or(""))))
        })
        .await
        .map_err(|e| e.to_string())
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn raw(
    url: &str,
    iam: &str,
    user: &str,
    password: &str,
    size: u32,
) -> Result<(u64, u64), String> {
    let http = reqwest::Client::new();
    let form = format!(
        "grant_type=password&username={}&password={}",
        encode(user),
        encode(password)
    );
    let resp = http
        .post(format!("{iam}/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| e.to_string())?;
    let token: serde_json::Value =
        serde_json::from_slice(&resp.bytes().await.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let bearer = format!(
        "Bearer {}",
        token["access_token"].as_str().unwrap_or_default()
    );
    let (mut n, mut sum) = (0u64, 0u64);
    let mut next = String::new();
    loop {
        let mut target = format!("{url}/v2/incidents?pageSize={size}");
        if !next.is_empty() {
            target.push_str("&pageToken=");
            target.push_str(&encode(&next));
        }
        let body = http
            .get(target)
            .header("authorization", &bearer)
            .header("accept", "application/json")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.to_string())?
            .bytes()
            .await
            .map_err(|e| e.to_string())?;
        let page: IncidentsPage = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        for i in &page.incidents {
            n += 1;
            sum += uuid_sum(i.uuid.as_deref().unwrap_or(""));
        }
        match page.next_token() {
            Some(t) => next = t.to_owned(),
            None => return Ok((n, sum)),
        }
    }
}

fn run_one(env: &Environment, sim: &Sim, peer: &str, size: u32) -> Result<Measurement, String> {
    let common = [
        sim.url.clone(),
        sim.iam.clone(),
        sim.user.clone(),
        sim.password.clone(),
        size.to_string(),
    ];
    let mut cmd = if peer == "python" {
        let mut cmd = Command::new(&env.python);
        cmd.arg(env.peer.with_file_name("eset_peer.py"))
            .arg("list-all")
            .args(&common);
        cmd
    } else {
        let mut cmd = Command::new(&env.exe);
        cmd.arg("eset-client").arg(peer).args(&common);
        cmd
    };
    let output = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{cmd:?} failed: {}", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).map_err(|e| format!("{cmd:?} printed {line:?}: {e}"))
}

/// Runs the scenario and returns its table.
pub(super) fn scenario(config: &Config, env: &Environment) -> Result<Table, String> {
    let (n, size) = sizes(config);
    eprintln!("eset list-all: {n} incidents, pages of {size}");
    let sim = Sim::start(env, n)?;
    // Untimed warm-up; also the reference for the checksum.
    let reference = run_one(env, &sim, "raw", size)?;
    if reference.items != n as u64 {
        return Err(format!(
            "the raw client saw {} incidents, expected {n}",
            reference.items
        ));
    }
    let peers = ["sdk", "raw", "python"];
    let mut seconds: [Vec<f64>; 3] = Default::default();
    let mut rss: [Vec<f64>; 3] = Default::default();
    for _ in 0..config.runs {
        for (i, peer) in peers.iter().enumerate() {
            let m = run_one(env, &sim, peer, size)?;
            if (m.items, m.id_sum) != (reference.items, reference.id_sum) {
                return Err(format!(
                    "{peer} saw {} incidents with checksum {}, expected {} and {}",
                    m.items, m.id_sum, reference.items, reference.id_sum
                ));
            }
            seconds[i].push(m.seconds);
            rss[i].push(m.peak_rss_kib.map_or(f64::NAN, |k| k as f64));
        }
    }
    let seconds = seconds.map(median);
    let rss = rss.map(median);
    let rows = vec![
        Row {
            label: format!(
                "ESET list-all {} (pages of {size}): seconds",
                thousands(n as u64)
            ),
            figures: seconds,
            precision: 3,
            ratios: true,
        },
        Row {
            label: format!("ESET list-all {}: incidents/s", thousands(n as u64)),
            figures: seconds.map(|s| n as f64 / s),
            precision: 0,
            ratios: true,
        },
        Row {
            label: format!(
                "ESET list-all {}: client peak RSS, MiB",
                thousands(n as u64)
            ),
            figures: rss.map(|k| k / 1024.0),
            precision: 1,
            ratios: true,
        },
    ];
    // Page tokens make the walk sequential, and the simulator builds every page: that,
    // not the client, sets the pace of all three, so only the SDK's overhead over the same
    // requests by hand has a target.
    let vs_raw = seconds[0] / seconds[1];
    let targets = vec![Target {
        text: format!("ESET list-all: SDK time <= 1.10x raw reqwest ({vs_raw:.2}x)"),
        met: vs_raw <= 1.10,
    }];
    Ok(Table { rows, targets })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_and_encoding() {
        assert_eq!(uuid_sum("0000000a-xxxx"), 10);
        assert_eq!(uuid_sum("zz"), 0);
        assert_eq!(encode("a@b c+/="), "a%40b%20c%2B%2F%3D");
    }
}
