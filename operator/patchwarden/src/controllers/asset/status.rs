//! Status: what an Asset shows — OS, package count, inventory digest, reboot-required,
//! findings, patch state and conditions — with the Events and metrics that go with it.
//! Timestamps move only when what they date changes, so an unchanged asset causes no write.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use kube::{Api, ResourceExt};
use patchwarden_api::asset::{Asset, AssetStatus, AvailableUpgrade, FindingsSummary, PatchState};
use patchwarden_api::conditions::{self as c, reason};
use patchwarden_api::time::to_k8s;
use patchwarden_core::threats::{
    Compromise, compromise_signal, compromised_explanation, compromised_risk,
};
use patchwarden_executor::ExecError;

use super::decide::{self, ReadInventory, UnreadableInventory};
use super::stored_upgrades::{drop_list, fingerprint};
use crate::controllers::assessment::AssetAssessment;
use crate::controllers::error::ReconcileError;
use crate::controllers::{
    Context, mark_abnormal, mark_ready, object_key, reconcile_requested_at, status,
};

/// The status of one reconcile of one Asset, from the stored one to the one written.
pub struct Report<'a> {
    context: &'a Context,
    /// The Asset without its upgrade list, as the controller's cache holds it.
    asset: Cow<'a, Asset>,
    api: Api<Asset>,
    key: String,
    /// The stored status, without its upgrade list (the controller's cache drops it).
    stored: AssetStatus,
    /// The fingerprint of the stored status's upgrade list.
    stored_upgrades: u64,
    /// The status to write, without its upgrade list.
    desired: AssetStatus,
    /// The upgrade list to write; `None` keeps the stored one.
    desired_upgrades: Option<&'a [Arc<AvailableUpgrade>]>,
    now: DateTime<Utc>,
}

impl<'a> Report<'a> {
    /// Starts from the stored status, at the current generation and reconcile request. The
    /// stored upgrade list has fingerprint `stored_upgrades`, unless `asset` still carries
    /// it (an Asset read from the API rather than the cache).
    pub fn new(
        context: &'a Context,
        asset: &'a Asset,
        stored_upgrades: u64,
        now: DateTime<Utc>,
    ) -> Self {
        let (asset, stored_upgrades) = match &asset.status {
            Some(status) if !status.upgrades.is_empty() => {
                let mut slim = asset.clone();
                let listed = drop_list(&mut slim);
                (Cow::Owned(slim), listed)
            }
            _ => (Cow::Borrowed(asset), stored_upgrades),
        };
        let stored = asset.status.clone().unwrap_or_default();
        let desired = AssetStatus {
            observed_generation: asset.metadata.generation,
            last_handled_reconcile_at: reconcile_requested_at(asset.as_ref())
                .or(stored.last_handled_reconcile_at.clone()),
            ..stored.clone()
        };
        Self {
            context,
            api: context.api_for::<Asset, _>(asset.as_ref()),
            key: object_key(asset.as_ref()),
            asset,
            stored,
            stored_upgrades,
            desired,
            desired_upgrades: None,
            now,
        }
    }

    /// `Ready=True` (Suspended): inventory and patching stopped.
    pub async fn suspended(mut self) -> Result<(), ReconcileError> {
        self.ready(
            c::TRUE,
            reason::SUSPENDED,
            "suspended: inventory and patching stopped",
        );
        self.write().await
    }

    /// The asset cannot be reached: patch state `Unreachable`, `Ready=False`, a Warning
    /// Event when it just became unreachable.
    pub async fn unreachable(mut self, error: ExecError) -> Result<(), ReconcileError> {
        let message = error.to_string();
        self.desired.patch_state = Some(PatchState::Unreachable);
        self.ready(c::FALSE, reason::UNREACHABLE, &message);
        self.write().await?;
        if self.stored.patch_state != Some(PatchState::Unreachable) {
            let events = &self.context.events;
            events
                .warning(self.asset.as_ref(), "Unreachable", message)
                .await;
        }
        let metrics = &self.context.metrics;
        metrics.set_asset(&self.key, "Unreachable", BTreeMap::new());
        Ok(())
    }

    /// The inventory does not parse: `Ready=False` (Failed) naming the file at fault.
    pub async fn unreadable(mut self, error: &UnreadableInventory) -> Result<(), ReconcileError> {
        self.ready(c::FALSE, reason::FAILED, &error.to_string());
        self.write().await
    }

