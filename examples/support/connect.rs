//! One `IncidentSource` per vendor, as the environment configures it or simulated.
//!
//! Each function follows the environment of its vendor's example (see the README): when the
//! vendor's crate says it is configured (`<PREFIX>_URL`, or a region), it builds the client
//! with the crate's own `from_env()`, which reads and checks every variable; otherwise it
//! starts the vendor's built-in simulator and builds a client for it.
//!
//! Each fails with what `from_env()` refuses (a variable missing or malformed, a client that
//! cannot be built), or with the simulator's error when it cannot start.

use std::any::Any;
use std::fmt;

use cyberark_pta_client::PtaClient;
use eset_connect_client::EsetClient;
use futures::future::BoxFuture;
use incident_core::{IncidentSource, Vendor};
use incident_sim::{EsetSim, PtaSim, QRadarSim, SentinelSim, SkyhighSim};
use qradar_client::QRadarClient;
use sentinel_client::SentinelClient;
use skyhigh_client::{SkyhighClient, parse_time};

/// An error of the examples.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

type SignOff = Box<dyn FnOnce() -> BoxFuture<'static, incident_core::Result<()>> + Send>;

/// A client ready to use, and the simulator behind it when there is one.
pub struct Connected {
    /// The client.
    pub source: Box<dyn IncidentSource>,
    /// Where it talks to: `simulator at http://127.0.0.1:PORT` or the server's URL.
    pub target: String,
    /// The simulator, kept alive as long as the client needs it.
    simulator: Option<Box<dyn Any + Send + Sync>>,
    /// Ends the vendor session (PTA log-off, Sentinel sign-out).
    sign_off: Option<SignOff>,
}

impl fmt::Debug for Connected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connected")
            .field("source", &self.source)
            .field("target", &self.target)
            .field("simulated", &self.simulator.is_some())
            .finish_non_exhaustive()
    }
}

impl Connected {
    fn new(source: impl IncidentSource + 'static, target: String) -> Self {
        Connected {
            source: Box::new(source),
            target,
            simulator: None,
            sign_off: None,
        }
    }

    fn simulated(mut self, sim: impl Any + Send + Sync) -> Self {
        self.simulator = Some(Box::new(sim));
        self
    }

    fn signing_off(
        mut self,
        f: impl FnOnce() -> BoxFuture<'static, incident_core::Result<()>> + Send + 'static,
    ) -> Self {
        self.sign_off = Some(Box::new(f));
        self
    }

    /// Whether the client talks to a built-in simulator.
    pub fn is_simulated(&self) -> bool {
        self.simulator.is_some()
    }

    /// Ends the vendor session, if the vendor has one, so that it does not linger.
    ///
    /// # Errors
    ///
    /// The vendor's error for the logoff (see its client's `sign_out` or `log_off`).
    pub async fn sign_off(&mut self) -> incident_core::Result<()> {
        match self.sign_off.take() {
            Some(f) => f().await,
            None => Ok(()),
        }
    }
}

/// QRadar: `QRADAR_URL`, `QRADAR_TOKEN` or `QRADAR_USERNAME` + `QRADAR_PASSWORD`,
/// `QRADAR_API_VERSION`, `QRADAR_CA_CERT` (read by [`QRadarClient::from_env`]); else the
/// simulator with `simulated` offenses.
///
/// # Errors
///
/// As every vendor: see [the module](self).
pub async fn qradar(simulated: usize) -> Result<Connected, BoxError> {
    if !QRadarClient::configured() {
        let sim = QRadarSim::builder().offenses(simulated).start().await?;
        let client = QRadarClient::builder(sim.url())
            .sec_token(sim.token())
            .build()?;
        let target = format!("simulator at {}", sim.url());
        return Ok(Connected::new(client, target).simulated(sim));
    }
    // Named once the crate accepted it: a URL it refuses is not echoed.
    let client = QRadarClient::from_env()?;
    let target = client.transport().base_url().to_string();
    Ok(Connected::new(client, target))
}

/// CyberArk PTA: `PTA_URL`, `PTA_USERNAME`, `PTA_PASSWORD`, `PTA_AUTH_TYPE`,
/// `PTA_APP_PATH`, `PTA_CA_CERT` (read by [`PtaClient::from_env`]); else the simulator with
/// `simulated` security events.
///
/// # Errors
///
/// As every vendor: see [the module](self).
pub async fn cyberark_pta(simulated: usize) -> Result<Connected, BoxError> {
    let (client, sim) = if PtaClient::configured() {
        (PtaClient::from_env()?, None)
    } else {
        let sim = PtaSim::builder().events(simulated).start().await?;
        let client = PtaClient::builder(sim.url())
            .credentials(sim.username(), sim.password())
            .build()?;
        (client, Some(sim))
    };
    let session = client.clone();
    let target = match &sim {
        Some(sim) => format!("simulator at {}", sim.url()),
        None => client.transport().base_url().to_string(),
    };
    let connected = Connected::new(client, target)
        .signing_off(move || Box::pin(async move { session.log_off().await }));
    Ok(match sim {
        Some(sim) => connected.simulated(sim),
        None => connected,
    })
}

