//! Triage across all five vendors and a source of your own through one interface: lists the
//! open incidents of every source concurrently, merges them by normalized severity and time
//! into one table, closes the top incident of each as a false positive with a note, and
//! prints what each did or why it could not.
//!
//! ```sh
//! cargo run --example triage
//! ```
//!
//! Each vendor is configured through the environment of its own example (`QRADAR_URL`,
//! `PTA_URL`, `SENTINEL_URL`, `SKYHIGH_URL` or `SKYHIGH_REGION`, `ESET_REGION` or `ESET_URL`,
//! with their credentials and `<PREFIX>_CA_CERT`; see the README); the vendors not configured
//! are simulated. The sixth source is the in-process ticket queue of
//! `cargo run --example custom_source`, an `IncidentSource` written outside incident-core,
//! triaged exactly as the vendors are. A source that fails (down, unauthorized, too slow) is
//! reported and does not stop the others; the exit status is non-zero when one failed. It
//! closes incidents: point it at test systems.

use std::process::ExitCode;

use incident_core::IncidentSource;
use incident_core::time::OffsetDateTime;
use incident_examples::connect;
use incident_examples::triage::{self, Options};

/// Incidents in each simulator, and tickets in the queue.
const SIMULATED: usize = 40;

#[tokio::main]
async fn main() -> ExitCode {
    incident_examples::init_tracing();
    let options = Options::default();

    let mut connected = Vec::new();
    let mut failed = 0;
    for (vendor, result) in connect::all(SIMULATED).await {
        match result {
            Ok(c) => {
                println!("{vendor}: {}", c.target);
                connected.push(c);
            }
            Err(e) => {
                failed += 1;
                println!("{vendor}: not configured correctly: {e}");
            }
        }
    }

    // A source of our own, beside the vendors: nothing in the triage knows it apart.
    let tickets = connect::tickets(SIMULATED);
    println!("{}: {}", tickets.source.vendor(), tickets.target);
    connected.push(tickets);

    let sources: Vec<&dyn IncidentSource> = connected.iter().map(|c| &*c.source).collect();
    let run = triage::run(&sources, &options).await;

    println!(
        "\n{} open incidents, most severe first, then oldest:\n",
        run.incidents.len()
    );
    print!(
        "{}",
        triage::table(&run.incidents, options.rows, OffsetDateTime::now_utc())
    );

    println!("\nClosing the top incident of each source as a false positive, with a note:");
    for report in &run.vendors {
        println!("  {report}");
        if report.failed() {
            failed += 1;
        }
    }
    for c in &mut connected {
        if let Err(e) = c.sign_off().await {
            println!("  {}: signing off failed: {e}", c.source.vendor());
        }
    }
    if failed > 0 {
        eprintln!("error: {failed} vendor(s) failed; the others were triaged");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
