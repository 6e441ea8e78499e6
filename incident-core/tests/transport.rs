//! The transport against real HTTP servers: a scripted TCP server that answers each
//! connection with the next canned response (for retries, timeouts and broken bodies), and
//! httpmock for the exact request on the wire.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use httpmock::prelude::*;
use incident_core::reqwest::header::{HeaderName, HeaderValue};
use incident_core::{
    ApiPath, ApiRequest, Auth, Call, Error, ErrorKind, RetryPolicy, Secret, TransportBuilder,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One canned answer: wait, then write these bytes and close the connection.
struct Reply {
    delay: Duration,
    raw: String,
}

fn reply(status: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut raw = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    Reply {
        delay: Duration::ZERO,
        raw,
    }
}

fn json(status: &str, body: &str) -> Reply {
    reply(status, &[("Content-Type", "application/json")], body)
}

/// Serves `replies` in order, one per connection; records each request's head.
async fn scripted(replies: Vec<Reply>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut replies = replies.into_iter();
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf).to_string());
            let r = replies
                .next()
                .unwrap_or_else(|| json("500 Internal Server Error", "{}"));
            tokio::time::sleep(r.delay).await;
            let _ = sock.write_all(r.raw.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    (url, seen)
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(20))
}

fn get(path: &'static str) -> ApiRequest {
    ApiRequest::get(ApiPath::new(path))
}

