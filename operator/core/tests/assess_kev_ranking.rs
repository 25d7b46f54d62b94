//! Ground truth for exploit evidence: glibc's CVE-2023-4911 ("Looney Tunables", in CISA KEV)
//! through Ubuntu's real OSV record, matched against an Ubuntu 22.04 dpkg status with an
//! older libc6, outranks every finding that is not known to be exploited, even ones with a
//! perfect CVSS score and the highest EPSS probability in the real EPSS file.

mod assess_support;

use assess_support::read_data;
use patchwarden_core::ecosystem::Ecosystem;
use patchwarden_core::feed::{epss, kev, osv};
use patchwarden_core::finding::AssetContext;
use patchwarden_core::index::{AdvisoryIndex, FeedSet};
use patchwarden_core::inventory::{Inventory, InventoryFormat, ecosystem_from_os_release};
use patchwarden_core::risk::{Criticality, Exposure};
use patchwarden_core::severity::Severity;
use serde_json::json;

const UBUNTU_2204_OS_RELEASE: &str = "PRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\nID=ubuntu\nID_LIKE=debian\n";

fn paragraph(package: &str, source: Option<&str>, version: &str) -> String {
    let source = source.map(|s| format!("Source: {s}\n")).unwrap_or_default();
    format!(
        "Package: {package}\nStatus: install ok installed\nArchitecture: amd64\n{source}Version: {version}\nDescription: test\n\n"
    )
}

#[test]
fn kev_glibc_outranks_every_finding_without_known_exploitation() {
    let samples = read_data("osv/distro-osv-samples.jsonl");
    let mut advisories = osv::parse_document(&samples).expect("samples parse");
    let ids: Vec<&str> = advisories.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "DSA-3029-1",
            "UBUNTU-CVE-2023-4911",
            "USN-7500-1",
            "UBUNTU-CVE-2025-38094"
        ],
        "withdrawn record skipped"
    );
    let glibc = &advisories[1];
    assert_eq!(glibc.cve_ids, ["CVE-2023-4911"]);
    assert_eq!(glibc.other_ids, ["USN-6409-1"]);
    assert_eq!(glibc.severity.cvss.as_ref().map(|c| c.score), Some(7.8));
    assert!(glibc.affected[0].binaries.iter().any(|b| b == "libc6"));

    let catalog = kev::parse_catalog(&read_data(
        "kev/known_exploited_vulnerabilities-2025.08.25.json.gz",
    ))
    .expect("kev");
    assert_eq!(catalog.entries.len(), 1404);
    let scores = epss::parse_csv(&read_data("epss/epss_scores-2025-04-15.csv.gz")).expect("epss");
    assert_eq!(scores.len(), 274_855);
    let listed = catalog
        .entries
        .iter()
        .find(|e| e.cve_id == "CVE-2023-4911")
        .expect("glibc is in KEV")
        .clone();

    // The most likely exploited CVE that CISA has not listed, from the real EPSS file, is given
    // to rivals with a perfect CVSS score, so they have the strongest case without KEV.
    let kev_ids: std::collections::HashSet<&str> =
        catalog.entries.iter().map(|e| e.cve_id.as_str()).collect();
    let candidates = [
        "CVE-2019-0708",
        "CVE-2017-0144",
        "CVE-2021-44228",
        "CVE-2014-6271",
        "CVE-2018-7600",
        "CVE-2023-38408",
        "CVE-2024-6387",
    ];
    let rival_cve = candidates
        .iter()
        .filter(|c| !kev_ids.contains(*c))
        .filter_map(|c| scores.get(c).map(|s| (*c, s.probability)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c.to_string())
        .expect("a scored CVE outside KEV");
    for (package, version) in [
        ("openssl", "3.0.2-0ubuntu1.12"),
        ("openssh", "1:8.9p1-3ubuntu0.7"),
        ("zlib", "1:1.2.11.dfsg-2ubuntu9.3"),
    ] {
        let record = json!({
            "id": format!("TEST-{package}"),
            "upstream": [rival_cve],
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
            "affected": [{
                "package": {"ecosystem": "Ubuntu:22.04:LTS", "name": package},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": version}]}]
            }]
        });
        advisories.extend(osv::parse_record(&record.to_string(), 1).expect("rival"));
    }
    let index = AdvisoryIndex::build(FeedSet {
        advisories,
        kev: Some(catalog),
        epss: Some(std::sync::Arc::new(scores)),
    });

    let status: String = [
        paragraph("libc6", Some("glibc"), "2.35-0ubuntu3.1"),
        paragraph("libc-bin", Some("glibc"), "2.35-0ubuntu3.1"),
        paragraph("locales", Some("glibc"), "2.35-0ubuntu3.1"),
        paragraph("libssl3", Some("openssl"), "3.0.2-0ubuntu1.10"),
        paragraph("openssh-server", Some("openssh"), "1:8.9p1-3ubuntu0.6"),
        paragraph("zlib1g", Some("zlib"), "1:1.2.11.dfsg-2ubuntu9.2"),
        paragraph("bash", None, "5.1-6ubuntu1"),
    ]
    .concat();
    let inventory = Inventory::parse(InventoryFormat::DpkgStatus, &status).expect("status");
    let ecosystem = ecosystem_from_os_release(UBUNTU_2204_OS_RELEASE).expect("os-release");
    assert_eq!(ecosystem, Ecosystem::new("Ubuntu:22.04:LTS"));
    // The least favourable context for the KEV finding's asset.
    let context = AssetContext {
        name: "jammy".into(),
        ecosystem,
        criticality: Criticality::Low,
        exposure: Exposure::Isolated,
    };
    let assessment = index.assess(&inventory, &context);
    assert_eq!(assessment.findings.len(), 4);
    let top = &assessment.findings[0];
    assert_eq!(top.matched.package, "glibc");
    assert_eq!(top.matched.advisories[0].id, "UBUNTU-CVE-2023-4911");
    assert_eq!(top.matched.installed_version, "2.35-0ubuntu3.1");
    assert_eq!(
        top.matched.fixed_version.as_deref(),
        Some("2.35-0ubuntu3.4")
    );
    assert_eq!(top.binaries.len(), 3);
    let kev_listing = top.matched.kev.as_ref().expect("KEV listing");
    assert_eq!(
        (kev_listing.date_added, kev_listing.due_date),
        (listed.date_added, listed.due_date)
    );
    assert_eq!(top.matched.severity, Severity::High);
    assert!(
        top.risk
            .explain()
            .starts_with(&format!("KEV since {}", listed.date_added)),
        "{}",
        top.risk.explain()
    );
    for other in &assessment.findings[1..] {
        assert!(other.matched.kev.is_none());
        assert_eq!(other.matched.severity, Severity::Critical);
        assert!(other.matched.epss.is_some());
        assert!(
            top.risk.score > other.risk.score,
            "{} ({}) must outrank {} ({})",
            top.matched.package,
            top.risk.score,
            other.matched.package,
            other.risk.score
        );
    }
    assert_eq!(assessment.summary.kev, 1);
    assert_eq!(assessment.summary.top_risks[0].package, "glibc");

    // On 24.04 the record's own entry for that release applies, with its own fixed version,
    // and the 22.04-only rivals do not.
    let noble = AssetContext {
        ecosystem: Ecosystem::new("Ubuntu:24.04:LTS"),
        ..context
    };
    let on_noble = index.assess(&inventory, &noble);
    assert_eq!(on_noble.findings.len(), 1);
    assert_eq!(
        on_noble.findings[0].matched.fixed_version.as_deref(),
        Some("2.38-1ubuntu6")
    );
}
