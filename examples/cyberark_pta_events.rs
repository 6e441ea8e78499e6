//! Works through CyberArk PTA security events: logs on, lists the open ones, shows the first,
//! closes it, walks the risk events page by page, and logs off.
//!
//! ```sh
//! cargo run --example cyberark_pta_events
//! ```
//!
//! Without `PTA_URL` it starts the built-in simulator and talks to it over real HTTP. With
//! `PTA_URL` (the PVWA base URL; `/PasswordVault` is added unless `PTA_APP_PATH` names
//! another application) it talks to that PVWA as `PTA_USERNAME` with `PTA_PASSWORD`, logging
//! on with `PTA_AUTH_TYPE` (CyberArk by default, LDAP, RADIUS or Windows), trusting
//! `PTA_CA_CERT` (PEM file of a self-signed PVWA) if set. It closes the event it works on:
//! use a test system.

use std::process::ExitCode;

use cyberark_pta_client::{EventStatus, PtaClient, SecurityEvent};
use futures::TryStreamExt;
use incident_core::ErrorKind;
use incident_core::time::OffsetDateTime;
use incident_core::time::format_description::well_known::Rfc3339;
use incident_sim::PtaSim;

/// How many events to print while listing.
const SHOW: usize = 10;
/// Risk events per request.
const RISK_PAGE_SIZE: u64 = 25;

type BoxError = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> ExitCode {
    incident_examples::init_tracing();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let unauthorized = e
                .downcast_ref::<incident_core::Error>()
                .is_some_and(|e| e.kind() == Some(ErrorKind::Unauthorized));
            if unauthorized {
                eprintln!(
                    "error: unauthorized (check PTA_USERNAME, PTA_PASSWORD and PTA_AUTH_TYPE): {e}"
                );
            } else {
                eprintln!("error: {e}");
            }
            let mut source = std::error::Error::source(&*e);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

/// Builds a client for the PVWA named in the environment, or for a fresh simulator
/// (returned too, so that it lives as long as the client needs it).
async fn connect() -> Result<(PtaClient, Option<PtaSim>), BoxError> {
    if !PtaClient::configured() {
        let sim = PtaSim::builder().events(40).risk_events(60).start().await?;
        println!(
            "No PTA_URL set: started the CyberArk PTA simulator at {}",
            sim.url()
        );
        let client = PtaClient::builder(sim.url())
            .credentials(sim.username(), sim.password())
            .build()?;
        return Ok((client, Some(sim)));
    }
    // The variables are read and checked by the crate; a URL it refuses is not echoed.
    let client = PtaClient::from_env()?;
    println!(
        "Talking to {} (application {})",
        client.transport().base_url(),
        client.app_path()
    );
    Ok((client, None))
}

async fn run() -> Result<(), BoxError> {
    let (client, _sim) = connect().await?;
    client.log_on().await?;
    println!("Logged on.");
    let worked = work(&client).await;
    // Log off whatever happened, so that the session does not linger on the PVWA.
    let logged_off = client.log_off().await;
    if logged_off.is_ok() {
        println!("Logged off.");
    }
    worked?;
    logged_off?;
    Ok(())
}

fn time(t: Option<OffsetDateTime>) -> String {
    t.and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "-".to_owned())
}

fn line(event: &SecurityEvent) -> String {
    let source = event
        .audits()
        .iter()
        .find_map(|a| a.source.as_ref()?.display_name())
        .unwrap_or("-");
    format!(
        "{}  score {:>5.1}  {:<36} {:<24} from {}",
        event.id.as_deref().unwrap_or("-"),
        event.score.unwrap_or_default(),
        event.event_type.as_ref().map_or("-", |t| t.as_str()),
        event.who().unwrap_or("-"),
        source
    )
}

async fn work(client: &PtaClient) -> Result<(), BoxError> {
    // 1. Open security events (PTA answers them all at once).
    let open = client.events().list().status(EventStatus::Open).await?;
    println!("\nOpen security events:");
    for event in open.iter().take(SHOW) {
        println!("  {}", line(event));
    }
    if open.len() > SHOW {
        println!("  ... and {} more", open.len() - SHOW);
    }
    println!("{} open security events in all.", open.len());

    // 2. The first one with its audits.
    if let Some(event) = open.first() {
        let id = event.id.clone().ok_or("an event without an id")?;
        println!("\nSecurity event {id}:");
        println!(
            "  type:         {}",
            event.event_type.as_ref().map_or("-", |t| t.as_str())
        );
        println!("  score:        {:?}", event.score);
        println!("  created:      {}", time(event.create_time));
        println!("  last change:  {}", time(event.last_update_time));
        for audit in event.audits() {
            println!(
                "  audit:        {} {} by {} at {}{}",
                audit.audit_type.as_ref().map_or("-", |t| t.as_str()),
                audit.action.as_deref().unwrap_or("-"),
                audit.who().unwrap_or("-"),
                time(audit.create_time),
                audit
                    .psm_command
                    .as_deref()
                    .map(|c| format!(", command {c:?}"))
                    .unwrap_or_default()
            );
        }
        if let Some(data) = &event.additional_data {
            let keys: Vec<&str> = data.keys().map(String::as_str).collect();
            println!("  details:      {}", keys.join(", "));
        }

        // 3. Close it.
        let closed = client.events().close(&id).await?;
        println!(
            "\nClosed security event {id}: status now {}.",
            closed.status.as_ref().map_or("-", |s| s.as_str())
        );
    } else {
        println!("No open security event to work on.");
    }

    // 4. Risk events, page by page through the stream (PAM 13.2 and later).
    println!("\nOpen risk events ({RISK_PAGE_SIZE} per request):");
    let mut risks = client
        .risks()
        .list()
        .status(EventStatus::Open)
        .size(RISK_PAGE_SIZE)
        .into_stream();
    let mut count = 0usize;
    loop {
        match risks.try_next().await {
            Ok(Some(risk)) => {
                count += 1;
                if count <= 3 {
                    println!(
                        "  risk {} {} score {:?}",
                        risk.id.as_deref().unwrap_or("-"),
                        risk.risk_type.as_ref().map_or("-", |t| t.as_str()),
                        risk.score
                    );
                }
            }
            Ok(None) => break,
            Err(e) if e.is_not_found() => {
                println!("\nThis PVWA has no risk events API (PAM 13.2 and later).");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
    }
    if count > 3 {
        println!("  ... and {} more", count - 3);
    }
    println!("{count} open risk events in all.");
    Ok(())
}
