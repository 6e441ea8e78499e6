//! Incidents (`/v2/incidents`): list, get, update basic attributes, close, reopen; their
//! comments: list and create (ESET's reference), get, edit the text of and delete one
//! comment (paths a public ESET Connect client uses; see [`CommentsApi`]). Every operation
//! is an [`incident_core::Call`] or a typed builder ending in one, so each takes the
//! per-call options of incident-core (`deadline`, `retry_policy`, `header`).
//!
//! # Errors
//!
//! Every operation fails with [`Error::InvalidInput`] for a value refused before anything is
//! sent (an id that cannot be a path segment, a page size outside 1 to [`MAX_PAGE_SIZE`], an
//! invalid [`Filter`], an empty comment); with the errors of [`Transport::execute`], among
//! them [`Error::Api`] for a non-2xx or an error body inside a 2xx, with ESET's code
//! ([`EsetErrorExt`](crate::EsetErrorExt)); with [`Error::Decode`] for an answer of another
//! shape.

use std::marker::PhantomData;
use std::sync::Arc;

use futures::stream::BoxStream;
use incident_core::paging::{Page, Paginator, WalkLimits};
use incident_core::{
    ApiPath, ApiRequest, ApiResponse, Call, CallOptions, Error, Result, Transport,
};
use serde::de::DeserializeOwned;

use crate::client::VENDOR;
use crate::filter::Filter;
use crate::model::{
    BasicAttributes, CommentEnvelope, Incident, IncidentComment, IncidentEnvelope,
    IncidentSeverity, Listed, ResolveReason, UpdateBody,
};

pub use crate::model::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

fn incident_path(uuid: &str) -> Result<ApiPath> {
    ApiPath::new("/v2/incidents").segment(uuid)
}

fn check_page_size(size: u32) -> Result<u64> {
    if (1..=MAX_PAGE_SIZE).contains(&size) {
        Ok(u64::from(size))
    } else {
        Err(Error::invalid_input(
            "page size",
            format!("{size} is outside 1..={MAX_PAGE_SIZE}, the page sizes ESET serves"),
        ))
    }
}

/// Reads the incident of an answer's envelope; an answer without one is `missing`, an
/// [`Error::Protocol`].
fn incident_in(missing: &'static str) -> impl FnOnce(&ApiResponse) -> Result<Incident> {
    move |resp| {
        let envelope: IncidentEnvelope = resp.json()?;
        envelope
            .incident
            .ok_or_else(|| Error::protocol(VENDOR, missing))
    }
}

/// Reads the incident an answer ESET does not document may hold.
fn optional_incident(resp: &ApiResponse) -> Result<Option<Incident>> {
    Ok(decode_optional::<IncidentEnvelope>(resp)?.and_then(|e| e.incident))
}

incident_core::operations_handle! {
    /// Incident operations; get it from [`crate::EsetClient::incidents`].
    pub struct IncidentsApi { transport: Transport }
}

impl IncidentsApi {
    /// Lists incidents (`GET /v2/incidents`), with `filter`, `orderBy`, `pageSize` and
    /// `pageToken`. The incidents of a list have no `deviceUuids` nor `detectionUuids`.
    pub fn list(&self) -> ListIncidents {
        List::new(&self.transport, Ok(ApiPath::new("/v2/incidents")))
    }

    /// Reads one incident, with its device and detection uuids
    /// (`GET /v2/incidents/{incidentUuid}`).
    pub fn get(&self, incident_uuid: &str) -> Call<Incident> {
        let request = incident_path(incident_uuid).map(ApiRequest::get);
        let decode = incident_in("the answer holds no incident");
        Call::new(&self.transport, request, decode)
    }

