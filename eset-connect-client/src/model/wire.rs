//! proto3 JSON encodings: RFC 3339 timestamps and `google.protobuf.Duration` strings.
//!
//! ESET Connect is a grpc-gateway service, so its JSON follows the protobuf JSON mapping:
//! a `Timestamp` is RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits (other offsets are
//! accepted on input), a `Duration` is decimal seconds with an `s` suffix (`"1.000340012s"`).
//! Azure's table schema for the same fields says "ISO 8601 duration", so `PT1M30S` is read
//! too.

use std::fmt;

use incident_core::serde_helpers::{
    format_rfc3339, parse_rfc3339, second_fraction, to_utc_checked,
};
use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use time::{Duration, OffsetDateTime};

/// Formats a timestamp as proto3 JSON does: UTC, `Z`, and 0, 3, 6 or 9 fractional digits
/// (the fewest that keep every nanosecond), e.g. `2025-04-07T08:30:00.120Z`. A time outside
/// the years 0000 to 9999 in UTC, which only a value built by hand can be, is written as the
/// nearest of `0000-01-01T00:00:00Z` and `9999-12-31T23:59:59.999999999Z` (see
/// [`to_utc_saturating`](incident_core::serde_helpers::to_utc_saturating)); this never panics.
///
/// ```
/// use eset_connect_client::model::format_timestamp;
/// use time::macros::datetime;
/// assert_eq!(format_timestamp(datetime!(2025-04-07 8:30 +2)), "2025-04-07T06:30:00Z");
/// assert_eq!(format_timestamp(datetime!(2025-04-07 8:30:00.12 UTC)), "2025-04-07T08:30:00.120Z");
/// assert_eq!(format_timestamp(datetime!(2025-04-07 8:30:00.000000001 UTC)), "2025-04-07T08:30:00.000000001Z");
/// assert_eq!(format_timestamp(datetime!(9999-12-31 23:59:59 -1)), "9999-12-31T23:59:59.999999999Z");
/// ```
pub fn format_timestamp(at: OffsetDateTime) -> String {
    format_rfc3339(at, 0)
}

/// Parses an RFC 3339 timestamp (any number of fractional digits, any offset) into UTC;
/// `None` for anything else and for an instant outside the years 0000 to 9999 in UTC (see
/// [`to_utc_checked`]).
///
/// ```
/// use eset_connect_client::model::parse_timestamp;
/// use time::macros::datetime;
/// assert_eq!(parse_timestamp("2025-04-07T10:30:00+02:00"), Some(datetime!(2025-04-07 8:30 UTC)));
/// assert_eq!(parse_timestamp("9999-12-31T23:59:59-01:00"), None);
/// ```
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    parse_rfc3339(text.trim()).and_then(to_utc_checked)
}

/// Formats a duration as proto3 JSON does: seconds with 0, 3, 6 or 9 fractional digits and
/// an `s` suffix, e.g. `"90s"`, `"1.500s"`, `"-0.000000001s"`.
///
/// ```
/// use eset_connect_client::model::format_duration;
/// use time::Duration;
/// assert_eq!(format_duration(Duration::seconds(90)), "90s");
/// assert_eq!(format_duration(Duration::milliseconds(1500)), "1.500s");
/// assert_eq!(format_duration(Duration::nanoseconds(-1)), "-0.000000001s");
/// ```
pub fn format_duration(d: Duration) -> String {
    let sign = if d.is_negative() { "-" } else { "" };
    let d = d.abs();
    let secs = d.whole_seconds();
    let fraction = second_fraction(d.subsec_nanoseconds().unsigned_abs(), 0);
    format!("{sign}{secs}{fraction}s")
}

