//! Real records from `../shared/data` carried through parsing and matching: which source
//! rates each advisory's severity (and that findings name it), when each was published (the
//! dates SLA deadlines and `approveAfter` count from), and whether an update is a security
//! update at all (what `approval.securityOnly` decides on).

mod assess_support;

use std::sync::Arc;

use assess_support::read_data;
use chrono::{DateTime, TimeDelta, Utc};
use patchwarden_core::advisory::{Advisory, AdvisoryClass};
use patchwarden_core::approval::{ApprovalPolicy, ApprovalRules, HoldReason, UpgradeCandidate};
use patchwarden_core::ecosystem::Ecosystem;
use patchwarden_core::feed::{debian_tracker, osv};
use patchwarden_core::finding::{AssetContext, Finding};
use patchwarden_core::index::{AdvisoryIndex, FeedSet};
use patchwarden_core::inventory::{InstalledPackage, Inventory};
use patchwarden_core::risk::{Criticality, Exposure};
use patchwarden_core::{Duration, Severity};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test instant")
        .with_timezone(&Utc)
}

fn by_id<'a>(advisories: &'a [Advisory], id: &str) -> &'a Advisory {
    advisories
        .iter()
        .find(|a| a.id == id)
        .unwrap_or_else(|| panic!("{id} in the data"))
}

/// The findings of one package version in one ecosystem.
fn findings_of(
    advisories: Vec<Advisory>,
    ecosystem: &str,
    package: &str,
    version: &str,
) -> Vec<Finding> {
    let index = AdvisoryIndex::build(FeedSet {
        advisories,
        ..FeedSet::default()
    });
    let inventory = Inventory {
        packages: vec![Arc::new(InstalledPackage::new(package, version))],
    };
    let context = AssetContext {
        name: "host".into(),
        ecosystem: Ecosystem::new(ecosystem),
        criticality: Criticality::Medium,
        exposure: Exposure::Internal,
    };
    index.assess(&inventory, &context).findings
}

/// The candidate an assessment offers for a finding, as the controller builds it.
fn candidate_of(finding: &Finding) -> UpgradeCandidate {
    let m = &finding.matched;
    UpgradeCandidate {
        package: m.package.clone(),
        source_package: None,
        installed_version: m.installed_version.clone(),
        candidate_version: m.fixed_version.clone().expect("a fix"),
        severity: m.severity,
        published: m.published,
        known_exploited: m.kev.is_some(),
        cve_ids: m.cve_ids.clone(),
        security: m.security,
    }
}

#[test]
fn distribution_records_are_rated_by_their_best_source() {
    let samples =
        osv::parse_document(&read_data("osv/distro-osv-samples.jsonl")).expect("samples parse");
    // glibc: a CVSS v3.1 vector (7.8) and Ubuntu priority "high"; the vector wins.
    let glibc = by_id(&samples, "UBUNTU-CVE-2023-4911");
    assert_eq!(glibc.severity.level, Severity::High);
    assert_eq!(glibc.severity.source.as_deref(), Some("CVSS_V3 vector"));
    assert_eq!(glibc.severity.cvss.as_ref().map(|c| c.score), Some(7.8));
    // A kernel record rated only by Ubuntu's qualitative `severity` entry.
    let kernel = by_id(&samples, "UBUNTU-CVE-2025-38094");
    assert_eq!(kernel.severity.level, Severity::Medium);
    assert_eq!(kernel.severity.source.as_deref(), Some("Ubuntu severity"));
    // Debian's DSA records publish no severity at all.
    let nginx = by_id(&samples, "DSA-3029-1");
    assert_eq!(nginx.severity.level, Severity::Unknown);
    assert_eq!(nginx.severity.source, None);
    assert_eq!(nginx.published_at(), Some(utc("2014-09-20T00:00:00Z")));

    let alma = osv::parse_document(&read_data("osv/almalinux-osv-2026-08-21.jsonl.gz"))
        .expect("AlmaLinux parses");
    let firefox = by_id(&alma, "ALSA-2025:10073");
    assert_eq!(firefox.severity.level, Severity::High, "Important: …");
    assert_eq!(firefox.severity.source.as_deref(), Some("advisory summary"));
}

