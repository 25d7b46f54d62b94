use patchwarden_api::asset::{AvailableUpgrade, FixedFinding};
use patchwarden_core::Severity;
use patchwarden_executor::{PackageOrigin, PackageSource};

use super::*;

fn upgrade(package: &str, fixed: &str, ids: &[&str]) -> AvailableUpgrade {
    AvailableUpgrade {
        package: package.into(),
        installed_version: "3.0.15-1~deb12u1".into(),
        fixed_version: fixed.into(),
        severity: Severity::High,
        security: true,
        fixes: ids
            .iter()
            .map(|id| FixedFinding {
                id: id.to_string(),
                severity: Severity::High,
                ..FixedFinding::default()
            })
            .collect(),
        ..AvailableUpgrade::default()
    }
}

fn assessed() -> AssetAssessment {
    AssetAssessment {
        upgrades: vec![
            upgrade("libssl3", "3.0.17-1~deb12u2", &["CVE-2025-1", "CVE-2025-2"]),
            upgrade("openssl", "3.0.17-1~deb12u2", &["CVE-2025-1", "CVE-2025-2"]),
            upgrade("jq", "1.6-2.1+deb12u3", &["CVE-2025-3"]),
        ]
        .into_iter()
        .map(Arc::new)
        .collect(),
        ..AssetAssessment::default()
    }
}

fn offer(package: &str, candidate: &str) -> Arc<HostOffer> {
    Arc::new(HostOffer {
        package: package.into(),
        candidate: Some(candidate.into()),
        origin: Some("http://deb.debian.org/debian-security bookworm-security/main".into()),
    })
}

#[test]
fn a_candidate_below_the_fix_is_not_available_and_not_a_target() {
    let offers = HostOffers::new(vec![
        offer("libssl3", "3.0.16-1~deb12u1"),
        offer("openssl", "3.0.16-1~deb12u1"),
        offer("jq", "1.6-2.1+deb12u3"),
    ]);
    let out = apply(&assessed(), VersionScheme::Dpkg, &offers);
    let ssl = &out.upgrades[0];
    assert!(!ssl.is_patch_target());
    let reason = ssl.not_available_reason.as_deref().expect("a reason");
    assert!(
        reason.starts_with("fix not yet available from the host's sources"),
        "{reason}"
    );
    assert_eq!(
        ssl.host_candidate_version.as_deref(),
        Some("3.0.16-1~deb12u1")
    );
    // Two findings, shared by two binaries of one source, counted once each.
    assert_eq!(out.summary.fix_not_yet_available, 2);
    assert!(out.upgrades[2].is_patch_target());
}

#[test]
fn a_candidate_above_the_fix_is_the_target() {
    let offers = HostOffers::new(vec![offer("jq", "1.6-2.1+deb12u4")]);
    let out = apply(&assessed(), VersionScheme::Dpkg, &offers);
    let jq = &out.upgrades[2];
    assert!(jq.is_patch_target());
    assert_eq!(jq.target_version(), "1.6-2.1+deb12u4");
    assert_eq!(jq.fixed_version, "1.6-2.1+deb12u3");
    assert_eq!(jq.candidate().candidate_version, "1.6-2.1+deb12u4");
    assert_eq!(
        jq.host_origin.as_deref(),
        Some("http://deb.debian.org/debian-security bookworm-security/main")
    );
    // Packages apt does not know: nothing can be installed.
    assert!(!out.upgrades[0].is_patch_target());
    assert_eq!(out.summary.fix_not_yet_available, 2);
}

#[test]
fn applying_newer_offers_replaces_the_old_verdict() {
    let old = HostOffers::new(vec![offer("jq", "1.6-2.1+deb12u1")]);
    let first = apply(&assessed(), VersionScheme::Dpkg, &old);
    assert!(!first.upgrades[2].is_patch_target());
    let new = HostOffers::new(vec![
        offer("openssl", "3.0.17-1~deb12u2"),
        offer("jq", "1.6-2.1+deb12u3"),
        offer("libssl3", "3.0.17-1~deb12u2"),
    ]);
    let second = apply(&first, VersionScheme::Dpkg, &new);
    assert!(second.upgrades.iter().all(|u| u.is_patch_target()));
    assert_eq!(second.summary.fix_not_yet_available, 0);
}

