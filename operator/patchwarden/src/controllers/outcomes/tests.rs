use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use patchwarden_api::asset::{Asset, AssetSpec, AssetStatus, OsIdentity};
use patchwarden_api::patch_policy::{PatchPolicy, PatchPolicySpec, QuarantineSpec};
use patchwarden_api::patch_run::{
    AssetResult, AssetRunState, PatchRun, PatchRunSpec, PatchRunStatus, PlannedAsset,
    PlannedPackage, RunPhase, Wave,
};
use patchwarden_api::time::to_k8s;
use patchwarden_core::approval::{HoldReason, UpgradeCandidate};
use patchwarden_core::outcomes::{AssetOutcomeKind, FailureKind, OutcomeStats};
use patchwarden_core::policy::Member;
use patchwarden_core::{Duration, Severity};

use super::convert::run_outcomes;
use super::{Outcomes, apply, learn};

const OLD: &str = "3.0.11-1~deb12u1";
const BAD: &str = "3.0.11-1~deb12u2";
const FIXED: &str = "3.0.11-1~deb12u3";

fn at(hour: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, hour, 0, 0)
        .single()
        .unwrap_or_default()
}

fn asset(name: &str) -> Asset {
    let mut asset = Asset::new(name, AssetSpec::default());
    asset.status = Some(AssetStatus {
        os: Some(OsIdentity {
            id: "debian".into(),
            ecosystem: Some("Debian:12".into()),
            ..OsIdentity::default()
        }),
        ..AssetStatus::default()
    });
    asset
}

fn result(name: &str, state: AssetRunState, message: &str) -> AssetResult {
    AssetResult {
        name: name.into(),
        state,
        finished_at: Some(to_k8s(at(3))),
        duration_seconds: Some(200),
        message: message.into(),
        ..AssetResult::default()
    }
}

/// A finished run whose canary `h1` failed installing libssl3 and whose `h2` was skipped.
fn failed_run(name: &str) -> PatchRun {
    let planned = |asset: &str| PlannedAsset {
        name: asset.into(),
        group: Some("web".into()),
        packages: vec![PlannedPackage {
            name: "libssl3".into(),
            from: OLD.into(),
            to: BAD.into(),
            fixes: Vec::new(),
            findings: Vec::new(),
        }],
        reboot_expected: false,
    };
    let mut run = PatchRun::new(
        name,
        PatchRunSpec {
            policy: Some("p".into()),
            assets: vec![planned("h1"), planned("h2")],
            waves: vec![
                Wave {
                    assets: vec!["h1".into()],
                    canary: true,
                    estimated_duration: None,
                },
                Wave {
                    assets: vec!["h2".into()],
                    canary: false,
                    estimated_duration: None,
                },
            ],
            ..PatchRunSpec::default()
        },
    );
    run.status = Some(PatchRunStatus {
        phase: RunPhase::Halted,
        finished_at: Some(to_k8s(at(4))),
        assets: vec![
            result(
                "h1",
                AssetRunState::RolledBack,
                "install failed: dpkg: error processing package libssl3 (--configure)",
            ),
            result("h2", AssetRunState::Skipped, "run halted"),
        ],
        ..PatchRunStatus::default()
    });
    run
}

fn assets() -> BTreeMap<String, Asset> {
    ["h1", "h2"].map(|n| (n.to_string(), asset(n))).into()
}

fn member(name: &str, version: &str) -> Member {
    Member {
        risk: 1.0,
        candidates: vec![Arc::new(UpgradeCandidate {
            package: "libssl3".into(),
            source_package: Some("openssl".into()),
            installed_version: OLD.into(),
            candidate_version: version.into(),
            severity: Severity::High,
            published: None,
            known_exploited: false,
            cve_ids: vec!["CVE-2026-1".into()],
            security: true,
        })]
        .into(),
        ..Member::new(name, "web")
    }
}

fn policy() -> PatchPolicy {
    PatchPolicy::new("third", PatchPolicySpec::default())
}

#[test]
fn a_finished_run_gives_its_attempted_assets_with_canary_os_and_transitions() {
    let outcomes = run_outcomes(&failed_run("r1"), &assets()).expect("finished");
    assert_eq!(outcomes.run, "r1");
    assert_eq!(outcomes.policy.as_deref(), Some("p"));
    // The skipped asset was never attempted.
    assert_eq!(outcomes.assets.len(), 1);
    let canary = &outcomes.assets[0];
    assert!(canary.canary);
    assert_eq!(canary.os, "Debian:12");
    assert_eq!(canary.ecosystem.as_str(), "Debian:12");
    assert_eq!(canary.group.as_deref(), Some("web"));
    assert_eq!(
        canary.kind,
        AssetOutcomeKind::RolledBack(FailureKind::Install)
    );
    assert_eq!(canary.transitions[0].to, BAD);
    // A run still going has no outcomes yet.
    let mut running = failed_run("r2");
    if let Some(status) = running.status.as_mut() {
        status.phase = RunPhase::Running;
    }
    assert!(run_outcomes(&running, &assets()).is_none());
}

