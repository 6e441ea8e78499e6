//! PTA's plug into the simulator server: authorization, the error bodies, and the handlers,
//! dispatched by hand because IIS matches paths without regard to case.

#![allow(
    clippy::result_large_err,
    reason = "an error is the response itself, built once per refused request"
)]

use std::io;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::PtaOptions;
use super::model::{State as SimState, events_json};
use crate::cached::Cached;
use crate::clock::now_ms;
use crate::server::{MAX_REQUEST_BODY, ServerContext, Sessions};

/// The logon types PVWA takes in `API/auth/{type}/Logon`.
pub(crate) const LOGON_TYPES: &[&str] = &["CyberArk", "LDAP", "RADIUS", "Windows"];

/// CyberArk PTA as a simulated vendor: the state and configuration of a running
/// [`PtaSim`](super::PtaSim), shared by its handlers and its handle.
pub struct Pta {
    pub(crate) state: RwLock<SimState>,
    pub(crate) options: PtaOptions,
    /// The application path, lower case, without slashes (`passwordvault`).
    pub(crate) app: String,
    pub(crate) sessions: Sessions,
}

impl Pta {
    /// The state of a simulator with these options; refuses an empty application path.
    pub(crate) fn open(options: &PtaOptions, sessions: &Sessions) -> io::Result<Pta> {
        let app = options.app_path.trim_matches('/').to_ascii_lowercase();
        if app.is_empty() {
            let message = "the application path is empty";
            return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        }
        let (events, risks) = (options.events, options.risk_events);
        Ok(Pta {
            state: RwLock::new(SimState::seeded(events, risks, options.common.seed())),
            options: options.clone(),
            app,
            sessions: sessions.clone(),
        })
    }
    fn read(&self) -> Result<RwLockReadGuard<'_, SimState>, Response> {
        self.state.read().map_err(|_| {
            pvwa_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "CAWS00001E",
                "The store is unavailable.",
            )
        })
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, SimState>, Response> {
        self.state.write().map_err(|_| {
            pvwa_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "CAWS00001E",
                "The store is unavailable.",
            )
        })
    }

    /// The path below the application, lower case, split into segments, and whether it
    /// ended with a slash; `None` when the path is not under the application.
    fn route(&self, path: &str) -> Option<(Vec<String>, bool)> {
        let lower = path.to_ascii_lowercase();
        let rest = lower.strip_prefix('/')?.strip_prefix(self.app.as_str())?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        let trailing = rest.len() > 1 && rest.ends_with('/');
        Some((
            rest.split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            trailing,
        ))
    }
}

