//! The reduced delta shipped with the quickstart is exactly the reduction of the real data in
//! `../shared/data` (default sources, changelog lines naming a CVE), so it can be regenerated.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::path::PathBuf;

use patchwarden_lab::{DEFAULT_SOURCES, LabDelta};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn shipped_reduced_delta_matches_the_real_data() {
    let data = repo_root().join("../shared/data");
    let full = LabDelta::load_with_status(
        &data.join("debian/debian12-host-security-delta-2026-11-28.json.gz"),
        Some(&data.join("inventories/debian12-host-dpkg-status-2026-11-28.gz")),
    )
    .unwrap();
    assert_eq!(full.sources.len(), 35);
    let names: Vec<String> = DEFAULT_SOURCES.iter().map(|s| s.to_string()).collect();
    let expected = full
        .select(&names)
        .unwrap()
        .with_cve_lines_only()
        .to_json()
        .unwrap();
    let shipped = std::fs::read_to_string(
        repo_root().join("examples/quickstart-data/debian12-security-delta.json"),
    )
    .unwrap();
    assert_eq!(shipped, expected);
    assert!(shipped.len() < 50_000);
    // Real per-binary versions from the host's dpkg status (binNMU, not the source version).
    let reduced = LabDelta::embedded().unwrap();
    let libssh2 = reduced
        .sources
        .iter()
        .find(|s| s.source == "libssh2")
        .unwrap();
    assert_eq!(libssh2.binaries[0].installed_version, "1.10.0-3+b1");
    assert_eq!(libssh2.binaries[0].candidate_version, "1.10.0-3+deb12u1");
    assert_eq!(
        libssh2.binaries[0].installed_source_version.as_deref(),
        Some("1.10.0-3")
    );
    let krb5 = reduced.sources.iter().find(|s| s.source == "krb5").unwrap();
    let locales = krb5
        .binaries
        .iter()
        .find(|b| b.package == "krb5-locales")
        .unwrap();
    assert_eq!(locales.architecture, "all");
}

#[test]
fn the_full_delta_loads_without_a_status_file() {
    let data = repo_root().join("../shared/data");
    let full = LabDelta::load(&data.join("debian/debian12-host-security-delta-2026-11-28.json.gz"))
        .unwrap();
    let linux = full.sources.iter().find(|s| s.source == "linux").unwrap();
    assert!(linux.cves.len() > 2000);
    assert!(full.binaries().all(|(_, b)| b.architecture == "amd64"));
}
