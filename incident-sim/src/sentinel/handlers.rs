//! Sentinel's plug into the simulator server (authorization, fault body), routing and
//! the endpoint handlers.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::SentinelOptions;
use super::model::{State as SimState, USERS};
use crate::cached::{Cached, push_json_array};
use crate::clock::{iso_ms, now_ms};
use crate::server::sessions::Locked;
use crate::server::{ServerContext, Sessions};

/// The authentication service's token collection.
pub(crate) const TOKENS: &str = "/SentinelAuthServices/auth/tokens";

/// Sentinel as a simulated vendor: the state and configuration of a running
/// [`SentinelSim`](super::SentinelSim), shared by its handlers and its handle.
pub struct Sentinel {
    pub(crate) state: Locked<SimState>,
    pub(crate) options: SentinelOptions,
    pub(crate) issued: AtomicU64,
    pub(crate) deleted: AtomicU64,
    pub(crate) sessions: Sessions,
}

impl Sentinel {
    /// The state of a simulator with these options; the incidents are seeded when the
    /// server's address, which their links name, is known.
    pub(crate) fn open(options: &SentinelOptions, sessions: &Sessions) -> Sentinel {
        Sentinel {
            state: Locked::default(),
            options: options.clone(),
            issued: AtomicU64::new(0),
            deleted: AtomicU64::new(0),
            sessions: sessions.clone(),
        }
    }
}

/// The token of an `Authorization: X-SAML <token>` header.
fn saml_token(headers: &HeaderMap) -> Option<&str> {
    headers.get_all(AUTHORIZATION).iter().find_map(|v| {
        let (scheme, token) = v.to_str().ok()?.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("x-saml").then(|| token.trim())
    })
}

/// A fault answer. Sentinel documents no fault body; the simulator answers a small JSON
/// object with the message and the status.
pub(crate) fn fault(status: StatusCode, message: &str) -> Response {
    let body = json!({"message": message, "status": status.as_u16()});
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Sentinel plugged into the simulator server, through its
/// [`SimVendor`](crate::SimVendor) implementation.
impl Sentinel {
    pub(crate) fn routes(self: Arc<Self>, ctx: &ServerContext) -> Router {
        let options = &self.options;
        let base = options.link_base.as_deref().unwrap_or(ctx.url());
        *self.state.write() = SimState::seeded(base, options.incidents, options.common.seed());
        router(self)
    }

    /// The token service takes Basic credentials (and, to delete a token, that token as
    /// `X-SAML`); everything else needs a live `X-SAML` token.
    #[allow(
        clippy::result_large_err,
        reason = "the rejection is the response itself, built once per refused request"
    )]
    pub(crate) fn admit(&self, parts: &mut Parts, sessions: &Sessions) -> Result<(), Response> {
        let path = parts.uri.path();
        let headers = &parts.headers;
        let ok = if path == TOKENS && parts.method == Method::POST {
            self.options.common.accepts_basic(headers)
        } else if path.starts_with(TOKENS) && parts.method == Method::DELETE {
            self.options.common.accepts_basic(headers)
                || saml_token(headers).is_some_and(|t| sessions.check(t))
        } else {
            saml_token(headers).is_some_and(|t| sessions.check(t))
        };
        if ok {
            Ok(())
        } else {
            Err(fault(
                StatusCode::UNAUTHORIZED,
                "Authentication failed: missing, invalid or expired credentials.",
            ))
        }
    }

    pub(crate) fn error_body(&self, status: StatusCode, message: &str) -> Response {
        fault(status, message)
    }
}

fn router(shared: Arc<Sentinel>) -> Router {
    Router::new()
        .route(TOKENS, axum::routing::post(issue_token))
        .route(
            "/SentinelAuthServices/auth/tokens/{token}",
            axum::routing::delete(delete_token),
        )
        .route(
            "/SentinelRESTServices/objects/incident",
            get(list_incidents).post(create_incident),
        )
        .route(
            "/SentinelRESTServices/objects/incident/{id}",
            get(get_incident).put(put_incident).delete(delete_incident),
        )
        .route(
            "/SentinelRESTServices/objects/incident-events",
            get(list_events),
        )
        .route(
            "/SentinelRESTServices/objects/incident-events/{event}/{incident}",
            get(get_event),
        )
        .route(
            "/SentinelRESTServices/objects/external-data/{id}",
            get(get_external_data),
        )
        .route(
            "/SentinelRESTServices/objects/annotation/{id}",
            get(get_annotation),
        )
        .fallback(|uri: Uri| async move {
            fault(
                StatusCode::NOT_FOUND,
                &format!("No resource at {}.", uri.path()),
            )
        })
        .method_not_allowed_fallback(|method: Method, uri: Uri| async move {
            fault(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("Method {method} is not allowed for {}.", uri.path()),
            )
        })
        .with_state(shared)
}

