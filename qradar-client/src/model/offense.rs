//! The offense: QRadar's unit of investigation, built from the events and flows that one or
//! more rules correlated (`GET/POST /siem/offenses[/{offense_id}]`).

use incident_core::{ApiRequest, Error, Result};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use incident_core::serde_helpers::{
    epoch_millis_option, lenient_u64_option, lenient_u64_vec_option,
};

incident_core::string_enum! {
    /// The status of an offense.
    ///
    /// QRadar moves offenses between these three states only; `POST /siem/offenses/{id}`
    /// with `status=CLOSED` needs a `closing_reason_id`. Values a newer QRadar adds (and the
    /// placeholder strings of the documentation's samples) decode as `Unknown`.
    pub enum OffenseStatus {
        /// Active: shown in the offense list and still correlating new events.
        Open = "OPEN",
        /// Hidden from the default offense list; set back to `OPEN` to show it again.
        Hidden = "HIDDEN",
        /// Closed with a closing reason; QRadar starts a new offense if the rule fires again.
        Closed = "CLOSED",
    }
}

incident_core::string_enum! {
    /// The kind of rule that contributed to an offense.
    pub enum RuleType {
        /// An anomaly detection engine rule (behaviour, threshold or anomaly on
        /// accumulated data).
        AdeRule = "ADE_RULE",
        /// A building block: a reusable rule fragment other rules test against.
        BuildingBlockRule = "BUILDING_BLOCK_RULE",
        /// A custom rules engine rule, evaluated on events and flows as they arrive.
        CreRule = "CRE_RULE",
    }
}

/// A QRadar offense as returned by the offenses endpoints.
///
/// Every field is optional: `fields=` can leave any of them out, and real appliances send
/// `null` for fields such as `assigned_to` or `close_time` on open offenses. Counts and ids
/// also accept whole floats and digit strings. Fields that this version of the crate does not
/// know are kept in [`Offense::extra`], so nothing the server sends is lost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Offense {
    /// The ID of the offense.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<u64>,
    /// The description of the offense (usually the names of the rules that created it,
    /// joined with QRadar's own wording).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The user to whom the offense is assigned; `None` (or `null`) when unassigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    /// The event categories (QRadar low-level category names) associated with the offense.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// The number of event categories associated with the offense.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub category_count: Option<u64>,
    /// The number of policy event categories associated with the offense.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub policy_category_count: Option<u64>,
    /// The number of security event categories associated with the offense.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub security_category_count: Option<u64>,
    /// When the offense was closed (sent as milliseconds since the epoch); `None` while open.
    #[serde(
        default,
        with = "epoch_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub close_time: Option<OffsetDateTime>,
    /// The user who closed the offense.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closing_user: Option<String>,
    /// The ID of the reason the offense was closed (see
    /// [`ClosingReason`](crate::model::ClosingReason)).
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub closing_reason_id: Option<u64>,
    /// The credibility of the offense, 0–10: how far the reporting sources are trusted.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub credibility: Option<u64>,
    /// The relevance of the offense, 0–10: how much it matters to this network (asset
    /// weight, vulnerabilities of the targets).
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub relevance: Option<u64>,
    /// The severity of the offense, 0–10: the threat the attack poses.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub severity: Option<u64>,
    /// The magnitude of the offense, 0–10: QRadar's overall priority, computed from
    /// credibility, relevance and severity.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub magnitude: Option<u64>,
    /// The destination networks (QRadar network hierarchy names) associated with the offense.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_networks: Option<Vec<String>>,
    /// The first seen source network associated with the offense.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_network: Option<String>,
    /// The number of devices associated with the offense.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub device_count: Option<u64>,
    /// The number of events associated with the offense.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_count: Option<u64>,
    /// The number of flows associated with the offense.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub flow_count: Option<u64>,
    /// True if the offense is inactive: no new events or flows have contributed to it for a
    /// while, so new activity would start a new offense.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive: Option<bool>,
    /// The time of the most recent item that contributed to the offense. This is when the
    /// latest event or flow occurred, not when it was associated with the offense.
    #[serde(
        default,
        with = "epoch_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_updated_time: Option<OffsetDateTime>,
    /// The number of local destinations associated with the offense.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub local_destination_count: Option<u64>,
    /// The source of the offense: what the offense is indexed on (an IP address, a user name,
    /// a log source ...), which depends on the rule that was triggered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offense_source: Option<String>,
    /// The ID of the offense type, which says how to read `offense_source`. Resolve it with
    /// `GET /siem/offense_types` ([`OffenseType`](crate::model::OffenseType)).
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub offense_type: Option<u64>,
    /// True if the offense is protected from automatic removal when its data ages out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected: Option<bool>,
    /// True if the offense is flagged for follow up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<bool>,
    /// The number of remote destinations associated with the offense.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub remote_destination_count: Option<u64>,
    /// The number of sources associated with the offense.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_count: Option<u64>,
    /// The time of the earliest item that contributed to the offense. This is when the
    /// earliest event or flow occurred, not when it was associated with the offense.
    #[serde(
        default,
        with = "epoch_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_time: Option<OffsetDateTime>,
    /// The status of the offense.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OffenseStatus>,
    /// The number of user names associated with the offense.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub username_count: Option<u64>,
    /// The source address IDs associated with the offense (resolve them with
    /// `GET /siem/source_addresses`).
    #[serde(
        default,
        with = "lenient_u64_vec_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_address_ids: Option<Vec<u64>>,
    /// The local destination address IDs associated with the offense (resolve them with
    /// `GET /siem/local_destination_addresses`).
    #[serde(
        default,
        with = "lenient_u64_vec_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub local_destination_address_ids: Option<Vec<u64>>,
    /// The ID of the domain, present only when the offense belongs to a single domain
    /// (multi-tenant deployments).
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub domain_id: Option<u64>,
    /// When any field of the offense was last updated: the value to poll on for changes.
    #[serde(
        default,
        with = "epoch_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_persisted_time: Option<OffsetDateTime>,
    /// When the offense was created.
    #[serde(
        default,
        with = "epoch_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_persisted_time: Option<OffsetDateTime>,
    /// The rules that contributed to the offense.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<OffenseRule>>,
    /// The log sources that contributed to the offense.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_sources: Option<Vec<LogSource>>,
    /// Fields this version of the crate does not model, as sent by the server.
    ///
    /// Each QRadar API version may add fields to the offense; they land here instead of being
    /// dropped, and are written back when the offense is serialized.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A rule that contributed to an offense (an element of [`Offense::rules`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OffenseRule {
    /// The ID of the rule (`GET /analytics/rules/{id}` has its name).
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<u64>,
    /// The type of rule (`type` on the wire).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub rule_type: Option<RuleType>,
    /// Fields this version of the crate does not model, kept as sent and written back.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A log source that contributed to an offense (an element of [`Offense::log_sources`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LogSource {
    /// The ID of the log source.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<u64>,
    /// The name of the log source, as configured in QRadar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The ID of the log source type (the DSM that parses it).
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub type_id: Option<u64>,
    /// The name of the log source type, e.g. `"Microsoft Windows Security Event Log"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    /// Fields this version of the crate does not model, kept as sent and written back.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Offense {
    /// True when the status is `CLOSED`.
    pub fn is_closed(&self) -> bool {
        self.status == Some(OffenseStatus::Closed)
    }
}

