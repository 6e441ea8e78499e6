//! Offense streams against consoles that lie in their `Content-Range` headers or bodies:
//! each test serves the crafted answers over real HTTP and checks that the walk ends, with
//! the right items or a protocol error, after exactly the requests it needs. None may hang,
//! panic, or build more records than were asked for.

use futures::{StreamExt, TryStreamExt};
use httpmock::prelude::*;
use httpmock::{Then, When};
use incident_core::{Error, RetryPolicy};
use qradar_client::{Offense, QRadarClient};
use serde_json::{Value, json};

const TOKEN: &str = "sec-token";
const OFFENSES: &str = "/api/siem/offenses";

fn client(server: &MockServer) -> QRadarClient {
    QRadarClient::builder(server.base_url())
        .sec_token(TOKEN)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("a client")
}

/// `GET /api/siem/offenses` with `Range: items={range}` and no query parameters.
fn ranged(when: When, range: impl Into<String>) -> When {
    when.method(GET)
        .path(OFFENSES)
        .header("sec", TOKEN)
        .header("range", range.into())
        .is_true(|req| req.query_params().is_empty())
}

fn reply(then: Then, body: &Value) -> Then {
    then.status(200)
        .header("content-type", "application/json")
        .body(body.to_string())
}

fn offenses(ids: impl IntoIterator<Item = u64>) -> Value {
    Value::Array(ids.into_iter().map(|id| json!({ "id": id })).collect())
}

fn ids(offenses: &[Offense]) -> Vec<u64> {
    offenses.iter().filter_map(|o| o.id).collect()
}

fn is_protocol(err: &Error, needle: &str) -> bool {
    matches!(err, Error::Protocol { vendor, .. } if *vendor == qradar_client::QRADAR)
        && err.to_string().contains(needle)
}

/// Any request not mocked otherwise (register it after the others): an empty page.
async fn catch_all(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.any_request();
            reply(then, &json!([])).header("content-range", "items */1000000000");
        })
        .await
}

#[tokio::test]
async fn a_page_larger_than_asked_is_refused_before_it_is_decoded() {
    // 4 MiB of `{}` for a request of 50 items: about 1.4 million offenses if decoded.
    let count = 4 * 1024 * 1024 / 3;
    let mut body = String::with_capacity(count * 3 + 2);
    body.push('[');
    for i in 0..count {
        if i > 0 {
            body.push(',');
        }
        body.push_str("{}");
    }
    body.push(']');
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            ranged(when, "items=0-49");
            then.status(200)
                .header("content-type", "application/json")
                .header("content-range", "items 0-49/100")
                .body(&body);
        })
        .await;
    let c = client(&server);
    let err = c
        .offenses()
        .list()
        .page_size(50)
        .prefetch(0)
        .into_stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        is_protocol(&err, "more than the 50 items asked for"),
        "{err}"
    );
    // A single page asked with a range is held to it too.
    let err = c.offenses().list().range(0, 49).send().await.unwrap_err();
    assert!(
        is_protocol(&err, "more than the 50 items asked for"),
        "{err}"
    );
    assert_eq!(mock.calls_async().await, 2);
}

#[tokio::test]
async fn a_page_of_exactly_the_size_asked_is_accepted() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            ranged(when, "items=0-2");
            reply(then, &offenses([1, 2, 3])).header("content-range", "items 0-2/3");
        })
        .await;
    let all: Vec<Offense> = client(&server)
        .offenses()
        .list()
        .page_size(3)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), [1, 2, 3]);
    mock.assert_async().await;
}

#[tokio::test]
async fn a_total_that_grows_with_every_page_is_held_to_the_first() {
    for prefetch in [0, 3] {
        let server = MockServer::start_async().await;
        // Each page claims two more items than the one before: 4, 6, 8, ...
        let mut mocks = Vec::new();
        for start in (0..40u64).step_by(2) {
            mocks.push(
                server
                    .mock_async(|when, then| {
                        ranged(when, format!("items={start}-{}", start + 1));
                        reply(then, &offenses([start + 1, start + 2])).header(
                            "content-range",
                            format!("items {start}-{}/{}", start + 1, start + 4),
                        );
                    })
                    .await,
            );
        }
        let all: Vec<Offense> = client(&server)
            .offenses()
            .list()
            .page_size(2)
            .prefetch(prefetch)
            .into_stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(ids(&all), [1, 2, 3, 4], "prefetch {prefetch}");
        let calls: Vec<usize> = futures::future::join_all(mocks.iter().map(|m| m.calls_async()))
            .await
            .into_iter()
            .collect();
        assert_eq!(calls[..2], [1, 1], "prefetch {prefetch}");
        assert!(
            calls[2..].iter().all(|&c| c == 0),
            "prefetch {prefetch}: {calls:?}"
        );
    }
}

