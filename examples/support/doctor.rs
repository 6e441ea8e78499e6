//! The checks of `cargo run --example doctor`: for one vendor client, in order, whether its
//! server can be reached and used, each failure with a fix in plain words.
//!
//! 1. **address**: the base URL's host resolves;
//! 2. **tcp**: a TCP connection opens (to the proxy, when one is in use);
//! 3. **proxy**: which proxy the environment sets, shown without its credentials;
//! 4. **tls**: the server's certificate is trusted, or why not (self-signed or a private CA,
//!    expired, issued for another name, a CA certificate used as the server's own), and which
//!    variable takes the PEM file; nothing goes on past a TLS failure;
//! 5. **base path**: the API answers a request without credentials as the vendor does (JSON),
//!    not with an HTML page (a wrong path, a web console, a login portal in front);
//! 6. **auth**: the credentials are accepted (a session vendor logs on here), 401 and 403
//!    told apart;
//! 7. **read**: one page of one incident is read and decodes;
//! 8. **session**: the session held through the check (a session vendor);
//! 9. **clock**: the server's `Date` against the local clock, a warning beyond
//!    [`DEFAULT_OVERLAP`];
//! 10. **version**: the API version or region the client uses is accepted, where the vendor
//!     tells;
//! 11. **rate limit**: the headroom the server announces, or that it refused for the rate;
//! 12. **logoff**: a session vendor's session is ended.
//!
//! Only reads are sent: the doctor changes nothing on the server.

use std::fmt;
use std::time::{Duration, Instant};

use cyberark_pta_client::PtaClient;
use eset_connect_client::EsetClient;
use incident_core::env::{Env, VendorEnv};
use incident_core::http::header::{CONTENT_TYPE, DATE};
use incident_core::sync::DEFAULT_OVERLAP;
use incident_core::{ApiPath, ApiRequest, ApiResponse, Error, ErrorKind, Transport, Vendor};
use qradar_client::QRadarClient;
use sentinel_client::SentinelClient;
use skyhigh_client::SkyhighClient;

/// How long a name lookup or a TCP connection may take.
pub const NETWORK_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one step that talks HTTP may take.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// How a step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// It works.
    Ok,
    /// Nothing to judge, only something to know.
    Info,
    /// It works, but something will bite later.
    Warn,
    /// It does not work; the steps after it were not run.
    Fail,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Status::Ok => "ok",
            Status::Info => "info",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        })
    }
}

/// One step of the check.
#[derive(Debug, Clone)]
pub struct Check {
    /// The step, e.g. `tls`.
    pub step: &'static str,
    /// How it went.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about a failure or a warning.
    pub fix: Option<String>,
}

/// The checks of one vendor, in order.
#[derive(Debug, Clone)]
pub struct Report {
    /// The vendor.
    pub vendor: Vendor,
    /// What was checked: the server's URL, or the simulator's.
    pub target: String,
    /// The steps run, in order; none after a failure but the logoff.
    pub checks: Vec<Check>,
}

impl Report {
    /// The step named `step`, if it was run.
    pub fn check(&self, step: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.step == step)
    }

    /// The first failed step.
    pub fn failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.status == Status::Fail)
    }

    /// Whether no step failed.
    pub fn passed(&self) -> bool {
        self.failure().is_none()
    }

    /// The verdict line: `ready`, `ready, with warnings: clock`, or
    /// `FAIL at tls: the certificate ...`.
    pub fn verdict(&self) -> String {
        if let Some(failed) = self.failure() {
            return format!("FAIL at {}: {}", failed.step, failed.detail);
        }
        let warned: Vec<&str> = self
            .checks
            .iter()
            .filter(|c| c.status == Status::Warn)
            .map(|c| c.step)
            .collect();
        if warned.is_empty() {
            "ready".to_owned()
        } else {
            format!("ready, with warnings: {}", warned.join(", "))
        }
    }

    fn push(&mut self, step: &'static str, status: Status, detail: impl Into<String>) {
        self.checks.push(Check {
            step,
            status,
            detail: detail.into(),
            fix: None,
        });
    }

    fn push_fix(
        &mut self,
        step: &'static str,
        status: Status,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.checks.push(Check {
            step,
            status,
            detail: detail.into(),
            fix: Some(fix.into()),
        });
    }
}

/// A vendor client the doctor knows how to examine.
#[derive(Debug, Clone)]
pub enum Client {
    /// IBM QRadar.
    QRadar(QRadarClient),
    /// CyberArk PTA.
    Pta(PtaClient),
    /// Sentinel.
    Sentinel(SentinelClient),
    /// Skyhigh.
    Skyhigh(SkyhighClient),
    /// ESET Connect.
    Eset(EsetClient),
}

impl Client {
    fn transport(&self) -> &Transport {
        match self {
            Client::QRadar(c) => c.transport(),
            Client::Pta(c) => c.transport(),
            Client::Sentinel(c) => c.transport(),
            Client::Skyhigh(c) => c.transport(),
            Client::Eset(c) => c.transport(),
        }
    }

