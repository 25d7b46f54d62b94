//! The Asset controller: collects an asset's inventory through its executor, assesses it
//! against the loaded feeds, and reports OS, package count, inventory digest,
//! reboot-required, findings and patch state.
//!
//! Pipeline: observe (the Asset; its inventory through the executor) → validate (connection
//! and group) → decide (parse the inventory, `assessment::assess`, the patch state) → write
//! status. Timestamps move only when what they date changes, so an unchanged asset causes no
//! write.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::runtime::controller::Action;
use kube::runtime::{Controller, watcher};
use kube::{Resource, ResourceExt};
use patchwarden_api::asset::{
    Asset, AssetStatus, OperationResult, OsIdentity, PackageFormat, PatchState,
};
use patchwarden_api::asset_group::AssetGroup;
use patchwarden_api::common::{ConnectionKind, Criticality, Exposure};
use patchwarden_api::conditions::{self as c, reason};
use patchwarden_api::labels;
use patchwarden_api::time::to_k8s;
use patchwarden_core::inventory::{self, OsRelease};
use patchwarden_executor::{AssetRef, Executor, Inventory};
use tokio::sync::watch;

use super::assessment::AssetAssessment;
use super::error::{ReconcileError, Terminal};
use super::{Context, drive, mark_abnormal, mark_ready, now, object_key, status, stopped};

/// Controller name in logs and metrics.
pub const NAME: &str = "Asset";

/// How often an asset's inventory is re-read without a triggering change.
const RESYNC: Duration = Duration::from_secs(300);
/// How soon an unreachable asset is tried again.
const UNREACHABLE_RETRY: Duration = Duration::from_secs(60);

/// Runs the controller until `stop` turns true. Every Asset is reconciled again whenever the
/// loaded feeds, or the policies' approvals, change.
pub async fn run(context: Arc<Context>, stop: watch::Receiver<bool>) {
    let changes = |rx: watch::Receiver<u64>| {
        futures::stream::unfold(rx, |mut rx| async move {
            rx.changed().await.ok().map(|_| ((), rx))
        })
        .boxed()
    };
    let triggers = futures::stream::select(
        changes(context.assessment.subscribe()),
        changes(context.assessment.subscribe_approvals()),
    );
    let controller = Controller::new(context.api::<Asset>(), watcher::Config::default())
        .reconcile_all_on(triggers)
        .with_config(
            kube::runtime::controller::Config::default().debounce(Duration::from_millis(300)),
        )
        .graceful_shutdown_on(stopped(stop));
    drive(NAME, controller, context, reconcile).await;
}

/// The executor and the executor's name for an asset.
pub fn executor_for(
    context: &Context,
    asset: &Asset,
) -> Result<(Arc<dyn Executor>, AssetRef), String> {
    match asset.spec.connection {
        ConnectionKind::Lab => {
            let group = asset.labels().get(labels::ASSET_GROUP).ok_or_else(|| {
                format!(
                    "metadata.labels: a lab asset needs the {} label naming its AssetGroup",
                    labels::ASSET_GROUP
                )
            })?;
            let namespace = asset.namespace().unwrap_or_else(|| String::from("default"));
            let fleet = context
                .labs
                .open(&namespace, group)
                .map_err(|e| e.to_string())?;
            let address =
                asset.spec.address.clone().ok_or_else(|| {
                    String::from("spec.address: a lab asset needs its lab host name")
                })?;
            Ok((fleet.executor, AssetRef::named(address)))
        }
        other => Err(format!(
            "spec.connection: no {} executor is configured in this operator",
            other.as_str()
        )),
    }
}

/// The criticality and exposure of an asset: its own overrides, else its group's.
async fn risk_context(
    context: &Context,
    asset: &Asset,
) -> Result<(Criticality, Exposure), ReconcileError> {
    let group = match asset.labels().get(labels::ASSET_GROUP) {
        Some(name) => {
            context
                .api_for::<AssetGroup, _>(asset)
                .get_opt(name)
                .await?
        }
        None => None,
    };
    let criticality = asset
        .spec
        .criticality
        .or(group.as_ref().map(|g| g.spec.criticality))
        .unwrap_or_default();
    let exposure = asset
        .spec
        .exposure
        .or(group.as_ref().map(|g| g.spec.exposure))
        .unwrap_or_default();
    Ok((criticality, exposure))
}

