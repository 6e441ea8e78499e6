//! The vendor-neutral interface every vendor client implements.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::error::{Error, Result};
use crate::model::{
    Capabilities, Cursor, Incident, IncidentPage, IncidentQuery, IncidentUpdate, Vendor,
};

/// A source of incidents: list, get and update them without knowing the vendor.
///
/// The trait is dyn-compatible, so one program can hold clients of several vendors:
///
/// ```no_run
/// use futures::TryStreamExt;
/// use incident_core::{IncidentQuery, IncidentSource, IncidentStatus};
///
/// async fn open_everywhere(sources: &[Box<dyn IncidentSource>]) -> incident_core::Result<()> {
///     for source in sources {
///         let mut incidents = source.incidents(IncidentQuery::new().status(IncidentStatus::New));
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
    /// `None`).
    async fn list_incidents(
        &self,
        query: &IncidentQuery,
        cursor: Option<&Cursor>,
    ) -> Result<IncidentPage>;

    /// One incident by its vendor id.
    async fn get_incident(&self, id: &str) -> Result<Incident>;

    /// Applies `update` and returns the incident as it is afterwards. Parts the vendor cannot
    /// express give [`Error::Unsupported`] before anything is sent.
    async fn update_incident(&self, id: &str, update: &IncidentUpdate) -> Result<Incident>;

    /// This source as a shared handle, for streams that must own it (vendor clients are
    /// cheap to clone: `Arc::new(self.clone())`).
    fn shared(&self) -> Arc<dyn IncidentSource>;

    /// All incidents matching `query`, fetched page by page as the stream is read; memory
    /// holds one page at a time. Stops after [`IncidentQuery::limit`] incidents.
    ///
    /// The stream owns what it needs (it can be spawned). It goes on while the vendor
    /// returns a next cursor, also after an empty page (de-duplication can empty one), and
    /// fails with [`Error::Protocol`] when a cursor does not advance or
    /// [`MAX_EMPTY_PAGES`] pages in a row are empty, so a broken server cannot make it loop.
    fn incidents(&self, query: IncidentQuery) -> BoxStream<'static, Result<Incident>> {
        walk(self.shared(), query)
    }
}

/// How many empty pages in a row [`IncidentSource::incidents`] accepts before it decides the
/// server is looping.
pub const MAX_EMPTY_PAGES: u32 = 100;

fn walk(
    source: Arc<dyn IncidentSource>,
    query: IncidentQuery,
) -> BoxStream<'static, Result<Incident>> {
    struct Walk {
        source: Arc<dyn IncidentSource>,
        query: IncidentQuery,
        /// `None` once the last page was read; `Some(None)` before the first.
        cursor: Option<Option<Cursor>>,
        empty_in_a_row: u32,
    }
    let limit = query.limit;
    let init = Walk {
        source,
        query,
        cursor: Some(None),
        empty_in_a_row: 0,
    };
    let pages = stream::try_unfold(init, |mut walk| async move {
        let Some(cursor) = walk.cursor.take() else {
            return Ok(None);
        };
        let vendor = walk.source.vendor().name();
        let page = walk
            .source
            .list_incidents(&walk.query, cursor.as_ref())
            .await?;
        walk.empty_in_a_row = if page.items.is_empty() {
            walk.empty_in_a_row + 1
        } else {
            0
        };
        walk.cursor = match page.next {
            Some(next) if Some(&next) == cursor.as_ref() => {
                return Err(Error::Protocol {
                    vendor,
                    message: format!("the page cursor {:?} did not advance", next.as_str()),
                });
            }
            Some(_) if walk.empty_in_a_row >= MAX_EMPTY_PAGES => {
                return Err(Error::Protocol {
                    vendor,
                    message: format!("{MAX_EMPTY_PAGES} empty pages in a row"),
                });
            }
            Some(next) => Some(Some(next)),
            None => None,
        };
        Ok(Some((page.items, walk)))
    });
    let items = pages
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten();
    match limit {
        Some(n) => items.take(n).boxed(),
        None => items.boxed(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::model::{Capabilities, Vendor};

    /// Serves scripted pages: (items, next cursor) by cursor.
    #[derive(Debug)]
    struct Scripted {
        pages: Vec<(Vec<u32>, Option<&'static str>)>,
        asked: Mutex<Vec<Option<String>>>,
    }

    #[async_trait]
    impl IncidentSource for Arc<Scripted> {
        fn vendor(&self) -> Vendor {
            Vendor::QRadar
        }
        fn shared(&self) -> Arc<dyn IncidentSource> {
            Arc::new(Arc::clone(self))
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities::none()
        }
        async fn list_incidents(
            &self,
            _: &IncidentQuery,
            cursor: Option<&Cursor>,
        ) -> Result<IncidentPage> {
            let mut asked = self.asked.lock().unwrap();
            asked.push(cursor.map(|c| c.as_str().to_string()));
            let (items, next) = self.pages[(asked.len() - 1).min(self.pages.len() - 1)].clone();
            let items = items
                .into_iter()
                .map(|i| Incident::new(Vendor::QRadar, i.to_string(), "t", serde_json::json!({})))
                .collect();
            Ok(IncidentPage::new(items, next.map(Cursor::new), None))
        }
        async fn get_incident(&self, _: &str) -> Result<Incident> {
            Err(Error::unsupported("Test", "get"))
        }
        async fn update_incident(&self, _: &str, _: &IncidentUpdate) -> Result<Incident> {
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
    async fn the_walk_goes_on_after_an_empty_page_and_can_be_spawned() {
        let s = source(vec![
            (vec![1, 2], Some("a")),
            (vec![], Some("b")),
            (vec![3], None),
        ]);
        let stream = s.incidents(IncidentQuery::new());
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
        let r: Result<Vec<Incident>> = s.incidents(IncidentQuery::new()).try_collect().await;
        assert!(matches!(r, Err(Error::Protocol { .. })), "{r:?}");

        // Every page empty, every cursor new: stopped after MAX_EMPTY_PAGES pages.
        #[derive(Debug)]
        struct Endless(Mutex<u32>);
        #[async_trait]
        impl IncidentSource for Arc<Endless> {
            fn vendor(&self) -> Vendor {
                Vendor::QRadar
            }
            fn shared(&self) -> Arc<dyn IncidentSource> {
                Arc::new(Arc::clone(self))
            }
            fn capabilities(&self) -> Capabilities {
                Capabilities::none()
            }
            async fn list_incidents(
                &self,
                _: &IncidentQuery,
                _: Option<&Cursor>,
            ) -> Result<IncidentPage> {
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
            async fn update_incident(&self, _: &str, _: &IncidentUpdate) -> Result<Incident> {
                Err(Error::unsupported("Test", "update"))
            }
        }
        let e = Arc::new(Endless(Mutex::new(0)));
        let r: Result<Vec<Incident>> = e.incidents(IncidentQuery::new()).try_collect().await;
        assert!(matches!(r, Err(Error::Protocol { .. })), "{r:?}");
        assert_eq!(*e.0.lock().unwrap(), MAX_EMPTY_PAGES);
    }
}
