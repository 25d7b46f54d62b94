//! The shared handle on the committed state and the single writer thread behind it.
//!
//! Operations queue up for the writer; it takes every queued one as a batch, runs each on the
//! in-memory state and stores its changes under a savepoint ([`batch`]), commits the batch's
//! one transaction with one sync of the log (group commit), and only then publishes the watch
//! events and answers the callers: an acknowledged write is on disk.

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::{broadcast, mpsc, oneshot};

use super::batch::{self, Job};
use super::{Cluster, Event, Reply, Txn, load};
use crate::error::{ApiError, ServerError};
use crate::registry::CRD_STORE;
use crate::store::{Db, SyncMode};

/// The shared handle: committed state, the writer queue and the event feed.
pub struct Shared {
    state: RwLock<Cluster>,
    jobs: mpsc::UnboundedSender<Job>,
    events: broadcast::Sender<Arc<Event>>,
    /// Highest revision whose events were already sent on `events`.
    published: AtomicU64,
    /// Writes sent to the writer and not yet answered, and how many may be.
    queued: AtomicUsize,
    max_queued: usize,
}

/// One write counted in `queued` until it is answered (or its caller gives up).
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How many events are kept for watch resume and consistent paging.
pub const DEFAULT_HISTORY: usize = 20_000;
/// The serialized size of the object versions the history may hold beyond
/// [`MIN_HISTORY`] events; the oldest events go first, and a watch resuming before them
/// relists, as after etcd's compaction. Counted by events alone, a fleet's status writes kept
/// every replaced version of every object: 20,000 events of 25 kB Assets, new and previous
/// version each, parsed and serialized.
pub const HISTORY_BYTES: usize = 64 << 20;
/// Events kept whatever their size.
const MIN_HISTORY: usize = 1000;
/// The live feed of events: each holds an object's new and previous versions until it is
/// overwritten, so a large feed pins that many versions of a fleet's 25 kB objects. A watch
/// that falls further behind catches up from the history.
const BROADCAST_CAPACITY: usize = 1024;
const MAX_BATCH: usize = 512;
/// The revision log is compacted after this many changes.
const COMPACTION_INTERVAL: usize = 1000;

/// Whether a history of `events` holding `bytes` must drop its oldest event.
fn history_over(events: usize, bytes: usize, limit: usize) -> bool {
    events > limit || (bytes > HISTORY_BYTES && events > MIN_HISTORY)
}

/// The message of the job [`Shared::close`] queues; the writer stops after it.
const SHUTTING_DOWN: &str = "shutting down";

impl Shared {
    /// Loads the database and starts the writer thread.
    pub fn open(
        db_path: &Path,
        sync: SyncMode,
        history_limit: usize,
        max_queued: usize,
    ) -> Result<(Arc<Shared>, std::thread::JoinHandle<()>), ServerError> {
        let db = Db::open(db_path, sync)?;
        let cluster = load::cluster(db.load()?)?;
        let (jobs, rx) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(BROADCAST_CAPACITY);
        let shared = Arc::new(Shared {
            published: AtomicU64::new(cluster.rev),
            queued: AtomicUsize::new(0),
            max_queued,
            state: RwLock::new(cluster),
            jobs,
            events,
        });
        let history_bytes = shared
            .read()
            .history
            .iter()
            .map(|e| e.retained_bytes())
            .sum();
        let writer = Writer {
            shared: shared.clone(),
            db,
            history_limit,
            history_bytes,
            since_compaction: 0,
        };
        let handle = std::thread::Builder::new()
            .name("apiserver-writer".into())
            .spawn(move || writer.run(rx))
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
        // Past the bound the client is told to come back, instead of the queue (and the
        // memory it holds) growing without end.
        if self.queued.fetch_add(1, Ordering::AcqRel) >= self.max_queued {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::too_many_requests(
                "too many writes are waiting to be stored; try again later",
                crate::capacity::RETRY_AFTER_SECONDS,
            ));
        }
        let _queued = Queued(&self.queued);
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
            op: Box::new(|_| Err(ApiError::unavailable(SHUTTING_DOWN))),
            reply: tx,
        });
    }
}

/// The writer thread's state.
struct Writer {
    shared: Arc<Shared>,
    db: Db,
    history_limit: usize,
    /// What the retained history's events hold ([`Event::retained_bytes`]).
    history_bytes: usize,
    since_compaction: usize,
}

