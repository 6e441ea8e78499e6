//! What the incident operations send: the page sizes ESET serves, the body of
//! `basic-attributes:update` with its `updateMask`, and what identifies a listed object.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{CommentsPage, Incident, IncidentComment, IncidentSeverity, IncidentsPage};

/// The page size of a list unless [`List::page_size`](crate::incidents::List::page_size)
/// says otherwise (ESET's own default when `pageSize` is 0 or absent).
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// The largest page ESET serves; larger `pageSize` values are refused before sending.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// An object ESET lists page by page with `pageSize` and `pageToken`: its page, and what
/// identifies it in a walk (its uuid and update time).
pub trait Listed: DeserializeOwned + Send + 'static {
    /// The page the object comes in.
    type Page: DeserializeOwned + Send + 'static;

    /// The objects of a page and its `nextPageToken`.
    fn page_parts(page: Self::Page) -> (Vec<Self>, Option<String>);

    /// The uuid and update time (in nanoseconds), telling a repeated object from a changed one.
    fn identity(&self) -> Option<(String, Option<i128>)>;
}

impl Listed for Incident {
    type Page = IncidentsPage;

    fn page_parts(page: IncidentsPage) -> (Vec<Self>, Option<String>) {
        (page.incidents, page.next_page_token)
    }

    fn identity(&self) -> Option<(String, Option<i128>)> {
        let update = self.update_time.map(|t| t.unix_timestamp_nanos());
        Some((self.uuid.clone()?, update))
    }
}

impl Listed for IncidentComment {
    type Page = CommentsPage;

    fn page_parts(page: CommentsPage) -> (Vec<Self>, Option<String>) {
        (page.comments, page.next_page_token)
    }

    fn identity(&self) -> Option<(String, Option<i128>)> {
        let update = self.update_time.map(|t| t.unix_timestamp_nanos());
        Some((self.uuid.clone()?, update))
    }
}

/// The attributes of `basic-attributes:update`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BasicAttributes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) assignee_uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) severity: Option<IncidentSeverity>,
}

/// The body of `basic-attributes:update`: the attributes and their `updateMask`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateBody<'a> {
    #[serde(flatten)]
    pub(crate) attributes: &'a BasicAttributes,
    pub(crate) update_mask: String,
}

impl BasicAttributes {
    /// The `updateMask`: the lowerCamelCase names of the attributes set, comma-separated.
    pub(crate) fn mask(&self) -> String {
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
}
