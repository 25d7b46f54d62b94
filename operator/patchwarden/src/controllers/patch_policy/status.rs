//! Status: what the evaluation found, written once — compliance, open findings, SLA
//! forecasts, the next window, the runs, and the conditions (`Ready`, `Compliant`,
//! `Progressing`/`Reconciling` while a run is active, `Degraded` after a failed run).

use chrono::{DateTime, Utc};
use kube::ResourceExt;
use patchwarden_api::RunPhase;
use patchwarden_api::conditions::{self as c, reason};
use patchwarden_api::patch_policy::{
    ComplianceSummary, EpssRise, NextWindow, PatchPolicy, PatchPolicyStatus, RunReference,
    SlaForecast,
};
use patchwarden_api::time::to_k8s;
use patchwarden_core::policy::{
    Compliance, Decision, HoldCause, PolicyEvaluation, emergency_trigger, held_back_note,
};
use patchwarden_core::sla::Forecast;
use patchwarden_core::threats;

use super::super::error::ReconcileError;
use super::super::{Context, mark_abnormal, mark_ready, status};
use super::observe::Observed;

/// Fills `desired` from the evaluation, writes it when it changed, and records a `Degraded`
/// Event when the policy becomes degraded.
#[allow(clippy::too_many_arguments)]
pub async fn write(
    context: &Context,
    policy: &PatchPolicy,
    desired: &mut PatchPolicyStatus,
    stored: &PatchPolicyStatus,
    observed: &Observed,
    evaluation: &PolicyEvaluation,
    created: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ReconcileError> {
    fill(desired, observed, evaluation, created);
    let feed_date = context.assessment.epss_feed_date();
    let rises = threats::epss_rises(&evaluation.emergencies, feed_date.as_deref());
    desired.epss_rises = recorded_rises(&rises, &stored.epss_rises);
    let assessed = observed.unassessed.is_empty();
    super::history::update(desired, stored, &observed.run_objects, assessed, now);
    let generation = policy.metadata.generation;
    let progress = progress_message(observed, evaluation, created);
    for type_ in [c::PROGRESSING, c::RECONCILING] {
        mark_abnormal(
            &mut desired.conditions,
            type_,
            progress.as_deref().map(|m| (reason::PROGRESSING, m)),
            generation,
            now,
        );
    }
    let degraded = degraded(observed, evaluation).filter(|_| progress.is_none());
    mark_abnormal(
        &mut desired.conditions,
        c::DEGRADED,
        degraded.as_ref().map(|(r, m)| (*r, m.as_str())),
        generation,
        now,
    );
    let summary = evaluation.compliance;
    let compliant = summary.compliant == summary.assets
        && observed.unassessed.is_empty()
        && observed.stalled.is_empty();
    let compliant_message = compliance_message(evaluation);
    let at = to_k8s(now);
    c::set_condition(
        &mut desired.conditions,
        c::new_condition(
            c::COMPLIANT,
            if compliant { c::TRUE } else { c::FALSE },
            if compliant {
                reason::ALL_COMPLIANT
            } else {
                reason::PATCHES_PENDING
            },
            compliant_message.clone(),
            generation,
            at.clone(),
        ),
        at,
    );
    let (ready, ready_reason, ready_message) = if let Some((r, message)) = &degraded {
        (c::FALSE, *r, message.clone())
    } else if let Some(message) = &progress {
        (c::FALSE, reason::PROGRESSING, message.clone())
    } else {
        ready_when_idle(observed, evaluation, &compliant_message)
    };
    mark_ready(
        &mut desired.conditions,
        ready,
        ready_reason,
        &ready_message,
        generation,
        now,
    );
    let was_degraded = c::is_true(&stored.conditions, c::DEGRADED);
    let policies = context.api_for::<PatchPolicy, _>(policy);
    status::write_status(&policies, policy, desired).await?;
    if let Some((_, message)) = degraded
        && !was_degraded
    {
        context.events.warning(policy, "Degraded", message).await;
    }
    if let Some(blocked) = c::find_condition(&desired.conditions, c::DRAIN_BLOCKED)
        .filter(|blocked| blocked.status == c::TRUE)
        && !c::is_true(&stored.conditions, c::DRAIN_BLOCKED)
    {
        let message = blocked.message.clone();
        context
            .events
            .warning(policy, "DrainBlocked", message)
            .await;
    }
    if let Some(message) = newly_breached(stored, desired) {
        context.events.warning(policy, "SlaBreached", message).await;
    }
    let recorded: Vec<(&str, &str)> = stored
        .epss_rises
        .iter()
        .map(|r| (r.asset.as_str(), r.finding.as_str()))
        .collect();
    for rise in threats::new_rises(&recorded, &rises) {
        let message = format!("{}: {rise}", rise.asset);
        context.events.warning(policy, "EpssRose", message).await;
    }
    if let Some(run) = created
        && let Some(why) = started_emergency(evaluation)
    {
        let message = format!("PatchRun {run} started out of window: {why}");
        context
            .events
            .warning(policy, "EmergencyStarted", message)
            .await;
    }
    Ok(())
}

/// Why the run the evaluation starts is an emergency, by its first asset's reason; `None` for
/// a run in a window.
fn started_emergency(evaluation: &PolicyEvaluation) -> Option<String> {
    let Decision::Start { run } = &evaluation.decision else {
        return None;
    };
    if run.window.is_some() {
        return None;
    }
    let reasons: Vec<String> = evaluation
        .emergencies
        .iter()
        .filter(|e| emergency_trigger(&e.reason) == run.trigger)
        .filter(|e| run.assets.iter().any(|a| a.name == e.asset))
        .map(|e| format!("{}: {}", e.asset, e.reason))
        .collect();
    match reasons.len() {
        0 => None,
        1 => reasons.into_iter().next(),
        more => Some(format!("{} (and {} more assets)", reasons[0], more - 1)),
    }
}

/// How many EPSS rises the status keeps.
const MAX_RECORDED_RISES: usize = 20;

/// The rises seen now, then those recorded before that are not seen now (fixed since, or
/// fallen), at most [`MAX_RECORDED_RISES`]: a rise stays on record after the run it started
/// fixed it.
fn recorded_rises(current: &[threats::EpssRise], stored: &[EpssRise]) -> Vec<EpssRise> {
    let mut rises: Vec<EpssRise> = current.iter().map(epss_rise_status).collect();
    for earlier in stored {
        if rises.len() >= MAX_RECORDED_RISES {
            break;
        }
        let seen = rises
            .iter()
            .any(|r| r.asset == earlier.asset && r.finding == earlier.finding);
        if !seen {
            rises.push(earlier.clone());
        }
    }
    rises
}

fn epss_rise_status(rise: &threats::EpssRise) -> EpssRise {
    EpssRise {
        asset: rise.asset.clone(),
        finding: rise.finding.clone(),
        epss: rise.probability(),
        feed_date: rise.feed_date.clone(),
        message: rise.to_string(),
    }
}

/// "N of M assets compliant (P%)", and what is held back and why when anything is.
fn compliance_message(evaluation: &PolicyEvaluation) -> String {
    let summary = evaluation.compliance;
    let compliant = format!(
        "{} of {} assets compliant ({:.1}%)",
        summary.compliant, summary.assets, summary.percent
    );
    match held_back_note(&evaluation.verdicts) {
        Some(note) => format!("{compliant}; {note}"),
        None => compliant,
    }
}

/// The Event message for the assets whose SLA forecast became breached since `stored`, or
/// `None` when none did (one Event per transition, not per reconcile).
fn newly_breached(stored: &PatchPolicyStatus, desired: &PatchPolicyStatus) -> Option<String> {
    let was_breached = |asset: &str| {
        stored
            .sla_forecasts
            .iter()
            .any(|f| f.breached && f.asset == asset)
    };
    let messages: Vec<String> = desired
        .sla_forecasts
        .iter()
        .filter(|f| f.breached && !was_breached(&f.asset))
        .map(|f| format!("{}: {}", f.asset, f.message))
        .collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

/// The observed fields of the status.
fn fill(
    desired: &mut PatchPolicyStatus,
    observed: &Observed,
    evaluation: &PolicyEvaluation,
    created: Option<&str>,
) {
    desired.compliance = Some(compliance_summary(evaluation.compliance));
    desired.open_findings = Some(observed.open_findings.clone());
    desired.sla_forecasts = evaluation
        .sla_forecasts
        .iter()
        .filter_map(|f| {
            Some(SlaForecast {
                asset: f.asset.clone(),
                deadline: to_k8s(f.forecast.deadline()?.at),
                breached: matches!(f.forecast, Forecast::Breached { .. }),
                message: f.forecast.to_string(),
            })
        })
        .collect();
    desired.assets_out_of_sla =
        u32::try_from(desired.sla_forecasts.iter().filter(|f| f.breached).count())
            .unwrap_or(u32::MAX);
    desired.next_window = evaluation.next_window.as_ref().map(|w| NextWindow {
        name: w.window.clone(),
        opens_at: to_k8s(w.opening.opens_at),
        closes_at: to_k8s(w.opening.closes_at),
    });
    desired.active_run = created
        .map(str::to_string)
        .or_else(|| evaluation.runs.active.clone());
    desired.last_run = evaluation
        .runs
        .last_finished
        .as_deref()
        .and_then(|name| observed.run(name))
        .map(|run| RunReference {
            name: run.name_any(),
            phase: run.status.as_ref().map(|s| s.phase).unwrap_or_default(),
            finished_at: run.status.as_ref().and_then(|s| s.finished_at.clone()),
        });
}

fn compliance_summary(compliance: Compliance) -> ComplianceSummary {
    ComplianceSummary {
        assets: compliance.assets,
        compliant: compliance.compliant,
        pending: compliance.pending,
        failed: compliance.failed,
        percent: compliance.percent,
    }
}

/// "PatchRun NAME started" or the active run's own message.
fn progress_message(
    observed: &Observed,
    evaluation: &PolicyEvaluation,
    created: Option<&str>,
) -> Option<String> {
    if let Some(run) = created {
        return Some(format!("PatchRun {run} started"));
    }
    let active = evaluation.runs.active.as_deref()?;
    let message = observed
        .run(active)
        .and_then(|r| r.status.as_ref())
        .and_then(|s| s.message.clone())
        .unwrap_or_else(|| String::from("pending"));
    Some(format!("PatchRun {active}: {message}"))
}

/// The reason and message of `Degraded` when the last finished run did not succeed.
fn degraded(observed: &Observed, evaluation: &PolicyEvaluation) -> Option<(&'static str, String)> {
    let Some(run) = evaluation
        .runs
        .last_failed
        .as_deref()
        .and_then(|name| observed.run(name))
    else {
        return stalled_members(observed).map(|message| (reason::MEMBERS_STALLED, message));
    };
    let run_status = run.status.clone().unwrap_or_default();
    let reason = if run_status.phase == RunPhase::Halted {
        reason::RUN_HALTED
    } else {
        reason::FAILED
    };
    let message = format!(
        "PatchRun {} {:?}: {}",
        run.name_any(),
        run_status.phase,
        run_status.message.unwrap_or_default()
    );
    Some((reason, message))
}

/// The members set aside because they cannot be reached, named with their reasons.
fn stalled_members(observed: &Observed) -> Option<String> {
    (!observed.stalled.is_empty()).then(|| {
        format!(
            "{} assets cannot be reached and are left out until they can: {}",
            observed.stalled.len(),
            observed.stalled.join(", ")
        )
    })
}

/// `Ready` when no run is active and none failed: waiting for assessments, suspended, plan
/// mode, waiting for a window, or done.
fn ready_when_idle(
    observed: &Observed,
    evaluation: &PolicyEvaluation,
    compliant_message: &str,
) -> (&'static str, &'static str, String) {
    if !observed.unassessed.is_empty() {
        return (
            c::FALSE,
            reason::DEPENDENCY_NOT_READY,
            format!(
                "waiting for the assessment of {} assets ({})",
                observed.unassessed.len(),
                observed.unassessed.join(", ")
            ),
        );
    }
    if let Some(message) = stalled_members(observed) {
        return (c::FALSE, reason::MEMBERS_STALLED, message);
    }
    match &evaluation.decision {
        Decision::Hold {
            reason: HoldCause::Suspended,
        } => (
            c::TRUE,
            reason::SUSPENDED,
            format!("suspended; {compliant_message}"),
        ),
        Decision::Hold {
            reason: HoldCause::PlanOnly,
        } => (
            c::TRUE,
            reason::PLAN_ONLY,
            format!("plan mode: {compliant_message}"),
        ),
        Decision::WaitForWindow {
            assets,
            window,
            until,
        } => {
            let waiting = match (window, until) {
                (Some(window), Some(at)) => format!(
                    "{assets} assets have approved patches; waiting for window {window} at {}",
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
                _ => format!(
                    "{assets} assets have approved patches, but no maintenance window opens"
                ),
            };
            (
                c::TRUE,
                reason::WAITING_FOR_WINDOW,
                format!("{waiting}; {compliant_message}"),
            )
        }
        _ => (c::TRUE, reason::SUCCEEDED, compliant_message.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now_rising(finding: &str) -> threats::EpssRise {
        threats::EpssRise {
            asset: "web-1".into(),
            finding: finding.into(),
            epss: 800,
            threshold: 500,
            feed_date: Some("2026-12-02".into()),
        }
    }

    fn on_record(finding: &str) -> EpssRise {
        epss_rise_status(&threats::EpssRise {
            feed_date: Some("2026-12-01".into()),
            ..now_rising(finding)
        })
    }

    #[test]
    fn a_rise_stays_on_record_after_it_is_fixed_and_the_record_is_bounded() {
        let rises = recorded_rises(&[now_rising("CVE-2026-2")], &[on_record("CVE-2026-1")]);
        let findings: Vec<&str> = rises.iter().map(|r| r.finding.as_str()).collect();
        assert_eq!(findings, ["CVE-2026-2", "CVE-2026-1"]);
        // Seen again now: the current one replaces the record.
        let again = recorded_rises(&[now_rising("CVE-2026-1")], &[on_record("CVE-2026-1")]);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].feed_date.as_deref(), Some("2026-12-02"));
        let many: Vec<EpssRise> = (0..30)
            .map(|i| on_record(&format!("CVE-2026-{i}")))
            .collect();
        assert_eq!(recorded_rises(&[], &many).len(), MAX_RECORDED_RISES);
    }
}
