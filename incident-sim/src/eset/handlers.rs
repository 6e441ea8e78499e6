//! ESET's plug into the simulator server (bearer tokens, the rate limit, the error body),
//! the OAuth endpoint of the IAM host and the incident management endpoints.
#![allow(
    clippy::result_large_err,
    reason = "a rejection is the response itself, built once per refused request"
)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::EsetOptions;
use super::query::{Filter, Order, is_reason, page_token, read_page_token};
use super::state::{
    CLOSED, Comment, Incident, OPEN, REASONS, SEVERITIES, State as SimState, UNSPECIFIED_REASON,
    USERS, listed, now,
};
use crate::cached::{Cached, push_json_array};
use crate::server::sessions::{Locked, fresh_id, relock};
use crate::server::{ServerContext, Sessions};

/// The page size when `pageSize` is 0 or absent.
const DEFAULT_PAGE_SIZE: usize = 50;
/// The largest page served; a larger `pageSize` is refused.
const MAX_PAGE_SIZE: usize = 1000;
/// Most refresh tokens kept; beyond, the store is emptied (their clients log on again).
const MAX_REFRESH_TOKENS: usize = 10_000;

/// Most API users whose buckets are kept; beyond, the buckets are refilled (forgotten).
const MAX_BUCKETS: usize = 10_000;

/// What every access token starts with, before the index of the API user it was issued to:
/// the rate limit counts per API user, and the token says whose it is.
const TOKEN_PREFIX: &str = "sim-u";

