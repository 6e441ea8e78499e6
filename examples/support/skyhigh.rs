//! The write step of `cargo run --example skyhigh_incidents`, shared with its tests.

use skyhigh_client::{ChangeOutcome, SkyhighClient, WorkflowStatus};

use crate::connect::BoxError;

/// Marks one incident resolved with `modifyIncidents`.
///
/// Skyhigh refuses changes inside its HTTP 200. The client turns a batch refused as a
/// whole, and one whose error names every incident of the batch, into an error with the
/// service's code and message; this batch holds one incident, so any refusal of it arrives
/// that way. An outcome that still does not say "applied" is an error too: the example
/// never reports an incident resolved unless the service said so.
///
/// # Errors
///
/// The client's error, or an outcome other than applied.
pub async fn resolve(client: &SkyhighClient, id: &str) -> Result<(), BoxError> {
    let outcome = client
        .incidents()
        .modify()
        .status(id, WorkflowStatus::Resolved)
        .send()
        .await?;
    match outcome.outcome(id) {
        Some(ChangeOutcome::Applied) => Ok(()),
        Some(ChangeOutcome::Refused(e)) => Err(format!(
            "Skyhigh refused to resolve {id} (code {}): {}",
            e.code.map_or_else(|| "none".to_owned(), |c| c.to_string()),
            e.message.as_deref().unwrap_or("no reason given")
        )
        .into()),
        _ => Err(format!("Skyhigh's answer says nothing of {id}").into()),
    }
}
