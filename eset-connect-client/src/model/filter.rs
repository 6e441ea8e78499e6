//! A typed builder for the `filter` of `GET /v2/incidents`.
//!
//! ESET documents a small AIP-160 (CEL) subset: the fields `create_time`, `update_time`,
//! `display_name`, `assignee_uuid`, `device_uuids`, `severity`, `status` and `tags`; the
//! operators `==`, `!=`, `<=`, `>=`, `in`, `contains`, `has`, joined by `&&`; enum values
//! unquoted; times as `timestamp("...")`; and status and severity only with `==` or `in`.
//! Each constructor here writes one documented comparison, so what the builder writes is
//! always in that subset; a raw string remains possible through
//! [`ListIncidents::filter_raw`](crate::incidents::ListIncidents::filter_raw).
//!
//! ```
//! use eset_connect_client::{Filter, IncidentSeverity, IncidentStatus};
//! use time::macros::datetime;
//!
//! let f = Filter::status_in([IncidentStatus::Open, IncidentStatus::InProgress])
//!     .and(Filter::severity(IncidentSeverity::High))
//!     .and(Filter::created_at_or_after(datetime!(2025-04-07 0:00 UTC)))
//!     .and(Filter::display_name_contains("ransom\"ware"));
//! assert_eq!(
//!     f.to_string(),
//!     "incident.status in [INCIDENT_STATUS_OPEN,INCIDENT_STATUS_IN_PROGRESS] && \
//!      incident.severity == INCIDENT_SEVERITY_LEVEL_HIGH && \
//!      incident.create_time >= timestamp(\"2025-04-07T00:00:00Z\") && \
//!      incident.display_name contains \"ransom\\\"ware\""
//! );
//! ```

use std::fmt;

use time::{Duration, OffsetDateTime};

use incident_core::{Error, Result};

use crate::model::{IncidentSeverity, IncidentStatus, format_timestamp};

/// A filter: one or more comparisons joined by `&&`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// `incident.<field> <op> <value>` with the value already written.
    Compare {
        field: &'static str,
        op: &'static str,
        value: Value,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Text(String),
    Time(OffsetDateTime),
    Enum(String),
    Enums(Vec<String>),
    Texts(Vec<String>),
}

impl Filter {
    fn one(field: &'static str, op: &'static str, value: Value) -> Filter {
        Filter {
            terms: vec![Term::Compare { field, op, value }],
        }
    }

    /// Both this filter and `other` (`&&`).
    #[must_use]
    pub fn and(mut self, other: Filter) -> Filter {
        self.terms.extend(other.terms);
        self
    }

    /// `incident.status == <status>`.
    pub fn status(status: IncidentStatus) -> Filter {
        Filter::one("status", "==", Value::Enum(status.as_str().to_owned()))
    }

    /// `incident.status in [<statuses>]`.
    pub fn status_in(statuses: impl IntoIterator<Item = IncidentStatus>) -> Filter {
        let values = statuses
            .into_iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        Filter::one("status", "in", Value::Enums(values))
    }

    /// `incident.severity == <severity>`.
    pub fn severity(severity: IncidentSeverity) -> Filter {
        Filter::one("severity", "==", Value::Enum(severity.as_str().to_owned()))
    }

    /// `incident.severity in [<severities>]`.
    pub fn severity_in(severities: impl IntoIterator<Item = IncidentSeverity>) -> Filter {
        let values = severities
            .into_iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        Filter::one("severity", "in", Value::Enums(values))
    }

    /// `incident.create_time >= timestamp("<at>")`.
    pub fn created_at_or_after(at: OffsetDateTime) -> Filter {
        Filter::one("create_time", ">=", Value::Time(at))
    }

    /// `incident.create_time <= timestamp("<at>")`.
    pub fn created_at_or_before(at: OffsetDateTime) -> Filter {
        Filter::one("create_time", "<=", Value::Time(at))
    }

