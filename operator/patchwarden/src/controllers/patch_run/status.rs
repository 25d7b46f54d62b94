//! Status: the run's audit trail — phase, per-asset results with the versions before and
//! after and the vulnerabilities closed, counts, a message for people — and its conditions,
//! computed from the machine's status, what finished operations found, and what was
//! recorded before.

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use patchwarden_api::conditions::{self as c, reason};
use patchwarden_api::patch_run::{
    AssetResult, AssetRunState, PackageResult, PatchRun, PatchRunStatus, PlannedAsset, RunCounts,
    RunPhase,
};
use patchwarden_api::time::to_k8s;
use patchwarden_core::rollout::{self, AssetProgress, AssetState, RolloutPlan, RunStatus, Step};

use crate::controllers::operations::Journal;
use crate::controllers::{mark_abnormal, mark_ready, reconcile_requested_at};

/// The status to write: the audit trail with its conditions.
pub fn desired(
    run: &PatchRun,
    plan: &RolloutPlan,
    machine: &RunStatus,
    journal: &Journal,
    stored: &PatchRunStatus,
    now: DateTime<Utc>,
) -> PatchRunStatus {
    let mut desired = audit_trail(run, plan, machine, journal, stored);
    set_conditions(&mut desired, run.metadata.generation, now);
    desired
}

/// The audit trail of a run from the machine's status, what finished operations found, and
/// what was recorded before.
pub fn audit_trail(
    run: &PatchRun,
    plan: &RolloutPlan,
    machine: &RunStatus,
    journal: &Journal,
    stored: &PatchRunStatus,
) -> PatchRunStatus {
    let finished = machine.finished_at.is_some();
    let assets: Vec<AssetResult> = run
        .spec
        .assets
        .iter()
        .map(|planned| {
            let previous = stored.assets.iter().find(|a| a.name == planned.name);
            let progress = machine.assets.get(&planned.name);
            asset_result(planned, previous, progress, plan, journal, finished)
        })
        .collect();
    let counts = count(&assets);
    let message = run_message(plan, machine, &assets, &counts);
    PatchRunStatus {
        observed_generation: run.metadata.generation,
        last_handled_reconcile_at: reconcile_requested_at(run)
            .or(stored.last_handled_reconcile_at.clone()),
        conditions: stored.conditions.clone(),
        phase: machine.phase,
        current_wave: (!finished).then_some(machine.current_wave),
        paused_until: paused_until(machine),
        started_at: machine.started_at.map(to_k8s),
        expected_finish_at: expected_finish(plan, machine).map(to_k8s),
        finished_at: machine.finished_at.map(to_k8s),
        counts: Some(counts),
        assets,
        message: Some(message),
    }
}

/// When a started, unfinished run is expected to finish, if its waves carry estimates.
fn expected_finish(plan: &RolloutPlan, machine: &RunStatus) -> Option<DateTime<Utc>> {
    if machine.finished_at.is_some() || plan.estimated_duration == patchwarden_core::Duration::ZERO
    {
        return None;
    }
    machine
        .started_at?
        .checked_add_signed(plan.estimated_duration.to_chrono())
}

/// One asset's result: what was recorded before, updated with the machine's progress and
/// what its operations found; the planned versions until an operation reports real ones.
fn asset_result(
    planned: &PlannedAsset,
    previous: Option<&AssetResult>,
    progress: Option<&AssetProgress>,
    plan: &RolloutPlan,
    journal: &Journal,
    finished: bool,
) -> AssetResult {
    let mut result = previous.cloned().unwrap_or_else(|| AssetResult {
        name: planned.name.clone(),
        ..AssetResult::default()
    });
    if let Some(progress) = progress {
        result.wave = progress.wave;
        result.state = api_asset_state(progress.state, finished);
        result.started_at = progress.started_at.map(to_k8s);
        result.finished_at = progress.finished_at.map(to_k8s);
        result.duration_seconds = match (progress.started_at, progress.finished_at) {
            (Some(s), Some(f)) => u64::try_from((f - s).num_seconds()).ok(),
            _ => None,
        };
        record_operations(&mut result, plan, journal);
        if let Some(message) = &progress.message
            && (progress.state.has_failed() || progress.state == AssetState::Skipped)
            && !result.message.contains(message.as_str())
        {
            result.message = message.clone();
        }
    }
    if result.packages.is_empty() {
        result.packages = planned
            .packages
            .iter()
            .map(|p| PackageResult {
                name: p.name.clone(),
                before: Some(p.from.clone()),
                after: None,
            })
            .collect();
    }
    result
}

/// What the asset's finished operations found. Later steps refine what earlier ones
/// recorded: verify's re-inventory wins over patch, and a roll back's versions win over both;
/// whether the asset was rebooted is kept.
fn record_operations(result: &mut AssetResult, plan: &RolloutPlan, journal: &Journal) {
    let mut reboot_note = None;
    for step in [Step::Patch, Step::Reboot, Step::Verify, Step::RollBack] {
        let id = rollout::operation_id(&plan.run_id, &result.name, step);
        let Some(details) = journal.details(&id) else {
            continue;
        };
        if step == Step::Reboot {
            result.rebooted |= details.rebooted;
            reboot_note = Some(details.message.clone());
        }
        if !details.packages.is_empty() {
            result.packages = details.packages.clone();
        }
        if step == Step::Patch {
            result.sources = details.sources.clone();
        }
        if step == Step::Verify {
            result.cves_closed = details.cves_closed.clone();
            result.cves_remaining = details.cves_remaining.clone();
        }
        if step == Step::RollBack {
            result.cves_closed.clear();
        }
        result.message = details.message.clone();
    }
    // The reboot (or why there was none) stays in the message once verification reports.
    if let Some(note) = reboot_note
        && !result.message.contains(note.as_str())
    {
        result.message = format!("{}; {note}", result.message);
    }
}

