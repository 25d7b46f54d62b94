//! Whether an asset step drains a Node: the asset is a `node` Asset and the run's policy has
//! `drain.enabled`. The drain settings are read from the policy when the step starts (a run
//! freezes no drain settings), with the run's frozen reboot mode and timeout.

use std::time::Duration;

use chrono::TimeDelta;
use patchwarden_api::asset::Asset;
use patchwarden_api::convert::reboot::{
    DEFAULT_DRAIN_TIMEOUT, DEFAULT_REBOOT_TIMEOUT, drain_timeout, reboot_timeout,
};
use patchwarden_api::patch_policy::PatchPolicy;
use patchwarden_api::patch_run::PatchRun;
use patchwarden_core::drain::DrainOptions;
use patchwarden_core::rollout::machine::NodeSettings;

use super::validate::reboot_mode;
use crate::controllers::Context;
use crate::controllers::operations::NodeDrain;

/// How often a drained node, its pods and the reboot Lease are looked at.
const POLL: Duration = Duration::from_secs(1);

/// The drain of `asset`'s steps in `run`, or `None` when its steps do not drain.
pub async fn node_drain(
    context: &Context,
    run: &PatchRun,
    asset: &Asset,
) -> Result<Option<NodeDrain>, kube::Error> {
    let Some(node) = asset.node_name() else {
        return Ok(None);
    };
    let Some(policy) = &run.spec.policy else {
        return Ok(None);
    };
    let policies = context.api_for::<PatchPolicy, _>(run);
    let Some(policy) = policies.get_opt(policy).await? else {
        return Ok(None);
    };
    let Some(drain) = policy.spec.enabled_drain() else {
        return Ok(None);
    };
    // The policy's spec was checked before its run was made; a later edit that broke it
    // stalls the policy, and its runs keep the default.
    let drain_timeout = drain_timeout(drain.timeout.as_ref()).unwrap_or(DEFAULT_DRAIN_TIMEOUT);
    let limits = &run.spec.limits;
    let ready_timeout = reboot_timeout("spec.limits.rebootTimeout", limits.reboot_timeout.as_ref())
        .unwrap_or(DEFAULT_REBOOT_TIMEOUT);
    Ok(Some(NodeDrain {
        client: context.client.clone(),
        node,
        // One Lease for the whole cluster, whichever namespace the run is in.
        lease_namespace: context
            .namespace
            .clone()
            .unwrap_or_else(|| String::from("default")),
        settings: NodeSettings {
            drain_timeout: delta(drain_timeout),
            ready_timeout: delta(ready_timeout),
            reboot: reboot_mode(limits.reboot),
        },
        options: DrainOptions {
            delete_empty_dir_data: drain.delete_empty_dir_data,
        },
        poll: POLL,
    }))
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}
