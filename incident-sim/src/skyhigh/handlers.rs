//! Skyhigh's plug into the simulator server (authorization, error body), routing and the
//! endpoint handlers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, RawQuery, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::SkyhighOptions;
use super::data::{KNOWN_GROUPS, Rec, information_keys, parse_ms};
use crate::cached::{Cached, push_json_array};
use crate::clock::{iso_ms, now_ms};
use crate::server::sessions::Locked;
use crate::server::{ServerContext, Sessions};

/// The API below the host.
pub(crate) const API: &str = "/shnapi/rest/external/api/v1";
/// The neo-auth token endpoint.
pub(crate) const NEO: &str = "/neo/neo-auth-service/oauth/token";
/// What `source` says in every ResponseInfo.
const SOURCE: &str = "shnapi-sim.node.local.consul";
/// The `limit` when none is given (documentation page: 50) and the most served (500).
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

/// Most incidents a page holds beyond its `limit` in [`PageBoundary::IncludeTies`]: the
/// incidents that share the timestamp of the last one within the limit, up to this many.
/// The same bound as `skyhigh_client::MAX_TIES`.
pub const MAX_TIES: usize = 1_000;

/// How a page of `queryIncidents` ends when later incidents share the timestamp of its last
/// one, and what its `nextStartTime` is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageBoundary {
    /// As Skyhigh documents it (the default): the incidents sharing the timestamp of the last
    /// one within the limit are added to the page, at most [`MAX_TIES`] of them;
    /// `nextStartTime` is the time of the first incident not served, `null` when the window
    /// holds no more.
    #[default]
    IncludeTies,
    /// As some tenants answer: a page stops at the limit and its `nextStartTime` is the time
    /// of its last incident, so the incidents at that instant come again on the next page;
    /// a short page's `nextStartTime` is the end of the window.
    RepeatBoundary,
}

/// The shape of the simulator's answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseShape {
    /// The Spring envelope `{headers, body, statusCode, statusCodeValue}`, as the service
    /// answers (the default).
    #[default]
    Envelope,
    /// The bare object, as the swagger documents it.
    Bare,
}

/// Skyhigh as a simulated vendor: the state and configuration of a running
/// [`SkyhighSim`](super::SkyhighSim), shared by its handlers and its handle.
pub struct Skyhigh {
    /// In ascending (`timeModified`, number) order, each with its JSON text.
    pub(crate) incidents: Locked<Vec<Cached<Rec>>>,
    pub(crate) options: SkyhighOptions,
    pub(crate) envelope: AtomicBool,
    /// [`super::PageBoundary::RepeatBoundary`] rather than the documented default.
    pub(crate) repeat_boundary: AtomicBool,
    /// IAM tokens (step one of the token flow).
    pub(crate) iam_tokens: Sessions,
    /// The server's sessions, where access tokens live (so that `Fault::ExpireSessions`
    /// revokes them).
    pub(crate) sessions: Sessions,
}

impl Skyhigh {
    /// The state of a simulator with these options.
    pub(crate) fn open(options: &SkyhighOptions, sessions: &Sessions) -> Skyhigh {
        Skyhigh {
            incidents: Locked::new(
                super::data::seeded(options.incidents, options.common.seed())
                    .into_iter()
                    .map(Cached::new)
                    .collect(),
            ),
            options: options.clone(),
            envelope: AtomicBool::new(!options.bare),
            repeat_boundary: AtomicBool::new(options.repeat_boundary),
            iam_tokens: Sessions::new(),
            sessions: sessions.clone(),
        }
    }
    /// The answer with `body` in the configured shape.
    fn answer(&self, status: StatusCode, body: Value) -> Response {
        self.answer_text(status, body.to_string())
    }

    /// The answer with `body` (JSON text) in the configured shape.
    fn answer_text(&self, status: StatusCode, body: String) -> Response {
        let doc = if self.envelope.load(Ordering::Relaxed) {
            format!(
                "{{\"body\":{body},\"headers\":{{}},\"statusCode\":\"{}\",\"statusCodeValue\":{}}}",
                status_name(status),
                status.as_u16()
            )
        } else {
            body
        };
        (status, [(CONTENT_TYPE, "application/json")], doc).into_response()
    }

