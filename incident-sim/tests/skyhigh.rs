//! The Skyhigh simulator's page boundaries over real HTTP, with plain reqwest calls: the
//! documented walk (incidents sharing the last timestamp kept in the page, at most
//! `MAX_TIES` beyond the limit, `nextStartTime` null at the end) and the one some tenants
//! answer (the boundary repeated on the next page, the window's end on a short page).
#![cfg(feature = "skyhigh")]

use std::collections::HashSet;

use incident_sim::SkyhighSim;
use incident_sim::skyhigh::{FIRST_INCIDENT_TIME, MAX_TIES, PageBoundary};
use reqwest::StatusCode;
use serde_json::{Value, json};

const FAR_END: &str = "2100-01-01T00:00:00.000Z";

/// One `queryIncidents` page: the status, the incidents and `nextStartTime`.
async fn query(
    http: &reqwest::Client,
    sim: &SkyhighSim,
    limit: usize,
    start: &str,
) -> (StatusCode, Vec<Value>, Value) {
    let (user, password) = sim.credentials();
    let resp = http
        .post(format!(
            "{}/shnapi/rest/external/api/v1/queryIncidents?limit={limit}",
            sim.url()
        ))
        .basic_auth(user, Some(password))
        .header("content-type", "application/json")
        .body(json!({"startTime": start, "endTime": FAR_END}).to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let doc: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    let body = &doc["body"];
    let incidents = body["incidents"].as_array().cloned().unwrap_or_default();
    (
        status,
        incidents,
        body["responseInfo"]["nextStartTime"].clone(),
    )
}

fn time(incident: &Value) -> &str {
    incident["timeModified"].as_str().unwrap()
}

fn id(incident: &Value) -> String {
    incident["incidentId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn by_default_a_page_keeps_the_incidents_sharing_its_last_timestamp() {
    let sim = SkyhighSim::builder().incidents(237).start().await.unwrap();
    let http = reqwest::Client::new();
    let all = sim.incidents();
    for limit in [1, 2, 5, 7, 50] {
        let mut start = FIRST_INCIDENT_TIME.to_owned();
        let mut seen = Vec::new();
        let mut longer = 0;
        loop {
            let (status, page, next) = query(&http, &sim, limit, &start).await;
            assert_eq!(status, StatusCode::OK);
            assert!(!page.is_empty());
            // Beyond the limit, only incidents at the timestamp of the one at the limit.
            if page.len() > limit {
                longer += 1;
                let boundary = time(&page[limit - 1]);
                assert!(page[limit..].iter().all(|i| time(i) == boundary));
            }
            seen.extend(page.iter().map(id));
            // None of the incidents at the page's last timestamp is left for later.
            let last = time(page.last().unwrap()).to_owned();
            let index = all
                .iter()
                .position(|i| id(i) == seen[seen.len() - 1])
                .unwrap();
            match all.get(index + 1) {
                Some(after) => {
                    assert_ne!(time(after), last, "limit {limit}: a tie split");
                    // The walk continues at the first incident not served.
                    assert_eq!(next, json!(time(after)), "limit {limit}");
                    start = time(after).to_owned();
                }
                None => {
                    assert_eq!(next, Value::Null, "limit {limit}: null ends the walk");
                    break;
                }
            }
        }
        let expected: Vec<String> = all.iter().map(id).collect();
        assert_eq!(
            seen, expected,
            "limit {limit}: each incident once, in order"
        );
        if limit <= 5 {
            assert!(longer > 0, "limit {limit}: some pages hold ties beyond it");
        }
    }
    // A page that ends exactly at the last incident of the window: null.
    let (_, page, next) = query(&http, &sim, 237, FIRST_INCIDENT_TIME).await;
    assert_eq!((page.len(), next), (237, Value::Null));
}

#[tokio::test]
async fn ties_beyond_the_limit_are_capped() {
    let sim = SkyhighSim::builder()
        .incidents(1_300)
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    // One modification of 1,200 incidents gives them one timeModified.
    let ids: Vec<String> = sim.incidents().iter().take(1_200).map(id).collect();
    let changes: Vec<Value> = ids
        .iter()
        .map(|i| json!({"incidentId": i, "changeRequests": {"WORKFLOW_STATUS": "OPENED"}}))
        .collect();
    let (user, password) = sim.credentials();
    let resp = http
        .post(format!(
            "{}/shnapi/rest/external/api/v1/modifyIncidents",
            sim.url()
        ))
        .basic_auth(user, Some(password))
        .header("content-type", "application/json")
        .body(Value::Array(changes).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let tied = time(&sim.incident(&ids[0]).unwrap()).to_owned();
    assert!(ids.iter().all(|i| time(&sim.incident(i).unwrap()) == tied));
    let (status, page, next) = query(&http, &sim, 10, &tied).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.len(), 10 + MAX_TIES, "never more than MAX_TIES beyond");
    assert!(page.iter().all(|i| time(i) == tied));
    // The rest of the instant cannot be reached with this limit: the next start is that
    // instant again.
    assert_eq!(next, json!(tied));
    let unique: HashSet<String> = page.iter().map(id).collect();
    assert_eq!(unique.len(), page.len());
}

#[tokio::test]
async fn the_repeating_mode_stops_at_the_limit_and_repeats_the_boundary() {
    let sim = SkyhighSim::builder()
        .incidents(60)
        .page_boundary(PageBoundary::RepeatBoundary)
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let all = sim.incidents();
    let mut start = FIRST_INCIDENT_TIME.to_owned();
    let mut seen: Vec<String> = Vec::new();
    let mut repeats = 0;
    loop {
        let (_, page, next) = query(&http, &sim, 7, &start).await;
        assert!(page.len() <= 7);
        for incident in &page {
            if seen.contains(&id(incident)) {
                repeats += 1;
            } else {
                seen.push(id(incident));
            }
        }
        if page.len() < 7 {
            // A short page: the end of the window.
            assert_eq!(next, json!(FAR_END));
            break;
        }
        // A full page: its last time, inclusive.
        assert_eq!(next, json!(time(&page[6])));
        start = time(&page[6]).to_owned();
    }
    assert!(repeats > 0, "the boundary incidents come again");
    assert_eq!(seen, all.iter().map(id).collect::<Vec<_>>());

    // Switched at run time, back to the documented walk.
    sim.set_page_boundary(PageBoundary::IncludeTies);
    let (_, page, next) = query(&http, &sim, 60, FIRST_INCIDENT_TIME).await;
    assert_eq!((page.len(), next), (60, Value::Null));
    assert_eq!(PageBoundary::default(), PageBoundary::IncludeTies);
}

#[tokio::test]
async fn a_query_shows_a_change_made_after_it_was_served() {
    let sim = SkyhighSim::builder().incidents(20).start().await.unwrap();
    let http = reqwest::Client::new();
    // Served once: every incident keeps its text from here on.
    let (status, first, _) = query(&http, &sim, 500, FIRST_INCIDENT_TIME).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first.len(), 20);
    let target = id(&first[5]);
    let status_now = if first[5]["status"] == "resolved" {
        "opened"
    } else {
        "resolved"
    };
    let (user, password) = sim.credentials();
    let resp = http
        .post(format!(
            "{}/shnapi/rest/external/api/v1/modifyIncidents",
            sim.url()
        ))
        .basic_auth(user, Some(password))
        .header("content-type", "application/json")
        .body(
            json!([{"incidentId": target, "changeRequests": {"WORKFLOW_STATUS": status_now}}])
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Modified now, it moves to the end of the time order with its new status.
    let (_, second, _) = query(&http, &sim, 500, FIRST_INCIDENT_TIME).await;
    assert_eq!(second.len(), 20);
    let last = second.last().unwrap();
    assert_eq!(id(last), target);
    assert_eq!(last["status"], status_now);
    assert_eq!(*last, sim.incident(&target).unwrap());
    assert_eq!(second[..5], first[..5]);
}
