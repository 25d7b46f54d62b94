//! The Asset controller: collects an asset's inventory through its executor, assesses it
//! against the loaded feeds, and reports OS, package count, inventory digest,
//! reboot-required, findings and patch state.
//!
//! Pipeline, one module per step: [`validate`] (the executor that reaches the asset) →
//! [`observe`] (its inventory; its risk context) → [`decide`] (read the inventory, the
//! patch state; the assessment is `assessment::Assessments::assess`, completed by
//! [`sources`] with what the host's package sources offer) → [`status`] (write
//! it, with Events and metrics). An unreachable asset or an inventory that does not parse
//! is a state of the asset, shown in its status, not a failed reconcile.

#[cfg(test)]
mod credentials_tests;
mod decide;
mod observe;
pub(crate) mod sources;
mod status;
mod stored_upgrades;
mod touched;
mod trigger;
mod validate;

use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use kube::Resource;
use kube::runtime::controller::Action;
use kube::runtime::{Controller, PredicateConfig, WatchStreamExt, reflector, watcher};
use patchwarden_api::asset::Asset;
use tokio::sync::watch;

use super::error::ReconcileError;
use super::{Context, drive, now, object_key, stopped};
use stored_upgrades::StoredUpgrades;

pub use validate::{ConnectionError, executor_for};

/// Controller name in logs and metrics.
pub const NAME: &str = "Asset";

/// How often an asset's inventory is re-read without a triggering change.
const RESYNC: Duration = Duration::from_secs(300);
/// How soon an unreachable asset is tried again.
const UNREACHABLE_RETRY: Duration = Duration::from_secs(60);
/// Assets reconciled at once. Unbounded, a feed load starts every asset's reconcile together:
/// thousands of inventories held in memory at once and thousands of requests that overrun the
/// client's connections; assessment is CPU-bound, so a few dozen keep the cores and the
/// executors' round trips busy.
const CONCURRENT_RECONCILES: u16 = 32;

/// Runs the controller until `stop` turns true. An Asset is reconciled again whenever a feed
/// load changed its assessment or the policies' approval of it changed (see `touched`).
pub async fn run(context: Arc<Context>, stop: watch::Receiver<bool>) {
    let touched = touched::refs(context.clone());
    // Filtered, so that the controller's own status writes and the agent exchange do not
    // start reconciles (see `trigger`). The cache holds the Assets without their upgrade
    // lists (see `stored_upgrades`).
    let upgrades = Arc::new(StoredUpgrades::default());
    let (reader, writer) = reflector::store();
    let cached = upgrades.clone();
    let assets = watcher(context.api::<Asset>(), watcher::Config::default())
        .default_backoff()
        .map_ok(move |event| cached.take_from(event))
        .reflect(writer)
        .applied_objects()
        .predicate_filter(trigger::relevant_change, PredicateConfig::default());
    let controller = Controller::for_stream(assets, reader)
        .reconcile_on(touched)
        .with_config(
            kube::runtime::controller::Config::default()
                .debounce(Duration::from_millis(300))
                .concurrency(CONCURRENT_RECONCILES),
        )
        .graceful_shutdown_on(stopped(stop));
    drive(NAME, controller, context, move |object, context| {
        reconcile(object, context, upgrades.clone())
    })
    .await;
}

async fn reconcile(
    object: Arc<Asset>,
    context: Arc<Context>,
    upgrades: Arc<StoredUpgrades>,
) -> Result<Action, ReconcileError> {
    let asset = object.as_ref();
    let key = object_key(asset);
    if asset.meta().deletion_timestamp.is_some() {
        context.metrics.forget_asset(&key);
        context.assessment.forget(&key);
        return Ok(Action::await_change());
    }
    let report = status::Report::new(&context, asset, upgrades.of(&key), now());
    if asset.spec.suspend {
        report.suspended().await?;
        return Ok(Action::await_change());
    }
    let (executor, target) = validate::executor_for(&context, asset).await?;
    let raw = match observe::inventory(executor.as_ref(), &target).await? {
        observe::Reached::Inventory(raw) => raw,
        observe::Reached::Unreachable(error) => {
            report.unreachable(error).await?;
            return Ok(Action::requeue(UNREACHABLE_RETRY));
        }
    };
    let known = context
        .assessment
        .kept_inventory(&key, &decide::inventory_digest(&raw));
    let read = match decide::read_inventory(&raw, known, |text| {
        context.assessment.read_dpkg_status(text)
    }) {
        Ok(read) => read,
        // A database that does not parse is the asset's problem, not a retry's.
        Err(unreadable) => {
            report.unreadable(&unreadable).await?;
            return Ok(Action::requeue(RESYNC));
        }
    };
    let (criticality, exposure) = observe::risk_context(&context, asset).await?;
    let assessment = context.assessment.assess(
        &key,
        read.os.ecosystem.as_deref(),
        criticality,
        exposure,
        &read.packages,
        &read.digest,
    );
    let assessment = match assessment {
        Some(assessed) => Some(
            sources::complete(
                &context.assessment,
                &key,
                read.os.ecosystem.as_deref(),
                executor.as_ref(),
                &target,
                &assessed,
            )
            .await,
        ),
        None => None,
    };
    let approved = context.assessment.approved(&key);
    let state = decide::patch_state(asset, assessment.as_deref(), approved);
    report
        .assessed(&read, raw.reboot_required, assessment.as_deref(), state)
        .await?;
    Ok(Action::requeue(RESYNC))
}
