//! The in-memory view of the stored objects and the single writer that changes them.
//!
//! Every change goes through the writer thread: it applies queued operations to memory, writes
//! them to SQLite in one transaction (group commit), and only then publishes the watch events
//! and answers the callers. Readers take a read lock on a state that only ever holds committed
//! data, and one global revision counter orders every change.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::error::{ApiError, ServerError};
use crate::registry::{CRD_STORE, Registry};
use crate::store::{ChangeKind, Db, LogRow, SyncMode};

/// One stored object version: the JSON value and its serialized bytes (lists and watches send
/// the bytes without serializing again).
#[derive(Debug)]
pub struct Obj {
    pub rev: u64,
    pub value: Value,
    pub json: Bytes,
}

impl Obj {
    /// Stamps `metadata.resourceVersion` and serializes.
    pub fn new(rev: u64, mut value: Value) -> Obj {
        if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(rev.to_string()));
        }
        let json = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
        Obj { rev, value, json }
    }

    fn from_bytes(rev: u64, bytes: Vec<u8>) -> Result<Obj, serde_json::Error> {
        let value: Value = serde_json::from_slice(&bytes)?;
        Ok(Obj {
            rev,
            value,
            json: Bytes::from(bytes),
        })
    }
}

/// A committed change, as watchers see it.
#[derive(Debug)]
pub struct Event {
    pub rev: u64,
    pub store: String,
    pub key: String,
    pub kind: ChangeKind,
    /// The new object; for deletions the last state stamped with the deletion revision.
    pub obj: Arc<Obj>,
    /// The object before the change.
    pub prev: Option<Arc<Obj>>,
}

/// The committed state.
pub struct Cluster {
    pub rev: u64,
    pub stores: HashMap<String, BTreeMap<String, Arc<Obj>>>,
    /// Recent events in revision order, for watch resume and consistent paging.
    pub history: VecDeque<Arc<Event>>,
    /// Events at or below this revision are no longer retained.
    pub compacted: u64,
    pub registry: Arc<Registry>,
}

impl Cluster {
    pub fn store(&self, store: &str) -> Option<&BTreeMap<String, Arc<Obj>>> {
        self.stores.get(store)
    }

    pub fn get(&self, store: &str, key: &str) -> Option<&Arc<Obj>> {
        self.stores.get(store)?.get(key)
    }

    fn rebuild_registry(&mut self) {
        let crds = self
            .stores
            .get(CRD_STORE)
            .map(|s| s.values().map(|o| &o.value).collect::<Vec<_>>())
            .unwrap_or_default();
        self.registry = Arc::new(Registry::build(crds.into_iter()));
    }

    /// Index of the first retained event with a revision above `rev`.
    pub fn history_after(&self, rev: u64) -> usize {
        self.history.partition_point(|e| e.rev <= rev)
    }
}

/// The body and code of a successful write.
#[derive(Debug, Clone)]
pub struct Reply {
    pub code: u16,
    pub body: Value,
    pub warnings: Vec<String>,
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply {
            code: 200,
            body,
            warnings: Vec::new(),
        }
    }
}

/// A write transaction handed to an operation by the writer thread.
pub struct Txn<'a> {
    cluster: &'a mut Cluster,
    changes: &'a mut Vec<Arc<Event>>,
}

impl Txn<'_> {
    pub fn cluster(&self) -> &Cluster {
        self.cluster
    }

    pub fn get(&self, store: &str, key: &str) -> Option<Arc<Obj>> {
        self.cluster.get(store, key).cloned()
    }

    /// Stores a new version; returns it with its revision stamped.
    pub fn put(&mut self, store: &str, key: &str, value: Value) -> Arc<Obj> {
        let rev = self.cluster.rev + 1;
        self.cluster.rev = rev;
        let obj = Arc::new(Obj::new(rev, value));
        let prev = self
            .cluster
            .stores
            .entry(store.to_string())
            .or_default()
            .insert(key.to_string(), obj.clone());
        let kind = if prev.is_some() {
            ChangeKind::Modified
        } else {
            ChangeKind::Added
        };
        self.changes.push(Arc::new(Event {
            rev,
            store: store.to_string(),
            key: key.to_string(),
            kind,
            obj: obj.clone(),
            prev,
        }));
        obj
    }

    /// Removes an object; returns its last state stamped with the deletion revision.
    pub fn remove(&mut self, store: &str, key: &str) -> Option<Arc<Obj>> {
        self.remove_as(store, key, None)
    }

    /// Removes an object whose final state is `last` (an update that dropped the last
    /// finalizer), so watchers see the object as it was when it went.
    pub fn remove_as(&mut self, store: &str, key: &str, last: Option<Value>) -> Option<Arc<Obj>> {
        let prev = self.cluster.stores.get_mut(store)?.remove(key)?;
        let rev = self.cluster.rev + 1;
        self.cluster.rev = rev;
        let obj = Arc::new(Obj::new(rev, last.unwrap_or_else(|| prev.value.clone())));
        self.changes.push(Arc::new(Event {
            rev,
            store: store.to_string(),
            key: key.to_string(),
            kind: ChangeKind::Deleted,
            obj: obj.clone(),
            prev: Some(prev),
        }));
        Some(obj)
    }
}

