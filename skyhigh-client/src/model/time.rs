//! Skyhigh's date-times: `yyyy-mm-ddThh:mm:ss.sssZ` in answers, `yyyy-mm-ddThh:mm:ss[Z|±hh:mm]`
//! in requests, and, in the documentation's own examples, times without any zone.

use incident_core::serde_helpers::{
    format_rfc3339, parse_rfc3339, str_option, to_utc_checked, to_utc_saturating,
};
use serde::{Deserializer, Serializer};
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Reads a Skyhigh date-time leniently: RFC 3339 (`2020-08-15T16:02:57.359Z`,
/// `2020-08-15T18:02:57+02:00`), an offset without a colon (`2022-07-04T14:02:03.000+0000`),
/// or no zone at all (`2020-04-12T09:30:00.000`, read as UTC, as the service does).
/// The result is in UTC. `None` for anything else, and for an instant outside the years
/// 0000 to 9999 in UTC (see [`to_utc_checked`]).
///
/// ```
/// use skyhigh_client::model::parse_time;
/// let t = parse_time("2020-08-15T16:02:57.359Z").unwrap();
/// assert_eq!(t.unix_timestamp_nanos(), 1_597_507_377_359_000_000);
/// assert_eq!(parse_time("2020-08-15T16:02:57.359"), Some(t));
/// assert_eq!(parse_time("2020-08-15T18:02:57.359+0200"), Some(t));
/// assert_eq!(parse_time("yesterday"), None);
/// assert_eq!(parse_time("9999-12-31T23:59:59-01:00"), None);
/// ```
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    let naive = format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    parse_rfc3339(text)
        .or_else(|| parse_colonless_offset(text))
        .or_else(|| {
            PrimitiveDateTime::parse(text, &naive)
                .ok()
                .map(PrimitiveDateTime::assume_utc)
        })
        .and_then(to_utc_checked)
}

/// `2022-07-04T14:02:03.000+0000`: RFC 3339 wants a colon in the offset.
fn parse_colonless_offset(text: &str) -> Option<OffsetDateTime> {
    // The cut falls inside a character when the text does not end in five ASCII bytes.
    let (head, tail) = text.split_at_checked(text.len().checked_sub(5)?)?;
    let [b'+' | b'-', offset @ ..] = tail.as_bytes() else {
        return None;
    };
    if !head.contains('T') || !offset.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Five ASCII bytes: the cut after the hours is on a character boundary.
    let (sign_hours, minutes) = tail.split_at(3);
    parse_rfc3339(&format!("{head}{sign_hours}:{minutes}"))
}

/// Writes a date-time as Skyhigh answers it: UTC, milliseconds, `Z`
/// (`2020-08-15T16:02:57.359Z`), with the sub-millisecond digits of a time read with them,
/// so that what was read is written back (queries cut them: see [`format_query_time`]). A
/// time outside the years 0000 to 9999 in UTC, which only a value built by hand can be, is
/// written as the nearest of `0000-01-01T00:00:00.000Z` and `9999-12-31T23:59:59.999999999Z`
/// (see [`format_rfc3339`]); this never panics.
///
/// ```
/// use skyhigh_client::model::format_time;
/// use time::macros::datetime;
/// assert_eq!(format_time(datetime!(2020-08-15 18:02:57.359 +2)), "2020-08-15T16:02:57.359Z");
/// assert_eq!(format_time(datetime!(2020-08-15 16:02:57.359123 UTC)), "2020-08-15T16:02:57.359123Z");
/// ```
pub fn format_time(t: OffsetDateTime) -> String {
    format_rfc3339(t, 3)
}

/// Writes a date-time for a query as the service keeps it: [`format_time`] of the
/// millisecond that holds `t` (sub-millisecond digits are cut, the service keeps
/// milliseconds).
///
/// ```
/// use skyhigh_client::model::format_query_time;
/// use time::macros::datetime;
/// assert_eq!(format_query_time(datetime!(2020-08-15 18:02:57.359123 +2)), "2020-08-15T16:02:57.359Z");
/// assert_eq!(format_query_time(datetime!(9999-12-31 23:59:59 -1)), "9999-12-31T23:59:59.999Z");
/// ```
pub fn format_query_time(t: OffsetDateTime) -> String {
    let t = to_utc_saturating(t);
    let millis = t.nanosecond() - t.nanosecond() % 1_000_000;
    format_time(t.replace_nanosecond(millis).unwrap_or(t))
}

