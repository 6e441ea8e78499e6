//! Decoding one realistic page of a vendor's records (the simulator's own data) in the
//! harness process: the SDK's types through the SDK's decoding function, the same bytes
//! into `serde_json::Value` as a hand-written client decodes them (`serde_json::from_slice`),
//! and Python's `json.loads`.
//!
//! `benchmarks decode VENDOR RECORDS REPEAT [typed|value]` decodes one page the same way
//! without Python, for profilers (`valgrind --tool=callgrind --toggle-collect='*decode_json*'`).

use std::time::Instant;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Config, Environment, Peer, median, run_client};
use crate::client::Runtime;

/// Throughput in MB/s per column (SDK typed, `serde_json::Value`, `json.loads`) of one
/// page.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decode {
    /// Records in the page.
    pub(crate) records: usize,
    /// Size of the page in bytes.
    pub(crate) bytes: usize,
    /// Median MB/s of each column.
    pub(crate) mb_per_s: [f64; 3],
}

/// A vendor's page, as its simulator lists it, and the SDK type it decodes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    /// `Vec<Offense>`.
    QRadar,
    /// `Page<Incident>` (`{"objects": [...]}`).
    Sentinel,
    /// `Vec<SecurityEvent>`.
    Pta,
    /// `IncidentsPage` (`{"incidents": [...], "nextPageToken": ""}`).
    Eset,
    /// `IncidentResponse` (`{"incidents": [...], "responseInfo": {...}}`).
    Skyhigh,
}

impl Page {
    const ALL: [Page; 5] = [
        Page::QRadar,
        Page::Sentinel,
        Page::Pta,
        Page::Eset,
        Page::Skyhigh,
    ];

    fn name(self) -> &'static str {
        match self {
            Page::QRadar => "qradar",
            Page::Sentinel => "sentinel",
            Page::Pta => "pta",
            Page::Eset => "eset",
            Page::Skyhigh => "skyhigh",
        }
    }

    /// The page of `records` records a fresh simulator with the default seed lists.
    fn text(self, records: usize) -> String {
        use incident_sim::{cyberark_pta, eset, qradar, sentinel, skyhigh};
        match self {
            Page::QRadar => qradar::seeded_offenses_json(records, qradar::DEFAULT_SEED),
            Page::Sentinel => sentinel::seeded_incidents_json(
                "https://sentinel.example.com:8443",
                records,
                sentinel::DEFAULT_SEED,
            ),
            Page::Pta => cyberark_pta::seeded_events_json(records, cyberark_pta::DEFAULT_SEED),
            Page::Eset => eset::seeded_incidents_json(records, eset::DEFAULT_SEED),
            Page::Skyhigh => skyhigh::seeded_incidents_json(records, skyhigh::DEFAULT_SEED),
        }
    }

    /// Decodes `bytes` into the SDK's type: the seconds it took (the decoded page is dropped
    /// after the clock stops) and the number of records it held.
    fn typed(self, bytes: &[u8]) -> Result<(f64, usize), String> {
        fn decode<T: DeserializeOwned>(
            bytes: &[u8],
            count: fn(&T) -> usize,
        ) -> Result<(f64, usize), String> {
            let t = Instant::now();
            // The SDK's own decoding function, as every answer goes through it.
            let decoded: T = incident_core::transport::decode_json(bytes)
                .map_err(|(path, e)| format!("typed decode failed at {path}: {e}"))?;
            Ok((t.elapsed().as_secs_f64(), count(&decoded)))
        }
        match self {
            Page::QRadar => decode(bytes, Vec::<qradar_client::model::Offense>::len),
            Page::Sentinel => decode(
                bytes,
                |p: &sentinel_client::Page<sentinel_client::Incident>| p.objects.len(),
            ),
            Page::Pta => decode(bytes, Vec::<cyberark_pta_client::SecurityEvent>::len),
            Page::Eset => decode(bytes, |p: &eset_connect_client::IncidentsPage| {
                p.incidents.len()
            }),
            Page::Skyhigh => decode(bytes, |p: &skyhigh_client::IncidentResponse| {
                p.incidents.len()
            }),
        }
    }
}

