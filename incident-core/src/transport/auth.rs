//! How requests are authenticated.

use std::fmt;

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use crate::error::{Error, Result};
use crate::secret::Secret;

/// How requests are authenticated.
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials (tests, or a proxy that adds them).
    None,
    /// A header whose whole value is secret, e.g. QRadar's `SEC: <token>`.
    Header {
        /// The header name.
        name: HeaderName,
        /// The header value.
        value: Secret,
    },
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Header { name, .. } => f
                .debug_struct("Header")
                .field("name", name)
                .field("value", &"[REDACTED]")
                .finish(),
            Auth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"[REDACTED]")
                .finish(),
            Auth::Bearer(_) => f.write_str("Bearer([REDACTED])"),
        }
    }
}

impl Auth {
    pub(super) fn apply(&self, req: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder> {
        Ok(match self {
            Auth::None => req,
            Auth::Header { name, value } => {
                req.header(name.clone(), sensitive_value(value.expose())?)
            }
            Auth::Basic { username, password } => req.basic_auth(username, Some(password.expose())),
            Auth::Bearer(token) => req.header(
                AUTHORIZATION,
                sensitive_value(&format!("Bearer {}", token.expose()))?,
            ),
        })
    }
}

pub(super) fn sensitive_value(value: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        // Never echo the value: it is a credential.
        Error::config("the credential contains characters not allowed in an HTTP header")
    })?;
    v.set_sensitive(true);
    Ok(v)
}
