//! Skyhigh's date-times: `yyyy-mm-ddThh:mm:ss.sssZ` in answers, `yyyy-mm-ddThh:mm:ss[Z|±hh:mm]`
//! in requests, and, in the documentation's own examples, times without any zone.

use serde::{Deserialize, Deserializer, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Reads a Skyhigh date-time leniently: RFC 3339 (`2020-08-15T16:02:57.359Z`,
/// `2020-08-15T18:02:57+02:00`), an offset without a colon (`2022-07-04T14:02:03.000+0000`),
/// or no zone at all (`2020-04-12T09:30:00.000`, read as UTC, as the service does).
/// `None` for anything else.
///
/// ```
/// use skyhigh_client::model::parse_time;
/// let t = parse_time("2020-08-15T16:02:57.359Z").unwrap();
/// assert_eq!(t.unix_timestamp_nanos(), 1_597_507_377_359_000_000);
/// assert_eq!(parse_time("2020-08-15T16:02:57.359"), Some(t));
/// assert_eq!(parse_time("2020-08-15T18:02:57.359+0200"), Some(t));
/// assert_eq!(parse_time("yesterday"), None);
/// ```
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t);
    }
    // `+0000` / `-0530`: RFC 3339 wants a colon in the offset.
    let bytes = text.as_bytes();
    if bytes.len() > 5 {
        let (head, tail) = text.split_at(text.len() - 5);
        if (tail.starts_with('+') || tail.starts_with('-'))
            && tail[1..].bytes().all(|b| b.is_ascii_digit())
            && head.contains('T')
        {
            let fixed = format!("{head}{}:{}", &tail[..3], &tail[3..]);
            if let Ok(t) = OffsetDateTime::parse(&fixed, &Rfc3339) {
                return Some(t);
            }
        }
    }
    let naive = format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(text, &naive)
        .ok()
        .map(|t| t.assume_offset(UtcOffset::UTC))
}

/// Writes a date-time as Skyhigh answers it: UTC, milliseconds, `Z`
/// (`2020-08-15T16:02:57.359Z`). Sub-millisecond digits are cut: the service keeps
/// milliseconds.
///
/// ```
/// use skyhigh_client::model::format_time;
/// use time::macros::datetime;
/// assert_eq!(format_time(datetime!(2020-08-15 18:02:57.359123 +2)), "2020-08-15T16:02:57.359Z");
/// ```
pub fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `Option<OffsetDateTime>` in Skyhigh's formats, for `#[serde(default, with = "...")]`:
/// reads what [`parse_time`] reads (and `null`), writes what [`format_time`] writes.
pub mod time_option {
    use super::*;

    /// Writes [`format_time`], or `null`.
    pub fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(t) => serializer.serialize_str(&format_time(*t)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads [`parse_time`]; a string it cannot read is a decode error naming the value.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => parse_time(&s).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("{s:?} is not a date-time Skyhigh sends"))
            }),
        }
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
}
