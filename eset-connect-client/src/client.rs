//! The ESET Connect client, its builder ([`Region`]s are model), the OAuth session and the
//! pending-answer protocol.

use incident_core::Vendor;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use incident_core::reqwest::header::{HeaderMap, HeaderName};
use incident_core::transport::{
    Answer, Credentials, Login, ResponseAction, Session, SessionProvider, TokenAnswer,
};
use incident_core::{
    ApiPath, ApiRequest, RateLimit, Result, Secret, SessionAuth, Transport, TransportBuilder,
};

use crate::error::{EsetErrorParser, error_inside_success};
use crate::incidents::IncidentsApi;
use crate::model::token_refused;

pub use crate::model::{
    DEFAULT_REQUESTS_PER_SECOND, PENDING_ANSWER_LIFETIME, REQUEST_ID, RESPONSE_ID, Region,
};

/// The identity of ESET Connect incidents: key `eset-connect`, shown as "ESET Connect", and the
/// product the OCSF export names; incidents are assigned by user UUID. The one identity of this client,
/// in its incidents, its errors and its logs.
pub const ESET_CONNECT: Vendor = Vendor::new("eset-connect", "ESET Connect")
    .product("ESET Connect", "ESET")
    .assignees_by_id();

/// [`ESET_CONNECT`], as the rest of the crate names it.
pub(crate) const VENDOR: Vendor = ESET_CONNECT;

/// The wait between two polls of a pending answer unless
/// [`EsetClientBuilder::poll_interval`] says otherwise.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// A token is renewed this long before its announced expiry at most (a fifth of its
/// lifetime for short-lived tokens).
pub const TOKEN_RENEWAL_MARGIN: Duration = Duration::from_secs(60);

/// A client for ESET Connect incident management. Cheap to clone (`Arc` inside),
/// `Send + Sync`.
///
/// ```no_run
/// # async fn run() -> incident_core::Result<()> {
/// use eset_connect_client::{EsetClient, Filter, IncidentStatus, Region};
///
/// let client = EsetClient::builder(Region::Eu)
///     .credentials("api-user@example.com", std::env::var("ESET_PASSWORD").unwrap_or_default())
///     .build()?;
/// let page = client
///     .incidents()
///     .list()
///     .filter(Filter::status(IncidentStatus::Open))
///     .page_size(50)
///     .send()
///     .await?;
/// println!("{} open incidents on the first page", page.incidents.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct EsetClient {
    pub(crate) transport: Transport,
    iam_url: Arc<str>,
}

impl EsetClient {
    /// Starts a builder for the hosts of `region`.
    pub fn builder(region: Region) -> EsetClientBuilder {
        EsetClientBuilder::new(region.incidents_url(), region.iam_url())
    }

    /// Starts a builder for an incident management host and an IAM host of your own (a
    /// proxy, a test server, the simulator).
    pub fn builder_with_urls(
        incidents_url: impl Into<String>,
        iam_url: impl Into<String>,
    ) -> EsetClientBuilder {
        EsetClientBuilder::new(incidents_url.into(), iam_url.into())
    }

    /// Incidents, their basic attributes, close and reopen, and comments.
    pub fn incidents(&self) -> IncidentsApi {
        IncidentsApi::new(self.transport.clone())
    }

    /// The IAM host tokens are asked from.
    pub fn iam_url(&self) -> &str {
        &self.iam_url
    }

    /// Forgets the token; the next request asks for a new one. (ESET has no logoff: a
    /// token stays valid until it expires.)
    ///
    /// # Errors
    ///
    /// None: no request is sent, but the signature is that of every vendor's `sign_out`.
    pub async fn sign_out(&self) -> Result<()> {
        self.transport.sign_out().await
    }

    /// The underlying transport, for calls this crate does not wrap yet (requests get the
    /// token, the rate limit and the pending-answer protocol).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }
}

/// Builds an [`EsetClient`]. The API user's credentials are required
/// ([`credentials`](Self::credentials)).
///
/// Defaults: at most [`DEFAULT_REQUESTS_PER_SECOND`] requests per second to the incident
/// management host, in bursts of 9, one short of ESET's so that a burst slow to arrive is
/// not refused ([`rate_limit`](Self::rate_limit), [`no_rate_limit`](Self::no_rate_limit),
/// [`RateLimit::burst`]), every attempt and poll counted, token requests to the IAM host
/// not; 429 and 503 retried after their `Retry-After`; pending answers
/// polled every [`DEFAULT_POLL_INTERVAL`]; an operation deadline of
/// [`PENDING_ANSWER_LIFETIME`].
///
/// Calls beyond the limit wait in arrival order and take their slot only once they hold a
/// valid token: when the token expires, the calls waiting for the new one hold no slot, and
/// the pace goes on as soon as it arrives, without a burst beyond the limit.
#[derive(Debug)]
#[must_use = "a builder does nothing until it is built"]
pub struct EsetClientBuilder {
    transport: TransportBuilder,
    iam_url: String,
    login: Login,
    poll_interval: Duration,
}

