//! What `patchwarden bench fleet` waits for: every policy's status counting all its members
//! assessed (and, after a feed change, more open findings than before), and the request that
//! makes the OSV feed load again.

use std::time::{Duration, Instant};

use anyhow::bail;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams};
use patchwarden_api::patch_policy::{PatchPolicy, SeverityCounts};
use patchwarden_api::vulnerability_feed::VulnerabilityFeed;

use super::fleet_objects::{OSV_FEED, group_size, policies};
use super::git_env::NAMESPACE;

/// One policy's status as the bench reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(super) struct PolicyProgress {
    pub(super) name: String,
    /// Members counted in `status.compliance`.
    pub(super) assets: u32,
    /// Open findings of the members, all severities.
    pub(super) open_findings: u32,
    /// Whether the status observes the current generation.
    observed: bool,
}

fn total(counts: &SeverityCounts) -> u32 {
    counts.critical + counts.high + counts.medium + counts.low + counts.other
}

fn progress(policy: &PatchPolicy) -> PolicyProgress {
    let status = policy.status.as_ref();
    PolicyProgress {
        name: policy.metadata.name.clone().unwrap_or_default(),
        assets: status
            .and_then(|s| s.compliance.as_ref())
            .map_or(0, |c| c.assets),
        open_findings: status
            .and_then(|s| s.open_findings.as_ref())
            .map_or(0, total),
        observed: status.is_some_and(|s| {
            s.observed_generation.is_some() && s.observed_generation == policy.metadata.generation
        }),
    }
}

/// Whether `progress` is every policy complete for `assets` assets — and, with `before`,
/// each counting more open findings than it did then.
pub(super) fn complete(
    progress: &[PolicyProgress],
    assets: usize,
    before: Option<&[PolicyProgress]>,
) -> bool {
    policies().iter().all(|plan| {
        let expected: usize = plan.groups.iter().map(|g| group_size(assets, *g)).sum();
        let Some(now) = progress.iter().find(|p| p.name == plan.name) else {
            return false;
        };
        let grew = before
            .and_then(|b| b.iter().find(|p| p.name == plan.name))
            .is_none_or(|then| now.open_findings > then.open_findings);
        now.observed && now.assets as usize == expected && grew
    })
}

/// Polls the policies every 50 ms until [`complete`]; returns what they then show.
pub(super) async fn wait_for_policies(
    client: &kube::Client,
    assets: usize,
    before: Option<&[PolicyProgress]>,
    timeout: Duration,
) -> anyhow::Result<Vec<PolicyProgress>> {
    let api: Api<PatchPolicy> = Api::namespaced(client.clone(), NAMESPACE);
    let started = Instant::now();
    loop {
        let now: Vec<PolicyProgress> = api
            .list(&ListParams::default())
            .await?
            .items
            .iter()
            .map(progress)
            .collect();
        if complete(&now, assets, before) {
            return Ok(now);
        }
        if started.elapsed() > timeout {
            bail!("the policies did not reach full status within {timeout:?}: {now:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Asks the OSV feed to load again now (`reconcile.fluxcd.io/requestedAt`).
pub(super) async fn annotate_feed(client: &kube::Client) -> anyhow::Result<()> {
    let api: Api<VulnerabilityFeed> = Api::namespaced(client.clone(), NAMESPACE);
    let patch = serde_json::json!({"metadata": {"annotations": {
        patchwarden_api::labels::RECONCILE_REQUESTED_AT: chrono::Utc::now().to_rfc3339(),
    }}});
    api.patch(OSV_FEED, &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    Ok(())
}

/// Waits until no Asset has changed for `quiet`, and returns when the last change before
/// that was seen. A feed change keeps the Asset controller writing statuses after the
/// policies have counted it; idle CPU is only idle once that is done. (The control plane's
/// own revision never rests: the operator renews its lease every few seconds.)
pub(super) async fn wait_until_quiet(
    client: &kube::Client,
    quiet: Duration,
    timeout: Duration,
) -> anyhow::Result<Instant> {
    use futures::StreamExt as _;
    use kube::core::PartialObjectMeta;
    let assets: Api<PartialObjectMeta<patchwarden_api::asset::Asset>> = Api::all(client.clone());
    let started = Instant::now();
    let mut changes = std::pin::pin!(kube::runtime::watcher(
        assets,
        kube::runtime::watcher::Config::default()
    ));
    let mut last = Instant::now();
    loop {
        let left = quiet.saturating_sub(last.elapsed());
        if left.is_zero() {
            return Ok(last);
        }
        if started.elapsed() > timeout {
            bail!("Assets still changed after {} s", timeout.as_secs());
        }
        match tokio::time::timeout(left, changes.next()).await {
            Ok(Some(Ok(
                kube::runtime::watcher::Event::Apply(_) | kube::runtime::watcher::Event::Delete(_),
            ))) => {
                last = Instant::now();
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(error))) => bail!("watching the Assets: {error}"),
            Ok(None) => bail!("the Asset watch ended"),
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(name: &str, assets: u32, open_findings: u32) -> PolicyProgress {
        PolicyProgress {
            name: name.to_string(),
            assets,
            open_findings,
            observed: true,
        }
    }

    fn full(open: u32) -> Vec<PolicyProgress> {
        let mut all: Vec<PolicyProgress> =
            (0..4).map(|g| at(&format!("tier-{g}"), 25, open)).collect();
        all.push(at("whole-fleet", 100, open));
        all
    }

    #[test]
    fn complete_needs_every_member_of_every_policy() {
        assert!(complete(&full(5), 100, None));
        let mut short = full(5);
        short[4].assets = 99;
        assert!(!complete(&short, 100, None));
        assert!(!complete(&full(5)[..4], 100, None));
    }

    #[test]
    fn after_a_feed_change_every_policy_must_count_more_findings() {
        let before = full(5);
        assert!(!complete(&full(5), 100, Some(&before)));
        let mut partly = full(6);
        partly[0].open_findings = 5;
        assert!(!complete(&partly, 100, Some(&before)));
        assert!(complete(&full(6), 100, Some(&before)));
    }
}