    /// An error answer: a ResponseInfo whose `error` says what went wrong.
    pub(crate) fn error(
        &self,
        status: StatusCode,
        message: &str,
        target: Option<&str>,
    ) -> Response {
        let mut error = json!({"code": status.as_u16(), "message": message});
        if let Some(target) = target {
            error["target"] = json!(target);
        }
        self.answer(
            status,
            json!({"responseInfo": info(0, Some(error), None), "incidents": []}),
        )
    }
}

fn status_name(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("UNKNOWN")
        .to_ascii_uppercase()
        .replace([' ', '-'], "_")
}

fn info(actual_limit: usize, error: Option<Value>, next_start: Option<String>) -> Value {
    json!({
        "actualLimit": actual_limit,
        "apiElapsedMillis": 3 + actual_limit as u64 / 10,
        "error": error,
        "nextOffset": null,
        "nextStartTime": next_start,
        "source": SOURCE,
    })
}

/// Skyhigh plugged into the simulator server, through its
/// [`SimVendor`](crate::SimVendor) implementation.
impl Skyhigh {
    pub(crate) fn routes(self: Arc<Self>, _: &ServerContext) -> Router {
        Router::new()
            .route(&format!("{API}/queryIncidents"), post(query_incidents))
            .route(&format!("{API}/modifyIncidents"), post(modify_incidents))
            .route(
                &format!("{API}/queryIncidentInformationKeys"),
                post(information_keys_handler),
            )
            .route(&format!("{API}/queryIncidentGroups"), post(groups))
            .route(&format!("{API}/token"), post(iam_token))
            .route(NEO, post(neo_token))
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(self)
    }

    /// The token exchange needs no credentials here (it checks its own); everything else
    /// needs Basic or an access token (`x-access-token` or `Authorization: Bearer`).
    #[allow(
        clippy::result_large_err,
        reason = "the rejection is the response itself, built once per refused request"
    )]
    pub(crate) fn admit(&self, parts: &mut Parts, sessions: &Sessions) -> Result<(), Response> {
        let path = parts.uri.path();
        if path == NEO {
            return Ok(());
        }
        if self.options.common.accepts_basic(&parts.headers) {
            return Ok(());
        }
        let token_ok = parts
            .headers
            .get_all("x-access-token")
            .iter()
            .chain(parts.headers.get_all(AUTHORIZATION).iter())
            .filter_map(|v| v.to_str().ok())
            .map(|v| {
                let v = v.trim();
                match v.split_once(' ') {
                    Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
                    _ => v,
                }
            })
            .any(|token| sessions.check(token));
        if token_ok && path != format!("{API}/token") {
            return Ok(());
        }
        Err(self.error(
            StatusCode::UNAUTHORIZED,
            "Full authentication is required to access this resource",
            None,
        ))
    }

    pub(crate) fn error_body(&self, status: StatusCode, message: &str) -> Response {
        self.error(status, message, None)
    }
}

async fn not_found(State(shared): State<Arc<Skyhigh>>) -> Response {
    shared.error(StatusCode::NOT_FOUND, "No such endpoint", None)
}

async fn method_not_allowed(State(shared): State<Arc<Skyhigh>>) -> Response {
    shared.error(
        StatusCode::METHOD_NOT_ALLOWED,
        "Request method not supported",
        None,
    )
}

fn strings(criteria: &Value, name: &str) -> Result<Option<Vec<String>>, String> {
    match criteria.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| name.to_owned()))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(name.to_owned()),
    }
}

fn time_of(criteria: &Value, name: &str) -> Result<Option<i64>, String> {
    match criteria.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => parse_ms(s).map(Some).ok_or_else(|| name.to_owned()),
        Some(_) => Err(name.to_owned()),
    }
}

