//! The rules crate stays pure: its normal dependencies are serde, serde_json, thiserror, regex
//! (schema patterns) and chrono (date-time formats), so the core may depend on it.

use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn depends_only_on_pure_crates() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "patchwarden-k8s-rules",
            "-e",
            "normal",
            "--depth",
            "1",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let direct: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "patchwarden-k8s-rules")
        .map(str::to_string)
        .collect();
    let allowed: BTreeSet<String> = ["chrono", "regex", "serde", "serde_json", "thiserror"]
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(direct, allowed);
}