/// Reverts memory changes `changes[from..]` (a failed operation or a failed commit).
fn undo(cluster: &mut Cluster, changes: &mut Vec<Arc<Event>>, from: usize) {
    while changes.len() > from {
        let Some(ev) = changes.pop() else { break };
        let store = cluster.stores.entry(ev.store.clone()).or_default();
        match &ev.prev {
            Some(prev) => {
                store.insert(ev.key.clone(), prev.clone());
            }
            None => {
                store.remove(&ev.key);
            }
        }
        cluster.rev = ev.rev - 1;
    }
}

type Operation = Box<dyn FnOnce(&mut Txn<'_>) -> Result<Reply, ApiError> + Send>;

struct Job {
    op: Operation,
    reply: oneshot::Sender<Result<Reply, ApiError>>,
}

/// The shared handle: committed state, the writer queue and the event feed.
pub struct Shared {
    state: RwLock<Cluster>,
    jobs: mpsc::UnboundedSender<Job>,
    events: broadcast::Sender<Arc<Event>>,
    /// Highest revision whose events were already sent on `events`.
    published: AtomicU64,
}

/// How many events are kept for watch resume and consistent paging.
pub const DEFAULT_HISTORY: usize = 20_000;
const BROADCAST_CAPACITY: usize = 16_384;
const MAX_BATCH: usize = 512;

impl Shared {
    /// Loads the database and starts the writer thread.
    pub fn open(
        db_path: &Path,
        sync: SyncMode,
        history_limit: usize,
    ) -> Result<(Arc<Shared>, std::thread::JoinHandle<()>), ServerError> {
        let db = Db::open(db_path, sync)?;
        let loaded = db.load()?;
        let mut stores: HashMap<String, BTreeMap<String, Arc<Obj>>> = HashMap::new();
        for row in loaded.objects {
            let obj =
                Obj::from_bytes(row.rev, row.value).map_err(|e| ServerError::CorruptRecord {
                    store: row.store.clone(),
                    key: row.key.clone(),
                    reason: e.to_string(),
                })?;
            stores
                .entry(row.store)
                .or_default()
                .insert(row.key, Arc::new(obj));
        }
        let mut history = VecDeque::with_capacity(loaded.log.len());
        for row in loaded.log {
            let corrupt = |e: serde_json::Error| ServerError::CorruptRecord {
                store: row.store.clone(),
                key: row.key.clone(),
                reason: e.to_string(),
            };
            let obj = Arc::new(Obj::from_bytes(row.rev, row.value.clone()).map_err(corrupt)?);
            let prev = match &row.prev {
                Some(p) => {
                    let prev_value: Value = serde_json::from_slice(p).map_err(corrupt)?;
                    let prev_rev = prev_value
                        .pointer("/metadata/resourceVersion")
                        .and_then(Value::as_str)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    Some(Arc::new(Obj {
                        rev: prev_rev,
                        value: prev_value,
                        json: Bytes::from(p.clone()),
                    }))
                }
                None => None,
            };
            history.push_back(Arc::new(Event {
                rev: row.rev,
                store: row.store,
                key: row.key,
                kind: row.kind,
                obj,
                prev,
            }));
        }
        let mut cluster = Cluster {
            rev: loaded.rev,
            stores,
            history,
            compacted: loaded.compacted,
            registry: Arc::new(Registry::default()),
        };
        cluster.rebuild_registry();
        let (jobs, rx) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(BROADCAST_CAPACITY);
        let shared = Arc::new(Shared {
            published: AtomicU64::new(cluster.rev),
            state: RwLock::new(cluster),
            jobs,
            events,
        });
        let writer_shared = shared.clone();
        let handle = std::thread::Builder::new()
            .name("apiserver-writer".into())
            .spawn(move || writer_loop(writer_shared, db, rx, history_limit))
            .map_err(|source| ServerError::Io {
                action: "starting the writer thread for",
                path: db_path.display().to_string(),
                source,
            })?;
        Ok((shared, handle))
    }

    pub fn read(&self) -> RwLockReadGuard<'_, Cluster> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_lock(&self) -> RwLockWriteGuard<'_, Cluster> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Subscribes to committed events; call while holding the read lock so that the snapshot
    /// taken under the same lock and the live events neither overlap nor leave a gap.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }

    pub fn published_rev(&self) -> u64 {
        self.published.load(Ordering::Acquire)
    }

    /// Runs one operation in the writer and waits until it is committed.
    pub async fn write<F>(&self, op: F) -> Result<Reply, ApiError>
    where
        F: FnOnce(&mut Txn<'_>) -> Result<Reply, ApiError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job {
                op: Box::new(op),
                reply: tx,
            })
            .map_err(|_| ApiError::unavailable("the storage writer has stopped"))?;
        rx.await
            .map_err(|_| ApiError::unavailable("the storage writer has stopped"))?
    }

    /// Asks the writer to finish the queued work and stop.
    pub fn close(&self) {
        // Dropping the sender is not possible through `&self`; an empty job marks the end.
        let (tx, _rx) = oneshot::channel();
        let _ = self.jobs.send(Job {
            op: Box::new(|_| Err(ApiError::unavailable("shutting down"))),
            reply: tx,
        });
    }
}

