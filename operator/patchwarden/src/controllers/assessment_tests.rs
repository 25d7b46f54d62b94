use patchwarden_core::feed::osv::parse_document;
use patchwarden_core::inventory::dpkg::parse_status;

use super::*;

/// An OSV record for source `jq` in Debian 12, fixed at `fixed`.
fn advisory(id: &str, fixed: &str) -> String {
    format!(
        r#"{{"id":"{id}","modified":"2026-11-01T00:00:00Z","published":"2026-11-01T00:00:00Z","aliases":["{id}"],"affected":[{{"package":{{"ecosystem":"Debian:12","name":"jq"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
    )
}

#[test]
fn an_assessment_is_read_by_policies_only_once_stored() {
    // Two advisories of one package: the upgrade fixes both at the higher version.
    let text = format!(
        "[{},{}]",
        advisory("CVE-2026-0001", "1.6-2.1+deb12u2"),
        advisory("CVE-2026-0002", "1.6-2.1+deb12u10")
    );
    let feed = FeedSet {
        advisories: parse_document(&text).expect("OSV parses"),
        ..FeedSet::default()
    };
    let assessments = Assessments::new();
    assessments.set_feed("osv", Arc::new(feed));
    let status = "Package: jq\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.6-2.1+deb12u1\n\n";
    let inventory = parse_status(status).expect("dpkg status parses");
    let assessed = assessments
        .assess(
            "default/h",
            Some("Debian:12"),
            Criticality::default(),
            Exposure::default(),
            &inventory,
            "sha256:x",
        )
        .expect("assessed");
    assert_eq!(assessed.upgrades.len(), 1, "{:?}", assessed.upgrades);
    let jq = &assessed.upgrades[0];
    // Debian order: deb12u10 is above deb12u2, though below it as text.
    assert_eq!(jq.fixed_version, "1.6-2.1+deb12u10");
    // Not stored until the host's sources are applied.
    assert!(assessments.get("default/h").is_none());
    assessments.store("default/h", (*assessed).clone());
    assert!(assessments.get("default/h").is_some());
}

/// An OSV record for Debian 12 source `source`, fixed at `fixed`.
fn advisory_for(id: &str, source: &str, fixed: &str) -> String {
    advisory(id, fixed).replace("\"name\":\"jq\"", &format!("\"name\":\"{source}\""))
}

fn feed(records: &[String]) -> Arc<FeedSet> {
    Arc::new(FeedSet {
        advisories: parse_document(&format!("[{}]", records.join(","))).expect("OSV parses"),
        ..FeedSet::default()
    })
}

/// Assesses and stores asset `key` with one package installed.
fn assess_and_store(assessments: &Assessments, key: &str, package: &str, version: &str) {
    let status = format!(
        "Package: {package}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {version}\n\n"
    );
    let inventory = parse_status(&status).expect("dpkg status parses");
    let digest = format!("sha256:{package}-{version}");
    let assessed = assessments
        .assess(
            key,
            Some("Debian:12"),
            Criticality::default(),
            Exposure::default(),
            &inventory,
            &digest,
        )
        .expect("assessed");
    assessments.store(key, (*assessed).clone());
}

fn open(assessments: &Assessments, key: &str) -> u32 {
    assessments.get(key).expect("assessed").open_count()
}

#[test]
fn a_feed_load_reassesses_only_the_assets_it_touches_and_names_them() {
    let assessments = Assessments::new();
    let jq = advisory_for("CVE-2026-0001", "jq", "1.6-2.1+deb12u2");
    assessments.set_feed("osv", feed(std::slice::from_ref(&jq)));
    assess_and_store(&assessments, "default/a", "jq", "1.6-2.1+deb12u1");
    assess_and_store(&assessments, "default/b", "bash", "5.2.15-2");
    assert_eq!(open(&assessments, "default/a"), 1);
    assert_eq!(open(&assessments, "default/b"), 0);
    let untouched = assessments.get("default/a").expect("assessed");
    let mut touched = assessments.subscribe_touched();

    let bash = advisory_for("CVE-2026-0002", "bash", "5.2.15-3");
    assessments.set_feed("osv", feed(&[jq, bash]));

    // b was re-assessed in place, without its inventory being read again; a kept its own.
    assert_eq!(open(&assessments, "default/b"), 1);
    assert!(Arc::ptr_eq(
        &untouched,
        &assessments.get("default/a").expect("kept")
    ));
    let named = touched.try_recv().expect("the touched assets are named");
    assert_eq!(&*named, ["default/b".to_string()]);
    assert!(touched.try_recv().is_err(), "nothing else is named");
}

#[test]
fn an_assessment_computed_before_a_feed_load_is_not_stored_after_it() {
    let assessments = Assessments::new();
    let jq = advisory_for("CVE-2026-0001", "jq", "1.6-2.1+deb12u2");
    assessments.set_feed("osv", feed(std::slice::from_ref(&jq)));
    let inventory = parse_status(
        "Package: jq\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.6-2.1+deb12u1\n\n",
    )
    .expect("dpkg status parses");
    let before = assessments
        .assess(
            "default/a",
            Some("Debian:12"),
            Criticality::default(),
            Exposure::default(),
            &inventory,
            "sha256:x",
        )
        .expect("assessed");
    // The feeds change while the asset's sources are read.
    let second = advisory_for("CVE-2026-0003", "jq", "1.6-2.1+deb12u3");
    assessments.set_feed("osv", feed(&[jq, second]));
    let mut touched = assessments.subscribe_touched();
    assessments.store("default/a", (*before).clone());
    // The load re-assessed the kept inputs: the upgrade reaches the newer fix, not the one
    // computed before.
    let kept = assessments.get("default/a").expect("assessed");
    assert_eq!(kept.upgrades[0].fixed_version, "1.6-2.1+deb12u3");
    assert_eq!(before.upgrades[0].fixed_version, "1.6-2.1+deb12u2");
    let named = touched.try_recv().expect("the asset is reconciled again");
    assert_eq!(&*named, ["default/a".to_string()]);
}

#[test]
fn hosts_with_the_same_upgrades_share_them_and_their_findings() {
    let assessments = Assessments::new();
    let jq = advisory_for("CVE-2026-0001", "jq", "1.6-2.1+deb12u2");
    assessments.set_feed("osv", feed(std::slice::from_ref(&jq)));
    assess_and_store(&assessments, "default/a", "jq", "1.6-2.1+deb12u1");
    assess_and_store(&assessments, "default/b", "jq", "1.6-2.1+deb12u1");
    let (a, b) = (
        assessments.get("default/a").expect("assessed"),
        assessments.get("default/b").expect("assessed"),
    );
    assert_eq!(a.member_upgrades.findings.len(), 1);
    assert_eq!(a.member_upgrades.findings[0].finding.id, "CVE-2026-0001");
    assert!(Arc::ptr_eq(&a.upgrades[0], &b.upgrades[0]));
    assert!(Arc::ptr_eq(
        &a.member_upgrades.candidates[0],
        &b.member_upgrades.candidates[0]
    ));
    assert!(Arc::ptr_eq(
        &a.member_upgrades.findings[0],
        &b.member_upgrades.findings[0]
    ));
}
