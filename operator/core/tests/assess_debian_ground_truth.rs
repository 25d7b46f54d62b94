//! Ground truth on a real Debian 12 host: advisories are built from the host's security
//! delta (each changelog entry of a pending bookworm-security update becomes an OSV record:
//! source package, fixed version, CVE ids), read back through the OSV parser, and the host's
//! real dpkg status must show exactly the 35 vulnerable source packages, with the right
//! installed and fixed versions and CVE ids, and nothing else.

mod assess_support;

use std::collections::{BTreeMap, BTreeSet};

use assess_support::read_data;
use patchwarden_core::ecosystem::Ecosystem;
use patchwarden_core::feed::osv;
use patchwarden_core::finding::AssetContext;
use patchwarden_core::index::{AdvisoryIndex, FeedSet};
use patchwarden_core::inventory::{Inventory, InventoryFormat};
use patchwarden_core::risk::{Criticality, Exposure};
use patchwarden_core::version::VersionScheme;
use serde_json::{Value, json};

struct Expected {
    installed: String,
    fixed: String,
    cves: BTreeSet<String>,
}

/// The newest source version of `source` published in bookworm-security, from the real
/// `Packages` index (used where the changelog delta has no entry: postgresql-common).
fn newest_security_source_version(packages: &str, source: &str) -> Option<String> {
    let mut best: Option<String> = None;
    for paragraph in packages.split("\n\n") {
        let field = |name: &str| {
            paragraph.lines().find_map(|l| {
                l.strip_prefix(name)
                    .and_then(|v| v.strip_prefix(':'))
                    .map(str::trim)
            })
        };
        let (Some(package), Some(version)) = (field("Package"), field("Version")) else {
            continue;
        };
        let (name, source_version) = match field("Source") {
            Some(s) => match s.split_once(" (") {
                Some((n, v)) => (n.trim(), v.trim_end_matches(')').to_string()),
                None => (s, version.to_string()),
            },
            None => (package, version.to_string()),
        };
        if name == source
            && best
                .as_deref()
                .is_none_or(|b| VersionScheme::Dpkg.compare(&source_version, b).is_gt())
        {
            best = Some(source_version);
        }
    }
    best
}

#[test]
fn debian_host_shows_exactly_its_35_vulnerable_sources() {
    let delta: Vec<Value> = serde_json::from_str(&read_data(
        "debian/debian12-host-security-delta-2026-11-28.json.gz",
    ))
    .expect("delta json");
    let packages = read_data("debian/bookworm-security-main-amd64-Packages-2026-11-28.gz");
    assert_eq!(delta.len(), 35);

    let mut records = Vec::new();
    let mut expected: BTreeMap<String, Expected> = BTreeMap::new();
    for source in &delta {
        let name = source["source"].as_str().expect("source").to_string();
        let mut fixed: Option<String> = None;
        let entries = source["changelog_entries"].as_array().expect("entries");
        for entry in entries {
            let version = entry["version"].as_str().expect("version");
            let cves: Vec<&str> = entry["cves"]
                .as_array()
                .expect("cves")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            records.push(json!({
                "id": format!("DEB12-DELTA-{name}-{version}"),
                "related": cves,
                "summary": format!("{name} {version}"),
                "affected": [{
                    "package": {"ecosystem": "Debian:12", "name": name},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": version}]}]
                }]
            }));
            if fixed
                .as_deref()
                .is_none_or(|f| VersionScheme::Dpkg.compare(version, f).is_gt())
            {
                fixed = Some(version.to_string());
            }
        }
        if entries.is_empty() {
            // No changelog entry (binary version ≠ source version): the fix is the newest
            // source version that bookworm-security published.
            let version = newest_security_source_version(&packages, &name)
                .expect("published in bookworm-security");
            records.push(json!({
                "id": format!("DEB12-DELTA-{name}-{version}"),
                "affected": [{
                    "package": {"ecosystem": "Debian:12", "name": name},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": version}]}]
                }]
            }));
            fixed = Some(version);
        }
        let cves = source["cves"]
            .as_array()
            .expect("cves")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        expected.insert(
            name,
            Expected {
                installed: source["installed_version"]
                    .as_str()
                    .expect("installed")
                    .to_string(),
                fixed: fixed.expect("a fix"),
                cves,
            },
        );
    }
    let jsonl: String = records.iter().map(|r| format!("{r}\n")).collect();
    let advisories = osv::parse_document(&jsonl).expect("OSV records parse");
    assert_eq!(advisories.len(), records.len());
    let index = AdvisoryIndex::build(FeedSet {
        advisories,
        ..FeedSet::default()
    });

    let status = read_data("inventories/debian12-host-dpkg-status-2026-11-28.gz");
    assert_eq!(
        InventoryFormat::detect(&status),
        Some(InventoryFormat::DpkgStatus)
    );
    let inventory = Inventory::parse(InventoryFormat::DpkgStatus, &status).expect("status parses");
    assert_eq!(inventory.len(), 731);
    let os_release = read_data("inventories/debian12-host-os-release");
    let ecosystem =
        patchwarden_core::inventory::ecosystem_from_os_release(&os_release).expect("os-release");
    assert_eq!(ecosystem, Ecosystem::new("Debian:12"));
    let context = AssetContext {
        name: "debian12-host".into(),
        ecosystem,
        criticality: Criticality::High,
        exposure: Exposure::Internal,
    };
    let assessment = index.assess(&inventory, &context);

    let found: BTreeSet<&str> = assessment
        .findings
        .iter()
        .map(|f| f.matched.package.as_str())
        .collect();
    let wanted: BTreeSet<&str> = expected.keys().map(String::as_str).collect();
    assert_eq!(found, wanted, "exactly the vulnerable source packages");
    assert_eq!(
        assessment.findings.len(),
        35,
        "one finding per source package"
    );
    for finding in &assessment.findings {
        let m = &finding.matched;
        let want = &expected[&m.package];
        assert_eq!(
            m.fixed_version.as_deref(),
            Some(want.fixed.as_str()),
            "{} fixed version",
            m.package
        );
        let mut installed: Vec<&str> = vec![&m.installed_version];
        installed.extend(finding.binaries.iter().map(|p| &*p.version));
        assert!(
            installed.contains(&want.installed.as_str()),
            "{}: apt's installed version {} is among {installed:?}",
            m.package,
            want.installed
        );
        assert!(
            VersionScheme::Dpkg
                .compare(&m.installed_version, &want.fixed)
                .is_lt()
        );
        let cves: BTreeSet<String> = m.cve_ids.iter().cloned().collect();
        assert_eq!(cves, want.cves, "{} CVE ids", m.package);
    }
    assert_eq!(assessment.summary.findings, 35);
    assert_eq!(assessment.summary.fixable, 35);
    assert_eq!(assessment.summary.kev, 0, "none of these CVEs is in KEV");
    let postgres = assessment
        .findings
        .iter()
        .find(|f| f.matched.package == "postgresql-common")
        .expect("trap case");
    assert_eq!(
        postgres.matched.installed_version, "248+deb12u1",
        "source version, not the binary's 15+248+deb12u1"
    );
}
