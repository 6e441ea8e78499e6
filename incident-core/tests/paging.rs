//! The paginator over real HTTP, one test group per paging style the vendors use, each
//! against httpmock with the exact requests (path, the complete set of query parameters,
//! body) asserted: Sentinel's page numbers and next links, ESET's page tokens, Skyhigh's
//! time cursor with de-duplication, and offsets with prefetch.

use futures::TryStreamExt;
use httpmock::prelude::*;
use httpmock::{Mock, When};
use incident_core::paging::{
    Items, OffsetPage, Page, Paginator, StalledCursor, bounded, decode_page,
};
use incident_core::{ApiPath, ApiRequest, Error, Result, RetryPolicy, Transport, TransportBuilder};
use serde::Deserialize;
use serde_json::{Value, json};

fn transport(server: &MockServer) -> Transport {
    TransportBuilder::new("Test", server.base_url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// Matches `method path` with exactly these query parameters, no more, no fewer.
fn exactly(when: When, method: Method, path: &str, query: &[(&str, &str)]) -> When {
    let mut want: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    want.sort();
    when.method(method).path(path).is_true(move |req| {
        let mut got = req.query_params();
        got.sort();
        got == want
    })
}

async fn get_json<'a>(
    server: &'a MockServer,
    path: &str,
    query: &[(&str, &str)],
    body: Value,
) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            exactly(when, GET, path, query);
            then.status(200)
                .header("content-type", "application/json")
                .body(body.to_string());
        })
        .await
}

/// Any request the other mocks do not match (register it last): a failure status.
async fn unexpected(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(418);
        })
        .await
}

fn protocol(err: &Error, needle: &str) -> bool {
    matches!(err, Error::Protocol { .. }) && err.to_string().contains(needle)
}

// ---------------------------------------------------------------------------------------
// Page number + page size (Sentinel `page`/`pagesize`, 1-based)
// ---------------------------------------------------------------------------------------

const INCIDENTS: &str = "/SentinelRESTServices/objects/incident";

#[derive(Debug, Deserialize)]
struct SentinelPage {
    objects: Vec<Value>,
    next: Option<String>,
}

fn sentinel_ids(objects: &[Value]) -> Vec<u64> {
    objects.iter().map(|o| o["id"].as_u64().unwrap()).collect()
}

fn sentinel_by_number(transport: Transport) -> Paginator<Value, u64> {
    Paginator::page_numbers(1, move |page, size| {
        let request = ApiRequest::get(ApiPath::new(INCIDENTS))
            .query("page", page.to_string())
            .query("pagesize", size.to_string());
        let transport = transport.clone();
        async move {
            let page: SentinelPage = transport.execute(request).await?.json()?;
            Ok(page.objects)
        }
    })
    .vendor("Sentinel")
    .page_size(2)
}

fn objects(ids: &[u64]) -> Value {
    json!({ "objects": ids.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>() })
}

#[tokio::test]
async fn page_numbers_walk_from_one_and_end_at_a_short_page() {
    let server = MockServer::start_async().await;
    let q = |page| [("page", page), ("pagesize", "2")];
    let pages = [
        get_json(&server, INCIDENTS, &q("1"), objects(&[1, 2])).await,
        get_json(&server, INCIDENTS, &q("2"), objects(&[3, 4])).await,
        get_json(&server, INCIDENTS, &q("3"), objects(&[5])).await,
    ];
    let other = unexpected(&server).await;
    let all: Vec<Value> = sentinel_by_number(transport(&server))
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sentinel_ids(&all), [1, 2, 3, 4, 5]);
    for page in &pages {
        page.assert_async().await;
    }
    assert_eq!(other.calls_async().await, 0);
}

#[tokio::test]
async fn page_numbers_end_at_an_empty_page() {
    let server = MockServer::start_async().await;
    let q = |page| [("page", page), ("pagesize", "2")];
    let pages = [
        get_json(&server, INCIDENTS, &q("1"), objects(&[1, 2])).await,
        get_json(&server, INCIDENTS, &q("2"), objects(&[])).await,
    ];
    let other = unexpected(&server).await;
    let all: Vec<Value> = sentinel_by_number(transport(&server))
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sentinel_ids(&all), [1, 2]);
    for page in &pages {
        page.assert_async().await;
    }
    assert_eq!(other.calls_async().await, 0);
}

