//! Rollout planning: order, canary, waves within maxUnavailable per group, estimates and fit.

use chrono::{DateTime, Utc};
use patchwarden_core::rollout::{PlanAsset, RolloutSettings, plan_rollout, stable_hash};
use patchwarden_core::window::Opening;
use patchwarden_core::{CountOrPercent, Duration};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test time")
        .with_timezone(&Utc)
}

fn asset(name: &str, group: Option<&str>, risk: f64) -> PlanAsset {
    PlanAsset {
        name: name.into(),
        group: group.map(str::to_string),
        risk,
        estimated_duration: None,
    }
}

fn fleet(n: usize) -> Vec<PlanAsset> {
    (0..n)
        .map(|i| asset(&format!("host-{i:03}"), None, 1.0))
        .collect()
}

#[test]
fn riskiest_first_then_a_policy_seeded_hash() {
    let mut assets = fleet(20);
    assets[7].risk = 9.5;
    assets[3].risk = 7.0;
    let settings = RolloutSettings {
        max_unavailable: CountOrPercent::Count(100),
        ..RolloutSettings::default()
    };
    let a = plan_rollout("prod/web", &assets, &settings);
    let order: Vec<&String> = a.waves.iter().flat_map(|w| &w.assets).collect();
    assert_eq!(order[0], "host-007");
    assert_eq!(order[1], "host-003");
    // Equal risks: another policy orders them differently, the same policy always the same way.
    let b = plan_rollout("prod/db", &assets, &settings);
    let order_b: Vec<&String> = b.waves.iter().flat_map(|w| &w.assets).collect();
    assert_eq!(&order_b[..2], &order[..2]);
    assert_ne!(order_b[2..], order[2..]);
    assert_eq!(plan_rollout("prod/web", &assets, &settings), a);
    // The hash is fixed across platforms and releases: persisted plans and people's
    // expectations depend on it.
    assert_eq!(stable_hash("", ""), 5_705_415_379_283_624_141);
    assert_ne!(stable_hash("a", "bc"), stable_hash("ab", "c"));
}

#[test]
fn canary_then_waves_of_max_unavailable() {
    let settings = RolloutSettings {
        canary: Some(CountOrPercent::Percent(10)),
        max_unavailable: CountOrPercent::Percent(25),
        max_failures: CountOrPercent::Percent(10),
        pause_between_waves: Duration::from_mins(5),
        ..RolloutSettings::default()
    };
    let plan = plan_rollout("ops/nightly", &fleet(21), &settings);
    // 10% of 21 rounded up is 3 canaries; 25% of 21 rounded down is 5 per wave.
    assert!(plan.waves[0].canary);
    assert_eq!(plan.waves[0].assets.len(), 3);
    let sizes: Vec<usize> = plan.waves[1..].iter().map(|w| w.assets.len()).collect();
    assert_eq!(sizes, vec![5, 5, 5, 3]);
    assert!(plan.waves[1..].iter().all(|w| !w.canary));
    assert_eq!(plan.max_failures, 2);
    assert_eq!(plan.asset_count(), 21);
    // 5 waves of 10 minutes plus 4 pauses of 5.
    assert_eq!(plan.estimated_duration, Duration::from_mins(70));
}

#[test]
fn max_unavailable_percentages_round_down_to_at_least_one() {
    // As documented on `spec.rollout.maxUnavailable`: rounded down, as Kubernetes rounds a
    // Deployment's `maxUnavailable`, and never below one.
    for (percent, fleet_size, per_wave) in [(25, 10, 2), (30, 7, 2), (99, 3, 2), (10, 5, 1)] {
        let settings = RolloutSettings {
            max_unavailable: CountOrPercent::Percent(percent),
            ..RolloutSettings::default()
        };
        let plan = plan_rollout("p", &fleet(fleet_size), &settings);
        assert_eq!(
            plan.max_unavailable.get(""),
            Some(&per_wave),
            "{percent}% of {fleet_size}"
        );
        assert!(
            plan.waves
                .iter()
                .all(|w| w.assets.len() <= per_wave as usize)
        );
    }
}

