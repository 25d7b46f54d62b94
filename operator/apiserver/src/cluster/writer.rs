//! The shared handle on the committed state and the single writer thread behind it.
//!
//! Operations queue up for the writer; it takes them in batches, runs each on the in-memory
//! state (undoing the changes of one that fails), writes the batch's changes to SQLite in one
//! transaction (group commit), and only then publishes the watch events and answers the
//! callers.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::{broadcast, mpsc, oneshot};

use super::{Cluster, Event, Reply, Txn, load, undo};
use crate::error::{ApiError, ServerError};
use crate::registry::CRD_STORE;
use crate::store::{Db, LogRow, SyncMode};

type Operation = Box<dyn FnOnce(&mut Txn<'_>) -> Result<Reply, ApiError> + Send>;

/// Where the outcome of an operation goes: the caller waiting in [`Shared::write`].
type ReplyTo = oneshot::Sender<Result<Reply, ApiError>>;

struct Job {
    op: Operation,
    reply: ReplyTo,
}

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
const BROADCAST_CAPACITY: usize = 16_384;
const MAX_BATCH: usize = 512;
/// The revision log is compacted after this many changes.
const COMPACTION_INTERVAL: usize = 1000;

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
        let writer = Writer {
            shared: shared.clone(),
            db,
            history_limit,
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

/// The writer thread's state.
struct Writer {
    shared: Arc<Shared>,
    db: Db,
    history_limit: usize,
    since_compaction: usize,
}

/// The outcome of one batch: each job's reply channel and result, the changes of the jobs
/// that succeeded, and whether the batch held the closing job.
struct Batch {
    replies: Vec<(ReplyTo, Result<Reply, ApiError>)>,
    changes: Vec<Arc<Event>>,
    stopping: bool,
}

impl Writer {
    /// Runs batches until the closing job or until every sender is gone.
    fn run(mut self, mut rx: mpsc::UnboundedReceiver<Job>) {
        let mut stopping = false;
        while !stopping {
            let Some(jobs) = next_batch(&mut rx) else {
                break;
            };
            let shared = self.shared.clone();
            let replies = {
                let mut cluster = shared.write_lock();
                let mut batch = run_jobs(&mut cluster, jobs);
                if !batch.changes.is_empty() {
                    self.commit(&mut cluster, &mut batch);
                }
                stopping = batch.stopping;
                batch.replies
            };
            // Callers hear back only once the lock is released and the changes are visible.
            for (reply, result) in replies {
                let _ = reply.send(result);
            }
        }
    }

    /// Writes the batch's changes to the database, then publishes them; when the commit fails
    /// the changes are undone and every job that had succeeded fails.
    fn commit(&mut self, cluster: &mut Cluster, batch: &mut Batch) {
        let rows: Vec<LogRow> = batch.changes.iter().map(|e| to_log_row(e)).collect();
        if let Err(e) = self.db.commit(&rows) {
            tracing::error!(error = %e, "committing a batch of writes failed");
            undo(cluster, &mut batch.changes, 0);
            for (_, result) in batch.replies.iter_mut() {
                if result.is_ok() {
                    *result = Err(ApiError::internal(format!(
                        "storing the change failed: {e}"
                    )));
                }
            }
            return;
        }
        self.publish(cluster, &batch.changes);
    }

    /// Makes committed changes visible: registry, history (trimmed to its limit), the event
    /// feed and the published revision; compacts the log now and then.
    fn publish(&mut self, cluster: &mut Cluster, changes: &[Arc<Event>]) {
        if changes.iter().any(|e| e.store == CRD_STORE) {
            cluster.rebuild_registry();
        }
        self.since_compaction += changes.len();
        for ev in changes {
            cluster.history.push_back(ev.clone());
            // A lagging receiver is told to relist by the watch stream itself.
            let _ = self.shared.events.send(ev.clone());
        }
        while cluster.history.len() > self.history_limit {
            if let Some(old) = cluster.history.pop_front() {
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

/// Runs each job on the state; a job that fails, or panics, leaves no change behind.
fn run_jobs(cluster: &mut Cluster, jobs: Vec<Job>) -> Batch {
    let mut batch = Batch {
        replies: Vec::with_capacity(jobs.len()),
        changes: Vec::new(),
        stopping: false,
    };
    for job in jobs {
        let mark = batch.changes.len();
        let rev = cluster.rev;
        let result = run_job(cluster, &mut batch.changes, job.op);
        if let Err(e) = &result {
            if e.code == 503 && e.message == SHUTTING_DOWN {
                batch.stopping = true;
            }
            undo(cluster, &mut batch.changes, mark);
            // A panic may have come between taking a revision and recording the change.
            cluster.rev = rev;
        }
        batch.replies.push((job.reply, result));
    }
    batch
}

/// Runs one operation, turning a panic into a 500: one request's bug must not stop the only
/// thread that writes, or every later write would fail until a restart.
fn run_job(
    cluster: &mut Cluster,
    changes: &mut Vec<Arc<Event>>,
    op: Operation,
) -> Result<Reply, ApiError> {
    // Unwind safety: the operation reaches shared state only through the transaction, whose
    // changes the caller undoes on any error, and the operation itself is consumed here.
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut txn = Txn { cluster, changes };
        op(&mut txn)
    }));
    outcome.unwrap_or_else(|payload| {
        let cause = panic_message(payload.as_ref());
        tracing::error!(%cause, "a write operation panicked; it was rolled back");
        Err(ApiError::internal(format!(
            "an internal error occurred while handling the request, nothing was changed: {cause}"
        )))
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("the operation panicked")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::atomic::AtomicUsize;

    use serde_json::{Value, json};

    use super::*;

    /// A fresh directory under the system's temporary directory, removed when dropped.
    struct ScratchDir(PathBuf);

    impl ScratchDir {
        fn new() -> ScratchDir {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!(
                "patchwarden-apiserver-writer-{}-{n}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            ScratchDir(dir)
        }
    }

    impl Drop for ScratchDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn put(txn: &mut Txn<'_>, key: &str) {
        txn.put("test/things", key, json!({"metadata": {"name": key}}));
    }

    #[test]
    fn a_panicking_operation_fails_alone_and_the_writer_keeps_serving() {
        let dir = ScratchDir::new();
        let (shared, writer) =
            Shared::open(&dir.0.join("state.db"), SyncMode::Normal, 100, 16).unwrap();
        let panicked = futures::executor::block_on(shared.write(|txn| {
            put(txn, "half-done");
            panic!("a bug in one operation");
        }));
        let err = panicked.unwrap_err();
        assert_eq!((err.code, err.reason), (500, "InternalError"), "{err}");
        let next = futures::executor::block_on(shared.write(|txn| {
            put(txn, "next");
            Ok(Reply::ok(Value::Null))
        }));
        assert!(next.is_ok(), "the next write succeeds: {next:?}");
        {
            let cluster = shared.read();
            assert!(
                cluster.get("test/things", "half-done").is_none(),
                "rolled back"
            );
            assert!(cluster.get("test/things", "next").is_some());
            // The rolled-back change left no gap: the next write took the next revision.
            assert_eq!(cluster.rev, 1);
        }
        shared.close();
        writer.join().unwrap();
    }

    #[test]
    fn writes_past_the_queue_bound_get_429_and_later_ones_go_through() {
        let dir = ScratchDir::new();
        let (shared, writer) =
            Shared::open(&dir.0.join("state.db"), SyncMode::Normal, 100, 1).unwrap();
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let first = {
            let shared = shared.clone();
            std::thread::spawn(move || {
                futures::executor::block_on(shared.write(move |txn| {
                    started_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                    put(txn, "first");
                    Ok(Reply::ok(Value::Null))
                }))
            })
        };
        started_rx.recv().unwrap();
        let refused = futures::executor::block_on(shared.write(|txn| {
            put(txn, "second");
            Ok(Reply::ok(Value::Null))
        }))
        .unwrap_err();
        assert_eq!(
            (refused.code, refused.retry_after()),
            (429, Some(1)),
            "{refused}"
        );
        release_tx.send(()).unwrap();
        assert!(first.join().unwrap().is_ok());
        let third = futures::executor::block_on(shared.write(|txn| {
            put(txn, "third");
            Ok(Reply::ok(Value::Null))
        }));
        assert!(third.is_ok(), "{third:?}");
        assert!(shared.read().get("test/things", "second").is_none());
        shared.close();
        writer.join().unwrap();
    }
}
