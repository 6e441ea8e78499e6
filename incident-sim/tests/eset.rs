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

#[tokio::test]
async fn a_pending_answer_not_retrieved_in_time_is_forgotten() {
    let sim = unlimited()
        .pending_ttl(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let t = logon(&sim).await;
    let access = t["access_token"].as_str().unwrap();
    sim.inject_on("/v2/incidents", Fault::Pending { polls: 3 }, 1);
    let url = format!("{}/v2/incidents?pageSize=3", sim.url());
    let start = || http().get(&url).bearer_auth(access).send();
    let poll = |id: String| {
        http()
            .get(&url)
            .bearer_auth(access)
            .header("response-id", id)
            .send()
    };
    // Polled within its lifetime: still pending.
    let first = start().await.unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let id = first.headers()["response-id"].to_str().unwrap().to_owned();
    assert_eq!(
        poll(id.clone()).await.unwrap().status(),
        StatusCode::ACCEPTED
    );
    // Past it, the cache is cleared: 404 with ESET's body, as after ESET's 10 minutes.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let gone = poll(id).await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert!(gone.headers().contains_key("request-id"));
    assert_eq!(json_of(gone).await["code"], 5);
    // A new slow query is pending again, with a fresh id.
    sim.inject_on("/v2/incidents", Fault::Pending { polls: 1 }, 1);
    let again = start().await.unwrap();
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    let id = again.headers()["response-id"].to_str().unwrap().to_owned();
    let ready = poll(id).await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    // ESET's 10 minutes unless told otherwise.
    assert_eq!(
        incident_sim::server::DEFAULT_PENDING_TTL,
        Duration::from_secs(600)
    );
}

#[tokio::test]
async fn the_rate_limit_counts_per_api_user_not_per_server() {
    let sim = EsetSim::builder()
        .rate_limit(Some(3))
        .add_api_user("second@example.com", "second-password")
        .start()
        .await
        .unwrap();
    let first = logon(&sim).await;
    let first = first["access_token"].as_str().unwrap().to_owned();
    // A second token of the same API user shares its limit.
    let same_user = logon(&sim).await;
    let same_user = same_user["access_token"].as_str().unwrap().to_owned();
    let second = token_response(
        &sim,
        &[
            ("grant_type", "password"),
            ("username", "second@example.com"),
            ("password", "second-password"),
        ],
    )
    .await;
    assert_eq!(second.status(), StatusCode::OK);
    let second = json_of(second).await;
    let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    let second = second["access_token"].as_str().unwrap().to_owned();

    let status = |token: String| {
        let sim = &sim;
        async move {
            call(
                sim,
                &token,
                reqwest::Method::GET,
                "/v2/incidents?pageSize=1",
                None,
            )
            .await
            .0
        }
    };
    for _ in 0..2 {
        assert_eq!(status(first.clone()).await, StatusCode::OK);
    }
    assert_eq!(status(same_user.clone()).await, StatusCode::OK);
    // The first API user has spent its burst, with either token...
    assert_eq!(status(first.clone()).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        status(same_user.clone()).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...and the second API user still has all of its own.
    for _ in 0..3 {
        assert_eq!(status(second.clone()).await, StatusCode::OK);
    }
    assert_eq!(status(second.clone()).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sim.rate_limited(), 3);
    // A token from a refresh is still the second user's.
    let refreshed = token_response(
        &sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &second_refresh),
        ],
    )
    .await;
    let refreshed = json_of(refreshed).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(status(refreshed).await, StatusCode::TOO_MANY_REQUESTS);
    // Unknown credentials get no token at all.
    let refused = token_response(
        &sim,
        &[
            ("grant_type", "password"),
            ("username", "second@example.com"),
            ("password", "sim-eset-password"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_close_without_a_reason_is_an_unspecified_reason() {
    let sim = unlimited().incidents(40).start().await.unwrap();
    let t = logon(&sim).await;
    let access = t["access_token"].as_str().unwrap();
    let open: Vec<String> = sim
        .incident_uuids()
        .into_iter()
        .filter(|u| sim.incident(u).unwrap()["status"] != "INCIDENT_STATUS_CLOSED")
        .collect();
    assert!(open.len() >= 5);
    let close = |uuid: &str, body: Option<&str>| {
        let req = http()
            .post(format!("{}/v2/incidents/{uuid}:close", sim.url()))
            .bearer_auth(access);
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(b.to_owned()),
            None => req,
        };
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status();
            (
                status,
                serde_json::from_str::<Value>(&resp.text().await.unwrap()).unwrap(),
            )
        }
    };
    // `{}`, the explicit zero value, null, and no body at all (one revision of ESET's page
    // marks it optional): closed, with no resolveReason (proto3 leaves the zero value out).
    for (uuid, body) in open.iter().zip([
        Some("{}"),
        Some(r#"{"closureReason":"INCIDENT_RESOLVE_REASON_UNSPECIFIED"}"#),
        Some(r#"{"closureReason":null,"finalComment":{"text":"No reason given."}}"#),
        None,
    ]) {
        let (status, answer) = close(uuid, body).await;
        assert_eq!(status, StatusCode::OK, "{body:?}: {answer}");
        assert_eq!(answer["incident"]["status"], "INCIDENT_STATUS_CLOSED");
        assert!(
            answer["incident"].get("resolveReason").is_none(),
            "{answer}"
        );
        assert_eq!(
            sim.incident(uuid).unwrap()["status"],
            "INCIDENT_STATUS_CLOSED"
        );
    }
    // The final comment went in with the reasonless close, without isFinalComment sent.
    assert_eq!(sim.comments(&open[2])[0]["isFinalComment"], true);
    // A value that names no reason is still refused.
    for body in [
        r#"{"closureReason":"INCIDENT_RESOLVE_REASON_BORED"}"#,
        r#"{"closureReason":7}"#,
        "[]",
    ] {
        let (status, e) = close(&open[4], Some(body)).await;
        assert_eq!(
            (status, e["code"].clone()),
            (StatusCode::BAD_REQUEST, json!(3)),
            "{body}"
        );
    }
    assert_ne!(
        sim.incident(&open[4]).unwrap()["status"],
        "INCIDENT_STATUS_CLOSED"
    );
}

#[tokio::test]
async fn comments_can_be_read_edited_and_deleted_one_by_one() {
    let sim = unlimited().start().await.unwrap();
    let t = logon(&sim).await;
    let access = t["access_token"].as_str().unwrap();
    let uuid = sim.incident_uuids()[0].clone();
    let req = |method: reqwest::Method, path: String, body: Option<Value>| {
        let sim = &sim;
        async move { call(sim, access, method, &path, body).await }
    };
    let base = format!("/v2/incidents/{uuid}/comments");
    let (status, created, _) = req(
        reqwest::Method::POST,
        base.clone(),
        Some(json!({"comment": {"text": "Isolated the host."}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let comment = created["comment"]["uuid"].as_str().unwrap().to_owned();
    let one = format!("{base}/{comment}");

    // GET .../comments/{comment}: the comment, in the create's envelope.
    let (status, got, headers) = req(reqwest::Method::GET, one.clone(), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key("request-id"));
    assert_eq!(got, created);

    // POST .../comments/{comment}/text:update with the public client's {"text"}.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (status, edited, _) = req(
        reqwest::Method::POST,
        format!("{one}/text:update"),
        Some(json!({"text": "Isolated the host; reimaging."})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["comment"]["uuid"], json!(comment));
    assert_eq!(edited["comment"]["text"], "Isolated the host; reimaging.");
    assert_eq!(
        edited["comment"]["createTime"],
        created["comment"]["createTime"]
    );
    assert_ne!(
        edited["comment"]["updateTime"],
        created["comment"]["updateTime"]
    );
    assert_eq!(
        sim.comments(&uuid)[0]["text"],
        "Isolated the host; reimaging."
    );
    // The comment envelope is read too.
    let (status, _, _) = req(
        reqwest::Method::POST,
        format!("{one}/text:update"),
        Some(json!({"comment": {"text": "Reimaged."}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for bad in [json!({}), json!({"text": "  "}), json!({"text": 3})] {
        let (status, e, _) = req(
            reqwest::Method::POST,
            format!("{one}/text:update"),
            Some(bad.clone()),
        )
        .await;
        assert_eq!(
            (status, e["code"].clone()),
            (StatusCode::BAD_REQUEST, json!(3)),
            "{bad}"
        );
    }

    // Unknown ids: 404 with ESET's body, whether the incident or the comment is unknown,
    // or the comment belongs to another incident.
    let other = sim.incident_uuids()[1].clone();
    for path in [
        format!("{base}/no-such-comment"),
        format!("/v2/incidents/no-such-incident/comments/{comment}"),
        format!("/v2/incidents/{other}/comments/{comment}"),
        format!("{base}/..%2F{comment}"),
    ] {
        let (status, e, _) = req(reqwest::Method::GET, path.clone(), None).await;
        assert_eq!(
            (status, e["code"].clone()),
            (StatusCode::NOT_FOUND, json!(5)),
            "{path}"
        );
    }

    // DELETE: `{}`, then the comment is gone, and a second delete is a 404.
    let (status, deleted, _) = req(reqwest::Method::DELETE, one.clone(), None).await;
    assert_eq!((status, deleted), (StatusCode::OK, json!({})));
    assert!(sim.comments(&uuid).is_empty());
    let (status, _, _) = req(reqwest::Method::GET, one.clone(), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, e, _) = req(reqwest::Method::DELETE, one, None).await;
    assert_eq!(
        (status, e["code"].clone()),
        (StatusCode::NOT_FOUND, json!(5))
    );
}

#[tokio::test]
async fn a_list_shows_a_change_made_after_it_was_served() {
    let sim = unlimited().incidents(12).start().await.unwrap();
    let t = logon(&sim).await;
    let access = t["access_token"].as_str().unwrap();
    let list = || call(&sim, access, reqwest::Method::GET, "/v2/incidents", None);
    // Served once: every incident keeps its listed text from here on.
    let (status, first, _) = list().await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let uuid = first["incidents"][3]["uuid"].as_str().unwrap().to_owned();
    let severity = if first["incidents"][3]["severity"] == "INCIDENT_SEVERITY_LEVEL_LOW" {
        "INCIDENT_SEVERITY_LEVEL_HIGH"
    } else {
        "INCIDENT_SEVERITY_LEVEL_LOW"
    };
    let (status, body, _) = call(
        &sim,
        access,
        reqwest::Method::POST,
        &format!("/v2/incidents/{uuid}/basic-attributes:update"),
        Some(json!({"severity": severity, "updateMask": "severity"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, second, _) = list().await;
    let changed = &second["incidents"][3];
    assert_eq!(changed["uuid"], json!(uuid));
    assert_eq!(changed["severity"], severity);
    assert_eq!(
        changed["updateTime"],
        sim.incident(&uuid).unwrap()["updateTime"]
    );
    assert_ne!(changed["updateTime"], first["incidents"][3]["updateTime"]);
    assert_eq!(second["incidents"][4], first["incidents"][4]);
}

#[tokio::test]
async fn the_generated_document_is_what_a_fresh_simulator_lists() {
    let sim = unlimited().incidents(30).seed(5).start().await.unwrap();
    let t = logon(&sim).await;
    let access = t["access_token"].as_str().unwrap();
    let listed = http()
        .get(format!("{}/v2/incidents?pageSize=1000", sim.url()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(listed, incident_sim::eset::seeded_incidents_json(30, 5));
}
