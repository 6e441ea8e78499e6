//! The request side of `queryIncidents`: the seed's Criteria, IncidentCriteria and
//! IncidentCategory.

use std::collections::BTreeMap;

use incident_core::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::incident::ActorIdType;
use super::time::parse_time;

incident_core::string_enum! {
    /// `permissionType`: whether the event was allowed.
    pub enum PermissionType {
        /// `ALLOWED`.
        Allowed = "ALLOWED",
        /// `DENIED`.
        Denied = "DENIED",
    }
}

incident_core::string_enum! {
    /// `incidentCriteria.product`.
    pub enum Product {
        /// `SANCTIONED`: incidents of sanctioned (managed) services.
        Sanctioned = "SANCTIONED",
        /// `SHADOW`: incidents of shadow (unmanaged) services.
        Shadow = "SHADOW",
    }
}

incident_core::string_enum! {
    /// `timesSelection`: which time `startTime`/`endTime` and the paging cursor apply to.
    pub enum TimesSelection {
        /// `CREATED_AT`: `timeCreated` (replaces the deprecated `createdSinceStartTime`).
        CreatedAt = "CREATED_AT",
        /// `LAST_MODIFIED_AT`: `timeModified`, the default.
        LastModifiedAt = "LAST_MODIFIED_AT",
    }
}

incident_core::string_enum! {
    /// `incidentCriteria.historicaluserriskscore`: the risk band of sanctioned DLP users.
    pub enum HistoricalUserRisk {
        /// Low (scores 1 to 3).
        Low = "Low",
        /// Medium (4 to 6).
        Medium = "Medium",
        /// High (7 to 9).
        High = "High",
    }
}

/// The `incidentCriteria.fields` names the documentation says are supported.
pub const CRITERIA_FIELD_NAMES: &[&str] = &[
    "policyName",
    "policyId",
    "contentItemName",
    "contentItemId",
    "status",
];

/// One incident group to keep: an `incidentType` (`Alert`, `Threat`; the documentation's own
/// example sends a dotted group such as `Alert.Policy.Epo`) and optionally a category within
/// it (`Access`, `Admin`, `Audit`, `Data`, `Policy`, `Vulnerability` for alerts;
/// `CompromisedAccount`, `InsiderThreat`, `PrivilegeAccess` for threats). Both are sent as
/// given: the service owns the list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IncidentCategory {
    /// `incidentType` (required by the service).
    #[serde(rename = "incidentType")]
    pub incident_type: String,
    /// `category`; all categories of the type when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

impl IncidentCategory {
    /// Every incident of `incident_type`, e.g. `"Alert"`.
    pub fn of_type(incident_type: impl Into<String>) -> Self {
        IncidentCategory {
            incident_type: incident_type.into(),
            category: None,
        }
    }

    /// The incidents of one category of a type, e.g. `("Threat", "CompromisedAccount")`.
    pub fn new(incident_type: impl Into<String>, category: impl Into<String>) -> Self {
        IncidentCategory {
            incident_type: incident_type.into(),
            category: Some(category.into()),
        }
    }
}

/// `incidentCriteria`: which incidents to keep, by group, product and field values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IncidentCriteria {
    /// `categories`: incident groups (ORed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<IncidentCategory>>,
    /// `product`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<Product>,
    /// `fields`: sanctioned incidents whose fields have one of the values (fields ANDed,
    /// values ORed), e.g. `{"policyName": ["PII", "Encrypted files"]}`. See
    /// [`CRITERIA_FIELD_NAMES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, Vec<String>>>,
    /// `historicaluserriskscore`: sanctioned DLP incidents of users in these risk bands.
    #[serde(
        rename = "historicaluserriskscore",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub historical_user_risk_score: Option<Vec<HistoricalUserRisk>>,
    /// Other members, sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of `queryIncidents`: every field of the seed's Criteria.
