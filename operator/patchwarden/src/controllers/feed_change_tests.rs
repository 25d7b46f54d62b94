use patchwarden_core::feed::osv::parse_document;
use patchwarden_core::index::FeedSet;
use patchwarden_core::inventory::dpkg::parse_status;

use super::*;

/// An OSV record for Debian 12 source `source`, fixed at `fixed`.
fn advisory(id: &str, source: &str, fixed: &str) -> String {
    format!(
        r#"{{"id":"{id}","modified":"2026-11-01T00:00:00Z","published":"2026-11-01T00:00:00Z","aliases":["{id}"],"affected":[{{"package":{{"ecosystem":"Debian:12","name":"{source}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
    )
}

fn index(records: &[String]) -> AdvisoryIndex {
    let text = format!("[{}]", records.join(","));
    AdvisoryIndex::build(FeedSet {
        advisories: parse_document(&text).expect("OSV parses"),
        ..FeedSet::default()
    })
}

fn names(changed: &Changed) -> Vec<String> {
    let Changed::Packages(names) = changed else {
        panic!("expected package names, got {changed:?}");
    };
    let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    names.sort();
    names
}

/// `libssl3` built from source `openssl`, and `bash`.
fn inventory() -> Inventory {
    parse_status(
        "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.15-1~deb12u1\nSource: openssl\n\n\
         Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b7\n\n",
    )
    .expect("dpkg status parses")
}

#[test]
fn the_first_load_changes_everything() {
    let new = fingerprints(&index(&[advisory("CVE-2026-1", "jq", "1.7")]));
    assert_eq!(changed(None, &new), Changed::All);
    assert!(Changed::All.touches(&Inventory::default()));
}

#[test]
fn an_added_advisory_changes_only_its_package() {
    let jq = advisory("CVE-2026-1", "jq", "1.7");
    let old = fingerprints(&index(std::slice::from_ref(&jq)));
    let new = fingerprints(&index(&[jq, advisory("CVE-2026-2", "openssl", "3.0.16-1")]));
    let changed = changed(Some(&old), &new);
    assert_eq!(names(&changed), ["openssl"]);
    // libssl3's source is openssl.
    assert!(changed.touches(&inventory()));
    let only_bash = Changed::Packages(HashSet::from([Box::from("jq")]));
    assert!(!only_bash.touches(&inventory()));
}

#[test]
fn a_reload_in_another_order_changes_nothing() {
    let a = advisory("CVE-2026-1", "jq", "1.7");
    let b = advisory("CVE-2026-2", "jq", "1.8");
    let old = fingerprints(&index(&[a.clone(), b.clone()]));
    let new = fingerprints(&index(&[b, a]));
    assert!(changed(Some(&old), &new).is_empty());
}

#[test]
fn a_changed_fixed_version_and_a_removed_advisory_are_changes() {
    let old = fingerprints(&index(&[
        advisory("CVE-2026-1", "jq", "1.7"),
        advisory("CVE-2026-2", "bash", "5.2.15-2+b8"),
    ]));
    let new = fingerprints(&index(&[advisory("CVE-2026-1", "jq", "1.7.1")]));
    assert_eq!(names(&changed(Some(&old), &new)), ["bash", "jq"]);
}

#[test]
fn a_kev_entry_changes_the_packages_its_cve_concerns() {
    let records = [
        advisory("CVE-2026-10001", "jq", "1.7"),
        advisory("CVE-2026-10002", "bash", "5.2.15-2+b8"),
    ];
    let text = format!("[{}]", records.join(","));
    let advisories = parse_document(&text).expect("OSV parses");
    let kev = patchwarden_core::feed::kev::parse_catalog(
        r#"{"title":"KEV","catalogVersion":"1","dateReleased":"2026-11-02T00:00:00Z","count":1,"vulnerabilities":[{"cveID":"CVE-2026-10002","vendorProject":"GNU","product":"bash","vulnerabilityName":"x","dateAdded":"2026-11-02","shortDescription":"x","requiredAction":"x","dueDate":"2026-11-23","knownRansomwareCampaignUse":"Unknown","notes":""}]}"#,
    )
    .expect("KEV parses");
    let without = fingerprints(&AdvisoryIndex::build(FeedSet {
        advisories: advisories.clone(),
        ..FeedSet::default()
    }));
    let with = fingerprints(&AdvisoryIndex::build(FeedSet {
        advisories,
        kev: Some(kev),
        ..FeedSet::default()
    }));
    assert_eq!(names(&changed(Some(&without), &with)), ["bash"]);
}
