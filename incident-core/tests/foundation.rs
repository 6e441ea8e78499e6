//! Session authentication, response hooks, the rate limit, the operation deadline, redirects
//! and link following, against a small stateful server over real HTTP.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use futures::future::join_all;
use incident_core::reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use incident_core::transport::{Answer, Credentials, ResponseAction, Session, SessionProvider};
use incident_core::{
    ApiPath, ApiRequest, Auth, Error, ErrorKind, RateLimit, Result, RetryPolicy, Secret,
    SessionAuth, Transport, TransportBuilder, VendorError,
};
use tokio::net::TcpListener;
use tokio::time::Instant;

/// What the server saw and decides.
#[derive(Default)]
struct Server {
    logons: AtomicU64,
    refreshes: AtomicU64,
    issued: AtomicU64,
    refresh_refused: std::sync::atomic::AtomicBool,
    /// Tokens currently accepted.
    valid: Mutex<HashSet<String>>,
    logged_off: Mutex<Vec<String>>,
    /// Every request: method, raw path and query, Authorization header, arrival time.
    log: Mutex<Vec<Seen>>,
    /// Remaining 202 answers of the pending endpoint, and the id it handed out.
    pending: Mutex<(u32, Option<String>)>,
    /// Answer every data request with 401 whatever the token.
    refuse_all: std::sync::atomic::AtomicBool,
    /// Requests the forgetful pending endpoint has seen.
    forgetful: AtomicU64,
}

#[derive(Clone, Debug)]
struct Seen {
    method: String,
    uri: String,
    authorization: Option<String>,
    response_id: Option<String>,
    at: Instant,
}

impl Server {
    fn issue(&self, prefix: &str) -> String {
        let n = self.issued.fetch_add(1, Ordering::SeqCst);
        let token = format!("{prefix}-{n}");
        self.valid.lock().unwrap().insert(token.clone());
        token
    }

    fn requests_to(&self, path: &str) -> Vec<Seen> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.uri.split('?').next() == Some(path))
            .cloned()
            .collect()
    }
}