/// A token bucket: bursts of `limit`, refilled at `limit` per second.
#[derive(Debug)]
struct Bucket {
    limit: u32,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(limit: u32) -> Bucket {
        Bucket {
            limit: limit.max(1),
            tokens: f64::from(limit.max(1)),
            last: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        let rate = f64::from(self.limit);
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * rate).min(rate);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The rate limit of the incident host: one bucket per API user (ESET counts per set of API
/// credentials), made full on the user's first request.
#[derive(Debug)]
pub(crate) struct RateLimit {
    per_second: Option<u32>,
    buckets: HashMap<usize, Bucket>,
}

impl RateLimit {
    pub(crate) fn new(per_second: Option<u32>) -> RateLimit {
        RateLimit {
            per_second,
            buckets: HashMap::new(),
        }
    }

    /// Whether the API user `user` may make one more request now.
    fn take(&mut self, user: usize) -> bool {
        let Some(limit) = self.per_second else {
            return true;
        };
        if self.buckets.len() >= MAX_BUCKETS && !self.buckets.contains_key(&user) {
            self.buckets.clear();
        }
        self.buckets
            .entry(user)
            .or_insert_with(|| Bucket::new(limit))
            .take()
    }
}

/// The API user an access token was issued to: the index in its prefix. A token made
/// otherwise (through `sim.sessions()`) counts as the first API user's.
fn token_user(token: &str) -> usize {
    token
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|rest| rest.split_once('-'))
        .and_then(|(index, _)| index.parse().ok())
        .unwrap_or(0)
}

/// ESET Connect as a simulated vendor: the state and configuration of a running
/// [`EsetSim`](super::EsetSim), shared by its handlers and its handle.
pub struct Eset {
    pub(crate) state: Locked<SimState>,
    /// The API users' names and passwords.
    pub(crate) users: Vec<(String, String)>,
    pub(crate) token_lifetime: Duration,
    /// Unspent refresh tokens, with the API user each was issued to.
    pub(crate) refresh_tokens: Mutex<HashMap<String, usize>>,
    pub(crate) rate_limit: Mutex<RateLimit>,
    pub(crate) sessions: Sessions,
    pub(crate) password_grants: AtomicU64,
    pub(crate) refresh_grants: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
}

impl Eset {
    /// The state of a simulator with these options.
    pub(crate) fn open(options: &EsetOptions, sessions: &Sessions) -> Eset {
        let users = std::iter::once((&options.common.user, &options.common.password)).chain(
            options
                .more_users
                .iter()
                .map(|(user, password)| (user, password)),
        );
        Eset {
            state: Locked::new(SimState::seeded(options.incidents, options.common.seed())),
            users: users
                .map(|(user, password)| (user.clone(), password.as_str().to_owned()))
                .collect(),
            token_lifetime: options.token_lifetime,
            refresh_tokens: Mutex::new(HashMap::new()),
            rate_limit: Mutex::new(RateLimit::new(options.rate_limit)),
            sessions: sessions.clone(),
            password_grants: AtomicU64::new(0),
            refresh_grants: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
        }
    }
}

/// The gRPC code grpc-gateway pairs with an HTTP status.
fn grpc_code(status: StatusCode) -> i64 {
    match status.as_u16() {
        400 | 413 => 3,
        401 => 16,
        403 => 7,
        404 => 5,
        409 => 6,
        429 => 8,
        501 => 12,
        503 => 14,
        504 => 4,
        _ => 13,
    }
}

/// A request id in the uuid format ESET uses.
fn request_id() -> String {
    let hex = fresh_id("");
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

fn with_request_id(mut response: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&request_id()) {
        response.headers_mut().insert("request-id", v);
    }
    response
}

/// grpc-gateway's error body, `{"code", "message", "details"}`, with `request-id`.
pub(crate) fn error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({"code": code, "message": message, "details": []});
    with_request_id(
        (
            status,
            [(CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response(),
    )
}

fn invalid(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, 3, message)
}

fn precondition(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, 9, message)
}

fn not_found(uuid: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        5,
        &format!("Requested resource not found: incident {uuid:?}."),
    )
}

fn ok(body: Value) -> Response {
    ok_text(body.to_string())
}

/// A 200 with JSON text.
fn ok_text(body: String) -> Response {
    with_request_id((StatusCode::OK, [(CONTENT_TYPE, "application/json")], body).into_response())
}

/// An OAuth error, as the IAM host answers it.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    with_request_id(
        (
            status,
            [(CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response(),
    )
}

/// Eset plugged into the simulator server, through its
/// [`SimVendor`](crate::SimVendor) implementation.
impl Eset {
    pub(crate) fn routes(self: Arc<Self>, _: &ServerContext) -> Router {
        Router::new().fallback(dispatch).with_state(self)
    }

    /// `/oauth/token` (the IAM host) needs no token; everything else a bearer token the
    /// sessions accept (401 otherwise), then a place in the rate limit (429).
    pub(crate) fn admit(&self, parts: &mut Parts, sessions: &Sessions) -> Result<(), Response> {
        if parts.uri.path() == "/oauth/token" {
            return Ok(());
        }
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let Some(token) = token.map(str::trim).filter(|t| sessions.check(t)) else {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                16,
                "Token has expired or is invalid.",
            ));
        };
        if !relock(&self.rate_limit).take(token_user(token)) {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                8,
                "Rate limit reached. Try again later.",
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            return Err(response);
        }
        Ok(())
    }

    pub(crate) fn error_body(&self, status: StatusCode, message: &str) -> Response {
        error(status, grpc_code(status), message)
    }
}