    fn environment(&self) -> VendorEnv {
        match self {
            Client::QRadar(_) => qradar_client::ENVIRONMENT,
            Client::Pta(_) => cyberark_pta_client::ENVIRONMENT,
            Client::Sentinel(_) => sentinel_client::ENVIRONMENT,
            Client::Skyhigh(_) => skyhigh_client::ENVIRONMENT,
            Client::Eset(_) => eset_connect_client::ENVIRONMENT,
        }
    }

    /// Whether the client holds a session (a logon, a token) rather than sending the same
    /// credentials with every request.
    fn has_session(&self) -> bool {
        match self {
            Client::QRadar(_) => false,
            Client::Skyhigh(c) => *c.auth_method() != skyhigh_client::AuthMethod::Basic,
            Client::Pta(_) | Client::Sentinel(_) | Client::Eset(_) => true,
        }
    }

    /// Logons so far, where the client counts them.
    fn logons(&self) -> Option<u64> {
        match self {
            Client::Pta(c) => Some(c.sessions_obtained()),
            Client::Sentinel(c) => Some(c.logons()),
            _ => None,
        }
    }

    /// A request without credentials that the vendor answers in JSON, to see what stands at
    /// the base path.
    fn probe(&self) -> incident_core::Result<ApiRequest> {
        let path = match self {
            Client::QRadar(_) => ApiPath::new("/siem/offenses"),
            Client::Pta(c) => {
                ApiPath::from_encoded(&format!("/{}/API/pta/API/Events/", c.app_path()))?
            }
            Client::Sentinel(_) => ApiPath::new(sentinel_client::OBJECTS_PATH).then("incident"),
            Client::Skyhigh(_) => ApiPath::new("/queryIncidents"),
            Client::Eset(_) => ApiPath::new("/v2/incidents"),
        };
        Ok(ApiRequest::get(path))
    }

    /// Reads one page of (at most) one incident through the vendor's own API: how many
    /// incidents it held.
    async fn read_one(&self) -> incident_core::Result<usize> {
        Ok(match self {
            Client::QRadar(c) => c.offenses().list().range(0, 0).send().await?.items.len(),
            Client::Pta(c) => c.events().list().send().await?.len(),
            Client::Sentinel(c) => c
                .incidents()
                .list()
                .page_size(1)
                .send()
                .await?
                .objects
                .len(),
            Client::Skyhigh(c) => {
                let since = incident_core::time::OffsetDateTime::now_utc()
                    - incident_core::time::Duration::days(30);
                let page = c.incidents().query().start_time(since).limit(1);
                page.send().await?.incidents.len()
            }
            Client::Eset(c) => c
                .incidents()
                .list()
                .page_size(1)
                .send()
                .await?
                .incidents
                .len(),
        })
    }

    /// The same read as a raw request, whose answer's headers tell the clock and the rate
    /// limit.
    fn raw_read(&self) -> incident_core::Result<ApiRequest> {
        let owned = |r: Result<ApiRequest, &Error>| {
            r.map_err(|e| Error::invalid_input("request", e.to_string()))
        };
        match self {
            Client::QRadar(c) => owned(c.offenses().list().range(0, 0).call().request()),
            Client::Pta(c) => owned(c.events().list().call().request()),
            Client::Sentinel(c) => owned(c.incidents().list().page_size(1).call().request()),
            Client::Skyhigh(c) => {
                let since = incident_core::time::OffsetDateTime::now_utc()
                    - incident_core::time::Duration::days(30);
                owned(
                    c.incidents()
                        .query()
                        .start_time(since)
                        .limit(1)
                        .call()
                        .request(),
                )
            }
            Client::Eset(_) => {
                Ok(ApiRequest::get(ApiPath::new("/v2/incidents")).query("pageSize", "1"))
            }
        }
    }

    /// What it takes to read incidents, for a 403.
    fn read_permission(&self) -> &'static str {
        match self {
            Client::QRadar(_) => {
                "give the authorized service (or user) a security profile and a user role \
                 with the Offenses permission"
            }
            Client::Pta(_) => {
                "give the user access to PTA security events (a PTA or auditor role in the vault)"
            }
            Client::Sentinel(_) => "give the user a role that may view incidents",
            Client::Skyhigh(_) => {
                "give the API user the role that may read incidents (Incident Management)"
            }
            Client::Eset(_) => {
                "give the API user read access to incidents in ESET PROTECT Hub / Business Account"
            }
        }
    }
}

/// A client to examine: where it comes from and what it is.
#[derive(Debug)]
pub struct Subject {
    /// The client, built as the doctor needs it (see [`doctor_settings!`](crate::doctor_settings)).
    pub client: Client,
    /// What it talks to, e.g. `simulator at http://127.0.0.1:40123`.
    pub target: String,
    /// Where the proxy variables are read from.
    pub env: Env,
}

/// The settings the doctor gives every client it builds: no retries (a refusal shows as it
/// is), short timeouts.
#[macro_export]
macro_rules! doctor_settings {
    ($builder:expr) => {
        $builder
            .retry_policy(incident_core::RetryPolicy::disabled())
            .connect_timeout($crate::doctor::NETWORK_TIMEOUT)
            .request_timeout($crate::doctor::STEP_TIMEOUT)
            .deadline($crate::doctor::STEP_TIMEOUT)
    };
}

