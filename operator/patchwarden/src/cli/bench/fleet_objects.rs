//! What `patchwarden bench fleet` declares: the feeds (a Debian 12 OSV feed built from the
//! real host's security delta, CISA KEV, FIRST EPSS), maintenance windows, asset groups that
//! split the fleet by a `tier` label, policies over them in `Plan` mode (nothing is patched),
//! and the assets themselves, reached through the `agent` connection the bench's simulated
//! executor answers for.

use std::path::Path;

use anyhow::Context as _;
use futures::StreamExt as _;
use kube::Api;
use kube::api::PostParams;
use patchwarden_api::asset::Asset;
use patchwarden_api::asset_group::AssetGroup;
use patchwarden_api::maintenance_window::MaintenanceWindow;
use patchwarden_api::patch_policy::PatchPolicy;
use patchwarden_api::vulnerability_feed::VulnerabilityFeed;
use patchwarden_lab::LabDelta;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::git_env::NAMESPACE;
use super::simulated_fleet::{ASSET_PREFIX, DPKG_STATUS, SECURITY_DELTA, read_gzip};

/// The asset groups: assets are spread over them by index.
pub(super) const GROUPS: usize = 4;
/// The OSV feed's file under the feed base.
pub(super) const OSV_FILE: &str = "osv-debian12.jsonl";
/// The OSV feed's object name.
pub(super) const OSV_FEED: &str = "bench-osv";
/// The id of the advisory the feed change adds.
pub(super) const NEW_ADVISORY: &str = "PWBENCH-2026-0001";
/// The source package the new advisory affects: installed on every asset.
const NEW_ADVISORY_SOURCE: &str = "bash";

/// One policy: its name and the groups it covers.
pub(super) struct PolicyPlan {
    pub(super) name: String,
    pub(super) groups: Vec<usize>,
}

/// The policies: one per group, and one over the whole fleet.
pub(super) fn policies() -> Vec<PolicyPlan> {
    let mut plans: Vec<PolicyPlan> = (0..GROUPS)
        .map(|group| PolicyPlan {
            name: format!("tier-{group}"),
            groups: vec![group],
        })
        .collect();
    plans.push(PolicyPlan {
        name: String::from("whole-fleet"),
        groups: (0..GROUPS).collect(),
    });
    plans
}

/// Assets of `assets` in group `group`.
pub(super) fn group_size(assets: usize, group: usize) -> usize {
    (0..assets).filter(|i| i % GROUPS == group).count()
}

/// Writes the feed files under `feed_base`: the OSV feed of the real delta, KEV and EPSS.
pub(super) fn write_feeds(data_dir: &Path, feed_base: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(feed_base)?;
    let delta = LabDelta::load_with_status(
        &data_dir.join(SECURITY_DELTA),
        Some(&data_dir.join(DPKG_STATUS)),
    )
    .context("reading the security delta")?;
    std::fs::write(
        feed_base.join(OSV_FILE),
        patchwarden_lab::osv::osv_feed(&delta),
    )?;
    gunzip(
        &data_dir.join("kev/known_exploited_vulnerabilities-2025.08.25.json.gz"),
        &feed_base.join("kev.json"),
    )?;
    std::fs::copy(
        data_dir.join("epss/epss_scores-2025-04-15.csv.gz"),
        feed_base.join("epss.csv.gz"),
    )
    .context("copying the EPSS scores")?;
    Ok(())
}

/// Appends one advisory to the OSV feed, affecting `bash` at `installed` (fixed just above).
pub(super) fn append_new_advisory(feed_base: &Path, installed: &str) -> anyhow::Result<()> {
    let record = json!({
        "schema_version": "1.6.0",
        "id": NEW_ADVISORY,
        "published": "2026-11-28T00:00:00Z",
        "modified": "2026-11-28T00:00:00Z",
        "summary": "bench: a new advisory for bash",
        "affected": [{
            "package": {"ecosystem": "Debian:12", "name": NEW_ADVISORY_SOURCE},
            "ranges": [{"type": "ECOSYSTEM",
                "events": [{"introduced": "0"}, {"fixed": format!("{installed}+pwbench1")}]}],
        }],
    });
    let path = feed_base.join(OSV_FILE);
    let mut text = std::fs::read_to_string(&path)?;
    text.push_str(&record.to_string());
    text.push('\n');
    std::fs::write(&path, text)?;
    Ok(())
}

/// The installed version of the source the new advisory affects, in the real database.
pub(super) fn new_advisory_installed(data_dir: &Path) -> anyhow::Result<String> {
    let status = read_gzip(&data_dir.join(DPKG_STATUS))?;
    let packages = patchwarden_core::inventory::dpkg::parse_status(&status)?;
    packages
        .packages
        .iter()
        .find(|p| p.source_name() == NEW_ADVISORY_SOURCE)
        .map(|p| p.source_version().to_string())
        .context("bash is not installed on the real host")
}

