//! Per vendor: a page decode, a record decode, and what the transport makes of any answer
//! (the vendor's response hook and error parser).

use std::fmt::Debug;

use incident_core::fuzzing::{Outcome, answer};
use incident_core::http::Method;
use incident_core::transport::ErrorParser;
use incident_core::{ApiPath, ApiRequest, ApiResponse, Error, Incident, Transport};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::wire::{Wire, check_error};

use cyberark_pta_client::PtaClient;
use eset_connect_client::EsetClient;
use qradar_client::QRadarClient;
use sentinel_client::SentinelClient;
use skyhigh_client::SkyhighClient;

thread_local! {
    static QRADAR: QRadarClient = QRadarClient::builder("https://qradar.invalid")
        .sec_token("token")
        .build()
        .expect("a QRadar client");
    static PTA: PtaClient = PtaClient::builder("https://pvwa.invalid")
        .credentials("admin", "password")
        .build()
        .expect("a PTA client");
    static SENTINEL: SentinelClient = SentinelClient::builder("https://sentinel.invalid")
        .credentials("admin", "password")
        .build()
        .expect("a Sentinel client");
    static SKYHIGH: SkyhighClient = SkyhighClient::builder("https://skyhigh.invalid")
        .basic_auth("api-user@example.com", "password")
        .build()
        .expect("a Skyhigh client");
    static ESET: EsetClient =
        EsetClient::builder_with_urls("https://eset.invalid", "https://iam.eset.invalid")
            .credentials("api-user@example.com", "password")
            .build()
            .expect("an ESET client");
}

/// What `transport` makes of the answer in `wire` to `request`; an error is checked.
fn outcome(transport: &Transport, request: &ApiRequest, wire: &Wire<'_>) -> Outcome {
    let outcome = answer(
        transport,
        request,
        wire.status,
        wire.headers.clone(),
        wire.body.clone(),
    );
    if let Some(error) = outcome.error() {
        check_error(error);
    }
    outcome
}

/// The success answer in `wire` to `request`, as the transport hands it to the operation.
fn success(transport: &Transport, request: &ApiRequest, wire: &Wire<'_>) -> Option<ApiResponse> {
    match outcome(transport, request, wire) {
        Outcome::Done(response) => Some(response),
        _ => None,
    }
}

/// A page decoded, or its error checked; `Some` with the page.
fn page_or_error<P>(page: incident_core::Result<P>) -> Option<P> {
    match page {
        Ok(page) => Some(page),
        Err(error) => {
            check_error(&error);
            None
        }
    }
}

/// The page size a page target asks for: the argument, else `default`.
fn asked(wire: &Wire<'_>, default: u64) -> u64 {
    wire.number().unwrap_or(default)
}

/// A QRadar list answer (`Range` offsets, `Content-Range`) to `GET /siem/offenses`.
///
/// # Panics
///
/// On a bug only, as every target (see [the crate](crate)).
pub fn page_qradar(data: &[u8]) {
    let wire = Wire::parse(data);
    let request = ApiRequest::get(ApiPath::new("/siem/offenses"));
    let Some(response) = QRADAR.with(|c| success(c.transport(), &request, &wire)) else {
        return;
    };
    let asked = wire.number();
    let decoded = qradar_client::fuzzing::decode_page::<qradar_client::Offense>(&response, asked);
    if let Some(page) = page_or_error(decoded) {
        let got = page.items.len() as u64;
        assert!(
            asked.is_none_or(|a| got <= a),
            "{got} offenses for {asked:?}"
        );
        let _ = (page.total(), page.next_start());
        for offense in page.items {
            normalize_offense(offense);
        }
    }
}

