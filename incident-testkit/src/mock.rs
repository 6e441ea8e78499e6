//! httpmock helpers: a server with its client, exact query matching, canned answers.

use std::fmt;

use httpmock::{MockServer, Then, When};
use serde_json::Value;

/// A started [`MockServer`] and a client built against its base URL.
///
/// ```no_run
/// # async fn f() {
/// let api = incident_testkit::mock_api(|url| url.to_owned()).await;
/// assert!(api.client.starts_with("http://"));
/// # }
/// ```
pub struct MockApi<C> {
    /// The mock server; mount mocks on it.
    pub server: MockServer,
    /// The client built by the closure given to [`mock_api`].
    pub client: C,
    build: fn(&str) -> C,
}

impl<C: fmt::Debug> fmt::Debug for MockApi<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockApi")
            .field("url", &self.server.base_url())
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl<C> MockApi<C> {
    /// Another client against the same server, built the same way (e.g. after the first
    /// was moved into a task).
    pub fn new_client(&self) -> C {
        (self.build)(&self.server.base_url())
    }

    /// The server's base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.base_url()
    }
}

/// Starts a mock server and builds a client against its base URL with `build`.
///
/// `build` is a plain function (or a closure that captures nothing), so that
/// [`MockApi::new_client`] can build more clients the same way.
pub async fn mock_api<C>(build: fn(&str) -> C) -> MockApi<C> {
    let server = MockServer::start_async().await;
    let client = build(&server.base_url());
    MockApi {
        server,
        client,
        build,
    }
}

/// Matches exactly these query parameters: each of them, and no other. (httpmock's
/// `query_param` alone lets extra parameters through.)
pub fn exact_query(when: When, query: &[(&str, &str)]) -> When {
    let mut when = when;
    let mut want: Vec<(String, String)> = Vec::with_capacity(query.len());
    for (name, value) in query {
        when = when.query_param(*name, *value);
        want.push((name.to_string(), value.to_string()));
    }
    want.sort();
    when.is_true(move |req| {
        let mut got = req.query_params();
        got.sort();
        got == want
    })
}

/// Answers `status` with `body` as `application/json`.
pub fn json_reply(then: Then, status: u16, body: &Value) -> Then {
    then.status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
}

/// Answers `status` with an HTML page, as a proxy or load balancer in front of the API
/// does.
pub fn html(then: Then, status: u16, page: &str) -> Then {
    then.status(status)
        .header("content-type", "text/html")
        .body(page)
}

/// Answers `status` with `text/plain`.
pub fn text(then: Then, status: u16, body: &str) -> Then {
    then.status(status)
        .header("content-type", "text/plain")
        .body(body)
}