async fn record(
    State(s): State<Arc<Server>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let seen = {
        let header = |n: &str| {
            req.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Seen {
            method: req.method().to_string(),
            uri: req.uri().to_string(),
            authorization: header("authorization"),
            response_id: header("response-id"),
            at: Instant::now(),
        }
    };
    s.log.lock().unwrap().push(seen);
    next.run(req).await
}

async fn logon(State(s): State<Arc<Server>>, body: Bytes) -> Response {
    let creds: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if creds["password"] != "session-password-1" {
        return (StatusCode::UNAUTHORIZED, "bad password").into_response();
    }
    // A slow logon lets every concurrent request pile up behind it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    s.logons.fetch_add(1, Ordering::SeqCst);
    let token = s.issue("tok");
    axum::Json(serde_json::json!({"token": token, "refresh": format!("r-{token}")})).into_response()
}

async fn refresh(State(s): State<Arc<Server>>) -> Response {
    if s.refresh_refused.load(Ordering::SeqCst) {
        return (StatusCode::BAD_REQUEST, r#"{"error":"invalid_grant"}"#).into_response();
    }
    s.refreshes.fetch_add(1, Ordering::SeqCst);
    let token = s.issue("ref");
    axum::Json(serde_json::json!({"token": token})).into_response()
}

async fn logoff(State(s): State<Arc<Server>>, headers: HeaderMap) -> Response {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    s.valid.lock().unwrap().remove(&token);
    s.logged_off.lock().unwrap().push(token);
    StatusCode::OK.into_response()
}

fn authorized(s: &Server, headers: &HeaderMap) -> bool {
    let token = headers.get("authorization").and_then(|v| v.to_str().ok());
    !s.refuse_all.load(Ordering::SeqCst)
        && token.is_some_and(|t| s.valid.lock().unwrap().contains(t))
}

async fn items(State(s): State<Arc<Server>>, headers: HeaderMap) -> Response {
    if !authorized(&s, &headers) {
        return (StatusCode::UNAUTHORIZED, r#"{"code":"EXPIRED"}"#).into_response();
    }
    axum::Json(serde_json::json!([1, 2, 3])).into_response()
}

async fn pending(State(s): State<Arc<Server>>, headers: HeaderMap) -> Response {
    let mut p = s.pending.lock().unwrap();
    let asked = headers.get("response-id").and_then(|v| v.to_str().ok());
    match (&p.1, asked) {
        (Some(id), Some(asked)) if id != asked => {
            return (StatusCode::NOT_FOUND, "unknown response-id").into_response();
        }
        (None, Some(_)) => return (StatusCode::NOT_FOUND, "unknown response-id").into_response(),
        _ => {}
    }
    if p.0 > 0 {
        p.0 -= 1;
        let id = p.1.get_or_insert_with(|| "resp-42".to_string()).clone();
        return (StatusCode::ACCEPTED, [("response-id", id)], "").into_response();
    }
    axum::Json(serde_json::json!({"ready": true})).into_response()
}

/// A slow query whose cached answer the server loses: the first request gets a 202, its poll
/// the status named in the query (504 or 404), and the whole query sent again (without
/// `response-id`) its answer.
async fn forgetful(
    State(s): State<Arc<Server>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let n = s.forgetful.fetch_add(1, Ordering::SeqCst);
    if headers.contains_key("response-id") {
        let status: u16 = q.get("status").and_then(|v| v.parse().ok()).unwrap_or(504);
        return StatusCode::from_u16(status).unwrap().into_response();
    }
    if n == 0 {
        return (StatusCode::ACCEPTED, [("response-id", "resp-7")], "").into_response();
    }
    axum::Json(serde_json::json!({"ready": n})).into_response()
}

async fn error_in_200() -> Response {
    axum::Json(serde_json::json!({"responseInfo": {"error": "quota exhausted", "code": "Q1"}}))
        .into_response()
}

async fn slow() -> Response {
    tokio::time::sleep(Duration::from_secs(30)).await;
    StatusCode::OK.into_response()
}

async fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [("retry-after", "30")],
        "{}",
    )
        .into_response()
}

async fn redirect(Query(q): Query<std::collections::HashMap<String, String>>) -> Response {
    let status: u16 = q.get("status").and_then(|s| s.parse().ok()).unwrap_or(302);
    let to = q.get("to").cloned().unwrap_or_default();
    (
        StatusCode::from_u16(status).unwrap(),
        [("location", to)],
        "",
    )
        .into_response()
}

async fn ok_json() -> Response {
    axum::Json(serde_json::json!({"ok": true})).into_response()
}

async fn serve(server: Arc<Server>) -> String {
    trace_log(); // every test's traffic is logged, and checked for secrets
    let app = Router::new()
        .route("/auth/logon", post(logon))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logoff", post(logoff))
        .route("/items", any(items))
        .route("/pending", any(pending))
        .route("/forgetful", any(forgetful))
        .route("/error200", any(error_in_200))
        .route("/slow", any(slow))
        .route("/unavailable", any(unavailable))
        .route("/redirect", any(redirect))
        .fallback(ok_json)
        .layer(axum::middleware::from_fn_with_state(server.clone(), record))
        .with_state(server);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A vendor session as CyberArk or Sentinel have them: log on with a password, send the
/// token raw in `Authorization`, refresh with a refresh token, log off.
#[derive(Debug)]
struct TestSession {
    password: Secret,
    lifetime: Option<Duration>,
}

#[async_trait]
impl SessionProvider for TestSession {
    async fn log_on(&self, http: &Transport) -> Result<Session> {
        let req = ApiRequest::post(ApiPath::new("/auth/logon"))
            .json(&serde_json::json!({"username": "u", "password": self.password.expose()}))?;
        let v: serde_json::Value = http.execute(req).await?.json()?;
        let mut session = Session::new(v["token"].as_str().unwrap_or_default().to_string())
            .with_refresh_token(v["refresh"].as_str().unwrap_or_default().to_string());
        if let Some(l) = self.lifetime {
            session = session.expires_in(l);
        }
        Ok(session)
    }

    async fn refresh(&self, http: &Transport, refresh_token: &Secret) -> Result<Session> {
        let req = ApiRequest::post(ApiPath::new("/auth/refresh"))
            .form(format!("refresh_token={}", refresh_token.expose()));
        let v: serde_json::Value = http.execute(req).await?.json()?;
        let mut session = Session::new(v["token"].as_str().unwrap_or_default().to_string());
        if let Some(l) = self.lifetime {
            session = session.expires_in(l);
        }
        Ok(session)
    }

    async fn log_off(&self, http: &Transport, session: &Session) -> Result<()> {
        let req = ApiRequest::post(ApiPath::new("/auth/logoff")).header(
            AUTHORIZATION,
            HeaderValue::from_str(session.token().expose()).unwrap(),
        );
        http.execute(req).await.map(|_| ())
    }

    fn attach(&self, token: &Secret) -> Result<Credentials> {
        Credentials::header(AUTHORIZATION, token.expose())
    }
}

fn session_transport(url: &str, lifetime: Option<Duration>) -> Transport {
    let auth = SessionAuth::new(TestSession {
        password: Secret::from("session-password-1"),
        lifetime,
    })
    .refresh_margin(Duration::ZERO);
    TransportBuilder::new("Test", url)
        .authenticator(Arc::new(auth))
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(5)))
        .build()
        .unwrap()
}

