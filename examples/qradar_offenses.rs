//! Works through QRadar offenses: lists the open ones page by page through the stream, shows
//! one, adds a note to it, and closes it with a closing reason.
//!
//! ```sh
//! cargo run --example qradar_offenses
//! ```
//!
//! Without `QRADAR_URL` it starts the built-in simulator and talks to it over real HTTP. With
//! `QRADAR_URL` it talks to that console, authenticated by `QRADAR_TOKEN` (an authorized
//! service token) or `QRADAR_USERNAME` / `QRADAR_PASSWORD`, with the optional
//! `QRADAR_API_VERSION` and `QRADAR_CA_CERT` (PEM file of a self-signed console). It changes
//! the offense it works on: use a test console.

use std::process::ExitCode;

use futures::TryStreamExt;
use incident_core::time;
use incident_core::time::format_description::well_known::Rfc3339;
use incident_sim::QRadarSim;
use qradar_client::{Filter, OffenseStatus, QRadarClient, QRadarErrorCode, QRadarErrorExt};

/// How many offenses to print while listing.
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

/// Builds a client for the console named in the environment, or for a fresh simulator
/// (returned too, so that it lives as long as the client needs it).
async fn connect() -> Result<(QRadarClient, Option<QRadarSim>), Box<dyn std::error::Error>> {
    if !QRadarClient::configured() {
        let sim = QRadarSim::builder().offenses(250).start().await?;
        println!(
            "No QRADAR_URL set: started the QRadar simulator at {}",
            sim.url()
        );
        let client = QRadarClient::builder(sim.url())
            .sec_token(sim.token())
            .build()?;
        return Ok((client, Some(sim)));
    }
    // The variables are read and checked by the crate; a URL it refuses is not echoed.
    let client = QRadarClient::from_env()?;
    println!("Talking to {}", client.transport().base_url());
    Ok((client, None))
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _sim) = connect().await?;

    // 1. Every open offense, oldest first, 50 per request. The stream asks for the next page
    //    only when the current one has been read.
    println!("\nOpen offenses (page size 50):");
    let mut open = client
        .offenses()
        .list()
        .filter(Filter::status(OffenseStatus::Open))
        .sort("+id")
        .fields("id,description,severity,magnitude,assigned_to,status,start_time")
        .page_size(50)
        .into_stream();
    let mut count = 0usize;
    let mut first_id = None;
    while let Some(offense) = open.try_next().await? {
        count += 1;
        first_id = first_id.or(offense.id);
        if count <= SHOW {
            let title = offense
                .description
                .as_deref()
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("");
            println!(
                "  #{:<6} severity {:>2}  {:<12} {}",
                offense.id.unwrap_or_default(),
                offense.severity.unwrap_or_default(),
                offense.assigned_to.as_deref().unwrap_or("(unassigned)"),
                title.trim()
            );
        }
    }
    if count > SHOW {
        println!("  ... and {} more", count - SHOW);
    }
    println!("{count} open offenses in all.");
    let Some(id) = first_id else {
        println!("No open offense to work on.");
        return Ok(());
    };

    // 2. One offense with every field.
    let offense = client.offenses().get(id).await?;
    let show = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    let time = |t: Option<time::OffsetDateTime>| show(t.and_then(|t| t.format(&Rfc3339).ok()));
    println!("\nOffense {id}:");
    println!(
        "  description:  {}",
        show(offense.description.as_ref().map(|d| d.replace('\n', " ")))
    );
    println!(
        "  status:       {}",
        show(offense.status.as_ref().map(|s| s.to_string()))
    );
    println!(
        "  magnitude:    {} (severity {}, credibility {}, relevance {})",
        show(offense.magnitude.map(|v| v.to_string())),
        show(offense.severity.map(|v| v.to_string())),
        show(offense.credibility.map(|v| v.to_string())),
        show(offense.relevance.map(|v| v.to_string()))
    );
    println!("  source:       {}", show(offense.offense_source.clone()));
    println!("  started:      {}", time(offense.start_time));
    println!("  last change:  {}", time(offense.last_persisted_time));
    println!(
        "  events:       {}",
        show(offense.event_count.map(|v| v.to_string()))
    );
    println!(
        "  rules:        {}",
        offense.rules.as_ref().map_or(0, Vec::len)
    );
    for source in offense.log_sources.iter().flatten() {
        println!("  log source:   {}", show(source.name.clone()));
    }

    // 3. A note.
    let note = client
        .offenses()
        .notes(id)
        .create("Reviewed by the qradar_offenses example: no action needed.")
        .await?;
    println!(
        "\nAdded note {} by {}.",
        show(note.id.map(|v| v.to_string())),
        show(note.username.clone())
    );

    // 4. Close it with a closing reason: QRadar refuses a close without one.
    let reasons = client.closing_reasons().list().send().await?;
    let reason = reasons
        .items
        .iter()
        .find(|r| r.is_usable() && r.text.as_deref() == Some("Non-Issue"))
        .or_else(|| reasons.items.iter().find(|r| r.is_usable()))
        .ok_or("the console has no usable closing reason")?;
    let reason_id = reason.id.ok_or("a closing reason without an id")?;
    match client.offenses().update(id).close(reason_id).await {
        Ok(closed) => println!(
            "Closed offense {id} with reason {:?} ({reason_id}); status now {}, closed by {}.",
            reason.text.as_deref().unwrap_or(""),
            show(closed.status.as_ref().map(|s| s.to_string())),
            show(closed.closing_user.clone())
        ),
        Err(e) if e.qradar_code() == Some(QRadarErrorCode::OffenseState) => {
            println!("Offense {id} could not be closed in its current state: {e}");
        }
        Err(e) => return Err(e.into()),
    }

    let notes = client.offenses().notes(id).list().send().await?;
    println!("Offense {id} now has {} note(s).", notes.items.len());
    Ok(())
}
