//! Offense types (`/siem/offense_types`): what an offense is indexed on.

use incident_core::{ApiPath, ApiRequest, Transport};

use crate::model::OffenseType;
use crate::request::{List, Single};

incident_core::operations_handle! {
    /// Offense type operations; get it from [`crate::QRadarClient::offense_types`].
    pub struct OffenseTypesApi { transport: Transport }
}

impl OffenseTypesApi {
    /// Lists offense types (`GET /siem/offense_types`); only `id` is sortable.
    pub fn list(&self) -> List<OffenseType> {
        List::new(&self.transport, Ok(ApiPath::new("/siem/offense_types")))
    }

    /// Reads one offense type; its id is the value of [`Offense::offense_type`](crate::Offense::offense_type).
    pub fn get(&self, offense_type_id: u64) -> Single<OffenseType> {
        let request = ApiPath::new("/siem/offense_types").segment(offense_type_id);
        Single::new(&self.transport, request.map(ApiRequest::get))
    }
}
