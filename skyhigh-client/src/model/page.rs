//! A page of `queryIncidents`: its size limits, the cursor of the next page, and how an
//! answer in either shape is read.

use incident_core::reqwest::StatusCode;
use incident_core::{ApiResponse, Error, Result};

use super::{Envelope, Incident, IncidentResponse, IncidentsWire, ResponseInfo};
use crate::client::VENDOR;

/// The most incidents one `queryIncidents` may ask for: the swagger's maximum (the
/// documentation page says 500; a larger `limit` "is not flagged as an error but will also
/// not increase results").
pub const MAX_LIMIT: u32 = 10_000;

/// The `limit` [`QueryIncidents::into_stream`](crate::QueryIncidents::into_stream) sends unless [`QueryIncidents::limit`](crate::QueryIncidents::limit) says
/// otherwise: 500, the largest page every source agrees the service serves.
pub const DEFAULT_PAGE_SIZE: u32 = 500;

/// How many incidents beyond the `limit` one page may hold: Skyhigh adds to a page the
/// incidents that share the timestamp of its last one ("Managing API Responses"), so that a
/// time cursor never splits them. Only incidents with that same timestamp are accepted
/// there, and no more than this many.
pub const MAX_TIES: u32 = 1_000;

/// Where the next page of a query starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QueryCursor {
    /// `responseInfo.nextStartTime`, sent back verbatim as `startTime` (inclusive: the
    /// incidents at that instant come again, and the stream drops them).
    StartTime(String),
    /// `responseInfo.nextOffset`, sent as the `offset` parameter with the same criteria.
    Offset(u64),
}

impl QueryCursor {
    /// The cursor a ResponseInfo gives: `nextStartTime` when set, else a `nextOffset` that
    /// is not `-1`; `None` at the end.
    pub fn from_response_info(info: &ResponseInfo) -> Option<QueryCursor> {
        if let Some(t) = info
            .next_start_time
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            return Some(QueryCursor::StartTime(t.to_owned()));
        }
        info.next_offset
            .and_then(|o| u64::try_from(o).ok())
            .map(QueryCursor::Offset)
    }
}

/// One answer of `queryIncidents`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IncidentPage {
    /// The incidents, in ascending `timeModified` (or `timeCreated`) order.
    pub incidents: Vec<Incident>,
    /// `responseInfo` (empty for a 404 "no data").
    pub response_info: ResponseInfo,
    /// The Spring envelope's other members, when the answer was wrapped.
    pub envelope: Option<Envelope>,
    /// Where the next page starts; `None` at the end (no cursor, or no data).
    pub next: Option<QueryCursor>,
    /// Whether the service answered "no data was found for the criteria" (404).
    pub no_data: bool,
}

/// Reads a `queryIncidents` answer in either shape; a 404 (accepted by the hook) or an
/// envelope saying 404 is "no data".
///
/// The incidents are counted while they are decoded: more than `limit` plus [`MAX_TIES`] is
/// a protocol error raised before the surplus is decoded, and the incidents beyond `limit`
/// must share the timestamp (`timeCreated` when `by_creation`, else `timeModified`) of the
/// one at the limit.
pub(crate) fn decode_page(
    resp: &ApiResponse,
    limit: Option<u32>,
    by_creation: bool,
) -> Result<IncidentPage> {
    if resp.status() == StatusCode::NOT_FOUND {
        return Ok(no_data(None));
    }
    let bound = limit.map(|l| u64::from(l) + u64::from(MAX_TIES));
    let (response, envelope) =
        incident_core::paging::decode_page::<IncidentsWire>(resp, bound)?.into_parts();
    if envelope
        .as_ref()
        .and_then(|e| e.status_code_value)
        .is_some_and(|c| c == 404)
    {
        return Ok(no_data(envelope));
    }
    let IncidentResponse {
        response_info,
        incidents,
    } = response;
    if let Some(limit) = limit.map(|l| l as usize)
        && incidents.len() > limit
    {
        let time = |i: &Incident| {
            if by_creation {
                i.time_created
            } else {
                i.time_modified
            }
        };
        let boundary = incidents.get(limit.saturating_sub(1)).and_then(time);
        if limit == 0
            || boundary.is_none()
            || incidents[limit..].iter().any(|i| time(i) != boundary)
        {
            let message = format!(
                "a page holds {} incidents, more than the limit of {limit}, and not all of the \
                 extra ones share the timestamp of the last one within the limit",
                incidents.len()
            );
            return Err(Error::protocol(VENDOR, message));
        }
    }
    let response_info = response_info.unwrap_or_default();
    let next = if incidents.is_empty() {
        None
    } else {
        QueryCursor::from_response_info(&response_info)
    };
    Ok(IncidentPage {
        incidents,
        response_info,
        envelope,
        next,
        no_data: false,
    })
}

fn no_data(envelope: Option<Envelope>) -> IncidentPage {
    IncidentPage {
        incidents: Vec::new(),
        response_info: ResponseInfo::default(),
        envelope,
        next: None,
        no_data: true,
    }
}
