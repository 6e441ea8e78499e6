//! The CyberArk PTA scenario: log on, list every security event, close a fixed set of them
//! (the first ids in sorted order, so that every implementation sends the same requests on
//! every run), log off. The SDK, hand-written reqwest calls and the Python peer do it against
//! the PTA simulator served as a process of its own; the table shows the medians and ratios.
//!
//! `benchmarks pta-client sdk|raw URL USER PASSWORD CLOSES` runs one Rust client and prints
//! its [`Measurement`](crate::client::Measurement) as a JSON line (`items`: events listed, `id_sum`: events closed).

use std::process::Command;

use cyberark_pta_client::{PtaClient, SecurityEvent};

use crate::client::{Implementation, Start};
use crate::harness::report::Report;
use crate::harness::sim::SimProcess;
use crate::harness::walk::{self, Expect};
use crate::harness::{Config, Environment, Peer, decode, thousands};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Security events in the decode row's page (PTA answers its whole list at once; this is
/// the size of a busy day's list).
const DECODE_EVENTS: usize = 1_000;

/// Measures PTA: log on, list every security event, close some, log off; and the decode of
/// a list of events.
pub(crate) fn report(config: &Config, env: &Environment) -> Result<Report, String> {
    let (events, closes) = config.pta_events;
    let decoded = DECODE_EVENTS.min(events);
    let decode = decode::measure(config, env, decode::Page::Pta, decoded)?;
    eprintln!("pta: {events} security events, {closes} closed");
    let mut sim = SimProcess::start(
        env,
        &["cyberark-pta".into(), "--events".into(), events.to_string()],
    )?;
    let args = [
        sim.var("PTA_URL")?,
        sim.var("PTA_USERNAME")?,
        sim.var("PTA_PASSWORD")?,
        closes.to_string(),
    ];
    let command = |peer: Peer| match peer {
        Peer::Rust(implementation) => {
            let mut cmd = Command::new(&env.exe);
            let name = match implementation {
                Implementation::Raw => "raw",
                _ => "sdk",
            };
            cmd.arg("pta-client").arg(name).args(&args);
            cmd
        }
        Peer::Python => {
            let mut cmd = Command::new(&env.python);
            cmd.arg(&env.peer).arg("pta-list-close").args(&args);
            cmd
        }
    };
    let expect = Expect::Exactly {
        items: events as u64,
        id_sum: closes as u64,
    };
    let large = walk::walked(config, &mut sim, events, &command, expect)?;
    Ok(Report {
        vendor: "CyberArk PTA",
        walk: format!(
            "log on, list every event (one answer), close {}, log off",
            thousands(closes as u64)
        ),
        unit: "events",
        large,
        small: None,
        decode,
    })
}

/// `benchmarks pta-client sdk|raw URL USER PASSWORD CLOSES`.
pub(crate) fn client(args: &[String]) -> Result<(), String> {
    let [implementation, url, user, password, closes] = args else {
        return Err("usage: benchmarks pta-client sdk|raw URL USER PASSWORD CLOSES".to_owned());
    };
    let closes: usize = closes
        .parse()
        .map_err(|_| format!("expected a number, got {closes:?}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let started = Start::now();
    let result = runtime.block_on(async {
        match implementation.as_str() {
            "sdk" => sdk(url, user, password, closes).await,
            "raw" => raw(url, user, password, closes).await,
            other => Err(format!("unknown implementation {other:?}").into()),
        }
    });
    let (items, id_sum) = result.map_err(|e| e.to_string())?;
    started.report(items, id_sum)
}

/// The ids to close: the first `n` in sorted order.
fn to_close(events: &[SecurityEvent], n: usize) -> Vec<String> {
    let mut ids: Vec<String> = events.iter().filter_map(|e| e.id.clone()).collect();
    ids.sort_unstable();
    ids.truncate(n);
    ids
}

async fn sdk(url: &str, user: &str, password: &str, n: usize) -> Result<(u64, u64), BoxError> {
    let client = PtaClient::builder(url)
        .credentials(user, password.to_owned())
        .build()?;
    let events = client.events().list().send().await?;
    let mut closed = 0;
    for id in to_close(&events, n) {
        client.events().close(id).send().await?;
        closed += 1;
    }
    client.log_off().await?;
    Ok((events.len() as u64, closed))
}

/// What a careful hand-written client does: the same requests, status checks, the SDK's
/// typed `SecurityEvent`.
async fn raw(url: &str, user: &str, password: &str, n: usize) -> Result<(u64, u64), BoxError> {
    let http = reqwest::Client::new();
    let app = format!("{}/PasswordVault/API", url.trim_end_matches('/'));
    let body = serde_json::json!({"username": user, "password": password}).to_string();
    let token: String = serde_json::from_slice(
        &http
            .post(format!("{app}/auth/CyberArk/Logon"))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(body)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?,
    )?;
    let list = http
        .get(format!("{app}/pta/API/Events/"))
        .header("Authorization", &token)
        .header("Accept", "application/json")
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let events: Vec<SecurityEvent> = serde_json::from_slice(&list)?;
    let mut closed = 0;
    for id in to_close(&events, n) {
        let answer = http
            .patch(format!("{app}/pta/API/Events/{id}"))
            .header("Authorization", &token)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(r#"{"mStatus":"CLOSED"}"#)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let _: SecurityEvent = serde_json::from_slice(&answer)?;
        closed += 1;
    }
    http.post(format!("{app}/Auth/Logoff"))
        .header("Authorization", &token)
        .header("Content-Length", "0")
        .send()
        .await?
        .error_for_status()?;
    Ok((events.len() as u64, closed))
}