#[test]
fn the_debian_tracker_urgency_rates_a_record_without_a_vector() {
    // The shape osv.dev serves DEBIAN-CVE records in (`ecosystem_specific.urgency`).
    let record = r#"{"id":"DEBIAN-CVE-2024-12133","upstream":["CVE-2024-12133"],
        "published":"2025-02-10T00:00:00Z",
        "affected":[{"package":{"ecosystem":"Debian:12","name":"libtasn1-6"},
          "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.19.0-2+deb12u1"}]}],
          "ecosystem_specific":{"urgency":"medium"}}]}"#;
    let advisories = osv::parse_document(record).expect("parses");
    let findings = findings_of(advisories, "Debian:12", "libtasn1-6", "4.19.0-2");
    let matched = &findings[0].matched;
    assert_eq!(matched.severity, Severity::Medium);
    assert_eq!(
        matched.severity_source.as_deref(),
        Some("Debian tracker urgency")
    );
    assert!(
        findings[0]
            .risk
            .explain()
            .contains("medium severity (Debian tracker urgency)"),
        "{}",
        findings[0].risk.explain()
    );
}

#[test]
fn debian_advisory_dates_reach_findings_and_approval() {
    let list =
        debian_tracker::parse_list(&read_data("debian/security-tracker-DSA-list-2025-02-13.gz"))
            .expect("DSA list parses");
    let findings = findings_of(list.advisories, "Debian:12", "libtasn1-6", "4.19.0-2");
    assert_eq!(findings.len(), 1);
    let finding = &findings[0];
    let ids: Vec<&str> = finding
        .matched
        .advisories
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert!(ids.contains(&"DSA-5863-1"), "{ids:?}");
    // [10 Feb 2025] DSA-5863-1 libtasn1-6 - security update
    assert_eq!(finding.matched.published, Some(utc("2025-02-10T00:00:00Z")));
    assert!(finding.matched.security, "a DSA is a security update");
    assert!(
        finding.risk.explain().contains("(no source rates it)"),
        "{}",
        finding.risk.explain()
    );

    let candidate = Arc::new(candidate_of(finding));
    let rules = ApprovalRules {
        approve_after: "7d".parse::<Duration>().expect("duration"),
        ..ApprovalRules::default()
    };
    let policy = ApprovalPolicy::compile(rules).expect("rules compile");
    let day_after = utc("2025-02-11T00:00:00Z");
    let held = policy.approve(std::slice::from_ref(&candidate), day_after);
    assert!(held.approved.is_empty());
    match &held.held_back[0].reason {
        HoldReason::TooRecent { approvable_at, .. } => {
            assert_eq!(
                *approvable_at,
                utc("2025-02-10T00:00:00Z") + TimeDelta::days(7)
            );
        }
        other => panic!("expected TooRecent, got {other}"),
    }
    let week_later = utc("2025-02-17T00:00:00Z");
    assert_eq!(policy.approve(&[candidate], week_later).approved.len(), 1);
}

#[test]
fn bug_fix_errata_are_not_security_updates_and_security_only_holds_them() {
    let alma = osv::parse_document(&read_data("osv/almalinux-osv-2026-08-21.jsonl.gz"))
        .expect("AlmaLinux parses");
    let bugfix = by_id(&alma, "ALBA-2019:0973").clone();
    assert_eq!(bugfix.class(), AdvisoryClass::Bugfix);
    let security = by_id(&alma, "ALSA-2025:10073").clone();
    assert_eq!(security.class(), AdvisoryClass::Security);

    let plain = findings_of(
        vec![bugfix],
        "AlmaLinux:8",
        "oci-systemd-hook",
        "0.1.14-1.el8",
    );
    assert!(!plain[0].matched.security);
    let fix = findings_of(
        vec![security],
        "AlmaLinux:10",
        "firefox",
        "128.11.0-1.el10_0",
    );
    assert!(fix[0].matched.security);

    let candidates = [
        Arc::new(candidate_of(&plain[0])),
        Arc::new(candidate_of(&fix[0])),
    ];
    let now = utc("2026-08-21T00:00:00Z");
    let everything = ApprovalPolicy::compile(ApprovalRules::default()).expect("compile");
    assert_eq!(everything.approve(&candidates, now).approved.len(), 2);
    let security_only = ApprovalPolicy::compile(ApprovalRules {
        security_only: true,
        ..ApprovalRules::default()
    })
    .expect("compile");
    let outcome = security_only.approve(&candidates, now);
    assert_eq!(outcome.approved.len(), 1);
    assert_eq!(outcome.approved[0].package, "firefox");
    assert_eq!(outcome.held_back[0].candidate.package, "oci-systemd-hook");
    assert_eq!(outcome.held_back[0].reason, HoldReason::NotSecurity);
}
