//! `incident_core::sync` against every simulator over real HTTP: incidents change between
//! the batches of a run and between runs, the run restarts from a checkpoint persisted as
//! JSON, and every change is delivered once: none missed, none repeated. Each vendor runs
//! twice: filtering on the update time as its client can, and through a wrapper that
//! declares no time filter, so the sync walks everything and filters itself.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cyberark_pta_client::PtaClient;
use eset_connect_client::EsetClient;
use futures::TryStreamExt;
use incident_core::source::{Query, Update};
use incident_core::sync::{Checkpoint, changes_since};
use incident_core::{
    Capabilities, Closure, Cursor, Incident, IncidentPage, IncidentQuery, IncidentSource,
    IncidentStatus, IncidentUpdate, RetryPolicy, TimeField, Vendor, Verdict,
};
use incident_sim::skyhigh::PageBoundary;
use incident_sim::{EsetSim, PtaSim, QRadarSim, SentinelSim, SkyhighSim};
use qradar_client::QRadarClient;
use sentinel_client::SentinelClient;
use skyhigh_client::SkyhighClient;

const INCIDENTS: usize = 30;
const PAGE: u32 = 7;

/// A vendor client with the simulator it talks to (kept alive as long as the client).
struct Peer {
    source: Arc<dyn IncidentSource>,
    _sim: Box<dyn Any + Send>,
}

fn retry() -> RetryPolicy {
    RetryPolicy::default().initial_backoff(Duration::from_millis(10))
}

async fn qradar() -> Peer {
    let sim = QRadarSim::builder()
        .offenses(INCIDENTS)
        .start()
        .await
        .unwrap();
    let client = QRadarClient::builder(sim.url())
        .sec_token(sim.token())
        .retry_policy(retry())
        .build()
        .unwrap();
    Peer {
        source: Arc::new(client),
        _sim: Box::new(sim),
    }
}

async fn pta() -> Peer {
    let sim = PtaSim::builder()
        .events(INCIDENTS)
        .credentials("soc-bot", "sync-password")
        .start()
        .await
        .unwrap();
    let client = PtaClient::builder(sim.url())
        .credentials(sim.username(), "sync-password")
        .retry_policy(retry())
        .build()
        .unwrap();
    Peer {
        source: Arc::new(client),
        _sim: Box::new(sim),
    }
}

async fn sentinel() -> Peer {
    let sim = SentinelSim::builder()
        .incidents(INCIDENTS)
        .start()
        .await
        .unwrap();
    let (user, password) = sim.credentials();
    let client = SentinelClient::builder(sim.url())
        .credentials(user, password)
        .retry_policy(retry())
        .build()
        .unwrap();
    Peer {
        source: Arc::new(client),
        _sim: Box::new(sim),
    }
}

/// A Skyhigh peer whose pages end as `boundary` says.
async fn skyhigh(boundary: PageBoundary) -> Peer {
    let sim = SkyhighSim::builder()
        .incidents(INCIDENTS)
        .page_boundary(boundary)
        .start()
        .await
        .unwrap();
    let (user, password) = sim.credentials();
    let client = SkyhighClient::builder(sim.url())
        .basic_auth(user, password.to_owned())
        .retry_policy(retry())
        .build()
        .unwrap();
    Peer {
        source: Arc::new(client),
        _sim: Box::new(sim),
    }
}

async fn eset() -> Peer {
    let sim = EsetSim::builder()
        .incidents(INCIDENTS)
        .rate_limit(None)
        .start()
        .await
        .unwrap();
    let (user, password) = sim.credentials();
    let client = EsetClient::builder_with_urls(sim.url(), sim.iam_url())
        .credentials(user, password)
        .no_rate_limit()
        .poll_interval(Duration::from_millis(5))
        .retry_policy(retry())
        .build()
        .unwrap();
    Peer {
        source: Arc::new(client),
        _sim: Box::new(sim),
    }
}

/// A source that declares no time filter (as a vendor without one would), so the sync
/// must walk the whole listing.
#[derive(Debug, Clone)]
struct NoTimeFilter(Arc<dyn IncidentSource>);

#[async_trait]
impl IncidentSource for NoTimeFilter {
    fn vendor(&self) -> Vendor {
        self.0.vendor()
    }
    fn capabilities(&self) -> Capabilities {
        let mut caps = self.0.capabilities();
        caps.time_fields.clear();
        caps
    }
    fn shared(&self) -> Arc<dyn IncidentSource> {
        Arc::new(self.clone())
    }
    async fn list_page(
        &self,
        query: Query<'_>,
        cursor: Option<&Cursor>,
    ) -> incident_core::Result<IncidentPage> {
        self.0.list_page(query, cursor).await
    }
    async fn get_incident(&self, id: &str) -> incident_core::Result<Incident> {
        self.0.get_incident(id).await
    }
    async fn apply_update(&self, id: &str, update: Update<'_>) -> incident_core::Result<Incident> {
        self.0.apply_update(id, update).await
    }
}

