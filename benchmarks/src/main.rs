//! The benchmark harness of the incident SDK: each vendor's client against hand-written
//! reqwest calls and a Python `requests` script, on the same simulator, side by side: wall
//! time, the client's CPU time and peak memory, the simulator's CPU time meanwhile, and the
//! speed of decoding one page.
//!
//! ```text
//! cargo run --release -p benchmarks            # every scenario, full sizes
//! cargo run --release -p benchmarks -- --quick # small sizes, seconds
//! ```
//!
//! The same binary also serves the simulator (`benchmarks sim qradar ...`, as `incident-sim`
//! does) and runs each Rust client (`benchmarks client ...`), so that the harness can start
//! each of them as a process of its own. See `BENCHMARKS.md` at the repository root.

mod client;
mod cpu;
mod harness;
mod pta;
mod sentinel;

use std::process::ExitCode;

const USAGE: &str = "\
usage: benchmarks [--quick] [--runs N] [--python PATH]

  --quick        small sizes and one run each (what CI runs)
  --runs N       runs of each client per walk; the tables show medians (default 5)
  --python PATH  interpreter that creates the peer's virtual environment (default python3)

Internal: `benchmarks sim qradar ...` serves a simulator (see incident-sim);
`benchmarks client SCENARIO sdk|raw URL TOKEN N M` runs one Rust client;
`benchmarks pta-client sdk|raw URL USER PASSWORD CLOSES` runs one PTA client;
`benchmarks eset-client sdk|raw URL IAM_URL USER PASSWORD PAGE_SIZE` one ESET client;
`benchmarks decode VENDOR RECORDS REPEAT [typed|value]` decodes one page (for profilers).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("sim") => incident_sim::cli::run(args.into_iter().skip(1)),
        Some("client") => client::run(&args[1..]),
        Some("pta-client") => pta::client(&args[1..]),
        Some("eset-client") => harness::eset::client(&args[1..]),
        Some("decode") => harness::decode::command(&args[1..]),
        _ => parse(&args).and_then(|config| match config {
            Some(config) => harness::run(&config),
            None => {
                println!("{USAGE}");
                Ok(())
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("benchmarks: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The harness options; `None` for `--help`.
fn parse(args: &[String]) -> Result<Option<harness::Config>, String> {
    let quick = args.iter().any(|a| a == "--quick");
    let mut config = if quick {
        harness::Config::quick()
    } else {
        harness::Config::full()
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => {}
            "-h" | "--help" => return Ok(None),
            "--runs" => {
                config.runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--runs needs a number of at least 1")?;
            }
            "--python" => {
                config.python = args.next().ok_or("--python needs a path")?.clone();
            }
            other => return Err(format!("unknown option {other:?}\n\n{USAGE}")),
        }
    }
    Ok(Some(config))
}
