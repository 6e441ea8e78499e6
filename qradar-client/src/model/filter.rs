//! A typed builder for QRadar's `filter` query parameter.
//!
//! QRadar filters are small expressions: comparisons (`=`, `!=`, `<`, `<=`, `>`, `>=`),
//! `in (..)`, `not in (..)`, `between x and y`, `not between x and y`, `is null`,
//! `is not null`, combined with `and` / `or` and parentheses. Only the fields an endpoint
//! documents as "Filterable" are accepted; anything else is refused by the server with
//! 422 / code 1010.
//!
//! ```
//! use qradar_client::filter::Filter;
//! use qradar_client::model::OffenseStatus;
//!
//! let f = Filter::status(OffenseStatus::Open)
//!     .and(Filter::field("severity").ge(5))
//!     .and(Filter::field("assigned_to").is_null().or(Filter::field("assigned_to").eq("alice")));
//! assert_eq!(
//!     f.to_string(),
//!     r#"status = OPEN and severity >= 5 and (assigned_to is null or assigned_to = "alice")"#
//! );
//! assert!(f.validate().is_ok());
//! ```
//!
//! Building never fails and never panics, so chains stay fluent. A mistake (a field name
//! that is not an identifier, an empty `in` list, a NaN) is carried inside the [`Filter`]
//! and reported by [`Filter::validate`], which the client calls before sending anything.

use std::borrow::Cow;
use std::fmt;

use time::OffsetDateTime;

use crate::model::{DatabaseType, OffenseStatus, RuleType};

/// A QRadar filter expression; its [`Display`](fmt::Display) form is the text sent as
/// `filter=`.
///
/// Chains of the same operator are written flat (`a and b and c`); a chain nested in the
/// other operator is parenthesised (`(a or b) and c`, `(a and b) or c`), so the meaning never
/// depends on QRadar's operator precedence. Build one with [`Filter::field`], the
/// shorthands [`Filter::status`] and [`Filter::id_gt`], or [`Filter::raw`].
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    expr: Expr,
    /// Problems found while building, reported by [`Filter::validate`].
    errors: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    /// One comparison, already rendered.
    Cmp(String),
    /// Text given by the caller; parenthesised whenever it is combined with something.
    Raw(String),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    And,
    Or,
}

impl Filter {
    /// Starts a condition on `name`, a field of the endpoint's object (`"status"`), or a
    /// subfield with a dot (`"rules.id"`).
    ///
    /// The name must be dot-separated identifiers (`[A-Za-z_][A-Za-z0-9_]*` each); anything
    /// else gives a filter that [`Filter::validate`] refuses, as it could change the meaning
    /// of the expression.
    pub fn field(name: impl Into<Cow<'static, str>>) -> FieldFilter {
        FieldFilter { name: name.into() }
    }

    /// `status = <status>`, e.g. `status = OPEN`.
    pub fn status(status: OffenseStatus) -> Filter {
        Filter::field("status").eq(status)
    }

    /// `id > <id>`: the usual way to page through offenses in a stable order, with
    /// `sort=+id`, resuming after the last id seen.
    pub fn id_gt(id: u64) -> Filter {
        Filter::field("id").gt(id)
    }

    /// A filter written by hand in QRadar's syntax, sent exactly as given.
    ///
    /// Nothing is checked or escaped: the caller is responsible for its syntax and for
    /// quoting any value in it. When combined with another filter it is wrapped in
    /// parentheses, so an `or` inside it cannot leak into the surrounding expression.
    pub fn raw(filter: impl Into<String>) -> Filter {
        Filter {
            expr: Expr::Raw(filter.into()),
            errors: Vec::new(),
        }
    }

    /// Both conditions must hold: `self and other`.
    #[must_use]
    pub fn and(self, other: Filter) -> Filter {
        self.combine(Op::And, other)
    }

    /// Either condition holds: `self or other`.
    #[must_use]
    pub fn or(self, other: Filter) -> Filter {
        self.combine(Op::Or, other)
    }