#[tokio::test]
async fn page_numbers_stop_at_max_items_and_max_pages() {
    let server = MockServer::start_async().await;
    let q = |page| [("page", page), ("pagesize", "2")];
    let first = get_json(&server, INCIDENTS, &q("1"), objects(&[1, 2])).await;
    let second = get_json(&server, INCIDENTS, &q("2"), objects(&[3, 4])).await;
    let third = get_json(&server, INCIDENTS, &q("3"), objects(&[5, 6])).await;
    let other = unexpected(&server).await;
    let t = transport(&server);

    let all: Vec<Value> = sentinel_by_number(t.clone())
        .max_items(3)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sentinel_ids(&all), [1, 2, 3]);
    assert_eq!(
        (first.calls_async().await, second.calls_async().await),
        (1, 1)
    );

    let pages: Vec<Page<Value, u64>> = sentinel_by_number(t)
        .max_pages(1)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    // The page keeps the cursor to resume from.
    assert_eq!(pages[0].next, Some(2));
    assert_eq!(first.calls_async().await, 2);
    assert_eq!(second.calls_async().await, 1);
    assert_eq!(third.calls_async().await, 0);
    assert_eq!(other.calls_async().await, 0);
}

#[tokio::test]
async fn a_page_larger_than_the_page_size_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    let q = [("page", "1"), ("pagesize", "2")];
    let first = get_json(&server, INCIDENTS, &q, objects(&[1, 2, 3])).await;
    let other = unexpected(&server).await;
    let err = sentinel_by_number(transport(&server))
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        protocol(&err, "3 items, more than the 2 asked for"),
        "{err}"
    );
    assert!(err.to_string().starts_with("Sentinel"), "{err}");
    first.assert_async().await;
    assert_eq!(other.calls_async().await, 0);
}

// ---------------------------------------------------------------------------------------
// Next links (Sentinel `next`)
// ---------------------------------------------------------------------------------------

/// Requests the path and query of `link` on the configured origin (Sentinel's links carry
/// the host the server believes it has, which behind NAT is not the one called).
fn follow(link: &str) -> Result<ApiRequest> {
    let url = incident_core::reqwest::Url::parse(link)
        .map_err(|e| Error::invalid_input("next link", e.to_string()))?;
    let mut api_path = ApiPath::new("/");
    for segment in url.path().trim_start_matches('/').split('/') {
        api_path = api_path.segment(segment)?;
    }
    let mut request = ApiRequest::get(api_path);
    for (name, value) in url.query_pairs() {
        let name = match name.as_ref() {
            "page" => "page",
            "pagesize" => "pagesize",
            other => return Err(Error::invalid_input("next link", other.to_string())),
        };
        request = request.query(name, value.into_owned());
    }
    Ok(request)
}

fn sentinel_by_link(transport: Transport) -> Paginator<Value, String> {
    Paginator::next_links(move |link: Option<String>| {
        let request = match link {
            None => Ok(ApiRequest::get(ApiPath::new(INCIDENTS)).query("pagesize", "2")),
            Some(link) => follow(&link),
        };
        let transport = transport.clone();
        async move {
            let page: SentinelPage = transport.execute(request?).await?.json()?;
            Ok(Page::new(page.objects, page.next))
        }
    })
    .vendor("Sentinel")
    .page_size(2)
}

fn linked(ids: &[u64], next: Option<&str>) -> Value {
    let mut page = objects(ids);
    if let Some(next) = next {
        page["next"] = json!(format!("https://164.99.19.131:8443{next}"));
    }
    page
}

#[tokio::test]
async fn next_links_are_followed_on_the_configured_origin_until_none() {
    let server = MockServer::start_async().await;
    let next2 = "/SentinelRESTServices/objects/incident?page=2&pagesize=2";
    let next3 = "/SentinelRESTServices/objects/incident?page=3&pagesize=2";
    let pages = [
        get_json(
            &server,
            INCIDENTS,
            &[("pagesize", "2")],
            linked(&[1, 2], Some(next2)),
        )
        .await,
        get_json(
            &server,
            INCIDENTS,
            &[("page", "2"), ("pagesize", "2")],
            linked(&[3, 4], Some(next3)),
        )
        .await,
        get_json(
            &server,
            INCIDENTS,
            &[("page", "3"), ("pagesize", "2")],
            linked(&[5], None),
        )
        .await,
    ];
    let other = unexpected(&server).await;
    let all: Vec<Value> = sentinel_by_link(transport(&server))
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sentinel_ids(&all), [1, 2, 3, 4, 5]);
    for page in &pages {
        page.assert_async().await;
    }
    assert_eq!(other.calls_async().await, 0);
}

