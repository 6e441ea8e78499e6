//! PTA timestamps: `createTime`, `lastUpdateTime`, `detectionTime`.
//!
//! The documentation types them as `Double` and contradicts itself on the unit: the
//! "Get security events" page says milliseconds, the "Update security event" page (the seed)
//! says seconds. Every published sample holds 13-digit milliseconds (`1594793984000`), so
//! milliseconds are read; a value below 10^11 (which as milliseconds would fall in 1973,
//! before PTA existed, and as seconds falls before year 5138) is read as seconds, so that a
//! server that follows the seed's wording still gives the right instant. Fractions are kept
//! to the nanosecond that the number holds (a fraction of a second is read as precisely as
//! the milliseconds it is written back in), and a whole number of milliseconds is written
//! back as an integer. An
//! instant within 10^11 ms of 1970 (from October 1966 to March 1973) is written in seconds,
//! since its milliseconds would be read back as seconds.

use std::fmt;

use incident_core::serde_helpers::to_utc_checked;
use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use time::OffsetDateTime;

/// Values below this are seconds, at or above it milliseconds.
pub(crate) const SECONDS_BELOW: f64 = 1e11;

/// The instant a PTA time number stands for (see the module documentation), in UTC; `None`
/// for a value that is not finite or whose instant falls outside the years 0000 to 9999
/// (see [`to_utc_checked`]).
pub fn from_pta_number(value: f64) -> Option<OffsetDateTime> {
    if !value.is_finite() || value.abs() > 1e17 {
        return None;
    }
    // Whole units and the fraction apart: `value * 1e6` would lose the sub-millisecond
    // digits to f64 rounding.
    let per_unit: i128 = if value.abs() < SECONDS_BELOW {
        1_000_000_000
    } else {
        1_000_000
    };
    let nanos =
        value.trunc() as i128 * per_unit + (value.fract() * per_unit as f64).round() as i128;
    let t = OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(to_utc_checked)?;
    if per_unit == 1_000_000 || to_millis(t).abs() < SECONDS_BELOW {
        Some(t)
    } else {
        // Seconds, but written back in milliseconds: the instant those milliseconds hold,
        // so that writing and reading again gives this instant.
        from_pta_number(to_millis(t))
    }
}

/// Milliseconds since the epoch, as PTA writes them.
pub fn to_millis(t: OffsetDateTime) -> f64 {
    let nanos = t.unix_timestamp_nanos();
    nanos.div_euclid(1_000_000) as f64 + nanos.rem_euclid(1_000_000) as f64 / 1e6
}

/// Seconds since the epoch, whole seconds and the fraction apart.
fn to_seconds(nanos: i128) -> f64 {
    nanos.div_euclid(1_000_000_000) as f64 + nanos.rem_euclid(1_000_000_000) as f64 / 1e9
}

/// `Option<OffsetDateTime>` from a PTA time number, a numeric string or `null`.
pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            None => serializer.serialize_none(),
            Some(t) => {
                let nanos = t.unix_timestamp_nanos();
                if to_millis(*t).abs() < SECONDS_BELOW {
                    // Read back as seconds: written as seconds.
                    return if nanos % 1_000_000_000 == 0 {
                        serializer.serialize_i64((nanos / 1_000_000_000) as i64)
                    } else {
                        serializer.serialize_f64(to_seconds(nanos))
                    };
                }
                if nanos % 1_000_000 == 0 {
                    serializer.serialize_i64((nanos / 1_000_000) as i64)
                } else {
                    serializer.serialize_f64(to_millis(*t))
                }
            }
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        deserializer.deserialize_any(TimeVisitor)
    }
}

struct TimeVisitor;

/// A whole number of milliseconds (or seconds, below [`SECONDS_BELOW`]), as every sample
/// sends: the instant [`from_pta_number`] gives, without the float arithmetic.
fn whole<E: de::Error>(value: i128) -> Result<Option<OffsetDateTime>, E> {
    if value.unsigned_abs() > 100_000_000_000_000_000 {
        return instant(value as f64);
    }
    let per_unit = if (value.unsigned_abs() as f64) < SECONDS_BELOW {
        1_000_000_000
    } else {
        1_000_000
    };
    OffsetDateTime::from_unix_timestamp_nanos(value * per_unit)
        .ok()
        .and_then(to_utc_checked)
        .map(Some)
        .ok_or_else(|| E::custom(format!("{value} is not a PTA time (ms or s since 1970)")))
}

