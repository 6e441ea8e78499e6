//! Building a transport: base URL, timeouts, retry, TLS, proxy.

use crate::vendor::Vendor;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::auth::{Authenticator, StaticAuth};
use super::hook::{DefaultHook, ResponseHook};
use super::ratelimit::RateLimit;
use super::response::{ErrorParser, JsonBodyParser};
use super::{
    Auth, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REQUEST_ID_HEADERS, DEFAULT_REQUEST_TIMEOUT, Inner, Transport,
};
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

/// Builds a [`Transport`]. Vendor crates wrap this in their own client builder.
#[must_use = "a builder does nothing until it is built"]
pub struct TransportBuilder {
    pub(super) vendor: Vendor,
    pub(super) base_url: String,
    pub(super) api_path: Option<&'static str>,
    pub(super) auth: Auth,
    pub(super) authenticator: Option<Arc<dyn Authenticator>>,
    pub(super) hook: Arc<dyn ResponseHook>,
    pub(super) rate_limit: Option<RateLimit>,
    pub(super) deadline: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) request_timeout: Duration,
    pub(super) retry: RetryPolicy,
    pub(super) root_certs: crate::tls::RootCertificates,
    pub(super) accept_invalid_certs: bool,
    pub(super) accept_invalid_hostnames: bool,
    pub(super) built_in_roots: bool,
    pub(super) proxy: Option<reqwest::Proxy>,
    pub(super) no_proxy: bool,
    pub(super) http_client: Option<reqwest::Client>,
    pub(super) user_agent: String,
    pub(super) default_headers: HeaderMap,
    pub(super) error_parser: Arc<dyn ErrorParser>,
    pub(super) request_id_headers: Vec<HeaderName>,
    pub(super) max_response_bytes: usize,
    pub(super) max_items_per_answer: u64,
    pub(super) deferred_error: Option<Error>,
}

