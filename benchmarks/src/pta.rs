//! The CyberArk PTA scenario: log on, list every security event, close a fixed set of them
//! (the first ids in sorted order, so that every implementation sends the same requests on
//! every run), log off. The SDK, hand-written reqwest calls and the Python peer do it against
//! the PTA simulator served as a process of its own; the table shows the medians and ratios.
//!
//! `benchmarks pta-client sdk|raw URL USER PASSWORD CLOSES` runs one Rust client and prints
//! its [`Measurement`] as a JSON line (`items`: events listed, `id_sum`: events closed).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Instant;

use cyberark_pta_client::{PtaClient, SecurityEvent};

use crate::client::{Measurement, peak_rss_kib};
use crate::harness::{Config, Environment};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Security events in the simulator, and how many each client closes.
fn sizes(config: &Config) -> (usize, usize) {
    if config.quick {
        (1_000, 50)
    } else {
        (20_000, 500)
    }
}

/// Runs the scenario for every implementation and prints its table.
pub(crate) fn run(config: &Config, env: &Environment) -> Result<(), String> {
    let (events, closes) = sizes(config);
    eprintln!("pta: {events} security events, {closes} closed");
    let sim = Sim::start(env, events)?;
    let args = [
        sim.url.clone(),
        sim.user.clone(),
        sim.password.clone(),
        closes.to_string(),
    ];
    let expected = (events as u64, closes as u64);
    let names = ["SDK", "raw reqwest", "Python"];
    let mut seconds: [Vec<f64>; 3] = Default::default();
    let mut rss: [Vec<f64>; 3] = Default::default();
    // Untimed: the first walk warms the simulator and the page cache.
    measure(env, 1, &args, expected)?;
    for _ in 0..config.runs {
        for (i, _) in names.iter().enumerate() {
            let m = measure(env, i, &args, expected)?;
            seconds[i].push(m.seconds);
            rss[i].push(m.peak_rss_kib.map_or(f64::NAN, |k| k as f64 / 1024.0));
        }
    }
    let s = seconds.map(median);
    let r = rss.map(median);
    println!("\nCyberArk PTA: log on, list {events} security events, close {closes}, log off");
    println!(
        "| {:<28} | {:>10} | {:>11} | {:>10} | {:>9} | {:>12} |",
        "scenario", names[0], names[1], names[2], "SDK / raw", "SDK / Python"
    );
    println!(
        "|------------------------------|-----------:|------------:|-----------:|----------:|-------------:|"
    );
    for (label, v, p) in [("seconds", s, 3), ("client peak RSS, MiB", r, 1)] {
        println!(
            "| {:<28} | {:>10.p$} | {:>11.p$} | {:>10.p$} | {:>8.2}x | {:>11.2}x |",
            format!("pta {label}"),
            v[0],
            v[1],
            v[2],
            v[0] / v[1],
            v[0] / v[2],
        );
    }
    Ok(())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Runs implementation `i` (SDK, raw, Python) in a process of its own.
fn measure(
    env: &Environment,
    i: usize,
    args: &[String; 4],
    (events, closes): (u64, u64),
) -> Result<Measurement, String> {
    let mut cmd = match i {
        0 | 1 => {
            let mut cmd = Command::new(&env.exe);
            cmd.arg("pta-client")
                .arg(if i == 0 { "sdk" } else { "raw" });
            cmd
        }
        _ => {
            let mut cmd = Command::new(&env.python);
            cmd.arg(&env.peer).arg("pta-list-close");
            cmd
        }
    };
    let output = cmd
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{cmd:?} failed: {}", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let m: Measurement =
        serde_json::from_str(line).map_err(|e| format!("{cmd:?} printed {line:?}: {e}"))?;
    if (m.items, m.id_sum) != (events, closes) {
        return Err(format!(
            "{cmd:?} listed {} events and closed {}, expected {events} and {closes}",
            m.items, m.id_sum
        ));
    }
    Ok(m)
}

/// The PTA simulator in a child process (`benchmarks sim cyberark-pta ...`).
struct Sim {
    child: Child,
    stdin: ChildStdin,
    url: String,
    user: String,
    password: String,
}

impl Sim {
    fn start(env: &Environment, events: usize) -> Result<Self, String> {
        let mut child = Command::new(&env.exe)
            .args(["sim", "cyberark-pta", "--events", &events.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the PTA simulator: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err("the simulator's standard streams are missing".to_owned());
        };
        let mut sim = Sim {
            child,
            stdin,
            url: String::new(),
            user: String::new(),
            password: String::new(),
        };
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| format!("cannot read from the simulator: {e}"))?;
            if let Some(v) = line.strip_prefix("PTA_URL=") {
                sim.url = v.to_owned();
            } else if let Some(v) = line.strip_prefix("PTA_USERNAME=") {
                sim.user = v.to_owned();
            } else if let Some(v) = line.strip_prefix("PTA_PASSWORD=") {
                sim.password = v.to_owned();
            } else if line == "READY" {
                return Ok(sim);
            }
        }
        Err("the simulator exited".to_owned())
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

/// `benchmarks pta-client sdk|raw URL USER PASSWORD CLOSES`.
pub(crate) fn client(args: &[String]) -> Result<(), String> {
    let [implementation, url, user, password, closes] = args else {
        return Err("usage: benchmarks pta-client sdk|raw URL USER PASSWORD CLOSES".to_owned());
    };
    let closes: usize = closes
        .parse()
        .map_err(|_| format!("expected a number, got {closes:?}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let result = runtime.block_on(async {
        match implementation.as_str() {
            "sdk" => sdk(url, user, password, closes).await,
            "raw" => raw(url, user, password, closes).await,
            other => Err(format!("unknown implementation {other:?}").into()),
        }
    });
    let (items, id_sum) = result.map_err(|e| e.to_string())?;
    let m = Measurement {
        items,
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_kib: peak_rss_kib(),
        id_sum,
    };
    println!("{}", serde_json::to_string(&m).map_err(|e| e.to_string())?);
    Ok(())
}

/// The ids to close: the first `n` in sorted order.
fn to_close(events: &[SecurityEvent], n: usize) -> Vec<String> {
    let mut ids: Vec<String> = events.iter().filter_map(|e| e.id.clone()).collect();
    ids.sort_unstable();
    ids.truncate(n);
    ids
}

async fn sdk(url: &str, user: &str, password: &str, n: usize) -> Result<(u64, u64), BoxError> {
    let client = PtaClient::builder(url)
        .credentials(user, password.to_owned())
        .build()?;
    let events = client.events().list().send().await?;
    let mut closed = 0;
    for id in to_close(&events, n) {
        client.events().close(id).send().await?;
        closed += 1;
    }
    client.log_off().await?;
    Ok((events.len() as u64, closed))
}

/// What a careful hand-written client does: the same requests, status checks, the SDK's
/// typed `SecurityEvent`.
async fn raw(url: &str, user: &str, password: &str, n: usize) -> Result<(u64, u64), BoxError> {
    let http = reqwest::Client::new();
    let app = format!("{}/PasswordVault/API", url.trim_end_matches('/'));
    let body = serde_json::json!({"username": user, "password": password}).to_string();
    let token: String = serde_json::from_slice(
        &http
            .post(format!("{app}/auth/CyberArk/Logon"))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(body)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?,
    )?;
    let list = http
        .get(format!("{app}/pta/API/Events/"))
        .header("Authorization", &token)
        .header("Accept", "application/json")
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let events: Vec<SecurityEvent> = serde_json::from_slice(&list)?;
    let mut closed = 0;
    for id in to_close(&events, n) {
        let answer = http
            .patch(format!("{app}/pta/API/Events/{id}"))
            .header("Authorization", &token)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(r#"{"mStatus":"CLOSED"}"#)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let _: SecurityEvent = serde_json::from_slice(&answer)?;
        closed += 1;
    }
    http.post(format!("{app}/Auth/Logoff"))
        .header("Authorization", &token)
        .header("Content-Length", "0")
        .send()
        .await?
        .error_for_status()?;
    Ok((events.len() as u64, closed))
}
