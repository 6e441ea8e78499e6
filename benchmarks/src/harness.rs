//! The harness: starts each vendor's simulator and every client in processes of their own,
//! runs each walk for the SDK, the hand-written reqwest calls and the Python peer, checks
//! that they all did the same work, and prints one table per vendor with its targets.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::client::{Implementation, Measurement, Runtime};

pub(crate) mod decode;
pub(crate) mod eset;
pub(crate) mod qradar;
pub(crate) mod report;
pub(crate) mod sim;
#[path = "skyhigh.rs"]
pub(crate) mod skyhigh;
pub(crate) mod walk;

/// Sizes and repetitions of one harness run.
#[derive(Debug, Clone)]
pub struct Config {
    /// `--quick`: small sizes, one run each, for CI.
    pub quick: bool,
    /// Runs of each client per walk; the tables show the medians.
    pub runs: usize,
    /// Decodes of each vendor's page per implementation; the tables show the medians.
    pub decode_repeat: usize,
    /// Incidents of every paged walk.
    pub large: usize,
    /// Incidents of the smaller walk, for the scaling of memory (and QRadar's bulk-update).
    pub small: usize,
    /// Items per page of the paged walks: each vendor's largest (`None`), or this many.
    pub page_size: Option<u64>,
    /// CyberArk PTA security events, and how many of them each client closes.
    pub pta_events: (usize, usize),
    /// Updates in QRadar's bulk-update.
    pub bulk_updates: u64,
    /// Updates in flight in QRadar's bulk-update.
    pub concurrency: u64,
    /// Python interpreter used to create the virtual environment of the peer.
    pub python: String,
}

impl Config {
    /// Every walk at 100,000 and 10,000 incidents in each vendor's largest pages (PTA:
    /// 20,000 events, 500 closed), QRadar's 2,000 updates with 32 in flight, 5 runs each,
    /// 50 decodes of each page each way.
    pub fn full() -> Self {
        Config {
            quick: false,
            runs: 5,
            decode_repeat: 50,
            large: 100_000,
            small: 10_000,
            page_size: None,
            pta_events: (20_000, 500),
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
            decode_repeat: 3,
            large: 2_000,
            small: 500,
            page_size: Some(100),
            pta_events: (1_000, 50),
            bulk_updates: 200,
            ..Config::full()
        }
    }

    /// The page size of a walk whose vendor serves at most `largest` items a page.
    pub(crate) fn page(&self, largest: u64) -> u64 {
        self.page_size.map_or(largest, |size| size.min(largest))
    }
}

/// One implementation in a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peer {
    Rust(Implementation),
    Python,
}

/// The three columns of every table: the SDK, hand-written reqwest, Python.
pub(crate) const PEERS: [Peer; 3] = [
    Peer::Rust(Implementation::Sdk),
    Peer::Rust(Implementation::Raw),
    Peer::Python,
];

/// Runs every vendor's walks and prints their tables.
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
    println!("{}", report::LEGEND);
    let mut summary = Vec::new();
    let (qradar, extras) = qradar::run(config, &env)?;
    print!("{qradar}{extras}");
    summary.push(qradar.targets());
    for vendor in [
        crate::sentinel::report,
        crate::pta::report,
        eset::report,
        skyhigh::report,
    ] {
        let report = vendor(config, &env)?;
        print!("{report}");
        summary.push(report.targets());
    }
    println!("\nTargets, per vendor:");
    for targets in &summary {
        println!("{targets}");
    }
    println!(
        "\n(harness wall time {:.0} s; medians of {} run(s); figures are not asserted)",
        started.elapsed().as_secs_f64(),
        config.runs
    );
    Ok(())
}

/// Where the programs are.
pub(crate) struct Environment {
    /// This binary, which also serves the simulators and runs the Rust clients.
    pub(crate) exe: PathBuf,
    /// The Python interpreter of the peer's virtual environment.
    pub(crate) python: PathBuf,
    /// `python/peer.py`.
    pub(crate) peer: PathBuf,
    /// A folder for generated data.
    pub(crate) scratch: PathBuf,
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

    /// A Rust client of this binary (`benchmarks client SCENARIO IMPLEMENTATION ARGS...
    /// RUNTIME`) or the Python peer (`peer.py SCENARIO ARGS...`): `args` starts with the
    /// scenario.
    pub(crate) fn client(&self, peer: Peer, args: &[String], runtime: Runtime) -> Command {
        match peer {
            Peer::Rust(implementation) => {
                let mut cmd = Command::new(&self.exe);
                cmd.arg("client").arg(&args[0]).arg(implementation.name());
                cmd.args(&args[1..]).arg(runtime.name());
                cmd
            }
            Peer::Python => {
                let mut cmd = Command::new(&self.python);
                cmd.arg(&self.peer).args(args);
                cmd
            }
        }
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

/// Runs one client process to completion and reads the measurement it prints last.
pub(crate) fn run_client(mut cmd: Command) -> Result<Measurement, String> {
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

/// The median; NaN for none.
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Sum of `1..=n`.
pub(crate) fn id_sum(n: u64) -> u64 {
    n * (n + 1) / 2
}

/// A figure with `precision` decimals and a suffix, or `-` when there is none.
pub(crate) fn figure(value: f64, precision: usize, suffix: &str) -> String {
    if value.is_finite() {
        format!("{value:.precision$}{suffix}")
    } else {
        "-".to_owned()
    }
}

/// `100000` as `100,000`.
pub(crate) fn thousands(n: u64) -> String {
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
        assert_eq!(figure(f64::NAN, 2, "x"), "-");
        assert_eq!(figure(1.234, 2, "x"), "1.23x");
        assert_eq!(Config::full().page(500), 500);
        assert_eq!(Config::quick().page(500), 100);
        assert_eq!(Config::quick().page(50), 50);
    }
}
