//! Reading chains: the chain ConfigMaps of a namespace in a cluster, or a bundle file.

use std::path::Path;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::ResourceExt;
use kube::api::ListParams;
use patchwarden_api::evidence::Bundle;

use super::ClusterArgs;
use crate::controllers::evidence::store;

/// The bundles of the chains in the cluster: `policy`'s, or every one in the namespace.
pub fn cluster_bundles(cluster: &ClusterArgs, policy: Option<&str>) -> anyhow::Result<Vec<Bundle>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let client = crate::cli::operator::client_from_kubeconfig(
            cluster.kubeconfig.as_deref(),
            cluster.context.clone(),
        )
        .await?;
        let api: kube::Api<ConfigMap> = kube::Api::namespaced(client, &cluster.namespace);
        let config_maps = match policy {
            Some(policy) => {
                let name = store::config_map_name(policy);
                let found = api
                    .get_opt(&name)
                    .await
                    .with_context(|| format!("reading ConfigMap {}/{name}", cluster.namespace))?;
                let Some(found) = found else {
                    anyhow::bail!(
                        "policy {}/{policy} has no evidence chain (no ConfigMap {name})",
                        cluster.namespace
                    );
                };
                vec![found]
            }
            None => api
                .list(&ListParams::default())
                .await
                .with_context(|| format!("listing ConfigMaps in {}", cluster.namespace))?
                .items
                .into_iter()
                .filter(|c| c.name_any().starts_with(store::CONFIG_MAP_PREFIX))
                .collect(),
        };
        config_maps
            .iter()
            .map(|c| bundle_of(&cluster.namespace, c))
            .collect()
    })
}

/// The bundle of one chain ConfigMap.
fn bundle_of(namespace: &str, config_map: &ConfigMap) -> anyhow::Result<Bundle> {
    let name = config_map.name_any();
    let policy = name
        .strip_prefix(store::CONFIG_MAP_PREFIX)
        .unwrap_or(&name)
        .to_string();
    let data = config_map.data.clone().unwrap_or_default();
    let (entries, keys) = store::read_chain(&format!("{namespace}/{name}"), &data)?;
    Ok(store::bundle(
        &format!("{namespace}/{policy}"),
        entries,
        keys,
    ))
}

/// Reads a bundle file.
pub fn read_bundle(path: &Path) -> anyhow::Result<Bundle> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the bundle {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not an evidence bundle", path.display()))
}
