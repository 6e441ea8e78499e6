//! The objects an incident refers to: its events (`incident-events`), external data and
//! annotations (its notes), and the `page` container of every list answer.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use incident_core::serde_helpers::lenient_i64_option;

use super::common::{Meta, ObjectRef, iso_millis_option};

/// One page of a list answer: `{"objects": [...], "next": URL, "prev": URL}`.
///
/// `next` and `prev` are absolute URLs built by the server (with the host it believes it
/// has); follow them through this crate's streams, which request them on the configured
/// origin only.
///
/// The objects are decoded within the bound of the answer (incident-core's
/// [`items_and_rest`](incident_core::paging::items_and_rest)): a list request holds its page
/// to the page size it asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The objects of this page (an answer without `objects` is an empty page).
    pub objects: Vec<T>,
    /// The URL of the next page, when the server sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The URL of the previous page, when the server sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// Fields this version of the crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The members of a page besides `objects`.
#[derive(Deserialize)]
struct PageRest {
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    prev: Option<String>,
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Page<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (objects, rest) =
            incident_core::paging::items_and_rest::<_, _, PageRest>(d, "objects")?;
        Ok(Page {
            objects,
            next: rest.next,
            prev: rest.prev,
            extra: rest.extra,
        })
    }
}

/// What names a Sentinel object in a walk: the URL of its `meta` and its `moddate`, so
/// that a page of objects already delivered, unchanged, is recognized.
pub trait Listed {
    /// The object's URL and last modification time; `None` without a URL (a `field`
    /// selection that left `meta` out).
    fn identity(&self) -> Option<(String, Option<i128>)>;
}

macro_rules! listed {
    ($($t:ty),*) => {$(
        impl Listed for $t {
            fn identity(&self) -> Option<(String, Option<i128>)> {
                let href = self.meta.as_ref()?.href.as_ref()?.as_str().to_owned();
                Some((href, self.moddate.map(|t| t.unix_timestamp_nanos())))
            }
        }
    )*};
}
listed!(super::Incident, IncidentEvent, ExternalData, Annotation);

/// The association of an event with an incident
/// (`/SentinelRESTServices/objects/incident-events/{event-uuid}/{incident-id}`; 7.0
/// reference, `incident-eventsinstance-ops`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IncidentEvent {
    /// The object's type name and URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// The event's UUID (upper case in `@href`, lower case in request URLs in the
    /// documentation's sample: compare without regard to case).
    #[serde(rename = "event-id", default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The incident's id, a number (digit strings are accepted).
    #[serde(
        rename = "incident-id",
        default,
        with = "lenient_i64_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub incident_id: Option<i64>,
    /// When the event happened.
    #[serde(
        rename = "event-time",
        default,
        with = "iso_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_time: Option<OffsetDateTime>,
    /// When the association was created.
    #[serde(
        default,
        with = "iso_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub createdate: Option<OffsetDateTime>,
    /// When the association was last modified.
    #[serde(
        default,
        with = "iso_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub moddate: Option<OffsetDateTime>,
    /// Fields this version of the crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// An external data item of an incident
/// (`/SentinelRESTServices/objects/external-data/{ExternalDataId}`; 7.0 reference,
/// `external-datainstance-ops`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExternalData {
    /// The object's type name and URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// The item's id in the system it comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<serde_json::Value>,
    /// The system the data comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The data itself, as the source wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
    /// The kind of data.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// When the item was created.
    #[serde(
        default,
        with = "iso_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub createdate: Option<OffsetDateTime>,
    /// When the item was last modified.
    #[serde(
        default,
        with = "iso_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub moddate: Option<OffsetDateTime>,
    /// The user who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<ObjectRef>,
    /// The user who last modified it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modifier: Option<ObjectRef>,
    /// Fields this version of the crate does not model, kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// An annotation: what an incident's `annotations` and `notes` lists refer to
/// (`/SentinelRESTServices/objects/annotation/{id}`).
///
/// The public documentation shows these references but not the annotation object itself:
/// only the fields every Sentinel data object has are modelled (`meta`, the dates, creator
/// and modifier); everything else the server sends (the text of the note, for one) is in
/// [`Annotation::extra`], and [`Annotation::text`] looks for it under the usual names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Annotation {
    /// The object's type name and URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// When it was created.
    #[serde(
        default,
        with = "iso_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub createdate: Option<OffsetDateTime>,
    /// When it was last modified.
    #[serde(
        default,
        with = "iso_millis_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub moddate: Option<OffsetDateTime>,
    /// The user who wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<ObjectRef>,
    /// The user who last changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modifier: Option<ObjectRef>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Annotation {
    /// The annotation's text: the first string among the fields `text`, `note`, `content`,
    /// `body`, `desc` and `value` (the object is not publicly documented).
    pub fn text(&self) -> Option<&str> {
        ["text", "note", "content", "body", "desc", "value"]
            .iter()
            .find_map(|k| self.extra.get(*k)?.as_str())
    }
}