/// Everything the sync delivered, in order, as (id, the vendor record's JSON).
#[derive(Debug, Default)]
struct Deliveries(Vec<(String, String)>);

impl Deliveries {
    fn add(&mut self, incidents: &[Incident]) {
        for i in incidents {
            self.0.push((i.id.clone(), i.record_json().to_string()));
        }
    }

    fn of(incidents: &[Incident]) -> Self {
        let mut d = Deliveries::default();
        d.add(incidents);
        d
    }

    fn ids(&self) -> HashSet<&str> {
        self.0.iter().map(|(id, _)| id.as_str()).collect()
    }
}

async fn everything(source: &dyn IncidentSource) -> HashMap<String, Incident> {
    source
        .stream_incidents(IncidentQuery::new().page_size(PAGE))
        .map_ok(|i| (i.id.clone(), i))
        .try_collect()
        .await
        .unwrap()
}

/// One whole run from `checkpoint`; returns the checkpoint of its last batch.
async fn run(
    source: &dyn IncidentSource,
    checkpoint: &Checkpoint,
    delivered: &mut Deliveries,
) -> Checkpoint {
    let mut changes = changes_since(source, checkpoint).page_size(PAGE);
    let mut last = checkpoint.clone();
    while let Some(batch) = changes.next_batch().await.unwrap() {
        delivered.add(&batch.incidents);
        last = batch.into_checkpoint();
    }
    last
}

/// None missed: the last version delivered of every incident is its current one. Returns
/// the incidents as they are.
async fn assert_current(
    source: &dyn IncidentSource,
    delivered: &Deliveries,
) -> HashMap<String, Incident> {
    let now = everything(source).await;
    let mut last: HashMap<&str, &str> = HashMap::new();
    for (id, record) in &delivered.0 {
        last.insert(id, record);
    }
    for (id, incident) in &now {
        assert_eq!(
            last.get(id.as_str()).copied(),
            Some(incident.record_json().to_string().as_str()),
            "{}: the current version of {id} was not delivered",
            source.vendor()
        );
    }
    now
}

struct Changer {
    source: Arc<dyn IncidentSource>,
    close: IncidentUpdate,
    /// Open, unassigned incidents not changed yet.
    fresh: Vec<String>,
    /// The incidents changed so far, with the status they were given.
    changed: Vec<(String, IncidentStatus)>,
}

impl Changer {
    /// Whether `batch` delivered an open incident while another has not been delivered.
    fn can_change(&self, batch: &[Incident], delivered: &Deliveries) -> bool {
        let ids = delivered.ids();
        batch.iter().any(|i| self.fresh.contains(&i.id))
            && self.fresh.iter().any(|id| !ids.contains(id.as_str()))
    }

    /// Closes an open incident that was delivered already, or one that was not.
    async fn close_one(&mut self, delivered: &Deliveries, already: bool) -> String {
        let ids = delivered.ids();
        let at = self
            .fresh
            .iter()
            .position(|id| ids.contains(id.as_str()) == already)
            .expect("an open incident to change");
        let id = self.fresh.remove(at);
        let closed = self.source.update_incident(&id, &self.close).await.unwrap();
        assert!(closed.status.is_closed(), "{closed:?}");
        self.changed.push((id.clone(), closed.status));
        id
    }

    /// Reopens an incident closed before (a second change of it).
    async fn reopen(&mut self, id: &str) {
        let update = IncidentUpdate::new().status(IncidentStatus::New);
        let reopened = self.source.update_incident(id, &update).await.unwrap();
        assert_eq!(reopened.status, IncidentStatus::New, "{reopened:?}");
        self.changed.push((id.to_owned(), IncidentStatus::New));
    }
}

