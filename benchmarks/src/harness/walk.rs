//! One walk measured for several clients against one simulator: each client in a process
//! of its own, run after run, with its wall time, its CPU time and its peak memory, and
//! the simulator's CPU time and requests while that client walked.

use std::process::Command;

use super::report::Walked;
use super::sim::SimProcess;
use super::{Config, Environment, PEERS, Peer, median, run_client};
use crate::client::{Implementation, Measurement, Runtime};

/// What every client of a walk must report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// These items and this checksum.
    Exactly { items: u64, id_sum: u64 },
    /// What the untimed first run (hand-written reqwest) reported, with this many items.
    AsTheFirst { items: u64 },
}

/// The medians of one client's runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Median {
    /// Wall seconds of the walk.
    pub(crate) seconds: f64,
    /// CPU seconds of the client process over the walk.
    pub(crate) cpu: f64,
    /// Peak resident set of the client process, KiB.
    pub(crate) rss_kib: f64,
    /// CPU seconds of the simulator over the walk.
    pub(crate) sim_cpu: f64,
    /// Requests the simulator answered during the walk.
    pub(crate) requests: f64,
}

/// Runs `peers` against `sim` (`command` gives each one's process), an untimed warm-up
/// first (hand-written reqwest: the simulator makes and keeps the text of every record it
/// lists), then `config.runs` rounds in which every peer walks once; checks every report
/// and returns the medians, in the order of `peers`.
pub(crate) fn measure(
    config: &Config,
    sim: &mut SimProcess,
    peers: &[Peer],
    command: &dyn Fn(Peer) -> Command,
    expect: Expect,
) -> Result<Vec<Median>, String> {
    let warm_up = Peer::Rust(Implementation::Raw);
    let first = run_client(command(warm_up))?;
    let (items, id_sum) = match expect {
        Expect::Exactly { items, id_sum } => (items, id_sum),
        Expect::AsTheFirst { items } => (items, first.id_sum),
    };
    check(warm_up, &first, items, id_sum)?;
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); peers.len()];
    for _ in 0..config.runs {
        for (i, &peer) in peers.iter().enumerate() {
            let (cpu, stats) = (sim.cpu(), sim.stats()?);
            let m = run_client(command(peer))?;
            let (sim_cpu, requests) = (
                sim.cpu().since(&cpu),
                sim.stats()?.requests_served - stats.requests_served,
            );
            check(peer, &m, items, id_sum)?;
            runs[i].push(Run {
                m,
                sim_cpu,
                requests,
            });
        }
    }
    Ok(runs.into_iter().map(|r| Run::medians(&r)).collect())
}

/// [`measure`]s the SDK, raw reqwest and Python walking `items` items.
pub(crate) fn walked(
    config: &Config,
    sim: &mut SimProcess,
    items: usize,
    command: &dyn Fn(Peer) -> Command,
    expect: Expect,
) -> Result<Walked, String> {
    let medians = measure(config, sim, &PEERS, command, expect)?;
    Ok(Walked {
        items,
        peers: medians.try_into().map_err(|_| "three columns expected")?,
    })
}

/// A walk of `items` incidents of `benchmarks sim VENDOR --incidents N` by clients that log
/// on with a user name and password: `benchmarks client SCENARIO IMPLEMENTATION URL
/// USER:PASSWORD PAGE 0` and `peer.py SCENARIO URL USER:PASSWORD PAGE 0`, given the
/// simulator's `{prefix}_URL`, `{prefix}_USERNAME` and `{prefix}_PASSWORD`.
pub(crate) fn with_password(
    config: &Config,
    env: &Environment,
    (vendor, prefix): (&str, &str),
    scenario: &str,
    page: u64,
    items: usize,
    expect: Expect,
) -> Result<Walked, String> {
    eprintln!("{vendor} list-all: {items} incidents, pages of {page}");
    let mut sim = SimProcess::start(
        env,
        &[vendor.into(), "--incidents".into(), items.to_string()],
    )?;
    let credentials = format!(
        "{}:{}",
        sim.var(&format!("{prefix}_USERNAME"))?,
        sim.var(&format!("{prefix}_PASSWORD"))?
    );
    let args = [
        scenario.to_owned(),
        sim.var(&format!("{prefix}_URL"))?,
        credentials,
        page.to_string(),
        "0".to_owned(),
    ];
    let command = |peer| env.client(peer, &args, Runtime::MultiThread);
    walked(config, &mut sim, items, &command, expect)
}

/// One client run and what the simulator did meanwhile.
#[derive(Debug, Clone, Copy)]
struct Run {
    m: Measurement,
    sim_cpu: f64,
    requests: u64,
}

impl Run {
    fn medians(runs: &[Run]) -> Median {
        let of = |f: &dyn Fn(&Run) -> f64| median(runs.iter().map(f).collect());
        Median {
            seconds: of(&|r| r.m.seconds),
            cpu: of(&|r| r.m.cpu_seconds.unwrap_or(f64::NAN)),
            rss_kib: of(&|r| r.m.peak_rss_kib.map_or(f64::NAN, |k| k as f64)),
            sim_cpu: of(&|r| r.sim_cpu),
            requests: of(&|r| r.requests as f64),
        }
    }
}

fn check(peer: Peer, m: &Measurement, items: u64, id_sum: u64) -> Result<(), String> {
    if m.items == items && m.id_sum == id_sum {
        Ok(())
    } else {
        Err(format!(
            "{peer:?} saw {} items with checksum {}, expected {items} and {id_sum}",
            m.items, m.id_sum
        ))
    }
}