fn to_log_row(ev: &Event) -> LogRow {
    LogRow {
        rev: ev.rev,
        store: ev.store.clone(),
        key: ev.key.clone(),
        kind: ev.kind,
        value: ev.obj.json.to_vec(),
        prev: ev.prev.as_ref().map(|p| p.json.to_vec()),
    }
}

fn writer_loop(
    shared: Arc<Shared>,
    mut db: Db,
    mut rx: mpsc::UnboundedReceiver<Job>,
    history_limit: usize,
) {
    let mut since_compaction = 0usize;
    let mut stopping = false;
    while !stopping {
        let Some(first) = rx.blocking_recv() else {
            break;
        };
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut replies = Vec::with_capacity(jobs.len());
        let mut changes: Vec<Arc<Event>> = Vec::new();
        {
            let mut cluster = shared.write_lock();
            for job in jobs {
                let mark = changes.len();
                let result = {
                    let mut txn = Txn {
                        cluster: &mut cluster,
                        changes: &mut changes,
                    };
                    (job.op)(&mut txn)
                };
                if let Err(e) = &result {
                    if e.code == 503 && e.message == "shutting down" {
                        stopping = true;
                    }
                    undo(&mut cluster, &mut changes, mark);
                }
                replies.push((job.reply, result));
            }
            if !changes.is_empty() {
                let rows: Vec<LogRow> = changes.iter().map(|e| to_log_row(e)).collect();
                if let Err(e) = db.commit(&rows) {
                    tracing::error!(error = %e, "committing a batch of writes failed");
                    undo(&mut cluster, &mut changes, 0);
                    for (_, result) in replies.iter_mut() {
                        if result.is_ok() {
                            *result = Err(ApiError::internal(format!(
                                "storing the change failed: {e}"
                            )));
                        }
                    }
                } else {
                    if changes.iter().any(|e| e.store == CRD_STORE) {
                        cluster.rebuild_registry();
                    }
                    since_compaction += changes.len();
                    for ev in &changes {
                        cluster.history.push_back(ev.clone());
                        // A lagging receiver is told to relist by the watch stream itself.
                        let _ = shared.events.send(ev.clone());
                    }
                    while cluster.history.len() > history_limit {
                        if let Some(old) = cluster.history.pop_front() {
                            cluster.compacted = old.rev;
                        }
                    }
                    shared.published.store(cluster.rev, Ordering::Release);
                    if since_compaction >= 1000 {
                        since_compaction = 0;
                        if let Err(e) = db.compact(cluster.compacted) {
                            tracing::warn!(error = %e, "compacting the revision log failed");
                        }
                    }
                }
            }
        }
        for (reply, result) in replies {
            let _ = reply.send(result);
        }
    }
}