/// The scenario, against one vendor's source.
async fn sync_exactly_once(vendor: &Peer, full_walk: bool) {
    let source: Arc<dyn IncidentSource> = if full_walk {
        Arc::new(NoTimeFilter(Arc::clone(&vendor.source)))
    } else {
        Arc::clone(&vendor.source)
    };
    let name = source.vendor();
    let caps = source.capabilities();
    assert_eq!(caps.time_fields.contains(&TimeField::Updated), !full_walk);
    let start = everything(source.as_ref()).await;
    assert_eq!(start.len(), INCIDENTS, "{name}");
    let mut fresh: Vec<String> = start
        .values()
        .filter(|i| i.status == IncidentStatus::New && i.assignee.is_none())
        .map(|i| i.id.clone())
        .collect();
    fresh.sort();
    assert!(fresh.len() >= 5, "{name}: {} open incidents", fresh.len());
    let close = IncidentUpdate::new().close(if caps.verdict {
        Closure::verdict(Verdict::FalsePositive)
    } else {
        Closure::default()
    });
    let mut changer = Changer {
        source: Arc::clone(&source),
        close,
        fresh,
        changed: Vec::new(),
    };
    let mut delivered = Deliveries::default();

    // Run 1, from nothing, with a restart from a persisted checkpoint and changes between
    // its batches.
    let mut changes = changes_since(source.as_ref(), &Checkpoint::new()).page_size(PAGE);
    let mut batches = 0;
    let mut behind = None;
    let mut stage = 0;
    let checkpoint = loop {
        let batch = changes
            .next_batch()
            .await
            .unwrap()
            .expect("the run ends with a last batch");
        batches += 1;
        delivered.add(&batch.incidents);
        if batch.is_last() {
            break batch.into_checkpoint();
        }
        // The steps: a restart after the first batch; then, after the first batch that
        // delivers an open incident while another is still ahead, both change (the first
        // behind the walk's position); after the next batch the second changes again.
        if stage == 0 {
            let persisted = batch.checkpoint().to_json();
            drop(changes);
            let restored = Checkpoint::from_json(&persisted).unwrap();
            assert_eq!(&restored, batch.checkpoint());
            changes = changes_since(source.as_ref(), &restored).page_size(PAGE);
            stage = 1;
        } else if stage == 1 && changer.can_change(&batch.incidents, &delivered) {
            let this_batch = Deliveries::of(&batch.incidents);
            behind = Some(changer.close_one(&this_batch, true).await);
            changer.close_one(&delivered, false).await;
            stage = 2;
        } else if stage == 2 {
            let ahead = changer.changed[1].0.clone();
            changer.reopen(&ahead).await;
            stage = 3;
        }
    };
    assert_eq!(stage, 3, "{name}: the run ended after {batches} batches");
    assert_eq!(checkpoint.vendor(), Some(name.key()));
    assert!(checkpoint.watermark().is_some(), "{name}");
    assert_eq!(
        delivered.ids().len(),
        INCIDENTS,
        "{name}: the first run delivers every incident"
    );

    // Between runs: one more delivered incident closes. Run 2 starts from the checkpoint
    // as it was persisted, in a new process as far as it can tell. The close behind the
    // walk of run 1 is delivered by then, though a later change ahead of it was delivered
    // in run 1.
    changer.close_one(&delivered, true).await;
    let restored = Checkpoint::from_json(&checkpoint.to_json()).unwrap();
    let checkpoint = run(source.as_ref(), &restored, &mut delivered).await;
    assert_current(source.as_ref(), &delivered).await;

    // Run 3: the first incident changed, changed again.
    changer.reopen(behind.as_deref().unwrap()).await;
    let checkpoint = run(source.as_ref(), &checkpoint, &mut delivered).await;

    // Run 4: nothing changed, nothing delivered.
    let before = delivered.0.len();
    let checkpoint = run(source.as_ref(), &checkpoint, &mut delivered).await;
    assert_eq!(
        delivered.0.len(),
        before,
        "{name}: a quiet run delivered {:?}",
        &delivered.0[before..]
    );
    // The checkpoint keeps only the overlap window: the changes of this test, at most.
    assert!(
        checkpoint.remembered() <= INCIDENTS,
        "{name}: {}",
        checkpoint.remembered()
    );

    // None repeated: no version of an incident delivered twice.
    let mut versions = HashSet::new();
    for d in &delivered.0 {
        assert!(versions.insert(d), "{name}: delivered twice: {d:?}");
    }
    // None missed.
    let end = assert_current(source.as_ref(), &delivered).await;
    assert_eq!(changer.changed.len(), 5);
    let final_status: HashMap<&String, &IncidentStatus> =
        changer.changed.iter().map(|(id, s)| (id, s)).collect();
    for (id, status) in final_status {
        assert!(end[id].status.same_as(status), "{name}: {id} {status}");
    }
    // Every change adds one delivery, except those of the incident changed ahead of the
    // walk: its close came before the walk reached it (no delivery of the version before),
    // and its reopen may have too (then the close, superseded unseen, is not delivered).
    let n = delivered.0.len();
    let changes = changer.changed.len();
    assert!(
        (INCIDENTS + changes - 2..INCIDENTS + changes).contains(&n),
        "{name}: {n} deliveries: {:?}",
        delivered.0.iter().map(|d| &d.0).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qradar_sync_delivers_each_change_once() {
    sync_exactly_once(&qradar().await, false).await;
    sync_exactly_once(&qradar().await, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pta_sync_delivers_each_change_once() {
    sync_exactly_once(&pta().await, false).await;
    sync_exactly_once(&pta().await, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_sync_delivers_each_change_once() {
    sync_exactly_once(&sentinel().await, false).await;
    sync_exactly_once(&sentinel().await, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skyhigh_sync_delivers_each_change_once() {
    for boundary in [PageBoundary::IncludeTies, PageBoundary::RepeatBoundary] {
        sync_exactly_once(&skyhigh(boundary).await, false).await;
        sync_exactly_once(&skyhigh(boundary).await, true).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eset_sync_delivers_each_change_once() {
    sync_exactly_once(&eset().await, false).await;
    sync_exactly_once(&eset().await, true).await;
}
