//! The PTA client and its builder.

use std::sync::Arc;

use incident_core::transport::{Authenticator, Login};
use incident_core::{
    ApiPath, Error, Result, Secret, SessionAuth, Transport, TransportBuilder, Vendor,
};

use crate::error::{PtaErrorParser, PtaHook};
use crate::events::EventsApi;
use crate::risks::RisksApi;
use crate::session::PtaSession;

use crate::model::AuthType;
pub use crate::model::{DEFAULT_APP_PATH, DateUnit, EventFilterMode};

/// The identity of CyberArk Privileged Threat Analytics incidents: key `cyberark-pta`, shown
/// as "CyberArk PTA", and the product the OCSF export names; incidents are without
/// assignees. The one identity of this client, in its incidents, its errors and its logs.
pub const CYBERARK_PTA: Vendor =
    Vendor::new("cyberark-pta", "CyberArk PTA").product("Privileged Threat Analytics", "CyberArk");

/// [`CYBERARK_PTA`], as the rest of the crate names it.
pub(crate) const VENDOR: Vendor = CYBERARK_PTA;

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) transport: Transport,
    /// `/PasswordVault` (or the configured application), empty when the base URL already
    /// ends with it.
    pub(crate) app: ApiPath,
    pub(crate) app_name: String,
    pub(crate) session: Arc<SessionAuth<PtaSession>>,
    pub(crate) filter_mode: EventFilterMode,
    pub(crate) date_unit: DateUnit,
}

/// A client for the PTA API of a self-hosted PVWA. Cheap to clone (`Arc` inside),
/// `Send + Sync`.
///
/// The PVWA session is an incident-core [`SessionAuth`] (one logon at the first request, a
/// new one and a replay after a 401, [`log_off`](Self::log_off)); the token goes raw in
/// `Authorization`.
///
/// Every call fails with [`Error::InvalidInput`] for a value PVWA's URL rules or limits
/// refuse, before anything is sent; with the errors of
/// [`Transport::execute`](incident_core::Transport::execute), among them [`Error::Api`] with
/// PVWA's code ([`PtaErrorExt`](crate::PtaErrorExt)) for a refusal, also one answered with a
/// 2xx; with [`Error::Decode`] for an answer of another shape; and as [`log_on`](Self::log_on).
///
/// ```no_run
/// # async fn run() -> incident_core::Result<()> {
/// use cyberark_pta_client::{AuthType, EventStatus, PtaClient};
///
/// let client = PtaClient::builder("https://pvwa.example.com")
///     .credentials("soc-bot", std::env::var("PTA_PASSWORD").unwrap_or_default())
///     .auth_type(AuthType::Ldap)
///     .build()?;
/// let open = client.events().list().status(EventStatus::Open).send().await?;
/// if let Some(id) = open.first().and_then(|e| e.id.clone()) {
///     client.events().close(id).await?;
/// }
/// client.log_off().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PtaClient {
    pub(crate) inner: Arc<Inner>,
}

impl PtaClient {
    /// Starts a builder for the PVWA at `pvwa_url`, e.g. `https://pvwa.example.com`. The
    /// application path (`/PasswordVault` by default) is added unless the URL already ends
    /// with it.
    pub fn builder(pvwa_url: impl AsRef<str>) -> PtaClientBuilder {
        PtaClientBuilder::new(pvwa_url.as_ref())
    }

    /// Security events: list, get, open and close.
    pub fn events(&self) -> EventsApi {
        EventsApi::new(self.clone())
    }

    /// Risk events: list page by page, close and reopen (PAM self-hosted 13.2 and later).
    pub fn risks(&self) -> RisksApi {
        RisksApi::new(self.clone())
    }

    /// Logs on now, if there is no session yet (every call logs on by itself when needed;
    /// this makes a wrong password show before any other work).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for a refused logon (`PASWS013E`: a wrong password), [`Error::Protocol`]
    /// for an answer without a session token, or an error of the connection.
    pub async fn log_on(&self) -> Result<()> {
        self.inner
            .session
            .credentials(self.inner.transport.unauthenticated())
            .await
            .map(|_| ())
    }

