//! History: the policy's counts appended to `status.history` when they change (bounded, so
//! trends outlive pruned runs), and the pruning of finished runs beyond `spec.history.keepRuns`.

use chrono::{DateTime, Utc};
use kube::ResourceExt;
use kube::api::DeleteParams;
use patchwarden_api::RunPhase;
use patchwarden_api::patch_policy::{HistoryPoint, PatchPolicy, PatchPolicyStatus};
use patchwarden_api::patch_run::PatchRun;
use patchwarden_api::time::{from_k8s, to_k8s};
use patchwarden_core::history::{self, MAX_POINTS, PrunableRun};

use super::super::Context;
use super::super::error::ReconcileError;

/// Carries the stored history into `desired` and appends the counts `desired` now holds when
/// they differ from the last point. Counts taken while some members are not `assessed` yet
/// are partial and not recorded.
pub fn update(
    desired: &mut PatchPolicyStatus,
    stored: &PatchPolicyStatus,
    runs: &[PatchRun],
    assessed: bool,
    now: DateTime<Utc>,
) {
    let mut points = stored.history.clone();
    if !assessed {
        desired.history = points;
        return;
    }
    let next = next_point(desired, points.last(), runs, now);
    history::record(
        &mut points,
        next,
        MAX_POINTS,
        HistoryPoint::same_counts,
        |p| from_k8s(&p.at),
    );
    desired.history = points;
}

/// The counts of `status` at `now`; run outcomes add the runs that finished since `last`.
fn next_point(
    status: &PatchPolicyStatus,
    last: Option<&HistoryPoint>,
    runs: &[PatchRun],
    now: DateTime<Utc>,
) -> HistoryPoint {
    let since = last.map(|p| from_k8s(&p.at));
    let (mut succeeded, mut failed) = last.map_or((0, 0), |p| (p.runs_succeeded, p.runs_failed));
    for run in runs {
        let Some(status) = &run.status else { continue };
        let Some(finished) = status.finished_at.as_ref().map(from_k8s) else {
            continue;
        };
        if since.is_some_and(|s| finished <= s) || finished > now {
            continue;
        }
        match status.phase {
            RunPhase::Succeeded => succeeded += 1,
            RunPhase::Failed | RunPhase::Halted => failed += 1,
            _ => {}
        }
    }
    let open = status.open_findings.clone().unwrap_or_default();
    let compliance = status.compliance.clone().unwrap_or_default();
    HistoryPoint {
        at: to_k8s(now),
        open_critical: open.critical,
        open_high: open.high,
        open_known_exploited: open.known_exploited,
        compliant_assets: compliance.compliant,
        total_assets: compliance.assets,
        runs_succeeded: succeeded,
        runs_failed: failed,
    }
}

/// Deletes the policy's oldest finished runs beyond `spec.history.keepRuns`, once their
/// evidence is recorded. A run already gone is not an error.
pub async fn prune(
    context: &Context,
    policy: &PatchPolicy,
    runs: &[PatchRun],
) -> Result<Vec<String>, ReconcileError> {
    let Some(keep) = policy.spec.history.as_ref().and_then(|h| h.keep_runs) else {
        return Ok(Vec::new());
    };
    let prunable: Vec<PrunableRun> = runs
        .iter()
        .map(|run| PrunableRun {
            name: run.name_any(),
            finished_at: run
                .status
                .as_ref()
                .filter(|s| s.phase.is_finished())
                .and_then(|s| s.finished_at.as_ref())
                .map(from_k8s),
            evidence_recorded: run
                .annotations()
                .contains_key(super::super::evidence::EVIDENCE_HASH_ANNOTATION),
        })
        .collect();
    let doomed = history::runs_to_prune(&prunable, keep as usize);
    let api = context.api_for::<PatchRun, _>(policy);
    for name in &doomed {
        match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(doomed)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use patchwarden_api::patch_policy::{ComplianceSummary, SeverityCounts};
    use patchwarden_api::patch_run::{PatchRunSpec, PatchRunStatus};

    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, hour, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn run(phase: RunPhase, finished: u32) -> PatchRun {
        PatchRun {
            metadata: Default::default(),
            spec: PatchRunSpec::default(),
            status: Some(PatchRunStatus {
                phase,
                finished_at: Some(to_k8s(at(finished))),
                ..PatchRunStatus::default()
            }),
        }
    }

    fn status(critical: u32) -> PatchPolicyStatus {
        PatchPolicyStatus {
            open_findings: Some(SeverityCounts {
                critical,
                ..SeverityCounts::default()
            }),
            compliance: Some(ComplianceSummary {
                assets: 4,
                compliant: 4 - critical.min(4),
                ..ComplianceSummary::default()
            }),
            ..PatchPolicyStatus::default()
        }
    }

    #[test]
    fn a_point_per_change_with_runs_counted_once() {
        let runs = vec![run(RunPhase::Succeeded, 2), run(RunPhase::Halted, 4)];
        let mut stored = PatchPolicyStatus::default();
        for (hour, critical) in [(1, 3), (3, 3), (5, 1), (6, 1)] {
            let mut desired = status(critical);
            update(&mut desired, &stored, &runs, true, at(hour));
            stored = desired;
        }
        let summary: Vec<(u32, u32, u32, u32)> = stored
            .history
            .iter()
            .map(|p| {
                (
                    p.open_critical,
                    p.compliant_assets,
                    p.runs_succeeded,
                    p.runs_failed,
                )
            })
            .collect();
        // 01:00 nothing finished; 03:00 the success; 05:00 the halt and fewer criticals;
        // 06:00 is unchanged and adds nothing.
        assert_eq!(summary, vec![(3, 1, 0, 0), (3, 1, 1, 0), (1, 3, 1, 1)]);

        // Partial counts while members are being assessed leave the history as it was.
        let mut desired = status(0);
        update(&mut desired, &stored, &runs, false, at(7));
        assert_eq!(desired.history, stored.history);
    }
}
