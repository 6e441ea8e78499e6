//! Works through ESET Connect incidents: gets a token (password grant), lists the incidents
//! page by page (`pageToken`), shows one, raises its severity and rewrites its description
//! (`basic-attributes:update`), and closes it as a false positive with a final comment.
//!
//! ```sh
//! cargo run --example eset_incidents
//! ```
//!
//! Without `ESET_REGION` or `ESET_URL` it starts the built-in simulator and talks to it over
//! real HTTP. With `ESET_REGION` (`eu`, `de`, `us`, `ca`, `jpn`), or `ESET_URL` and
//! `ESET_IAM_URL`, it talks to ESET Connect as the API user `ESET_USERNAME` with
//! `ESET_PASSWORD`, trusting the optional `ESET_CA_CERT` (PEM file). It changes and closes
//! the incident it works on: use a test tenant.

use std::process::ExitCode;

use eset_connect_client::{EsetClient, Incident, IncidentSeverity, IncidentStatus, ResolveReason};
use futures::TryStreamExt;
use incident_core::time::format_description::well_known::Rfc3339;
use incident_core::{ErrorKind, time};
use incident_sim::EsetSim;

/// Incidents per page: small, so that paging shows on a test tenant's few dozen.
const PAGE_SIZE: u32 = 25;
/// How many incidents of each page to print.
const SHOW: usize = 3;

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
                    "error: unauthorized (check ESET_USERNAME and ESET_PASSWORD, and that the API user has access): {e}"
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

/// Builds a client for ESET Connect as the environment says, or for a fresh simulator
/// (returned too, so that it lives as long as the client needs it).
async fn connect() -> Result<(EsetClient, Option<EsetSim>), Box<dyn std::error::Error>> {
    if !EsetClient::configured() {
        let sim = EsetSim::builder().start().await?;
        println!(
            "No ESET_REGION or ESET_URL set: started the ESET Connect simulator at {}",
            sim.url()
        );
        let (user, password) = sim.credentials();
        let client = EsetClient::builder_with_urls(sim.url(), sim.iam_url())
            .credentials(user, password)
            .build()?;
        return Ok((client, Some(sim)));
    }
    // The variables are read and checked by the crate; a URL it refuses is not echoed.
    let client = EsetClient::from_env()?;
    println!(
        "Talking to {} (tokens from {})",
        client.transport().base_url(),
        client.iam_url()
    );
    Ok((client, None))
}

fn show(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".to_string())
}

fn time(t: Option<time::OffsetDateTime>) -> String {
    show(t.and_then(|t| t.format(&Rfc3339).ok()))
}

fn line(i: &Incident) -> String {
    format!(
        "  {}  {:<9} {:<17} {}",
        i.uuid.as_deref().unwrap_or("-"),
        i.severity.as_ref().map_or("-", |s| s.short_name()),
        i.status.as_ref().map_or("-", |s| s.short_name()),
        i.display_name.as_deref().unwrap_or("")
    )
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _sim) = connect().await?;

    // 1. Every incident, newest first, page by page: each page's nextPageToken is fed
    //    back as pageToken. The first request gets the token (password grant).
    println!("\nIncidents (pages of {PAGE_SIZE}):");
    let mut pages = client
        .incidents()
        .list()
        .order_by("create_time desc")
        .page_size(PAGE_SIZE)
        .paginator()
        .pages();
    let (mut count, mut number) = (0usize, 0usize);
    let mut target: Option<String> = None;
    while let Some(page) = pages.try_next().await? {
        number += 1;
        println!(
            "page {number}: {} incident(s){}",
            page.items.len(),
            if page.next.is_some() {
                ", more follow"
            } else {
                ", the last page"
            }
        );
        for incident in page.items.iter().take(SHOW) {
            println!("{}", line(incident));
        }
        count += page.items.len();
        if target.is_none() {
            target = page
                .items
                .iter()
                .find(|i| !i.is_closed())
                .and_then(|i| i.uuid.clone());
        }
    }
    println!("{count} incidents in all.");
    let Some(uuid) = target else {
        println!("No open incident to work on.");
        return Ok(());
    };

    // 2. One incident with every field (lists leave out the device and detection uuids).
    let incident = client.incidents().get(&uuid).await?;
    println!("\nIncident {uuid}:");
    println!("  name:         {}", show(incident.display_name.clone()));
    println!("  description:  {}", show(incident.description.clone()));
    println!(
        "  status:       {}",
        show(incident.status.as_ref().map(|s| s.short_name().to_owned()))
    );
    println!(
        "  severity:     {}",
        show(
            incident
                .severity
                .as_ref()
                .map(|s| s.short_name().to_owned())
        )
    );
    println!("  assignee:     {}", show(incident.assignee_uuid.clone()));
    println!("  created:      {}", time(incident.create_time));
    println!("  updated:      {}", time(incident.update_time));
    if let Some(m) = &incident.metrics {
        println!(
            "  involves:     {} device(s), {} executable(s), {} process(es)",
            m.device_count.unwrap_or(0),
            m.executable_count.unwrap_or(0),
            m.process_count.unwrap_or(0)
        );
    }
    println!(
        "  detections:   {}",
        incident.detection_uuids.as_ref().map_or(0, Vec::len)
    );
    println!(
        "  tags:         {}",
        incident.tags.as_deref().unwrap_or_default().join(", ")
    );

    // 3. Severity and description through basic-attributes:update; the updateMask
    //    ("description,severity") is written from what is set.
    let updated = client
        .incidents()
        .update(&uuid)
        .severity(IncidentSeverity::High)
        .description(format!(
            "{} Reviewed by the eset_incidents example.",
            incident.description.as_deref().unwrap_or("")
        ))
        .await?;
    println!(
        "\nUpdated: severity now {}, description {:?}.",
        show(updated.severity.as_ref().map(|s| s.short_name().to_owned())),
        updated.description.as_deref().unwrap_or("")
    );

    // 4. Close it as a false positive, with the final comment.
    let closed = client
        .incidents()
        .close(&uuid, ResolveReason::FalsePositive)
        .final_comment("False positive: administrative script, confirmed with the asset owner.")
        .await?;
    let status = match closed {
        Some(c) => c.status,
        None => client.incidents().get(&uuid).await?.status,
    };
    println!(
        "Closed {uuid} as a false positive; status now {}.",
        show(status.as_ref().map(|s| s.short_name().to_owned()))
    );
    debug_assert!(status.is_none_or(|s| s == IncidentStatus::Closed));
    let comments = client.incidents().comments(&uuid).list().send().await?;
    println!("It has {} comment(s).", comments.comments.len());
    Ok(())
}