/// A PVWA error body: `{"ErrorCode": ..., "ErrorMessage": ...}`.
pub(crate) fn pvwa_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "ErrorCode": code, "ErrorMessage": message });
    (
        status,
        [(CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// ASP.NET Web API's answer to a path no route matches.
fn no_route(path: &str) -> Response {
    let body = json!({
        "Message": format!("No HTTP resource was found that matches the request URI '{path}'.")
    });
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// ASP.NET Web API's answer to a method a route does not take.
fn wrong_method(method: &Method) -> Response {
    let body = json!({
        "Message": format!("The requested resource does not support http method '{method}'.")
    });
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// The page IIS answers for a path outside any application (a wrong application path).
pub(crate) fn iis_not_found(path: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\r\n<html>\r\n<head><title>The resource cannot be found.</title></head>\r\n\
         <body><h1>Server Error in '/' Application.</h1>\r\n<h2><i>The resource cannot be found.</i></h2>\r\n\
         <b>Description: </b>HTTP 404. The resource you are looking for (or one of its dependencies) \
         could have been removed, had its name changed, or is temporarily unavailable.\r\n\
         <br><b>Requested URL: </b>{}\r\n</body>\r\n</html>",
        path.replace('<', "&lt;")
    );
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn bad_request(message: &str) -> Response {
    pvwa_error(StatusCode::BAD_REQUEST, "CAWS00001E", message)
}

/// The session token of an authorized request, for the logoff.
#[derive(Clone, Debug)]
struct Token(String);

fn is_logon(segments: &[String]) -> bool {
    matches!(segments, [api, auth, _, logon] if api == "api" && auth == "auth" && logon == "logon")
}

/// Pta plugged into the simulator server, through its
/// [`SimVendor`](crate::SimVendor) implementation.
impl Pta {
    pub(crate) fn routes(self: Arc<Self>, _: &ServerContext) -> Router {
        Router::new().fallback(dispatch).with_state(self)
    }

    /// Outside the application: IIS's HTML 404. The logon needs no token; everything else
    /// needs `Authorization: <token>` (401 with `CAIWS001E` without one, `ITATS955E` for an
    /// unknown or expired one, and for `Bearer <token>`).
    pub(crate) fn admit(&self, parts: &mut Parts, sessions: &Sessions) -> Result<(), Response> {
        let path = parts.uri.path().to_owned();
        let Some((segments, _)) = self.route(&path) else {
            return Err(iis_not_found(&path));
        };
        if is_logon(&segments) {
            return Ok(());
        }
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(pvwa_error(
                StatusCode::UNAUTHORIZED,
                "CAIWS001E",
                "Couldn't retrieve session token from request header.",
            ));
        };
        if !sessions.check(&token) {
            return Err(pvwa_error(
                StatusCode::UNAUTHORIZED,
                "ITATS955E",
                "You are unauthorized to perform this action: the session token is invalid or has expired.",
            ));
        }
        parts.extensions.insert(Token(token));
        Ok(())
    }

    pub(crate) fn error_body(&self, status: StatusCode, message: &str) -> Response {
        pvwa_error(status, "CAWS00001E", message)
    }
}

async fn dispatch(State(shared): State<Arc<Pta>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BODY).await else {
        return bad_request("The request body could not be read.");
    };
    let path = parts.uri.path().to_owned();
    let Some((segments, trailing)) = shared.route(&path) else {
        return iis_not_found(&path);
    };
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = &parts.method;
    let result = match segs.as_slice() {
        ["api", "auth", kind, "logon"] => match *method {
            Method::POST => logon(&shared, kind, &body),
            _ => Err(wrong_method(method)),
        },
        ["api", "auth", "logoff"] => match *method {
            Method::POST => logoff(&shared, &parts),
            _ => Err(wrong_method(method)),
        },
        // The collections need their trailing slash, as the documentation writes them.
        ["api", "pta", "api", "events"] if trailing => match *method {
            Method::GET => list_events(&shared, &parts),
            _ => Err(wrong_method(method)),
        },
        ["api", "pta", "api", "events", _] => match *method {
            // The id as sent (the route lower-cases the path).
            Method::PATCH => update_event(&shared, original_segment(&path, 5), &body),
            _ => Err(wrong_method(method)),
        },
        ["api", "pta", "api", "risks", "risksevents"] if trailing => match *method {
            Method::GET => list_risks(&shared, &parts),
            _ => Err(wrong_method(method)),
        },
        ["api", "pta", "api", "risks", "risksevents", _] => match *method {
            Method::PATCH => update_risk(&shared, original_segment(&path, 6), &body),
            _ => Err(wrong_method(method)),
        },
        _ => Err(no_route(&path)),
    };
    result.unwrap_or_else(|e| e)
}

/// The `n`th segment below the application, as sent (case kept).
fn original_segment(path: &str, n: usize) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .nth(n)
        .unwrap_or_default()
        .to_owned()
}

fn json_body(body: &Bytes) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(bad_request("The request body is not a JSON object.")),
    }
}

/// A 200 with JSON text.
fn ok_text(text: String) -> Response {
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "application/json; charset=utf-8")],
        text,
    )
        .into_response()
}

fn ok_json(value: &impl serde::Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(text) => (
            StatusCode::OK,
            [(CONTENT_TYPE, "application/json; charset=utf-8")],
            text,
        )
            .into_response(),
        Err(_) => pvwa_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "CAWS00001E",
            "Serialization failed.",
        ),
    }
}

fn logon(shared: &Pta, kind: &str, body: &Bytes) -> Result<Response, Response> {
    let Some(kind) = LOGON_TYPES.iter().find(|t| t.eq_ignore_ascii_case(kind)) else {
        return Err(no_route(&format!("/{}/API/auth/{kind}/Logon", shared.app)));
    };
    let body = json_body(body)?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default();
    let (username, password) = (text("username"), text("password"));
    if username.is_empty() || password.is_empty() {
        return Err(pvwa_error(
            StatusCode::BAD_REQUEST,
            "PASWS167E",
            "There are some invalid parameters: username and password are required.",
        ));
    }
    // Vault user names compare without regard to case; passwords exactly.
    if !username.eq_ignore_ascii_case(&shared.options.common.user)
        || password != shared.options.common.password.as_str()
    {
        return Err(pvwa_error(
            StatusCode::FORBIDDEN,
            "PASWS013E",
            &format!("Failed to logon. Reason: Authentication failure for User {username}."),
        ));
    }
    let concurrent = body.get("concurrentSession").and_then(Value::as_bool);
    let token = shared.sessions.issue(shared.options.session_ttl);
    let mut state = shared.write()?;
    state.logons.push((*kind).to_owned());
    state.concurrent.push(concurrent);
    Ok(ok_json(&token))
}

