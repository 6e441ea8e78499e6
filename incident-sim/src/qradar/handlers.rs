//! QRadar's plug into the simulator server (authorization, error body),
//! routing and the endpoint handlers.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::Json;
use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::header::{CONTENT_RANGE, CONTENT_TYPE, COOKIE, RANGE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use super::QRadarOptions;
use super::error::ApiError;
use super::model::{
    ClosingReason, Note, OFFENSE_TYPES, Offense, OffenseType, SEC_USER, State as SimState, Status,
    USERS, User, known_user,
};
use super::query::{
    FieldSel, Filter, ItemRange, Record, Sort, json_array, page_bounds, parse_fields, parse_range,
    project, select,
};
use crate::cached::Cached;
use crate::clock::now_ms;
use crate::server::sessions::fresh_id;
use crate::server::{ServerContext, ServerOptions, Sessions};

/// The name of the session cookie, and of the header that carries its value back.
pub(crate) const SEC: &str = "SEC";

/// What every session token a Basic-authenticated answer hands out starts with, so that
/// it is told apart from authorized-service tokens (which get no cookie).
pub(crate) const SESSION_PREFIX: &str = "sim-session-";

/// IBM QRadar as a simulated vendor: the state and configuration of a running
/// [`QRadarSim`](super::QRadarSim), shared by its handlers and its handle.
pub struct QRadar {
    pub(crate) state: RwLock<SimState>,
    pub(crate) options: QRadarOptions,
    /// Whether the server speaks HTTPS: the cookie is then marked `Secure`, as a console's
    /// is (over plain HTTP a `Secure` cookie would never be sent back).
    pub(crate) https: bool,
    /// The server's sessions, for the logout handler.
    pub(crate) sessions: Sessions,
}

impl QRadar {
    /// The state of a simulator with these options, on this server; the configured token
    /// is a session that never expires by itself.
    pub(crate) fn open(
        options: &QRadarOptions,
        server: &ServerOptions,
        sessions: &Sessions,
    ) -> QRadar {
        sessions.insert(options.token.as_str(), None);
        QRadar {
            state: RwLock::new(SimState::seeded(options.offenses, options.common.seed())),
            options: options.clone(),
            https: server.is_https(),
            sessions: sessions.clone(),
        }
    }
}

/// How a request proved who it is.
enum Credential {
    /// An authorized-service token in the `SEC` header (the configured one, or another
    /// the sessions accept that no Basic logon handed out).
    ServiceToken,
    /// A session token a Basic-authenticated answer handed out, sent back in the `SEC`
    /// header (as the Ansible collection does) or in the `SEC` cookie.
    Session(String),
    /// HTTP Basic with the configured credentials.
    Basic(String),
}

impl QRadar {
    fn read(&self) -> Result<RwLockReadGuard<'_, SimState>, ApiError> {
        self.state
            .read()
            .map_err(|_| ApiError::internal("The offense store is unavailable."))
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, SimState>, ApiError> {
        self.state
            .write()
            .map_err(|_| ApiError::internal("The offense store is unavailable."))
    }

    /// The credential of a request, or `None` when none matches: a `SEC` header the
    /// sessions accept (the configured token is one), a `SEC` cookie they accept, or the
    /// configured Basic credentials, in that order.
    fn authenticate(&self, headers: &HeaderMap, sessions: &Sessions) -> Option<Credential> {
        let classify = |token: &str| {
            if token.starts_with(SESSION_PREFIX) {
                Credential::Session(token.to_owned())
            } else {
                Credential::ServiceToken
            }
        };
        if let Some(token) = headers
            .get_all("sec")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|token| sessions.check(token))
        {
            return Some(classify(token));
        }
        if let Some(token) = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name.trim() == SEC).then(|| value.trim())
            })
            .find(|token| sessions.check(token))
        {
            return Some(classify(token));
        }
        self.options
            .common
            .accepts_basic(headers)
            .then(|| Credential::Basic(self.options.common.user.clone()))
    }

    /// The `Set-Cookie` value that hands out (or confirms) a session.
    fn cookie(&self, token: &str) -> Option<HeaderValue> {
        let secure = if self.https { "; Secure" } else { "" };
        HeaderValue::from_str(&format!("{SEC}={token}; Path=/{secure}; HttpOnly")).ok()
    }
}

/// The authenticated user of a request, put in the extensions by
/// [`QRadarVendor::authorize`].
#[derive(Clone, Debug)]
struct Actor(String);

