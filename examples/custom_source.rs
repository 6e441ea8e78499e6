//! A source of your own beside the vendor clients: an in-memory ticket queue with its own
//! states, priorities, resolutions and identity (`examples/support/tickets.rs`) implements
//! `IncidentSource` outside incident-core, and everything built on the trait works with it:
//! listing page by page, the stream, updates, the OCSF export.
//!
//! ```sh
//! cargo run --example custom_source
//! ```
//!
//! It needs no server and reads no environment: the queue lives in this process, with 40
//! tickets. It lists the open ones page by page (keeping the cursor, as a caller that
//! persists it does), takes the most urgent into work, adds a note, closes it as a false
//! positive, shows what the queue refuses, and prints the closed ticket as an OCSF finding.
//! Its tests (`examples/tests/custom_source.rs`) run the published conformance suite
//! against it and sync it from a checkpoint; `cargo run --example triage` lists it beside
//! the five vendors.

use std::process::ExitCode;

use futures::TryStreamExt;
use incident_core::{
    Closure, Cursor, Incident, IncidentQuery, IncidentSource, IncidentStatus, IncidentUpdate,
    Severity, Verdict,
};
use incident_examples::tickets::{Ticket, TicketQueue};

/// Tickets in the queue.
const TICKETS_IN_QUEUE: usize = 40;

/// Tickets per page: small, so that paging shows.
const PAGE_SIZE: u32 = 25;

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

fn print_row(incident: &Incident) {
    println!(
        "  {:<7} {:<9} {:<12} {:<10} {}",
        incident.id,
        incident.severity.to_string(),
        incident.status.to_string(),
        incident.assignee.as_deref().unwrap_or("-"),
        incident.title
    );
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let queue = TicketQueue::seeded(TICKETS_IN_QUEUE);
    // From here on, only the trait: the code below works with any vendor's client too.
    let source: &dyn IncidentSource = &queue;
    let vendor = source.vendor();
    println!(
        "{vendor} (key {:?}; OCSF product {:?} by {:?}): an in-process queue of {TICKETS_IN_QUEUE} tickets",
        vendor.key(),
        vendor.product_name(),
        vendor.vendor_name()
    );
    let caps = source.capabilities();
    println!(
        "  close {}, verdicts {}, assign {}, notes {}, severities {}",
        caps.close,
        caps.verdicts.len(),
        caps.assign,
        caps.notes,
        caps.severities.len()
    );

    // 1. The open tickets, page by page, with the cursor in our hands.
    let open = IncidentQuery::new()
        .status(IncidentStatus::New)
        .status(IncidentStatus::InProgress)
        .status(IncidentStatus::OnHold)
        .page_size(PAGE_SIZE);
    let mut cursor: Option<Cursor> = None;
    let mut listed = Vec::new();
    let mut page_number = 0;
    loop {
        let page = source.list_incidents(&open, cursor.as_ref()).await?;
        page_number += 1;
        println!(
            "\nOpen tickets, page {page_number} ({} of {}):",
            page.items.len(),
            page.total.map_or("?".to_owned(), |t| t.to_string())
        );
        for incident in &page.items {
            print_row(incident);
        }
        listed.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }

    // 2. The same through the stream, which walks the pages itself.
    let new: Vec<Incident> = source
        .stream_incidents(
            IncidentQuery::new()
                .status(IncidentStatus::New)
                .page_size(PAGE_SIZE),
        )
        .try_collect()
        .await?;
    println!(
        "\n{} open tickets in {page_number} pages; {} of them new, nobody's yet.",
        listed.len(),
        new.len()
    );

    // 3. The most urgent new ticket, oldest first among equals: take it, note, close.
    let Some(top) = new
        .iter()
        .min_by_key(|i| (std::cmp::Reverse(i.severity.ocsf_id()), i.created))
    else {
        println!("No new ticket to work on.");
        return Ok(());
    };
    println!("\nWorking on {} ({}): {}", top.id, top.severity, top.title);
    let taken = source
        .update_incident(
            &top.id,
            &IncidentUpdate::new()
                .status(IncidentStatus::InProgress)
                .assign("analyst1"),
        )
        .await?;
    println!(
        "  {} is now {}, owned by {}",
        taken.id,
        taken.status,
        taken.assignee.as_deref().unwrap_or("-")
    );
    let closed = source
        .update_incident(
            &top.id,
            &IncidentUpdate::new()
                .close(
                    Closure::reason("Known scanner; detection rule tuned.")
                        .with_verdict(Verdict::FalsePositive),
                )
                .note("Checked with the network team."),
        )
        .await?;
    println!(
        "  {} is now {}: verdict {}, reason {:?}",
        closed.id,
        closed.status,
        closed.verdict.as_ref().map_or("-", |v| v.caption()),
        closed.close_reason.as_deref().unwrap_or("-")
    );
    // The queue's own record stays reachable, typed.
    if let Some(ticket) = closed.record::<Ticket>() {
        println!(
            "  the ticket: state {:?}, resolution {:?}, {} comment(s)",
            ticket.state,
            ticket.resolution,
            ticket.comments.len()
        );
    }

    // 4. What the queue cannot do is refused before anything changes.
    let refused = source
        .update_incident(
            &top.id,
            &IncidentUpdate::new().severity(Severity::Informational),
        )
        .await
        .err()
        .ok_or("the queue took a severity it has no priority for")?;
    println!("  setting the severity Informational: {refused}");
    let refused = source
        .update_incident(
            &top.id,
            &IncidentUpdate::new().close(Closure::verdict(Verdict::Suspicious)),
        )
        .await
        .err()
        .ok_or("the queue took a verdict it has no resolution for")?;
    println!("  closing as Suspicious: {refused}");

    // 5. The closed ticket as an OCSF Incident Finding, as for any vendor.
    let finding = serde_json::to_value(source.get_incident(&top.id).await?.to_ocsf())?;
    println!(
        "\nAs OCSF: class {} activity {} status {} verdict {} product {} by {}",
        finding["class_uid"],
        finding["activity_id"],
        finding["status"],
        finding["verdict"],
        finding["metadata"]["product"]["name"],
        finding["metadata"]["product"]["vendor_name"]
    );
    Ok(())
}