    /// Checks what was built. Raw filters are not checked.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](incident_core::Error::InvalidInput) when a field name is not an
    /// identifier, an `in` list is empty, or a number is not finite.
    pub fn validate(&self) -> Result<(), incident_core::Error> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(incident_core::Error::invalid_input(
                "filter",
                self.errors.join("; "),
            ))
        }
    }

    fn combine(mut self, op: Op, other: Filter) -> Filter {
        let mut items = Vec::new();
        for expr in [self.expr, other.expr] {
            match (op, expr) {
                (Op::And, Expr::And(inner)) | (Op::Or, Expr::Or(inner)) => items.extend(inner),
                (_, expr) => items.push(expr),
            }
        }
        self.errors.extend(other.errors);
        Filter {
            expr: match op {
                Op::And => Expr::And(items),
                Op::Or => Expr::Or(items),
            },
            errors: self.errors,
        }
    }

    fn leaf(name: &str, rendered: String, errors: Vec<String>) -> Filter {
        let mut all = Vec::new();
        if let Err(e) = check_field_name(name) {
            all.push(e);
        }
        all.extend(errors);
        Filter {
            expr: Expr::Cmp(rendered),
            errors: all,
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(&self.expr, None, f)
    }
}

fn write_expr(expr: &Expr, parent: Option<Op>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let (op, items) = match expr {
        Expr::Cmp(text) => return f.write_str(text),
        Expr::Raw(text) if parent.is_some() => return write!(f, "({text})"),
        Expr::Raw(text) => return f.write_str(text),
        Expr::And(items) => (Op::And, items),
        Expr::Or(items) => (Op::Or, items),
    };
    let nested = parent.is_some_and(|p| p != op);
    if nested {
        f.write_str("(")?;
    }
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(match op {
                Op::And => " and ",
                Op::Or => " or ",
            })?;
        }
        write_expr(item, Some(op), f)?;
    }
    if nested {
        f.write_str(")")?;
    }
    Ok(())
}

fn check_field_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a field name (expected identifiers separated by dots, e.g. rules.id)"
        ))
    }
}

/// A condition being built on one field; every method finishes it into a [`Filter`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldFilter {
    name: Cow<'static, str>,
}

impl FieldFilter {
    fn compare(self, op: &str, value: FilterValue) -> Filter {
        let (text, errors) = value.render();
        Filter::leaf(&self.name, format!("{} {op} {text}", self.name), errors)
    }

    fn list<V: Into<FilterValue>>(self, op: &str, values: impl IntoIterator<Item = V>) -> Filter {
        let mut errors = Vec::new();
        let mut texts = Vec::new();
        for value in values {
            let (text, errs) = value.into().render();
            texts.push(text);
            errors.extend(errs);
        }
        if texts.is_empty() {
            errors.push(format!("`{} {op}` needs at least one value", self.name));
        }
        Filter::leaf(
            &self.name,
            format!("{} {op} ({})", self.name, texts.join(", ")),
            errors,
        )
    }

    fn range(self, op: &str, low: FilterValue, high: FilterValue) -> Filter {
        let (low, mut errors) = low.render();
        let (high, more) = high.render();
        errors.extend(more);
        Filter::leaf(
            &self.name,
            format!("{} {op} {low} and {high}", self.name),
            errors,
        )
    }

    /// `field = value`.
    pub fn eq(self, value: impl Into<FilterValue>) -> Filter {
        self.compare("=", value.into())
    }

    /// `field != value`.
    pub fn ne(self, value: impl Into<FilterValue>) -> Filter {
        self.compare("!=", value.into())
    }

    /// `field < value`.
    pub fn lt(self, value: impl Into<FilterValue>) -> Filter {
        self.compare("<", value.into())
    }

    /// `field <= value`.
    pub fn le(self, value: impl Into<FilterValue>) -> Filter {
        self.compare("<=", value.into())
    }

    /// `field > value`.
    pub fn gt(self, value: impl Into<FilterValue>) -> Filter {
        self.compare(">", value.into())
    }

    /// `field >= value`.
    pub fn ge(self, value: impl Into<FilterValue>) -> Filter {
        self.compare(">=", value.into())
    }

    /// `field in (a, b, c)`. An empty list is refused by [`Filter::validate`]: QRadar has
    /// no way to say "in nothing".
    pub fn is_in<V: Into<FilterValue>>(self, values: impl IntoIterator<Item = V>) -> Filter {
        self.list("in", values)
    }

    /// `field not in (a, b, c)`. An empty list is refused by [`Filter::validate`].
    pub fn not_in<V: Into<FilterValue>>(self, values: impl IntoIterator<Item = V>) -> Filter {
        self.list("not in", values)
    }