/// The session a request was answered in, put in the extensions by
/// [`QRadarVendor::authorize`]; its answer carries it in `Set-Cookie`.
#[derive(Clone, Debug)]
struct SessionCookie(String);

/// QRadar plugged into the simulator server, through its
/// [`SimVendor`](crate::SimVendor) implementation.
impl QRadar {
    pub(crate) fn routes(self: Arc<Self>, _: &ServerContext) -> Router {
        router(self)
    }

    /// Credentials first (401), then the `Version` header (422). A Basic-authenticated
    /// request that passes both opens a session, whose token its answer hands out in the
    /// `SEC` cookie, as a console does; an answer in a session carries the cookie again.
    #[allow(
        clippy::result_large_err,
        reason = "the rejection is the response itself, built once per refused request"
    )]
    pub(crate) fn admit(&self, parts: &mut Parts, sessions: &Sessions) -> Result<(), Response> {
        let Some(credential) = self.authenticate(&parts.headers, sessions) else {
            return Err(ApiError::unauthorized().into_response());
        };
        for v in parts.headers.get_all("version") {
            if !v.to_str().is_ok_and(is_api_version) {
                let shown = String::from_utf8_lossy(v.as_bytes()).into_owned();
                return Err(ApiError::invalid_param(format!(
                    "Version header '{shown}' is not a valid API version."
                ))
                .into_response());
            }
        }
        let (actor, session) = match credential {
            Credential::ServiceToken => (SEC_USER.to_owned(), None),
            Credential::Session(token) => (self.options.common.user.clone(), Some(token)),
            Credential::Basic(user) => {
                let token = fresh_id(SESSION_PREFIX);
                sessions.insert(token.clone(), self.options.session_ttl);
                (user, Some(token))
            }
        };
        parts.extensions.insert(Actor(actor));
        if let Some(token) = session {
            parts.extensions.insert(SessionCookie(token));
        }
        Ok(())
    }

    pub(crate) fn error_body(&self, status: StatusCode, message: &str) -> Response {
        ApiError::for_status(status, message).into_response()
    }
}

fn router(shared: Arc<QRadar>) -> Router {
    Router::new()
        .route("/api/siem/offenses", get(list_offenses))
        .route(
            "/api/siem/offenses/{offense_id}",
            get(get_offense).post(update_offense),
        )
        .route(
            "/api/siem/offenses/{offense_id}/notes",
            get(list_notes).post(create_note),
        )
        .route(
            "/api/siem/offenses/{offense_id}/notes/{note_id}",
            get(get_note),
        )
        .route(
            "/api/siem/offenses/{offense_id}/assignable_actors",
            get(list_actors),
        )
        .route(
            "/api/siem/offense_closing_reasons",
            get(list_closing_reasons).post(create_closing_reason),
        )
        .route(
            "/api/siem/offense_closing_reasons/{closing_reason_id}",
            get(get_closing_reason),
        )
        .route("/api/siem/offense_types", get(list_offense_types))
        .route(
            "/api/siem/offense_types/{offense_type_id}",
            get(get_offense_type),
        )
        .route("/api/auth/logout", post(logout))
        .fallback(endpoint_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            session_cookie,
        ))
        .with_state(shared)
}

/// Puts the session of a request into its answer's `Set-Cookie`, whatever the status: the
/// Ansible collection reads that header on every answer it gets, errors included, and
/// fails when a session answer has none. A handler that set its own cookie (the logout)
/// keeps it.
async fn session_cookie(State(shared): State<Arc<QRadar>>, req: Request, next: Next) -> Response {
    let session = req.extensions().get::<SessionCookie>().cloned();
    let mut response = next.run(req).await;
    if let Some(SessionCookie(token)) = session
        && !response.headers().contains_key(SET_COOKIE)
        && let Some(cookie) = shared.cookie(&token)
    {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    response
}

/// `POST /api/auth/logout`: ends the session of the request (a `SEC` cookie session, or
/// the one a Basic request just opened) and clears the cookie. An authorized-service token
/// is no session and stays valid.
async fn logout(State(shared): State<Arc<QRadar>>, req: Request) -> Response {
    if let Some(SessionCookie(token)) = req.extensions().get::<SessionCookie>() {
        shared.sessions.revoke(token);
    }
    let mut response = StatusCode::OK.into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static("SEC=; Path=/; Max-Age=0; HttpOnly"),
    );
    response
}

