//! Where a caller stops a walk, kept by a typed list builder until it builds its
//! [`Paginator`].

use std::hash::Hash;

use super::Paginator;

/// The limits a caller sets on a walk before it starts: [`max_items`](Paginator::max_items)
/// and [`max_pages`](Paginator::max_pages). A typed list builder keeps one, its setters
/// written by [`walk_limits!`](crate::walk_limits), and hands it to its paginator with
/// [`Paginator::limits`]:
///
/// ```
/// use futures::TryStreamExt;
/// use incident_core::paging::{OffsetPage, Paginator, WalkLimits};
///
/// /// A list with parameters of its own.
/// #[derive(Debug, Default)]
/// pub struct ListTickets {
///     limits: WalkLimits,
/// }
///
/// impl ListTickets {
///     incident_core::walk_limits!(limits);
///
///     /// The walk.
///     pub fn paginator(self) -> Paginator<u64, u64> {
///         Paginator::offsets(|start, len| async move {
///             Ok(OffsetPage::new((start..start + len).collect()).starting_at(start))
///         })
///         .limits(&self.limits)
///     }
/// }
///
/// # async fn run() -> incident_core::Result<()> {
/// let ids: Vec<u64> = ListTickets::default().max_items(3).paginator().items().try_collect().await?;
/// assert_eq!(ids, [0, 1, 2]);
/// // Two pages of the default size, 100.
/// let ids: Vec<u64> = ListTickets::default().max_pages(2).paginator().items().try_collect().await?;
/// assert_eq!(ids.len(), 200);
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()).unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkLimits {
    max_items: Option<u64>,
    max_pages: Option<u64>,
}

impl WalkLimits {
    /// Stops the walk after this many items ([`Paginator::max_items`]).
    pub fn max_items(&mut self, max: u64) -> &mut Self {
        self.max_items = Some(max);
        self
    }

    /// Stops the walk after this many pages ([`Paginator::max_pages`]).
    pub fn max_pages(&mut self, max: u64) -> &mut Self {
        self.max_pages = Some(max);
        self
    }
}

impl<T, C> Paginator<T, C>
where
    T: Send + 'static,
    C: Clone + Eq + Hash + Send + 'static,
{
    /// Applies the limits a caller set; those not set leave the walk as it is.
    pub fn limits(mut self, limits: &WalkLimits) -> Self {
        if let Some(max) = limits.max_items {
            self = self.max_items(max);
        }
        if let Some(max) = limits.max_pages {
            self = self.max_pages(max);
        }
        self
    }
}

/// Writes the `max_items` and `max_pages` setters of a typed list builder that keeps a
/// [`WalkLimits`](crate::paging::WalkLimits) in `$field`, so that every walk of every vendor
/// is stopped the same way. See [`WalkLimits`](crate::paging::WalkLimits).
#[macro_export]
macro_rules! walk_limits {
    ($field:ident) => {
        /// Ends the walk after this many items; the last page is cut to fit, and an offset
        /// walk asks for no item past the limit.
        pub fn max_items(mut self, max: u64) -> Self {
            self.$field.max_items(max);
            self
        }

        /// Ends the walk after this many pages (requests), so that a server that sends a
        /// few items per page of a huge total cannot keep a walk going.
        pub fn max_pages(mut self, max: u64) -> Self {
            self.$field.max_pages(max);
            self
        }
    };
}