/// Parses a proto3 duration (`"1.5s"`, `"-3s"`, up to 9 fractional digits), falling back to
/// an ISO 8601 duration of days, hours, minutes and seconds (`"PT1H2M3.5S"`, `"P2DT4H"`,
/// `"P1W"`). Years and months, whose length varies, are refused.
///
/// ```
/// use eset_connect_client::model::parse_duration;
/// use time::Duration;
/// assert_eq!(parse_duration("1.000340012s"), Some(Duration::new(1, 340_012)));
/// assert_eq!(parse_duration("PT1M30S"), Some(Duration::seconds(90)));
/// assert_eq!(parse_duration("P1DT0.5S"), Some(Duration::milliseconds(86_400_500)));
/// assert_eq!(parse_duration("P1M"), None);
/// assert_eq!(parse_duration("string"), None);
/// ```
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Some(number) = text.strip_suffix('s') {
        return parse_seconds(number);
    }
    parse_iso8601(text)
}

/// `[-]digits[.digits]` as seconds, at most 9 fractional digits.
fn parse_seconds(text: &str) -> Option<Duration> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 9
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (text.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let secs: i64 = whole.parse().ok()?;
    // At most nine digits, checked above: the nanoseconds fit an i32.
    let nanos: i32 = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<i32>().ok()? * 10i32.pow(9 - fraction.len() as u32)
    };
    let d = Duration::new(secs, nanos);
    Some(if negative { -d } else { d })
}

fn parse_iso8601(text: &str) -> Option<Duration> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let rest = text.strip_prefix('P')?;
    if rest.is_empty() {
        return None;
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut total = Duration::ZERO;
    let mut add = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        let mut order = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                number.push(if c == ',' { '.' } else { c });
                continue;
            }
            let index = units.iter().position(|(u, _)| *u == c)?;
            if index < order || number.is_empty() {
                return None;
            }
            order = index + 1;
            let value: f64 = number.parse().ok()?;
            let seconds = value * units[index].1 as f64;
            if !seconds.is_finite() || seconds > 1e15 {
                return None;
            }
            total = total.checked_add(Duration::seconds_f64(seconds))?;
            number.clear();
        }
        number.is_empty().then_some(())
    };
    add(date, &[('W', 604_800), ('D', 86_400)])?;
    if let Some(time) = time {
        add(time, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    }
    Some(if negative { -total } else { total })
}

/// `Option<OffsetDateTime>` as a proto3 JSON timestamp; use with
/// `#[serde(default, with = "timestamp_option")]`.
pub(crate) mod timestamp_option {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(at) => s.serialize_str(&format_timestamp(*at)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<OffsetDateTime>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                parse_timestamp(v).map(Some).ok_or_else(|| {
                    E::custom(format_args!(
                        "{v:?} is not an RFC 3339 timestamp in the years 0000 to 9999"
                    ))
                })
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                d.deserialize_str(V)
            }
        }
        d.deserialize_option(V)
    }
}