/// A PTA answer: the security-event listing (argument `events:N`, at most `N` events) or a
/// page of risk events (argument: the page size).
///
/// # Panics
///
/// On a bug only, as every target (see [the crate](crate)).
pub fn page_pta(data: &[u8]) {
    let wire = Wire::parse(data);
    let events = wire.arg.and_then(|a| a.strip_prefix("events:"));
    let path = if events.is_some() {
        "/API/pta/API/Events/"
    } else {
        "/API/pta/API/Risks/RisksEvents/"
    };
    let request = ApiRequest::get(ApiPath::new(path));
    let Some(response) = PTA.with(|c| success(c.transport(), &request, &wire)) else {
        return;
    };
    if let Some(max) = events {
        let max = max
            .parse()
            .unwrap_or(cyberark_pta_client::DEFAULT_MAX_EVENTS);
        let status = cyberark_pta_client::EventStatus::Open;
        let kept = (max % 2 == 1).then_some(&status);
        let decoded = cyberark_pta_client::fuzzing::decode_events(&response, max, kept);
        if let Some(events) = page_or_error(decoded) {
            assert!(
                events.len() as u64 <= max,
                "{} events for {max}",
                events.len()
            );
            for event in events {
                assert!(event.id.as_deref().is_some_and(|id| !id.is_empty()));
                normalized(cyberark_pta_client::normalize::incident_from_event(event));
            }
        }
    } else {
        let size = asked(&wire, cyberark_pta_client::DEFAULT_RISK_PAGE_SIZE);
        let decoded = incident_core::paging::decode_page::<cyberark_pta_client::RiskEventsPage>(
            &response,
            Some(size),
        );
        if let Some(page) = page_or_error(decoded) {
            let got = page.entities.len() as u64;
            assert!(got <= size, "{got} risk events for {size}");
        }
    }
}

/// A Sentinel page of incidents (`objects`, `next`), asked with the argument as page size.
///
/// # Panics
///
/// On a bug only, as every target (see [the crate](crate)).
pub fn page_sentinel(data: &[u8]) {
    let wire = Wire::parse(data);
    let request = ApiRequest::get(ApiPath::new(sentinel_client::OBJECTS_PATH).then("incident"));
    let Some(response) = SENTINEL.with(|c| success(c.transport(), &request, &wire)) else {
        return;
    };
    let size = asked(&wire, sentinel_client::DEFAULT_PAGE_SIZE);
    let decoded = incident_core::paging::decode_page::<
        sentinel_client::Page<sentinel_client::Incident>,
    >(&response, Some(size));
    if let Some(page) = page_or_error(decoded) {
        let got = page.objects.len() as u64;
        assert!(got <= size, "{got} incidents for {size}");
        for incident in page.objects {
            normalized(sentinel_client::normalize::incident_from_sentinel(incident));
        }
    }
}

/// A Skyhigh `queryIncidents` answer, asked with the argument as `limit` (`c` after it:
/// by creation time).
///
/// # Panics
///
/// On a bug only, as every target (see [the crate](crate)).
pub fn page_skyhigh(data: &[u8]) {
    let wire = Wire::parse(data);
    let request = ApiRequest::post(ApiPath::new("/queryIncidents")).idempotent(true);
    let Some(response) = SKYHIGH.with(|c| success(c.transport(), &request, &wire)) else {
        return;
    };
    let by_creation = wire.arg.is_some_and(|a| a.ends_with('c'));
    let limit = wire
        .arg
        .and_then(|a| a.trim_end_matches('c').parse::<u32>().ok());
    let decoded = skyhigh_client::fuzzing::decode_page(&response, limit, by_creation);
    if let Some(page) = page_or_error(decoded) {
        let got = page.incidents.len() as u64;
        let most = limit.map(|l| u64::from(l) + u64::from(skyhigh_client::MAX_TIES));
        assert!(
            most.is_none_or(|m| got <= m),
            "{got} incidents for {limit:?}"
        );
        assert!(
            page.next.is_none() || got > 0,
            "a cursor after an empty page"
        );
        for incident in page.incidents {
            normalized(skyhigh_client::normalize::incident_from_skyhigh(incident));
        }
    }
}

/// An ESET page of incidents (`incidents`, `nextPageToken`), asked with the argument as
/// page size.
///
/// # Panics
///
/// On a bug only, as every target (see [the crate](crate)).
pub fn page_eset(data: &[u8]) {
    let wire = Wire::parse(data);
    let request = ApiRequest::get(ApiPath::new("/v2/incidents"));
    let Some(response) = ESET.with(|c| success(c.transport(), &request, &wire)) else {
        return;
    };
    let size = asked(&wire, 100);
    let decoded = incident_core::paging::decode_page::<eset_connect_client::IncidentsPage>(
        &response,
        Some(size),
    );
    if let Some(page) = page_or_error(decoded) {
        let got = page.incidents.len() as u64;
        assert!(got <= size, "{got} incidents for {size}");
        for incident in page.incidents {
            normalized(eset_connect_client::normalize::incident_from_eset(incident));
        }
    }
}

/// `T` decoded from `data`, written and read back unchanged.
fn round_trip<T>(data: &[u8]) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let record: T = serde_json::from_slice(data).ok()?;
    let text = serde_json::to_string(&record).expect("a decoded record is written");
    let again: T = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("a written record does not decode ({e}): {text}"));
    assert_eq!(again, record, "a record changed through writing: {text}");
    Some(record)
}

