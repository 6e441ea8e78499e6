//! What QRadar sends, the objects of the offenses API with the vendor's field names, and
//! the vocabulary of what a request says: [`filter`] expressions, the `Range` of a list and
//! the [`Page`] it answers.
//!
//! Every field is an `Option` because `fields=` can leave any of them out and real
//! appliances send `null` for many; numbers documented as integers also decode from whole
//! floats and digit strings; enums keep unknown values in an `Unknown(String)` variant, and
//! [`Offense::extra`] keeps fields added by newer API versions. Times are
//! [`time::OffsetDateTime`], decoded from QRadar's milliseconds since the epoch.

mod assignable_actor;
mod closing_reason;
pub mod filter;
mod note;
mod offense;
mod offense_type;
mod range;

pub use assignable_actor::AssignableActor;
pub use closing_reason::ClosingReason;
pub use filter::{FieldFilter, Filter, FilterValue};
pub use note::Note;
pub use offense::{LogSource, Offense, OffenseRule, OffenseStatus, RuleType};
pub use offense_type::{DatabaseType, OffenseType};
pub(crate) use range::Range;
pub use range::{ContentRange, Page};