/// `26`, `26.0`, `3.1`: digits with at most one fractional part.
fn is_api_version(s: &str) -> bool {
    let s = s.trim();
    let (major, minor) = s.split_once('.').unwrap_or((s, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(major) && digits(minor)
}

// ---------------------------------------------------------------------------
// request context
// ---------------------------------------------------------------------------

/// Query parameters, the raw `Range` header and the authenticated user.
struct Ctx {
    params: Vec<(String, String)>,
    range: Option<String>,
    actor: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let params = match parts.uri.query() {
            None => Vec::new(),
            Some(_) => {
                Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
                    .map_err(|e| {
                        ApiError::invalid_param(format!("The query string is invalid: {e}"))
                    })?
                    .0
            }
        };
        let range = parts
            .headers
            .get(RANGE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let actor = parts
            .extensions
            .get::<Actor>()
            .map(|a| a.0.clone())
            .ok_or_else(|| ApiError::internal("The request was not authenticated."))?;
        Ok(Ctx {
            params,
            range,
            actor,
        })
    }
}

impl Ctx {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn fields(&self) -> Result<Option<Vec<FieldSel>>, ApiError> {
        match self.param("fields") {
            None => Ok(None),
            Some(f) => parse_fields(f).map_err(ApiError::invalid_param),
        }
    }

    fn range(&self) -> Result<Option<ItemRange>, ApiError> {
        self.range
            .as_deref()
            .map(parse_range)
            .transpose()
            .map_err(ApiError::invalid_param)
    }

    fn bool_param(&self, name: &str) -> Result<Option<bool>, ApiError> {
        let Some(v) = self.param(name) else {
            return Ok(None);
        };
        if v.eq_ignore_ascii_case("true") {
            Ok(Some(true))
        } else if v.eq_ignore_ascii_case("false") {
            Ok(Some(false))
        } else {
            Err(ApiError::invalid_param(format!(
                "{name} must be true or false, got '{v}'."
            )))
        }
    }
}

/// Strict unsigned decimal: no sign, no whitespace, no exponent.
fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Converts a path id. Ids above `i64::MAX` are well-formed but cannot
/// exist, which `Ok(None)` expresses (answered as 404).
fn path_id(raw: &str, what: &str) -> Result<Option<i64>, ApiError> {
    let id = parse_uint(raw).ok_or_else(|| {
        ApiError::invalid_param(format!("{what} '{raw}' is not a valid integer."))
    })?;
    Ok(i64::try_from(id).ok())
}

fn one_id(path: Result<Path<String>, PathRejection>, what: &str) -> Result<Option<i64>, ApiError> {
    let Path(raw) =
        path.map_err(|_| ApiError::invalid_param(format!("{what} is not a valid integer.")))?;
    path_id(&raw, what)
}

fn shape(v: Value, fields: Option<&[FieldSel]>) -> Value {
    match fields {
        Some(sel) => project(v, sel),
        None => v,
    }
}

fn json(status: StatusCode, v: Value) -> Response {
    (status, Json(v)).into_response()
}

fn unprocessable(code: u64, description: &'static str) -> impl Fn(String) -> ApiError {
    move |msg| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg, description)
}

/// How a list endpoint treats `sort`.
enum Sorting {
    Ignored,
    /// Sortable on the listed fields (`None` = every schema field), with the
    /// unique error code for a bad sort.
    On(Option<&'static [&'static str]>, u64),
}

/// The parsed list parameters, validated before any lock is taken.
struct ListQuery<R> {
    filter: Option<Filter<R>>,
    sort: Sort,
    fields: Option<Vec<FieldSel>>,
    range: Option<ItemRange>,
}

impl<R: Record> ListQuery<R> {
    fn parse(ctx: &Ctx, sorting: Sorting, filter_code: u64) -> Result<Self, ApiError> {
        let filter = match ctx.param("filter") {
            Some(f) if !f.trim().is_empty() => Some(Filter::parse(f).map_err(unprocessable(
                filter_code,
                "Error occurred while parsing the filter parameter.",
            ))?),
            _ => None,
        };
        let sort = match (sorting, ctx.param("sort")) {
            (Sorting::On(allowed, code), Some(s)) => Sort::parse::<R>(s, allowed)
                .map_err(unprocessable(code, "The sort parameter is invalid."))?,
            _ => Sort::default(),
        };
        Ok(ListQuery {
            filter,
            sort,
            fields: ctx.fields()?,
            range: ctx.range()?,
        })
    }