    /// Starts an update of an incident's basic attributes
    /// (`POST /v2/incidents/{incidentUuid}/basic-attributes:update`). The `updateMask` is
    /// written from the attributes set, so only those change.
    ///
    /// ```no_run
    /// # async fn run(client: eset_connect_client::EsetClient) -> incident_core::Result<()> {
    /// use eset_connect_client::IncidentSeverity;
    /// let incident = client
    ///     .incidents()
    ///     .update("3f1d6d2e-5c7a-4b0e-9a57-0c8f6f3f2a11")
    ///     .severity(IncidentSeverity::High)
    ///     .description("Lateral movement confirmed on two hosts.")
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, incident_uuid: &str) -> UpdateIncident {
        UpdateIncident {
            transport: self.transport.clone(),
            path: incident_path(incident_uuid)
                .map(|p| p.then("basic-attributes"))
                .and_then(|p| p.verb("update")),
            body: BasicAttributes::default(),
            options: CallOptions::default(),
        }
    }

    /// Starts a close (`POST /v2/incidents/{incidentUuid}:close`) with the reason recorded
    /// as the incident's `resolveReason`; add the final comment with
    /// [`CloseIncident::final_comment`].
    pub fn close(&self, incident_uuid: &str, reason: ResolveReason) -> CloseIncident {
        CloseIncident {
            transport: self.transport.clone(),
            path: incident_path(incident_uuid).and_then(|p| p.verb("close")),
            reason,
            comment: None,
            options: CallOptions::default(),
        }
    }

    /// Reopens a closed incident (`POST /v2/incidents/{incidentUuid}:reopen` with `{}`).
    /// Returns the incident when the answer holds it (ESET does not document the answer; an
    /// error body inside its 200 is an error). Not retried after a 5xx or a connection
    /// failure: a second reopen of an incident reopened by the first is refused, which
    /// would hide the success.
    pub fn reopen(&self, incident_uuid: &str) -> Call<Option<Incident>> {
        let request = incident_path(incident_uuid)
            .and_then(|p| p.verb("reopen"))
            .and_then(|p| ApiRequest::post(p).json(&serde_json::json!({})));
        Call::new(&self.transport, request, optional_incident)
    }

    /// The comments of one incident.
    pub fn comments(&self, incident_uuid: &str) -> CommentsApi {
        CommentsApi {
            transport: self.transport.clone(),
            path: incident_path(incident_uuid)
                .map(|p| p.then("comments"))
                .map_err(|e| e.to_string()),
        }
    }
}

/// Decodes an answer that may carry one comment, leniently: `{"comment": {...}}`, a bare
/// comment (an object with any of its members), or nothing (an empty body or `{}`).
fn decode_comment(resp: &ApiResponse) -> Result<Option<IncidentComment>> {
    let Some(envelope) = decode_optional::<CommentEnvelope>(resp)? else {
        return Ok(None);
    };
    if envelope.comment.is_some() {
        return Ok(envelope.comment);
    }
    let bare: IncidentComment = resp.json()?;
    let holds_one = bare.uuid.is_some()
        || bare.text.is_some()
        || bare.incident_uuid.is_some()
        || bare.create_time.is_some();
    Ok(holds_one.then_some(bare))
}

/// Decodes an answer whose body ESET does not document: an empty body is `None`.
fn decode_optional<T: DeserializeOwned>(resp: &ApiResponse) -> Result<Option<T>> {
    if resp.body().iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    resp.json().map(Some)
}

/// The filter of a list: typed or as written by the caller.
#[derive(Debug, Clone)]
enum FilterArg {
    Typed(Filter),
    Raw(String),
}

/// A list of incidents (`GET /v2/incidents`), with [`filter`](List::filter) and
/// [`order_by`](List::order_by).
pub type ListIncidents = List<Incident>;

/// A list of comments (`GET /v2/incidents/{incidentUuid}/comments`), oldest first.
pub type ListComments = List<IncidentComment>;

/// A list (`pageSize`, `pageToken`): [`ListIncidents`] or [`ListComments`].
///
/// End it with [`send`](Self::send) (or `.await` it) for one page, or with
/// [`into_stream`](Self::into_stream) to walk every page through `nextPageToken`.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent or streamed"]
pub struct List<T> {
    transport: Transport,
    path: Result<ApiPath, String>,
    filter: Option<FilterArg>,
    order_by: Option<String>,
    page_size: u32,
    page_token: Option<String>,
    limits: WalkLimits,
    options: CallOptions,
    _item: PhantomData<fn() -> T>,
}

impl List<Incident> {
    /// Keeps the incidents matching `filter` (see [`Filter`]).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(FilterArg::Typed(filter));
        self
    }

    /// Keeps the incidents matching a filter written by hand in ESET's filter language,
    /// e.g. `incident.tags has "vip"`, sent as is.
    pub fn filter_raw(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(FilterArg::Raw(filter.into()));
        self
    }

    /// Orders the incidents: comma-separated fields, each with an optional ` desc`, e.g.
    /// `"create_time desc"` or `"severity desc, create_time"`.
    pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
        self.order_by = Some(order_by.into());
        self
    }
}

