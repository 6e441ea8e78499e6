//! What a list request says, and what frames its answer: QRadar's `filter`, `fields` and
//! `sort` parameters with an endpoint's own flags, the `Range: items=start-end` header, the
//! `Content-Range` of the answer and the page they frame.

use incident_core::http::{HeaderName, HeaderValue};
use incident_core::paging::{Items, decode_page};
use incident_core::{ApiRequest, ApiResponse, Error, Result};
use serde::de::DeserializeOwned;

use super::Filter;
use crate::client::VENDOR;

/// The parameters of a list request, as QRadar documents them for every collection.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListParams {
    pub(crate) filter: Option<Filter>,
    pub(crate) fields: Option<String>,
    pub(crate) sort: Option<String>,
    pub(crate) range: Option<Range>,
    /// The parameters of one endpoint (`include_reserved`), with the last value set.
    flags: Vec<(&'static str, String)>,
}

impl ListParams {
    /// Sets a parameter of one endpoint; the last value set is the one sent.
    pub(crate) fn flag(&mut self, name: &'static str, value: String) {
        self.flags.retain(|(n, _)| *n != name);
        self.flags.push((name, value));
    }

    /// `request` with these parameters, asking for `range`; a filter or a range that cannot
    /// be written is refused.
    pub(crate) fn apply(&self, request: ApiRequest, range: Option<Range>) -> Result<ApiRequest> {
        if let Some(filter) = &self.filter {
            filter.validate()?;
        }
        let mut request = request
            .query_opt("filter", self.filter.as_ref().map(Filter::to_string))
            .query_opt("fields", self.fields.clone())
            .query_opt("sort", self.sort.clone());
        for (name, value) in &self.flags {
            request = request.query(*name, value.clone());
        }
        if let Some(range) = range {
            let (name, value) = range.header()?;
            request = request.header(name, value);
        }
        Ok(request)
    }
}

/// How many positions `start..=end` holds; `None` when that is not a `u64`.
fn span(start: u64, end: u64) -> Option<u64> {
    end.checked_sub(start)?.checked_add(1)
}

/// The `Range: items=start-end` request header: positions `start..=end`, zero-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Range {
    pub(crate) start: u64,
    pub(crate) end: u64,
}

impl Range {
    /// How many items the range asks for; `None` when that is not a `u64` (`0-18446744073709551615`).
    pub(crate) fn len(self) -> Option<u64> {
        span(self.start, self.end)
    }

    /// The header as sent; an end before the start is refused.
    pub(crate) fn header(self) -> Result<(HeaderName, HeaderValue)> {
        let Range { start, end } = self;
        if end < start {
            return Err(Error::invalid_input(
                "range",
                format!("the range end {end} is before its start {start}"),
            ));
        }
        let value = HeaderValue::from_str(&format!("items={start}-{end}"))
            .map_err(|_| Error::invalid_input("range", "unencodable range"))?;
        Ok((HeaderName::from_static("range"), value))
    }
}

/// The `Content-Range` of a list answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentRange {
    /// `items start-end/total`: the items at positions `start..=end` (zero-based).
    Items {
        /// First position.
        start: u64,
        /// Last position (inclusive).
        end: u64,
        /// How many items match in total; `None` when the server sent `*`.
        total: Option<u64>,
    },
    /// `items */total`: the requested range starts past the last item.
    Unsatisfied {
        /// How many items match in total.
        total: Option<u64>,
    },
}

impl ContentRange {
    /// Parses `items 0-49/120` and `items */3` (also `*` as total, and the `items=` form some
    /// proxies write).
    pub fn parse(value: &str) -> Option<ContentRange> {
        let rest = value.trim().strip_prefix("items")?.trim_start();
        let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
        let (range, total) = rest.split_once('/')?;
        let total = match total.trim() {
            "*" => None,
            t => Some(t.parse().ok()?),
        };
        let range = range.trim();
        if range == "*" {
            return Some(ContentRange::Unsatisfied { total });
        }
        let (start, end) = range.split_once('-')?;
        let start: u64 = start.trim().parse().ok()?;
        let end: u64 = end.trim().parse().ok()?;
        (end >= start).then_some(ContentRange::Items { start, end, total })
    }

    /// How many items match in total, when known.
    pub fn total(&self) -> Option<u64> {
        match self {
            ContentRange::Items { total, .. } | ContentRange::Unsatisfied { total } => *total,
        }
    }

    /// Whether a page of `count` items is what this range announces.
    pub(crate) fn holds(&self, count: u64) -> bool {
        match *self {
            ContentRange::Items { start, end, .. } => span(start, end) == Some(count),
            ContentRange::Unsatisfied { .. } => count == 0,
        }
    }
}

/// One page of a list answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The parsed `Content-Range` header, when the server sent one (it does when the request
    /// had a `Range`).
    pub content_range: Option<ContentRange>,
}

