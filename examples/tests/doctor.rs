//! The doctor against the simulators, one fault at a time: each gives its own verdict line.

use std::time::Duration;

use incident_core::env::Env;
use incident_examples::doctor::{self, Report, Status, diagnose, render, simulated};
use incident_sim::{EsetSim, Fault, PtaSim, QRadarSim, SentinelSim, SkyhighSim};

fn steps(report: &Report) -> Vec<&'static str> {
    report.checks.iter().map(|c| c.step).collect()
}

#[tokio::test]
async fn every_simulator_is_ready() {
    let qradar = QRadarSim::builder().offenses(3).start().await.unwrap();
    let pta = PtaSim::builder().events(3).start().await.unwrap();
    let sentinel = SentinelSim::builder().incidents(3).start().await.unwrap();
    let skyhigh = SkyhighSim::builder().incidents(3).start().await.unwrap();
    let eset = EsetSim::builder().incidents(3).start().await.unwrap();
    let subjects = [
        simulated::qradar(&qradar, true).unwrap(),
        simulated::cyberark_pta(&pta, None, true).unwrap(),
        simulated::sentinel(&sentinel, true).unwrap(),
        simulated::skyhigh(&skyhigh, true).unwrap(),
        simulated::eset(&eset, true).unwrap(),
    ];
    let mut reports = Vec::new();
    for subject in &subjects {
        reports.push(diagnose(subject).await);
    }
    for report in &reports {
        assert_eq!(
            report.verdict(),
            "ready",
            "{}",
            render(std::slice::from_ref(report))
        );
    }
    // The session vendors log on and off; every vendor reads and checks the clock.
    assert_eq!(
        steps(&reports[1]),
        [
            "address",
            "tcp",
            "proxy",
            "tls",
            "base path",
            "auth",
            "read",
            "session",
            "clock",
            "version",
            "rate limit",
            "logoff"
        ]
    );
    assert!(reports.iter().all(|r| r.check("clock").is_some()));
    let table = render(&reports);
    assert_eq!(
        table.matches("verdict     ok      ready").count(),
        5,
        "{table}"
    );
    // Nothing was changed: only reads, logons and logoffs.
    for sim in [
        qradar.server(),
        pta.server(),
        sentinel.server(),
        skyhigh.server(),
    ] {
        for request in sim.requests() {
            let allowed = request.method == "GET"
                || request.path.contains("Logon")
                || request.path.contains("Logoff")
                || request.path.contains("auth")
                || request.path.ends_with("queryIncidents");
            assert!(allowed, "{} {}", request.method, request.path);
        }
    }
}

#[tokio::test]
async fn a_wrong_password_is_a_401_at_the_logon() {
    let pta = PtaSim::builder().events(3).start().await.unwrap();
    let subject = simulated::cyberark_pta(&pta, Some("s3cret-but-wrong"), true).unwrap();
    let report = diagnose(&subject).await;
    let verdict = report.verdict();
    assert!(
        verdict.starts_with("FAIL at auth: 401 unauthorized: the logon was refused"),
        "{verdict}"
    );
    let fix = report.check("auth").unwrap().fix.clone().unwrap();
    assert!(fix.contains("PTA_PASSWORD"), "{fix}");
    assert!(report.check("read").is_none(), "stops at the failure");
    assert!(!render(&[report]).contains("s3cret-but-wrong"));
}

#[tokio::test]
async fn an_untrusted_certificate_stops_at_tls_and_names_the_variable() {
    let qradar = QRadarSim::builder()
        .offenses(3)
        .https(true)
        .start()
        .await
        .unwrap();
    let report = diagnose(&simulated::qradar(&qradar, false).unwrap()).await;
    assert_eq!(
        report.verdict(),
        "FAIL at tls: the certificate is not issued by a CA this machine trusts (a \
         self-signed appliance certificate, or a private CA)"
    );
    let fix = report.check("tls").unwrap().fix.clone().unwrap();
    assert!(fix.contains("QRADAR_CA_CERT"), "{fix}");
    assert_eq!(steps(&report).last(), Some(&"tls"), "never past TLS");
    // With the certificate trusted, the same server is ready.
    let report = diagnose(&simulated::qradar(&qradar, true).unwrap()).await;
    assert_eq!(report.verdict(), "ready");
    assert_eq!(report.check("tls").unwrap().status, Status::Ok);
}

#[tokio::test]
async fn an_html_login_page_is_not_the_api() {
    let qradar = QRadarSim::builder().offenses(3).start().await.unwrap();
    qradar.inject(Fault::LoginPage, 1);
    let report = diagnose(&simulated::qradar(&qradar, true).unwrap()).await;
    assert_eq!(
        report.verdict(),
        "FAIL at base path: answered 200 OK with an HTML page where JSON was expected"
    );
    let fix = report.check("base path").unwrap().fix.clone().unwrap();
    assert!(
        fix.contains("login portal") && fix.contains("QRADAR_URL"),
        "{fix}"
    );
    assert!(report.check("auth").is_none());
}

