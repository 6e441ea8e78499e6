//! Offense closing reasons (`/siem/offense_closing_reasons`).

use incident_core::{ApiPath, ApiRequest, Error, Result};

use crate::model::ClosingReason;
use crate::request::{Get, List, endpoint};
use incident_core::Transport;

/// A list of closing reasons (`GET /siem/offense_closing_reasons`).
pub type ListClosingReasons = List<ClosingReason, endpoint::ClosingReasons>;

/// The shortest closing reason text QRadar accepts.
pub const REASON_MIN_CHARS: usize = 5;
/// The longest closing reason text QRadar accepts.
pub const REASON_MAX_CHARS: usize = 60;

/// Closing reason operations; get it from [`crate::QRadarClient::closing_reasons`].
#[derive(Debug, Clone)]
pub struct ClosingReasonsApi {
    transport: Transport,
}

impl ClosingReasonsApi {
    pub(crate) fn new(transport: Transport) -> Self {
        ClosingReasonsApi { transport }
    }

    /// Lists closing reasons. Reserved and deleted reasons are left out unless asked for
    /// with [`List::include_reserved`] and [`List::include_deleted`].
    pub fn list(&self) -> ListClosingReasons {
        List::new(
            self.transport.clone(),
            Ok(ApiPath::new("/siem/offense_closing_reasons")),
        )
    }

    /// Reads one closing reason.
    pub fn get(&self, closing_reason_id: u64) -> Get<ClosingReason> {
        Get::new(
            self.transport.clone(),
            ApiPath::new("/siem/offense_closing_reasons").segment(closing_reason_id),
        )
    }

    /// Creates a closing reason (`POST /siem/offense_closing_reasons?reason=...`, 201). The
    /// text must be 5 to 60 characters; QRadar answers 409 (code 1004) if it exists.
    pub fn create(&self, reason: impl Into<String>) -> CreateClosingReason {
        CreateClosingReason {
            transport: self.transport.clone(),
            reason: reason.into(),
            fields: None,
        }
    }
}

impl ListClosingReasons {
    /// Includes reserved reasons (default `false`). Reserved reasons cannot close offenses.
    pub fn include_reserved(self, include: bool) -> Self {
        self.param("include_reserved", include.to_string())
    }

    /// Includes deleted reasons (default `false`). Deleted reasons cannot close offenses.
    pub fn include_deleted(self, include: bool) -> Self {
        self.param("include_deleted", include.to_string())
    }
}

/// A closing reason to create; end it with [`send`](Self::send) or `.await` it.
#[derive(Debug, Clone)]
#[must_use = "the reason is not created until the request is sent"]
pub struct CreateClosingReason {
    transport: Transport,
    reason: String,
    fields: Option<String>,
}

impl CreateClosingReason {
    /// Returns only these fields of the created reason.
    pub fn fields(mut self, fields: impl Into<String>) -> Self {
        self.fields = Some(fields.into());
        self
    }

    /// Creates the reason and returns it. A text outside 5 to 60 characters is refused
    /// before sending.
    pub async fn send(self) -> Result<ClosingReason> {
        let chars = self.reason.trim().chars().count();
        if !(REASON_MIN_CHARS..=REASON_MAX_CHARS).contains(&chars) {
            return Err(Error::invalid_input(
                "closing reason",
                format!("must be {REASON_MIN_CHARS} to {REASON_MAX_CHARS} characters, not {chars}"),
            ));
        }
        let req = ApiRequest::post(ApiPath::new("/siem/offense_closing_reasons"))
            .query("reason", self.reason)
            .query_opt("fields", self.fields);
        self.transport.execute(req).await?.json()
    }
}

incident_core::impl_into_future!([] CreateClosingReason => ClosingReason);
