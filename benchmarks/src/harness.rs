//! The harness: starts the simulator and every client in processes of their own, runs each
//! scenario for the SDK, the hand-written reqwest calls and the Python peer, checks that they
//! all did the same work, and prints one table.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use qradar_client::model::Offense;
use serde::Deserialize;

use crate::client::{Implementation, Measurement, Runtime};

pub(crate) mod eset;
#[path = "skyhigh.rs"]
pub(crate) mod skyhigh;

/// Sizes and repetitions of one harness run.
#[derive(Debug, Clone)]
pub struct Config {
    /// `--quick`: small sizes, one run each, for CI.
    pub quick: bool,
    /// Runs of each client per scenario; the table shows the median.
    pub runs: usize,
    /// Offenses in the decode document.
    pub decode_offenses: usize,
    /// Decodes of the document per implementation.
    pub decode_repeat: usize,
    /// Offenses in the simulator for list-all.
    pub list_offenses: usize,
    /// Offenses in the smaller simulator of the scaling scenario (and of bulk-update).
    pub small_offenses: usize,
    /// Items per page when listing.
    pub page_size: u64,
    /// Updates in bulk-update.
    pub bulk_updates: u64,
    /// Updates in flight in bulk-update.
    pub concurrency: u64,
    /// Python interpreter used to create the virtual environment of the peer.
    pub python: String,
}

impl Config {
    /// The sizes the issue asks for: 10,000 offenses to decode, 100,000 to list (and 10,000
    /// for scaling), pages of 1,000, 2,000 updates with 32 in flight, 3 runs each.
    pub fn full() -> Self {
        Config {
            quick: false,
            runs: 3,
            decode_offenses: 10_000,
            decode_repeat: 10,
            list_offenses: 100_000,
            small_offenses: 10_000,
            page_size: 1_000,
            bulk_updates: 2_000,
            concurrency: 32,
            python: "python3".to_owned(),
        }
    }

    /// Small sizes that exercise every path in seconds.
    pub fn quick() -> Self {
        Config {
            quick: true,
            runs: 1,
            decode_offenses: 1_000,
            decode_repeat: 3,
            list_offenses: 5_000,
            small_offenses: 500,
            page_size: 100,
            bulk_updates: 200,
            ..Config::full()
        }
    }
}

/// One implementation in a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peer {
    Rust(Implementation),
    Python,
}

pub(crate) const PEERS: [Peer; 3] = [
    Peer::Rust(Implementation::Sdk),
    Peer::Rust(Implementation::Raw),
    Peer::Python,
];

/// Runs every scenario and prints the table.
pub fn run(config: &Config) -> Result<(), String> {
    let started = Instant::now();
    let env = Environment::prepare(config)?;
    println!(
        "incident-sdk benchmarks ({}): {}",
        if config.quick { "quick" } else { "full" },
        machine()
    );
    if cfg!(debug_assertions) {
        println!("(debug build: the figures say nothing about speed; run with --release)");
    }

    eprintln!("decode: {} offenses", config.decode_offenses);
    let decode = decode(config, &env)?;

    eprintln!(
        "list-all: {} offenses, pages of {}",
        config.list_offenses, config.page_size
    );
    let large = Sim::start(&env, config.list_offenses)?;
    let list_large = list_all(config, &env, &large, config.list_offenses)?;
    drop(large);

    eprintln!("scaling: {} offenses", config.small_offenses);
    let mut small = Sim::start(&env, config.small_offenses)?;
    let list_small = list_all(config, &env, &small, config.small_offenses)?;

    eprintln!(
        "bulk-update: {} updates, {} in flight",
        config.bulk_updates, config.concurrency
    );
    let bulk = bulk_update(config, &env, &mut small)?;
    drop(small);

    let (incidents, limit) = skyhigh::sizes(config);
    eprintln!("skyhigh list-all: {incidents} incidents, limit {limit}");
    let skyhigh = skyhigh::list_all(config, &env)?;

    let table = Table::build(config, &decode, &list_large, &list_small, &bulk);
    print!("{table}");
    crate::sentinel::run(config, &env)?;
    crate::pta::run(config, &env)?;
    print!("{}", eset::scenario(config, &env)?);
    print!("{skyhigh}");
    println!(
        "\n(harness wall time {:.0} s; medians of {} run(s); figures are not asserted)",
        started.elapsed().as_secs_f64(),
        config.runs
    );
    Ok(())
}