/// What an inventory says about the OS and packages.
pub struct ReadInventory {
    /// OS identity.
    pub os: OsIdentity,
    /// Parsed packages.
    pub packages: inventory::Inventory,
    /// `sha256:` digest of the dpkg database.
    pub digest: String,
}

/// Parses an executor's inventory; the error names the part that does not parse.
pub fn read_inventory(raw: &Inventory) -> Result<ReadInventory, String> {
    let os = OsRelease::parse(&raw.os_release).map_err(|e| format!("/etc/os-release: {e}"))?;
    let ecosystem = inventory::ecosystem_from_os_release(&raw.os_release)
        .map(|e| e.as_str().to_string())
        .ok();
    let packages = inventory::dpkg::parse_status(&raw.dpkg_status)
        .map_err(|e| format!("/var/lib/dpkg/status: {e}"))?;
    Ok(ReadInventory {
        os: OsIdentity {
            id: os.get("ID").unwrap_or_default().to_string(),
            version_id: os.get("VERSION_ID").map(str::to_string),
            pretty_name: os.get("PRETTY_NAME").map(str::to_string),
            ecosystem,
            package_format: Some(PackageFormat::Dpkg),
            architecture: None,
            kernel: None,
        },
        packages,
        digest: format!("sha256:{}", raw.dpkg_status_sha256),
    })
}

/// The patch state from what is known: a run holding the asset, the last operation, and
/// whether fixable findings remain.
/// `approved` says whether a policy covering the asset approves an upgrade for it; without
/// a policy, any fixable finding counts.
pub fn patch_state(
    asset: &Asset,
    assessment: Option<&AssetAssessment>,
    approved: Option<bool>,
) -> PatchState {
    if asset.labels().contains_key(labels::RUN) {
        return PatchState::Patching;
    }
    let fixable = approved.unwrap_or_else(|| assessment.is_some_and(|a| a.summary.fixable > 0));
    let last_failed = asset
        .status
        .as_ref()
        .and_then(|s| s.last_operation.as_ref())
        .is_some_and(|o| o.result == OperationResult::Failed);
    match (fixable, last_failed) {
        (true, true) => PatchState::Failed,
        (true, false) => PatchState::Pending,
        (false, _) => PatchState::Compliant,
    }
}

