//! The IncidentSource conformance suite and the secret-leak checks of `incident-testkit`,
//! run against the QRadar simulator over real HTTP.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::TryStreamExt;
use incident_core::source::{Query, Update};
use incident_core::{
    Capabilities, Closure, Cursor, Incident, IncidentPage, IncidentQuery, IncidentSource,
    IncidentStatus, IncidentUpdate, RetryPolicy, Severity, Vendor, Verdict,
};
use incident_sim::QRadarSim;
use incident_testkit::conformance::Failure;
use incident_testkit::{Fixture, LeakCheck, run_conformance, try_conformance};
use qradar_client::QRadarClient;

async fn start() -> (QRadarSim, QRadarClient) {
    let sim = QRadarSim::builder().offenses(60).start().await.unwrap();
    let client = QRadarClient::builder(sim.url())
        .sec_token(sim.token())
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
        .build()
        .unwrap();
    (sim, client)
}

/// An open offense nobody is assigned to, as the suite needs.
async fn unassigned_open(source: &dyn IncidentSource) -> String {
    let first: Vec<Incident> = source
        .stream_incidents(IncidentQuery::new().status(IncidentStatus::New).limit(1))
        .try_collect()
        .await
        .unwrap();
    first[0].id.clone()
}

/// What QRadar can do through the normalized interface: filter on its three statuses (not
/// On Hold), assign to a known user, close by verdict (a closing reason is picked), and
/// reopen a closed offense by setting it In Progress (open and still assigned).
fn qradar_fixture(id: String) -> Fixture {
    Fixture::new(id, "999999")
        .page_size(7)
        .filter_status(IncidentStatus::New)
        .filter_status(IncidentStatus::InProgress)
        .filter_status(IncidentStatus::Closed)
        .filter_status(IncidentStatus::Other("Hidden".into()))
        .unfilterable_status(IncidentStatus::OnHold)
        .unfilterable_status(IncidentStatus::Unknown)
        .assignee("analyst1")
        .closure(Closure::verdict(Verdict::FalsePositive))
        .reopen(IncidentStatus::InProgress)
}

#[tokio::test]
async fn qradar_conforms_to_its_capabilities() {
    let (sim, client) = start().await;
    let id = unassigned_open(&client).await;
    let report = run_conformance(&client, &qradar_fixture(id.clone())).await;
    println!("{report}");

    assert_eq!(report.vendor, qradar_client::QRADAR);
    assert_eq!(report.incidents, 60);
    for check in [
        "paging",
        "incidents() stream",
        "status filter Hidden",
        "status filter On Hold is unsupported",
        "time window on Created",
        "time window on Updated",
        "severity is unsupported",
        "unassign is unsupported",
        "status On Hold is unsupported",
        "refused changes change nothing",
        "set status New",
        "set status Hidden",
        "assign",
        "note",
        "close without a reason is refused",
        "close",
        "verdict reads back",
        "reopen as In Progress",
    ] {
        assert!(
            report.has_passed(check),
            "{check} did not pass:\n{report:#?}"
        );
    }
    // In Progress needs an assignee on QRadar: refused as invalid input on an unassigned
    // offense, never as unsupported. Severity and unassign are denied, and were checked
    // as unsupported above.
    let skipped: Vec<_> = report.skipped().map(|(name, _)| name).collect();
    assert_eq!(
        skipped,
        ["set status In Progress", "set severity", "unassign"],
        "{report}"
    );

    // The simulator saw the changes.
    let offense = sim.offense(id.parse().unwrap()).unwrap();
    assert_eq!(offense["status"], "OPEN");
    assert_eq!(offense["assigned_to"], "analyst1");
    assert!(
        sim.notes(id.parse().unwrap())
            .iter()
            .any(|n| n["note_text"] == qradar_fixture(id.clone()).note)
    );
}

/// A QRadar client that declares other capabilities than it has.
#[derive(Debug, Clone)]
struct Claiming {
    inner: QRadarClient,
    caps: Capabilities,
}

#[async_trait]
impl IncidentSource for Claiming {
    fn vendor(&self) -> Vendor {
        self.inner.vendor()
    }
    fn capabilities(&self) -> Capabilities {
        self.caps.clone()
    }
    fn shared(&self) -> Arc<dyn IncidentSource> {
        Arc::new(self.clone())
    }
    // Past the claim, straight to the client: only the client's own capabilities are
    // checked, so the suite meets what the client really does.
    async fn list_incidents(
        &self,
        query: &IncidentQuery,
        cursor: Option<&Cursor>,
    ) -> incident_core::Result<IncidentPage> {
        self.inner.list_incidents(query, cursor).await
    }
    async fn list_page(
        &self,
        query: Query<'_>,
        cursor: Option<&Cursor>,
    ) -> incident_core::Result<IncidentPage> {
        self.inner.list_incidents(&query, cursor).await
    }
    async fn get_incident(&self, id: &str) -> incident_core::Result<Incident> {
        self.inner.get_incident(id).await
    }
    async fn update_incident(
        &self,
        id: &str,
        update: &IncidentUpdate,
    ) -> incident_core::Result<Incident> {
        self.inner.update_incident(id, update).await
    }
    async fn apply_update(&self, id: &str, update: Update<'_>) -> incident_core::Result<Incident> {
        self.inner.update_incident(id, &update).await
    }
}

