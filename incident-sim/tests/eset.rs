//! The ESET Connect simulator over real HTTP, with a plain reqwest client: the OAuth
//! grants, bearer tokens, the rate limit, listing with filter, order and page tokens,
//! `updateMask` validation, close, reopen and comments that persist, the 202 flow, and the
//! `request-id` of every answer.
#![cfg(feature = "eset")]

use std::time::Duration;

use incident_sim::{EsetSim, Fault};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

fn http() -> Client {
    Client::builder().build().unwrap()
}

async fn token_response(sim: &EsetSim, form: &[(&str, &str)]) -> Response {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace('@', "%40")))
        .collect::<Vec<_>>()
        .join("&");
    http()
        .post(format!("{}/oauth/token", sim.iam_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn logon(sim: &EsetSim) -> Value {
    let (user, password) = sim.credentials();
    let resp = token_response(
        sim,
        &[
            ("grant_type", "password"),
            ("username", user),
            ("password", password),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    json_of(resp).await
}

async fn call(
    sim: &EsetSim,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut req = http()
        .request(method, format!("{}{path}", sim.url()))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
    )
}

async fn json_of(resp: Response) -> Value {
    serde_json::from_str(&resp.text().await.unwrap()).unwrap()
}

fn unlimited() -> incident_sim::EsetSimBuilder {
    EsetSim::builder().rate_limit(None)
}

#[tokio::test]
async fn password_and_single_use_refresh_grants() {
    let sim = unlimited().start().await.unwrap();
    let t = logon(&sim).await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 3600);
    let access = t["access_token"].as_str().unwrap();
    let refresh = t["refresh_token"].as_str().unwrap();
    assert!(resp_ok(&sim, access).await);

    let resp = token_response(
        &sim,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let t2: Value = json_of(resp).await;
    assert_ne!(t2["access_token"], t["access_token"]);
    // The spent refresh token is refused the second time: invalid_grant.
    let resp = token_response(
        &sim,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.headers().contains_key("request-id"));
    let e: Value = json_of(resp).await;
    assert_eq!(e["error"], "invalid_grant");
    sim.revoke_refresh_tokens();
    let resp = token_response(
        &sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t2["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(sim.token_grants(), (1, 1));

    // Wrong password, another grant, not a form.
    let resp = token_response(
        &sim,
        &[
            ("grant_type", "password"),
            ("username", sim.credentials().0),
            ("password", "wrong"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = token_response(&sim, &[("grant_type", "client_credentials")]).await;
    let e: Value = json_of(resp).await;
    assert_eq!(e["error"], "unsupported_grant_type");
    let resp = http()
        .post(format!("{}/oauth/token", sim.url()))
        .header("content-type", "application/json")
        .body(json!({"grant_type": "password"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

async fn resp_ok(sim: &EsetSim, token: &str) -> bool {
    call(sim, token, reqwest::Method::GET, "/v2/incidents", None)
        .await
        .0
        == StatusCode::OK
}

#[tokio::test]
async fn tokens_are_required_and_expire() {
    let sim = unlimited()
        .token_lifetime(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let (status, body, headers) =
        call(&sim, "nope", reqwest::Method::GET, "/v2/incidents", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], 16);
    assert!(headers.contains_key("request-id"));
    let t = logon(&sim).await;
    assert_eq!(t["expires_in"], 1);
    let access = t["access_token"].as_str().unwrap();
    assert!(resp_ok(&sim, access).await);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(!resp_ok(&sim, access).await);
}

#[tokio::test]
async fn ten_requests_per_second_then_429() {
    let sim = EsetSim::builder().start().await.unwrap();
    let t = logon(&sim).await;
    let access = t["access_token"].as_str().unwrap();
    // All at once, over one client: a burst well within a second.
    let client = http();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..15 {
        let req = client
            .get(format!("{}/v2/incidents?pageSize=1", sim.url()))
            .bearer_auth(access);
        tasks.spawn(async move { req.send().await.unwrap() });
    }
    let mut statuses = Vec::new();
    while let Some(resp) = tasks.join_next().await {
        let resp = resp.unwrap();
        let status = resp.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(resp.headers()["retry-after"], "1");
            assert_eq!(json_of(resp).await["code"], 8);
        }
        statuses.push(status.as_u16());
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        (10..15).contains(&ok),
        "a burst of 10 passes, the rest is refused: {statuses:?}"
    );
    assert_eq!(sim.rate_limited() as usize, 15 - ok);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(resp_ok(&sim, access).await, "the bucket refills");
}

#[tokio::test]
async fn list_filters_orders_and_pages_with_tokens_bound_to_the_query() {
    let sim = unlimited().incidents(45).start().await.unwrap();
    let t = logon(&sim).await;
    let access = t["access_token"].as_str().unwrap();
    let get = |path: String| {
        let access = access.to_owned();
        let sim = &sim;
        async move { call(sim, &access, reqwest::Method::GET, &path, None).await }
    };
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let path = format!(
            "/v2/incidents?orderBy=create_time&pageSize=20&pageToken={}",
            urlencode(&token)
        );
        let (status, page, _) = get(path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["incidents"].as_array().unwrap();
        assert!(items.len() <= 20);
        for i in items {
            assert!(i.get("deviceUuids").is_none(), "lists leave them out");
            all.push(i.clone());
        }
        token = page["nextPageToken"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
        assert!(token.contains('+') || token.contains('/'), "{token}");
    }
    assert_eq!(all.len(), 45);
    let times: Vec<&str> = all
        .iter()
        .map(|i| i["createTime"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "ordered by create_time");

    // Filter: the open ones only.
    let filter = urlencode(
        "incident.status in [INCIDENT_STATUS_OPEN] && incident.severity != INCIDENT_SEVERITY_LEVEL_LOW",
    );
    let (status, _, _) = get(format!("/v2/incidents?filter={filter}")).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "severity takes == or in only"
    );
    let filter = urlencode("incident.status in [INCIDENT_STATUS_OPEN]");
    let (_, page, _) = get(format!("/v2/incidents?filter={filter}&pageSize=1000")).await;
    let open = all
        .iter()
        .filter(|i| i["status"] == "INCIDENT_STATUS_OPEN")
        .count();
    assert_eq!(page["incidents"].as_array().unwrap().len(), open);

    // A token of another query, a page over 1000, a bad orderBy.
    let (_, first, _) = get("/v2/incidents?pageSize=5".into()).await;
    let other = first["nextPageToken"].as_str().unwrap();
    let (status, e, _) = get(format!(
        "/v2/incidents?pageSize=5&orderBy=update_time&pageToken={}",
        urlencode(other)
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    let (status, e, _) = get("/v2/incidents?pageSize=1001".into()).await;
    assert_eq!(
        (status, e["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(3))
    );
    let (status, _, _) = get("/v2/incidents?orderBy=tags".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[tokio::test]
async fn update_mask_rules_close_reopen_and_comments_persist() {
    let sim = unlimited().start().await.unwrap();
    let t = logon(&sim).await;
    let access = t["access_token"].as_str().unwrap();
    let uuid = sim.open_unassigned().unwrap();
    let post = |path: String, body: Value| {
        let access = access.to_owned();
        let sim = &sim;
        async move { call(sim, &access, reqwest::Method::POST, &path, Some(body)).await }
    };
    let update = format!("/v2/incidents/{uuid}/basic-attributes:update");
    // Only the masked fields change.
    let before = sim.incident(&uuid).unwrap();
    let (status, body, _) = post(
        update.clone(),
        json!({"severity": "INCIDENT_SEVERITY_LEVEL_LOW", "displayName": "not masked", "updateMask": "severity"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["incident"]["severity"], "INCIDENT_SEVERITY_LEVEL_LOW");
    let after = sim.incident(&uuid).unwrap();
    assert_eq!(after["displayName"], before["displayName"]);
    assert_ne!(after["updateTime"], before["updateTime"]);
    for bad in [
        json!({"severity": "INCIDENT_SEVERITY_LEVEL_LOW"}),
        json!({"severity": "INCIDENT_SEVERITY_LEVEL_LOW", "updateMask": "status"}),
        json!({"status": "INCIDENT_STATUS_CLOSED", "updateMask": "severity"}),
        json!({"assigneeUuid": "not-a-user", "updateMask": "assigneeUuid"}),
        json!({"severity": "INCIDENT_SEVERITY_LEVEL_UNSPECIFIED", "updateMask": "severity"}),
    ] {
        let (status, e, _) = post(update.clone(), bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(e["code"], 3, "{bad}");
    }
    // Assign, close with a final comment; the assignee cannot be removed then.
    let user = &sim.users()[2];
    let (status, _, _) = post(
        update.clone(),
        json!({"assigneeUuid": user, "updateMask": "assigneeUuid"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, closed, _) = post(
        format!("/v2/incidents/{uuid}:close"),
        json!({"closureReason": "INCIDENT_RESOLVE_REASON_FALSE_POSITIVE",
               "finalComment": {"text": "Admin script.", "isFinalComment": true}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["incident"]["status"], "INCIDENT_STATUS_CLOSED");
    let (status, e, _) = post(
        format!("/v2/incidents/{uuid}:close"),
        json!({"closureReason": "INCIDENT_RESOLVE_REASON_TRUE_POSITIVE"}),
    )
    .await;
    assert_eq!(
        (status, e["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(9))
    );
    let (status, e, _) = post(
        update.clone(),
        json!({"assigneeUuid": "", "updateMask": "assigneeUuid"}),
    )
    .await;
    assert_eq!(
        (status, e["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(9))
    );
    let comments = sim.comments(&uuid);
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["isFinalComment"], true);

    let (status, reopened, _) = post(format!("/v2/incidents/{uuid}:reopen"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reopened["incident"]["status"], "INCIDENT_STATUS_OPEN");
    assert!(reopened["incident"].get("resolveReason").is_none());
    let (status, _, _) = post(format!("/v2/incidents/{uuid}:reopen"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Open again: the assignee may go.
    let (status, body, _) = post(
        update,
        json!({"assigneeUuid": "", "updateMask": "assigneeUuid"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["incident"].get("assigneeUuid").is_none());

    let (status, created, _) = post(
        format!("/v2/incidents/{uuid}/comments"),
        json!({"comment": {"text": "Reopened: same host again.", "isFinalComment": false}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(created["comment"]["incidentUuid"], json!(uuid));
    let (_, listed, _) = call(
        &sim,
        access,
        reqwest::Method::GET,
        &format!("/v2/incidents/{uuid}/comments?pageSize=1"),
        None,
    )
    .await;
    assert_eq!(listed["comments"].as_array().unwrap().len(), 1);
    assert!(!listed["nextPageToken"].as_str().unwrap().is_empty());
    let (status, _, _) = call(
        &sim,
        access,
        reqwest::Method::GET,
        "/v2/incidents/no-such-uuid",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_pending_answer_is_served_to_the_identical_request_with_its_response_id() {
    let sim = unlimited().start().await.unwrap();
    let t = logon(&sim).await;
    let access = t["access_token"].as_str().unwrap();
    sim.inject_on("/v2/incidents", Fault::Pending { polls: 2 }, 1);
    let url = format!("{}/v2/incidents?pageSize=3", sim.url());
    let first = http().get(&url).bearer_auth(access).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let id = first.headers()["response-id"].to_str().unwrap().to_owned();
    let poll = || {
        http()
            .get(&url)
            .bearer_auth(access)
            .header("response-id", &id)
            .send()
    };
    assert_eq!(poll().await.unwrap().status(), StatusCode::ACCEPTED);
    let ready = poll().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let page: Value = json_of(ready).await;
    assert_eq!(page["incidents"].as_array().unwrap().len(), 3);
    // Retrieved: the id is spent.
    let gone = poll().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert!(gone.headers().contains_key("request-id"));
    let e: Value = json_of(gone).await;
    assert_eq!(e["code"], 5);
}
