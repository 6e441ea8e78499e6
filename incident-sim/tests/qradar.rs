//! End-to-end tests of the QRadar simulator over real sockets, with a
//! minimal HTTP/1.1 client so the simulator is tested without the SDK.
#![cfg(feature = "qradar")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use incident_sim::{Fault, QRadarSim};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn ids(&self) -> Vec<i64> {
        self.json()
            .as_array()
            .expect("array body")
            .iter()
            .map(|o| o["id"].as_i64().expect("numeric id"))
            .collect()
    }

    /// Asserts a QRadar error body with the given status and unique code.
    fn assert_error(&self, status: u16, code: u64) -> Value {
        let body = self.json();
        assert_eq!(self.status, status, "{body}");
        assert_eq!(body["code"], json!(code), "{body}");
        assert_eq!(body["http_response"]["code"], json!(status), "{body}");
        assert!(
            body["message"].is_string() && body["description"].is_string(),
            "{body}"
        );
        assert_eq!(body["details"], json!({}));
        assert_eq!(self.header("content-type"), Some("application/json"));
        body
    }
}

fn decode_chunked(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_text = std::str::from_utf8(&raw[..line_end]).expect("chunk size");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("hex size");
        raw = &raw[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> Resp {
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream
        .write_all(req.as_bytes())
        .await
        .expect("write request");
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            // A TLS peer may close without close_notify once it is done.
            Err(e) if !raw.is_empty() && e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => panic!("read response: {e}"),
        }
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = std::str::from_utf8(&raw[..split]).expect("utf-8 head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { decode_chunked(&body) } else { body };
    if let Some((_, len)) = headers.iter().find(|(k, _)| k == "content-length") {
        assert_eq!(
            len.parse::<usize>().ok(),
            Some(body.len()),
            "Content-Length must frame the body"
        );
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn addr(sim: &QRadarSim) -> String {
    let url = sim.url();
    url.split("://").nth(1).expect("scheme").to_owned()
}

async fn raw(sim: &QRadarSim, method: &str, target: &str, headers: &[(&str, &str)]) -> Resp {
    let stream = TcpStream::connect(addr(sim)).await.expect("connect");
    exchange(stream, method, target, headers).await
}

async fn call(sim: &QRadarSim, method: &str, target: &str, extra: &[(&str, &str)]) -> Resp {
    let mut headers = vec![
        ("SEC", sim.token()),
        ("Accept", "application/json"),
        ("Version", "26.0"),
    ];
    headers.extend_from_slice(extra);
    raw(sim, method, target, &headers).await
}

async fn get(sim: &QRadarSim, target: &str) -> Resp {
    call(sim, "GET", target, &[]).await
}

async fn post(sim: &QRadarSim, target: &str) -> Resp {
    call(sim, "POST", target, &[]).await
}

async fn sim() -> QRadarSim {
    QRadarSim::builder().start().await.expect("start sim")
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[tokio::test]
async fn authentication_and_version_header() {
    let sim = sim().await;
    let expected_401 = json!({
        "http_response": {"code": 401, "message": "You are unauthorized to access the requested resource."},
        "code": 11,
        "message": "No SEC header present in request. Please provide it and try again.",
        "description": "",
        "details": {}
    });

    let r = raw(&sim, "GET", "/api/siem/offenses", &[]).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), expected_401);
    let r = raw(&sim, "GET", "/api/siem/offenses", &[("SEC", "wrong")]).await;
    assert_eq!((r.status, r.json()), (401, expected_401.clone()));
    let r = raw(&sim, "GET", "/api/nothing/here", &[]).await;
    assert_eq!(r.status, 401, "auth is checked before routing");

    let (user, password) = sim.basic_credentials();
    assert_eq!((user, password), ("admin", "sim-password"));
    let good = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    );
    let r = raw(
        &sim,
        "GET",
        "/api/siem/offense_types",
        &[("Authorization", &good)],
    )
    .await;
    assert_eq!(r.status, 200);
    let bad = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("admin:nope")
    );
    let r = raw(
        &sim,
        "GET",
        "/api/siem/offense_types",
        &[("Authorization", &bad)],
    )
    .await;
    assert_eq!(r.status, 401);
    let r = raw(
        &sim,
        "GET",
        "/api/siem/offense_types",
        &[("Authorization", "Bearer sim-sec-token")],
    )
    .await;
    assert_eq!(r.status, 401);

    let r = call(
        &sim,
        "GET",
        "/api/siem/offense_types",
        &[("Version", "latest")],
    )
    .await;
    r.assert_error(422, 1005);
    // The default request helper sends `Version: 26.0`.
    assert_eq!(get(&sim, "/api/siem/offense_types").await.status, 200);

    let rec = sim.last_request().expect("recorded");
    assert_eq!(rec.method, "GET");
    assert_eq!(rec.path, "/api/siem/offense_types");
    assert_eq!(rec.query, None);
    assert_eq!(rec.header("sec"), Some("sim-sec-token"));
    assert!(
        rec.headers
            .iter()
            .all(|(k, _)| *k == k.to_ascii_lowercase())
    );

    let custom = QRadarSim::builder()
        .token("tok-123")
        .basic_auth("svc", "pw")
        .start()
        .await
        .expect("start");
    assert_eq!(custom.token(), "tok-123");
    let dbg = format!("{custom:?}");
    assert!(!dbg.contains("tok-123") && !dbg.contains("\"pw\""), "{dbg}");
    let r = raw(
        &custom,
        "GET",
        "/api/siem/offense_types",
        &[("SEC", "tok-123")],
    )
    .await;
    assert_eq!(r.status, 200);
}

/// `Authorization: Basic ...` for the simulator's configured credentials.
fn basic(sim: &QRadarSim) -> String {
    let (user, password) = sim.basic_credentials();
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// What the IBM/Red Hat Ansible collection (`ibm.qradar`, `plugins/httpapi/qradar.py`) does
/// with an answer: the first `Set-Cookie`, and when it holds `SEC`, the value of its first
/// cookie becomes the `SEC` header of every later request. No `Set-Cookie` at all makes it
/// fail (`"SEC" in None`).
fn ansible_update_auth(r: &Resp) -> Option<String> {
    let cookie = r
        .header("set-cookie")
        .expect("the collection reads Set-Cookie on every answer");
    cookie.contains("SEC").then(|| {
        let first = cookie.split(';').next().unwrap();
        first.split('=').next_back().unwrap().to_owned()
    })
}

#[tokio::test]
async fn basic_credentials_open_a_session_whose_sec_cookie_goes_back_as_the_sec_header() {
    let sim = sim().await;
    let basic = basic(&sim);
    let with_basic = |target: &'static str| {
        let basic = basic.clone();
        let sim = &sim;
        async move {
            raw(
                sim,
                "GET",
                target,
                &[("Authorization", &basic), ("Version", "26.0")],
            )
            .await
        }
    };
    // The first request, with Basic credentials, hands out the session.
    let first = with_basic("/api/siem/offenses/1?fields=id").await;
    assert_eq!((first.status, first.json()), (200, json!({"id": 1})));
    let cookies: Vec<&str> = first
        .headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let token = ansible_update_auth(&first).expect("a SEC cookie");
    assert_eq!(cookies[0], format!("SEC={token}; Path=/; HttpOnly"));
    assert!(!token.is_empty() && token != sim.token());
    assert!(sim.sessions().check(&token));

    // From then on the token alone, in the SEC header: each answer hands it back.
    let next = raw(
        &sim,
        "POST",
        "/api/siem/offenses/2/notes?note_text=In%20a%20session",
        &[("SEC", &token), ("Version", "26.0")],
    )
    .await;
    assert_eq!(next.status, 201, "{}", String::from_utf8_lossy(&next.body));
    assert_eq!(ansible_update_auth(&next).as_deref(), Some(token.as_str()));
    // The session acts as the user who logged on, not as an authorized service.
    assert_eq!(next.json()["username"], json!("admin"));
    // An error answer in the session carries the cookie too.
    let missing = raw(
        &sim,
        "GET",
        "/api/siem/offenses/999",
        &[("SEC", &token), ("Version", "26.0")],
    )
    .await;
    missing.assert_error(404, 1002);
    assert_eq!(
        ansible_update_auth(&missing).as_deref(),
        Some(token.as_str())
    );
    // The cookie itself is accepted too, as a browser sends it back.
    let by_cookie = raw(
        &sim,
        "GET",
        "/api/siem/offense_types",
        &[("Cookie", &format!("QRadarCSRF=x; SEC={token}"))],
    )
    .await;
    assert_eq!(by_cookie.status, 200);
    assert_eq!(
        ansible_update_auth(&by_cookie).as_deref(),
        Some(token.as_str())
    );

    // An authorized-service token is no session: no cookie.
    let service = get(&sim, "/api/siem/offense_types").await;
    assert_eq!(service.status, 200);
    assert_eq!(service.header("set-cookie"), None);
    // Its logout leaves it valid.
    let out = call(&sim, "POST", "/api/auth/logout", &[]).await;
    assert_eq!(out.status, 200);
    assert_eq!(get(&sim, "/api/siem/offense_types").await.status, 200);
    // Refused credentials open nothing.
    let refused = raw(
        &sim,
        "GET",
        "/api/siem/offense_types",
        &[("SEC", "sim-session-forged")],
    )
    .await;
    assert_eq!((refused.status, refused.header("set-cookie")), (401, None));
    let bad_version = raw(
        &sim,
        "GET",
        "/api/siem/offense_types",
        &[("Authorization", &basic), ("Version", "latest")],
    )
    .await;
    bad_version.assert_error(422, 1005);
    assert_eq!(bad_version.header("set-cookie"), None);

    // Every Basic request opens a session of its own.
    let other = ansible_update_auth(&with_basic("/api/siem/offense_types").await).unwrap();
    assert_ne!(other, token);

    // Sessions expire like the other simulators' (on demand here): the token gets 401,
    // and Basic credentials open a new one, as the collection does after a 401.
    sim.sessions().expire_all();
    let expired = raw(&sim, "GET", "/api/siem/offense_types", &[("SEC", &token)]).await;
    expired.assert_error(401, 11);
    assert_eq!(expired.header("set-cookie"), None);
    let again = ansible_update_auth(&with_basic("/api/siem/offense_types").await).unwrap();
    let r = raw(&sim, "GET", "/api/siem/offense_types", &[("SEC", &again)]).await;
    assert_eq!(r.status, 200);

    // The collection's logout ends the session and clears the cookie.
    let out = raw(&sim, "POST", "/api/auth/logout", &[("SEC", &again)]).await;
    assert_eq!(out.status, 200);
    assert_eq!(
        out.header("set-cookie"),
        Some("SEC=; Path=/; Max-Age=0; HttpOnly")
    );
    assert_eq!(ansible_update_auth(&out).as_deref(), Some(""));
    let r = raw(&sim, "GET", "/api/siem/offense_types", &[("SEC", &again)]).await;
    r.assert_error(401, 11);
}

#[tokio::test]
async fn a_sec_cookie_session_expires_after_its_lifetime() {
    let sim = QRadarSim::builder()
        .session_ttl(Some(Duration::from_millis(300)))
        .start()
        .await
        .expect("start");
    let basic = basic(&sim);
    let r = raw(
        &sim,
        "GET",
        "/api/siem/offense_types",
        &[("Authorization", &basic)],
    )
    .await;
    let token = ansible_update_auth(&r).unwrap();
    let r = raw(&sim, "GET", "/api/siem/offense_types", &[("SEC", &token)]).await;
    assert_eq!(r.status, 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let r = raw(&sim, "GET", "/api/siem/offense_types", &[("SEC", &token)]).await;
    r.assert_error(401, 11);
    // The configured authorized-service token does not expire with time.
    assert_eq!(get(&sim, "/api/siem/offense_types").await.status, 200);
}

#[tokio::test]
async fn list_range_and_content_range() {
    let sim = sim().await;
    let all = get(&sim, "/api/siem/offenses").await;
    assert_eq!(all.status, 200);
    assert_eq!(all.header("content-type"), Some("application/json"));
    assert_eq!(all.header("content-range"), Some("items 0-24/25"));
    assert_eq!(all.ids(), (1..=25).collect::<Vec<_>>());
    let first = &all.json()[0];
    for key in [
        "id",
        "description",
        "assigned_to",
        "categories",
        "category_count",
        "policy_category_count",
        "security_category_count",
        "close_time",
        "closing_user",
        "closing_reason_id",
        "credibility",
        "relevance",
        "severity",
        "magnitude",
        "destination_networks",
        "source_network",
        "device_count",
        "event_count",
        "flow_count",
        "inactive",
        "last_updated_time",
        "local_destination_count",
        "offense_source",
        "offense_type",
        "protected",
        "follow_up",
        "remote_destination_count",
        "source_count",
        "start_time",
        "status",
        "username_count",
        "source_address_ids",
        "local_destination_address_ids",
        "domain_id",
        "last_persisted_time",
        "first_persisted_time",
        "rules",
        "log_sources",
    ] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    assert_eq!(sim.offense(1).as_ref(), Some(first));

    let r = call(&sim, "GET", "/api/siem/offenses", &[("Range", "items=0-4")]).await;
    assert_eq!(
        (r.ids(), r.header("content-range")),
        (vec![1, 2, 3, 4, 5], Some("items 0-4/25"))
    );
    let r = call(
        &sim,
        "GET",
        "/api/siem/offenses",
        &[("Range", "items=20-99")],
    )
    .await;
    assert_eq!(
        (r.ids(), r.header("content-range")),
        (vec![21, 22, 23, 24, 25], Some("items 20-24/25"))
    );
    let r = call(
        &sim,
        "GET",
        "/api/siem/offenses",
        &[("Range", "items=25-30")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!([]));
    assert_eq!(r.header("content-range"), Some("items */25"));

    for bad in ["items=5-1", "items=a-b", "0-4", "items=3"] {
        let r = call(&sim, "GET", "/api/siem/offenses", &[("Range", bad)]).await;
        r.assert_error(422, 1005);
    }

    // Same seed, same data; another seed, other data.
    let again = QRadarSim::builder().start().await.expect("start");
    assert_eq!(again.offense(7), sim.offense(7));
    let other = QRadarSim::builder().seed(99).start().await.expect("start");
    assert_ne!(other.offense(7), sim.offense(7));
    assert_eq!(sim.offense(26), None);
}

#[tokio::test]
async fn filters() {
    let sim = QRadarSim::builder()
        .offenses(300)
        .start()
        .await
        .expect("start");
    let all = get(&sim, "/api/siem/offenses").await.json();
    let all = all.as_array().expect("array").clone();
    let expect = |pred: &dyn Fn(&Value) -> bool| -> Vec<i64> {
        all.iter()
            .filter(|o| pred(o))
            .map(|o| o["id"].as_i64().unwrap_or(-1))
            .collect()
    };
    let filtered = |f: &str| format!("/api/siem/offenses?filter={}", enc(f));

    let want = expect(&|o| o["status"] == "OPEN" && o["severity"].as_i64().unwrap_or(0) >= 5);
    assert!(!want.is_empty());
    let r = get(&sim, &filtered("status=OPEN and severity >= 5")).await;
    assert_eq!(r.ids(), want);
    assert_eq!(
        r.header("content-range"),
        Some(format!("items 0-{}/{}", want.len() - 1, want.len()).as_str())
    );

    let closed = expect(&|o| o["status"] == "CLOSED");
    assert!(!closed.is_empty());
    assert_eq!(get(&sim, &filtered("status=closed")).await.ids(), closed);
    assert_eq!(
        get(&sim, &filtered("status = \"CLOSED\"")).await.ids(),
        closed
    );

    let unassigned = expect(&|o| o["assigned_to"].is_null());
    assert!(!unassigned.is_empty() && unassigned.len() < all.len());
    assert_eq!(
        get(&sim, &filtered("assigned_to is null")).await.ids(),
        unassigned
    );
    assert_eq!(
        get(&sim, &filtered("assigned_to IS NOT NULL")).await.ids(),
        expect(&|o| !o["assigned_to"].is_null())
    );
    // SQL semantics: null never equals or differs from anything.
    assert_eq!(
        get(&sim, &filtered("assigned_to != 'admin'")).await.ids(),
        expect(&|o| !o["assigned_to"].is_null() && o["assigned_to"] != "admin")
    );

    assert_eq!(
        get(&sim, &filtered("id in (1, 5,300, 999)")).await.ids(),
        vec![1, 5, 300]
    );
    assert_eq!(
        get(&sim, &filtered("id not in (2,3) and id < 6"))
            .await
            .ids(),
        vec![1, 4, 5]
    );
    assert_eq!(
        get(&sim, &filtered("severity between 3 and 7")).await.ids(),
        expect(&|o| (3..=7).contains(&o["severity"].as_i64().unwrap_or(-1)))
    );
    assert_eq!(
        get(&sim, &filtered("id = 1 OR id = 2 AND severity > 100"))
            .await
            .ids(),
        vec![1],
        "and binds tighter than or"
    );
    assert_eq!(
        get(
            &sim,
            &filtered("(status = HIDDEN or status = CLOSED) and id > 100")
        )
        .await
        .ids(),
        expect(&|o| o["status"] != "OPEN" && o["id"].as_i64().unwrap_or(0) > 100)
    );
    // The incremental fetch query demisto sends, combined with a range.
    let r = call(
        &sim,
        "GET",
        &format!("{}&sort=%2Bid", filtered("id > 250 AND (status=open)")),
        &[("Range", "items=0-2")],
    )
    .await;
    let open_after = expect(&|o| o["id"].as_i64().unwrap_or(0) > 250 && o["status"] == "OPEN");
    assert_eq!(r.ids(), open_after[..3].to_vec());
    assert_eq!(
        r.header("content-range"),
        Some(format!("items 0-2/{}", open_after.len()).as_str())
    );

    for bad in [
        "status=",
        "nosuchfield = 1",
        "(id = 1",
        "id = abc",
        "status OPEN",
        "id in (1,2",
    ] {
        let r = get(&sim, &filtered(bad)).await;
        r.assert_error(422, 1010);
    }
}

#[tokio::test]
async fn sorting_and_fields() {
    let sim = QRadarSim::builder()
        .offenses(120)
        .start()
        .await
        .expect("start");
    let values = |r: &Resp, key: &str| -> Vec<i64> {
        r.json()
            .as_array()
            .expect("array")
            .iter()
            .map(|o| o[key].as_i64().unwrap_or(-1))
            .collect()
    };

    let r = get(&sim, "/api/siem/offenses?sort=-severity").await;
    let sev = values(&r, "severity");
    assert_eq!(sev.len(), 120);
    assert!(sev.windows(2).all(|w| w[0] >= w[1]));
    let r = get(&sim, "/api/siem/offenses?sort=%2Bstart_time").await;
    let start = values(&r, "start_time");
    assert!(start.windows(2).all(|w| w[0] <= w[1]));
    assert_ne!(
        values(&r, "id"),
        (1..=120).collect::<Vec<_>>(),
        "start_time order differs from id order"
    );
    let r = get(&sim, "/api/siem/offenses?sort=last_persisted_time").await;
    assert!(
        values(&r, "last_persisted_time")
            .windows(2)
            .all(|w| w[0] <= w[1])
    );
    let r = call(
        &sim,
        "GET",
        "/api/siem/offenses?sort=-id",
        &[("Range", "items=0-2")],
    )
    .await;
    assert_eq!(r.ids(), vec![120, 119, 118]);
    // An unencoded `+` arrives as a space.
    assert_eq!(
        get(&sim, "/api/siem/offenses?sort=+id").await.ids(),
        (1..=120).collect::<Vec<_>>()
    );
    get(&sim, "/api/siem/offenses?sort=-bogus")
        .await
        .assert_error(422, 1030);

    let r = get(
        &sim,
        "/api/siem/offenses?fields=id,status,rules(id),log_sources(id,name)",
    )
    .await;
    let first = &r.json()[0];
    let mut keys: Vec<&str> = first
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, vec!["id", "log_sources", "rules", "status"]);
    assert!(
        first["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .all(|r| r.as_object().map(|o| o.len()) == Some(1))
    );
    assert!(
        first["log_sources"]
            .as_array()
            .expect("log sources")
            .iter()
            .all(|l| l.get("name").is_some() && l.get("type_id").is_none())
    );
    let r = get(&sim, "/api/siem/offenses/3?fields=id%2Cseverity").await;
    assert_eq!(r.json().as_object().map(|o| o.len()), Some(2));
    get(&sim, "/api/siem/offenses?fields=rules(id")
        .await
        .assert_error(422, 1005);
}

#[tokio::test]
async fn offense_get_and_update() {
    let sim = QRadarSim::builder()
        .offenses(50)
        .start()
        .await
        .expect("start");
    let open = get(
        &sim,
        &format!("/api/siem/offenses?filter={}", enc("status=OPEN")),
    )
    .await
    .ids()[0];

    assert_eq!(
        get(&sim, &format!("/api/siem/offenses/{open}"))
            .await
            .json()["id"],
        json!(open)
    );
    assert_eq!(
        get(&sim, "/api/siem/offenses/%31").await.json()["id"],
        json!(1),
        "percent-decoded"
    );
    get(&sim, "/api/siem/offenses/abc")
        .await
        .assert_error(422, 1005);
    get(&sim, "/api/siem/offenses/-1")
        .await
        .assert_error(422, 1005);
    get(&sim, "/api/siem/offenses/1%2F2")
        .await
        .assert_error(422, 1005);
    get(&sim, "/api/siem/offenses/999999")
        .await
        .assert_error(404, 1002);
    post(&sim, "/api/siem/offenses/999999?status=OPEN")
        .await
        .assert_error(404, 1002);

    let base = format!("/api/siem/offenses/{open}");
    let body = post(&sim, &format!("{base}?status=CLOSED"))
        .await
        .assert_error(422, 1005);
    assert_eq!(
        body["message"],
        "closing_reason_id must be provided when closing an offense"
    );
    for bad in [
        "?status=CLOSED&closing_reason_id=4",
        "?status=CLOSED&closing_reason_id=5",
        "?status=CLOSED&closing_reason_id=77",
        "?status=CLOSED&closing_reason_id=x",
        "?status=DONE",
        "?protected=maybe",
        "?follow_up=1",
        "?assigned_to=mallory",
    ] {
        post(&sim, &format!("{base}{bad}"))
            .await
            .assert_error(422, 1005);
    }
    assert_eq!(
        sim.offense(open as u64).expect("offense")["status"],
        "OPEN",
        "failed updates change nothing"
    );

    let before = sim.offense(open as u64).expect("offense")["last_persisted_time"]
        .as_i64()
        .unwrap_or(0);
    let r = post(
        &sim,
        &format!("{base}?status=closed&closing_reason_id=1&fields=id,status,closing_reason_id"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"id": open, "status": "CLOSED", "closing_reason_id": 1})
    );
    let now = get(&sim, &base).await.json();
    assert_eq!(now["status"], "CLOSED");
    assert_eq!(now["closing_reason_id"], 1);
    assert_eq!(now["closing_user"], "API_user: sim");
    assert_eq!(now["inactive"], true);
    assert!(now["close_time"].as_i64().is_some());
    assert!(now["last_persisted_time"].as_i64().unwrap_or(0) > before);

    post(&sim, &format!("{base}?status=CLOSED&closing_reason_id=2"))
        .await
        .assert_error(409, 1008);
    post(&sim, &format!("{base}?status=HIDDEN"))
        .await
        .assert_error(409, 1008);

    let r = post(&sim, &format!("{base}?status=OPEN")).await.json();
    assert_eq!(r["status"], "OPEN");
    assert!(
        r["close_time"].is_null()
            && r["closing_user"].is_null()
            && r["closing_reason_id"].is_null()
    );

    let r = post(
        &sim,
        &format!("{base}?assigned_to=analyst2&protected=true&follow_up=false"),
    )
    .await
    .json();
    assert_eq!(
        (&r["assigned_to"], &r["protected"], &r["follow_up"]),
        (&json!("analyst2"), &json!(true), &json!(false))
    );
    let r = post(&sim, &format!("{base}?assigned_to=")).await.json();
    assert!(r["assigned_to"].is_null());
    assert_eq!(
        post(&sim, &format!("{base}?status=HIDDEN")).await.json()["status"],
        "HIDDEN"
    );

    // Basic auth closes as the basic user.
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("admin:sim-password")
    );
    let r = raw(
        &sim,
        "POST",
        &format!("{base}?status=CLOSED&closing_reason_id=3"),
        &[("Authorization", &basic)],
    )
    .await;
    assert_eq!(r.json()["closing_user"], "admin");
}

#[tokio::test]
async fn notes() {
    let sim = sim().await;
    let r = get(&sim, "/api/siem/offenses/2/notes").await;
    assert_eq!(
        (r.json(), r.header("content-range")),
        (json!([]), Some("items */0"))
    );

    let created = post(
        &sim,
        &format!(
            "/api/siem/offenses/2/notes?note_text={}",
            enc("Escalated to tier 2 & paged on-call")
        ),
    )
    .await;
    assert_eq!(created.status, 201);
    let note = created.json();
    assert_eq!(note["note_text"], "Escalated to tier 2 & paged on-call");
    assert_eq!(note["username"], "API_user: sim");
    assert!(note["create_time"].as_i64().is_some());
    let first_id = note["id"].as_i64().expect("id");
    let second = post(&sim, "/api/siem/offenses/3/notes?note_text=other")
        .await
        .json();
    let third = post(&sim, "/api/siem/offenses/2/notes?note_text=second+note")
        .await
        .json();
    assert!(second["id"].as_i64() > Some(first_id) && third["id"].as_i64() > second["id"].as_i64());

    let r = get(&sim, "/api/siem/offenses/2/notes").await;
    assert_eq!(r.header("content-range"), Some("items 0-1/2"));
    assert_eq!(r.json().as_array().map(Vec::len), Some(2));
    let r = call(
        &sim,
        "GET",
        "/api/siem/offenses/2/notes?fields=note_text",
        &[("Range", "items=1-1")],
    )
    .await;
    assert_eq!(r.json(), json!([{"note_text": "second note"}]));
    let r = get(
        &sim,
        &format!(
            "/api/siem/offenses/2/notes?filter={}",
            enc(&format!("id={first_id}"))
        ),
    )
    .await;
    assert_eq!(r.ids(), vec![first_id]);
    get(&sim, "/api/siem/offenses/2/notes?filter=bogus%3D1")
        .await
        .assert_error(422, 1010);

    let r = get(&sim, &format!("/api/siem/offenses/2/notes/{first_id}")).await;
    assert_eq!(r.json(), note);
    get(&sim, &format!("/api/siem/offenses/3/notes/{first_id}"))
        .await
        .assert_error(404, 1002);
    get(&sim, "/api/siem/offenses/2/notes/9999")
        .await
        .assert_error(404, 1002);
    get(&sim, "/api/siem/offenses/2/notes/x")
        .await
        .assert_error(422, 1005);
    post(&sim, "/api/siem/offenses/2/notes")
        .await
        .assert_error(422, 1005);
    post(&sim, "/api/siem/offenses/2/notes?note_text=")
        .await
        .assert_error(422, 1005);
    post(&sim, "/api/siem/offenses/4242/notes?note_text=hi")
        .await
        .assert_error(404, 1002);
    get(&sim, "/api/siem/offenses/4242/notes")
        .await
        .assert_error(404, 1002);

    assert_eq!(sim.notes(2).len(), 2);
    assert_eq!(sim.notes(2)[0], note);
    assert!(sim.notes(4242).is_empty());
}

#[tokio::test]
async fn closing_reasons_types_and_actors() {
    let sim = sim().await;
    let r = get(&sim, "/api/siem/offense_closing_reasons").await;
    assert_eq!(
        (r.ids(), r.header("content-range")),
        (vec![1, 2, 3], Some("items 0-2/3"))
    );
    assert_eq!(
        r.json()[1],
        json!({"id": 2, "text": "False-Positive, Tuned", "is_reserved": false, "is_deleted": false})
    );
    assert_eq!(
        get(
            &sim,
            "/api/siem/offense_closing_reasons?include_reserved=true"
        )
        .await
        .ids(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(
        get(
            &sim,
            "/api/siem/offense_closing_reasons?include_deleted=true"
        )
        .await
        .ids(),
        vec![1, 2, 3, 5]
    );
    let r = get(
        &sim,
        "/api/siem/offense_closing_reasons?include_reserved=true&include_deleted=true&fields=id",
    )
    .await;
    assert_eq!(
        r.json(),
        json!([{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}, {"id": 5}])
    );
    get(
        &sim,
        "/api/siem/offense_closing_reasons?include_deleted=yes",
    )
    .await
    .assert_error(422, 1005);
    assert_eq!(
        get(&sim, "/api/siem/offense_closing_reasons/4")
            .await
            .json()["is_reserved"],
        true
    );
    get(&sim, "/api/siem/offense_closing_reasons/42")
        .await
        .assert_error(404, 1002);

    post(&sim, "/api/siem/offense_closing_reasons?reason=abc")
        .await
        .assert_error(422, 1005);
    post(
        &sim,
        &format!(
            "/api/siem/offense_closing_reasons?reason={}",
            "x".repeat(61)
        ),
    )
    .await
    .assert_error(422, 1005);
    post(&sim, "/api/siem/offense_closing_reasons")
        .await
        .assert_error(422, 1005);
    post(&sim, "/api/siem/offense_closing_reasons?reason=non-issue")
        .await
        .assert_error(409, 1004);
    let r = post(
        &sim,
        "/api/siem/offense_closing_reasons?reason=Duplicate+Offense",
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.json(),
        json!({"id": 6, "text": "Duplicate Offense", "is_reserved": false, "is_deleted": false})
    );
    let r = post(&sim, "/api/siem/offenses/1?status=OPEN").await;
    assert_eq!(r.status, 200);
    let r = post(
        &sim,
        "/api/siem/offenses/1?status=CLOSED&closing_reason_id=6",
    )
    .await;
    assert!(
        r.status == 200 || r.status == 409,
        "new reasons can close offenses: {}",
        r.status
    );

    let r = get(&sim, "/api/siem/offense_types").await;
    let types = r.json();
    assert!(types.as_array().map(Vec::len) >= Some(5));
    assert_eq!(
        types[0],
        json!({"id": 0, "name": "Source IP", "property_name": "sourceIP", "database_type": "EVENTS", "custom": false})
    );
    assert_eq!(
        get(&sim, "/api/siem/offense_types?sort=-id").await.ids()[0],
        1001
    );
    get(&sim, "/api/siem/offense_types?sort=name")
        .await
        .assert_error(422, 1012);
    assert_eq!(
        get(&sim, "/api/siem/offense_types/12").await.json()["database_type"],
        "COMMON"
    );
    get(&sim, "/api/siem/offense_types/5")
        .await
        .assert_error(404, 1002);
    let r = get(
        &sim,
        &format!(
            "/api/siem/offense_types?filter={}",
            enc("database_type = 'COMMON'")
        ),
    )
    .await;
    assert_eq!(r.ids(), vec![12]);

    let r = call(
        &sim,
        "GET",
        "/api/siem/offenses/1/assignable_actors",
        &[("Range", "items=0-1")],
    )
    .await;
    assert_eq!(r.header("content-range"), Some("items 0-1/4"));
    assert_eq!(
        r.json()[0],
        json!({"user_id": 1, "username": "admin", "description": "Administrator"})
    );
    let names: Vec<Value> = get(&sim, "/api/siem/offenses/1/assignable_actors")
        .await
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|a| a["username"].clone())
        .collect();
    assert_eq!(
        names,
        vec![
            json!("admin"),
            json!("analyst1"),
            json!("analyst2"),
            json!("soc_lead")
        ]
    );
    get(&sim, "/api/siem/offenses/999/assignable_actors")
        .await
        .assert_error(404, 85_101_001);
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let sim = sim().await;
    let body = get(&sim, "/api/siem/nope").await.assert_error(404, 1002);
    assert_eq!(body["message"], "Endpoint not found");
    get(&sim, "/").await.assert_error(404, 1002);
    let r = call(&sim, "DELETE", "/api/siem/offenses/1", &[]).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["http_response"]["code"], 405);
    assert_eq!(
        call(&sim, "PUT", "/api/siem/offense_types", &[])
            .await
            .status,
        405
    );
}

#[tokio::test]
async fn faults() {
    let sim = sim().await;
    let served = sim.requests_served();

    sim.inject(
        Fault::TooManyRequests {
            retry_after_secs: 7,
        },
        1,
    );
    let r = get(&sim, "/api/siem/offenses/1").await;
    r.assert_error(429, 1029);
    assert_eq!(r.header("retry-after"), Some("7"));

    sim.inject(Fault::ServiceUnavailable, 1);
    get(&sim, "/api/siem/offenses")
        .await
        .assert_error(503, 1021);

    sim.inject(Fault::InternalError, 2);
    get(&sim, "/api/siem/offense_types")
        .await
        .assert_error(500, 1020);
    post(&sim, "/api/siem/offenses/1/notes?note_text=lost")
        .await
        .assert_error(500, 1020);
    assert!(sim.notes(1).is_empty(), "a faulted request is not handled");
    assert_eq!(get(&sim, "/api/siem/offense_types").await.status, 200);

    sim.inject(Fault::HtmlError { status: 502 }, 1);
    let r = get(&sim, "/api/siem/offenses").await;
    assert_eq!(r.status, 502);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    let html = String::from_utf8_lossy(&r.body).into_owned();
    assert!(
        html.starts_with("<html><body><h1>502 Bad Gateway</h1>")
            && html.ends_with("</body></html>"),
        "{html}"
    );

    let full = get(&sim, "/api/siem/offenses/1").await;
    sim.inject(Fault::TruncatedBody, 1);
    let r = get(&sim, "/api/siem/offenses/1").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.body.len(), full.body.len() / 2);
    assert_eq!(&r.body[..], &full.body[..r.body.len()]);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());

    sim.inject(Fault::Delay(Duration::from_millis(150)), 1);
    let t = Instant::now();
    let r = get(&sim, "/api/siem/offenses/1").await;
    assert!(t.elapsed() >= Duration::from_millis(150));
    assert_eq!(r.status, 200);

    // Faults queue in order and count any path.
    sim.inject(Fault::ServiceUnavailable, 1);
    sim.inject(Fault::InternalError, 1);
    assert_eq!(get(&sim, "/nowhere").await.status, 503);
    assert_eq!(
        raw(&sim, "GET", "/api/siem/offenses", &[]).await.status,
        500
    );
    assert_eq!(get(&sim, "/api/siem/offenses/1").await.status, 200);

    assert_eq!(sim.requests_served() - served, 12);
    assert!(sim.connections_accepted() >= 12);
}