    /// Created strictly before `at`: `incident.create_time <= timestamp("<at - 1 ns>")`
    /// (the documented operators have no `<`; timestamps have nanosecond precision, so
    /// this is exact). At the first instant `time` holds, which has nothing before it,
    /// the bound stays `at` rather than overflowing.
    pub fn created_before(at: OffsetDateTime) -> Filter {
        Filter::one(
            "create_time",
            "<=",
            Value::Time(at.saturating_sub(Duration::NANOSECOND)),
        )
    }

    /// `incident.update_time >= timestamp("<at>")`.
    pub fn updated_at_or_after(at: OffsetDateTime) -> Filter {
        Filter::one("update_time", ">=", Value::Time(at))
    }

    /// `incident.update_time <= timestamp("<at>")`.
    pub fn updated_at_or_before(at: OffsetDateTime) -> Filter {
        Filter::one("update_time", "<=", Value::Time(at))
    }

    /// Updated strictly before `at` (see [`created_before`](Self::created_before)).
    pub fn updated_before(at: OffsetDateTime) -> Filter {
        Filter::one(
            "update_time",
            "<=",
            Value::Time(at.saturating_sub(Duration::NANOSECOND)),
        )
    }

    /// `incident.display_name == "<name>"`.
    pub fn display_name(name: impl Into<String>) -> Filter {
        Filter::one("display_name", "==", Value::Text(name.into()))
    }

    /// `incident.display_name != "<name>"`.
    pub fn display_name_not(name: impl Into<String>) -> Filter {
        Filter::one("display_name", "!=", Value::Text(name.into()))
    }

    /// `incident.display_name contains "<text>"`.
    pub fn display_name_contains(text: impl Into<String>) -> Filter {
        Filter::one("display_name", "contains", Value::Text(text.into()))
    }

    /// `incident.assignee_uuid == "<user>"`.
    pub fn assignee(user_uuid: impl Into<String>) -> Filter {
        Filter::one("assignee_uuid", "==", Value::Text(user_uuid.into()))
    }

    /// `incident.assignee_uuid != "<user>"`.
    pub fn assignee_not(user_uuid: impl Into<String>) -> Filter {
        Filter::one("assignee_uuid", "!=", Value::Text(user_uuid.into()))
    }

    /// `incident.assignee_uuid in ["<user>", ...]`.
    pub fn assignee_in(user_uuids: impl IntoIterator<Item = impl Into<String>>) -> Filter {
        let values = user_uuids.into_iter().map(Into::into).collect();
        Filter::one("assignee_uuid", "in", Value::Texts(values))
    }

    /// `incident.tags has "<tag>"`.
    pub fn tag(tag: impl Into<String>) -> Filter {
        Filter::one("tags", "has", Value::Text(tag.into()))
    }

    /// `incident.device_uuids has "<device>"`.
    pub fn device(device_uuid: impl Into<String>) -> Filter {
        Filter::one("device_uuids", "has", Value::Text(device_uuid.into()))
    }

    /// Checks what the types cannot. Called before a list request is sent.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when an `in` list is empty, an enum value is not a proto enum
    /// name (`[A-Z0-9_]`, so that an `Unknown` value cannot inject syntax), or a string holds
    /// a NUL.
    pub fn validate(&self) -> Result<()> {
        for Term::Compare { field, value, .. } in &self.terms {
            let enum_name = |v: &str| {
                !v.is_empty()
                    && v.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            };
            let ok = match value {
                Value::Enum(v) => enum_name(v),
                Value::Enums(vs) => !vs.is_empty() && vs.iter().all(|v| enum_name(v)),
                Value::Texts(vs) => !vs.is_empty() && vs.iter().all(|v| !v.contains('\0')),
                Value::Text(v) => !v.contains('\0'),
                Value::Time(_) => true,
            };
            if !ok {
                return Err(Error::invalid_input(
                    "filter",
                    format!("the value for {field} is empty or not a valid {field} value"),
                ));
            }
        }
        Ok(())
    }
}

