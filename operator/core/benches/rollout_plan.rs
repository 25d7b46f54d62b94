//! Rollout planning at fleet scale: ordering, canary and per-group waves for 10,000 assets,
//! spreading the waves over a month of maintenance windows, and one state-machine decision on
//! a run of that size.

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use patchwarden_core::rollout::{
    Observations, PlanAsset, RolloutSettings, RunStatus, StartGate, decide, plan_rollout,
    stable_hash,
};
use patchwarden_core::window::{self, WindowDefinition};
use patchwarden_core::{CountOrPercent, Duration};

const FLEET: usize = 10_000;

/// A fleet of 40 groups with risks in a few tiers (many ties, as in real fleets) and
/// per-asset duration estimates for half of it.
fn fleet() -> Vec<PlanAsset> {
    (0..FLEET)
        .map(|i| {
            let h = stable_hash("bench", &i.to_string());
            PlanAsset {
                name: format!("node-{i:05}.eu-west-1.internal"),
                group: Some(format!("pool-{:02}", h % 40)),
                risk: ((h >> 8) % 10) as f64 * 1.5,
                estimated_duration: (h >> 16)
                    .is_multiple_of(2)
                    .then(|| Duration::from_mins(5 + (h >> 24) % 30)),
            }
        })
        .collect()
}

fn settings() -> RolloutSettings {
    RolloutSettings {
        canary: Some(CountOrPercent::Percent(2)),
        max_unavailable: CountOrPercent::Percent(10),
        max_failures: CountOrPercent::Percent(1),
        pause_between_waves: Duration::from_mins(10),
        rollback_on_failure: true,
        default_asset_duration: Duration::from_mins(15),
    }
}

fn benches(c: &mut Criterion) {
    let assets = fleet();
    let settings = settings();
    c.bench_function("plan_rollout 10k assets", |b| {
        b.iter(|| plan_rollout(black_box("prod/nodes"), black_box(&assets), &settings))
    });

    let plan = plan_rollout("prod/nodes", &assets, &settings);
    let nightly =
        WindowDefinition::parse("0 22 * * MON-THU", "Europe/Berlin", Duration::from_hours(6))
            .expect("window");
    let from = DateTime::<Utc>::from_timestamp(1_780_000_000, 0).expect("time");
    c.bench_function("schedule 10k-asset plan over a month of windows", |b| {
        b.iter(|| {
            let openings =
                window::openings(&nightly, from, from + TimeDelta::days(31)).collect::<Vec<_>>();
            plan.schedule(black_box(openings), 20)
        })
    });

    let status = RunStatus::new(&plan);
    let observations = Observations {
        operations: Default::default(),
        gate: StartGate::Windows(vec![nightly.clone()]),
        emergency: None,
        suspended: false,
        skipped_assets: Default::default(),
    };
    c.bench_function("decide on a 10k-asset run", |b| {
        b.iter(|| decide(&plan, black_box(&status), &observations, from))
    });
}

criterion_group!(rollout, benches);
criterion_main!(rollout);
