//! The client against the Sentinel simulator over real HTTP: walks, updates, deletes,
//! sessions that expire mid-walk, sign-out, links that name another host, related objects.

use futures::TryStreamExt;
use incident_core::ErrorKind;
use incident_sim::{Fault, SentinelSim};
use sentinel_client::{Incident, IncidentState, SentinelClient};

fn client(sim: &SentinelSim) -> SentinelClient {
    let (user, password) = sim.credentials();
    SentinelClient::builder(sim.url())
        .credentials(user, password)
        .build()
        .unwrap()
}

fn ids(incidents: &[Incident]) -> Vec<u64> {
    incidents
        .iter()
        .map(|i| i.id().unwrap().parse().unwrap())
        .collect()
}

/// The `page` parameters of the incident list requests the simulator saw.
fn pages_asked(sim: &SentinelSim) -> Vec<(String, String)> {
    sim.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/SentinelRESTServices/objects/incident")
        .map(|r| {
            let q = r.query.clone().unwrap_or_default();
            let get = |name: &str| {
                q.split('&')
                    .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                    .unwrap_or("-")
                    .to_owned()
            };
            (get("page"), get("pagesize"))
        })
        .collect()
}

#[tokio::test]
async fn the_stream_walks_every_page_once() {
    let sim = SentinelSim::builder().incidents(57).start().await.unwrap();
    let client = client(&sim);
    let all: Vec<Incident> = client
        .incidents()
        .list()
        .page_size(25)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), (1..=57).collect::<Vec<_>>());
    let asked = pages_asked(&sim);
    let want: Vec<(String, String)> = ["1", "2", "3"]
        .iter()
        .map(|p| (p.to_string(), "25".to_string()))
        .collect();
    assert_eq!(asked, want);
    // One logon for the whole walk.
    assert_eq!(sim.tokens_issued(), 1);
    // A page read on its own, with its links.
    let page = client
        .incidents()
        .list()
        .page(2)
        .page_size(25)
        .await
        .unwrap();
    assert_eq!(ids(&page.objects), (26..=50).collect::<Vec<_>>());
    assert!(page.next.as_deref().unwrap().ends_with("page=3"));
    assert!(page.prev.as_deref().unwrap().ends_with("page=1"));
}

#[tokio::test]
async fn links_naming_another_host_are_requested_on_the_configured_one() {
    let sim = SentinelSim::builder()
        .incidents(12)
        .link_base("https://164.99.19.131:8443")
        .start()
        .await
        .unwrap();
    let client = client(&sim);
    let all: Vec<Incident> = client
        .incidents()
        .list()
        .field("name")
        .field("state")
        .page_size(5)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all), (1..=12).collect::<Vec<_>>());
    // Only the selected fields came.
    assert!(all.iter().all(|i| i.desc.is_none() && i.name.is_some()));
    // Every request reached the simulator, with the field selection kept on each page.
    let requests: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path == "/SentinelRESTServices/objects/incident")
        .collect();
    assert_eq!(requests.len(), 3);
    for r in &requests {
        let q = r.query.as_deref().unwrap();
        assert!(
            q.contains("field=name") && q.contains("field=state") && q.contains("pagesize=5"),
            "{q}"
        );
    }
    // The incident's reference is requested on the configured origin too.
    let reference = all[0].meta.as_ref().unwrap().href.clone().unwrap();
    assert!(
        reference
            .as_str()
            .starts_with("https://164.99.19.131:8443/")
    );
    let again = client.incidents().get_ref(&reference).await.unwrap();
    assert_eq!(again.id().as_deref(), Some("1"));
}

