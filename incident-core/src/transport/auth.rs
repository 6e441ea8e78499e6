//! How requests are authenticated: the [`Authenticator`] hook, the static kinds ([`Auth`])
//! implemented on it, the [`Credentials`] it attaches, and the [`Login`] a builder checks.

use std::fmt;

use async_trait::async_trait;
use base64::Engine as _;
use http::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

use super::Transport;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::vendor::Vendor;

/// Obtains, caches and attaches credentials for the requests of one transport.
///
/// The transport asks for [`credentials`](Self::credentials) before each attempt, then waits
/// for its rate-limit slot, if any, and checks them with [`revalidate`](Self::revalidate)
/// before sending; it attaches them only to requests for its configured origin. When the server refuses them (a 401, or a
/// response hook's [`Reauthenticate`](super::ResponseAction::Reauthenticate)), it calls
/// [`invalidate`](Self::invalidate) with the credentials that were refused and, if that
/// returns `true`, replays the request once with fresh credentials: never more than once per
/// call, so a server that refuses every token cannot cause a loop.
///
/// `http` is a transport of the same client without any authenticator (same connection pool,
/// TLS settings, proxy, timeouts), for the calls that obtain credentials: a logon, a token
/// exchange on a second host ([`Transport::with_base_url`]).
///
/// Implemented by [`Auth`] (static credentials) and [`SessionAuth`](super::SessionAuth)
/// (log on, use a token, refresh, log off).
#[async_trait]
pub trait Authenticator: Send + Sync + fmt::Debug + 'static {
    /// The credentials for the next attempt. Called concurrently by every request in
    /// flight; an implementation that logs on must do so once for all of them.
    async fn credentials(&self, http: &Transport) -> Result<Credentials>;

    /// Credentials obtained before a wait (for a rate-limit slot), looked at again when the
    /// slot is free: the credentials to send (these, or newer ones already at hand), or
    /// `None` when they went stale meanwhile. The transport then gives up the slot, asks
    /// [`credentials`](Self::credentials) again, holding no slot while a logon runs, and
    /// queues anew. This saves a request that the server would refuse.
    ///
    /// Called with no lock held, but must not block: it only reads what the authenticator
    /// has. The default keeps `obtained`, right for credentials that do not expire. A
    /// transport does not look again at credentials that this method already refused right
    /// after `credentials` returned them, so an inconsistent answer cannot make it loop.
    fn revalidate(&self, obtained: &Credentials) -> Option<Credentials> {
        Some(obtained.clone())
    }

    /// The server refused `used`. Returns whether a replay with fresh credentials may
    /// succeed; static credentials return `false`.
    async fn invalidate(&self, used: &Credentials) -> bool {
        let _ = used;
        false
    }

    /// Ends the session, if there is one (a logoff call). Static credentials do nothing.
    async fn sign_out(&self, http: &Transport) -> Result<()> {
        let _ = http;
        Ok(())
    }
}

/// Headers that authenticate one request, marked sensitive so that they are never printed.
///
/// `generation` tells sessions apart: a session authenticator numbers each token it obtains,
/// so that a 401 on an old token does not throw away a newer one.
#[derive(Clone, Default)]
pub struct Credentials {
    headers: HeaderMap,
    generation: u64,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("generation", &self.generation)
            .finish()
    }
}

impl Credentials {
    /// No credentials.
    pub fn none() -> Self {
        Credentials::default()
    }

    /// One header whose whole value is secret, e.g. `SEC: <token>` or
    /// `Authorization: X-SAML <token>` (pass the whole value).
    ///
    /// # Errors
    ///
    /// [`Error::Config`], without echoing the value, when it holds characters a header
    /// cannot carry (CR, LF, other controls).
    pub fn header(name: HeaderName, value: &str) -> Result<Self> {
        let mut headers = HeaderMap::new();
        headers.insert(name, sensitive_value(value)?);
        Ok(Credentials {
            headers,
            generation: 0,
        })
    }

    /// `Authorization: Bearer <token>`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`], without the token, for characters a header cannot carry.
    pub fn bearer(token: &Secret) -> Result<Self> {
        Self::header(AUTHORIZATION, &format!("Bearer {}", token.expose()))
    }

    /// `Authorization: Basic base64(username:password)` (see [`basic_value`]).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] as [`basic_value`] returns it.
    pub fn basic(username: &str, password: &Secret) -> Result<Self> {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, basic_value(username, password)?);
        Ok(Credentials {
            headers,
            generation: 0,
        })
    }

    /// Adds another header (a tenant id beside a token, for instance).
    ///
    /// # Errors
    ///
    /// [`Error::Config`], without the value, for characters a header cannot carry.
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Result<Self> {
        self.headers.insert(name, sensitive_value(value)?);
        Ok(self)
    }

    /// Tags these credentials with the session generation they belong to.
    #[must_use]
    pub fn with_generation(mut self, generation: u64) -> Self {
        self.generation = generation;
        self
    }

    /// The session generation (0 for static credentials).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether there is nothing to attach.
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }

    pub(super) fn apply(&self, mut req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        for (name, value) in &self.headers {
            req = req.header(name, value.clone());
        }
        req
    }
}

