//! One batch of queued writes (group commit): each operation runs on the in-memory state and
//! its changes are stored under a savepoint of the batch's one database transaction. An
//! operation that fails, panics or cannot be stored is undone alone, in memory and in the
//! database, so the writes queued before and after it keep their place, their revisions and
//! their order. While the batch waits for the disk its changes are taken back out of memory
//! ([`unapply`]), so readers keep seeing only committed state without waiting for the sync, and
//! put back ([`reapply`]) once it is committed.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::{Cluster, Event, Reply, Txn, undo};
use crate::error::ApiError;
use crate::store::{BatchTxn, ChangeKind, LogRow};

pub type Operation = Box<dyn FnOnce(&mut Txn<'_>) -> Result<Reply, ApiError> + Send>;

/// Where the outcome of an operation goes: the caller waiting in `Shared::write`.
pub type ReplyTo = oneshot::Sender<Result<Reply, ApiError>>;

/// A job's reply channel and the result to send on it.
pub type Answer = (ReplyTo, Result<Reply, ApiError>);

pub struct Job {
    pub op: Operation,
    pub reply: ReplyTo,
}

/// The outcome of running a batch: each job's reply channel and result, in queue order, and
/// the changes of the jobs that succeeded, in revision order.
pub struct Batch {
    pub replies: Vec<Answer>,
    pub changes: Vec<Arc<Event>>,
}

/// Runs the jobs in queue order, storing each one's changes in `txn` as it succeeds. Without a
/// transaction (opening it failed) a job that changes anything fails; the others (reads of the
/// state, the closing job) still run. Nothing is committed yet: see [`commit`].
pub fn run<'c>(
    cluster: &mut Cluster,
    mut txn: Result<BatchTxn<'c>, rusqlite::Error>,
    jobs: Vec<Job>,
) -> (Batch, Result<BatchTxn<'c>, rusqlite::Error>) {
    let mut batch = Batch {
        replies: Vec::with_capacity(jobs.len()),
        changes: Vec::new(),
    };
    for job in jobs {
        let mark = batch.changes.len();
        let rev = cluster.rev;
        let result = run_job(cluster, &mut batch.changes, job.op)
            .and_then(|reply| store(&mut txn, &batch.changes[mark..]).map(|()| reply));
        if result.is_err() {
            undo(cluster, &mut batch.changes, mark);
            // A panic may have come between taking a revision and recording the change.
            cluster.rev = rev;
        }
        batch.replies.push((job.reply, result));
    }
    (batch, txn)
}

/// Commits the batch's transaction with one sync of the log; returns once it is durable.
pub fn commit(
    txn: Result<BatchTxn<'_>, rusqlite::Error>,
    changes: &[Arc<Event>],
) -> Result<(), rusqlite::Error> {
    match txn {
        // Nothing to store: dropping the transaction ends it without a sync.
        Ok(_) if changes.is_empty() => Ok(()),
        Ok(txn) => txn.commit(),
        Err(e) => Err(e),
    }
}

/// Takes a batch's changes back out of memory, newest first, leaving the committed state.
pub fn unapply(cluster: &mut Cluster, changes: &[Arc<Event>]) {
    for ev in changes.iter().rev() {
        let store = cluster.stores.entry(ev.store.clone()).or_default();
        match &ev.prev {
            Some(prev) => store.insert(ev.key.clone(), prev.clone()),
            None => store.remove(&ev.key),
        };
        cluster.rev = ev.rev - 1;
    }
}

/// Puts a committed batch's changes back, oldest first.
pub fn reapply(cluster: &mut Cluster, changes: &[Arc<Event>]) {
    for ev in changes {
        let store = cluster.stores.entry(ev.store.clone()).or_default();
        match ev.kind {
            ChangeKind::Deleted => store.remove(&ev.key),
            ChangeKind::Added | ChangeKind::Modified => {
                store.insert(ev.key.clone(), ev.obj.clone())
            }
        };
        cluster.rev = ev.rev;
    }
}

/// Stores one job's changes under its own savepoint.
fn store(
    txn: &mut Result<BatchTxn<'_>, rusqlite::Error>,
    changes: &[Arc<Event>],
) -> Result<(), ApiError> {
    if changes.is_empty() {
        return Ok(());
    }
    let rows: Vec<LogRow> = changes.iter().map(|e| to_log_row(e)).collect();
    let stored = match txn {
        Ok(txn) => txn.write(&rows).map_err(|e| e.to_string()),
        Err(e) => Err(format!("the batch transaction did not open: {e}")),
    };
    stored.map_err(|cause| {
        tracing::error!(%cause, "storing a write failed; it was rolled back");
        ApiError::internal(format!(
            "storing the change failed, nothing was changed: {cause}"
        ))
    })
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
    use std::collections::{BTreeMap, HashMap, VecDeque};

    use serde_json::json;

    use super::*;
    use crate::registry::Registry;

    fn cluster() -> Cluster {
        Cluster {
            rev: 0,
            stores: HashMap::new(),
            history: VecDeque::new(),
            compacted: 0,
            registry: Arc::new(Registry::default()),
        }
    }

    /// Each stored key with the revision of its object.
    fn contents(cluster: &Cluster) -> (u64, BTreeMap<String, u64>) {
        let keys = cluster
            .store("test/things")
            .map(|s| s.iter().map(|(k, o)| (k.clone(), o.rev)).collect())
            .unwrap_or_default();
        (cluster.rev, keys)
    }

    #[test]
    fn unapply_restores_the_committed_state_and_reapply_the_batch() {
        let mut cluster = cluster();
        let mut committed = Vec::new();
        let mut txn = Txn {
            cluster: &mut cluster,
            changes: &mut committed,
        };
        txn.put("test/things", "kept", json!({}));
        txn.put("test/things", "changed", json!({}));
        txn.put("test/things", "deleted", json!({}));
        let before = contents(&cluster);

        let mut changes = Vec::new();
        let mut txn = Txn {
            cluster: &mut cluster,
            changes: &mut changes,
        };
        txn.put("test/things", "changed", json!({"v": 2}));
        txn.remove("test/things", "deleted");
        txn.put("test/things", "new", json!({}));
        txn.put("test/things", "new", json!({"v": 2}));
        let after = contents(&cluster);
        assert_ne!(before, after);

        unapply(&mut cluster, &changes);
        assert_eq!(contents(&cluster), before);
        reapply(&mut cluster, &changes);
        assert_eq!(contents(&cluster), after);
        assert_eq!(after.0, 7);
        assert_eq!(after.1.get("new"), Some(&7));
        assert!(!after.1.contains_key("deleted"));
    }
}
