//! The security event (`/API/pta/API/Events/`), as the seed (Update security event) and the
//! published responses describe it.

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use incident_core::serde_helpers::lenient_f64_option;

use super::time::option as pta_time;

incident_core::string_enum! {
    /// The status of a security event (`mStatus`), also of a risk event (`status`).
    ///
    /// The documentation lists "open or closed", its body example and every response use
    /// upper case: the client sends `OPEN`/`CLOSED` and reads any case.
    pub enum EventStatus {
        /// `OPEN`.
        Open = "OPEN",
        /// `CLOSED`.
        Closed = "CLOSED",
    }
}

incident_core::string_enum! {
    /// The type of a security event. The types of the published samples are named; PTA has
    /// more (they differ by version and licensed detections) and every other value is kept
    /// in `Unknown`.
    pub enum EventType {
        /// Suspicious activity in a PSM session (a command matching a PTA rule).
        PsmSuspiciousActivity = "PSMSuspiciousActivity",
        /// A Vault logon from an irregular IP address.
        VaultViaIrregularIp = "VaultViaIrregularIp",
        /// An interactive logon with a service account.
        InteractiveLogonWithServiceAccount = "InteractiveLogonWithServiceAccount",
    }
}

incident_core::string_enum! {
    /// The type of an audit (the raw activity behind an event).
    pub enum AuditType {
        /// A command in a PSM SSH session.
        PsmSshCommand = "PSM_SSH_COMMAND",
        /// A logon to the Vault.
        VaultLogon = "VAULT_LOGON",
        /// A Windows logon, reported by a SIEM.
        WindowsLogon = "WINDOWS_LOGON",
    }
}

incident_core::string_enum! {
    /// The sensor that reported an audit.
    pub enum SensorType {
        /// The Vault.
        Vault = "VAULT",
        /// A SIEM forwarding logs to PTA.
        Siem = "SIEM",
        /// The Privileged Session Manager.
        Psm = "PSM",
    }
}

incident_core::string_enum! {
    /// The type of the account an audit used.
    pub enum AccountType {
        /// A local Unix account (details in `mTarget` and `mUser`).
        LocalUnix = "LOCAL_UNIX",
        /// A domain account (details in `mDomain`, `spnList` and `mUser`).
        Domain = "DOMAIN",
    }
}

incident_core::string_enum! {
    /// Why an event or a risk event was closed (psPAS `Set-PASPTARiskEvent` documents these;
    /// a closed security event may carry one too).
    pub enum CloseReason {
        /// The issue was handled.
        Handled = "HANDLED",
        /// Not a real issue (a false positive).
        NotReal = "NOTREAL",
        /// Another reason, see the reason text.
        Other = "OTHER",
        /// No reason given.
        None = "NONE",
    }
}

/// A PTA security event.
///
/// Every field is optional (audits leave out what their sensor does not know), enums keep
/// values they do not know, and [`extra`](Self::extra) keeps fields this version does not
/// model: nothing the server sends is lost, and everything is written back as received.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SecurityEvent {
    /// The event id: 24 hexadecimal digits (a MongoDB ObjectId, whose first 8 digits are
    /// the creation second).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The event type, e.g. `VaultViaIrregularIp`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<EventType>,
    /// The score, 0 to 100. Documented as Integer, sent as a float in practice
    /// (`27.656250000000004`).
    #[serde(
        default,
        with = "lenient_f64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub score: Option<f64>,
    /// When PTA created the event (see [`crate::model::time`] for the unit).
    #[serde(
        rename = "createTime",
        default,
        with = "pta_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub create_time: Option<OffsetDateTime>,
    /// When the event last changed (a new audit, a status update).
    #[serde(
        rename = "lastUpdateTime",
        default,
        with = "pta_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_update_time: Option<OffsetDateTime>,
    /// The activities behind the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audits: Option<Vec<Audit>>,
    /// Free-form details whose keys depend on the event type: `mitigationAction`,
    /// `sessionIsLive`, `matchPatterns`, `sessionIDs` for PSM activity; `station`, `reason`,
    /// `vault_user` for irregular Vault access; `aggregation_count` (a number) and more.
    #[serde(
        rename = "additionalData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub additional_data: Option<Map<String, Value>>,
    /// The status.
    #[serde(rename = "mStatus", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<EventStatus>,
    /// Why the event was closed, when it is and PTA recorded it.
    #[serde(
        rename = "closeReason",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub close_reason: Option<CloseReason>,
    /// The text given with the close reason.
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

