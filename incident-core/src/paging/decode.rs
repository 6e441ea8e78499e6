//! Decoding the items of an answer with a bound on their number, counted while decoding.
//!
//! A lying server can send two million `{}` where 25 records were asked for: five megabytes
//! of JSON that would become hundreds of megabytes of records. The items of every answer are
//! therefore decoded through [`bounded`] (a field's `deserialize_with`) or [`Items`] (a bare
//! array), which count them as they go and stop at the first item past the bound, before it
//! is decoded or kept.
//!
//! The bound is set by whoever decodes the answer, not by the model type:
//! - [`ApiResponse::json`] decodes with the transport's ceiling for any answer
//!   ([`TransportBuilder::max_items_per_answer`](crate::TransportBuilder::max_items_per_answer),
//!   default [`DEFAULT_MAX_ITEMS_PER_ANSWER`]), so that no answer of any operation can hold
//!   more items than that, whatever the operation;
//! - [`decode_page`] decodes a page with the number of items that page asked for (or the
//!   ceiling, whichever is lower): one item more is an [`Error::Protocol`] raised before that
//!   item is decoded.
//!
//! Every array decoded through [`bounded`] or [`Items`] in one answer counts towards the same
//! bound. Outside an answer (a caller decoding JSON of its own with `serde_json`), nothing is
//! counted.
//!
//! ```
//! use incident_core::paging::bounded;
//! use serde::Deserialize;
//!
//! /// `{"incidents": [...], "nextPageToken": "..."}`
//! #[derive(Deserialize)]
//! struct IncidentsPage {
//!     #[serde(default, deserialize_with = "bounded")]
//!     incidents: Vec<serde_json::Value>,
//!     #[serde(rename = "nextPageToken", default)]
//!     next_page_token: Option<String>,
//! }
//! # let page: IncidentsPage = serde_json::from_str(r#"{"incidents":[{}],"nextPageToken":"a"}"#).unwrap();
//! # assert_eq!(page.incidents.len(), 1);
//! ```

use crate::vendor::Vendor;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::transport::ApiResponse;

/// How many items one answer may hold, whatever the operation, unless
/// [`TransportBuilder::max_items_per_answer`](crate::TransportBuilder::max_items_per_answer)
/// says otherwise: far more than any documented page, few enough that the records of one
/// answer stay within tens of megabytes.
pub const DEFAULT_MAX_ITEMS_PER_ANSWER: u64 = 100_000;

/// Room reserved up front for the items of an array: enough for common pages, small enough
/// for an array that is short.
const PREALLOCATE: usize = 1024;

/// The bound of the answer being decoded on this thread. Decoding is synchronous, so the
/// bound set around one `serde_json` call is the bound of exactly that answer.
#[derive(Debug, Clone, Copy)]
struct Bound {
    /// Items allowed in the whole answer.
    max: usize,
    /// Items decoded so far.
    decoded: usize,
    /// An item past `max` was found.
    exceeded: bool,
}

thread_local! {
    static BOUND: Cell<Option<Bound>> = const { Cell::new(None) };
}

/// What decoding within a bound came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counted {
    /// Items decoded through [`bounded`] and [`Items`].
    pub(crate) decoded: usize,
    /// An item past the bound was found (and decoding stopped there).
    pub(crate) exceeded: bool,
}

/// Runs `decode` with at most `max` items allowed in the arrays it decodes through
/// [`bounded`] and [`Items`]; restores the enclosing bound afterwards.
pub(crate) fn within<R>(max: u64, decode: impl FnOnce() -> R) -> (R, Counted) {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let outer = BOUND.with(|b| {
        b.replace(Some(Bound {
            max,
            decoded: 0,
            exceeded: false,
        }))
    });
    // Restores the enclosing bound even if `decode` unwinds.
    struct Restore(Option<Bound>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0;
            BOUND.with(|b| b.set(outer));
        }
    }
    let restore = Restore(outer);
    let result = decode();
    let inner = BOUND.with(Cell::get);
    drop(restore);
    let counted = inner.map_or(
        Counted {
            decoded: 0,
            exceeded: false,
        },
        |b| Counted {
            decoded: b.decoded,
            exceeded: b.exceeded,
        },
    );
    (result, counted)
}

