//! The PTA simulator over real HTTP, driven by plain reqwest: logon with each type, raw
//! tokens, logoff, event filters, status updates that persist, risk events with paging, the
//! PVWA error bodies, IIS's HTML page and the faults of the skeleton.
#![cfg(feature = "cyberark-pta")]

use std::time::Duration;

use incident_sim::{Fault, PtaSim};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

async fn logon(sim: &PtaSim, kind: &str) -> String {
    let resp = Client::new()
        .post(format!("{}/PasswordVault/API/auth/{kind}/Logon", sim.url()))
        .header("content-type", "application/json")
        .body(json!({"username": sim.username(), "password": sim.password()}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    serde_json::from_str(&resp.text().await.unwrap()).unwrap()
}

async fn call(
    sim: &PtaSim,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, Value) {
    call_with(sim, method, path, token, None).await
}

async fn call_with(
    sim: &PtaSim,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Client::new().request(method, format!("{}{path}", sim.url()));
    if let Some(token) = token {
        req = req.header("Authorization", token);
    }
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

const EVENTS: &str = "/PasswordVault/API/pta/API/Events/";
const RISKS: &str = "/PasswordVault/API/pta/API/Risks/RisksEvents/";

#[tokio::test]
async fn logon_with_each_type_gives_a_raw_token_and_logoff_ends_it() {
    let sim = PtaSim::builder().start().await.unwrap();
    for kind in ["CyberArk", "ldap", "RADIUS", "Windows"] {
        let token = logon(&sim, kind).await;
        let (status, events) = call(&sim, Method::GET, EVENTS, Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{events}");
        assert_eq!(events.as_array().unwrap().len(), 40);
    }
    assert_eq!(sim.logons(), ["CyberArk", "LDAP", "RADIUS", "Windows"]);

    let token = logon(&sim, "CyberArk").await;
    // `Bearer <token>` is refused: PVWA wants the raw token.
    let (status, body) = call(&sim, Method::GET, EVENTS, Some(&format!("Bearer {token}"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["ErrorCode"], "ITATS955E");
    let (status, body) = call(&sim, Method::GET, EVENTS, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["ErrorCode"], "CAIWS001E");

    let (status, _) = call(
        &sim,
        Method::POST,
        "/PasswordVault/API/Auth/Logoff",
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sim.logoffs(), 1);
    let (status, _) = call(&sim, Method::GET, EVENTS, Some(&token)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the token ended with the logoff"
    );
}

#[tokio::test]
async fn a_failed_logon_is_403_pasws013e_and_an_unknown_type_404() {
    let sim = PtaSim::builder().start().await.unwrap();
    let (status, body) = call_with(
        &sim,
        Method::POST,
        "/PasswordVault/API/auth/CyberArk/Logon",
        None,
        Some(json!({"username": "pta-admin", "password": "wrong"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["ErrorCode"], "PASWS013E");
    assert!(
        body["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("Authentication failure")
    );
    let (status, body) = call_with(
        &sim,
        Method::POST,
        "/PasswordVault/API/auth/SAML/Logon",
        None,
        Some(json!({"username": "pta-admin", "password": "sim-password"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .starts_with("No HTTP resource")
    );
    assert!(sim.logons().is_empty());
}

#[tokio::test]
async fn paths_are_case_insensitive_need_their_slash_and_stay_under_the_application() {
    let sim = PtaSim::builder().start().await.unwrap();
    let token = logon(&sim, "CyberArk").await;
    let (status, _) = call(
        &sim,
        Method::GET,
        "/passwordvault/api/PTA/api/events/",
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = call(
        &sim,
        Method::GET,
        "/PasswordVault/API/pta/API/Events",
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = call(&sim, Method::DELETE, EVENTS, Some(&token)).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let (status, body) = call(&sim, Method::GET, "/PV/API/pta/API/Events/", Some(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body.as_str()
            .unwrap()
            .contains("Server Error in '/' Application.")
    );
}

#[tokio::test]
async fn event_filters_status_date_account_and_the_legacy_header() {
    let sim = PtaSim::builder().events(60).start().await.unwrap();
    let token = logon(&sim, "CyberArk").await;
    let all = sim.events();
    let open = all.iter().filter(|e| e["mStatus"] == "OPEN").count();
    let (_, got) = call(
        &sim,
        Method::GET,
        &format!("{EVENTS}?status=open"),
        Some(&token),
    )
    .await;
    assert_eq!(got.as_array().unwrap().len(), open);

    let mut times: Vec<i64> = all
        .iter()
        .map(|e| e["lastUpdateTime"].as_i64().unwrap())
        .collect();
    times.sort_unstable();
    let from = times[times.len() / 2];
    let newer = times.iter().filter(|t| **t >= from).count();
    let (_, got) = call(
        &sim,
        Method::GET,
        &format!("{EVENTS}?fromUpdateDate={from}"),
        Some(&token),
    )
    .await;
    let got = got.as_array().unwrap().clone();
    assert_eq!(got.len(), newer);
    // Newest change first.
    let order: Vec<i64> = got
        .iter()
        .map(|e| e["lastUpdateTime"].as_i64().unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] >= w[1]));

    let resp = Client::new()
        .get(format!("{}{EVENTS}", sim.url()))
        .header("Authorization", &token)
        .header("lastUpdatedEventDate", from.to_string())
        .send()
        .await
        .unwrap();
    let got: Vec<Value> = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(got.len(), newer);

    let account = all
        .iter()
        .find_map(|e| e["audits"][0]["accountId"].as_str())
        .unwrap()
        .to_owned();
    let (_, got) = call(
        &sim,
        Method::GET,
        &format!("{EVENTS}?accountID={account}"),
        Some(&token),
    )
    .await;
    let got = got.as_array().unwrap();
    assert!(!got.is_empty());
    assert!(got.iter().all(|e| {
        e["audits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["accountId"] == account.as_str())
    }));

    let (status, body) = call(
        &sim,
        Method::GET,
        &format!("{EVENTS}?status=pending"),
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["ErrorCode"], "CAWS00001E");
}

#[tokio::test]
async fn dates_in_seconds_when_configured() {
    let sim = PtaSim::builder()
        .dates_in_seconds(true)
        .start()
        .await
        .unwrap();
    let token = logon(&sim, "CyberArk").await;
    let mut times: Vec<i64> = sim
        .events()
        .iter()
        .map(|e| e["lastUpdateTime"].as_i64().unwrap())
        .collect();
    times.sort_unstable();
    let from_s = times[10] / 1000;
    let want = times.iter().filter(|t| **t >= from_s * 1000).count();
    let (_, got) = call(
        &sim,
        Method::GET,
        &format!("{EVENTS}?fromUpdateDate={from_s}"),
        Some(&token),
    )
    .await;
    assert_eq!(got.as_array().unwrap().len(), want);
}

#[tokio::test]
async fn a_status_update_persists_and_reopening_drops_the_close_reason() {
    let sim = PtaSim::builder().start().await.unwrap();
    let token = logon(&sim, "CyberArk").await;
    let closed = sim
        .events()
        .into_iter()
        .find(|e| e["closeReason"].is_string())
        .unwrap();
    let id = closed["id"].as_str().unwrap().to_owned();
    let path = format!("/PasswordVault/API/pta/API/Events/{id}");
    let (status, event) = call_with(
        &sim,
        Method::PATCH,
        &path,
        Some(&token),
        Some(json!({"mStatus": "open"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{event}");
    assert_eq!(event["mStatus"], "OPEN");
    assert!(event.get("closeReason").is_none());
    assert_eq!(sim.event(&id).unwrap()["mStatus"], "OPEN");
    let (_, event) = call_with(
        &sim,
        Method::PATCH,
        &path,
        Some(&token),
        Some(json!({"mStatus": "CLOSED"})),
    )
    .await;
    assert_eq!(event["mStatus"], "CLOSED");
    assert!(event["lastUpdateTime"].as_i64().unwrap() > closed["lastUpdateTime"].as_i64().unwrap());

    let (status, body) = call_with(
        &sim,
        Method::PATCH,
        &path,
        Some(&token),
        Some(json!({"mStatus": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = call_with(
        &sim,
        Method::PATCH,
        "/PasswordVault/API/pta/API/Events/000000000000000000000000",
        Some(&token),
        Some(json!({"mStatus": "CLOSED"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["ErrorCode"], "CAWS00001E");
}

#[tokio::test]
async fn risk_events_page_filter_sort_and_close() {
    let sim = PtaSim::builder().risk_events(45).start().await.unwrap();
    let token = logon(&sim, "CyberArk").await;
    let mut seen = Vec::new();
    for page in 0.. {
        let (status, body) = call(
            &sim,
            Method::GET,
            &format!("{RISKS}?page={page}&size=20"),
            Some(&token),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let entities = body["entities"].as_array().unwrap().clone();
        let n = entities.len();
        seen.extend(entities);
        if n < 20 {
            break;
        }
    }
    assert_eq!(seen.len(), 45);

    let filter = "type%20eq%20%22RISK_RISKY_SPN%22%20AND%20status%20eq%20%22OPEN%22";
    let (_, body) = call(
        &sim,
        Method::GET,
        &format!("{RISKS}?filter={filter}&sort=-score&size=1000"),
        Some(&token),
    )
    .await;
    let got = body["entities"].as_array().unwrap();
    let want = sim
        .risk_events()
        .iter()
        .filter(|r| r["type"] == "RISK_RISKY_SPN" && r["status"] == "OPEN")
        .count();
    assert_eq!(got.len(), want);
    let scores: Vec<f64> = got.iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));

    let (status, _) = call(
        &sim,
        Method::GET,
        &format!("{RISKS}?size=1001"),
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let id = got[0]["id"].as_str().unwrap().to_owned();
    let path = format!("{RISKS}{id}");
    let (status, risk) = call_with(
        &sim,
        Method::PATCH,
        &path,
        Some(&token),
        Some(json!({"status": "CLOSED", "closeReason": "NOTREAL", "reasonText": "Test account"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{risk}");
    assert_eq!(sim.risk_event(&id).unwrap()["closeReason"], "NOTREAL");
    assert_eq!(risk["reasonText"], "Test account");
    let (status, _) = call_with(
        &sim,
        Method::PATCH,
        &path,
        Some(&token),
        Some(json!({"status": "CLOSED", "reasonText": "x".repeat(101)})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sessions_expire_by_fault_by_lifetime_and_faults_use_the_pvwa_body() {
    let sim = PtaSim::builder()
        .session_ttl(Some(Duration::from_millis(300)))
        .start()
        .await
        .unwrap();
    let token = logon(&sim, "CyberArk").await;
    sim.inject(Fault::ExpireSessions, 1);
    let (status, _) = call(&sim, Method::GET, EVENTS, Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let token = logon(&sim, "CyberArk").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, body) = call(&sim, Method::GET, EVENTS, Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["ErrorCode"], "ITATS955E");

    let token = logon(&sim, "CyberArk").await;
    sim.inject(Fault::ServiceUnavailable, 1);
    let (status, body) = call(&sim, Method::GET, EVENTS, Some(&token)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["ErrorCode"], "CAWS00001E");
    sim.inject(Fault::HtmlError { status: 500 }, 1);
    let (status, body) = call(&sim, Method::GET, EVENTS, Some(&token)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.as_str().unwrap().starts_with("<html>"));
}

#[tokio::test]
async fn the_event_list_shows_a_change_made_after_it_was_served() {
    let sim = PtaSim::builder().events(30).start().await.unwrap();
    let token = logon(&sim, "CyberArk").await;
    // Served once: every event keeps its text from here on.
    let (status, first) = call(&sim, Method::GET, EVENTS, Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let first = first.as_array().unwrap().clone();
    assert_eq!(first.len(), 30);
    let oldest = first.last().unwrap();
    let id = oldest["id"].as_str().unwrap().to_owned();
    let status_now = if oldest["mStatus"] == "OPEN" {
        "CLOSED"
    } else {
        "OPEN"
    };
    let (status, _) = call_with(
        &sim,
        Method::PATCH,
        &format!("{EVENTS}{id}"),
        Some(&token),
        Some(json!({"mStatus": status_now})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // The changed event is the newest change now: first in the list, never its old text.
    let (_, second) = call(&sim, Method::GET, EVENTS, Some(&token)).await;
    let second = second.as_array().unwrap();
    assert_eq!(second.len(), 30);
    assert_eq!(second[0]["id"], json!(id));
    assert_eq!(second[0]["mStatus"], status_now);
    assert_eq!(second[0], sim.event(&id).unwrap());
    assert_eq!(second[1..], first[..29]);
}

#[tokio::test]
async fn the_generated_document_is_what_a_fresh_simulator_lists() {
    let sim = PtaSim::builder().events(25).seed(4).start().await.unwrap();
    let token = logon(&sim, "CyberArk").await;
    let resp = Client::new()
        .get(format!("{}{EVENTS}", sim.url()))
        .header("Authorization", token)
        .send()
        .await
        .unwrap();
    let listed = resp.text().await.unwrap();
    assert_eq!(
        listed,
        incident_sim::cyberark_pta::seeded_events_json(25, 4)
    );
    assert_eq!(incident_sim::cyberark_pta::seeded_events_json(0, 4), "[]");
}
