//! Approval rules: every held-back upgrade has a reason, and the reasons read as one line.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use patchwarden_core::approval::{
    ApprovalPolicy, ApprovalRules, HoldReason, Pin, Quarantine, RejectedVersion, UpgradeCandidate,
};
use patchwarden_core::{Duration, Severity};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test time")
        .with_timezone(&Utc)
}

fn candidate(package: &str, severity: Severity, published: &str) -> UpgradeCandidate {
    UpgradeCandidate {
        package: package.to_string(),
        source_package: Some(format!("{package}-src")),
        installed_version: "1.0-1".into(),
        candidate_version: "1.0-2".into(),
        severity,
        published: Some(utc(published)),
        known_exploited: false,
        cve_ids: vec!["CVE-2026-0001".into()],
        security: true,
    }
}

fn policy(rules: ApprovalRules) -> ApprovalPolicy {
    ApprovalPolicy::compile(rules).expect("rules compile")
}

const NOW: &str = "2026-06-10T12:00:00Z";

#[test]
fn an_old_enough_severe_security_upgrade_is_approved() {
    let rules = ApprovalRules {
        min_severity: Severity::High,
        approve_after: Duration::from_days(3),
        ..ApprovalRules::default()
    };
    let p = policy(rules);
    let c = Arc::new(candidate(
        "openssl",
        Severity::Critical,
        "2026-06-01T00:00:00Z",
    ));
    assert_eq!(p.hold_reason(&c, utc(NOW)), None);
    let outcome = p.approve(std::slice::from_ref(&c), utc(NOW));
    assert_eq!(outcome.approved, vec![c]);
    assert!(outcome.held_back.is_empty());
}

#[test]
fn below_minimum_severity_is_held_back_with_its_reason() {
    let p = policy(ApprovalRules {
        min_severity: Severity::High,
        ..ApprovalRules::default()
    });
    let c = candidate("zlib1g", Severity::Medium, "2026-01-01T00:00:00Z");
    let outcome = p.approve(&[Arc::new(c)], utc(NOW));
    assert_eq!(outcome.held_back.len(), 1);
    assert_eq!(
        outcome.held_back[0].to_string(),
        "zlib1g 1.0-1 -> 1.0-2 held back: severity Medium is below the policy minimum High"
    );
}

#[test]
fn a_known_exploited_upgrade_is_approved_whatever_its_severity() {
    let p = policy(ApprovalRules {
        min_severity: Severity::High,
        ..ApprovalRules::default()
    });
    let mut c = candidate("libc6", Severity::Unknown, "2026-01-01T00:00:00Z");
    assert!(matches!(
        p.hold_reason(&c, utc(NOW)),
        Some(HoldReason::BelowMinSeverity { .. })
    ));
    c.known_exploited = true;
    assert_eq!(p.hold_reason(&c, utc(NOW)), None);
}

#[test]
fn younger_than_approve_after_is_held_unless_known_exploited() {
    let rules = ApprovalRules {
        approve_after: Duration::from_days(7),
        ..ApprovalRules::default()
    };
    let p = policy(rules.clone());
    let mut c = candidate("curl", Severity::High, "2026-06-08T09:30:00Z");
    let reason = p.hold_reason(&c, utc(NOW)).expect("too recent");
    assert_eq!(
        reason.to_string(),
        "advisory published 2026-06-08 09:30 UTC is younger than approveAfter 1w; approvable from 2026-06-15 09:30 UTC"
    );
    // Exactly at the boundary it is approved.
    assert_eq!(p.hold_reason(&c, utc("2026-06-15T09:30:00Z")), None);

    c.known_exploited = true;
    assert_eq!(p.hold_reason(&c, utc(NOW)), None, "KEV skips the delay");

    let strict = policy(ApprovalRules {
        known_exploited_skips_delay: false,
        ..rules
    });
    assert!(matches!(
        strict.hold_reason(&c, utc(NOW)),
        Some(HoldReason::TooRecent { .. })
    ));
}

#[test]
fn include_and_exclude_globs_match_binary_or_source_names() {
    let p = policy(ApprovalRules {
        include: vec!["lib*".into(), "openssl*".into()],
        exclude: vec!["linux-image-*".into(), "libc6*".into()],
        ..ApprovalRules::default()
    });
    let t = utc(NOW);
    assert_eq!(
        p.hold_reason(&candidate("libc6-dev", Severity::High, NOW), t)
            .expect("excluded")
            .to_string(),
        "excluded by pattern \"libc6*\""
    );
    assert_eq!(
        p.hold_reason(&candidate("curl", Severity::High, NOW), t)
            .expect("not included")
            .to_string(),
        "not matched by any include pattern (lib*, openssl*)"
    );
    assert_eq!(
        p.hold_reason(&candidate("libxml2", Severity::High, NOW), t),
        None
    );
    // The source package name counts too: libssl3 is built from openssl.
    let mut by_source = candidate("ssl-tools", Severity::High, NOW);
    by_source.source_package = Some("openssl".into());
    assert_eq!(p.hold_reason(&by_source, t), None);
}