/// Starts the count of the current answer again, for a second decoding of the same body
/// (the slow path that finds the JSON path of a failure).
pub(crate) fn restart_count() {
    BOUND.with(|b| {
        if let Some(bound) = b.get() {
            b.set(Some(Bound {
                decoded: 0,
                exceeded: false,
                ..bound
            }));
        }
    });
}

/// How many more items the current answer may hold: `None` outside an answer.
fn remaining() -> Option<usize> {
    BOUND.with(|b| b.get().map(|b| b.max.saturating_sub(b.decoded)))
}

fn count_one() {
    BOUND.with(|b| {
        if let Some(mut bound) = b.get() {
            bound.decoded = bound.decoded.saturating_add(1);
            b.set(Some(bound));
        }
    });
}

/// Marks the answer as holding more than its bound; returns the bound.
fn exceeded() -> usize {
    BOUND.with(|b| match b.get() {
        Some(mut bound) => {
            bound.exceeded = true;
            b.set(Some(bound));
            bound.max
        }
        None => usize::MAX,
    })
}

/// Decodes a JSON array of items within the bound of the answer being decoded (see the
/// [module documentation](self)): for `#[serde(deserialize_with = "bounded")]` on the
/// `Vec<T>` field that holds a page's items. `null` is an empty list.
///
/// Decoding stops with an error at the first item past the bound, before that item is
/// decoded; [`decode_page`] and [`ApiResponse::json`] report it as an [`Error::Protocol`].
///
/// # Errors
///
/// The deserializer's error for a value that is neither an array nor `null`, an item that
/// does not decode as `T`, or an item past the bound.
pub fn bounded<'de, D, T>(deserializer: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_option(OptionalItems(PhantomData))
}

struct OptionalItems<T>(PhantomData<fn() -> T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for OptionalItems<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of items or null")
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Vec<T>, D::Error> {
        d.deserialize_seq(ItemsVisitor(PhantomData))
    }
}

struct ItemsVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ItemsVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Vec<T>, A::Error> {
        let Some(first_room) = remaining() else {
            // Not an answer: the caller's own JSON, decoded as a plain `Vec`.
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(PREALLOCATE));
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            return Ok(items);
        };
        let mut items = Vec::with_capacity(first_room.min(PREALLOCATE));
        loop {
            if remaining().unwrap_or(usize::MAX) == 0 {
                // At the bound: one more element, of any shape, is one too many. It is
                // skipped, not decoded as an item.
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    let max = exceeded();
                    return Err(de::Error::custom(format_args!("more than {max} items")));
                }
                return Ok(items);
            }
            match seq.next_element()? {
                Some(item) => {
                    items.push(item);
                    count_one();
                }
                None => return Ok(items),
            }
        }
    }
}

/// Decodes a page envelope: a JSON object whose member `items_key` holds the items
/// (decoded as by [`bounded`]) and whose other members (cursors, totals, anything else) are
/// decoded as `R`, for a `Deserialize` impl written by hand.
///
/// Use it instead of `#[serde(flatten)]` on a page type: a derived `Deserialize` with a
/// flattened member buffers the whole object, items included, before decoding any of it,
/// so two million `{}` would be held in memory before the first is counted. Here the items
/// are decoded as they arrive and only the other members are buffered, as JSON values.
///
/// ```
/// use incident_core::paging::items_and_rest;
/// use serde::{Deserialize, Deserializer};
/// use serde_json::{Map, Value};
///
/// /// `{"incidents": [...], "nextPageToken": "...", ...}`
/// struct IncidentsPage {
///     incidents: Vec<Value>,
///     next_page_token: Option<String>,
///     extra: Map<String, Value>,
/// }
///
/// #[derive(Deserialize)]
/// struct Rest {
///     #[serde(rename = "nextPageToken", default)]
///     next_page_token: Option<String>,
///     #[serde(flatten)]
///     extra: Map<String, Value>,
/// }
///
/// impl<'de> Deserialize<'de> for IncidentsPage {
///     fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
///         let (incidents, rest) = items_and_rest::<_, _, Rest>(d, "incidents")?;
///         Ok(IncidentsPage {
///             incidents,
///             next_page_token: rest.next_page_token,
///             extra: rest.extra,
///         })
///     }
/// }
/// let page: IncidentsPage =
///     serde_json::from_str(r#"{"nextPageToken":"b","incidents":[{}],"totalSize":3}"#).unwrap();
/// assert_eq!((page.incidents.len(), page.next_page_token.as_deref()), (1, Some("b")));
/// assert_eq!(page.extra["totalSize"], 3);
/// ```
///
/// # Errors
///
/// The deserializer's error for a value that is not an object, a second `items_key`, an item
/// past the bound, or members that do not decode as `T` or `R`.
pub fn items_and_rest<'de, D, T, R>(
    deserializer: D,
    items_key: &'static str,
) -> std::result::Result<(Vec<T>, R), D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
    R: DeserializeOwned,
{
    deserializer.deserialize_map(Envelope {
        items_key,
        _marker: PhantomData,
    })
}

