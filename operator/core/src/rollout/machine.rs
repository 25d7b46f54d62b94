//! The rollout state machine: given a frozen plan, the run's persisted status, what the executors
//! report about each operation, and `now`, decide what happens next.
//!
//! Idempotency: every asset step has an operation id derived from the run, the asset and the
//! step. A step is recorded in the status (`Patching`, `Verifying`, `RollingBack`) in the same
//! decision that asks for it, and the controller persists the status before it acts. After a
//! crash, the controller reports the operation as `Absent` if it never reached the executor; the
//! machine then asks for the same operation again (same id, so an executor that did see it runs
//! it once). A step that never started and may no longer start (the window closed, the run
//! halted) goes back to `Pending`. Conversely, when a status write was lost and the executor
//! already knows an asset's operation, the machine adopts and observes it instead of asking for
//! it again.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::plan::RolloutPlan;
use crate::sla::EmergencyReason;
use crate::window::{self, WindowDefinition};

/// The phase of a run, written in resources by its variant name (`Halted`).
///
/// A halted run whose failed assets were all rolled back is still `Halted`: each asset's own
/// state records whether it was rolled back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum RunPhase {
    /// Nothing has started yet.
    #[default]
    Pending,
    /// Assets are being patched, or can be.
    Running,
    /// Waiting: between waves, for a window, or suspended.
    Paused,
    /// Every asset was patched and verified.
    Succeeded,
    /// Every wave ran, and some assets failed (within `maxFailures`).
    Failed,
    /// Stopped early: too many failures, or a canary failed. Failed assets may still be rolling
    /// back until the run's `finished_at` is set.
    Halted,
}

impl RunPhase {
    /// Every phase, in the order a run may pass through them.
    pub const ALL: [RunPhase; 6] = [
        RunPhase::Pending,
        RunPhase::Running,
        RunPhase::Paused,
        RunPhase::Succeeded,
        RunPhase::Failed,
        RunPhase::Halted,
    ];

    /// Whether a run in this phase has ended or is ending: nothing new starts. A `Halted` run
    /// has ended once its `finished_at` is set.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            RunPhase::Succeeded | RunPhase::Failed | RunPhase::Halted
        )
    }

    /// The name, as written in resources.
    pub fn as_str(self) -> &'static str {
        match self {
            RunPhase::Pending => "Pending",
            RunPhase::Running => "Running",
            RunPhase::Paused => "Paused",
            RunPhase::Succeeded => "Succeeded",
            RunPhase::Failed => "Failed",
            RunPhase::Halted => "Halted",
        }
    }
}

impl fmt::Display for RunPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one asset is in the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssetState {
    Pending,
    Patching,
    Verifying,
    Succeeded,
    Failed,
    RollingBack,
    RolledBack,
    RollbackFailed,
    /// Not patched: the asset (or its group) is suspended; the message says which.
    Skipped,
}

impl AssetState {
    /// Being patched, verified or rolled back: unavailable.
    pub fn is_in_flight(self) -> bool {
        matches!(
            self,
            AssetState::Patching | AssetState::Verifying | AssetState::RollingBack
        )
    }

    /// Nothing more will happen to it in this run.
    pub fn is_done(self) -> bool {
        matches!(
            self,
            AssetState::Succeeded
                | AssetState::Failed
                | AssetState::RolledBack
                | AssetState::RollbackFailed
                | AssetState::Skipped
        )
    }

    /// Its patch or verification failed.
    pub fn has_failed(self) -> bool {
        matches!(
            self,
            AssetState::Failed
                | AssetState::RollingBack
                | AssetState::RolledBack
                | AssetState::RollbackFailed
        )
    }
}

/// One asset's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetProgress {
    pub state: AssetState,
    pub wave: u32,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
    /// The executor's message for a failure.
    #[serde(default)]
    pub message: Option<String>,
}

/// Why the run stopped early.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum HaltReason {
    TooManyFailures {
        failed: u32,
        allowed: u32,
    },
    CanaryFailed {
        asset: String,
    },
    /// The plan's start deadline passed before any asset started.
    StartDeadlinePassed {
        deadline: DateTime<Utc>,
    },
}

impl fmt::Display for HaltReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HaltReason::TooManyFailures { failed, allowed } => write!(
                f,
                "{failed} assets failed, more than maxFailures allows ({allowed})"
            ),
            HaltReason::CanaryFailed { asset } => {
                write!(f, "canary {asset} failed, so no further wave starts")
            }
            HaltReason::StartDeadlinePassed { deadline } => write!(
                f,
                "the start deadline {} passed before the first wave started, so the run does not start",
                format_instant(*deadline)
            ),
        }
    }
}

