//! Status: a group's membership (member names and count, unreachable count) and its
//! `Ready` condition, with a `MembersUpdated` Event when membership or the Assets changed.

use chrono::{DateTime, Utc};
use patchwarden_api::asset_group::{AssetGroup, AssetGroupStatus};
use patchwarden_api::conditions::{self as c, reason};

use super::decide::Membership;
use crate::controllers::error::ReconcileError;
use crate::controllers::{Context, mark_ready, reconcile_requested_at, status};

/// The status of one reconcile of one AssetGroup.
pub struct Report<'a> {
    context: &'a Context,
    group: &'a AssetGroup,
    stored: AssetGroupStatus,
    desired: AssetGroupStatus,
    now: DateTime<Utc>,
}

impl<'a> Report<'a> {
    /// Starts from the stored conditions, at the current generation and reconcile request.
    pub fn new(context: &'a Context, group: &'a AssetGroup, now: DateTime<Utc>) -> Self {
        let stored = group.status.clone().unwrap_or_default();
        let desired = AssetGroupStatus {
            conditions: stored.conditions.clone(),
            observed_generation: group.metadata.generation,
            last_handled_reconcile_at: reconcile_requested_at(group)
                .or(stored.last_handled_reconcile_at.clone()),
            ..AssetGroupStatus::default()
        };
        Self {
            context,
            group,
            stored,
            desired,
            now,
        }
    }

    /// `Ready=True` (Suspended), the stored membership kept as it was.
    pub async fn suspended(mut self) -> Result<(), ReconcileError> {
        self.desired.member_count = self.stored.member_count;
        self.desired.members = self.stored.members.clone();
        self.desired.unreachable_count = self.stored.unreachable_count;
        self.ready(reason::SUSPENDED, "suspended: membership is not updated");
        self.write().await
    }

    /// The membership, `Ready=True`, and an Event when `applied` Assets were created or
    /// updated or the member count changed.
    pub async fn membership(
        mut self,
        membership: Membership,
        applied: usize,
    ) -> Result<(), ReconcileError> {
        let count = membership.members.len();
        let message = format!("{count} members, {} unreachable", membership.unreachable);
        self.desired.members = membership.members;
        self.desired.member_count = u32::try_from(count).unwrap_or(u32::MAX);
        self.desired.unreachable_count =
            Some(u32::try_from(membership.unreachable).unwrap_or(u32::MAX));
        self.ready(reason::SUCCEEDED, &message);
        self.write().await?;
        if applied > 0 || self.stored.member_count != self.desired.member_count {
            let note = format!("{message}; {applied} Assets created or updated");
            self.context
                .events
                .normal(self.group, "MembersUpdated", note)
                .await;
        }
        Ok(())
    }

    fn ready(&mut self, reason: &str, message: &str) {
        mark_ready(
            &mut self.desired.conditions,
            c::TRUE,
            reason,
            message,
            self.group.metadata.generation,
            self.now,
        );
    }

    async fn write(&self) -> Result<(), ReconcileError> {
        let api = self.context.api_for::<AssetGroup, _>(self.group);
        status::write_status(&api, self.group, &self.desired).await?;
        Ok(())
    }
}
