//! Pieces every Sentinel data object shares: `meta`, references to other objects, links,
//! ratings and timestamps.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use url::Url;

/// The metadata of an object: its type name and the URL that addresses it.
///
/// Sentinel objects carry no `id` field: the id is the last segment of
/// [`href`](Self::href) (see [`Meta::id`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Meta {
    /// The name of the object type, e.g. `"incident"`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    /// The URL reference to the object, e.g.
    /// `https://host:8443/SentinelRESTServices/objects/incident/42`.
    #[serde(rename = "@href", default, skip_serializing_if = "Option::is_none")]
    pub href: Option<ObjectRef>,
    /// Fields this version of the crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Meta {
    /// The object's id: the last path segment of [`href`](Self::href), percent-decoded.
    pub fn id(&self) -> Option<String> {
        self.href.as_ref()?.id()
    }
}

/// A reference to another Sentinel object: the URL the server gives for it, e.g.
/// `https://host:8443/SentinelRESTServices/objects/user/42`.
///
/// Sentinel presents references as URLs (7.0 DataObjectAPI: "References to other data
/// objects are presented as URLs"), either as a plain string or as `{"@href": "..."}`;
/// both decode. The text is kept exactly as sent (it is written back as a string) and
/// parsed on demand, so a server that sends something unusual does not break decoding.
/// The host in it is the one the server believes it has, which behind NAT or a proxy is
/// not the one the client talks to: the client requests references on its configured
/// origin only.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ObjectRef(String);

impl fmt::Debug for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ObjectRef {
    /// A reference from its URL text.
    pub fn new(url: impl Into<String>) -> Self {
        ObjectRef(url.into())
    }

    /// The reference as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The reference as a parsed absolute URL, when it is one.
    pub fn url(&self) -> Option<Url> {
        Url::parse(self.0.trim()).ok()
    }

    /// The path segments after `/objects/`, percent-decoded: `["user", "42"]` for
    /// `.../SentinelRESTServices/objects/user/42`. Relative references work too.
    fn object_segments(&self) -> Option<Vec<String>> {
        let base = Url::parse("http://relative.invalid/").ok()?;
        let url = base.join(self.0.trim()).ok()?;
        let segments: Vec<String> = url.path_segments()?.map(percent_decode).collect();
        let at = segments.iter().position(|s| s == "objects")?;
        Some(segments[at + 1..].to_vec())
    }

    /// The object type named by the reference: `"user"` for `.../objects/user/42`.
    pub fn object_type(&self) -> Option<String> {
        self.object_segments()?
            .into_iter()
            .next()
            .filter(|s| !s.is_empty())
    }

    /// The id named by the reference: `"42"` for `.../objects/user/42` (the last
    /// segment, percent-decoded); `None` for a collection link such as
    /// `.../objects/incident-events?query=...`.
    pub fn id(&self) -> Option<String> {
        let segments = self.object_segments()?;
        if segments.len() < 2 {
            return None;
        }
        segments.last().filter(|s| !s.is_empty()).cloned()
    }
}

/// Decodes `%XX` escapes (invalid ones are kept as they are); invalid UTF-8 is replaced.
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl From<&str> for ObjectRef {
    fn from(url: &str) -> Self {
        ObjectRef::new(url)
    }
}

impl From<String> for ObjectRef {
    fn from(url: String) -> Self {
        ObjectRef(url)
    }
}

