//! What every Sentinel list shares: `query`, `field`, `page` and `pagesize`, and walks that
//! follow `next` links safely or fall back to page numbers; and JSON bodies without `\u`
//! escapes. Every operation ends in an [`incident_core::Call`] or takes the same per-call
//! options (`deadline`, `retry_policy`, `header`).
//!
//! # Errors
//!
//! Every Sentinel operation fails with [`Error::InvalidInput`] for a value refused before
//! anything is sent (an id that is no path segment, a text JSON would write with a `\u`
//! escape: [`has_unicode_escape`], a page size of 0); with the errors of
//! [`Transport::execute`], among them [`Error::Api`] for a non-2xx or a fault inside a 2xx
//! ([`SentinelErrorExt`](crate::SentinelErrorExt)); with [`Error::Decode`] for an answer of
//! another shape.

use std::marker::PhantomData;
use std::sync::Arc;

use futures::stream::BoxStream;
use incident_core::paging::{Page as CorePage, Paginator, WalkLimits};
use incident_core::{ApiPath, ApiRequest, Call, CallOptions, Error, Result, Transport};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::client::VENDOR;
use crate::model::{Listed, Page};

pub use crate::model::has_unicode_escape;

/// The page size lists and streams ask for unless told otherwise. Sentinel's own default
/// is *unlimited* (every matching object in one answer), so a `pagesize` is always sent.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// Sends `body` as JSON, refused before sending when it would hold a `\u` escape
/// ([`has_unicode_escape`]).
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

/// How a walk asks for its pages: the collection, its parameters (`query`, `field`...),
/// the page size and the per-call options; `page` and `pagesize` are added to each request.
#[derive(Debug, Clone)]
pub(crate) struct Walker {
    pub(crate) transport: Transport,
    pub(crate) path: ApiPath,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) size: u64,
    pub(crate) first: u64,
    pub(crate) options: CallOptions,
}

impl Walker {
    /// A walk of `path` from page 1, [`DEFAULT_PAGE_SIZE`] objects at a time.
    pub(crate) fn new(transport: Transport, path: ApiPath) -> Self {
        Walker {
            transport,
            path,
            params: Vec::new(),
            size: DEFAULT_PAGE_SIZE,
            first: 1,
            options: CallOptions::default(),
        }
    }

    /// A link to page `number` on the configured server (relative: the path and query).
    fn page_link(&self, number: u64) -> String {
        let request = self.page_request(number);
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(request.query_pairs());
        format!("{}?{}", self.path.as_str(), query.finish())
    }

    fn page_request(&self, number: u64) -> ApiRequest {
        let mut request = ApiRequest::get(self.path.clone());
        for (name, value) in &self.params {
            request = request.query(name.clone(), value.clone());
        }
        request
            .query("page", number.to_string())
            .query("pagesize", self.size.to_string())
    }

    /// The request a link stands for, on the configured origin; refused unless it names
    /// this walk's collection.
    fn linked(&self, link: &str) -> Result<ApiRequest> {
        let linked = self.transport.request_for_link(link)?;
        let (named, own) = (linked.path().as_str(), self.path.as_str());
        if named != own {
            let why = format!("the link names {named} instead of {own}");
            return Err(Error::invalid_input("page link", why));
        }
        Ok(linked)
    }

