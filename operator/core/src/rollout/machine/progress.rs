//! The second half of a decision: halting on too many failures or a missed start deadline,
//! starting the next assets and waves within the limits, pausing between waves, and finishing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{
    Action, AssetState, Decider, Decision, HaltReason, OperationState, PauseReason, RunPhase,
    StartGate, Step, operation_id,
};
use crate::window;

impl Decider<'_> {
    pub(super) fn check_halt(&mut self) {
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
    pub(super) fn missed_start_deadline(&self) -> Option<DateTime<Utc>> {
        let deadline = self.plan.start_deadline?;
        let nothing_started = self.status.assets.values().all(|p| p.started_at.is_none());
        (self.now > deadline && nothing_started).then_some(deadline)
    }

    pub(super) fn in_flight(&self) -> bool {
        self.status.assets.values().any(|p| p.state.is_in_flight())
    }

    pub(super) fn progress(&mut self) {
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

    pub(super) fn start_wave(&mut self, index: usize) {
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

    pub(super) fn pause(&mut self, reason: PauseReason) {
        if self.status.paused.as_ref() != Some(&reason) {
            self.actions.push(Action::PauseUntil {
                reason: reason.clone(),
            });
        }
        self.status.paused = Some(reason);
    }

    pub(super) fn finish(&mut self, phase: RunPhase) {
        self.status.phase = phase;
        self.status.finished_at = Some(self.now);
        self.status.paused = None;
        self.actions.push(Action::CompleteRun {
            phase,
            succeeded: u32::try_from(self.status.count(AssetState::Succeeded)).unwrap_or(u32::MAX),
            failed: self.status.failed,
        });
    }

    pub(super) fn finish_decision(mut self) -> Decision {
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