async fn dispatch(State(shared): State<Arc<Eset>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // The server gate read the body already; this is bounded by MAX_REQUEST_BODY.
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (&parts.method, segments.as_slice()) {
        (&Method::POST, ["oauth", "token"]) => token(&shared, &parts, &body),
        (&Method::GET, ["v2", "incidents"]) => list(&shared, &query),
        (method, ["v2", "incidents", segment]) => {
            let (uuid, verb) = match segment.rsplit_once(':') {
                Some((uuid, verb)) => (decode(uuid), Some(verb)),
                None => (decode(segment), None),
            };
            match (method, verb) {
                (&Method::GET, None) => get(&shared, &uuid),
                (&Method::POST, Some("close")) => close(&shared, &uuid, &body),
                (&Method::POST, Some("reopen")) => reopen(&shared, &uuid, &body),
                _ => unknown(&parts.method, &path),
            }
        }
        (&Method::POST, ["v2", "incidents", uuid, "basic-attributes:update"]) => {
            update(&shared, &decode(uuid), &body)
        }
        (&Method::GET, ["v2", "incidents", uuid, "comments"]) => {
            list_comments(&shared, &decode(uuid), &query)
        }
        (&Method::POST, ["v2", "incidents", uuid, "comments"]) => {
            create_comment(&shared, &decode(uuid), &body)
        }
        (&Method::GET, ["v2", "incidents", uuid, "comments", comment]) => {
            get_comment(&shared, &decode(uuid), &decode(comment))
        }
        (&Method::DELETE, ["v2", "incidents", uuid, "comments", comment]) => {
            delete_comment(&shared, &decode(uuid), &decode(comment))
        }
        (&Method::POST, ["v2", "incidents", uuid, "comments", comment, "text:update"]) => {
            update_comment_text(&shared, &decode(uuid), &decode(comment), &body)
        }
        _ => unknown(&parts.method, &path),
    }
}

fn unknown(method: &Method, path: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        5,
        &format!("No endpoint {method} {path}."),
    )
}

/// Percent-decodes a path segment.
fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn url_form(body: &[u8]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let text = |raw: &[u8]| {
            let plus: Vec<u8> = raw
                .iter()
                .map(|b| if *b == b'+' { b' ' } else { *b })
                .collect();
            decode(&String::from_utf8_lossy(&plus))
        };
        out.insert(text(k), text(v));
    }
    out
}

fn query_params(query: &str) -> HashMap<String, String> {
    url_form(query.as_bytes())
}

/// `POST /oauth/token` on the IAM host: the password and refresh_token grants.
fn token(shared: &Eset, parts: &Parts, body: &[u8]) -> Response {
    let form_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return oauth_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "The token request must be application/x-www-form-urlencoded.",
        );
    }
    let fields = url_form(body);
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or("");
    let user = match field("grant_type") {
        "password" => {
            if field("username").is_empty() || field("password").is_empty() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "username and password are required.",
                );
            }
            let Some(index) = shared
                .users
                .iter()
                .position(|(u, p)| field("username") == u && field("password") == p)
            else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid user credentials.",
                );
            };
            shared.password_grants.fetch_add(1, Ordering::Relaxed);
            index
        }
        "refresh_token" => {
            let presented = field("refresh_token");
            // Refresh tokens are single use: the one presented is spent.
            let Some(index) = relock(&shared.refresh_tokens).remove(presented) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The refresh token is invalid, expired or already used.",
                );
            };
            shared.refresh_grants.fetch_add(1, Ordering::Relaxed);
            index
        }
        "" => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required.",
            );
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be password or refresh_token.",
            );
        }
    };
    let access = fresh_id(&format!("{TOKEN_PREFIX}{user}-"));
    shared
        .sessions
        .insert(access.clone(), Some(shared.token_lifetime));
    let refresh = fresh_id("rt-");
    {
        let mut store = relock(&shared.refresh_tokens);
        if store.len() >= MAX_REFRESH_TOKENS {
            store.clear();
        }
        store.insert(refresh.clone(), user);
    }
    ok(json!({
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": shared.token_lifetime.as_secs().max(1),
    }))
}

fn page_size(params: &HashMap<String, String>) -> Result<usize, Response> {
    match params.get("pageSize").map(|s| s.trim()) {
        None | Some("") | Some("0") => Ok(DEFAULT_PAGE_SIZE),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if n <= MAX_PAGE_SIZE => Ok(n),
            Ok(n) => Err(invalid(&format!(
                "pageSize {n} is larger than the maximum of {MAX_PAGE_SIZE}."
            ))),
            Err(_) => Err(invalid(&format!("pageSize {raw:?} is not a number."))),
        },
    }
}

