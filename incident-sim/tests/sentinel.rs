//! End-to-end tests of the Sentinel simulator over real sockets, with plain reqwest calls
//! so that the simulator is tested without the SDK.
#![cfg(feature = "sentinel")]

use incident_sim::{Fault, SentinelSim};
use serde_json::{Value, json};

const INCIDENTS: &str = "/SentinelRESTServices/objects/incident";

async fn token(sim: &SentinelSim, http: &reqwest::Client) -> String {
    let (user, password) = sim.credentials();
    let resp = http
        .post(format!("{}/SentinelAuthServices/auth/tokens", sim.url()))
        .basic_auth(user, Some(password))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = json_of(resp).await;
    body["Token"].as_str().unwrap().to_owned()
}

async fn json_of(resp: reqwest::Response) -> Value {
    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
}

fn saml(token: &str) -> String {
    format!("X-SAML {token}")
}

#[tokio::test]
async fn tokens_are_issued_checked_and_deleted() {
    let sim = SentinelSim::builder().incidents(3).start().await.unwrap();
    let http = reqwest::Client::new();
    let wrong = http
        .post(format!("{}/SentinelAuthServices/auth/tokens", sim.url()))
        .basic_auth("admin", Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body = json_of(wrong).await;
    assert_eq!(body["status"], 401);

    let t = token(&sim, &http).await;
    let url = format!("{}{INCIDENTS}/1", sim.url());
    let ok = http
        .get(&url)
        .header("authorization", saml(&t))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let none = http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);

    let gone = http
        .delete(format!(
            "{}/SentinelAuthServices/auth/tokens/{t}",
            sim.url()
        ))
        .header("authorization", saml(&t))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    assert_eq!((sim.tokens_issued(), sim.tokens_deleted()), (1, 1));
    let after = http
        .get(&url)
        .header("authorization", saml(&t))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);

    // A fault expires every token.
    let t = token(&sim, &http).await;
    sim.inject(Fault::ExpireSessions, 1);
    let expired = http
        .get(&url)
        .header("authorization", saml(&t))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
}