/// Whether the `incidentCriteria` keeps an incident.
fn incident_criteria_match(rec: &Rec, criteria: &Value) -> bool {
    let sanctioned = rec.kind() != "SHW";
    if let Some(product) = criteria.get("product").and_then(Value::as_str)
        && (product == "SHADOW") == sanctioned
    {
        return false;
    }
    if let Some(categories) = criteria.get("categories").and_then(Value::as_array)
        && !categories.is_empty()
    {
        let mut parts = rec.group.split('.');
        let (kind, category) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let any = categories.iter().any(|c| {
            let t = c.get("incidentType").and_then(Value::as_str).unwrap_or("");
            let type_ok = t == kind || rec.group == t || rec.group.starts_with(&format!("{t}."));
            let cat_ok = c
                .get("category")
                .and_then(Value::as_str)
                .is_none_or(|want| want == category);
            type_ok && cat_ok
        });
        if !any {
            return false;
        }
    }
    if let Some(fields) = criteria.get("fields").and_then(Value::as_object)
        && !fields.is_empty()
    {
        if !sanctioned {
            return false;
        }
        for (name, values) in fields {
            let have = if name == "status" {
                Some(rec.status.clone())
            } else {
                rec.information.get(name).map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            };
            let wanted: Vec<&str> = values
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if !have.is_some_and(|h| wanted.iter().any(|w| *w == h)) {
                return false;
            }
        }
    }
    true
}