fn get(path: &'static str) -> ApiRequest {
    ApiRequest::get(ApiPath::new(path))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_logon_for_a_thousand_concurrent_calls() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let t = session_transport(&url, None);
    let calls = (0..1000).map(|_| {
        let t = t.clone();
        tokio::spawn(async move { t.execute(get("/items")).await })
    });
    for r in join_all(calls).await {
        assert_eq!(r.unwrap().unwrap().status().as_u16(), 200);
    }
    assert_eq!(server.logons.load(Ordering::SeqCst), 1);
    let items = server.requests_to("/items");
    assert_eq!(items.len(), 1000);
    assert!(
        items
            .iter()
            .all(|s| s.authorization.as_deref() == Some("tok-0"))
    );
    // The logon itself carried no credentials.
    let logons = server.requests_to("/auth/logon");
    assert_eq!(logons.len(), 1);
    assert_eq!(logons[0].authorization, None);
}

#[tokio::test]
async fn a_refresh_margin_too_long_for_the_clock_renews_every_time() {
    // `Instant::now() + Duration::MAX` overflowed (a panic) once the session had an expiry.
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let auth = SessionAuth::new(TestSession {
        password: Secret::from("session-password-1"),
        lifetime: Some(Duration::from_secs(3600)),
    })
    .refresh_margin(Duration::MAX);
    let t = TransportBuilder::new("Test", &url)
        .authenticator(Arc::new(auth))
        .build()
        .unwrap();
    t.execute(get("/items")).await.unwrap();
    t.execute(get("/items")).await.unwrap();
    assert_eq!(server.logons.load(Ordering::SeqCst), 1);
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_expired_session_logs_on_again_and_replays_once() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let t = session_transport(&url, None);
    t.execute(get("/items")).await.unwrap();
    server.valid.lock().unwrap().clear(); // the server expires every session
    let resp = t.execute(get("/items")).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    // The refused access token is renewed through its refresh token first.
    assert_eq!(server.logons.load(Ordering::SeqCst), 1);
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
    let auth: Vec<_> = server
        .requests_to("/items")
        .into_iter()
        .map(|s| s.authorization.unwrap_or_default())
        .collect();
    assert_eq!(auth, vec!["tok-0", "tok-0", "ref-1"]);

    // Without a refresh step the renewal is a full logon.
    server.refresh_refused.store(true, Ordering::SeqCst);
    server.valid.lock().unwrap().clear();
    t.execute(get("/items")).await.unwrap();
    assert_eq!(server.logons.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_server_refusing_every_token_gets_one_replay_not_a_loop() {
    let server = Arc::new(Server::default());
    server.refuse_all.store(true, Ordering::SeqCst);
    server.refresh_refused.store(true, Ordering::SeqCst);
    let url = serve(server.clone()).await;
    let t = session_transport(&url, None);
    let e = t.execute(get("/items")).await.unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Unauthorized));
    assert_eq!(server.requests_to("/items").len(), 2);
    assert_eq!(server.logons.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_token_near_expiry_is_refreshed_and_a_refused_refresh_falls_back_to_logon() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let t = session_transport(&url, Some(Duration::from_millis(150)));
    t.execute(get("/items")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    t.execute(get("/items")).await.unwrap();
    assert_eq!(server.logons.load(Ordering::SeqCst), 1);
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
    let refresh = server.requests_to("/auth/refresh");
    assert_eq!(refresh.len(), 1);
    assert_eq!(refresh[0].authorization, None);

    // The refreshed session carries no refresh token: the next renewal logs on.
    server.refresh_refused.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    t.execute(get("/items")).await.unwrap();
    assert_eq!(server.logons.load(Ordering::SeqCst), 2);
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn sign_out_logs_off_and_the_next_call_logs_on() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let t = session_transport(&url, None);
    t.sign_out().await.unwrap(); // nothing to log off yet
    assert!(server.requests_to("/auth/logoff").is_empty());
    t.execute(get("/items")).await.unwrap();
    t.sign_out().await.unwrap();
    assert_eq!(
        *server.logged_off.lock().unwrap(),
        vec!["tok-0".to_string()]
    );
    assert!(server.valid.lock().unwrap().is_empty());
    t.execute(get("/items")).await.unwrap();
    assert_eq!(server.logons.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_pending_answer_is_polled_with_its_response_id() {
    let server = Arc::new(Server::default());
    *server.pending.lock().unwrap() = (3, None);
    let url = serve(server.clone()).await;
    let hook =
        |answer: &Answer<'_>| match (answer.status.as_u16(), answer.headers.get("response-id")) {
            (202, Some(id)) => {
                let mut h = HeaderMap::new();
                h.insert(HeaderName::from_static("response-id"), id.clone());
                ResponseAction::Poll {
                    after: Duration::from_millis(5),
                    headers: h,
                }
            }
            _ => ResponseAction::Default,
        };
    let t = TransportBuilder::new("Test", &url)
        .response_hook(hook)
        .build()
        .unwrap();
    let resp = t
        .execute(
            ApiRequest::post(ApiPath::new("/pending"))
                .json(&[1])
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.json::<serde_json::Value>().unwrap()["ready"], true);
    let seen = server.requests_to("/pending");
    let ids: Vec<_> = seen.iter().map(|s| s.response_id.as_deref()).collect();
    assert_eq!(
        ids,
        vec![None, Some("resp-42"), Some("resp-42"), Some("resp-42")]
    );
    assert!(seen.iter().all(|s| s.method == "POST"));

    // Polls stop at the deadline with a clear error, not an endless loop.
    *server.pending.lock().unwrap() = (u32::MAX, None);
    let e = t
        .execute(get("/pending").deadline(Duration::from_millis(100)))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Protocol { .. } | Error::Deadline { .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_pending_answer_the_server_forgot_is_asked_for_again_from_the_start() {
    // ESET: a 504 after a 202 means "repeat the whole query"; so does a 404 to a poll (the
    // cached answer was retrieved or expired). The hook tells the answer to a poll by the
    // `response-id` it sees in the request.
    let hook = |answer: &Answer<'_>| {
        let polled = answer.request.headers().contains_key("response-id");
        match (answer.status.as_u16(), answer.headers.get("response-id")) {
            (202, Some(id)) => {
                let mut h = HeaderMap::new();
                h.insert(HeaderName::from_static("response-id"), id.clone());
                ResponseAction::Poll {
                    after: Duration::from_millis(1),
                    headers: h,
                }
            }
            (504, _) => ResponseAction::Restart { after: None },
            (404, _) if polled => ResponseAction::Restart { after: None },
            _ => ResponseAction::Default,
        }
    };
    for status in ["504", "404"] {
        let server = Arc::new(Server::default());
        let url = serve(server.clone()).await;
        let t = TransportBuilder::new("Test", &url)
            .response_hook(hook)
            .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
            .build()
            .unwrap();
        let resp = t
            .execute(get("/forgetful").query("status", status))
            .await
            .unwrap();
        assert_eq!(resp.json::<serde_json::Value>().unwrap()["ready"], 2);
        assert_eq!(resp.attempts(), 3);
        let ids: Vec<_> = server
            .requests_to("/forgetful")
            .iter()
            .map(|s| s.response_id.clone())
            .collect();
        assert_eq!(
            ids,
            vec![None, Some("resp-7".to_string()), None],
            "{status}"
        );

        // A request that is not idempotent may have taken effect: not sent again.
        let server = Arc::new(Server::default());
        let url = serve(server.clone()).await;
        let t = TransportBuilder::new("Test", &url)
            .response_hook(hook)
            .build()
            .unwrap();
        let e = t
            .execute(ApiRequest::post(ApiPath::new("/forgetful")).query("status", status))
            .await
            .unwrap_err();
        assert_eq!(
            e.status().map(|s| s.as_u16()),
            Some(status.parse().unwrap())
        );
        assert_eq!(server.requests_to("/forgetful").len(), 2, "{status}");
    }
}

#[tokio::test]
async fn an_error_inside_a_200_is_an_error_and_not_retried() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let hook = |answer: &Answer<'_>| {
        let v: serde_json::Value = serde_json::from_slice(answer.body).unwrap_or_default();
        match v["responseInfo"]["error"].as_str() {
            Some(message) => ResponseAction::Fail(
                VendorError::new()
                    .with_message(message)
                    .with_code(v["responseInfo"]["code"].as_str().unwrap_or_default())
                    .with_kind(ErrorKind::RateLimited),
            ),
            None => ResponseAction::Default,
        }
    };
    let t = TransportBuilder::new("Test", &url)
        .response_hook(hook)
        .build()
        .unwrap();
    let e = t.execute(get("/error200")).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(200));
    assert_eq!(e.vendor_message(), Some("quota exhausted"));
    assert_eq!(e.vendor_code(), Some("Q1"));
    assert_eq!(e.kind(), Some(ErrorKind::RateLimited));
    assert_eq!(server.requests_to("/error200").len(), 1);
    // Other answers still go through.
    assert!(t.execute(get("/other")).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_holds_at_the_server() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let t = TransportBuilder::new("Test", &url)
        .rate_limit(RateLimit::new(10, Duration::from_secs(1)))
        .build()
        .unwrap();
    let calls = (0..25).map(|_| {
        let t = t.clone();
        tokio::spawn(async move { t.execute(get("/limited")).await })
    });
    for r in join_all(calls).await {
        r.unwrap().unwrap();
    }
    let mut at: Vec<Instant> = server
        .requests_to("/limited")
        .iter()
        .map(|s| s.at)
        .collect();
    at.sort();
    assert_eq!(at.len(), 25);
    // In every window of the run, at most the burst plus what refilled during the window
    // (a slower machine can only send fewer): counted at the server, not timed.
    for (i, start) in at.iter().enumerate() {
        for window_ms in [100u64, 500, 1000] {
            let end = *start + Duration::from_millis(window_ms);
            let n = at[i..].iter().take_while(|t| **t < end).count() as u64;
            let allowed = 10 + window_ms / 100 + 1;
            assert!(n <= allowed, "{n} requests within {window_ms} ms");
        }
    }
    let first_second = at
        .iter()
        .take_while(|t| **t < at[0] + Duration::from_millis(900))
        .count();
    assert!(first_second <= 19, "{first_second}");
}

/// Arrival times, sorted, of every request the server saw.
fn arrivals(server: &Server) -> Vec<Instant> {
    let mut at: Vec<Instant> = server.log.lock().unwrap().iter().map(|s| s.at).collect();
    at.sort();
    at
}

/// At most the burst plus what refilled, in every window of the run, counted at the server.
fn assert_within_limit(at: &[Instant], burst: u64, interval: Duration) {
    for (i, start) in at.iter().enumerate() {
        for window in [interval * 5, interval * 25, interval * 50] {
            let end = *start + window;
            let n = at[i..].iter().take_while(|t| **t < end).count() as u64;
            let allowed = burst + (window.as_nanos() / interval.as_nanos()) as u64 + 1;
            assert!(n <= allowed, "{n} requests within {window:?}");
        }
    }
}

/// The longest time without a request, between the first and the last.
fn longest_gap(at: &[Instant]) -> Duration {
    at.windows(2).map(|w| w[1] - w[0]).max().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_renewed_on_the_same_host_keeps_the_pace() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    // Sessions of 300 ms: the 150 calls, two seconds in all, renew several times, by
    // refresh and by logon (50 ms), both on the host the limit is for.
    let auth = SessionAuth::new(TestSession {
        password: Secret::from("session-password-1"),
        lifetime: Some(Duration::from_millis(300)),
    })
    .refresh_margin(Duration::ZERO);
    let limit = RateLimit::new(50, Duration::from_secs(1));
    let (interval, burst) = (limit.interval(), u64::from(limit.burst()));
    let t = TransportBuilder::new("Test", &url)
        .authenticator(Arc::new(auth))
        .rate_limit(limit)
        .build()
        .unwrap();
    let calls = (0..150).map(|_| {
        let t = t.clone();
        tokio::spawn(async move { t.execute(get("/items")).await })
    });
    for r in join_all(calls).await {
        r.unwrap().unwrap();
    }
    let renewals = server.logons.load(Ordering::SeqCst) + server.refreshes.load(Ordering::SeqCst);
    assert!(renewals >= 3, "{renewals} sessions");
    assert_eq!(server.requests_to("/items").len(), 150);
    // Logons and refreshes count against the limit like any request to the host.
    let at = arrivals(&server);
    assert_within_limit(&at, burst, interval);
    // They never wait behind the calls that need them: the requests keep flowing.
    let gap = longest_gap(&at);
    assert!(gap < Duration::from_millis(500), "no request for {gap:?}");
    // Beyond the first burst, the limit is used.
    let span = at[at.len() - 1] - at[0];
    let rate = (at.len() as u64 - burst) as f64 / span.as_secs_f64();
    println!(
        "{} requests, {renewals} sessions, {rate:.1} requests/s beyond the burst, longest gap {gap:?}",
        at.len()
    );
    assert!(rate >= 0.95 * 50.0, "{rate:.1} requests per second");
}

#[tokio::test]
async fn the_deadline_bounds_the_whole_operation() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let t = TransportBuilder::new("Test", &url)
        .deadline(Duration::from_millis(200))
        .build()
        .unwrap();
    let e = t.execute(get("/slow")).await.unwrap_err();
    assert!(matches!(e, Error::Deadline { attempts: 1, .. }), "{e:?}");
    assert!(e.is_timeout());

    // A Retry-After beyond the deadline is not waited for: the 503 comes back at once.
    let e = t.execute(get("/unavailable")).await.unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Unavailable));
    assert_eq!(server.requests_to("/unavailable").len(), 1);
}