    /// Logs off (`POST {app}/API/Auth/Logoff`) and forgets the session; the next call logs
    /// on again. Does nothing without a session. Dropping the client does not log off:
    /// PVWA then lets the session time out.
    ///
    /// # Errors
    ///
    /// As every call: see [`PtaClient`].
    pub async fn log_off(&self) -> Result<()> {
        self.inner.transport.sign_out().await
    }

    /// How many sessions were obtained so far (logons, the first one included).
    pub fn sessions_obtained(&self) -> u64 {
        self.inner.session.sessions_obtained()
    }

    /// The application path calls go to, e.g. `PasswordVault`.
    pub fn app_path(&self) -> &str {
        &self.inner.app_name
    }

    /// How the event list is filtered by date.
    pub fn event_filter_mode(&self) -> EventFilterMode {
        self.inner.filter_mode
    }

    /// The unit of the dates sent in filters.
    pub fn date_unit(&self) -> DateUnit {
        self.inner.date_unit
    }

    /// The underlying transport, for calls this crate does not wrap yet (paths below it
    /// start with the application path).
    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// `{app}/{rest}`.
    pub(crate) fn path(&self, rest: &'static str) -> ApiPath {
        self.inner.app.clone().then(rest)
    }
}

/// Builds a [`PtaClient`]. The user name and password are required
/// ([`credentials`](Self::credentials)); everything else has a default.
#[derive(Debug)]
#[must_use = "a builder does nothing until it is built"]
pub struct PtaClientBuilder {
    transport: TransportBuilder,
    url: String,
    app_path: String,
    auth_type: AuthType,
    login: Login,
    concurrent_session: Option<bool>,
    filter_mode: EventFilterMode,
    date_unit: DateUnit,
}

impl PtaClientBuilder {
    fn new(url: &str) -> Self {
        PtaClientBuilder {
            transport: TransportBuilder::new(VENDOR, url)
                .user_agent(concat!("cyberark-pta-client/", env!("CARGO_PKG_VERSION")))
                .error_parser(PtaErrorParser)
                .response_hook(PtaHook),
            url: url.to_owned(),
            app_path: DEFAULT_APP_PATH.to_owned(),
            auth_type: AuthType::default(),
            login: Login::default(),
            concurrent_session: None,
            filter_mode: EventFilterMode::default(),
            date_unit: DateUnit::default(),
        }
    }

    /// The user who logs on, and the password (for RADIUS, what RADIUS expects).
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.login.set(username, password);
        self
    }

    /// How PVWA authenticates the user (default [`AuthType::CyberArk`]).
    pub fn auth_type(mut self, auth_type: AuthType) -> Self {
        self.auth_type = auth_type;
        self
    }

    /// The IIS application of PVWA (default [`DEFAULT_APP_PATH`]), e.g. `PasswordVault` or
    /// `pam/PasswordVault`; letters, digits, `-`, `.`, `_` and `~` in `/`-separated parts.
    pub fn app_path(mut self, path: impl Into<String>) -> Self {
        self.app_path = path.into();
        self
    }

    /// Sends `concurrentSession` at logon: `true` lets this user hold several sessions at
    /// once (up to 300), so that this client does not end the user's other sessions. Not
    /// sent unless set (PVWA's default is `false`).
    pub fn concurrent_session(mut self, concurrent: bool) -> Self {
        self.concurrent_session = Some(concurrent);
        self
    }

    /// How the event list is filtered by date (default [`EventFilterMode::Query`]; use
    /// [`EventFilterMode::LegacyHeader`] for PAS 10.3 to 11.2).
    pub fn event_filter_mode(mut self, mode: EventFilterMode) -> Self {
        self.filter_mode = mode;
        self
    }

    /// The unit of dates sent in filters (default [`DateUnit::Milliseconds`]).
    pub fn date_unit(mut self, unit: DateUnit) -> Self {
        self.date_unit = unit;
        self
    }

    incident_core::transport_options!(transport);

    /// Builds the client. Sends nothing: the logon happens at the first call.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the credentials are missing or empty, the application path is
    /// not a path, the URL is invalid, or a certificate could not be read.
    pub fn build(self) -> Result<PtaClient> {
        let (username, password) = self.login.require(VENDOR, "credentials()")?;
        let app_name = app_name(&self.app_path)?;
        // A base URL that already names the application is used as is.
        let already = incident_core::reqwest::Url::parse(self.url.trim()).is_ok_and(|u| {
            let path = u.path().trim_end_matches('/').to_ascii_lowercase();
            path.ends_with(&format!("/{}", app_name.to_ascii_lowercase()))
        });
        let app = if already {
            ApiPath::from_encoded("")?
        } else {
            ApiPath::from_encoded(&format!("/{app_name}"))?
        };
        let session = Arc::new(SessionAuth::new(PtaSession {
            app: app.clone(),
            auth_type: self.auth_type,
            username,
            password,
            concurrent_session: self.concurrent_session,
        }));
        let authenticator: Arc<dyn Authenticator> = session.clone();
        let transport = self.transport.authenticator(authenticator).build()?;
        Ok(PtaClient {
            inner: Arc::new(Inner {
                transport,
                app,
                app_name,
                session,
                filter_mode: self.filter_mode,
                date_unit: self.date_unit,
            }),
        })
    }
}

