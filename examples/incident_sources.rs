//! The vendor-neutral interface: every client is an `IncidentSource`, so one loop triages
//! incidents from any vendor. Lists new incidents, takes the first one into work, and closes
//! it with a verdict.
//!
//! ```sh
//! cargo run --example incident_sources
//! ```
//!
//! It runs against the built-in QRadar simulator; the other vendors join the same
//! `Vec<Box<dyn IncidentSource>>` as their clients land.

use futures::TryStreamExt;
use incident_core::{
    Closure, IncidentQuery, IncidentSource, IncidentStatus, IncidentUpdate, Verdict,
};
use incident_sim::QRadarSim;
use qradar_client::QRadarClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    incident_examples::init_tracing();
    let sim = QRadarSim::builder().offenses(120).start().await?;
    let qradar = QRadarClient::builder(sim.url())
        .sec_token(sim.token())
        .build()?;
    let sources: Vec<Box<dyn IncidentSource>> = vec![Box::new(qradar)];

    for source in &sources {
        let caps = source.capabilities();
        println!(
            "{}: close {} (reason required: {}), assign {}, notes {}, severity changes {}",
            source.vendor(),
            caps.close,
            caps.close_requires_reason,
            caps.assign,
            caps.notes,
            caps.set_severity
        );

        let new: Vec<_> = source
            .stream_incidents(IncidentQuery::new().status(IncidentStatus::New).limit(5))
            .try_collect()
            .await?;
        for incident in &new {
            println!(
                "  {:>5}  {:<13} {:<8} {}",
                incident.id,
                incident.severity.to_string(),
                incident.status.to_string(),
                incident.title
            );
        }
        let Some(first) = new.first() else { continue };

        let taken = source
            .update_incident(
                &first.id,
                &IncidentUpdate::new()
                    .status(IncidentStatus::InProgress)
                    .assign("analyst1"),
            )
            .await?;
        println!(
            "  {} is now {} ({})",
            taken.id,
            taken.status,
            taken.assignee.as_deref().unwrap_or("-")
        );

        let closed = source
            .update_incident(
                &first.id,
                &IncidentUpdate::new()
                    .close(Closure::verdict(Verdict::FalsePositive))
                    .note("Known scanner; rule tuned."),
            )
            .await?;
        println!(
            "  {} is now {}: verdict {}, reason {:?}",
            closed.id,
            closed.status,
            closed
                .verdict
                .as_ref()
                .map_or("-".to_string(), |v| v.to_string()),
            closed.close_reason.as_deref().unwrap_or("-")
        );

        // What a vendor cannot do is refused before anything is sent.
        let refused = source
            .update_incident(
                &first.id,
                &IncidentUpdate::new().severity(incident_core::Severity::High),
            )
            .await
            .unwrap_err();
        println!("  changing the severity: {refused}");
    }
    Ok(())
}
