//! The IncidentSource conformance suite against the Sentinel simulator, and secrets kept out
//! of trace logs, errors and Debug.

use incident_core::{Closure, IncidentSource, IncidentStatus, Verdict};
use incident_sim::SentinelSim;
use incident_testkit::{Fixture, LeakCheck, run_conformance};
use sentinel_client::SentinelClient;

fn client(sim: &SentinelSim) -> SentinelClient {
    let (user, password) = sim.credentials();
    SentinelClient::builder(sim.url())
        .credentials(user, password)
        .build()
        .unwrap()
}

/// The first incident that is OPEN and has no users.
fn open_unassigned(sim: &SentinelSim) -> u64 {
    sim.incident_ids()
        .into_iter()
        .find(|id| {
            let i = sim.incident(*id).unwrap();
            i["state"] == "OPEN" && i["users"].as_array().is_none_or(Vec::is_empty)
        })
        .expect("the seed has an open, unassigned incident")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_against_the_simulator() {
    let sim = SentinelSim::builder().incidents(45).start().await.unwrap();
    let id = open_unassigned(&sim);
    let fixture = Fixture::new(id.to_string(), "999999")
        .page_size(10)
        .filter_status(IncidentStatus::New)
        .filter_status(IncidentStatus::InProgress)
        .filter_status(IncidentStatus::Closed)
        .assignee("3")
        .closure(Closure::reason("Compte verrouillé.").with_verdict(Verdict::FalsePositive))
        .reopen(IncidentStatus::New);
    let source = client(&sim);
    let report = run_conformance(&source, &fixture).await;
    assert!(report.has_passed("close"), "{report}");
    assert!(report.has_passed("verdict reads back"), "{report}");
    assert!(
        report.has_passed("assign") && report.has_passed("unassign"),
        "{report}"
    );
    assert!(report.has_passed("set severity"), "{report}");
    assert!(report.has_passed("note is unsupported"), "{report}");
    assert_eq!(report.incidents, 45);
    // The fixture's close wrote the reason and the verdict into the resolution, in UTF-8
    // (Sentinel refuses \u escapes); the suite's close with each verdict came after it.
    assert!(
        sim.requests().iter().any(|r| r.method == "PUT"
            && r.body_str().is_some_and(|b| {
                b.contains(r#""resolution":"Compte verrouillé.\nVerdict: False Positive""#)
            })),
        "no update wrote the fixture's resolution"
    );
    let stored = sim.incident(id).unwrap();
    assert_eq!(stored["resolution"], "Verdict: Duplicate");
    assert_eq!(stored["state"], "OPEN");
}

#[tokio::test]
async fn no_secret_in_logs_errors_or_debug() {
    let sim = SentinelSim::builder().incidents(3).start().await.unwrap();
    let (user, password) = sim.credentials();
    let client = client(&sim);
    let check = LeakCheck::new([password]).basic_auth(user, password);
    let leaks = check
        .run(&client, async {
            client.incidents().get(1).await?;
            client
                .update_incident("2", &incident_core::IncidentUpdate::new().assign("1"))
                .await?;
            client.sign_out().await?;
            client.incidents().get(3).await
        })
        .await;
    assert!(leaks.result.is_ok(), "{:?}", leaks.result);
    // The tokens this run used: the first was deleted by the sign-out.
    assert_eq!(sim.tokens_issued(), 2);
    let tokens: Vec<String> = sim
        .requests()
        .iter()
        .filter_map(|r| r.header("authorization"))
        .filter_map(|h| h.strip_prefix("X-SAML ").map(str::to_owned))
        .collect();
    assert!(!tokens.is_empty());
    let check = tokens.iter().fold(check, |c, t| c.secret(t.clone()));
    check.assert_clean("the log", &leaks.log);
    // The logout path was logged, redacted.
    assert!(
        leaks
            .log
            .contains("/SentinelAuthServices/auth/tokens/[REDACTED]"),
        "{}",
        leaks.log
    );

    // Wrong credentials: a 401 that names neither the password nor a token.
    let bad = SentinelClient::builder(sim.url())
        .credentials(user, "wrong-password-77")
        .build()
        .unwrap();
    let check = LeakCheck::new(["wrong-password-77"]).basic_auth(user, "wrong-password-77");
    let leaks = check.run(&bad, bad.get_incident("1")).await;
    let err = leaks.result.unwrap_err();
    assert_eq!(err.kind(), Some(incident_core::ErrorKind::Unauthorized));
    assert!(err.to_string().contains("401"), "{err}");
}