fn stats_of(runs: &[&str]) -> OutcomeStats {
    let outcomes: Vec<_> = runs
        .iter()
        .filter_map(|r| run_outcomes(&failed_run(r), &assets()))
        .collect();
    OutcomeStats::build(&outcomes)
}

#[test]
fn two_failed_canaries_quarantine_the_version_for_another_policy() {
    let outcomes = Outcomes {
        stats: stats_of(&["run-a", "run-b"]),
        lifts: Vec::new(),
    };
    let mut rules = PatchPolicySpec::default()
        .policy_rules("default/third")
        .expect("rules");
    let mut members = vec![member("h3", BAD)];
    let os_of = BTreeMap::from([("h3".to_string(), "Debian:12".to_string())]);
    let learned = learn(
        &policy(),
        &outcomes,
        &mut rules,
        &mut members,
        &os_of,
        at(5),
    )
    .expect("learned");
    assert_eq!(learned.quarantined.len(), 1);
    let q = &learned.quarantined[0];
    assert_eq!((q.package.as_str(), q.version.as_str()), ("libssl3", BAD));
    assert_eq!(q.runs, ["run-a", "run-b"]);
    assert_eq!(
        q.reason,
        "quarantined: failed on 2 canaries (quarantined after 2) of runs run-a, run-b"
    );
    let outcome = rules.approval.approve(&members[0].candidates, at(5));
    assert!(outcome.approved.is_empty());
    assert!(matches!(
        outcome.held_back[0].reason,
        HoldReason::Quarantined { .. }
    ));
    // openssl of the same source at the same version is held with it (installed together).
    let mut both = member("h4", BAD);
    let mut sibling = UpgradeCandidate::clone(&both.candidates[0]);
    sibling.package = "openssl".into();
    both.candidates = [both.candidates[0].clone(), Arc::new(sibling)].into();
    let approval = apply::with_quarantines(
        &PatchPolicySpec::default()
            .compile_approval()
            .expect("approval"),
        &apply::in_force(
            &outcomes.stats,
            &Default::default(),
            &[],
            &[both.clone()],
            at(5),
        ),
        std::slice::from_ref(&both),
    )
    .expect("approval");
    let outcome = approval.approve(&both.candidates, at(5));
    assert!(outcome.approved.is_empty(), "{outcome:?}");
    assert_eq!(outcome.held_back.len(), 2);
    // The profile that failed is the canary hint's, with its past failure counted.
    let hint = members[0].canary_hint.clone().expect("hint");
    assert_eq!(hint.past_failures, 2);
    assert_eq!(hint.profile, "Debian:12 libssl3");
}

#[test]
fn one_failure_a_lift_a_newer_version_or_a_higher_bound_leave_it_installable() {
    let settings = QuarantineSpec::default().settings().expect("settings");
    let one = stats_of(&["run-a"]);
    assert!(apply::in_force(&one, &settings, &[], &[member("h3", BAD)], at(5)).is_empty());
    let two = stats_of(&["run-a", "run-b"]);
    let lift = [("libssl3".to_string(), BAD.to_string())];
    assert!(apply::in_force(&two, &settings, &lift, &[member("h3", BAD)], at(5)).is_empty());
    // Every member is offered the fixed version: superseded.
    let fixed = [member("h3", FIXED), member("h4", FIXED)];
    assert!(apply::in_force(&two, &settings, &[], &fixed, at(5)).is_empty());
    // While one member is still offered the failed version, it stays.
    let mixed = [member("h3", FIXED), member("h4", BAD)];
    assert_eq!(
        apply::in_force(&two, &settings, &[], &mixed, at(5)).len(),
        1
    );
    let three = QuarantineSpec {
        after_canary_failures: Some(3),
        ..QuarantineSpec::default()
    }
    .settings()
    .expect("settings");
    assert!(apply::in_force(&two, &three, &[], &[member("h3", BAD)], at(5)).is_empty());
}

#[test]
fn durations_are_predicted_from_three_samples_and_summarised() {
    let mut members = vec![member("h3", BAD)];
    let os_of = BTreeMap::from([("h3".to_string(), "Debian:12".to_string())]);
    let default = Duration::from_mins(10);
    apply::annotate_members(&mut members, &stats_of(&["a", "b"]), &os_of, default);
    assert_eq!(members[0].estimated_duration, None);
    let stats = stats_of(&["a", "b", "c"]);
    apply::annotate_members(&mut members, &stats, &os_of, default);
    // 200 s falls in the bucket up to 300 s, capped by the longest seen.
    assert_eq!(
        members[0].estimated_duration,
        Some(Duration::from_secs(200))
    );
    let summary = apply::summary(&stats, Some(Duration::from_mins(20)));
    assert_eq!(summary.runs, 3);
    assert_eq!(
        (summary.attempts, summary.failures, summary.rollbacks),
        (3, 3, 3)
    );
    assert_eq!(summary.duration_p90.as_deref(), Some("3m20s"));
    assert_eq!(summary.estimated_duration.as_deref(), Some("20m"));
}