#[tokio::test]
async fn redirects_are_refused_and_credentials_never_reach_the_target() {
    let console = Arc::new(Server::default());
    let other = Arc::new(Server::default());
    let console_url = serve(console.clone()).await;
    let other_url = serve(other.clone()).await;
    let t = TransportBuilder::new("Test", &console_url)
        .auth(Auth::Header {
            name: HeaderName::from_static("sec"),
            value: Secret::from("sec-token-1"),
        })
        .build()
        .unwrap();
    for status in [301, 302, 303, 307, 308] {
        for method in ["GET", "POST"] {
            let target = format!("{other_url}/steal");
            let mut req = if method == "GET" {
                ApiRequest::get(ApiPath::new("/redirect"))
            } else {
                ApiRequest::post(ApiPath::new("/redirect"))
                    .json(&[1])
                    .unwrap()
            };
            req = req.query("status", status.to_string()).query("to", target);
            let e = t.execute(req).await.unwrap_err();
            match &e {
                Error::Redirect {
                    status: s,
                    location,
                    ..
                } => {
                    assert_eq!(s.as_u16(), status);
                    assert_eq!(location.as_deref(), Some(other_url.as_str()));
                }
                other => panic!("{status} {method}: {other:?}"),
            }
            assert!(e.to_string().contains(&other_url), "{e}");
            assert!(!e.to_string().contains("steal"), "{e}");
        }
    }
    assert!(other.log.lock().unwrap().is_empty());
}