/// A refused request: the status and message of its fault answer.
#[derive(Debug)]
pub(crate) struct Refusal {
    status: StatusCode,
    message: String,
}

fn refuse(status: StatusCode, message: &str) -> Refusal {
    Refusal {
        status,
        message: message.to_owned(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        fault(self.status, &self.message)
    }
}

type Answer = Result<Response, Refusal>;

fn bad_request(message: &str) -> Refusal {
    refuse(StatusCode::BAD_REQUEST, message)
}

fn json_answer(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn params(uri: &Uri) -> Result<Vec<(String, String)>, Refusal> {
    match uri.query() {
        None => Ok(Vec::new()),
        Some(_) => Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map(|q| q.0)
            .map_err(|e| bad_request(&format!("The query string is invalid: {e}"))),
    }
}

fn number_param(params: &[(String, String)], name: &str) -> Result<Option<u64>, Refusal> {
    match params.iter().rfind(|(k, _)| k == name) {
        None => Ok(None),
        Some((_, v)) => match v.parse::<u64>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(bad_request(&format!(
                "{name} must be a whole number from 1, got '{v}'."
            ))),
        },
    }
}

fn id_of(raw: &str) -> Result<u64, Refusal> {
    raw.parse::<u64>()
        .ok()
        .filter(|id| *id >= 1)
        .ok_or_else(|| refuse(StatusCode::NOT_FOUND, &format!("No incident '{raw}'.")))
}

// ---------------------------------------------------------------------------------------
// tokens
// ---------------------------------------------------------------------------------------

async fn issue_token(State(sh): State<Arc<Sentinel>>) -> Answer {
    let token = sh.sessions.issue(sh.options.token_ttl);
    sh.issued.fetch_add(1, Ordering::Relaxed);
    Ok(json_answer(StatusCode::OK, &json!({"Token": token})))
}

async fn delete_token(State(sh): State<Arc<Sentinel>>, Path(token): Path<String>) -> Answer {
    if sh.sessions.revoke(&token) {
        sh.deleted.fetch_add(1, Ordering::Relaxed);
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(refuse(StatusCode::NOT_FOUND, "No such token."))
    }
}

// ---------------------------------------------------------------------------------------
// lists
// ---------------------------------------------------------------------------------------

/// An element of a list: its JSON, and its JSON text.
trait Listed {
    fn value(&self) -> &Value;
    fn text(&self) -> Cow<'_, str>;
}

impl Listed for Value {
    fn value(&self) -> &Value {
        self
    }

    fn text(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

/// An incident, sent as the text it keeps until it changes.
impl Listed for Cached<Value> {
    fn value(&self) -> &Value {
        self
    }

    fn text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.json())
    }
}

/// Answers one page of a list of `total` items as `{"objects", "next", "prev"}`, with
/// `next` and `prev` absolute URLs that keep every other parameter. `items(skip, take)`
/// gives the page's items, so that a page of a large list costs only its own items.
fn page<'a, T, I>(
    base: &str,
    path: &str,
    params: &[(String, String)],
    total: usize,
    items: impl FnOnce(usize, usize) -> I,
) -> Answer
where
    T: Listed + 'a,
    I: Iterator<Item = &'a T>,
{
    let number = number_param(params, "page")?.unwrap_or(1);
    let size = number_param(params, "pagesize")?;
    let fields: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "field")
        .map(|(_, v)| v.as_str())
        .collect();
    let total = total as u64;
    let (start, end) = match size {
        None => (0, total),
        Some(size) => {
            let start = (number - 1).saturating_mul(size).min(total);
            (start, start.saturating_add(size).min(total))
        }
    };
    let selected = items(start as usize, (end - start) as usize);
    let mut body = String::from("{\"objects\":");
    if fields.is_empty() {
        let texts: Vec<Cow<'_, str>> = selected.map(Listed::text).collect();
        push_json_array(&mut body, texts.iter().map(|t| t.as_ref()));
    } else {
        let projected: Vec<String> = selected
            .map(|v| project(v.value().clone(), &fields).to_string())
            .collect();
        push_json_array(&mut body, projected.iter().map(String::as_str));
    }
    let link = |n: u64| {
        let mut query = url_encode_pairs(params.iter().filter(|(k, _)| k != "page"));
        query.push_str(&format!("&page={n}"));
        Value::String(format!("{base}{path}?{}", query.trim_start_matches('&'))).to_string()
    };
    if size.is_some() && end < total {
        body.push_str(",\"next\":");
        body.push_str(&link(number + 1));
    }
    if number > 1 {
        body.push_str(",\"prev\":");
        body.push_str(&link(number - 1));
    }
    body.push('}');
    Ok((StatusCode::OK, [(CONTENT_TYPE, "application/json")], body).into_response())
}

