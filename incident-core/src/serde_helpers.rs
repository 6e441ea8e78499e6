//! Serde helpers for the timestamp formats vendors use.
//!
//! Every time a vendor crate decodes goes through [`to_utc_checked`], so that it is an
//! instant between [`EARLIEST_TIME`] and [`LATEST_TIME`] in UTC: every vendor format (a
//! four-digit year in UTC, milliseconds since the epoch) can write it back, and no
//! conversion of it can overflow. Formatters go through [`to_utc_saturating`], which never
//! panics, also for a value built by hand outside that range.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The earliest instant a decoded time can be: `0000-01-01T00:00:00Z`, the first one a
/// four-digit year can write.
pub const EARLIEST_TIME: OffsetDateTime = datetime!(0000-01-01 00:00:00 UTC);

/// The latest instant a decoded time can be: `9999-12-31T23:59:59.999999999Z`, the last one
/// a four-digit year can write.
pub const LATEST_TIME: OffsetDateTime = datetime!(9999-12-31 23:59:59.999_999_999 UTC);

/// The instant `t` in UTC, or `None` when it falls outside [`EARLIEST_TIME`] ..=
/// [`LATEST_TIME`].
///
/// A vendor time parser calls this on what it parsed: RFC 3339 accepts any offset, so
/// `9999-12-31T23:59:59-01:00` parses, yet its instant is in the year 10000, which neither
/// `time` nor a four-digit year can hold in UTC; writing such a record back would fail (or
/// panic in `to_offset`). Refusing it at decoding keeps every decoded record writable.
///
/// ```
/// use incident_core::serde_helpers::to_utc_checked;
/// use time::macros::datetime;
/// assert_eq!(
///     to_utc_checked(datetime!(2024-05-01 11:00 +2)),
///     Some(datetime!(2024-05-01 9:00 UTC))
/// );
/// assert_eq!(to_utc_checked(datetime!(9999-12-31 23:59:59 -1)), None);
/// assert_eq!(to_utc_checked(datetime!(0000-01-01 0:30 +1)), None);
/// ```
pub fn to_utc_checked(t: OffsetDateTime) -> Option<OffsetDateTime> {
    t.checked_to_offset(UtcOffset::UTC)
        .filter(|utc| (EARLIEST_TIME..=LATEST_TIME).contains(utc))
}

/// The instant `t` in UTC, brought into [`EARLIEST_TIME`] ..= [`LATEST_TIME`]: a time
/// outside that range (only one built by hand can be, decoded times never are) becomes the
/// nearest bound. Never panics, unlike `to_offset(UtcOffset::UTC)`; for formatters that
/// write a four-digit year in UTC.
///
/// ```
/// use incident_core::serde_helpers::{LATEST_TIME, to_utc_saturating};
/// use time::macros::datetime;
/// assert_eq!(
///     to_utc_saturating(datetime!(2024-05-01 11:00 +2)),
///     datetime!(2024-05-01 9:00 UTC)
/// );
/// assert_eq!(to_utc_saturating(datetime!(9999-12-31 23:59:59 -1)), LATEST_TIME);
/// ```
pub fn to_utc_saturating(t: OffsetDateTime) -> OffsetDateTime {
    match t.checked_to_offset(UtcOffset::UTC) {
        Some(utc) => utc.clamp(EARLIEST_TIME, LATEST_TIME),
        // Only the ends of `time`'s range overflow: past the end going up, or the start.
        None if t.year() > 0 => LATEST_TIME,
        None => EARLIEST_TIME,
    }
}

/// Writes `t` as an RFC 3339 date-time in UTC, `2024-05-01T09:00:00.250Z`, with as many
/// digits of the second's fraction as hold it exactly: none, 3, 6 or 9 (as proto3 JSON
/// writes timestamps); at least `min_digits` of them (0 or 3: vendors that answer with
/// milliseconds write `.000`). A time read with more digits than a vendor keeps is written
/// back with them, so that what was read is what is written. A time outside
/// [`EARLIEST_TIME`] ..= [`LATEST_TIME`] is written as the nearest of them (see
/// [`to_utc_saturating`]); this never panics.
///
/// ```
/// use incident_core::serde_helpers::format_rfc3339;
/// use time::macros::datetime;
/// assert_eq!(format_rfc3339(datetime!(2024-05-01 11:00 +2), 0), "2024-05-01T09:00:00Z");
/// assert_eq!(format_rfc3339(datetime!(2024-05-01 9:00 UTC), 3), "2024-05-01T09:00:00.000Z");
/// assert_eq!(format_rfc3339(datetime!(2024-05-01 9:00:00.1522 UTC), 3), "2024-05-01T09:00:00.152200Z");
/// assert_eq!(format_rfc3339(datetime!(9999-12-31 23:59:59 -1), 3), "9999-12-31T23:59:59.999999999Z");
/// ```
pub fn format_rfc3339(t: OffsetDateTime, min_digits: usize) -> String {
    let t = to_utc_saturating(t);
    let fraction = second_fraction(t.nanosecond(), min_digits);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The fraction of a second in `nanos` as a timestamp or duration writes it: a dot and 3, 6
/// or 9 digits, as few as hold it exactly, or nothing for a whole second when `min_digits`
/// is 0 (with 3, a whole second is `.000`).
///
/// ```
/// use incident_core::serde_helpers::second_fraction;
/// assert_eq!(second_fraction(0, 0), "");
/// assert_eq!(second_fraction(0, 3), ".000");
/// assert_eq!(second_fraction(500_000_000, 0), ".500");
/// assert_eq!(second_fraction(340_012, 0), ".000340012");
/// ```
pub fn second_fraction(nanos: u32, min_digits: usize) -> String {
    if nanos == 0 && min_digits == 0 {
        String::new()
    } else if nanos.is_multiple_of(1_000_000) {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    }
}

/// Parses an RFC 3339 date-time exactly as `OffsetDateTime::parse(text, &Rfc3339)` does
/// (`None` where it fails), at a fraction of the cost for the form vendors send:
/// `YYYY-MM-DDTHH:MM:SS`, up to nine fractional digits, then `Z` or `±HH:MM`. Any other
/// text (a leap second, a lower-case `t`, more digits) goes to `time`'s parser.
///
/// The result keeps the offset it was written with; vendor parsers pass it to
/// [`to_utc_checked`].
///
/// ```
/// use incident_core::serde_helpers::parse_rfc3339;
/// use time::macros::datetime;
/// assert_eq!(
///     parse_rfc3339("2024-05-01T11:00:00.250+02:00"),
///     Some(datetime!(2024-05-01 11:00:00.25 +2))
/// );
/// assert_eq!(parse_rfc3339("2024-05-01t09:00:00z"), Some(datetime!(2024-05-01 9:00 UTC)));
/// assert_eq!(parse_rfc3339("2024-02-30T00:00:00Z"), None);
/// ```
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    common_rfc3339(text.as_bytes()).or_else(|| OffsetDateTime::parse(text, &Rfc3339).ok())
}

