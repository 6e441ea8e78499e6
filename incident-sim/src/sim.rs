//! The skeleton every vendor simulator stands on: a vendor is a [`SimVendor`] (its options,
//! its state and its plug into the [`SimServer`]), [`SimBuilder`] configures and starts it,
//! and [`Sim`] is the running simulator. The names each vendor exports, such as
//! [`QRadarSim`](crate::QRadarSim) and [`QRadarSimBuilder`](crate::QRadarSimBuilder), are
//! aliases of these two types; the vendor adds its own setters and inspection methods.
//!
//! # Adding a vendor
//!
//! A vendor module declares
//!
//! - its state, a type with its routes (`routes`), its credential check (`admit`) and its
//!   error body (`error_body`), which the skeleton plugs into the server as a
//!   [`Vendor`];
//! - its options, a [`clap::Args`] struct: each field is a setting of the builder and a flag
//!   of the vendor's subcommand of the `incident-sim` binary, with its default; a field
//!   `common` holds the [`Common`] flags (seed, user name, password);
//! - its setters, with the crate's `setters!` macro, and its inspection methods on
//!   [`Sim<Vendor>`](Sim);
//! - with the crate's `sim_vendor!` macro: the names of its simulator and builder, and its
//!   [`SimVendor`] implementation (how the options become the state, and what the binary
//!   prints once the simulator listens).
//!
//! Its subcommand is one variant of the `Simulator` enum of [`cli`](crate::cli).

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clap::{Args, FromArgMatches};

use crate::server::sessions::basic_auth_is;
use crate::server::{ServerContext, ServerOptions, Sessions, SimServer, Vendor};

/// A vendor API simulated on a [`SimServer`], implemented by the state of a running
/// simulator of that vendor, such as [`QRadar`](crate::qradar::QRadar): what its handlers
/// and its [`Sim`] handle share.
pub trait SimVendor: Sized + Send + Sync + 'static {
    /// What a [`SimBuilder`] sets, which are also the flags of the vendor's subcommand of
    /// the `incident-sim` binary; the defaults are those of an empty command line.
    type Options: Args
        + FromArgMatches
        + AsMut<Common<Self>>
        + Clone
        + fmt::Debug
        + Send
        + Sync
        + 'static;

    /// The vendor's subcommand of the binary, e.g. `qradar`.
    const COMMAND: &'static str;

    /// Prefix of the variables the binary prints: `QRADAR` prints `QRADAR_URL=...` and,
    /// with `--https`, `QRADAR_CA_CERT=...`.
    const ENV_PREFIX: &'static str;

    /// The data generator's seed unless [`SimBuilder::seed`] says otherwise.
    const DEFAULT_SEED: u64;

    /// The user name the simulator accepts unless [`SimBuilder::credentials`] says
    /// otherwise.
    const DEFAULT_USER: &'static str;

    /// The password the simulator accepts unless [`SimBuilder::credentials`] says
    /// otherwise.
    const DEFAULT_PASSWORD: &'static str;

    /// The flag of the subcommand that sets the user name (default `user`: `--user`).
    const USER_FLAG: &'static str = "user";

    /// The state a simulator with these options starts with, on a server that listens as
    /// `server` says and accepts the session tokens of `sessions`.
    ///
    /// # Errors
    ///
    /// An [`io::ErrorKind::InvalidInput`] error for options the vendor cannot start with
    /// (PTA's empty application path).
    fn open(
        options: &Self::Options,
        server: &ServerOptions,
        sessions: &Sessions,
    ) -> io::Result<Self>;

    /// The vendor's routes, with their state applied: see [`Vendor::router`].
    fn router(self: Arc<Self>, ctx: &ServerContext) -> Router;

    /// Admits a request or answers it: see [`Vendor::authorize`].
    ///
    /// # Errors
    ///
    /// The answer to a refused request, as [`Vendor::authorize`].
    #[allow(
        clippy::result_large_err,
        reason = "the rejection is the response itself, built once per refused request"
    )]
    fn authorize(&self, parts: &mut Parts, sessions: &Sessions) -> Result<(), Response>;

    /// The vendor's error response: see [`Vendor::error_response`].
    fn error_response(&self, status: StatusCode, message: &str) -> Response;

    /// How the server keeps what it holds for clients; the builder adds the port and
    /// HTTPS. Default: [`ServerOptions::new`].
    fn server_options(options: &Self::Options) -> ServerOptions {
        let _ = options;
        ServerOptions::new()
    }

    /// What the binary prints after `<PREFIX>_URL`, in order, each name without the
    /// prefix, e.g. `("TOKEN", "sim-sec-token")` for `QRADAR_TOKEN=sim-sec-token`.
    fn variables(sim: &Sim<Self>) -> Vec<(&'static str, String)>;

    /// One line for standard error, e.g. `QRadar simulator: 25 offenses`.
    fn summary(sim: &Sim<Self>) -> String;
}

