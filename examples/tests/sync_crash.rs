//! `cargo run --example sync_sqlite` killed at random moments: no version lost, none
//! recorded twice, and a checkpoint that is always readable.
//!
//! The five simulators run in this process over HTTPS. The example runs as a child process
//! configured for them through the environment the examples read (`QRADAR_URL`,
//! `QRADAR_TOKEN`, `QRADAR_CA_CERT`, ..., what `incident-sim <vendor> --https` prints),
//! polling without pause into a database file. Meanwhile this test changes incidents through
//! the vendor clients (status, severity, assignee; some twice within a few milliseconds),
//! raises new ones in the simulators, and kills the child with SIGKILL at random moments,
//! restarting it each time; after each kill it reads every checkpoint back. At the end a
//! last clean poll catches up, and the test checks:
//!
//! - **latest state**: every incident of every simulator is in `incidents` with its current
//!   version, status, severity and assignee, and that version is in `changes`;
//! - **no duplicate**: no version was delivered twice (the example counts a batch written
//!   again as `replayed`), no `(vendor, id, version)` twice, and no state (update time,
//!   status, severity, assignee) of an incident recorded under two versions;
//! - **no lost version**: every version that stayed current from before the start of a
//!   completed run of the sync (a row of `runs`, written with the run's last batch) to its
//!   end is in `changes`. A version that lived only between two polls, such as the first of
//!   two changes a few milliseconds apart, was never listed by the vendor to anyone and
//!   cannot be required; where a poll saw it, it is recorded like any other. The simulators
//!   keep update times to the millisecond, so two changes within one second have two times;
//!   two with the same time are told apart by the record's fingerprint in the version.
//!
//! The random moments come from a seeded generator: the seed is printed, and
//! `SYNC_CRASH_SEED=<seed>` replays a run's kills and changes (the timing of the processes
//! still varies). `SYNC_CRASH_KILLS` sets the number of kills (default 60).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cyberark_pta_client::PtaClient;
use eset_connect_client::EsetClient;
use futures::TryStreamExt;
use incident_core::sync::{CheckpointStore, Version};
use incident_core::time::OffsetDateTime;
use incident_core::time::format_description::well_known::Rfc3339;
use incident_core::{
    Closure, Incident, IncidentQuery, IncidentSource, IncidentUpdate, Vendor, Verdict,
};
use incident_examples::mirror::{Mirror, db_time};
use incident_sim::{EsetSim, PtaSim, QRadarSim, SentinelSim, Sim, SimVendor, SkyhighSim};
use qradar_client::QRadarClient;
use rusqlite::Connection;
use sentinel_client::SentinelClient;
use skyhigh_client::SkyhighClient;

/// Incidents each simulator starts with.
const INCIDENTS: usize = 30;
/// Kills unless `SYNC_CRASH_KILLS` says otherwise.
const DEFAULT_KILLS: u64 = 60;

/// SplitMix64: the test's random moments and choices, replayable from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The variables `incident-sim <vendor> --https` prints for `sim`: `<PREFIX>_URL`, its
/// credentials, and `<PREFIX>_CA_CERT` naming its certificate, written into `dir`.
fn variables<V: SimVendor>(sim: &Sim<V>, dir: &Path) -> Vec<(String, String)> {
    let prefix = V::ENV_PREFIX;
    let mut out = vec![(format!("{prefix}_URL"), sim.url())];
    for (name, value) in V::variables(sim) {
        out.push((format!("{prefix}_{name}"), value));
    }
    let pem = sim
        .ca_cert_pem()
        .expect("an HTTPS simulator has a certificate");
    let path = dir.join(format!("{}.pem", V::COMMAND));
    std::fs::write(&path, pem).unwrap();
    out.push((format!("{prefix}_CA_CERT"), path.display().to_string()));
    out
}

/// Every variable an example reads, as the vendor crates list them, so that the child sees
/// only the test's.
fn vendor_variables() -> impl Iterator<Item = &'static str> {
    [
        qradar_client::ENVIRONMENT,
        cyberark_pta_client::ENVIRONMENT,
        sentinel_client::ENVIRONMENT,
        skyhigh_client::ENVIRONMENT,
        eset_connect_client::ENVIRONMENT,
    ]
    .into_iter()
    .flat_map(|environment| environment.variables().iter().map(|v| v.name()))
    .chain(["RUST_LOG"])
}

