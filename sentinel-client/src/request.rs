//! What every Sentinel call shares: lists with `query`, `field`, `page` and `pagesize`,
//! streams that follow `next` links safely or fall back to page numbers, and JSON bodies
//! without `\u` escapes.

use std::marker::PhantomData;
use std::sync::Arc;

use futures::stream::BoxStream;
use incident_core::paging::{Page as CorePage, Paginator};
use incident_core::{ApiPath, ApiRequest, Error, Result, Transport};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::client::VENDOR;
use crate::model::{Listed, Page};

/// The page size lists and streams ask for unless told otherwise. Sentinel's own default
/// is *unlimited* (every matching object in one answer), so a `pagesize` is always sent.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// Sends `body` as JSON, refusing it before sending when it would hold a `\u` escape:
/// Sentinel's JSON parser rejects them with a 400. `serde_json` writes non-ASCII text as
/// UTF-8, so only control characters other than `\n`, `\r`, `\t`, `\b` and `\f` (which
/// JSON can only write as `\u00XX`) are refused.
pub(crate) fn with_json<T: Serialize + ?Sized>(
    request: ApiRequest,
    body: &T,
) -> Result<ApiRequest> {
    let request = request.json(body)?;
    if let Some(incident_core::transport::RequestBody::Json(bytes)) = request.body()
        && has_unicode_escape(bytes)
    {
        return Err(Error::invalid_input(
            "request body",
            "a text holds a control character, which JSON can only write as a \\u escape, \
             and Sentinel refuses \\u escapes",
        ));
    }
    Ok(request)
}

/// Whether serialized JSON holds a `\uXXXX` escape (an escaped backslash followed by `u`
/// is not one).
pub fn has_unicode_escape(json: &[u8]) -> bool {
    let mut bytes = json.iter();
    while let Some(&b) = bytes.next() {
        if b == b'\\' {
            match bytes.next() {
                Some(b'u') => return true,
                Some(_) => {}
                None => return false,
            }
        }
    }
    false
}

/// How a walk asks for its pages: the collection, its parameters (`query`, `field`...)
/// and the page size; `page` and `pagesize` are added to each request.
#[derive(Debug, Clone)]
pub(crate) struct Walker {
    pub(crate) transport: Transport,
    pub(crate) path: ApiPath,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) size: u64,
    pub(crate) first: u64,
}

impl Walker {
    /// A link to page `number` on the configured server (relative: the path and query).
    fn page_link(&self, number: u64) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.params {
            query.append_pair(name, value);
        }
        query.append_pair("page", &number.to_string());
        query.append_pair("pagesize", &self.size.to_string());
        format!("{}?{}", self.path.as_str(), query.finish())
    }

    /// The request for page `number`.
    fn page_request(&self, number: u64) -> ApiRequest {
        let mut request = ApiRequest::get(self.path.clone());
        for (name, value) in &self.params {
            request = request.query(name.clone(), value.clone());
        }
        request
            .query("page", number.to_string())
            .query("pagesize", self.size.to_string())
    }

    /// The request a link (the server's `next`, or a page link this walk made) stands for,
    /// with its page number: requested on the configured origin, on this walk's collection
    /// only, always with this walk's page size.
    fn link_request(&self, link: &str) -> Result<(ApiRequest, u64)> {
        let linked = self.transport.request_for_link(link)?;
        if linked.path().as_str() != self.path.as_str() {
            return Err(Error::invalid_input(
                "page link",
                format!(
                    "the link names {} instead of {}",
                    linked.path().as_str(),
                    self.path.as_str()
                ),
            ));
        }
        let mut number = None;
        let mut request = ApiRequest::get(self.path.clone());
        for (name, value) in linked.query_pairs() {
            match name {
                "pagesize" => {}
                "page" => {
                    number = value.trim().parse::<u64>().ok().filter(|n| *n >= 1);
                    if number.is_none() {
                        return Err(Error::invalid_input(
                            "page link",
                            format!("the page number {value:?} is not a number from 1"),
                        ));
                    }
                }
                _ => request = request.query(name.to_owned(), value.to_owned()),
            }
        }
        // Sentinel's default page is 1.
        let number = number.unwrap_or(1);
        let request = request
            .query("page", number.to_string())
            .query("pagesize", self.size.to_string());
        Ok((request, number))
    }

    /// Fetches the page at `cursor` (`None`: the first page) and returns it with the cursor
    /// of the next page: the server's `next` link when it names the next page of this
    /// collection, else the next page number (as a link on the configured server); none
    /// after a short or empty page.
    pub(crate) async fn fetch<T: DeserializeOwned>(
        &self,
        cursor: Option<&str>,
    ) -> Result<(Page<T>, Option<String>)> {
        let (request, number) = match cursor {
            None => (self.page_request(self.first), self.first),
            Some(link) => self.link_request(link)?,
        };
        let response = self.transport.execute(request).await?;
        let page: Page<T> = incident_core::paging::decode_page(&response, Some(self.size))?;
        let got = page.objects.len() as u64;
        if got < self.size {
            return Ok((page, None));
        }
        let server_next = page
            .next
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty());
        // No page follows the last number a u64 holds (a server's link can name it).
        let numbered = || number.checked_add(1).map(|n| self.page_link(n));
        let next = match server_next.map(|l| (l, self.link_request(l))) {
            Some((link, Ok((_, n)))) if n > number => Some(link.to_owned()),
            Some((link, outcome)) => {
                tracing::debug!(
                    usable = outcome.is_ok(),
                    len = link.len(),
                    "the next link does not name the next page of this list; using page numbers"
                );
                numbered()
            }
            None => numbered(),
        };
        Ok((page, next))
    }
}