/// The incidents from the `skip`-th on, in id order: a seek when the ids have no gap (as
/// seeded, until incidents are deleted), else a walk over the first `skip` ids.
fn incidents_from(
    incidents: &BTreeMap<u64, Cached<Value>>,
    skip: usize,
) -> impl Iterator<Item = &Cached<Value>> {
    let dense = match (incidents.first_key_value(), incidents.last_key_value()) {
        (Some((first, _)), Some((last, _))) => last - first + 1 == incidents.len() as u64,
        _ => false,
    };
    let from = if dense {
        incidents
            .first_key_value()
            .map(|(first, _)| first + skip as u64)
    } else {
        incidents.keys().nth(skip).copied()
    };
    from.into_iter()
        .flat_map(move |from| incidents.range(from..))
        .map(|(_, incident)| incident)
}

fn url_encode_pairs<'a>(pairs: impl Iterator<Item = &'a (String, String)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        out.push('&');
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Keeps only the named fields (and `meta`); `[none]` keeps `meta` only.
fn project(value: Value, fields: &[&str]) -> Value {
    if fields.is_empty() {
        return value;
    }
    let Value::Object(map) = value else {
        return value;
    };
    let kept = map
        .into_iter()
        .filter(|(k, _)| k == "meta" || fields.contains(&k.as_str()))
        .collect();
    Value::Object(kept)
}

/// The simulator's subset of a `query` filter: `field:value` terms joined by ` AND `, each
/// an equality on a top-level field (strings compared without regard to case). Sentinel's
/// TinyQ grammar is not public; anything else is refused with 400.
pub(super) fn filter(query: Option<&str>) -> Result<Vec<(String, String)>, Refusal> {
    let Some(query) = query.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(Vec::new());
    };
    query
        .split(" AND ")
        .map(|term| {
            let (field, value) = term.trim().split_once(':').ok_or_else(|| {
                bad_request(&format!(
                    "Unsupported query '{query}': use field:value terms."
                ))
            })?;
            Ok((field.trim().to_owned(), value.trim().to_owned()))
        })
        .collect()
}

pub(super) fn matches(object: &Value, terms: &[(String, String)]) -> bool {
    terms
        .iter()
        .all(|(field, want)| match &object[field.as_str()] {
            Value::String(s) => s.eq_ignore_ascii_case(want),
            Value::Number(n) => n.to_string() == *want,
            _ => false,
        })
}

async fn list_incidents(State(sh): State<Arc<Sentinel>>, uri: Uri) -> Answer {
    let params = params(&uri)?;
    let query = params
        .iter()
        .rfind(|(k, _)| k == "query")
        .map(|(_, v)| v.as_str());
    let terms = filter(query)?;
    let st = sh.state.read();
    let path = uri.path();
    if terms.is_empty() {
        return page(&st.base, path, &params, st.incidents.len(), |skip, take| {
            incidents_from(&st.incidents, skip).take(take)
        });
    }
    let items: Vec<&Cached<Value>> = st
        .incidents
        .values()
        .filter(|i| matches(i, &terms))
        .collect();
    page(&st.base, path, &params, items.len(), |skip, take| {
        items.iter().copied().skip(skip).take(take)
    })
}

