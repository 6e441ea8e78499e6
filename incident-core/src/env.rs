//! Configuration from environment variables: the reading rules every vendor crate's
//! `from_env()` shares.
//!
//! A vendor crate declares its variables once, as a [`VendorEnv`] (each variable an
//! [`EnvVar`], marked secret where it holds a password or token), and reads them through an
//! [`Env`]: the process environment ([`Env::process`]) or a fixed set of values
//! ([`Env::from_pairs`], for tests and for configuration kept elsewhere). The rules:
//!
//! - a variable that is unset, empty or only white space is unset;
//! - a required variable that is unset is [`EnvError::Missing`], naming it;
//! - a value that cannot be used is [`EnvError::Malformed`], naming the variable and, for a
//!   variable that is not secret, the value (a password or token is never echoed, not even
//!   when it is not valid Unicode);
//! - a variable naming a PEM file is read at once: a file that cannot be read is
//!   [`EnvError::Unreadable`], one without a certificate [`EnvError::Malformed`];
//! - of two variables that each choose the same thing (a token or a user name, a region or a
//!   URL), setting both is [`EnvError::Conflict`] rather than a silent choice.
//!
//! Every [`EnvError`] converts into [`crate::Error::Env`].
//!
//! Proxies are not read here: the HTTP client honours `HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY` and `NO_PROXY` (and their lower-case forms) by itself, see
//! [`TransportBuilder::proxy`](crate::TransportBuilder::proxy) and
//! [`PROXY_VARIABLES`].
//!
//! ```
//! use incident_core::env::{Env, EnvError};
//!
//! let env = Env::from_pairs([("ACME_URL", "https://acme.example.com"), ("ACME_TOKEN", " ")]);
//! assert_eq!(env.url("ACME_URL")?.as_deref(), Some("https://acme.example.com"));
//! // White space only is unset, and a required variable that is unset names itself.
//! let missing = env.required_secret("ACME_TOKEN").unwrap_err();
//! assert!(matches!(missing, EnvError::Missing { variable: "ACME_TOKEN", .. }));
//! assert_eq!(missing.to_string(), "ACME_TOKEN is not set");
//! # Ok::<(), EnvError>(())
//! ```

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::{BoxError, Error, printable};
use crate::secret::Secret;
use crate::vendor::Vendor;

/// The proxy variables the HTTP client honours by itself, in the order it looks for them
/// (the lower-case forms are honoured too). `NO_PROXY` lists hosts reached directly.
pub const PROXY_VARIABLES: &[&str] = &["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"];

/// How many characters of a malformed value an error shows.
const VALUE_LIMIT: usize = 200;

/// One environment variable a client reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    name: &'static str,
    description: &'static str,
    secret: bool,
}

impl EnvVar {
    /// A variable whose value may be shown (a URL, a user name, a file path).
    pub const fn new(name: &'static str, description: &'static str) -> EnvVar {
        EnvVar {
            name,
            description,
            secret: false,
        }
    }

    /// A variable holding a password or a token: its value is never shown.
    pub const fn secret(name: &'static str, description: &'static str) -> EnvVar {
        EnvVar {
            name,
            description,
            secret: true,
        }
    }

    /// The variable's name, e.g. `QRADAR_URL`.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// What it holds, in a few words.
    pub const fn description(&self) -> &'static str {
        self.description
    }

    /// Whether it holds a password or a token.
    pub const fn is_secret(&self) -> bool {
        self.secret
    }
}

/// The environment of one vendor crate: every variable it reads, and those whose presence
/// means "a real server is configured" (`QRADAR_URL`; `SKYHIGH_URL` or `SKYHIGH_REGION`).
#[derive(Debug, Clone, Copy)]
pub struct VendorEnv {
    vendor: Vendor,
    variables: &'static [EnvVar],
    configured_by: &'static [&'static str],
}

