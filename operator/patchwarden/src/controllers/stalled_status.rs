//! What each kind's status keeps while its spec is invalid and the object shows `Stalled`
//! (see [`super::driver::StalledStatus`]).
//!
//! Kinds whose status is computed from the spec (windows, groups, policies) drop what they
//! computed: it described a spec that no longer applies. Kinds whose status records what
//! was observed on the assets or feeds (assets, feeds, runs) keep it, because it stays
//! true whatever the spec says.

use kube::Resource;
use patchwarden_api::asset::{Asset, AssetStatus};
use patchwarden_api::asset_group::{AssetGroup, AssetGroupStatus};
use patchwarden_api::maintenance_window::{MaintenanceWindow, MaintenanceWindowStatus};
use patchwarden_api::patch_policy::{PatchPolicy, PatchPolicyStatus};
use patchwarden_api::patch_run::{PatchRun, PatchRunStatus};
use patchwarden_api::vulnerability_feed::{VulnerabilityFeed, VulnerabilityFeedStatus};

use super::driver::StalledStatus;
use super::reconcile_requested_at;

/// The `lastHandledReconcileAt` to show: the object's current request, else the stored one.
fn handled_request<K: Resource>(object: &K, stored: Option<&String>) -> Option<String> {
    reconcile_requested_at(object).or(stored.cloned())
}

impl StalledStatus for MaintenanceWindow {
    type Status = MaintenanceWindowStatus;

    fn stalled_status(&self) -> MaintenanceWindowStatus {
        let stored = self.status.clone().unwrap_or_default();
        MaintenanceWindowStatus {
            observed_generation: self.metadata.generation,
            last_handled_reconcile_at: handled_request(
                self,
                stored.last_handled_reconcile_at.as_ref(),
            ),
            conditions: stored.conditions,
            ..MaintenanceWindowStatus::default()
        }
    }
}

impl StalledStatus for AssetGroup {
    type Status = AssetGroupStatus;

    fn stalled_status(&self) -> AssetGroupStatus {
        let stored = self.status.clone().unwrap_or_default();
        AssetGroupStatus {
            observed_generation: self.metadata.generation,
            last_handled_reconcile_at: handled_request(
                self,
                stored.last_handled_reconcile_at.as_ref(),
            ),
            conditions: stored.conditions,
            ..AssetGroupStatus::default()
        }
    }
}

impl StalledStatus for PatchPolicy {
    type Status = PatchPolicyStatus;

    fn stalled_status(&self) -> PatchPolicyStatus {
        let stored = self.status.clone().unwrap_or_default();
        PatchPolicyStatus {
            observed_generation: self.metadata.generation,
            last_handled_reconcile_at: handled_request(
                self,
                stored.last_handled_reconcile_at.as_ref(),
            ),
            conditions: stored.conditions,
            history: stored.history,
            ..PatchPolicyStatus::default()
        }
    }
}

impl StalledStatus for Asset {
    type Status = AssetStatus;

    fn stalled_status(&self) -> AssetStatus {
        let stored = self.status.clone().unwrap_or_default();
        AssetStatus {
            observed_generation: self.metadata.generation,
            last_handled_reconcile_at: handled_request(
                self,
                stored.last_handled_reconcile_at.as_ref(),
            ),
            ..stored
        }
    }
}

impl StalledStatus for VulnerabilityFeed {
    type Status = VulnerabilityFeedStatus;

    fn stalled_status(&self) -> VulnerabilityFeedStatus {
        let stored = self.status.clone().unwrap_or_default();
        VulnerabilityFeedStatus {
            observed_generation: self.metadata.generation,
            last_handled_reconcile_at: handled_request(
                self,
                stored.last_handled_reconcile_at.as_ref(),
            ),
            ..stored
        }
    }
}

impl StalledStatus for PatchRun {
    type Status = PatchRunStatus;

    /// A run's audit trail stays as recorded, `lastHandledReconcileAt` included: a stalled
    /// run has handled no request.
    fn stalled_status(&self) -> PatchRunStatus {
        let stored = self.status.clone().unwrap_or_default();
        PatchRunStatus {
            observed_generation: self.metadata.generation,
            ..stored
        }
    }
}
