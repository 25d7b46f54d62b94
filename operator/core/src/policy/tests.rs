use chrono::TimeZone;

use super::*;
use crate::approval::{ApprovalPolicy, ApprovalRules};
use crate::rollout::RolloutSettings;
use crate::sla::{EmergencyRule, Forecast, PackageFinding, SlaRules};
use crate::{CountOrPercent, Duration, Severity};

/// Wednesday 2026-12-16 12:00 UTC.
fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 16, 12, 0, 0)
        .single()
        .expect("valid")
}

fn rules(emergency: &[EmergencyRule]) -> PolicyRules {
    PolicyRules {
        key: "default/p".into(),
        approval: ApprovalPolicy::compile(ApprovalRules::default()).expect("rules"),
        sla: SlaRules::default(),
        emergency: emergency.to_vec(),
        epss_threshold: crate::sla::DEFAULT_EPSS_THRESHOLD,
        rollout: RolloutSettings {
            canary: Some(CountOrPercent::Count(1)),
            max_unavailable: CountOrPercent::Count(2),
            ..RolloutSettings::default()
        },
        plan_only: false,
        suspended: false,
    }
}

fn candidate(package: &str, known_exploited: bool) -> UpgradeCandidate {
    UpgradeCandidate {
        package: package.into(),
        source_package: None,
        installed_version: "1.0-1".into(),
        candidate_version: "1.0-2".into(),
        severity: Severity::High,
        published: None,
        known_exploited,
        cve_ids: vec![format!("CVE-2026-{}", package.len())],
        security: true,
    }
}

fn member(name: &str, group: &str, candidates: Vec<UpgradeCandidate>) -> Member {
    Member {
        risk: 1.0,
        candidates: candidates.into_iter().map(Arc::new).collect(),
        ..Member::new(name, group)
    }
}

/// Tuesdays 02:00-06:00 UTC: closed at noon on a Wednesday.
fn tuesday_nights() -> NamedWindow {
    NamedWindow {
        name: "tuesday-nights".into(),
        definition: WindowDefinition::parse("0 2 * * TUE", "UTC", Duration::from_hours(4))
            .expect("window"),
    }
}

/// Every day 11:00-15:00 UTC: open at noon.
fn daily_midday() -> NamedWindow {
    NamedWindow {
        name: "midday".into(),
        definition: WindowDefinition::parse("0 11 * * *", "UTC", Duration::from_hours(4))
            .expect("window"),
    }
}

fn evaluate_with(
    rules: &PolicyRules,
    members: &[Member],
    windows: &[NamedWindow],
    runs: &[RunRecord],
) -> PolicyEvaluation {
    evaluate(&PolicyInput {
        rules,
        members,
        unassessed: &[],
        windows,
        runs,
        generation: Some(3),
        requested_at: None,
        now: noon(),
    })
}

fn fleet() -> Vec<Member> {
    vec![
        member(
            "a",
            "web",
            vec![candidate("openssl", true), candidate("jq", false)],
        ),
        member("b", "web", vec![candidate("jq", false)]),
        member("c", "db", vec![candidate("openssl", true)]),
        member("d", "db", Vec::new()),
    ]
}

#[test]
fn inside_a_window_the_scheduled_run_starts_with_every_approved_patch_grouped_by_asset_group() {
    let rules = rules(&[]);
    let evaluation = evaluate_with(&rules, &fleet(), &[daily_midday()], &[]);
    let Decision::Start { run } = &evaluation.decision else {
        panic!("expected a run, got {:?}", evaluation.decision);
    };
    assert_eq!(run.trigger, RunTrigger::Scheduled);
    assert_eq!(
        run.window.as_ref().map(|w| w.window.as_str()),
        Some("midday")
    );
    let names: Vec<(&str, &str)> = run
        .assets
        .iter()
        .map(|a| (a.name.as_str(), a.group.as_str()))
        .collect();
    assert_eq!(names, [("a", "web"), ("b", "web"), ("c", "db")]);
    assert_eq!(run.plan.groups.get("c").map(String::as_str), Some("db"));
    assert!(run.plan.waves[0].canary && run.plan.waves[0].assets.len() == 1);
    // The preview is the run that starts.
    assert_eq!(
        evaluation.scheduled_run.as_ref().map(|r| &r.plan.waves),
        Some(&run.plan.waves)
    );
    assert_eq!(
        (
            evaluation.compliance.assets,
            evaluation.compliance.compliant,
            evaluation.compliance.pending
        ),
        (4, 1, 3)
    );
    assert_eq!(evaluation.compliance.percent, 25.0);
}

