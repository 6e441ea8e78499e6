#![doc = include_str!("../MAPPING.md")]

use std::fmt::Write as _;

use crate::model::{Capabilities, IncidentStatus, Severity, TimeField, Vendor, Verdict};

/// Every OCSF status but `Other`.
pub const OCSF_STATUSES: [IncidentStatus; 6] = [
    IncidentStatus::Unknown,
    IncidentStatus::New,
    IncidentStatus::InProgress,
    IncidentStatus::OnHold,
    IncidentStatus::Resolved,
    IncidentStatus::Closed,
];

/// Every OCSF severity but `Other`.
pub const OCSF_SEVERITIES: [Severity; 7] = [
    Severity::Unknown,
    Severity::Informational,
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
    Severity::Fatal,
];

/// Every OCSF verdict but `Other`.
pub const OCSF_VERDICTS: [Verdict; 11] = [
    Verdict::Unknown,
    Verdict::FalsePositive,
    Verdict::TruePositive,
    Verdict::Disregard,
    Verdict::Suspicious,
    Verdict::Benign,
    Verdict::Test,
    Verdict::InsufficientData,
    Verdict::SecurityRisk,
    Verdict::ManagedExternally,
    Verdict::Duplicate,
];

fn yes_no(on: bool) -> String {
    if on { "yes" } else { "no" }.to_owned()
}

fn list<T: std::fmt::Display + PartialEq>(items: &[T], every: &[T], all: &str) -> String {
    if items.is_empty() {
        "no".to_owned()
    } else if every.iter().all(|e| items.contains(e)) && items.len() == every.len() {
        all.to_owned()
    } else {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Renders what each vendor can do through [`IncidentSource`](crate::IncidentSource) as a
/// Markdown table, one column per vendor, from their
/// [`capabilities()`](crate::IncidentSource::capabilities). The table of the project README
/// is this function's output over the vendor clients, checked by a test.
///
/// ```
/// use incident_core::mapping::capability_matrix;
/// use incident_core::{Capabilities, Vendor};
/// let mut caps = Capabilities::none();
/// caps.close = true;
/// let table = capability_matrix(&[(Vendor::new("acme-tickets", "ACME Tickets"), caps)]);
/// assert!(table.contains("| close | yes |"));
/// ```
pub fn capability_matrix(vendors: &[(Vendor, Capabilities)]) -> String {
    let mut rows: Vec<(&str, Vec<String>)> = vec![
        ("filter on status", vec![]),
        ("time window on", vec![]),
        ("set status", vec![]),
        ("close", vec![]),
        ("verdicts recorded on close", vec![]),
        ("assign", vec![]),
        ("unassign", vec![]),
        ("set severity", vec![]),
        ("add notes", vec![]),
    ];
    for (_, c) in vendors {
        let statuses = if c.filter_statuses.len() == OCSF_STATUSES.len()
            && OCSF_STATUSES.iter().all(|s| c.filters_status(s))
        {
            "every status".to_owned()
        } else {
            list(&c.filter_statuses, &[], "")
        };
        let mut fields: Vec<&str> = Vec::new();
        for f in [TimeField::Created, TimeField::Updated] {
            if c.time_fields.contains(&f) {
                fields.push(match f {
                    TimeField::Created => "created",
                    _ => "updated",
                });
            }
        }
        let close = match (c.close, c.close_requires_reason) {
            (false, _) => "no".to_owned(),
            (true, false) => "yes".to_owned(),
            (true, true) => "yes, with a reason or verdict".to_owned(),
        };
        let cells = [
            statuses,
            if fields.is_empty() {
                "no".to_owned()
            } else {
                fields.join(", ")
            },
            list(&c.settable_statuses, &[], ""),
            close,
            list(&c.verdicts, &OCSF_VERDICTS, "every OCSF verdict"),
            yes_no(c.assign),
            yes_no(c.unassign),
            list(&c.severities, &[], ""),
            yes_no(c.notes),
        ];
        for ((_, row), cell) in rows.iter_mut().zip(cells) {
            row.push(cell);
        }
    }
    let mut out = String::from("| |");
    for (vendor, _) in vendors {
        let _ = write!(out, " {vendor} |");
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(vendors.len()));
    out.push('\n');
    for (name, cells) in rows {
        let _ = write!(out, "| {name} |");
        for cell in cells {
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out
}

/// The text between the lines `<!-- capability-matrix -->` and `<!-- /capability-matrix -->`
/// of a Markdown document, or `None` when the markers are missing.
pub fn matrix_in(markdown: &str) -> Option<&str> {
    let start = markdown.find(MATRIX_START)? + MATRIX_START.len();
    let end = start + markdown[start..].find(MATRIX_END)?;
    Some(markdown[start..end].trim_matches('\n'))
}

/// The line before a generated capability matrix in a Markdown document.
pub const MATRIX_START: &str = "<!-- capability-matrix -->";
/// The line after a generated capability matrix in a Markdown document.
pub const MATRIX_END: &str = "<!-- /capability-matrix -->";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_of_two_vendors() {
        let mut a = Capabilities::none();
        a.close = true;
        a.close_requires_reason = true;
        a.verdict = true;
        a.verdicts = OCSF_VERDICTS.to_vec();
        a.filter_statuses = OCSF_STATUSES.to_vec();
        a.time_fields = vec![TimeField::Updated, TimeField::Created];
        let mut b = Capabilities::none();
        b.filter_statuses = vec![IncidentStatus::New, IncidentStatus::Other("Hidden".into())];
        b.severities = vec![Severity::Low, Severity::High];
        b.set_severity = true;
        let table = capability_matrix(&[
            (crate::vendor::test_vendors::ALPHA, a),
            (crate::vendor::test_vendors::CHARLIE, b),
        ]);
        assert_eq!(
            table,
            "| | Alpha | Charlie |\n\
             |---|---|---|\n\
             | filter on status | every status | New, Hidden |\n\
             | time window on | created, updated | no |\n\
             | set status | no | no |\n\
             | close | yes, with a reason or verdict | no |\n\
             | verdicts recorded on close | every OCSF verdict | no |\n\
             | assign | no | no |\n\
             | unassign | no | no |\n\
             | set severity | no | Low, High |\n\
             | add notes | no | no |\n"
        );
        let doc = format!("intro\n{MATRIX_START}\n{table}{MATRIX_END}\nmore");
        assert_eq!(matrix_in(&doc), Some(table.trim_end()));
        assert_eq!(matrix_in("no markers"), None);
    }
}