#[tokio::test]
async fn https_serves_with_the_generated_certificate() {
    use tokio_rustls::TlsConnector;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};

    let sim = QRadarSim::builder()
        .https(true)
        .start()
        .await
        .expect("start https");
    assert!(sim.url().starts_with("https://127.0.0.1:"));
    let pem = sim.ca_cert_pem().expect("pem");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(
        QRadarSim::builder()
            .start()
            .await
            .expect("start")
            .ca_cert_pem()
            .is_none()
    );

    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pem.as_bytes()).expect("parse pem"))
        .expect("add root");
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(config));
    for name in ["127.0.0.1", "localhost"] {
        let tcp = TcpStream::connect(addr(&sim)).await.expect("connect");
        let server_name = ServerName::try_from(name.to_owned()).expect("server name");
        let tls = connector
            .connect(server_name, tcp)
            .await
            .expect("handshake verifies");
        let r = exchange(
            tls,
            "GET",
            "/api/siem/offenses/1?fields=id",
            &[("SEC", sim.token())],
        )
        .await;
        assert_eq!((r.status, r.json()), (200, json!({"id": 1})));
    }
    assert_eq!(sim.connections_accepted(), 2);
    // Over HTTPS the session cookie is marked Secure, as a console's is.
    let tcp = TcpStream::connect(addr(&sim)).await.expect("connect");
    let tls = connector
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("handshake");
    let r = exchange(
        tls,
        "GET",
        "/api/siem/offense_types",
        &[("Authorization", &basic(&sim))],
    )
    .await;
    assert_eq!(r.status, 200);
    let cookie = r.header("set-cookie").expect("a session cookie");
    assert!(
        cookie.starts_with("SEC=") && cookie.ends_with("; Path=/; Secure; HttpOnly"),
        "{cookie}"
    );
}