/// Configures and starts a [`Sim`]: the vendor's own settings (its setters, such as
/// [`QRadarSimBuilder::offenses`](crate::QRadarSimBuilder::offenses)), and where to listen.
#[must_use = "a builder does nothing until it is started"]
pub struct SimBuilder<V: SimVendor> {
    pub(crate) options: V::Options,
    https: bool,
    port: u16,
    clock_skew: i64,
}

impl<V: SimVendor> Default for SimBuilder<V> {
    fn default() -> Self {
        SimBuilder::from_options(defaults())
    }
}

impl<V: SimVendor> Clone for SimBuilder<V> {
    fn clone(&self) -> Self {
        SimBuilder {
            options: self.options.clone(),
            https: self.https,
            port: self.port,
            clock_skew: self.clock_skew,
        }
    }
}

impl<V: SimVendor> fmt::Debug for SimBuilder<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimBuilder")
            .field("vendor", &V::COMMAND)
            .field("options", &self.options)
            .field("https", &self.https)
            .field("port", &self.port)
            .field("clock_skew", &self.clock_skew)
            .finish()
    }
}

impl<V: SimVendor> SimBuilder<V> {
    /// A builder with these options, plain HTTP on a free port.
    pub fn from_options(options: V::Options) -> Self {
        SimBuilder {
            options,
            https: false,
            port: 0,
            clock_skew: 0,
        }
    }

    /// Serve HTTPS with a freshly generated self-signed certificate valid for `localhost`
    /// and `127.0.0.1` (see [`SimServer::ca_cert_pem`]).
    pub fn https(mut self, on: bool) -> Self {
        self.https = on;
        self
    }

    /// Seed of the data generator; the same seed gives the same data (default
    /// [`SimVendor::DEFAULT_SEED`]).
    pub fn seed(mut self, seed: u64) -> Self {
        self.options.as_mut().seed = Some(seed);
        self
    }

    /// The user name and password the simulator accepts (default
    /// [`SimVendor::DEFAULT_USER`] / [`SimVendor::DEFAULT_PASSWORD`]); the vendor's module
    /// says where and how.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        let common = self.options.as_mut();
        common.user = user.into();
        common.password = Secret(password.into());
        self
    }

    /// Dates every answer `seconds` off the local clock (negative: behind),
    /// as a server whose clock drifted (default 0; see
    /// [`SimServer::set_clock_skew`], which changes it while running).
    pub fn clock_skew(mut self, seconds: i64) -> Self {
        self.clock_skew = seconds;
        self
    }

    /// Listen on this port of `127.0.0.1` (default 0: a free port chosen by the system).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Binds `127.0.0.1` (see [`port`](Self::port)), spawns the server on the current tokio
    /// runtime and returns once the socket is listening.
    ///
    /// # Errors
    ///
    /// What [`SimVendor::open`] refuses, and what [`SimServer::start`] returns.
    ///
    /// # Panics
    ///
    /// Panics if called outside a tokio runtime.
    pub async fn start(self) -> io::Result<Sim<V>> {
        let options = V::server_options(&self.options)
            .port(self.port)
            .https(self.https)
            .clock_skew(self.clock_skew);
        let sessions = Sessions::new();
        let shared = Arc::new(V::open(&self.options, &options, &sessions)?);
        let plug = Plug(Arc::clone(&shared));
        let server = SimServer::start_with_sessions(plug, options, sessions).await?;
        Ok(Sim {
            server,
            shared,
            options: self.options,
        })
    }
}

/// A running vendor simulator, such as [`QRadarSim`](crate::QRadarSim). Dropping it stops
/// the server and closes its connections.
///
/// It dereferences to its [`SimServer`]: `url()`, `ca_cert_pem()`, `inject()`,
/// `requests()`, `last_request()`, `sessions()`, the counters.
pub struct Sim<V: SimVendor> {
    server: SimServer,
    pub(crate) shared: Arc<V>,
    pub(crate) options: V::Options,
}