fn list(shared: &Eset, query: &str) -> Response {
    let params = query_params(query);
    let size = match page_size(&params) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let filter_text = params.get("filter").cloned().unwrap_or_default();
    let order_text = params.get("orderBy").cloned();
    let filter = match Filter::parse(&filter_text) {
        Ok(f) => f,
        Err(e) => return invalid(&format!("Invalid filter: {e}.")),
    };
    let order = match Order::parse(order_text.as_deref()) {
        Ok(o) => o,
        Err(e) => return invalid(&format!("Invalid orderBy: {e}.")),
    };
    let key = format!("{filter_text}\u{0}{}", order_text.unwrap_or_default());
    let start = match params.get("pageToken").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match read_page_token(t, &key) {
            Ok(n) => n,
            Err(e) => return invalid(&format!("Invalid pageToken: {e}.")),
        },
    };
    let state = shared.state.read();
    let all = &state.incidents;
    // Incidents are stored in creation order (seeded so, never created later): a walk of
    // everything in that order is a slice, so that a page costs only its own incidents.
    let (total, page): (usize, Vec<&Cached<Incident>>) =
        match (filter.is_empty(), order.creation_order()) {
            (true, Some(false)) => (all.len(), all.iter().skip(start).take(size).collect()),
            (true, Some(true)) => (all.len(), all.iter().rev().skip(start).take(size).collect()),
            _ => {
                let mut m: Vec<_> = all.iter().filter(|i| filter.matches(i)).collect();
                m.sort_by(|a, b| order.compare(a, b));
                (m.len(), m.into_iter().skip(start).take(size).collect())
            }
        };
    let end = start.saturating_add(size).min(total);
    let next = if end < total {
        page_token(end, &key)
    } else {
        String::new()
    };
    let mut body = String::from("{\"incidents\":");
    push_json_array(&mut body, page.into_iter().map(listed));
    drop(state);
    body.push_str(",\"nextPageToken\":");
    body.push_str(&Value::String(next).to_string());
    body.push('}');
    ok_text(body)
}

fn get(shared: &Eset, uuid: &str) -> Response {
    match shared.state.read().incident(uuid) {
        Some(i) => ok(json!({"incident": i.to_json(true)})),
        None => not_found(uuid),
    }
}

fn json_object(body: &[u8], allow_empty: bool) -> Result<serde_json::Map<String, Value>, Response> {
    if allow_empty && body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(invalid("The request body must be a JSON object.")),
    }
}

/// `basic-attributes:update`: only the fields named in `updateMask` change; a masked field
/// missing from the body is cleared (FieldMask semantics).
fn update(shared: &Eset, uuid: &str, body: &[u8]) -> Response {
    let body = match json_object(body, false) {
        Ok(o) => o,
        Err(r) => return r,
    };
    const FIELDS: [&str; 4] = ["assigneeUuid", "description", "displayName", "severity"];
    for key in body.keys() {
        if !FIELDS.contains(&key.as_str()) && key != "updateMask" {
            return invalid(&format!("Unknown field {key:?} in the request body."));
        }
    }
    let Some(mask) = body
        .get("updateMask")
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty())
    else {
        return invalid("updateMask is required: name the fields to update.");
    };
    let mut paths = Vec::new();
    for raw in mask.split(',') {
        let path = match raw.trim() {
            "assignee_uuid" => "assigneeUuid",
            "display_name" => "displayName",
            p => p,
        };
        if !FIELDS.contains(&path) {
            return invalid(&format!("Invalid updateMask: {path:?} cannot be updated."));
        }
        paths.push(path);
    }
    let text = |name: &str| -> Result<String, Response> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(invalid(&format!("{name} must be a string."))),
        }
    };
    let mut state = shared.state.write();
    let Some(incident) = state.incident_mut(uuid) else {
        return not_found(uuid);
    };
    let mut changed = incident.clone();
    for path in paths {
        let value = match text(path) {
            Ok(v) => v,
            Err(r) => return r,
        };
        match path {
            "assigneeUuid" => {
                if value.is_empty() && changed.status != OPEN {
                    return precondition(
                        "assigneeUuid can only be empty when the status is 'Open'.",
                    );
                }
                if !value.is_empty() && !USERS.contains(&value.as_str()) {
                    return invalid(&format!("assigneeUuid {value:?} is not a user."));
                }
                changed.assignee = value;
            }
            "description" => changed.description = value,
            "displayName" => {
                if value.trim().is_empty() {
                    return invalid("displayName must not be empty.");
                }
                changed.display_name = value;
            }
            _ => match SEVERITIES[1..].iter().find(|s| **s == value) {
                Some(s) => changed.severity = s,
                None => return invalid(&format!("severity {value:?} is not a severity to set.")),
            },
        }
    }
    changed.update_time = now();
    *incident = changed;
    ok(json!({"incident": incident.to_json(true)}))
}