/// The common form of [`parse_rfc3339`], read by hand; `None` for anything else (which
/// `time`'s parser then reads, or refuses).
fn common_rfc3339(b: &[u8]) -> Option<OffsetDateTime> {
    fn number(digits: &[u8]) -> Option<u32> {
        digits.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    }
    let [
        y0,
        y1,
        y2,
        y3,
        b'-',
        m0,
        m1,
        b'-',
        d0,
        d1,
        b'T',
        h0,
        h1,
        b':',
        i0,
        i1,
        b':',
        s0,
        s1,
        rest @ ..,
    ] = b
    else {
        return None;
    };
    let year = number(&[*y0, *y1, *y2, *y3])? as i32;
    let month = Month::try_from(number(&[*m0, *m1])? as u8).ok()?;
    let day = number(&[*d0, *d1])? as u8;
    let (hour, minute) = (number(&[*h0, *h1])? as u8, number(&[*i0, *i1])? as u8);
    let second = number(&[*s0, *s1])? as u8;
    let (nanos, rest) = match rest {
        [b'.', tail @ ..] => {
            let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
            if !(1..=9).contains(&n) {
                return None;
            }
            (number(&tail[..n])? * 10u32.pow(9 - n as u32), &tail[n..])
        }
        _ => (0, rest),
    };
    let offset = match rest {
        [b'Z'] => UtcOffset::UTC,
        [sign @ (b'+' | b'-'), h0, h1, b':', m0, m1] => {
            let (hours, minutes) = (number(&[*h0, *h1])?, number(&[*m0, *m1])?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let (hours, minutes) = (hours as i8, minutes as i8);
            if *sign == b'-' {
                UtcOffset::from_hms(-hours, -minutes, 0).ok()?
            } else {
                UtcOffset::from_hms(hours, minutes, 0).ok()?
            }
        }
        _ => return None,
    };
    let date = Date::from_calendar_date(year, month, day).ok()?;
    // A second of 60 fails here and goes to `time`'s parser, which knows leap seconds.
    let time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

/// Deserializes an optional string and hands it to `parse` as it lies in the input, without
/// copying it: `null` (and, with `#[serde(default)]`, a missing field) is `None`, any other
/// type an error, and `parse`'s error message a decode error. For the `with` modules of
/// vendor formats (times, durations), which would otherwise allocate a `String` per value.
///
/// ```
/// use serde::{Deserialize, Deserializer};
/// fn hours<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
///     incident_core::serde_helpers::str_option(d, |s| {
///         s.strip_suffix('h')
///             .and_then(|n| n.parse().ok())
///             .map(Some)
///             .ok_or_else(|| format!("{s:?} is not a number of hours"))
///     })
/// }
/// #[derive(Deserialize)]
/// struct T {
///     #[serde(default, deserialize_with = "hours")]
///     ttl: Option<u32>,
/// }
/// assert_eq!(serde_json::from_str::<T>(r#"{"ttl": "4h"}"#).unwrap().ttl, Some(4));
/// assert_eq!(serde_json::from_str::<T>(r#"{"ttl": null}"#).unwrap().ttl, None);
/// assert!(serde_json::from_str::<T>(r#"{"ttl": 4}"#).is_err());
/// assert!(serde_json::from_str::<T>(r#"{"ttl": "soon"}"#).is_err());
/// ```
///
/// # Errors
///
/// The deserializer's error for a value that is neither a string nor `null`, or with the
/// message `parse` returns.
pub fn str_option<'de, D, T, F>(deserializer: D, parse: F) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    F: FnOnce(&str) -> Result<Option<T>, String>,
{
    struct StrVisitor<F>(F);

    impl<'de, T, F> Visitor<'de> for StrVisitor<F>
    where
        F: FnOnce(&str) -> Result<Option<T>, String>,
    {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or null")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<T>, E> {
            (self.0)(v).map_err(E::custom)
        }

        fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
            d.deserialize_str(self)
        }
    }

    deserializer.deserialize_option(StrVisitor(parse))
}

