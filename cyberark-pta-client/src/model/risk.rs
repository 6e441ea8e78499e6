//! Risk events (`/API/pta/API/Risks/RisksEvents/`, PAM self-hosted 13.2 and later): risky
//! configurations PTA found, such as an account with a risky SPN or unconstrained
//! delegation.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use incident_core::serde_helpers::lenient_f64_option;

use super::event::{CloseReason, EventStatus};
use super::time::option as pta_time;

incident_core::string_enum! {
    /// The type of a risk event (the values psPAS `Get-PASPTARiskEvent` filters on).
    pub enum RiskType {
        /// An account trusted for unconstrained Kerberos delegation.
        UnconstrainedDelegation = "RISK_UNCONSTRAINED_DELEGATION",
        /// A privileged account with a service principal name (Kerberoasting).
        RiskySpn = "RISK_RISKY_SPN",
    }
}

/// A PTA risk event. Fields beyond the documented id, type, score, status, detection time
/// and close reason are kept in [`extra`](Self::extra).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RiskEvent {
    /// The risk event id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The risk type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub risk_type: Option<RiskType>,
    /// The score, 0 to 100.
    #[serde(
        default,
        with = "lenient_f64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub score: Option<f64>,
    /// The status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<EventStatus>,
    /// When PTA detected the risk.
    #[serde(
        rename = "detectionTime",
        default,
        with = "pta_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub detection_time: Option<OffsetDateTime>,
    /// Why it was closed.
    #[serde(
        rename = "closeReason",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub close_reason: Option<CloseReason>,
    /// The text given with the close reason (at most 100 characters).
    #[serde(
        rename = "reasonText",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reason_text: Option<String>,
    /// Fields this version of the crate does not model, kept as sent and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One page of risk events: `{"entities": [...], ...}`. Other members of the answer are kept
/// in [`extra`](Self::extra). The events are decoded within the bound of the answer
/// (incident-core's [`items_and_rest`](incident_core::paging::items_and_rest)).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RiskEventsPage {
    /// The risk events of this page.
    pub entities: Vec<RiskEvent>,
    /// Other members of the answer, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<'de> Deserialize<'de> for RiskEventsPage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (entities, extra) = incident_core::paging::items_and_rest(d, "entities")?;
        Ok(RiskEventsPage { entities, extra })
    }
}
