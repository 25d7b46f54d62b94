//! Properties of rollout planning over random fleets and settings (10,000 cases each): every
//! asset is planned exactly once, riskiest first, canaries lead, no wave exceeds a group's
//! `maxUnavailable`, the estimate adds up, and the plan depends only on its inputs.

use std::collections::{BTreeMap, BTreeSet};

use patchwarden_core::rollout::{PlanAsset, RolloutSettings, plan_rollout};
use patchwarden_core::{CountOrPercent, Duration};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn config() -> Config {
    Config {
        cases: 10_000,
        failure_persistence: None,
        ..Config::default()
    }
}

fn fleet() -> impl Strategy<Value = Vec<PlanAsset>> {
    proptest::collection::vec(
        (
            0usize..60,
            proptest::option::of(0u8..5),
            0u8..6,
            proptest::option::of(1u64..90),
        ),
        0..60,
    )
    .prop_map(|specs| {
        specs
            .into_iter()
            .map(|(id, group, risk, minutes)| PlanAsset {
                name: format!("host-{id}"),
                group: group.map(|g| format!("g{g}")),
                risk: f64::from(risk) / 2.0,
                estimated_duration: minutes.map(Duration::from_mins),
            })
            .collect()
    })
}

fn count_or_percent() -> impl Strategy<Value = CountOrPercent> {
    prop_oneof![
        (0u32..8).prop_map(CountOrPercent::Count),
        (0u8..=100).prop_map(CountOrPercent::Percent),
    ]
}

fn settings() -> impl Strategy<Value = RolloutSettings> {
    (
        proptest::option::of(count_or_percent()),
        count_or_percent(),
        count_or_percent(),
        0u64..30,
    )
        .prop_map(
            |(canary, max_unavailable, max_failures, pause)| RolloutSettings {
                canary,
                max_unavailable,
                max_failures,
                pause_between_waves: Duration::from_mins(pause),
                rollback_on_failure: false,
                default_asset_duration: Duration::from_mins(10),
            },
        )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn plans_are_complete_ordered_and_within_limits(
        assets in fleet(),
        settings in settings(),
        seed in "[a-z]{1,8}/[a-z]{1,8}",
    ) {
        let plan = plan_rollout(&seed, &assets, &settings);
        // Every distinct asset exactly once (the first occurrence of a duplicated name wins).
        let mut first: BTreeMap<&str, &PlanAsset> = BTreeMap::new();
        for a in &assets {
            first.entry(a.name.as_str()).or_insert(a);
        }
        let planned: Vec<&str> =
            plan.waves.iter().flat_map(|w| w.assets.iter().map(String::as_str)).collect();
        let unique: BTreeSet<&str> = planned.iter().copied().collect();
        prop_assert_eq!(unique.len(), planned.len(), "an asset is planned twice");
        prop_assert_eq!(unique, first.keys().copied().collect::<BTreeSet<_>>());

        // Canary waves come first.
        let canary_waves = plan.waves.iter().take_while(|w| w.canary).count();
        prop_assert!(plan.waves.iter().skip(canary_waves).all(|w| !w.canary));
        if settings.canary.is_none() {
            prop_assert_eq!(canary_waves, 0);
        }

        // Within a group, waves go riskiest first.
        let mut last_risk: BTreeMap<String, f64> = BTreeMap::new();
        for wave in plan.waves.iter().skip(canary_waves) {
            let mut wave_max: BTreeMap<String, f64> = BTreeMap::new();
            for name in &wave.assets {
                let asset = first[name.as_str()];
                let group = asset.group.clone().unwrap_or_default();
                if let Some(previous) = last_risk.get(&group) {
                    prop_assert!(asset.risk <= *previous, "{} came after a less risky asset", name);
                }
                let entry = wave_max.entry(group).or_insert(f64::MIN);
                *entry = entry.max(asset.risk);
            }
            for wave_group in wave_max.keys() {
                let lowest = wave
                    .assets
                    .iter()
                    .map(|n| first[n.as_str()])
                    .filter(|a| a.group.clone().unwrap_or_default() == *wave_group)
                    .map(|a| a.risk)
                    .fold(f64::MAX, f64::min);
                last_risk.insert(wave_group.clone(), lowest);
            }
        }

        // No wave exceeds any group's limit, and every limit is at least one.
        for wave in &plan.waves {
            let mut per_group: BTreeMap<&str, u32> = BTreeMap::new();
            for name in &wave.assets {
                *per_group.entry(plan.groups[name].as_str()).or_default() += 1;
            }
            for (group, count) in per_group {
                let limit = plan.max_unavailable[group];
                prop_assert!(limit >= 1);
                prop_assert!(count <= limit, "group {:?}: {} > {}", group, count, limit);
            }
            prop_assert!(!wave.assets.is_empty());
        }

        // The estimate is the waves plus the pauses between them.
        let waves: u64 = plan.waves.iter().map(|w| w.estimated_duration.as_secs()).sum();
        let pauses = settings.pause_between_waves.as_secs()
            * (plan.waves.len().saturating_sub(1) as u64);
        prop_assert_eq!(plan.estimated_duration.as_secs(), waves + pauses);

        // Deterministic: the same inputs, the same plan.
        prop_assert_eq!(&plan_rollout(&seed, &assets, &settings), &plan);
    }
}
