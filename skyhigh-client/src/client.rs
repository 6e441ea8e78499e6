//! The Skyhigh client, its builder, regions and authentication.

use incident_core::Vendor;
use std::sync::Arc;

use async_trait::async_trait;
use incident_core::reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use incident_core::transport::{
    Credentials, Login, Session, SessionProvider, TokenAnswer, basic_value, sensitive_value,
};
use incident_core::{
    ApiPath, ApiRequest, Auth, Error, Result, Secret, SessionAuth, Transport, TransportBuilder,
};
use time::OffsetDateTime;

use crate::error::{SkyhighErrorParser, SkyhighHook};
use crate::incidents::IncidentsApi;
pub use crate::model::{API_PATH, DEFAULT_TOKEN_LIFETIME, NEO_AUTH_PATH, Region, TokenHeader};

/// The identity of Skyhigh Security Cloud incidents: key `skyhigh`, shown as "Skyhigh", and the
/// product the OCSF export names; incidents are without assignees through the API. The one identity of this client,
/// in its incidents, its errors and its logs.
pub const SKYHIGH: Vendor =
    Vendor::new("skyhigh", "Skyhigh").product("Skyhigh Security Cloud", "Skyhigh Security");

/// [`SKYHIGH`], as the rest of the crate names it.
pub(crate) const VENDOR: Vendor = SKYHIGH;

/// How the client authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthMethod {
    /// HTTP Basic on every call: what every published integration uses.
    Basic,
    /// An IAM token (`POST {api}/token?grant_type=password&token_type=iam` with Basic and
    /// the optional `bps-tenant-id`), exchanged for an access token at
    /// `{host}/neo/neo-auth-service/oauth/token?grant_type=iam_token`.
    IamToken {
        /// The `bps-tenant-id` header, for users with accounts in several tenants.
        bps_tenant_id: Option<String>,
    },
    /// An access token straight from the user name and password
    /// (`{host}/neo/neo-auth-service/oauth/token?grant_type=password` with `x-auth-username`
    /// and `x-auth-password`). Documented for the CNAPP APIs, not confirmed for incidents.
    NeoPassword,
}

/// A client for the Skyhigh incidents API. Cheap to clone (`Arc` inside), `Send + Sync`.
///
/// ```no_run
/// # async fn run() -> incident_core::Result<()> {
/// use futures::TryStreamExt;
/// use skyhigh_client::{Region, SkyhighClient};
/// use time::macros::datetime;
///
/// let client = SkyhighClient::for_region(Region::Eu)
///     .basic_auth("api-user@example.com", std::env::var("SKYHIGH_PASSWORD").unwrap_or_default())
///     .build()?;
/// let mut incidents = client
///     .incidents()
///     .query()
///     .start_time(datetime!(2024-05-01 0:00 UTC))
///     .limit(200)
///     .into_stream();
/// while let Some(incident) = incidents.try_next().await? {
///     println!("{:?} {:?}", incident.incident_id, incident.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SkyhighClient {
    pub(crate) transport: Transport,
    pub(crate) history_start: OffsetDateTime,
    pub(crate) auth: Arc<AuthMethod>,
}

impl SkyhighClient {
    /// Starts a builder for the tenant at `url`, e.g. `https://www.myshn.net`. The API lives
    /// under [`API_PATH`]; a URL that already ends with it is used as is.
    pub fn builder(url: impl AsRef<str>) -> SkyhighClientBuilder {
        SkyhighClientBuilder::new(url.as_ref())
    }

    /// Starts a builder for a region's host.
    pub fn for_region(region: Region) -> SkyhighClientBuilder {
        SkyhighClientBuilder::new(region.url())
    }

    /// Incidents: query, modify, information keys, groups.
    pub fn incidents(&self) -> IncidentsApi {
        IncidentsApi::new(self.transport.clone())
    }

    /// How the client authenticates.
    pub fn auth_method(&self) -> &AuthMethod {
        &self.auth
    }

    /// The underlying transport, for calls this crate does not wrap.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Forgets the access token (there is no documented logoff); the next call obtains a
    /// new one. Does nothing with Basic auth.
    ///
    /// # Errors
    ///
    /// None: no request is sent, but the signature is that of every vendor's `sign_out`.
    pub async fn sign_out(&self) -> Result<()> {
        self.transport.sign_out().await
    }
}

/// Builds a [`SkyhighClient`]. Credentials are required: [`basic_auth`](Self::basic_auth)
/// (the default method), or a user name and password with
/// [`access_token_auth`](Self::access_token_auth) or
/// [`neo_password_auth`](Self::neo_password_auth).
#[derive(Debug)]
#[must_use = "a builder does nothing until it is built"]
pub struct SkyhighClientBuilder {
    transport: TransportBuilder,
    credentials: Login,
    method: AuthMethod,
    token_header: TokenHeader,
    history_start: OffsetDateTime,
}