fn logoff(shared: &Pta, parts: &Parts) -> Result<Response, Response> {
    if let Some(Token(token)) = parts.extensions.get::<Token>() {
        shared.sessions.revoke(token);
    }
    shared.write()?.logoffs += 1;
    Ok((
        StatusCode::OK,
        [(CONTENT_TYPE, "application/json; charset=utf-8")],
        "",
    )
        .into_response())
}

fn query(parts: &Parts) -> Vec<(String, String)> {
    parts.uri.query().map(url_decode_pairs).unwrap_or_default()
}

/// `a=b&c=d` with `+` as a space and `%XX` decoded, as ASP.NET reads a query string.
fn url_decode_pairs(q: &str) -> Vec<(String, String)> {
    fn hex(b: Option<&u8>) -> Option<u8> {
        (*b? as char).to_digit(16).map(|d| d as u8)
    }
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                    (Some(high), Some(low)) => {
                        out.push(high * 16 + low);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn status_value(raw: &str) -> Result<&'static str, Response> {
    if raw.eq_ignore_ascii_case("open") {
        Ok("OPEN")
    } else if raw.eq_ignore_ascii_case("closed") {
        Ok("CLOSED")
    } else {
        Err(bad_request(&format!(
            "The status '{raw}' is not valid: use OPEN or CLOSED."
        )))
    }
}

/// A date filter in the configured unit, as milliseconds.
fn date_ms(shared: &Pta, name: &str, raw: &str) -> Result<i64, Response> {
    let n: f64 = raw
        .trim()
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
        .ok_or_else(|| bad_request(&format!("The value of {name} is not a number.")))?;
    Ok(if shared.options.dates_in_seconds {
        (n * 1000.0) as i64
    } else {
        n as i64
    })
}

fn list_events(shared: &Pta, parts: &Parts) -> Result<Response, Response> {
    let params = query(parts);
    let status = param(&params, "status").map(status_value).transpose()?;
    let mut from = param(&params, "fromUpdateDate")
        .map(|raw| date_ms(shared, "fromUpdateDate", raw))
        .transpose()?;
    if let Some(header) = parts.headers.get("lastUpdatedEventDate") {
        let raw = String::from_utf8_lossy(header.as_bytes()).into_owned();
        from = Some(date_ms(shared, "lastUpdatedEventDate", &raw)?.max(from.unwrap_or(i64::MIN)));
    }
    let account = param(&params, "accountID");
    let state = shared.read()?;
    let events: Vec<&Cached<Map<String, Value>>> = state
        .events
        .iter()
        .filter(|e| status.is_none_or(|s| e["mStatus"] == s))
        .filter(|e| from.is_none_or(|f| e["lastUpdateTime"].as_i64().is_some_and(|t| t >= f)))
        .filter(|e| {
            account.is_none_or(|a| {
                e["audits"]
                    .as_array()
                    .is_some_and(|audits| audits.iter().any(|x| x["accountId"] == a))
            })
        })
        .collect();
    Ok(ok_text(events_json(events)))
}

fn update_event(shared: &Pta, id: String, body: &Bytes) -> Result<Response, Response> {
    let body = json_body(body)?;
    let status = match body.get("mStatus").and_then(Value::as_str) {
        Some(s) => status_value(s)?,
        None => return Err(bad_request("mStatus is required: OPEN or CLOSED.")),
    };
    let mut state = shared.write()?;
    let Some(event) = state.event_mut(&id) else {
        return Err(pvwa_error(
            StatusCode::NOT_FOUND,
            "CAWS00001E",
            &format!("The security event {id} was not found."),
        ));
    };
    event.insert("mStatus".into(), json!(status));
    event.insert("lastUpdateTime".into(), json!(now_ms()));
    if status == "OPEN" {
        event.remove("closeReason");
        event.remove("reasonText");
    }
    Ok(ok_json(&*event))
}

/// `type eq "X" AND status eq "Y"`: the clauses PVWA documents.
pub(super) fn parse_filter(filter: &str) -> Result<Vec<(String, String)>, Response> {
    let mut clauses = Vec::new();
    let lower = filter.to_ascii_lowercase();
    let mut rest_lower = lower.as_str();
    let mut rest = filter;
    loop {
        let end = rest_lower.find(" and ").unwrap_or(rest_lower.len());
        let clause = rest[..end].trim();
        let mut words = clause.splitn(3, ' ');
        let (Some(field), Some(op), Some(value)) = (words.next(), words.next(), words.next())
        else {
            return Err(bad_request(&format!("The filter '{filter}' is not valid.")));
        };
        if !op.eq_ignore_ascii_case("eq") {
            return Err(bad_request(&format!(
                "The operator '{op}' is not supported."
            )));
        }
        let value = value.trim().trim_matches('"');
        clauses.push((field.to_owned(), value.to_owned()));
        if end == rest_lower.len() {
            return Ok(clauses);
        }
        rest = &rest[end + 5..];
        rest_lower = &rest_lower[end + 5..];
    }
}

fn list_risks(shared: &Pta, parts: &Parts) -> Result<Response, Response> {
    let params = query(parts);
    let clauses = param(&params, "filter")
        .map(parse_filter)
        .transpose()?
        .unwrap_or_default();
    for (field, _) in &clauses {
        if !field.eq_ignore_ascii_case("type") && !field.eq_ignore_ascii_case("status") {
            return Err(bad_request(&format!(
                "The filter field '{field}' is not supported."
            )));
        }
    }
    let number = |name: &str, default: u64| -> Result<u64, Response> {
        match param(&params, name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| bad_request(&format!("The value of {name} is not a number."))),
        }
    };
    let page = number("page", 0)?;
    let size = number("size", 100)?;
    if !(1..=1000).contains(&size) {
        return Err(bad_request("The size must be between 1 and 1000."));
    }
    let state = shared.read()?;
    let mut risks: Vec<&Map<String, Value>> = state
        .risks
        .iter()
        .filter(|r| {
            clauses.iter().all(|(field, value)| {
                r.get(&field.to_ascii_lowercase())
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.eq_ignore_ascii_case(value))
            })
        })
        .collect();
    if let Some(sort) = param(&params, "sort") {
        let (field, descending) = match sort.strip_prefix('-') {
            Some(f) => (f, true),
            None => (sort.trim_start_matches('+'), false),
        };
        let key = if field.eq_ignore_ascii_case("score") {
            "score"
        } else if field.eq_ignore_ascii_case("detectionTime") {
            "detectionTime"
        } else {
            return Err(bad_request(&format!(
                "The sort field '{field}' is not supported."
            )));
        };
        risks.sort_by(|a, b| {
            let (x, y) = (
                a[key].as_f64().unwrap_or(0.0),
                b[key].as_f64().unwrap_or(0.0),
            );
            let o = x.total_cmp(&y);
            if descending { o.reverse() } else { o }
        });
    }
    let start = page.saturating_mul(size) as usize;
    let entities: Vec<&Map<String, Value>> =
        risks.into_iter().skip(start).take(size as usize).collect();
    Ok(ok_json(&json!({ "entities": entities })))
}