/// `:close`. The reason is an enum whose zero value is `INCIDENT_RESOLVE_REASON_UNSPECIFIED`
/// and one revision of ESET's page marks the body optional: an empty body, no
/// `closureReason`, null, empty or the explicit zero value close the incident with no
/// reason. Only a value that names no reason is refused.
fn close(shared: &Eset, uuid: &str, body: &[u8]) -> Response {
    let body = match json_object(body, true) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let reason = match body.get("closureReason") {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) if r.is_empty() || r == UNSPECIFIED_REASON => None,
        Some(Value::String(r)) if is_reason(r) => REASONS.iter().copied().find(|x| x == r),
        Some(other) => {
            return invalid(&format!(
                "closureReason {other} is not one of {UNSPECIFIED_REASON}, {}.",
                REASONS.join(", ")
            ));
        }
    };
    let comment = match body.get("finalComment") {
        None | Some(Value::Null) => None,
        Some(c) => match c.get("text").and_then(Value::as_str) {
            Some(t) if !t.trim().is_empty() => Some(t.to_owned()),
            _ => return invalid("finalComment.text must not be empty."),
        },
    };
    let mut state = shared.state.write();
    let Some(incident) = state.incident_mut(uuid) else {
        return not_found(uuid);
    };
    if incident.status == CLOSED {
        return precondition("The incident is closed already.");
    }
    let at = now();
    incident.status = CLOSED;
    incident.resolve_reason = reason;
    incident.update_time = at;
    incident.response.get_or_insert(at - incident.create_time);
    let json = incident.to_json(true);
    if let Some(text) = comment {
        state.add_comment(uuid, text, true);
    }
    ok(json!({"incident": json}))
}

fn reopen(shared: &Eset, uuid: &str, body: &[u8]) -> Response {
    if let Err(r) = json_object(body, true) {
        return r;
    }
    let mut state = shared.state.write();
    let Some(incident) = state.incident_mut(uuid) else {
        return not_found(uuid);
    };
    if incident.status != CLOSED {
        return precondition("Only a closed incident can be reopened.");
    }
    incident.status = OPEN;
    incident.resolve_reason = None;
    incident.update_time = now();
    ok(json!({"incident": incident.to_json(true)}))
}

fn list_comments(shared: &Eset, uuid: &str, query: &str) -> Response {
    let params = query_params(query);
    let size = match page_size(&params) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let key = format!("comments\u{0}{uuid}");
    let start = match params.get("pageToken").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match read_page_token(t, &key) {
            Ok(n) => n,
            Err(e) => return invalid(&format!("Invalid pageToken: {e}.")),
        },
    };
    let state = shared.state.read();
    if state.incident(uuid).is_none() {
        return not_found(uuid);
    }
    let all = state
        .comments
        .get(uuid)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let end = start.saturating_add(size).min(all.len());
    let page: Vec<Value> = all
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|c| c.to_json())
        .collect();
    let next = if end < all.len() {
        page_token(end, &key)
    } else {
        String::new()
    };
    ok(json!({"comments": page, "nextPageToken": next}))
}