impl fmt::Debug for TransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportBuilder")
            .field("vendor", &self.vendor)
            .field("base_url", &redact_userinfo(&self.base_url))
            .field("auth", &self.auth)
            .field("authenticator", &self.authenticator)
            .field("rate_limit", &self.rate_limit)
            .field("deadline", &self.deadline)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("root_certs", &self.root_certs.len())
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("accept_invalid_hostnames", &self.accept_invalid_hostnames)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl TransportBuilder {
    /// Starts a builder for `vendor` (a display name used in errors and logs) at `base_url`.
    /// Every request path is appended to the base URL's path.
    pub fn new(vendor: impl Into<Vendor>, base_url: impl Into<String>) -> Self {
        TransportBuilder {
            vendor: vendor.into(),
            base_url: base_url.into(),
            api_path: None,
            auth: Auth::None,
            authenticator: None,
            hook: Arc::new(DefaultHook),
            rate_limit: None,
            deadline: DEFAULT_DEADLINE,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            root_certs: crate::tls::RootCertificates::default(),
            accept_invalid_certs: false,
            accept_invalid_hostnames: false,
            built_in_roots: true,
            proxy: None,
            no_proxy: false,
            http_client: None,
            user_agent: concat!("incident-core/", env!("CARGO_PKG_VERSION")).to_string(),
            default_headers: HeaderMap::new(),
            error_parser: Arc::new(JsonBodyParser),
            request_id_headers: DEFAULT_REQUEST_ID_HEADERS
                .iter()
                .map(|h| HeaderName::from_static(h))
                .collect(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_items_per_answer: crate::paging::DEFAULT_MAX_ITEMS_PER_ANSWER,
            deferred_error: None,
        }
    }

    /// The API lives under this path below the base URL (QRadar's `/api`), unless the base
    /// URL already ends with it. Joined after the URL is parsed, so `https://` alone is still
    /// refused for having no host.
    pub fn api_path(mut self, path: &'static str) -> Self {
        self.api_path = Some(path);
        self
    }

    /// Sets static credentials, attached to every request. Values that cannot be sent in a
    /// header (CR, LF) are refused by [`build`](Self::build).
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self.authenticator = None;
        self
    }

    /// Sets an authentication hook (a [`SessionAuth`](super::SessionAuth) for vendors that
    /// log on), replacing static credentials.
    pub fn authenticator(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.authenticator = Some(authenticator);
        self
    }

    /// Sets the vendor's response hook, which sees every response before the default
    /// handling (see [`ResponseHook`]).
    pub fn response_hook(mut self, hook: impl ResponseHook) -> Self {
        self.hook = Arc::new(hook);
        self
    }

    /// Limits the requests this client sends to its host. Off by default.
    ///
    /// Every attempt counts (retries, polls, the replay after a refused token), and so do
    /// the authenticator's logon, refresh and logoff when they go to the same host; those
    /// take the next free slot ahead of the queue, since the queued requests may be waiting
    /// for them. A request takes its slot only once its credentials are at hand, so requests
    /// waiting for a logon hold none. Requests wait their turn in arrival order, and one
    /// that is dropped or reaches its deadline while waiting frees its place at once.
    /// Requests to another origin through [`Transport::with_base_url`] are not counted.
    /// See [`RateLimit`].
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Removes a rate limit set before (a vendor client's default), for callers that pace
    /// their requests themselves or talk to a server without the limit.
    pub fn no_rate_limit(mut self) -> Self {
        self.rate_limit = None;
        self
    }

    /// Bounds one operation, across all its attempts, retry waits, polls and logon, by
    /// this time (default [`DEFAULT_DEADLINE`]). A retry whose wait would end after the
    /// deadline is not made: the last error is returned instead.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Time allowed to open a connection (TCP and TLS). Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt, from sending to the last byte of the body. Default 60 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the retry policy ([`RetryPolicy::disabled`] turns retries off).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Trusts the certificate(s) in a PEM document in addition to the system roots (or alone,
    /// see [`tls_built_in_roots`](Self::tls_built_in_roots)); this is how a self-signed
    /// appliance certificate is accepted without turning verification off.
    ///
    /// A server is then accepted when the certificate it presents
    /// * is signed by one of these certificates (directly or through intermediates the server
    ///   sends), or
    /// * is, byte for byte, one of these certificates: an appliance's self-signed certificate,
    ///   also when it is marked as a CA (`basicConstraints CA:TRUE`, as `openssl req -x509`
    ///   makes it),
    ///
    /// and in both cases is within its validity period and names the host of the base URL in
    /// its subject alternative names (native-tls may also accept the common name of a
    /// certificate without them; not checked with
    /// [`danger_accept_invalid_hostnames`](Self::danger_accept_invalid_hostnames)), and the
    /// server proves in the handshake that it holds the certificate's private key. Any other
    /// certificate is refused with [`Error::Tls`], which is not retried. A renewed appliance
    /// certificate must be added again.
    ///
    /// An unreadable PEM, or one without a certificate, is reported by `build`.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
        if let Err(e) = self.root_certs.add_pem(pem) {
            self.deferred_error.get_or_insert(e);
        }
        self
    }

    /// Trusts only the certificates added with
    /// [`add_root_certificate_pem`](Self::add_root_certificate_pem), not the system roots.
    pub fn tls_built_in_roots(mut self, enabled: bool) -> Self {
        self.built_in_roots = enabled;
        self
    }

    /// **Dangerous**: accepts any certificate, including expired and self-signed ones for any
    /// host. Anyone on the network path can then read and change the traffic, credentials
    /// included. Prefer [`add_root_certificate_pem`](Self::add_root_certificate_pem).
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// **Dangerous**: accepts a certificate whose names do not match the host (the default
    /// QRadar appliance certificate, for instance), if it is trusted otherwise.
    ///
    /// With either TLS backend, turning this on also stops trusting the system's roots: only
    /// the certificates added with [`add_root_certificate_pem`](Self::add_root_certificate_pem)
    /// are trusted (certificates they signed, or exactly one of them), for any host name, and
    /// with none added every certificate is refused. Validity periods and the handshake
    /// signature are still checked.
    pub fn danger_accept_invalid_hostnames(mut self, accept: bool) -> Self {
        self.accept_invalid_hostnames = accept;
        self
    }

    /// Sends every request through this proxy. By default the `HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY` and `NO_PROXY` environment variables are honoured.
    pub fn proxy(mut self, proxy: reqwest::Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Ignores proxy settings from the environment.
    pub fn no_proxy(mut self) -> Self {
        self.no_proxy = true;
        self
    }

    /// Uses a prebuilt `reqwest::Client` (its own TLS, proxy and pool settings) instead of
    /// building one. The TLS, proxy and connect-timeout settings of this builder are then
    /// ignored; the request timeout, retry policy and credentials still apply.
    ///
    /// **Redirects**: a client built here refuses every redirect (a 3xx is an
    /// [`Error::Redirect`]), so credentials never reach another origin. A prebuilt client
    /// follows redirects as it was configured to; build it with
    /// `.redirect(reqwest::redirect::Policy::none())` to keep that guarantee.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Sets the `User-Agent` product tokens, e.g. `qradar-client/0.1.0`; `incident-core/x.y.z`
    /// is appended.
    pub fn user_agent(mut self, product: impl AsRef<str>) -> Self {
        self.user_agent = format!(
            "{} incident-core/{}",
            product.as_ref(),
            env!("CARGO_PKG_VERSION")
        );
        self
    }

    /// Adds a header sent with every request (e.g. QRadar's `Version`).
    pub fn default_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.default_headers.insert(name, value);
        self
    }

    /// Sets the vendor's error-body parser.
    pub fn error_parser(mut self, parser: impl ErrorParser) -> Self {
        self.error_parser = Arc::new(parser);
        self
    }

    /// Sets the response headers read as the request id, in order of preference.
    pub fn request_id_headers(mut self, names: impl IntoIterator<Item = HeaderName>) -> Self {
        self.request_id_headers = names.into_iter().collect();
        self
    }

    /// Largest response body accepted, in bytes (default [`DEFAULT_MAX_RESPONSE_BYTES`]). A larger body gives
    /// [`Error::BodyTooLarge`] instead of exhausting memory.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Most items one answer may hold in the arrays its model decodes through
    /// [`paging::bounded`](crate::paging::bounded) or [`paging::Items`](crate::paging::Items)
    /// (default [`DEFAULT_MAX_ITEMS_PER_ANSWER`](crate::paging::DEFAULT_MAX_ITEMS_PER_ANSWER)),
    /// whatever the operation. One item more is an [`Error::Protocol`] raised before it is
    /// decoded. Pages are held to the number of items they asked for, within this ceiling.
    pub fn max_items_per_answer(mut self, max: u64) -> Self {
        self.max_items_per_answer = max;
        self
    }

    /// Builds the transport.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the base URL is not an `http`/`https` URL, carries
    /// credentials, a query or a fragment, when a certificate could not be read, or when a
    /// credential cannot be sent in a header.
    pub fn build(self) -> Result<Transport> {
        if let Some(e) = self.deferred_error {
            return Err(e);
        }
        let mut base = parse_base_url(&self.base_url)?;
        if let Some(api) = self.api_path {
            let api = api.trim_matches('/');
            let path = base.path().trim_end_matches('/').to_string();
            if !api.is_empty() && !path.ends_with(&format!("/{api}")) {
                base.set_path(&format!("{path}/{api}"));
            }
        }
        let authenticator: Option<Arc<dyn Authenticator>> = match self.authenticator {
            Some(a) => Some(a),
            None => match self.auth {
                Auth::None => None,
                auth => Some(Arc::new(StaticAuth {
                    credentials: auth.to_credentials()?,
                    auth,
                })),
            },
        };
        let http = match self.http_client {
            Some(client) => client,
            None => {
                let mut b = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .user_agent(self.user_agent.clone())
                    // No vendor API here redirects; following one would send the
                    // credentials, and replay an update, to wherever it points.
                    .redirect(reqwest::redirect::Policy::none());
                b = crate::tls::configure(
                    b,
                    crate::tls::TlsSettings {
                        roots: self.root_certs,
                        built_in_roots: self.built_in_roots,
                        accept_invalid_certs: self.accept_invalid_certs,
                        accept_invalid_hostnames: self.accept_invalid_hostnames,
                    },
                )?;
                if self.no_proxy {
                    b = b.no_proxy();
                }
                if let Some(p) = self.proxy {
                    b = b.proxy(p);
                }
                b.build().map_err(|e| Error::Config {
                    message: "could not build the HTTP client".into(),
                    source: Some(Box::new(e)),
                })?
            }
        };
        let mut headers = self.default_headers;
        headers
            .entry(ACCEPT)
            .or_insert(HeaderValue::from_static("application/json"));
        if let Ok(ua) = HeaderValue::from_str(&self.user_agent) {
            headers.insert(reqwest::header::USER_AGENT, ua);
        }
        let bare = Inner {
            vendor: self.vendor,
            http,
            base,
            authenticator: None,
            bare: None,
            hook: self.hook,
            rate_limit: self.rate_limit.map(Arc::new),
            limit_ahead: false,
            deadline: self.deadline,
            request_timeout: self.request_timeout,
            retry: self.retry,
            headers,
            error_parser: self.error_parser,
            request_id_headers: self.request_id_headers,
            max_response_bytes: self.max_response_bytes,
            max_items_per_answer: self.max_items_per_answer,
        };
        Ok(Transport::from_inner(bare, authenticator))
    }
}