#[test]
fn max_unavailable_applies_per_asset_group() {
    let mut assets = Vec::new();
    for i in 0..8 {
        assets.push(asset(&format!("web-{i}"), Some("web"), 1.0));
    }
    for i in 0..2 {
        assets.push(asset(&format!("db-{i}"), Some("db"), 5.0));
    }
    let settings = RolloutSettings {
        max_unavailable: CountOrPercent::Percent(50),
        ..RolloutSettings::default()
    };
    let plan = plan_rollout("p", &assets, &settings);
    assert_eq!(plan.max_unavailable.get("web"), Some(&4));
    assert_eq!(plan.max_unavailable.get("db"), Some(&1));
    for wave in &plan.waves {
        let web = wave.assets.iter().filter(|a| a.starts_with("web")).count();
        let db = wave.assets.iter().filter(|a| a.starts_with("db")).count();
        assert!(web <= 4 && db <= 1, "wave {wave:?}");
    }
    assert_eq!(plan.waves.len(), 2);
    // A percentage that rounds to zero still lets one asset through.
    let tiny = RolloutSettings {
        max_unavailable: CountOrPercent::Percent(1),
        ..RolloutSettings::default()
    };
    assert_eq!(plan_rollout("p", &fleet(5), &tiny).waves.len(), 5);
}

#[test]
fn estimates_use_the_slowest_asset_of_each_wave() {
    let mut assets = fleet(4);
    assets[0].estimated_duration = Some(Duration::from_mins(40));
    assets[1].estimated_duration = Some(Duration::from_mins(5));
    let settings = RolloutSettings {
        max_unavailable: CountOrPercent::Count(2),
        default_asset_duration: Duration::from_mins(15),
        ..RolloutSettings::default()
    };
    let plan = plan_rollout("p", &assets, &settings);
    let total: u64 = plan
        .waves
        .iter()
        .map(|w| w.estimated_duration.as_secs())
        .sum();
    assert_eq!(Duration::from_secs(total), plan.estimated_duration);
    let slowest = plan
        .waves
        .iter()
        .find(|w| w.assets.contains(&"host-000".to_string()))
        .expect("wave");
    assert_eq!(slowest.estimated_duration, Duration::from_mins(40));
}

#[test]
fn what_fits_into_a_window_and_what_is_left() {
    let settings = RolloutSettings {
        max_unavailable: CountOrPercent::Count(10),
        pause_between_waves: Duration::from_mins(10),
        default_asset_duration: Duration::from_mins(30),
        ..RolloutSettings::default()
    };
    let plan = plan_rollout("p", &fleet(60), &settings);
    assert_eq!(plan.waves.len(), 6);
    // 02:00-04:00 with a 30-minute cutoff: waves of 30 minutes with 10-minute pauses start at
    // 02:00, 02:40 and 03:20 (before the cutoff, ending 03:50); the fourth would start at 04:00.
    let opening = Opening {
        opens_at: utc("2026-06-07T02:00:00Z"),
        closes_at: utc("2026-06-07T04:00:00Z"),
        cutoff_at: utc("2026-06-07T03:30:00Z"),
    };
    let fit = plan.fit(0, &opening, opening.opens_at);
    assert_eq!((fit.waves, fit.assets), (3, 30));
    assert_eq!((fit.remaining_waves, fit.remaining_assets), (3, 30));
    assert_eq!(fit.finishes_at, Some(utc("2026-06-07T03:50:00Z")));
    assert_eq!(
        fit.to_string(),
        "3 waves (30 assets) fit, finishing by 2026-06-07 03:50 UTC; 3 waves (30 assets) are left for the next window"
    );
    // Starting late in the window fits less.
    let late = plan.fit(0, &opening, utc("2026-06-07T03:15:00Z"));
    assert_eq!(late.waves, 1);

    let next = Opening {
        opens_at: utc("2026-06-14T02:00:00Z"),
        closes_at: utc("2026-06-14T04:00:00Z"),
        cutoff_at: utc("2026-06-14T03:30:00Z"),
    };
    let schedule = plan.schedule([opening, next], 10);
    assert_eq!(schedule.assignments.len(), 2);
    assert_eq!(schedule.assignments[1].first_wave, 3);
    assert_eq!(schedule.unscheduled_from_wave, None);
    let short = plan.schedule([opening], 10);
    assert_eq!(short.unscheduled_from_wave, Some(3));
}

#[test]
fn an_empty_fleet_plans_nothing_and_duplicates_are_planned_once() {
    let plan = plan_rollout("p", &[], &RolloutSettings::default());
    assert!(plan.waves.is_empty());
    assert_eq!(plan.estimated_duration, Duration::ZERO);
    let twice = vec![asset("a", None, 1.0), asset("a", None, 2.0)];
    assert_eq!(
        plan_rollout("p", &twice, &RolloutSettings::default()).asset_count(),
        1
    );
}
