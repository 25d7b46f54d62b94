//! The AssetGroup controller: turns a group's declared members (a lab fleet, inline SSH
//! hosts, Kubernetes Nodes matching `nodeSelector`) into Asset resources and reports the
//! group's membership.
//!
//! Pipeline: observe (the group, its Assets) → validate (selectors, lab faults) → decide
//! (the Assets the group declares) → act (create or update those Assets; create the lab
//! fleet) → write status (members, unreachable count).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::core::{Selector, SelectorExt};
use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{Controller, watcher};
use kube::{Resource, ResourceExt};
use patchwarden_api::asset::{Asset, AssetSpec, PatchState};
use patchwarden_api::asset_group::{AssetGroup, AssetGroupStatus};
use patchwarden_api::common::ConnectionKind;
use patchwarden_api::conditions::{self as c, reason};
use patchwarden_api::labels;
use tokio::sync::watch;

use super::error::{ReconcileError, Terminal};
use super::{Context, drive, mark_ready, now, status, stopped};

/// Controller name in logs and metrics.
pub const NAME: &str = "AssetGroup";

/// How often membership is re-read without a triggering change.
const RESYNC: Duration = Duration::from_secs(300);

/// Runs the controller until `stop` turns true.
pub async fn run(context: Arc<Context>, stop: watch::Receiver<bool>) {
    let controller = Controller::new(context.api::<AssetGroup>(), watcher::Config::default())
        .watches(
            context.api::<Asset>(),
            watcher::Config::default(),
            |asset: Asset| {
                let group = asset.labels().get(labels::ASSET_GROUP).cloned();
                let namespace = asset.namespace();
                group.map(|g| {
                    let reference = ObjectRef::<AssetGroup>::new(&g);
                    match namespace {
                        Some(ns) => reference.within(&ns),
                        None => reference,
                    }
                })
            },
        )
        .graceful_shutdown_on(stopped(stop));
    drive(NAME, controller, context, reconcile).await;
}

/// One Asset a group declares.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredAsset {
    /// Asset name.
    pub name: String,
    /// Its spec.
    pub spec: AssetSpec,
    /// Labels it carries (the group label included).
    pub labels: BTreeMap<String, String>,
}

/// The Assets a group's spec declares; lab hosts take their lab host name as address.
pub fn declared_assets(group: &AssetGroup, lab_hosts: &[String]) -> Vec<DeclaredAsset> {
    let name = group.name_any();
    let base = |connection: ConnectionKind| {
        BTreeMap::from([
            (labels::ASSET_GROUP.to_string(), name.clone()),
            (
                labels::CONNECTION.to_string(),
                connection.as_str().to_string(),
            ),
            (
                labels::MANAGED_BY.to_string(),
                labels::MANAGED_BY_VALUE.to_string(),
            ),
        ])
    };
    let mut assets = Vec::new();
    if let Some(fleet) = &group.spec.lab {
        for (index, member) in fleet.host_names(&name).into_iter().enumerate() {
            let mut labels = base(ConnectionKind::Lab);
            labels.extend(fleet.labels.clone());
            assets.push(DeclaredAsset {
                name: member,
                spec: AssetSpec {
                    connection: ConnectionKind::Lab,
                    address: lab_hosts.get(index).cloned(),
                    ..AssetSpec::default()
                },
                labels,
            });
        }
    }
    for host in &group.spec.hosts {
        let mut labels = base(ConnectionKind::Ssh);
        labels.extend(host.labels.clone());
        assets.push(DeclaredAsset {
            name: host.name.clone(),
            spec: AssetSpec {
                connection: ConnectionKind::Ssh,
                address: Some(host.address.clone()),
                port: Some(host.port),
                user: host.user.clone(),
                credentials_ref: group.spec.credentials_ref.clone(),
                ..AssetSpec::default()
            },
            labels,
        });
    }
    assets
}

fn selector(selector: &Option<LabelSelector>, field: &str) -> Result<Option<Selector>, String> {
    selector
        .clone()
        .map(|s| Selector::try_from(s).map_err(|e| format!("{field}: {e}")))
        .transpose()
}

