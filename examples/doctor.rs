//! Checks, step by step, that each configured vendor can be used from this machine, and says
//! how to fix what fails: the URL and its host, TCP, the proxy, TLS (and why a certificate is
//! refused), the API's base path, the credentials (401 and 403 told apart, a session's logon
//! and logoff), reading one incident, the server's clock, the API version or region, and the
//! rate limit. It only reads: nothing changes on the server.
//!
//! ```sh
//! cargo run --example doctor
//! ```
//!
//! Every vendor configured in the environment is checked (`QRADAR_URL`, `PTA_URL`,
//! `SENTINEL_URL`, `SKYHIGH_URL` or `SKYHIGH_REGION`, `ESET_REGION` or `ESET_URL`, with the
//! variables each crate's README lists; proxies from `HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY`, `NO_PROXY`). With none configured it checks the five built-in simulators, to
//! show what it prints. It exits non-zero when a check fails.

use std::process::ExitCode;

use futures::future::join_all;
use incident_core::env::Env;
use incident_examples::doctor::{self, Report, Subject, diagnose, render, simulated};
use incident_sim::{EsetSim, PtaSim, QRadarSim, SentinelSim, SkyhighSim};

#[tokio::main]
async fn main() -> ExitCode {
    incident_examples::init_tracing();
    let env = Env::process();
    let configured = doctor::from_environment(&env);
    let reports = if configured.is_empty() {
        println!("No vendor is configured in the environment: checking the built-in simulators.\n");
        match simulators().await {
            Ok(reports) => reports,
            Err(e) => {
                eprintln!("error: the simulators could not start: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        let mut reports = Vec::new();
        let mut subjects = Vec::new();
        for result in configured {
            match result {
                Ok(subject) => subjects.push(subject),
                Err((vendor, e)) => reports.push(doctor::config_failure(vendor, &e)),
            }
        }
        reports.extend(check(&subjects).await);
        reports
    };
    print!("{}", render(&reports));
    if reports.iter().all(Report::passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Every subject, checked concurrently, reported in order.
async fn check(subjects: &[Subject]) -> Vec<Report> {
    join_all(subjects.iter().map(diagnose)).await
}

/// The five simulators, started, checked and stopped.
async fn simulators() -> Result<Vec<Report>, Box<dyn std::error::Error>> {
    let qradar = QRadarSim::builder().offenses(5).start().await?;
    let pta = PtaSim::builder().events(5).start().await?;
    let sentinel = SentinelSim::builder().incidents(5).start().await?;
    let skyhigh = SkyhighSim::builder().incidents(5).start().await?;
    let eset = EsetSim::builder().incidents(5).start().await?;
    let subjects = [
        simulated::qradar(&qradar, true)?,
        simulated::cyberark_pta(&pta, None, true)?,
        simulated::sentinel(&sentinel, true)?,
        simulated::skyhigh(&skyhigh, true)?,
        simulated::eset(&eset, true)?,
    ];
    Ok(check(&subjects).await)
}
