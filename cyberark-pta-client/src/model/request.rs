//! The vocabulary of PVWA requests: where PVWA lives, how it authenticates, how the event
//! list is filtered, the limits PVWA sets and the bodies of the updates.

use std::fmt;
use std::str::FromStr;

use incident_core::{Error, Result};
use serde::Serialize;

use super::{EventStatus, RiskType};

/// The IIS application (virtual directory) of PVWA unless
/// [`PtaClientBuilder::app_path`](crate::PtaClientBuilder::app_path) names another: `PasswordVault`.
pub const DEFAULT_APP_PATH: &str = "PasswordVault";

/// How the security event list is filtered by date, which changed between PVWA versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum EventFilterMode {
    /// PAS 11.3 and later (the default): query parameters `fromUpdateDate`, `status` and
    /// (11.4 and later) `accountID`.
    #[default]
    Query,
    /// PAS 10.3 to 11.2: the request header `lastUpdatedEventDate` carries the date; the
    /// server filters on nothing else, so a status filter is applied by the client to the
    /// answer, and an `accountID` filter is refused.
    LegacyHeader,
}

/// The unit of the dates the client sends in filters (`fromUpdateDate`,
/// `lastUpdatedEventDate`).
///
/// The "Get security events" page says `fromUpdateDate` is "seconds since 1970"; psPAS sends
/// milliseconds (`ConvertTo-UnixTime -Milliseconds`), the Cortex XSOAR integration sends the
/// legacy header in milliseconds, and every time PTA itself returns is in milliseconds.
/// Milliseconds are the default; choose seconds for a server that follows the page's wording
/// (check against your version: a date filter in the wrong unit matches everything or
/// nothing). Times read from answers are decoded whatever their unit, see
/// [`crate::model::time`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum DateUnit {
    /// Milliseconds since 1970 (the default).
    #[default]
    Milliseconds,
    /// Seconds since 1970.
    Seconds,
}

impl DateUnit {
    /// `t` as this unit, as sent on the wire (rounded down).
    pub fn format(self, t: time::OffsetDateTime) -> String {
        match self {
            DateUnit::Milliseconds => t.unix_timestamp_nanos().div_euclid(1_000_000).to_string(),
            DateUnit::Seconds => t.unix_timestamp().to_string(),
        }
    }
}

/// How PVWA authenticates the user: the `{type}` of `API/auth/{type}/Logon`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum AuthType {
    /// A Vault user (`CyberArk`), the default.
    #[default]
    CyberArk,
    /// A directory user (`LDAP`).
    Ldap,
    /// A RADIUS user (`RADIUS`); the password field carries what RADIUS expects (password
    /// and, for some set-ups, the one-time code).
    Radius,
    /// Windows authentication (`Windows`).
    Windows,
}

impl AuthType {
    /// The path segment PVWA expects.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::CyberArk => "CyberArk",
            AuthType::Ldap => "LDAP",
            AuthType::Radius => "RADIUS",
            AuthType::Windows => "Windows",
        }
    }
}

impl fmt::Display for AuthType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthType {
    type Err = Error;

    /// Reads `CyberArk`, `LDAP`, `RADIUS` or `Windows`, in any case.
    fn from_str(s: &str) -> Result<Self> {
        [
            AuthType::CyberArk,
            AuthType::Ldap,
            AuthType::Radius,
            AuthType::Windows,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| {
            Error::invalid_input(
                "logon type",
                format!("{s:?} is not one of CyberArk, LDAP, RADIUS, Windows"),
            )
        })
    }
}

/// How many security events one listing may hold unless [`ListEvents::max_events`](crate::ListEvents::max_events) says
/// otherwise. PTA answers every matching event in one array, without paging: the limit
/// keeps a server that sends millions of them from filling memory.
pub const DEFAULT_MAX_EVENTS: u64 = 100_000;

/// The request header of the legacy date filter (PAS 10.3 to 11.2).
pub const LEGACY_DATE_HEADER: &str = "lastUpdatedEventDate";

/// The page size of [`ListRiskEvents::into_stream`](crate::ListRiskEvents::into_stream) unless [`ListRiskEvents::size`](crate::ListRiskEvents::size) says
/// otherwise (PVWA's own default).
pub const DEFAULT_RISK_PAGE_SIZE: u64 = 100;

/// The largest `size` PVWA accepts.
pub const MAX_RISK_PAGE_SIZE: u64 = 1000;

/// The longest `reasonText` PVWA accepts, in characters.
pub const MAX_REASON_TEXT: usize = 100;

#[derive(Serialize)]
pub(crate) struct LogonBody<'a> {
    pub(crate) username: &'a str,
    pub(crate) password: &'a str,
    #[serde(rename = "concurrentSession", skip_serializing_if = "Option::is_none")]
    pub(crate) concurrent_session: Option<bool>,
}

#[derive(Serialize)]
pub(crate) struct StatusBody<'a> {
    #[serde(rename = "mStatus")]
    pub(crate) status: &'a str,
}

#[derive(Serialize)]
pub(crate) struct RiskUpdateBody<'a> {
    pub(crate) status: &'a str,
    #[serde(rename = "closeReason", skip_serializing_if = "Option::is_none")]
    pub(crate) close_reason: Option<&'a str>,
    #[serde(rename = "reasonText", skip_serializing_if = "Option::is_none")]
    pub(crate) reason_text: Option<&'a str>,
}

/// The `filter` of a risk event listing on a type and a status, joined by `AND`.
pub(crate) fn risk_filter(
    risk_type: Option<&RiskType>,
    status: Option<&EventStatus>,
) -> Option<String> {
    let parts: Vec<String> = [
        risk_type.map(|t| format!("type eq \"{}\"", t.as_str())),
        status.map(|s| format!("status eq \"{}\"", s.as_str())),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}
