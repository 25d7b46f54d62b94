//! A lab host assessed with the core against the lab's own OSV feed: the inventory the lab
//! executor collects, parsed by the core, shows every real CVE id the delta names for the
//! mirrored packages; after the upgrades through the executor, none is left.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::collections::BTreeSet;

use patchwarden_core::feed::osv;
use patchwarden_core::finding::{Assessment, AssetContext};
use patchwarden_core::index::{AdvisoryIndex, FeedSet};
use patchwarden_core::inventory::{dpkg, ecosystem_from_os_release};
use patchwarden_executor::{AssetRef, Executor, LabExecutor, PackageTarget};
use patchwarden_lab::{Lab, LabDelta, LabSpec};

async fn assess(exec: &LabExecutor, index: &AdvisoryIndex, asset: &AssetRef) -> Assessment {
    let inv = exec.collect_inventory(asset).await.unwrap();
    let ecosystem = ecosystem_from_os_release(&inv.os_release).unwrap();
    let inventory = dpkg::parse_status(&inv.dpkg_status).unwrap();
    let context = AssetContext {
        name: asset.name.clone(),
        ecosystem,
        criticality: Default::default(),
        exposure: Default::default(),
    };
    index.assess(&inventory, &context)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lab_feed_finds_the_real_cves_until_the_fixes_are_installed() {
    let tmp = tempfile::tempdir().unwrap();
    let delta = LabDelta::embedded().unwrap();
    let (lab, _) = Lab::create(&tmp.path().join("lab"), &delta, &LabSpec::new(1)).unwrap();
    let feed = std::fs::read_to_string(lab.osv_feed()).unwrap();
    let advisories = osv::parse_document(&feed).unwrap();
    let index = AdvisoryIndex::build(FeedSet {
        advisories,
        kev: None,
        epss: None,
    });
    let exec = LabExecutor::new(lab.clone());
    let asset = AssetRef::named("lab-01");

    let before = assess(&exec, &index, &asset).await;
    assert_eq!(before.ecosystem.to_string(), "Debian:12");
    let found: BTreeSet<String> = before
        .findings
        .iter()
        .flat_map(|f| f.matched.cve_ids.iter().cloned())
        .collect();
    let expected: BTreeSet<String> = delta
        .sources
        .iter()
        .flat_map(|s| s.cves.iter().cloned())
        .collect();
    assert_eq!(found, expected);
    assert!(
        found.contains("CVE-2025-3576"),
        "krb5 CVE named in its changelog"
    );
    let openssl = before
        .findings
        .iter()
        .find(|f| f.matched.package == "openssl")
        .unwrap();
    assert_eq!(
        openssl.matched.fixed_version.as_deref(),
        Some("3.0.22-1~deb12u2")
    );
    // libssh2-1 is a binNMU: the source version from `Source: libssh2 (1.10.0-3)` is compared.
    let libssh2 = before
        .findings
        .iter()
        .find(|f| f.matched.package == "libssh2")
        .unwrap();
    assert_eq!(libssh2.matched.installed_version, "1.10.0-3");

    let fixes: Vec<PackageTarget> = lab
        .packages()
        .iter()
        .map(|p| PackageTarget::new(&p.package, &p.candidate_version))
        .collect();
    let report = exec.upgrade(&asset, &fixes).await.unwrap();
    assert!(report.succeeded(), "{:?}", report.failure_message());
    let after = assess(&exec, &index, &asset).await;
    assert!(after.findings.is_empty(), "{:?}", after.summary);
}
