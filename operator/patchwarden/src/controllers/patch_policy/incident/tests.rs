//! The node actions of an incident response against the embedded control plane: labels on
//! the Asset and its Node, a taint and a cordon; applied once, not rewritten when in place,
//! and released, leaving a cordon someone else made.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use kube::api::PostParams;
use patchwarden_api::asset::AssetSpec;
use patchwarden_api::common::ConnectionKind;
use patchwarden_api::patch_policy::{IncidentTaint, PatchPolicySpec, TaintEffect};
use patchwarden_core::incident::IncidentCause;

use super::*;
use crate::controllers::test_control_plane::{context, control_plane, create_from_json};

const LABEL: &str = "patchwarden.io/incident";

fn response() -> IncidentResponse {
    IncidentResponse {
        labels: [(LABEL.to_string(), "true".to_string())].into(),
        taint: Some(IncidentTaint {
            key: LABEL.into(),
            value: None,
            effect: TaintEffect::NoSchedule,
        }),
        cordon: true,
        ..IncidentResponse::default()
    }
}

fn policy() -> PatchPolicy {
    let mut policy = PatchPolicy::new(
        "ir",
        PatchPolicySpec {
            incident_response: Some(response()),
            ..PatchPolicySpec::default()
        },
    );
    policy.metadata.namespace = Some("default".into());
    policy
}

async fn node_and_asset(client: &kube::Client, name: &str, cordoned: bool) {
    let nodes: Api<Node> = Api::all(client.clone());
    let node = json!({"metadata": {"name": name}, "spec": {"unschedulable": cordoned}});
    create_from_json(&nodes, node).await;
    let assets: Api<Asset> = Api::namespaced(client.clone(), "default");
    let asset = Asset::new(
        name,
        AssetSpec {
            connection: ConnectionKind::Node,
            address: Some(name.into()),
            ..AssetSpec::default()
        },
    );
    assets.create(&PostParams::default(), &asset).await.unwrap();
}

fn incident(asset: &str) -> Incident {
    Incident {
        asset: asset.into(),
        cause: IncidentCause::Compromised { reason: None },
    }
}

#[tokio::test]
async fn a_node_in_incident_is_labelled_tainted_cordoned_and_released() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, client) = control_plane(dir.path(), &["Asset"]).await;
    let context = context(client.clone());
    node_and_asset(&client, "node-a", false).await;
    node_and_asset(&client, "node-b", true).await;
    let (policy, response) = (policy(), response());
    let responder = Responder::new(&context, &policy, &response);
    let nodes: Api<Node> = Api::all(client.clone());
    let assets: Api<Asset> = Api::namespaced(client.clone(), "default");
    let now = chrono::Utc::now();

    let asset = assets.get("node-a").await.unwrap();
    let record = responder
        .contain(&incident("node-a"), Some(&asset), None, now)
        .await;
    assert_eq!(
        record.actions,
        [
            "labelled Asset node-a and Node node-a patchwarden.io/incident=true",
            "tainted Node node-a patchwarden.io/incident:NoSchedule",
            "cordoned Node node-a",
        ]
    );
    assert!(record.cordoned);
    let node = nodes.get("node-a").await.unwrap();
    assert_eq!(node.labels().get(LABEL).map(String::as_str), Some("true"));
    let spec = node.spec.clone().unwrap();
    assert_eq!(spec.unschedulable, Some(true));
    let taints = spec.taints.unwrap();
    assert_eq!((taints.len(), taints[0].key.as_str()), (1, LABEL));
    let asset = assets.get("node-a").await.unwrap();
    assert_eq!(asset.labels().get(LABEL).map(String::as_str), Some("true"));

    // Applied again (every evaluation does): nothing is rewritten.
    let again = responder
        .contain(&incident("node-a"), Some(&asset), Some(&record), now)
        .await;
    assert_eq!(again.actions, record.actions);
    let unchanged = nodes.get("node-a").await.unwrap();
    assert_eq!(
        unchanged.metadata.resource_version,
        node.metadata.resource_version
    );
    assert_eq!(
        assets
            .get("node-a")
            .await
            .unwrap()
            .metadata
            .resource_version,
        asset.metadata.resource_version
    );

    // A node cordoned before the incident is not the response's to uncordon.
    let other = assets.get("node-b").await.unwrap();
    let kept = responder
        .contain(&incident("node-b"), Some(&other), None, now)
        .await;
    assert!(!kept.cordoned);
    assert!(
        kept.actions
            .contains(&"Node node-b was cordoned already".to_string())
    );

    // Released: the labels, the taint and its own cordon go.
    let done = responder.release(&record, false, now).await.unwrap();
    assert_eq!(
        done,
        [
            "removed the labels of Asset node-a",
            "removed the labels of Node node-a",
            "removed the taint patchwarden.io/incident of Node node-a",
            "uncordoned Node node-a",
        ]
    );
    let node = nodes.get("node-a").await.unwrap();
    assert!(!node.labels().contains_key(LABEL));
    let spec = node.spec.unwrap();
    assert!(spec.taints.unwrap_or_default().is_empty());
    assert_ne!(spec.unschedulable, Some(true));
    let asset = assets.get("node-a").await.unwrap();
    assert!(!asset.labels().contains_key(LABEL));
    responder.release(&kept, false, now).await.unwrap();
    let other = nodes.get("node-b").await.unwrap();
    assert_eq!(other.spec.unwrap().unschedulable, Some(true));
}

#[test]
fn a_record_made_in_plan_mode_has_nothing_to_undo() {
    let planned = IncidentRecord {
        asset: "web-1".into(),
        cause: "reported compromised".into(),
        actions: vec!["not carried out: the policy is in Plan mode".into()],
        ..IncidentRecord::default()
    };
    assert!(nothing_done(&planned));
    for done in [
        IncidentRecord {
            label_keys: vec![LABEL.into()],
            ..planned.clone()
        },
        IncidentRecord {
            cordoned: true,
            ..planned.clone()
        },
        IncidentRecord {
            applied: vec!["networking.k8s.io/v1/NetworkPolicy/default/isolate-web-1".into()],
            ..planned.clone()
        },
        IncidentRecord {
            notified: true,
            ..planned.clone()
        },
    ] {
        assert!(!nothing_done(&done), "{done:?}");
    }
}
