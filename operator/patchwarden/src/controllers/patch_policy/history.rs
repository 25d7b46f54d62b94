//! History: the policy's counts appended to `status.history` when they change (bounded, so
//! trends outlive pruned runs), and the pruning of finished runs beyond `spec.history.keepRuns`.

use std::collections::BTreeSet;

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
/// are partial and not recorded. Finished runs are counted once each, by name: their finish
/// times are whole seconds and may lag the policy's view, so no time comparison tells a run
/// counted at the last point from one that finished in the same second.
pub fn update(
    desired: &mut PatchPolicyStatus,
    stored: &PatchPolicyStatus,
    runs: &[PatchRun],
    assessed: bool,
    now: DateTime<Utc>,
) {
    let mut points = stored.history.clone();
    let counted = counted_runs(stored, runs);
    if !assessed {
        desired.history = points;
        desired.history_counted_runs = stored.history_counted_runs.as_ref().map(|_| {
            runs.iter()
                .map(ResourceExt::name_any)
                .filter(|name| counted.contains(name))
                .collect()
        });
        return;
    }
    let finished: Vec<&PatchRun> = runs.iter().filter(|run| finished_by(run, now)).collect();
    let newly: Vec<&PatchRun> = finished
        .iter()
        .copied()
        .filter(|run| !counted.contains(run.name_any().as_str()))
        .collect();
    let next = next_point(desired, points.last(), &newly, now);
    history::record(
        &mut points,
        next,
        MAX_POINTS,
        HistoryPoint::same_counts,
        |p| from_k8s(&p.at),
    );
    desired.history = points;
    let mut names: Vec<String> = finished.iter().map(|run| run.name_any()).collect();
    names.sort();
    desired.history_counted_runs = Some(names);
}

/// The names of the runs the stored history has counted. A status from before runs were
/// tracked by name counted the runs that had finished by its last point.
fn counted_runs(stored: &PatchPolicyStatus, runs: &[PatchRun]) -> BTreeSet<String> {
    match (&stored.history_counted_runs, stored.history.last()) {
        (Some(names), _) => names.iter().cloned().collect(),
        (None, Some(last)) => {
            let since = from_k8s(&last.at);
            runs.iter()
                .filter(|run| finished_by(run, since))
                .map(ResourceExt::name_any)
                .collect()
        }
        (None, None) => BTreeSet::new(),
    }
}

/// Whether `run` had finished by `at`.
fn finished_by(run: &PatchRun, at: DateTime<Utc>) -> bool {
    run.status.as_ref().is_some_and(|status| {
        status.phase.is_finished()
            && status
                .finished_at
                .as_ref()
                .is_some_and(|finished| from_k8s(finished) <= at)
    })
}

/// The counts of `status` at `now`; run outcomes add the `newly` finished runs to the last
/// point's.
fn next_point(
    status: &PatchPolicyStatus,
    last: Option<&HistoryPoint>,
    newly: &[&PatchRun],
    now: DateTime<Utc>,
) -> HistoryPoint {
    let (mut succeeded, mut failed) = last.map_or((0, 0), |p| (p.runs_succeeded, p.runs_failed));
    for run in newly {
        match run.status.as_ref().map(|s| s.phase) {
            Some(RunPhase::Succeeded) => succeeded += 1,
            Some(RunPhase::Failed | RunPhase::Halted) => failed += 1,
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
/// evidence is recorded and the stored history has counted them. A run already gone is not an error.
pub async fn prune(
    context: &Context,
    policy: &PatchPolicy,
    runs: &[PatchRun],
) -> Result<Vec<String>, ReconcileError> {
    let Some(keep) = policy.spec.history.as_ref().and_then(|h| h.keep_runs) else {
        return Ok(Vec::new());
    };
    // Counted in a status already written: pruned before, a run would be lost to the trend.
    let counted: &[String] = policy
        .status
        .as_ref()
        .and_then(|s| s.history_counted_runs.as_deref())
        .unwrap_or_default();
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
            recorded: run
                .annotations()
                .contains_key(super::super::evidence::EVIDENCE_HASH_ANNOTATION)
                && counted.contains(&run.name_any()),
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
            metadata: kube::api::ObjectMeta {
                name: Some(format!("run-{finished}")),
                ..Default::default()
            },
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

    fn runs_succeeded(status: &PatchPolicyStatus) -> Vec<u32> {
        status.history.iter().map(|p| p.runs_succeeded).collect()
    }

    #[test]
    fn a_run_finishing_in_the_second_of_the_last_point_is_counted_once() {
        // The point of 03:00 was taken while the run was still running; it finished in the
        // same second (finish times are whole seconds).
        let mut running = run(RunPhase::Running, 3);
        if let Some(status) = running.status.as_mut() {
            status.finished_at = None;
        }
        let mut stored = PatchPolicyStatus::default();
        let mut desired = status(1);
        update(&mut desired, &stored, &[running], true, at(3));
        stored = desired;
        assert_eq!(stored.history_counted_runs, Some(Vec::new()));

        let finished = vec![run(RunPhase::Succeeded, 3)];
        for hour in [4, 5] {
            let mut desired = status(0);
            update(&mut desired, &stored, &finished, true, at(hour));
            stored = desired;
        }
        assert_eq!(runs_succeeded(&stored), vec![0, 1]);
        assert_eq!(stored.history_counted_runs, Some(vec!["run-3".to_string()]));

        // Pruned, the run is forgotten by name and stays counted.
        let mut desired = status(0);
        update(&mut desired, &stored, &[], true, at(6));
        assert_eq!(runs_succeeded(&desired), vec![0, 1]);
        assert_eq!(desired.history_counted_runs, Some(Vec::new()));
    }

    #[test]
    fn a_status_without_counted_names_counts_the_runs_finished_after_its_last_point() {
        let mut stored = status(1);
        stored.history = vec![HistoryPoint {
            at: to_k8s(at(3)),
            open_critical: 1,
            open_high: 0,
            open_known_exploited: 0,
            compliant_assets: 3,
            total_assets: 4,
            runs_succeeded: 1,
            runs_failed: 0,
        }];
        let runs = vec![run(RunPhase::Succeeded, 2), run(RunPhase::Halted, 4)];
        let mut desired = status(1);
        update(&mut desired, &stored, &runs, true, at(5));
        let last = desired.history.last().expect("a point");
        assert_eq!((last.runs_succeeded, last.runs_failed), (1, 1));
        assert_eq!(
            desired.history_counted_runs,
            Some(vec!["run-2".to_string(), "run-4".to_string()])
        );
    }
}
