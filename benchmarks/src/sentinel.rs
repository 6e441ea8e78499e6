//! The Sentinel scenario: list every incident of a Sentinel simulator (a token, then
//! `page`/`pagesize` pages, then sign-out) with the SDK, hand-written reqwest calls and the
//! Python peer, each in a process of its own.

use futures::TryStreamExt;
use sentinel_client::{Incident, Page, SentinelClient};

use crate::harness::report::Report;
use crate::harness::walk::{self, Expect};
use crate::harness::{Config, Environment, decode, id_sum, thousands};

/// The scenario's name on the clients' command lines.
pub const SCENARIO: &str = "sentinel-list-all";

/// The page size of the walks (Sentinel documents no maximum; the SDK asks for 100 unless
/// told), as in the earlier runs.
const PAGE: u64 = 500;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Measures Sentinel: a token, every page of the incidents (`next` links), sign-out, at
/// two sizes, and the decode of a page.
pub(crate) fn report(config: &Config, env: &Environment) -> Result<Report, String> {
    let page = config.page(PAGE);
    let decode = decode::measure(config, env, decode::Page::Sentinel, page as usize)?;
    let walk = |n: usize| {
        let expect = Expect::Exactly {
            items: n as u64,
            id_sum: id_sum(n as u64),
        };
        walk::with_password(
            config,
            env,
            ("sentinel", "SENTINEL"),
            SCENARIO,
            page,
            n,
            expect,
        )
    };
    Ok(Report {
        vendor: "Sentinel",
        walk: format!(
            "token, list-all in pages of {} (next links), sign-out",
            thousands(page)
        ),
        unit: "incidents",
        large: walk(config.large)?,
        small: Some(walk(config.small)?),
        decode,
    })
}

fn split(credentials: &str) -> Result<(&str, &str), BoxError> {
    credentials
        .split_once(':')
        .ok_or_else(|| "credentials must be user:password".into())
}

/// The SDK: the incident stream, then sign-out.
pub async fn list_all_sdk(
    url: &str,
    credentials: &str,
    page_size: u64,
) -> Result<(u64, u64), BoxError> {
    let (user, password) = split(credentials)?;
    let client = SentinelClient::builder(url)
        .credentials(user, password)
        .build()?;
    let mut incidents = client.incidents().list().page_size(page_size).into_stream();
    let (mut items, mut id_sum) = (0, 0);
    while let Some(incident) = incidents.try_next().await? {
        items += 1;
        id_sum += incident
            .id()
            .and_then(|id| id.parse::<u64>().ok())
            .unwrap_or(0);
    }
    client.sign_out().await?;
    Ok((items, id_sum))
}

/// What a careful hand-written loop does: a token, the same page requests and headers as
/// the SDK, a status check, the SDK's typed `Incident`, and the token deleted.
pub async fn list_all_raw(
    url: &str,
    credentials: &str,
    page_size: u64,
) -> Result<(u64, u64), BoxError> {
    let (user, password) = split(credentials)?;
    let http = reqwest::Client::new();
    let base = url.trim_end_matches('/');
    let token: serde_json::Value = serde_json::from_slice(
        &http
            .post(format!("{base}/SentinelAuthServices/auth/tokens"))
            .basic_auth(user, Some(password))
            .header("Accept", "application/json")
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?,
    )?;
    let token = token["Token"].as_str().ok_or("no Token")?.to_owned();
    let saml = format!("X-SAML {token}");
    let (mut items, mut id_sum, mut page) = (0, 0, 1u64);
    loop {
        let body = http
            .get(format!(
                "{base}/SentinelRESTServices/objects/incident?page={page}&pagesize={page_size}"
            ))
            .header("Authorization", &saml)
            .header("Accept", "application/json")
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let got: Page<Incident> = serde_json::from_slice(&body)?;
        for incident in &got.objects {
            items += 1;
            id_sum += incident
                .id()
                .and_then(|id| id.parse::<u64>().ok())
                .unwrap_or(0);
        }
        if (got.objects.len() as u64) < page_size {
            break;
        }
        page += 1;
    }
    http.delete(format!("{base}/SentinelAuthServices/auth/tokens/{token}"))
        .basic_auth(user, Some(password))
        .send()
        .await?
        .error_for_status()?;
    Ok((items, id_sum))
}