#[tokio::test]
async fn retry_after_is_honoured_then_success() {
    let (url, seen) = scripted(vec![
        reply(
            "429 Too Many Requests",
            &[("Retry-After", "1")],
            "slow down",
        ),
        json("200 OK", r#"{"ok":true}"#),
    ])
    .await;
    let t = TransportBuilder::new("Test", url)
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let started = Instant::now();
    let resp = t.execute(get("/x")).await.unwrap();
    // The computed backoff is 10-20 ms: only the server's Retry-After explains a 1 s wait.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(resp.attempts(), 2);
    assert_eq!(
        resp.json::<serde_json::Value>().unwrap(),
        serde_json::json!({"ok": true})
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn retry_after_is_capped() {
    let (url, _) = scripted(vec![
        reply("503 Service Unavailable", &[("Retry-After", "3600")], ""),
        json("200 OK", "[]"),
    ])
    .await;
    let policy = fast_retries().max_retry_after(Duration::from_millis(50));
    let t = TransportBuilder::new("Test", url)
        .retry_policy(policy)
        .build()
        .unwrap();
    let resp = t.execute(get("/x")).await.unwrap();
    assert_eq!(resp.attempts(), 2);
}

#[tokio::test]
async fn a_retry_after_too_long_for_the_clock_ends_the_operation_without_a_panic() {
    // u64::MAX seconds, under a policy that does not cap Retry-After: adding it to the
    // clock overflowed (a panic) before the deadline check.
    let (url, seen) = scripted(vec![
        reply(
            "503 Service Unavailable",
            &[("Retry-After", "18446744073709551615")],
            "",
        ),
        json("200 OK", "[]"),
    ])
    .await;
    let policy = fast_retries().max_retry_after(Duration::MAX);
    let t = TransportBuilder::new("Test", url)
        .retry_policy(policy)
        .build()
        .unwrap();
    let e = t.execute(get("/x")).await.unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Unavailable));
    assert_eq!(
        e.api_error().unwrap().retry_after,
        Some(Duration::from_secs(u64::MAX))
    );
    assert_eq!(e.attempts(), 1);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_deadline_too_long_for_the_clock_is_no_deadline() {
    let (url, _) = scripted(vec![
        reply("503 Service Unavailable", &[("Retry-After", "0")], ""),
        json("200 OK", "[]"),
    ])
    .await;
    let t = TransportBuilder::new("Test", url)
        .retry_policy(fast_retries())
        .deadline(Duration::MAX)
        .build()
        .unwrap();
    let resp = t.execute(get("/x")).await.unwrap();
    assert_eq!(resp.attempts(), 2);
}

#[tokio::test]
async fn non_idempotent_request_is_not_retried_on_500() {
    let (url, seen) = scripted(vec![
        json("500 Internal Server Error", r#"{"message":"boom"}"#),
        json("200 OK", "{}"),
    ])
    .await;
    let t = TransportBuilder::new("Test", url)
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let err = t
        .execute(ApiRequest::post(ApiPath::new("/notes")))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.kind(), Some(ErrorKind::Server));
    assert!(err.is_retryable());
    assert_eq!(seen.lock().unwrap().len(), 1);
    let body = err.api_error().unwrap().body.clone();
    assert_eq!(body, Some(serde_json::json!({"message": "boom"})));
}

#[tokio::test]
async fn idempotent_request_is_retried_on_500_and_post_on_503() {
    let (url, seen) = scripted(vec![
        json("502 Bad Gateway", "{}"),
        json("200 OK", "{}"),
        json("503 Service Unavailable", "{}"),
        json("201 Created", "{}"),
    ])
    .await;
    let t = TransportBuilder::new("Test", url)
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    assert_eq!(t.execute(get("/a")).await.unwrap().attempts(), 2);
    let resp = t
        .execute(ApiRequest::post(ApiPath::new("/b")))
        .await
        .unwrap();
    assert_eq!((resp.attempts(), resp.status().as_u16()), (2, 201));
    assert_eq!(seen.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn retries_are_bounded_and_counted() {
    let replies = (0..10)
        .map(|_| json("503 Service Unavailable", "{}"))
        .collect();
    let (url, seen) = scripted(replies).await;
    let t = TransportBuilder::new("Test", url)
        .retry_policy(fast_retries().max_attempts(3))
        .build()
        .unwrap();
    let err = t.execute(get("/x")).await.unwrap_err();
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.kind(), Some(ErrorKind::Unavailable));
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 3);

    // A per-request policy overrides the client's.
    let err = t
        .execute(get("/x").retry_policy(RetryPolicy::disabled()))
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn a_slow_server_gives_a_timeout_error() {
    let mut slow = json("200 OK", "{}");
    slow.delay = Duration::from_secs(5);
    let (url, _) = scripted(vec![slow]).await;
    let t = TransportBuilder::new("Test", url)
        .request_timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = t.execute(get("/x")).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(matches!(err, Error::Timeout { attempts: 1, .. }));
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn an_html_error_page_keeps_status_and_snippet() {
    let page = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>";
    let (url, _) = scripted(vec![reply(
        "502 Bad Gateway",
        &[("Content-Type", "text/html"), ("X-Request-Id", "req-77")],
        page,
    )])
    .await;
    let t = TransportBuilder::new("Test", url)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = t.execute(get("/x")).await.unwrap_err();
    let api = err.api_error().expect("an API error");
    assert_eq!(api.status.as_u16(), 502);
    assert_eq!(api.snippet.as_deref(), Some(page));
    assert_eq!(api.body, None);
    assert_eq!(err.request_id(), Some("req-77"));
    let text = err.to_string();
    assert!(
        text.contains("502") && text.contains("Bad Gateway") && text.contains("req-77"),
        "{text}"
    );
}

#[tokio::test]
async fn html_or_truncated_success_bodies_are_decode_errors_with_a_path() {
    let (url, _) = scripted(vec![
        reply(
            "200 OK",
            &[("Content-Type", "text/html")],
            "<html>login</html>",
        ),
        json("200 OK", r#"[{"id":1},{"id":2},{"id":"#),
        json("200 OK", r#"[{"id":1},{"id":"two"}]"#),
    ])
    .await;
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        id: u64,
    }
    let t = TransportBuilder::new("Test", url).build().unwrap();
    for expected_path in [".", "[2].id", "[1].id"] {
        let err = t
            .execute(get("/x"))
            .await
            .unwrap()
            .json::<Vec<Item>>()
            .unwrap_err();
        let Error::Decode(d) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(d.json_path, expected_path, "{err}");
        assert_eq!(d.status.as_u16(), 200);
        assert!(!d.snippet.is_empty());
        assert!(std::error::Error::source(&err).is_some());
    }
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let t = TransportBuilder::new("Test", url)
        .retry_policy(fast_retries().max_attempts(2))
        .build()
        .unwrap();
    let err = t.execute(get("/x")).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                attempts: 2,
                failure: incident_core::TransportFailure::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    // The client's error stays reachable for its message and chain, not as a type.
    let source = std::error::Error::source(&err).expect("the client's error");
    assert!(!source.to_string().is_empty());
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let (url, _) = scripted(vec![json("200 OK", &"x".repeat(10_000))]).await;
    let t = TransportBuilder::new("Test", url)
        .max_response_bytes(1_000)
        .build()
        .unwrap();
    let err = t.execute(get("/x")).await.unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 1_000 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_wire_request_is_exact() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/base/items/a%2F..%2Fb%3Fc%23d/notes")
                .query_param("note_text", "a b&c=d")
                .query_param("fields", "id")
                .header("sec", "tok-123")
                .header("accept", "application/json")
                .header("version", "26.0")
                .header("content-length", "0")
                .header_prefix("user-agent", "test-client/1.0 incident-core/")
                .is_true(|req| req.query_params().len() == 2);
            then.status(201)
                .header("content-type", "application/json")
                .body(r#"{"id":9}"#);
        })
        .await;
    let t = TransportBuilder::new("Test", server.url("/base/"))
        .auth(Auth::Header {
            name: HeaderName::from_static("sec"),
            value: Secret::from("tok-123"),
        })
        .default_header(
            HeaderName::from_static("version"),
            HeaderValue::from_static("26.0"),
        )
        .user_agent("test-client/1.0")
        .build()
        .unwrap();
    let path = ApiPath::new("/items")
        .segment("a/../b?c#d")
        .unwrap()
        .then("notes");
    let req = ApiRequest::post(path)
        .query("note_text", "a b&c=d")
        .query("fields", "id");
    let resp = t.execute(req).await.unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(resp.json::<serde_json::Value>().unwrap()["id"], 9);
    mock.assert_async().await;
}

#[tokio::test]
async fn basic_auth_and_errors_never_show_the_password() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            // base64("admin:s3cr3t-pw")
            when.method(GET)
                .path("/x")
                .header("authorization", "Basic YWRtaW46czNjcjN0LXB3");
            then.status(401)
                .header("content-type", "application/json")
                .body(r#"{"message":"no"}"#);
        })
        .await;
    let t = TransportBuilder::new("Test", server.base_url())
        .auth(Auth::Basic {
            username: "admin".into(),
            password: Secret::from("s3cr3t-pw"),
        })
        .build()
        .unwrap();
    let err = t.execute(get("/x")).await.unwrap_err();
    mock.assert_async().await;
    assert_eq!(err.kind(), Some(ErrorKind::Unauthorized));
    for text in [format!("{err}"), format!("{err:?}"), format!("{t:?}")] {
        assert!(
            !text.contains("s3cr3t-pw") && !text.contains("YWRtaW46"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn dot_segments_are_refused_before_sending() {
    for bad in ["..", ".", ""] {
        let err = ApiPath::new("/items").segment(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{bad}: {err:?}");
    }
}

#[tokio::test]
async fn a_secret_path_segment_is_sent_but_shown_redacted() {
    let server = MockServer::start_async().await;
    let logout = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/auth/tokens/tok%2Fsecret-77");
            then.status(500)
                .header("content-type", "application/json")
                .body("{}");
        })
        .await;
    let t = TransportBuilder::new("Test", server.base_url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let path = ApiPath::new("/auth/tokens")
        .secret_segment("tok/secret-77")
        .unwrap();
    let request = ApiRequest::delete(path);
    assert!(!format!("{request:?}").contains("secret-77"));
    let err = t.execute(request).await.unwrap_err();
    logout.assert_async().await;
    let api = err.api_error().unwrap();
    assert_eq!(api.path, "/auth/tokens/[REDACTED]");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("secret-77"), "{text}");
}

#[tokio::test]
async fn a_call_carries_its_options_on_the_wire_and_decodes_its_answer() {
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Ticket {
        id: String,
    }
    let server = MockServer::start_async().await;
    let ok = server
        .mock_async(|when, then| {
            when.method(GET)
                .path_includes("/tickets/T")
                .query_param("expand", "notes")
                .header("x-correlation-id", "run-7")
                .header("authorization", "Bearer tok");
            then.status(200).body(r#"{"id":"T/1"}"#);
        })
        .await;
    let failing = server
        .mock_async(|when, then| {
            when.path("/flaky");
            then.status(503);
        })
        .await;
    let t = TransportBuilder::new("Test", server.base_url())
        .auth(Auth::Bearer(Secret::from("tok")))
        .retry_policy(fast_retries().max_attempts(4))
        .build()
        .unwrap();
    let request = ApiPath::new("/tickets")
        .segment("T/1")
        .map(|p| ApiRequest::get(p).query("expand", "notes"));
    let call: Call<Ticket> = Call::json(&t, request).header(
        HeaderName::from_static("x-correlation-id"),
        HeaderValue::from_static("run-7"),
    );
    // The request as it will be sent, options applied.
    let seen = call.request().unwrap();
    assert_eq!(seen.path().as_str(), "/tickets/T%2F1");
    assert_eq!(seen.headers()["x-correlation-id"], "run-7");
    let ticket = call.await.unwrap();
    assert_eq!(ticket, Ticket { id: "T/1".into() });
    ok.assert_async().await;

    // A per-call retry policy replaces the client's: one attempt instead of four.
    let err = Call::<Ticket>::json(&t, Ok(get("/flaky")))
        .retry_policy(RetryPolicy::disabled())
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert_eq!(failing.calls_async().await, 1);

    // `and_then` maps the output; a request that cannot be made is never sent.
    let len = Call::<Ticket>::json(&t, request_for("T/1"))
        .header(
            HeaderName::from_static("x-correlation-id"),
            HeaderValue::from_static("run-7"),
        )
        .and_then(|t| Ok(t.id.len()))
        .await
        .unwrap();
    assert_eq!(len, 3);
    let err = Call::<Ticket>::json(&t, request_for(".."))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert_eq!(ok.calls_async().await, 2);
}

fn request_for(id: &str) -> incident_core::Result<ApiRequest> {
    ApiPath::new("/tickets")
        .segment(id)
        .map(|p| ApiRequest::get(p).query("expand", "notes"))
}

#[tokio::test]
async fn a_per_call_deadline_bounds_the_call() {
    let mut slow = json("200 OK", "{}");
    slow.delay = Duration::from_secs(5);
    let (url, _) = scripted(vec![slow]).await;
    let t = TransportBuilder::new("Test", url).build().unwrap();
    let err = Call::<serde_json::Value>::json(&t, Ok(get("/slow")))
        .deadline(Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Deadline { deadline, .. } if deadline == Duration::from_millis(200)),
        "{err:?}"
    );
}
