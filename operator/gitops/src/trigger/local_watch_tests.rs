use std::path::Path;

use notify::event::{AccessKind, CreateKind, MetadataKind, ModifyKind, RenameMode};

use super::*;

fn locations() -> RefLocations {
    RefLocations {
        git_dir: PathBuf::from("/repo/.git/worktrees/wt"),
        common_dir: PathBuf::from("/repo/.git"),
    }
}

#[test]
fn head_packed_refs_and_refs_count_but_lock_files_and_objects_do_not() {
    let locations = locations();
    for path in [
        "/repo/.git/worktrees/wt/HEAD",
        "/repo/.git/packed-refs",
        "/repo/.git/refs/heads/main",
        "/repo/.git/refs/heads/team/feature",
        "/repo/.git/refs/tags/v1",
    ] {
        assert!(locations.is_ref_file(Path::new(path)), "{path}");
    }
    for path in [
        "/repo/.git/refs/heads/main.lock",
        "/repo/.git/packed-refs.lock",
        "/repo/.git/HEAD",
        "/repo/.git/index",
        "/repo/.git/objects/ab/cdef",
        "/repo/.git/logs/refs/heads/main",
    ] {
        assert!(!locations.is_ref_file(Path::new(path)), "{path}");
    }
}

#[test]
fn only_writes_renames_creations_and_removals_are_changes() {
    assert!(is_change(&EventKind::Create(CreateKind::File)));
    assert!(is_change(&EventKind::Modify(ModifyKind::Name(
        RenameMode::To
    ))));
    assert!(!is_change(&EventKind::Access(AccessKind::Any)));
    assert!(!is_change(&EventKind::Modify(ModifyKind::Metadata(
        MetadataKind::Any
    ))));
}

#[tokio::test]
async fn a_burst_of_changes_notifies_once() {
    let (changed, changes) = mpsc::unbounded_channel();
    let trigger = Arc::new(Notify::new());
    let forwarding = tokio::spawn(forward_changes(
        changes,
        trigger.clone(),
        Duration::from_millis(20),
    ));
    for _ in 0..5 {
        changed.send(()).expect("forwarding runs");
    }
    tokio::time::timeout(Duration::from_secs(5), trigger.notified())
        .await
        .expect("one notification");
    // The burst left no second permit behind.
    let again = tokio::time::timeout(Duration::from_millis(100), trigger.notified()).await;
    assert!(again.is_err(), "a burst notifies once");
    forwarding.abort();
}

#[tokio::test]
async fn a_commit_in_a_real_repository_notifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = git2::Repository::init(dir.path()).expect("init");
    let trigger = Arc::new(Notify::new());
    let _watch = watch_local_repository(dir.path(), trigger.clone()).expect("watch");
    let signature = git2::Signature::now("Test", "test@example.org").expect("signature");
    let tree_id = repo.index().expect("index").write_tree().expect("tree");
    let tree = repo.find_tree(tree_id).expect("find tree");
    repo.commit(Some("HEAD"), &signature, &signature, "first", &tree, &[])
        .expect("commit");
    tokio::time::timeout(Duration::from_secs(10), trigger.notified())
        .await
        .expect("the commit notifies the trigger");
}

#[test]
fn a_directory_that_is_no_repository_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = ref_locations(dir.path()).expect_err("no repository");
    assert!(
        error
            .to_string()
            .contains(&dir.path().display().to_string())
    );
}