#[tokio::test]
async fn a_next_link_to_the_same_page_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    let next2 = "/SentinelRESTServices/objects/incident?page=2&pagesize=2";
    let first = get_json(
        &server,
        INCIDENTS,
        &[("pagesize", "2")],
        linked(&[1, 2], Some(next2)),
    )
    .await;
    // Page 2 links to itself.
    let second = get_json(
        &server,
        INCIDENTS,
        &[("page", "2"), ("pagesize", "2")],
        linked(&[3, 4], Some(next2)),
    )
    .await;
    let other = unexpected(&server).await;
    let mut items = sentinel_by_link(transport(&server)).items();
    let mut seen = Vec::new();
    let err = loop {
        match items.try_next().await {
            Ok(Some(item)) => seen.push(item["id"].as_u64().unwrap()),
            Ok(None) => panic!("the walk ended"),
            Err(e) => break e,
        }
    };
    assert_eq!(seen, [1, 2]);
    assert!(protocol(&err, "did not advance"), "{err}");
    first.assert_async().await;
    second.assert_async().await;
    assert_eq!(other.calls_async().await, 0);
}

// ---------------------------------------------------------------------------------------
// Page tokens (ESET `pageToken` / `nextPageToken`)
// ---------------------------------------------------------------------------------------

const ESET_INCIDENTS: &str = "/v2/incidents";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EsetPage {
    #[serde(default)]
    incidents: Vec<Value>,
    #[serde(default)]
    next_page_token: Option<String>,
}

fn eset(transport: Transport) -> Paginator<Value, String> {
    Paginator::page_tokens(move |token: Option<String>| {
        let request = ApiRequest::get(ApiPath::new(ESET_INCIDENTS))
            .query("pageSize", "2")
            .query_opt("pageToken", token);
        let transport = transport.clone();
        async move {
            let page: EsetPage = transport.execute(request).await?.json()?;
            Ok(Page::new(page.incidents, page.next_page_token))
        }
    })
    .vendor("ESET")
    .page_size(2)
}

fn eset_page(uuids: &[&str], next: &str) -> Value {
    let incidents: Vec<Value> = uuids.iter().map(|u| json!({ "uuid": u })).collect();
    json!({ "incidents": incidents, "nextPageToken": next })
}