/// A normalized incident, exported to OCSF and written; an error is checked.
fn normalized(incident: incident_core::Result<Incident>) {
    match incident {
        Ok(incident) => {
            let _ = format!("{incident:?}");
            let finding = incident.to_ocsf();
            let _ = serde_json::to_string(&finding).expect("an OCSF finding is written");
        }
        Err(error) => check_error(&error),
    }
}

fn normalize_offense(offense: qradar_client::Offense) {
    let reasons: Vec<qradar_client::ClosingReason> = serde_json::from_str(
        r#"[{"id":1,"text":"Non-Issue"},{"id":2,"text":"False-Positive, Tuned"}]"#,
    )
    .expect("closing reasons");
    normalized(qradar_client::normalize::incident_from_offense(
        offense, &reasons,
    ));
}

/// The record type is chosen by the first byte; the rest is its JSON.
fn split(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(first, rest)| (*first, rest))
}

/// QRadar's records: offense, note, closing reason, offense type, assignable actor.
pub fn record_qradar(data: &[u8]) {
    use qradar_client::{AssignableActor, ClosingReason, Note, Offense, OffenseType};
    let Some((kind, json)) = split(data) else {
        return;
    };
    match kind % 5 {
        0 => {
            if let Some(offense) = round_trip::<Offense>(json) {
                normalize_offense(offense);
            }
        }
        1 => drop(round_trip::<Note>(json)),
        2 => drop(round_trip::<ClosingReason>(json)),
        3 => drop(round_trip::<OffenseType>(json)),
        _ => drop(round_trip::<AssignableActor>(json)),
    }
}

/// PTA's records: security event, risk event.
pub fn record_pta(data: &[u8]) {
    use cyberark_pta_client::{RiskEvent, SecurityEvent};
    let Some((kind, json)) = split(data) else {
        return;
    };
    match kind % 2 {
        0 => {
            if let Some(event) = round_trip::<SecurityEvent>(json) {
                let _ = (
                    cyberark_pta_client::normalize::title_of(&event),
                    cyberark_pta_client::normalize::description_of(&event),
                );
                normalized(cyberark_pta_client::normalize::incident_from_event(event));
            }
        }
        _ => drop(round_trip::<RiskEvent>(json)),
    }
}

/// Sentinel's records: incident, incident event, external data, annotation.
pub fn record_sentinel(data: &[u8]) {
    use sentinel_client::{Annotation, ExternalData, Incident, IncidentEvent};
    let Some((kind, json)) = split(data) else {
        return;
    };
    match kind % 4 {
        0 => {
            if let Some(incident) = round_trip::<Incident>(json) {
                normalized(sentinel_client::normalize::incident_from_sentinel(incident));
            }
        }
        1 => drop(round_trip::<IncidentEvent>(json)),
        2 => drop(round_trip::<ExternalData>(json)),
        _ => drop(round_trip::<Annotation>(json)),
    }
}

/// Skyhigh's records: incident, response info.
pub fn record_skyhigh(data: &[u8]) {
    use skyhigh_client::{Incident, ResponseInfo};
    let Some((kind, json)) = split(data) else {
        return;
    };
    match kind % 2 {
        0 => {
            if let Some(incident) = round_trip::<Incident>(json) {
                normalized(skyhigh_client::normalize::incident_from_skyhigh(incident));
            }
        }
        _ => drop(round_trip::<ResponseInfo>(json)),
    }
}

/// ESET's records: incident, comment.
pub fn record_eset(data: &[u8]) {
    use eset_connect_client::{Incident, IncidentComment};
    let Some((kind, json)) = split(data) else {
        return;
    };
    match kind % 2 {
        0 => {
            if let Some(incident) = round_trip::<Incident>(json) {
                normalized(eset_connect_client::normalize::incident_from_eset(incident));
            }
        }
        _ => drop(round_trip::<IncidentComment>(json)),
    }
}