#[tokio::test]
async fn dropping_the_sim_stops_the_server() {
    let sim = sim().await;
    let address = addr(&sim);
    assert_eq!(get(&sim, "/api/siem/offense_types").await.status, 200);
    drop(sim);
    let mut refused = false;
    for _ in 0..50 {
        if TcpStream::connect(&address).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "listener still accepting after drop");
}

#[tokio::test]
async fn one_hundred_thousand_offenses() {
    let sim = QRadarSim::builder()
        .offenses(100_000)
        .start()
        .await
        .expect("start");
    let r = call(
        &sim,
        "GET",
        "/api/siem/offenses?fields=id",
        &[("Range", "items=0-999")],
    )
    .await;
    assert_eq!(r.header("content-range"), Some("items 0-999/100000"));
    assert_eq!(r.ids(), (1..=1000).collect::<Vec<_>>());
    let r = call(
        &sim,
        "GET",
        "/api/siem/offenses?sort=-start_time",
        &[("Range", "items=99990-100005")],
    )
    .await;
    assert_eq!(r.header("content-range"), Some("items 99990-99999/100000"));
    assert_eq!(r.json().as_array().map(Vec::len), Some(10));
    let r = call(
        &sim,
        "GET",
        &format!(
            "/api/siem/offenses?filter={}",
            enc("status = CLOSED and severity >= 8")
        ),
        &[("Range", "items=0-9")],
    )
    .await;
    let total: usize = r
        .header("content-range")
        .and_then(|c| c.rsplit('/').next())
        .and_then(|t| t.parse().ok())
        .expect("total");
    assert!(total > 1_000 && total < 20_000, "{total}");
    assert!(sim.offense(100_000).is_some() && sim.offense(100_001).is_none());
}

