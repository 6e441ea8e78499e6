//! Incidents (`/v2/incidents`): list, get, update basic attributes, close, reopen; their
//! comments: list and create (ESET's reference), get, edit the text of and delete one
//! comment (paths a public ESET Connect client uses; see [`CommentsApi`]).

use std::sync::Arc;

use futures::stream::BoxStream;
use incident_core::paging::{Page, Paginator};
use incident_core::{ApiPath, ApiRequest, Error, Result, Transport};
use serde::Serialize;

use crate::client::VENDOR;
use crate::filter::Filter;
use crate::model::{
    CommentEnvelope, CommentsPage, Incident, IncidentComment, IncidentEnvelope, IncidentSeverity,
    IncidentsPage, ResolveReason,
};

/// The page size of a list unless [`ListIncidents::page_size`] says otherwise (ESET's own
/// default when `pageSize` is 0 or absent).
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// The largest page ESET serves; larger `pageSize` values are refused before sending.
pub const MAX_PAGE_SIZE: u32 = 1000;

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

/// Sends a list request and decodes its page, holding it to `size` items while decoding.
async fn fetch_page<P: serde::de::DeserializeOwned>(
    transport: &Transport,
    request: ApiRequest,
    size: u64,
) -> Result<P> {
    let response = transport.execute(request).await?;
    incident_core::paging::decode_page(&response, Some(size))
}

/// Incident operations; get it from [`crate::EsetClient::incidents`].
#[derive(Debug, Clone)]
pub struct IncidentsApi {
    transport: Transport,
}

impl IncidentsApi {
    pub(crate) fn new(transport: Transport) -> Self {
        IncidentsApi { transport }
    }

    /// Lists incidents (`GET /v2/incidents`), with `filter`, `orderBy`, `pageSize` and
    /// `pageToken`. The incidents of a list have no `deviceUuids` nor `detectionUuids`.
    pub fn list(&self) -> ListIncidents {
        ListIncidents {
            transport: self.transport.clone(),
            filter: None,
            order_by: None,
            page_size: DEFAULT_PAGE_SIZE,
            page_token: None,
            max_items: None,
            max_pages: None,
        }
    }

    /// Reads one incident, with its device and detection uuids
    /// (`GET /v2/incidents/{incidentUuid}`).
    pub async fn get(&self, incident_uuid: &str) -> Result<Incident> {
        let request = ApiRequest::get(incident_path(incident_uuid)?);
        let resp = self.transport.execute(request).await?;
        let envelope: IncidentEnvelope = resp.json()?;
        envelope.incident.ok_or_else(|| Error::Protocol {
            vendor: VENDOR,
            message: "the answer holds no incident".into(),
        })
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
        }
    }

    /// Reopens a closed incident (`POST /v2/incidents/{incidentUuid}:reopen` with `{}`).
    /// Returns the incident when the answer holds it (ESET does not document the answer; an
    /// error body inside its 200 is an error). Not retried after a 5xx or a connection
    /// failure: a second reopen of an incident reopened by the first is refused, which
    /// would hide the success.
    pub async fn reopen(&self, incident_uuid: &str) -> Result<Option<Incident>> {
        let request = ApiRequest::post(incident_path(incident_uuid)?.verb("reopen")?)
            .json(&serde_json::json!({}))?;
        let resp = self.transport.execute(request).await?;
        Ok(decode_optional::<IncidentEnvelope>(&resp)?.and_then(|e| e.incident))
    }

    /// The comments of one incident.
    pub fn comments(&self, incident_uuid: &str) -> CommentsApi {
        CommentsApi {
            transport: self.transport.clone(),
            path: incident_path(incident_uuid).map(|p| p.then("comments")),
        }
    }
}