impl Serialize for ObjectRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ObjectRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RefVisitor;

        impl<'de> Visitor<'de> for RefVisitor {
            type Value = ObjectRef;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a URL string or an object with \"@href\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<ObjectRef, E> {
                Ok(ObjectRef(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<ObjectRef, E> {
                Ok(ObjectRef(v))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ObjectRef, A::Error> {
                let mut href = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "@href" {
                        href = Some(map.next_value::<String>()?);
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                href.map(ObjectRef)
                    .ok_or_else(|| de::Error::missing_field("@href"))
            }
        }

        deserializer.deserialize_any(RefVisitor)
    }
}

/// A link object, `{"@href": "..."}`: how an incident names the collection of its events
/// (`.../objects/incident-events?query=incident-id.e42`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Link {
    /// The URL of the linked resource.
    #[serde(rename = "@href", default, skip_serializing_if = "Option::is_none")]
    pub href: Option<ObjectRef>,
    /// Fields this version of the crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A rating: a number, or text. Sentinel documents `sev-rating` as the average of the
/// event severities (sent as the string `"5"` in the documentation's sample) and
/// `crit-rating` / `vuln-rating` as "reserved for future use" (the sample sends the
/// placeholder `"Wildebeest"`). Both forms decode and are written back as they came.
#[derive(Debug, Clone, PartialEq)]
pub enum Rating {
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON string (which may hold a number).
    Text(String),
}

impl Rating {
    /// The rating as a number: the number, or the text parsed as one (`"4.5"`); `None`
    /// for text that is not a finite number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Rating::Number(n) => n.as_f64(),
            Rating::Text(t) => t.trim().parse::<f64>().ok().filter(|v| v.is_finite()),
        }
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rating::Number(n) => write!(f, "{n}"),
            Rating::Text(t) => f.write_str(t),
        }
    }
}

impl Serialize for Rating {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Rating::Number(n) => n.serialize(serializer),
            Rating::Text(t) => serializer.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Rating {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RatingVisitor;

        impl<'de> Visitor<'de> for RatingVisitor {
            type Value = Rating;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rating: a number or a string")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Rating, E> {
                Ok(Rating::Number(v.into()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Rating, E> {
                Ok(Rating::Number(v.into()))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Rating, E> {
                serde_json::Number::from_f64(v)
                    .map(Rating::Number)
                    .ok_or_else(|| E::custom(format!("{v} is not a finite number")))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Rating, E> {
                Ok(Rating::Text(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Rating, E> {
                Ok(Rating::Text(v))
            }
        }

        deserializer.deserialize_any(RatingVisitor)
    }
}

/// Sentinel's timestamps as `Option<OffsetDateTime>`: ISO 8601 in UTC with milliseconds,
/// e.g. `"2012-04-25T13:33:44.522Z"`.
///
/// Decoding is lenient: any RFC 3339 or ISO 8601 date-time with an offset, and
/// milliseconds since the epoch (a number or digits), are accepted; `null` is `None`. A
/// time is decoded in UTC, and one outside the years 0000 to 9999 in UTC is a decode error
/// (see [`to_utc_checked`](incident_core::serde_helpers::to_utc_checked)).
/// Encoding writes the documented form, UTC with exactly three fraction digits.
pub mod iso_millis_option {
    use incident_core::serde_helpers::{format_rfc3339, parse_rfc3339, to_utc_checked};
    use serde::de::{self, Deserializer, Visitor};
    use serde::ser::Serializer;
    use std::fmt;
    use time::OffsetDateTime;
    use time::format_description::well_known::Iso8601;

    /// Formats `t` as `2012-04-25T13:33:44.522Z`: UTC, milliseconds, and the sub-millisecond
    /// digits of a time read with them (Sentinel writes milliseconds), so that what was read
    /// is written back. A time outside the years 0000 to 9999 in UTC, which only a value
    /// built by hand can be, is written as the nearest of `0000-01-01T00:00:00.000Z` and
    /// `9999-12-31T23:59:59.999999999Z` (see [`format_rfc3339`]); this never panics.
    pub fn format(t: OffsetDateTime) -> String {
        format_rfc3339(t, 3)
    }

    /// Parses one timestamp in any of the accepted forms, in UTC; `None` for anything else
    /// and for an instant outside the years 0000 to 9999 in UTC.
    pub fn parse(text: &str) -> Option<OffsetDateTime> {
        let text = text.trim();
        let parsed = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            // Up to 38 digits fit an i128; the product may not.
            let ms: i128 = text.parse().ok()?;
            OffsetDateTime::from_unix_timestamp_nanos(ms.checked_mul(1_000_000)?).ok()
        } else {
            parse_rfc3339(text).or_else(|| OffsetDateTime::parse(text, &Iso8601::DEFAULT).ok())
        };
        parsed.and_then(to_utc_checked)
    }

    /// Serializes as `2012-04-25T13:33:44.522Z`, or `null`.
    ///
    /// # Errors
    ///
    /// The serializer's error.
    pub fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(t) => serializer.serialize_str(&format(*t)),
            None => serializer.serialize_none(),
        }
    }

    /// Deserializes an ISO 8601 / RFC 3339 string, epoch milliseconds, or `null`.
    ///
    /// # Errors
    ///
    /// The deserializer's error for another value, or a time outside the years 0000 to 9999.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        deserializer.deserialize_any(DateVisitor)
    }

    struct DateVisitor;

    impl<'de> Visitor<'de> for DateVisitor {
        type Value = Option<OffsetDateTime>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an ISO 8601 date-time such as 2012-04-25T13:33:44.522Z, or null")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            parse(v).map(Some).ok_or_else(|| {
                E::custom(format!(
                    "{v:?} is not an ISO 8601 date-time (or milliseconds since 1970) \
                         in the years 0000 to 9999"
                ))
            })
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            self.visit_str(&v.to_string())
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            if v < 0 {
                return Err(E::custom(format!("{v} is not a date-time")));
            }
            self.visit_str(&v.to_string())
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(DateVisitor)
        }
    }
}

