//! Paths in the repository, whatever the directory a test runs in.

use std::path::{Path, PathBuf};

/// The root of the repository (this package is its `tests/` folder).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository root")
        .to_path_buf()
}

/// `relative` below the repository root, such as `crds` or `examples/quickstart`.
pub fn repo_path(relative: &str) -> PathBuf {
    repo_root().join(relative)
}

/// A path as a `&str` for command arguments (test paths are UTF-8).
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}
