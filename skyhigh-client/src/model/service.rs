//! Where Skyhigh's services live: the regions' hosts, the API's and the token exchange's
//! paths, how an access token is sent and how long it lives.

use std::str::FromStr;
use std::time::Duration;

use incident_core::{Error, Result};

/// Where the incidents API lives below the tenant's host.
pub const API_PATH: &str = "/shnapi/rest/external/api/v1";

/// The token exchange of the access-token flows, below the tenant's host (not below
/// [`API_PATH`]).
pub const NEO_AUTH_PATH: &str = "/neo/neo-auth-service/oauth/token";

/// How long an access token lives when the service does not say: "Tokens are expired in 10
/// minutes" (ModifyIncident API page).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(600);

/// A Skyhigh Security Cloud region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// United States, `https://www.myshn.net` (the default of the documentation).
    Us,
    /// Europe, `https://www.myshn.eu`.
    Eu,
    /// Canada, `https://www.myshn.ca`.
    Ca,
}

impl Region {
    /// The region's base URL.
    pub fn url(self) -> &'static str {
        match self {
            Region::Us => "https://www.myshn.net",
            Region::Eu => "https://www.myshn.eu",
            Region::Ca => "https://www.myshn.ca",
        }
    }
}

impl FromStr for Region {
    type Err = Error;

    /// `us`, `eu` or `ca`, in any case.
    fn from_str(s: &str) -> Result<Region> {
        match s.trim().to_ascii_lowercase().as_str() {
            "us" => Ok(Region::Us),
            "eu" => Ok(Region::Eu),
            "ca" => Ok(Region::Ca),
            other => Err(Error::config(format!(
                "unknown Skyhigh region {other:?}; expected us, eu or ca"
            ))),
        }
    }
}

/// How an access token is sent on each call. The documentation disagrees with itself: the
/// shift-left code and the Invoke page use `x-access-token`, the ModifyIncident page says
/// "Pass access and IAM tokens to the APIs as Bearer Token".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenHeader {
    /// `x-access-token: <token>` (the default).
    #[default]
    XAccessToken,
    /// `Authorization: Bearer <token>`.
    Bearer,
}