struct Envelope<T, R> {
    items_key: &'static str,
    _marker: PhantomData<fn() -> (T, R)>,
}

impl<'de, T: Deserialize<'de>, R: DeserializeOwned> Visitor<'de> for Envelope<T, R> {
    type Value = (Vec<T>, R);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with `{}`", self.items_key)
    }

    fn visit_map<A: de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut items = None;
        let mut rest = serde_json::Map::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.items_key {
                if items.is_some() {
                    return Err(de::Error::duplicate_field(self.items_key));
                }
                items = Some(map.next_value::<OptionalItemsSeed<T>>()?.0);
            } else {
                rest.insert(key.into_owned(), map.next_value()?);
            }
        }
        let rest = R::deserialize(serde_json::Value::Object(rest)).map_err(de::Error::custom)?;
        Ok((items.unwrap_or_default(), rest))
    }
}

/// A `Vec<T>` decoded as by [`bounded`], as a value of its own (for `next_value`).
struct OptionalItemsSeed<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OptionalItemsSeed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        bounded(d).map(OptionalItemsSeed)
    }
}

/// A bare JSON array of items (QRadar's lists, PTA's event list), decoded within the bound
/// of the answer like a [`bounded`] field. Dereferences to the `Vec`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Items<T>(pub Vec<T>);

impl<T> Items<T> {
    /// The items.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T> std::ops::Deref for Items<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Items<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_seq(ItemsVisitor(PhantomData)).map(Items)
    }
}

impl<T> IntoIterator for Items<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Decodes one page of a listing: the answer's body as `B`, whose item arrays are decoded
/// through [`bounded`] or [`Items`], with at most `max_items` items (the page size asked
/// for; `None` for the transport's ceiling, also the upper limit of `max_items`).
///
/// # Errors
///
/// One item past the bound is an [`Error::Protocol`] raised before that item is decoded, so
/// that a page of millions of `{}` for a request of 50 costs 50 records, not millions. A
/// malformed body is an [`Error::Decode`] with the JSON path of the failure, as from
/// [`ApiResponse::json`].
pub fn decode_page<B: DeserializeOwned>(
    response: &ApiResponse,
    max_items: Option<u64>,
) -> Result<B> {
    let ceiling = response.max_items();
    let max = max_items.map_or(ceiling, |m| m.min(ceiling));
    let (decoded, counted) = within(max, || response.decode_within_bound::<B>());
    match decoded {
        Err(_) if counted.exceeded => Err(too_many(response.vendor(), max, max_items)),
        other => other,
    }
}

/// Decodes an unpaged answer (PTA's list of every security event) whose items are held to a
/// client-side limit: the body as `B`, whose item arrays are decoded through [`bounded`] or
/// [`Items`], with at most `limit` items. One item more is an [`Error::LimitExceeded`]
/// naming `what` (say how to raise the limit there), raised before that item is decoded.
/// `limit` replaces the transport's
/// [`max_items_per_answer`](crate::TransportBuilder::max_items_per_answer) for this answer.
///
/// # Errors
///
/// [`Error::LimitExceeded`] for more than `limit` items; [`Error::Decode`] for a body that is
/// not a `B`.
pub fn decode_limited<B: DeserializeOwned>(
    response: &ApiResponse,
    limit: u64,
    what: &'static str,
) -> Result<B> {
    let (decoded, counted) = within(limit, || response.decode_within_bound::<B>());
    match decoded {
        Err(_) if counted.exceeded => Err(Error::LimitExceeded {
            vendor: response.vendor(),
            what,
            limit,
        }),
        other => other,
    }
}