fn uuids(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["uuid"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn page_tokens_follow_an_empty_page_and_end_at_an_empty_token() {
    let server = MockServer::start_async().await;
    let pages = [
        get_json(
            &server,
            ESET_INCIDENTS,
            &[("pageSize", "2")],
            eset_page(&["a", "b"], "t1"),
        )
        .await,
        // An empty page that still has a token: the walk goes on.
        get_json(
            &server,
            ESET_INCIDENTS,
            &[("pageSize", "2"), ("pageToken", "t1")],
            eset_page(&[], "t2"),
        )
        .await,
        get_json(
            &server,
            ESET_INCIDENTS,
            &[("pageSize", "2"), ("pageToken", "t2")],
            eset_page(&["c"], ""),
        )
        .await,
    ];
    let other = unexpected(&server).await;
    let all: Vec<Value> = eset(transport(&server))
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(uuids(&all), ["a", "b", "c"]);
    for page in &pages {
        page.assert_async().await;
    }
    assert_eq!(other.calls_async().await, 0);
}

#[tokio::test]
async fn a_token_that_does_not_advance_is_an_error_or_the_end() {
    let server = MockServer::start_async().await;
    let first = get_json(
        &server,
        ESET_INCIDENTS,
        &[("pageSize", "2")],
        eset_page(&["a", "b"], "t1"),
    )
    .await;
    let stuck = get_json(
        &server,
        ESET_INCIDENTS,
        &[("pageSize", "2"), ("pageToken", "t1")],
        eset_page(&["c"], "t1"),
    )
    .await;
    let other = unexpected(&server).await;
    let err = eset(transport(&server))
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(protocol(&err, "did not advance"), "{err}");
    assert!(err.to_string().starts_with("ESET"), "{err}");
    assert_eq!(stuck.calls_async().await, 1);

    let all: Vec<Value> = eset(transport(&server))
        .when_cursor_stalls(StalledCursor::End)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(uuids(&all), ["a", "b", "c"]);
    assert_eq!(first.calls_async().await, 2);
    assert_eq!(stuck.calls_async().await, 2);
    assert_eq!(other.calls_async().await, 0);
}

// ---------------------------------------------------------------------------------------
// Time cursor with de-duplication (Skyhigh `startTime` / `nextStartTime`)
// ---------------------------------------------------------------------------------------

const QUERY_INCIDENTS: &str = "/shnapi/rest/external/api/v1/queryIncidents";

#[derive(Debug, Deserialize)]
struct Envelope {
    body: IncidentResponse,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IncidentResponse {
    response_info: ResponseInfo,
    incidents: Vec<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseInfo {
    next_start_time: Option<String>,
}

const START: &str = "2024-05-01T00:00:00.000Z";

fn skyhigh(transport: Transport) -> Paginator<Value, String> {
    Paginator::time_cursor(
        move |start: Option<String>| {
            let body = json!({
                "startTime": start.unwrap_or_else(|| START.to_string()),
                "endTime": "2024-05-02T00:00:00.000Z",
            });
            let request = ApiRequest::post(ApiPath::new(QUERY_INCIDENTS))
                .query("limit", "2")
                .json(&body);
            let transport = transport.clone();
            async move {
                let envelope: Envelope = transport.execute(request?).await?.json()?;
                let body = envelope.body;
                Ok(Page::new(
                    body.incidents,
                    body.response_info.next_start_time,
                ))
            }
        },
        |incident: &Value| {
            incident["incidentId"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        },
    )
    .vendor("Skyhigh")
    .page_size(2)
}

/// Mocks one query from `start`, answering these (id, timeModified) and `next`.
async fn skyhigh_page<'a>(
    server: &'a MockServer,
    start: &str,
    incidents: &[(&str, &str)],
    next: Option<&str>,
) -> Mock<'a> {
    let incidents: Vec<Value> = incidents
        .iter()
        .map(|(id, t)| json!({ "incidentId": id, "timeModified": t }))
        .collect();
    let answer = json!({
        "headers": {},
        "body": {
            "responseInfo": { "actualLimit": 2, "error": null, "nextOffset": null, "nextStartTime": next },
            "incidents": incidents,
        },
        "statusCode": "OK",
        "statusCodeValue": 200,
    });
    server
        .mock_async(|when, then| {
            exactly(when, POST, QUERY_INCIDENTS, &[("limit", "2")]).json_body(json!({
                "startTime": start,
                "endTime": "2024-05-02T00:00:00.000Z",
            }));
            then.status(200)
                .header("content-type", "application/json")
                .body(answer.to_string());
        })
        .await
}

fn incident_ids(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|i| i["incidentId"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn time_cursor_drops_boundary_repeats_and_walks_through_an_emptied_page() {
    let (t1, t2, t3) = (
        "2024-05-01T01:00:00.000Z",
        "2024-05-01T02:00:00.000Z",
        "2024-05-01T03:00:00.000Z",
    );
    let t2b = "2024-05-01T02:00:00.001Z";
    let server = MockServer::start_async().await;
    let pages = [
        skyhigh_page(&server, START, &[("DLP-1", t1), ("DLP-2", t2)], Some(t2)).await,
        // Only the boundary repeat: emptied by de-duplication, but the cursor moved.
        skyhigh_page(&server, t2, &[("DLP-2", t2)], Some(t2b)).await,
        skyhigh_page(&server, t2b, &[("DLP-3", t3), ("DLP-4", t3)], Some(t3)).await,
        // The repeats of the boundary, and the cursor stops moving: the end.
        skyhigh_page(&server, t3, &[("DLP-4", t3)], Some(t3)).await,
    ];
    let other = unexpected(&server).await;
    let all: Vec<Value> = skyhigh(transport(&server))
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(incident_ids(&all), ["DLP-1", "DLP-2", "DLP-3", "DLP-4"]);
    for page in &pages {
        page.assert_async().await;
    }
    assert_eq!(other.calls_async().await, 0);
}

#[tokio::test]
async fn time_cursor_ends_at_an_empty_page_or_a_missing_cursor() {
    let t1 = "2024-05-01T01:00:00.000Z";
    let server = MockServer::start_async().await;
    let first = skyhigh_page(&server, START, &[("DLP-1", t1), ("DLP-2", t1)], Some(t1)).await;
    let empty = skyhigh_page(&server, t1, &[], Some("2024-05-01T09:00:00.000Z")).await;
    let other = unexpected(&server).await;
    let all: Vec<Value> = skyhigh(transport(&server))
        .max_pages(10)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(incident_ids(&all), ["DLP-1", "DLP-2"]);
    first.assert_async().await;
    empty.assert_async().await;
    assert_eq!(other.calls_async().await, 0);

    let server = MockServer::start_async().await;
    let only = skyhigh_page(&server, START, &[("DLP-1", t1)], None).await;
    let other = unexpected(&server).await;
    let all: Vec<Value> = skyhigh(transport(&server))
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(incident_ids(&all), ["DLP-1"]);
    only.assert_async().await;
    assert_eq!(other.calls_async().await, 0);
}

#[tokio::test]
async fn a_full_page_that_does_not_move_the_time_cursor_is_an_error() {
    // More incidents share one instant than a page holds: the rest cannot be reached.
    let t1 = "2024-05-01T01:00:00.000Z";
    let server = MockServer::start_async().await;
    skyhigh_page(&server, START, &[("DLP-1", t1), ("DLP-2", t1)], Some(t1)).await;
    skyhigh_page(&server, t1, &[("DLP-1", t1), ("DLP-2", t1)], Some(t1)).await;
    let err = skyhigh(transport(&server))
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(protocol(&err, "after a full page"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Offsets with prefetch
// ---------------------------------------------------------------------------------------

const ITEMS: &str = "/items";

#[derive(Debug, Deserialize)]
struct OffsetAnswer {
    items: Vec<u64>,
    offset: u64,
    total: u64,
}

fn offsets(transport: Transport) -> Paginator<u64, u64> {
    Paginator::offsets(move |start, len| {
        let request = ApiRequest::get(ApiPath::new(ITEMS))
            .query("offset", start.to_string())
            .query("limit", len.to_string());
        let transport = transport.clone();
        async move {
            let answer: OffsetAnswer = transport.execute(request).await?.json()?;
            Ok(OffsetPage::new(answer.items)
                .starting_at(answer.offset)
                .with_total(Some(answer.total)))
        }
    })
    .vendor("Test")
}

async fn offset_page(server: &MockServer, offset: u64, limit: u64, total: u64) -> Mock<'_> {
    let end = (offset + limit).min(total);
    get_json(
        server,
        ITEMS,
        &[
            ("offset", &offset.to_string()),
            ("limit", &limit.to_string()),
        ],
        json!({ "items": (offset..end).collect::<Vec<_>>(), "offset": offset, "total": total }),
    )
    .await
}

#[tokio::test]
async fn offsets_prefetch_each_page_once_and_nothing_past_the_total() {
    for prefetch in [0, 1, 4] {
        let server = MockServer::start_async().await;
        let mut pages = Vec::new();
        for offset in (0..10).step_by(3) {
            pages.push(offset_page(&server, offset, 3, 10).await);
        }
        let other = unexpected(&server).await;
        let all: Vec<u64> = offsets(transport(&server))
            .page_size(3)
            .prefetch(prefetch)
            .items()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        for page in &pages {
            page.assert_async().await;
        }
        assert_eq!(other.calls_async().await, 0, "prefetch {prefetch}");
    }
}

#[tokio::test]
async fn offsets_ask_nothing_past_max_items_or_max_pages() {
    let server = MockServer::start_async().await;
    let first = offset_page(&server, 0, 3, 100).await;
    let cut = offset_page(&server, 3, 2, 100).await;
    let second = offset_page(&server, 3, 3, 100).await;
    let other = unexpected(&server).await;
    let all: Vec<u64> = offsets(transport(&server))
        .page_size(3)
        .prefetch(4)
        .max_items(5)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all, [0, 1, 2, 3, 4]);
    first.assert_async().await;
    cut.assert_async().await;
    assert_eq!(other.calls_async().await, 0);

    let all: Vec<u64> = offsets(transport(&server))
        .page_size(3)
        .prefetch(4)
        .max_pages(2)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all, [0, 1, 2, 3, 4, 5]);
    assert_eq!(first.calls_async().await, 2);
    second.assert_async().await;
    assert_eq!(other.calls_async().await, 0);
}

// ---------------------------------------------------------------------------------------
// Bounded decoding of an array page
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn an_array_page_is_refused_past_the_count_asked_before_decoding() {
    #[derive(Debug, Deserialize)]
    struct Record {
        #[allow(dead_code)]
        id: Option<u64>,
    }
    let server = MockServer::start_async().await;
    let many = format!("[{}]", vec!["{}"; 100_000].join(","));
    server
        .mock_async(|when, then| {
            when.path("/many");
            then.status(200).body(&many);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/bad");
            then.status(200).body(r#"[{"id": 1}, {"id": "x"}]"#);
        })
        .await;
    let t = transport(&server);
    let resp = t
        .execute(ApiRequest::get(ApiPath::new("/many")))
        .await
        .unwrap();
    let err = decode_page::<Items<Record>>(&resp, Some(50)).unwrap_err();
    assert!(protocol(&err, "more than the 50 items asked for"), "{err}");
    let all = decode_page::<Items<Record>>(&resp, Some(100_000)).unwrap();
    assert_eq!(all.len(), 100_000);
    let all = decode_page::<Items<Record>>(&resp, None).unwrap();
    assert_eq!(all.len(), 100_000);
    // The transport's ceiling holds for every answer, paged or not.
    let small = TransportBuilder::new("Test", server.base_url())
        .retry_policy(RetryPolicy::disabled())
        .max_items_per_answer(1000)
        .build()
        .unwrap();
    let resp = small
        .execute(ApiRequest::get(ApiPath::new("/many")))
        .await
        .unwrap();
    let err = resp.json::<Items<Record>>().unwrap_err();
    assert!(protocol(&err, "more than 1000 items"), "{err}");
    let err = decode_page::<Items<Record>>(&resp, Some(5000)).unwrap_err();
    assert!(protocol(&err, "more than 1000 items"), "{err}");
    // A plain `Vec` in a model is not counted: models mark their item arrays.
    assert_eq!(resp.json::<Vec<Record>>().unwrap().len(), 100_000);

    // A malformed page gives the usual decode error, with the JSON path.
    let resp = t
        .execute(ApiRequest::get(ApiPath::new("/bad")))
        .await
        .unwrap();
    let err = decode_page::<Items<Record>>(&resp, Some(5)).unwrap_err();
    match err {
        Error::Decode(e) => assert_eq!(e.json_path, "[1].id"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn items_inside_an_envelope_are_counted_across_its_arrays() {
    #[derive(Debug, Deserialize)]
    struct Envelope {
        #[serde(default, deserialize_with = "bounded")]
        incidents: Vec<Value>,
        #[serde(default)]
        body: Option<Box<Envelope>>,
        #[serde(rename = "nextPageToken", default)]
        next: Option<String>,
    }
    let server = MockServer::start_async().await;
    let huge = format!(
        r#"{{"nextPageToken":"b","incidents":[{}]}}"#,
        vec!["{}"; 2_000_000].join(",")
    );
    server
        .mock_async(|when, then| {
            when.path("/huge");
            then.status(200).body(&huge);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/nested");
            then.status(200)
                .body(r#"{"incidents":[{},{}],"body":{"incidents":[{},{}]}}"#);
        })
        .await;
    let t = transport(&server);
    let resp = t
        .execute(ApiRequest::get(ApiPath::new("/huge")))
        .await
        .unwrap();
    let err = decode_page::<Envelope>(&resp, Some(25)).unwrap_err();
    assert!(protocol(&err, "more than the 25 items asked for"), "{err}");
    let resp = t
        .execute(ApiRequest::get(ApiPath::new("/nested")))
        .await
        .unwrap();
    assert!(decode_page::<Envelope>(&resp, Some(3)).is_err());
    let page = decode_page::<Envelope>(&resp, Some(4)).unwrap();
    assert_eq!(page.incidents.len() + page.body.unwrap().incidents.len(), 4);
    assert_eq!(page.next, None);
}