/// `Option<OffsetDateTime>` in Skyhigh's formats, for `#[serde(default, with = "...")]`:
/// reads what [`parse_time`] reads (and `null`), writes what [`format_time`] writes.
pub mod time_option {
    use super::*;

    /// Writes [`format_time`], or `null`.
    ///
    /// # Errors
    ///
    /// The serializer's error.
    pub fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(t) => serializer.serialize_str(&format_time(*t)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads [`parse_time`] (an empty string is `None`).
    ///
    /// # Errors
    ///
    /// The deserializer's error, naming the value, for a string [`parse_time`] cannot read
    /// or another value.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        str_option(deserializer, |s| {
            if s.trim().is_empty() {
                return Ok(None);
            }
            parse_time(s)
                .map(Some)
                .ok_or_else(|| format!("{s:?} is not a date-time Skyhigh sends"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn forms() {
        let t = datetime!(2022-07-04 14:02:03 UTC);
        for text in [
            "2022-07-04T14:02:03Z",
            "2022-07-04T14:02:03.000Z",
            "2022-07-04T14:02:03.000+0000",
            "2022-07-04T16:02:03+02:00",
            "2022-07-04T14:02:03",
            " 2022-07-04T14:02:03.000 ",
        ] {
            assert_eq!(parse_time(text), Some(t), "{text}");
        }
        for bad in [
            "",
            "May 17 2019 03:31:52.000 UTC",
            "2022-13-04T14:02:03Z",
            "+0000",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(format_time(t), "2022-07-04T14:02:03.000Z");
    }

    #[test]
    fn a_multi_byte_character_at_the_offset_cut_is_not_a_time() {
        // The fifth byte from the end is inside `é`: splitting there panicked.
        assert_eq!(parse_time("aa\u{e9}0000"), None);
        assert_eq!(parse_time("2022-07-04T14:02:03\u{e9}0000"), None);
        assert_eq!(parse_time("\u{1F600}+0000"), None);
        assert_eq!(parse_time("2022-07-04T14:02:03.000+\u{e9}00"), None);
        #[derive(Debug, serde::Deserialize)]
        struct T {
            #[serde(default, with = "time_option")]
            _at: Option<OffsetDateTime>,
        }
        let err = serde_json::from_str::<T>(r#"{"_at": "aa\u00e90000"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"aaé0000\" is not a date-time Skyhigh sends at line 1 column 22"
        );
    }

    #[test]
    fn times_past_year_9999_in_utc_are_refused_and_formatting_never_panics() {
        for text in [
            "9999-12-31T23:59:59-01:00",
            "9999-12-31T23:59:59.999-0100",
            "0000-01-01T00:00:00+00:01",
            "-0001-12-31T23:59:59",
        ] {
            assert_eq!(parse_time(text), None, "{text}");
        }
        // Inside the range, any offset comes back in UTC.
        let t = parse_time("9999-12-31T22:59:59.999-01:00").unwrap();
        assert_eq!(t, datetime!(9999-12-31 23:59:59.999 UTC));
        assert_eq!(t.offset(), time::UtcOffset::UTC);
        assert_eq!(format_time(t), "9999-12-31T23:59:59.999Z");
        // Values built by hand outside the range are written as the nearest bound.
        assert_eq!(
            format_time(datetime!(9999-12-31 23:59:59 -1)),
            "9999-12-31T23:59:59.999999999Z"
        );
        assert_eq!(
            format_time(datetime!(-0001-06-01 0:00 UTC)),
            "0000-01-01T00:00:00.000Z"
        );
    }

    /// `text` mangled, with the characters that trip this parser.
    fn mutations(text: &str) -> Vec<String> {
        incident_testkit::mutations(
            text,
            &["", "\u{e9}", "\u{1F600}", "9", "-", "+", ":", ".", "T", "Z"],
        )
    }

    #[test]
    fn mangled_times_never_panic_and_what_parses_writes_back() {
        for valid in [
            "2022-07-04T14:02:03.000Z",
            "2022-07-04T14:02:03.000+0000",
            "9999-12-31T22:59:59-01:00",
            "0000-01-01T00:00:00",
        ] {
            for text in mutations(valid) {
                let outcome = std::panic::catch_unwind(|| parse_time(&text).map(format_time));
                let Ok(written) = outcome else {
                    panic!("{text:?} panicked");
                };
                if let Some(written) = written {
                    // Written as read, to the nanosecond.
                    assert_eq!(parse_time(&written), parse_time(&text), "{text:?}");
                }
            }
        }
    }
}