/// The counts of asset results by state; a rolled back asset counts as failed too.
fn count(assets: &[AssetResult]) -> RunCounts {
    let mut counts = RunCounts::default();
    for asset in assets {
        counts.total += 1;
        match asset.state {
            AssetRunState::Pending => counts.pending += 1,
            AssetRunState::Patching | AssetRunState::Verifying => counts.in_progress += 1,
            AssetRunState::Succeeded => counts.succeeded += 1,
            AssetRunState::Failed => counts.failed += 1,
            AssetRunState::RolledBack => {
                counts.failed += 1;
                counts.rolled_back += 1;
            }
            AssetRunState::Skipped => counts.skipped += 1,
        }
    }
    counts
}

/// Until when the run waits, when the pause has a known end.
fn paused_until(machine: &RunStatus) -> Option<Time> {
    machine.paused.as_ref().and_then(|p| match p {
        rollout::PauseReason::BetweenWaves { until } => Some(to_k8s(*until)),
        rollout::PauseReason::OutsideWindow { next_start } => next_start.map(to_k8s),
        rollout::PauseReason::Suspended => None,
    })
}

/// The run's message for people: why it halted (with each failure), why it waits, how it
/// ended, or how far it got.
fn run_message(
    plan: &RolloutPlan,
    machine: &RunStatus,
    assets: &[AssetResult],
    counts: &RunCounts,
) -> String {
    if let Some(halted) = &machine.halted {
        let failures: Vec<&str> = assets
            .iter()
            .filter(|a| matches!(a.state, AssetRunState::Failed | AssetRunState::RolledBack))
            .map(|a| a.message.as_str())
            .collect();
        if failures.is_empty() {
            return format!("halted: {halted}");
        }
        return format!("halted: {halted}: {}", failures.join("; "));
    }
    if let Some(paused) = &machine.paused {
        return paused.to_string();
    }
    if machine.finished_at.is_some() {
        let skipped = if counts.skipped > 0 {
            format!(", {} skipped", counts.skipped)
        } else {
            String::new()
        };
        return format!(
            "{:?}: {} of {} assets succeeded, {} failed{skipped}",
            machine.phase, counts.succeeded, counts.total, counts.failed
        );
    }
    let waves = u32::try_from(plan.waves.len()).unwrap_or(u32::MAX);
    format!(
        "wave {} of {}: {} assets in progress, {} succeeded",
        machine.current_wave.saturating_add(1).min(waves),
        plan.waves.len(),
        counts.in_progress,
        counts.succeeded
    )
}

/// An asset's state as the API names it; an asset still pending in a finished run was
/// skipped.
fn api_asset_state(state: AssetState, finished: bool) -> AssetRunState {
    match state {
        AssetState::Pending if finished => AssetRunState::Skipped,
        AssetState::Skipped => AssetRunState::Skipped,
        AssetState::Pending => AssetRunState::Pending,
        // A reboot is part of patching the asset; `rebooted` says it happened.
        AssetState::Patching | AssetState::Rebooting => AssetRunState::Patching,
        AssetState::Verifying => AssetRunState::Verifying,
        AssetState::Succeeded => AssetRunState::Succeeded,
        AssetState::Failed | AssetState::RollingBack | AssetState::RollbackFailed => {
            AssetRunState::Failed
        }
        AssetState::RolledBack => AssetRunState::RolledBack,
    }
}

/// Sets the run's conditions from its phase.
fn set_conditions(status: &mut PatchRunStatus, generation: Option<i64>, now: DateTime<Utc>) {
    let message = status.message.clone().unwrap_or_default();
    let conditions = &mut status.conditions;
    match status.phase {
        RunPhase::Succeeded => {
            mark_ready(
                conditions,
                c::TRUE,
                reason::SUCCEEDED,
                &message,
                generation,
                now,
            );
            mark_abnormal(conditions, c::PROGRESSING, None, generation, now);
            mark_abnormal(conditions, c::DEGRADED, None, generation, now);
        }
        RunPhase::Failed | RunPhase::Halted => {
            let why = if status.phase == RunPhase::Halted {
                reason::RUN_HALTED
            } else {
                reason::FAILED
            };
            mark_ready(conditions, c::FALSE, why, &message, generation, now);
            mark_abnormal(conditions, c::PROGRESSING, None, generation, now);
            mark_abnormal(
                conditions,
                c::DEGRADED,
                Some((why, &message)),
                generation,
                now,
            );
        }
        RunPhase::Pending | RunPhase::Paused | RunPhase::Running => {
            let why = if status.phase == RunPhase::Running {
                reason::PROGRESSING
            } else {
                reason::WAITING_FOR_WINDOW
            };
            mark_ready(conditions, c::FALSE, why, &message, generation, now);
            mark_abnormal(
                conditions,
                c::PROGRESSING,
                Some((why, &message)),
                generation,
                now,
            );
        }
    }
}