fn instant<E: de::Error>(value: f64) -> Result<Option<OffsetDateTime>, E> {
    from_pta_number(value)
        .map(Some)
        .ok_or_else(|| E::custom(format!("{value} is not a PTA time (ms or s since 1970)")))
}

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = Option<OffsetDateTime>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("milliseconds (or seconds) since the Unix epoch, or null")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        whole(v.into())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        whole(v.into())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        instant(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        let plain = !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+'));
        match t.parse::<f64>() {
            Ok(n) if plain => instant(n),
            _ => Err(E::custom(format!("{v:?} is not a PTA time"))),
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(TimeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use time::macros::datetime;

    use super::*;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct T {
        #[serde(default, with = "super::option")]
        at: Option<OffsetDateTime>,
    }

    fn at(text: &str) -> Option<OffsetDateTime> {
        serde_json::from_str::<T>(text).unwrap().at
    }

    #[test]
    fn milliseconds_seconds_fractions_and_strings() {
        let t = datetime!(2020-07-15 06:19:44 UTC);
        assert_eq!(at(r#"{"at":1594793984000}"#), Some(t));
        assert_eq!(at(r#"{"at":1594793984000.0}"#), Some(t));
        assert_eq!(at(r#"{"at":"1594793984000"}"#), Some(t));
        // The seed's "represented in seconds".
        assert_eq!(at(r#"{"at":1594793984}"#), Some(t));
        assert_eq!(
            at(r#"{"at":1589466020171.5}"#),
            Some(datetime!(2020-05-14 14:20:20.1715 UTC))
        );
        assert_eq!(at(r#"{"at":null}"#), None);
        assert_eq!(at("{}"), None);
        for bad in [r#"{"at":"soon"}"#, r#"{"at":1e300}"#, r#"{"at":true}"#] {
            assert!(serde_json::from_str::<T>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_outside_four_digit_years_are_refused() {
        // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z are the bounds.
        assert_eq!(
            at(r#"{"at":-62167219200000}"#),
            Some(datetime!(0000-01-01 0:00 UTC))
        );
        assert_eq!(
            at(r#"{"at":253402300799999}"#),
            Some(datetime!(9999-12-31 23:59:59.999 UTC))
        );
        // Beyond them `time` still holds the instant, but no four-digit year writes it.
        for (text, value) in [
            (r#"{"at":-62167219200001}"#, "-62167219200001"),
            (r#"{"at":253402300800000}"#, "253402300800000"),
            (r#"{"at":"-377705116800000"}"#, "-377705116800000"),
        ] {
            let err = serde_json::from_str::<T>(text).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!(
                    "{value} is not a PTA time (ms or s since 1970) at line 1"
                )),
                "{err}"
            );
        }
    }

    /// Found by fuzzing (the PTA record target): an instant whose milliseconds are below
    /// 10^11 was written in milliseconds and read back as seconds, another instant.
    #[test]
    fn instants_near_1970_are_written_as_the_seconds_they_are_read_as() {
        for text in [
            r#"{"at":15970}"#,
            r#"{"at":-15970}"#,
            r#"{"at":15970.25}"#,
            r#"{"at":99999999.999}"#,
            r#"{"at":0}"#,
            r#"{"at":1594793984000}"#,
        ] {
            let t: T = serde_json::from_str(text).unwrap();
            let written = serde_json::to_string(&t).unwrap();
            let again: T = serde_json::from_str(&written).unwrap();
            assert_eq!(again, t, "{text} was written {written}");
        }
        let t: T = serde_json::from_str(r#"{"at":15970}"#).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"at":15970}"#);
        assert_eq!(t.at, Some(datetime!(1970-01-01 04:26:10 UTC)));
    }

    /// Found by fuzzing (the PTA record target): a fractional number of seconds was read to
    /// the nanosecond, written in milliseconds, and the nearest `f64` of those milliseconds
    /// read back as another nanosecond.
    #[test]
    fn fractional_seconds_read_back_the_same_once_written_in_milliseconds() {
        for text in [
            "1597754708.059999466",
            "1597754700.8060",
            "15977547008.060",
            "99999999999.9999",
            "-9999999999.123456789",
            "100000000.000000001",
        ] {
            let t: T = serde_json::from_str(&format!(r#"{{"at":{text}}}"#)).unwrap();
            let written = serde_json::to_string(&t).unwrap();
            let again: T = serde_json::from_str(&written).unwrap();
            assert_eq!(again, t, "{text} was written {written}");
        }
        assert_eq!(
            at(r#"{"at":1597754700.806}"#),
            Some(datetime!(2020-08-18 12:45:00.806 UTC))
        );
    }

    #[test]
    fn whole_milliseconds_are_written_as_integers() {
        let t: T = serde_json::from_str(r#"{"at":1594793984000.0}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"at":1594793984000}"#
        );
        let t: T = serde_json::from_str(r#"{"at":1589466020171.5}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"at":1589466020171.5}"#
        );
    }
}
