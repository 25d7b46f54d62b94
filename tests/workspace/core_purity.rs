//! The core crate stays pure: no Kubernetes client, async runtime, Git, HTTP server or database
//! among its normal dependencies, direct or transitive. The compiler then keeps I/O out of it.

use std::collections::BTreeSet;
use std::process::Command;

const FORBIDDEN: [&str; 8] = [
    "kube",
    "k8s-openapi",
    "tokio",
    "git2",
    "hyper",
    "axum",
    "rusqlite",
    "reqwest",
];

/// Names of every package in the normal (non-dev, non-build) dependency tree of `package`.
fn normal_dependencies(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--locked",
            "-p",
            package,
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(support::paths::repo_root())
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn core_depends_on_no_io_crate() {
    let dependencies = normal_dependencies("patchwarden-core");
    assert!(
        dependencies.contains("patchwarden-core"),
        "cargo tree listed the core itself: {dependencies:?}"
    );
    let found: Vec<&str> = FORBIDDEN
        .iter()
        .copied()
        .filter(|name| dependencies.contains(*name))
        .collect();
    assert!(found.is_empty(), "patchwarden-core depends on {found:?}");
}

#[test]
fn the_check_would_see_a_forbidden_crate() {
    // The same query on the API crate must find kube: proves the test is able to fail.
    let dependencies = normal_dependencies("patchwarden-api");
    assert!(dependencies.contains("kube"), "{dependencies:?}");
    assert!(dependencies.contains("k8s-openapi"), "{dependencies:?}");
}