impl SecurityEvent {
    /// The audits, empty when the event has none.
    pub fn audits(&self) -> &[Audit] {
        self.audits.as_deref().unwrap_or_default()
    }

    /// Whether the event is open (`mStatus` `OPEN` in any case).
    pub fn is_open(&self) -> bool {
        self.status == Some(EventStatus::Open)
    }

    /// A value of [`additional_data`](Self::additional_data).
    pub fn additional(&self, key: &str) -> Option<&Value> {
        self.additional_data.as_ref()?.get(key)
    }

    /// The Vault user or account of the first audit that names one, for display.
    pub fn who(&self) -> Option<&str> {
        self.audits().iter().find_map(Audit::who)
    }
}

/// A listed security event, which must carry its `id`: every other operation on it needs
/// the id, and an answer of id-less objects is refused at the first one.
pub(crate) struct ListedEvent(pub(crate) SecurityEvent);

impl<'de> Deserialize<'de> for ListedEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let event = SecurityEvent::deserialize(d)?;
        match &event.id {
            Some(id) if !id.is_empty() => Ok(ListedEvent(event)),
            _ => Err(de::Error::custom("a security event without its id")),
        }
    }
}

/// One audit of a security event: an activity a sensor reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Audit {
    /// The audit id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The audit type, e.g. `VAULT_LOGON`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub audit_type: Option<AuditType>,
    /// The sensor that sent the audit.
    #[serde(
        rename = "sensorType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sensor_type: Option<SensorType>,
    /// What happened, e.g. "Logon", "Vault retrieve password", "PSM suspicious activity".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The suspicious command, for PSM activity.
    #[serde(
        rename = "psmCommand",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub psm_command: Option<String>,
    /// When the activity happened.
    #[serde(
        rename = "createTime",
        default,
        with = "pta_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub create_time: Option<OffsetDateTime>,
    /// The Vault user who triggered the session.
    #[serde(rename = "vaultUser", default, skip_serializing_if = "Option::is_none")]
    pub vault_user: Option<String>,
    /// The account used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AuditAccount>,
    /// Where the activity came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Address>,
    /// The machine the activity went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Address>,
    /// Cloud details (`{}` in every published sample).
    #[serde(rename = "cloudData", default, skip_serializing_if = "Option::is_none")]
    pub cloud_data: Option<Map<String, Value>>,
    /// The Vault account id, e.g. `27_3` (what the `accountID` filter matches).
    #[serde(
        rename = "accountId",
        default,
        deserialize_with = "text_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_id: Option<String>,
    /// Fields this version of the crate does not model, kept as sent and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Audit {
    /// The Vault user, else the account as text.
    pub fn who(&self) -> Option<&str> {
        self.vault_user
            .as_deref()
            .or_else(|| self.account.as_ref()?.account_as_str.as_deref())
    }
}