async fn query_incidents(
    State(shared): State<Arc<Skyhigh>>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let bad = |message: &str, target: Option<&str>| {
        shared.error(StatusCode::BAD_REQUEST, message, target)
    };
    let params: Vec<(String, String)> = match raw.as_deref() {
        None => Vec::new(),
        Some(q) => match Query::<Vec<(String, String)>>::try_from_uri(
            &format!("/?{q}").parse().unwrap_or_default(),
        ) {
            Ok(Query(p)) => p,
            Err(_) => return bad("The query string is invalid", None),
        },
    };
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let limit = match param("limit").map(str::parse::<usize>) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if n > 0 => n.min(MAX_LIMIT),
        Some(_) => return bad("limit must be a positive integer", Some("limit")),
    };
    let offset = match param("offset").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return bad("offset must be a non-negative integer", Some("offset")),
    };
    let criteria: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) if v.is_object() => v,
            _ => return bad("The request body is not a Criteria object", None),
        }
    };
    let (start, end) = match (
        time_of(&criteria, "startTime"),
        time_of(&criteria, "endTime"),
    ) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(name), _) | (_, Err(name)) => {
            return bad(
                "Invalid date-time; expected yyyy-mm-ddThh:mm:ss[Z([+-]hh:mm)]",
                Some(&name),
            );
        }
    };
    for (min, max) in [
        ("serviceRiskMinimum", "serviceRiskMaximum"),
        ("userRiskMinimum", "userRiskMaximum"),
    ] {
        let (lo, hi) = (criteria.get(min), criteria.get(max));
        if let (Some(lo), Some(hi)) = (lo.and_then(Value::as_i64), hi.and_then(Value::as_i64))
            && lo > hi
        {
            return bad(
                &format!("{max} must be greater than or equal to {min}"),
                Some(&format!("{min},{max}")),
            );
        }
    }
    let (actors, services) = match (
        strings(&criteria, "actorIds"),
        strings(&criteria, "serviceNames"),
    ) {
        (Ok(a), Ok(s)) => (a.filter(|a| !a.is_empty()), s.filter(|s| !s.is_empty())),
        (Err(name), _) | (_, Err(name)) => return bad("Expected a list of strings", Some(&name)),
    };
    let by_created = criteria.get("timesSelection").and_then(Value::as_str) == Some("CREATED_AT")
        || criteria
            .get("createdSinceStartTime")
            .and_then(Value::as_bool)
            == Some(true);
    let now = now_ms();
    let (start, end) = (start.unwrap_or(now), end.unwrap_or(now));
    let incident_criteria = criteria
        .get("incidentCriteria")
        .cloned()
        .unwrap_or(Value::Null);
    let time = |r: &Rec| {
        if by_created {
            r.created_ms
        } else {
            r.modified_ms
        }
    };
    let keep = |r: &&Cached<Rec>| {
        let t = time(r);
        t >= start
            && t < end
            && actors.as_ref().is_none_or(|a| a.contains(&r.actor))
            && services
                .as_ref()
                .is_none_or(|s| r.services.iter().any(|x| s.contains(x)))
            && incident_criteria_match(r, &incident_criteria)
    };
    let repeat_boundary = shared.repeat_boundary.load(Ordering::Relaxed);
    // Enough to fill the page, its ties and the one after them (the next start).
    let wanted = limit.saturating_add(MAX_TIES).saturating_add(1);
    let state = shared.incidents.read();
    let mut matching: Vec<&Cached<Rec>> = if by_created {
        let mut m: Vec<&Cached<Rec>> = state.iter().filter(keep).collect();
        m.sort_by_key(|r| (r.created_ms, r.num));
        m.drain(..offset.min(m.len()));
        m.truncate(wanted);
        m
    } else {
        // Kept sorted by (timeModified, number): start at the first one at `start`.
        let first = state.partition_point(|r| r.modified_ms < start);
        state[first..]
            .iter()
            .take_while(|r| r.modified_ms < end)
            .filter(keep)
            .skip(offset)
            .take(wanted)
            .collect()
    };
    if matching.is_empty() {
        drop(state);
        return shared.error(
            StatusCode::NOT_FOUND,
            "No data was found for provided criteria",
            None,
        );
    }
    let next = if repeat_boundary {
        // A full page continues at its last time (inclusive: its incidents come again); a
        // short one at the end of the window.
        matching.truncate(limit);
        if matching.len() == limit {
            matching.last().map(|r| iso_ms(time(r)))
        } else {
            Some(iso_ms(end))
        }
    } else {
        // As documented: the incidents sharing the last time within the limit stay in the
        // page (up to MAX_TIES of them), and the walk continues at the first one left out,
        // or ends (null) when there is none. (`limit` is at least 1, checked above.)
        let mut served = matching.len().min(limit);
        if let Some(boundary) = matching.get(limit - 1).map(|r| time(r)) {
            while served < matching.len()
                && served < limit + MAX_TIES
                && time(matching[served]) == boundary
            {
                served += 1;
            }
        }
        let next = matching.get(served).map(|r| iso_ms(time(r)));
        matching.truncate(served);
        next
    };
    // Each incident's text is made once (until it changes): the simulator must not be what
    // a benchmark of clients measures.
    let mut body = String::with_capacity(matching.len() * 1024);
    body.push_str("{\"incidents\":");
    push_json_array(
        &mut body,
        matching.iter().map(|r| r.text(|r| r.to_json().to_string())),
    );
    drop(state);
    body.push_str(",\"responseInfo\":");
    body.push_str(&info(limit, None, next).to_string());
    body.push('}');
    shared.answer_text(StatusCode::OK, body)
}

/// `false positive`, `FALSE_POSITIVE`, `False Positive` → `false positive`; `None` for a
/// value that is not a status.
fn workflow_status(value: &str) -> Option<&'static str> {
    let squashed = value.trim().to_ascii_lowercase().replace('_', " ");
    [
        "new",
        "opened",
        "false positive",
        "resolved",
        "suppressed",
        "archived",
    ]
    .into_iter()
    .find(|s| *s == squashed)
}

