//! The vendor-agnostic server over real HTTP: a small vendor defined here
//! (a logon that issues session tokens, bearer auth, a JSON error body)
//! exercises sessions, every fault, the request log and the counters with
//! `reqwest` as the client. The QRadar section checks the same capabilities
//! through QRadar's plug.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use incident_sim::server::{
    MAX_REQUEST_BODY, ServerContext, ServerOptions, Sessions, SimServer, Vendor,
};
use incident_sim::{Fault, RecordedRequest};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A vendor with `POST /logon` (no credentials; answers a token valid for
/// `?ttl_ms=N`, or forever), `GET /items` and `POST /echo` behind
/// `Authorization: Bearer <token>`, and errors as
/// `{"error":{"status":N,"message":"..."}}`.
struct Acme {
    /// Requests that reached a handler.
    handled: Arc<AtomicU64>,
}

fn acme_error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": {"status": status.as_u16(), "message": message}}).to_string();
    (status, [("content-type", "application/json")], body).into_response()
}

impl Vendor for Acme {
    fn name(&self) -> &'static str {
        "acme"
    }

    fn router(&self, ctx: &ServerContext) -> Router {
        let sessions = ctx.sessions().clone();
        let (h1, h2, h3) = (
            Arc::clone(&self.handled),
            Arc::clone(&self.handled),
            Arc::clone(&self.handled),
        );
        Router::new()
            .route(
                "/logon",
                post(move |uri: Uri| async move {
                    h1.fetch_add(1, Ordering::Relaxed);
                    let ttl = uri
                        .query()
                        .and_then(|q| q.strip_prefix("ttl_ms="))
                        .and_then(|n| n.parse().ok())
                        .map(Duration::from_millis);
                    json!({"token": sessions.issue(ttl)}).to_string()
                }),
            )
            .route(
                "/items",
                get(move || async move {
                    h2.fetch_add(1, Ordering::Relaxed);
                    r#"{"items":[1,2,3]}"#
                }),
            )
            .route(
                "/echo",
                post(move |body: axum::body::Bytes| async move {
                    h3.fetch_add(1, Ordering::Relaxed);
                    format!("{} bytes", body.len())
                }),
            )
            .fallback(|| async { acme_error(StatusCode::NOT_FOUND, "No such endpoint.") })
    }

    fn authorize(&self, parts: &mut Parts, sessions: &Sessions) -> Result<(), Response> {
        if parts.uri.path() == "/logon" {
            return Ok(());
        }
        let token = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match token {
            Some(token) if sessions.check(token) => Ok(()),
            _ => Err(acme_error(
                StatusCode::UNAUTHORIZED,
                "The session token is missing, expired or revoked.",
            )),
        }
    }

    fn error_response(&self, status: StatusCode, message: &str) -> Response {
        acme_error(status, message)
    }
}

struct Fixture {
    server: SimServer,
    handled: Arc<AtomicU64>,
    http: reqwest::Client,
}

async fn acme_with(options: ServerOptions, http: reqwest::ClientBuilder) -> Fixture {
    let handled = Arc::new(AtomicU64::new(0));
    let server = SimServer::start(
        Acme {
            handled: Arc::clone(&handled),
        },
        options,
    )
    .await
    .expect("start");
    let mut http = http.no_proxy();
    if let Some(pem) = server.ca_cert_pem() {
        http = http.add_root_certificate(
            reqwest::Certificate::from_pem(pem.as_bytes()).expect("certificate"),
        );
    }
    Fixture {
        server,
        handled,
        http: http.build().expect("client"),
    }
}

async fn acme() -> Fixture {
    acme_with(ServerOptions::new(), reqwest::Client::builder()).await
}

/// Status, headers and body of a response.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }
}

impl Fixture {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("an HTTP answer");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body").to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn logon(&self, ttl_ms: Option<u64>) -> String {
        let path = match ttl_ms {
            Some(ms) => format!("/logon?ttl_ms={ms}"),
            None => "/logon".to_owned(),
        };
        let answer = self.send(self.http.post(self.url(&path))).await;
        assert_eq!(answer.status, 200);
        answer.json()["token"].as_str().expect("token").to_owned()
    }

    async fn items(&self, token: &str) -> Answer {
        self.send(self.http.get(self.url("/items")).bearer_auth(token))
            .await
    }
}

