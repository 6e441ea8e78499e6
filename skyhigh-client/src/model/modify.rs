//! `modifyIncidents`: a batch of `{incidentId, changeRequests: {WORKFLOW_STATUS}}` and what
//! became of each incident.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::incident::IncidentId;
use super::response::{ResponseInfo, SkyhighError};
use crate::error::BatchVerdict;

incident_core::string_enum! {
    /// The `WORKFLOW_STATUS` to set, the only change `modifyIncidents` accepts.
    ///
    /// Sent in the spelling of the incident `status` values (`false positive` with a space),
    /// which is what the Cortex XSOAR integration sends for all six; the documentation's
    /// examples write `RESOLVED` and `PENDING` in capitals. Any other spelling or value can
    /// be sent as [`WorkflowStatus::Unknown`], verbatim.
    pub enum WorkflowStatus {
        /// `new`.
        New = "new",
        /// `opened`.
        Opened = "opened",
        /// `false positive`.
        FalsePositive = "false positive",
        /// `resolved`.
        Resolved = "resolved",
        /// `suppressed`.
        Suppressed = "suppressed",
        /// `archived`.
        Archived = "archived",
    }
}

/// `changeRequests` of one incident.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChangeRequests {
    /// `WORKFLOW_STATUS`.
    #[serde(
        rename = "WORKFLOW_STATUS",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub workflow_status: Option<WorkflowStatus>,
    /// Other change keys, sent as given (none is documented).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One element of the `modifyIncidents` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IncidentChange {
    /// `incidentId`.
    #[serde(rename = "incidentId")]
    pub incident_id: IncidentId,
    /// `changeRequests`.
    #[serde(rename = "changeRequests")]
    pub change_requests: ChangeRequests,
}

impl IncidentChange {
    /// Sets the workflow status of one incident.
    pub fn status(incident_id: IncidentId, status: WorkflowStatus) -> Self {
        IncidentChange {
            incident_id,
            change_requests: ChangeRequests {
                workflow_status: Some(status),
                extra: Map::new(),
            },
        }
    }
}

/// What became of one incident of a batch.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ChangeOutcome {
    /// The change was accepted.
    Applied,
    /// The service named this incident in the `details` of its error (with other incidents
    /// of the batch applied): the detail it gave.
    Refused(SkyhighError),
}

/// The answer of `modifyIncidents`, one outcome per incident of the batch, in order.
///
/// The service answers with a ResponseInfo (bare, as `{responseInfo}`, or in the Spring
/// envelope) whose `error` says what it refused, also with HTTP 200. An error whose
/// `details` each name an incident of the batch (in `target`), without naming them all,
/// refuses those incidents only: they are [`ChangeOutcome::Refused`], the others applied. A
/// batch the service refuses as a whole (an error with empty `details` or a detail that
/// names no incident of the batch, or details that name every incident) is an
/// [`incident_core::Error`] instead, never an outcome (see [`crate::error`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ModifyOutcome {
    /// The ResponseInfo the service answered with.
    pub response_info: ResponseInfo,
    /// Each incident of the batch with its outcome.
    pub outcomes: Vec<(IncidentId, ChangeOutcome)>,
}

impl ModifyOutcome {
    /// Whether every change was applied.
    pub fn all_applied(&self) -> bool {
        self.outcomes
            .iter()
            .all(|(_, o)| matches!(o, ChangeOutcome::Applied))
    }

    /// The incidents whose change was refused, with the service's error.
    pub fn refused(&self) -> impl Iterator<Item = (&IncidentId, &SkyhighError)> {
        self.outcomes.iter().filter_map(|(id, o)| match o {
            ChangeOutcome::Refused(e) => Some((id, e)),
            ChangeOutcome::Applied => None,
        })
    }

    /// The outcome of one incident.
    pub fn outcome(&self, incident_id: &str) -> Option<&ChangeOutcome> {
        self.outcomes
            .iter()
            .find(|(id, _)| id.as_str() == incident_id)
            .map(|(_, o)| o)
    }

    /// The outcome of `batch` from the service's ResponseInfo and the verdict that
    /// `error::modify_verdict` read from the same answer: an incident named as the `target`
    /// of a detail of the error was refused, the others applied.
    ///
    /// A batch refused as a whole reaches here only if the hook did not see the answer;
    /// every incident is then reported refused with that error, never applied.
    pub(crate) fn from_answer(
        batch: &[IncidentChange],
        response_info: ResponseInfo,
        verdict: BatchVerdict,
    ) -> Self {
        let outcomes = batch
            .iter()
            .map(|change| {
                let id = change.incident_id.clone();
                let outcome = match &verdict {
                    BatchVerdict::Applied => ChangeOutcome::Applied,
                    BatchVerdict::Refused(e) => ChangeOutcome::Refused(e.clone()),
                    BatchVerdict::Partial(refused) => refused
                        .iter()
                        .find(|(refused, _)| refused == id.as_str())
                        .map_or(ChangeOutcome::Applied, |(_, e)| {
                            ChangeOutcome::Refused(e.clone())
                        }),
                };
                (id, outcome)
            })
            .collect();
        ModifyOutcome {
            response_info,
            outcomes,
        }
    }
}