/// Creates a declared Asset, or brings an existing one's spec and labels in line.
async fn apply_asset(
    api: &kube::Api<Asset>,
    group: &AssetGroup,
    declared: &DeclaredAsset,
) -> Result<bool, ReconcileError> {
    match api.get_opt(&declared.name).await? {
        None => {
            let asset = Asset {
                metadata: ObjectMeta {
                    name: Some(declared.name.clone()),
                    namespace: group.namespace(),
                    labels: Some(declared.labels.clone()),
                    owner_references: group.controller_owner_ref(&()).map(|o| vec![o]),
                    ..ObjectMeta::default()
                },
                spec: declared.spec.clone(),
                status: None,
            };
            api.create(&PostParams::default(), &asset).await?;
            Ok(true)
        }
        Some(existing) => {
            let labels_ok = declared
                .labels
                .iter()
                .all(|(k, v)| existing.labels().get(k) == Some(v));
            if labels_ok && existing.spec == declared.spec {
                return Ok(false);
            }
            let patch = serde_json::json!({
                "metadata": {"labels": declared.labels},
                "spec": declared.spec,
            });
            api.patch(
                &declared.name,
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await?;
            Ok(true)
        }
    }
}

async fn reconcile(
    object: Arc<AssetGroup>,
    context: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let group = object.as_ref();
    let groups = context.api_for::<AssetGroup, _>(group);
    let assets = context.api_for::<Asset, _>(group);
    let now = now();
    let generation = group.metadata.generation;
    let namespace = group.namespace().unwrap_or_else(|| String::from("default"));
    let name = group.name_any();
    let stored = group.status.clone().unwrap_or_default();
    let mut desired = AssetGroupStatus {
        conditions: stored.conditions.clone(),
        observed_generation: generation,
        last_handled_reconcile_at: super::reconcile_requested_at(group)
            .or(stored.last_handled_reconcile_at.clone()),
        ..AssetGroupStatus::default()
    };

    // Validate.
    let selectors = selector(&group.spec.selector, "spec.selector")
        .and_then(|s| selector(&group.spec.node_selector, "spec.nodeSelector").map(|n| (s, n)));
    let (asset_selector, node_selector) = selectors.map_err(Terminal::invalid_spec)?;
    if group.spec.suspend {
        desired.member_count = stored.member_count;
        desired.members = stored.members.clone();
        desired.unreachable_count = stored.unreachable_count;
        mark_ready(
            &mut desired.conditions,
            c::TRUE,
            reason::SUSPENDED,
            "suspended: membership is not updated",
            generation,
            now,
        );
        status::write_status(&groups, group, &desired).await?;
        return Ok(Action::await_change());
    }

    // Act: the lab fleet, then the declared Assets.
    let mut lab_hosts = Vec::new();
    if let Some(fleet) = &group.spec.lab {
        match context.labs.ensure(&namespace, &name, fleet).await {
            Ok(created) => lab_hosts = created.hosts,
            Err(err) if err.is_terminal() => return Err(Terminal::invalid_spec(err).into()),
            Err(err) => return Err(ReconcileError::transient("creating the lab fleet", err)),
        }
    }
    let mut declared = declared_assets(group, &lab_hosts);
    // Kubernetes Nodes matching the node selector become `node` Assets named after them.
    if let Some(nodes_selector) = &node_selector {
        let nodes: kube::Api<Node> = kube::Api::all(context.client.clone());
        let listed = nodes
            .list(&ListParams::default().labels_from(nodes_selector))
            .await?;
        for node in listed.items {
            let node_name = node.name_any();
            declared.push(DeclaredAsset {
                name: node_name.clone(),
                spec: AssetSpec {
                    connection: ConnectionKind::Node,
                    address: Some(node_name),
                    ..AssetSpec::default()
                },
                labels: BTreeMap::from([
                    (labels::ASSET_GROUP.to_string(), name.clone()),
                    (
                        labels::CONNECTION.to_string(),
                        ConnectionKind::Node.as_str().to_string(),
                    ),
                    (
                        labels::MANAGED_BY.to_string(),
                        labels::MANAGED_BY_VALUE.to_string(),
                    ),
                ]),
            });
        }
    }
    let mut created = 0;
    for asset in &declared {
        if apply_asset(&assets, group, asset).await? {
            created += 1;
        }
    }

    // Observe membership.
    let all = assets.list(&ListParams::default()).await?;
    let mut members: Vec<&Asset> = all
        .items
        .iter()
        .filter(|a| {
            a.labels().get(labels::ASSET_GROUP) == Some(&name)
                || asset_selector
                    .as_ref()
                    .is_some_and(|s| s.matches(a.labels()))
        })
        .collect();
    members.sort_by_key(|a| a.name_any());
    members.dedup_by_key(|a| a.name_any());
    desired.members = members.iter().map(|a| a.name_any()).collect();
    desired.member_count = u32::try_from(members.len()).unwrap_or(u32::MAX);
    let unreachable = members
        .iter()
        .filter(|a| a.status.as_ref().and_then(|s| s.patch_state) == Some(PatchState::Unreachable))
        .count();
    desired.unreachable_count = Some(u32::try_from(unreachable).unwrap_or(u32::MAX));
    let message = format!("{} members, {unreachable} unreachable", members.len());
    mark_ready(
        &mut desired.conditions,
        c::TRUE,
        reason::SUCCEEDED,
        &message,
        generation,
        now,
    );
    let before = stored.member_count;
    status::write_status(&groups, group, &desired).await?;
    if created > 0 || before != desired.member_count {
        context
            .events
            .normal(
                group,
                "MembersUpdated",
                format!("{message}; {created} Assets created or updated"),
            )
            .await;
    }
    Ok(Action::requeue(RESYNC))
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchwarden_api::asset_group::{AssetGroupSpec, LabFleet};

    #[test]
    fn lab_members_are_named_by_prefix_and_addressed_by_lab_host() {
        let mut group = AssetGroup::new(
            "web",
            AssetGroupSpec {
                lab: Some(LabFleet {
                    hosts: 2,
                    name_prefix: None,
                    labels: BTreeMap::from([("tier".to_string(), "web".to_string())]),
                    faults: Vec::new(),
                }),
                ..AssetGroupSpec::default()
            },
        );
        group.metadata.namespace = Some("default".into());
        let declared = declared_assets(&group, &["lab-01".into(), "lab-02".into()]);
        assert_eq!(declared.len(), 2);
        assert_eq!(declared[1].name, "web-1");
        assert_eq!(declared[1].spec.address.as_deref(), Some("lab-02"));
        assert_eq!(
            declared[1]
                .labels
                .get(labels::ASSET_GROUP)
                .map(String::as_str),
            Some("web")
        );
        assert_eq!(
            declared[1].labels.get("tier").map(String::as_str),
            Some("web")
        );
    }
}
