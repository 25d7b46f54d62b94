//! The PatchPolicy controller: evaluates approval over the assessed members of a policy's
//! groups, reports compliance, open findings and the next window, and — inside a window, or
//! out of window for an allowed emergency — freezes the approved patches into a PatchRun.
//!
//! Pipeline: observe (the policy, its groups and windows, member assessments, its runs) →
//! validate (spec into core rules; dangling references are terminal) → decide (approval per
//! asset, compliance, whether and what to run) → act (create the PatchRun) → write status.
//! A failed run is not retried with the same plan until the policy changes or a reconcile is
//! requested: the policy stays `Degraded` and says why.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{ListParams, PostParams};
use kube::runtime::controller::Action;
use kube::runtime::{Controller, watcher};
use kube::{Resource, ResourceExt};
use patchwarden_api::asset::{Asset, PatchState};
use patchwarden_api::asset_group::AssetGroup;
use patchwarden_api::conditions::{self as c, reason};
use patchwarden_api::maintenance_window::MaintenanceWindow;
use patchwarden_api::patch_policy::{
    ComplianceSummary, NextWindow, PatchPolicy, PatchPolicyStatus, PolicyMode, RunReference,
    SeverityCounts, SlaForecast,
};
use patchwarden_api::patch_run::{
    PatchRun, PatchRunSpec, PlannedAsset, PlannedPackage, RunLimits, RunTrigger, Wave,
};
use patchwarden_api::time::to_k8s;
use patchwarden_api::{CheckSpec, labels};
use patchwarden_core::approval::{ApprovalPolicy, UpgradeCandidate};
use patchwarden_core::rollout::{self, PlanAsset};
use patchwarden_core::sla::{self, EmergencyRule, SlaFinding};
use patchwarden_core::window::{self, WindowDefinition};
use tokio::sync::watch;

use super::error::ReconcileError;
use super::{
    Context, drive, mark_abnormal, mark_ready, now, object_key, requeue_at, stall, status, stopped,
};

/// Controller name in logs and metrics.
pub const NAME: &str = "PatchPolicy";

/// Annotation on a PatchRun: the policy generation it was planned from.
pub const POLICY_GENERATION_ANNOTATION: &str = "patchwarden.io/policy-generation";
/// Annotation on a PatchRun: the policy's `requestedAt` value when it was planned.
pub const POLICY_REQUEST_ANNOTATION: &str = "patchwarden.io/policy-requested-at";

/// Re-evaluation interval without triggering changes.
const RESYNC: Duration = Duration::from_secs(60);
/// Re-evaluation interval while waiting for assessments or a run.
const SOON: Duration = Duration::from_secs(5);

/// Runs the controller until `stop` turns true. Policies are evaluated again whenever an
/// Asset, AssetGroup or MaintenanceWindow changes, and whenever one of their runs changes.
pub async fn run(context: Arc<Context>, stop: watch::Receiver<bool>) {
    let changes = futures::stream::select_all([
        watcher::watcher(context.api::<Asset>(), watcher::Config::default())
            .map(|_| ())
            .boxed(),
        watcher::watcher(context.api::<AssetGroup>(), watcher::Config::default())
            .map(|_| ())
            .boxed(),
        watcher::watcher(
            context.api::<MaintenanceWindow>(),
            watcher::Config::default(),
        )
        .map(|_| ())
        .boxed(),
    ]);
    let controller = Controller::new(context.api::<PatchPolicy>(), watcher::Config::default())
        .owns(context.api::<PatchRun>(), watcher::Config::default())
        .reconcile_all_on(changes)
        .with_config(
            kube::runtime::controller::Config::default().debounce(Duration::from_millis(500)),
        )
        .graceful_shutdown_on(stopped(stop));
    drive(NAME, controller, context, reconcile).await;
}

