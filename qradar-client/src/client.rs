//! The QRadar client and its builder.

use std::fmt;
use std::sync::{Arc, RwLock};

use incident_core::http::{HeaderName, HeaderValue};
use incident_core::{Auth, Error, Result, Secret, Transport, TransportBuilder, Vendor};

use crate::closing_reasons::ClosingReasonsApi;
use crate::error::{QRadarErrorParser, QRadarHook};
use crate::model::ClosingReason;
use crate::offense_types::OffenseTypesApi;
use crate::offenses::OffensesApi;

/// The API version sent in the `Version` header unless another is set: 26.0, introduced
/// with QRadar 7.5.0 UP12 and supported by UP12 to UP14 (each release accepts its own
/// version and the two previous majors). Pin the version your console runs: field sets can
/// change between versions.
pub const DEFAULT_API_VERSION: &str = "26.0";

/// The identity of IBM QRadar SIEM incidents: key `qradar`, shown as "QRadar", and the
/// product the OCSF export names; incidents are assigned by user name (`assigned_to`). The one identity of this client,
/// in its incidents, its errors and its logs.
pub const QRADAR: Vendor = Vendor::new("qradar", "QRadar").product("QRadar SIEM", "IBM");

/// [`QRADAR`], as the rest of the crate names it.
pub(crate) const VENDOR: Vendor = QRADAR;

/// A client for the QRadar offenses API. Cheap to clone (`Arc` inside), `Send + Sync`.
///
/// ```no_run
/// # async fn run() -> incident_core::Result<()> {
/// use qradar_client::{Filter, OffenseStatus, QRadarClient};
///
/// let client = QRadarClient::builder("https://qradar.example.com")
///     .sec_token(std::env::var("QRADAR_TOKEN").unwrap_or_default())
///     .api_version("26.0")
///     .build()?;
/// let page = client
///     .offenses()
///     .list()
///     .filter(Filter::status(OffenseStatus::Open))
///     .sort("+id")
///     .range(0, 49)
///     .send()
///     .await?;
/// println!("{} of {:?} open offenses", page.items.len(), page.total());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct QRadarClient {
    pub(crate) transport: Transport,
    api_version: Arc<str>,
    pub(crate) closing_reasons_cache: Arc<RwLock<Option<Arc<Vec<ClosingReason>>>>>,
}

impl fmt::Debug for QRadarClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QRadarClient")
            .field("transport", &self.transport)
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}

impl QRadarClient {
    /// Starts a builder for the console at `url`, e.g. `https://qradar.example.com`. The API
    /// lives under `/api`; a URL that already ends in `/api` is used as is.
    pub fn builder(url: impl AsRef<str>) -> QRadarClientBuilder {
        QRadarClientBuilder::new(url.as_ref())
    }

    /// Offenses, their notes and assignable actors.
    pub fn offenses(&self) -> OffensesApi {
        OffensesApi::new(self.transport.clone())
    }

    /// Offense closing reasons.
    pub fn closing_reasons(&self) -> ClosingReasonsApi {
        ClosingReasonsApi::new(self.transport.clone())
    }

    /// Offense types.
    pub fn offense_types(&self) -> OffenseTypesApi {
        OffenseTypesApi::new(self.transport.clone())
    }

    /// The API version sent in the `Version` header.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The underlying transport, for calls this crate does not wrap yet.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }
}

/// Builds a [`QRadarClient`].
///
/// Authentication is required: an authorized-service token ([`sec_token`](Self::sec_token),
/// recommended by IBM) or a user name and password ([`basic_auth`](Self::basic_auth)).
/// QRadar does not accept `Authorization: Bearer`.
#[derive(Debug)]
#[must_use = "a builder does nothing until it is built"]
pub struct QRadarClientBuilder {
    transport: TransportBuilder,
    /// Redacted in `Debug` by incident-core.
    auth: Option<Auth>,
    api_version: String,
}

impl QRadarClientBuilder {
    fn new(url: &str) -> Self {
        QRadarClientBuilder {
            transport: TransportBuilder::new(VENDOR, url)
                .api_path("/api")
                .user_agent(concat!("qradar-client/", env!("CARGO_PKG_VERSION")))
                .error_parser(QRadarErrorParser)
                .response_hook(QRadarHook),
            auth: None,
            api_version: DEFAULT_API_VERSION.to_string(),
        }
    }