async fn list_events(State(sh): State<Arc<Sentinel>>, uri: Uri) -> Answer {
    let params = params(&uri)?;
    let query = params
        .iter()
        .rfind(|(k, _)| k == "query")
        .map(|(_, v)| v.as_str());
    let st = sh.state.read();
    let items: Vec<&Value> = match query {
        None => st.events.values().flatten().collect(),
        // The form of the incident's `events` link: incident-id.e{id}.
        Some(q) => {
            let id = q
                .strip_prefix("incident-id.e")
                .and_then(|id| id.parse::<u64>().ok())
                .ok_or_else(|| {
                    bad_request(&format!("Unsupported query '{q}': use incident-id.e<id>."))
                })?;
            st.events
                .get(&id)
                .map(|e| e.iter().collect())
                .unwrap_or_default()
        }
    };
    page(&st.base, uri.path(), &params, items.len(), |skip, take| {
        items.iter().copied().skip(skip).take(take)
    })
}

// ---------------------------------------------------------------------------------------
// incidents
// ---------------------------------------------------------------------------------------

async fn get_incident(State(sh): State<Arc<Sentinel>>, Path(raw): Path<String>) -> Answer {
    let id = id_of(&raw)?;
    let st = sh.state.read();
    let incident = st
        .incidents
        .get(&id)
        .ok_or_else(|| refuse(StatusCode::NOT_FOUND, &format!("No incident {id}.")))?;
    Ok(json_answer(StatusCode::OK, incident))
}

