//! Properties of the policy evaluation over random members, rules and clocks (2,000 cases
//! each): a run carries exactly the approved patches it is for, every member of a run is in
//! exactly one wave, a suspended member is in none, `Never` allows no emergency, compliance
//! counts add up, and the
//! evaluation depends only on its input.

use std::sync::Arc;

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use patchwarden_core::approval::{ApprovalPolicy, ApprovalRules, UpgradeCandidate};
use patchwarden_core::policy::{
    Decision, Member, NamedWindow, PolicyInput, PolicyRules, RunTrigger, evaluate,
};
use patchwarden_core::rollout::RolloutSettings;
use patchwarden_core::sla::{EmergencyRule, SlaRules};
use patchwarden_core::window::WindowDefinition;
use patchwarden_core::{CountOrPercent, Duration, Severity};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn config() -> Config {
    Config {
        cases: 2_000,
        failure_persistence: None,
        ..Config::default()
    }
}

const PACKAGES: [&str; 4] = ["openssl", "curl", "zlib1g", "nginx"];

fn members() -> impl Strategy<Value = Vec<Member>> {
    proptest::collection::vec(
        (
            0usize..3,
            0u8..5,
            proptest::collection::btree_map(0usize..4, (0usize..6, any::<bool>()), 0..3),
            any::<bool>(),
            proptest::option::weighted(0.1, Just("suspended".to_string())),
        ),
        0..20,
    )
    .prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(
                |(index, (group, risk, upgrades, failing, suspended))| Member {
                    name: format!("host-{index:02}"),
                    group: format!("group-{group}"),
                    risk: f64::from(risk),
                    candidates: upgrades
                        .into_iter()
                        .map(|(package, (severity, kev))| UpgradeCandidate {
                            package: PACKAGES[package].into(),
                            source_package: None,
                            installed_version: "1.0-1".into(),
                            candidate_version: "1.0-2".into(),
                            severity: Severity::ALL[severity],
                            published: None,
                            known_exploited: kev,
                            cve_ids: vec![format!("CVE-2026-{package}")],
                            security: true,
                        })
                        .map(Arc::new)
                        .collect(),
                    findings: Default::default(),
                    epss: Vec::new(),
                    failing,
                    suspended,
                    canary_hint: None,
                    compromised: None,
                    estimated_duration: None,
                },
            )
            .collect()
    })
}

fn emergency_rules() -> impl Strategy<Value = Vec<EmergencyRule>> {
    proptest::sample::subsequence(
        vec![
            EmergencyRule::KnownExploited,
            EmergencyRule::SlaBreach,
            EmergencyRule::Never,
        ],
        0..=3,
    )
}

fn rules(min_severity: usize, emergency: Vec<EmergencyRule>, canary: u32) -> PolicyRules {
    PolicyRules {
        key: "ops/standard".into(),
        approval: ApprovalPolicy::compile(ApprovalRules {
            min_severity: Severity::ALL[min_severity],
            ..ApprovalRules::default()
        })
        .expect("rules"),
        sla: SlaRules::default(),
        emergency,
        epss_threshold: patchwarden_core::sla::DEFAULT_EPSS_THRESHOLD,
        rollout: RolloutSettings {
            canary: (canary > 0).then_some(CountOrPercent::Count(canary)),
            max_unavailable: CountOrPercent::Count(2),
            ..RolloutSettings::default()
        },
        plan_only: false,
        suspended: false,
    }
}

/// Tuesdays 02:00-06:00 UTC.
fn window() -> NamedWindow {
    NamedWindow {
        name: "tuesday".into(),
        definition: WindowDefinition::parse("0 2 * * TUE", "UTC", Duration::from_hours(4))
            .expect("window"),
    }
}

/// A moment in the week of 2026-12-14, by the hour.
fn moment(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 14, 0, 0, 0)
        .single()
        .expect("time")
        + chrono::TimeDelta::hours(i64::from(hour))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_started_run_carries_exactly_the_patches_it_is_for_each_asset_in_one_wave(
        members in members(),
        min_severity in 0usize..6,
        emergency in emergency_rules(),
        canary in 0u32..3,
        hour in 0u32..168,
    ) {
        let rules = rules(min_severity, emergency.clone(), canary);
        let windows = [window()];
        let now = moment(hour);
        let input = PolicyInput {
            rules: &rules,
            members: &members,
            unassessed: &[],
            windows: &windows,
            runs: &[],
            generation: Some(1),
            requested_at: None,
            now,
        };
        let evaluation = evaluate(&input);
        prop_assert_eq!(&evaluation, &evaluate(&input));

        let compliance = evaluation.compliance;
        prop_assert_eq!(compliance.assets as usize, members.len());
        prop_assert_eq!(compliance.compliant + compliance.pending + compliance.failed, compliance.assets);

        if emergency.contains(&EmergencyRule::Never) {
            prop_assert!(evaluation.emergencies.is_empty());
        }
        let approved: BTreeSet<(String, String)> = evaluation
            .verdicts
            .iter()
            .flat_map(|v| v.approved.iter().map(move |c| (v.name.clone(), c.package.clone())))
            .collect();
        match &evaluation.decision {
            Decision::Start { run } => {
                let carried: BTreeSet<(String, String)> = run
                    .assets
                    .iter()
                    .flat_map(|a| a.packages.iter().map(move |c| (a.name.clone(), c.package.clone())))
                    .collect();
                prop_assert!(carried.is_subset(&approved));
                let suspended: BTreeSet<&String> =
                    members.iter().filter(|m| m.suspended.is_some()).map(|m| &m.name).collect();
                prop_assert!(run.assets.iter().all(|a| !suspended.contains(&a.name)));
                match run.trigger {
                    RunTrigger::Scheduled => {
                        prop_assert!(evaluation.open_window.is_some());
                        prop_assert_eq!(&carried, &approved);
                    }
                    RunTrigger::KnownExploited => {
                        prop_assert!(evaluation.open_window.is_none());
                        prop_assert!(run.assets.iter().all(|a| a.packages.iter().all(|c| c.known_exploited)));
                    }
                    other => prop_assert!(false, "unexpected trigger {:?}", other),
                }
                let mut in_waves: Vec<&String> = run.plan.waves.iter().flat_map(|w| &w.assets).collect();
                in_waves.sort();
                let mut in_run: Vec<&String> = run.assets.iter().map(|a| &a.name).collect();
                in_run.sort();
                prop_assert_eq!(in_waves, in_run);
            }
            Decision::WaitForWindow { .. } => {
                prop_assert!(evaluation.open_window.is_none());
                prop_assert!(!approved.is_empty());
            }
            Decision::Hold { .. } => prop_assert!(approved.is_empty()),
        }
    }
}