#[tokio::test]
async fn a_session_that_expires_mid_walk_logs_on_again_once() {
    let sim = SentinelSim::builder().incidents(30).start().await.unwrap();
    let client = client(&sim);
    let mut stream = client.incidents().list().page_size(10).into_stream();
    let mut seen = Vec::new();
    for _ in 0..10 {
        seen.push(stream.try_next().await.unwrap().unwrap());
    }
    sim.sessions().expire_all();
    while let Some(incident) = stream.try_next().await.unwrap() {
        seen.push(incident);
    }
    assert_eq!(ids(&seen), (1..=30).collect::<Vec<_>>());
    assert_eq!(sim.tokens_issued(), 2);
    assert_eq!(client.logons(), 2);
    // The same through a fault, on a single read.
    sim.inject(Fault::ExpireSessions, 1);
    client.incidents().get(4).await.unwrap();
    assert_eq!(sim.tokens_issued(), 3);
}

#[tokio::test]
async fn update_read_back_and_delete() {
    let sim = SentinelSim::builder().incidents(5).start().await.unwrap();
    let client = client(&sim);
    let before = sim.incident(2).unwrap();
    let user = client.user_ref("3").unwrap();
    let updated = client
        .incidents()
        .update(2)
        .state(IncidentState::Closed)
        .resolution("Compte verrouillé — mot de passe réinitialisé (東京).")
        .severity(5)
        .users([user.clone()])
        .await
        .unwrap();
    assert_eq!(updated.state, Some(IncidentState::Closed));
    assert_eq!(
        updated.resolution.as_deref(),
        Some("Compte verrouillé — mot de passe réinitialisé (東京).")
    );
    assert_eq!(updated.users, Some(vec![user]));
    assert_eq!(updated.severity, Some(5));
    // Nothing else changed.
    let stored = sim.incident(2).unwrap();
    for field in [
        "name",
        "desc",
        "category",
        "priority",
        "createdate",
        "events",
        "notes",
    ] {
        assert_eq!(stored[field], before[field], "{field}");
    }
    // The PUT went out as UTF-8, read, then written back without server-set fields.
    let put = sim
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    let body = put.body_str().unwrap();
    assert!(
        body.contains("verrouillé — mot de passe réinitialisé (東京)"),
        "{body}"
    );
    assert!(
        !body.contains("\\u") && !body.contains("\"meta\"") && !body.contains("moddate"),
        "{body}"
    );
    assert_eq!(put.header("content-type"), Some("application/json"));
    // Read back.
    let read = client.incidents().get(2).await.unwrap();
    assert_eq!(read, updated);

    client.incidents().delete(2).await.unwrap();
    assert!(sim.incident(2).is_none());
    let err = client.incidents().get(2).await.unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::NotFound));
}

#[tokio::test]
async fn create_then_related_objects() {
    let sim = SentinelSim::builder().incidents(8).start().await.unwrap();
    let client = client(&sim);
    let mut new = Incident::new("Exfiltration vers un hôte inconnu");
    new.severity = Some(4);
    new.desc = Some("Créé par le test.".into());
    let created = client.incidents().create(&new).await.unwrap();
    assert_eq!(created.id().as_deref(), Some("9"));
    assert_eq!(created.state, Some(IncidentState::Open));
    assert_eq!(created.name, new.name);

    // An incident with notes and external data.
    let all: Vec<Incident> = client
        .incidents()
        .list()
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    let with_notes = all
        .iter()
        .find(|i| i.notes.as_ref().is_some_and(|n| !n.is_empty()))
        .unwrap();
    let note = client
        .annotations()
        .get_ref(&with_notes.notes.as_ref().unwrap()[0])
        .await
        .unwrap();
    assert!(note.text().unwrap().starts_with("Triage started"));
    let with_data = all
        .iter()
        .find(|i| i.external_datas.as_ref().is_some_and(|d| !d.is_empty()))
        .unwrap();
    let data = client
        .external_data()
        .get_ref(&with_data.external_datas.as_ref().unwrap()[0])
        .await
        .unwrap();
    assert_eq!(data.source.as_deref(), Some("ServiceNow"));
    // A reference to another kind of object is refused before sending.
    let err = client
        .external_data()
        .get_ref(&with_notes.notes.as_ref().unwrap()[0])
        .await
        .unwrap_err();
    assert!(
        matches!(err, incident_core::Error::InvalidInput { .. }),
        "{err:?}"
    );

    let events: Vec<_> = client
        .incidents()
        .events_of(&all[0])
        .page_size(2)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e.incident_id == Some(1)));
    let first = &events[0];
    let again = client
        .incident_events()
        .get(first.event_id.as_deref().unwrap(), "1")
        .await
        .unwrap();
    assert_eq!(&again, first);
    let by_id: Vec<_> = client
        .incidents()
        .events("1")
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(by_id, events);
}

