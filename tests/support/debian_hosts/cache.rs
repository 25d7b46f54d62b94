//! The cache of the Debian 12 root and local archive under the Cargo target directory
//! (`target/debian-hosts/`), built once and reused by every test and every later run.
//!
//! Each build is written to a temporary directory and renamed to `ready-<unix time>` when
//! complete; builds are never changed afterwards, so readers need no lock. A file lock
//! (`lock`) makes parallel tests build only once. The signed `InRelease` expires (apt then
//! refuses the archive): a build whose `Valid-Until` is less than [`MIN_VALIDITY`] away is
//! replaced by a new one, and builds that expired are deleted.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::archive::{PendingUpgrade, valid_until};
use super::build::{build_cache, read};

/// How long a build must stay valid to be used: longer than any test run.
const MIN_VALIDITY: Duration = Duration::hours(6);
const READY_PREFIX: &str = "ready-";

/// A complete build: the prepared root, the local archive and the pending upgrades.
#[derive(Debug, Clone)]
pub struct DebianCache {
    dir: PathBuf,
    upgrades: Vec<PendingUpgrade>,
}

impl DebianCache {
    /// The current build, made first when there is none still valid for [`MIN_VALIDITY`].
    pub fn get() -> DebianCache {
        let base = target_dir().join("debian-hosts");
        std::fs::create_dir_all(&base).expect("create target/debian-hosts");
        let lock = File::create(base.join("lock")).expect("create the cache lock");
        lock.lock().expect("lock the cache");
        let now = Utc::now();
        let dir = match newest_usable(&base, now) {
            Some(dir) => dir,
            None => build(&base),
        };
        remove_expired(&base, now);
        drop(lock);
        DebianCache::open(&dir)
    }

    fn open(dir: &Path) -> DebianCache {
        let list: Value =
            serde_json::from_str(&read(&dir.join("upgrades.json"))).expect("upgrades.json is JSON");
        let text = |u: &Value, key: &str| u[key].as_str().expect("upgrade field").to_string();
        let upgrades = list
            .as_array()
            .expect("upgrades.json is a list")
            .iter()
            .map(|u| PendingUpgrade {
                package: text(u, "package"),
                installed: text(u, "installed"),
                candidate: text(u, "candidate"),
                source: text(u, "source"),
            })
            .collect();
        DebianCache {
            dir: dir.to_path_buf(),
            upgrades,
        }
    }

    /// The prepared root every host copies.
    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }

    /// The local archive (`dists/bookworm-security/…` and `pool/…`).
    pub fn mirror(&self) -> PathBuf {
        self.dir.join("mirror")
    }

    /// The root's upgrades pending in bookworm-security (`upgrades.json`).
    pub fn upgrades(&self) -> &[PendingUpgrade] {
        &self.upgrades
    }
}

/// Cargo's target directory: the ancestor of the running test binary that holds Cargo's
/// `CACHEDIR.TAG`, else `target/` in the repository.
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .find(|dir| dir.join("CACHEDIR.TAG").is_file())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| crate::paths::repo_path("target"))
}

/// When a build's archive stops being accepted by apt.
fn build_valid_until(dir: &Path) -> Option<DateTime<Utc>> {
    let release =
        std::fs::read_to_string(dir.join("mirror/dists/bookworm-security/InRelease")).ok()?;
    valid_until(&release)
}

fn ready_builds(base: &Path) -> Vec<PathBuf> {
    let mut builds: Vec<PathBuf> = std::fs::read_dir(base)
        .expect("read target/debian-hosts")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(READY_PREFIX))
        })
        .collect();
    builds.sort();
    builds
}

fn newest_usable(base: &Path, now: DateTime<Utc>) -> Option<PathBuf> {
    ready_builds(base)
        .into_iter()
        .rev()
        .find(|dir| build_valid_until(dir).is_some_and(|until| until - now > MIN_VALIDITY))
}

fn remove_expired(base: &Path, now: DateTime<Utc>) {
    for dir in ready_builds(base) {
        if build_valid_until(&dir).is_none_or(|until| until < now) {
            // A leftover costs only disk space; the next run tries again.
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    for entry in std::fs::read_dir(base).into_iter().flatten().flatten() {
        // Half-finished builds of runs that died (the lock is held, so none is in progress).
        if entry.file_name().to_string_lossy().starts_with(".build-") {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn build(base: &Path) -> PathBuf {
    let started = Instant::now();
    let temp = tempfile::Builder::new()
        .prefix(".build-")
        .tempdir_in(base)
        .expect("create the build directory");
    build_cache(temp.path());
    let ready = base.join(format!("{READY_PREFIX}{}", Utc::now().timestamp()));
    std::fs::rename(temp.keep(), &ready).expect("rename the build into place");
    eprintln!(
        "debian-hosts: built {} in {:.1} s",
        ready.display(),
        started.elapsed().as_secs_f64()
    );
    ready
}
