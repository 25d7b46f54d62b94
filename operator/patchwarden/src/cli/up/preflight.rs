//! What `patchwarden up` checks and prepares before it starts anything: the tools the lab
//! fleet needs, and the state directory.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use patchwarden_executor::tools::{LAB_TOOLS, missing_tools, missing_tools_message};

/// Fails at once, naming each missing tool with the Debian package that provides it, unless
/// every program the lab fleet runs is on `PATH`: without them the fleet could not be built or
/// patched, and the failure would only show much later.
pub(super) fn check_required_tools() -> anyhow::Result<()> {
    let missing = missing_tools(&LAB_TOOLS, on_path);
    if !missing.is_empty() {
        bail!(
            "patchwarden up builds and patches a lab fleet with the real dpkg and apt, but these are {}",
            missing_tools_message(&missing)
        );
    }
    Ok(())
}

/// Whether an executable file named `program` is in a directory of `PATH`.
fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    let executable = |path: PathBuf| {
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| executable(dir.join(program))))
        .unwrap_or(false)
}

/// Creates the state directory if needed and returns its absolute path, so that every path
/// derived from it (kubeconfig, lab fleets) stays valid whatever the working directory.
pub(super) fn state_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the state directory {}", dir.display()))?;
    dir.canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))
}