/// Deserializes a string into `T` through `From<&str>` when the input lends it (so that a
/// known value costs no copy) or `From<String>` when it gives one; any other type is an
/// error. What [`string_enum!`](crate::string_enum) types decode with; for the
/// `Deserialize` of other string types that keep unknown values.
///
/// ```
/// #[derive(Debug, PartialEq)]
/// enum Kind { Known, Other(String) }
/// impl From<&str> for Kind {
///     fn from(s: &str) -> Kind {
///         if s == "KNOWN" { Kind::Known } else { Kind::Other(s.to_owned()) }
///     }
/// }
/// impl From<String> for Kind {
///     fn from(s: String) -> Kind {
///         if s == "KNOWN" { Kind::Known } else { Kind::Other(s) }
///     }
/// }
/// impl<'de> serde::Deserialize<'de> for Kind {
///     fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
///         incident_core::serde_helpers::str_into(d)
///     }
/// }
/// assert_eq!(serde_json::from_str::<Kind>(r#""KNOWN""#).unwrap(), Kind::Known);
/// assert_eq!(serde_json::from_str::<Kind>(r#""x\ty""#).unwrap(), Kind::Other("x\ty".into()));
/// assert!(serde_json::from_str::<Kind>("1").is_err());
/// ```
///
/// # Errors
///
/// The deserializer's error for a value that is not a string.
pub fn str_into<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str> + From<String>,
{
    struct WireVisitor<T>(std::marker::PhantomData<T>);

    impl<'de, T> Visitor<'de> for WireVisitor<T>
    where
        T: for<'a> From<&'a str> + From<String>,
    {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from(v))
        }

        fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
            Ok(T::from(v))
        }
    }

    deserializer.deserialize_str(WireVisitor(std::marker::PhantomData))
}

#[cfg(test)]
mod rfc3339_tests {
    use super::*;

    #[test]
    fn the_common_form_reads_as_time_reads_it() {
        let mut texts: Vec<String> = [
            "2024-05-01T11:00:00Z",
            "2024-05-01T11:00:00.5Z",
            "2024-05-01T11:00:00.123456789Z",
            "2024-05-01T11:00:00.1234567891Z",
            "2024-05-01T11:00:00+02:00",
            "2024-05-01T11:00:00.000-07:30",
            "2024-05-01T11:00:00-00:00",
            "2024-05-01T11:00:00+24:00",
            "2024-05-01T11:00:00+23:60",
            "2024-02-29T23:59:59.999Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-00-01T00:00:00Z",
            "2024-05-00T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T23:60:00Z",
            "2016-12-31T23:59:60Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2024-05-01t11:00:00z",
            "2024-05-01 11:00:00Z",
            "2024-05-01T11:00:00",
            "2024-05-01T11:00:00.Z",
            "2024-05-01T11:00:00+0200",
            "2024-05-01T11:00Z",
            "2024-5-01T11:00:00Z",
            "+2024-05-01T11:00:00Z",
            "2024-05-01T11:00:00Z ",
            "２０２４-05-01T11:00:00Z",
            "",
            "soon",
        ]
        .map(str::to_owned)
        .to_vec();
        // Every hour and minute of the offset, and a spread of fractions.
        for h in [0, 1, 9, 13, 23] {
            for m in [0, 15, 59] {
                texts.push(format!("1999-12-31T23:59:59.{h:02}{m}-{h:02}:{m:02}"));
            }
        }
        for text in &texts {
            let slow = OffsetDateTime::parse(text, &Rfc3339).ok();
            assert_eq!(parse_rfc3339(text), slow, "{text:?}");
            if let Some(fast) = common_rfc3339(text.as_bytes()) {
                assert_eq!(Some(fast), slow, "{text:?}");
            }
        }
        assert!(common_rfc3339(b"2024-05-01T11:00:00.250+02:00").is_some());
        assert!(common_rfc3339(b"2016-12-31T23:59:60Z").is_none());
    }
}

#[cfg(test)]
mod utc_tests {
    use super::*;
    use time::{Date, PrimitiveDateTime, Time};

    #[test]
    fn checked_keeps_the_instant_in_utc_and_refuses_the_outside() {
        let t = to_utc_checked(datetime!(2020-08-15 18:02:57.359 +2)).unwrap();
        assert_eq!(t, datetime!(2020-08-15 16:02:57.359 UTC));
        assert_eq!(t.offset(), UtcOffset::UTC);
        assert_eq!(to_utc_checked(LATEST_TIME), Some(LATEST_TIME));
        assert_eq!(to_utc_checked(EARLIEST_TIME), Some(EARLIEST_TIME));
        assert_eq!(
            to_utc_checked(datetime!(9999-12-31 23:59:59 -0:01)),
            None,
            "past time's range in UTC"
        );
        assert_eq!(to_utc_checked(datetime!(0000-01-01 0:00 +0:01)), None);
        assert_eq!(
            to_utc_checked(datetime!(-0001-12-31 23:59:59.999999999 UTC)),
            None
        );
        assert_eq!(
            to_utc_checked(datetime!(0000-01-01 0:00 -23:59)),
            Some(datetime!(0000-01-01 23:59 UTC))
        );
    }