/// Sentinel: `SENTINEL_URL`, `SENTINEL_USERNAME`, `SENTINEL_PASSWORD`, `SENTINEL_CA_CERT`
/// (read by [`SentinelClient::from_env`]); else the simulator with `simulated` incidents.
///
/// # Errors
///
/// As every vendor: see [the module](self).
pub async fn sentinel(simulated: usize) -> Result<Connected, BoxError> {
    let (client, sim) = if SentinelClient::configured() {
        (SentinelClient::from_env()?, None)
    } else {
        let sim = SentinelSim::builder().incidents(simulated).start().await?;
        let (user, password) = sim.credentials();
        let client = SentinelClient::builder(sim.url())
            .credentials(user, password)
            .build()?;
        (client, Some(sim))
    };
    let session = client.clone();
    let target = match &sim {
        Some(sim) => format!("simulator at {}", sim.url()),
        None => client.transport().base_url().to_string(),
    };
    let connected = Connected::new(client, target)
        .signing_off(move || Box::pin(async move { session.sign_out().await }));
    Ok(match sim {
        Some(sim) => connected.simulated(sim),
        None => connected,
    })
}

/// Skyhigh: `SKYHIGH_URL` or `SKYHIGH_REGION`, `SKYHIGH_USERNAME`, `SKYHIGH_PASSWORD`,
/// `SKYHIGH_CA_CERT` (read by [`SkyhighClient::from_env`]); else the simulator with
/// `simulated` incidents.
///
/// # Errors
///
/// As every vendor: see [the module](self).
pub async fn skyhigh(simulated: usize) -> Result<Connected, BoxError> {
    if !SkyhighClient::configured() {
        let sim = SkyhighSim::builder().incidents(simulated).start().await?;
        let (user, password) = sim.credentials();
        let first =
            parse_time(incident_sim::skyhigh::FIRST_INCIDENT_TIME).ok_or("bad simulator time")?;
        let client = SkyhighClient::builder(sim.url())
            .basic_auth(user, password.to_owned())
            .history_start(first)
            .build()?;
        let target = format!("simulator at {}", sim.url());
        return Ok(Connected::new(client, target).simulated(sim));
    }
    let client = SkyhighClient::from_env()?;
    let target = client.transport().base_url().to_string();
    Ok(Connected::new(client, target))
}

/// ESET Connect: `ESET_REGION`, or `ESET_URL` + `ESET_IAM_URL`, `ESET_USERNAME`,
/// `ESET_PASSWORD`, `ESET_CA_CERT` (read by [`EsetClient::from_env`]); else the simulator
/// with `simulated` incidents.
///
/// # Errors
///
/// As every vendor: see [the module](self).
pub async fn eset(simulated: usize) -> Result<Connected, BoxError> {
    if !EsetClient::configured() {
        let sim = EsetSim::builder().incidents(simulated).start().await?;
        let (user, password) = sim.credentials();
        let client = EsetClient::builder_with_urls(sim.url(), sim.iam_url())
            .credentials(user, password)
            .build()?;
        let target = format!("simulator at {}", sim.url());
        return Ok(Connected::new(client, target).simulated(sim));
    }
    let client = EsetClient::from_env()?;
    let target = client.transport().base_url().to_string();
    Ok(Connected::new(client, target))
}

/// The team's own ticket queue ([`crate::tickets`]), in this process with `tickets` tickets:
/// a source beside the vendors, configured by nothing in the environment.
pub fn tickets(tickets: usize) -> Connected {
    let queue = crate::tickets::TicketQueue::seeded(tickets);
    Connected::new(
        queue,
        format!("in-process ticket queue of {tickets} tickets"),
    )
}

/// The vendors the environment configures, as each crate's `configured()` tells (its URL
/// or region variable set and not empty).
pub fn configured() -> Vec<Vendor> {
    [
        (qradar_client::QRADAR, QRadarClient::configured()),
        (cyberark_pta_client::CYBERARK_PTA, PtaClient::configured()),
        (sentinel_client::SENTINEL, SentinelClient::configured()),
        (skyhigh_client::SKYHIGH, SkyhighClient::configured()),
        (eset_connect_client::ESET_CONNECT, EsetClient::configured()),
    ]
    .into_iter()
    .filter(|(_, configured)| *configured)
    .map(|(vendor, _)| vendor)
    .collect()
}

/// One of the five vendors, as [`all`] connects it.
///
/// # Errors
///
/// As that vendor's function; an error for another source.
pub async fn one(vendor: Vendor, simulated: usize) -> Result<Connected, BoxError> {
    if vendor == qradar_client::QRADAR {
        qradar(simulated).await
    } else if vendor == cyberark_pta_client::CYBERARK_PTA {
        cyberark_pta(simulated).await
    } else if vendor == sentinel_client::SENTINEL {
        sentinel(simulated).await
    } else if vendor == skyhigh_client::SKYHIGH {
        skyhigh(simulated).await
    } else if vendor == eset_connect_client::ESET_CONNECT {
        eset(simulated).await
    } else {
        Err(format!("{vendor} is none of the five vendors").into())
    }
}

/// Every vendor, connected concurrently: each as the environment configures it, or
/// simulated with `simulated` incidents. A vendor whose configuration is wrong gives its
/// error here and does not keep the others from connecting.
pub async fn all(simulated: usize) -> Vec<(Vendor, Result<Connected, BoxError>)> {
    let (q, p, s, k, e) = futures::join!(
        qradar(simulated),
        cyberark_pta(simulated),
        sentinel(simulated),
        skyhigh(simulated),
        eset(simulated),
    );
    vec![
        (qradar_client::QRADAR, q),
        (cyberark_pta_client::CYBERARK_PTA, p),
        (sentinel_client::SENTINEL, s),
        (skyhigh_client::SKYHIGH, k),
        (eset_connect_client::ESET_CONNECT, e),
    ]
}