impl Writer {
    /// Runs batches until the closing job or until every sender is gone.
    fn run(mut self, mut rx: mpsc::UnboundedReceiver<Job>) {
        let mut stopping = false;
        while !stopping {
            let Some(jobs) = next_batch(&mut rx) else {
                break;
            };
            let replies = self.run_batch(jobs);
            stopping = replies.iter().any(|(_, result)| is_closing(result));
            // Callers hear back only once the changes are on disk and visible.
            for (reply, result) in replies {
                let _ = reply.send(result);
            }
        }
    }

    /// Runs one batch and commits it; when the commit fails every job that had succeeded
    /// fails. Committed changes are published before the replies go.
    fn run_batch(&mut self, jobs: Vec<Job>) -> Vec<batch::Answer> {
        let shared = self.shared.clone();
        let txn = self.db.begin();
        let mut cluster = shared.write_lock();
        let (mut batch, txn) = batch::run(&mut cluster, txn, jobs);
        // When more writes wait than this batch holds, their requests (which resolve their
        // resource under the read lock) and readers go on against the committed state while
        // the batch syncs, so the next batch is full; otherwise the lock is kept, leaving the
        // processor to this thread when the sync returns.
        let overlap = shared.queued.load(Ordering::Acquire) > batch.replies.len();
        let mut held = if overlap {
            batch::unapply(&mut cluster, &batch.changes);
            drop(cluster);
            None
        } else {
            Some(cluster)
        };
        match batch::commit(txn, &batch.changes) {
            Ok(()) if batch.changes.is_empty() => {}
            Ok(()) => {
                let mut cluster = held.take().unwrap_or_else(|| {
                    let mut cluster = shared.write_lock();
                    batch::reapply(&mut cluster, &batch.changes);
                    cluster
                });
                self.publish(&mut cluster, &batch.changes);
            }
            Err(e) => {
                tracing::error!(error = %e, "committing a batch of writes failed");
                if let Some(mut cluster) = held.take() {
                    batch::unapply(&mut cluster, &batch.changes);
                }
                for (_, result) in batch.replies.iter_mut() {
                    if result.is_ok() {
                        *result = Err(ApiError::internal(format!(
                            "storing the change failed: {e}"
                        )));
                    }
                }
            }
        }
        batch.replies
    }

    /// Makes committed changes visible: registry, history (trimmed to its limit), the event
    /// feed and the published revision; compacts the log now and then.
    fn publish(&mut self, cluster: &mut Cluster, changes: &[Arc<Event>]) {
        if changes.iter().any(|e| e.store == CRD_STORE) {
            cluster.rebuild_registry();
        }
        self.since_compaction += changes.len();
        for ev in changes {
            self.history_bytes += ev.retained_bytes();
            cluster.history.push_back(ev.clone());
            // A lagging receiver catches up from the history (the watch stream does).
            let _ = self.shared.events.send(ev.clone());
        }
        while history_over(
            cluster.history.len(),
            self.history_bytes,
            self.history_limit,
        ) {
            if let Some(old) = cluster.history.pop_front() {
                self.history_bytes = self.history_bytes.saturating_sub(old.retained_bytes());
                cluster.compacted = old.rev;
            }
        }
        self.shared.published.store(cluster.rev, Ordering::Release);
        if self.since_compaction >= COMPACTION_INTERVAL {
            self.since_compaction = 0;
            if let Err(e) = self.db.compact(cluster.compacted) {
                tracing::warn!(error = %e, "compacting the revision log failed");
            }
        }
    }
}

/// Whether a job's result is the closing job's.
fn is_closing(result: &Result<Reply, ApiError>) -> bool {
    matches!(result, Err(e) if e.code == 503 && e.message == SHUTTING_DOWN)
}

/// Waits for a job, then takes whatever else is queued, up to [`MAX_BATCH`] jobs.
fn next_batch(rx: &mut mpsc::UnboundedReceiver<Job>) -> Option<Vec<Job>> {
    let first = rx.blocking_recv()?;
    let mut jobs = vec![first];
    while jobs.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => jobs.push(job),
            Err(_) => break,
        }
    }
    Some(jobs)
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