/// The example's binary, built (a no-op when `cargo test` has built the examples already)
/// with the profile and in the target directory of this test.
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/sync_crash-<hash>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_owned();
    let target_dir = profile_dir.parent().unwrap();
    let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    build
        .args([
            "build",
            "-q",
            "-p",
            "incident-examples",
            "--example",
            "sync_sqlite",
        ])
        .arg("--target-dir")
        .arg(target_dir);
    if profile_dir.file_name().is_some_and(|p| p == "release") {
        build.arg("--release");
    }
    // What cargo sets for this test's own package (its manifest, name, version...) would
    // make the build look dirty and compile everything again.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
            ]
            .contains(&&*name)
        {
            build.env_remove(&*name);
        }
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building the example failed: {status}");
    profile_dir
        .join("examples")
        .join(format!("sync_sqlite{}", std::env::consts::EXE_SUFFIX))
}

/// A fresh directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("sync-crash-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One vendor as the test drives it: its client, what an update may do, and how to raise a
/// new incident in its simulator.
struct Peer {
    source: Arc<dyn IncidentSource>,
    assignees: Vec<String>,
    raise: Box<dyn Fn() -> String + Send + Sync>,
}

/// One version of an incident as the test saw it: its state, and when it was surely
/// current (from `from` until `until`, or still).
#[derive(Debug, Clone)]
struct Seen {
    vendor: Vendor,
    id: String,
    state: State,
    from: OffsetDateTime,
    until: Option<OffsetDateTime>,
}

/// What the mirror records of a version: update time, status, severity, assignee.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct State {
    updated: Option<String>,
    status: String,
    severity: String,
    assignee: Option<String>,
}

impl State {
    fn of(incident: &Incident) -> State {
        State {
            updated: incident.updated.map(db_time),
            status: incident.status.to_string(),
            severity: incident.severity.to_string(),
            assignee: incident.assignee.clone(),
        }
    }
}

/// The versions the test made or saw, and the current one of each incident.
#[derive(Debug, Default)]
struct History {
    versions: Vec<Seen>,
    current: HashMap<(Vendor, String), usize>,
}

impl History {
    /// `incident` as read at `at`, after a change that started at `began`: a new version
    /// unless it is the current one.
    fn record(&mut self, incident: &Incident, began: OffsetDateTime, at: OffsetDateTime) {
        let key = (incident.vendor, incident.id.clone());
        let state = State::of(incident);
        if let Some(&i) = self.current.get(&key) {
            if self.versions[i].state == state {
                return;
            }
            // Current until the change began, at least.
            self.versions[i].until = Some(began);
        }
        self.current.insert(key, self.versions.len());
        self.versions.push(Seen {
            vendor: incident.vendor,
            id: incident.id.clone(),
            state,
            from: at,
            until: None,
        });
    }