impl VendorEnv {
    /// The environment of `vendor`: its `variables`, and those of them that configure it.
    pub const fn new(
        vendor: Vendor,
        variables: &'static [EnvVar],
        configured_by: &'static [&'static str],
    ) -> VendorEnv {
        VendorEnv {
            vendor,
            variables,
            configured_by,
        }
    }

    /// The vendor.
    pub const fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// Every variable the crate reads, in the order its documentation lists them.
    pub const fn variables(&self) -> &'static [EnvVar] {
        self.variables
    }

    /// The variables any one of which, set, configures a real server.
    pub const fn configured_by(&self) -> &'static [&'static str] {
        self.configured_by
    }

    /// The variable named `name`, if the crate reads it.
    pub fn variable(&self, name: &str) -> Option<&'static EnvVar> {
        self.variables.iter().find(|v| v.name == name)
    }

    /// The variables as the Markdown table a crate's README shows: a header
    /// `| variable | what it holds |`, then one row per variable, in order.
    pub fn markdown_table(&self) -> String {
        let mut out = String::from("| variable | what it holds |\n|---|---|\n");
        for v in self.variables {
            out.push_str(&format!("| `{}` | {} |\n", v.name, v.description));
        }
        out
    }

    /// Whether `env` configures a real server of this vendor (one of
    /// [`configured_by`](Self::configured_by) is set). It says nothing of whether the rest
    /// of the configuration is complete: building the client tells that.
    pub fn is_configured(&self, env: &Env) -> bool {
        self.configured_by.iter().any(|name| env.is_set(name))
    }
}

/// What is wrong with the environment. Never holds the value of a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvError {
    /// A required variable is not set (or is empty).
    #[error("{variable} is not set{}", hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    Missing {
        /// The variable.
        variable: &'static str,
        /// What else would do, or why it is needed, e.g. `"QRADAR_USERNAME is set"`.
        hint: Option<String>,
    },
    /// A variable's value cannot be used.
    #[error("{variable}{} is not valid: {reason}", value.as_deref().map(|v| format!("={v:?}")).unwrap_or_default())]
    Malformed {
        /// The variable.
        variable: &'static str,
        /// The value, printable and bounded; `None` for a secret.
        value: Option<String>,
        /// Why it cannot be used.
        reason: String,
    },
    /// A variable names a file that cannot be read.
    #[error("{variable} names {}, which cannot be read: {source}", path.display())]
    Unreadable {
        /// The variable.
        variable: &'static str,
        /// The file it names.
        path: PathBuf,
        /// Why it cannot be read.
        #[source]
        source: std::io::Error,
    },
    /// Two variables that choose the same thing are both set.
    #[error("{first} and {second} are both set: set only one of them")]
    Conflict {
        /// The first of the two.
        first: &'static str,
        /// The second.
        second: &'static str,
    },
}

impl EnvError {
    /// The variable the error is about (the first one, for a conflict).
    pub fn variable(&self) -> &'static str {
        match self {
            EnvError::Missing { variable, .. }
            | EnvError::Malformed { variable, .. }
            | EnvError::Unreadable { variable, .. } => variable,
            EnvError::Conflict { first, .. } => first,
        }
    }

    /// A [`EnvError::Missing`] for `variable`.
    pub fn missing(variable: &'static str) -> EnvError {
        EnvError::Missing {
            variable,
            hint: None,
        }
    }

    /// Adds a hint to a [`EnvError::Missing`] (other errors are returned as they are).
    #[must_use]
    pub fn with_hint(self, text: impl Into<String>) -> EnvError {
        match self {
            EnvError::Missing { variable, .. } => EnvError::Missing {
                variable,
                hint: Some(text.into()),
            },
            other => other,
        }
    }
}

impl From<EnvError> for Error {
    fn from(e: EnvError) -> Error {
        Error::Env(Box::new(e))
    }
}

/// Where variables are read from: the process environment, or a fixed set of values.
///
/// `Debug` shows the names of a fixed set, never a value.
#[derive(Clone)]
pub struct Env {
    fixed: Option<BTreeMap<String, OsString>>,
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.fixed {
            None => f.write_str("Env(process)"),
            Some(map) => f.debug_tuple("Env").field(&map.keys()).finish(),
        }
    }
}

