//! `ResponseAction::Accept`: a vendor's error status that means an empty result is handed
//! back as an answer, while 429 and 503 are still retried and other answers keep their
//! default handling.

use std::time::Duration;

use httpmock::MockServer;
use incident_core::reqwest::StatusCode;
use incident_core::transport::{Answer, ResponseAction};
use incident_core::{ApiPath, ApiRequest, Error, ErrorKind, RetryPolicy, TransportBuilder};

fn accept_404(answer: &Answer<'_>) -> ResponseAction {
    if answer.status == StatusCode::NOT_FOUND && answer.body.starts_with(b"{") {
        ResponseAction::Accept
    } else {
        ResponseAction::Default
    }
}

fn accept_all(_: &Answer<'_>) -> ResponseAction {
    ResponseAction::Accept
}

#[tokio::test]
async fn an_accepted_404_is_an_answer_with_its_status_and_body() {
    let server = MockServer::start_async().await;
    let empty = server
        .mock_async(|when, then| {
            when.method("POST").path("/query");
            then.status(404)
                .header("content-type", "application/json")
                .body(r#"{"message":"No data was found for provided criteria"}"#);
        })
        .await;
    let t = TransportBuilder::new("Test", server.base_url())
        .response_hook(accept_404)
        .build()
        .unwrap();
    let resp = t
        .execute(ApiRequest::post(ApiPath::new("/query")))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let v: serde_json::Value = resp.json().unwrap();
    assert_eq!(v["message"], "No data was found for provided criteria");
    assert_eq!(resp.attempts(), 1);
    empty.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_404_the_hook_does_not_accept_stays_an_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/query");
            then.status(404)
                .header("content-type", "text/html")
                .body("<html>Not Found</html>");
        })
        .await;
    let t = TransportBuilder::new("Test", server.base_url())
        .response_hook(accept_404)
        .build()
        .unwrap();
    let e = t
        .execute(ApiRequest::post(ApiPath::new("/query")))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::NotFound));
    assert!(matches!(e, Error::Api(_)), "{e:?}");
}

#[tokio::test]
async fn accept_never_swallows_429_or_503() {
    let server = MockServer::start_async().await;
    let busy = server
        .mock_async(|when, then| {
            when.path("/busy");
            then.status(503).header("retry-after", "0").body("{}");
        })
        .await;
    let t = TransportBuilder::new("Test", server.base_url())
        .response_hook(accept_all)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let e = t
        .execute(ApiRequest::get(ApiPath::new("/busy")))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(ErrorKind::Unavailable));
    assert_eq!(e.attempts(), 2);
    busy.assert_calls_async(2).await;
}
