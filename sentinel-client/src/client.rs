//! The Sentinel client, its builder, and the X-SAML session.

use incident_core::Vendor;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use incident_core::reqwest::header::{AUTHORIZATION, HeaderValue};
use incident_core::transport::{Credentials, Login, Session, SessionProvider, basic_value};
use incident_core::{
    ApiPath, ApiRequest, Error, Result, Secret, SessionAuth, Transport, TransportBuilder,
};

use crate::error::{SentinelErrorParser, SentinelHook};
use crate::incidents::IncidentsApi;
use crate::model::{ObjectRef, TokenAnswer};
use crate::objects::{AnnotationsApi, ExternalDataApi, IncidentEventsApi};

/// The identity of NetIQ / OpenText Sentinel incidents: key `sentinel`, shown as "Sentinel", and the
/// product the OCSF export names; incidents are assigned by user id. The one identity of this client,
/// in its incidents, its errors and its logs.
pub const SENTINEL: Vendor = Vendor::new("sentinel", "Sentinel")
    .product("Sentinel", "OpenText")
    .assignees_by_id();

/// [`SENTINEL`], as the rest of the crate names it.
pub(crate) const VENDOR: Vendor = SENTINEL;

pub use crate::model::{AUTH_TOKENS_PATH, OBJECTS_PATH};

/// A client for the Sentinel REST API. Cheap to clone (`Arc` inside), `Send + Sync`.
///
/// It logs on once (`POST /SentinelAuthServices/auth/tokens` with Basic credentials),
/// however many requests are in flight, and sends the token it gets as
/// `Authorization: X-SAML <token>`. A token the server refuses (401) is replaced by one new
/// logon and the request replayed once. [`sign_out`](Self::sign_out) deletes the token
/// (`DELETE /SentinelAuthServices/auth/tokens/{token}`); call it when the work is done,
/// since dropping the client cannot.
///
/// ```no_run
/// # async fn run() -> incident_core::Result<()> {
/// use sentinel_client::SentinelClient;
///
/// let client = SentinelClient::builder("https://sentinel.example.com:8443")
///     .credentials("admin", std::env::var("SENTINEL_PASSWORD").unwrap_or_default())
///     .build()?;
/// let page = client.incidents().list().page_size(50).send().await?;
/// for incident in &page.objects {
///     println!("{:?} {:?} {:?}", incident.id(), incident.state, incident.name);
/// }
/// client.sign_out().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SentinelClient {
    pub(crate) transport: Transport,
    session: Arc<SessionAuth<SentinelSession>>,
}

impl SentinelClient {
    /// Starts a builder for the server at `url`, e.g. `https://sentinel.example.com:8443`
    /// (the API paths `/SentinelRESTServices/...` and `/SentinelAuthServices/...` are
    /// appended; a path in the URL, for a reverse proxy, is kept before them).
    pub fn builder(url: impl AsRef<str>) -> SentinelClientBuilder {
        SentinelClientBuilder::new(url.as_ref())
    }

    /// Incidents: list, create, get, update, delete, and their events.
    pub fn incidents(&self) -> IncidentsApi {
        IncidentsApi::new(self.transport.clone())
    }

    /// Incident-event associations (`/objects/incident-events`).
    pub fn incident_events(&self) -> IncidentEventsApi {
        IncidentEventsApi::new(self.transport.clone())
    }

    /// External data items (`/objects/external-data`).
    pub fn external_data(&self) -> ExternalDataApi {
        ExternalDataApi::new(self.transport.clone())
    }

    /// Annotations, which an incident's `annotations` and `notes` refer to
    /// (`/objects/annotation`).
    pub fn annotations(&self) -> AnnotationsApi {
        AnnotationsApi::new(self.transport.clone())
    }

    /// The reference to the Sentinel user with this id, as an incident's `users` holds it:
    /// `{base}/SentinelRESTServices/objects/user/{id}` on the configured server.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an id that cannot be a path segment.
    pub fn user_ref(&self, user_id: &str) -> Result<ObjectRef> {
        let path = ApiPath::new(OBJECTS_PATH).then("user").segment(user_id)?;
        let base = self.transport.base_url().as_str().trim_end_matches('/');
        Ok(ObjectRef::new(format!("{base}{}", path.as_str())))
    }

    /// Deletes the session token on the server and forgets it; the next request logs on
    /// again. Does nothing when no session is open.
    ///
    /// # Errors
    ///
    /// As every call (see [`crate::request`]); a token already gone is not an error.
    pub async fn sign_out(&self) -> Result<()> {
        self.transport.sign_out().await
    }

    /// How many tokens this client has obtained so far (logons).
    pub fn logons(&self) -> u64 {
        self.session.sessions_obtained()
    }

    /// The underlying transport, for calls this crate does not wrap.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }
}