impl Env {
    /// The environment of this process.
    pub fn process() -> Env {
        Env { fixed: None }
    }

    /// These variables and no others.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Env
    where
        K: Into<String>,
        V: Into<OsString>,
    {
        Env {
            fixed: Some(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
        }
    }

    fn lookup(&self, name: &str) -> Option<OsString> {
        match &self.fixed {
            None => std::env::var_os(name),
            Some(map) => map.get(name).cloned(),
        }
    }

    /// The value, `None` when unset, empty or white space only. A value that is not valid
    /// Unicode is an error; `secret` keeps it out of the error.
    fn read(&self, name: &'static str, secret: bool) -> Result<Option<String>, EnvError> {
        let Some(raw) = self.lookup(name) else {
            return Ok(None);
        };
        match raw.into_string() {
            Ok(s) if s.trim().is_empty() => Ok(None),
            Ok(s) => Ok(Some(s)),
            Err(raw) => Err(EnvError::Malformed {
                variable: name,
                value: (!secret).then(|| printable(&raw.to_string_lossy(), VALUE_LIMIT)),
                reason: "not valid Unicode".into(),
            }),
        }
    }

    /// Whether `name` is set to something other than white space.
    pub fn is_set(&self, name: &str) -> bool {
        self.lookup(name)
            .is_some_and(|v| v.to_str().is_none_or(|s| !s.trim().is_empty()))
    }

    /// The value of `name`, trimmed, or `None` when it is not set.
    ///
    /// # Errors
    ///
    /// [`EnvError::Malformed`] when the value is not valid Unicode.
    pub fn optional(&self, name: &'static str) -> Result<Option<String>, EnvError> {
        Ok(self.read(name, false)?.map(|v| v.trim().to_owned()))
    }

    /// The value of `name`, trimmed; [`EnvError::Missing`] when it is not set.
    ///
    /// # Errors
    ///
    /// [`EnvError::Missing`] when it is not set; [`EnvError::Malformed`] when the value is not
    /// valid Unicode.
    pub fn required(&self, name: &'static str) -> Result<String, EnvError> {
        self.optional(name)?.ok_or_else(|| EnvError::missing(name))
    }

    /// A password or token, as it is (not trimmed: spaces may belong to a password), or
    /// `None` when it is not set.
    ///
    /// # Errors
    ///
    /// [`EnvError::Malformed`], without the value, when it is not valid Unicode.
    pub fn secret(&self, name: &'static str) -> Result<Option<Secret>, EnvError> {
        Ok(self.read(name, true)?.map(Secret::from))
    }

    /// A password or token; [`EnvError::Missing`] when it is not set.
    ///
    /// # Errors
    ///
    /// [`EnvError::Missing`] when it is not set; [`EnvError::Malformed`], without the value,
    /// when it is not valid Unicode.
    pub fn required_secret(&self, name: &'static str) -> Result<Secret, EnvError> {
        self.secret(name)?.ok_or_else(|| EnvError::missing(name))
    }

    /// The trimmed value of `name` read by `T::from_str`, or `None` when it is not set. A
    /// value that does not parse is [`EnvError::Malformed`] with the parser's reason and the
    /// value (only names of non-secret variables should be passed here).
    ///
    /// # Errors
    ///
    /// [`EnvError::Malformed`] when the value does not parse or is not valid Unicode.
    pub fn parse<T>(&self, name: &'static str) -> Result<Option<T>, EnvError>
    where
        T: FromStr,
        T::Err: Into<BoxError>,
    {
        self.parse_with(name, |v| v.parse::<T>())
    }

    /// The trimmed value of `name` read by `parse`, or `None` when it is not set; as
    /// [`parse`](Self::parse).
    ///
    /// # Errors
    ///
    /// [`EnvError::Malformed`] when `parse` refuses the value or it is not valid Unicode.
    pub fn parse_with<T, E>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, EnvError>
    where
        E: Into<BoxError>,
    {
        let Some(value) = self.optional(name)? else {
            return Ok(None);
        };
        parse(&value).map(Some).map_err(|e| EnvError::Malformed {
            variable: name,
            value: Some(printable(&value, VALUE_LIMIT)),
            reason: reason_of(e.into()),
        })
    }

    /// A base URL: `http` or `https`, with a host, without credentials, query or fragment
    /// (the rules of [`TransportBuilder::build`](crate::TransportBuilder::build)), or `None`
    /// when it is not set. A refused URL is shown without the credentials it may hold.
    ///
    /// # Errors
    ///
    /// [`EnvError::Malformed`] for a value that is not such a URL or not valid Unicode.
    pub fn url(&self, name: &'static str) -> Result<Option<String>, EnvError> {
        let Some(value) = self.optional(name)? else {
            return Ok(None);
        };
        match crate::transport::builder::parse_base_url(&value) {
            Ok(_) => Ok(Some(value)),
            Err(e) => Err(EnvError::Malformed {
                variable: name,
                value: Some(printable(
                    &crate::transport::builder::redact_userinfo(&value),
                    VALUE_LIMIT,
                )),
                reason: reason_of(Box::new(e)),
            }),
        }
    }

    /// The contents of the PEM file `name` names, checked to hold at least one certificate,
    /// or `None` when it is not set.
    ///
    /// # Errors
    ///
    /// [`EnvError::Unreadable`] when the file cannot be read; [`EnvError::Malformed`] when it
    /// holds no PEM certificate or the value is not valid Unicode.
    pub fn pem_file(&self, name: &'static str) -> Result<Option<Vec<u8>>, EnvError> {
        let Some(path) = self.optional(name)? else {
            return Ok(None);
        };
        let path = PathBuf::from(path);
        let pem = std::fs::read(&path).map_err(|source| EnvError::Unreadable {
            variable: name,
            path: path.clone(),
            source,
        })?;
        if let Err(e) = crate::tls::RootCertificates::default().add_pem(&pem) {
            return Err(EnvError::Malformed {
                variable: name,
                value: Some(printable(&path.display().to_string(), VALUE_LIMIT)),
                reason: format!(
                    "the file is not a PEM certificate ({})",
                    reason_of(e.into())
                ),
            });
        }
        Ok(Some(pem))
    }

    /// The proxy the HTTP client takes from this environment for a request to `url`, as it
    /// reads the variables: `HTTPS_PROXY` (or `https_proxy`) for an `https` URL,
    /// `HTTP_PROXY` (or `http_proxy`) for an `http` one, else `ALL_PROXY` (or `all_proxy`),
    /// unless `NO_PROXY` (or `no_proxy`) lists the host (`*`, the host itself, a domain it
    /// is in, or its IP address). Returns the variable and the proxy's URL with any
    /// credentials replaced by `[REDACTED]`, or `None` for a direct connection.
    pub fn proxy_for(&self, url: &url::Url) -> Option<(&'static str, String)> {
        let host = url
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']');
        let by_scheme: [&'static str; 2] = if url.scheme() == "https" {
            ["HTTPS_PROXY", "https_proxy"]
        } else {
            ["HTTP_PROXY", "http_proxy"]
        };
        let (variable, proxy) = by_scheme
            .into_iter()
            .chain(["ALL_PROXY", "all_proxy"])
            .find_map(|name| Some((name, self.optional(name).ok().flatten()?)))?;
        let no_proxy = ["NO_PROXY", "no_proxy"]
            .into_iter()
            .find_map(|name| self.optional(name).ok().flatten())
            .unwrap_or_default();
        if no_proxy
            .split(',')
            .any(|entry| no_proxy_matches(entry.trim(), host))
        {
            return None;
        }
        Some((
            variable,
            printable(
                &crate::transport::builder::redact_userinfo(&proxy),
                VALUE_LIMIT,
            ),
        ))
    }

    /// Which of two variables that choose the same thing is set: `Some(first)`,
    /// `Some(second)`, or `None` for neither; both is [`EnvError::Conflict`].
    ///
    /// # Errors
    ///
    /// [`EnvError::Conflict`] when both are set.
    pub fn one_of(
        &self,
        first: &'static str,
        second: &'static str,
    ) -> Result<Option<&'static str>, EnvError> {
        match (self.is_set(first), self.is_set(second)) {
            (true, true) => Err(EnvError::Conflict { first, second }),
            (true, false) => Ok(Some(first)),
            (false, true) => Ok(Some(second)),
            (false, false) => Ok(None),
        }
    }
}

