//! What QRadar sends, the objects of the offenses API with the vendor's field names, and
//! the vocabulary of what a request says: [`filter`] expressions, the `Range` of a list and
//! the [`Page`] it answers, the [`StatusUpdate`] of an offense.
//!
//! Every field is an `Option` because `fields=` can leave any of them out and real
//! appliances send `null` for many; numbers documented as integers also decode from whole
//! floats and digit strings; enums keep unknown values in an `Unknown(String)` variant, and
//! [`Offense::extra`] keeps fields added by newer API versions. Times are
//! [`time::OffsetDateTime`], decoded from QRadar's milliseconds since the epoch.

mod assignable_actor;
mod closing_reason;
pub(crate) mod error;
pub mod filter;
mod list;
mod note;
mod offense;
mod offense_type;

pub use assignable_actor::AssignableActor;
pub use closing_reason::{ClosingReason, REASON_MAX_CHARS, REASON_MIN_CHARS};
pub use filter::{FieldFilter, Filter, FilterValue};
pub use list::{ContentRange, Page};
pub(crate) use list::{ListParams, Range};
pub use note::Note;
pub(crate) use offense::OffenseChanges;
pub use offense::{LogSource, Offense, OffenseRule, OffenseStatus, RuleType, StatusUpdate};
pub use offense_type::{DatabaseType, OffenseType};

/// A record a QRadar list returns, named so that a walk recognizes a page of records it
/// already delivered ([`Paginator::identify_by`](incident_core::Paginator::identify_by)).
pub trait Record: serde::de::DeserializeOwned + Send + 'static {
    /// The id, and the update time where the record has one; `None` when `fields=` left the
    /// id out.
    fn key(&self) -> Option<(u64, Option<i128>)>;
}

/// A record whose list accepts `sort` (QRadar does not sort notes nor closing reasons).
pub trait Sortable: Record {}

impl Record for Offense {
    fn key(&self) -> Option<(u64, Option<i128>)> {
        let version = self.last_updated_time.map(|t| t.unix_timestamp_nanos());
        Some((self.id?, version))
    }
}
impl Record for Note {
    fn key(&self) -> Option<(u64, Option<i128>)> {
        Some((self.id?, None))
    }
}
impl Record for AssignableActor {
    fn key(&self) -> Option<(u64, Option<i128>)> {
        Some((self.user_id?, None))
    }
}
impl Record for ClosingReason {
    fn key(&self) -> Option<(u64, Option<i128>)> {
        Some((self.id?, None))
    }
}
impl Record for OffenseType {
    fn key(&self) -> Option<(u64, Option<i128>)> {
        Some((self.id?, None))
    }
}
impl Sortable for Offense {}
impl Sortable for AssignableActor {}
impl Sortable for OffenseType {}