impl<T: Listed> List<T> {
    fn new(transport: &Transport, path: Result<ApiPath, String>) -> Self {
        List {
            transport: transport.clone(),
            path,
            filter: None,
            order_by: None,
            page_size: DEFAULT_PAGE_SIZE,
            page_token: None,
            limits: WalkLimits::default(),
            options: CallOptions::default(),
            _item: PhantomData,
        }
    }

    /// Objects per page, 1 to [`MAX_PAGE_SIZE`] (default [`DEFAULT_PAGE_SIZE`]); a size
    /// outside that range is refused before sending.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// The page to read: a `nextPageToken` from an earlier page (with the same filter and
    /// order). [`into_stream`](Self::into_stream) starts from it.
    pub fn page_token(mut self, token: impl Into<String>) -> Self {
        self.page_token = Some(token.into()).filter(|t: &String| !t.is_empty());
        self
    }

    incident_core::walk_limits!(limits);

    incident_core::call_options!(options);

    /// The request for the page at `token` (else the first), with the per-call options.
    fn request(&self, token: Option<String>) -> Result<ApiRequest> {
        let size = check_page_size(self.page_size)?;
        let path = self.path.clone();
        let path = path.map_err(|why| Error::invalid_input("path segment", why))?;
        let filter = match &self.filter {
            None => None,
            Some(FilterArg::Typed(f)) => {
                f.validate()?;
                Some(f.to_string())
            }
            Some(FilterArg::Raw(raw)) => Some(raw.clone()).filter(|r| !r.trim().is_empty()),
        };
        let request = ApiRequest::get(path)
            .query_opt("filter", filter)
            .query_opt("orderBy", self.order_by.clone())
            .query("pageSize", size.to_string())
            .query_opt("pageToken", token);
        Ok(self.options.apply(request))
    }

    /// The page at `token` as a call, held to the page size while decoded.
    fn page(&self, token: Option<String>) -> Call<T::Page> {
        let size = check_page_size(self.page_size).ok();
        Call::page(&self.transport, self.request(token), size)
    }

    /// Sends the request and returns one page with its `nextPageToken`.
    ///
    /// # Errors
    ///
    /// As every operation ([the module](self)); [`Error::Protocol`] for more objects than
    /// the page size.
    pub async fn send(self) -> Result<T::Page> {
        self.page(self.page_token.clone()).await
    }

    /// Walks every object, page by page, feeding each `nextPageToken` back as `pageToken`
    /// (percent-encoded), until an empty or missing token. Lazy: a page is requested when
    /// the one before has been read. A token that does not advance, or a page holding more
    /// than [`page_size`](Self::page_size) objects, is an [`Error::Protocol`].
    pub fn into_stream(self) -> BoxStream<'static, Result<T>> {
        self.paginator().items()
    }

    /// The walk of [`into_stream`](Self::into_stream) as a paginator, for page-level access
    /// ([`Paginator::pages`]: each page with the token of the next one).
    pub fn paginator(self) -> Paginator<T, String> {
        let (size, limits) = (u64::from(self.page_size), self.limits);
        let list = Arc::new(self);
        Paginator::page_tokens(move |token: Option<String>| {
            let page = list.page(token.or_else(|| list.page_token.clone()));
            async move {
                let (items, next) = T::page_parts(page.await?);
                Ok(Page::new(items, next))
            }
        })
        .vendor(VENDOR)
        .page_size(size.max(1))
        .identify_by(T::identity)
        .limits(&limits)
    }
}

incident_core::impl_into_future!([T] List<T> => T::Page, where T: Listed);

/// An update of an incident's basic attributes (the seed operation). Only the attributes
/// set here are sent and named in `updateMask`, so the others keep their values; an update
/// that sets nothing is refused before sending. Retried like a read after a 5xx: setting the
/// same values twice changes nothing more.
#[derive(Debug)]
#[must_use = "an update does nothing until it is sent"]
pub struct UpdateIncident {
    transport: Transport,
    path: Result<ApiPath>,
    body: BasicAttributes,
    options: CallOptions,
}