fn update_risk(shared: &Pta, id: String, body: &Bytes) -> Result<Response, Response> {
    let body = json_body(body)?;
    let status = match body.get("status").and_then(Value::as_str) {
        Some(s) => status_value(s)?,
        None => return Err(bad_request("status is required: OPEN or CLOSED.")),
    };
    let reason = match body.get("closeReason").and_then(Value::as_str) {
        None => None,
        Some(r) => Some(
            ["HANDLED", "NOTREAL", "OTHER", "NONE"]
                .into_iter()
                .find(|k| k.eq_ignore_ascii_case(r))
                .ok_or_else(|| bad_request(&format!("The close reason '{r}' is not valid.")))?,
        ),
    };
    let text = body.get("reasonText").and_then(Value::as_str);
    if text.is_some_and(|t| t.chars().count() > 100) {
        return Err(bad_request(
            "The reason text is longer than 100 characters.",
        ));
    }
    let mut state = shared.write()?;
    let Some(risk) = state.risk_mut(&id) else {
        return Err(pvwa_error(
            StatusCode::NOT_FOUND,
            "CAWS00001E",
            &format!("The risk event {id} was not found."),
        ));
    };
    risk.insert("status".into(), json!(status));
    risk.remove("closeReason");
    risk.remove("reasonText");
    if status == "CLOSED" {
        risk.insert("closeReason".into(), json!(reason.unwrap_or("NONE")));
        if let Some(t) = text {
            risk.insert("reasonText".into(), json!(t));
        }
    }
    Ok(ok_json(&*risk))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_queries() {
        assert_eq!(
            parse_filter(r#"type eq "RISK_RISKY_SPN" AND status eq "OPEN""#).ok(),
            Some(vec![
                ("type".to_owned(), "RISK_RISKY_SPN".to_owned()),
                ("status".to_owned(), "OPEN".to_owned())
            ])
        );
        assert!(parse_filter("type ne x").is_err());
        assert!(parse_filter("nonsense").is_err());
        assert_eq!(
            url_decode_pairs("filter=type+eq+%22X%22&size=5&x"),
            vec![
                ("filter".to_owned(), "type eq \"X\"".to_owned()),
                ("size".to_owned(), "5".to_owned()),
                ("x".to_owned(), String::new())
            ]
        );
        assert_eq!(
            url_decode_pairs("a=%zz%4"),
            vec![("a".to_owned(), "%zz%4".to_owned())]
        );
    }
}