/// Decodes an answer that may carry one comment, leniently: `{"comment": {...}}`, a bare
/// comment (an object with any of its members), or nothing (an empty body or `{}`).
fn decode_comment(resp: &incident_core::ApiResponse) -> Result<Option<IncidentComment>> {
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
fn decode_optional<T: serde::de::DeserializeOwned>(
    resp: &incident_core::ApiResponse,
) -> Result<Option<T>> {
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

/// A list of incidents (`GET /v2/incidents`).
///
/// End it with [`send`](Self::send) (or `.await` it) for one page, or with
/// [`into_stream`](Self::into_stream) to walk every page through `nextPageToken`.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent or streamed"]
pub struct ListIncidents {
    transport: Transport,
    filter: Option<FilterArg>,
    order_by: Option<String>,
    page_size: u32,
    page_token: Option<String>,
    max_items: Option<u64>,
    max_pages: Option<u64>,
}

impl ListIncidents {
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

    /// Incidents per page, 1 to [`MAX_PAGE_SIZE`] (default [`DEFAULT_PAGE_SIZE`]); a size
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

    /// Ends [`into_stream`](Self::into_stream) after this many incidents.
    pub fn max_items(mut self, max: u64) -> Self {
        self.max_items = Some(max);
        self
    }

    /// Ends [`into_stream`](Self::into_stream) after this many pages.
    pub fn max_pages(mut self, max: u64) -> Self {
        self.max_pages = Some(max);
        self
    }

    fn request(&self, token: Option<String>) -> Result<(ApiRequest, u64)> {
        let size = check_page_size(self.page_size)?;
        let filter = match &self.filter {
            None => None,
            Some(FilterArg::Typed(f)) => {
                f.validate()?;
                Some(f.to_string())
            }
            Some(FilterArg::Raw(raw)) => Some(raw.clone()).filter(|r| !r.trim().is_empty()),
        };
        let request = ApiRequest::get(ApiPath::new("/v2/incidents"))
            .query_opt("filter", filter)
            .query_opt("orderBy", self.order_by.clone())
            .query("pageSize", size.to_string())
            .query_opt("pageToken", token);
        Ok((request, size))
    }

    /// Sends the request and returns one page with its `nextPageToken`.
    pub async fn send(self) -> Result<IncidentsPage> {
        let (request, size) = self.request(self.page_token.clone())?;
        fetch_page(&self.transport, request, size).await
    }

    /// Walks every matching incident, page by page, feeding each `nextPageToken` back as
    /// `pageToken` (percent-encoded), until an empty or missing token. Lazy: a page is
    /// requested when the one before has been read. A token that does not advance, or a
    /// page holding more than [`page_size`](Self::page_size) incidents, is an
    /// [`Error::Protocol`].
    pub fn into_stream(self) -> BoxStream<'static, Result<Incident>> {
        self.paginator().items()
    }

    /// The walk of [`into_stream`](Self::into_stream) as a paginator, for page-level access
    /// ([`Paginator::pages`]: each page with the token of the next one).
    pub fn paginator(self) -> Paginator<Incident, String> {
        let size = u64::from(self.page_size);
        let (max_items, max_pages) = (self.max_items, self.max_pages);
        let list = Arc::new(self);
        let mut paginator = Paginator::page_tokens(move |token: Option<String>| {
            let built = list.request(token.or_else(|| list.page_token.clone()));
            let transport = list.transport.clone();
            async move {
                let (request, size) = built?;
                let page: IncidentsPage = fetch_page(&transport, request, size).await?;
                Ok(Page::new(page.incidents, page.next_page_token))
            }
        })
        .vendor(VENDOR)
        .page_size(size.max(1))
        .identify_by(|i: &Incident| {
            Some((
                i.uuid.clone()?,
                i.update_time.map(|t| t.unix_timestamp_nanos()),
            ))
        });
        if let Some(max) = max_items {
            paginator = paginator.max_items(max);
        }
        if let Some(max) = max_pages {
            paginator = paginator.max_pages(max);
        }
        paginator
    }
}

incident_core::impl_into_future!([] ListIncidents => IncidentsPage);

/// The body of `basic-attributes:update`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct BasicAttributes {
    #[serde(skip_serializing_if = "Option::is_none")]
    assignee_uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<IncidentSeverity>,
}