/// A list request: `GET` on a collection with `query`, `field`, `page` and `pagesize`.
///
/// End it with [`send`](Self::send) (or `.await` it) for one page, or with
/// [`into_stream`](Self::into_stream) to walk every object page by page.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent or streamed"]
pub struct List<T> {
    walker: Result<Walker, String>,
    page: Option<u64>,
    max_items: Option<u64>,
    max_pages: Option<u64>,
    _marker: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + Listed + Send + 'static> List<T> {
    pub(crate) fn new(transport: Transport, path: ApiPath) -> Self {
        List {
            walker: Ok(Walker {
                transport,
                path,
                params: Vec::new(),
                size: DEFAULT_PAGE_SIZE,
                first: 1,
            }),
            page: None,
            max_items: None,
            max_pages: None,
            _marker: PhantomData,
        }
    }

    /// A list of the collection a link names (an incident's `events` link), with the link's
    /// own parameters; requested on the configured origin.
    pub(crate) fn from_link(transport: Transport, link: &str, collection: ApiPath) -> Self {
        let mut list = List::new(transport.clone(), collection);
        list.walker = transport
            .request_for_link(link)
            .map_err(|e| e.to_string())
            .and_then(|linked| {
                let mut walker = list.walker.clone()?;
                if linked.path().as_str() != walker.path.as_str() {
                    return Err(format!(
                        "the link names {} instead of {}",
                        linked.path().as_str(),
                        walker.path.as_str()
                    ));
                }
                walker.params = linked
                    .query_pairs()
                    .filter(|(k, _)| *k != "page" && *k != "pagesize")
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                Ok(walker)
            });
        list
    }

    /// A list that fails with [`Error::InvalidInput`] when sent.
    pub(crate) fn invalid(transport: Transport, path: ApiPath, reason: &str) -> Self {
        let mut list = List::new(transport, path);
        list.walker = Err(reason.to_owned());
        list
    }

    fn set(mut self, change: impl FnOnce(&mut Walker)) -> Self {
        if let Ok(walker) = &mut self.walker {
            change(walker);
        }
        self
    }

    /// Keeps only the objects matching this filter, in Sentinel's TinyQ language, sent as
    /// is in `query` (its grammar is not publicly documented; read it in your server's
    /// `/SentinelRESTServices/apidoc`).
    pub fn query(self, query: impl Into<String>) -> Self {
        let query = query.into();
        self.set(|w| {
            w.params.retain(|(k, _)| k != "query");
            w.params.push(("query".into(), query));
        })
    }

    /// Returns only this field (repeat for more); `"[none]"` returns the metadata only.
    /// Every model field is an `Option`, so objects with fields left out still decode.
    pub fn field(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.set(|w| w.params.push(("field".into(), name)))
    }

    /// Returns only these fields (one `field` parameter each).
    pub fn fields<I, S>(self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        names.into_iter().fold(self, List::field)
    }

    /// The objects per request (default [`DEFAULT_PAGE_SIZE`]); always sent, since
    /// Sentinel's default is every object at once. 0 is refused when sent.
    pub fn page_size(self, size: u64) -> Self {
        self.set(|w| w.size = size)
    }

    /// The page [`send`](Self::send) asks for, and where [`into_stream`](Self::into_stream)
    /// starts (1-based; default 1).
    pub fn page(mut self, number: u64) -> Self {
        self.page = Some(number);
        self.set(|w| w.first = number)
    }