    /// The request a link (the server's `next`, or a page link this walk made) stands for,
    /// with its page number: requested on the configured origin, on this walk's collection
    /// only, always with this walk's page size.
    fn link_request(&self, link: &str) -> Result<(ApiRequest, u64)> {
        let mut number = None;
        let mut request = ApiRequest::get(self.path.clone());
        for (name, value) in self.linked(link)?.query_pairs() {
            match name {
                "pagesize" => {}
                "page" => {
                    let n = value.trim().parse::<u64>().ok().filter(|n| *n >= 1);
                    let why = || format!("the page number {value:?} is not a number from 1");
                    number = Some(n.ok_or_else(|| Error::invalid_input("page link", why()))?);
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
        let response = self.transport.execute(self.options.apply(request)).await?;
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
/// `.await` it (or [`send`](Self::send) it) for one page, or walk every object page by
/// page with [`into_stream`](Self::into_stream).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent or streamed"]
pub struct List<T> {
    walker: Walker,
    /// Why the list cannot be requested (a link to another collection).
    broken: Option<String>,
    limits: WalkLimits,
    options: CallOptions,
    _marker: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + Listed + Send + 'static> List<T> {
    pub(crate) fn new(transport: Transport, path: ApiPath) -> Self {
        List {
            walker: Walker::new(transport, path),
            broken: None,
            limits: WalkLimits::default(),
            options: CallOptions::default(),
            _marker: PhantomData,
        }
    }

    /// A list of the collection a link names (an incident's `events` link), with the link's
    /// own parameters; requested on the configured origin.
    pub(crate) fn from_link(transport: Transport, link: &str, collection: ApiPath) -> Self {
        let mut list = List::new(transport, collection);
        match list.walker.linked(link) {
            Err(e) => list.broken = Some(e.to_string()),
            Ok(linked) => {
                list.walker.params = linked
                    .query_pairs()
                    .filter(|(k, _)| *k != "page" && *k != "pagesize")
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
            }
        }
        list
    }

    /// A list that fails with [`Error::InvalidInput`] when sent.
    pub(crate) fn invalid(transport: Transport, path: ApiPath, reason: &str) -> Self {
        let mut list = List::new(transport, path);
        list.broken = Some(reason.to_owned());
        list
    }

    /// Keeps only the objects matching this filter, in Sentinel's TinyQ language, sent as
    /// is in `query` (its grammar is not publicly documented; read it in your server's
    /// `/SentinelRESTServices/apidoc`).
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.walker.params.retain(|(k, _)| k != "query");
        self.walker.params.push(("query".into(), query.into()));
        self
    }

    /// Returns only this field (repeat for more); `"[none]"` returns the metadata only.
    /// Every model field is an `Option`, so objects with fields left out still decode.
    pub fn field(mut self, name: impl Into<String>) -> Self {
        self.walker.params.push(("field".into(), name.into()));
        self
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
    pub fn page_size(mut self, size: u64) -> Self {
        self.walker.size = size;
        self
    }

    /// The page [`send`](Self::send) asks for, and where [`into_stream`](Self::into_stream)
    /// starts (1-based; default 1).
    pub fn page(mut self, number: u64) -> Self {
        self.walker.first = number;
        self
    }

    incident_core::walk_limits!(limits);

    incident_core::call_options!(options);

    fn walker(&self) -> Result<Walker> {
        if let Some(reason) = &self.broken {
            return Err(Error::invalid_input("link", reason.clone()));
        }
        if self.walker.size == 0 {
            return Err(Error::invalid_input("page size", "must be at least 1"));
        }
        if self.walker.first == 0 {
            return Err(Error::invalid_input("page", "pages are numbered from 1"));
        }
        let options = self.options.clone();
        Ok(Walker {
            options,
            ..self.walker.clone()
        })
    }

    /// The page asked for ([`page`](Self::page), else the first) as a [`Call`]. A page
    /// holding more objects than the page size is an [`Error::Protocol`].
    pub fn call(self) -> Call<Page<T>> {
        let request = self.walker().map(|w| w.page_request(w.first));
        Call::page(&self.walker.transport, request, Some(self.walker.size)).options(self.options)
    }

    /// Sends the request and returns one page, with the server's `next` and `prev` links.
    ///
    /// # Errors
    ///
    /// As every call ([the module](self)); [`Error::Protocol`] for more objects than asked.
    pub async fn send(self) -> Result<Page<T>> {
        self.call().await
    }

    /// Walks every matching object, [`page_size`](Self::page_size) at a time, lazily, with
    /// incident-core's [`Paginator::next_links`]. Each next page is the server's `next` link
    /// when it names the next page of this list, requested on the configured origin only
    /// ([`Transport::request_for_link`]); otherwise the next page number. A short or empty
    /// page ends the walk; a page larger than asked is an [`Error::Protocol`].
    ///
    /// Page numbers shift when objects are added or removed while the walk runs.
    pub fn into_stream(self) -> BoxStream<'static, Result<T>> {
        self.paginator().items()
    }

    /// The walk of [`into_stream`](Self::into_stream) as a paginator, for page-level access:
    /// each page with the link of the next one, which can be kept to resume later.
    pub fn paginator(self) -> Paginator<T, String> {
        let walker = self.walker().map(Arc::new).map_err(|e| e.to_string());
        let size = walker.as_ref().map_or(DEFAULT_PAGE_SIZE, |w| w.size);
        Paginator::next_links(move |link: Option<String>| {
            let walker = walker.clone();
            async move {
                let walker = walker.map_err(|reason| Error::invalid_input("list", reason))?;
                let (page, next) = walker.fetch::<T>(link.as_deref()).await?;
                Ok(CorePage::new(page.objects, next))
            }
        })
        .vendor(VENDOR)
        .page_size(size)
        .identify_by(T::identity)
        .limits(&self.limits)
    }
}

incident_core::impl_into_future!([T] List<T> => Page<T>, where T: DeserializeOwned + Listed + Send + 'static);

#[cfg(test)]
mod tests {
    use super::*;

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