async fn failure_when(claim: impl FnOnce(&mut Capabilities)) -> Failure {
    let (_sim, client) = start().await;
    let mut caps = client.capabilities();
    claim(&mut caps);
    let source = Claiming {
        inner: client,
        caps,
    };
    let id = unassigned_open(&source).await;
    try_conformance(&source, &qradar_fixture(id))
        .await
        .expect_err("capabilities that do not match the behaviour must fail the suite")
}

#[tokio::test]
async fn capabilities_that_promise_too_much_fail_the_suite() {
    let f = failure_when(|c| {
        c.set_severity = true;
        c.severities = vec![Severity::High, Severity::Low];
    })
    .await;
    assert_eq!(f.check, "set severity", "{f}");
    assert!(f.message.contains("does not support"), "{f}");

    let f = failure_when(|c| c.settable_statuses.push(IncidentStatus::OnHold)).await;
    assert_eq!(f.check, "set status On Hold", "{f}");
}

#[tokio::test]
async fn capabilities_that_deny_what_works_fail_the_suite() {
    let f = failure_when(|c| c.time_fields.clear()).await;
    assert_eq!(f.check, "time window on Created is unsupported", "{f}");

    let f = failure_when(|c| c.assign = false).await;
    assert_eq!(f.check, "assign is unsupported", "{f}");
    assert!(f.message.contains("Unsupported expected"), "{f}");
}

#[tokio::test]
async fn the_sec_token_stays_out_of_logs_errors_and_debug() {
    let token = "sec-0d5e-conformance-7c1b9f44";
    let sim = QRadarSim::builder()
        .offenses(5)
        .token(token)
        .start()
        .await
        .unwrap();
    let client = QRadarClient::builder(sim.url())
        .sec_token(token)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let check = LeakCheck::new([token]);

    let ok = check
        .run(&client, client.offenses().list().range(0, 4).send())
        .await;
    assert_eq!(ok.result.unwrap().items.len(), 5);
    assert!(
        ok.lines.iter().any(|l| l.contains("status=200")),
        "{:#?}",
        ok.lines
    );

    let missing = check
        .run(&client, client.offenses().get(404_404).send())
        .await;
    assert!(missing.result.unwrap_err().is_not_found());

    // Through the normalized interface too, an update included.
    let update = IncidentUpdate::new().note("checked");
    let noted = check
        .run(&client, client.update_incident("1", &update))
        .await;
    assert_eq!(noted.result.unwrap().id, "1");

    // A refused token is not written anywhere either.
    let wrong = "sec-wrong-4e2a-91c0";
    let refused_client = QRadarClient::builder(sim.url())
        .sec_token(wrong)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let refused = LeakCheck::new([token, wrong])
        .run(&refused_client, refused_client.offenses().get(1).send())
        .await;
    assert_eq!(
        refused.result.unwrap_err().kind(),
        Some(incident_core::ErrorKind::Unauthorized)
    );
}

#[tokio::test]
async fn the_basic_password_stays_out_of_logs_errors_and_debug() {
    let (user, password) = ("soc-bot", "Pa55 w0rd!-conformance");
    let sim = QRadarSim::builder()
        .offenses(3)
        .basic_auth(user, password)
        .start()
        .await
        .unwrap();
    let client = QRadarClient::builder(sim.url())
        .basic_auth(user, password)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let check = LeakCheck::default().basic_auth(user, password);
    let got = check.run(&client, client.get_incident("2")).await;
    assert_eq!(got.result.unwrap().id, "2");
    let missing = check.run(&client, client.get_incident("999")).await;
    assert!(missing.result.unwrap_err().is_not_found());
    // The user name is not secret, and is shown.
    assert!(format!("{client:?}").contains(user), "{client:?}");
}

#[tokio::test]
#[should_panic(expected = "leak into the result's Debug")]
async fn a_leak_is_caught() {
    // The check is not vacuous: a secret in what the operation returns is found.
    let (_sim, client) = start().await;
    let check = LeakCheck::new(["Offense number"]);
    let leaky = async {
        let o = client.offenses().get(1).send().await?;
        Ok(format!("{o:?} Offense number"))
    };
    check.run(&client, leaky).await;
}

#[tokio::test]
#[should_panic(expected = "leak into the log")]
async fn a_value_in_the_log_is_caught() {
    // The capture sees the transport's trace lines: the path of a request is logged, so a
    // "secret" in it is found there.
    let (_sim, client) = start().await;
    let check = LeakCheck::new(["/api/siem/offenses/424242"]);
    let _ = check
        .run(&client, client.offenses().get(424_242).send())
        .await;
}
