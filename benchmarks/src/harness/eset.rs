//! The ESET Connect scenario: list every incident of the ESET simulator (its rate limit
//! off) through `eset-connect-client`, hand-written reqwest calls and a Python `requests`
//! script, each in a process of its own.
//!
//! Every implementation gets a token with the password grant, then follows
//! `nextPageToken` with pages of the same size, decoding each page: the SDK through its
//! stream (its client-side rate limit off, as the simulator's), the raw client into the
//! SDK's `IncidentsPage` type, Python with `json`. Each reports the number of incidents and
//! a checksum of their uuids, which must agree.

use std::process::Command;

use eset_connect_client::{EsetClient, IncidentsPage};
use futures::TryStreamExt;

use super::report::{Report, Walked};
use super::sim::SimProcess;
use super::walk::{self, Expect};
use super::{Config, Environment, Peer, decode, thousands};
use crate::client::{Implementation, Start};

/// ESET's largest page (`pageSize` at most 1,000).
const PAGE: u64 = 1_000;

/// Measures ESET Connect: a token, then every page through `nextPageToken`, at two sizes;
/// and the decode of a page.
pub(crate) fn report(config: &Config, env: &Environment) -> Result<Report, String> {
    let page = config.page(PAGE);
    let decode = decode::measure(config, env, decode::Page::Eset, page as usize)?;
    let walk = |n: usize| -> Result<Walked, String> {
        eprintln!("eset list-all: {n} incidents, pages of {page}");
        let mut sim = SimProcess::start(
            env,
            &[
                "eset".into(),
                "--rate-limit".into(),
                "0".into(),
                "--incidents".into(),
                n.to_string(),
            ],
        )?;
        let common = [
            sim.var("ESET_URL")?,
            sim.var("ESET_IAM_URL")?,
            sim.var("ESET_USERNAME")?,
            sim.var("ESET_PASSWORD")?,
            page.to_string(),
        ];
        let command = |peer: Peer| match peer {
            Peer::Rust(implementation) => {
                let mut cmd = Command::new(&env.exe);
                let name = match implementation {
                    Implementation::Raw => "raw",
                    _ => "sdk",
                };
                cmd.arg("eset-client").arg(name).args(&common);
                cmd
            }
            Peer::Python => {
                let mut cmd = Command::new(&env.python);
                cmd.arg(env.peer.with_file_name("eset_peer.py"))
                    .arg("list-all")
                    .args(&common);
                cmd
            }
        };
        let expect = Expect::AsTheFirst { items: n as u64 };
        walk::walked(config, &mut sim, n, &command, expect)
    };
    Ok(Report {
        vendor: "ESET Connect",
        walk: format!(
            "token, list-all in pages of {} (pageToken), rate limit off",
            thousands(page)
        ),
        unit: "incidents",
        large: walk(config.large)?,
        small: Some(walk(config.small)?),
        decode,
    })
}

/// A checksum of a uuid that every implementation computes alike: its first 8 hex digits.
fn uuid_sum(uuid: &str) -> u64 {
    uuid.get(..8)
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .unwrap_or(0)
}

/// `benchmarks eset-client sdk|raw URL IAM_URL USER PASSWORD PAGE_SIZE`: lists every
/// incident and prints one [`Measurement`](crate::client::Measurement) line.
pub(crate) fn client(args: &[String]) -> Result<(), String> {
    let [implementation, url, iam, user, password, size] = args else {
        return Err(
            "usage: benchmarks eset-client sdk|raw URL IAM_URL USER PASSWORD PAGE_SIZE".into(),
        );
    };
    let size: u32 = size.parse().map_err(|_| "PAGE_SIZE must be a number")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let started = Start::now();
    let (items, id_sum) = runtime.block_on(async {
        match implementation.as_str() {
            "sdk" => sdk(url, iam, user, password, size).await,
            "raw" => raw(url, iam, user, password, size).await,
            other => Err(format!("unknown implementation {other:?}")),
        }
    })?;
    started.report(items, id_sum)
}

async fn sdk(
    url: &str,
    iam: &str,
    user: &str,
    password: &str,
    size: u32,
) -> Result<(u64, u64), String> {
    let client = EsetClient::builder_with_urls(url, iam)
        .credentials(user, password.to_owned())
        .no_rate_limit()
        .build()
        .map_err(|e| e.to_string())?;
    client
        .incidents()
        .list()
        .page_size(size)
        .into_stream()
        .try_fold((0u64, 0u64), |(n, sum), i| async move {
            Ok((n + 1, sum + uuid_sum(i.uuid.as_deref().unwrap_or(""))))
        })
        .await
        .map_err(|e| e.to_string())
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn raw(
    url: &str,
    iam: &str,
    user: &str,
    password: &str,
    size: u32,
) -> Result<(u64, u64), String> {
    let http = reqwest::Client::new();
    let form = format!(
        "grant_type=password&username={}&password={}",
        encode(user),
        encode(password)
    );
    let resp = http
        .post(format!("{iam}/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| e.to_string())?;
    let token: serde_json::Value =
        serde_json::from_slice(&resp.bytes().await.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let bearer = format!(
        "Bearer {}",
        token["access_token"].as_str().unwrap_or_default()
    );
    let (mut n, mut sum) = (0u64, 0u64);
    let mut next = String::new();
    loop {
        let mut target = format!("{url}/v2/incidents?pageSize={size}");
        if !next.is_empty() {
            target.push_str("&pageToken=");
            target.push_str(&encode(&next));
        }
        let body = http
            .get(target)
            .header("authorization", &bearer)
            .header("accept", "application/json")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.to_string())?
            .bytes()
            .await
            .map_err(|e| e.to_string())?;
        let page: IncidentsPage = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        for i in &page.incidents {
            n += 1;
            sum += uuid_sum(i.uuid.as_deref().unwrap_or(""));
        }
        match page.next_token() {
            Some(t) => next = t.to_owned(),
            None => return Ok((n, sum)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_and_encoding() {
        assert_eq!(uuid_sum("0000000a-xxxx"), 10);
        assert_eq!(uuid_sum("zz"), 0);
        assert_eq!(encode("a@b c+/="), "a%40b%20c%2B%2F%3D");
    }
}