/// A CEL string literal: `"` and `\` escaped, control characters as `\uXXXX`.
fn quote(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        for (i, Term::Compare { field, op, value }) in self.terms.iter().enumerate() {
            if i > 0 {
                out.push_str(" && ");
            }
            out.push_str("incident.");
            out.push_str(field);
            out.push(' ');
            out.push_str(op);
            out.push(' ');
            match value {
                Value::Text(t) => quote(t, &mut out),
                Value::Time(at) => {
                    out.push_str("timestamp(\"");
                    out.push_str(&format_timestamp(*at));
                    out.push_str("\")");
                }
                Value::Enum(v) => out.push_str(v),
                Value::Enums(vs) => {
                    out.push('[');
                    out.push_str(&vs.join(","));
                    out.push(']');
                }
                Value::Texts(vs) => {
                    out.push('[');
                    for (j, v) in vs.iter().enumerate() {
                        if j > 0 {
                            out.push(',');
                        }
                        quote(v, &mut out);
                    }
                    out.push(']');
                }
            }
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn every_operator() {
        let t = datetime!(2025-04-07 0:00 UTC);
        let cases = [
            (
                Filter::status(IncidentStatus::Closed),
                "incident.status == INCIDENT_STATUS_CLOSED",
            ),
            (
                Filter::severity_in([IncidentSeverity::Low, IncidentSeverity::Medium]),
                "incident.severity in [INCIDENT_SEVERITY_LEVEL_LOW,INCIDENT_SEVERITY_LEVEL_MEDIUM]",
            ),
            (
                Filter::created_before(t),
                "incident.create_time <= timestamp(\"2025-04-06T23:59:59.999999999Z\")",
            ),
            (
                Filter::updated_at_or_before(t),
                "incident.update_time <= timestamp(\"2025-04-07T00:00:00Z\")",
            ),
            (
                Filter::updated_at_or_after(datetime!(2025-04-07 2:00 +2)),
                "incident.update_time >= timestamp(\"2025-04-07T00:00:00Z\")",
            ),
            (
                Filter::display_name_not("a\\b"),
                "incident.display_name != \"a\\\\b\"",
            ),
            (
                Filter::assignee_in(["u1", "u\n2"]),
                "incident.assignee_uuid in [\"u1\",\"u\\n2\"]",
            ),
            (Filter::tag("vip"), "incident.tags has \"vip\""),
            (
                Filter::device("d-1").and(Filter::assignee_not("x")),
                "incident.device_uuids has \"d-1\" && incident.assignee_uuid != \"x\"",
            ),
            (
                Filter::display_name("\u{7}"),
                "incident.display_name == \"\\u0007\"",
            ),
        ];
        for (filter, want) in cases {
            assert_eq!(filter.to_string(), want);
            filter.validate().unwrap();
        }
    }

    #[test]
    fn bounds_at_the_ends_of_time_never_panic() {
        use time::{Date, PrimitiveDateTime, Time};
        // `at - 1 ns` overflowed at the first instant `time` holds.
        let first = PrimitiveDateTime::new(Date::MIN, Time::MIDNIGHT).assume_utc();
        assert_eq!(
            Filter::created_before(first).to_string(),
            "incident.create_time <= timestamp(\"0000-01-01T00:00:00Z\")"
        );
        assert_eq!(
            Filter::updated_before(first).to_string(),
            "incident.update_time <= timestamp(\"0000-01-01T00:00:00Z\")"
        );
        // Past the year 9999 in UTC (hand-built): the last instant a timestamp writes.
        assert_eq!(
            Filter::updated_at_or_after(datetime!(9999-12-31 23:59:59 -1)).to_string(),
            "incident.update_time >= timestamp(\"9999-12-31T23:59:59.999999999Z\")"
        );
    }

    #[test]
    fn invalid_values_are_refused() {
        for bad in [
            Filter::status_in([]),
            Filter::status(IncidentStatus::Unknown("OPEN] || true".into())),
            Filter::severity(IncidentSeverity::Unknown(String::new())),
            Filter::assignee_in(Vec::<String>::new()),
            Filter::tag("a\0b"),
        ] {
            let e = bad.validate().unwrap_err();
            assert!(
                matches!(e, Error::InvalidInput { what: "filter", .. }),
                "{e:?}"
            );
        }
        // A new enum value the crate does not know is fine.
        Filter::status(IncidentStatus::Unknown("INCIDENT_STATUS_ARCHIVED".into()))
            .validate()
            .unwrap();
    }
}