    /// Ends [`into_stream`](Self::into_stream) after this many objects.
    pub fn max_items(mut self, max: u64) -> Self {
        self.max_items = Some(max);
        self
    }

    /// Ends [`into_stream`](Self::into_stream) after this many pages (requests).
    pub fn max_pages(mut self, max: u64) -> Self {
        self.max_pages = Some(max);
        self
    }

    fn walker(&self) -> Result<Walker> {
        let walker = self
            .walker
            .clone()
            .map_err(|reason| Error::invalid_input("link", reason))?;
        if walker.size == 0 {
            return Err(Error::invalid_input("page size", "must be at least 1"));
        }
        if walker.first == 0 {
            return Err(Error::invalid_input("page", "pages are numbered from 1"));
        }
        Ok(walker)
    }

    /// Sends the request and returns one page, with the server's `next` and `prev`
    /// links. A page holding more objects than the page size is an [`Error::Protocol`].
    pub async fn send(self) -> Result<Page<T>> {
        let walker = self.walker()?;
        let (page, _) = walker.fetch::<T>(None).await?;
        Ok(page)
    }

    /// Walks every matching object, [`page_size`](Self::page_size) at a time, lazily:
    /// memory holds one page whatever the total.
    ///
    /// Each next page is the server's `next` link when it names the next page of this
    /// list, requested on the configured origin only (through
    /// [`Transport::request_for_link`]: its path and query rebuilt on the configured base,
    /// so credentials never go to the host a server names, and a NATed server's links
    /// still work); otherwise, and when the server sends none, the next page number. A
    /// short or empty page ends the walk. A link to another resource, a page number that
    /// does not move forward, or a page larger than asked cannot make the walk loop or
    /// grow: the first two fall back to page numbers, the last is an [`Error::Protocol`].
    ///
    /// Page numbers shift when objects are added or removed while the walk runs.
    pub fn into_stream(self) -> BoxStream<'static, Result<T>> {
        self.paginator().items()
    }

    /// The walk of [`into_stream`](Self::into_stream) as incident-core's next-link
    /// [`Paginator`], for page-level access: each page with the link of the next one,
    /// which can be kept to resume later.
    pub fn paginator(self) -> Paginator<T, String> {
        let walker = self.walker().map(Arc::new).map_err(|e| e.to_string());
        let size = walker.as_ref().map_or(DEFAULT_PAGE_SIZE, |w| w.size);
        let mut paginator = Paginator::next_links(move |link: Option<String>| {
            let walker = walker.clone();
            async move {
                let walker = walker.map_err(|reason| Error::invalid_input("list", reason))?;
                let (page, next) = walker.fetch::<T>(link.as_deref()).await?;
                Ok(CorePage::new(page.objects, next))
            }
        })
        .vendor(VENDOR)
        .page_size(size)
        .identify_by(T::identity);
        if let Some(max) = self.max_items {
            paginator = paginator.max_items(max);
        }
        if let Some(max) = self.max_pages {
            paginator = paginator.max_pages(max);
        }
        paginator
    }
}

incident_core::impl_into_future!([T] List<T> => Page<T>, where T: DeserializeOwned + Listed + Send + 'static);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_escapes_are_found_exactly() {
        assert!(has_unicode_escape(
            br#"{"resolution":"Compte verrouill\u00e9"}"#
        ));
        assert!(has_unicode_escape(br#"{"a":"\u0007"}"#));
        assert!(!has_unicode_escape("{\"a\":\"é ✓ \\n \\t\"}".as_bytes()));
        // An escaped backslash followed by `u` is text, not an escape.
        assert!(!has_unicode_escape(br#"{"path":"C:\\users"}"#));
        assert!(has_unicode_escape(br#"{"path":"C:\\\u0041"}"#));
        assert!(!has_unicode_escape(br#"\"#));
    }

    #[test]
    fn bodies_with_control_characters_are_refused_before_sending() {
        let ok = with_json(
            ApiRequest::put(ApiPath::new("/x")),
            &serde_json::json!({"resolution": "Compte verrouillé — 東京"}),
        )
        .unwrap();
        let Some(incident_core::transport::RequestBody::Json(bytes)) = ok.body() else {
            panic!("no JSON body");
        };
        assert!(
            std::str::from_utf8(bytes)
                .unwrap()
                .contains("verrouillé — 東京")
        );
        let e = with_json(
            ApiRequest::put(ApiPath::new("/x")),
            &serde_json::json!({"resolution": "bell \u{7}"}),
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    }
}