/// Why nothing new starts now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PauseReason {
    BetweenWaves { until: DateTime<Utc> },
    OutsideWindow { next_start: Option<DateTime<Utc>> },
    Suspended,
}

impl PauseReason {
    fn until(&self) -> Option<DateTime<Utc>> {
        match self {
            PauseReason::BetweenWaves { until } => Some(*until),
            PauseReason::OutsideWindow { next_start } => *next_start,
            PauseReason::Suspended => None,
        }
    }
}

fn format_instant(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

impl fmt::Display for PauseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PauseReason::BetweenWaves { until } => {
                write!(f, "pausing between waves until {}", format_instant(*until))
            }
            PauseReason::OutsideWindow {
                next_start: Some(t),
            } => write!(
                f,
                "outside the maintenance window (or past its cutoff); the next wave may start {}",
                format_instant(*t)
            ),
            PauseReason::OutsideWindow { next_start: None } => f.write_str(
                "outside the maintenance window, and no window opens in the next two years",
            ),
            PauseReason::Suspended => f.write_str("suspended; nothing new starts until resumed"),
        }
    }
}

/// A run's status: everything the machine needs, as plain data to persist in the PatchRun.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStatus {
    pub phase: RunPhase,
    /// The wave being worked on.
    pub current_wave: u32,
    pub assets: BTreeMap<String, AssetProgress>,
    /// Assets whose patch or verification failed.
    pub failed: u32,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// When the previous wave finished (the pause between waves counts from here).
    #[serde(default)]
    pub wave_finished_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub paused: Option<PauseReason>,
    #[serde(default)]
    pub halted: Option<HaltReason>,
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
}

impl RunStatus {
    /// The status of a run that has not started: every asset pending.
    pub fn new(plan: &RolloutPlan) -> RunStatus {
        RunStatus {
            phase: RunPhase::Pending,
            current_wave: 0,
            assets: plan
                .waves
                .iter()
                .flat_map(|w| {
                    w.assets.iter().map(|a| {
                        (
                            a.clone(),
                            AssetProgress {
                                state: AssetState::Pending,
                                wave: w.index,
                                started_at: None,
                                finished_at: None,
                                message: None,
                            },
                        )
                    })
                })
                .collect(),
            failed: 0,
            started_at: None,
            wave_finished_at: None,
            paused: None,
            halted: None,
            finished_at: None,
        }
    }

    /// Assets in each state.
    pub fn count(&self, state: AssetState) -> usize {
        self.assets.values().filter(|a| a.state == state).count()
    }
}

/// A step of one asset, each with its own operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    Patch,
    Verify,
    RollBack,
}

impl Step {
    fn as_str(self) -> &'static str {
        match self {
            Step::Patch => "patch",
            Step::Verify => "verify",
            Step::RollBack => "rollback",
        }
    }
}

/// The operation id of `asset`'s `step` in the run `run_id`: stable, so asking twice is asking
/// once.
pub fn operation_id(run_id: &str, asset: &str, step: Step) -> String {
    format!("{run_id}/{asset}/{}", step.as_str())
}

/// What the executor knows about one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum OperationState {
    /// The executor has no record of it: it never started.
    Absent,
    Running,
    Succeeded,
    Failed {
        message: String,
    },
}

/// When new work may start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartGate {
    /// Whenever (a run someone started by hand).
    Anytime,
    /// Only while one of these windows is open and before its cutoff.
    Windows(Vec<WindowDefinition>),
}

/// What the controller observed for this decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observations {
    /// Operation id to its state; operations not listed are `Absent`.
    pub operations: BTreeMap<String, OperationState>,
    pub gate: StartGate,
    /// Set when an emergency rule allows starting out of window.
    pub emergency: Option<EmergencyReason>,
    /// The run or its policy is suspended: nothing new starts.
    pub suspended: bool,
    /// Assets that must not be patched (the asset or its group is suspended), with the reason:
    /// a pending one is skipped when its wave starts.
    pub skipped_assets: BTreeMap<String, String>,
}

impl Observations {
    fn operation(&self, id: &str) -> &OperationState {
        self.operations.get(id).unwrap_or(&OperationState::Absent)
    }
}