    /// `field between low and high` (QRadar includes both bounds).
    pub fn between(self, low: impl Into<FilterValue>, high: impl Into<FilterValue>) -> Filter {
        self.range("between", low.into(), high.into())
    }

    /// `field not between low and high`.
    pub fn not_between(self, low: impl Into<FilterValue>, high: impl Into<FilterValue>) -> Filter {
        self.range("not between", low.into(), high.into())
    }

    /// `field is null`: the field is absent or null (e.g. an unassigned offense).
    pub fn is_null(self) -> Filter {
        Filter::leaf(&self.name, format!("{} is null", self.name), Vec::new())
    }

    /// `field is not null`.
    pub fn is_not_null(self) -> Filter {
        Filter::leaf(&self.name, format!("{} is not null", self.name), Vec::new())
    }
}

/// A literal on the right-hand side of a comparison, written in QRadar's syntax.
///
/// Numbers and booleans are written as is; strings are always double-quoted, with `"`
/// escaped as `\"` and `\` as `\\`; enum values such as [`OffenseStatus`] are written
/// unquoted (`status = OPEN`, the documented form); times are written as milliseconds since
/// the epoch, the unit QRadar compares time fields in.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterValue(Result<String, String>);

impl FilterValue {
    /// The rendered literal, and the problem with it if any.
    fn render(self) -> (String, Vec<String>) {
        match self.0 {
            Ok(text) => (text, Vec::new()),
            Err(reason) => (String::from("?"), vec![reason]),
        }
    }

