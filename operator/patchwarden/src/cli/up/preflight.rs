//! What `patchwarden up` checks and prepares before it starts anything: the tools the lab
//! fleet needs, and the state directory.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// Tools the lab fleet runs; `up` checks them before anything else.
const REQUIRED_TOOLS: [(&str, &str); 4] = [
    ("dpkg", "dpkg"),
    ("dpkg-deb", "dpkg"),
    ("dpkg-query", "dpkg"),
    ("apt-get", "apt"),
];

/// Fails, naming each missing tool and its package, unless every required tool is on `PATH`:
/// without them the lab fleet could not be patched, and the failure would come much later.
pub(super) fn check_required_tools() -> anyhow::Result<()> {
    let missing: Vec<String> = REQUIRED_TOOLS
        .iter()
        .filter(|(program, _)| !on_path(program))
        .map(|(program, package)| format!("{program} (package {package})"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "patchwarden up patches a lab fleet with the real dpkg and apt, but these are not on PATH: {}. On Debian or Ubuntu: sudo apt-get install dpkg apt",
            missing.join(", ")
        );
    }
    Ok(())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
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
