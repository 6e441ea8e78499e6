//! Tables of Markdown documentation, read by the tests that hold them to the code.
//!
//! A vendor crate documents how its values map to the normalized model in Markdown tables
//! (its `normalize` module's docs, included with `#![doc = include_str!("normalize.md")]`).
//! Its tests include the very same text, read each table with [`doc_table`] and check every
//! row through the mapping functions, so that the rendered docs cannot drift from the code.
//! [`every_variant!`](crate::every_variant) lists the values of a vendor enum in a way that
//! stops compiling when the enum gains a value, so that a table's completeness check cannot
//! silently miss it.
//!
//! ```
//! let doc = "## Severity\n\n| value | normalized |\n|---|---|\n\
//!            | `2–3` | [`Severity::Low`] |\n| `4` | [`Severity::Medium`](x::Medium) |\n";
//! let rows = incident_testkit::doc_table(doc, "Severity");
//! assert_eq!(rows, [["2–3", "Severity::Low"], ["4", "Severity::Medium"]]);
//! assert_eq!(incident_testkit::int_range(&rows[0][0]), 2..=3);
//! assert_eq!(incident_testkit::int_range(&rows[1][0]), 4..=4);
//! ```

use std::ops::RangeInclusive;

/// The rows of the first table under the heading `heading` (its text without the `#`s,
/// compared exactly), header and separator rows left out. Each row is its cells as plain
/// text: trimmed, without the backticks of code spans and without the brackets and target
/// of links, so that ``[`Severity::Low`](crate::x)`` reads `Severity::Low` and `` `OPEN` ``
/// reads `OPEN`. Cells are split on every `|`, so documented cells hold none.
///
/// # Panics
///
/// When no heading is `heading`, when another heading comes before a table, or when the
/// table has no rows: a test reading the wrong table must not pass by checking nothing.
pub fn doc_table(markdown: &str, heading: &str) -> Vec<Vec<String>> {
    let mut lines = markdown
        .lines()
        .map(str::trim)
        .skip_while(|l| heading_text(l) != Some(heading));
    assert!(
        lines.next().is_some(),
        "no heading {heading:?} in the document"
    );
    let rows: Vec<Vec<String>> = lines
        .take_while(|l| heading_text(l).is_none())
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|row| {
            row.trim_matches('|')
                .split('|')
                .map(|cell| plain(cell.trim()))
                .collect()
        })
        .collect();
    assert!(
        !rows.is_empty(),
        "no table with rows under the heading {heading:?}"
    );
    rows
}

/// The text of a Markdown heading line (`## Severity` gives `Severity`), `None` for
/// another line.
fn heading_text(line: &str) -> Option<&str> {
    let text = line.trim_start_matches('#');
    (text.len() < line.len() && text.starts_with(' ')).then(|| text.trim())
}

/// A cell without code-span backticks and link markup.
fn plain(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len());
    let mut chars = cell.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' | '[' => {}
            ']' if chars.peek() == Some(&'(') => {
                // A link's target is for rustdoc, not part of the value.
                for c in chars.by_ref() {
                    if c == ')' {
                        break;
                    }
                }
            }
            ']' => {}
            c => out.push(c),
        }
    }
    out
}

/// An integer range as documented: `2–3` (an en dash, both ends included) or `4` alone.
///
/// # Panics
///
/// When the text is neither.
pub fn int_range(text: &str) -> RangeInclusive<i64> {
    let number = |n: &str| {
        n.trim()
            .parse::<i64>()
            .unwrap_or_else(|_| panic!("{text:?} is not a number nor a range like `2–3`"))
    };
    match text.split_once('–') {
        Some((low, high)) => number(low)..=number(high),
        None => number(text)..=number(text),
    }
}

/// The known values of a vendor enum, as a `Vec`, for checking that a documented table has
/// a row for each: `every_variant!(EventStatus: Open, Closed; not EventStatus::Unknown(_))`.
///
/// The values are also matched exhaustively (the enum must be defined in the crate that
/// uses the macro, as `#[non_exhaustive]` enums of other crates cannot be), so a new
/// variant does not compile until it is listed, and a listed one then fails the table's
/// check until it is documented. The patterns after `not` are the values that need no row
/// (a variant holding a value the crate does not know).
#[macro_export]
macro_rules! every_variant {
    ($ty:ident: $($variant:ident),+ $(,)? $(; not $($rest:pat_param)|+)?) => {{
        fn listed(value: &$ty) {
            match value {
                $($ty::$variant)|+ => {}
                $($($rest)|+ => {})?
            }
        }
        let _ = listed;
        vec![$($ty::$variant),+]
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
# Title

| not | this |
|---|---|
| `x` | y |

## Status: A → normalized

Some prose.

| A | normalized | note |
|---|---|---|
| `OPEN` | [`IncidentStatus::New`] | free text |
| `HIDDEN` | [`IncidentStatus::Other`]`(\"Hidden\")` | |

## Empty

Nothing here.

## After
";

    #[test]
    fn rows_of_the_table_under_a_heading() {
        assert_eq!(
            doc_table(DOC, "Status: A → normalized"),
            [
                vec!["OPEN", "IncidentStatus::New", "free text"],
                vec!["HIDDEN", "IncidentStatus::Other(\"Hidden\")", ""],
            ]
        );
        assert_eq!(doc_table(DOC, "Title"), [["x", "y"]]);
    }

    #[test]
    #[should_panic(expected = "no table with rows")]
    fn a_heading_without_a_table_is_an_error() {
        doc_table(DOC, "Empty");
    }

    #[test]
    #[should_panic(expected = "no heading")]
    fn a_missing_heading_is_an_error() {
        doc_table(DOC, "Status");
    }

    #[test]
    fn ranges() {
        assert_eq!(int_range("8–10"), 8..=10);
        assert_eq!(int_range(" 5 "), 5..=5);
        assert!(std::panic::catch_unwind(|| int_range("high")).is_err());
    }

    #[derive(Debug, PartialEq)]
    enum Wire {
        One,
        Two,
        Unknown(String),
    }

    #[test]
    fn every_variant_lists_the_known_values() {
        assert_eq!(
            every_variant!(Wire: One, Two; not Wire::Unknown(_)),
            [Wire::One, Wire::Two]
        );
        let unknown = Wire::Unknown("three".into());
        assert!(matches!(&unknown, Wire::Unknown(v) if v == "three"));
    }
}
