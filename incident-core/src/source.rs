//! The vendor-neutral interface every vendor client implements.

use std::fmt;

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

    /// All incidents matching `query`, fetched page by page as the stream is read; memory
    /// holds one page at a time. Stops after [`IncidentQuery::limit`] incidents.
    fn incidents<'a>(&'a self, query: IncidentQuery) -> BoxStream<'a, Result<Incident>> {
        let limit = query.limit;
        let vendor = self.vendor();
        let pages = stream::try_unfold(Some(None::<Cursor>), move |state| {
            let query = query.clone();
            async move {
                let Some(cursor) = state else {
                    return Ok(None);
                };
                let page = self.list_incidents(&query, cursor.as_ref()).await?;
                let next = match page.next {
                    Some(next) if Some(&next) == cursor.as_ref() => {
                        return Err(Error::Protocol {
                            vendor: vendor.name(),
                            message: format!("the page cursor {:?} did not advance", next.as_str()),
                        });
                    }
                    Some(next) if !page.items.is_empty() => Some(Some(next)),
                    _ => None,
                };
                Ok(Some((page.items, next)))
            }
        });
        let items = pages
            .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
            .try_flatten();
        match limit {
            Some(n) => items.take(n).boxed(),
            None => items.boxed(),
        }
    }
}