#[test]
fn pins_rejections_and_quarantines_explain_themselves() {
    let p = policy(ApprovalRules {
        pins: vec![Pin {
            package: "postgresql-*".into(),
            version: "15.*".into(),
            reason: Some("the application supports PostgreSQL 15 only".into()),
        }],
        rejected: vec![RejectedVersion {
            package: "glibc*".into(),
            version: "2.36-9+deb12u5".into(),
            reason: Some("breaks nss lookups".into()),
        }],
        quarantined: vec![Quarantine {
            package: "nginx".into(),
            version: Some("1.22.1-9+deb12u2".into()),
            reason: "failed health checks on 3 of 5 canaries".into(),
        }],
        ..ApprovalRules::default()
    });
    let t = utc(NOW);
    let mut pg = candidate("postgresql-15", Severity::High, NOW);
    pg.candidate_version = "16.1-1".into();
    assert_eq!(
        p.hold_reason(&pg, t).expect("pinned").to_string(),
        "pinned to \"15.*\"; version 16.1-1 is outside the pin: the application supports PostgreSQL 15 only"
    );
    pg.candidate_version = "15.6-0+deb12u1".into();
    assert_eq!(p.hold_reason(&pg, t), None);

    let mut glibc = candidate("libc6", Severity::High, NOW);
    glibc.source_package = Some("glibc".into());
    glibc.candidate_version = "2.36-9+deb12u5".into();
    assert_eq!(
        p.hold_reason(&glibc, t).expect("rejected").to_string(),
        "version 2.36-9+deb12u5 is rejected by the policy (matches \"2.36-9+deb12u5\"): breaks nss lookups"
    );

    let mut nginx = candidate("nginx", Severity::Critical, NOW);
    nginx.candidate_version = "1.22.1-9+deb12u2".into();
    assert_eq!(
        p.hold_reason(&nginx, t).expect("quarantined").to_string(),
        "version 1.22.1-9+deb12u2 is quarantined fleet-wide: failed health checks on 3 of 5 canaries"
    );
    nginx.candidate_version = "1.22.1-9+deb12u3".into();
    assert_eq!(p.hold_reason(&nginx, t), None);
}

#[test]
fn security_only_keeps_plain_updates_out() {
    let mut plain = candidate("tzdata", Severity::Unknown, NOW);
    plain.security = false;
    plain.published = None;
    plain.cve_ids.clear();
    let open = policy(ApprovalRules {
        min_severity: Severity::High,
        ..ApprovalRules::default()
    });
    assert_eq!(open.hold_reason(&plain, utc(NOW)), None);
    let strict = policy(ApprovalRules {
        security_only: true,
        ..ApprovalRules::default()
    });
    assert_eq!(
        strict
            .hold_reason(&plain, utc(NOW))
            .expect("not security")
            .to_string(),
        "not a security update, and the policy approves security updates only"
    );
}

#[test]
fn the_most_definitive_reason_wins() {
    let p = policy(ApprovalRules {
        min_severity: Severity::Critical,
        exclude: vec!["openssl".into()],
        quarantined: vec![Quarantine {
            package: "openssl".into(),
            version: None,
            reason: "bad build".into(),
        }],
        ..ApprovalRules::default()
    });
    let c = candidate("openssl", Severity::Low, NOW);
    assert!(matches!(
        p.hold_reason(&c, utc(NOW)),
        Some(HoldReason::Quarantined { .. })
    ));
}

#[test]
fn invalid_globs_name_their_field() {
    let err = ApprovalPolicy::compile(ApprovalRules {
        include: vec!["ok*".into(), "lib[".into()],
        ..ApprovalRules::default()
    })
    .err()
    .expect("invalid glob");
    assert_eq!(err.field, "approval.include[1]");
    assert!(
        err.to_string()
            .starts_with("approval.include[1]: invalid pattern \"lib[\": ")
    );
}

#[test]
fn rules_deserialize_from_the_resource_shape() {
    let rules: ApprovalRules = serde_json::from_str(
        r#"{"minSeverity":"High","approveAfter":"3d","securityOnly":true,"exclude":["linux-*"]}"#,
    )
    .expect("rules");
    assert_eq!(rules.min_severity, Severity::High);
    assert_eq!(rules.approve_after, Duration::from_days(3));
    assert!(rules.known_exploited_skips_delay);
    assert!(rules.security_only);
}