/// Where the programs are.
pub(crate) struct Environment {
    /// This binary, which also serves the simulator and runs the Rust clients.
    pub(crate) exe: PathBuf,
    /// The Python interpreter of the peer's virtual environment.
    pub(crate) python: PathBuf,
    /// `python/peer.py`.
    pub(crate) peer: PathBuf,
    /// A folder for generated data.
    scratch: PathBuf,
}

impl Environment {
    fn prepare(config: &Config) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
        // target/<profile>/benchmarks: keep the environment beside the build.
        let target = exe
            .parent()
            .and_then(Path::parent)
            .ok_or("cannot find the target directory")?
            .to_path_buf();
        let scratch = target.join("benchmarks");
        std::fs::create_dir_all(&scratch)
            .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
        let python = python_venv(&config.python, &scratch.join("venv"), &here)?;
        Ok(Environment {
            exe,
            python,
            peer: here.join("peer.py"),
            scratch,
        })
    }
}

/// Creates (once) a virtual environment with the peer's requirements and returns its
/// interpreter. `pip install` returns at once when the pinned versions are already there.
fn python_venv(system_python: &str, venv: &Path, sources: &Path) -> Result<PathBuf, String> {
    let python = venv.join("bin").join("python");
    if !python.exists() {
        eprintln!("creating the Python environment {}", venv.display());
        command(Command::new(system_python).arg("-m").arg("venv").arg(venv))?;
    }
    command(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(sources.join("requirements.txt")),
    )?;
    Ok(python)
}

/// Runs a command to completion, its output going to standard error.
fn command(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .stdout(Stdio::inherit())
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed: {status}"))
    }
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or_else(
            || "unknown memory".to_owned(),
            |kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0),
        );
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            let line = c.lines().find(|l| l.starts_with("model name"))?;
            Some(line.split_once(':')?.1.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{cores} cores ({cpu}), {memory}")
}

// ---------------------------------------------------------------------------------------------
// The simulator process
// ---------------------------------------------------------------------------------------------

/// A simulator serving in a child process (`benchmarks sim qradar ...`).
struct Sim {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    url: String,
    token: String,
}

#[derive(Debug, Deserialize)]
struct SimStats {
    connections_accepted: u64,
}

impl Sim {
    fn start(env: &Environment, offenses: usize) -> Result<Self, String> {
        let mut child = Command::new(&env.exe)
            .args(["sim", "qradar", "--offenses", &offenses.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the simulator: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err("the simulator's standard streams are missing".to_owned());
        };
        let mut sim = Sim {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            url: String::new(),
            token: String::new(),
        };
        loop {
            let line = sim.read_line()?;
            if let Some(url) = line.strip_prefix("QRADAR_URL=") {
                sim.url = url.to_owned();
            } else if let Some(token) = line.strip_prefix("QRADAR_TOKEN=") {
                sim.token = token.to_owned();
            } else if line == "READY" {
                return Ok(sim);
            }
        }
    }

    fn read_line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("the simulator exited".to_owned()),
            Ok(_) => Ok(line.trim_end().to_owned()),
            Err(e) => Err(format!("cannot read from the simulator: {e}")),
        }
    }

    /// TCP connections the simulator has accepted so far. Asked on its standard input, so
    /// asking opens no connection.
    fn connections(&mut self) -> Result<u64, String> {
        self.stdin
            .write_all(b"stats\n")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("cannot write to the simulator: {e}"))?;
        let line = self.read_line()?;
        let stats: SimStats = serde_json::from_str(&line)
            .map_err(|e| format!("unreadable simulator stats {line:?}: {e}"))?;
        Ok(stats.connections_accepted)
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

// ---------------------------------------------------------------------------------------------
// Client processes
// ---------------------------------------------------------------------------------------------

