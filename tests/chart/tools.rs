//! The tools these tests drive, installed by `.ci/run`: Helm's Go SDK and the Kubernetes
//! schemas in a Python virtual environment, Debian's `lua5.4` and `umoci`.

use std::path::PathBuf;

/// The virtual environment's Python: `$PATCHWARDEN_CHART_PYTHON`, else the one `.ci/run`
/// creates in `${XDG_CACHE_HOME:-$HOME/.cache}/patchwarden-ci/chart`.
pub fn chart_python() -> PathBuf {
    if let Some(python) = std::env::var_os("PATCHWARDEN_CHART_PYTHON") {
        return PathBuf::from(python);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .expect("HOME or XDG_CACHE_HOME is set");
    let python = cache.join("patchwarden-ci/chart/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run .ci/run (it installs helm-python-sdk and kubernetes-validate)",
        python.display()
    );
    python
}
