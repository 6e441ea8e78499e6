//! The identity of an incident source: an open value that any crate can make.
//!
//! Like `http::HeaderName`, well-known identities are constants (each vendor crate defines its
//! own, e.g. `qradar_client::QRADAR`) and anyone can make another with [`Vendor::new`]:
//! a team's own ticket queue, another SIEM. incident-core defines none. Two identities are
//! equal when their [`key`](Vendor::key)s are.
//!
//! ```
//! use incident_core::Vendor;
//!
//! /// Our own queue of tickets, beside the vendor clients.
//! pub const TICKETS: Vendor = Vendor::new("acme-tickets", "ACME Tickets")
//!     .product("Ticket Queue", "ACME")
//!     .assignees_by_id();
//!
//! assert_eq!(TICKETS.to_string(), "ACME Tickets");
//! assert_eq!(TICKETS.key(), "acme-tickets");
//! assert_eq!(TICKETS, Vendor::new("acme-tickets", "another name, same source"));
//! ```

use std::fmt;
use std::hash::{Hash, Hasher};

/// The identity of an incident source: a stable machine key, a display name, and what the
/// OCSF export says of the product. `Copy`, cheap to pass around; equal by key.
///
/// Used everywhere a source is named: [`Incident::vendor`](crate::Incident::vendor),
/// [`IncidentSource::vendor`](crate::IncidentSource::vendor), every [`Error`](crate::Error)
/// and its `Display`, tracing fields, the OCSF `metadata.product`, the capability matrix and
/// the sync checkpoint (by key).
#[derive(Clone, Copy)]
pub struct Vendor {
    key: &'static str,
    name: &'static str,
    product: &'static str,
    vendor_name: &'static str,
    assignees_by_id: bool,
}

impl Vendor {
    /// An identity with a stable machine `key` (lower case, e.g. `"qradar"`: it is written
    /// into sync checkpoints, so keep it when the display name changes) and a display
    /// `name` (e.g. `"QRadar"`). The OCSF product is the display name, by the same vendor,
    /// until [`product`](Self::product) says otherwise; assignees are user names until
    /// [`assignees_by_id`](Self::assignees_by_id).
    pub const fn new(key: &'static str, name: &'static str) -> Vendor {
        Vendor {
            key,
            name,
            product: name,
            vendor_name: name,
            assignees_by_id: false,
        }
    }

    /// The product and the company behind it, as OCSF's `metadata.product` names them
    /// (e.g. `"QRadar SIEM"` by `"IBM"`).
    #[must_use]
    pub const fn product(mut self, product: &'static str, vendor_name: &'static str) -> Vendor {
        self.product = product;
        self.vendor_name = vendor_name;
        self
    }

    /// Says that the source names assignees by id rather than by user name (the OCSF export
    /// then writes the assignee's `uid`, not its `name`).
    #[must_use]
    pub const fn assignees_by_id(mut self) -> Vendor {
        self.assignees_by_id = true;
        self
    }

    /// The stable machine key, e.g. `"qradar"`.
    pub const fn key(&self) -> &'static str {
        self.key
    }

    /// The display name, e.g. `"QRadar"`.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The product's name for OCSF, e.g. `"QRadar SIEM"`.
    pub const fn product_name(&self) -> &'static str {
        self.product
    }

    /// The company's name for OCSF, e.g. `"IBM"`.
    pub const fn vendor_name(&self) -> &'static str {
        self.vendor_name
    }

    /// Whether assignees are named by id (see [`assignees_by_id`](Self::assignees_by_id)).
    pub const fn names_assignees_by_id(&self) -> bool {
        self.assignees_by_id
    }
}

/// A source known only by a name, for a quick test or a transport of one's own: the name is
/// its key too.
impl From<&'static str> for Vendor {
    fn from(name: &'static str) -> Vendor {
        Vendor::new(name, name)
    }
}

impl PartialEq for Vendor {
    fn eq(&self, other: &Vendor) -> bool {
        self.key == other.key
    }
}

impl Eq for Vendor {}

impl Hash for Vendor {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl fmt::Debug for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Identities for the tests of this crate, which names no real vendor.
#[cfg(test)]
pub(crate) mod test_vendors {
    use super::Vendor;

    /// Names assignees by user name.
    pub(crate) const ALPHA: Vendor =
        Vendor::new("alpha", "Alpha").product("Alpha SIEM", "Alpha Inc");
    /// Names assignees by user name.
    pub(crate) const BRAVO: Vendor =
        Vendor::new("bravo", "Bravo").product("Bravo Analytics", "Bravo Corp");
    /// Names assignees by user name.
    pub(crate) const CHARLIE: Vendor = Vendor::new("charlie", "Charlie");
    /// Names assignees by id.
    pub(crate) const DELTA: Vendor = Vendor::new("delta", "Delta").assignees_by_id();
    /// Names assignees by id.
    pub(crate) const ECHO: Vendor = Vendor::new("echo", "Echo")
        .product("Echo Connect", "Echo Ltd")
        .assignees_by_id();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const A: Vendor = Vendor::new("a", "Alpha").product("Alpha SIEM", "Alpha Inc");

    #[test]
    fn equal_by_key_shown_by_name() {
        assert_eq!(A, Vendor::new("a", "Renamed"));
        assert_ne!(A, Vendor::new("b", "Alpha"));
        let set: HashSet<Vendor> = [A, Vendor::new("a", "x"), Vendor::from("b")].into();
        assert_eq!(set.len(), 2);
        assert_eq!(format!("{A} {A:?}"), "Alpha Alpha");
        assert_eq!(
            (A.product_name(), A.vendor_name()),
            ("Alpha SIEM", "Alpha Inc")
        );
        let plain = Vendor::from("Test");
        assert_eq!((plain.key(), plain.product_name()), ("Test", "Test"));
        assert!(!A.names_assignees_by_id() && A.assignees_by_id().names_assignees_by_id());
    }
}