/// Runs every step against `subject`, in order.
pub async fn diagnose(subject: &Subject) -> Report {
    let client = &subject.client;
    let transport = client.transport();
    let spec = client.environment();
    let mut report = Report {
        vendor: transport.vendor(),
        target: subject.target.clone(),
        checks: Vec::new(),
    };
    let url_vars = spec.configured_by().join(" or ");
    let ca_var = spec
        .variables()
        .iter()
        .map(|v| v.name())
        .find(|n| n.ends_with("_CA_CERT"))
        .unwrap_or("the CA certificate variable");
    let credential_vars: Vec<&str> = spec
        .variables()
        .iter()
        .map(|v| v.name())
        .filter(|n| {
            n.ends_with("_USERNAME")
                || n.ends_with("_PASSWORD")
                || n.ends_with("_TOKEN")
                || n.ends_with("_AUTH_TYPE")
        })
        .collect();
    let credential_vars = credential_vars.join(", ");

    // 1-3. Address, TCP, proxy.
    let url = transport.base_url().clone();
    let proxy = subject.env.proxy_for(&url);
    if !network(&mut report, &url, proxy.as_ref(), &url_vars).await {
        return report;
    }

    // 4-5. TLS and the base path, from one request without credentials.
    let probe = match client.probe() {
        Ok(p) => p,
        Err(e) => {
            report.push("base path", Status::Fail, e.to_string());
            return report;
        }
    };
    let answer = within(transport.unauthenticated().execute(probe)).await;
    if !tls(&mut report, &url, &answer, ca_var, &url_vars) {
        return report;
    }
    if !base_path(&mut report, &answer, &url_vars) {
        return report;
    }

    // 6-8. Credentials, one incident, the session.
    let logons_before = client.logons();
    if client.has_session() {
        match within(transport.authenticate()).await {
            Ok(()) => report.push("auth", Status::Ok, "logged on"),
            Err(e) => {
                refused(&mut report, &e, &credential_vars, true);
                return report;
            }
        }
    }
    let read = within(client.read_one()).await;
    let read_ok = match &read {
        Ok(n) => {
            if !client.has_session() {
                report.push("auth", Status::Ok, "credentials accepted");
            }
            let what = if *n == 1 { "incident" } else { "incidents" };
            report.push("read", Status::Ok, format!("one page read: {n} {what}"));
            true
        }
        Err(e) if !client.has_session() && e.kind() == Some(ErrorKind::Unauthorized) => {
            refused(&mut report, e, &credential_vars, false);
            false
        }
        Err(e) => {
            if !client.has_session() {
                if e.kind() == Some(ErrorKind::Forbidden) {
                    report.push(
                        "auth",
                        Status::Ok,
                        "credentials accepted (the read was forbidden)",
                    );
                } else {
                    report.push(
                        "auth",
                        Status::Info,
                        "not confirmed: the read failed before the credentials were judged",
                    );
                }
            }
            read_failed(&mut report, client, e);
            false
        }
    };
    if let (Some(before), Some(after)) = (logons_before, client.logons()) {
        let during = after.saturating_sub(before.max(1));
        if during > 0 {
            report.push_fix(
                "session",
                Status::Warn,
                format!(
                    "the server ended the session during the check; the client logged on \
                     again and replayed the request ({after} logons in all)"
                ),
                "sessions end early: check the server's session timeout, and that no other \
                 program logs on as this user (a second logon of the same user can end the \
                 first session)",
            );
        } else if read_ok {
            report.push("session", Status::Ok, "one session held through the check");
        }
    }

    // 9-11. Clock, version or region, rate limit, from a raw read.
    if read_ok {
        let raw = match client.raw_read() {
            Ok(request) => within(transport.execute(request)).await,
            Err(e) => Err(e),
        };
        match &raw {
            Ok(response) => clock(&mut report, response),
            Err(e) => report.push(
                "clock",
                Status::Info,
                format!("not checked: the read for the Date header failed ({e})"),
            ),
        }
        version(&mut report, client);
        rate_limit(&mut report, client, raw.as_ref());
    } else if let Err(e) = &read
        && e.kind() == Some(ErrorKind::RateLimited)
    {
        rate_limit(&mut report, client, Err(e));
    }

    // 12. Log off.
    if client.has_session() {
        match within(transport.sign_out()).await {
            Ok(()) => report.push("logoff", Status::Ok, "session ended"),
            Err(e) => report.push_fix(
                "logoff",
                Status::Warn,
                format!("the logoff failed: {e}"),
                "the session will time out on the server by itself",
            ),
        }
    }
    report
}

/// Runs an HTTP step within [`STEP_TIMEOUT`].
async fn within<T>(
    step: impl Future<Output = incident_core::Result<T>>,
) -> incident_core::Result<T> {
    match tokio::time::timeout(STEP_TIMEOUT, step).await {
        Ok(result) => result,
        Err(_) => Err(Error::Deadline {
            deadline: STEP_TIMEOUT,
            attempts: 1,
        }),
    }
}