async fn reconcile(object: Arc<Asset>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let asset = object.as_ref();
    let api = context.api_for::<Asset, _>(asset);
    let now = now();
    let key = object_key(asset);
    let generation = asset.metadata.generation;
    let stored = asset.status.clone().unwrap_or_default();
    let mut desired = AssetStatus {
        observed_generation: generation,
        last_handled_reconcile_at: super::reconcile_requested_at(asset)
            .or(stored.last_handled_reconcile_at.clone()),
        ..stored.clone()
    };
    if asset.meta().deletion_timestamp.is_some() {
        context.metrics.forget_asset(&key);
        context.assessment.forget(&key);
        return Ok(Action::await_change());
    }
    if asset.spec.suspend {
        mark_ready(
            &mut desired.conditions,
            c::TRUE,
            reason::SUSPENDED,
            "suspended: inventory and patching stopped",
            generation,
            now,
        );
        status::write_status(&api, asset, &desired).await?;
        return Ok(Action::await_change());
    }
    let (executor, target) = executor_for(&context, asset).map_err(Terminal::invalid_spec)?;

    let raw = match executor.collect_inventory(&target).await {
        Ok(raw) => raw,
        Err(err) if err.is_unreachable() => {
            let message = err.to_string();
            desired.patch_state = Some(PatchState::Unreachable);
            mark_ready(
                &mut desired.conditions,
                c::FALSE,
                reason::UNREACHABLE,
                &message,
                generation,
                now,
            );
            let was = stored.patch_state;
            status::write_status(&api, asset, &desired).await?;
            if was != Some(PatchState::Unreachable) {
                context.events.warning(asset, "Unreachable", message).await;
            }
            context
                .metrics
                .set_asset(&key, "Unreachable", BTreeMap::new());
            return Ok(Action::requeue(UNREACHABLE_RETRY));
        }
        Err(err) => return Err(ReconcileError::Transient(err.to_string())),
    };
    let read = match read_inventory(&raw) {
        Ok(read) => read,
        Err(message) => {
            // A database that does not parse is the asset's problem, not a retry's.
            mark_ready(
                &mut desired.conditions,
                c::FALSE,
                reason::FAILED,
                &message,
                generation,
                now,
            );
            status::write_status(&api, asset, &desired).await?;
            return Ok(Action::requeue(RESYNC));
        }
    };
    let inventory_changed = stored.inventory_digest.as_deref() != Some(read.digest.as_str());
    desired.os = Some(read.os.clone());
    desired.package_count = Some(u32::try_from(read.packages.len()).unwrap_or(u32::MAX));
    desired.inventory_digest = Some(read.digest.clone());
    desired.reboot_required = Some(raw.reboot_required);
    if inventory_changed || stored.inventory_time.is_none() {
        desired.inventory_time = Some(to_k8s(now));
    }

    let (criticality, exposure) = risk_context(&context, asset).await?;
    let assessment = context.assessment.assess(
        &key,
        read.os.ecosystem.as_deref(),
        criticality,
        exposure,
        &read.packages,
        &read.digest,
    );
    match &assessment {
        Some(assessed) => {
            if stored.findings.as_ref() != Some(&assessed.summary) || stored.assessed_time.is_none()
            {
                desired.assessed_time = Some(to_k8s(now));
            }
            desired.findings = Some(assessed.summary.clone());
            desired.upgrades = assessed.upgrades.clone();
        }
        None => {
            desired.findings = None;
            desired.upgrades = Vec::new();
            desired.assessed_time = None;
        }
    }
    let state = patch_state(
        asset,
        assessment.as_deref(),
        context.assessment.approved(&key),
    );
    desired.patch_state = Some(state);
    let message = match (&assessment, state) {
        (None, _) => format!(
            "{} packages; waiting for vulnerability feeds",
            read.packages.len()
        ),
        (Some(a), PatchState::Compliant) => format!(
            "{} packages; no fixable findings ({} open without a fix)",
            read.packages.len(),
            a.open_count()
        ),
        (Some(a), _) => format!(
            "{} packages; {} fixable findings ({} critical, {} high, {} known exploited)",
            read.packages.len(),
            a.summary.fixable,
            a.summary.critical,
            a.summary.high,
            a.summary.known_exploited
        ),
    };
    let ready = if assessment.is_some() {
        c::TRUE
    } else {
        c::FALSE
    };
    let ready_reason = if assessment.is_some() {
        reason::SUCCEEDED
    } else {
        reason::DEPENDENCY_NOT_READY
    };
    mark_ready(
        &mut desired.conditions,
        ready,
        ready_reason,
        &message,
        generation,
        now,
    );
    mark_abnormal(
        &mut desired.conditions,
        c::DEGRADED,
        (state == PatchState::Failed).then_some((
            reason::FAILED,
            stored
                .last_operation
                .as_ref()
                .map(|o| o.message.as_str())
                .unwrap_or("the last patch attempt failed"),
        )),
        generation,
        now,
    );
    let findings_changed = stored.findings != desired.findings;
    status::write_status(&api, asset, &desired).await?;
    if findings_changed && assessment.is_some() {
        context
            .events
            .normal(asset, "Assessed", message.clone())
            .await;
    }
    let mut by_severity = BTreeMap::new();
    if let Some(a) = &assessment {
        by_severity = a.by_severity();
    }
    context
        .metrics
        .set_asset(&key, &format!("{state:?}"), by_severity);
    Ok(Action::requeue(RESYNC))
}
