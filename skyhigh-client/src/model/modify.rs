//! `modifyIncidents`: a batch of `{incidentId, changeRequests: {WORKFLOW_STATUS}}` and what
//! became of each incident.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::incident::IncidentId;
use super::response::{ResponseInfo, SkyhighError};

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
    /// The service named this incident in the `details` of its error.
    Refused(SkyhighError),
}

/// The answer of `modifyIncidents`, one outcome per incident of the batch, in order.
///
/// A batch the service refuses as a whole (an error that names no incident, or one that
/// names every incident) is an [`incident_core::Error`] instead.
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

    /// Reads the outcome of `batch` from the service's answer: an incident named as the
    /// `target` of a detail of `responseInfo.error` was refused, the others applied.
    pub(crate) fn from_answer(batch: &[IncidentChange], response_info: ResponseInfo) -> Self {
        let details: Vec<SkyhighError> = response_info
            .error
            .as_ref()
            .and_then(|e| e.details.clone())
            .unwrap_or_default();
        let outcomes = batch
            .iter()
            .map(|change| {
                let id = change.incident_id.clone();
                let refused = details
                    .iter()
                    .find(|d| d.targets().any(|t| t == id.as_str()));
                let outcome = match refused {
                    Some(d) => ChangeOutcome::Refused(d.clone()),
                    None => ChangeOutcome::Applied,
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