#[tokio::test]
async fn a_list_shows_an_update_made_after_it_was_served() {
    let sim = sim().await;
    let first = get(&sim, "/api/siem/offenses").await.json();
    assert_eq!(first[2]["follow_up"], json!(false), "{}", first[2]);
    let r = post(
        &sim,
        "/api/siem/offenses/3?follow_up=true&assigned_to=soc_lead",
    )
    .await;
    assert_eq!(r.status, 200);
    // The list is served from serialized copies; the updated offense must not be stale.
    let second = get(&sim, "/api/siem/offenses").await.json();
    assert_eq!(second[2]["follow_up"], json!(true));
    assert_eq!(second[2]["assigned_to"], json!("soc_lead"));
    assert_eq!(second[2], sim.offense(3).expect("offense 3"));
    assert_eq!(second[3], first[3]);
}

#[tokio::test]
async fn the_generated_document_is_what_a_fresh_simulator_lists() {
    let sim = QRadarSim::builder()
        .offenses(40)
        .seed(9)
        .start()
        .await
        .expect("start");
    let listed = get(&sim, "/api/siem/offenses").await;
    let generated = incident_sim::seeded_offenses_json(40, 9);
    assert_eq!(String::from_utf8(listed.body).expect("utf-8"), generated);
    let offenses: Value = serde_json::from_str(&generated).expect("JSON");
    let first = &offenses[0];
    assert_eq!(first["id"], json!(1));
    for field in ["rules", "log_sources", "categories", "source_address_ids"] {
        assert!(
            first[field].as_array().is_some_and(|a| !a.is_empty()),
            "{field}: {first}"
        );
    }
    assert_eq!(incident_sim::seeded_offenses_json(0, 9), "[]");
}