async fn delete_incident(State(sh): State<Arc<Sentinel>>, Path(raw): Path<String>) -> Answer {
    let id = id_of(&raw)?;
    let mut st = sh.state.write();
    st.incidents
        .remove(&id)
        .ok_or_else(|| refuse(StatusCode::NOT_FOUND, &format!("No incident {id}.")))?;
    st.events.remove(&id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Whether serialized JSON holds a `\uXXXX` escape (an escaped backslash followed by `u`
/// is not one): Sentinel's parser refuses them.
pub(crate) fn has_unicode_escape(json: &[u8]) -> bool {
    let mut bytes = json.iter();
    while let Some(&b) = bytes.next() {
        if b == b'\\' {
            match bytes.next() {
                Some(b'u') => return true,
                Some(_) => {}
                None => return false,
            }
        }
    }
    false
}

/// The writable fields of an incident in a request body, checked: strings, integers,
/// arrays of URL strings, the events link. Server-set fields are ignored.
fn incident_body(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    if has_unicode_escape(body) {
        return Err(bad_request(
            "Invalid JSON: \\u escape sequences are not supported; send UTF-8.",
        ));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad_request(&format!("Invalid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(bad_request("An incident must be a JSON object."));
    };
    let mut out = Map::new();
    for (key, value) in map {
        let ok = match key.as_str() {
            "meta" | "createdate" | "moddate" | "creator" | "modifier" => continue,
            "name" | "desc" | "category" | "resolution" | "state" => {
                value.is_string() || value.is_null()
            }
            "severity" | "priority" => value.is_i64() || value.is_null(),
            "sev-rating" | "crit-rating" | "vuln-rating" => {
                value.is_string() || value.is_number() || value.is_null()
            }
            "users" | "attachments" | "annotations" | "notes" | "external-datas"
            | "workflow-infos" => value
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_string)),
            "events" => value.is_object(),
            _ => true,
        };
        if !ok {
            return Err(bad_request(&format!(
                "The field '{key}' has a value of the wrong type: {value}"
            )));
        }
        if key == "severity" && value.as_i64().is_some_and(|s| !(0..=5).contains(&s)) {
            return Err(bad_request("severity must be between 0 and 5."));
        }
        if key == "state" && value.as_str().is_some_and(|s| s.trim().is_empty()) {
            return Err(bad_request("state must not be empty."));
        }
        out.insert(key, value);
    }
    Ok(out)
}

/// The user (its URL) a request acts as: the first configured user.
fn actor(st: &SimState) -> Value {
    Value::String(st.href("user", USERS[0].0))
}

async fn create_incident(State(sh): State<Arc<Sentinel>>, body: Bytes) -> Answer {
    let fields = incident_body(&body)?;
    let mut st = sh.state.write();
    let id = st.next_incident;
    st.next_incident += 1;
    let now = iso_ms(now_ms());
    let mut incident = Map::new();
    incident.insert("meta".into(), st.meta("incident", id));
    incident.insert("state".into(), json!("OPEN"));
    incident.insert("users".into(), json!([]));
    incident.extend(fields);
    incident.insert("createdate".into(), json!(now));
    incident.insert("moddate".into(), json!(now));
    incident.insert("creator".into(), actor(&st));
    incident.insert("modifier".into(), actor(&st));
    incident.insert("events".into(), st.events_link(id));
    let incident = Value::Object(incident);
    let href = st.href("incident", id);
    st.incidents.insert(id, Cached::new(incident.clone()));
    let mut response = json_answer(StatusCode::CREATED, &incident);
    if let Ok(location) = href.parse() {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// Merges the fields of the body into the incident (fields left out are kept) and answers
/// a bare 200, as the documentation's sample shows.
async fn put_incident(
    State(sh): State<Arc<Sentinel>>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Answer {
    let id = id_of(&raw)?;
    let fields = incident_body(&body)?;
    let mut st = sh.state.write();
    let modifier = actor(&st);
    let incident = st
        .incidents
        .get_mut(&id)
        .and_then(|incident| incident.as_object_mut())
        .ok_or_else(|| refuse(StatusCode::NOT_FOUND, &format!("No incident {id}.")))?;
    incident.extend(fields);
    let now = now_ms();
    // Strictly after the last change, even within one millisecond.
    let last = incident
        .get("moddate")
        .and_then(Value::as_str)
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .map_or(0, |t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
    incident.insert("moddate".into(), json!(iso_ms(now.max(last + 1))));
    incident.insert("modifier".into(), modifier);
    Ok(StatusCode::OK.into_response())
}

// ---------------------------------------------------------------------------------------
// other objects
// ---------------------------------------------------------------------------------------

async fn get_event(
    State(sh): State<Arc<Sentinel>>,
    Path((event, incident)): Path<(String, String)>,
) -> Answer {
    let st = sh.state.read();
    let found = incident
        .parse::<u64>()
        .ok()
        .and_then(|id| st.events.get(&id))
        .and_then(|events| {
            events.iter().find(|e| {
                e["event-id"]
                    .as_str()
                    .is_some_and(|id| id.eq_ignore_ascii_case(&event))
            })
        })
        .ok_or_else(|| refuse(StatusCode::NOT_FOUND, "No such incident event."))?;
    Ok(json_answer(StatusCode::OK, found))
}

async fn get_external_data(State(sh): State<Arc<Sentinel>>, Path(raw): Path<String>) -> Answer {
    let st = sh.state.read();
    raw.parse::<u64>()
        .ok()
        .and_then(|id| st.external_data.get(&id))
        .map(|v| json_answer(StatusCode::OK, v))
        .ok_or_else(|| refuse(StatusCode::NOT_FOUND, &format!("No external data '{raw}'.")))
}

async fn get_annotation(State(sh): State<Arc<Sentinel>>, Path(raw): Path<String>) -> Answer {
    let st = sh.state.read();
    raw.parse::<u64>()
        .ok()
        .and_then(|id| st.annotations.get(&id))
        .map(|v| json_answer(StatusCode::OK, v))
        .ok_or_else(|| refuse(StatusCode::NOT_FOUND, &format!("No annotation '{raw}'.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_escapes_and_bodies() {
        assert!(has_unicode_escape(br#"{"a":"\u00e9"}"#));
        assert!(!has_unicode_escape(br#"{"a":"C:\\users"}"#));
        assert!(incident_body("{\"resolution\":\"verrouillé\"}".as_bytes()).is_ok());
        assert!(incident_body(br#"{"resolution":"verrouill\u00e9"}"#).is_err());
        assert!(incident_body(br#"{"severity":"high"}"#).is_err());
        assert!(incident_body(br#"{"severity":9}"#).is_err());
        assert!(incident_body(br#"{"users":[1]}"#).is_err());
        assert!(incident_body(br#"[]"#).is_err());
        let kept =
            incident_body(br#"{"meta":{},"moddate":"x","state":"CLOSED","x-new":1}"#).unwrap();
        assert_eq!(kept.len(), 2);
    }

    #[test]
    fn query_subset() {
        assert!(filter(None).unwrap().is_empty());
        let terms = filter(Some("state:OPEN AND severity:5")).unwrap();
        assert!(matches(&json!({"state": "open", "severity": 5}), &terms));
        assert!(!matches(&json!({"state": "OPEN", "severity": 4}), &terms));
        assert!(filter(Some("state = OPEN")).is_err());
    }
}
