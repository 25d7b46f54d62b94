//! The `EpssAbove` emergency: a finding whose EPSS probability rises above the policy's
//! threshold starts a run out of window, carrying only that finding's fix.

use super::*;

/// Asset `b` has `jq`, not KEV-listed, scored `probability` by EPSS.
fn fleet_with_jq_scored(probability: f64) -> Vec<Member> {
    let mut members = fleet();
    members[0].epss = vec![("openssl".into(), "CVE-2026-7".into(), 0.9)];
    members[1].epss = vec![("jq".into(), "CVE-2026-2".into(), probability)];
    members
}

#[test]
fn an_epss_score_above_the_threshold_starts_a_run_out_of_window() {
    let rules = rules(&[EmergencyRule::EpssAbove]);
    let evaluation = evaluate_with(
        &rules,
        &fleet_with_jq_scored(0.62),
        &[tuesday_nights()],
        &[],
    );
    let Decision::Start { run } = &evaluation.decision else {
        panic!("expected a run, got {:?}", evaluation.decision);
    };
    assert_eq!(run.trigger, RunTrigger::EpssAbove);
    assert!(run.window.is_none());
    let carried: Vec<(&str, Vec<&str>)> = run
        .assets
        .iter()
        .map(|a| {
            let packages = a.packages.iter().map(|p| p.package.as_str()).collect();
            (a.name.as_str(), packages)
        })
        .collect();
    // Only the scored fixes: `a`'s jq and `c`'s openssl carry no score above the threshold.
    assert_eq!(carried, [("a", vec!["openssl"]), ("b", vec!["jq"])]);
    let reason = evaluation
        .emergencies
        .iter()
        .find(|e| e.asset == "b")
        .map(|e| e.reason.to_string());
    assert_eq!(
        reason.as_deref(),
        Some(
            "emergency (EpssAbove): CVE-2026-2 has EPSS 0.620, above the policy's 0.500, patching starts out of window"
        )
    );
}

#[test]
fn an_epss_score_at_or_below_the_threshold_waits_for_the_window() {
    let mut rules = rules(&[EmergencyRule::EpssAbove]);
    rules.epss_threshold = 0.95;
    let evaluation = evaluate_with(
        &rules,
        &fleet_with_jq_scored(0.95),
        &[tuesday_nights()],
        &[],
    );
    assert!(evaluation.emergencies.is_empty());
    assert!(matches!(
        evaluation.decision,
        Decision::WaitForWindow { .. }
    ));
}

#[test]
fn without_the_rule_a_high_epss_score_waits_for_the_window() {
    let rules = rules(&[EmergencyRule::SlaBreach]);
    let evaluation = evaluate_with(
        &rules,
        &fleet_with_jq_scored(0.99),
        &[tuesday_nights()],
        &[],
    );
    assert!(evaluation.emergencies.is_empty());
}

#[test]
fn a_known_exploited_fix_outranks_an_epss_emergency() {
    let rules = rules(&[EmergencyRule::KnownExploited, EmergencyRule::EpssAbove]);
    let evaluation = evaluate_with(&rules, &fleet_with_jq_scored(0.8), &[tuesday_nights()], &[]);
    let Decision::Start { run } = &evaluation.decision else {
        panic!("expected a run, got {:?}", evaluation.decision);
    };
    assert_eq!(run.trigger, RunTrigger::KnownExploited);
}