/// The name lookup, the TCP connection and the proxy; `false` when the server cannot be
/// reached.
async fn network(
    report: &mut Report,
    url: &incident_core::reqwest::Url,
    proxy: Option<&(&'static str, String)>,
    url_vars: &str,
) -> bool {
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        report.push_fix(
            "address",
            Status::Fail,
            format!("the base URL {url} has no host"),
            format!("set {url_vars} to the server's https:// address"),
        );
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let lookup = tokio::time::timeout(NETWORK_TIMEOUT, tokio::net::lookup_host((host, port)));
    match lookup.await {
        Ok(Ok(addrs)) => {
            let addrs: Vec<String> = addrs.map(|a| a.ip().to_string()).take(3).collect();
            report.push(
                "address",
                Status::Ok,
                format!("{host} resolves to {}", addrs.join(", ")),
            );
        }
        failed if proxy.is_some() => {
            let why = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => "no answer".to_owned(),
            };
            report.push(
                "address",
                Status::Info,
                format!("{host} does not resolve here ({why}); the proxy resolves it"),
            );
        }
        failed => {
            let why = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => format!("no answer within {} s", NETWORK_TIMEOUT.as_secs()),
            };
            report.push_fix(
                "address",
                Status::Fail,
                format!("{host} does not resolve ({why})"),
                format!(
                    "check the host name in {url_vars} (a typo, an internal name this \
                     machine's DNS does not know), or set HTTPS_PROXY if this network reaches \
                     the server only through a proxy"
                ),
            );
            return false;
        }
    }

    // The TCP connection goes to the proxy when there is one.
    let (connect_host, connect_port, what) = match proxy {
        Some((_, shown)) => match incident_core::reqwest::Url::parse(shown) {
            Ok(p) => (
                p.host_str().unwrap_or_default().to_owned(),
                p.port_or_known_default().unwrap_or(3128),
                "the proxy",
            ),
            Err(_) => {
                report.push_fix(
                    "tcp",
                    Status::Fail,
                    format!("the proxy {shown} is not a URL"),
                    "set HTTPS_PROXY to a URL such as http://proxy.example.com:3128",
                );
                return false;
            }
        },
        None => (host.to_owned(), port, "the server"),
    };
    let started = Instant::now();
    let connect = tokio::time::timeout(
        NETWORK_TIMEOUT,
        tokio::net::TcpStream::connect((connect_host.as_str(), connect_port)),
    );
    match connect.await {
        Ok(Ok(_)) => report.push(
            "tcp",
            Status::Ok,
            format!(
                "connected to {what} at {connect_host}:{connect_port} in {} ms",
                started.elapsed().as_millis()
            ),
        ),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            report.push_fix(
                "tcp",
                Status::Fail,
                format!("{connect_host}:{connect_port} refused the connection"),
                format!(
                    "nothing listens on port {connect_port} of {what}: check the port in \
                     {url_vars} (https APIs usually listen on 443; Sentinel on 8443)"
                ),
            );
            return false;
        }
        failed => {
            let why = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => format!("no answer within {} s", NETWORK_TIMEOUT.as_secs()),
            };
            report.push_fix(
                "tcp",
                Status::Fail,
                format!("no connection to {connect_host}:{connect_port} ({why})"),
                "a firewall drops the traffic, or this network reaches the server only \
                 through a proxy (set HTTPS_PROXY)",
            );
            return false;
        }
    }

    match proxy {
        Some((variable, shown)) => {
            report.push("proxy", Status::Info, format!("{shown} (from {variable})"))
        }
        None => report.push("proxy", Status::Info, "none: direct connection"),
    }
    true
}

