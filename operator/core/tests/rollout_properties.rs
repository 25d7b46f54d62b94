//! Properties of the rollout state machine over random plans, random operation outcomes,
//! random windows and random times, each checked on 10,000 generated runs:
//! it never has more assets in flight than `maxUnavailable`; starts nothing outside the window
//! or past its cutoff (unless an emergency allows it) or while suspended; starts nothing new
//! after `maxFailures` is exceeded or a canary failed; never starts the same asset twice; rolls
//! every failed asset back when `rollbackOnFailure` is set (and never otherwise); finishes every
//! run it is allowed to work on, with the phase that says how it went; and, fed its own
//! persisted status after a crash at any step, reaches the same decisions.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use patchwarden_core::rollout::{
    Action, AssetState, Decision, Observations, OperationState, PlanAsset, RolloutPlan,
    RolloutSettings, RunPhase, RunStatus, StartGate, decide, plan_rollout, stable_hash,
};
use patchwarden_core::sla::EmergencyReason;
use patchwarden_core::window::{self, Blackout, WindowDefinition};
use patchwarden_core::{CountOrPercent, Duration};
use proptest::prelude::*;
use proptest::test_runner::Config;

const CASES: u32 = 10_000;
const STEPS: usize = 40;

fn config() -> Config {
    Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A window from a small catalogue covering DST zones, cutoffs and a blackout.
fn window_from(choice: u8, blackout_at: i64) -> WindowDefinition {
    let (schedule, zone, minutes, cutoff) = match choice % 5 {
        0 => ("*/30 * * * *", "UTC", 20, 5),
        1 => ("0 */2 * * *", "Europe/Berlin", 45, 15),
        2 => ("0 1 * * *", "America/New_York", 180, 30),
        3 => ("15 2 * * *", "Australia/Lord_Howe", 120, 20),
        _ => ("0 22 * * MON-FRI", "Asia/Tokyo", 240, 60),
    };
    let mut w = WindowDefinition::parse(schedule, zone, Duration::from_mins(minutes))
        .expect("catalogue window");
    w.cutoff = Duration::from_mins(cutoff);
    if choice >= 5 {
        let start = DateTime::from_timestamp(blackout_at, 0).expect("time");
        w.blackouts.push(Blackout {
            start,
            end: start + TimeDelta::hours(6),
            reason: "freeze".into(),
        });
    }
    w
}

#[derive(Debug, Clone)]
struct Scenario {
    assets: Vec<PlanAsset>,
    settings: RolloutSettings,
    windows: Option<Vec<WindowDefinition>>,
    emergency: bool,
    start: DateTime<Utc>,
    steps: Vec<(i64, bool)>,
    failure_percent: u64,
    world_seed: u64,
}

fn count_or_percent(max_count: u32) -> impl Strategy<Value = CountOrPercent> {
    prop_oneof![
        (0..=max_count).prop_map(CountOrPercent::Count),
        (0u8..=100).prop_map(CountOrPercent::Percent),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let assets = (1usize..12, 0usize..4).prop_flat_map(|(n, groups)| {
        proptest::collection::vec((0u8..4, 0u32..3, proptest::option::of(1u64..60)), n).prop_map(
            move |specs| {
                specs
                    .into_iter()
                    .enumerate()
                    .map(|(i, (group, risk, minutes))| PlanAsset {
                        name: format!("asset-{i}"),
                        group: (groups > 0).then(|| format!("g{}", group as usize % groups)),
                        risk: f64::from(risk),
                        estimated_duration: minutes.map(Duration::from_mins),
                    })
                    .collect::<Vec<_>>()
            },
        )
    });
    let settings = (
        proptest::option::of(count_or_percent(3)),
        prop_oneof![
            (1u32..4).prop_map(CountOrPercent::Count),
            (1u8..=100).prop_map(CountOrPercent::Percent)
        ],
        count_or_percent(3),
        prop_oneof![Just(0u64), Just(5), Just(20)],
        any::<bool>(),
    )
        .prop_map(
            |(canary, max_unavailable, max_failures, pause, rollback)| RolloutSettings {
                canary,
                max_unavailable,
                max_failures,
                pause_between_waves: Duration::from_mins(pause),
                rollback_on_failure: rollback,
                default_asset_duration: Duration::from_mins(10),
            },
        );
    // 2026, including every DST change of the catalogue zones.
    let start = 1_767_225_600i64..1_798_761_600i64;
    let windows =
        proptest::option::of(proptest::collection::vec((0u8..10, 0i64..86_400 * 3), 1..3));
    (
        assets,
        settings,
        windows,
        proptest::bool::weighted(0.1),
        start,
        proptest::collection::vec((1i64..40, proptest::bool::weighted(0.08)), STEPS),
        0u64..60,
        any::<u64>(),
    )
        .prop_map(
            |(assets, settings, windows, emergency, start, steps, failure_percent, world_seed)| {
                let start_at = DateTime::from_timestamp(start, 0).expect("time");
                Scenario {
                    assets,
                    settings,
                    windows: windows.map(|ws| {
                        ws.into_iter()
                            .map(|(choice, offset)| window_from(choice, start + offset))
                            .collect()
                    }),
                    emergency,
                    start: start_at,
                    steps: steps
                        .into_iter()
                        .map(|(minutes, s)| (minutes * 60, s))
                        .collect(),
                    failure_percent,
                    world_seed,
                }
            },
        )
}

/// The executors: operations run for a while and then succeed or fail, decided by a hash of
/// the operation id so that a replay meets the same world.
#[derive(Debug, Clone, Default, PartialEq)]
struct World {
    operations: BTreeMap<String, (DateTime<Utc>, bool)>,
    /// How often each operation was executed (a duplicate would be a second start).
    executions: BTreeMap<String, u32>,
}

impl World {
    fn execute(&mut self, action: &Action, now: DateTime<Utc>, scenario: &Scenario) {
        let operation = match action {
            Action::StartAsset { operation, .. }
            | Action::VerifyAsset { operation, .. }
            | Action::RollBackAsset { operation, .. } => operation,
            _ => return,
        };
        *self.executions.entry(operation.clone()).or_default() += 1;
        if self.operations.contains_key(operation) {
            return;
        }
        let h = stable_hash(&scenario.world_seed.to_string(), operation);
        let minutes = 1 + (h % 45) as i64;
        let fails = (h >> 32) % 100 < scenario.failure_percent;
        self.operations.insert(
            operation.clone(),
            (now + TimeDelta::minutes(minutes), fails),
        );
    }

    fn observe(&self, now: DateTime<Utc>) -> BTreeMap<String, OperationState> {
        self.operations
            .iter()
            .map(|(id, (done_at, fails))| {
                let state = if now < *done_at {
                    OperationState::Running
                } else if *fails {
                    OperationState::Failed {
                        message: format!("{id} failed"),
                    }
                } else {
                    OperationState::Succeeded
                };
                (id.clone(), state)
            })
            .collect()
    }
}

struct Run {
    plan: RolloutPlan,
    gate: StartGate,
    emergency: Option<EmergencyReason>,
}

impl Run {
    fn new(scenario: &Scenario) -> Run {
        let mut plan = plan_rollout("ns/policy", &scenario.assets, &scenario.settings);
        plan.run_id = "run".into();
        Run {
            plan,
            gate: match &scenario.windows {
                Some(ws) => StartGate::Windows(ws.clone()),
                None => StartGate::Anytime,
            },
            emergency: scenario.emergency.then(|| EmergencyReason::KnownExploited {
                finding: "CVE-2026-0001".into(),
            }),
        }
    }

    fn observations(&self, world: &World, now: DateTime<Utc>, suspended: bool) -> Observations {
        Observations {
            operations: world.observe(now),
            gate: self.gate.clone(),
            emergency: self.emergency.clone(),
            suspended,
            skipped_assets: Default::default(),
        }
    }
}

/// Persisting and reading back, as the controller does through the PatchRun status.
fn persist(status: &RunStatus) -> RunStatus {
    serde_json::from_str(&serde_json::to_string(status).expect("serialize")).expect("deserialize")
}

struct Step {
    now: DateTime<Utc>,
    before: RunStatus,
    observations: Observations,
    decision: Decision,
}

/// Runs a scenario without crashes, returning every step.
fn simulate(scenario: &Scenario) -> (Run, Vec<Step>, World) {
    let run = Run::new(scenario);
    let mut world = World::default();
    let mut status = RunStatus::new(&run.plan);
    let mut now = scenario.start;
    let mut steps = Vec::new();
    for (advance, suspended) in &scenario.steps {
        let observations = run.observations(&world, now, *suspended);
        let decision = decide(&run.plan, &status, &observations, now);
        // The crash property reads the status back through JSON; here a copy is enough.
        let persisted = decision.status.clone();
        for action in &decision.actions {
            world.execute(action, now, scenario);
        }
        let finished = decision.status.finished_at.is_some();
        steps.push(Step {
            now,
            before: status,
            observations,
            decision,
        });
        if finished {
            // A finished run decides nothing more.
            break;
        }
        status = persisted;
        now += TimeDelta::seconds(*advance);
    }
    (run, steps, world)
}

fn in_flight_by_group(plan: &RolloutPlan, status: &RunStatus) -> BTreeMap<String, u32> {
    let mut counts = BTreeMap::new();
    for (name, progress) in &status.assets {
        if progress.state.is_in_flight() {
            *counts
                .entry(plan.groups.get(name).cloned().unwrap_or_default())
                .or_default() += 1;
        }
    }
    counts
}

fn started(decision: &Decision) -> Vec<&str> {
    decision
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::StartAsset { asset, .. } => Some(asset.as_str()),
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn never_more_in_flight_than_max_unavailable(scenario in scenario()) {
        let (run, steps, _) = simulate(&scenario);
        for step in &steps {
            for (group, count) in in_flight_by_group(&run.plan, &step.decision.status) {
                let limit = run.plan.max_unavailable.get(&group).copied().unwrap_or(1);
                prop_assert!(count <= limit, "group {group:?}: {count} in flight, limit {limit}");
            }
        }
    }

    #[test]
    fn starts_only_inside_the_window_before_its_cutoff(scenario in scenario()) {
        let (run, steps, _) = simulate(&scenario);
        for step in &steps {
            if started(&step.decision).is_empty() {
                continue;
            }
            prop_assert!(!step.observations.suspended, "started while suspended");
            let allowed = run.emergency.is_some()
                || match &run.gate {
                    StartGate::Anytime => true,
                    StartGate::Windows(ws) => window::any_may_start_work(ws, step.now),
                };
            prop_assert!(allowed, "started at {} outside every window", step.now);
        }
    }

    #[test]
    fn starts_nothing_new_after_max_failures_or_a_failed_canary(scenario in scenario()) {
        let (run, steps, _) = simulate(&scenario);
        let canaries: BTreeSet<&String> =
            run.plan.waves.iter().filter(|w| w.canary).flat_map(|w| &w.assets).collect();
        for step in &steps {
            let status = &step.decision.status;
            let newly_started: Vec<&str> = started(&step.decision)
                .into_iter()
                .filter(|a| step.before.assets[*a].state == AssetState::Pending)
                .collect();
            let over_budget = status.failed > run.plan.max_failures;
            let canary_failed = canaries.iter().any(|c| status.assets[*c].state.has_failed());
            if over_budget || canary_failed {
                prop_assert!(newly_started.is_empty(), "started {newly_started:?} after the failure budget");
                prop_assert!(status.halted.is_some());
                prop_assert_eq!(status.phase, RunPhase::Halted);
            }
        }
    }

    #[test]
    fn never_starts_the_same_asset_twice(scenario in scenario()) {
        let (_, steps, world) = simulate(&scenario);
        for (operation, count) in &world.executions {
            prop_assert_eq!(*count, 1, "{} executed {} times", operation, count);
        }
        for step in &steps {
            for action in &step.decision.actions {
                if let Action::StartAsset { operation, .. } = action {
                    prop_assert_eq!(
                        step.observations.operations.get(operation),
                        None,
                        "asked to start {} which the executor already has", operation
                    );
                }
            }
        }
    }

    #[test]
    fn failed_assets_are_rolled_back_exactly_when_the_policy_says_so(scenario in scenario()) {
        let (run, steps, _) = simulate(&scenario);
        for step in &steps {
            for (name, progress) in &step.decision.status.assets {
                let was_failed = step.before.assets[name].state.has_failed();
                if progress.state.has_failed() && !was_failed {
                    let rolled_back = step.decision.actions.iter().any(|a| {
                        a.asset() == Some(name.as_str()) && matches!(a, Action::RollBackAsset { .. })
                    });
                    prop_assert_eq!(rolled_back, run.plan.rollback_on_failure, "asset {}", name);
                    let expected = if run.plan.rollback_on_failure {
                        AssetState::RollingBack
                    } else {
                        AssetState::Failed
                    };
                    prop_assert_eq!(progress.state, expected);
                }
            }
            if !run.plan.rollback_on_failure {
                let any_rollback = step
                    .decision
                    .actions
                    .iter()
                    .any(|a| matches!(a, Action::RollBackAsset { .. }));
                prop_assert!(!any_rollback, "rolled back although rollbackOnFailure is off");
            }
        }
    }

    #[test]
    fn with_the_gate_open_every_run_finishes_and_says_how(mut scenario in scenario()) {
        // No window, no suspension, half-hour steps: operations (at most 45 minutes) finish
        // within two steps, so every wave progresses.
        scenario.windows = None;
        scenario.steps = vec![(1800, false); 200];
        let (run, steps, _) = simulate(&scenario);
        let last = &steps.last().expect("steps").decision.status;
        prop_assert!(last.finished_at.is_some(), "still {:?} after 100 hours", last.phase);
        for (name, progress) in &last.assets {
            let pending_after_halt = last.halted.is_some() && progress.state == AssetState::Pending;
            prop_assert!(progress.state.is_done() || pending_after_halt, "{} is {:?}", name, progress.state);
        }
        let expected = if last.halted.is_some() {
            RunPhase::Halted
        } else if last.failed == 0 {
            RunPhase::Succeeded
        } else {
            RunPhase::Failed
        };
        prop_assert_eq!(last.phase, expected);
        prop_assert!(last.failed <= run.plan.max_failures || last.halted.is_some());
        let completions = steps
            .iter()
            .flat_map(|s| &s.decision.actions)
            .filter(|a| matches!(a, Action::CompleteRun { .. }))
            .count();
        prop_assert_eq!(completions, 1);
    }

    #[test]
    fn a_crash_at_any_step_reaches_the_same_decisions(
        scenario in scenario(),
        crash_at in 0usize..STEPS,
        after_persist in any::<bool>(),
    ) {
        let (run, steps, final_world) = simulate(&scenario);
        let crash_at = crash_at % steps.len();
        let mut world = World::default();
        let mut status = RunStatus::new(&run.plan);
        for (index, step) in steps.iter().enumerate() {
            let now = step.now;
            let observations = run.observations(&world, now, step.observations.suspended);
            let mut decision = decide(&run.plan, &status, &observations, now);
            if index == crash_at {
                if after_persist {
                    // The status was written, the actions were lost. On restart the machine
                    // reads that status back and, seeing the same world, asks again for exactly
                    // the asset operations that were lost.
                    let restarted = persist(&decision.status);
                    let again = decide(&run.plan, &restarted, &observations, now);
                    // The order among different assets' operations does not matter.
                    let by_asset = |actions: &[Action]| {
                        let mut list: Vec<String> = actions
                            .iter()
                            .filter(|a| a.asset().is_some())
                            .map(|a| format!("{a:?}"))
                            .collect();
                        list.sort();
                        list
                    };
                    prop_assert_eq!(by_asset(&again.actions), by_asset(&decision.actions));
                    prop_assert!(again.actions.iter().all(|a| a.asset().is_some()));
                    prop_assert_eq!(&again.status, &decision.status);
                    decision = again;
                } else {
                    // Nothing was written: the same inputs give the same decision.
                    let again = decide(&run.plan, &persist(&status), &observations, now);
                    prop_assert_eq!(&again, &decision);
                }
            }
            if index != crash_at || !after_persist {
                prop_assert_eq!(&decision, &step.decision, "step {} differs", index);
            }
            for action in &decision.actions {
                world.execute(action, now, &scenario);
            }
            // Only the crash step reads the status back from its persisted form; the others
            // carry it over as the running process would.
            status = if index == crash_at {
                persist(&decision.status)
            } else {
                decision.status.clone()
            };
        }
        prop_assert_eq!(&world.operations, &final_world.operations);
    }
}
