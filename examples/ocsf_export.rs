//! Exports incidents as OCSF: starts the built-in simulators of the five vendors, lists every
//! incident of each through the vendor-neutral `IncidentSource`, and writes each one to
//! standard output as an OCSF 1.8.0 Incident Finding (class 2005), one JSON object a line,
//! ready for a SIEM or a data lake that takes OCSF.
//!
//! ```sh
//! cargo run --example ocsf_export > findings.jsonl
//! cargo run --example ocsf_export -- eset | jq .severity_id   # one vendor
//! ```
//!
//! The argument, if any, picks vendors: `qradar`, `pta`, `sentinel`, `skyhigh`, `eset`.
//! A summary goes to standard error, so standard output holds only findings. It reads and
//! changes nothing outside the simulators; for your own servers, call
//! `incident.to_ocsf()` on the incidents of any configured client (see the other examples
//! for building one from the environment).

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use cyberark_pta_client::PtaClient;
use eset_connect_client::EsetClient;
use futures::TryStreamExt;
use incident_core::{IncidentQuery, IncidentSource};
use incident_sim::{EsetSim, PtaSim, QRadarSim, SentinelSim, SkyhighSim};
use qradar_client::QRadarClient;
use sentinel_client::SentinelClient;
use skyhigh_client::SkyhighClient;

/// Incidents per page: small, so that paging shows.
const PAGE_SIZE: u32 = 25;
/// Incidents each simulator starts with.
const INCIDENTS: usize = 30;
const VENDORS: [&str; 5] = ["qradar", "pta", "sentinel", "skyhigh", "eset"];

type BoxError = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> ExitCode {
    incident_examples::init_tracing();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&*e);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

/// A running simulator: it serves as long as this value lives.
struct Sim {
    url: String,
    _server: Box<dyn std::any::Any>,
}

impl Sim {
    fn new(url: impl ToString, server: impl std::any::Any) -> Self {
        Sim {
            url: url.to_string(),
            _server: Box::new(server),
        }
    }
}

/// The simulator of `vendor`, and a client against it.
async fn start(vendor: &str) -> Result<(Sim, Box<dyn IncidentSource>), BoxError> {
    Ok(match vendor {
        "qradar" => {
            let sim = QRadarSim::builder().offenses(INCIDENTS).start().await?;
            let client = QRadarClient::builder(sim.url())
                .sec_token(sim.token())
                .build()?;
            (Sim::new(sim.url(), sim), Box::new(client))
        }
        "pta" => {
            let sim = PtaSim::builder().events(INCIDENTS).start().await?;
            let client = PtaClient::builder(sim.url())
                .credentials(sim.username(), sim.password())
                .build()?;
            (Sim::new(sim.url(), sim), Box::new(client))
        }
        "sentinel" => {
            let sim = SentinelSim::builder().incidents(INCIDENTS).start().await?;
            let (user, password) = sim.credentials();
            let client = SentinelClient::builder(sim.url())
                .credentials(user, password)
                .build()?;
            (Sim::new(sim.url(), sim), Box::new(client))
        }
        "skyhigh" => {
            let sim = SkyhighSim::builder().incidents(INCIDENTS).start().await?;
            let (user, password) = sim.credentials();
            let client = SkyhighClient::builder(sim.url())
                .basic_auth(user, password.to_owned())
                .build()?;
            (Sim::new(sim.url(), sim), Box::new(client))
        }
        "eset" => {
            let sim = EsetSim::builder().incidents(INCIDENTS).start().await?;
            let (user, password) = sim.credentials();
            let client = EsetClient::builder_with_urls(sim.url(), sim.iam_url())
                .credentials(user, password)
                .build()?;
            (Sim::new(sim.url(), sim), Box::new(client))
        }
        other => {
            return Err(
                format!("unknown vendor {other:?}: pick from {}", VENDORS.join(", ")).into(),
            );
        }
    })
}

async fn run() -> Result<(), BoxError> {
    let picked: Vec<String> = std::env::args().skip(1).map(|a| a.to_lowercase()).collect();
    let vendors: Vec<&str> = if picked.is_empty() {
        VENDORS.to_vec()
    } else {
        picked.iter().map(String::as_str).collect()
    };

    let mut out = BufWriter::new(io::stdout().lock());
    for vendor in vendors {
        let (sim, source) = start(vendor).await?;
        let mut incidents = source.stream_incidents(IncidentQuery::new().page_size(PAGE_SIZE));
        let mut written = 0;
        while let Some(incident) = incidents.try_next().await? {
            let finding = incident.to_ocsf();
            let line = serde_json::to_string(&finding)?;
            if let Err(e) = writeln!(out, "{line}") {
                // A reader that stopped early (`| head`) is not a failure.
                return if e.kind() == io::ErrorKind::BrokenPipe {
                    Ok(())
                } else {
                    Err(e.into())
                };
            }
            written += 1;
        }
        eprintln!(
            "{}: {written} incidents written as OCSF Incident Findings (simulator at {})",
            source.vendor(),
            sim.url
        );
    }
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
