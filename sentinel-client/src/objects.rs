//! The objects an incident refers to: incident-event associations, external data and
//! annotations (read only).

use incident_core::{ApiPath, ApiRequest, Error, Result, Transport};

use crate::client::OBJECTS_PATH;
use crate::incidents::incident_events_path;
use crate::model::{Annotation, ExternalData, IncidentEvent, ObjectRef};
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

async fn get_by_id<T: serde::de::DeserializeOwned>(
    transport: &Transport,
    kind: &'static str,
    id: &str,
) -> Result<T> {
    let path = ApiPath::new(OBJECTS_PATH).then(kind).segment(id)?;
    transport.execute(ApiRequest::get(path)).await?.json()
}

/// Incident-event associations; get it from
/// [`SentinelClient::incident_events`](crate::SentinelClient::incident_events).
#[derive(Debug, Clone)]
pub struct IncidentEventsApi {
    transport: Transport,
}

impl IncidentEventsApi {
    pub(crate) fn new(transport: Transport) -> Self {
        IncidentEventsApi { transport }
    }

    /// Lists associations (`GET .../objects/incident-events`), with `query`, `field`,
    /// `page` and `pagesize`.
    pub fn list(&self) -> List<IncidentEvent> {
        List::new(self.transport.clone(), incident_events_path())
    }

    /// Reads one association
    /// (`GET .../objects/incident-events/{event-uuid}/{incident-id}`).
    pub async fn get(&self, event_id: &str, incident_id: &str) -> Result<IncidentEvent> {
        let path = incident_events_path()
            .segment(event_id)?
            .segment(incident_id)?;
        self.transport.execute(ApiRequest::get(path)).await?.json()
    }
}

/// External data items; get it from
/// [`SentinelClient::external_data`](crate::SentinelClient::external_data).
#[derive(Debug, Clone)]
pub struct ExternalDataApi {
    transport: Transport,
}

impl ExternalDataApi {
    pub(crate) fn new(transport: Transport) -> Self {
        ExternalDataApi { transport }
    }

    /// Reads one item (`GET .../objects/external-data/{ExternalDataId}`).
    pub async fn get(&self, id: &str) -> Result<ExternalData> {
        get_by_id(&self.transport, "external-data", id).await
    }

    /// Reads the item a reference names (an incident's `external-datas` entry), on the
    /// configured origin.
    pub async fn get_ref(&self, reference: &ObjectRef) -> Result<ExternalData> {
        let request = ref_request(&self.transport, reference, "external-data")?;
        self.transport.execute(request).await?.json()
    }
}

/// Annotations (an incident's annotations and notes); get it from
/// [`SentinelClient::annotations`](crate::SentinelClient::annotations). Read only: how
/// annotations are created and tied to an incident is not publicly documented.
#[derive(Debug, Clone)]
pub struct AnnotationsApi {
    transport: Transport,
}

impl AnnotationsApi {
    pub(crate) fn new(transport: Transport) -> Self {
        AnnotationsApi { transport }
    }

    /// Reads one annotation (`GET .../objects/annotation/{id}`).
    pub async fn get(&self, id: &str) -> Result<Annotation> {
        get_by_id(&self.transport, "annotation", id).await
    }

    /// Reads the annotation a reference names (an incident's `annotations` or `notes`
    /// entry), on the configured origin.
    pub async fn get_ref(&self, reference: &ObjectRef) -> Result<Annotation> {
        let request = ref_request(&self.transport, reference, "annotation")?;
        self.transport.execute(request).await?.json()
    }
}
