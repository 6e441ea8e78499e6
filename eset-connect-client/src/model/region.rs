//! The ESET data centre regions and their hosts.

use std::fmt;
use std::str::FromStr;

use incident_core::{Error, Result};

/// The ESET data centre regions; the region must match where the ESET PROTECT or Inspect
/// tenant lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// Europe (`eu`).
    Eu,
    /// Germany (`de`).
    De,
    /// United States (`us`).
    Us,
    /// Canada (`ca`).
    Ca,
    /// Japan (`jpn`).
    Jpn,
}

impl Region {
    /// Every region.
    pub const ALL: [Region; 5] = [Region::Eu, Region::De, Region::Us, Region::Ca, Region::Jpn];

    /// The host prefix: `eu`, `de`, `us`, `ca` or `jpn`.
    pub fn code(self) -> &'static str {
        match self {
            Region::Eu => "eu",
            Region::De => "de",
            Region::Us => "us",
            Region::Ca => "ca",
            Region::Jpn => "jpn",
        }
    }

    /// The incident management host, e.g. `https://eu.incident-management.eset.systems`.
    pub fn incidents_url(self) -> String {
        format!("https://{}.incident-management.eset.systems", self.code())
    }

    /// The OAuth (IAM) host, e.g. `https://eu.business-account.iam.eset.systems`.
    pub fn iam_url(self) -> String {
        format!("https://{}.business-account.iam.eset.systems", self.code())
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Region {
    type Err = Error;

    /// Reads `eu`, `de`, `us`, `ca` or `jpn`, in any case.
    fn from_str(s: &str) -> Result<Region> {
        Region::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::config(format!(
                    "unknown ESET region {:?}; expected eu, de, us, ca or jpn",
                    s.trim()
                ))
            })
    }
}