#[test]
fn out_of_window_a_known_exploited_emergency_carries_only_the_kev_fixes() {
    let rules = rules(&[EmergencyRule::KnownExploited]);
    let evaluation = evaluate_with(&rules, &fleet(), &[tuesday_nights()], &[]);
    let Decision::Start { run } = &evaluation.decision else {
        panic!("expected a run, got {:?}", evaluation.decision);
    };
    assert_eq!(run.trigger, RunTrigger::KnownExploited);
    assert!(run.window.is_none());
    let names: Vec<&str> = run.assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["a", "c"]);
    assert!(
        run.assets
            .iter()
            .all(|a| a.packages.iter().all(|p| p.package == "openssl"))
    );
    assert_eq!(evaluation.emergencies.len(), 2);
}

#[test]
fn never_overrides_every_other_emergency_rule() {
    let rules = rules(&[EmergencyRule::KnownExploited, EmergencyRule::Never]);
    let evaluation = evaluate_with(&rules, &fleet(), &[tuesday_nights()], &[]);
    assert!(evaluation.emergencies.is_empty());
    let Decision::WaitForWindow {
        assets,
        window,
        until,
    } = &evaluation.decision
    else {
        panic!("expected to wait, got {:?}", evaluation.decision);
    };
    assert_eq!(*assets, 3);
    assert_eq!(window.as_deref(), Some("tuesday-nights"));
    assert_eq!(*until, Utc.with_ymd_and_hms(2026, 12, 22, 2, 0, 0).single());
}

#[test]
fn an_sla_breach_emergency_patches_the_at_risk_assets_with_all_their_fixes() {
    let mut rules = rules(&[EmergencyRule::SlaBreach]);
    rules
        .sla
        .deadlines
        .insert(Severity::High, Duration::from_days(30));
    let mut members = fleet();
    let published = noon() - chrono::TimeDelta::days(40);
    members[1].findings = vec![Arc::new(PackageFinding {
        package: "jq".into(),
        finding: SlaFinding {
            id: "CVE-2026-2".into(),
            severity: Severity::High,
            published: Some(published),
            kev_due: None,
        },
    })]
    .into();
    let evaluation = evaluate_with(&rules, &members, &[tuesday_nights()], &[]);
    assert_eq!(evaluation.sla_forecasts.len(), 1);
    assert_eq!(evaluation.sla_forecasts[0].asset, "b");
    assert!(matches!(
        evaluation.sla_forecasts[0].forecast,
        Forecast::Breached { .. }
    ));
    let Decision::Start { run } = &evaluation.decision else {
        panic!("expected a run, got {:?}", evaluation.decision);
    };
    assert_eq!(run.trigger, RunTrigger::SlaBreach);
    let names: Vec<&str> = run.assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["b"]);
}

fn record(name: &str, minute: u32, finished: bool, succeeded: bool) -> RunRecord {
    RunRecord {
        name: name.into(),
        created: Utc.with_ymd_and_hms(2026, 12, 16, 11, minute, 0).single(),
        finished,
        succeeded,
        policy_generation: Some("3".into()),
        policy_requested_at: None,
    }
}

#[test]
fn runs_hold_new_runs_while_active_and_after_a_failure_of_the_same_generation() {
    let rules = rules(&[]);
    let window = [daily_midday()];
    let active = evaluate_with(
        &rules,
        &fleet(),
        &window,
        &[record("r1", 0, true, true), record("r2", 5, false, false)],
    );
    assert_eq!(
        active.decision,
        Decision::Hold {
            reason: HoldCause::RunActive { run: "r2".into() }
        }
    );
    let failed = evaluate_with(&rules, &fleet(), &window, &[record("r3", 9, true, false)]);
    assert_eq!(failed.runs.last_failed.as_deref(), Some("r3"));
    assert_eq!(
        failed.decision,
        Decision::Hold {
            reason: HoldCause::RetryBlocked { run: "r3".into() }
        }
    );
    let mut older = record("r3", 9, true, false);
    older.policy_generation = Some("2".into());
    let retried = evaluate_with(&rules, &fleet(), &window, &[older]);
    assert!(matches!(retried.decision, Decision::Start { .. }));
}