    fn ids(&self, vendor: Vendor) -> Vec<String> {
        self.current
            .keys()
            .filter(|(v, _)| *v == vendor)
            .map(|(_, id)| id.clone())
            .collect()
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// The updates `peer` might be asked for, those its capabilities allow.
fn updates(peer: &Peer, rng: &mut Rng) -> IncidentUpdate {
    let caps = peer.source.capabilities();
    let mut choices: Vec<IncidentUpdate> = Vec::new();
    for status in &caps.settable_statuses {
        choices.push(IncidentUpdate::new().status(status.clone()));
        if caps.assign {
            let who = rng.pick(&peer.assignees).clone();
            choices.push(IncidentUpdate::new().status(status.clone()).assign(who));
        }
    }
    if caps.close {
        choices.push(IncidentUpdate::new().close(Closure::default()));
        for verdict in &caps.verdicts {
            choices.push(IncidentUpdate::new().close(Closure::verdict(verdict.clone())));
        }
        if caps.close_requires_reason {
            choices.push(IncidentUpdate::new().close(Closure::verdict(Verdict::FalsePositive)));
        }
    }
    if caps.assign {
        for who in &peer.assignees {
            choices.push(IncidentUpdate::new().assign(who.clone()));
        }
    }
    for severity in &caps.severities {
        choices.push(IncidentUpdate::new().severity(severity.clone()));
    }
    choices.retain(|u| caps.check_update(peer.source.vendor(), u).is_ok());
    rng.pick(&choices).clone()
}

/// Changes incidents until `stop`: updates (some twice in a row), new incidents.
async fn change(
    peers: Arc<Vec<Peer>>,
    history: Arc<Mutex<History>>,
    seed: u64,
    stop: Arc<AtomicBool>,
) -> u64 {
    let mut rng = Rng(seed ^ 0x00C0_FFEE);
    let mut changes = 0;
    while !stop.load(Ordering::Relaxed) {
        let peer = rng.pick(&peers);
        let vendor = peer.source.vendor();
        // The start of the change that ends the version read before.
        let mut began = now();
        let id = if rng.chance(12) {
            (peer.raise)()
        } else {
            let ids = history.lock().unwrap().ids(vendor);
            let id = rng.pick(&ids).clone();
            let twice = rng.chance(25);
            let first = updates(peer, &mut rng);
            if let Ok(changed) = peer.source.update_incident(&id, &first).await
                && twice
            {
                // Changed again at once: the first version lives a few milliseconds, and
                // is recorded if a poll saw it.
                let at = now();
                history.lock().unwrap().record(&changed, began, at);
                let second = updates(peer, &mut rng);
                began = now();
                let _ = peer.source.update_incident(&id, &second).await;
            }
            id
        };
        // Read back whatever the change left, a refused or half-applied one too.
        if let Ok(incident) = peer.source.get_incident(&id).await {
            let at = now();
            history.lock().unwrap().record(&incident, began, at);
        }
        changes += 1;
        tokio::time::sleep(Duration::from_millis(10 + rng.below(90))).await;
    }
    changes
}

/// Every incident of every peer, as listed now.
async fn everything(peers: &[Peer]) -> Vec<Incident> {
    let mut all = Vec::new();
    for peer in peers {
        let listed: Vec<Incident> = peer
            .source
            .stream_incidents(IncidentQuery::new().page_size(50))
            .try_collect()
            .await
            .unwrap();
        all.extend(listed);
    }
    all
}

fn spawn(binary: &Path, env: &[(String, String)], db: &Path, log: &Path, args: &[&str]) -> Child {
    let mut command = Command::new(binary);
    for name in vendor_variables() {
        command.env_remove(name);
    }
    command
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("RUST_LOG", "warn")
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    command.spawn().expect("the example starts")
}

/// Reads every checkpoint back through the mirror's store: each must load (or be absent).
async fn checkpoints_readable(db: &Path, vendors: &[Vendor]) -> usize {
    let mirror = Mirror::open_existing(db).unwrap();
    let ok: String = Connection::open(db)
        .unwrap()
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok", "the database is damaged");
    let mut present = 0;
    for vendor in vendors {
        match mirror.load(*vendor).await {
            Ok(Some(checkpoint)) => {
                assert!(checkpoint.is_for(*vendor));
                present += 1;
            }
            Ok(None) => {}
            Err(e) => panic!("the checkpoint of {vendor} is unreadable after a kill: {e}"),
        }
    }
    present
}

fn total(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_the_mirror_loses_and_repeats_nothing() {
    let started = Instant::now();
    let seed = env_u64("SYNC_CRASH_SEED")
        .unwrap_or_else(|| now().unix_timestamp_nanos() as u64 ^ u64::from(std::process::id()));
    let kills = env_u64("SYNC_CRASH_KILLS").unwrap_or(DEFAULT_KILLS);
    println!("seed {seed} (replay with SYNC_CRASH_SEED={seed}), {kills} kills");
    let binary = example_binary();
    let tmp = TempDir::new();
    let db = tmp.0.join("mirror.sqlite");

    // The simulators, over HTTPS; the child reaches them through the environment.
    let qradar = QRadarSim::builder()
        .offenses(INCIDENTS)
        .https(true)
        .start()
        .await
        .unwrap();
    let pta = PtaSim::builder()
        .events(INCIDENTS)
        .https(true)
        .start()
        .await
        .unwrap();
    let sentinel = SentinelSim::builder()
        .incidents(INCIDENTS)
        .https(true)
        .start()
        .await
        .unwrap();
    let skyhigh = SkyhighSim::builder()
        .incidents(INCIDENTS)
        .https(true)
        .start()
        .await
        .unwrap();
    // The child's client keeps ESET's 10 requests a second; the test's own changes come on
    // top, so the simulator does not count them against the same user.
    let eset = EsetSim::builder()
        .incidents(INCIDENTS)
        .rate_limit(None)
        .https(true)
        .start()
        .await
        .unwrap();
    let mut env = Vec::new();
    env.extend(variables(&qradar, &tmp.0));
    env.extend(variables(&pta, &tmp.0));
    env.extend(variables(&sentinel, &tmp.0));
    env.extend(variables(&skyhigh, &tmp.0));
    env.extend(variables(&eset, &tmp.0));

    // The test's own clients, for the changes and the final check.
    let qradar_client = QRadarClient::builder(qradar.url())
        .sec_token(qradar.token())
        .add_root_certificate_pem(qradar.ca_cert_pem().unwrap().as_bytes())
        .build()
        .unwrap();
    let pta_client = PtaClient::builder(pta.url())
        .credentials(pta.username(), pta.password())
        .add_root_certificate_pem(pta.ca_cert_pem().unwrap().as_bytes())
        .build()
        .unwrap();
    let (user, password) = sentinel.credentials();
    let sentinel_client = SentinelClient::builder(sentinel.url())
        .credentials(user, password)
        .add_root_certificate_pem(sentinel.ca_cert_pem().unwrap().as_bytes())
        .build()
        .unwrap();
    let (user, password) = skyhigh.credentials();
    let skyhigh_client = SkyhighClient::builder(skyhigh.url())
        .basic_auth(user, password.to_owned())
        .add_root_certificate_pem(skyhigh.ca_cert_pem().unwrap().as_bytes())
        .build()
        .unwrap();
    let (user, password) = eset.credentials();
    let eset_client = EsetClient::builder_with_urls(eset.url(), eset.iam_url())
        .credentials(user, password)
        .add_root_certificate_pem(eset.ca_cert_pem().unwrap().as_bytes())
        .no_rate_limit()
        .build()
        .unwrap();
    let eset_users = eset.users()[1..].to_vec();
    let (qradar, pta, sentinel, skyhigh, eset) = (
        Arc::new(qradar),
        Arc::new(pta),
        Arc::new(sentinel),
        Arc::new(skyhigh),
        Arc::new(eset),
    );
    let peers = Arc::new(vec![
        Peer {
            source: Arc::new(qradar_client),
            assignees: ["admin", "analyst1", "analyst2", "soc_lead"]
                .map(String::from)
                .to_vec(),
            raise: Box::new({
                let sim = Arc::clone(&qradar);
                move || sim.raise_offense().to_string()
            }),
        },
        Peer {
            source: Arc::new(pta_client),
            assignees: Vec::new(),
            raise: Box::new({
                let sim = Arc::clone(&pta);
                move || sim.raise_event()
            }),
        },
        Peer {
            source: Arc::new(sentinel_client),
            assignees: ["1", "2", "3", "4"].map(String::from).to_vec(),
            raise: Box::new({
                let sim = Arc::clone(&sentinel);
                move || sim.raise_incident().to_string()
            }),
        },
        Peer {
            source: Arc::new(skyhigh_client),
            assignees: Vec::new(),
            raise: Box::new({
                let sim = Arc::clone(&skyhigh);
                move || sim.raise_incident()
            }),
        },
        Peer {
            source: Arc::new(eset_client),
            assignees: eset_users,
            raise: Box::new({
                let sim = Arc::clone(&eset);
                move || sim.raise_incident()
            }),
        },
    ]);
    let vendors: Vec<Vendor> = peers.iter().map(|p| p.source.vendor()).collect();

    // What the simulators hold before the first poll.
    let history = Arc::new(Mutex::new(History::default()));
    {
        let t0 = now();
        let listed = everything(&peers).await;
        let mut h = history.lock().unwrap();
        for incident in listed {
            h.record(&incident, t0, t0);
        }
    }

    let stop = Arc::new(AtomicBool::new(false));
    let changer = tokio::spawn(change(
        Arc::clone(&peers),
        Arc::clone(&history),
        seed,
        Arc::clone(&stop),
    ));

    let mut rng = Rng(seed);
    let log = tmp.0.join("child.log");
    let mut lives_that_wrote = 0;
    let mut last_batches = 0;
    for kill in 0..kills {
        let mut child = spawn(
            &binary,
            &env,
            &db,
            &log,
            &["--forever", "--interval", "0.05", "--page-size", "10"],
        );
        // Half of the kills early (start-up, the first batches), half later.
        let delay = if rng.chance(50) {
            rng.below(400)
        } else {
            400 + rng.below(1600)
        };
        tokio::time::sleep(Duration::from_millis(delay)).await;
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the example ended by itself ({status}) before kill {kill}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if db.exists() {
            checkpoints_readable(&db, &vendors).await;
            let conn = Connection::open(&db).unwrap();
            let batches = total(
                &conn,
                "SELECT coalesce(sum(batches), 0) FROM sync_checkpoints",
            );
            if batches > last_batches {
                lives_that_wrote += 1;
            }
            last_batches = batches;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let made = changer.await.unwrap();

    // A clean poll catches up with everything, and ends by itself.
    let mut last = spawn(
        &binary,
        &env,
        &db,
        &log,
        &["--rounds", "1", "--page-size", "10"],
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = last.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the last poll did not end");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        status.success(),
        "the last poll failed: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    checkpoints_readable(&db, &vendors).await;

    let conn = Connection::open(&db).unwrap();
    // Latest state: every incident, as it is now.
    let now_listed = everything(&peers).await;
    let mut lookup = conn
        .prepare(
            "SELECT status, severity, assignee, updated, version FROM incidents
             WHERE vendor = ?1 AND id = ?2",
        )
        .unwrap();
    let mut has_change = conn
        .prepare("SELECT count(*) FROM changes WHERE vendor = ?1 AND id = ?2 AND version = ?3")
        .unwrap();
    for incident in &now_listed {
        let key = incident.vendor.key();
        let row: (String, String, Option<String>, Option<String>, String) = lookup
            .query_row([key, &incident.id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap_or_else(|e| panic!("{} {} is not mirrored: {e}", incident.vendor, incident.id));
        let version = Version::of(incident).to_string();
        let state = State::of(incident);
        assert_eq!(
            row,
            (
                state.status,
                state.severity,
                state.assignee,
                state.updated,
                version.clone()
            ),
            "{} {}: the mirror does not hold its latest state",
            incident.vendor,
            incident.id
        );
        let n: i64 = has_change
            .query_row([key, &incident.id, &version], |r| r.get(0))
            .unwrap();
        assert_eq!(
            n, 1,
            "{} {}: its latest version is not in changes",
            incident.vendor, incident.id
        );
    }
    assert_eq!(
        total(&conn, "SELECT count(*) FROM incidents"),
        now_listed.len() as i64,
        "the mirror holds incidents the vendors do not"
    );

    // No duplicate.
    let replayed = total(
        &conn,
        "SELECT coalesce(sum(replayed), 0) FROM sync_checkpoints",
    );
    let same_version = total(
        &conn,
        "SELECT count(*) FROM (SELECT 1 FROM changes GROUP BY vendor, id, version
                                HAVING count(*) > 1)",
    );
    let same_state = total(
        &conn,
        "SELECT count(*) FROM (SELECT 1 FROM changes
             GROUP BY vendor, id, updated, status, severity, assignee HAVING count(*) > 1)",
    );
    let duplicates = replayed + same_version + same_state;

    // No lost version: every version current throughout a completed run is recorded.
    let mut runs: HashMap<String, Vec<(OffsetDateTime, OffsetDateTime)>> = HashMap::new();
    {
        let mut stmt = conn
            .prepare("SELECT vendor, started_at, finished_at FROM runs")
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .unwrap();
        for row in rows {
            let (vendor, started, finished) = row.unwrap();
            let parse = |t: &str| OffsetDateTime::parse(t, &Rfc3339).unwrap();
            runs.entry(vendor)
                .or_default()
                .push((parse(&started), parse(&finished)));
        }
    }
    let recorded: HashSet<(String, String, State)> = {
        let mut stmt = conn
            .prepare("SELECT vendor, id, updated, status, severity, assignee FROM changes")
            .unwrap();
        stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                State {
                    updated: r.get(2)?,
                    status: r.get(3)?,
                    severity: r.get(4)?,
                    assignee: r.get(5)?,
                },
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    let history = history.lock().unwrap();
    let mut required = 0;
    let mut lost = Vec::new();
    for seen in &history.versions {
        let Some(until) = seen.until else {
            continue; // The current version: checked above.
        };
        let polled = runs.get(seen.vendor.key()).is_some_and(|runs| {
            runs.iter()
                .any(|(started, finished)| *started >= seen.from && *finished <= until)
        });
        if !polled {
            continue;
        }
        required += 1;
        if !recorded.contains(&(
            seen.vendor.key().to_owned(),
            seen.id.clone(),
            seen.state.clone(),
        )) {
            lost.push(seen.clone());
        }
    }

    let batches = total(&conn, "SELECT sum(batches) FROM sync_checkpoints");
    let completed_runs = total(&conn, "SELECT count(*) FROM runs");
    let changes = total(&conn, "SELECT count(*) FROM changes");
    let short_lived = history
        .versions
        .iter()
        .filter(|v| v.until.is_some())
        .count()
        - required;
    println!(
        "kills {kills} ({lives_that_wrote} after writing), batches {batches}, runs {completed_runs}, \
         changes {changes}, test changes {made}, incidents {}, versions seen by the test {} \
         ({required} required before the end, {short_lived} never current through a poll), \
         duplicates {duplicates} (replayed {replayed}, same version {same_version}, same state \
         {same_state}), lost {}, in {:.1} s",
        now_listed.len(),
        history.versions.len(),
        lost.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(duplicates, 0, "a version was recorded twice");
    assert!(lost.is_empty(), "versions lost: {lost:#?}");
    assert!(
        kills == 0 || lives_that_wrote > 0,
        "no life of the example wrote anything"
    );
    assert!(
        required > 0,
        "no version was required: the test checked nothing"
    );
}