#[tokio::test]
async fn links_are_followed_on_the_configured_origin_only() {
    let console = Arc::new(Server::default());
    let other = Arc::new(Server::default());
    let console_url = serve(console.clone()).await;
    let other_url = serve(other.clone()).await;
    let t = TransportBuilder::new("Test", format!("{console_url}/base"))
        .auth(Auth::Bearer(Secret::from("bearer-1")))
        .build()
        .unwrap();
    for link in [
        format!("{console_url}/base/objects/incident?page=2&pagesize=25"),
        format!("{other_url}/base/objects/incident?page=2&pagesize=25"),
        "/base/objects/incident?page=2&pagesize=25".to_string(),
        "objects/incident?page=2&pagesize=25".to_string(),
    ] {
        let req = t.request_for_link(&link).unwrap();
        t.execute(req).await.unwrap();
    }
    let seen = console.requests_to("/base/objects/incident");
    assert_eq!(seen.len(), 4);
    for s in &seen {
        assert_eq!(s.uri, "/base/objects/incident?page=2&pagesize=25");
        assert_eq!(s.authorization.as_deref(), Some("Bearer bearer-1"));
    }
    assert!(other.log.lock().unwrap().is_empty());
    assert!(
        t.request_for_link(&format!("{console_url}/base/../admin"))
            .is_ok_and(|r| r.path().as_str() == "/admin")
    );
    // Dot segments, encoded or not, are resolved before the path is taken: still below the
    // configured base.
    let r = t.request_for_link("/base/%2e%2e/admin").unwrap();
    assert_eq!(r.path().as_str(), "/admin");
}