    /// Only the requested page is serialized.
    fn respond<'a>(&self, items: impl Iterator<Item = &'a R>) -> Response
    where
        R: 'a,
    {
        let selected = select(items, self.filter.as_ref(), &self.sort);
        let (bounds, content_range) = page_bounds(selected.len(), self.range);
        let records = selected.get(bounds).unwrap_or_default();
        let body = match self.fields.as_deref() {
            Some(fields) => Value::Array(
                records
                    .iter()
                    .map(|r| shape(r.to_json(), Some(fields)))
                    .collect(),
            )
            .to_string(),
            None => json_array(records.iter().copied()),
        };
        (
            StatusCode::OK,
            [
                (CONTENT_RANGE, content_range),
                (CONTENT_TYPE, "application/json".to_owned()),
            ],
            body,
        )
            .into_response()
    }
}

async fn endpoint_not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        1002,
        "Endpoint not found",
        format!("No endpoint exists at {}.", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        1001,
        format!("Method {method} is not allowed for {}.", uri.path()),
        "The requested endpoint does not support this HTTP method.",
    )
}

// ---------------------------------------------------------------------------
// offenses
// ---------------------------------------------------------------------------

fn offense_not_found(id: impl std::fmt::Display) -> ApiError {
    ApiError::not_found(format!(
        "No offense was found for the provided offense_id {id}."
    ))
}

async fn list_offenses(State(sh): State<Arc<QRadar>>, ctx: Ctx) -> Result<Response, ApiError> {
    // Offenses keep their text until they change: a large page costs a copy.
    let q = ListQuery::<Cached<Offense>>::parse(&ctx, Sorting::On(None, 1030), 1010)?;
    let st = sh.read()?;
    Ok(q.respond(st.offenses.iter()))
}

async fn get_offense(
    State(sh): State<Arc<QRadar>>,
    path: Result<Path<String>, PathRejection>,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let id = one_id(path, "offense_id")?;
    let fields = ctx.fields()?;
    let st = sh.read()?;
    let offense = id
        .and_then(|id| st.offense(id))
        .ok_or_else(|| offense_not_found(fmt_id(id)))?;
    Ok(json(
        StatusCode::OK,
        shape(offense.to_json(), fields.as_deref()),
    ))
}

fn fmt_id(id: Option<i64>) -> String {
    id.map_or_else(|| "(out of range)".to_owned(), |i| i.to_string())
}

async fn update_offense(
    State(sh): State<Arc<QRadar>>,
    path: Result<Path<String>, PathRejection>,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let id = one_id(path, "offense_id")?;
    let fields = ctx.fields()?;
    let protected = ctx.bool_param("protected")?;
    let follow_up = ctx.bool_param("follow_up")?;
    let status = ctx
        .param("status")
        .map(|s| {
            Status::parse(s).ok_or_else(|| {
                ApiError::invalid_param(format!(
                    "status must be one of OPEN, HIDDEN, CLOSED, got '{s}'."
                ))
            })
        })
        .transpose()?;
    let reason_id = ctx
        .param("closing_reason_id")
        .map(|s| {
            parse_uint(s).ok_or_else(|| {
                ApiError::invalid_param(format!("closing_reason_id '{s}' is not a valid integer."))
            })
        })
        .transpose()?;
    // Some(None) unassigns.
    let assigned_to = ctx
        .param("assigned_to")
        .map(|u| {
            if u.is_empty() {
                Ok(None)
            } else {
                known_user(u).map(Some).ok_or_else(|| {
                    ApiError::invalid_param(format!("assigned_to '{u}' is not a known user."))
                })
            }
        })
        .transpose()?;

    let mut st = sh.write()?;
    let current = id
        .and_then(|id| st.offense(id))
        .map(|o| o.status)
        .ok_or_else(|| offense_not_found(fmt_id(id)))?;

    let closing_reason = if status == Some(Status::Closed) {
        let Some(rid) = reason_id else {
            return Err(ApiError::invalid_param(
                "closing_reason_id must be provided when closing an offense",
            ));
        };
        let usable = st
            .closing_reasons
            .iter()
            .find(|r| u64::try_from(r.id).ok() == Some(rid))
            .filter(|r| !r.is_deleted && !r.is_reserved);
        match usable {
            Some(r) => Some(r.id),
            None => {
                return Err(ApiError::invalid_param(format!(
                    "closing_reason_id {rid} is not a valid closing reason."
                )));
            }
        }
    } else {
        None
    };
    match (current, status) {
        (Status::Closed, Some(Status::Closed)) => {
            return Err(ApiError::offense_conflict("The offense is already closed."));
        }
        (Status::Closed, Some(Status::Hidden)) => {
            return Err(ApiError::offense_conflict(
                "A closed offense cannot be hidden; reopen it first.",
            ));
        }
        _ => {}
    }

    let offense = id
        .and_then(|id| st.offense_mut(id))
        .ok_or_else(|| ApiError::internal("The offense disappeared during the update."))?;
    let now = now_ms();
    let mut changed = false;
    if let Some(target) = status
        && target != offense.status
    {
        match target {
            Status::Closed => {
                offense.close_time = Some(now);
                offense.closing_user = Some(ctx.actor.clone());
                offense.closing_reason_id = closing_reason;
                offense.inactive = true;
            }
            Status::Open | Status::Hidden => {
                if offense.status == Status::Closed {
                    offense.close_time = None;
                    offense.closing_user = None;
                    offense.closing_reason_id = None;
                    offense.inactive = false;
                }
            }
        }
        offense.status = target;
        changed = true;
    }
    if let Some(p) = protected
        && p != offense.protected
    {
        offense.protected = p;
        changed = true;
    }
    if let Some(f) = follow_up
        && f != offense.follow_up
    {
        offense.follow_up = f;
        changed = true;
    }
    if let Some(a) = assigned_to
        && a != offense.assigned_to
    {
        offense.assigned_to = a;
        changed = true;
    }
    if changed {
        offense.last_persisted_time = now.max(offense.last_persisted_time);
    }
    Ok(json(
        StatusCode::OK,
        shape(offense.to_json(), fields.as_deref()),
    ))
}