/// The status an update moves an offense to. Closing carries its closing reason, so a close
/// without one cannot be expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusUpdate {
    /// `OPEN`: shows a hidden offense again, or reopens a closed one.
    Open,
    /// `HIDDEN`: hides the offense.
    Hidden,
    /// `CLOSED` with this closing reason id.
    Closed {
        /// The closing reason (see [`crate::QRadarClient::closing_reasons`]).
        closing_reason_id: u64,
    },
}

/// What an offense update changes (`POST /siem/offenses/{offense_id}`): each change is a
/// query parameter, and the body is empty.
#[derive(Debug, Clone, Default)]
pub(crate) struct OffenseChanges {
    pub(crate) protected: Option<bool>,
    pub(crate) follow_up: Option<bool>,
    pub(crate) status: Option<StatusUpdate>,
    pub(crate) assigned_to: Option<String>,
}

impl OffenseChanges {
    /// `request` with these changes; an update that changes nothing, or assigns to an empty
    /// user name, is refused.
    pub(crate) fn apply(&self, request: ApiRequest) -> Result<ApiRequest> {
        let OffenseChanges {
            protected,
            follow_up,
            status,
            assigned_to,
        } = self;
        if protected.is_none() && follow_up.is_none() && status.is_none() && assigned_to.is_none() {
            return Err(Error::invalid_input("offense update", "nothing to change"));
        }
        if assigned_to.as_ref().is_some_and(|u| u.trim().is_empty()) {
            return Err(Error::invalid_input(
                "assigned_to",
                "the user name is empty",
            ));
        }
        let (status, reason) = match status {
            None => (None, None),
            Some(StatusUpdate::Open) => (Some(OffenseStatus::Open), None),
            Some(StatusUpdate::Hidden) => (Some(OffenseStatus::Hidden), None),
            Some(StatusUpdate::Closed { closing_reason_id }) => {
                (Some(OffenseStatus::Closed), Some(closing_reason_id))
            }
        };
        Ok(request
            .query_opt("protected", protected.map(|b| b.to_string()))
            .query_opt("follow_up", follow_up.map(|b| b.to_string()))
            .query_opt("status", status.map(|s| s.as_str().to_owned()))
            .query_opt("closing_reason_id", reason.map(u64::to_string))
            .query_opt("assigned_to", assigned_to.clone()))
    }
}