/// One member asset's standing under the policy.
#[derive(Debug, Clone)]
pub struct MemberVerdict {
    /// Asset name.
    pub name: String,
    /// Group the asset came from.
    pub group: String,
    /// The asset's risk score.
    pub risk: f64,
    /// Approved upgrades.
    pub approved: Vec<UpgradeCandidate>,
    /// The asset's patch state.
    pub state: Option<PatchState>,
    /// SLA view of the findings its approved upgrades fix.
    pub sla: Vec<SlaFinding>,
}

impl MemberVerdict {
    fn compliant(&self) -> bool {
        self.approved.is_empty()
            && !matches!(
                self.state,
                Some(PatchState::Failed | PatchState::Unreachable | PatchState::Quarantined)
            )
    }

    fn failed(&self) -> bool {
        matches!(
            self.state,
            Some(PatchState::Failed | PatchState::Unreachable | PatchState::Quarantined)
        )
    }
}

/// Compliance counts of the verdicts.
pub fn compliance(verdicts: &[MemberVerdict]) -> ComplianceSummary {
    let assets = u32::try_from(verdicts.len()).unwrap_or(u32::MAX);
    let compliant = u32::try_from(verdicts.iter().filter(|v| v.compliant()).count()).unwrap_or(0);
    let failed = u32::try_from(verdicts.iter().filter(|v| v.failed()).count()).unwrap_or(0);
    let pending = assets.saturating_sub(compliant).saturating_sub(failed);
    let percent = if assets == 0 {
        100.0
    } else {
        (f64::from(compliant) * 1000.0 / f64::from(assets)).round() / 10.0
    };
    ComplianceSummary {
        assets,
        compliant,
        pending,
        failed,
        percent,
    }
}

/// The frozen plan of a run over the verdicts with approved upgrades.
pub fn run_spec(
    policy: &PatchPolicy,
    verdicts: &[&MemberVerdict],
    only_known_exploited: bool,
    window: Option<(&str, &window::Opening)>,
    trigger: RunTrigger,
) -> Result<PatchRunSpec, String> {
    let settings = policy
        .spec
        .core_rollout_settings()
        .map_err(|e| e.to_string())?;
    let mut assets = Vec::new();
    let mut plan_assets = Vec::new();
    for verdict in verdicts {
        let packages: Vec<PlannedPackage> = verdict
            .approved
            .iter()
            .filter(|c| !only_known_exploited || c.known_exploited)
            .map(|c| PlannedPackage {
                name: c.package.clone(),
                from: c.installed_version.clone(),
                to: c.candidate_version.clone(),
                fixes: c.cve_ids.clone(),
            })
            .collect();
        if packages.is_empty() {
            continue;
        }
        assets.push(PlannedAsset {
            name: verdict.name.clone(),
            packages,
            reboot_expected: false,
        });
        plan_assets.push(PlanAsset {
            name: verdict.name.clone(),
            group: None,
            risk: verdict.risk,
            estimated_duration: None,
        });
    }
    let plan = rollout::plan_rollout(&object_key(policy), &plan_assets, &settings);
    let rollout = &policy.spec.rollout;
    Ok(PatchRunSpec {
        policy: Some(policy.name_any()),
        trigger,
        window: window.map(|(name, _)| name.to_string()),
        start_deadline: window.map(|(_, opening)| to_k8s(opening.cutoff_at)),
        assets,
        waves: plan
            .waves
            .iter()
            .map(|w| Wave {
                assets: w.assets.clone(),
                canary: w.canary,
            })
            .collect(),
        limits: RunLimits {
            max_unavailable: plan.max_unavailable.get("").copied().unwrap_or(1),
            max_failures: plan.max_failures,
            pause_between_waves: rollout.pause_between_waves.clone(),
            rollback_on_failure: rollout.rollback_on_failure,
            reboot: policy.spec.reboot,
            health_checks: rollout.health_checks.clone(),
            hooks: policy.spec.hooks.clone(),
        },
        suspend: false,
    })
}