///
/// The swagger says only `startTime`, `endTime`, `actorIds`, `serviceNames` and
/// `incidentCriteria` are honoured by `queryIncidents`; the others are sent when set, since
/// the same object filters other queries. Times are written as Skyhigh's text
/// (`yyyy-mm-ddThh:mm:ss.sssZ`); `start_time` also holds a `nextStartTime` fed back verbatim.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Criteria {
    /// `actorIdType`: `USER` or `IP_ADDRESS` (case-sensitive on the service).
    #[serde(
        rename = "actorIdType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub actor_id_type: Option<ActorIdType>,
    /// `actorIds`: user names or IP addresses; empty means all.
    #[serde(rename = "actorIds", default, skip_serializing_if = "Option::is_none")]
    pub actor_ids: Option<Vec<String>>,
    /// `category`: threat categories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Vec<String>>,
    /// `deviceTypes`, e.g. `WindowsDesktop`, `iPhoneMobile`.
    #[serde(
        rename = "deviceTypes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub device_types: Option<Vec<String>>,
    /// `endTime`: exclusive; the service's default is now.
    #[serde(rename = "endTime", default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// `incidentCriteria`.
    #[serde(
        rename = "incidentCriteria",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub incident_criteria: Option<IncidentCriteria>,
    /// `permissionType`.
    #[serde(
        rename = "permissionType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub permission_type: Option<PermissionType>,
    /// `protocolTypes`, e.g. `https`, `dns`.
    #[serde(
        rename = "protocolTypes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub protocol_types: Option<Vec<String>>,
    /// `serviceCategories`, e.g. `Cloud Storage`.
    #[serde(
        rename = "serviceCategories",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub service_categories: Option<Vec<String>>,
    /// `serviceNames`; empty means all.
    #[serde(
        rename = "serviceNames",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub service_names: Option<Vec<String>>,
    /// `serviceRiskMaximum` (must be at least `serviceRiskMinimum`).
    #[serde(
        rename = "serviceRiskMaximum",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub service_risk_maximum: Option<i32>,
    /// `serviceRiskMinimum`.
    #[serde(
        rename = "serviceRiskMinimum",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub service_risk_minimum: Option<i32>,
    /// `startTime`: inclusive; the service's default is now, so a query without one finds
    /// nothing.
    #[serde(rename = "startTime", default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// `timesSelection`.
    #[serde(
        rename = "timesSelection",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub times_selection: Option<TimesSelection>,
    /// `createdSinceStartTime` (deprecated for `timesSelection: CREATED_AT`).
    #[serde(
        rename = "createdSinceStartTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub created_since_start_time: Option<bool>,
    /// `uploadDataMinimum` in bytes (not negative).
    #[serde(
        rename = "uploadDataMinimum",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub upload_data_minimum: Option<i64>,
    /// `userRiskMaximum` (must be at least `userRiskMinimum`).
    #[serde(
        rename = "userRiskMaximum",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub user_risk_maximum: Option<i32>,
    /// `userRiskMinimum`.
    #[serde(
        rename = "userRiskMinimum",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub user_risk_minimum: Option<i32>,
    /// Other members, sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Criteria {
    /// Checks the documented rules before anything is sent.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the first broken rule: each risk minimum at most its
    /// maximum, risks and the upload minimum not negative, times Skyhigh can read, the
    /// start not after the end, no empty incident type in a category.
    pub fn validate(&self) -> Result<()> {
        fn range(name: &'static str, min: Option<i32>, max: Option<i32>) -> Result<()> {
            for v in [min, max].into_iter().flatten() {
                if v < 0 {
                    return Err(Error::invalid_input(name, format!("{v} is negative")));
                }
            }
            if let (Some(min), Some(max)) = (min, max)
                && min > max
            {
                return Err(Error::invalid_input(
                    name,
                    format!("the minimum {min} is above the maximum {max}"),
                ));
            }
            Ok(())
        }
        range(
            "service risk range",
            self.service_risk_minimum,
            self.service_risk_maximum,
        )?;
        range(
            "user risk range",
            self.user_risk_minimum,
            self.user_risk_maximum,
        )?;
        if let Some(v) = self.upload_data_minimum
            && v < 0
        {
            return Err(Error::invalid_input(
                "uploadDataMinimum",
                format!("{v} is negative"),
            ));
        }
        let time = |name: &'static str, value: &Option<String>| -> Result<_> {
            match value {
                None => Ok(None),
                Some(text) => parse_time(text).map(Some).ok_or_else(|| {
                    Error::invalid_input(
                        name,
                        format!("{text:?} is not a date-time such as 2024-05-01T09:00:00Z"),
                    )
                }),
            }
        };
        let start = time("startTime", &self.start_time)?;
        let end = time("endTime", &self.end_time)?;
        // Equal is an empty window, which a walk reaches when a short page's nextStartTime
        // is the end of the window.
        if let (Some(start), Some(end)) = (start, end)
            && start > end
        {
            return Err(Error::invalid_input(
                "time window",
                "startTime (inclusive) is after endTime (exclusive)",
            ));
        }
        if let Some(categories) = self
            .incident_criteria
            .as_ref()
            .and_then(|c| c.categories.as_ref())
            && categories.iter().any(|c| c.incident_type.trim().is_empty())
        {
            return Err(Error::invalid_input(
                "incidentCriteria.categories",
                "every category needs an incidentType",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_fields_example_round_trips() {
        // The seed: "incidentCriteria": { "fields": { "policyName": ["PII", "Encrypted files"] } }
        let text = r#"{"fields":{"policyName":["PII","Encrypted files"]}}"#;
        let c: IncidentCriteria = serde_json::from_str(text).unwrap();
        assert_eq!(
            c.fields.as_ref().unwrap()["policyName"],
            vec!["PII".to_string(), "Encrypted files".to_string()]
        );
        assert_eq!(serde_json::to_string(&c).unwrap(), text);
    }

    #[test]
    fn validation() {
        let ok = Criteria {
            service_risk_minimum: Some(3),
            service_risk_maximum: Some(3),
            start_time: Some("2024-05-01T00:00:00Z".into()),
            end_time: Some("2024-05-02T00:00:00.000Z".into()),
            ..Criteria::default()
        };
        assert!(ok.validate().is_ok());
        let bad = [
            Criteria {
                user_risk_minimum: Some(5),
                user_risk_maximum: Some(4),
                ..Criteria::default()
            },
            Criteria {
                service_risk_minimum: Some(-1),
                ..Criteria::default()
            },
            Criteria {
                upload_data_minimum: Some(-5),
                ..Criteria::default()
            },
            Criteria {
                start_time: Some("last week".into()),
                ..Criteria::default()
            },
            Criteria {
                start_time: Some("2024-05-02T00:00:00Z".into()),
                end_time: Some("2024-05-01T00:00:00Z".into()),
                ..Criteria::default()
            },
            Criteria {
                incident_criteria: Some(IncidentCriteria {
                    categories: Some(vec![IncidentCategory::of_type(" ")]),
                    ..IncidentCriteria::default()
                }),
                ..Criteria::default()
            },
        ];
        for c in bad {
            assert!(
                matches!(c.validate(), Err(Error::InvalidInput { .. })),
                "{c:?}"
            );
        }
    }
}