/// The TLS step, judged from the first request; `false` after a TLS failure.
fn tls(
    report: &mut Report,
    url: &incident_core::reqwest::Url,
    answer: &incident_core::Result<ApiResponse>,
    ca_var: &str,
    url_vars: &str,
) -> bool {
    if url.scheme() == "http" {
        let loopback = url.host_str().is_some_and(|h| {
            h == "localhost"
                || h.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        if loopback {
            report.push("tls", Status::Info, "plain HTTP on this machine's loopback");
        } else {
            report.push_fix(
                "tls",
                Status::Warn,
                "plain HTTP: credentials and incidents cross the network unencrypted",
                format!("use the server's https:// address in {url_vars}"),
            );
        }
        return true;
    }
    match answer {
        Err(Error::Tls { reason, source, .. }) => {
            let (why, fix) = certificate_problem(&**source, reason, ca_var, url_vars, url);
            report.push_fix("tls", Status::Fail, why, fix);
            false
        }
        Err(Error::Transport { source, .. }) => {
            report.push_fix(
                "tls",
                Status::Fail,
                format!("the connection broke during the TLS handshake ({source})"),
                format!(
                    "the port may not speak TLS (an http:// server? check {url_vars}), or a \
                     proxy or firewall interferes with TLS"
                ),
            );
            false
        }
        _ => {
            report.push("tls", Status::Ok, "the server's certificate is trusted");
            true
        }
    }
}

/// Why a certificate was refused, and the fix, from the error's source chain.
fn certificate_problem(
    source: &(dyn std::error::Error + 'static),
    reason: &str,
    ca_var: &str,
    url_vars: &str,
    url: &incident_core::reqwest::Url,
) -> (String, String) {
    use rustls::CertificateError as C;
    let host = url.host_str().unwrap_or("the host");
    let trust = format!(
        "save the server's certificate (or the CA that issued it) as a PEM file and set \
         {ca_var} to its path"
    );
    let Some(problem) = certificate_error(source) else {
        return (format!("the TLS handshake failed: {reason}"), trust);
    };
    match problem {
        C::UnknownIssuer => (
            "the certificate is not issued by a CA this machine trusts (a self-signed \
             appliance certificate, or a private CA)"
                .to_owned(),
            trust,
        ),
        C::Expired | C::ExpiredContext { .. } => (
            format!("the certificate has expired ({problem})"),
            "renew the server's certificate (and check this machine's clock)".to_owned(),
        ),
        C::NotValidYet | C::NotValidYetContext { .. } => (
            format!("the certificate is not valid yet ({problem})"),
            "check this machine's clock and the server's".to_owned(),
        ),
        C::NotValidForName | C::NotValidForNameContext { .. } => (
            format!("the certificate is issued for other names than {host} ({problem})"),
            format!(
                "use a name the certificate lists in {url_vars}, or reissue the certificate \
                 for {host}"
            ),
        ),
        C::Revoked => (
            "the certificate has been revoked".to_owned(),
            "install a new certificate on the server".to_owned(),
        ),
        C::Other(other) if other.to_string().contains("CaUsedAsEndEntity") => (
            "the server presents a CA certificate as its own (as `openssl req -x509` makes \
             it), which the usual rules refuse"
                .to_owned(),
            format!(
                "set {ca_var} to this very certificate (PEM): the client then accepts it as \
                 it is"
            ),
        ),
        other => (format!("the certificate was refused ({other})"), trust),
    }
}

/// rustls' verdict on the certificate, found along the source chain (an I/O error holds
/// the TLS error it carries rather than giving it as its source).
fn certificate_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::CertificateError> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(rustls::Error::InvalidCertificate(c)) = e.downcast_ref::<rustls::Error>() {
            return Some(c);
        }
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// Whether an answer is an HTML page.
fn is_html(content_type: Option<&str>, body: &str) -> bool {
    content_type.is_some_and(|t| t.to_ascii_lowercase().contains("html"))
        || body.trim_start().starts_with('<')
}

/// The base-path step; `false` when the base URL does not lead to the API.
fn base_path(
    report: &mut Report,
    answer: &incident_core::Result<ApiResponse>,
    url_vars: &str,
) -> bool {
    let vendor = report.vendor;
    let html_fix = format!(
        "the base URL leads to a web page, not to the API: a wrong path, the product's web \
         console, or a login portal (single sign-on, a reverse proxy) in front of it; set \
         {url_vars} to the API's own address, or have the API exempted from the portal"
    );
    match answer {
        Ok(response) => {
            let body = String::from_utf8_lossy(&response.body()[..response.body().len().min(512)]);
            if is_html(response.header_str(CONTENT_TYPE.as_str()), &body) {
                report.push_fix(
                    "base path",
                    Status::Fail,
                    format!(
                        "answered {} with an HTML page where JSON was expected",
                        response.status()
                    ),
                    html_fix,
                );
                return false;
            }
            report.push(
                "base path",
                Status::Ok,
                format!(
                    "answered {} with JSON, even without credentials",
                    response.status()
                ),
            );
            true
        }
        Err(Error::Api(e)) => {
            let html = e.snippet.as_deref().is_some_and(|s| is_html(None, s));
            if e.body.is_some() || e.vendor_code.is_some() {
                report.push(
                    "base path",
                    Status::Ok,
                    format!(
                        "answers as {vendor} does: {} with its JSON error body, without \
                         credentials",
                        e.status
                    ),
                );
                true
            } else if html || e.status.as_u16() == 404 {
                let what = if html {
                    "an HTML page"
                } else {
                    "an empty body"
                };
                report.push_fix(
                    "base path",
                    Status::Fail,
                    format!("answered {} with {what} where JSON was expected", e.status),
                    html_fix,
                );
                false
            } else {
                report.push(
                    "base path",
                    Status::Ok,
                    format!("answered {} without credentials", e.status),
                );
                true
            }
        }
        Err(Error::Redirect {
            status, location, ..
        }) => {
            report.push_fix(
                "base path",
                Status::Fail,
                format!(
                    "answered {status} with a redirect to {}",
                    location.as_deref().unwrap_or("somewhere")
                ),
                format!(
                    "a redirect usually means http:// where https:// is served, a path that \
                     moved, or a login portal: set {url_vars} to where it points if that is \
                     the API"
                ),
            );
            false
        }
        Err(e) => {
            report.push_fix(
                "base path",
                Status::Fail,
                format!("no usable answer: {e}"),
                "the server accepted the connection but did not answer in time: check that \
                 the URL's port serves the API",
            );
            false
        }
    }
}

/// Credentials refused, at the logon or at the first read.
fn refused(report: &mut Report, e: &Error, credential_vars: &str, at_logon: bool) {
    let step = "auth";
    let when = if at_logon { "the logon" } else { "the read" };
    match e.kind() {
        Some(ErrorKind::Unauthorized) => report.push_fix(
            step,
            Status::Fail,
            format!("401 unauthorized: {when} was refused ({e})"),
            format!(
                "the credentials are wrong, expired or of another logon type: check \
                 {credential_vars}"
            ),
        ),
        Some(ErrorKind::Forbidden) => report.push_fix(
            step,
            Status::Fail,
            format!("403 forbidden: {when} was refused ({e})"),
            "the credentials are known but may not log on to the API (a locked or disabled \
             user, a user without API access, a source address not allowed)",
        ),
        _ => report.push_fix(
            step,
            Status::Fail,
            format!("{when} failed: {e}"),
            format!("check {credential_vars}, and that the server's authentication service runs"),
        ),
    }
}

/// The read failed for another reason than the credentials.
fn read_failed(report: &mut Report, client: &Client, e: &Error) {
    let (detail, fix) = match e.kind() {
        Some(ErrorKind::Forbidden) => (
            format!("403 forbidden: the user may not read incidents ({e})"),
            client.read_permission().to_owned(),
        ),
        Some(ErrorKind::RateLimited) => {
            let wait = e
                .api_error()
                .and_then(|a| a.retry_after)
                .map(|d| format!(", retry after {} s", d.as_secs()))
                .unwrap_or_default();
            (
                format!("429 too many requests: the rate limit is used up{wait}"),
                "another program using the same account spends the quota: wait, then lower \
                 its request rate or give this integration an account of its own"
                    .to_owned(),
            )
        }
        Some(ErrorKind::Unauthorized) => (
            format!("401 unauthorized after the logon ({e})"),
            "the session was refused right after the logon: check the server's session \
             settings and the clocks"
                .to_owned(),
        ),
        _ if matches!(e, Error::Decode(_)) => (
            format!("the answer does not decode: {e}"),
            "the server speaks another version of the API than this client models: check \
             the API version"
                .to_owned(),
        ),
        _ => (
            format!("the read failed: {e}"),
            "see the error: the server refused or could not answer the request".to_owned(),
        ),
    };
    report.push_fix("read", Status::Fail, detail, fix);
    if let Client::QRadar(c) = client
        && e.status().is_some_and(|s| s.as_u16() == 422)
        && e.to_string().contains("Version")
    {
        report.push_fix(
            "version",
            Status::Fail,
            format!(
                "the console does not accept API version {}",
                c.api_version()
            ),
            "set QRADAR_API_VERSION to a version the console lists at /api/help/versions",
        );
    }
}

/// The server's clock against the local one.
fn clock(report: &mut Report, response: &ApiResponse) {
    let Some(date) = response.header_str(DATE.as_str()) else {
        report.push("clock", Status::Info, "the server sends no Date header");
        return;
    };
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let Ok(at) = incident_core::time::PrimitiveDateTime::parse(date, &format) else {
        report.push(
            "clock",
            Status::Info,
            format!("the Date header {date:?} is not an HTTP date"),
        );
        return;
    };
    let skew = at.assume_utc() - incident_core::time::OffsetDateTime::now_utc();
    let seconds = skew.whole_seconds();
    let side = if seconds >= 0 { "ahead of" } else { "behind" };
    let shown = human(seconds.unsigned_abs());
    if seconds.unsigned_abs() > DEFAULT_OVERLAP.as_secs() {
        report.push_fix(
            "clock",
            Status::Warn,
            format!(
                "the server's clock is {shown} {side} this machine's, more than the sync \
                 overlap of {}",
                human(DEFAULT_OVERLAP.as_secs())
            ),
            "synchronise both clocks (NTP); until then a sync may miss changes made near its \
             start (or raise its overlap above the difference)",
        );
    } else {
        report.push(
            "clock",
            Status::Ok,
            format!("the server's clock and this machine's differ by {shown}"),
        );
    }
}

/// `75` as `1 min 15 s`.
fn human(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 if seconds.is_multiple_of(60) => format!("{} min", seconds / 60),
        60..3600 => format!("{} min {} s", seconds / 60, seconds % 60),
        _ => format!("{} h {} min", seconds / 3600, (seconds % 3600) / 60),
    }
}

/// The API version or the region.
fn version(report: &mut Report, client: &Client) {
    match client {
        Client::QRadar(c) => report.push(
            "version",
            Status::Ok,
            format!("API version {} accepted", c.api_version()),
        ),
        Client::Eset(c) => report.push(
            "version",
            Status::Ok,
            format!(
                "region hosts answered: tokens from {}, incidents from {}",
                c.iam_url(),
                c.transport().base_url()
            ),
        ),
        Client::Skyhigh(c) => report.push(
            "version",
            Status::Ok,
            format!("the tenant's host {} answered", c.transport().base_url()),
        ),
        Client::Pta(_) | Client::Sentinel(_) => {
            report.push("version", Status::Info, "the API does not tell its version")
        }
    }
}

/// Headers in which servers announce their rate limit: (remaining, limit).
const RATE_HEADERS: &[(&str, &str)] = &[
    ("x-ratelimit-remaining", "x-ratelimit-limit"),
    ("ratelimit-remaining", "ratelimit-limit"),
    ("x-rate-limit-remaining", "x-rate-limit-limit"),
];

/// The rate-limit headroom.
fn rate_limit(report: &mut Report, client: &Client, raw: Result<&ApiResponse, &Error>) {
    let response = match raw {
        Ok(response) => response,
        Err(e) if e.kind() == Some(ErrorKind::RateLimited) => {
            report.push_fix(
                "rate limit",
                Status::Fail,
                "used up: the server answered 429",
                "wait for the window to pass; if it recurs, find what else uses this account",
            );
            return;
        }
        Err(e) => {
            report.push(
                "rate limit",
                Status::Info,
                format!("not checked: the read for the headers failed ({e})"),
            );
            return;
        }
    };
    for (remaining, limit) in RATE_HEADERS {
        let Some(left) = response
            .header_str(remaining)
            .and_then(|v| v.trim().parse::<u64>().ok())
        else {
            continue;
        };
        let of = response
            .header_str(limit)
            .and_then(|v| v.trim().parse::<u64>().ok());
        let shown = match of {
            Some(of) => format!("{left} of {of} requests left in the window"),
            None => format!("{left} requests left in the window"),
        };
        let low = of.is_some_and(|of| left * 10 < of) || left == 0;
        if low {
            report.push_fix(
                "rate limit",
                Status::Warn,
                shown,
                "little headroom: something else spends this account's quota",
            );
        } else {
            report.push("rate limit", Status::Ok, shown);
        }
        return;
    }
    let own = match client {
        Client::Eset(_) => {
            "; the client keeps to ESET's 10 requests per second, and waits as a 429 asks"
        }
        _ => "; the client waits as a 429 or 503 asks",
    };
    report.push(
        "rate limit",
        Status::Info,
        format!("not announced by the server{own}"),
    );
}

/// The reports as one table: a row per step, the fix under each failure or warning, and
/// each vendor's verdict.
pub fn render(reports: &[Report]) -> String {
    let vendor_width = reports
        .iter()
        .map(|r| r.vendor.to_string().len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = format!(
        "{:<vendor_width$}  {:<10}  {:<6}  detail\n",
        "vendor", "check", "result"
    );
    for report in reports {
        let vendor = report.vendor.to_string();
        out.push_str(&format!(
            "{vendor:<vendor_width$}  {:<10}  {:<6}  {}\n",
            "target", "", report.target
        ));
        for check in &report.checks {
            out.push_str(&format!(
                "{vendor:<vendor_width$}  {:<10}  {:<6}  {}\n",
                check.step, check.status, check.detail
            ));
            if let Some(fix) = &check.fix
                && check.status != Status::Ok
            {
                out.push_str(&format!(
                    "{:<vendor_width$}  {:<10}  {:<6}  fix: {fix}\n",
                    "", "", ""
                ));
            }
        }
        out.push_str(&format!(
            "{vendor:<vendor_width$}  {:<10}  {:<6}  {}\n",
            "verdict",
            if report.passed() { "ok" } else { "FAIL" },
            report.verdict()
        ));
    }
    out
}

/// The report of a vendor whose configuration could not even be read: one failed step,
/// `config`, naming the variable.
pub fn config_failure(vendor: Vendor, error: &Error) -> Report {
    let mut report = Report {
        vendor,
        target: "the environment".to_owned(),
        checks: Vec::new(),
    };
    let fix = match error {
        Error::Env(e) => format!(
            "set {} as the vendor's README describes (an empty value counts as unset)",
            e.variable()
        ),
        _ => "correct the configuration as the error says".to_owned(),
    };
    report.push_fix("config", Status::Fail, error.to_string(), fix);
    report
}

/// The clients of every vendor `env` configures, built as the doctor needs them (no
/// retries, short timeouts); each vendor whose variables are wrong gives its error.
pub fn from_environment(env: &Env) -> Vec<Result<Subject, (Vendor, Error)>> {
    fn subject(client: Client, env: &Env) -> Subject {
        Subject {
            target: client.transport().base_url().to_string(),
            client,
            env: env.clone(),
        }
    }
    let mut out = Vec::new();
    if qradar_client::ENVIRONMENT.is_configured(env) {
        out.push(
            qradar_client::QRadarClientBuilder::from_env_with(env)
                .and_then(|b| doctor_settings!(b).build())
                .map(|c| subject(Client::QRadar(c), env))
                .map_err(|e| (qradar_client::QRADAR, e)),
        );
    }
    if cyberark_pta_client::ENVIRONMENT.is_configured(env) {
        out.push(
            cyberark_pta_client::PtaClientBuilder::from_env_with(env)
                .and_then(|b| doctor_settings!(b).build())
                .map(|c| subject(Client::Pta(c), env))
                .map_err(|e| (cyberark_pta_client::CYBERARK_PTA, e)),
        );
    }
    if sentinel_client::ENVIRONMENT.is_configured(env) {
        out.push(
            sentinel_client::SentinelClientBuilder::from_env_with(env)
                .and_then(|b| doctor_settings!(b).build())
                .map(|c| subject(Client::Sentinel(c), env))
                .map_err(|e| (sentinel_client::SENTINEL, e)),
        );
    }
    if skyhigh_client::ENVIRONMENT.is_configured(env) {
        out.push(
            skyhigh_client::SkyhighClientBuilder::from_env_with(env)
                .and_then(|b| doctor_settings!(b).build())
                .map(|c| subject(Client::Skyhigh(c), env))
                .map_err(|e| (skyhigh_client::SKYHIGH, e)),
        );
    }
    if eset_connect_client::ENVIRONMENT.is_configured(env) {
        out.push(
            eset_connect_client::EsetClientBuilder::from_env_with(env)
                .and_then(|b| doctor_settings!(b).build())
                .map(|c| subject(Client::Eset(c), env))
                .map_err(|e| (eset_connect_client::ESET_CONNECT, e)),
        );
    }
    out
}

/// The subjects for running simulators, as the doctor's clients see them. `trusted`: trust
/// an HTTPS simulator's certificate (as `<PREFIX>_CA_CERT` would); without it an HTTPS
/// simulator's certificate is unknown to the client.
pub mod simulated {
    use super::{Client, Subject};
    use cyberark_pta_client::PtaClient;
    use eset_connect_client::EsetClient;
    use incident_core::env::Env;
    use incident_sim::{EsetSim, PtaSim, QRadarSim, SentinelSim, SimServer, SkyhighSim};
    use qradar_client::QRadarClient;
    use sentinel_client::SentinelClient;
    use skyhigh_client::SkyhighClient;

    fn subject(client: Client, server: &SimServer) -> Subject {
        Subject {
            client,
            target: format!("simulator at {}", server.url()),
            // The machine's proxy variables do not apply to a simulator on the loopback.
            env: Env::from_pairs::<&str, &str>([]),
        }
    }

    /// The PEM to trust, when asked and served.
    fn ca(server: &SimServer, trusted: bool) -> &[u8] {
        match server.ca_cert_pem() {
            Some(pem) if trusted => pem.as_bytes(),
            _ => b"",
        }
    }

    macro_rules! trusting {
        ($builder:expr, $server:expr, $trusted:expr) => {{
            let pem = ca($server, $trusted);
            let builder = doctor_settings!($builder);
            if pem.is_empty() {
                builder
            } else {
                builder.add_root_certificate_pem(pem)
            }
        }};
    }

    /// A QRadar simulator, with its token.
    ///
    /// # Errors
    ///
    /// What the client's `build()` refuses.
    pub fn qradar(sim: &QRadarSim, trusted: bool) -> incident_core::Result<Subject> {
        let builder = QRadarClient::builder(sim.url()).sec_token(sim.token());
        let client = trusting!(builder, sim, trusted).build()?;
        Ok(subject(Client::QRadar(client), sim))
    }

    /// A CyberArk PTA simulator, as `password` (its own when `None`).
    ///
    /// # Errors
    ///
    /// What the client's `build()` refuses.
    pub fn cyberark_pta(
        sim: &PtaSim,
        password: Option<&str>,
        trusted: bool,
    ) -> incident_core::Result<Subject> {
        let builder = PtaClient::builder(sim.url())
            .credentials(sim.username(), password.unwrap_or(sim.password()));
        let client = trusting!(builder, sim, trusted).build()?;
        Ok(subject(Client::Pta(client), sim))
    }

    /// A Sentinel simulator.
    ///
    /// # Errors
    ///
    /// What the client's `build()` refuses.
    pub fn sentinel(sim: &SentinelSim, trusted: bool) -> incident_core::Result<Subject> {
        let (user, password) = sim.credentials();
        let builder = SentinelClient::builder(sim.url()).credentials(user, password);
        let client = trusting!(builder, sim, trusted).build()?;
        Ok(subject(Client::Sentinel(client), sim))
    }

    /// A Skyhigh simulator.
    ///
    /// # Errors
    ///
    /// What the client's `build()` refuses.
    pub fn skyhigh(sim: &SkyhighSim, trusted: bool) -> incident_core::Result<Subject> {
        let (user, password) = sim.credentials();
        let builder = SkyhighClient::builder(sim.url()).basic_auth(user, password.to_owned());
        let client = trusting!(builder, sim, trusted).build()?;
        Ok(subject(Client::Skyhigh(client), sim))
    }

    /// An ESET Connect simulator.
    ///
    /// # Errors
    ///
    /// What the client's `build()` refuses.
    pub fn eset(sim: &EsetSim, trusted: bool) -> incident_core::Result<Subject> {
        let (user, password) = sim.credentials();
        let builder =
            EsetClient::builder_with_urls(sim.url(), sim.iam_url()).credentials(user, password);
        let client = trusting!(builder, sim, trusted).build()?;
        Ok(subject(Client::Eset(client), sim))
    }
}
