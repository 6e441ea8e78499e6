//! Works through Skyhigh Security Cloud incidents: queries the incidents of a time window page
//! by page (`queryIncidents`, each `nextStartTime` fed back as `startTime`), prints them without
//! duplicates, and marks the first one resolved (`modifyIncidents`).
//!
//! ```sh
//! cargo run --example skyhigh_incidents
//! ```
//!
//! Without `SKYHIGH_URL` or `SKYHIGH_REGION` it starts the built-in simulator and talks to it
//! over real HTTP. With `SKYHIGH_URL` (e.g. `https://www.myshn.net`) or `SKYHIGH_REGION` (`us`,
//! `eu`, `ca`) it talks to that tenant with HTTP Basic as `SKYHIGH_USERNAME` /
//! `SKYHIGH_PASSWORD`, trusting `SKYHIGH_CA_CERT` (a PEM file) if set, over the last seven
//! days. It changes the incident it works on: use a test tenant.

use std::collections::HashSet;
use std::process::ExitCode;

use futures::TryStreamExt;
use incident_core::time::{Duration, OffsetDateTime};
use incident_examples::connect::BoxError;
use incident_examples::skyhigh::resolve;
use incident_sim::SkyhighSim;
use incident_sim::skyhigh::FIRST_INCIDENT_TIME;
use skyhigh_client::{SkyhighClient, format_time, parse_time};

/// Incidents asked for per request: small, so that paging shows on a test tenant.
const PAGE_SIZE: u32 = 50;
/// How many incidents of each page to print.
const SHOW: usize = 5;

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

/// A client for the tenant named in the environment, or for a fresh simulator (returned too,
/// so that it lives as long as the client needs it), and the start of the time window.
async fn connect() -> Result<(SkyhighClient, Option<SkyhighSim>, OffsetDateTime), BoxError> {
    if !SkyhighClient::configured() {
        let sim = SkyhighSim::builder().incidents(180).start().await?;
        println!(
            "No SKYHIGH_URL or SKYHIGH_REGION set: started the Skyhigh simulator at {}",
            sim.url()
        );
        let (user, password) = sim.credentials();
        let client = SkyhighClient::builder(sim.url())
            .basic_auth(user, password.to_owned())
            .build()?;
        let since = parse_time(FIRST_INCIDENT_TIME).ok_or("bad simulator time")?;
        return Ok((client, Some(sim), since));
    }
    // The variables are read and checked by the crate; a URL it refuses is not echoed.
    let client = SkyhighClient::from_env()?;
    println!("Talking to {}", client.transport().base_url());
    Ok((client, None, OffsetDateTime::now_utc() - Duration::days(7)))
}

async fn run() -> Result<(), BoxError> {
    let (client, _sim, since) = connect().await?;
    let until = OffsetDateTime::now_utc();
    println!(
        "\nIncidents modified from {} to {} ({PAGE_SIZE} per request):",
        format_time(since),
        format_time(until)
    );

    // 1. Page by page: each page's nextStartTime is the next request's startTime. A page
    //    keeps the incidents sharing its last timestamp (so it may exceed the limit), as
    //    Skyhigh documents it; a tenant that repeats them on the next page instead has the
    //    repeats dropped by incidentId.
    let mut pages = client
        .incidents()
        .query()
        .start_time(since)
        .end_time(until)
        .limit(PAGE_SIZE)
        .paginator()
        .pages();
    let mut seen = HashSet::new();
    let mut first = None;
    let mut number = 0;
    while let Some(page) = pages.try_next().await? {
        number += 1;
        println!(
            "  page {number}: {} new incident(s), next start {}",
            page.items.len(),
            match &page.next {
                Some(skyhigh_client::QueryCursor::StartTime(t)) => t.clone(),
                Some(other) => format!("{other:?}"),
                None => "none (the end)".to_owned(),
            }
        );
        for (i, incident) in page.items.iter().enumerate() {
            let id = incident
                .incident_id
                .as_ref()
                .map_or_else(|| "(no id)".to_owned(), ToString::to_string);
            if !seen.insert(id.clone()) {
                return Err(format!("{id} was listed twice").into());
            }
            if first.is_none()
                && incident
                    .status
                    .as_ref()
                    .is_some_and(|s| s.as_str() == "new" || s.as_str() == "opened")
            {
                first = incident.incident_id.clone();
            }
            if i < SHOW {
                println!(
                    "    {:<12} {:<8} {:<14} {:<40} {}",
                    id,
                    incident
                        .incident_risk_severity
                        .as_ref()
                        .map_or("-", |s| s.as_str()),
                    incident.status.as_ref().map_or("-", |s| s.as_str()),
                    incident.incident_group.as_deref().unwrap_or("-"),
                    incident.actor_id.as_deref().unwrap_or("-"),
                );
            }
        }
        if page.items.len() > SHOW {
            println!("    ... and {} more", page.items.len() - SHOW);
        }
    }
    println!("{} incidents in all, none twice.", seen.len());

    // 2. Mark the first open one resolved.
    let Some(id) = first else {
        println!("No new or opened incident to resolve.");
        return Ok(());
    };
    //    A refusal (Skyhigh answers it inside an HTTP 200) is an error: the example exits
    //    non-zero with the service's code and message.
    resolve(&client, id.as_str()).await?;
    println!("\nMarked {id} resolved.");
    Ok(())
}
