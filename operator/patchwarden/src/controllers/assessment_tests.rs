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
