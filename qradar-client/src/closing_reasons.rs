//! Offense closing reasons (`/siem/offense_closing_reasons`).

use incident_core::{ApiPath, ApiRequest, Error, Transport};

use crate::model::ClosingReason;
use crate::request::{List, Single};

/// The shortest closing reason text QRadar accepts.
pub const REASON_MIN_CHARS: usize = 5;
/// The longest closing reason text QRadar accepts.
pub const REASON_MAX_CHARS: usize = 60;

const PATH: &str = "/siem/offense_closing_reasons";

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
        let chars = reason.trim().chars().count();
        let request = if (REASON_MIN_CHARS..=REASON_MAX_CHARS).contains(&chars) {
            Ok(ApiRequest::post(ApiPath::new(PATH)).query("reason", reason))
        } else {
            Err(Error::invalid_input(
                "closing reason",
                format!("must be {REASON_MIN_CHARS} to {REASON_MAX_CHARS} characters, not {chars}"),
            ))
        };
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
