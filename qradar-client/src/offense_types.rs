//! Offense types (`/siem/offense_types`): what an offense is indexed on.

use incident_core::ApiPath;

use crate::model::OffenseType;
use crate::request::{Get, List, endpoint};
use incident_core::Transport;

/// A list of offense types (`GET /siem/offense_types`); only `id` is sortable.
pub type ListOffenseTypes = List<OffenseType, endpoint::OffenseTypes>;

/// Offense type operations; get it from [`crate::QRadarClient::offense_types`].
#[derive(Debug, Clone)]
pub struct OffenseTypesApi {
    transport: Transport,
}

impl OffenseTypesApi {
    pub(crate) fn new(transport: Transport) -> Self {
        OffenseTypesApi { transport }
    }

    /// Lists offense types.
    pub fn list(&self) -> ListOffenseTypes {
        List::new(
            self.transport.clone(),
            Ok(ApiPath::new("/siem/offense_types")),
        )
    }

    /// Reads one offense type; its id is the value of [`Offense::offense_type`](crate::Offense::offense_type).
    pub fn get(&self, offense_type_id: u64) -> Get<OffenseType> {
        Get::new(
            self.transport.clone(),
            ApiPath::new("/siem/offense_types").segment(offense_type_id),
        )
    }
}