    #[test]
    fn saturating_never_panics_and_clamps_to_the_bounds() {
        let offsets = [
            UtcOffset::UTC,
            UtcOffset::from_hms(25, 59, 59).unwrap(),
            UtcOffset::from_hms(-25, -59, -59).unwrap(),
            UtcOffset::from_hms(1, 0, 0).unwrap(),
        ];
        for offset in offsets {
            for at in [
                PrimitiveDateTime::new(Date::MIN, Time::MIDNIGHT),
                PrimitiveDateTime::new(Date::MAX, Time::MAX),
                datetime!(0000-01-01 0:00),
                datetime!(9999-12-31 23:59:59.999999999),
                datetime!(2024-02-29 12:00),
            ] {
                let t = at.assume_offset(offset);
                let utc = to_utc_saturating(t);
                assert_eq!(utc.offset(), UtcOffset::UTC);
                assert!((EARLIEST_TIME..=LATEST_TIME).contains(&utc), "{t}");
                if let Some(exact) = to_utc_checked(t) {
                    assert_eq!(utc, exact, "{t}");
                }
            }
        }
        assert_eq!(
            to_utc_saturating(datetime!(9999-12-31 23:59:59 -1)),
            LATEST_TIME
        );
        assert_eq!(
            to_utc_saturating(datetime!(-9999-01-01 0:00 +1)),
            EARLIEST_TIME
        );
        assert_eq!(
            to_utc_saturating(datetime!(-0001-06-01 0:00 UTC)),
            EARLIEST_TIME
        );
    }
}

/// Milliseconds since the Unix epoch as `Option<OffsetDateTime>`.
///
/// Accepts an integer, a float with no fractional milliseconds lost (`1.7e12`), a string of
/// digits, or `null`; writes an integer. Values outside [`EARLIEST_TIME`] ..= [`LATEST_TIME`]
/// give a decode error, never a panic. Use with `#[serde(default, with = "...")]`.
///
/// ```
/// use serde::Deserialize;
/// use time::OffsetDateTime;
/// #[derive(Deserialize)]
/// struct T {
///     #[serde(default, with = "incident_core::serde_helpers::epoch_millis_option")]
///     at: Option<OffsetDateTime>,
/// }
/// let t: T = serde_json::from_str(r#"{"at": 1700000000123}"#).unwrap();
/// assert_eq!(t.at.unwrap().unix_timestamp_nanos(), 1_700_000_000_123_000_000);
/// let t: T = serde_json::from_str(r#"{"at": null}"#).unwrap();
/// assert!(t.at.is_none());
/// ```
pub mod epoch_millis_option {
    use serde::de::{self, Deserializer, Visitor};
    use serde::ser::Serializer;
    use std::fmt;
    use time::OffsetDateTime;