impl<V: SimVendor> Sim<V> {
    /// A builder with the vendor's defaults: see its options.
    pub fn builder() -> SimBuilder<V> {
        SimBuilder::default()
    }

    /// The server this simulator runs on (also reachable by deref).
    pub fn server(&self) -> &SimServer {
        &self.server
    }
}

impl<V: SimVendor> fmt::Debug for Sim<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("vendor", &V::COMMAND)
            .field("url", &self.url())
            .field("connections_accepted", &self.connections_accepted())
            .field("requests_served", &self.requests_served())
            .finish_non_exhaustive()
    }
}

impl<V: SimVendor> Deref for Sim<V> {
    type Target = SimServer;

    fn deref(&self) -> &SimServer {
        &self.server
    }
}

impl<V: SimVendor> AsRef<SimServer> for Sim<V> {
    fn as_ref(&self) -> &SimServer {
        &self.server
    }
}

/// A vendor's state plugged into its server.
struct Plug<V>(Arc<V>);

impl<V: SimVendor> Vendor for Plug<V> {
    fn name(&self) -> &'static str {
        V::COMMAND
    }

    fn router(&self, ctx: &ServerContext) -> Router {
        V::router(Arc::clone(&self.0), ctx)
    }

    fn authorize(&self, parts: &mut Parts, sessions: &Sessions) -> Result<(), Response> {
        self.0.authorize(parts, sessions)
    }

    fn error_response(&self, status: StatusCode, message: &str) -> Response {
        self.0.error_response(status, message)
    }
}

/// Options as an empty command line gives them: the defaults their flags declare.
fn defaults<O: Args + FromArgMatches>() -> O {
    let command = O::augment_args(clap::Command::new("defaults").no_binary_name(true));
    command
        .try_get_matches_from(Vec::<String>::new())
        .and_then(|matches| O::from_arg_matches(&matches))
        .expect("the options of a simulator have no required flag")
}

/// The flags every simulator has, for its data and its credentials, with the vendor's
/// defaults; a vendor's options hold them.
#[derive(Args)]
pub struct Common<V: SimVendor> {
    /// Seed of the data generator (default: fixed)
    // Not `default_value_t`: clap keeps that default's text in a static, which a generic
    // struct would share between its vendors.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Accepted user name
    #[arg(long = V::USER_FLAG, value_name = "U", default_value = V::DEFAULT_USER)]
    pub(crate) user: String,
    /// Accepted password
    #[arg(long, value_name = "P", default_value = V::DEFAULT_PASSWORD)]
    pub(crate) password: Secret,
    #[arg(skip)]
    vendor: PhantomData<fn() -> V>,
}

impl<V: SimVendor> Common<V> {
    /// The seed of the data generator.
    pub(crate) fn seed(&self) -> u64 {
        self.seed.unwrap_or(V::DEFAULT_SEED)
    }

    /// Whether the request carries these credentials as HTTP Basic.
    pub(crate) fn accepts_basic(&self, headers: &HeaderMap) -> bool {
        basic_auth_is(headers, &self.user, self.password.as_str())
    }
}

impl<V: SimVendor> Clone for Common<V> {
    fn clone(&self) -> Self {
        Common {
            seed: self.seed,
            user: self.user.clone(),
            password: self.password.clone(),
            vendor: PhantomData,
        }
    }
}

impl<V: SimVendor> fmt::Debug for Common<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Common")
            .field("seed", &self.seed)
            .field("user", &self.user)
            .field("password", &self.password)
            .finish()
    }
}

/// A password or token among a vendor's options: `Debug` shows `"***"` in its place.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl Secret {
    /// The value itself.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reads a flag's whole seconds as a duration.
pub(crate) fn seconds(raw: &str) -> Result<Duration, String> {
    raw.parse()
        .map(Duration::from_secs)
        .map_err(|_| format!("expected whole seconds, got {raw:?}"))
}

/// The variables of a simulator whose clients log on with a user name and a password.
pub(crate) fn logon_variables((user, password): (&str, &str)) -> Vec<(&'static str, String)> {
    vec![
        ("USERNAME", user.to_owned()),
        ("PASSWORD", password.to_owned()),
    ]
}