/// The application path without its slashes, e.g. `pam/PasswordVault`: letters, digits,
/// `-`, `.`, `_` and `~` in `/`-separated parts; anything else is refused.
pub(crate) fn app_name(path: &str) -> Result<String> {
    let app_name = path.trim().trim_matches('/').to_owned();
    let valid_app = !app_name.is_empty()
        && app_name.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
        });
    if !valid_app {
        return Err(Error::config(format!(
            "the application path {path:?} is not a path such as \"PasswordVault\""
        )));
    }
    Ok(app_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(url: &str, app: Option<&str>) -> Result<PtaClient> {
        let mut b = PtaClient::builder(url).credentials("u", "p");
        if let Some(app) = app {
            b = b.app_path(app);
        }
        b.build()
    }

    fn full(url: &str, app: Option<&str>) -> String {
        let c = client(url, app).unwrap();
        format!(
            "{}{}",
            c.transport().base_url().as_str().trim_end_matches('/'),
            c.path("API/pta/API/Events").trailing_slash().as_str()
        )
    }

    #[test]
    fn the_application_path_is_added_once() {
        assert_eq!(
            full("https://pvwa.example.com", None),
            "https://pvwa.example.com/PasswordVault/API/pta/API/Events/"
        );
        assert_eq!(
            full("https://pvwa.example.com/PasswordVault/", None),
            "https://pvwa.example.com/PasswordVault/API/pta/API/Events/"
        );
        assert_eq!(
            full("https://h/passwordvault", None),
            "https://h/passwordvault/API/pta/API/Events/"
        );
        assert_eq!(
            full("https://h", Some("/pam/PV/")),
            "https://h/pam/PV/API/pta/API/Events/"
        );
        for bad in ["", "a b", "a/../b", "x%2F", "/"] {
            let e = client("https://h", Some(bad)).unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{bad}: {e:?}");
        }
        for bad in ["", "pvwa.example.com", "https://"] {
            assert!(client(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_are_required_and_never_shown() {
        let e = PtaClient::builder("https://h").build().unwrap_err();
        assert!(e.to_string().contains("user name"), "{e}");
        let e = PtaClient::builder("https://h")
            .credentials("u", "")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("password"), "{e}");
        let b = PtaClient::builder("https://h").credentials("soc-bot", "pa55-w0rd-x");
        assert!(!format!("{b:?}").contains("pa55-w0rd-x"));
        let c = b.build().unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains("pa55-w0rd-x"), "{text}");
        assert!(text.contains("soc-bot"), "{text}");
    }

    #[test]
    fn date_units() {
        let t = time::macros::datetime!(2020-07-15 06:19:44.123 UTC);
        assert_eq!(DateUnit::Milliseconds.format(t), "1594793984123");
        assert_eq!(DateUnit::Seconds.format(t), "1594793984");
    }
}
