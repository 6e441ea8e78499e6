//! Serde helpers for the timestamp formats vendors use.

/// Milliseconds since the Unix epoch as `Option<OffsetDateTime>`.
///
/// Accepts an integer, a float with no fractional milliseconds lost (`1.7e12`), a string of
/// digits, or `null`; writes an integer. Values outside the representable range give a decode
/// error, never a panic. Use with `#[serde(default, with = "...")]`.
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
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        deserializer.deserialize_any(MillisVisitor)
    }

    struct MillisVisitor;

    fn from_millis<E: de::Error>(ms: i128) -> Result<Option<OffsetDateTime>, E> {
        OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000)
            .map(Some)
            .map_err(|_| E::custom(format!("timestamp {ms} ms is out of range")))
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
    }
}