/// Declares a vendor: the aliases of its simulator and builder, the `Debug` of its state
/// (which shows none of it) and its [`SimVendor`] implementation, whose functions are
/// written as `name(arguments) = body;`, and whose plug into the server is the state's
/// own `routes`, `admit` and `error_body`:
///
/// ```text
/// sim_vendor! {
///     QRadar: QRadarSim, QRadarSimBuilder, "IBM QRadar SIEM";
///     options: QRadarOptions, command: "qradar", env_prefix: "QRADAR";
///     defaults: DEFAULT_SEED, DEFAULT_USER, DEFAULT_PASSWORD;
///     open(options, server, sessions) = Ok(QRadar::open(options, server, sessions));
///     variables(sim) = vec![("TOKEN", sim.token().to_owned())];
///     summary(sim) = format!("QRadar simulator: {} offenses", sim.options.offenses);
/// }
/// ```
///
/// `user_flag: "username"` may follow the defaults, and `server_options(options) = ...;`
/// may follow `open`. The options hold the [`Common`] flags in a field named `common`.
macro_rules! sim_vendor {
    (
        $vendor:ident: $sim:ident, $builder:ident, $what:literal;
        options: $options:ty, command: $command:literal, env_prefix: $prefix:literal;
        defaults: $seed:expr, $user:expr, $password:expr $(, user_flag: $flag:literal)?;
        open($o:ident, $s:tt, $n:tt) = $open:expr;
        $(server_options($so:ident) = $server_options:expr;)?
        variables($v:ident) = $variables:expr;
        summary($m:ident) = $summary:expr;
    ) => {
        impl AsMut<$crate::sim::Common<$vendor>> for $options {
            fn as_mut(&mut self) -> &mut $crate::sim::Common<$vendor> {
                &mut self.common
            }
        }

        impl ::std::fmt::Debug for $vendor {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($vendor)).finish_non_exhaustive()
            }
        }

        #[doc = concat!("A running ", $what, " simulator: a [`Sim`](crate::Sim) with the methods below. Dropping it stops the server.")]
        pub type $sim = $crate::sim::Sim<$vendor>;

        #[doc = concat!("Configures and starts a [`", stringify!($sim), "`]: a [`SimBuilder`](crate::SimBuilder) with the setters below.")]
        pub type $builder = $crate::sim::SimBuilder<$vendor>;

        impl $crate::sim::SimVendor for $vendor {
            type Options = $options;
            const COMMAND: &'static str = $command;
            const ENV_PREFIX: &'static str = $prefix;
            const DEFAULT_SEED: u64 = $seed;
            const DEFAULT_USER: &'static str = $user;
            const DEFAULT_PASSWORD: &'static str = $password;
            $(const USER_FLAG: &'static str = $flag;)?

            fn open(
                $o: &$options,
                $s: &$crate::server::ServerOptions,
                $n: &$crate::server::Sessions,
            ) -> ::std::io::Result<Self> {
                $open
            }

            fn router(
                self: ::std::sync::Arc<Self>,
                ctx: &$crate::server::ServerContext,
            ) -> ::axum::Router {
                $vendor::routes(self, ctx)
            }

            fn authorize(
                &self,
                parts: &mut ::axum::http::request::Parts,
                sessions: &$crate::server::Sessions,
            ) -> Result<(), ::axum::response::Response> {
                $vendor::admit(self, parts, sessions)
            }

            fn error_response(
                &self,
                status: ::axum::http::StatusCode,
                message: &str,
            ) -> ::axum::response::Response {
                $vendor::error_body(self, status, message)
            }

            $(
                fn server_options($so: &$options) -> $crate::server::ServerOptions {
                    $server_options
                }
            )?

            fn variables($v: &$sim) -> Vec<(&'static str, String)> {
                $variables
            }

            fn summary($m: &$sim) -> String {
                $summary
            }
        }
    };
}
pub(crate) use sim_vendor;

/// Setters of a vendor's [`SimBuilder`] that write their arguments into its options, each
/// as its doc comments, then `name(argument: Type, ..) => field = value, ..;`.
macro_rules! setters {
    ($vendor:ty { $($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),+) => $($($field:ident).+ = $value:expr),+;)* }) => {
        impl $crate::sim::SimBuilder<$vendor> {
            $(
                $(#[$doc])*
                pub fn $name(mut self, $($arg: $ty),+) -> Self {
                    $(self.options.$($field).+ = $value;)+
                    self
                }
            )*
        }
    };
}
pub(crate) use setters;
