//! The PatchPolicy controller: reports compliance, open findings, SLA forecasts and the next
//! window of a policy, and — inside a window, or out of window for an allowed emergency —
//! freezes the approved patches into a PatchRun.
//!
//! Pipeline: [`observe`] (the policy's groups, windows, member assets and runs; dangling
//! references are terminal) → validate (the spec into core rules) → decide (one call of
//! `core::policy::evaluate`) → [`act`] (create the PatchRun) → [`status`] (write what was
//! decided). A failed run is not retried with the same plan until the policy changes or a
//! reconcile is requested: the policy stays `Degraded` and says why.

mod act;
mod asset_trigger;
mod compliance;
mod drain_preflight;
mod history;
mod incident;
mod load;
pub mod observe;
mod status;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use kube::runtime::controller::Action;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{Controller, PredicateConfig, WatchStreamExt, watcher};
use patchwarden_api::CheckSpec;
use patchwarden_api::asset::Asset;
use patchwarden_api::asset_group::AssetGroup;
use patchwarden_api::maintenance_window::MaintenanceWindow;
use patchwarden_api::patch_policy::{PatchPolicy, PatchPolicyStatus};
use patchwarden_api::patch_run::PatchRun;
use patchwarden_core::policy::{self, Decision, PolicyInput};
use tokio::sync::watch;

use super::cache_ready::cache_ready;
use super::coalesce::{WorkPace, coalesce};
use super::error::{ReconcileError, Terminal};
use super::predicates::decided_by_others;
use super::wake_stream::wake_on_change;
use super::{Context, drive, now, object_key, requeue_at, stopped};

/// Controller name in logs and metrics.
pub const NAME: &str = "PatchPolicy";

/// Re-evaluation interval without triggering changes.
const RESYNC: Duration = Duration::from_secs(60);
/// Re-evaluation interval while waiting for assessments or a run.
const SOON: Duration = Duration::from_secs(5);
/// A burst of changes (a fleet assessed, a feed load written to every Asset) re-evaluates the
/// policies at once and then at most once per this window until it ends (short: a small
/// fleet's evaluation takes milliseconds, and a run waits for it)...
const TRIGGER_WINDOW: Duration = Duration::from_millis(250);
/// ...or per this many times the time the last evaluations took, when that is longer: a
/// fleet's policies over ten thousand members then take at most a quarter of the time,
/// leaving the rest to assessing the fleet.
const EVALUATION_PACE: u32 = 3;
/// Changes arriving together are evaluated together.
const DEBOUNCE: Duration = Duration::from_millis(100);

