//! incident-core's serde helpers (times, lenient numbers, vendor enums, `Retry-After`) and
//! QRadar's `Content-Range`.

use incident_core::fuzzing::Outcome;
use incident_core::http::header::{CONTENT_RANGE, HeaderMap, HeaderValue, RETRY_AFTER};
use incident_core::serde_helpers::{
    EARLIEST_TIME, LATEST_TIME, epoch_millis_option, lenient_f64_option, lenient_i64_option,
    lenient_u64_option, lenient_u64_vec_option, to_utc_checked, to_utc_saturating,
};
use incident_core::{ApiPath, ApiRequest};
use qradar_client::ContentRange;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::paging::Bytes;
use crate::wire::check_error;

incident_core::string_enum! {
    /// A vendor enum, as the crates declare theirs.
    pub enum Status {
        /// Open.
        Open = "OPEN",
        /// In progress, in mixed case on the wire.
        InProgress = "InProgress",
        /// Closed.
        Closed = "closed",
    }
}

/// Every helper of the module on one record.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Helpers {
    #[serde(
        default,
        with = "epoch_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    at: Option<OffsetDateTime>,
    #[serde(
        default,
        with = "lenient_u64_option",
        skip_serializing_if = "Option::is_none"
    )]
    u: Option<u64>,
    #[serde(
        default,
        with = "lenient_i64_option",
        skip_serializing_if = "Option::is_none"
    )]
    i: Option<i64>,
    #[serde(
        default,
        with = "lenient_f64_option",
        skip_serializing_if = "Option::is_none"
    )]
    f: Option<f64>,
    #[serde(
        default,
        with = "lenient_u64_vec_option",
        skip_serializing_if = "Option::is_none"
    )]
    v: Option<Vec<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    e: Option<Status>,
}

/// The first byte chooses a helper: the lenient decoders on a JSON record (written and
/// read back unchanged), a vendor enum on a string, a time at any offset brought to UTC, or
/// a `Retry-After` header.
///
/// # Panics
///
/// On a bug only, as every target (see [the crate](crate)).
pub fn serde_helpers(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    match kind % 4 {
        0 => {
            let Ok(record) = serde_json::from_slice::<Helpers>(rest) else {
                return;
            };
            if let Some(at) = record.at {
                assert_eq!(
                    to_utc_checked(at),
                    Some(at),
                    "a decoded time is in range, in UTC"
                );
            }
            let text = serde_json::to_string(&record).expect("a decoded record is written");
            let again: Helpers = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("a written record does not decode ({e}): {text}"));
            assert_eq!(again, record, "{text}");
        }
        1 => {
            let text = String::from_utf8_lossy(rest).into_owned();
            let status = Status::from(text.clone());
            if status.is_unknown() {
                assert_eq!(status.as_str(), text, "an unknown value is kept as sent");
            } else {
                assert!(status.as_str().eq_ignore_ascii_case(&text));
            }
            assert_eq!(Status::from_wire(&text), status);
            assert_eq!(text.parse::<Status>(), Ok(status.clone()));
            let json = serde_json::to_string(&status).expect("an enum is written");
            let again: Status = serde_json::from_str(&json).expect("a written enum decodes");
            assert_eq!(again, status);
        }
        2 => {
            let mut r = Bytes::new(rest);
            let day = i32::from_be_bytes([r.byte(), r.byte(), r.byte(), r.byte()]);
            let (min, max) = (Date::MIN.to_julian_day(), Date::MAX.to_julian_day());
            let day = min + day.rem_euclid(max - min + 1);
            let date = Date::from_julian_day(day).expect("a day in range");
            let nanos = u32::from_be_bytes([r.byte(), r.byte(), r.byte(), r.byte()]);
            let time = Time::from_hms_nano(
                r.byte() % 24,
                r.byte() % 60,
                r.byte() % 60,
                nanos % 1_000_000_000,
            )
            .expect("a time of day");
            let offset = UtcOffset::from_hms(
                (r.byte() % 51) as i8 - 25,
                (r.byte() % 119) as i8 - 59,
                (r.byte() % 119) as i8 - 59,
            )
            .unwrap_or(UtcOffset::UTC);
            let at = PrimitiveDateTime::new(date, time).assume_offset(offset);
            let saturated = to_utc_saturating(at);
            assert!((EARLIEST_TIME..=LATEST_TIME).contains(&saturated));
            assert_eq!(saturated.offset(), UtcOffset::UTC);
            if let Some(utc) = to_utc_checked(at) {
                assert_eq!(utc, saturated);
                assert_eq!(utc, at, "the same instant");
            }
        }
        _ => {
            let mut headers = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_bytes(rest) {
                headers.insert(RETRY_AFTER, value);
            }
            let _ = incident_core::retry::parse_retry_after(&headers);
        }
    }
}

/// QRadar's `Content-Range`: parsed alone, then as the header of a list answer (whose body
/// is empty unless the input has a second line).
///
/// # Panics
///
/// On a bug only, as every target (see [the crate](crate)).
pub fn content_range(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (header, body) = text.split_once('\n').unwrap_or((&text, "[]"));
    let parsed = ContentRange::parse(header);
    match parsed {
        Some(ContentRange::Items { start, end, total }) => {
            assert!(start <= end, "{header:?}");
            let total_text = total.map_or("*".to_owned(), |t| t.to_string());
            let again = ContentRange::parse(&format!("items {start}-{end}/{total_text}"));
            assert_eq!(again, parsed, "{header:?}");
        }
        Some(ContentRange::Unsatisfied { total }) => {
            let total_text = total.map_or("*".to_owned(), |t| t.to_string());
            assert_eq!(
                ContentRange::parse(&format!("items */{total_text}")),
                parsed
            );
        }
        _ => {}
    }
    let _ = parsed.map(|r| r.total());
    let Ok(value) = HeaderValue::from_str(header) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_RANGE, value);
    let request = ApiRequest::get(ApiPath::new("/siem/offenses"));
    let response = crate::vendors::qradar_answer(&request, headers, body.as_bytes().to_vec());
    let Outcome::Done(response) = response else {
        return;
    };
    match qradar_client::fuzzing::decode_page::<serde_json::Value>(&response, None) {
        Ok(page) => {
            assert_eq!(page.content_range, parsed);
            if let Some(next) = page.next_start() {
                assert!(page.total().is_none_or(|t| next < t));
            }
        }
        Err(error) => check_error(&error),
    }
}
