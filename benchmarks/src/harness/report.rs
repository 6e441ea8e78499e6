//! One vendor's table: the walk's wall time, client CPU and memory for the SDK,
//! hand-written reqwest and Python, the simulator's CPU meanwhile, the decode row, and the
//! targets, each printed as met or missed (never asserted).

use std::fmt;

use super::decode::Decode;
use super::walk::Median;
use super::{figure, thousands};

/// How to read the tables; printed once before them.
pub(crate) const LEGEND: &str = "\
Each table: every client (the SDK, the same requests written by hand with reqwest, a Python
`requests` script) walks the vendor's simulator in a process of its own; medians of the runs.
CPU is the client process's user + system time over the walk; the simulator's CPU is read
from /proc while each client walks. Ratios divide the row's figures (SDK / raw, Python / SDK):
for seconds, CPU and memory lower is better, for MB/s higher.";

/// One walk at one size: its number of items and the medians of the SDK, raw reqwest and
/// Python (in that order).
#[derive(Debug, Clone)]
pub(crate) struct Walked {
    /// Items the walk lists.
    pub(crate) items: usize,
    /// SDK, raw reqwest, Python.
    pub(crate) peers: [Median; 3],
}

/// A vendor's figures.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    /// The vendor, e.g. `QRadar`.
    pub(crate) vendor: &'static str,
    /// What each client does, e.g. `list-all, pages of 1,000 (Range)`.
    pub(crate) walk: String,
    /// What an item is, plural, e.g. `offenses`.
    pub(crate) unit: &'static str,
    /// The walk at the full size.
    pub(crate) large: Walked,
    /// The walk at a tenth of it, for the scaling of memory; `None` when the vendor does
    /// not page (PTA answers every event at once).
    pub(crate) small: Option<Walked>,
    /// Decoding one page.
    pub(crate) decode: Decode,
}

/// A target and whether the run met it; `None` when it does not apply.
struct Target {
    text: String,
    met: Option<bool>,
}

impl Report {
    fn targets_list(&self) -> Vec<Target> {
        let [sdk, raw, python] = &self.large.peers;
        let cpu_vs_raw = sdk.cpu / raw.cpu;
        let python_vs_sdk = python.cpu / sdk.cpu;
        let typed_vs_value = self.decode.mb_per_s[0] / self.decode.mb_per_s[1];
        let wall_vs_raw = sdk.seconds / raw.seconds;
        let sim_vs_sdk = sdk.sim_cpu / sdk.cpu;
        let rss = match &self.small {
            Some(small) => {
                let ratio = sdk.rss_kib / small.peers[0].rss_kib;
                Target {
                    text: format!(
                        "memory: SDK peak RSS at {} <= 1.5x at {} ({ratio:.2}x)",
                        thousands(self.large.items as u64),
                        thousands(small.items as u64)
                    ),
                    met: Some(ratio <= 1.5),
                }
            }
            None => Target {
                text: "memory: flat across sizes (one answer: the vendor does not page)".into(),
                met: None,
            },
        };
        vec![
            Target {
                text: format!("client CPU: SDK <= 1.10x raw reqwest ({cpu_vs_raw:.2}x)"),
                met: Some(cpu_vs_raw <= 1.10),
            },
            Target {
                text: format!(
                    "client CPU: SDK <= 1/5 of Python's (Python / SDK {python_vs_sdk:.1}x)"
                ),
                met: Some(python_vs_sdk >= 5.0),
            },
            Target {
                text: format!("decode: typed >= 2x serde_json::Value ({typed_vs_value:.2}x)"),
                met: Some(typed_vs_value >= 2.0),
            },
            rss,
            Target {
                text: format!("wall time: SDK <= 1.10x raw reqwest ({wall_vs_raw:.2}x)"),
                met: Some(wall_vs_raw <= 1.10),
            },
            Target {
                text: format!(
                    "simulator: CPU per page < 1/5 of the SDK client's ({sim_vs_sdk:.3} of it)"
                ),
                met: Some(sim_vs_sdk < 0.2),
            },
        ]
    }

    /// The targets line of the summary: the vendor, then each target's outcome.
    pub(crate) fn targets(&self) -> String {
        let outcomes: Vec<String> = self
            .targets_list()
            .iter()
            .map(|t| format!("[{}] {}", outcome(t.met), t.text))
            .collect();
        format!("  {}: {}", self.vendor, outcomes.join("; "))
    }
}

