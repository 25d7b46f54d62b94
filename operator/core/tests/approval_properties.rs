//! Properties of approval over random candidates and rules (10,000 cases): every candidate is
//! either approved or held back with a one-line reason, the split keeps the input order, and a
//! held-back reason is one the rules can actually give.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use patchwarden_core::approval::{
    ApprovalPolicy, ApprovalRules, HoldReason, Pin, Quarantine, RejectedVersion, UpgradeCandidate,
};
use patchwarden_core::{Duration, Severity};
use proptest::prelude::*;
use proptest::test_runner::Config;

const PACKAGES: [&str; 6] = [
    "openssl",
    "libssl3",
    "curl",
    "linux-image-amd64",
    "bash",
    "tzdata",
];
const VERSIONS: [&str; 4] = ["1.0-1", "1.0-2", "2.0-1", "3.0.11-1~deb12u2"];

fn candidate() -> impl Strategy<Value = UpgradeCandidate> {
    (
        0..PACKAGES.len(),
        0..VERSIONS.len(),
        0..Severity::ALL.len(),
        proptest::option::of(0i64..60),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(p, v, s, age_days, kev, security)| UpgradeCandidate {
            package: PACKAGES[p].to_string(),
            source_package: (p == 1).then(|| "openssl".to_string()),
            installed_version: "0.9-1".into(),
            candidate_version: VERSIONS[v].to_string(),
            severity: Severity::ALL[s],
            published: age_days.map(|d| now() - TimeDelta::days(d)),
            known_exploited: kev,
            cve_ids: Vec::new(),
            security,
        })
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000, 0).expect("time")
}

fn rules() -> impl Strategy<Value = ApprovalRules> {
    (
        0..Severity::ALL.len(),
        0u64..30,
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(0..PACKAGES.len(), 0..2),
        proptest::collection::vec(0..PACKAGES.len(), 0..2),
        proptest::option::of((0..PACKAGES.len(), 0..VERSIONS.len())),
        proptest::option::of(0..PACKAGES.len()),
    )
        .prop_map(
            |(min, days, skips, security_only, include, exclude, reject, quarantine)| {
                ApprovalRules {
                    min_severity: Severity::ALL[min],
                    approve_after: Duration::from_days(days),
                    known_exploited_skips_delay: skips,
                    security_only,
                    include: include
                        .into_iter()
                        .map(|i| format!("{}*", PACKAGES[i]))
                        .collect(),
                    exclude: exclude
                        .into_iter()
                        .map(|i| PACKAGES[i].to_string())
                        .collect(),
                    pins: vec![Pin {
                        package: "linux-image-*".into(),
                        version: "1.*".into(),
                        reason: None,
                    }],
                    rejected: reject
                        .map(|(p, v)| RejectedVersion {
                            package: PACKAGES[p].into(),
                            version: VERSIONS[v].into(),
                            reason: None,
                        })
                        .into_iter()
                        .collect(),
                    quarantined: quarantine
                        .map(|p| Quarantine {
                            package: PACKAGES[p].into(),
                            version: None,
                            reason: "failed on canaries".into(),
                        })
                        .into_iter()
                        .collect(),
                }
            },
        )
}

proptest! {
    #![proptest_config(Config { cases: 10_000, failure_persistence: None, ..Config::default() })]

    #[test]
    fn every_candidate_is_approved_or_held_with_a_one_line_reason(
        rules in rules(),
        candidates in proptest::collection::vec(candidate(), 0..8),
    ) {
        let policy = ApprovalPolicy::compile(rules.clone()).expect("globs compile");
        let candidates: Vec<Arc<UpgradeCandidate>> = candidates.into_iter().map(Arc::new).collect();
        let outcome = policy.approve(&candidates, now());
        prop_assert_eq!(outcome.approved.len() + outcome.held_back.len(), candidates.len());
        let mut approved = outcome.approved.iter();
        let mut held = outcome.held_back.iter();
        for c in &candidates {
            match policy.hold_reason(c, now()) {
                None => prop_assert_eq!(Some(c), approved.next()),
                Some(reason) => {
                    let h = held.next().expect("held back");
                    prop_assert_eq!(&h.candidate, c);
                    prop_assert_eq!(&h.reason, &reason);
                    let line = h.to_string();
                    prop_assert!(!line.contains('\n') && line.contains(&c.package));
                    match reason {
                        HoldReason::NotSecurity => prop_assert!(rules.security_only && !c.security),
                        HoldReason::BelowMinSeverity { severity, minimum } => {
                            prop_assert!(c.security && severity < minimum && !c.known_exploited)
                        }
                        HoldReason::TooRecent { approvable_at, .. } => {
                            prop_assert!(approvable_at > now());
                            prop_assert!(!(c.known_exploited && rules.known_exploited_skips_delay));
                        }
                        HoldReason::NotIncluded { .. } => prop_assert!(!rules.include.is_empty()),
                        _ => {}
                    }
                }
            }
        }
    }
}