#[tokio::test]
async fn the_same_page_served_again_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    // Whatever is asked, the first page comes back.
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(OFFENSES);
            reply(then, &offenses([1, 2])).header("content-range", "items 0-1/10");
        })
        .await;
    let mut stream = client(&server).offenses().list().page_size(2).into_stream();
    let mut seen = Vec::new();
    let err = loop {
        match stream.try_next().await {
            Ok(Some(o)) => seen.push(o.id.unwrap()),
            Ok(None) => panic!("the walk ended without noticing the repeat"),
            Err(e) => break e,
        }
    };
    assert_eq!(seen, [1, 2]);
    assert!(
        is_protocol(&err, "asked for items from 2, got items from 0"),
        "{err}"
    );
    // The first page, the repeat, and at most the page asked ahead of it.
    assert!(mock.calls_async().await <= 3);
}

#[tokio::test]
async fn an_answer_without_content_range_is_the_whole_list() {
    let server = MockServer::start_async().await;
    // A proxy that drops the Range header: the whole list comes back, every time.
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(OFFENSES);
            reply(then, &offenses([1, 2]));
        })
        .await;
    let all: Vec<Offense> = client(&server)
        .offenses()
        .list()
        .page_size(2)
        .into_stream()
        .take(10)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), [1, 2]);
    mock.assert_async().await;
}

#[tokio::test]
async fn one_item_per_page_of_a_huge_total_is_bounded_by_max_items_and_max_pages() {
    let server = MockServer::start_async().await;
    // With max_items(5) the windows asked shrink to the limit: 0-4, 1-4, 2-4, ...
    let mut mocks = Vec::new();
    for start in 0..5u64 {
        mocks.push(
            server
                .mock_async(|when, then| {
                    ranged(when, format!("items={start}-4"));
                    reply(then, &offenses([start + 1]))
                        .header("content-range", format!("items {start}-{start}/1000000000"));
                })
                .await,
        );
    }
    // Registered last: it only gets what the others do not match.
    let unexpected = catch_all(&server).await;
    let all: Vec<Offense> = client(&server)
        .offenses()
        .list()
        .page_size(50)
        .prefetch(0)
        .max_items(5)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), [1, 2, 3, 4, 5]);
    for mock in &mocks {
        mock.assert_async().await;
    }
    assert_eq!(unexpected.calls_async().await, 0);

    let server = MockServer::start_async().await;
    let mut mocks = Vec::new();
    for start in 0..3u64 {
        mocks.push(
            server
                .mock_async(|when, then| {
                    ranged(when, format!("items={start}-{}", start + 49));
                    reply(then, &offenses([start + 1]))
                        .header("content-range", format!("items {start}-{start}/1000000000"));
                })
                .await,
        );
    }
    let unexpected = catch_all(&server).await;
    let all: Vec<Offense> = client(&server)
        .offenses()
        .list()
        .page_size(50)
        .prefetch(0)
        .max_pages(3)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), [1, 2, 3]);
    for mock in &mocks {
        mock.assert_async().await;
    }
    assert_eq!(unexpected.calls_async().await, 0);
}

#[tokio::test]
async fn a_content_range_that_does_not_match_the_items_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            ranged(when, "items=0-49");
            reply(then, &offenses([1, 2])).header("content-range", "items 0-49/1000000000");
        })
        .await;
    let err = client(&server)
        .offenses()
        .list()
        .page_size(50)
        .into_stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(is_protocol(&err, "does not match the 2 items"), "{err}");
}

#[tokio::test]
async fn positions_at_the_end_of_u64_are_protocol_errors_not_panics() {
    const MAX: u64 = u64::MAX;
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            ranged(when, "items=0-49");
            reply(then, &offenses([1])).header("content-range", format!("items 0-{MAX}/{MAX}"));
        })
        .await;
    let err = client(&server)
        .offenses()
        .list()
        .page_size(50)
        .into_stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");

    // The last positions there are: the walk ends there.
    let server = MockServer::start_async().await;
    let last = server
        .mock_async(|when, then| {
            ranged(when, format!("items={}-{MAX}", MAX - 1));
            reply(then, &offenses([1, 2]))
                .header("content-range", format!("items {}-{MAX}/*", MAX - 1));
        })
        .await;
    let unexpected = catch_all(&server).await;
    let all: Vec<Offense> = client(&server)
        .offenses()
        .list()
        .range(MAX - 1, MAX)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), [1, 2]);
    last.assert_async().await;
    assert_eq!(unexpected.calls_async().await, 0);
}