fn typed<K: DeserializeOwned>(value: Value) -> anyhow::Result<K> {
    serde_json::from_value(value).context("building a bench object")
}

/// Creates the feeds, windows, groups and policies.
pub(super) async fn create_configuration(client: &kube::Client) -> anyhow::Result<()> {
    let feeds: Api<VulnerabilityFeed> = Api::namespaced(client.clone(), NAMESPACE);
    let feed = |name: &str, format: &str, url: &str| {
        json!({"apiVersion": "patchwarden.io/v1alpha1", "kind": "VulnerabilityFeed",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"format": format, "source": {"url": url}, "refreshInterval": "1h"}})
    };
    let mut osv = feed(OSV_FEED, "Osv", OSV_FILE);
    osv["spec"]["ecosystems"] = json!(["Debian:12"]);
    for value in [
        osv,
        feed("bench-kev", "Kev", "kev.json"),
        feed("bench-epss", "Epss", "epss.csv.gz"),
    ] {
        feeds.create(&PostParams::default(), &typed(value)?).await?;
    }
    let windows: Api<MaintenanceWindow> = Api::namespaced(client.clone(), NAMESPACE);
    for (name, schedule) in [
        ("weekend", "0 2 * * SAT"),
        ("weeknights", "0 1 * * 1-5"),
        ("monthly", "0 3 1 * *"),
    ] {
        let value = json!({"apiVersion": "patchwarden.io/v1alpha1", "kind": "MaintenanceWindow",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"schedule": schedule, "timeZone": "UTC", "duration": "4h"}});
        windows
            .create(&PostParams::default(), &typed(value)?)
            .await?;
    }
    let groups: Api<AssetGroup> = Api::namespaced(client.clone(), NAMESPACE);
    for group in 0..GROUPS {
        let value = json!({"apiVersion": "patchwarden.io/v1alpha1", "kind": "AssetGroup",
            "metadata": {"name": format!("tier-{group}"), "namespace": NAMESPACE},
            "spec": {"selector": {"matchLabels": {"tier": group.to_string()}},
                "criticality": (["Low", "Medium", "High", "Critical"][group % 4]),
                "exposure": "Internal"}});
        groups
            .create(&PostParams::default(), &typed(value)?)
            .await?;
    }
    let policies_api: Api<PatchPolicy> = Api::namespaced(client.clone(), NAMESPACE);
    for plan in policies() {
        let groups: Vec<String> = plan.groups.iter().map(|g| format!("tier-{g}")).collect();
        let value = json!({"apiVersion": "patchwarden.io/v1alpha1", "kind": "PatchPolicy",
            "metadata": {"name": plan.name, "namespace": NAMESPACE},
            "spec": {"assetGroups": groups, "maintenanceWindows": ["weekend", "weeknights", "monthly"],
                "mode": "Plan", "approval": {"minSeverity": "Unknown", "securityOnly": true},
                "sla": {"critical": "7d", "high": "30d"}}});
        policies_api
            .create(&PostParams::default(), &typed(value)?)
            .await?;
    }
    Ok(())
}

/// Creates `assets` Assets, `concurrency` requests at a time.
pub(super) async fn create_assets(
    client: &kube::Client,
    assets: usize,
    concurrency: usize,
) -> anyhow::Result<()> {
    let api: Api<Asset> = Api::namespaced(client.clone(), NAMESPACE);
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(0..assets)
        .map(|index| {
            let api = api.clone();
            async move {
                let value = json!({"apiVersion": "patchwarden.io/v1alpha1", "kind": "Asset",
                    "metadata": {"name": format!("{ASSET_PREFIX}{index:05}"), "namespace": NAMESPACE,
                        "labels": {"tier": (index % GROUPS).to_string()}},
                    "spec": {"connection": "agent"}});
                let asset: Asset = typed(value)?;
                api.create(&PostParams::default(), &asset)
                    .await
                    .with_context(|| format!("creating asset {index}"))?;
                Ok(())
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

fn gunzip(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::write(to, read_gzip(from)?).with_context(|| format!("writing {}", to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_in_one_group_and_the_whole_fleet_policy_covers_all_groups() {
        let total: usize = (0..GROUPS).map(|g| group_size(10_001, g)).sum();
        assert_eq!(total, 10_001);
        let plans = policies();
        assert_eq!(plans.len(), GROUPS + 1);
        assert_eq!(plans[GROUPS].groups.len(), GROUPS);
    }
}