/// The answer to a token request: `{"Token": "..."}`.
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    #[serde(rename = "Token", alias = "token")]
    pub(crate) token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn references_decode_from_strings_and_href_objects() {
        let r: ObjectRef = serde_json::from_str(
            r#""https://164.99.19.131:8443/SentinelRESTServices/objects/user/42""#,
        )
        .unwrap();
        assert_eq!(r.object_type().as_deref(), Some("user"));
        assert_eq!(r.id().as_deref(), Some("42"));
        assert_eq!(r.url().unwrap().port(), Some(8443));
        let r: ObjectRef =
            serde_json::from_str(r#"{"@href": "/SentinelRESTServices/objects/attachment/a%20b"}"#)
                .unwrap();
        assert_eq!(r.id().as_deref(), Some("a b"));
        assert!(r.url().is_none());
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#""/SentinelRESTServices/objects/attachment/a%20b""#
        );
        let link = ObjectRef::new(
            "https://h:8443/SentinelRESTServices/objects/incident-events?query=incident-id.e42",
        );
        assert_eq!(link.object_type().as_deref(), Some("incident-events"));
        assert_eq!(link.id(), None);
        assert_eq!(ObjectRef::new("not a url at all").id(), None);
        assert!(serde_json::from_str::<ObjectRef>("{}").is_err());
        assert!(serde_json::from_str::<ObjectRef>("5").is_err());
    }

    #[test]
    fn ratings_keep_their_form() {
        for (text, value) in [
            (r#""5""#, Some(5.0)),
            ("4.5", Some(4.5)),
            (r#""Wildebeest""#, None),
        ] {
            let r: Rating = serde_json::from_str(text).unwrap();
            assert_eq!(r.as_f64(), value, "{text}");
            assert_eq!(serde_json::to_string(&r).unwrap(), text);
        }
        assert!(serde_json::from_str::<Rating>("true").is_err());
        assert_eq!(Rating::Text("NaN".into()).as_f64(), None);
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct T {
        #[serde(default, with = "iso_millis_option")]
        at: Option<time::OffsetDateTime>,
    }

    #[test]
    fn timestamps_with_milliseconds() {
        let t: T = serde_json::from_str(r#"{"at":"2012-04-25T13:33:44.522Z"}"#).unwrap();
        assert_eq!(t.at, Some(datetime!(2012-04-25 13:33:44.522 UTC)));
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"at":"2012-04-25T13:33:44.522Z"}"#
        );
        for text in [
            r#"{"at":"2012-04-25T15:33:44.522+02:00"}"#,
            r#"{"at":1335360824522}"#,
            r#"{"at":"1335360824522"}"#,
        ] {
            let t: T = serde_json::from_str(text).unwrap();
            assert_eq!(t.at, Some(datetime!(2012-04-25 13:33:44.522 UTC)), "{text}");
        }
        let t: T = serde_json::from_str(r#"{"at":"2012-04-25T13:33:44Z"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"at":"2012-04-25T13:33:44.000Z"}"#
        );
        assert!(
            serde_json::from_str::<T>(r#"{"at":null}"#)
                .unwrap()
                .at
                .is_none()
        );
        assert!(serde_json::from_str::<T>("{}").unwrap().at.is_none());
        for bad in [r#"{"at":"yesterday"}"#, r#"{"at":-5}"#, r#"{"at":true}"#] {
            assert!(serde_json::from_str::<T>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn milliseconds_too_large_for_the_arithmetic_are_a_decode_error() {
        // 33 digits fit an i128, their product by 1,000,000 does not: a panic in a debug
        // build, a wrapped (wrong) time in a release build.
        let text = "201922337201922337203685477580836";
        assert_eq!(iso_millis_option::parse(text), None);
        let err = serde_json::from_str::<T>(&format!(r#"{{"at":"{text}"}}"#)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "\"{text}\" is not an ISO 8601 date-time (or milliseconds since 1970) \
                 in the years 0000 to 9999 at line 1 column 41"
            )
        );
        // The largest i128 and beyond.
        assert_eq!(
            iso_millis_option::parse("170141183460469231731687303715884105727"),
            None
        );
        assert_eq!(
            iso_millis_option::parse("170141183460469231731687303715884105728"),
            None
        );
        // The last millisecond of 9999 and the one after.
        assert_eq!(
            iso_millis_option::parse("253402300799999"),
            Some(datetime!(9999-12-31 23:59:59.999 UTC))
        );
        assert_eq!(iso_millis_option::parse("253402300800000"), None);
    }

    #[test]
    fn times_past_year_9999_in_utc_are_refused_and_formatting_never_panics() {
        for text in [
            "9999-12-31T23:59:59-01:00",
            "9999-12-31T23:59:59.999-00:01",
            "0000-01-01T00:00:00+01:00",
        ] {
            assert_eq!(iso_millis_option::parse(text), None, "{text}");
        }
        let t: T = serde_json::from_str(r#"{"at":"9999-12-31T22:59:59.5-01:00"}"#).unwrap();
        assert_eq!(t.at, Some(datetime!(9999-12-31 23:59:59.5 UTC)));
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"at":"9999-12-31T23:59:59.500Z"}"#
        );
        assert_eq!(
            iso_millis_option::format(datetime!(9999-12-31 23:59:59 -1)),
            "9999-12-31T23:59:59.999999999Z"
        );
        assert_eq!(
            iso_millis_option::format(datetime!(-0001-06-01 0:00 UTC)),
            "0000-01-01T00:00:00.000Z"
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
                ":",
                ".",
                "T",
            ],
        )
    }

    #[test]
    fn mangled_timestamps_never_panic_and_what_parses_writes_back() {
        for valid in [
            "2012-04-25T13:33:44.522Z",
            "9999-12-31T22:59:59.999-01:00",
            "1335360824522",
            "2012-W17-3T13:33:44Z",
        ] {
            for text in mutations(valid) {
                let outcome = std::panic::catch_unwind(|| {
                    iso_millis_option::parse(&text).map(iso_millis_option::format)
                });
                let Ok(written) = outcome else {
                    panic!("{text:?} panicked");
                };
                if let Some(written) = written {
                    assert_eq!(
                        iso_millis_option::parse(&written),
                        iso_millis_option::parse(&text),
                        "{text:?}"
                    );
                }
            }
        }
    }
}