/// The `incident-sim` binary: its output, the `stats` counters (which open no connection)
/// and `quit`.
#[test]
fn the_binary_serves_reports_its_counters_and_quits() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_incident-sim"))
        .args(["qradar", "--offenses", "30", "--token", "bin-token"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start incident-sim");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).expect("read") > 0, "{lines:?}");
        let line = line.trim_end().to_owned();
        if line == "READY" {
            break;
        }
        lines.push(line);
    }
    assert_eq!(lines.len(), 2, "{lines:?}");
    let url = lines[0]
        .strip_prefix("QRADAR_URL=http://")
        .expect("url line");
    assert_eq!(lines[1], "QRADAR_TOKEN=bin-token");

    let mut stats = || {
        stdin
            .write_all(b"stats\n")
            .and_then(|()| stdin.flush())
            .expect("write");
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read stats");
        serde_json::from_str::<Value>(&line).expect("stats JSON")
    };
    assert_eq!(
        stats(),
        json!({"connections_accepted": 0, "requests_served": 0})
    );
    for _ in 0..2 {
        let mut conn = std::net::TcpStream::connect(url).expect("connect");
        conn.write_all(
            b"GET /api/siem/offenses?fields=id HTTP/1.1\r\nHost: x\r\nSEC: bin-token\r\nRange: items=0-1\r\nConnection: close\r\n\r\n",
        )
        .expect("request");
        let mut reply = String::new();
        conn.read_to_string(&mut reply).expect("reply");
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        assert!(reply.ends_with(r#"[{"id":1},{"id":2}]"#), "{reply}");
    }
    assert_eq!(
        stats(),
        json!({"connections_accepted": 2, "requests_served": 2})
    );

    stdin
        .write_all(b"quit\n")
        .and_then(|()| stdin.flush())
        .expect("quit");
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status}");
}

#[test]
fn the_binary_refuses_bad_arguments() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_incident-sim"))
        .args(["qradar", "--offenses", "many"])
        .output()
        .expect("run incident-sim");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid value 'many' for '--offenses <N>'"),
        "{err}"
    );
    assert!(err.contains("try '--help'"), "{err}");
}
