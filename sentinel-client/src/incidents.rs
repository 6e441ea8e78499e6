//! Incidents (`/SentinelRESTServices/objects/incident`): list, create, get, update,
//! delete, and their events.

use std::fmt;

use incident_core::{
    ApiPath, ApiRequest, ApiResponse, Call, CallOptions, Error, Result, Transport,
};
use serde_json::{Map, Value};

use crate::client::VENDOR;
use crate::model::{
    Incident, IncidentEvent, IncidentState, ObjectRef, incident_events_path, incident_path,
    incidents_path, strip_read_only,
};
use crate::request::{List, with_json};

pub use crate::model::READ_ONLY_FIELDS;

/// A list of incidents (`GET /SentinelRESTServices/objects/incident`).
pub type ListIncidents = List<Incident>;

incident_core::operations_handle! {
    /// Incident operations; get it from [`SentinelClient::incidents`](crate::SentinelClient::incidents).
    pub struct IncidentsApi { transport: Transport }
}

impl IncidentsApi {
    /// Lists incidents, with `query`, `field`, `page` and `pagesize` (always sent).
    ///
    /// ```no_run
    /// # async fn run(client: sentinel_client::SentinelClient) -> incident_core::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let mut incidents = client.incidents().list().page_size(50).into_stream();
    /// while let Some(incident) = incidents.try_next().await? {
    ///     println!("{:?} {:?}", incident.id(), incident.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListIncidents {
        List::new(self.transport.clone(), incidents_path())
    }

    /// Reads one incident (`GET /SentinelRESTServices/objects/incident/{IncidentId}`). The
    /// call owns what it needs (it does not borrow this handle).
    pub fn get(&self, id: impl fmt::Display) -> Call<Incident> {
        let request = incident_path(&id.to_string()).map(ApiRequest::get);
        Call::json(&self.transport, request)
    }

    /// Creates an incident (`POST /SentinelRESTServices/objects/incident`) and returns it
    /// as the server stored it. Server-set fields of `incident` (`meta`, the dates,
    /// `creator`, `modifier`) are not sent. Not retried after a 5xx or a lost connection:
    /// the incident may exist by then.
    ///
    /// The answer is not documented: a body holding the incident is used; an empty one is
    /// followed by a read of the `Location` header's incident.
    ///
    /// # Errors
    ///
    /// As every call ([`crate::request`]), any other JSON (a fault inside the 2xx) too,
    /// without that read (see [`SentinelHook`](crate::SentinelHook)); [`Error::Protocol`]
    /// for an empty answer without `Location`.
    pub async fn create(&self, incident: &Incident) -> Result<Incident> {
        let mut body = serde_json::to_value(incident)
            .map_err(|e| Error::invalid_input("incident", e.to_string()))?;
        if let Value::Object(map) = &mut body {
            strip_read_only(map);
        }
        let request = with_json(ApiRequest::post(incidents_path()), &body)?;
        let response = self.transport.execute(request).await?;
        if let Some(incident) = answered_incident(&response)? {
            return Ok(incident);
        }
        let location = response
            .header_str("location")
            .ok_or_else(|| {
                Error::protocol(
                    VENDOR,
                    "the incident was created, but the answer names it nowhere",
                )
            })?
            .to_owned();
        self.get_ref(&ObjectRef::new(location)).await
    }

    /// Reads the incident a reference names (`meta.@href`, a `Location`), on the configured
    /// origin.
    pub fn get_ref(&self, reference: &ObjectRef) -> Call<Incident> {
        let request = crate::objects::ref_request(&self.transport, reference, "incident");
        Call::json(&self.transport, request)
    }

    /// Starts an update of one incident (`PUT .../objects/incident/{IncidentId}`) that
    /// changes only what is set on it.
    ///
    /// ```no_run
    /// # async fn run(client: sentinel_client::SentinelClient) -> incident_core::Result<()> {
    /// use sentinel_client::IncidentState;
    ///
    /// let incident = client
    ///     .incidents()
    ///     .update("42")
    ///     .state(IncidentState::Closed)
    ///     .resolution("Compte verrouillé; mot de passe réinitialisé.")
    ///     .send()
    ///     .await?;
    /// assert_eq!(incident.state, Some(IncidentState::Closed));
    /// # Ok(()) }
    /// ```
    pub fn update(&self, id: impl fmt::Display) -> UpdateIncident {
        UpdateIncident {
            transport: self.transport.clone(),
            id: id.to_string(),
            changes: Map::new(),
            partial: false,
            options: CallOptions::default(),
        }
    }

    /// Deletes one incident (`DELETE .../objects/incident/{IncidentId}`). The call owns
    /// what it needs. An answer with a JSON body other than the incident is a refusal and
    /// an error.
    pub fn delete(&self, id: impl fmt::Display) -> Call<()> {
        let request = incident_path(&id.to_string()).map(ApiRequest::delete);
        Call::new(&self.transport, request, |_| Ok(()))
    }

    /// The events of an incident, through the link it carries (`events.@href`, e.g.
    /// `.../objects/incident-events?query=incident-id.e42`), requested on the configured
    /// origin with `page` and `pagesize` added.
    pub fn events_of(&self, incident: &Incident) -> List<IncidentEvent> {
        let link = incident.events.as_ref().and_then(|l| l.href.as_ref());
        match (link, incident.id()) {
            (Some(link), _) => List::from_link(
                self.transport.clone(),
                link.as_str(),
                incident_events_path(),
            ),
            (None, Some(id)) => self.events(&id),
            (None, None) => List::invalid(
                self.transport.clone(),
                incident_events_path(),
                "the incident has neither an events link nor an id",
            ),
        }
    }

    /// The events of the incident `id`: `GET .../objects/incident-events?query=incident-id.e{id}`,
    /// the query form of the documentation's `events` link.
    pub fn events(&self, id: &str) -> List<IncidentEvent> {
        List::new(self.transport.clone(), incident_events_path())
            .query(format!("incident-id.e{id}"))
    }
}