    /// Authenticates with an authorized-service token, sent as the `SEC` header.
    pub fn sec_token(mut self, token: impl Into<Secret>) -> Self {
        self.auth = Some(Auth::Header {
            name: HeaderName::from_static("sec"),
            value: token.into(),
        });
        self
    }

    /// Authenticates with a user name and password (HTTP Basic).
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.auth = Some(Auth::Basic {
            username: username.into(),
            password: password.into(),
        });
        self
    }

    /// The API version to send in the `Version` header (default [`DEFAULT_API_VERSION`]).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    incident_core::transport_options!(transport);

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when no credentials were given, the API version is not of the form
    /// `26.0`, the URL is invalid or a certificate could not be read.
    pub fn build(self) -> Result<QRadarClient> {
        let auth = self.auth.ok_or_else(|| {
            Error::config("QRadar needs credentials: call sec_token() or basic_auth()")
        })?;
        match &auth {
            Auth::Header { value, .. } if value.is_empty() => {
                return Err(Error::config("the SEC token is empty"));
            }
            Auth::Basic { username, .. } if username.is_empty() => {
                return Err(Error::config("the user name is empty"));
            }
            _ => {}
        }
        let version = self.api_version.trim();
        let header = version_header(version)?;
        let transport = self
            .transport
            .auth(auth)
            .default_header(HeaderName::from_static("version"), header)
            .build()?;
        Ok(QRadarClient {
            transport,
            api_version: Arc::from(version),
            closing_reasons_cache: Arc::default(),
        })
    }
}

/// The `Version` header for an API version such as `26.0`; anything else is refused.
pub(crate) fn version_header(version: &str) -> Result<HeaderValue> {
    let number = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    HeaderValue::from_str(version)
        .ok()
        .filter(|_| version.split('.').count() <= 2 && version.split('.').all(number))
        .ok_or_else(|| {
            Error::config(format!(
                "the API version {version:?} is not a version number such as \"26.0\""
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(url: &str) -> String {
        let client = QRadarClient::builder(url).sec_token("t").build().unwrap();
        client
            .transport()
            .base_url()
            .as_str()
            .trim_end_matches('/')
            .to_string()
    }

    #[test]
    fn api_is_appended_once_after_parsing() {
        assert_eq!(base("https://q.example.com"), "https://q.example.com/api");
        assert_eq!(base("https://q.example.com/"), "https://q.example.com/api");
        assert_eq!(
            base("https://q.example.com/api/"),
            "https://q.example.com/api"
        );
        assert_eq!(base("https://h/console/api"), "https://h/console/api");
        for bad in ["https://", "", "qradar.example.com"] {
            let e = QRadarClient::builder(bad)
                .sec_token("t")
                .build()
                .unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{bad}: {e:?}");
        }
    }

    #[test]
    fn a_token_with_line_breaks_is_refused_at_build() {
        let e = QRadarClient::builder("https://q")
            .sec_token("abc\r\nX-Injected: 1")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e:?}");
        assert!(!format!("{e} {e:?}").contains("X-Injected"));
    }

    #[test]
    fn build_checks_credentials_and_version() {
        let e = QRadarClient::builder("https://q").build().unwrap_err();
        assert!(matches!(e, Error::Config { .. }));
        let e = QRadarClient::builder("https://q")
            .sec_token("")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("empty"));
        for bad in ["", "latest", "26.0.1", "2a.0", "26."] {
            assert!(
                QRadarClient::builder("https://q")
                    .sec_token("t")
                    .api_version(bad)
                    .build()
                    .is_err(),
                "{bad}"
            );
        }
        let c = QRadarClient::builder("https://q")
            .sec_token("t")
            .api_version("19.0")
            .build()
            .unwrap();
        assert_eq!(c.api_version(), "19.0");
    }

    #[test]
    fn debug_never_shows_credentials() {
        let b = QRadarClient::builder("https://q").sec_token("sec-0123456789");
        assert!(!format!("{b:?}").contains("sec-0123456789"));
        let c = b.build().unwrap();
        assert!(!format!("{c:?}").contains("sec-0123456789"));
        let c = QRadarClient::builder("https://q")
            .basic_auth("admin", "pa55word")
            .build()
            .unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains("pa55word"), "{text}");
        assert!(text.contains("admin"));
    }
}
