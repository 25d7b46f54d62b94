//! The AssetGroup controller: turns a group's declared members (a lab fleet, inline SSH
//! hosts, Kubernetes Nodes matching `nodeSelector`) into Asset resources and reports the
//! group's membership.
//!
//! Pipeline, one module per step: [`validate`] (the selectors) → [`act`] (the lab fleet,
//! whose host names the declared Assets need) → [`observe`] (matching Nodes) → [`decide`]
//! (the Assets the group declares) → [`act`] (create or update them) → [`observe`] (the
//! namespace's Assets) → [`decide`] (membership) → [`status`] (members, unreachable
//! count).

mod act;
mod decide;
mod members_cache;
mod observe;
mod status;
mod validate;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Node;
use kube::ResourceExt;
use kube::runtime::controller::Action;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{Controller, WatchStreamExt, watcher};
use patchwarden_api::asset::Asset;
use patchwarden_api::asset_group::AssetGroup;
use patchwarden_api::labels;
use tokio::sync::watch;

use super::coalesce::coalesce;
use super::error::{ReconcileError, Terminal};
use super::{Context, drive, now, stopped};

pub use decide::{DeclaredAsset, declared_assets};

/// Controller name in logs and metrics.
pub const NAME: &str = "AssetGroup";

/// How often membership is re-read without a triggering change.
const RESYNC: Duration = Duration::from_secs(300);
/// A cluster's Nodes, listed at start or joining together, re-read the groups once a second.
const NODE_TRIGGER_WINDOW: Duration = Duration::from_secs(1);

/// Runs the controller until `stop` turns true; a change of an Asset that can change a
/// membership reconciles the group its label names (see `members_cache`).
pub async fn run(context: Arc<Context>, stop: watch::Receiver<bool>) {
    let (assets, writer) = reflector::store::<Asset>();
    let changes = members_cache::membership_changes(
        watcher(context.api::<Asset>(), watcher::Config::default())
            .default_backoff()
            .map_ok(|event| event.modify(members_cache::slim))
            .reflect(writer),
    );
    let controller = Controller::new(context.api::<AssetGroup>(), watcher::Config::default())
        .watches_stream(changes, |asset: Asset| {
            let group = asset.labels().get(labels::ASSET_GROUP).cloned();
            let namespace = asset.namespace();
            group.map(|g| {
                let reference = ObjectRef::<AssetGroup>::new(&g);
                match namespace {
                    Some(ns) => reference.within(&ns),
                    None => reference,
                }
            })
        })
        .reconcile_all_on(coalesce(
            node_label_changes(kube::Api::all(context.client.clone())).boxed(),
            NODE_TRIGGER_WINDOW,
        ))
        .graceful_shutdown_on(stopped(stop));
    drive(NAME, controller, context, move |object, context| {
        reconcile(object, context, assets.clone())
    })
    .await;
}

/// One item each time a Node appears, goes away or changes its labels, the only changes a
/// `nodeSelector` can see (status heartbeats, every few seconds per node, are not).
fn node_label_changes(nodes: kube::Api<Node>) -> impl Stream<Item = ()> {
    let mut seen: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    watcher(nodes, watcher::Config::default())
        .default_backoff()
        .filter_map(move |event| {
            let changed = match event {
                Ok(watcher::Event::Apply(node) | watcher::Event::InitApply(node)) => {
                    let labels = node.labels().clone();
                    seen.insert(node.name_any(), labels.clone()) != Some(labels)
                }
                Ok(watcher::Event::Delete(node)) => seen.remove(&node.name_any()).is_some(),
                Ok(watcher::Event::Init | watcher::Event::InitDone) | Err(_) => false,
            };
            futures::future::ready(changed.then_some(()))
        })
}

async fn reconcile(
    object: Arc<AssetGroup>,
    context: Arc<Context>,
    assets: Store<Asset>,
) -> Result<Action, ReconcileError> {
    let group = object.as_ref();
    let selectors = validate::selectors(group).map_err(Terminal::from)?;
    let report = status::Report::new(&context, group, now());
    if group.spec.suspend {
        report.suspended().await?;
        return Ok(Action::await_change());
    }
    let lab_hosts = act::ensure_lab(&context, group).await?;
    let nodes = observe::nodes(&context, selectors.nodes.as_ref()).await?;
    let declared = decide::declared_assets(group, &lab_hosts, &nodes);
    let applied = act::apply_assets(&context, group, &declared).await?;
    let assets = observe::assets(&assets, group).await?;
    let membership = decide::membership(&group.name_any(), &assets, selectors.assets.as_ref());
    report.membership(membership, applied).await?;
    Ok(Action::requeue(RESYNC))
}