/// Runs the controller until `stop` turns true. Policies are evaluated again whenever what
/// they read of an Asset changes (see `asset_trigger`), whenever an asset's assessment or an
/// AssetGroup or MaintenanceWindow changes, whenever one of their runs changes, and
/// whenever the loaded feeds change (a new EPSS score may start an emergency even when no
/// Asset's status changes, and a policy waiting for a window would otherwise sleep until it).
pub async fn run(context: Arc<Context>, stop: watch::Receiver<bool>) {
    // The members are read from this cache of the Assets the trigger watch keeps anyway.
    let (assets, asset_writer) = reflector::store::<Asset>();
    let pace = WorkPace::new(TRIGGER_WINDOW, EVALUATION_PACE);
    let changes = futures::stream::select_all([
        wake_on_change(context.assessment.subscribe()).boxed(),
        wake_on_change(context.assessment.subscribe_assessments()).boxed(),
        asset_trigger::policy_view_changes(
            watcher::watcher(context.api::<Asset>(), watcher::Config::default())
                .default_backoff()
                .map_ok(|event| event.modify(observe::slim))
                .reflect(asset_writer),
        )
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
    // The policy's own status writes start no evaluation (each would evaluate the whole
    // fleet once more for nothing): its spec, labels and annotations do, and so do its runs
    // and the triggers above.
    let (policy_reader, policy_writer) = reflector::store::<PatchPolicy>();
    let policies = watcher::watcher(context.api::<PatchPolicy>(), watcher::Config::default())
        .default_backoff()
        .reflect(policy_writer)
        .applied_objects()
        .predicate_filter(decided_by_others, PredicateConfig::default());
    let controller = Controller::for_stream(policies, policy_reader)
        .owns(context.api::<PatchRun>(), watcher::Config::default())
        .reconcile_all_on(coalesce(changes, pace.clone()))
        .with_config(kube::runtime::controller::Config::default().debounce(DEBOUNCE))
        .graceful_shutdown_on(stopped(stop));
    drive(NAME, controller, context, move |object, context| {
        reconcile(object, context, assets.clone(), pace.clone())
    })
    .await;
}

async fn reconcile(
    object: Arc<PatchPolicy>,
    context: Arc<Context>,
    assets: Store<Asset>,
    pace: Arc<WorkPace>,
) -> Result<Action, ReconcileError> {
    // Until the cache holds every Asset, members would look missing.
    cache_ready(&assets)
        .await
        .map_err(|e| ReconcileError::transient("waiting for the Asset cache", e))?;
    let policy = object.as_ref();
    let now = now();
    let requested_at = super::reconcile_requested_at(policy);
    let stored = policy.status.clone().unwrap_or_default();
    let mut desired = PatchPolicyStatus {
        conditions: stored.conditions.clone(),
        observed_generation: policy.metadata.generation,
        last_handled_reconcile_at: requested_at
            .clone()
            .or(stored.last_handled_reconcile_at.clone()),
        ..PatchPolicyStatus::default()
    };

    // Validate the spec, then observe (references that do not resolve are terminal too).
    let spec_errors = policy.spec_errors();
    if !spec_errors.is_empty() {
        let message = spec_errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Terminal::invalid_spec(message).into());
    }
    let rules = policy
        .spec
        .policy_rules(&object_key(policy))
        .map_err(Terminal::invalid_spec)?;
    let observed = observe::observe(&context, policy, &assets).await?;

    // What the fleet's outcomes teach: quarantined versions are held back, canaries cover
    // the members' profiles, waves are sized from predicted durations.
    let (mut rules, mut observed) = (rules, observed);
    let outcomes = super::outcomes::load(&context).await?;
    let deciding = Instant::now();
    let learned = super::outcomes::learn(
        policy,
        &outcomes,
        &mut rules,
        &mut observed.members,
        &observed.os,
        now,
    )?;

    // Decide.
    let evaluation = policy::evaluate(&PolicyInput {
        rules: &rules,
        members: &observed.members,
        unassessed: &observed.unassessed,
        windows: &observed.windows,
        runs: &observed.runs,
        generation: policy.metadata.generation,
        requested_at: requested_at.as_deref(),
        now,
    });
    record_approvals(&context, policy, &observed, &evaluation);
    // The evaluation's own work over the members (no waiting on the control plane in it)
    // paces the triggers.
    pace.worked(observed.members_took + deciding.elapsed());

    // Act.
    let created = match &evaluation.decision {
        Decision::Start { run } => {
            Some(act::create_run(&context, policy, run, &observed.members, now).await?)
        }
        _ => None,
    };

    // What would block draining the policy's nodes, named before a window opens.
    let drained = drain_preflight::drained_nodes(policy, &observed, &assets);
    let preflight = drain_preflight::check(&context.client, &drained).await;
    drain_preflight::set_condition(
        &mut desired.conditions,
        &preflight,
        policy.metadata.generation,
        now,
    );

    // What the next window opening can expect.
    desired.predicted_load = load::predicted_load(&context, &observed, &rules, &evaluation, now);

    // Contain the members in incident, and undo what was done for those no longer in one.
    desired.incidents =
        incident::respond(&context, policy, &observed, &assets, &stored.incidents, now).await;

    // Keep only the newest finished runs the spec asks for; their counts stay in the history.
    history::prune(&context, policy, &observed.run_objects).await?;

    // Compliance profiles: the spec, and the outcomes of the findings in scope.
    desired.compliance_profiles = compliance::profiles(policy, &rules, &observed, now);
    compliance::set_conditions(
        &mut desired.conditions,
        &desired.compliance_profiles,
        policy.metadata.generation,
        now,
    );

    // Quarantines in force, and the outcomes in brief with the next run's estimate.
    desired.quarantined = learned.quarantined;
    let next_run = match &evaluation.decision {
        Decision::Start { run } => Some(run),
        _ => evaluation.scheduled_run.as_ref(),
    };
    desired.outcomes = Some(super::outcomes::apply::summary(
        &outcomes.stats,
        next_run.map(|run| run.plan.estimated_duration),
    ));

    // Write status.
    status::write(
        &context,
        policy,
        &mut desired,
        &stored,
        &observed,
        &evaluation,
        created.as_deref(),
        now,
    )
    .await?;
    Ok(
        if created.is_some() || evaluation.runs.active.is_some() || !observed.unassessed.is_empty()
        {
            Action::requeue(SOON)
        } else if let Decision::WaitForWindow {
            until: Some(at), ..
        } = evaluation.decision
        {
            // Pods and budgets trigger no evaluation: a drain preflight is looked at again
            // every resync while the window is ahead.
            let resync = chrono::TimeDelta::from_std(RESYNC).unwrap_or_default();
            let at = if drained.is_empty() {
                at
            } else {
                at.min(now + resync)
            };
            requeue_at(at, now)
        } else {
            Action::requeue(RESYNC)
        },
    )
}

/// Tells the Asset controller which members this policy approves patches for (their patch
/// state follows it).
fn record_approvals(
    context: &Context,
    policy: &PatchPolicy,
    observed: &observe::Observed,
    evaluation: &policy::PolicyEvaluation,
) {
    let approvals: Vec<(String, bool)> = evaluation
        .verdicts
        .iter()
        .map(|v| (observed.asset_key(&v.name), !v.approved.is_empty()))
        .collect();
    context
        .assessment
        .set_approvals(&object_key(policy), &approvals);
}