impl BasicAttributes {
    /// The `updateMask`: the lowerCamelCase names of the attributes set, comma-separated.
    fn mask(&self) -> String {
        let mut names = Vec::new();
        if self.assignee_uuid.is_some() {
            names.push("assigneeUuid");
        }
        if self.description.is_some() {
            names.push("description");
        }
        if self.display_name.is_some() {
            names.push("displayName");
        }
        if self.severity.is_some() {
            names.push("severity");
        }
        names.join(",")
    }
}

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

    pub(crate) fn request(self) -> Result<(Transport, ApiRequest)> {
        let path = self.path?;
        let mask = self.body.mask();
        if mask.is_empty() {
            return Err(Error::invalid_input(
                "incident update",
                "nothing to change: set an attribute",
            ));
        }
        if self.body.severity == Some(IncidentSeverity::Unspecified) {
            return Err(Error::invalid_input(
                "severity",
                "INCIDENT_SEVERITY_LEVEL_UNSPECIFIED is not a severity to set",
            ));
        }
        if self
            .body
            .assignee_uuid
            .as_deref()
            .is_some_and(|a| !a.is_empty() && a.trim().is_empty())
        {
            return Err(Error::invalid_input(
                "assignee",
                "the user uuid is blank (use unassign to remove the assignee)",
            ));
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            #[serde(flatten)]
            attributes: &'a BasicAttributes,
            update_mask: String,
        }
        let request = ApiRequest::post(path)
            .json(&Body {
                attributes: &self.body,
                update_mask: mask,
            })?
            .idempotent(true);
        Ok((self.transport, request))
    }

    /// Sends the update and returns the incident as it is afterwards.
    pub async fn send(self) -> Result<Incident> {
        let (transport, request) = self.request()?;
        let envelope: IncidentEnvelope = transport.execute(request).await?.json()?;
        envelope.incident.ok_or_else(|| Error::Protocol {
            vendor: VENDOR,
            message: "the answer to basic-attributes:update holds no incident".into(),
        })
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
}

impl CloseIncident {
    /// The final comment, written with the close (`finalComment` with `isFinalComment`).
    pub fn final_comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }

    /// Closes the incident. Returns it when the answer holds it (ESET does not document the
    /// answer; an error body inside its 200 is an error). Not retried after a 5xx or a
    /// connection failure: the close may have been made, and a second one is refused.
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
        let request = ApiRequest::post(path).json(&body)?;
        let resp = self.transport.execute(request).await?;
        Ok(decode_optional::<IncidentEnvelope>(&resp)?.and_then(|e| e.incident))
    }
}

incident_core::impl_into_future!([] CloseIncident => Option<Incident>);

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
    path: Result<ApiPath>,
}

impl CommentsApi {
    fn path(&self) -> Result<ApiPath> {
        match &self.path {
            Ok(p) => Ok(p.clone()),
            Err(e) => Err(Error::invalid_input("path segment", e.to_string())),
        }
    }

    /// `/v2/incidents/{incidentUuid}/comments/{commentUuid}`, each id one segment.
    fn comment_path(&self, comment_uuid: &str) -> Result<ApiPath> {
        self.path()?.segment(comment_uuid)
    }

    /// Reads one comment (`GET /v2/incidents/{incidentUuid}/comments/{commentUuid}`). An
    /// answer that holds no comment is an [`Error::Protocol`].
    pub async fn get(&self, comment_uuid: &str) -> Result<IncidentComment> {
        let request = ApiRequest::get(self.comment_path(comment_uuid)?);
        let resp = self.transport.execute(request).await?;
        decode_comment(&resp)?.ok_or_else(|| Error::Protocol {
            vendor: VENDOR,
            message: "the answer holds no comment".into(),
        })
    }

    /// Replaces the text of a comment (`POST
    /// /v2/incidents/{incidentUuid}/comments/{commentUuid}/text:update` with `{"text"}`).
    /// Returns the comment when the answer holds it (an error body inside the 200 is an
    /// error). Retried like a read after a 5xx: writing the same text twice changes nothing
    /// more.
    pub async fn edit_text(
        &self,
        comment_uuid: &str,
        text: impl Into<String>,
    ) -> Result<Option<IncidentComment>> {
        let text = text.into();
        let path = self
            .comment_path(comment_uuid)?
            .then("text")
            .verb("update")?;
        if text.trim().is_empty() {
            return Err(Error::invalid_input("comment", "the comment is empty"));
        }
        let request = ApiRequest::post(path)
            .json(&serde_json::json!({ "text": text }))?
            .idempotent(true);
        let resp = self.transport.execute(request).await?;
        decode_comment(&resp)
    }