    /// Serializes as integer milliseconds, or `null`.
    ///
    /// # Errors
    ///
    /// The serializer's error.
    pub fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(t) => serializer.serialize_i64((t.unix_timestamp_nanos() / 1_000_000) as i64),
            None => serializer.serialize_none(),
        }
    }

    /// Deserializes from milliseconds (integer, float or digit string) or `null`.
    ///
    /// # Errors
    ///
    /// The deserializer's error for another value or a time out of range.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        deserializer.deserialize_any(MillisVisitor)
    }

    struct MillisVisitor;

    fn from_millis<E: de::Error>(ms: i128) -> Result<Option<OffsetDateTime>, E> {
        ms.checked_mul(1_000_000)
            .and_then(|nanos| OffsetDateTime::from_unix_timestamp_nanos(nanos).ok())
            .and_then(super::to_utc_checked)
            .map(Some)
            .ok_or_else(|| E::custom(format!("timestamp {ms} ms is out of range")))
    }

    impl<'de> Visitor<'de> for MillisVisitor {
        type Value = Option<OffsetDateTime>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("milliseconds since the Unix epoch, or null")
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            from_millis(v as i128)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            from_millis(v as i128)
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if !v.is_finite() || v.fract() != 0.0 || v.abs() > 1e17 {
                return Err(E::custom(format!(
                    "{v} is not a whole number of milliseconds"
                )));
            }
            from_millis(v as i128)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let ms: i64 = v
                .trim()
                .parse()
                .map_err(|_| E::custom(format!("{v:?} is not a number of milliseconds")))?;
            from_millis(ms as i128)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(MillisVisitor)
        }
    }

    #[cfg(test)]
    mod tests {
        use serde::{Deserialize, Serialize};
        use time::OffsetDateTime;

        #[derive(Debug, Deserialize, Serialize)]
        struct T {
            #[serde(default, with = "super")]
            at: Option<OffsetDateTime>,
        }

        #[test]
        fn lenient_forms_and_round_trip() {
            for text in [
                r#"{"at":1700000000123}"#,
                r#"{"at":1700000000123.0}"#,
                r#"{"at":"1700000000123"}"#,
            ] {
                let t: T = serde_json::from_str(text).unwrap();
                assert_eq!(
                    serde_json::to_string(&t).unwrap(),
                    r#"{"at":1700000000123}"#
                );
            }
            let t: T = serde_json::from_str("{}").unwrap();
            assert!(t.at.is_none());
            assert!(serde_json::from_str::<T>(r#"{"at":1.5}"#).is_err());
            assert!(serde_json::from_str::<T>(r#"{"at":"soon"}"#).is_err());
            assert!(serde_json::from_str::<T>(r#"{"at":9223372036854775807}"#).is_err());
            assert!(serde_json::from_str::<T>(r#"{"at":true}"#).is_err());
        }

        #[test]
        fn times_outside_four_digit_years_are_refused() {
            // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z are the bounds.
            let first: T = serde_json::from_str(r#"{"at":-62167219200000}"#).unwrap();
            assert_eq!(first.at, Some(super::super::EARLIEST_TIME));
            let last: T = serde_json::from_str(r#"{"at":253402300799999}"#).unwrap();
            assert_eq!(
                last.at,
                Some(time::macros::datetime!(9999-12-31 23:59:59.999 UTC))
            );
            // One millisecond before the first: the year -1, which no vendor format writes.
            let err = serde_json::from_str::<T>(r#"{"at":-62167219200001}"#).unwrap_err();
            assert_eq!(
                err.to_string(),
                "timestamp -62167219200001 ms is out of range at line 1 column 21"
            );
            let err = serde_json::from_str::<T>(r#"{"at":253402300800000}"#).unwrap_err();
            assert_eq!(
                err.to_string(),
                "timestamp 253402300800000 ms is out of range at line 1 column 21"
            );
        }
    }
}

/// Shared number parsing for the `lenient_*` modules: vendors document a JSON number, but
/// proxies, older API versions and hand-written simulators send whole floats (`42.0`) or
/// strings (`"42"`). Every path returns a serde error, never panics.
mod lenient {
    use serde::de::{self, Deserializer, Visitor};
    use std::fmt;
    use std::marker::PhantomData;

    /// A number type the lenient visitors can produce.
    pub(super) trait Number: Sized {
        const EXPECTING: &'static str;
        fn from_u64<E: de::Error>(v: u64) -> Result<Self, E>;
        fn from_i64<E: de::Error>(v: i64) -> Result<Self, E>;
        fn from_f64<E: de::Error>(v: f64) -> Result<Self, E>;
        fn from_str<E: de::Error>(v: &str) -> Result<Self, E>;
    }

    // 2^64 and 2^63 as f64, exact: the first values that no longer fit.
    const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

    fn whole<E: de::Error>(v: f64) -> Result<f64, E> {
        if v.is_finite() && v.fract() == 0.0 {
            Ok(v)
        } else {
            Err(E::custom(format!("{v} is not a whole number")))
        }
    }

    fn from_string<T: Number, E: de::Error>(v: &str) -> Result<T, E> {
        let t = v.trim();
        if let Ok(n) = t.parse::<u64>() {
            return T::from_u64(n);
        }
        if let Ok(n) = t.parse::<i64>() {
            return T::from_i64(n);
        }
        // Only plain decimal notation: `f64::from_str` would also take "NaN" and "inf".
        let plain = !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
        match t.parse::<f64>() {
            Ok(n) if plain => T::from_f64(n),
            _ => Err(E::custom(format!("{v:?} is not a number"))),
        }
    }

    impl Number for u64 {
        const EXPECTING: &'static str =
            "a non-negative integer, a whole float, a digit string, or null";
        fn from_u64<E: de::Error>(v: u64) -> Result<Self, E> {
            Ok(v)
        }
        fn from_i64<E: de::Error>(v: i64) -> Result<Self, E> {
            u64::try_from(v).map_err(|_| E::custom(format!("{v} is negative")))
        }
        fn from_f64<E: de::Error>(v: f64) -> Result<Self, E> {
            let v = whole(v)?;
            if v < 0.0 {
                Err(E::custom(format!("{v} is negative")))
            } else if v >= TWO_POW_64 {
                Err(E::custom(format!("{v} is too large")))
            } else {
                Ok(v as u64)
            }
        }
        fn from_str<E: de::Error>(v: &str) -> Result<Self, E> {
            from_string(v)
        }
    }

    impl Number for i64 {
        const EXPECTING: &'static str = "an integer, a whole float, a digit string, or null";
        fn from_u64<E: de::Error>(v: u64) -> Result<Self, E> {
            i64::try_from(v).map_err(|_| E::custom(format!("{v} is too large")))
        }
        fn from_i64<E: de::Error>(v: i64) -> Result<Self, E> {
            Ok(v)
        }
        fn from_f64<E: de::Error>(v: f64) -> Result<Self, E> {
            let v = whole(v)?;
            if (-TWO_POW_63..TWO_POW_63).contains(&v) {
                Ok(v as i64)
            } else {
                Err(E::custom(format!("{v} is out of range")))
            }
        }
        fn from_str<E: de::Error>(v: &str) -> Result<Self, E> {
            from_string(v)
        }
    }

    impl Number for f64 {
        const EXPECTING: &'static str = "a number, a numeric string, or null";
        fn from_u64<E: de::Error>(v: u64) -> Result<Self, E> {
            Ok(v as f64)
        }
        fn from_i64<E: de::Error>(v: i64) -> Result<Self, E> {
            Ok(v as f64)
        }
        fn from_f64<E: de::Error>(v: f64) -> Result<Self, E> {
            if v.is_finite() {
                Ok(v)
            } else {
                Err(E::custom(format!("{v} is not a finite number")))
            }
        }
        fn from_str<E: de::Error>(v: &str) -> Result<Self, E> {
            from_string(v)
        }
    }

    /// Visits `Option<T>`: null or absent-as-unit give `None`.
    pub(super) struct OptionVisitor<T>(pub(super) PhantomData<T>);

    impl<'de, T: Number> Visitor<'de> for OptionVisitor<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(T::EXPECTING)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            T::from_u64(v).map(Some)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            T::from_i64(v).map(Some)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            T::from_f64(v).map(Some)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            T::from_str(v).map(Some)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    pub(super) fn deserialize_option<'de, T: Number, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        d.deserialize_any(OptionVisitor::<T>(PhantomData))
    }

    /// One array element that must be present (null is refused inside arrays).
    pub(super) struct Required<T>(pub(super) T);

    impl<'de, T: Number> serde::Deserialize<'de> for Required<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            match deserialize_option::<T, D>(d)? {
                Some(v) => Ok(Required(v)),
                None => Err(de::Error::custom("null is not allowed inside the array")),
            }
        }
    }
}

/// A lenient `Option<u64>` for ids and counts.
///
/// Accepts an integer, a whole float (`42.0`), a string of digits (`"42"`) or `null`; refuses
/// negatives, fractions and non-numeric strings with a serde error. Writes a plain number.
/// Use with `#[serde(default, with = "...")]` so that a missing field is `None`.
///
/// ```
/// use serde::Deserialize;
/// #[derive(Deserialize)]
/// struct T {
///     #[serde(default, with = "incident_core::serde_helpers::lenient_u64_option")]
///     id: Option<u64>,
/// }
/// for text in [r#"{"id": 42}"#, r#"{"id": 42.0}"#, r#"{"id": "42"}"#] {
///     assert_eq!(serde_json::from_str::<T>(text).unwrap().id, Some(42));
/// }
/// assert_eq!(serde_json::from_str::<T>("{}").unwrap().id, None);
/// assert!(serde_json::from_str::<T>(r#"{"id": -1}"#).is_err());
/// ```
pub mod lenient_u64_option {
    use serde::{Deserializer, Serializer};

    /// Serializes as a plain integer, or `null`.
    ///
    /// # Errors
    ///
    /// The serializer's error.
    pub fn serialize<S: Serializer>(value: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.serialize_some(v),
            None => serializer.serialize_none(),
        }
    }

    /// Deserializes from an integer, a whole float, a digit string or `null`.
    ///
    /// # Errors
    ///
    /// The deserializer's error for a value these rules refuse.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u64>, D::Error> {
        super::lenient::deserialize_option(deserializer)
    }
}

/// A lenient `Option<i64>`, for signed codes and values.
///
/// Same rules as [`lenient_u64_option`], but negatives are accepted.
pub mod lenient_i64_option {
    use serde::{Deserializer, Serializer};

    /// Serializes as a plain integer, or `null`.
    ///
    /// # Errors
    ///
    /// The serializer's error.
    pub fn serialize<S: Serializer>(value: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.serialize_some(v),
            None => serializer.serialize_none(),
        }
    }

    /// Deserializes from an integer, a whole float, a numeric string or `null`.
    ///
    /// # Errors
    ///
    /// The deserializer's error for a value these rules refuse.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<i64>, D::Error> {
        super::lenient::deserialize_option(deserializer)
    }
}

/// A lenient `Option<f64>`, for scores and ratios.
///
/// Accepts an integer, a float, a numeric string (`"7.5"`) or `null`; refuses non-numeric
/// strings, `"NaN"` and infinities. Writes a plain number, which reads back as the same
/// `f64`: a number and a numeric string are both rounded correctly (serde_json's
/// `float_roundtrip`), so quoting a value never changes it.
pub mod lenient_f64_option {
    use serde::{Deserializer, Serializer};

    /// Serializes as a plain number, or `null`.
    ///
    /// # Errors
    ///
    /// The serializer's error.
    pub fn serialize<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.serialize_some(v),
            None => serializer.serialize_none(),
        }
    }

    /// Deserializes from an integer, a float, a numeric string or `null`.
    ///
    /// # Errors
    ///
    /// The deserializer's error for a value these rules refuse.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<f64>, D::Error> {
        super::lenient::deserialize_option(deserializer)
    }
}

/// A lenient `Option<Vec<u64>>`, for arrays of ids (QRadar's `source_address_ids`).
///
/// The array itself may be `null` or missing (`None`); each element follows the rules of
/// [`lenient_u64_option`] except that a `null` element is refused.
pub mod lenient_u64_vec_option {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::lenient::Required;

    /// Serializes as an array of plain integers, or `null`.
    ///
    /// # Errors
    ///
    /// The serializer's error.
    pub fn serialize<S: Serializer>(
        value: &Option<Vec<u64>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.serialize_some(v),
            None => serializer.serialize_none(),
        }
    }

    /// Deserializes from an array of lenient integers, or `null`.
    ///
    /// # Errors
    ///
    /// The deserializer's error for a value these rules refuse, or a `null` element.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<u64>>, D::Error> {
        let items: Option<Vec<Required<u64>>> = Option::deserialize(deserializer)?;
        Ok(items.map(|v| v.into_iter().map(|Required(n)| n).collect()))
    }
}

