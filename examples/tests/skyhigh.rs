//! The write step of `cargo run --example skyhigh_incidents` against the Skyhigh simulator:
//! a refusal inside an HTTP 200 is an error carrying the service's message (the example
//! exits non-zero with it), never "Marked ... resolved".

use incident_core::ErrorKind;
use incident_examples::skyhigh::resolve;
use incident_sim::{Fault, SkyhighSim};
use serde_json::{Value, json};
use skyhigh_client::SkyhighClient;

const MODIFY: &str = "/shnapi/rest/external/api/v1/modifyIncidents";

async fn start() -> (SkyhighSim, SkyhighClient, String) {
    let sim = SkyhighSim::builder().incidents(20).start().await.unwrap();
    let (user, password) = sim.credentials();
    let client = SkyhighClient::builder(sim.url())
        .basic_auth(user, password.to_owned())
        .build()
        .unwrap();
    let id = sim
        .incidents()
        .iter()
        .find(|i| i["status"] == "new")
        .and_then(|i| i["incidentId"].as_str())
        .unwrap()
        .to_owned();
    (sim, client, id)
}

fn info(error: Value) -> Value {
    json!({"actualLimit": 1, "apiElapsedMillis": 12, "error": error, "nextOffset": null,
           "nextStartTime": null, "source": "shnapi-test"})
}

/// The example's batch refused inside a 200 with the answer `answer` makes for the
/// incident: the error is the service's, and the incident is left as it was.
async fn refused(answer: impl Fn(&str) -> Value, kind: ErrorKind, code: &str, message: &str) {
    let (sim, client, id) = start().await;
    sim.inject_on(
        MODIFY,
        Fault::ErrorInside200 {
            body: answer(&id).to_string(),
        },
        1,
    );
    let e = resolve(&client, &id).await.unwrap_err();
    let line = e.to_string();
    assert!(line.contains("200 OK"), "names the HTTP status: {line}");
    assert!(line.contains(&message.replace("{id}", &id)), "{line}");
    assert!(!line.contains('\n'), "one line: {line}");
    let api = e.downcast_ref::<incident_core::Error>().unwrap();
    assert_eq!(api.kind(), Some(kind), "{line}");
    assert_eq!(api.vendor_code(), Some(code), "{line}");
    let request = sim.last_request().unwrap();
    assert_eq!(request.path, MODIFY);
    assert_eq!(sim.faults_pending(), 0);
    assert_eq!(sim.incident(&id).unwrap()["status"], "new");
}

#[tokio::test]
async fn a_batch_refused_as_a_whole_is_an_error() {
    let error = json!({"code": 403, "message": "The Incident Management role is required",
                       "details": []});
    let message = "The Incident Management role is required";
    refused(
        |_| info(error.clone()),
        ErrorKind::Forbidden,
        "403",
        message,
    )
    .await;
    refused(
        |_| {
            json!({"headers": {}, "body": {"responseInfo": info(error.clone())},
                   "statusCode": "OK", "statusCodeValue": 200})
        },
        ErrorKind::Forbidden,
        "403",
        message,
    )
    .await;
}

#[tokio::test]
async fn a_refusal_naming_the_one_incident_is_an_error() {
    let error = |id: &str| {
        json!({"code": 400, "message": "1 of 1 incidents were not modified",
               "details": [{"code": 409, "message": format!("Incident '{id}' was changed meanwhile"),
                            "target": id}]})
    };
    let message = "Incident '{id}' was changed meanwhile";
    refused(|id| info(error(id)), ErrorKind::Conflict, "409", message).await;
    refused(
        |id| json!({"responseInfo": info(error(id))}),
        ErrorKind::Conflict,
        "409",
        message,
    )
    .await;
}

#[tokio::test]
async fn an_applied_change_resolves_the_incident() {
    let (sim, client, id) = start().await;
    resolve(&client, &id).await.unwrap();
    assert_eq!(sim.incident(&id).unwrap()["status"], "resolved");
}