    /// Deletes a comment (`DELETE /v2/incidents/{incidentUuid}/comments/{commentUuid}`);
    /// whatever a 2xx holds besides an error body is accepted. Not retried after a 5xx or a
    /// connection failure: a second delete of a comment the first one removed is refused
    /// (404), which would hide the success.
    pub async fn delete(&self, comment_uuid: &str) -> Result<()> {
        let request = ApiRequest::delete(self.comment_path(comment_uuid)?).idempotent(false);
        self.transport.execute(request).await?;
        Ok(())
    }

    /// Lists the comments, oldest first (`GET /v2/incidents/{incidentUuid}/comments`).
    pub fn list(&self) -> ListComments {
        ListComments {
            transport: self.transport.clone(),
            path: self.path(),
            page_size: DEFAULT_PAGE_SIZE,
            page_token: None,
        }
    }

    /// Adds a comment (`POST /v2/incidents/{incidentUuid}/comments` with
    /// `{"comment": {"text", "isFinalComment": false}}`). Returns it when the answer holds
    /// it (an error body inside the 200 is an error). Not retried after a 5xx or a
    /// connection failure, which could add it twice.
    pub async fn create(&self, text: impl Into<String>) -> Result<Option<IncidentComment>> {
        let text = text.into();
        let path = self.path()?;
        if text.trim().is_empty() {
            return Err(Error::invalid_input("comment", "the comment is empty"));
        }
        let body = serde_json::json!({ "comment": { "text": text, "isFinalComment": false } });
        let request = ApiRequest::post(path).json(&body)?;
        let resp = self.transport.execute(request).await?;
        Ok(decode_optional::<CommentEnvelope>(&resp)?.and_then(|e| e.comment))
    }
}

/// A list of comments (`GET /v2/incidents/{incidentUuid}/comments`).
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent or streamed"]
pub struct ListComments {
    transport: Transport,
    path: Result<ApiPath>,
    page_size: u32,
    page_token: Option<String>,
}

impl ListComments {
    /// Comments per page, 1 to [`MAX_PAGE_SIZE`] (default [`DEFAULT_PAGE_SIZE`]).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// The page to read: a `nextPageToken` from an earlier page.
    pub fn page_token(mut self, token: impl Into<String>) -> Self {
        self.page_token = Some(token.into()).filter(|t: &String| !t.is_empty());
        self
    }

    /// Sends the request and returns one page.
    pub async fn send(self) -> Result<CommentsPage> {
        let size = check_page_size(self.page_size)?;
        let request = ApiRequest::get(self.path?)
            .query("pageSize", size.to_string())
            .query_opt("pageToken", self.page_token);
        fetch_page(&self.transport, request, size).await
    }

    /// Walks every comment, page by page.
    pub fn into_stream(self) -> BoxStream<'static, Result<IncidentComment>> {
        let size = self.page_size;
        let first = self.page_token.clone();
        let path = self.path;
        let transport = self.transport;
        let path = Arc::new(path.map_err(|e| e.to_string()));
        Paginator::page_tokens(move |token: Option<String>| {
            let list = ListComments {
                transport: transport.clone(),
                path: match &*path {
                    Ok(p) => Ok(p.clone()),
                    Err(e) => Err(Error::invalid_input("path segment", e.clone())),
                },
                page_size: size,
                page_token: token.or_else(|| first.clone()),
            };
            async move {
                let page = list.send().await?;
                Ok(Page::new(page.comments, page.next_page_token))
            }
        })
        .vendor(VENDOR)
        .page_size(u64::from(size.max(1)))
        .identify_by(|c: &IncidentComment| {
            Some((
                c.uuid.clone()?,
                c.update_time.map(|t| t.unix_timestamp_nanos()),
            ))
        })
        .items()
    }
}

incident_core::impl_into_future!([] ListComments => CommentsPage);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_names_what_is_set_in_a_fixed_order() {
        let mut b = BasicAttributes::default();
        assert_eq!(b.mask(), "");
        b.severity = Some(IncidentSeverity::High);
        b.display_name = Some("x".into());
        assert_eq!(b.mask(), "displayName,severity");
        b.assignee_uuid = Some(String::new());
        b.description = Some(String::new());
        assert_eq!(b.mask(), "assigneeUuid,description,displayName,severity");
    }

    #[test]
    fn page_sizes() {
        assert!(check_page_size(0).is_err());
        assert_eq!(check_page_size(1000).unwrap(), 1000);
        let e = check_page_size(1001).unwrap_err();
        assert!(e.to_string().contains("1001"), "{e}");
    }
}