#[tokio::test]
async fn trailing_slashes_and_custom_verbs_reach_the_wire() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let t = TransportBuilder::new("Test", format!("{url}/PasswordVault"))
        .build()
        .unwrap();
    t.execute(ApiRequest::get(
        ApiPath::new("/API/pta/API/Events").trailing_slash(),
    ))
    .await
    .unwrap();
    let close = ApiPath::new("/v2/incidents")
        .segment("5f1e/../x y")
        .unwrap()
        .verb("close")
        .unwrap();
    t.execute(ApiRequest::post(close)).await.unwrap();
    t.execute(ApiRequest::patch(ApiPath::new("/p")).json(&1).unwrap())
        .await
        .unwrap();
    t.execute(ApiRequest::delete(ApiPath::new("/d")))
        .await
        .unwrap();
    t.execute(ApiRequest::put(ApiPath::new("/u")))
        .await
        .unwrap();
    let log: Vec<_> = server
        .log
        .lock()
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s.method, s.uri))
        .collect();
    assert_eq!(
        log,
        vec![
            "GET /PasswordVault/API/pta/API/Events/",
            "POST /PasswordVault/v2/incidents/5f1e%2F..%2Fx%20y:close",
            "PATCH /PasswordVault/p",
            "DELETE /PasswordVault/d",
            "PUT /PasswordVault/u",
        ]
    );
}

