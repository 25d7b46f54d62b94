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
    let (shared, writer) = Shared::open(&dir.0.join("state.db"), SyncMode::Normal, 100, 1).unwrap();
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

/// Queues an operation directly, so that a test decides the queue order.
fn queue<F>(shared: &Shared, op: F) -> oneshot::Receiver<Result<Reply, ApiError>>
where
    F: FnOnce(&mut Txn<'_>) -> Result<Reply, ApiError> + Send + 'static,
{
    let (reply, rx) = oneshot::channel();
    let job = Job {
        op: Box::new(op),
        reply,
    };
    assert!(shared.jobs.send(job).is_ok(), "the writer is running");
    rx
}

/// Puts `key` and answers with the revision it got.
fn put_rev(key: &'static str) -> impl FnOnce(&mut Txn<'_>) -> Result<Reply, ApiError> + Send {
    move |txn| {
        txn.put("test/things", key, json!({"metadata": {"name": key}}));
        Ok(Reply::ok(json!(txn.cluster().rev)))
    }
}

fn answered_rev(rx: oneshot::Receiver<Result<Reply, ApiError>>) -> Result<u64, ApiError> {
    let reply = futures::executor::block_on(rx).expect("an answer")?;
    Ok(reply.body.as_u64().expect("a revision"))
}

#[test]
fn one_batch_keeps_queue_order_and_a_failing_write_fails_alone() {
    batch_order_and_failures(0);
}

#[test]
fn with_writers_waiting_behind_a_batch_it_keeps_order_and_durability_too() {
    // More waiting writers than the batch holds: the batch syncs without the state lock.
    batch_order_and_failures(100);
}

/// Runs a batch of four writes with `waiting` more writers counted as waiting behind it.
fn batch_order_and_failures(waiting: usize) {
    let dir = ScratchDir::new();
    let path = dir.0.join("state.db");
    let (shared, writer) = Shared::open(&path, SyncMode::Full, 100, 16).unwrap();
    shared.queued.fetch_add(waiting, Ordering::AcqRel);
    let mut events = shared.subscribe();
    // The first job holds the writer until the rest are queued, so they form one batch.
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let first = queue(&shared, move |txn| {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        put_rev("first")(txn)
    });
    started_rx.recv().unwrap();
    let a = queue(&shared, put_rev("a"));
    let refused = queue(&shared, |txn| {
        put(txn, "b");
        Err(ApiError::already_exists("", "things", "b"))
    });
    let c = queue(&shared, put_rev("c"));
    release_tx.send(()).unwrap();

    assert_eq!(answered_rev(first).unwrap(), 1);
    assert_eq!(answered_rev(a).unwrap(), 2);
    let err = answered_rev(refused).unwrap_err();
    assert_eq!(err.code, 409, "{err}");
    // The refused write took no revision: the next one has no gap before it.
    assert_eq!(answered_rev(c).unwrap(), 3);
    let published: Vec<(u64, String)> = (0..3)
        .map(|_| {
            let ev = events.try_recv().expect("an event per stored write");
            (ev.rev, ev.key.clone())
        })
        .collect();
    let expected = [(1, "first"), (2, "a"), (3, "c")].map(|(r, k)| (r, k.to_string()));
    assert_eq!(published, expected);
    assert!(events.try_recv().is_err(), "no event for the refused write");
    shared.close();
    writer.join().unwrap();

    // What was acknowledged is what the database holds.
    let (shared, writer) = Shared::open(&path, SyncMode::Full, 100, 16).unwrap();
    {
        let cluster = shared.read();
        assert_eq!(cluster.rev, 3);
        let keys: Vec<&String> = cluster.store("test/things").unwrap().keys().collect();
        assert_eq!(keys, ["a", "c", "first"]);
    }
    shared.close();
    writer.join().unwrap();
}

#[test]
fn history_drops_old_events_by_count_and_by_size_above_a_floor() {
    assert!(!history_over(10, 0, 10));
    assert!(history_over(11, 0, 10));
    // However large, the newest events stay for resuming watches.
    assert!(!history_over(
        MIN_HISTORY,
        HISTORY_BYTES * 4,
        DEFAULT_HISTORY
    ));
    assert!(history_over(
        MIN_HISTORY + 1,
        HISTORY_BYTES + 1,
        DEFAULT_HISTORY
    ));
    assert!(!history_over(
        MIN_HISTORY + 1,
        HISTORY_BYTES,
        DEFAULT_HISTORY
    ));
}
