//! The QRadar walks: list-all through `Range` pages at two sizes (and the SDK with
//! `prefetch(0)`, the request pattern of the hand-written loop), the decode of a page of
//! offenses, and bulk-update (updates per second and the connections they opened, on both
//! tokio runtimes).

use std::fmt;

use super::decode;
use super::report::{Report, Walked};
use super::sim::SimProcess;
use super::walk::{self, Expect, Median};
use super::{Config, Environment, PEERS, Peer, figure, id_sum, median, run_client, thousands};
use crate::client::{Implementation, Runtime};

/// QRadar's largest page: `Range` asks for any size; the SDK pages by 1,000 unless told.
const PAGE: u64 = 1_000;

/// What QRadar measures beyond the common table: the SDK without prefetch, and
/// bulk-update.
pub(crate) struct Extras {
    items: usize,
    /// The SDK with `prefetch(0)` at the full size.
    sequential: Median,
    /// Raw reqwest at the full size, for the ratio.
    raw: Median,
    updates: u64,
    concurrency: u64,
    /// Median updates per second: SDK, raw, Python on the multi-threaded runtime, then
    /// SDK and raw on the current-thread runtime.
    per_second: [f64; 5],
    /// The most connections any run opened, in the same order.
    connections: [u64; 5],
}

/// Measures QRadar.
pub(crate) fn run(config: &Config, env: &Environment) -> Result<(Report, Extras), String> {
    let page = config.page(PAGE);
    let decode = decode::measure(config, env, decode::Page::QRadar, page as usize)?;

    let sequential = Peer::Rust(Implementation::SdkSequential);
    let walk = |n: usize, peers: &[Peer]| -> Result<Vec<Median>, String> {
        eprintln!("qradar list-all: {n} offenses, pages of {page}");
        let mut sim = start(env, n)?;
        let args = list_args(&sim, page)?;
        let expect = Expect::Exactly {
            items: n as u64,
            id_sum: id_sum(n as u64),
        };
        let command = |peer| env.client(peer, &args, Runtime::MultiThread);
        walk::measure(config, &mut sim, peers, &command, expect)
    };
    let mut large = walk(config.large, &[PEERS[0], PEERS[1], PEERS[2], sequential])?;
    let sequential = large.pop().ok_or("no prefetch(0) figures")?;
    let small = walk(config.small, &PEERS)?;

    eprintln!(
        "qradar bulk-update: {} updates, {} in flight",
        config.bulk_updates, config.concurrency
    );
    let mut sim = start(env, config.small.max(config.bulk_updates as usize))?;
    let (per_second, connections) = bulk_update(config, env, &mut sim)?;
    let peers = |v: Vec<Median>| -> Result<[Median; 3], String> {
        v.try_into()
            .map_err(|_| "three columns expected".to_owned())
    };
    let large = peers(large)?;
    let report = Report {
        vendor: "QRadar",
        walk: format!("list-all, pages of {} (Range)", thousands(page)),
        unit: "offenses",
        large: Walked {
            items: config.large,
            peers: large,
        },
        small: Some(Walked {
            items: config.small,
            peers: peers(small)?,
        }),
        decode,
    };
    let extras = Extras {
        items: config.large,
        sequential,
        raw: large[1],
        updates: config.bulk_updates,
        concurrency: config.concurrency,
        per_second,
        connections,
    };
    Ok((report, extras))
}

fn start(env: &Environment, offenses: usize) -> Result<SimProcess, String> {
    SimProcess::start(
        env,
        &["qradar".into(), "--offenses".into(), offenses.to_string()],
    )
}

fn list_args(sim: &SimProcess, page: u64) -> Result<Vec<String>, String> {
    Ok(vec![
        "list-all".to_owned(),
        sim.var("QRADAR_URL")?,
        sim.var("QRADAR_TOKEN")?,
        page.to_string(),
        "0".to_owned(),
    ])
}

