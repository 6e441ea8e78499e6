//! Offense closing reasons (`/siem/offense_closing_reasons`).

use incident_core::{ApiPath, ApiRequest, Transport};

use crate::model::ClosingReason;
pub use crate::model::{REASON_MAX_CHARS, REASON_MIN_CHARS};
use crate::request::{List, Single};

const PATH: &str = "/siem/offense_closing_reasons";

incident_core::operations_handle! {
    /// Closing reason operations; get it from [`crate::QRadarClient::closing_reasons`].
    pub struct ClosingReasonsApi { transport: Transport }
}

impl ClosingReasonsApi {
    /// Lists closing reasons. Reserved and deleted reasons are left out unless asked for
    /// with [`List::include_reserved`] and [`List::include_deleted`].
    pub fn list(&self) -> List<ClosingReason> {
        List::new(&self.transport, Ok(ApiPath::new(PATH)))
    }

    /// Reads one closing reason.
    pub fn get(&self, closing_reason_id: u64) -> Single<ClosingReason> {
        let request = ApiPath::new(PATH).segment(closing_reason_id);
        Single::new(&self.transport, request.map(ApiRequest::get))
    }

    /// Creates a closing reason (`POST /siem/offense_closing_reasons?reason=...`, 201). A
    /// text outside 5 to 60 characters is refused before sending; QRadar answers 409
    /// (code 1004) if the reason exists.
    pub fn create(&self, reason: impl Into<String>) -> Single<ClosingReason> {
        let reason = reason.into();
        let request = ClosingReason::check_text(&reason)
            .map(|()| ApiRequest::post(ApiPath::new(PATH)).query("reason", reason));
        Single::new(&self.transport, request)
    }
}

impl List<ClosingReason> {
    /// Includes reserved reasons (default `false`). Reserved reasons cannot close offenses.
    pub fn include_reserved(self, include: bool) -> Self {
        self.flag("include_reserved", include)
    }

    /// Includes deleted reasons (default `false`). Deleted reasons cannot close offenses.
    pub fn include_deleted(self, include: bool) -> Self {
        self.flag("include_deleted", include)
    }
}