#[tokio::test]
async fn pages_with_absolute_links_and_field_selection() {
    let sim = SentinelSim::builder()
        .incidents(5)
        .link_base("https://164.99.19.131:8443")
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let t = token(&sim, &http).await;
    let get = |query: &str| {
        http.get(format!("{}{INCIDENTS}?{query}", sim.url()))
            .header("authorization", saml(&t))
            .send()
    };
    let page = json_of(get("field=name&page=2&pagesize=2").await.unwrap()).await;
    let objects = page["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 2);
    assert_eq!(
        objects[0]["meta"]["@href"],
        "https://164.99.19.131:8443/SentinelRESTServices/objects/incident/3"
    );
    assert_eq!(objects[0].as_object().unwrap().len(), 2, "{}", objects[0]);
    assert_eq!(
        page["next"],
        "https://164.99.19.131:8443/SentinelRESTServices/objects/incident?field=name&pagesize=2&page=3"
    );
    assert_eq!(
        page["prev"],
        "https://164.99.19.131:8443/SentinelRESTServices/objects/incident?field=name&pagesize=2&page=1"
    );
    let last = json_of(get("page=3&pagesize=2").await.unwrap()).await;
    assert_eq!(last["objects"].as_array().unwrap().len(), 1);
    assert!(last.get("next").is_none());
    let all = json_of(get("").await.unwrap()).await;
    assert_eq!(all["objects"].as_array().unwrap().len(), 5);
    let none = json_of(get("field=%5Bnone%5D&pagesize=1").await.unwrap()).await;
    assert_eq!(none["objects"][0].as_object().unwrap().len(), 1);
    assert_eq!(get("page=0&pagesize=2").await.unwrap().status(), 400);
    assert_eq!(get("query=state%20%3D%20OPEN").await.unwrap().status(), 400);
}

#[tokio::test]
async fn writes_refuse_unicode_escapes_and_merge_fields() {
    let sim = SentinelSim::builder().incidents(2).start().await.unwrap();
    let http = reqwest::Client::new();
    let t = token(&sim, &http).await;
    let url = format!("{}{INCIDENTS}/1", sim.url());
    let before = sim.incident(1).unwrap();
    let escaped = http
        .put(&url)
        .header("authorization", saml(&t))
        .header("content-type", "application/json")
        .body(r#"{"resolution":"verrouill\u00e9"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(escaped.status(), 400);
    assert_eq!(sim.incident(1).unwrap(), before);
    let put = http
        .put(&url)
        .header("authorization", saml(&t))
        .header("content-type", "application/json")
        .body(json!({"state": "CLOSED", "resolution": "verrouillé"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(put.content_length(), Some(0));
    let after = sim.incident(1).unwrap();
    assert_eq!(after["state"], "CLOSED");
    assert_eq!(after["resolution"], "verrouillé");
    assert_eq!(after["name"], before["name"]);
    assert_ne!(after["moddate"], before["moddate"]);

    let created = http
        .post(format!("{}{INCIDENTS}", sim.url()))
        .header("authorization", saml(&t))
        .header("content-type", "application/json")
        .body(json!({"name": "Créé", "severity": 2}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.ends_with("/SentinelRESTServices/objects/incident/3"),
        "{location}"
    );
    let deleted = http
        .delete(format!("{}{INCIDENTS}/3", sim.url()))
        .header("authorization", saml(&t))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert!(sim.incident(3).is_none());
}

/// The ids of one page of incidents, and the page.
async fn incident_page(
    sim: &SentinelSim,
    http: &reqwest::Client,
    token: &str,
    page: u32,
) -> (Vec<u64>, Value) {
    let resp = http
        .get(format!("{}{INCIDENTS}?page={page}&pagesize=2", sim.url()))
        .header("authorization", saml(token))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = json_of(resp).await;
    let ids = body["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let href = i["meta"]["@href"].as_str().unwrap();
            href.rsplit('/').next().unwrap().parse().unwrap()
        })
        .collect();
    (ids, body)
}

#[tokio::test]
async fn listings_show_every_change_made_after_they_were_served() {
    let sim = SentinelSim::builder().incidents(5).start().await.unwrap();
    let http = reqwest::Client::new();
    let t = token(&sim, &http).await;
    // Served once: every incident keeps its text from here on.
    let (ids, first) = incident_page(&sim, &http, &t, 1).await;
    assert_eq!(ids, [1, 2]);
    let put = http
        .put(format!("{}{INCIDENTS}/2", sim.url()))
        .header("authorization", saml(&t))
        .header("content-type", "application/json")
        .body(json!({"state": "REJECTED", "resolution": "Duplicate."}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let (_, second) = incident_page(&sim, &http, &t, 1).await;
    assert_eq!(second["objects"][0], first["objects"][0]);
    assert_eq!(second["objects"][1]["state"], "REJECTED");
    assert_eq!(second["objects"][1], sim.incident(2).unwrap());

    // A deleted incident leaves the pages, a created one joins them at the end.
    let deleted = http
        .delete(format!("{}{INCIDENTS}/1", sim.url()))
        .header("authorization", saml(&t))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(incident_page(&sim, &http, &t, 1).await.0, [2, 3]);
    let (ids, last) = incident_page(&sim, &http, &t, 2).await;
    assert_eq!(ids, [4, 5]);
    assert!(last.get("next").is_none(), "{last}");
    let created = http
        .post(format!("{}{INCIDENTS}", sim.url()))
        .header("authorization", saml(&t))
        .header("content-type", "application/json")
        .body(json!({"name": "New"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let (ids, last) = incident_page(&sim, &http, &t, 3).await;
    assert_eq!(ids, [6]);
    assert_eq!(last["objects"][0], sim.incident(6).unwrap());
    assert!(
        last["prev"].as_str().is_some_and(|p| p.ends_with("page=2")),
        "{last}"
    );
    // With a gap in the ids.
    let deleted = http
        .delete(format!("{}{INCIDENTS}/4", sim.url()))
        .header("authorization", saml(&t))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(incident_page(&sim, &http, &t, 2).await.0, [5, 6]);
    assert_eq!(incident_page(&sim, &http, &t, 3).await.0, Vec::<u64>::new());
}