impl UpdateIncident {
    /// Sets the human-readable name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.body.display_name = Some(name.into());
        self
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.body.description = Some(description.into());
        self
    }

    /// Sets the severity (`Unspecified` is refused: it is no severity).
    pub fn severity(mut self, severity: IncidentSeverity) -> Self {
        self.body.severity = Some(severity);
        self
    }

    /// Assigns the incident to a user (a user uuid).
    pub fn assignee(mut self, user_uuid: impl Into<String>) -> Self {
        self.body.assignee_uuid = Some(user_uuid.into());
        self
    }

    /// Removes the assignee (sends an empty `assigneeUuid`). ESET accepts it only while the
    /// incident's status is `OPEN`: an incident in progress, waiting or closed keeps an
    /// assignee, and the server refuses the update.
    pub fn unassign(mut self) -> Self {
        self.body.assignee_uuid = Some(String::new());
        self
    }

    incident_core::call_options!(options);

    fn request(path: Result<ApiPath>, body: &BasicAttributes) -> Result<ApiRequest> {
        let path = path?;
        let mask = body.mask();
        if mask.is_empty() {
            return Err(Error::invalid_input(
                "incident update",
                "nothing to change: set an attribute",
            ));
        }
        if body.severity == Some(IncidentSeverity::Unspecified) {
            return Err(Error::invalid_input(
                "severity",
                "INCIDENT_SEVERITY_LEVEL_UNSPECIFIED is not a severity to set",
            ));
        }
        if (body.assignee_uuid.as_deref()).is_some_and(|a| !a.is_empty() && a.trim().is_empty()) {
            return Err(Error::invalid_input(
                "assignee",
                "the user uuid is blank (use unassign to remove the assignee)",
            ));
        }
        let body = UpdateBody {
            attributes: body,
            update_mask: mask,
        };
        Ok(ApiRequest::post(path).json(&body)?.idempotent(true))
    }

    /// Sends the update and returns the incident as it is afterwards.
    ///
    /// # Errors
    ///
    /// As every operation ([the module](self)): [`Error::InvalidInput`] for an update that
    /// sets nothing, the `Unspecified` severity or a blank assignee; [`Error::Protocol`] for
    /// an answer without the incident.
    pub async fn send(self) -> Result<Incident> {
        let request = UpdateIncident::request(self.path, &self.body);
        let decode = incident_in("the answer to basic-attributes:update holds no incident");
        let call = Call::new(&self.transport, request, decode);
        call.options(self.options).await
    }
}

incident_core::impl_into_future!([] UpdateIncident => Incident);

/// A close (`POST /v2/incidents/{incidentUuid}:close`); end it with [`send`](Self::send)
/// or `.await` it.
#[derive(Debug)]
#[must_use = "an incident is not closed until the request is sent"]
pub struct CloseIncident {
    transport: Transport,
    path: Result<ApiPath>,
    reason: ResolveReason,
    comment: Option<String>,
    options: CallOptions,
}

impl CloseIncident {
    /// The final comment, written with the close (`finalComment` with `isFinalComment`).
    pub fn final_comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }

    incident_core::call_options!(options);

    /// Closes the incident. Returns it when the answer holds it (ESET does not document the
    /// answer; an error body inside its 200 is an error). Not retried after a 5xx or a
    /// connection failure: the close may have been made, and a second one is refused.
    ///
    /// # Errors
    ///
    /// As every operation ([the module](self)): [`Error::InvalidInput`] for the
    /// `Unspecified` reason or an empty final comment.
    pub async fn send(self) -> Result<Option<Incident>> {
        let path = self.path?;
        if matches!(self.reason, ResolveReason::Unspecified) {
            return Err(Error::invalid_input(
                "closure reason",
                "a close needs a reason: true positive, false positive or suspicious",
            ));
        }
        if self.comment.as_deref().is_some_and(|c| c.trim().is_empty()) {
            return Err(Error::invalid_input(
                "final comment",
                "the comment is empty",
            ));
        }
        let mut body = serde_json::json!({ "closureReason": self.reason });
        if let Some(text) = self.comment {
            body["finalComment"] = serde_json::json!({ "text": text, "isFinalComment": true });
        }
        let request = ApiRequest::post(path).json(&body);
        let call = Call::new(&self.transport, request, optional_incident);
        call.options(self.options).await
    }
}

incident_core::impl_into_future!([] CloseIncident => Option<Incident>);

/// Refuses an empty comment before sending.
fn comment_text(text: String) -> Result<String> {
    if text.trim().is_empty() {
        return Err(Error::invalid_input("comment", "the comment is empty"));
    }
    Ok(text)
}

