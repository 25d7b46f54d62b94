//! Notes on a policy's impact that are not counts: windows that never open, mode and
//! suspension changes, and a live cluster that differs from the base revision.

use patchwarden_api::PatchPolicySpec;
use patchwarden_api::patch_policy::PolicyMode;

use super::side::PolicySide;
use super::view::NamedKey;
use crate::snapshot::Snapshot;

/// Windows the policy names that never open, and changes of mode and suspension.
pub(super) fn notes(
    before: Option<&PatchPolicySpec>,
    after: Option<&PatchPolicySpec>,
    side_after: Option<&PolicySide<'_>>,
) -> Vec<String> {
    let mut out: Vec<String> = side_after
        .map(|side| {
            side.missing_windows
                .iter()
                .map(|name| {
                    format!(
                        "maintenance window `{name}` is not defined or not valid: it never opens"
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let (Some(before), Some(after)) = (before, after) else {
        return out;
    };
    if before.mode != after.mode {
        out.push(match after.mode {
            PolicyMode::Plan => {
                "mode changes to Plan: findings are reported, nothing is patched".into()
            }
            PolicyMode::Enforce => {
                "mode changes to Enforce: approved patches will be rolled out".into()
            }
        });
    }
    if before.suspend != after.suspend {
        out.push(if after.suspend {
            "the policy is suspended: no new rollouts start".into()
        } else {
            "the policy is resumed: rollouts start again".into()
        });
    }
    out
}

/// A note when the cluster does not run the base revision's policy, so the "before" side of
/// the plan is not what is live.
pub(super) fn live_drift(
    live: Option<&Snapshot>,
    key: &NamedKey,
    base: Option<&PatchPolicySpec>,
) -> Option<String> {
    let live = live?;
    let running = live.policies.iter().find(|policy| {
        policy.metadata.namespace.as_deref() == Some(key.0.as_str())
            && policy.metadata.name.as_deref() == Some(key.1.as_str())
    });
    match (running, base) {
        (Some(running), Some(base)) if running.spec != *base => Some(
            "the cluster runs a different spec than the base revision (not synced yet, or changed by hand)".into(),
        ),
        (Some(_), None) => Some("the cluster already has this policy, outside the base revision".into()),
        (None, Some(_)) if !live.policies.is_empty() => {
            Some("the cluster does not have this policy yet (the base revision is not synced)".into())
        }
        _ => None,
    }
}
