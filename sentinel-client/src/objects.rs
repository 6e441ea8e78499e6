//! The objects an incident refers to: incident-event associations, external data and
//! annotations (read only).

use incident_core::{ApiPath, ApiRequest, Call, Error, Result, Transport};
use serde::de::DeserializeOwned;

use crate::model::{
    Annotation, ExternalData, IncidentEvent, OBJECTS_PATH, ObjectRef, incident_events_path,
};
use crate::request::List;

/// The request for the object a reference names, on the configured origin: refused unless
/// it names one object of type `kind` (`.../objects/{kind}/{id}`).
pub(crate) fn ref_request(
    transport: &Transport,
    reference: &ObjectRef,
    kind: &str,
) -> Result<ApiRequest> {
    let request = transport.request_for_link(reference.as_str())?;
    let prefix = format!("{OBJECTS_PATH}/{kind}/");
    let path = request.path().as_str();
    let rest = path.strip_prefix(&prefix).unwrap_or("");
    if rest.is_empty() || rest.contains('/') {
        return Err(Error::invalid_input(
            "object reference",
            format!("{path} is not a {kind} object"),
        ));
    }
    Ok(request)
}

fn get_by_id<T: DeserializeOwned + Send + 'static>(
    transport: &Transport,
    kind: &'static str,
    id: &str,
) -> Call<T> {
    let path = ApiPath::new(OBJECTS_PATH).then(kind).segment(id);
    Call::json(transport, path.map(ApiRequest::get))
}

incident_core::operations_handle! {
    /// Incident-event associations; get it from
    /// [`SentinelClient::incident_events`](crate::SentinelClient::incident_events).
    pub struct IncidentEventsApi { transport: Transport }
}

impl IncidentEventsApi {
    /// Lists associations (`GET .../objects/incident-events`), with `query`, `field`,
    /// `page` and `pagesize`.
    pub fn list(&self) -> List<IncidentEvent> {
        List::new(self.transport.clone(), incident_events_path())
    }

    /// Reads one association
    /// (`GET .../objects/incident-events/{event-uuid}/{incident-id}`).
    pub fn get(&self, event_id: &str, incident_id: &str) -> Call<IncidentEvent> {
        let path = incident_events_path().segment(event_id);
        let path = path.and_then(|p| p.segment(incident_id));
        Call::json(&self.transport, path.map(ApiRequest::get))
    }
}

incident_core::operations_handle! {
    /// External data items; get it from
    /// [`SentinelClient::external_data`](crate::SentinelClient::external_data).
    pub struct ExternalDataApi { transport: Transport }
}

impl ExternalDataApi {
    /// Reads one item (`GET .../objects/external-data/{ExternalDataId}`).
    pub fn get(&self, id: &str) -> Call<ExternalData> {
        get_by_id(&self.transport, "external-data", id)
    }

    /// Reads the item a reference names (an incident's `external-datas` entry), on the
    /// configured origin.
    pub fn get_ref(&self, reference: &ObjectRef) -> Call<ExternalData> {
        Call::json(
            &self.transport,
            ref_request(&self.transport, reference, "external-data"),
        )
    }
}

incident_core::operations_handle! {
    /// Annotations (an incident's annotations and notes); get it from
    /// [`SentinelClient::annotations`](crate::SentinelClient::annotations). Read only: how
    /// annotations are created and tied to an incident is not publicly documented.
    pub struct AnnotationsApi { transport: Transport }
}

impl AnnotationsApi {
    /// Reads one annotation (`GET .../objects/annotation/{id}`).
    pub fn get(&self, id: &str) -> Call<Annotation> {
        get_by_id(&self.transport, "annotation", id)
    }

    /// Reads the annotation a reference names (an incident's `annotations` or `notes`
    /// entry), on the configured origin.
    pub fn get_ref(&self, reference: &ObjectRef) -> Call<Annotation> {
        Call::json(
            &self.transport,
            ref_request(&self.transport, reference, "annotation"),
        )
    }
}
