//! Watching a local repository's refs with inotify (the `notify` crate's recommended
//! watcher): a commit, a reset, a fetch or a branch switch rewrites `HEAD`, a file under
//! `refs/` or `packed-refs`, and each such change notifies the sync after a short quiet
//! period, so the burst of writes one `git commit` makes costs one pass.
//!
//! Git writes a ref by creating `<ref>.lock` and renaming it over the ref, so lock files are
//! ignored and the rename is what counts. Objects, the index and logs are not watched.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::event::{EventKind, ModifyKind};
use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

/// How long the watch waits after a ref change for the rest of its burst.
pub const QUIET_PERIOD: Duration = Duration::from_millis(50);

/// Why a repository cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch {path}: it is not a Git repository: {source}")]
    NotARepository {
        path: PathBuf,
        #[source]
        source: git2::Error,
    },
    #[error("cannot watch {path} for ref changes: {source}")]
    Watch {
        path: PathBuf,
        #[source]
        source: notify::Error,
    },
}

/// The Git directories whose files name the repository's revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefLocations {
    /// Holds `HEAD` (a worktree's own `.git/worktrees/<name>` for linked worktrees).
    pub git_dir: PathBuf,
    /// Holds `refs/` and `packed-refs` (the main `.git`, shared by all worktrees).
    pub common_dir: PathBuf,
}

impl RefLocations {
    /// Whether a change of `path` may have moved a ref: `HEAD`, `packed-refs`, or a file
    /// under `refs/`, but not their `.lock` files.
    pub fn is_ref_file(&self, path: &Path) -> bool {
        if path
            .extension()
            .is_some_and(|extension| extension == "lock")
        {
            return false;
        }
        path == self.git_dir.join("HEAD")
            || path == self.common_dir.join("packed-refs")
            || path.starts_with(self.common_dir.join("refs"))
    }
}

/// Whether an event may carry a ref change: creations, writes, renames and removals, not
/// reads or metadata.
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

/// A running watch; dropping it stops watching.
pub struct LocalWatch {
    _watcher: RecommendedWatcher,
    forwarding: JoinHandle<()>,
}

impl Drop for LocalWatch {
    fn drop(&mut self) {
        self.forwarding.abort();
    }
}

impl std::fmt::Debug for LocalWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalWatch").finish_non_exhaustive()
    }
}

/// Finds the Git directories of the repository at `path` (a working tree or a bare
/// repository; a linked worktree's `.git` file is followed).
pub fn ref_locations(path: &Path) -> Result<RefLocations, WatchError> {
    let repo = git2::Repository::open(path).map_err(|source| WatchError::NotARepository {
        path: path.to_path_buf(),
        source,
    })?;
    let canonical = |dir: &Path| dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    Ok(RefLocations {
        git_dir: canonical(repo.path()),
        common_dir: canonical(repo.commondir()),
    })
}

/// Starts watching the refs of the repository at `path`; every change notifies `trigger`
/// after [`QUIET_PERIOD`]. Must be called within a tokio runtime.
pub fn watch_local_repository(path: &Path, trigger: Arc<Notify>) -> Result<LocalWatch, WatchError> {
    let locations = ref_locations(path)?;
    let (changed, changes) = mpsc::unbounded_channel();
    let filter = locations.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
        // A watcher error (say, a queue overflow) may hide a ref change: sync to be sure.
        let relevant = event.map_or(true, |event| {
            is_change(&event.kind) && event.paths.iter().any(|path| filter.is_ref_file(path))
        });
        if relevant {
            let _ = changed.send(());
        }
    })
    .map_err(|source| watch_error(path, source))?;
    let mut watch = |dir: &Path, mode| {
        watcher
            .watch(dir, mode)
            .map_err(|source| watch_error(dir, source))
    };
    // Non-recursive on the Git directories (HEAD and packed-refs are replaced by renames,
    // which a watch on the files themselves would lose), recursive under refs/.
    watch(&locations.git_dir, RecursiveMode::NonRecursive)?;
    if locations.common_dir != locations.git_dir {
        watch(&locations.common_dir, RecursiveMode::NonRecursive)?;
    }
    let refs = locations.common_dir.join("refs");
    if refs.is_dir() {
        watch(&refs, RecursiveMode::Recursive)?;
    }
    let forwarding = tokio::spawn(forward_changes(changes, trigger, QUIET_PERIOD));
    Ok(LocalWatch {
        _watcher: watcher,
        forwarding,
    })
}

fn watch_error(path: &Path, source: notify::Error) -> WatchError {
    WatchError::Watch {
        path: path.to_path_buf(),
        source,
    }
}

/// One notification per burst: after the first change, waits `quiet`, swallows what came
/// meanwhile, notifies.
async fn forward_changes(
    mut changes: mpsc::UnboundedReceiver<()>,
    trigger: Arc<Notify>,
    quiet: Duration,
) {
    while changes.recv().await.is_some() {
        tokio::time::sleep(quiet).await;
        while changes.try_recv().is_ok() {}
        tracing::debug!("local repository refs changed: syncing now");
        trigger.notify_one();
    }
}

#[cfg(test)]
#[path = "local_watch_tests.rs"]
mod tests;