/// Builds a [`SentinelClient`]. Credentials are required
/// ([`credentials`](Self::credentials)).
#[derive(Debug)]
#[must_use = "a builder does nothing until it is built"]
pub struct SentinelClientBuilder {
    transport: TransportBuilder,
    login: Login,
}

impl SentinelClientBuilder {
    fn new(url: &str) -> Self {
        SentinelClientBuilder {
            transport: TransportBuilder::new(VENDOR, url)
                .user_agent(concat!("sentinel-client/", env!("CARGO_PKG_VERSION")))
                .error_parser(SentinelErrorParser::default())
                .response_hook(SentinelHook::default()),
            login: Login::default(),
        }
    }

    /// The Sentinel user name and password the token is requested with (HTTP Basic on
    /// `POST /SentinelAuthServices/auth/tokens`).
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.login.set(username, password);
        self
    }

    incident_core::transport_options!(transport);

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when no credentials were given, the user name is empty or holds a
    /// `:`, a credential cannot be sent in a header, the URL is invalid or a certificate
    /// could not be read.
    pub fn build(self) -> Result<SentinelClient> {
        let (username, password) = self.login.require(VENDOR, "credentials()")?;
        let basic = basic_value(&username, &password)?;
        let session = Arc::new(SessionAuth::new(SentinelSession { username, basic }));
        let transport = self.transport.authenticator(session.clone()).build()?;
        Ok(SentinelClient { transport, session })
    }
}

/// Sentinel's session: a token from the authentication service, sent as `X-SAML`.
struct SentinelSession {
    username: String,
    /// `Basic base64(user:password)`, marked sensitive.
    basic: HeaderValue,
}

impl fmt::Debug for SentinelSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentinelSession")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl SessionProvider for SentinelSession {
    async fn log_on(&self, http: &Transport) -> Result<Session> {
        // A second logon after a lost answer only costs a second token: safe to retry.
        let request = ApiRequest::post(ApiPath::new(AUTH_TOKENS_PATH))
            .header(AUTHORIZATION, self.basic.clone())
            .idempotent(true);
        let answer: TokenAnswer = http.execute(request).await?.json()?;
        match answer.token.filter(|t| !t.trim().is_empty()) {
            Some(token) => Ok(Session::new(token)),
            None => Err(Error::protocol(VENDOR, "the token answer holds no Token")),
        }
    }

    async fn log_off(&self, http: &Transport, session: &Session) -> Result<()> {
        // As the one public client that signs out does: the token in the path (shown
        // redacted in logs and errors), Basic credentials in the header.
        let path = ApiPath::new(AUTH_TOKENS_PATH).secret_segment(session.token().expose())?;
        let request = ApiRequest::delete(path).header(AUTHORIZATION, self.basic.clone());
        match http.execute(request).await {
            Ok(_) => Ok(()),
            // Already gone (expired or deleted): what sign-out wanted.
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn attach(&self, token: &Secret) -> Result<Credentials> {
        Credentials::header(AUTHORIZATION, &format!("X-SAML {}", token.expose()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn build_checks_credentials() {
        let e = SentinelClient::builder("https://s:8443")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e:?}");
        for user in ["", "a:b"] {
            let e = SentinelClient::builder("https://s:8443")
                .credentials(user, "pw")
                .build()
                .unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{user:?}: {e:?}");
        }
        // A password is base64-encoded in the Basic header: any text can be sent.
        assert!(
            SentinelClient::builder("https://s:8443")
                .credentials("admin", "pw\r\nX: 1 é")
                .build()
                .is_ok()
        );
        for bad in ["", "sentinel.example.com", "ftp://s"] {
            assert!(
                SentinelClient::builder(bad)
                    .credentials("a", "b")
                    .build()
                    .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_password() {
        let b = SentinelClient::builder("https://s:8443").credentials("admin", "pa55-word-9");
        assert!(!format!("{b:?}").contains("pa55-word-9"));
        let c = b.build().unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains("pa55-word-9"), "{text}");
        // Nor its Basic encoding.
        let encoded = base64::engine::general_purpose::STANDARD.encode("admin:pa55-word-9");
        assert!(!text.contains(&encoded), "{text}");
        assert!(text.contains("admin"));
    }

    #[test]
    fn user_references_are_built_on_the_configured_base() {
        let c = SentinelClient::builder("https://s.example.com:8443/proxy/")
            .credentials("a", "b")
            .build()
            .unwrap();
        let r = c.user_ref("42").unwrap();
        assert_eq!(
            r.as_str(),
            "https://s.example.com:8443/proxy/SentinelRESTServices/objects/user/42"
        );
        assert_eq!(r.id().as_deref(), Some("42"));
        assert!(c.user_ref("..").is_err());
        assert_eq!(
            c.user_ref("a/b").unwrap().as_str(),
            "https://s.example.com:8443/proxy/SentinelRESTServices/objects/user/a%2Fb"
        );
    }
}