async fn modify_incidents(State(shared): State<Arc<Skyhigh>>, body: Bytes) -> Response {
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&body) else {
        return shared.error(
            StatusCode::BAD_REQUEST,
            "The body must be an array of {incidentId, changeRequests}",
            None,
        );
    };
    let now = now_ms();
    let mut details = Vec::new();
    let mut applied = 0;
    {
        let mut state = shared.incidents.write();
        for item in &items {
            let id = item.get("incidentId").and_then(Value::as_str).unwrap_or("");
            let detail =
                |code: u16, message: &str| json!({"code": code, "message": message, "target": id});
            let Some(raw) = item
                .get("changeRequests")
                .and_then(|c| c.get("WORKFLOW_STATUS"))
                .and_then(Value::as_str)
            else {
                details.push(detail(400, "changeRequests.WORKFLOW_STATUS is required"));
                continue;
            };
            let Some(status) = workflow_status(raw) else {
                details.push(detail(400, &format!("Unknown WORKFLOW_STATUS '{raw}'")));
                continue;
            };
            let Some(rec) = state.iter_mut().find(|r| r.id == id) else {
                details.push(detail(404, &format!("Incident '{id}' was not found")));
                continue;
            };
            rec.status = status.to_owned();
            rec.modified_ms = now.max(rec.modified_ms);
            applied += 1;
        }
        if applied > 0 {
            state.sort_by_key(|r| (r.modified_ms, r.num));
        }
    }
    let error = (!details.is_empty()).then(|| {
        json!({
            "code": 400,
            "message": format!("{} of {} incidents were not modified", details.len(), items.len()),
            "details": details,
        })
    });
    shared.answer(StatusCode::OK, info(applied, error, None))
}

async fn information_keys_handler(State(shared): State<Arc<Skyhigh>>) -> Response {
    shared.answer(StatusCode::OK, information_keys())
}

async fn groups(State(shared): State<Arc<Skyhigh>>) -> Response {
    let mut all: Vec<String> = KNOWN_GROUPS.iter().map(|g| (*g).to_owned()).collect();
    all.extend(shared.incidents.read().iter().map(|r| r.group.clone()));
    all.sort();
    all.dedup();
    shared.answer(StatusCode::OK, json!(all))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `POST {API}/token?grant_type=password&token_type=iam` with Basic (checked by
/// `authorize`) and an optional `bps-tenant-id`.
async fn iam_token(
    State(shared): State<Arc<Skyhigh>>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if param("grant_type") != Some("password") || param("token_type") != Some("iam") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Expected grant_type=password&token_type=iam",
        );
    }
    if !shared.options.common.accepts_basic(&headers) {
        return oauth_error(StatusCode::UNAUTHORIZED, "unauthorized", "Bad credentials");
    }
    if let (Some(want), Some(got)) = (
        &shared.options.tenant_id,
        headers.get("bps-tenant-id").and_then(|v| v.to_str().ok()),
    ) && want != got
    {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "access_denied",
            "The user has no account in that tenant",
        );
    }
    let token = shared.iam_tokens.issue(Some(Duration::from_secs(600)));
    let body = json!({"access_token": token, "token_type": "bearer", "expires_in": 600});
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `POST /neo/neo-auth-service/oauth/token?grant_type=iam_token` (`x-iam-token`) or
/// `grant_type=password` (`x-auth-username`, `x-auth-password`).
async fn neo_token(
    State(shared): State<Arc<Skyhigh>>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let grant = params
        .iter()
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.as_str());
    let ok = match grant {
        Some("iam_token") => header("x-iam-token").is_some_and(|t| shared.iam_tokens.check(t)),
        Some("password") => {
            header("x-auth-username") == Some(shared.options.common.user.as_str())
                && header("x-auth-password") == Some(shared.options.common.password.as_str())
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Expected grant_type=iam_token or password",
            );
        }
    };
    if !ok {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", "Bad credentials");
    }
    let access = shared.sessions.issue(Some(shared.options.token_ttl));
    let body = json!({
        "access_token": access,
        "token_type": "bearer",
        "refresh_token": format!("refresh-{}", &access[4..]),
        "expires_in": shared.options.token_ttl.as_secs(),
        "scope": "read write",
        "tenantName": "Example Corp",
        "tenantID": 12345,
        "user": shared.options.common.user,
        "userId": 4711,
        "email": shared.options.common.user,
        "jti": format!("jti-{}", &access[4..20]),
    });
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