/// Median updates per second and the most connections any run opened, per column: on the
/// multi-threaded runtime, then (SDK and raw only) on the current-thread runtime.
fn bulk_update(
    config: &Config,
    env: &Environment,
    sim: &mut SimProcess,
) -> Result<([f64; 5], [u64; 5]), String> {
    let args = [
        "bulk-update".to_owned(),
        sim.var("QRADAR_URL")?,
        sim.var("QRADAR_TOKEN")?,
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
            let before = sim.stats()?.connections_accepted;
            let m = run_client(env.client(peer, &args, runtime))?;
            let opened = sim.stats()?.connections_accepted - before;
            if (m.items, m.id_sum) != (config.bulk_updates, expected) {
                return Err(format!(
                    "{peer:?} made {} updates with id sum {}, expected {} and {expected}",
                    m.items, m.id_sum, config.bulk_updates
                ));
            }
            rates[i].push(m.items as f64 / m.seconds);
            connections[i] = connections[i].max(opened);
        }
    }
    Ok((rates.map(median), connections))
}

impl fmt::Display for Extras {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = thousands(self.items as u64);
        let (s, r) = (&self.sequential, &self.raw);
        let rows: [(String, [f64; 3], usize, bool); 6] = [
            (
                format!("list-all {n}, SDK with prefetch(0): wall seconds"),
                [s.seconds, r.seconds, f64::NAN],
                3,
                true,
            ),
            (
                format!("list-all {n}, SDK with prefetch(0): client CPU seconds"),
                [s.cpu, r.cpu, f64::NAN],
                3,
                true,
            ),
            (
                format!(
                    "bulk-update {} ({} in flight): updates/s",
                    thousands(self.updates),
                    self.concurrency
                ),
                [self.per_second[0], self.per_second[1], self.per_second[2]],
                0,
                true,
            ),
            (
                "bulk-update: TCP connections accepted (most of any run)".to_owned(),
                [0, 1, 2].map(|i| self.connections[i] as f64),
                0,
                false,
            ),
            (
                "bulk-update, current-thread runtime: updates/s".to_owned(),
                [self.per_second[3], self.per_second[4], f64::NAN],
                0,
                true,
            ),
            (
                "bulk-update, current-thread runtime: TCP connections".to_owned(),
                [
                    self.connections[3] as f64,
                    self.connections[4] as f64,
                    f64::NAN,
                ],
                0,
                false,
            ),
        ];
        let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        writeln!(
            f,
            "\n| {:width$} | {:>10} | {:>11} | {:>10} | {:>9} | {:>12} |",
            "QRadar: the SDK without prefetch, bulk-update",
            "SDK",
            "raw reqwest",
            "Python",
            "SDK / raw",
            "Python / SDK"
        )?;
        writeln!(
            f,
            "|{}|-----------:|------------:|-----------:|----------:|-------------:|",
            "-".repeat(width + 2)
        )?;
        for (label, [sdk, raw, python], p, ratios) in &rows {
            let (vs_raw, python_vs) = if *ratios {
                (figure(sdk / raw, 2, "x"), figure(python / sdk, 2, "x"))
            } else {
                (String::new(), String::new())
            };
            writeln!(
                f,
                "| {label:width$} | {:>10} | {:>11} | {:>10} | {vs_raw:>9} | {python_vs:>12} |",
                figure(*sdk, *p, ""),
                figure(*raw, *p, ""),
                figure(*python, *p, ""),
            )?;
        }
        let bulk_vs_raw = self.per_second[0] / self.per_second[1];
        let sequential_vs_raw = s.cpu / r.cpu;
        for (met, text) in [
            (
                sequential_vs_raw <= 1.10,
                format!(
                    "list-all: SDK with prefetch(0), the same requests as raw, CPU <= 1.10x raw \
                     ({sequential_vs_raw:.2}x)"
                ),
            ),
            (
                bulk_vs_raw >= 0.9,
                format!("bulk-update: SDK >= 0.9x raw reqwest throughput ({bulk_vs_raw:.2}x)"),
            ),
            (
                self.connections[0] <= self.concurrency,
                format!(
                    "bulk-update: SDK connections <= {} ({}; {} on the current-thread runtime)",
                    self.concurrency, self.connections[0], self.connections[3]
                ),
            ),
        ] {
            writeln!(f, "  [{}] {text}", if met { "met" } else { "MISSED" })?;
        }
        Ok(())
    }
}