/// Whether one `NO_PROXY` entry covers `host`.
fn no_proxy_matches(entry: &str, host: &str) -> bool {
    let entry = entry.trim_start_matches('[').trim_end_matches(']');
    if entry.is_empty() {
        return false;
    }
    if entry == "*" {
        return true;
    }
    let domain = entry.trim_start_matches('.');
    host.eq_ignore_ascii_case(domain)
        || host
            .to_ascii_lowercase()
            .ends_with(&format!(".{}", domain.to_ascii_lowercase()))
}

/// The reason a parser gives, without the "invalid configuration" prefix of an
/// [`Error::Config`].
fn reason_of(e: BoxError) -> String {
    match e.downcast::<Error>() {
        Ok(e) => match *e {
            Error::Config { message, .. } => message,
            other => other.to_string(),
        },
        Err(e) => e.to_string(),
    }
}

/// Writes the constructors from the environment that every vendor crate offers, around the
/// builder's own `from_env_with(&Env) -> Result<Builder>` (which reads the variables):
///
/// - `Client::from_env()`: the builder from the process environment, then `build()`;
/// - `Client::configured()`: whether the environment names a server of this vendor (one of
///   the `VendorEnv`'s [`configured_by`](VendorEnv::configured_by) variables is set), so
///   that a program can fall back to something else, such as a simulator, when it does not;
/// - `Builder::from_env()`: the builder from the process environment, to change before
///   `build()`.
///
/// ```
/// use incident_core::env::{Env, EnvError, EnvVar, VendorEnv};
/// # use incident_core::Vendor;
/// # const ACME: Vendor = Vendor::new("acme", "Acme");
///
/// pub const ENVIRONMENT: VendorEnv =
///     VendorEnv::new(ACME, &[EnvVar::new("ACME_URL", "the server")], &["ACME_URL"]);
///
/// pub struct Client(String);
/// pub struct Builder(String);
///
/// impl Builder {
///     pub fn from_env_with(env: &Env) -> incident_core::Result<Builder> {
///         let url = env.url("ACME_URL")?.ok_or_else(|| EnvError::missing("ACME_URL"))?;
///         Ok(Builder(url))
///     }
///     pub fn build(self) -> incident_core::Result<Client> {
///         Ok(Client(self.0))
///     }
/// }
///
/// incident_core::env_constructors!(Client, Builder, ENVIRONMENT);
///
/// assert!(Builder::from_env_with(&Env::from_pairs([("ACME_URL", "https://acme.example")])).is_ok());
/// ```
#[macro_export]
macro_rules! env_constructors {
    ($client:ident, $builder:ident, $environment:ident) => {
        impl $client {
            #[doc = concat!(
                "A client configured from the process environment (the variables of [`",
                stringify!($environment), "`]): [`", stringify!($builder),
                "::from_env`], then `build()`. No request is sent."
            )]
            ///
            /// # Errors
            ///
            /// [`Error::Env`](incident_core::Error::Env), naming the variable, when one is
            /// missing or cannot be used; what `build()` refuses.
            pub fn from_env() -> $crate::Result<$client> {
                $builder::from_env()?.build()
            }

            #[doc = concat!(
                "Whether the environment names a server (one of the `configured_by` ",
                "variables of [`", stringify!($environment), "`] is set), so that a program ",
                "can fall back to something else, such as a simulator, when it does not. ",
                "It says nothing of whether the rest of the configuration is complete."
            )]
            pub fn configured() -> bool {
                $environment.is_configured(&$crate::env::Env::process())
            }
        }

        impl $builder {
            #[doc = concat!(
                "A builder configured from the process environment (the variables of [`",
                stringify!($environment), "`]), to change before `build()`: [`",
                "from_env_with`](Self::from_env_with) on [`Env::process`]",
                "(incident_core::env::Env::process)."
            )]
            ///
            /// # Errors
            ///
            /// [`Error::Env`](incident_core::Error::Env), naming the variable, when one is
            /// missing or cannot be used.
            pub fn from_env() -> $crate::Result<$builder> {
                $builder::from_env_with(&$crate::env::Env::process())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_blank_are_unset() {
        let env = Env::from_pairs([("A", ""), ("B", "  \t"), ("C", " x ")]);
        assert_eq!(env.optional("A").unwrap(), None);
        assert_eq!(env.optional("B").unwrap(), None);
        assert_eq!(env.optional("C").unwrap().as_deref(), Some("x"));
        assert_eq!(env.optional("D").unwrap(), None);
        assert!(!env.is_set("A") && !env.is_set("B") && env.is_set("C") && !env.is_set("D"));
        // A secret keeps its spaces.
        assert_eq!(env.secret("C").unwrap().unwrap().expose(), " x ");
    }

    #[test]
    fn required_names_the_variable() {
        let env = Env::from_pairs([("A", "")]);
        let e = env.required("A").unwrap_err();
        assert_eq!(e.variable(), "A");
        assert_eq!(e.to_string(), "A is not set");
        let e = env.required_secret("P").unwrap_err().with_hint("U is set");
        assert_eq!(e.to_string(), "P is not set (U is set)");
        let e: Error = e.into();
        assert!(
            matches!(&e, Error::Env(inner) if inner.variable() == "P"),
            "{e:?}"
        );
        assert_eq!(e.to_string(), "P is not set (U is set)");
    }

    #[test]
    fn malformed_values_are_named_secrets_never_shown() {
        let env = Env::from_pairs([
            ("N", "twelve"),
            ("URL", "ftp://h"),
            ("CRED", "https://u:s3cret@h/"),
        ]);
        let e = env.parse::<u32>("N").unwrap_err();
        assert_eq!(
            e.to_string(),
            "N=\"twelve\" is not valid: invalid digit found in string"
        );
        let e = env.url("URL").unwrap_err();
        assert!(
            e.to_string().starts_with("URL=\"ftp://h\" is not valid: "),
            "{e}"
        );
        assert!(!e.to_string().contains("invalid configuration"), "{e}");
        let e = env.url("CRED").unwrap_err();
        assert!(!format!("{e} {e:?}").contains("s3cret"), "{e}");
        assert_eq!(env.parse::<u32>("M").unwrap(), None);
        assert_eq!(
            Env::from_pairs([("N", " 12 ")]).parse::<u32>("N").unwrap(),
            Some(12)
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_that_is_not_unicode_is_not_echoed() {
        use std::os::unix::ffi::OsStringExt;
        let raw = OsString::from_vec(b"pa\xffss-w0rd".to_vec());
        let env = Env::from_pairs([("P", raw.clone()), ("U", raw)]);
        let e = env.secret("P").unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(!text.contains("w0rd"), "{text}");
        assert!(matches!(e, EnvError::Malformed { value: None, .. }));
        let e = env.optional("U").unwrap_err();
        assert!(e.to_string().contains("w0rd"), "{e}");
    }

    #[test]
    fn one_of_two() {
        let env = Env::from_pairs([("A", "1"), ("B", "2"), ("C", "")]);
        assert!(matches!(
            env.one_of("A", "B"),
            Err(EnvError::Conflict {
                first: "A",
                second: "B"
            })
        ));
        assert_eq!(env.one_of("A", "C").unwrap(), Some("A"));
        assert_eq!(env.one_of("C", "B").unwrap(), Some("B"));
        assert_eq!(env.one_of("C", "D").unwrap(), None);
    }

    #[test]
    fn pem_files() {
        let dir = std::env::temp_dir().join(format!("incident-core-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.pem");
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        std::fs::write(&good, cert.cert.pem()).unwrap();
        let bad = dir.join("bad.pem");
        std::fs::write(&bad, "not a certificate").unwrap();
        let env = Env::from_pairs([
            ("GOOD", good.as_os_str().to_owned()),
            ("BAD", bad.as_os_str().to_owned()),
            ("GONE", dir.join("gone.pem").into_os_string()),
        ]);
        assert!(env.pem_file("GOOD").unwrap().is_some());
        let e = env.pem_file("BAD").unwrap_err();
        assert!(
            matches!(
                e,
                EnvError::Malformed {
                    variable: "BAD",
                    ..
                }
            ),
            "{e:?}"
        );
        let e = env.pem_file("GONE").unwrap_err();
        assert!(
            matches!(
                e,
                EnvError::Unreadable {
                    variable: "GONE",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("gone.pem"), "{e}");
        assert_eq!(env.pem_file("NONE").unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn vendor_env_is_configured_by_any_of_its_selectors() {
        const VARS: &[EnvVar] = &[
            EnvVar::new("X_URL", "the server"),
            EnvVar::new("X_REGION", "a region"),
            EnvVar::secret("X_PASSWORD", "the password"),
        ];
        let spec = VendorEnv::new(Vendor::new("x", "X"), VARS, &["X_URL", "X_REGION"]);
        assert!(!spec.is_configured(&Env::from_pairs([("X_PASSWORD", "p")])));
        assert!(spec.is_configured(&Env::from_pairs([("X_REGION", "eu")])));
        assert!(spec.variable("X_PASSWORD").unwrap().is_secret());
        assert!(spec.variable("X_OTHER").is_none());
        assert_eq!(
            spec.markdown_table(),
            "| variable | what it holds |\n|---|---|\n| `X_URL` | the server |\n\
             | `X_REGION` | a region |\n| `X_PASSWORD` | the password |\n"
        );
    }

    #[test]
    fn proxies_as_the_http_client_reads_them() {
        let url = |u: &str| url::Url::parse(u).unwrap();
        let env = Env::from_pairs([
            ("HTTPS_PROXY", "http://bob:s3cret@proxy.example.com:3128"),
            ("http_proxy", "http://plain-proxy:8080"),
            ("NO_PROXY", "localhost, .internal.example.com,10.0.0.7"),
        ]);
        let (var, shown) = env.proxy_for(&url("https://siem.example.com")).unwrap();
        assert_eq!(var, "HTTPS_PROXY");
        assert_eq!(shown, "http://[REDACTED]@proxy.example.com:3128");
        assert_eq!(
            env.proxy_for(&url("http://siem.example.com")).unwrap().0,
            "http_proxy"
        );
        for direct in [
            "https://localhost:8443",
            "https://siem.internal.example.com",
            "https://internal.example.com",
            "https://10.0.0.7",
        ] {
            assert_eq!(env.proxy_for(&url(direct)), None, "{direct}");
        }
        let all = Env::from_pairs([("ALL_PROXY", "socks5://gw:1080"), ("no_proxy", "*")]);
        assert_eq!(all.proxy_for(&url("https://h")), None);
        let all = Env::from_pairs([("ALL_PROXY", "socks5://gw:1080")]);
        assert_eq!(
            all.proxy_for(&url("https://h")),
            Some(("ALL_PROXY", "socks5://gw:1080".to_owned()))
        );
        assert_eq!(
            Env::from_pairs([("X", "y")]).proxy_for(&url("https://h")),
            None
        );
    }

    #[test]
    fn debug_shows_names_only() {
        let env = Env::from_pairs([("TOKEN", "s3cret")]);
        let text = format!("{env:?}");
        assert!(text.contains("TOKEN") && !text.contains("s3cret"), "{text}");
    }
}