    /// The asset was read and assessed (or waits for feeds): inventory, findings, patch
    /// state, `Ready` and `Degraded`; an `Assessed` Event when the findings changed.
    pub async fn assessed(
        mut self,
        read: &ReadInventory,
        reboot_required: bool,
        assessment: Option<&'a AssetAssessment>,
        state: PatchState,
    ) -> Result<(), ReconcileError> {
        self.inventory(read, reboot_required);
        self.findings(assessment);
        self.desired.patch_state = Some(state);
        let message = decide::ready_message(read.packages.len(), assessment, state);
        match assessment {
            Some(_) => self.ready(c::TRUE, reason::SUCCEEDED, &message),
            None => self.ready(c::FALSE, reason::DEPENDENCY_NOT_READY, &message),
        }
        self.degraded(state);
        let findings_changed = self.stored.findings != self.desired.findings;
        self.write().await?;
        if findings_changed && assessment.is_some() {
            let events = &self.context.events;
            events
                .normal(self.asset.as_ref(), "Assessed", message)
                .await;
        }
        let by_severity = assessment.map(|a| a.by_severity()).unwrap_or_default();
        let metrics = &self.context.metrics;
        metrics.set_asset(&self.key, &format!("{state:?}"), by_severity);
        Ok(())
    }

    fn inventory(&mut self, read: &ReadInventory, reboot_required: bool) {
        let desired = &mut self.desired;
        let changed = self.stored.inventory_digest.as_deref() != Some(read.digest.as_str());
        desired.os = Some(read.os.clone());
        desired.package_count = Some(u32::try_from(read.packages.len()).unwrap_or(u32::MAX));
        desired.inventory_digest = Some(read.digest.clone());
        desired.reboot_required = Some(reboot_required);
        if changed || self.stored.inventory_time.is_none() {
            desired.inventory_time = Some(to_k8s(self.now));
        }
    }

    fn findings(&mut self, assessment: Option<&'a AssetAssessment>) {
        let compromise = compromise_signal(self.asset.labels(), self.asset.annotations());
        let desired = &mut self.desired;
        match assessment {
            Some(assessed) => {
                let summary = match &compromise {
                    Some(compromise) => compromised_summary(&assessed.summary, compromise),
                    None => assessed.summary.clone(),
                };
                if self.stored.findings.as_ref() != Some(&summary)
                    || self.stored.assessed_time.is_none()
                {
                    desired.assessed_time = Some(to_k8s(self.now));
                }
                desired.findings = Some(summary);
                self.desired_upgrades = Some(&assessed.upgrades);
            }
            None => {
                desired.findings = None;
                self.desired_upgrades = Some(&[]);
                desired.assessed_time = None;
            }
        }
    }

    /// `Degraded` while the last patch attempt failed, with its message.
    fn degraded(&mut self, state: PatchState) {
        let message = self
            .stored
            .last_operation
            .as_ref()
            .map(|o| o.message.as_str())
            .unwrap_or("the last patch attempt failed");
        mark_abnormal(
            &mut self.desired.conditions,
            c::DEGRADED,
            (state == PatchState::Failed).then_some((reason::FAILED, message)),
            self.asset.metadata.generation,
            self.now,
        );
    }

    fn ready(&mut self, status: &str, reason: &str, message: &str) {
        mark_ready(
            &mut self.desired.conditions,
            status,
            reason,
            message,
            self.asset.metadata.generation,
            self.now,
        );
    }

    async fn write(&self) -> Result<(), ReconcileError> {
        let upgrades = self
            .desired_upgrades
            .filter(|upgrades| fingerprint(upgrades) != self.stored_upgrades);
        // Most reconciles (the periodic re-read of an unchanged inventory) change nothing:
        // compared as data, without serializing anything.
        if upgrades.is_none() && self.asset.status.as_ref() == Some(&self.desired) {
            return Ok(());
        }
        // Compared with the cached Asset, which has no upgrade list either, the patch leaves
        // the stored list alone unless a changed one is given.
        match upgrades {
            Some(upgrades) => {
                let desired = WithUpgrades {
                    status: &self.desired,
                    upgrades,
                };
                status::write_status(&self.api, self.asset.as_ref(), &desired).await?
            }
            None => status::write_status(&self.api, self.asset.as_ref(), &self.desired).await?,
        };
        Ok(())
    }
}

/// A status with its upgrade list, written even when empty (so that it replaces a stored one).
#[derive(serde::Serialize)]
struct WithUpgrades<'s> {
    #[serde(flatten)]
    status: &'s AssetStatus,
    upgrades: &'s [Arc<AvailableUpgrade>],
}

/// The findings of a compromised asset: each explained risk lifted into the exploited band and
/// its explanation led by the report, and the asset's risk with them.
fn compromised_summary(summary: &FindingsSummary, compromise: &Compromise) -> FindingsSummary {
    let mut out = summary.clone();
    for risk in &mut out.top_risks {
        risk.score = compromised_risk(risk.score, risk.known_exploited);
        risk.explanation = compromised_explanation(compromise, &risk.explanation);
    }
    out.risk_score = summary
        .risk_score
        .map(|score| compromised_risk(score, summary.known_exploited > 0));
    out
}