pub(crate) fn parse_base_url(raw: &str) -> Result<Url> {
    let url = Url::parse(raw.trim()).map_err(|e| Error::Config {
        message: format!("invalid base URL {:?}", redact_userinfo(raw)),
        source: Some(Box::new(e)),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(format!(
            "the base URL must be http or https, not {}",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Refused rather than stripped: credentials in a URL end up in logs and errors.
        return Err(Error::config(
            "the base URL must not contain credentials; pass them to the client builder",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(
            "the base URL must not have a query or fragment",
        ));
    }
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(Error::config("the base URL must have a host"));
    }
    Ok(url)
}

/// `raw` with anything between `://` and the last `@` of the authority replaced, so that a
/// password typed into a URL is never echoed in an error or a log.
pub(crate) fn redact_userinfo(raw: &str) -> String {
    let Some(scheme_end) = raw.find("://").map(|i| i + 3) else {
        return raw.to_string();
    };
    let rest = &raw[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!(
            "{}[REDACTED]{}",
            &raw[..scheme_end],
            &raw[scheme_end + at..]
        ),
        None => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limit_can_be_removed() {
        let b = TransportBuilder::new("T", "https://h")
            .rate_limit(RateLimit::new(10, Duration::from_secs(1)));
        assert!(b.rate_limit.is_some());
        let t = b.no_rate_limit().build().unwrap();
        assert!(format!("{t:?}").contains("rate_limit: None"), "{t:?}");
    }

    #[test]
    fn base_url_rules() {
        assert!(parse_base_url("https://siem.example.com").is_ok());
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("not a url").is_err());
        let e = parse_base_url("https://admin:pw@host/")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("pw"), "{e}");
        assert!(parse_base_url("https://host/?a=b").is_err());
        // A URL that fails to parse is echoed without its password.
        let e = parse_base_url("https://admin:s3cret@[bad/").unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("[REDACTED]"), "{text}");
        assert!(parse_base_url("https://").is_err());
    }

    #[test]
    fn api_path_is_joined_after_parsing() {
        let t = TransportBuilder::new("Test", "https://console.example.com")
            .api_path("/api")
            .build()
            .unwrap();
        assert_eq!(t.base_url().as_str(), "https://console.example.com/api");
        let t = TransportBuilder::new("Test", "https://console.example.com/api/")
            .api_path("/api")
            .build()
            .unwrap();
        assert_eq!(t.base_url().as_str(), "https://console.example.com/api/");
        for bad in ["https://", "", "console.example.com", "https://:443"] {
            assert!(
                TransportBuilder::new("Test", bad)
                    .api_path("/api")
                    .build()
                    .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact_userinfo("https://u:p@h/x@y"),
            "https://[REDACTED]@h/x@y"
        );
        assert_eq!(redact_userinfo("https://h/x@y"), "https://h/x@y");
        assert_eq!(redact_userinfo("no scheme"), "no scheme");
    }

    #[test]
    fn credentials_with_line_breaks_are_refused_at_build() {
        let e = TransportBuilder::new("Test", "https://host")
            .auth(Auth::Bearer(crate::Secret::from("tok\r\nX-Evil: 1")))
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e:?}");
        assert!(!e.to_string().contains("X-Evil"), "{e}");
    }

    #[test]
    fn bad_pem_is_a_config_error() {
        let e = TransportBuilder::new("Test", "https://host")
            .add_root_certificate_pem(b"not a pem")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e:?}");
    }
}
