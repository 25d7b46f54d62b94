//! A compromised asset: patched first in its next run, and started out of window when the
//! policy's emergency rules include `Compromised`.

use super::*;
use crate::threats::Compromise;

/// The fleet with `b` (only jq, not KEV-listed) reported compromised.
fn fleet_with_b_compromised() -> Vec<Member> {
    let mut members = fleet();
    members[1].compromised = Some(Compromise {
        reason: Some("EDR alert 4711".into()),
    });
    members
}

fn first_asset(run: &FrozenRun) -> &str {
    run.plan
        .waves
        .first()
        .and_then(|w| w.assets.first())
        .map(String::as_str)
        .unwrap_or_default()
}

#[test]
fn a_compromised_asset_starts_a_run_out_of_window_with_every_approved_fix() {
    let rules = rules(&[EmergencyRule::Compromised, EmergencyRule::KnownExploited]);
    let evaluation = evaluate_with(
        &rules,
        &fleet_with_b_compromised(),
        &[tuesday_nights()],
        &[],
    );
    let Decision::Start { run } = &evaluation.decision else {
        panic!("expected a run, got {:?}", evaluation.decision);
    };
    // Ahead of the KEV emergencies of `a` and `c`.
    assert_eq!(run.trigger, RunTrigger::Compromised);
    assert!(run.window.is_none());
    let carried: Vec<(&str, Vec<&str>)> = run
        .assets
        .iter()
        .map(|a| {
            let packages = a.packages.iter().map(|p| p.package.as_str()).collect();
            (a.name.as_str(), packages)
        })
        .collect();
    assert_eq!(carried, [("b", vec!["jq"])]);
    let reason = evaluation
        .emergencies
        .iter()
        .find(|e| e.asset == "b")
        .map(|e| e.reason.to_string());
    assert_eq!(
        reason.as_deref(),
        Some(
            "emergency (Compromised): the asset is reported compromised (EDR alert 4711), patching starts out of window"
        )
    );
}

#[test]
fn without_the_rule_a_compromised_asset_waits_for_the_window_but_goes_first() {
    let rules = rules(&[EmergencyRule::SlaBreach]);
    let members = fleet_with_b_compromised();
    let waiting = evaluate_with(&rules, &members, &[tuesday_nights()], &[]);
    assert!(waiting.emergencies.is_empty());
    assert!(matches!(waiting.decision, Decision::WaitForWindow { .. }));

    let mut members = members;
    for member in &mut members {
        member.risk = if member.name == "b" { 1.0 } else { 90.0 };
    }
    let evaluation = evaluate_with(&rules, &members, &[daily_midday()], &[]);
    let Decision::Start { run } = &evaluation.decision else {
        panic!("expected a run, got {:?}", evaluation.decision);
    };
    assert_eq!(first_asset(run), "b", "{:?}", run.plan.waves);
    // Without the report, the least risky asset is not first.
    members[1].compromised = None;
    let evaluation = evaluate_with(&rules, &members, &[daily_midday()], &[]);
    let Decision::Start { run } = &evaluation.decision else {
        panic!("expected a run, got {:?}", evaluation.decision);
    };
    assert_ne!(first_asset(run), "b", "{:?}", run.plan.waves);
}

#[test]
fn never_overrides_a_compromise() {
    let rules = rules(&[EmergencyRule::Compromised, EmergencyRule::Never]);
    let evaluation = evaluate_with(
        &rules,
        &fleet_with_b_compromised(),
        &[tuesday_nights()],
        &[],
    );
    assert!(evaluation.emergencies.is_empty());
}