fn assert_acme_error(answer: &Answer, status: u16) {
    assert_eq!(answer.status, status, "{}", answer.text());
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let body = answer.json();
    assert_eq!(body["error"]["status"], json!(status), "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

#[tokio::test]
async fn expire_sessions_forces_a_401_and_a_new_logon_works() {
    let f = acme().await;
    let token = f.logon(None).await;
    assert_eq!(f.items(&token).await.status, 200);

    f.server.inject(Fault::ExpireSessions, 1);
    let answer = f.items(&token).await;
    assert_acme_error(&answer, 401);
    assert_eq!(
        answer.json()["error"]["message"],
        "The session token is missing, expired or revoked."
    );
    assert_eq!(f.server.faults_pending(), 0);
    assert_eq!(
        f.items(&token).await.status,
        401,
        "the old token stays dead"
    );
    assert!(f.server.sessions().is_empty());

    let fresh = f.logon(None).await;
    assert_ne!(fresh, token);
    assert_eq!(f.items(&fresh).await.status, 200);

    // Revoking one token leaves the others.
    let other = f.server.sessions().issue(None);
    assert!(f.server.sessions().revoke(&fresh));
    assert_eq!(f.items(&fresh).await.status, 401);
    assert_eq!(f.items(&other).await.status, 200);

    // A token expires after its lifetime.
    let short = f.logon(Some(100)).await;
    assert_eq!(f.items(&short).await.status, 200);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(f.items(&short).await.status, 401);
    assert_eq!(f.items(&other).await.status, 200);
}

#[tokio::test]
async fn pending_answers_202_exactly_n_times_then_the_real_answer() {
    let f = acme().await;
    let token = f.logon(None).await;
    let handled = f.handled.load(Ordering::Relaxed);
    f.server.inject(Fault::Pending { polls: 3 }, 1);

    let first = f.items(&token).await;
    assert_eq!(first.status, 202);
    assert!(first.body.is_empty());
    let id = first.header("response-id").expect("response-id").to_owned();
    assert_eq!(id.len(), 32, "{id}");

    let poll = || {
        f.http
            .get(f.url("/items"))
            .bearer_auth(&token)
            .header("response-id", &id)
    };
    // A poll without credentials is refused and does not count.
    let anonymous = f
        .send(f.http.get(f.url("/items")).header("response-id", &id))
        .await;
    assert_eq!(anonymous.status, 401);
    for _ in 0..2 {
        let again = f.send(poll()).await;
        assert_eq!(again.status, 202);
        assert_eq!(again.header("response-id"), Some(id.as_str()));
    }
    assert_eq!(
        f.handled.load(Ordering::Relaxed),
        handled,
        "not handled yet"
    );
    let done = f.send(poll()).await;
    assert_eq!(done.status, 200);
    assert_eq!(done.text(), r#"{"items":[1,2,3]}"#);
    assert_eq!(done.header("response-id"), None);
    assert_eq!(f.handled.load(Ordering::Relaxed), handled + 1);

    // The id is consumed.
    assert_acme_error(&f.send(poll()).await, 404);
    // An id never issued.
    let unknown = f
        .send(
            f.http
                .get(f.url("/items"))
                .bearer_auth(&token)
                .header("response-id", "0123456789abcdef0123456789abcdef"),
        )
        .await;
    assert_acme_error(&unknown, 404);

    // The poll must repeat the identical request: another query or body is
    // another request.
    f.server.inject(Fault::Pending { polls: 2 }, 1);
    let started = f
        .send(f.http.post(f.url("/echo")).bearer_auth(&token).body("abc"))
        .await;
    assert_eq!(started.status, 202);
    let id = started.header("response-id").expect("id").to_owned();
    let changed = f
        .send(
            f.http
                .post(f.url("/echo"))
                .bearer_auth(&token)
                .header("response-id", &id)
                .body("abcd"),
        )
        .await;
    assert_acme_error(&changed, 404);
    let same = || {
        f.http
            .post(f.url("/echo"))
            .bearer_auth(&token)
            .header("response-id", &id)
            .body("abc")
    };
    assert_eq!(f.send(same()).await.status, 202);
    let done = f.send(same()).await;
    assert_eq!((done.status, done.text()), (200, "3 bytes"));

    // No polls: answered at once.
    f.server.inject(Fault::Pending { polls: 0 }, 1);
    assert_eq!(f.items(&token).await.status, 200);
    assert_eq!(f.server.faults_pending(), 0);
}

#[tokio::test]
async fn an_error_inside_a_200() {
    let f = acme().await;
    let token = f.logon(None).await;
    let handled = f.handled.load(Ordering::Relaxed);
    let body = r#"{"responseInfo":{"error":{"code":400,"message":"Invalid startTime","target":"startTime","details":[]}},"incidents":[]}"#;
    f.server.inject(
        Fault::ErrorInside200 {
            body: body.to_owned(),
        },
        2,
    );
    for _ in 0..2 {
        let answer = f.items(&token).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(answer.text(), body);
    }
    assert_eq!(f.handled.load(Ordering::Relaxed), handled, "not handled");
    assert_eq!(f.items(&token).await.text(), r#"{"items":[1,2,3]}"#);
}

#[tokio::test]
async fn connection_reset_closes_without_an_answer() {
    let f = acme().await;
    let token = f.logon(None).await;
    let served = f.server.requests_served();

    f.server.inject(Fault::ConnectionReset, 1);
    let err = f
        .http
        .get(f.url("/items"))
        .bearer_auth(&token)
        .send()
        .await
        .expect_err("no answer");
    assert!(err.status().is_none() && !err.is_timeout(), "{err:?}");
    assert!(err.is_request(), "{err:?}");
    assert_eq!(f.items(&token).await.status, 200, "a new connection works");

    // On the wire: the request is read, then the socket is reset.
    f.server.inject(Fault::ConnectionReset, 1);
    let mut tcp = tokio::net::TcpStream::connect(f.server.local_addr())
        .await
        .expect("connect");
    tcp.write_all(b"GET /items HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let read = tcp.read_to_end(&mut buf).await;
    assert!(buf.is_empty(), "{:?}", String::from_utf8_lossy(&buf));
    assert_eq!(
        read.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset)
    );
    assert_eq!(f.server.requests_served() - served, 3);
}

#[tokio::test]
async fn every_request_is_recorded_with_its_body_and_counted() {
    let f = acme().await;
    assert_eq!(
        (f.server.connections_accepted(), f.server.requests_served()),
        (0, 0)
    );
    assert!(f.server.requests().is_empty() && f.server.last_request().is_none());

    let token = f.logon(None).await;
    f.server.inject(Fault::ServiceUnavailable, 1);
    assert_acme_error(&f.items(&token).await, 503);
    assert_acme_error(&f.items("wrong").await, 401);
    let binary = vec![0u8, 159, 146, 150, 255];
    let echo = f
        .send(
            f.http
                .post(f.url("/echo?x=1&y=%2F"))
                .bearer_auth(&token)
                .header("x-trace", "abc")
                .body(binary.clone()),
        )
        .await;
    assert_eq!(echo.text(), "5 bytes");
    assert_acme_error(
        &f.send(f.http.delete(f.url("/nowhere")).bearer_auth(&token))
            .await,
        404,
    );

    let log = f.server.requests();
    let summary: Vec<(&str, &str, Option<&str>)> = log
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.query.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            ("POST", "/logon", None),
            ("GET", "/items", None),
            ("GET", "/items", None),
            ("POST", "/echo", Some("x=1&y=%2F")),
            ("DELETE", "/nowhere", None),
        ]
    );
    let echo: &RecordedRequest = &log[3];
    assert_eq!(echo.body, binary);
    assert_eq!(echo.body_str(), None);
    assert_eq!(echo.header("X-Trace"), Some("abc"));
    assert_eq!(
        echo.header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert_eq!(log[2].header("authorization"), Some("Bearer wrong"));
    assert!(log[1].body.is_empty());
    assert_eq!(f.server.last_request().as_ref(), log.last());

    // One pooled HTTP/1.1 connection carried all five.
    assert_eq!(
        (f.server.connections_accepted(), f.server.requests_served()),
        (1, 5)
    );

    // A body over the limit: the vendor's 413, recorded without the body.
    let big = vec![b'x'; MAX_REQUEST_BODY + 1];
    let answer = f
        .send(f.http.post(f.url("/echo")).bearer_auth(&token).body(big))
        .await;
    assert_acme_error(&answer, 413);
    let last = f.server.last_request().expect("recorded");
    assert_eq!((last.path.as_str(), last.body.len()), ("/echo", 0));
    let fits = vec![b'y'; MAX_REQUEST_BODY];
    let answer = f
        .send(f.http.post(f.url("/echo")).bearer_auth(&token).body(fits))
        .await;
    assert_eq!(answer.text(), format!("{MAX_REQUEST_BODY} bytes"));
    assert_eq!(
        f.server.last_request().map(|r| r.body.len()),
        Some(MAX_REQUEST_BODY)
    );
    assert_eq!(f.server.requests().len(), 7);
    assert_eq!(f.server.requests_served(), 7);

    f.server.clear_requests();
    assert!(f.server.requests().is_empty() && f.server.last_request().is_none());
    assert_eq!(f.items(&token).await.status, 200);
    assert_eq!(f.server.requests().len(), 1);
    assert_eq!(f.server.requests_served(), 8, "counters are not cleared");
}

#[tokio::test]
async fn faults_carry_the_vendor_body_and_can_target_a_path() {
    let f = acme().await;
    let token = f.logon(None).await;

    f.server.inject(
        Fault::TooManyRequests {
            retry_after_secs: 9,
        },
        1,
    );
    let answer = f.items(&token).await;
    assert_acme_error(&answer, 429);
    assert_eq!(answer.header("retry-after"), Some("9"));
    f.server.inject(Fault::InternalError, 1);
    assert_acme_error(&f.items(&token).await, 500);

    f.server.inject_on("/items", Fault::ServiceUnavailable, 2);
    f.server.inject(Fault::HtmlError { status: 504 }, 1);
    assert_eq!(f.server.faults_pending(), 3);
    // /echo skips the /items fault and takes the next one.
    let html = f
        .send(f.http.post(f.url("/echo")).bearer_auth(&token).body("a"))
        .await;
    assert_eq!(html.status, 504);
    assert!(
        html.text()
            .starts_with("<html><body><h1>504 Gateway Timeout</h1>")
    );
    let echo = f
        .send(f.http.post(f.url("/echo")).bearer_auth(&token).body("a"))
        .await;
    assert_eq!(echo.text(), "1 bytes");
    assert_acme_error(&f.items(&token).await, 503);
    assert_acme_error(&f.items(&token).await, 503);
    assert_eq!(f.items(&token).await.status, 200);

    f.server.inject(Fault::TruncatedBody, 1);
    let cut = f.items(&token).await;
    assert_eq!((cut.status, cut.text()), (200, r#"{"items""#));

    f.server.inject(Fault::InternalError, 3);
    f.server.clear_faults();
    assert_eq!(f.server.faults_pending(), 0);
    assert_eq!(f.items(&token).await.status, 200);
}

#[tokio::test]
async fn https_and_http2() {
    let f = acme_with(ServerOptions::new().https(true), reqwest::Client::builder()).await;
    assert!(f.server.url().starts_with("https://127.0.0.1:"));
    let response = f
        .http
        .post(f.url("/logon"))
        .send()
        .await
        .expect("TLS with the generated certificate");
    assert_eq!(response.version(), reqwest::Version::HTTP_2, "ALPN h2");

    let plain = acme_with(
        ServerOptions::new(),
        reqwest::Client::builder().http2_prior_knowledge(),
    )
    .await;
    let token = plain.logon(None).await;
    let response = plain
        .http
        .get(plain.url("/items"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("h2c");
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    assert_eq!(plain.server.connections_accepted(), 1);

    // A given port, once the dropped server has released it.
    let port = plain.server.local_addr().port();
    drop(plain);
    let mut again = None;
    for _ in 0..100 {
        match SimServer::start(
            Acme {
                handled: Arc::default(),
            },
            ServerOptions::new().port(port),
        )
        .await
        {
            Ok(server) => {
                again = Some(server);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    let again = again.expect("the port is free again");
    assert_eq!(again.local_addr().port(), port);
    assert_eq!(again.url(), format!("http://127.0.0.1:{port}"));
}

/// Seconds between an answer's `Date` and the local clock.
fn date_offset(answer: &Answer) -> i64 {
    let date = answer.header("date").expect("a Date header");
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(date, &format)
        .expect("an HTTP date")
        .assume_utc();
    (at - time::OffsetDateTime::now_utc()).whole_seconds()
}

#[tokio::test]
async fn every_answer_is_dated_by_the_servers_clock() {
    let f = acme_with(
        ServerOptions::new().clock_skew(3600),
        reqwest::Client::builder(),
    )
    .await;
    assert_eq!(f.server.clock_skew(), 3600);
    let token = f.logon(None).await;
    let near = |answer: &Answer, skew: i64| (date_offset(answer) - skew).abs() <= 2;
    assert!(near(&f.items(&token).await, 3600));
    // Refusals and faults too.
    assert!(near(&f.items("not-a-token").await, 3600));
    f.server.inject(
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
        1,
    );
    let limited = f.items(&token).await;
    assert_eq!(limited.status, 429);
    assert!(near(&limited, 3600));
    f.server.set_clock_skew(-7200);
    assert!(near(&f.items(&token).await, -7200));
    f.server.set_clock_skew(0);
    assert!(near(&f.items(&token).await, 0));
}

#[tokio::test]
async fn a_login_page_answers_in_place_of_the_api() {
    let f = acme().await;
    let token = f.logon(None).await;
    let before = f.handled.load(Ordering::Relaxed);
    f.server.inject(Fault::LoginPage, 1);
    let page = f.items(&token).await;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{:?}",
        page.header("content-type")
    );
    assert!(page.text().contains("<form"), "{}", page.text());
    assert_eq!(f.handled.load(Ordering::Relaxed), before, "not handled");
    assert_eq!(f.items(&token).await.status, 200);
}

/// The same capabilities through QRadar's plug: its SEC token is a session,
/// and the server's errors carry QRadar's body.
#[cfg(feature = "qradar")]
mod qradar {
    use super::*;
    use incident_sim::QRadarSim;

    async fn get(
        http: &reqwest::Client,
        sim: &QRadarSim,
        token: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        let mut request = http
            .get(format!("{}/api/siem/offenses/1?fields=id", sim.url()))
            .header("SEC", token);
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        let response = request.send().await.expect("answer");
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.expect("body").to_vec(),
        }
    }

    fn assert_qradar_error(answer: &Answer, status: u16, code: u64) {
        let body = answer.json();
        assert_eq!(answer.status, status, "{body}");
        assert_eq!(body["code"], json!(code), "{body}");
        assert_eq!(body["http_response"]["code"], json!(status), "{body}");
    }

    #[tokio::test]
    async fn the_sec_token_expires_with_the_sessions() {
        let sim = QRadarSim::builder().start().await.expect("start");
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        assert_eq!(
            get(&http, &sim, sim.token(), &[]).await.text(),
            r#"{"id":1}"#
        );

        sim.inject(Fault::ExpireSessions, 1);
        assert_qradar_error(&get(&http, &sim, sim.token(), &[]).await, 401, 11);
        assert_qradar_error(&get(&http, &sim, sim.token(), &[]).await, 401, 11);
        let fresh = sim.sessions().issue(None);
        assert_eq!(get(&http, &sim, &fresh, &[]).await.status, 200);
        // Basic credentials are not sessions.
        let (user, password) = sim.basic_credentials();
        let basic = http
            .get(format!("{}/api/siem/offense_types", sim.url()))
            .basic_auth(user, Some(password))
            .send()
            .await
            .expect("answer");
        assert_eq!(basic.status(), 200);
        // The configured token can be given back.
        sim.sessions().insert(sim.token(), None);
        assert_eq!(get(&http, &sim, sim.token(), &[]).await.status, 200);
    }

    #[tokio::test]
    async fn pending_answers_and_the_request_log() {
        let sim = QRadarSim::builder().start().await.expect("start");
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        sim.inject(Fault::Pending { polls: 2 }, 1);
        let first = get(&http, &sim, sim.token(), &[]).await;
        assert_eq!(first.status, 202);
        let id = first.header("response-id").expect("id").to_owned();
        let poll = get(&http, &sim, sim.token(), &[("response-id", &id)]).await;
        assert_eq!(
            (poll.status, poll.header("response-id")),
            (202, Some(id.as_str()))
        );
        let done = get(&http, &sim, sim.token(), &[("response-id", &id)]).await;
        assert_eq!((done.status, done.text()), (200, r#"{"id":1}"#));
        let gone = get(&http, &sim, sim.token(), &[("response-id", &id)]).await;
        assert_qradar_error(&gone, 404, 1002);

        let log = sim.requests();
        assert_eq!(log.len(), 4);
        assert!(
            log.iter().all(
                |r| r.path == "/api/siem/offenses/1" && r.query.as_deref() == Some("fields=id")
            )
        );
        assert_eq!(log[0].header("response-id"), None);
        assert!(
            log[1..]
                .iter()
                .all(|r| r.header("response-id") == Some(id.as_str()))
        );
        assert_eq!(sim.last_request().as_ref(), log.last());
        assert_eq!(sim.requests_served(), 4);
    }
}