#[cfg(test)]
mod lenient_tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Default, PartialEq, Deserialize, Serialize)]
    struct T {
        #[serde(
            default,
            with = "super::lenient_u64_option",
            skip_serializing_if = "Option::is_none"
        )]
        u: Option<u64>,
        #[serde(
            default,
            with = "super::lenient_i64_option",
            skip_serializing_if = "Option::is_none"
        )]
        i: Option<i64>,
        #[serde(
            default,
            with = "super::lenient_f64_option",
            skip_serializing_if = "Option::is_none"
        )]
        f: Option<f64>,
        #[serde(
            default,
            with = "super::lenient_u64_vec_option",
            skip_serializing_if = "Option::is_none"
        )]
        v: Option<Vec<u64>>,
    }

    fn parse(text: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn u64_accepts_lenient_forms() {
        for text in [
            r#"{"u":42}"#,
            r#"{"u":42.0}"#,
            r#"{"u":"42"}"#,
            r#"{"u":" 42 "}"#,
            r#"{"u":"42.0"}"#,
        ] {
            assert_eq!(parse(text).unwrap().u, Some(42), "{text}");
        }
        assert_eq!(parse(r#"{"u":null}"#).unwrap().u, None);
        assert_eq!(parse("{}").unwrap().u, None);
        assert_eq!(
            parse(r#"{"u":18446744073709551615}"#).unwrap().u,
            Some(u64::MAX)
        );
        assert_eq!(parse(r#"{"u":0}"#).unwrap().u, Some(0));
    }

    #[test]
    fn u64_refuses_bad_values() {
        for text in [
            r#"{"u":-1}"#,
            r#"{"u":-1.0}"#,
            r#"{"u":1.5}"#,
            r#"{"u":"1.5"}"#,
            r#"{"u":"-3"}"#,
            r#"{"u":"abc"}"#,
            r#"{"u":""}"#,
            r#"{"u":"NaN"}"#,
            r#"{"u":"inf"}"#,
            r#"{"u":1e30}"#,
            r#"{"u":18446744073709551616.0}"#,
            r#"{"u":true}"#,
            r#"{"u":[1]}"#,
            r#"{"u":{}}"#,
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(!err.is_empty(), "{text}");
        }
        let err = parse(r#"{"u":-1}"#).unwrap_err().to_string();
        assert!(err.contains("negative"), "{err}");
        let err = parse(r#"{"u":1.5}"#).unwrap_err().to_string();
        assert!(err.contains("whole"), "{err}");
        let err = parse(r#"{"u":"abc"}"#).unwrap_err().to_string();
        assert!(err.contains("not a number"), "{err}");
    }

    #[test]
    fn i64_accepts_negatives_and_refuses_overflow() {
        assert_eq!(parse(r#"{"i":-7}"#).unwrap().i, Some(-7));
        assert_eq!(parse(r#"{"i":"-7"}"#).unwrap().i, Some(-7));
        assert_eq!(parse(r#"{"i":-7.0}"#).unwrap().i, Some(-7));
        assert_eq!(parse(r#"{"i":"85101001"}"#).unwrap().i, Some(85_101_001));
        assert_eq!(parse(r#"{"i":null}"#).unwrap().i, None);
        assert!(parse(r#"{"i":9223372036854775808}"#).is_err());
        assert!(parse(r#"{"i":"9223372036854775808"}"#).is_err());
        assert!(parse(r#"{"i":9.3e18}"#).is_err());
        assert!(parse(r#"{"i":0.5}"#).is_err());
        assert!(parse(r#"{"i":"x"}"#).is_err());
    }

    #[test]
    fn f64_accepts_numbers_and_numeric_strings() {
        assert_eq!(parse(r#"{"f":7}"#).unwrap().f, Some(7.0));
        assert_eq!(parse(r#"{"f":-7}"#).unwrap().f, Some(-7.0));
        assert_eq!(parse(r#"{"f":7.25}"#).unwrap().f, Some(7.25));
        assert_eq!(parse(r#"{"f":"7.25"}"#).unwrap().f, Some(7.25));
        assert_eq!(parse(r#"{"f":"1e3"}"#).unwrap().f, Some(1000.0));
        assert_eq!(parse(r#"{"f":null}"#).unwrap().f, None);
        assert!(parse(r#"{"f":"NaN"}"#).is_err());
        assert!(parse(r#"{"f":"infinity"}"#).is_err());
        assert!(parse(r#"{"f":"seven"}"#).is_err());
        assert!(parse(r#"{"f":false}"#).is_err());
    }

    #[test]
    fn f64_written_reads_back_unchanged_and_quoting_changes_nothing() {
        // Seventeen significant digits, where serde_json's fast float parse is one unit off
        // (the fuzz build, without this crate's dev-dependencies, is where it showed).
        let quoted = parse(r#"{"f":".22222222262222222"}"#).unwrap();
        let number = parse(r#"{"f":0.22222222262222222}"#).unwrap();
        assert_eq!(number, quoted);
        let written = serde_json::to_string(&quoted).unwrap();
        assert_eq!(parse(&written).unwrap(), quoted, "{written}");
    }

    #[test]
    fn vec_is_lenient_per_element() {
        assert_eq!(
            parse(r#"{"v":[1, 2.0, "3"]}"#).unwrap().v,
            Some(vec![1, 2, 3])
        );
        assert_eq!(parse(r#"{"v":[]}"#).unwrap().v, Some(vec![]));
        assert_eq!(parse(r#"{"v":null}"#).unwrap().v, None);
        assert!(parse(r#"{"v":[1, null]}"#).is_err());
        assert!(parse(r#"{"v":[-1]}"#).is_err());
        assert!(parse(r#"{"v":5}"#).is_err());
    }

    #[test]
    fn serializes_plain_numbers_and_round_trips() {
        let t = parse(r#"{"u":"42","i":"-3","f":"2.5","v":["9"]}"#).unwrap();
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(text, r#"{"u":42,"i":-3,"f":2.5,"v":[9]}"#);
        assert_eq!(parse(&text).unwrap(), t);
        assert_eq!(serde_json::to_string(&T::default()).unwrap(), "{}");
    }
}

/// Used by [`string_enum!`](crate::string_enum) so that crates using the macro need no
/// direct dependency on serde. Not part of the public API.
#[doc(hidden)]
pub use serde as __serde;

/// Declares an enum of vendor strings that survives values it does not know.
///
/// Each variant maps to one exact wire string. The macro adds an `Unknown(String)` variant
/// that keeps any other value verbatim, marks the enum `#[non_exhaustive]`, and implements
/// `Serialize` (the wire string; `Unknown` writes its value back, so values round-trip),
/// `Deserialize` (exact match first, then an ASCII case-insensitive match, else `Unknown`),
/// `as_str`, `is_unknown`, `Display`, `FromStr` (never fails), `From<&str>`, `From<String>`,
/// `Clone`, `Debug`, `PartialEq`, `Eq` and `Hash`. Vendors add values between API versions;
/// with this, a new value never breaks decoding of the record that carries it.
///
/// Doc comments and other attributes on the enum and on each variant are passed through, so
/// the generated code satisfies `#![deny(missing_docs)]`.
///
/// ```
/// incident_core::string_enum! {
///     /// The status of an offense.
///     pub enum OffenseStatus {
///         /// Open.
///         Open = "OPEN",
///         /// Hidden from the offense list.
///         Hidden = "HIDDEN",
///         /// Closed with a closing reason.
///         Closed = "CLOSED",
///     }
/// }
///
/// let s: OffenseStatus = serde_json::from_str(r#""OPEN""#).unwrap();
/// assert_eq!(s, OffenseStatus::Open);
/// // A case-insensitive match is accepted; the canonical spelling is written back.
/// let s: OffenseStatus = serde_json::from_str(r#""closed""#).unwrap();
/// assert_eq!(serde_json::to_string(&s).unwrap(), r#""CLOSED""#);
/// // Unknown values are kept and written back unchanged.
/// let s: OffenseStatus = serde_json::from_str(r#""ARCHIVED""#).unwrap();
/// assert_eq!(s, OffenseStatus::Unknown("ARCHIVED".to_owned()));
/// assert!(s.is_unknown());
/// assert_eq!(serde_json::to_string(&s).unwrap(), r#""ARCHIVED""#);
/// assert_eq!(OffenseStatus::Hidden.to_string(), "HIDDEN");
/// assert_eq!("OPEN".parse::<OffenseStatus>(), Ok(OffenseStatus::Open));
/// ```
#[macro_export]
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $wire:literal
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )*
            /// A value this version of the crate does not know (a newer API version, a custom
            /// value), kept verbatim so that it is written back unchanged.
            Unknown(::std::string::String),
        }

        impl $name {
            /// The wire string of this value, exactly as the vendor spells it (for `Unknown`,
            /// the value that was received).
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(value) => value.as_str(),
                }
            }

            /// True for a value outside the documented set.
            pub fn is_unknown(&self) -> bool {
                ::std::matches!(self, Self::Unknown(_))
            }

            /// Reads a wire string: exact match first, then an ASCII case-insensitive match,
            /// else `Unknown` holding the value unchanged.
            pub fn from_wire(value: &str) -> Self {
                $( if value == $wire { return Self::$variant; } )*
                $( if value.eq_ignore_ascii_case($wire) { return Self::$variant; } )*
                Self::Unknown(::std::borrow::ToOwned::to_owned(value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok(Self::from_wire(value))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::from_wire(value)
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                match Self::from_wire(&value) {
                    Self::Unknown(_) => Self::Unknown(value),
                    known => known,
                }
            }
        }

        impl $crate::serde_helpers::__serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error>
            where
                S: $crate::serde_helpers::__serde::Serializer,
            {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::serde_helpers::__serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
            where
                D: $crate::serde_helpers::__serde::Deserializer<'de>,
            {
                $crate::serde_helpers::str_into(deserializer)
            }
        }
    };
}

#[cfg(test)]
mod string_enum_tests {
    crate::string_enum! {
        /// A test enum.
        pub enum Color {
            /// Red.
            Red = "RED",
            /// Mixed case on the wire.
            DarkBlue = "darkBlue",
        }
    }

    #[test]
    fn exact_case_insensitive_and_unknown() {
        let c: Color = serde_json::from_str(r#""RED""#).unwrap();
        assert_eq!(c, Color::Red);
        let c: Color = serde_json::from_str(r#""red""#).unwrap();
        assert_eq!(c, Color::Red);
        let c: Color = serde_json::from_str(r#""DARKBLUE""#).unwrap();
        assert_eq!(c, Color::DarkBlue);
        assert_eq!(serde_json::to_string(&c).unwrap(), r#""darkBlue""#);
        let c: Color = serde_json::from_str(r#""Green <maybe>""#).unwrap();
        assert_eq!(c, Color::Unknown("Green <maybe>".to_owned()));
        assert_eq!(serde_json::to_string(&c).unwrap(), r#""Green <maybe>""#);
        assert_eq!(c.as_str(), "Green <maybe>");
        assert!(c.is_unknown());
        assert!(!Color::Red.is_unknown());
        let c: Color = serde_json::from_str(r#""""#).unwrap();
        assert_eq!(c, Color::Unknown(String::new()));
    }

    #[test]
    fn display_from_str_and_errors() {
        assert_eq!(Color::DarkBlue.to_string(), "darkBlue");
        assert_eq!("darkblue".parse::<Color>(), Ok(Color::DarkBlue));
        assert_eq!(Color::from("x"), Color::Unknown("x".into()));
        assert_eq!(Color::from(String::from("RED")), Color::Red);
        // Not a string: a serde error, not a panic.
        assert!(serde_json::from_str::<Color>("5").is_err());
        assert!(
            serde_json::from_str::<Option<Color>>("null")
                .unwrap()
                .is_none()
        );
    }
}