/// Any answer to any request, through the vendor's response hook and error parser; the
/// parser is also given the answer directly, whatever its status.
fn any_answer(
    transport: &Transport,
    parser: &dyn ErrorParser,
    default: ApiRequest,
    data: &[u8],
) -> Option<Error> {
    let wire = Wire::parse(data);
    let request = wire.request(default);
    let parsed = parser.parse(wire.status, &wire.headers, &wire.body);
    let _ = format!("{parsed:?}");
    let _ = incident_core::retry::parse_retry_after(&wire.headers);
    match outcome(transport, &request, &wire) {
        Outcome::Done(response) => {
            let _ = (
                response.status(),
                response.request_id(),
                response.body().len(),
            );
            None
        }
        Outcome::Poll { .. } => None,
        Outcome::Fail(error) | Outcome::Reauthenticate(error) | Outcome::Retry { error, .. } => {
            Some(error)
        }
        // A later kind of outcome: nothing more to read.
        _ => None,
    }
}

/// Any answer to any QRadar request: [`QRadarHook`](qradar_client::QRadarHook) and
/// [`QRadarErrorParser`](qradar_client::QRadarErrorParser).
pub fn answer_qradar(data: &[u8]) {
    use qradar_client::QRadarErrorExt;
    let default = ApiRequest::get(ApiPath::new("/siem/offenses"));
    let error = QRADAR.with(|c| {
        any_answer(
            c.transport(),
            &qradar_client::QRadarErrorParser,
            default,
            data,
        )
    });
    if let Some(error) = error {
        if let Some(body) = error.qradar_body() {
            let _ = (body.error_code(), body.display_message());
        }
        let _ = error.qradar_code().map(|c| (c.code(), c.kind()));
    }
}

/// Any answer to any PTA request: its hook (HTML pages and error bodies with a 2xx) and
/// [`PtaErrorParser`](cyberark_pta_client::PtaErrorParser).
pub fn answer_pta(data: &[u8]) {
    use cyberark_pta_client::PtaErrorExt;
    let default = ApiRequest::new(Method::PATCH, ApiPath::new("/API/pta/API/Events/1"));
    let error = PTA.with(|c| {
        any_answer(
            c.transport(),
            &cyberark_pta_client::PtaErrorParser,
            default,
            data,
        )
    });
    if let Some(error) = error {
        if let Some(body) = error.pta_body() {
            let _ = (body.code(), body.typed_code(), body.message());
        }
        let _ = error.pta_code().map(|c| c.kind());
    }
}

/// Any answer to any Sentinel request: [`SentinelHook`](sentinel_client::SentinelHook) and
/// [`SentinelErrorParser`](sentinel_client::SentinelErrorParser).
pub fn answer_sentinel(data: &[u8]) {
    use sentinel_client::SentinelErrorExt;
    let default = ApiRequest::put(ApiPath::new(sentinel_client::OBJECTS_PATH).then("incident"));
    let parser = sentinel_client::SentinelErrorParser::default();
    let error = SENTINEL.with(|c| any_answer(c.transport(), &parser, default, data));
    if let Some(error) = error {
        let _ = error.sentinel_fault();
    }
}

/// Any answer to any Skyhigh request: [`SkyhighHook`](skyhigh_client::SkyhighHook) (with the
/// argument as the request's JSON body, for `modifyIncidents`) and
/// [`SkyhighErrorParser`](skyhigh_client::SkyhighErrorParser).
pub fn answer_skyhigh(data: &[u8]) {
    use skyhigh_client::SkyhighErrorExt;
    let default = ApiRequest::post(ApiPath::new("/queryIncidents")).idempotent(true);
    let error = SKYHIGH.with(|c| {
        any_answer(
            c.transport(),
            &skyhigh_client::SkyhighErrorParser,
            default,
            data,
        )
    });
    if let Some(error) = error {
        let _ = (error.skyhigh_code(), error.skyhigh_error());
    }
}

/// Any answer to any ESET request: its hook (202 polls, restarts, errors inside a 2xx) and
/// [`EsetErrorParser`](eset_connect_client::EsetErrorParser).
pub fn answer_eset(data: &[u8]) {
    use eset_connect_client::EsetErrorExt;
    let default = ApiRequest::get(ApiPath::new("/v2/incidents"));
    let parser = eset_connect_client::EsetErrorParser::default();
    let error = ESET.with(|c| any_answer(c.transport(), &parser, default, data));
    if let Some(error) = error {
        let _ = (error.eset_body(), error.grpc_code(), error.oauth_error());
    }
}

/// What the QRadar client's transport makes of a `200` with these headers and body.
pub(crate) fn qradar_answer(
    request: &ApiRequest,
    headers: incident_core::http::HeaderMap,
    body: Vec<u8>,
) -> Outcome {
    QRADAR.with(|c| {
        answer(
            c.transport(),
            request,
            incident_core::http::StatusCode::OK,
            headers,
            body,
        )
    })
}
