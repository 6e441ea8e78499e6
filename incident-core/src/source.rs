//! The vendor-neutral interface every vendor client implements.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::error::Result;
use crate::model::{
    Capabilities, Checked, Cursor, Incident, IncidentPage, IncidentQuery, IncidentUpdate, Vendor,
};
use crate::paging::{Page, Paginator};

/// A query that passed the source's [`Capabilities`]: what
/// [`IncidentSource::list_page`] receives.
pub type Query<'a> = Checked<'a, IncidentQuery>;

/// An update that passed the source's [`Capabilities`]: what
/// [`IncidentSource::apply_update`] receives.
pub type Update<'a> = Checked<'a, IncidentUpdate>;

/// A source of incidents: list, get and update them without knowing the vendor.
///
/// An implementation writes [`list_page`](Self::list_page) and
/// [`apply_update`](Self::apply_update); callers call
/// [`list_incidents`](Self::list_incidents) and [`update_incident`](Self::update_incident),
/// which check the query or the update against [`capabilities`](Self::capabilities) first,
/// so a filter or a change the source cannot express gives
/// [`Error::Unsupported`](crate::Error::Unsupported) before anything is sent, in every
/// implementation. An implementation has no reason to override those two.
///
/// The trait is dyn-compatible, so one program can hold clients of several vendors:
///
/// ```no_run
/// use futures::TryStreamExt;
/// use incident_core::{IncidentQuery, IncidentSource, IncidentStatus};
///
/// async fn open_everywhere(sources: &[Box<dyn IncidentSource>]) -> incident_core::Result<()> {
///     for source in sources {
///         let mut incidents =
///             source.stream_incidents(IncidentQuery::new().status(IncidentStatus::New));
///         while let Some(incident) = incidents.try_next().await? {
///             println!("{} {} {}", source.vendor(), incident.id, incident.title);
///         }
///     }
///     Ok(())
/// }
/// ```
#[async_trait]
pub trait IncidentSource: Send + Sync + fmt::Debug {
    /// The vendor behind this source.
    fn vendor(&self) -> Vendor;

    /// What this vendor can change and filter on.
    fn capabilities(&self) -> Capabilities;

    /// One page of incidents matching `query`, starting at `cursor` (the first page when
    /// `None`). Filters the capabilities deny give
    /// [`Error::Unsupported`](crate::Error::Unsupported) before anything is sent.
    async fn list_incidents(
        &self,
        query: &IncidentQuery,
        cursor: Option<&Cursor>,
    ) -> Result<IncidentPage> {
        let query = self.capabilities().check_query(self.vendor(), query)?;
        self.list_page(query, cursor).await
    }

    /// What [`list_incidents`](Self::list_incidents) does once the query passed
    /// [`Capabilities::check_query`]: one page from `cursor`, and the next page's cursor.
    async fn list_page(&self, query: Query<'_>, cursor: Option<&Cursor>) -> Result<IncidentPage>;

    /// One incident by its vendor id.
    async fn get_incident(&self, id: &str) -> Result<Incident>;

    /// Applies `update` and returns the incident as it is afterwards. Parts the capabilities
    /// deny give [`Error::Unsupported`](crate::Error::Unsupported) before anything is sent.
    async fn update_incident(&self, id: &str, update: &IncidentUpdate) -> Result<Incident> {
        let update = self.capabilities().check_update(self.vendor(), update)?;
        self.apply_update(id, update).await
    }

    /// What [`update_incident`](Self::update_incident) does once the update passed
    /// [`Capabilities::check_update`]: apply it all or nothing (what the vendor refuses for
    /// this incident or value is an error, never a silent no-op), and return the incident as
    /// it is afterwards.
    async fn apply_update(&self, id: &str, update: Update<'_>) -> Result<Incident>;

    /// This source as a shared handle, for streams that must own it (vendor clients are
    /// cheap to clone: `Arc::new(self.clone())`).
    fn shared(&self) -> Arc<dyn IncidentSource>;

    /// All incidents matching `query`, fetched page by page as the stream is read; memory
    /// holds one page at a time. Stops after [`IncidentQuery::limit`] incidents.
    ///
    /// Named `stream_incidents` so that it never hides, nor is hidden by, a vendor client's
    /// own API area: on a concrete client, `client.incidents()` (where a vendor has one) is
    /// the vendor's incident operations, and `client.stream_incidents(query)` this walk.
    ///
    /// The stream owns what it needs (it can be spawned). It goes on while the vendor
    /// returns a next cursor, also after an empty page (de-duplication can empty one), and
    /// holds to every bound of the [`Paginator`]: it fails with
    /// [`Error::Protocol`](crate::Error::Protocol) when a cursor does not advance or comes
    /// back, when a page brings only incidents already delivered, unchanged, or after
    /// [`MAX_EMPTY_PAGES`](crate::paging::MAX_EMPTY_PAGES) empty pages in a row, so a broken
    /// server cannot make it loop.
    fn stream_incidents(&self, query: IncidentQuery) -> BoxStream<'static, Result<Incident>> {
        walk(self.shared(), query)
    }
}

fn walk(
    source: Arc<dyn IncidentSource>,
    query: IncidentQuery,
) -> BoxStream<'static, Result<Incident>> {
    let limit = query.limit;
    let paginator = paginator(source, Arc::new(query));
    match limit {
        Some(n) => paginator.max_items(n as u64).items(),
        None => paginator.items(),
    }
}