/// Something the controller must do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum Action {
    StartAsset {
        asset: String,
        operation: String,
    },
    VerifyAsset {
        asset: String,
        operation: String,
    },
    RollBackAsset {
        asset: String,
        operation: String,
    },
    HaltRun {
        reason: HaltReason,
    },
    PauseUntil {
        reason: PauseReason,
    },
    CompleteRun {
        phase: RunPhase,
        succeeded: u32,
        failed: u32,
    },
}

impl Action {
    /// The asset an asset action is about.
    pub fn asset(&self) -> Option<&str> {
        match self {
            Action::StartAsset { asset, .. }
            | Action::VerifyAsset { asset, .. }
            | Action::RollBackAsset { asset, .. } => Some(asset),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::StartAsset { asset, operation } => {
                write!(f, "start patching {asset} (operation {operation})")
            }
            Action::VerifyAsset { asset, operation } => write!(
                f,
                "verify {asset}: re-inventory and health checks (operation {operation})"
            ),
            Action::RollBackAsset { asset, operation } => write!(
                f,
                "roll {asset} back to its recorded versions (operation {operation})"
            ),
            Action::HaltRun { reason } => write!(f, "halt the run: {reason}"),
            Action::PauseUntil { reason } => write!(f, "{reason}"),
            Action::CompleteRun {
                phase,
                succeeded,
                failed,
            } => write!(
                f,
                "run finished {phase}: {succeeded} assets succeeded, {failed} failed"
            ),
        }
    }
}

/// The outcome of one decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub actions: Vec<Action>,
    /// Persist this before acting.
    pub status: RunStatus,
    /// Decide again at this time at the latest (also on any observed change).
    pub requeue_at: Option<DateTime<Utc>>,
}

struct Decider<'a> {
    plan: &'a RolloutPlan,
    observations: &'a Observations,
    now: DateTime<Utc>,
    status: RunStatus,
    actions: Vec<Action>,
    may_start: Option<bool>,
}

/// Decides the next step of a run. Pure and deterministic: the same inputs give the same
/// decision, so a decision lost in a crash is made again.
pub fn decide(
    plan: &RolloutPlan,
    status: &RunStatus,
    observations: &Observations,
    now: DateTime<Utc>,
) -> Decision {
    let mut decider = Decider {
        plan,
        observations,
        now,
        status: status.clone(),
        actions: Vec::new(),
        may_start: None,
    };
    if decider.status.finished_at.is_some() {
        return Decision {
            actions: Vec::new(),
            status: decider.status,
            requeue_at: None,
        };
    }
    decider.status.started_at.get_or_insert(now);
    decider.observe();
    decider.check_halt();
    decider.progress();
    decider.finish_decision()
}