#[test]
fn offers_name_the_candidates_origin() {
    let sources = HostSources {
        asset: "h".into(),
        packages: vec![
            PackageSource {
                package: "jq".into(),
                installed: Some("1".into()),
                candidate: Some("2".into()),
                origin: Some(PackageOrigin {
                    uri: "file:/srv/repo".into(),
                    dist: "./".into(),
                    component: None,
                }),
            },
            PackageSource {
                package: "curl".into(),
                installed: None,
                candidate: None,
                origin: None,
            },
        ],
        repositories: Vec::new(),
    };
    let asked = ["curl", "jq", "zlib1g"].map(String::from);
    let offers = HostOffers::new(offers(&asked, &sources).into_iter().map(Arc::new).collect());
    let jq = offers.get("jq").expect("asked about");
    assert_eq!(jq.candidate.as_deref(), Some("2"));
    assert_eq!(jq.origin.as_deref(), Some("file:/srv/repo ./"));
    // Known to apt without a candidate, or not in the answer at all: asked, nothing offered.
    for package in ["curl", "zlib1g"] {
        let offer = offers.get(package).expect("asked about");
        assert_eq!((&offer.candidate, &offer.origin), (&None, &None));
    }
    assert_eq!(offers.get("bash"), None, "not asked about");
}

#[test]
fn hosts_offered_the_same_share_one_offer() {
    let assessments = Assessments::new();
    let host = |candidate: &str| {
        assessments.share_offers(vec![
            HostOffer::clone(&offer("jq", candidate)),
            HostOffer::clone(&offer("curl", "7.88.1-10+deb12u14")),
        ])
    };
    let (first, second, newer) = (
        host("1.6-2.1+deb12u1"),
        host("1.6-2.1+deb12u1"),
        host("1.6-2.1+deb12u3"),
    );
    assert_eq!(first, second);
    let shared = |a: &HostOffers, b: &HostOffers, package: &str| {
        std::ptr::eq(
            a.get(package).expect("offer"),
            b.get(package).expect("offer"),
        )
    };
    assert!(shared(&first, &second, "jq") && shared(&first, &second, "curl"));
    assert!(shared(&first, &newer, "curl"));
    assert!(!shared(&first, &newer, "jq"));
    assert_eq!(
        newer.get("jq").and_then(|o| o.candidate.as_deref()),
        Some("1.6-2.1+deb12u3")
    );
}

#[test]
fn only_apt_hosts_have_their_sources_read() {
    assert_eq!(apt_scheme(Some("Debian:12")), Some(VersionScheme::Dpkg));
    assert_eq!(apt_scheme(Some("AlmaLinux:9")), None);
    assert_eq!(apt_scheme(None), None);
}

/// With a real lab host: its repository offers some fixes and not others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lab_hosts_sources_decide_targets_and_unavailable_fixes() {
    use patchwarden_executor::LabExecutor;
    use patchwarden_lab::{Lab, LabDelta, LabSpec};

    let tmp = tempfile::tempdir().expect("temporary directory");
    let lab = Lab::create(
        tmp.path(),
        &LabDelta::embedded().expect("embedded delta"),
        &LabSpec::new(1),
    )
    .expect("lab")
    .0;
    let offered = |package: &str| {
        lab.packages()
            .iter()
            .find(|p| p.package == package)
            .map(|p| p.candidate_version.clone())
            .expect("a lab package")
    };
    let ssl_offered = offered("libssl3");
    let mut assessed = assessed();
    // The lab offers jq's fix; libssl3's advisory needs more than the lab offers.
    Arc::make_mut(&mut assessed.upgrades[2]).fixed_version = offered("jq");
    Arc::make_mut(&mut assessed.upgrades[0]).fixed_version = format!("{ssl_offered}.1");
    let exec = LabExecutor::new(lab.clone());
    let assessments = Assessments::new();
    let stored = complete(
        &assessments,
        "default/lab-01",
        Some("Debian:12"),
        &exec,
        &AssetRef::named("lab-01"),
        &assessed,
    )
    .await;
    let ssl = &stored.upgrades[0];
    assert!(!ssl.is_patch_target(), "{ssl:?}");
    assert_eq!(
        ssl.host_candidate_version.as_deref(),
        Some(ssl_offered.as_str())
    );
    let jq = &stored.upgrades[2];
    assert!(jq.is_patch_target(), "{jq:?}");
    assert_eq!(jq.target_version(), offered("jq"));
    assert!(
        jq.host_origin
            .as_deref()
            .is_some_and(|o| o.starts_with("file:/")),
        "{jq:?}"
    );
    assert!(stored.summary.fix_not_yet_available >= 1);
    // Policies read what was stored.
    let read = assessments.get("default/lab-01").expect("stored");
    assert_eq!(read.upgrades, stored.upgrades);
}