/// The comments of one incident; get it from [`IncidentsApi::comments`].
///
/// ESET's reference documents the list and the create. The operations on one comment,
/// [`get`](Self::get), [`edit_text`](Self::edit_text) and [`delete`](Self::delete), use the
/// paths of a public ESET Connect client (`GET` and `DELETE
/// /v2/incidents/{incidentUuid}/comments/{commentUuid}`, `POST .../text:update` with
/// `{"text"}`), not of ESET's reference, whose pages for them were not found; their answers
/// are not documented, so they are read leniently: `{"comment": {...}}` (as the create
/// answers), a bare comment, or an empty body.
#[derive(Debug)]
pub struct CommentsApi {
    transport: Transport,
    path: Result<ApiPath, String>,
}

impl CommentsApi {
    fn path(&self) -> Result<ApiPath> {
        let path = self.path.clone();
        path.map_err(|why| Error::invalid_input("path segment", why))
    }

    /// `/v2/incidents/{incidentUuid}/comments/{commentUuid}`, each id one segment.
    fn comment_path(&self, comment_uuid: &str) -> Result<ApiPath> {
        self.path()?.segment(comment_uuid)
    }

    /// Reads one comment (`GET /v2/incidents/{incidentUuid}/comments/{commentUuid}`). An
    /// answer that holds no comment is an [`Error::Protocol`].
    pub fn get(&self, comment_uuid: &str) -> Call<IncidentComment> {
        let request = self.comment_path(comment_uuid).map(ApiRequest::get);
        Call::new(&self.transport, request, |resp| {
            let missing = || Error::protocol(VENDOR, "the answer holds no comment");
            decode_comment(resp)?.ok_or_else(missing)
        })
    }

    /// Replaces the text of a comment (`POST
    /// /v2/incidents/{incidentUuid}/comments/{commentUuid}/text:update` with `{"text"}`).
    /// Returns the comment when the answer holds it (an error body inside the 200 is an
    /// error). Retried like a read after a 5xx: writing the same text twice changes nothing
    /// more.
    pub fn edit_text(
        &self,
        comment_uuid: &str,
        text: impl Into<String>,
    ) -> Call<Option<IncidentComment>> {
        let text = text.into();
        let path = self.comment_path(comment_uuid);
        let request = path
            .and_then(|p| p.then("text").verb("update"))
            .and_then(|path| {
                let body = serde_json::json!({ "text": comment_text(text)? });
                Ok(ApiRequest::post(path).json(&body)?.idempotent(true))
            });
        Call::new(&self.transport, request, decode_comment)
    }

    /// Deletes a comment (`DELETE /v2/incidents/{incidentUuid}/comments/{commentUuid}`);
    /// whatever a 2xx holds besides an error body is accepted. Not retried after a 5xx or a
    /// connection failure: a second delete of a comment the first one removed is refused
    /// (404), which would hide the success.
    pub fn delete(&self, comment_uuid: &str) -> Call<()> {
        let path = self.comment_path(comment_uuid);
        let request = path.map(|p| ApiRequest::delete(p).idempotent(false));
        Call::new(&self.transport, request, |_| Ok(()))
    }

    /// Lists the comments, oldest first (`GET /v2/incidents/{incidentUuid}/comments`).
    pub fn list(&self) -> ListComments {
        List::new(&self.transport, self.path.clone())
    }

    /// Adds a comment (`POST /v2/incidents/{incidentUuid}/comments` with
    /// `{"comment": {"text", "isFinalComment": false}}`). Returns it when the answer holds
    /// it (an error body inside the 200 is an error). Not retried after a 5xx or a
    /// connection failure, which could add it twice.
    pub fn create(&self, text: impl Into<String>) -> Call<Option<IncidentComment>> {
        let text = text.into();
        let request = self.path().and_then(|path| {
            let text = comment_text(text)?;
            let body = serde_json::json!({ "comment": { "text": text, "isFinalComment": false } });
            ApiRequest::post(path).json(&body)
        });
        Call::new(&self.transport, request, |resp| {
            Ok(decode_optional::<CommentEnvelope>(resp)?.and_then(|e| e.comment))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes() {
        assert!(check_page_size(0).is_err());
        assert_eq!(check_page_size(1000).unwrap(), 1000);
        let e = check_page_size(1001).unwrap_err();
        assert!(e.to_string().contains("1001"), "{e}");
    }
}