#[test]
fn plan_mode_suspension_and_missing_assessments_hold_the_run() {
    let window = [daily_midday()];
    let mut plan_only = rules(&[]);
    plan_only.plan_only = true;
    assert_eq!(
        evaluate_with(&plan_only, &fleet(), &window, &[]).decision,
        Decision::Hold {
            reason: HoldCause::PlanOnly
        }
    );
    let mut suspended = rules(&[]);
    suspended.suspended = true;
    assert_eq!(
        evaluate_with(&suspended, &fleet(), &window, &[]).decision,
        Decision::Hold {
            reason: HoldCause::Suspended
        }
    );
    let rules = rules(&[]);
    let members = fleet();
    let unassessed = vec!["e".to_string()];
    let evaluation = evaluate(&PolicyInput {
        rules: &rules,
        members: &members,
        unassessed: &unassessed,
        windows: &window,
        runs: &[],
        generation: Some(3),
        requested_at: None,
        now: noon(),
    });
    assert_eq!(
        evaluation.decision,
        Decision::Hold {
            reason: HoldCause::Unassessed {
                pending: vec!["e".into()]
            }
        }
    );
    let nothing = evaluate_with(&rules, &[member("x", "g", Vec::new())], &window, &[]);
    assert_eq!(
        nothing.decision,
        Decision::Hold {
            reason: HoldCause::NothingApproved
        }
    );
    assert_eq!(nothing.compliance.percent, 100.0);
}

#[test]
fn failing_members_count_as_failed_not_compliant() {
    let rules = rules(&[]);
    let mut members = fleet();
    members[3].failing = true;
    let evaluation = evaluate_with(&rules, &members, &[tuesday_nights()], &[]);
    assert_eq!(
        (
            evaluation.compliance.compliant,
            evaluation.compliance.pending,
            evaluation.compliance.failed
        ),
        (0, 3, 1)
    );
}

#[test]
fn sla_classes_are_met_only_when_windows_are_close_enough_or_emergencies_are_allowed() {
    let mut weekly = rules(&[]);
    weekly
        .sla
        .deadlines
        .insert(Severity::Critical, Duration::from_days(3));
    weekly
        .sla
        .deadlines
        .insert(Severity::High, Duration::from_days(14));
    let forecasts = sla_class_forecasts(&weekly, &[tuesday_nights()], noon());
    let verdicts: Vec<(Severity, bool)> = forecasts.iter().map(|f| (f.severity, f.met)).collect();
    assert_eq!(
        verdicts,
        [(Severity::Critical, false), (Severity::High, true)]
    );
    let none = sla_class_forecasts(&weekly, &[], noon());
    assert!(
        none.iter()
            .all(|f| !f.met && f.why == sla_classes::SlaFeasibility::NoWindow)
    );
    let mut emergency = weekly;
    emergency.emergency = vec![EmergencyRule::SlaBreach];
    assert!(
        sla_class_forecasts(&emergency, &[], noon())
            .iter()
            .all(|f| f.met)
    );
}

#[test]
fn suspended_members_are_held_back_with_the_reason_and_left_out_of_the_run() {
    let rules = rules(&[]);
    let mut members = fleet();
    members[0].suspended = suspension_reason(true, None);
    members[2].suspended = suspension_reason(false, Some("db"));
    let evaluation = evaluate_with(&rules, &members, &[tuesday_nights()], &[]);
    let verdict = |name: &str| {
        evaluation
            .verdicts
            .iter()
            .find(|v| v.name == name)
            .expect("verdict")
    };
    assert!(verdict("a").approved.is_empty());
    assert_eq!(verdict("a").held_back.len(), 2);
    assert_eq!(
        verdict("a").held_back[0].to_string(),
        "openssl 1.0-1 -> 1.0-2 held back: the Asset is suspended"
    );
    assert_eq!(
        verdict("c").held_back[0].reason,
        HoldReason::Suspended {
            reason: "its AssetGroup db is suspended".into()
        }
    );
    let run = evaluation.scheduled_run.expect("b is still planned");
    let planned: Vec<&str> = run.assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(planned, ["b"]);
    assert_eq!(suspension_reason(false, None), None);
}

mod compromised;
mod epss;