/// The account of an audit, in both shapes PTA sends: `LOCAL_UNIX` with `mTarget` and
/// `mUser`, `DOMAIN` with `mDomain`, `spnList` and `mUser`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditAccount {
    /// The account as text, e.g. `root@10.0.0.12` or `administrator@cybr.com`.
    #[serde(
        rename = "accountAsStr",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub account_as_str: Option<String>,
    /// The account type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<AccountType>,
    /// The details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountDetails>,
    /// Fields this version of the crate does not model, kept as sent and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The details of an audit's account. Which fields are present depends on the account type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccountDetails {
    /// The target machine of a local account (`mTarget`; the seed spells it `mtarget`,
    /// which is read too).
    #[serde(
        rename = "mTarget",
        alias = "mtarget",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub target: Option<Address>,
    /// The user name.
    #[serde(rename = "mUser", default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The domain of a domain account.
    #[serde(rename = "mDomain", default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The service principal names of a domain account (empty in the published samples).
    #[serde(rename = "spnList", default, skip_serializing_if = "Option::is_none")]
    pub spn_list: Option<Vec<Value>>,
    /// Fields this version of the crate does not model, kept as sent and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A source or target address: the address as sent, and as PTA resolved it.
///
/// The seed types `source` and `target` as String while every sample sends this object; a
/// plain string is read into [`original_address`](Self::original_address).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Address {
    /// The address as the sensor sent it (an IP address or a host name).
    #[serde(rename = "mOriginalAddress", skip_serializing_if = "Option::is_none")]
    pub original_address: Option<String>,
    /// The resolved address.
    #[serde(rename = "mResolvedAddress", skip_serializing_if = "Option::is_none")]
    pub resolved_address: Option<ResolvedAddress>,
    /// Fields this version of the crate does not model, kept as sent and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Address {
    /// The most readable form: the FQDN, else the host name, else the address as sent.
    pub fn display_name(&self) -> Option<&str> {
        let resolved = self.resolved_address.as_ref();
        resolved
            .and_then(|r| r.fqdn.as_deref().or(r.host_name.as_deref()))
            .or(self.original_address.as_deref())
            .or_else(|| resolved.and_then(|r| r.address.as_deref()))
    }
}

#[derive(Deserialize)]
struct AddressObject {
    #[serde(rename = "mOriginalAddress", default)]
    original_address: Option<String>,
    #[serde(rename = "mResolvedAddress", default)]
    resolved_address: Option<ResolvedAddress>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// A string or an object, told apart by what the input holds: the object is decoded in
/// place (an untagged enum would copy every address into a buffer first and try each
/// shape in turn).
impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AddressVisitor;

        impl<'de> Visitor<'de> for AddressVisitor {
            type Value = Address;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an address: a string, or an object with mOriginalAddress")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Address, E> {
                self.visit_string(v.to_owned())
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Address, E> {
                Ok(Address {
                    original_address: Some(v),
                    ..Address::default()
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Address, A::Error> {
                let o = AddressObject::deserialize(MapAccessDeserializer::new(map))?;
                Ok(Address {
                    original_address: o.original_address,
                    resolved_address: o.resolved_address,
                    extra: o.extra,
                })
            }
        }

        d.deserialize_any(AddressVisitor)
    }
}

/// An address as PTA resolved it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResolvedAddress {
    /// The address as sent.
    #[serde(
        rename = "mOriginalAddress",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub original_address: Option<String>,
    /// The IP address.
    #[serde(rename = "mAddress", default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The host name.
    #[serde(rename = "mHostName", default, skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
    /// The fully qualified domain name.
    #[serde(rename = "mFqdn", default, skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    /// Fields this version of the crate does not model, kept as sent and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An id PTA sends as a string (`"27_3"`), accepted as a number too.
fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct IdVisitor;

    impl<'de> Visitor<'de> for IdVisitor {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an account id: text or a number")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<String>, E> {
            Ok(Some(v.to_owned()))
        }

        fn visit_string<E: de::Error>(self, v: String) -> Result<Option<String>, E> {
            Ok(Some(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<String>, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<String>, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<String>, E> {
            // As `serde_json::Number` writes it.
            Ok(serde_json::Number::from_f64(v).map(|n| n.to_string()))
        }

        fn visit_none<E: de::Error>(self) -> Result<Option<String>, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Option<String>, E> {
            Ok(None)
        }
    }

    d.deserialize_any(IdVisitor)
}