async fn reconcile(
    object: Arc<PatchPolicy>,
    context: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let policy = object.as_ref();
    let policies = context.api_for::<PatchPolicy, _>(policy);
    let now = now();
    let generation = policy.metadata.generation;
    let namespace = policy
        .namespace()
        .unwrap_or_else(|| String::from("default"));
    let name = policy.name_any();
    let stored = policy.status.clone().unwrap_or_default();
    let requested_at = super::reconcile_requested_at(policy);
    let mut desired = PatchPolicyStatus {
        conditions: stored.conditions.clone(),
        observed_generation: generation,
        last_handled_reconcile_at: requested_at
            .clone()
            .or(stored.last_handled_reconcile_at.clone()),
        ..PatchPolicyStatus::default()
    };

    // Validate the spec.
    let errors = policy.spec_errors();
    if !errors.is_empty() {
        let message = errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        return stall(
            &policies,
            policy,
            &mut desired,
            reason::INVALID_SPEC,
            &message,
            now,
        )
        .await;
    }
    let approval: ApprovalPolicy = match policy.spec.compile_approval() {
        Ok(a) => a,
        Err(e) => {
            return stall(
                &policies,
                policy,
                &mut desired,
                reason::INVALID_SPEC,
                &e.to_string(),
                now,
            )
            .await;
        }
    };

    // Observe and validate references.
    let groups_api = context.api_for::<AssetGroup, _>(policy);
    let windows_api = context.api_for::<MaintenanceWindow, _>(policy);
    let mut groups = Vec::new();
    for (index, group) in policy.spec.asset_groups.iter().enumerate() {
        match groups_api.get_opt(group).await? {
            Some(found) => groups.push(found),
            None => {
                let message = format!(
                    "spec.assetGroups[{index}]: AssetGroup {group:?} does not exist in namespace {namespace}"
                );
                return stall(
                    &policies,
                    policy,
                    &mut desired,
                    reason::REFERENCE_NOT_FOUND,
                    &message,
                    now,
                )
                .await;
            }
        }
    }
    let mut windows: Vec<(String, WindowDefinition)> = Vec::new();
    for (index, window_name) in policy.spec.maintenance_windows.iter().enumerate() {
        let found = windows_api.get_opt(window_name).await?;
        let Some(found) = found else {
            let message = format!(
                "spec.maintenanceWindows[{index}]: MaintenanceWindow {window_name:?} does not exist in namespace {namespace}"
            );
            return stall(
                &policies,
                policy,
                &mut desired,
                reason::REFERENCE_NOT_FOUND,
                &message,
                now,
            )
            .await;
        };
        match super::maintenance_window::window_definition(&found.spec) {
            Ok(definition) => windows.push((window_name.clone(), definition)),
            Err(e) => {
                let message = format!(
                    "spec.maintenanceWindows[{index}]: MaintenanceWindow {window_name:?} is invalid: {e}"
                );
                return stall(
                    &policies,
                    policy,
                    &mut desired,
                    reason::DEPENDENCY_NOT_READY,
                    &message,
                    now,
                )
                .await;
            }
        }
    }

    // Observe members and their assessments.
    let all_assets = context.assets_by_name(policy).await?;
    let mut verdicts: Vec<MemberVerdict> = Vec::new();
    let mut unassessed = Vec::new();
    let mut open = SeverityCounts::default();
    for group in &groups {
        let group_ready = group.status.as_ref().is_some_and(|s| {
            s.observed_generation == group.metadata.generation
                && c::is_true(&s.conditions, c::READY)
        });
        if !group_ready {
            unassessed.push(format!("AssetGroup {}", group.name_any()));
            continue;
        }
        let members = group
            .status
            .as_ref()
            .map(|s| s.members.clone())
            .unwrap_or_default();
        for member in members {
            if verdicts.iter().any(|v| v.name == member) {
                continue;
            }
            let Some(asset) = all_assets.get(&member) else {
                unassessed.push(member);
                continue;
            };
            // An asset released by a run is re-read before it counts again.
            let requested = super::reconcile_requested_at(asset);
            let handled = asset
                .status
                .as_ref()
                .and_then(|s| s.last_handled_reconcile_at.clone());
            if requested.is_some() && requested != handled {
                unassessed.push(member);
                continue;
            }
            let key = object_key(asset);
            let Some(assessment) = context.assessment.get(&key) else {
                unassessed.push(member);
                continue;
            };
            let s = &assessment.summary;
            open.critical += s.critical;
            open.high += s.high;
            open.medium += s.medium;
            open.low += s.low;
            open.other += s.negligible + s.unknown;
            open.known_exploited += s.known_exploited;
            let outcome = approval.approve(&assessment.candidates, now);
            let approved_packages: Vec<&str> = outcome
                .approved
                .iter()
                .map(|c| c.package.as_str())
                .collect();
            let sla = assessment
                .sla
                .iter()
                .filter(|(package, _)| approved_packages.contains(&package.as_str()))
                .map(|(_, finding)| finding.clone())
                .collect();
            verdicts.push(MemberVerdict {
                sla,
                name: member,
                group: group.name_any(),
                risk: s.risk_score.unwrap_or(0.0),
                approved: outcome.approved,
                state: asset.status.as_ref().and_then(|st| st.patch_state),
            });
        }
    }
    let approvals: Vec<(String, bool)> = verdicts
        .iter()
        .map(|v| (format!("{namespace}/{}", v.name), !v.approved.is_empty()))
        .collect();
    context
        .assessment
        .set_approvals(&object_key(policy), &approvals);
    let summary = compliance(&verdicts);
    desired.compliance = Some(summary.clone());
    desired.open_findings = Some(open);

    // Windows.
    let definitions: Vec<WindowDefinition> = windows.iter().map(|(_, d)| d.clone()).collect();
    let open_window = windows.iter().find_map(|(n, d)| {
        window::current_opening(d, now)
            .filter(|o| o.may_start_at(now))
            .map(|o| (n.clone(), o))
    });
    let next = windows
        .iter()
        .filter_map(|(n, d)| {
            window::current_opening(d, now)
                .filter(|o| o.may_start_at(now))
                .or_else(|| window::next_openings(d, now, 1).into_iter().next())
                .map(|o| (n.clone(), o))
        })
        .min_by_key(|(_, o)| o.opens_at);
    // SLA: assets whose deadline has passed or will pass before a window lets work start.
    if let Ok(rules) = policy.spec.sla_rules() {
        let mut forecasts: Vec<SlaForecast> = verdicts
            .iter()
            .filter(|v| !v.approved.is_empty())
            .filter_map(|v| {
                let forecast = sla::forecast(&rules, &v.sla, &definitions, now);
                let deadline = forecast.deadline()?.at;
                forecast.is_at_risk().then(|| SlaForecast {
                    asset: v.name.clone(),
                    deadline: to_k8s(deadline),
                    breached: matches!(forecast, sla::Forecast::Breached { .. }),
                    message: forecast.to_string(),
                })
            })
            .collect();
        forecasts.sort_by_key(|f| f.deadline.0);
        desired.assets_out_of_sla =
            u32::try_from(forecasts.iter().filter(|f| f.breached).count()).unwrap_or(u32::MAX);
        desired.sla_forecasts = forecasts;
    }
    desired.next_window = next.as_ref().map(|(n, o)| NextWindow {
        name: n.clone(),
        opens_at: to_k8s(o.opens_at),
        closes_at: to_k8s(o.closes_at),
    });

    // Runs.
    let runs_api = context.api_for::<PatchRun, _>(policy);
    let mut runs: Vec<PatchRun> = runs_api
        .list(&ListParams::default().labels(&format!("{}={name}", labels::POLICY)))
        .await?
        .items;
    runs.sort_by_key(|r| r.metadata.creation_timestamp.clone().map(|t| t.0));
    let active = runs.iter().find(|r| {
        !r.status
            .as_ref()
            .is_some_and(|s| s.phase.is_finished() && s.finished_at.is_some())
    });
    let last_finished = runs.iter().rev().find(|r| {
        r.status
            .as_ref()
            .is_some_and(|s| s.phase.is_finished() && s.finished_at.is_some())
    });
    desired.active_run = active.map(ResourceExt::name_any);
    desired.last_run = last_finished.map(|r| RunReference {
        name: r.name_any(),
        phase: r.status.as_ref().map(|s| s.phase).unwrap_or_default(),
        finished_at: r.status.as_ref().and_then(|s| s.finished_at.clone()),
    });
    let last_failed = last_finished.filter(|r| {
        r.status
            .as_ref()
            .is_some_and(|s| s.phase != patchwarden_api::RunPhase::Succeeded)
    });
    // A failed run blocks new runs of the same policy generation and reconcile request.
    let retry_blocked = last_failed.is_some_and(|r| {
        let annotations = r.annotations();
        annotations.get(POLICY_GENERATION_ANNOTATION) == generation.map(|g| g.to_string()).as_ref()
            && annotations.get(POLICY_REQUEST_ANNOTATION) == requested_at.as_ref()
    });

    // Decide.
    let with_patches: Vec<&MemberVerdict> =
        verdicts.iter().filter(|v| !v.approved.is_empty()).collect();
    let rules = policy.spec.emergency_rules();
    let never = rules.contains(&EmergencyRule::Never);
    let emergency_allowed = rules.contains(&EmergencyRule::KnownExploited) && !never;
    let sla_emergency_allowed = rules.contains(&EmergencyRule::SlaBreach) && !never;
    // Assets whose SLA deadline passes before any window lets work start.
    let at_risk: Vec<&MemberVerdict> = with_patches
        .iter()
        .copied()
        .filter(|v| desired.sla_forecasts.iter().any(|f| f.asset == v.name))
        .collect();
    let kev_members: Vec<&MemberVerdict> = with_patches
        .iter()
        .copied()
        .filter(|v| v.approved.iter().any(|c| c.known_exploited))
        .collect();
    let enforce = policy.spec.mode == PolicyMode::Enforce && !policy.spec.suspend;
    let mut created: Option<String> = None;
    let mut waiting_message: Option<String> = None;
    let mut requeue: Option<DateTime<Utc>> = None;
    if enforce
        && active.is_none()
        && !retry_blocked
        && unassessed.is_empty()
        && !with_patches.is_empty()
    {
        let plan = if let Some((window_name, opening)) = &open_window {
            Some(run_spec(
                policy,
                &with_patches,
                false,
                Some((window_name.as_str(), opening)),
                RunTrigger::Scheduled,
            ))
        } else if emergency_allowed && !kev_members.is_empty() {
            Some(run_spec(
                policy,
                &kev_members,
                true,
                None,
                RunTrigger::KnownExploited,
            ))
        } else if sla_emergency_allowed && !at_risk.is_empty() {
            Some(run_spec(
                policy,
                &at_risk,
                false,
                None,
                RunTrigger::SlaBreach,
            ))
        } else {
            None
        };
        match plan {
            Some(Ok(spec)) => {
                let run_name = format!("{name}-{}", now.format("%Y%m%d-%H%M%S"));
                let mut annotations = BTreeMap::from([(
                    POLICY_GENERATION_ANNOTATION.to_string(),
                    generation.unwrap_or(0).to_string(),
                )]);
                if let Some(token) = &requested_at {
                    annotations.insert(POLICY_REQUEST_ANNOTATION.to_string(), token.clone());
                }
                let run = PatchRun {
                    metadata: ObjectMeta {
                        name: Some(run_name.clone()),
                        namespace: Some(namespace.clone()),
                        labels: Some(BTreeMap::from([
                            (labels::POLICY.to_string(), name.clone()),
                            (
                                labels::MANAGED_BY.to_string(),
                                labels::MANAGED_BY_VALUE.to_string(),
                            ),
                        ])),
                        annotations: Some(annotations),
                        owner_references: policy.controller_owner_ref(&()).map(|o| vec![o]),
                        ..ObjectMeta::default()
                    },
                    spec,
                    status: None,
                };
                match runs_api.create(&PostParams::default(), &run).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(e)) if e.code == 409 => {}
                    Err(e) => return Err(e.into()),
                }
                let trigger = run.spec.trigger;
                let assets = run.spec.assets.len();
                context
                    .events
                    .normal(
                        policy,
                        "RunCreated",
                        format!("created PatchRun {run_name} ({trigger:?}) for {assets} assets"),
                    )
                    .await;
                desired.active_run = Some(run_name.clone());
                created = Some(run_name);
            }
            Some(Err(message)) => {
                return stall(
                    &policies,
                    policy,
                    &mut desired,
                    reason::INVALID_SPEC,
                    &message,
                    now,
                )
                .await;
            }
            None => {
                let at = window::next_start_opportunity(&definitions, now);
                requeue = at;
                waiting_message = Some(match (&next, at) {
                    (Some((n, _)), Some(t)) => format!(
                        "{} assets have approved patches; waiting for window {n} at {}",
                        with_patches.len(),
                        t.format("%Y-%m-%d %H:%M UTC")
                    ),
                    _ => format!(
                        "{} assets have approved patches, but no maintenance window opens",
                        with_patches.len()
                    ),
                });
            }
        }
    }

    // Conditions.
    let progressing = desired.active_run.clone();
    let progress_message = match (&created, active) {
        (Some(run), _) => Some(format!("PatchRun {run} started")),
        (None, Some(run)) => Some(format!(
            "PatchRun {}: {}",
            run.name_any(),
            run.status
                .as_ref()
                .and_then(|s| s.message.clone())
                .unwrap_or_else(|| String::from("pending"))
        )),
        _ => None,
    };
    mark_abnormal(
        &mut desired.conditions,
        c::PROGRESSING,
        progress_message
            .as_deref()
            .map(|m| (reason::PROGRESSING, m)),
        generation,
        now,
    );
    mark_abnormal(
        &mut desired.conditions,
        c::RECONCILING,
        progress_message
            .as_deref()
            .map(|m| (reason::PROGRESSING, m)),
        generation,
        now,
    );
    let degraded_message = last_failed.filter(|_| progressing.is_none()).map(|r| {
        let run_status = r.status.clone().unwrap_or_default();
        format!(
            "PatchRun {} {:?}: {}",
            r.name_any(),
            run_status.phase,
            run_status.message.unwrap_or_default()
        )
    });
    let degraded_reason = last_failed
        .and_then(|r| r.status.as_ref())
        .map(|s| {
            if s.phase == patchwarden_api::RunPhase::Halted {
                reason::RUN_HALTED
            } else {
                reason::FAILED
            }
        })
        .unwrap_or(reason::FAILED);
    mark_abnormal(
        &mut desired.conditions,
        c::DEGRADED,
        degraded_message.as_deref().map(|m| (degraded_reason, m)),
        generation,
        now,
    );
    let compliant = summary.compliant == summary.assets && unassessed.is_empty();
    let compliant_message = format!(
        "{} of {} assets compliant ({:.1}%)",
        summary.compliant, summary.assets, summary.percent
    );
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
    let (ready, ready_reason, ready_message) = if let Some(message) = &degraded_message {
        (c::FALSE, degraded_reason, message.clone())
    } else if let Some(message) = &progress_message {
        (c::FALSE, reason::PROGRESSING, message.clone())
    } else if !unassessed.is_empty() {
        (
            c::FALSE,
            reason::DEPENDENCY_NOT_READY,
            format!(
                "waiting for the assessment of {} assets ({})",
                unassessed.len(),
                unassessed.join(", ")
            ),
        )
    } else if policy.spec.suspend {
        (
            c::TRUE,
            reason::SUSPENDED,
            format!("suspended; {compliant_message}"),
        )
    } else if policy.spec.mode == PolicyMode::Plan {
        (
            c::TRUE,
            reason::PLAN_ONLY,
            format!("plan mode: {compliant_message}"),
        )
    } else if let Some(message) = &waiting_message {
        (
            c::TRUE,
            reason::WAITING_FOR_WINDOW,
            format!("{message}; {compliant_message}"),
        )
    } else {
        (c::TRUE, reason::SUCCEEDED, compliant_message.clone())
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
    status::write_status(&policies, policy, &desired).await?;
    if degraded_message.is_some() && !was_degraded {
        context
            .events
            .warning(
                policy,
                "Degraded",
                degraded_message.clone().unwrap_or_default(),
            )
            .await;
    }
    Ok(if progressing.is_some() || !unassessed.is_empty() {
        Action::requeue(SOON)
    } else if let Some(at) = requeue {
        requeue_at(at, now)
    } else {
        Action::requeue(RESYNC)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchwarden_api::PatchPolicySpec;
    use patchwarden_api::patch_policy::Rollout;
    use patchwarden_api::values::CountOrPercentValue;
    use patchwarden_core::Severity;

    fn candidate(package: &str, kev: bool) -> UpgradeCandidate {
        UpgradeCandidate {
            package: package.to_string(),
            source_package: None,
            installed_version: "1.0-1".into(),
            candidate_version: "1.0-2".into(),
            severity: Severity::High,
            published: None,
            known_exploited: kev,
            cve_ids: vec![format!("CVE-2026-{}", package.len())],
            security: true,
        }
    }

    fn verdict(
        name: &str,
        approved: Vec<UpgradeCandidate>,
        state: Option<PatchState>,
    ) -> MemberVerdict {
        MemberVerdict {
            name: name.to_string(),
            group: "g".into(),
            risk: 1.0,
            approved,
            state,
            sla: Vec::new(),
        }
    }

    #[test]
    fn compliance_counts_pending_and_failed_assets_and_rounds_the_percentage() {
        let verdicts = vec![
            verdict("a", vec![], Some(PatchState::Compliant)),
            verdict(
                "b",
                vec![candidate("openssl", false)],
                Some(PatchState::Pending),
            ),
            verdict("c", vec![], Some(PatchState::Unreachable)),
        ];
        let summary = compliance(&verdicts);
        assert_eq!(
            (
                summary.assets,
                summary.compliant,
                summary.pending,
                summary.failed
            ),
            (3, 1, 1, 1)
        );
        assert_eq!(summary.percent, 33.3);
        assert_eq!(compliance(&[]).percent, 100.0);
    }

    #[test]
    fn an_emergency_plan_carries_only_known_exploited_fixes_with_a_canary_first() {
        let mut policy = PatchPolicy::new(
            "p",
            PatchPolicySpec {
                asset_groups: vec!["g".into()],
                rollout: Rollout {
                    canary: Some(CountOrPercentValue::Count(1)),
                    max_unavailable: Some(CountOrPercentValue::Count(2)),
                    ..Rollout::default()
                },
                ..PatchPolicySpec::default()
            },
        );
        policy.metadata.namespace = Some("default".into());
        let a = verdict(
            "a",
            vec![candidate("openssl", true), candidate("jq", false)],
            None,
        );
        let b = verdict("b", vec![candidate("jq", false)], None);
        let c = verdict("c", vec![candidate("openssl", true)], None);
        let spec = run_spec(
            &policy,
            &[&a, &b, &c],
            true,
            None,
            RunTrigger::KnownExploited,
        )
        .expect("plan");
        let names: Vec<&str> = spec.assets.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
        assert!(
            spec.assets
                .iter()
                .all(|x| x.packages.iter().all(|p| p.name == "openssl"))
        );
        assert!(spec.waves[0].canary && spec.waves[0].assets.len() == 1);
        assert_eq!(spec.limits.max_unavailable, 2);
        assert_eq!(spec.trigger, RunTrigger::KnownExploited);
        assert!(spec.window.is_none());
    }
}