/// The walk over a source's pages (`list_incidents` at each cursor), with every guard of
/// the [`Paginator`]: a record is named by its id and update time, so that a page of
/// incidents already delivered, unchanged, under a new cursor ends the walk with an error.
pub(crate) fn paginator(
    source: Arc<dyn IncidentSource>,
    query: Arc<IncidentQuery>,
) -> Paginator<Incident, Cursor> {
    let vendor = source.vendor().name();
    Paginator::from_callback(move |cursor: Option<Cursor>| {
        let source = Arc::clone(&source);
        let query = Arc::clone(&query);
        async move {
            let page = source.list_incidents(&query, cursor.as_ref()).await?;
            Ok(Page::new(page.items, page.next).with_total(page.total))
        }
    })
    .vendor(vendor)
    .identify_by(|incident: &Incident| Some((incident.id.clone(), incident.updated)))
}

/// Writes [`IncidentSource::vendor`] and [`IncidentSource::shared`] for a source that is
/// `Clone + 'static` (every vendor client is: a clone shares the connection pool and session),
/// so that an implementation starts with what differs, its capabilities.
///
/// ```
/// use async_trait::async_trait;
/// use incident_core::source::{Query, Update};
/// use incident_core::{
///     Capabilities, Cursor, Incident, IncidentPage, IncidentSource, Result, Vendor,
/// };
///
/// const TICKETS: Vendor = Vendor::new("tickets", "Tickets");
///
/// #[derive(Debug, Clone)]
/// struct Tickets;
///
/// #[async_trait]
/// impl IncidentSource for Tickets {
///     incident_core::source_identity!(TICKETS);
///
///     fn capabilities(&self) -> Capabilities {
///         Capabilities::none()
///     }
///     async fn list_page(&self, _: Query<'_>, _: Option<&Cursor>) -> Result<IncidentPage> {
///         Ok(IncidentPage::new(Vec::new(), None, Some(0)))
///     }
///     async fn get_incident(&self, id: &str) -> Result<Incident> {
///         Err(incident_core::Error::not_found(TICKETS, id))
///     }
///     async fn apply_update(&self, id: &str, _: Update<'_>) -> Result<Incident> {
///         self.get_incident(id).await
///     }
/// }
///
/// assert_eq!(Tickets.shared().vendor(), TICKETS);
/// ```
#[macro_export]
macro_rules! source_identity {
    ($vendor:expr) => {
        fn vendor(&self) -> $crate::Vendor {
            $vendor
        }

        fn shared(&self) -> ::std::sync::Arc<dyn $crate::IncidentSource> {
            ::std::sync::Arc::new(::std::clone::Clone::clone(self))
        }
    };
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use futures::TryStreamExt;

    use super::*;
    use crate::error::Error;
    use crate::model::{Capabilities, IncidentStatus, Vendor};
    use crate::paging::MAX_EMPTY_PAGES;

    /// Serves scripted pages: (items, next cursor) by cursor.
    #[derive(Debug)]
    struct Scripted {
        pages: Vec<(Vec<u32>, Option<&'static str>)>,
        asked: Mutex<Vec<Option<String>>>,
    }

    #[async_trait]
    impl IncidentSource for Arc<Scripted> {
        fn vendor(&self) -> Vendor {
            crate::vendor::test_vendors::ALPHA
        }
        fn shared(&self) -> Arc<dyn IncidentSource> {
            Arc::new(Arc::clone(self))
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities::none()
        }
        async fn list_page(&self, _: Query<'_>, cursor: Option<&Cursor>) -> Result<IncidentPage> {
            let mut asked = self.asked.lock().unwrap();
            asked.push(cursor.map(|c| c.as_str().to_string()));
            let (items, next) = self.pages[(asked.len() - 1).min(self.pages.len() - 1)].clone();
            let items = items
                .into_iter()
                .map(|i| {
                    Incident::new(
                        crate::vendor::test_vendors::ALPHA,
                        i.to_string(),
                        "t",
                        serde_json::json!({}),
                    )
                })
                .collect();
            Ok(IncidentPage::new(items, next.map(Cursor::new), None))
        }
        async fn get_incident(&self, _: &str) -> Result<Incident> {
            Err(Error::unsupported("Test", "get"))
        }
        async fn apply_update(&self, _: &str, _: Update<'_>) -> Result<Incident> {
            Err(Error::unsupported("Test", "update"))
        }
    }

    fn source(pages: Vec<(Vec<u32>, Option<&'static str>)>) -> Arc<Scripted> {
        Arc::new(Scripted {
            pages,
            asked: Mutex::new(Vec::new()),
        })
    }

    #[tokio::test]
    async fn what_the_capabilities_deny_never_reaches_the_implementation() {
        let s = source(vec![(vec![1], None)]);
        let query = IncidentQuery::new().status(IncidentStatus::New);
        let e = s.list_incidents(&query, None).await.unwrap_err();
        assert!(
            e.is_unsupported() && e.to_string().contains("status"),
            "{e}"
        );
        let e = s
            .update_incident("1", &IncidentUpdate::new().note("n"))
            .await
            .unwrap_err();
        assert!(e.is_unsupported() && e.to_string().contains("notes"), "{e}");
        assert!(s.asked.lock().unwrap().is_empty());

        // What passes the check reaches list_page as it was.
        let page = s.list_incidents(&IncidentQuery::new(), None).await.unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(*s.asked.lock().unwrap(), vec![None]);
    }

    #[tokio::test]
    async fn the_walk_goes_on_after_an_empty_page_and_can_be_spawned() {
        let s = source(vec![
            (vec![1, 2], Some("a")),
            (vec![], Some("b")),
            (vec![3], None),
        ]);
        let stream = s.stream_incidents(IncidentQuery::new());
        // The stream owns its source: it can move to another task.
        let ids: Vec<String> =
            tokio::spawn(async move { stream.map_ok(|i| i.id).try_collect().await.unwrap() })
                .await
                .unwrap();
        assert_eq!(ids, ["1", "2", "3"]);
        assert_eq!(
            *s.asked.lock().unwrap(),
            vec![None, Some("a".into()), Some("b".into())]
        );
    }

    #[tokio::test]
    async fn a_cursor_that_does_not_advance_or_endless_empty_pages_end_in_an_error() {
        let s = source(vec![(vec![1], Some("a")), (vec![2], Some("a"))]);
        let r: Result<Vec<Incident>> = s.stream_incidents(IncidentQuery::new()).try_collect().await;
        assert!(matches!(r, Err(Error::Protocol { .. })), "{r:?}");

        // Every page empty, every cursor new: stopped after MAX_EMPTY_PAGES pages.
        #[derive(Debug)]
        struct Endless(Mutex<u32>);
        #[async_trait]
        impl IncidentSource for Arc<Endless> {
            fn vendor(&self) -> Vendor {
                crate::vendor::test_vendors::ALPHA
            }
            fn shared(&self) -> Arc<dyn IncidentSource> {
                Arc::new(Arc::clone(self))
            }
            fn capabilities(&self) -> Capabilities {
                Capabilities::none()
            }
            async fn list_page(&self, _: Query<'_>, _: Option<&Cursor>) -> Result<IncidentPage> {
                let mut n = self.0.lock().unwrap();
                *n += 1;
                Ok(IncidentPage::new(
                    vec![],
                    Some(Cursor::new(n.to_string())),
                    None,
                ))
            }
            async fn get_incident(&self, _: &str) -> Result<Incident> {
                Err(Error::unsupported("Test", "get"))
            }
            async fn apply_update(&self, _: &str, _: Update<'_>) -> Result<Incident> {
                Err(Error::unsupported("Test", "update"))
            }
        }
        let e = Arc::new(Endless(Mutex::new(0)));
        let r: Result<Vec<Incident>> = e.stream_incidents(IncidentQuery::new()).try_collect().await;
        assert!(matches!(r, Err(Error::Protocol { .. })), "{r:?}");
        assert_eq!(*e.0.lock().unwrap(), MAX_EMPTY_PAGES);
    }
}