// ---------------------------------------------------------------------------
// notes
// ---------------------------------------------------------------------------

async fn list_notes(
    State(sh): State<Arc<QRadar>>,
    path: Result<Path<String>, PathRejection>,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let id = one_id(path, "offense_id")?;
    let q = ListQuery::<Note>::parse(&ctx, Sorting::Ignored, 1010)?;
    let st = sh.read()?;
    let id = id
        .filter(|id| st.offense(*id).is_some())
        .ok_or_else(|| offense_not_found(fmt_id(id)))?;
    let notes = st.notes.get(&id).map(Vec::as_slice).unwrap_or_default();
    Ok(q.respond(notes.iter()))
}

async fn create_note(
    State(sh): State<Arc<QRadar>>,
    path: Result<Path<String>, PathRejection>,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let id = one_id(path, "offense_id")?;
    let fields = ctx.fields()?;
    let text = ctx
        .param("note_text")
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::invalid_param("note_text is required and must not be empty."))?
        .to_owned();
    let mut st = sh.write()?;
    let id = id
        .filter(|id| st.offense(*id).is_some())
        .ok_or_else(|| offense_not_found(fmt_id(id)))?;
    let note = Note {
        id: st.next_note_id,
        create_time: now_ms(),
        username: ctx.actor.clone(),
        note_text: text,
    };
    st.next_note_id += 1;
    let body = shape(note.to_json(), fields.as_deref());
    st.notes.entry(id).or_default().push(note);
    Ok(json(StatusCode::CREATED, body))
}

async fn get_note(
    State(sh): State<Arc<QRadar>>,
    path: Result<Path<(String, String)>, PathRejection>,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let Path((raw_offense, raw_note)) =
        path.map_err(|_| ApiError::invalid_param("offense_id and note_id must be integers."))?;
    let offense_id = path_id(&raw_offense, "offense_id")?;
    let note_id = path_id(&raw_note, "note_id")?;
    let fields = ctx.fields()?;
    let st = sh.read()?;
    let offense_id = offense_id
        .filter(|id| st.offense(*id).is_some())
        .ok_or_else(|| offense_not_found(fmt_id(offense_id)))?;
    let note = st
        .notes
        .get(&offense_id)
        .and_then(|notes| notes.iter().find(|n| Some(n.id) == note_id))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "No note was found for note_id {} on offense {offense_id}.",
                fmt_id(note_id)
            ))
        })?;
    Ok(json(
        StatusCode::OK,
        shape(note.to_json(), fields.as_deref()),
    ))
}

// ---------------------------------------------------------------------------
// assignable actors
// ---------------------------------------------------------------------------

