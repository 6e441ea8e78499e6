//! Offense types (`/siem/offense_types`): what an offense is indexed on.

use serde::{Deserialize, Serialize};

use incident_core::serde_helpers::lenient_u64_option;

incident_core::string_enum! {
    /// Which data an offense type's property comes from.
    pub enum DatabaseType {
        /// The property is read from events.
        Events = "EVENTS",
        /// The property is read from flows.
        Flows = "FLOWS",
        /// The property exists in both events and flows.
        Common = "COMMON",
    }
}

/// An offense type: the property an offense is indexed on (source IP, user name, log
/// source, a custom property ...). [`Offense::offense_type`](crate::model::Offense::offense_type)
/// holds the ID of one of these, and it tells how to read
/// [`Offense::offense_source`](crate::model::Offense::offense_source).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OffenseType {
    /// The ID of the offense type, as found in `Offense::offense_type`. The only sortable
    /// field.
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<u64>,
    /// The name of the event or flow property the offense is indexed on, e.g.
    /// `"sourceIP"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_name: Option<String>,
    /// The display name of the offense type, e.g. `"Source IP"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether the property comes from events, flows or both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_type: Option<DatabaseType>,
    /// True when the type is built on a custom property rather than a QRadar built-in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<bool>,
    /// Fields this version of the crate does not model, kept as sent and written back.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}