fn outcome(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "n/a",
    }
}

/// A table row: a label, the three figures, and whether the ratio columns apply.
struct Row {
    label: String,
    figures: [f64; 3],
    precision: usize,
    ratios: bool,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |v: usize| thousands(v as u64);
        let large = &self.large;
        let each = |g: fn(&Median) -> f64| large.peers.each_ref().map(g);
        let mib = |kib: f64| kib / 1024.0;
        let unit = self.unit.trim_end_matches('s');
        let mut rows = vec![
            Row {
                label: format!("{} {}: wall seconds", n(large.items), self.unit),
                figures: each(|m| m.seconds),
                precision: 3,
                ratios: true,
            },
            Row {
                label: format!("{}: client CPU seconds", n(large.items)),
                figures: each(|m| m.cpu),
                precision: 3,
                ratios: true,
            },
            Row {
                label: format!("{}: client CPU µs per {unit}", n(large.items)),
                figures: each(|m| m.cpu).map(|s| s * 1e6 / large.items as f64),
                precision: 2,
                ratios: true,
            },
            Row {
                label: format!("{}: client peak RSS, MiB", n(large.items)),
                figures: each(|m| m.rss_kib).map(mib),
                precision: 1,
                ratios: true,
            },
        ];
        if let Some(small) = &self.small {
            let small_rss = small.peers.each_ref().map(|m| m.rss_kib);
            let large_rss = each(|m| m.rss_kib);
            rows.push(Row {
                label: format!("{}: client peak RSS, MiB", n(small.items)),
                figures: small_rss.map(mib),
                precision: 1,
                ratios: true,
            });
            rows.push(Row {
                label: format!("peak RSS {} / {}", n(large.items), n(small.items)),
                figures: [0, 1, 2].map(|i| large_rss[i] / small_rss[i]),
                precision: 2,
                ratios: false,
            });
        }
        let requests = large.peers[0].requests;
        rows.extend([
            Row {
                label: "simulator CPU seconds while the client walked".to_owned(),
                figures: each(|m| m.sim_cpu),
                precision: 3,
                ratios: false,
            },
            Row {
                label: format!("simulator CPU µs per request ({requests:.0} requests)"),
                figures: each(|m| m.sim_cpu * 1e6 / m.requests),
                precision: 1,
                ratios: false,
            },
            Row {
                label: "simulator CPU / client CPU".to_owned(),
                figures: each(|m| m.sim_cpu / m.cpu),
                precision: 3,
                ratios: false,
            },
            Row {
                label: format!(
                    "decode a page of {} {} ({:.2} MB): MB/s [raw: serde_json::Value, \
                     Python: json.loads]",
                    n(self.decode.records),
                    self.unit,
                    self.decode.bytes as f64 / 1e6
                ),
                figures: self.decode.mb_per_s,
                precision: 0,
                ratios: true,
            },
        ]);
        let title = format!("{}: {}", self.vendor, self.walk);
        let width = rows
            .iter()
            .map(|r| r.label.chars().count())
            .chain([title.chars().count()])
            .max()
            .unwrap_or(0);
        writeln!(
            f,
            "\n| {title:width$} | {:>10} | {:>11} | {:>10} | {:>9} | {:>12} |",
            "SDK", "raw reqwest", "Python", "SDK / raw", "Python / SDK"
        )?;
        writeln!(
            f,
            "|{}|-----------:|------------:|-----------:|----------:|-------------:|",
            "-".repeat(width + 2)
        )?;
        for row in &rows {
            let p = row.precision;
            let [sdk, raw, python] = row.figures.map(|v| figure(v, p, ""));
            let (vs_raw, python_vs) = if row.ratios {
                let [s, r, py] = row.figures;
                (figure(s / r, 2, "x"), figure(py / s, 2, "x"))
            } else {
                (String::new(), String::new())
            };
            writeln!(
                f,
                "| {:width$} | {sdk:>10} | {raw:>11} | {python:>10} | {vs_raw:>9} | {python_vs:>12} |",
                row.label
            )?;
        }
        writeln!(f, "Targets ({}):", self.vendor)?;
        for t in self.targets_list() {
            writeln!(f, "  [{}] {}", outcome(t.met), t.text)?;
        }
        Ok(())
    }
}