async fn list_actors(
    State(sh): State<Arc<QRadar>>,
    path: Result<Path<String>, PathRejection>,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let invalid = unprocessable(85_101_030, "A request parameter is not valid.");
    let id = match path {
        Ok(Path(raw)) => parse_uint(&raw)
            .ok_or_else(|| invalid(format!("offense_id '{raw}' is not a valid integer.")))?,
        Err(_) => return Err(invalid("offense_id is not a valid integer.".to_owned())),
    };
    let q = ListQuery::<User>::parse(&ctx, Sorting::On(None, 85_101_030), 85_101_030)?;
    let exists = {
        let st = sh.read()?;
        i64::try_from(id)
            .ok()
            .and_then(|id| st.offense(id))
            .is_some()
    };
    if !exists {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            85_101_001,
            format!("No offense was found for the provided offense_id {id}."),
            "The offense does not exist.",
        ));
    }
    Ok(q.respond(USERS.iter()))
}

// ---------------------------------------------------------------------------
// closing reasons
// ---------------------------------------------------------------------------

async fn list_closing_reasons(
    State(sh): State<Arc<QRadar>>,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let include_reserved = ctx.bool_param("include_reserved")?.unwrap_or(false);
    let include_deleted = ctx.bool_param("include_deleted")?.unwrap_or(false);
    let q = ListQuery::<ClosingReason>::parse(&ctx, Sorting::Ignored, 1010)?;
    let st = sh.read()?;
    let visible = st
        .closing_reasons
        .iter()
        .filter(|r| (include_reserved || !r.is_reserved) && (include_deleted || !r.is_deleted));
    Ok(q.respond(visible))
}

async fn get_closing_reason(
    State(sh): State<Arc<QRadar>>,
    path: Result<Path<String>, PathRejection>,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let id = one_id(path, "closing_reason_id")?;
    let fields = ctx.fields()?;
    let st = sh.read()?;
    let reason = st
        .closing_reasons
        .iter()
        .find(|r| Some(r.id) == id)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "No closing reason was found for closing_reason_id {}.",
                fmt_id(id)
            ))
        })?;
    Ok(json(
        StatusCode::OK,
        shape(reason.to_json(), fields.as_deref()),
    ))
}

async fn create_closing_reason(
    State(sh): State<Arc<QRadar>>,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let fields = ctx.fields()?;
    let text = ctx
        .param("reason")
        .ok_or_else(|| ApiError::invalid_param("reason is required."))?
        .to_owned();
    let len = text.chars().count();
    if !(5..=60).contains(&len) {
        return Err(ApiError::invalid_param(format!(
            "reason must be between 5 and 60 characters long, got {len}."
        )));
    }
    let mut st = sh.write()?;
    let lower = text.to_lowercase();
    if st
        .closing_reasons
        .iter()
        .any(|r| r.text.to_lowercase() == lower)
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            1004,
            format!("A closing reason with the text '{text}' already exists."),
            "The closing reason already exists.",
        ));
    }
    let id = st.closing_reasons.iter().map(|r| r.id).max().unwrap_or(0) + 1;
    let reason = ClosingReason {
        id,
        text,
        is_reserved: false,
        is_deleted: false,
    };
    let body = shape(reason.to_json(), fields.as_deref());
    st.closing_reasons.push(reason);
    Ok(json(StatusCode::CREATED, body))
}

// ---------------------------------------------------------------------------
// offense types
// ---------------------------------------------------------------------------

async fn list_offense_types(ctx: Ctx) -> Result<Response, ApiError> {
    let q = ListQuery::<OffenseType>::parse(&ctx, Sorting::On(Some(&["id"]), 1012), 1010)?;
    Ok(q.respond(OFFENSE_TYPES.iter()))
}

async fn get_offense_type(
    path: Result<Path<String>, PathRejection>,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let id = one_id(path, "offense_type_id")?;
    let fields = ctx.fields()?;
    let ty = OFFENSE_TYPES
        .iter()
        .find(|t| Some(t.id) == id)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "No offense type was found for offense_type_id {}.",
                fmt_id(id)
            ))
        })?;
    Ok(json(StatusCode::OK, shape(ty.to_json(), fields.as_deref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions() {
        for ok in ["26.0", "26", "3.1", " 10.1 "] {
            assert!(is_api_version(ok), "{ok}");
        }
        for bad in ["", "abc", "26.", ".5", "26.0.1", "-1", "1e3"] {
            assert!(!is_api_version(bad), "{bad}");
        }
    }

    #[test]
    fn strict_ints() {
        assert_eq!(parse_uint("42"), Some(42));
        for bad in ["", "+1", "-1", " 1", "1.0", "99999999999999999999999"] {
            assert_eq!(parse_uint(bad), None, "{bad}");
        }
        assert_eq!(path_id("18446744073709551615", "x").ok(), Some(None));
    }
}
