//! The first half of a decision: whether work may start now, and moving in-flight assets
//! along according to what their operations report (reissued, adopted, finished or failed).

use super::{Action, AssetState, Decider, OperationState, StartGate, Step, operation_id};
use crate::window;

impl Decider<'_> {
    pub(super) fn may_start(&mut self) -> bool {
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

    pub(super) fn operation(&self, asset: &str, step: Step) -> String {
        operation_id(&self.plan.run_id, asset, step)
    }

    /// Moves in-flight assets along according to their operations.
    pub(super) fn observe(&mut self) {
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
                AssetState::Rebooting => Step::Reboot,
                AssetState::Verifying => Step::Verify,
                _ => Step::RollBack,
            };
            let operation = self.operation(&name, step);
            match self.observations.operation(&operation).clone() {
                OperationState::Running => {}
                OperationState::Succeeded => match step {
                    Step::Patch if self.plan.reboot.may_reboot() => self.reboot(name),
                    Step::Patch | Step::Reboot => self.verify(name),
                    Step::Verify => self.set_state(&name, AssetState::Succeeded, None),
                    Step::RollBack => self.set_state(&name, AssetState::RolledBack, None),
                },
                OperationState::Failed { message } => match step {
                    Step::Patch | Step::Reboot | Step::Verify => self.fail(name, message),
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
    pub(super) fn reissue(&mut self, asset: String, step: Step, operation: String) {
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
            // The controller compares the boot id it recorded with the current one, so a
            // reboot asked for again is not carried out twice.
            Step::Reboot => self.actions.push(Action::RebootAsset { asset, operation }),
            Step::Verify => self.actions.push(Action::VerifyAsset { asset, operation }),
            Step::RollBack => self
                .actions
                .push(Action::RollBackAsset { asset, operation }),
        }
    }

    /// The install succeeded and the plan may reboot: the reboot step comes before verification.
    fn reboot(&mut self, asset: String) {
        let operation = self.operation(&asset, Step::Reboot);
        self.set_state(&asset, AssetState::Rebooting, None);
        self.actions.push(Action::RebootAsset { asset, operation });
    }

    /// The install (and reboot, if any) succeeded: verify.
    fn verify(&mut self, asset: String) {
        let operation = self.operation(&asset, Step::Verify);
        self.set_state(&asset, AssetState::Verifying, None);
        self.actions.push(Action::VerifyAsset { asset, operation });
    }

    pub(super) fn set_state(&mut self, asset: &str, state: AssetState, message: Option<String>) {
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

    pub(super) fn fail(&mut self, asset: String, message: String) {
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
}