impl Decider<'_> {
    fn may_start(&mut self) -> bool {
        if self.observations.suspended || self.status.halted.is_some() {
            return false;
        }
        if self.observations.emergency.is_some() {
            return true;
        }
        let now = self.now;
        let gate = &self.observations.gate;
        *self.may_start.get_or_insert_with(|| match gate {
            StartGate::Anytime => true,
            StartGate::Windows(windows) => window::any_may_start_work(windows, now),
        })
    }

    fn operation(&self, asset: &str, step: Step) -> String {
        operation_id(&self.plan.run_id, asset, step)
    }

    /// Moves in-flight assets along according to their operations.
    fn observe(&mut self) {
        // Rollout order, so that actions read riskiest first.
        let names: Vec<String> = self
            .plan
            .waves
            .iter()
            .flat_map(|w| &w.assets)
            .filter(|a| {
                self.status
                    .assets
                    .get(*a)
                    .is_some_and(|p| p.state.is_in_flight())
            })
            .cloned()
            .collect();
        for name in names {
            let Some(state) = self.status.assets.get(&name).map(|p| p.state) else {
                continue;
            };
            let step = match state {
                AssetState::Patching => Step::Patch,
                AssetState::Verifying => Step::Verify,
                _ => Step::RollBack,
            };
            let operation = self.operation(&name, step);
            match self.observations.operation(&operation).clone() {
                OperationState::Running => {}
                OperationState::Succeeded => match step {
                    Step::Patch => {
                        let verify = self.operation(&name, Step::Verify);
                        self.set_state(&name, AssetState::Verifying, None);
                        self.actions.push(Action::VerifyAsset {
                            asset: name,
                            operation: verify,
                        });
                    }
                    Step::Verify => self.set_state(&name, AssetState::Succeeded, None),
                    Step::RollBack => self.set_state(&name, AssetState::RolledBack, None),
                },
                OperationState::Failed { message } => match step {
                    Step::Patch | Step::Verify => self.fail(name, message),
                    Step::RollBack => {
                        self.set_state(&name, AssetState::RollbackFailed, Some(message))
                    }
                },
                OperationState::Absent => self.reissue(name, step, operation),
            }
        }
    }

    /// An operation recorded in the status but unknown to the executor never ran: ask again
    /// with the same id, or, for a patch that may no longer start, put the asset back.
    fn reissue(&mut self, asset: String, step: Step, operation: String) {
        match step {
            Step::Patch if self.may_start() => {
                self.actions.push(Action::StartAsset { asset, operation })
            }
            Step::Patch => {
                if let Some(progress) = self.status.assets.get_mut(&asset) {
                    progress.state = AssetState::Pending;
                    progress.started_at = None;
                }
            }
            Step::Verify => self.actions.push(Action::VerifyAsset { asset, operation }),
            Step::RollBack => self
                .actions
                .push(Action::RollBackAsset { asset, operation }),
        }
    }

    fn set_state(&mut self, asset: &str, state: AssetState, message: Option<String>) {
        let now = self.now;
        if let Some(progress) = self.status.assets.get_mut(asset) {
            progress.state = state;
            if state.is_done() {
                progress.finished_at = Some(now);
            }
            if message.is_some() {
                progress.message = message;
            }
        }
    }

    fn fail(&mut self, asset: String, message: String) {
        self.status.failed = self.status.failed.saturating_add(1);
        if self.plan.rollback_on_failure {
            let operation = self.operation(&asset, Step::RollBack);
            self.set_state(&asset, AssetState::RollingBack, Some(message));
            self.actions
                .push(Action::RollBackAsset { asset, operation });
        } else {
            self.set_state(&asset, AssetState::Failed, Some(message));
        }
    }

    fn check_halt(&mut self) {
        if self.status.halted.is_some() {
            return;
        }
        let canary_failure = self
            .plan
            .waves
            .iter()
            .filter(|w| w.canary)
            .flat_map(|w| &w.assets)
            .find(|a| {
                self.status
                    .assets
                    .get(*a)
                    .is_some_and(|p| p.state.has_failed())
            });
        let reason = if let Some(deadline) = self.missed_start_deadline() {
            HaltReason::StartDeadlinePassed { deadline }
        } else if let Some(asset) = canary_failure {
            HaltReason::CanaryFailed {
                asset: asset.clone(),
            }
        } else if self.status.failed > self.plan.max_failures {
            HaltReason::TooManyFailures {
                failed: self.status.failed,
                allowed: self.plan.max_failures,
            }
        } else {
            return;
        };
        self.status.halted = Some(reason.clone());
        self.status.paused = None;
        self.actions.push(Action::HaltRun { reason });
    }

    /// The plan's start deadline, when it has passed and no asset has started yet.
    fn missed_start_deadline(&self) -> Option<DateTime<Utc>> {
        let deadline = self.plan.start_deadline?;
        let nothing_started = self.status.assets.values().all(|p| p.started_at.is_none());
        (self.now > deadline && nothing_started).then_some(deadline)
    }

    fn in_flight(&self) -> bool {
        self.status.assets.values().any(|p| p.state.is_in_flight())
    }

    fn progress(&mut self) {
        if self.status.halted.is_some() {
            if !self.in_flight() {
                self.finish(RunPhase::Halted);
            }
            return;
        }
        loop {
            let index = self.status.current_wave as usize;
            let Some(wave) = self.plan.waves.get(index) else {
                let phase = if self.status.failed == 0 {
                    RunPhase::Succeeded
                } else {
                    RunPhase::Failed
                };
                self.finish(phase);
                return;
            };
            let states: Vec<AssetState> = wave
                .assets
                .iter()
                .filter_map(|a| self.status.assets.get(a).map(|p| p.state))
                .collect();
            if states.iter().all(|s| s.is_done()) {
                self.status.current_wave = self.status.current_wave.saturating_add(1);
                if index + 1 < self.plan.waves.len() {
                    self.status.wave_finished_at = Some(self.now);
                }
                continue;
            }
            if !states.contains(&AssetState::Pending) {
                return;
            }
            if let Some(finished) = self.status.wave_finished_at {
                let until = finished
                    .checked_add_signed(self.plan.pause_between_waves.to_chrono())
                    .unwrap_or(DateTime::<Utc>::MAX_UTC);
                if self.now < until {
                    self.pause(PauseReason::BetweenWaves { until });
                    return;
                }
            }
            if self.observations.suspended {
                self.pause(PauseReason::Suspended);
                return;
            }
            if !self.may_start() {
                let next_start = match &self.observations.gate {
                    StartGate::Windows(windows) => {
                        window::next_start_opportunity(windows, self.now)
                    }
                    StartGate::Anytime => None,
                };
                self.pause(PauseReason::OutsideWindow { next_start });
                return;
            }
            self.start_wave(index);
            // A wave whose assets were all skipped is done: go on to the next one.
            let wave_done = wave
                .assets
                .iter()
                .all(|a| self.status.assets.get(a).is_none_or(|p| p.state.is_done()));
            if !wave_done {
                return;
            }
        }
    }

    fn start_wave(&mut self, index: usize) {
        let plan = self.plan;
        let mut in_flight: BTreeMap<&str, u32> = BTreeMap::new();
        for (name, progress) in &self.status.assets {
            if progress.state.is_in_flight() {
                let group = plan.groups.get(name).map(String::as_str).unwrap_or("");
                *in_flight.entry(group).or_default() += 1;
            }
        }
        let Some(wave) = plan.waves.get(index) else {
            return;
        };
        for asset in &wave.assets {
            let group = plan.groups.get(asset).map(String::as_str).unwrap_or("");
            let limit = plan.limit_for(asset);
            let count = in_flight.entry(group).or_default();
            let pending = self
                .status
                .assets
                .get(asset)
                .is_some_and(|p| p.state == AssetState::Pending);
            if !pending {
                continue;
            }
            if let Some(reason) = self.observations.skipped_assets.get(asset) {
                self.set_state(asset, AssetState::Skipped, Some(reason.clone()));
                continue;
            }
            if *count >= limit {
                continue;
            }
            *count += 1;
            if let Some(progress) = self.status.assets.get_mut(asset) {
                progress.state = AssetState::Patching;
                progress.started_at = Some(self.now);
            }
            let operation = operation_id(&plan.run_id, asset, Step::Patch);
            // The executor already knows this operation (a status write was lost): adopt it and
            // observe it, rather than ask for it again.
            if *self.observations.operation(&operation) == OperationState::Absent {
                self.actions.push(Action::StartAsset {
                    asset: asset.clone(),
                    operation,
                });
            }
        }
        self.status.paused = None;
    }

    fn pause(&mut self, reason: PauseReason) {
        if self.status.paused.as_ref() != Some(&reason) {
            self.actions.push(Action::PauseUntil {
                reason: reason.clone(),
            });
        }
        self.status.paused = Some(reason);
    }

    fn finish(&mut self, phase: RunPhase) {
        self.status.phase = phase;
        self.status.finished_at = Some(self.now);
        self.status.paused = None;
        self.actions.push(Action::CompleteRun {
            phase,
            succeeded: u32::try_from(self.status.count(AssetState::Succeeded)).unwrap_or(u32::MAX),
            failed: self.status.failed,
        });
    }

    fn finish_decision(mut self) -> Decision {
        if self.status.finished_at.is_none() {
            let started_any = self
                .status
                .assets
                .values()
                .any(|p| p.state != AssetState::Pending);
            let in_flight = self.in_flight();
            self.status.phase = if self.status.halted.is_some() {
                RunPhase::Halted
            } else if !started_any {
                RunPhase::Pending
            } else if self.status.paused.is_some() && !in_flight {
                RunPhase::Paused
            } else {
                RunPhase::Running
            };
        }
        let requeue_at = if self.status.finished_at.is_some() {
            None
        } else {
            let poll = self
                .in_flight()
                .then(|| {
                    self.now
                        .checked_add_signed(self.plan.poll_interval.to_chrono())
                })
                .flatten();
            let wake = self.status.paused.as_ref().and_then(PauseReason::until);
            match (poll, wake) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };
        Decision {
            actions: self.actions,
            status: self.status,
            requeue_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_written_and_read_by_their_names() {
        // The match fails to compile when a phase is added: give it its place in `ALL`.
        let position = |phase: RunPhase| match phase {
            RunPhase::Pending => 0,
            RunPhase::Running => 1,
            RunPhase::Paused => 2,
            RunPhase::Succeeded => 3,
            RunPhase::Failed => 4,
            RunPhase::Halted => 5,
        };
        for (i, phase) in RunPhase::ALL.into_iter().enumerate() {
            assert_eq!(position(phase), i);
            let json = serde_json::to_string(&phase).expect("serializes");
            assert_eq!(json, format!("\"{phase}\""));
            assert_eq!(serde_json::from_str::<RunPhase>(&json).ok(), Some(phase));
        }
        assert_eq!(RunPhase::default(), RunPhase::Pending);
    }
}