/// The incident in a write's answer, when the body holds one (with its `meta`; the hook
/// has refused any other JSON).
fn answered_incident(response: &ApiResponse) -> Result<Option<Incident>> {
    if response.body().iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let incident: Incident = response.json()?;
    Ok(incident.meta.is_some().then_some(incident))
}

/// An update of one incident that changes only the fields set on it.
///
/// **How**: Sentinel documents `PUT` with every field "Required: false" and its sample
/// sends the whole object, but not whether a field left out is kept or cleared. So by
/// default the update *reads the incident, changes the fields set here, and writes it all
/// back* (without the server-set `meta`, `createdate`, `moddate`, `creator` and
/// `modifier`, as the documentation's sample does): whatever the server does with fields
/// left out, nothing the caller did not set changes. Fields this crate does not model are
/// written back as they were read. The price: one more request, and, since Sentinel
/// documents no version or ETag, a change someone else makes between the read and the
/// write is overwritten. [`partial`](Self::partial) sends only the fields set, for servers
/// known to merge.
///
/// The answer to the `PUT` is not documented either (the sample shows a bare 200): an
/// answer holding the incident is returned, after an empty one the incident is read again,
/// any other JSON is an error ([`SentinelHook`](crate::SentinelHook)).
#[derive(Debug, Clone)]
#[must_use = "an update does nothing until it is sent"]
pub struct UpdateIncident {
    transport: Transport,
    id: String,
    changes: Map<String, Value>,
    partial: bool,
    options: CallOptions,
}

impl UpdateIncident {
    fn set(mut self, field: &str, value: Value) -> Self {
        self.changes.insert(field.to_owned(), value);
        self
    }

    /// Sets the state.
    pub fn state(self, state: IncidentState) -> Self {
        self.set("state", Value::String(state.as_str().to_owned()))
    }

    /// Sets the resolution: the actions taken to resolve the incident.
    pub fn resolution(self, text: impl Into<String>) -> Self {
        self.set("resolution", Value::String(text.into()))
    }

    /// Sets the severity (Sentinel's scale is 0–5).
    pub fn severity(self, severity: i64) -> Self {
        self.set("severity", Value::from(severity))
    }

    /// Sets the priority.
    pub fn priority(self, priority: i64) -> Self {
        self.set("priority", Value::from(priority))
    }

    /// Sets the category.
    pub fn category(self, category: impl Into<String>) -> Self {
        self.set("category", Value::String(category.into()))
    }

    /// Sets the name.
    pub fn name(self, name: impl Into<String>) -> Self {
        self.set("name", Value::String(name.into()))
    }

    /// Sets the description.
    pub fn desc(self, desc: impl Into<String>) -> Self {
        self.set("desc", Value::String(desc.into()))
    }

    /// Sets the users responsible for the incident (replacing the list; an empty list
    /// removes them all). Build references with
    /// [`SentinelClient::user_ref`](crate::SentinelClient::user_ref).
    pub fn users(self, users: impl IntoIterator<Item = ObjectRef>) -> Self {
        let users = users
            .into_iter()
            .map(|u| Value::String(u.as_str().to_owned()))
            .collect();
        self.set("users", Value::Array(users))
    }

    /// Sends only the fields set, without reading the incident first (see the type's
    /// documentation for when that is safe).
    pub fn partial(mut self, partial: bool) -> Self {
        self.partial = partial;
        self
    }

    incident_core::call_options!(options);

    /// Sends the update (each of its requests with the per-call options) and returns the
    /// incident as it is afterwards.
    ///
    /// # Errors
    ///
    /// As every call ([`crate::request`]); [`Error::InvalidInput`] for nothing to change;
    /// [`Error::Protocol`] when the incident read first is not a JSON object.
    pub async fn send(self) -> Result<Incident> {
        if self.changes.is_empty() {
            return Err(Error::invalid_input("incident update", "nothing to change"));
        }
        let path = incident_path(&self.id)?;
        // Refuse what cannot be sent before anything is read.
        let partial = with_json(ApiRequest::put(path.clone()), &self.changes)?;
        let request = if self.partial {
            partial
        } else {
            self.read_and_change(&path).await?
        };
        let response = self.execute(request).await?;
        match answered_incident(&response)? {
            Some(incident) => Ok(incident),
            None => self.execute(ApiRequest::get(path)).await?.json(),
        }
    }

    async fn execute(&self, request: ApiRequest) -> Result<ApiResponse> {
        self.transport.execute(self.options.apply(request)).await
    }

    /// The `PUT` of the incident as it is now, with the changes applied and without the
    /// server-set fields.
    async fn read_and_change(&self, path: &ApiPath) -> Result<ApiRequest> {
        let current: Value = self.execute(ApiRequest::get(path.clone())).await?.json()?;
        let Value::Object(mut body) = current else {
            let why = "the incident read before the update is not a JSON object";
            return Err(Error::protocol(VENDOR, why));
        };
        strip_read_only(&mut body);
        body.extend(self.changes.clone());
        with_json(ApiRequest::put(path.clone()), &body)
    }
}

incident_core::impl_into_future!([] UpdateIncident => Incident);