fn create_comment(shared: &Eset, uuid: &str, body: &[u8]) -> Response {
    let body = match json_object(body, false) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let Some(text) = body
        .get("comment")
        .and_then(|c| c.get("text"))
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
    else {
        return invalid("comment.text must not be empty.");
    };
    let mut state = shared.state.write();
    if state.incident(uuid).is_none() {
        return not_found(uuid);
    }
    let comment = state.add_comment(uuid, text.to_owned(), false);
    ok(json!({"comment": comment.to_json()}))
}

fn comment_not_found(incident: &str, comment: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        5,
        &format!("Requested resource not found: comment {comment:?} of incident {incident:?}."),
    )
}

/// The comment `comment` of incident `uuid`, or the 404 that names what is missing.
fn find_comment<'a>(
    state: &'a mut SimState,
    uuid: &str,
    comment: &str,
) -> Result<&'a mut Comment, Response> {
    if state.incident(uuid).is_none() {
        return Err(not_found(uuid));
    }
    state
        .comments
        .get_mut(uuid)
        .and_then(|all| all.iter_mut().find(|c| c.uuid == comment))
        .ok_or_else(|| comment_not_found(uuid, comment))
}

fn get_comment(shared: &Eset, uuid: &str, comment: &str) -> Response {
    let mut state = shared.state.write();
    match find_comment(&mut state, uuid, comment) {
        Ok(c) => ok(json!({"comment": c.to_json()})),
        Err(r) => r,
    }
}

/// Answers `{}` (grpc-gateway's `google.protobuf.Empty`); a second delete of the same
/// comment is a 404.
fn delete_comment(shared: &Eset, uuid: &str, comment: &str) -> Response {
    let mut state = shared.state.write();
    if let Err(r) = find_comment(&mut state, uuid, comment) {
        return r;
    }
    if let Some(all) = state.comments.get_mut(uuid) {
        all.retain(|c| c.uuid != comment);
    }
    ok(json!({}))
}

/// `text:update` with `{"text"}` (the public client's body) or `{"comment": {"text"}}`.
fn update_comment_text(shared: &Eset, uuid: &str, comment: &str, body: &[u8]) -> Response {
    let body = match json_object(body, false) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let text = body
        .get("text")
        .or_else(|| body.get("comment").and_then(|c| c.get("text")));
    let text = match text {
        Some(Value::String(t)) if !t.trim().is_empty() => t.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return invalid("text must not be empty.");
        }
        Some(_) => return invalid("text must be a string."),
    };
    let mut state = shared.state.write();
    match find_comment(&mut state, uuid, comment) {
        Ok(c) => {
            c.text = text;
            c.update_time = now();
            ok(json!({"comment": c.to_json()}))
        }
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(decode("a%3Ab%2F..%2Fc"), "a:b/../c");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%é%"), "%é%");
        let f = url_form(b"grant_type=password&username=a%40b.c&password=p%26ss+w%3Drd");
        assert_eq!(f["username"], "a@b.c");
        assert_eq!(f["password"], "p&ss w=rd");
    }

    #[test]
    fn the_bucket_bursts_then_refuses() {
        let mut b = Bucket::new(3);
        assert!(b.take() && b.take() && b.take());
        assert!(!b.take());
    }

    #[test]
    fn each_api_user_has_a_bucket_of_its_own() {
        let mut limit = RateLimit::new(Some(2));
        assert!(limit.take(0) && limit.take(0) && !limit.take(0));
        assert!(limit.take(1) && limit.take(1) && !limit.take(1));
        let mut off = RateLimit::new(None);
        assert!((0..100).all(|_| off.take(0)));
        assert_eq!(token_user("sim-u3-0123abcd"), 3);
        assert_eq!(token_user("sim-0123abcd"), 0);
        assert_eq!(token_user("sim-ux-0123"), 0);
    }

    #[test]
    fn request_ids_look_like_uuids() {
        let id = request_id();
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(id.matches('-').count(), 4);
    }
}