    fn quoted(value: &str) -> FilterValue {
        let mut out = String::with_capacity(value.len() + 2);
        out.push('"');
        for c in value.chars() {
            if matches!(c, '"' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        FilterValue(Ok(out))
    }

    /// An enum value: bare when it is a plain word, quoted otherwise (an unknown value with
    /// spaces or operators in it must not become part of the expression).
    fn word(value: &str) -> FilterValue {
        let bare = value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if bare {
            FilterValue(Ok(value.to_owned()))
        } else {
            FilterValue::quoted(value)
        }
    }
}

impl fmt::Display for FilterValue {
    /// The literal as it appears in the filter (`?` for a value that cannot be written).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_deref().unwrap_or("?"))
    }
}

macro_rules! integer_values {
    ($($t:ty),*) => {$(
        impl From<$t> for FilterValue {
            fn from(value: $t) -> Self {
                FilterValue(Ok(value.to_string()))
            }
        }
    )*};
}
integer_values!(i32, i64, u32, u64);

impl From<f64> for FilterValue {
    fn from(value: f64) -> Self {
        if value.is_finite() {
            // `Display` for f64 never uses exponent notation, which QRadar would not parse.
            FilterValue(Ok(value.to_string()))
        } else {
            FilterValue(Err(format!("{value} is not a finite number")))
        }
    }
}

impl From<bool> for FilterValue {
    fn from(value: bool) -> Self {
        FilterValue(Ok(value.to_string()))
    }
}

impl From<&str> for FilterValue {
    fn from(value: &str) -> Self {
        FilterValue::quoted(value)
    }
}

impl From<String> for FilterValue {
    fn from(value: String) -> Self {
        FilterValue::quoted(&value)
    }
}

impl From<&String> for FilterValue {
    fn from(value: &String) -> Self {
        FilterValue::quoted(value)
    }
}

impl From<OffenseStatus> for FilterValue {
    fn from(value: OffenseStatus) -> Self {
        FilterValue::word(value.as_str())
    }
}

impl From<&OffenseStatus> for FilterValue {
    fn from(value: &OffenseStatus) -> Self {
        FilterValue::word(value.as_str())
    }
}

impl From<RuleType> for FilterValue {
    fn from(value: RuleType) -> Self {
        FilterValue::word(value.as_str())
    }
}

impl From<DatabaseType> for FilterValue {
    fn from(value: DatabaseType) -> Self {
        FilterValue::word(value.as_str())
    }
}

impl From<OffsetDateTime> for FilterValue {
    fn from(value: OffsetDateTime) -> Self {
        let millis = value.unix_timestamp_nanos().div_euclid(1_000_000);
        FilterValue(Ok(millis.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn f(name: &'static str) -> FieldFilter {
        Filter::field(name)
    }

    #[test]
    fn comparisons() {
        assert_eq!(f("id").eq(42u64).to_string(), "id = 42");
        assert_eq!(f("credibility").ne(3).to_string(), "credibility != 3");
        assert_eq!(f("magnitude").lt(-1i64).to_string(), "magnitude < -1");
        assert_eq!(f("magnitude").le(7u32).to_string(), "magnitude <= 7");
        assert_eq!(f("credibility").gt(3).to_string(), "credibility > 3");
        assert_eq!(f("severity").ge(5).to_string(), "severity >= 5");
        assert_eq!(f("protected").eq(true).to_string(), "protected = true");
        assert_eq!(f("score").gt(2.5).to_string(), "score > 2.5");
        assert_eq!(
            f("score").gt(1e21).to_string(),
            "score > 1000000000000000000000"
        );
    }

    #[test]
    fn status_and_combinations() {
        let filter = Filter::field("status")
            .eq(OffenseStatus::Open)
            .and(Filter::field("severity").ge(5));
        assert_eq!(filter.to_string(), "status = OPEN and severity >= 5");
        assert_eq!(
            Filter::status(OffenseStatus::Closed).to_string(),
            "status = CLOSED"
        );
        assert_eq!(Filter::id_gt(1200).to_string(), "id > 1200");
        assert_eq!(
            f("rules.type").eq(RuleType::CreRule).to_string(),
            "rules.type = CRE_RULE"
        );
        assert_eq!(
            f("database_type").eq(DatabaseType::Flows).to_string(),
            "database_type = FLOWS"
        );
    }

    #[test]
    fn parentheses_only_where_needed() {
        let a = || f("a").eq(1);
        let b = || f("b").eq(2);
        let c = || f("c").eq(3);
        let d = || f("d").eq(4);
        assert_eq!(
            a().or(b()).and(c()).to_string(),
            "(a = 1 or b = 2) and c = 3"
        );
        assert_eq!(
            a().and(b().or(c())).to_string(),
            "a = 1 and (b = 2 or c = 3)"
        );
        assert_eq!(
            a().and(b()).or(c()).to_string(),
            "(a = 1 and b = 2) or c = 3"
        );
        assert_eq!(
            a().and(b()).and(c()).to_string(),
            "a = 1 and b = 2 and c = 3"
        );
        assert_eq!(
            a().and(b().and(c())).to_string(),
            "a = 1 and b = 2 and c = 3"
        );
        assert_eq!(
            a().or(b()).or(c().or(d())).to_string(),
            "a = 1 or b = 2 or c = 3 or d = 4"
        );
        assert_eq!(
            a().or(b()).and(c().or(d())).to_string(),
            "(a = 1 or b = 2) and (c = 3 or d = 4)"
        );
        assert_eq!(
            a().and(b()).or(c().and(d())).and(a()).to_string(),
            "((a = 1 and b = 2) or (c = 3 and d = 4)) and a = 1"
        );
        // Flattened chains compare equal however they were grouped.
        assert_eq!(a().and(b()).and(c()), a().and(b().and(c())));
    }

    #[test]
    fn raw_is_sent_as_is_and_parenthesised_when_combined() {
        let raw = Filter::raw("status=OPEN or status=HIDDEN");
        assert_eq!(raw.to_string(), "status=OPEN or status=HIDDEN");
        assert!(raw.validate().is_ok());
        assert_eq!(
            Filter::id_gt(7).and(raw).to_string(),
            "id > 7 and (status=OPEN or status=HIDDEN)"
        );
    }

    #[test]
    fn strings_are_quoted_and_escaped() {
        assert_eq!(
            f("assigned_to").eq("o\"brien").to_string(),
            r#"assigned_to = "o\"brien""#
        );
        assert_eq!(
            f("assigned_to").eq(String::from(r"dom\user")).to_string(),
            r#"assigned_to = "dom\\user""#
        );
        assert_eq!(
            f("offense_source").eq("10.0.0.1").to_string(),
            r#"offense_source = "10.0.0.1""#
        );
        let name = String::from("x or id > 0");
        assert_eq!(
            f("assigned_to").eq(&name).to_string(),
            r#"assigned_to = "x or id > 0""#
        );
        assert_eq!(f("description").eq("").to_string(), r#"description = """#);
    }

    #[test]
    fn unknown_enum_values_are_quoted_unless_plain_words() {
        assert_eq!(
            f("status").eq(OffenseStatus::from("ARCHIVED")).to_string(),
            "status = ARCHIVED"
        );
        assert_eq!(
            f("status")
                .eq(OffenseStatus::from("OPEN or id > 0"))
                .to_string(),
            r#"status = "OPEN or id > 0""#
        );
        assert_eq!(
            f("status").eq(&OffenseStatus::Hidden).to_string(),
            "status = HIDDEN"
        );
    }

    #[test]
    fn lists_and_ranges() {
        assert_eq!(f("id").is_in([1, 2, 3]).to_string(), "id in (1, 2, 3)");
        assert_eq!(f("id").is_in(vec![1001u64]).to_string(), "id in (1001)");
        assert_eq!(
            f("status")
                .not_in([OffenseStatus::Closed, OffenseStatus::Hidden])
                .to_string(),
            "status not in (CLOSED, HIDDEN)"
        );
        assert_eq!(
            f("assigned_to").is_in(["a", "b"]).to_string(),
            r#"assigned_to in ("a", "b")"#
        );
        assert_eq!(
            f("severity").between(3, 7).to_string(),
            "severity between 3 and 7"
        );
        assert_eq!(
            f("severity").not_between(3, 7).to_string(),
            "severity not between 3 and 7"
        );
        assert_eq!(
            f("assigned_to").is_null().to_string(),
            "assigned_to is null"
        );
        assert_eq!(
            f("closing_user").is_not_null().to_string(),
            "closing_user is not null"
        );
    }

    #[test]
    fn times_are_epoch_millis() {
        let t = datetime!(2023-11-14 22:13:20.123 UTC);
        assert_eq!(
            f("last_persisted_time").gt(t).to_string(),
            "last_persisted_time > 1700000000123"
        );
        // Sub-millisecond precision is cut, not rounded up; before 1970 floors too.
        let t = datetime!(2023-11-14 22:13:20.123999 UTC);
        assert_eq!(
            f("start_time").ge(t).to_string(),
            "start_time >= 1700000000123"
        );
        let t = datetime!(1969-12-31 23:59:59.9995 UTC);
        assert_eq!(f("start_time").ge(t).to_string(), "start_time >= -1");
        let from = datetime!(2024-01-01 00:00 +01:00);
        let to = datetime!(2024-01-02 00:00 +01:00);
        assert_eq!(
            f("start_time").between(from, to).to_string(),
            "start_time between 1704063600000 and 1704150000000"
        );
    }

    #[test]
    fn valid_filters_validate() {
        let filter = f("rules.id")
            .eq(100)
            .and(f("_private_1").is_null())
            .and(Filter::status(OffenseStatus::Open));
        assert!(filter.validate().is_ok());
    }

    #[test]
    fn invalid_field_names_are_carried_to_validate() {
        for name in [
            "",
            "1abc",
            "a b",
            "status = OPEN or id",
            "a.",
            ".a",
            "a..b",
            "é",
            "a-b",
            "a(b)",
        ] {
            let filter = Filter::field(name.to_owned()).eq(1);
            let err = filter.validate().unwrap_err();
            assert!(
                matches!(
                    err,
                    incident_core::Error::InvalidInput { what: "filter", .. }
                ),
                "{name:?}: {err}"
            );
        }
        // The error survives combination, on either side.
        let bad = Filter::field(String::from("x y")).is_null();
        assert!(Filter::id_gt(1).and(bad.clone()).validate().is_err());
        assert!(bad.clone().or(Filter::id_gt(1)).validate().is_err());
        let err = Filter::id_gt(1)
            .and(bad)
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"x y\" is not a field name"), "{err}");
    }

    #[test]
    fn empty_lists_and_non_finite_numbers_are_refused() {
        let err = f("id").is_in(Vec::<u64>::new()).validate().unwrap_err();
        assert!(err.to_string().contains("at least one value"), "{err}");
        assert!(f("id").not_in(Vec::<u64>::new()).validate().is_err());
        assert!(f("score").gt(f64::NAN).validate().is_err());
        assert!(f("score").between(0.0, f64::INFINITY).validate().is_err());
        assert!(
            f("score")
                .is_in([1.0, f64::NEG_INFINITY])
                .validate()
                .is_err()
        );
        assert_eq!(f("score").gt(f64::NAN).to_string(), "score > ?");
    }

    #[test]
    fn value_display() {
        assert_eq!(FilterValue::from("a\"b").to_string(), r#""a\"b""#);
        assert_eq!(FilterValue::from(f64::NAN).to_string(), "?");
    }
}
