//! The Skyhigh list-all scenario: every incident of the simulator through the time cursor
//! (`nextStartTime` fed back until it is null; pages that carry the incidents sharing their
//! last timestamp beyond the limit, as the simulator does by default; boundary repeats, from a
//! tenant that sends them, dropped by `incidentId`), with the SDK's
//! stream, a hand-written reqwest loop and the Python peer (`python/skyhigh_peer.py`), each in
//! a process of its own. A child module of the harness.

use std::collections::HashSet;

use futures::TryStreamExt;
use serde::Deserialize;
use skyhigh_client::{Incident, ResponseInfo, SkyhighClient};

use super::report::Report;
use super::walk::{self, Expect};
use super::{Config, Environment, decode, thousands};

/// The `startTime` of every walk: the simulator's first incident.
const START: &str = incident_sim::skyhigh::FIRST_INCIDENT_TIME;

/// The largest `limit` the service serves (the SDK's default).
const PAGE: u64 = 500;

/// Sum of the numbers of the seeded ids `X-1000`, `X-1001`...: every implementation must
/// see each incident exactly once.
fn id_sum(n: u64) -> u64 {
    n * 1_000 + n * n.saturating_sub(1) / 2
}

fn number(incident: &Incident) -> u64 {
    incident
        .incident_id
        .as_ref()
        .and_then(|id| id.number())
        .unwrap_or(0)
}

/// Measures Skyhigh: every incident through the time cursor, at two sizes; and the decode
/// of a page.
pub(crate) fn report(config: &Config, env: &Environment) -> Result<Report, String> {
    let page = config.page(PAGE);
    let decode = decode::measure(config, env, decode::Page::Skyhigh, page as usize)?;
    let walk = |n: usize| {
        let expect = Expect::Exactly {
            items: n as u64,
            id_sum: id_sum(n as u64),
        };
        let scenario = "skyhigh-list-all";
        walk::with_password(
            config,
            env,
            ("skyhigh", "SKYHIGH"),
            scenario,
            page,
            n,
            expect,
        )
    };
    Ok(Report {
        vendor: "Skyhigh",
        walk: format!(
            "list-all, limit {} (nextStartTime cursor, de-duplication)",
            thousands(page)
        ),
        unit: "incidents",
        large: walk(config.large)?,
        small: Some(walk(config.small)?),
        decode,
    })
}

// ---------------------------------------------------------------------------------------------
// The Rust clients (run in `benchmarks client skyhigh-list-all ...`)
// ---------------------------------------------------------------------------------------------

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn split(credentials: &str) -> (&str, &str) {
    credentials.split_once(':').unwrap_or((credentials, ""))
}

/// The SDK: the query stream.
pub(crate) async fn list_all_sdk(
    url: &str,
    credentials: &str,
    limit: u64,
) -> Result<(u64, u64), BoxError> {
    let (user, password) = split(credentials);
    let client = SkyhighClient::builder(url)
        .basic_auth(user, password.to_owned())
        .build()?;
    let mut incidents = client
        .incidents()
        .query()
        .start_time_raw(START)
        .limit(u32::try_from(limit)?)
        .into_stream();
    let (mut items, mut sum) = (0, 0);
    while let Some(incident) = incidents.try_next().await? {
        items += 1;
        sum += number(&incident);
    }
    Ok((items, sum))
}

#[derive(Deserialize)]
struct Answer {
    body: Body,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    incidents: Vec<Incident>,
    #[serde(rename = "responseInfo", default)]
    response_info: Option<ResponseInfo>,
}

/// What a careful hand-written loop does: the same requests, a status check (404 is the
/// end), the SDK's typed `Incident`, pages of any length, boundary repeats dropped against
/// the previous page, the end at a null cursor, an empty page or a cursor that stops moving.
pub(crate) async fn list_all_raw(
    url: &str,
    credentials: &str,
    limit: u64,
) -> Result<(u64, u64), BoxError> {
    let (user, password) = split(credentials);
    let http = reqwest::Client::new();
    let endpoint = format!(
        "{}/shnapi/rest/external/api/v1/queryIncidents?limit={limit}",
        url.trim_end_matches('/')
    );
    let (mut items, mut sum) = (0, 0);
    let mut start = START.to_owned();
    let mut previous: HashSet<String> = HashSet::new();
    loop {
        let resp = http
            .post(&endpoint)
            .basic_auth(user, Some(password))
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(serde_json::json!({"startTime": start}).to_string())
            .send()
            .await?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok((items, sum));
        }
        let bytes = resp.error_for_status()?.bytes().await?;
        let answer: Answer = serde_json::from_slice(&bytes)?;
        if let Some(error) = answer
            .body
            .response_info
            .as_ref()
            .and_then(|i| i.error.as_ref())
        {
            return Err(format!("error inside a 200: {error:?}").into());
        }
        let page = answer.body.incidents;
        if page.is_empty() {
            return Ok((items, sum));
        }
        let mut current = HashSet::with_capacity(page.len());
        for incident in &page {
            let id = incident
                .incident_id
                .as_ref()
                .map(|i| i.as_str().to_owned())
                .unwrap_or_default();
            if !previous.contains(&id) {
                items += 1;
                sum += number(incident);
            }
            current.insert(id);
        }
        previous = current;
        let next = answer
            .body
            .response_info
            .and_then(|i| i.next_start_time)
            .filter(|n| *n != start);
        match next {
            Some(next) => start = next,
            None => return Ok((items, sum)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums() {
        assert_eq!(id_sum(3), 1_000 + 1_001 + 1_002);
        assert_eq!(split("a@b:c:d"), ("a@b", "c:d"));
    }
}