#[tokio::test]
async fn a_second_host_shares_the_client_but_not_the_credentials() {
    let api = Arc::new(Server::default());
    let iam = Arc::new(Server::default());
    let api_url = serve(api.clone()).await;
    let iam_url = serve(iam.clone()).await;
    let t = TransportBuilder::new("Test", &api_url)
        .auth(Auth::Bearer(Secret::from("api-token")))
        .build()
        .unwrap();
    let iam_t = t.with_base_url(&iam_url).unwrap();
    iam_t.execute(get("/oauth/token")).await.unwrap();
    t.execute(get("/v2/incidents")).await.unwrap();
    assert_eq!(iam.requests_to("/oauth/token")[0].authorization, None);
    assert_eq!(
        api.requests_to("/v2/incidents")[0].authorization.as_deref(),
        Some("Bearer api-token")
    );
}

/// The output of a TRACE-level subscriber installed for the whole test binary (a
/// thread-local one misses events whose call sites other test threads registered first).
fn trace_log() -> Arc<Mutex<Vec<u8>>> {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    static LOG: std::sync::OnceLock<Buf> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Buf::default();
        let writer = buf.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        buf
    })
    .0
    .clone()
}

#[tokio::test]
async fn logs_show_requests_but_never_credentials_or_query_values() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let t = session_transport(&url, None);
    let log = trace_log();
    let (ok, failed) = {
        let ok = t
            .execute(get("/items").query("filter", "assigned_to=\"secret-analyst\""))
            .await;
        // A transport failure (nothing listens there) is logged without its URL.
        let closed = TransportBuilder::new("Test", "http://127.0.0.1:9")
            .auth(Auth::Bearer(Secret::from("bearer-secret")))
            .retry_policy(RetryPolicy::disabled())
            .build()
            .unwrap();
        let failed = closed
            .execute(get("/x").query("note", "secret-note-text"))
            .await;
        (ok, failed)
    };
    let log = String::from_utf8_lossy(&log.lock().unwrap()).to_string();
    ok.unwrap();
    let e = failed.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    assert!(!format!("{e} {e:?}").contains("secret-note-text"));
    for secret in [
        "tok-0",
        "pw",
        "bearer-secret",
        "secret-analyst",
        "secret-note-text",
    ] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
    // The request lines are there: method, path, status, attempt, latency.
    assert!(log.contains("method=GET"), "{log}");
    assert!(log.contains("path=/items"), "{log}");
    assert!(log.contains("status=200"), "{log}");
    assert!(log.contains("latency_ms="), "{log}");
    assert!(log.contains("attempt=1"), "{log}");
}