/// `Option<time::Duration>` as a proto3 JSON duration (ISO 8601 accepted on input); use
/// with `#[serde(default, with = "duration_option")]`.
pub(crate) mod duration_option {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_str(&format_duration(*d)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Duration>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"1.5s\" or \"PT1M30S\", or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                parse_duration(v)
                    .map(Some)
                    .ok_or_else(|| E::custom(format_args!("{v:?} is not a duration")))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                d.deserialize_str(V)
            }
        }
        d.deserialize_option(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_with_0_3_6_9_digits_and_offsets() {
        for (text, want) in [
            ("2025-04-07T08:30:00Z", datetime!(2025-04-07 8:30 UTC)),
            (
                "2025-04-07T08:30:00.120Z",
                datetime!(2025-04-07 8:30:00.12 UTC),
            ),
            (
                "2025-04-07T08:30:00.000120Z",
                datetime!(2025-04-07 8:30:00.00012 UTC),
            ),
            (
                "2025-04-07T08:30:00.000000120Z",
                datetime!(2025-04-07 8:30:00.00000012 UTC),
            ),
            ("2025-04-07T10:30:00+02:00", datetime!(2025-04-07 8:30 UTC)),
        ] {
            assert_eq!(parse_timestamp(text), Some(want), "{text}");
        }
        for bad in [
            "",
            "string",
            "2025-04-07",
            "2025-13-01T00:00:00Z",
            "1712476200",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
        let t = datetime!(2025-04-07 8:30:00.000120 UTC);
        assert_eq!(format_timestamp(t), "2025-04-07T08:30:00.000120Z");
        assert_eq!(parse_timestamp(&format_timestamp(t)), Some(t));
    }

    #[test]
    fn timestamps_past_year_9999_in_utc_are_refused_and_formatting_never_panics() {
        for text in [
            "9999-12-31T23:59:59-01:00",
            "9999-12-31T23:59:59.999999999-00:01",
            "0000-01-01T00:00:00+00:01",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
        let t = parse_timestamp("9999-12-31T22:59:59.999999999-01:00").unwrap();
        assert_eq!(t, datetime!(9999-12-31 23:59:59.999999999 UTC));
        assert_eq!(format_timestamp(t), "9999-12-31T23:59:59.999999999Z");
        assert_eq!(
            format_timestamp(datetime!(9999-12-31 23:59:59 -1)),
            "9999-12-31T23:59:59.999999999Z"
        );
        assert_eq!(
            format_timestamp(datetime!(-0001-06-01 0:00 UTC)),
            "0000-01-01T00:00:00Z"
        );
        #[derive(Debug, serde::Deserialize)]
        struct T {
            #[serde(default, with = "timestamp_option")]
            _at: Option<OffsetDateTime>,
        }
        let err = serde_json::from_str::<T>(r#"{"_at":"9999-12-31T23:59:59-01:00"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"9999-12-31T23:59:59-01:00\" is not an RFC 3339 timestamp in the years 0000 \
             to 9999 at line 1 column 34"
        );
    }

    /// `text` mangled, with the characters that trip this parser.
    fn mutations(text: &str) -> Vec<String> {
        incident_testkit::mutations(
            text,
            &[
                "",
                "\u{e9}",
                "9",
                "99999999999999999999",
                "-",
                "+",
                ".",
                ",",
                "T",
                "W",
                "e400",
            ],
        )
    }

    #[test]
    fn mangled_timestamps_and_durations_never_panic_and_write_back() {
        for valid in [
            "2025-04-07T08:30:00.000120Z",
            "9999-12-31T22:59:59.999999999-01:00",
        ] {
            for text in mutations(valid) {
                let outcome =
                    std::panic::catch_unwind(|| parse_timestamp(&text).map(format_timestamp));
                let Ok(written) = outcome else {
                    panic!("{text:?} panicked");
                };
                if let Some(written) = written {
                    assert_eq!(
                        parse_timestamp(&written),
                        parse_timestamp(&text),
                        "{text:?}"
                    );
                }
            }
        }
        for valid in [
            "1.000340012s",
            "-9223372036854775807.999999999s",
            "P1W2DT3H4M5.5S",
            "-PT999999999999999S",
        ] {
            for text in mutations(valid) {
                let outcome =
                    std::panic::catch_unwind(|| parse_duration(&text).map(format_duration));
                let Ok(written) = outcome else {
                    panic!("{text:?} panicked");
                };
                if let Some(written) = written {
                    assert_eq!(parse_duration(&written), parse_duration(&text), "{text:?}");
                }
            }
        }
        for d in [Duration::MIN, Duration::MAX] {
            let written = format_duration(d);
            assert!(written.ends_with('s'), "{written}");
        }
    }

    #[test]
    fn durations_proto_first_then_iso() {
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        assert_eq!(parse_duration("-1.5s"), Some(Duration::milliseconds(-1500)));
        assert_eq!(parse_duration("3600s"), Some(Duration::hours(1)));
        assert_eq!(parse_duration("PT0.25S"), Some(Duration::milliseconds(250)));
        assert_eq!(parse_duration("P1W"), Some(Duration::weeks(1)));
        assert_eq!(parse_duration("-PT1H"), Some(Duration::hours(-1)));
        for bad in [
            "",
            "s",
            "1.s",
            ".5s",
            "1.0000000001s",
            "1e3s",
            "PT",
            "P",
            "P1Y",
            "PT1H1H",
            "PT1S1M",
            "P1DT",
            "1.5",
            "string",
            "PT1e400S",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        for d in [
            Duration::ZERO,
            Duration::new(5, 1),
            Duration::milliseconds(-20),
        ] {
            assert_eq!(parse_duration(&format_duration(d)), Some(d));
        }
    }
}