pub(crate) fn run_client(
    env: &Environment,
    peer: Peer,
    args: &[String],
    runtime: Runtime,
) -> Result<Measurement, String> {
    let mut cmd = match peer {
        Peer::Rust(implementation) => {
            let mut cmd = Command::new(&env.exe);
            cmd.arg("client").arg(&args[0]).arg(implementation.name());
            cmd.args(&args[1..]).arg(runtime.name());
            cmd
        }
        Peer::Python => {
            let mut cmd = Command::new(&env.python);
            cmd.arg(&env.peer).args(args);
            cmd
        }
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

/// Checks that a client did exactly the expected work.
fn check(peer: Peer, m: &Measurement, items: u64, id_sum: u64) -> Result<(), String> {
    if m.items == items && m.id_sum == id_sum {
        Ok(())
    } else {
        Err(format!(
            "{peer:?} saw {} offenses with id sum {}, expected {items} and {id_sum}",
            m.items, m.id_sum
        ))
    }
}

pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Sum of `1..=n`.
fn id_sum(n: u64) -> u64 {
    n * (n + 1) / 2
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// Decode throughput in MB/s, per column (SDK typed, serde_json::Value, json.loads).
struct Decode {
    bytes: usize,
    mb_per_s: [f64; 3],
}

fn decode(config: &Config, env: &Environment) -> Result<Decode, String> {
    let n = config.decode_offenses;
    let text = incident_sim::seeded_offenses_json(n, incident_sim::qradar::DEFAULT_SEED);
    let bytes = text.as_bytes();
    let (mut typed, mut value) = (Vec::new(), Vec::new());
    for _ in 0..config.decode_repeat {
        let t = Instant::now();
        // The SDK's own decoding path, as `ApiResponse::json` runs it.
        let offenses: Vec<Offense> = incident_core::transport::decode_json(bytes)
            .map_err(|(path, e)| format!("typed decode failed at {path}: {e}"))?;
        typed.push(t.elapsed().as_secs_f64());
        let sum: u64 = offenses.iter().filter_map(|o| o.id).sum();
        drop(offenses);

        let t = Instant::now();
        let parsed: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("Value decode failed: {e}"))?;
        value.push(t.elapsed().as_secs_f64());
        let value_sum: u64 = parsed
            .as_array()
            .map(|a| a.iter().filter_map(|o| o["id"].as_u64()).sum())
            .unwrap_or(0);
        if sum != id_sum(n as u64) || value_sum != sum {
            return Err(format!("decode saw id sums {sum} and {value_sum}"));
        }
    }
    let file = env.scratch.join(format!("offenses-{n}.json"));
    std::fs::write(&file, bytes).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    let python = run_client(
        env,
        Peer::Python,
        &[
            "decode".to_owned(),
            file.display().to_string(),
            config.decode_repeat.to_string(),
        ],
        Runtime::MultiThread,
    )?;
    check(Peer::Python, &python, n as u64, id_sum(n as u64))?;
    let mb = bytes.len() as f64 / 1e6;
    Ok(Decode {
        bytes: bytes.len(),
        mb_per_s: [mb / median(typed), mb / median(value), mb / python.seconds],
    })
}

/// Median seconds and peak RSS (KiB) per column.
struct Walk {
    offenses: usize,
    seconds: [f64; 3],
    rss_kib: [f64; 3],
    /// The SDK with `prefetch(0)`: seconds and peak RSS.
    sequential: (f64, f64),
}

fn list_all(config: &Config, env: &Environment, sim: &Sim, n: usize) -> Result<Walk, String> {
    let args = [
        "list-all".to_owned(),
        sim.url.clone(),
        sim.token.clone(),
        config.page_size.to_string(),
        "0".to_owned(),
    ];
    let expected = id_sum(n as u64);
    // Untimed: the simulator serializes each offense on first use and keeps the text.
    let raw = Peer::Rust(Implementation::Raw);
    let warm = run_client(env, raw, &args, Runtime::MultiThread)?;
    check(raw, &warm, n as u64, expected)?;
    let sequential = Peer::Rust(Implementation::SdkSequential);
    // Columns SDK, raw, Python, then the SDK without prefetch.
    let mut seconds: [Vec<f64>; 4] = Default::default();
    let mut rss: [Vec<f64>; 4] = Default::default();
    for _ in 0..config.runs {
        for (i, peer) in PEERS.into_iter().chain([sequential]).enumerate() {
            let m = run_client(env, peer, &args, Runtime::MultiThread)?;
            check(peer, &m, n as u64, expected)?;
            seconds[i].push(m.seconds);
            rss[i].push(m.peak_rss_kib.map_or(f64::NAN, |k| k as f64));
        }
    }
    let [s0, s1, s2, s3] = seconds.map(median);
    let [r0, r1, r2, r3] = rss.map(median);
    Ok(Walk {
        offenses: n,
        seconds: [s0, s1, s2],
        rss_kib: [r0, r1, r2],
        sequential: (s3, r3),
    })
}

/// Median updates per second and the most connections any run opened, per column: on the
/// multi-threaded runtime, then (SDK and raw only) on the current-thread runtime.
struct Bulk {
    per_second: [f64; 3],
    connections: [u64; 3],
    current_thread_per_second: [f64; 2],
    current_thread_connections: [u64; 2],
}

fn bulk_update(config: &Config, env: &Environment, sim: &mut Sim) -> Result<Bulk, String> {
    let args = [
        "bulk-update".to_owned(),
        sim.url.clone(),
        sim.token.clone(),
        config.bulk_updates.to_string(),
        config.concurrency.to_string(),
    ];
    let expected = id_sum(config.bulk_updates);
    let runs: Vec<(Peer, Runtime)> = PEERS
        .into_iter()
        .map(|peer| (peer, Runtime::MultiThread))
        .chain(
            [Implementation::Sdk, Implementation::Raw]
                .map(|i| (Peer::Rust(i), Runtime::CurrentThread)),
        )
        .collect();
    let mut rates: [Vec<f64>; 5] = Default::default();
    let mut connections = [0u64; 5];
    for _ in 0..config.runs {
        for (i, &(peer, runtime)) in runs.iter().enumerate() {
            let before = sim.connections()?;
            let m = run_client(env, peer, &args, runtime)?;
            let opened = sim.connections()? - before;
            check(peer, &m, config.bulk_updates, expected)?;
            rates[i].push(m.items as f64 / m.seconds);
            connections[i] = connections[i].max(opened);
        }
    }
    let [r0, r1, r2, r3, r4] = rates.map(median);
    let [c0, c1, c2, c3, c4] = connections;
    Ok(Bulk {
        per_second: [r0, r1, r2],
        connections: [c0, c1, c2],
        current_thread_per_second: [r3, r4],
        current_thread_connections: [c3, c4],
    })
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

struct Row {
    label: String,
    figures: [f64; 3],
    precision: usize,
    /// Whether the ratio columns mean anything for this row.
    ratios: bool,
}

struct Target {
    text: String,
    met: bool,
}

struct Table {
    rows: Vec<Row>,
    targets: Vec<Target>,
}

impl Table {
    fn build(config: &Config, decode: &Decode, large: &Walk, small: &Walk, bulk: &Bulk) -> Self {
        let mib = |k: [f64; 3]| k.map(|v| v / 1024.0);
        let per_s = |w: &Walk| w.seconds.map(|s| w.offenses as f64 / s);
        let ratio = |a: [f64; 3], b: [f64; 3]| [a[0] / b[0], a[1] / b[1], a[2] / b[2]];
        let n = |v: usize| thousands(v as u64);
        let rows = vec![
            Row {
                label: format!(
                    "decode {} offenses ({:.1} MB): MB/s   [raw = serde_json::Value]",
                    n(config.decode_offenses),
                    decode.bytes as f64 / 1e6
                ),
                figures: decode.mb_per_s,
                precision: 0,
                ratios: true,
            },
            Row {
                label: format!(
                    "list-all {} (pages of {}): seconds",
                    n(large.offenses),
                    config.page_size
                ),
                figures: large.seconds,
                precision: 3,
                ratios: true,
            },
            Row {
                label: format!(
                    "list-all {}, SDK with prefetch(0): seconds",
                    n(large.offenses)
                ),
                figures: [large.sequential.0, large.seconds[1], large.seconds[2]],
                precision: 3,
                ratios: true,
            },
            Row {
                label: format!("list-all {}: offenses/s", n(large.offenses)),
                figures: per_s(large),
                precision: 0,
                ratios: true,
            },
            Row {
                label: format!("list-all {}: client peak RSS, MiB", n(large.offenses)),
                figures: mib(large.rss_kib),
                precision: 1,
                ratios: true,
            },
            Row {
                label: format!("list-all {}: seconds", n(small.offenses)),
                figures: small.seconds,
                precision: 3,
                ratios: true,
            },
            Row {
                label: format!("list-all {}: client peak RSS, MiB", n(small.offenses)),
                figures: mib(small.rss_kib),
                precision: 1,
                ratios: true,
            },
            Row {
                label: format!(
                    "scaling: time {} / time {}",
                    n(large.offenses),
                    n(small.offenses)
                ),
                figures: ratio(large.seconds, small.seconds),
                precision: 2,
                ratios: false,
            },
            Row {
                label: format!(
                    "scaling: peak RSS {} / peak RSS {}",
                    n(large.offenses),
                    n(small.offenses)
                ),
                figures: ratio(large.rss_kib, small.rss_kib),
                precision: 2,
                ratios: false,
            },
            Row {
                label: format!(
                    "bulk-update {} ({} in flight): updates/s",
                    thousands(config.bulk_updates),
                    config.concurrency
                ),
                figures: bulk.per_second,
                precision: 0,
                ratios: true,
            },
            Row {
                label: "bulk-update: TCP connections accepted (most of any run)".to_owned(),
                figures: bulk.connections.map(|c| c as f64),
                precision: 0,
                ratios: false,
            },
            Row {
                label: "bulk-update, current-thread runtime: updates/s".to_owned(),
                figures: [
                    bulk.current_thread_per_second[0],
                    bulk.current_thread_per_second[1],
                    f64::NAN,
                ],
                precision: 0,
                ratios: true,
            },
            Row {
                label: "bulk-update, current-thread runtime: TCP connections".to_owned(),
                figures: [
                    bulk.current_thread_connections[0] as f64,
                    bulk.current_thread_connections[1] as f64,
                    f64::NAN,
                ],
                precision: 0,
                ratios: false,
            },
        ];
        let list_vs_raw = large.seconds[0] / large.seconds[1];
        let sequential_vs_raw = large.sequential.0 / large.seconds[1];
        let python_vs_sdk = large.seconds[2] / large.seconds[0];
        let typed_vs_value = decode.mb_per_s[0] / decode.mb_per_s[1];
        let rss_ratio = large.rss_kib[0] / small.rss_kib[0];
        let bulk_vs_raw = bulk.per_second[0] / bulk.per_second[1];
        let targets = vec![
            Target {
                text: format!("list-all: SDK time <= 1.10x raw reqwest ({list_vs_raw:.2}x)"),
                met: list_vs_raw <= 1.10,
            },
            Target {
                text: format!(
                    "list-all: SDK with prefetch(0), same requests as raw, <= 1.10x raw \
                     ({sequential_vs_raw:.2}x)"
                ),
                met: sequential_vs_raw <= 1.10,
            },
            Target {
                text: format!("list-all: SDK at least 5x faster than Python ({python_vs_sdk:.1}x)"),
                met: python_vs_sdk >= 5.0,
            },
            Target {
                text: format!(
                    "decode: typed at least as fast as serde_json::Value ({typed_vs_value:.2}x)"
                ),
                met: typed_vs_value >= 1.0,
            },
            Target {
                text: format!(
                    "scaling: SDK peak RSS at {} <= 1.5x at {} ({rss_ratio:.2}x)",
                    n(large.offenses),
                    n(small.offenses)
                ),
                met: rss_ratio <= 1.5,
            },
            Target {
                text: format!(
                    "bulk-update: SDK >= 0.9x raw reqwest throughput ({bulk_vs_raw:.2}x)"
                ),
                met: bulk_vs_raw >= 0.9,
            },
            Target {
                text: format!(
                    "bulk-update: SDK connections <= {} ({}; {} on the current-thread runtime)",
                    config.concurrency, bulk.connections[0], bulk.current_thread_connections[0]
                ),
                met: bulk.connections[0] <= config.concurrency,
            },
        ];
        Table { rows, targets }
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let width = self.rows.iter().map(|r| r.label.len()).max().unwrap_or(0);
        writeln!(
            f,
            "\n| {:width$} | {:>10} | {:>11} | {:>10} | {:>9} | {:>12} |",
            "scenario", "SDK", "raw reqwest", "Python", "SDK / raw", "SDK / Python"
        )?;
        writeln!(
            f,
            "|{}|-----------:|------------:|-----------:|----------:|-------------:|",
            "-".repeat(width + 2)
        )?;
        for row in &self.rows {
            let p = row.precision;
            let [sdk, raw, python] = row.figures.map(|v| figure(v, p, ""));
            let (vs_raw, vs_python) = if row.ratios {
                let [s, r, py] = row.figures;
                (figure(s / r, 2, "x"), figure(s / py, 2, "x"))
            } else {
                (String::new(), String::new())
            };
            writeln!(
                f,
                "| {:width$} | {sdk:>10} | {raw:>11} | {python:>10} | {vs_raw:>9} | {vs_python:>12} |",
                row.label
            )?;
        }
        writeln!(f, "\nTargets:")?;
        for t in &self.targets {
            writeln!(f, "  [{}] {}", if t.met { "met" } else { "MISSED" }, t.text)?;
        }
        Ok(())
    }
}

/// A figure with `precision` decimals and a suffix, or `-` when there is none.
pub(crate) fn figure(value: f64, precision: usize, suffix: &str) -> String {
    if value.is_finite() {
        format!("{value:.precision$}{suffix}")
    } else {
        "-".to_owned()
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(vec![]).is_nan());
        assert_eq!(id_sum(4), 10);
    }
}