impl EsetClientBuilder {
    fn new(incidents_url: String, iam_url: String) -> Self {
        EsetClientBuilder {
            transport: TransportBuilder::new(VENDOR, incidents_url)
                .user_agent(concat!("eset-connect-client/", env!("CARGO_PKG_VERSION")))
                .error_parser(EsetErrorParser::default())
                .rate_limit(RateLimit::new(
                    DEFAULT_REQUESTS_PER_SECOND,
                    Duration::from_secs(1),
                ))
                .deadline(PENDING_ANSWER_LIFETIME),
            iam_url,
            login: Login::default(),
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// The API user's name (an e-mail address) and password, exchanged for a token by the
    /// OAuth password grant.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.login.set(username, password);
        self
    }

    /// The wait between two polls of a pending (202) answer (default
    /// [`DEFAULT_POLL_INTERVAL`]). Polls count against the rate limit.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    incident_core::transport_options!(transport);

    /// Builds the client. No request is sent: the first call gets the token.
    ///
    /// # Errors
    ///
    /// [`Error::Config`](incident_core::Error::Config) when no credentials were given, a URL
    /// is invalid or a certificate could not be read.
    pub fn build(self) -> Result<EsetClient> {
        let (username, password) = self.login.require(VENDOR, "credentials()")?;
        let iam_url = self.iam_url.trim().trim_end_matches('/').to_string();
        let poll = self.poll_interval;
        let provider = OAuth {
            iam_url: iam_url.clone(),
            username,
            password,
        };
        let transport = self
            .transport
            .authenticator(Arc::new(
                SessionAuth::new(provider).refresh_margin(Duration::ZERO),
            ))
            .response_hook(move |answer: &Answer<'_>| pending_protocol(poll, answer))
            .build()?;
        // The IAM URL is checked now rather than at the first logon.
        transport.with_base_url(&iam_url)?;
        Ok(EsetClient {
            transport,
            iam_url: Arc::from(iam_url),
        })
    }
}

/// What an ESET answer means beyond its status:
/// - 202 with `response-id`: the answer is not ready; the identical request is sent again
///   with the `response-id` request header until it is;
/// - 202 without one: an error (there is nothing to poll);
/// - 504 ("action took too long"), or 404 to a request that carried a `response-id` (the
///   cached answer was retrieved already, or expired after 10 minutes): the whole query is
///   sent again, without `response-id`, if it is idempotent;
/// - 400 or 403 whose body says the token is invalid or expired (gRPC 16, or ESET's 8):
///   a new token and one replay, as for a 401;
/// - another 2xx whose body is an error (a non-zero gRPC `code`, an OAuth `error`): that
///   error, not a success (see `error_inside_success`).
pub(crate) fn pending_protocol(poll: Duration, answer: &Answer<'_>) -> ResponseAction {
    match answer.status.as_u16() {
        202 => match answer.headers.get(RESPONSE_ID) {
            Some(id) => {
                let mut h = HeaderMap::new();
                h.insert(HeaderName::from_static(RESPONSE_ID), id.clone());
                ResponseAction::Poll {
                    after: poll,
                    headers: h,
                }
            }
            None => ResponseAction::Fail(
                incident_core::VendorError::new()
                    .with_message("202 Accepted without a response-id header: nothing to poll"),
            ),
        },
        504 => ResponseAction::Restart { after: None },
        404 if answer.request.headers().contains_key(RESPONSE_ID) => {
            ResponseAction::Restart { after: None }
        }
        400 | 403 if token_refused(answer.body) => ResponseAction::Reauthenticate,
        200..=299 => match error_inside_success(answer) {
            Some(error) => ResponseAction::Fail(error),
            None => ResponseAction::Default,
        },
        _ => ResponseAction::Default,
    }
}

/// ESET's OAuth: the password grant, the refresh_token grant, `Authorization: Bearer`.
/// Its `Debug` shows the user name, never the password ([`Secret`]).
#[derive(Debug)]
struct OAuth {
    iam_url: String,
    username: String,
    password: Secret,
}

impl OAuth {
    async fn grant(&self, http: &Transport, form: String) -> Result<Session> {
        // On its own host, the IAM is outside the API's rate limit (see
        // DEFAULT_REQUESTS_PER_SECOND); on the API's host (a proxy, the simulator), the grant
        // counts against it, ahead of the calls waiting for the token.
        let iam = http.with_base_url(&self.iam_url)?;
        // Asking for a token twice does no harm: retried like a read.
        let request = ApiRequest::post(ApiPath::new("/oauth/token"))
            .form(form)
            .idempotent(true);
        let token = TokenAnswer::read(VENDOR, "token", iam.execute(request).await?.body())?;
        let mut session = Session::new(token.access_token);
        if let Some(lifetime) = token.expires_in {
            session =
                session.expires_in(lifetime.saturating_sub(TOKEN_RENEWAL_MARGIN.min(lifetime / 5)));
        }
        if let Some(refresh) = token.refresh_token {
            session = session.with_refresh_token(refresh);
        }
        Ok(session)
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[async_trait]
impl SessionProvider for OAuth {
    async fn log_on(&self, http: &Transport) -> Result<Session> {
        let body = form(&[
            ("grant_type", "password"),
            ("username", &self.username),
            ("password", self.password.expose()),
        ]);
        self.grant(http, body).await
    }

    async fn refresh(&self, http: &Transport, refresh_token: &Secret) -> Result<Session> {
        let body = form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ]);
        self.grant(http, body).await
    }

    fn attach(&self, token: &Secret) -> Result<Credentials> {
        Credentials::bearer(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use incident_core::Error;
    use incident_core::reqwest::StatusCode;

    #[test]
    fn regions_name_both_hosts() {
        assert_eq!(
            Region::Jpn.incidents_url(),
            "https://jpn.incident-management.eset.systems"
        );
        assert_eq!(
            Region::De.iam_url(),
            "https://de.business-account.iam.eset.systems"
        );
        assert_eq!("EU".parse::<Region>().unwrap(), Region::Eu);
        assert_eq!(" ca ".parse::<Region>().unwrap(), Region::Ca);
        assert!("jp".parse::<Region>().is_err());
        let c = EsetClient::builder(Region::Us)
            .credentials("u", "p")
            .build()
            .unwrap();
        assert_eq!(
            c.transport().base_url().as_str(),
            "https://us.incident-management.eset.systems/"
        );
        assert_eq!(c.iam_url(), "https://us.business-account.iam.eset.systems");
    }

    #[test]
    fn build_checks_credentials_and_urls() {
        let e = EsetClient::builder(Region::Eu).build().unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e:?}");
        let e = EsetClient::builder(Region::Eu)
            .credentials("u", "")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
        for (api, iam) in [("https://a", "not a url"), ("ftp://a", "https://b")] {
            let e = EsetClient::builder_with_urls(api, iam)
                .credentials("u", "p")
                .build()
                .unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{api} {iam}: {e:?}");
        }
        let e = EsetClient::builder_with_urls("https://a", "https://user:pw@b")
            .credentials("u", "p")
            .build()
            .unwrap_err();
        assert!(!e.to_string().contains("pw"), "{e}");
    }

    #[test]
    fn debug_never_shows_the_password() {
        let b = EsetClient::builder(Region::Eu).credentials("api@example.com", "pa55-word-1");
        assert!(!format!("{b:?}").contains("pa55-word-1"));
        let c = b.build().unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains("pa55-word-1"), "{text}");
        assert!(text.contains("api@example.com"), "{text}");
    }

    #[test]
    fn the_protocol_hook() {
        let poll = Duration::from_millis(7);
        let get = ApiRequest::get(ApiPath::new("/v2/incidents"));
        let mut with_id = HeaderMap::new();
        with_id.insert(HeaderName::from_static(RESPONSE_ID), "r-1".parse().unwrap());
        let hook = |req: &ApiRequest, status: u16, headers: &HeaderMap, body: &[u8]| {
            let status = StatusCode::from_u16(status).unwrap();
            pending_protocol(poll, &Answer::new(req, status, headers, body))
        };
        match hook(&get, 202, &with_id, b"") {
            ResponseAction::Poll { after, headers } => {
                assert_eq!(after, poll);
                assert_eq!(headers.get(RESPONSE_ID).unwrap(), "r-1");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            hook(&get, 202, &HeaderMap::new(), b""),
            ResponseAction::Fail(_)
        ));
        assert!(matches!(
            hook(&get, 504, &HeaderMap::new(), b""),
            ResponseAction::Restart { .. }
        ));
        // A 404 is "not found", unless it answers a poll.
        assert!(matches!(
            hook(&get, 404, &HeaderMap::new(), b""),
            ResponseAction::Default
        ));
        let polled = get
            .clone()
            .header(HeaderName::from_static(RESPONSE_ID), "r-1".parse().unwrap());
        assert!(matches!(
            hook(&polled, 404, &HeaderMap::new(), b""),
            ResponseAction::Restart { .. }
        ));
        assert!(matches!(
            hook(
                &get,
                400,
                &HeaderMap::new(),
                br#"{"code":16,"message":"token"}"#
            ),
            ResponseAction::Reauthenticate
        ));
        assert!(matches!(
            hook(
                &get,
                400,
                &HeaderMap::new(),
                br#"{"code":3,"message":"bad filter"}"#
            ),
            ResponseAction::Default
        ));
        assert!(matches!(
            hook(&get, 200, &HeaderMap::new(), b"{}"),
            ResponseAction::Default
        ));
    }
}