#[tokio::test]
async fn sign_out_deletes_the_token_and_the_next_call_logs_on() {
    let sim = SentinelSim::builder().incidents(2).start().await.unwrap();
    let client = client(&sim);
    client.incidents().get(1).await.unwrap();
    client.sign_out().await.unwrap();
    assert_eq!(sim.tokens_deleted(), 1);
    let logout = sim
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .unwrap();
    assert!(
        logout
            .path
            .starts_with("/SentinelAuthServices/auth/tokens/sim-"),
        "{}",
        logout.path
    );
    assert!(
        logout
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
    // Signing out twice does nothing.
    client.sign_out().await.unwrap();
    assert_eq!(sim.tokens_deleted(), 1);
    client.incidents().get(2).await.unwrap();
    assert_eq!(sim.tokens_issued(), 2);
}

#[tokio::test]
async fn faults_are_typed_and_retried_as_documented() {
    let sim = SentinelSim::builder().incidents(2).start().await.unwrap();
    let client = client(&sim);
    sim.inject_on(
        "/SentinelRESTServices",
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        1,
    );
    client.incidents().get(1).await.unwrap();
    sim.inject_on("/SentinelRESTServices", Fault::HtmlError { status: 502 }, 4);
    let err = client.incidents().get(1).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(err.attempts(), 4);
    let fault = sentinel_client::SentinelErrorExt::sentinel_fault(&err).unwrap();
    assert!(
        matches!(fault.body, sentinel_client::FaultBody::Text(_)),
        "{fault:?}"
    );
    sim.inject_on("/SentinelRESTServices", Fault::TruncatedBody, 1);
    let err = client.incidents().get(1).await.unwrap_err();
    assert!(matches!(err, incident_core::Error::Decode(_)), "{err:?}");
    // Bad input never reaches the server.
    let before = sim.requests().len();
    for id in ["", ".", ".."] {
        assert!(client.incidents().get(id).await.is_err());
    }
    let err = client
        .incidents()
        .update(1)
        .resolution("bell \u{7}")
        .await
        .unwrap_err();
    assert!(
        matches!(err, incident_core::Error::InvalidInput { .. }),
        "{err:?}"
    );
    let err = client.incidents().update(1).await.unwrap_err();
    assert!(
        matches!(err, incident_core::Error::InvalidInput { .. }),
        "{err:?}"
    );
    assert_eq!(sim.requests().len(), before);
    // A wrong password: a 401 on the logon, said so.
    let bad = SentinelClient::builder(sim.url())
        .credentials("admin", "nope")
        .build()
        .unwrap();
    let err = bad.incidents().get(1).await.unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::Unauthorized));
    assert!(err.to_string().contains("401 Unauthorized"), "{err}");
}

#[tokio::test]
async fn https_with_the_appliance_certificate() {
    let sim = SentinelSim::builder()
        .incidents(3)
        .https(true)
        .start()
        .await
        .unwrap();
    let (user, password) = sim.credentials();
    let pem = sim.ca_cert_pem().unwrap().as_bytes().to_vec();
    let trusted = SentinelClient::builder(sim.url())
        .credentials(user, password)
        .add_root_certificate_pem(&pem)
        .build()
        .unwrap();
    assert_eq!(
        trusted.incidents().get(1).await.unwrap().id().as_deref(),
        Some("1")
    );
    let untrusted = SentinelClient::builder(sim.url())
        .credentials(user, password)
        .build()
        .unwrap();
    let err = untrusted.incidents().get(1).await.unwrap_err();
    assert!(matches!(err, incident_core::Error::Tls { .. }), "{err:?}");
}
