use super::*;

fn added(rev: u64, key: &str) -> LogRow {
    LogRow {
        rev,
        store: "test/things".into(),
        key: key.into(),
        kind: ChangeKind::Added,
        value: format!(r#"{{"metadata":{{"name":"{key}"}}}}"#).into_bytes(),
        prev: None,
    }
}

fn stored_keys(db: &Db) -> Vec<(String, u64)> {
    let loaded = db.load().unwrap();
    let mut keys: Vec<(String, u64)> = loaded.objects.into_iter().map(|o| (o.key, o.rev)).collect();
    keys.sort();
    keys
}

#[test]
fn a_failing_write_in_a_batch_is_rolled_back_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Db::open(&dir.path().join("state.db"), SyncMode::Full).unwrap();
    let mut batch = db.begin().unwrap();
    batch.write(&[added(1, "a")]).unwrap();
    // The second row reuses revision 1, which the log already holds: the write fails half way,
    // after its first row was stored.
    let failed = batch.write(&[added(2, "b"), added(1, "c")]);
    assert!(failed.is_err(), "a duplicate log revision is refused");
    batch.write(&[added(2, "d")]).unwrap();
    batch.commit().unwrap();

    assert_eq!(
        stored_keys(&db),
        vec![("a".to_string(), 1), ("d".to_string(), 2)]
    );
    let loaded = db.load().unwrap();
    assert_eq!(loaded.rev, 2);
    let log: Vec<(u64, String)> = loaded.log.into_iter().map(|l| (l.rev, l.key)).collect();
    assert_eq!(log, vec![(1, "a".to_string()), (2, "d".to_string())]);
}

#[test]
fn a_batch_dropped_without_commit_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let mut db = Db::open(&path, SyncMode::Full).unwrap();
    let mut batch = db.begin().unwrap();
    batch.write(&[added(1, "a")]).unwrap();
    drop(batch);
    drop(db);
    let db = Db::open(&path, SyncMode::Full).unwrap();
    assert!(stored_keys(&db).is_empty());
    assert_eq!(db.load().unwrap().rev, 0);
}

#[test]
fn a_committed_batch_is_read_back_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let mut db = Db::open(&path, SyncMode::Full).unwrap();
    let mut batch = db.begin().unwrap();
    for (rev, key) in [(1, "a"), (2, "b"), (3, "c")] {
        batch.write(&[added(rev, key)]).unwrap();
    }
    batch.commit().unwrap();
    drop(db);
    let db = Db::open(&path, SyncMode::Full).unwrap();
    assert_eq!(db.load().unwrap().rev, 3);
    assert_eq!(stored_keys(&db).len(), 3);
}