/// The error of an answer holding more items than `max`.
pub(crate) fn too_many(vendor: Vendor, max: u64, asked: Option<u64>) -> Error {
    let message = match asked {
        Some(asked) if asked <= max => {
            format!("a page holds more than the {max} items asked for")
        }
        _ => format!(
            "an answer holds more than {max} items, the most one answer may hold \
             (TransportBuilder::max_items_per_answer)"
        ),
    };
    Error::Protocol { vendor, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Page {
        #[serde(default, deserialize_with = "bounded")]
        items: Vec<u8>,
        #[serde(default, deserialize_with = "bounded")]
        more: Vec<u8>,
    }

    fn page(json: &str, max: u64) -> (std::result::Result<Page, String>, Counted) {
        let (r, c) = within(max, || serde_json::from_str::<Page>(json));
        (r.map_err(|e| e.to_string()), c)
    }

    #[test]
    fn counts_while_decoding_and_stops_before_the_extra_item() {
        let (r, c) = page(r#"{"items":[1,2]}"#, 2);
        assert_eq!(r.unwrap().items, [1, 2]);
        assert_eq!(
            c,
            Counted {
                decoded: 2,
                exceeded: false
            }
        );
        // The extra item is not decoded as a `u8`: its shape does not matter.
        let (r, c) = page(r#"{"items":[1,2,"x"]}"#, 2);
        assert!(r.unwrap_err().contains("more than 2 items"));
        assert!(c.exceeded);
        // A wrong item within the bound is an ordinary decode error.
        let (r, c) = page(r#"{"items":[1,"x"]}"#, 2);
        assert!(r.unwrap_err().contains("invalid type"));
        assert!(!c.exceeded);
    }

    #[test]
    fn every_array_of_an_answer_counts_towards_one_bound() {
        let (r, c) = page(r#"{"items":[1,2],"more":[3]}"#, 3);
        let p = r.unwrap();
        assert_eq!((p.items.len(), p.more.len(), c.decoded), (2, 1, 3));
        let (r, c) = page(r#"{"items":[1,2],"more":[3,4]}"#, 3);
        assert!(r.is_err() && c.exceeded);
        let (r, _) = page(r#"{"items":null}"#, 0);
        assert!(r.unwrap().items.is_empty());
    }

    #[test]
    fn outside_an_answer_nothing_is_counted() {
        let p: Page = serde_json::from_str(r#"{"items":[1,2,3,4,5]}"#).unwrap();
        assert_eq!(p.items.len(), 5);
        let items: Items<u8> = serde_json::from_str("[1,2,3]").unwrap();
        assert_eq!(*items, [1, 2, 3]);
    }

    #[test]
    fn bounds_nest_and_are_restored() {
        let (outer, c) = within(1, || {
            let (inner, c) = within(5, || serde_json::from_str::<Items<u8>>("[1,2,3]"));
            assert_eq!((inner.unwrap().len(), c.decoded), (3, 3));
            serde_json::from_str::<Items<u8>>("[1,2]")
        });
        assert!(outer.is_err() && c.exceeded);
        assert_eq!(remaining(), None);
        // A panic inside restores the bound too.
        let caught = std::panic::catch_unwind(|| within(1, || panic!("boom")));
        assert!(caught.is_err());
        assert_eq!(remaining(), None);
    }

    #[test]
    fn a_huge_page_costs_the_items_asked_for() {
        let json = format!("[{}{{}}]", "{},".repeat(200_000));
        let (r, c) = within(25, || {
            serde_json::from_str::<Items<serde_json::Map<String, serde_json::Value>>>(&json)
        });
        assert!(r.is_err());
        assert_eq!(
            c,
            Counted {
                decoded: 25,
                exceeded: true
            }
        );
    }
}