impl<T: DeserializeOwned> Page<T> {
    /// Reads a list answer asked with `asked` items at most (`None`: no `Range` was sent).
    ///
    /// More items than asked is a protocol error raised before they are decoded
    /// (incident-core's [`decode_page`](incident_core::paging::decode_page)); so is a
    /// `Content-Range` that cannot be read or does not match the items.
    pub(crate) fn decode(response: &ApiResponse, asked: Option<u64>) -> Result<Page<T>> {
        let raw = response.header_str("content-range");
        let content_range = raw
            .map(|raw| {
                ContentRange::parse(raw).ok_or_else(|| {
                    Error::protocol(VENDOR, format!("unreadable Content-Range header {raw:?}"))
                })
            })
            .transpose()?;
        let items = decode_page::<Items<T>>(response, asked)?.into_vec();
        if content_range.is_some_and(|r| !r.holds(items.len() as u64)) {
            let (raw, count) = (raw.unwrap_or_default(), items.len());
            let message =
                format!("Content-Range {raw:?} does not match the {count} items of the page");
            return Err(Error::protocol(VENDOR, message));
        }
        Ok(Page {
            items,
            content_range,
        })
    }
}

impl<T> Page<T> {
    /// How many items match in total, when the server said.
    pub fn total(&self) -> Option<u64> {
        self.content_range.and_then(|r| r.total())
    }

    /// The start of the next page, or `None` when this page is the last one.
    pub fn next_start(&self) -> Option<u64> {
        match self.content_range? {
            // Nothing follows the last position a `u64` can hold.
            ContentRange::Items { end, total, .. } => {
                let next = end.checked_add(1)?;
                total.is_none_or(|total| next < total).then_some(next)
            }
            ContentRange::Unsatisfied { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_forms() {
        assert_eq!(
            ContentRange::parse("items 0-49/120"),
            Some(ContentRange::Items {
                start: 0,
                end: 49,
                total: Some(120)
            })
        );
        assert_eq!(
            ContentRange::parse("items */3"),
            Some(ContentRange::Unsatisfied { total: Some(3) })
        );
        assert_eq!(
            ContentRange::parse(" items 5-9/* "),
            Some(ContentRange::Items {
                start: 5,
                end: 9,
                total: None
            })
        );
        assert_eq!(
            ContentRange::parse("items=0-4/5"),
            Some(ContentRange::Items {
                start: 0,
                end: 4,
                total: Some(5)
            })
        );
        for bad in [
            "",
            "items",
            "bytes 0-1/2",
            "items 4-1/9",
            "items a-b/3",
            "items 0-1/x",
            "items 0-1",
        ] {
            assert_eq!(ContentRange::parse(bad), None, "{bad}");
        }
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
                "/",
                "*",
                "=",
            ],
        )
    }

    #[test]
    fn mangled_content_ranges_never_panic() {
        for valid in [
            "items 0-49/120",
            "items */3",
            "items=18446744073709551614-18446744073709551615/*",
        ] {
            for text in mutations(valid) {
                let outcome = std::panic::catch_unwind(|| {
                    let range = ContentRange::parse(&text);
                    let page = Page::<u8> {
                        items: vec![],
                        content_range: range,
                    };
                    (page.total(), page.next_start())
                });
                assert!(outcome.is_ok(), "Content-Range {text:?} panicked");
            }
        }
        let last = ContentRange::parse("items 18446744073709551615-18446744073709551615/*");
        let page = Page::<u8> {
            items: vec![],
            content_range: last,
        };
        assert_eq!(page.next_start(), None, "nothing follows u64::MAX");
    }

    #[test]
    fn next_start() {
        let page = |r| Page::<u8> {
            items: vec![],
            content_range: r,
        };
        assert_eq!(
            page(ContentRange::parse("items 0-49/120")).next_start(),
            Some(50)
        );
        assert_eq!(
            page(ContentRange::parse("items 100-119/120")).next_start(),
            None
        );
        assert_eq!(page(ContentRange::parse("items */120")).next_start(), None);
        assert_eq!(
            page(ContentRange::parse("items 0-9/*")).next_start(),
            Some(10)
        );
        assert_eq!(page(None).next_start(), None);
        // Server numbers at the end of u64 do not overflow.
        let max = u64::MAX;
        assert_eq!(
            page(ContentRange::parse(&format!("items 0-{max}/*"))).next_start(),
            None
        );
        assert_eq!(
            page(ContentRange::parse(&format!("items 0-{max}/{max}"))).next_start(),
            None
        );
        assert_eq!(
            Range { start: 0, end: max }.len(),
            None,
            "a range of 2^64 items has no u64 length"
        );
        assert_eq!(Range { start: 3, end: 4 }.len(), Some(2));
    }
}