#[tokio::test]
async fn static_credentials_refused_are_not_replayed() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let t = TransportBuilder::new("Test", &url)
        .auth(Auth::Header {
            name: AUTHORIZATION,
            value: Secret::from("wrong"),
        })
        .build()
        .unwrap();
    let e = t.execute(get("/items")).await.unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Unauthorized));
    assert_eq!(e.vendor_code(), None);
    assert_eq!(server.requests_to("/items").len(), 1);
}

#[tokio::test]
async fn a_huge_error_body_is_bounded_and_not_parsed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = sock.read(&mut buf).await;
        let body = format!("{{\"message\":\"{}\"}}", "x".repeat(32 * 1024 * 1024));
        let head = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let _ = sock.write_all(head.as_bytes()).await;
        let _ = sock.write_all(body.as_bytes()).await;
    });
    let t = TransportBuilder::new("Test", &url).build().unwrap();
    let e = t.execute(get("/x")).await.unwrap_err();
    let api = e.api_error().expect("an API error");
    assert_eq!(api.status.as_u16(), 400);
    assert_eq!(api.body, None, "a 32 MiB error body is not parsed");
    assert!(
        api.snippet
            .as_ref()
            .is_some_and(|s| s.starts_with("{\"message\":\"xxx"))
    );
    assert!(e.to_string().len() < 4096);
}

#[tokio::test]
async fn a_declarative_error_parser_reads_codes_but_never_turns_503_into_a_final_error() {
    use httpmock::prelude::*;
    let server = MockServer::start_async().await;
    let body = r#"{"ErrorCode":"PASWS013E","ErrorMessage":"Authentication failure"}"#;
    server
        .mock_async(|when, then| {
            when.path("/bad");
            then.status(400).body(body);
        })
        .await;
    let busy = server
        .mock_async(|when, then| {
            when.path("/busy");
            then.status(503).body(body);
        })
        .await;
    let t = TransportBuilder::new("Test", server.base_url())
        .error_parser(
            incident_core::JsonErrorParser::new()
                .code_at("/ErrorCode")
                .message_at("/ErrorMessage")
                .kind_for("PASWS013E", ErrorKind::Unauthorized),
        )
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let e = t.execute(get("/bad")).await.unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Unauthorized));
    assert_eq!(e.vendor_code(), Some("PASWS013E"));
    assert_eq!(e.vendor_message(), Some("Authentication failure"));
    #[derive(serde::Deserialize)]
    struct PtaError {
        #[serde(rename = "ErrorCode")]
        code: String,
    }
    assert_eq!(e.vendor_body::<PtaError>().unwrap().code, "PASWS013E");
    let e = t.execute(get("/busy")).await.unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Unavailable));
    assert_eq!(e.vendor_code(), Some("PASWS013E"));
    busy.assert_calls_async(2).await;
}