/// Static credentials, the same for every request.
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
    /// The headers these credentials attach.
    ///
    /// # Errors
    ///
    /// [`Error::Config`], without the secret, for a user name with `:` or characters a
    /// header cannot carry.
    pub fn to_credentials(&self) -> Result<Credentials> {
        match self {
            Auth::None => Ok(Credentials::none()),
            Auth::Header { name, value } => Credentials::header(name.clone(), value.expose()),
            Auth::Basic { username, password } => Credentials::basic(username, password),
            Auth::Bearer(token) => Credentials::bearer(token),
        }
    }
}

/// [`Auth`] with its headers computed once, when the transport is built: a token with CR/LF
/// is refused by `build()`, not by the first request.
pub(super) struct StaticAuth {
    pub(super) auth: Auth,
    pub(super) credentials: Credentials,
}

impl fmt::Debug for StaticAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.auth.fmt(f)
    }
}

#[async_trait]
impl Authenticator for StaticAuth {
    async fn credentials(&self, _: &Transport) -> Result<Credentials> {
        Ok(self.credentials.clone())
    }
}

/// `value` as a header value marked sensitive (never printed by `Debug`); a configuration
/// error, which never echoes the value, when it holds characters a header cannot carry
/// (CR, LF, other controls).
///
/// # Errors
///
/// [`Error::Config`] for such characters.
pub fn sensitive_value(value: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        // Never echo the value: it is a credential.
        Error::config("the credential contains characters not allowed in an HTTP header")
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// `Basic base64(username:password)`, a header value marked sensitive.
///
/// # Errors
///
/// [`Error::Config`] for a user name holding `:` (RFC 7617 forbids it) or a credential
/// a header cannot carry.
pub fn basic_value(username: &str, password: &Secret) -> Result<HeaderValue> {
    if username.contains(':') {
        return Err(Error::config(
            "a Basic user name must not contain ':' (RFC 7617)",
        ));
    }
    let raw = format!("{username}:{}", password.expose());
    let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
    sensitive_value(&format!("Basic {encoded}"))
}

/// The user name and password a client builder collects ([`set`](Self::set)) and checks
/// once, when it builds ([`require`](Self::require)). `Debug` shows the user name only.
#[derive(Debug, Clone, Default)]
pub struct Login(Option<(String, Secret)>);

impl Login {
    /// Keeps `username` and `password`, in place of any earlier ones.
    pub fn set(&mut self, username: impl Into<String>, password: impl Into<Secret>) {
        self.0 = Some((username.into(), password.into()));
    }

    /// The user name and password for `vendor`'s client; `setters` names the builder
    /// methods that give them, for the error, e.g. `"credentials()"`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when none were given, or the user name is blank, or the password
    /// is empty.
    pub fn require(self, vendor: Vendor, setters: &str) -> Result<(String, Secret)> {
        let name = vendor.name();
        let (username, password) = self.0.ok_or_else(|| {
            Error::config(format!(
                "{name} needs a user name and password: call {setters}"
            ))
        })?;
        if username.trim().is_empty() {
            return Err(Error::config(format!("the {name} user name is empty")));
        }
        if password.is_empty() {
            return Err(Error::config(format!("the {name} password is empty")));
        }
        Ok((username, password))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACME: Vendor = Vendor::new("acme", "Acme");

    fn refusal(login: Login) -> String {
        match login.require(ACME, "credentials()") {
            Err(Error::Config { message, .. }) => message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_login_is_required_whole_and_never_shows_its_password() {
        assert_eq!(
            refusal(Login::default()),
            "Acme needs a user name and password: call credentials()"
        );
        let mut login = Login::default();
        login.set(" ", "pw");
        assert_eq!(refusal(login.clone()), "the Acme user name is empty");
        login.set("soc", "");
        assert_eq!(refusal(login.clone()), "the Acme password is empty");
        login.set("soc", "hunter2");
        assert!(!format!("{login:?}").contains("hunter2"), "{login:?}");
        let (username, password) = login.require(ACME, "credentials()").unwrap();
        assert_eq!((username.as_str(), password.expose()), ("soc", "hunter2"));
    }

    #[test]
    fn header_values_are_sensitive_and_refuse_what_a_header_or_rfc_7617_forbids() {
        let value = basic_value("soc", &Secret::new("pw")).unwrap();
        assert_eq!(value.to_str().unwrap(), "Basic c29jOnB3");
        assert!(value.is_sensitive());
        assert!(basic_value("a:b", &Secret::new("pw")).is_err());
        let err = sensitive_value("tok\nen").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("tok"), "{err:?}");
    }
}