impl SkyhighClientBuilder {
    fn new(url: &str) -> Self {
        SkyhighClientBuilder {
            transport: TransportBuilder::new(VENDOR, url)
                .api_path(API_PATH)
                .user_agent(concat!("skyhigh-client/", env!("CARGO_PKG_VERSION")))
                .error_parser(SkyhighErrorParser)
                .response_hook(SkyhighHook),
            credentials: Login::default(),
            method: AuthMethod::Basic,
            token_header: TokenHeader::default(),
            history_start: OffsetDateTime::UNIX_EPOCH,
        }
    }

    /// HTTP Basic on every call (the default method).
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.credentials.set(username, password);
        self.method = AuthMethod::Basic;
        self
    }

    /// The IAM-token flow: an IAM token from the user name and password, exchanged for an
    /// access token, renewed before it expires (`expires_in`, else
    /// [`DEFAULT_TOKEN_LIFETIME`]), and once more when a call answers 401.
    pub fn access_token_auth(
        mut self,
        username: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Self {
        self.credentials.set(username, password);
        if !matches!(self.method, AuthMethod::IamToken { .. }) {
            self.method = AuthMethod::IamToken {
                bps_tenant_id: None,
            };
        }
        self
    }

    /// The `bps-tenant-id` sent when getting the IAM token (switches to
    /// [`access_token_auth`](Self::access_token_auth) if Basic was chosen).
    pub fn bps_tenant_id(mut self, tenant: impl Into<String>) -> Self {
        self.method = AuthMethod::IamToken {
            bps_tenant_id: Some(tenant.into()),
        };
        self
    }

    /// An access token straight from the user name and password at neo-auth
    /// (`grant_type=password`), renewed as [`access_token_auth`](Self::access_token_auth).
    pub fn neo_password_auth(
        mut self,
        username: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Self {
        self.credentials.set(username, password);
        self.method = AuthMethod::NeoPassword;
        self
    }

    /// How an access token is sent (default [`TokenHeader::XAccessToken`]). Ignored with
    /// Basic auth.
    pub fn token_header(mut self, header: TokenHeader) -> Self {
        self.token_header = header;
        self
    }

    /// The start of the normalized listing when a query sets no time window, and of the
    /// search behind `get_incident` (Skyhigh has no read by id): default the Unix epoch,
    /// i.e. everything the tenant keeps. A later start makes both cheaper.
    pub fn history_start(mut self, start: OffsetDateTime) -> Self {
        self.history_start = start;
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
    pub fn build(self) -> Result<SkyhighClient> {
        let (username, password) = self.credentials.require(
            VENDOR,
            "basic_auth(), access_token_auth() or neo_password_auth()",
        )?;
        let transport = match &self.method {
            AuthMethod::Basic => self.transport.auth(Auth::Basic { username, password }),
            method => {
                // Checked now: a bad credential is a build error, not a failed logon.
                match method {
                    AuthMethod::NeoPassword => {
                        sensitive_value(&username)?;
                        sensitive_value(password.expose())?;
                    }
                    AuthMethod::IamToken { bps_tenant_id } => {
                        basic_value(&username, &password)?;
                        if let Some(tenant) = bps_tenant_id {
                            sensitive_value(tenant)?;
                        }
                    }
                    AuthMethod::Basic => {}
                }
                let provider = TokenSession {
                    method: method.clone(),
                    username,
                    password,
                    header: self.token_header,
                };
                self.transport
                    .authenticator(Arc::new(SessionAuth::new(provider)))
            }
        }
        .build()?;
        Ok(SkyhighClient {
            transport,
            history_start: self.history_start,
            auth: Arc::new(self.method),
        })
    }
}

/// The access-token flows as a session: log on, attach the token, log on again when it
/// expires (no refresh grant is documented).
#[derive(Debug)]
struct TokenSession {
    method: AuthMethod,
    username: String,
    password: Secret,
    header: TokenHeader,
}

impl TokenSession {
    fn tenant(&self) -> Option<&str> {
        match &self.method {
            AuthMethod::IamToken { bps_tenant_id } => bps_tenant_id.as_deref(),
            _ => None,
        }
    }

    /// The neo-auth host: the API's origin, without [`API_PATH`].
    fn neo(http: &Transport) -> Result<Transport> {
        let base = http.base_url();
        http.with_base_url(&base.origin().ascii_serialization())
    }

    fn with_tenant(&self, mut req: ApiRequest) -> Result<ApiRequest> {
        if let Some(tenant) = self.tenant() {
            let value = HeaderValue::from_str(tenant)
                .map_err(|_| Error::config("the bps-tenant-id cannot be sent in a header"))?;
            req = req.header(HeaderName::from_static("bps-tenant-id"), value);
        }
        Ok(req)
    }
}

#[async_trait]
impl SessionProvider for TokenSession {
    async fn log_on(&self, http: &Transport) -> Result<Session> {
        let exchange = match &self.method {
            AuthMethod::NeoPassword => ApiRequest::post(ApiPath::new(NEO_AUTH_PATH))
                .query("grant_type", "password")
                .header(
                    HeaderName::from_static("x-auth-username"),
                    sensitive_value(&self.username)?,
                )
                .header(
                    HeaderName::from_static("x-auth-password"),
                    sensitive_value(self.password.expose())?,
                ),
            _ => {
                let iam = self.with_tenant(
                    ApiRequest::post(ApiPath::new("/token"))
                        .query("grant_type", "password")
                        .query("token_type", "iam")
                        .header(AUTHORIZATION, basic_value(&self.username, &self.password)?),
                )?;
                let iam_token =
                    TokenAnswer::read(VENDOR, "IAM token", http.execute(iam).await?.body())?;
                self.with_tenant(
                    ApiRequest::post(ApiPath::new(NEO_AUTH_PATH))
                        .query("grant_type", "iam_token")
                        .header(
                            HeaderName::from_static("x-iam-token"),
                            sensitive_value(iam_token.access_token.expose())?,
                        )
                        .json(&serde_json::json!({}))?,
                )?
            }
        };
        let answer = Self::neo(http)?.execute(exchange).await?;
        let token = TokenAnswer::read(VENDOR, "token", answer.body())?;
        let lifetime = token.expires_in.unwrap_or(DEFAULT_TOKEN_LIFETIME);
        Ok(Session::new(token.access_token).expires_in(lifetime))
    }

    fn attach(&self, token: &Secret) -> Result<Credentials> {
        match self.header {
            TokenHeader::XAccessToken => {
                Credentials::header(HeaderName::from_static("x-access-token"), token.expose())
            }
            TokenHeader::Bearer => Credentials::bearer(token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(url: &str) -> String {
        SkyhighClient::builder(url)
            .basic_auth("u", "p")
            .build()
            .unwrap()
            .transport()
            .base_url()
            .as_str()
            .trim_end_matches('/')
            .to_string()
    }

    #[test]
    fn base_path_and_regions() {
        assert_eq!(
            base("https://www.myshn.net"),
            "https://www.myshn.net/shnapi/rest/external/api/v1"
        );
        assert_eq!(
            base("https://h/shnapi/rest/external/api/v1/"),
            "https://h/shnapi/rest/external/api/v1"
        );
        assert_eq!(
            "EU".parse::<Region>().unwrap().url(),
            "https://www.myshn.eu"
        );
        assert_eq!("ca".parse::<Region>().unwrap(), Region::Ca);
        assert_eq!(Region::Us.url(), "https://www.myshn.net");
        assert!("gov".parse::<Region>().is_err());
        for bad in ["", "https://", "www.myshn.net"] {
            assert!(
                SkyhighClient::builder(bad)
                    .basic_auth("u", "p")
                    .build()
                    .is_err()
            );
        }
    }

    #[test]
    fn credentials_are_checked_at_build() {
        assert!(SkyhighClient::builder("https://h").build().is_err());
        assert!(
            SkyhighClient::builder("https://h")
                .basic_auth(" ", "p")
                .build()
                .is_err()
        );
        assert!(
            SkyhighClient::builder("https://h")
                .basic_auth("a:b", "p")
                .build()
                .is_err()
        );
        let e = SkyhighClient::builder("https://h")
            .neo_password_auth("u", "pw\r\nX-Injected: 1")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Config { .. }));
        assert!(!format!("{e} {e:?}").contains("X-Injected"));
        let e = SkyhighClient::builder("https://h")
            .access_token_auth("u", "p")
            .bps_tenant_id("1\n2")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Config { .. }));
        // In a Basic header the password is base64: any character goes.
        assert!(
            SkyhighClient::builder("https://h")
                .access_token_auth("u", "pw\r\n")
                .build()
                .is_ok()
        );
    }

    #[test]
    fn debug_never_shows_credentials() {
        let b = SkyhighClient::builder("https://h")
            .access_token_auth("api-user", "s3cret-pass")
            .bps_tenant_id("4711");
        assert!(!format!("{b:?}").contains("s3cret-pass"));
        let c = b.build().unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains("s3cret-pass"), "{text}");
        assert!(text.contains("4711"));
        let c = SkyhighClient::builder("https://h")
            .basic_auth("api-user", "s3cret-pass")
            .build()
            .unwrap();
        assert!(!format!("{c:?}").contains("s3cret-pass"));
    }
}