/// Decodes `vendor`'s page of `records` records `config.decode_repeat` times each way, as a
/// client does, page after page of the same type (all typed decodes, then all into
/// `serde_json::Value`, each after two untimed ones), and as many times in Python; every
/// decode must see every record.
pub(crate) fn measure(
    config: &Config,
    env: &Environment,
    vendor: Page,
    records: usize,
) -> Result<Decode, String> {
    let name = vendor.name();
    eprintln!("{name} decode: a page of {records} records");
    let page = vendor.text(records);
    let bytes = page.as_bytes();
    let repeat = config.decode_repeat;
    let typed = repeated(name, records, repeat, || vendor.typed(bytes))?;
    let value = repeated(name, records, repeat, || time_value(bytes))?;
    let file = env.scratch.join(format!("decode-{name}.json"));
    std::fs::write(&file, bytes).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    let args = [
        "decode".to_owned(),
        file.display().to_string(),
        config.decode_repeat.to_string(),
    ];
    let python = run_client(env.client(Peer::Python, &args, Runtime::MultiThread))?;
    if python.items != records as u64 {
        return Err(format!(
            "{name}: json.loads saw {} records of {records}",
            python.items
        ));
    }
    let mb = bytes.len() as f64 / 1e6;
    Ok(Decode {
        records,
        bytes: bytes.len(),
        mb_per_s: [mb / median(typed), mb / median(value), mb / python.seconds],
    })
}

/// Runs `decode` twice untimed, then `repeat` times; the seconds of each timed run. Every
/// run must see all `records`.
fn repeated(
    name: &str,
    records: usize,
    repeat: usize,
    decode: impl Fn() -> Result<(f64, usize), String>,
) -> Result<Vec<f64>, String> {
    let mut seconds = Vec::with_capacity(repeat);
    for i in 0..repeat + 2 {
        let (s, seen) = decode()?;
        if seen != records {
            return Err(format!("{name}: a decode saw {seen} records of {records}"));
        }
        if i >= 2 {
            seconds.push(s);
        }
    }
    Ok(seconds)
}

/// Seconds of one decode into `serde_json::Value` as a hand-written client writes it
/// (`serde_json::from_slice`; the value dropped after the clock stops), and the records it
/// saw.
fn time_value(bytes: &[u8]) -> Result<(f64, usize), String> {
    let t = Instant::now();
    let parsed: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("Value decode failed: {e}"))?;
    let seconds = t.elapsed().as_secs_f64();
    Ok((seconds, value_records(&parsed)))
}

/// The records of a page as `serde_json::Value`, found as the Python peer finds them: the
/// page itself when it is an array, else its `objects` or `incidents` member.
fn value_records(page: &Value) -> usize {
    if let Some(array) = page.as_array() {
        return array.len();
    }
    ["objects", "incidents"]
        .iter()
        .find_map(|k| page.get(k).and_then(Value::as_array))
        .map_or(0, Vec::len)
}

/// `benchmarks decode VENDOR RECORDS REPEAT [typed|value]`: decodes one page REPEAT times
/// (both ways, or one) and prints the median MB/s of each.
pub(crate) fn command(args: &[String]) -> Result<(), String> {
    const USAGE: &str =
        "usage: benchmarks decode qradar|sentinel|pta|eset|skyhigh RECORDS REPEAT [typed|value]";
    let (vendor, records, repeat, which) = match args {
        [v, n, r] => (v, n, r, None),
        [v, n, r, w] if w == "typed" || w == "value" => (v, n, r, Some(w.as_str())),
        _ => return Err(USAGE.to_owned()),
    };
    let vendor = Page::ALL
        .into_iter()
        .find(|p| p.name() == vendor)
        .ok_or(USAGE)?;
    let records: usize = records.parse().map_err(|_| USAGE)?;
    let repeat: usize = repeat.parse().map_err(|_| USAGE)?;
    let page = vendor.text(records);
    let mb = page.len() as f64 / 1e6;
    for label in ["typed", "value"] {
        if which.is_some_and(|w| w != label) {
            continue;
        }
        let seconds = if label == "typed" {
            repeated(vendor.name(), records, repeat, || {
                vendor.typed(page.as_bytes())
            })?
        } else {
            repeated(vendor.name(), records, repeat, || {
                time_value(page.as_bytes())
            })?
        };
        println!(
            "{} {label}: {records} records, {mb:.2} MB, {:.0} MB/s",
            vendor.name(),
            mb / median(seconds)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_every_shape() {
        assert_eq!(value_records(&serde_json::json!([1, 2])), 2);
        assert_eq!(value_records(&serde_json::json!({"objects": [1]})), 1);
        assert_eq!(
            value_records(&serde_json::json!({"incidents": [1, 2, 3], "x": []})),
            3
        );
        assert_eq!(value_records(&serde_json::json!({"x": 1})), 0);
    }

    #[test]
    fn every_vendor_page_decodes_typed_and_as_value() {
        for vendor in Page::ALL {
            let page = vendor.text(7);
            assert_eq!(
                vendor.typed(page.as_bytes()).map(|r| r.1),
                Ok(7),
                "{vendor:?}"
            );
            assert_eq!(
                time_value(page.as_bytes()).map(|r| r.1),
                Ok(7),
                "{vendor:?}"
            );
        }
    }
}