#[tokio::test]
async fn an_html_error_page_at_a_wrong_path_is_not_the_api() {
    let eset = EsetSim::builder().incidents(3).start().await.unwrap();
    eset.inject(Fault::HtmlError { status: 404 }, 1);
    let report = diagnose(&simulated::eset(&eset, true).unwrap()).await;
    assert_eq!(
        report.verdict(),
        "FAIL at base path: answered 404 Not Found with an HTML page where JSON was expected"
    );
}

#[tokio::test]
async fn a_session_that_expires_during_the_check_is_a_warning() {
    let sentinel = SentinelSim::builder().incidents(3).start().await.unwrap();
    // The probe and the logon pass; the read finds its session expired.
    sentinel.inject(Fault::Delay(Duration::ZERO), 2);
    sentinel.inject(Fault::ExpireSessions, 1);
    let report = diagnose(&simulated::sentinel(&sentinel, true).unwrap()).await;
    assert_eq!(report.verdict(), "ready, with warnings: session");
    let session = report.check("session").unwrap();
    assert!(session.detail.contains("2 logons"), "{}", session.detail);
    assert_eq!(report.check("read").unwrap().status, Status::Ok);
}

#[tokio::test]
async fn a_skewed_server_clock_is_a_warning() {
    let qradar = QRadarSim::builder()
        .offenses(3)
        .clock_skew(3600)
        .start()
        .await
        .unwrap();
    let report = diagnose(&simulated::qradar(&qradar, true).unwrap()).await;
    assert_eq!(report.verdict(), "ready, with warnings: clock");
    let clock = report.check("clock").unwrap();
    assert!(
        clock
            .detail
            .starts_with("the server's clock is 1 h 0 min ahead of")
            || clock.detail.starts_with("the server's clock is 59 min"),
        "{}",
        clock.detail
    );
    assert!(clock.detail.contains("5 min"), "{}", clock.detail);
    // Within the overlap, the clock is fine.
    qradar.set_clock_skew(-30);
    let report = diagnose(&simulated::qradar(&qradar, true).unwrap()).await;
    assert_eq!(report.verdict(), "ready");
}

#[tokio::test]
async fn a_429_is_a_spent_rate_limit() {
    let qradar = QRadarSim::builder().offenses(3).start().await.unwrap();
    // The probe passes; the read is refused for the rate.
    qradar.inject(Fault::Delay(Duration::ZERO), 1);
    qradar.inject(
        Fault::TooManyRequests {
            retry_after_secs: 30,
        },
        1,
    );
    let report = diagnose(&simulated::qradar(&qradar, true).unwrap()).await;
    assert_eq!(
        report.verdict(),
        "FAIL at read: 429 too many requests: the rate limit is used up, retry after 30 s"
    );
    assert_eq!(report.check("auth").unwrap().status, Status::Info);
    assert_eq!(report.check("rate limit").unwrap().status, Status::Fail);
}

#[tokio::test]
async fn a_403_is_told_apart_from_a_401() {
    let skyhigh = SkyhighSim::builder().incidents(3).start().await.unwrap();
    skyhigh.inject(Fault::Delay(Duration::ZERO), 1);
    skyhigh.inject(Fault::HtmlError { status: 403 }, 1);
    let report = diagnose(&simulated::skyhigh(&skyhigh, true).unwrap()).await;
    assert!(
        report.verdict().starts_with("FAIL at read: 403 forbidden"),
        "{}",
        report.verdict()
    );
    assert_eq!(report.check("auth").unwrap().status, Status::Ok);
}

#[test]
fn a_broken_configuration_names_its_variable() {
    let env = Env::from_pairs([
        ("QRADAR_URL", "https://qradar.example.com"),
        ("SENTINEL_URL", "https://sentinel.example.com:8443"),
        ("SENTINEL_USERNAME", "admin"),
        ("SENTINEL_PASSWORD", "pw"),
    ]);
    let found = doctor::from_environment(&env);
    assert_eq!(found.len(), 2, "only the configured vendors");
    let Err((vendor, e)) = &found[0] else {
        panic!("QRadar has no credentials")
    };
    let report = doctor::config_failure(*vendor, e);
    assert!(
        report
            .verdict()
            .starts_with("FAIL at config: QRADAR_TOKEN is not set"),
        "{}",
        report.verdict()
    );
    assert!(found[1].is_ok());
    assert!(doctor::from_environment(&Env::from_pairs::<&str, &str>([])).is_empty());
}
