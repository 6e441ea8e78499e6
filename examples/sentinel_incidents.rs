//! Works through Sentinel incidents: gets a token, lists the incidents page by page, shows
//! one, sets its state and resolution, reads it back, and signs out.
//!
//! ```sh
//! cargo run --example sentinel_incidents
//! ```
//!
//! Without `SENTINEL_URL` it starts the built-in simulator and talks to it over real HTTP.
//! With `SENTINEL_URL` (e.g. `https://sentinel.example.com:8443`) it talks to that server as
//! `SENTINEL_USERNAME` / `SENTINEL_PASSWORD`, trusting the optional `SENTINEL_CA_CERT` (PEM
//! file of a self-signed server). It changes the incident it works on: use a test system.

use std::process::ExitCode;

use futures::TryStreamExt;
use incident_core::time::format_description::well_known::Rfc3339;
use incident_sim::SentinelSim;
use sentinel_client::{IncidentState, SentinelClient};

/// How many incidents to print while listing.
const SHOW: usize = 10;

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

/// Builds a client for the server named in the environment, or for a fresh simulator
/// (returned too, so that it lives as long as the client needs it).
async fn connect() -> Result<(SentinelClient, Option<SentinelSim>), Box<dyn std::error::Error>> {
    if !SentinelClient::configured() {
        let sim = SentinelSim::builder().incidents(120).start().await?;
        println!(
            "No SENTINEL_URL set: started the Sentinel simulator at {}",
            sim.url()
        );
        let (user, password) = sim.credentials();
        let client = SentinelClient::builder(sim.url())
            .credentials(user, password)
            .build()?;
        return Ok((client, Some(sim)));
    }
    // The variables are read and checked by the crate; a URL it refuses is not echoed.
    let client = SentinelClient::from_env()?;
    println!("Talking to {}", client.transport().base_url());
    Ok((client, None))
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _sim) = connect().await?;

    // 1. Every incident, 40 per request: the stream follows the server's `next` links (on
    //    the configured host only) and asks for a page only when the one before is read.
    println!("\nIncidents (page size 40):");
    let mut pages = client
        .incidents()
        .list()
        .fields(["name", "state", "severity", "users", "createdate"])
        .page_size(40)
        .paginator()
        .pages();
    let (mut count, mut shown) = (0usize, 0usize);
    let mut target = None;
    let mut page_number = 0;
    while let Some(page) = pages.try_next().await? {
        page_number += 1;
        if !page.items.is_empty() {
            println!("  page {page_number}: {} incidents", page.items.len());
        }
        for incident in &page.items {
            count += 1;
            let open = matches!(
                incident.state,
                Some(IncidentState::Open | IncidentState::Assigned | IncidentState::Investigating)
            );
            if open && target.is_none() {
                target = incident.id();
            }
            if shown < SHOW {
                shown += 1;
                println!(
                    "    #{:<6} severity {}  {:<14} {}",
                    incident.id().unwrap_or_default(),
                    incident.severity.map_or("-".into(), |s| s.to_string()),
                    incident.state.as_ref().map_or("-", |s| s.as_str()),
                    incident.name.as_deref().unwrap_or("")
                );
            }
        }
    }
    println!("{count} incidents in all.");
    let Some(id) = target else {
        println!("No open incident to work on.");
        client.sign_out().await?;
        return Ok(());
    };

    // 2. One incident with every field.
    let incident = client.incidents().get(&id).await?;
    let show = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    let time = |t: Option<incident_core::time::OffsetDateTime>| {
        show(t.and_then(|t| t.format(&Rfc3339).ok()))
    };
    println!("\nIncident {id}:");
    println!("  name:        {}", show(incident.name.clone()));
    println!("  description: {}", show(incident.desc.clone()));
    println!("  category:    {}", show(incident.category.clone()));
    println!(
        "  state:       {}",
        show(incident.state.as_ref().map(|s| s.to_string()))
    );
    println!(
        "  severity:    {} (event average {}), priority {}",
        show(incident.severity.map(|v| v.to_string())),
        show(incident.sev_rating.as_ref().map(|r| r.to_string())),
        show(incident.priority.map(|v| v.to_string()))
    );
    println!("  users:       {:?}", incident.user_ids());
    println!("  created:     {}", time(incident.createdate));
    println!("  modified:    {}", time(incident.moddate));
    let events: Vec<_> = client
        .incidents()
        .events_of(&incident)
        .page_size(50)
        .into_stream()
        .try_collect()
        .await?;
    println!("  events:      {}", events.len());

    // 3. Close it with what was done (sent as UTF-8: Sentinel refuses \u escapes), then
    //    read it back.
    let resolution =
        "Reviewed by the sentinel_incidents example: compte vérifié, no action needed.";
    let updated = client
        .incidents()
        .update(&id)
        .state(IncidentState::Closed)
        .resolution(resolution)
        .await?;
    let read = client.incidents().get(&id).await?;
    println!(
        "\nUpdated incident {id}: state {}, resolution {:?}; read back: state {}, modified {}.",
        show(updated.state.as_ref().map(|s| s.to_string())),
        updated.resolution.as_deref().unwrap_or(""),
        show(read.state.as_ref().map(|s| s.to_string())),
        time(read.moddate)
    );
    if read.resolution.as_deref() != Some(resolution) {
        return Err("the resolution did not read back as written".into());
    }

    // 4. Sign out: the token is deleted on the server.
    client.sign_out().await?;
    println!("Signed out.");
    Ok(())
}
