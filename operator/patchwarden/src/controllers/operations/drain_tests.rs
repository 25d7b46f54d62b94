use chrono::{TimeZone, Utc};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;

use super::*;

fn lease(holder: Option<&str>, renewed_seconds_ago: i64) -> Lease {
    let now = Utc
        .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default();
    Lease {
        spec: Some(LeaseSpec {
            holder_identity: holder.map(str::to_string),
            lease_duration_seconds: Some(600),
            renew_time: Some(MicroTime(
                to_k8s(now - TimeDelta::seconds(renewed_seconds_ago)).0,
            )),
            ..LeaseSpec::default()
        }),
        ..Lease::default()
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

#[test]
fn the_lease_is_free_when_missing_unheld_or_lapsed() {
    assert_eq!(lock_of(None, "node-a", now()), RebootLock::Free);
    assert_eq!(
        lock_of(Some(&lease(None, 0)), "node-a", now()),
        RebootLock::Free
    );
    assert_eq!(
        lock_of(Some(&lease(Some("node-b"), 601)), "node-a", now()),
        RebootLock::Free
    );
}

#[test]
fn the_lease_is_held_by_its_holder_until_it_lapses() {
    assert_eq!(
        lock_of(Some(&lease(Some("node-a"), 10)), "node-a", now()),
        RebootLock::HeldByThisNode
    );
    assert_eq!(
        lock_of(Some(&lease(Some("node-b"), 599)), "node-a", now()),
        RebootLock::HeldByAnother
    );
}

/// The node path against an embedded control plane and a real lab host: the Node, its pods
/// and budget are objects the test creates, and a stand-in kubelet marks the Node NotReady
/// and Ready again when the host's boot id changes.
mod on_a_control_plane {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

    use std::collections::BTreeSet;
    use std::sync::{Arc, Mutex};

    use kube::api::{Patch, PatchParams, PostParams};
    use patchwarden_api::asset::Asset;
    use patchwarden_api::patch_run::{PlannedAsset, PlannedPackage};
    use patchwarden_core::rollout::RebootMode;
    use patchwarden_executor::{AssetRef, LabExecutor};
    use patchwarden_lab::{Lab, LabDelta, LabSpec};
    use serde_json::json;

    use super::*;
    use crate::controllers::operations::{
        BootIdRecord, OperationRequest, RebootSettings, StepKind,
    };
    use crate::controllers::test_control_plane::{control_plane, create_from_json};

    fn pod(name: &str, node: &str, app: &str, owner: &str) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "default", "labels": {"app": app},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner, "name": app,
                    "uid": "5a8e3c1d-0000-4000-8000-000000000001", "controller": true}]},
            "spec": {"nodeName": node, "containers": [{"name": "main", "image": "web:1"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
        }))
        .unwrap()
    }

    /// Node `node-a` (Ready) with a web pod and a DaemonSet pod, a web pod on `node-b`, and a
    /// budget over the web pods.
    async fn cluster(client: &Client, min_available: u32) {
        let nodes: Api<Node> = Api::all(client.clone());
        let node = json!({"metadata": {"name": "node-a"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        create_from_json(&nodes, node).await;
        let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
        for pod in [
            pod("web-1", "node-a", "web", "ReplicaSet"),
            pod("web-2", "node-b", "web", "ReplicaSet"),
            pod("agent-a", "node-a", "agent", "DaemonSet"),
        ] {
            pods.create(&PostParams::default(), &pod).await.unwrap();
        }
        let budget = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"minAvailable": min_available, "selector": {"matchLabels": {"app": "web"}}}});
        let budgets: Api<k8s_openapi::api::policy::v1::PodDisruptionBudget> =
            Api::namespaced(client.clone(), "default");
        create_from_json(&budgets, budget).await;
    }

    fn unused_assets() -> Api<Asset> {
        let config = kube::Config::new("http://127.0.0.1:9".parse().unwrap());
        Api::namespaced(Client::try_from(config).unwrap(), "default")
    }

    /// The request of `step` for the lab host standing in for `node-a`, upgrading one package.
    fn request(lab: &Lab, step: StepKind, client: &Client) -> (OperationRequest, PlannedPackage) {
        let delta = LabDelta::embedded().unwrap();
        let (_, binary) = delta.binaries().find(|(s, _)| s.source == "jq").unwrap();
        let package = PlannedPackage {
            name: binary.package.clone(),
            from: binary.installed_version.clone(),
            to: binary.candidate_version.clone(),
            fixes: Vec::new(),
            findings: Vec::new(),
        };
        let host = lab.host("lab-01").unwrap();
        let request = OperationRequest {
            run: "default/r".into(),
            id: "default/r/node-a".into(),
            step,
            asset_name: "node-a".into(),
            target: AssetRef {
                address: Some("lab-01".into()),
                ..AssetRef::named("node-a")
            },
            executor: Arc::new(LabExecutor::new(lab.clone())),
            planned: PlannedAsset {
                name: "node-a".into(),
                group: None,
                packages: vec![package.clone()],
                reboot_expected: true,
            },
            health_checks: Vec::new(),
            baseline: Vec::new(),
            default_health_check: false,
            pre_patch: Vec::new(),
            post_patch: Vec::new(),
            reboot: Some(RebootSettings {
                mode: RebootMode::Always,
                timeout: Duration::from_secs(60),
                command: vec!["systemctl".into(), "reboot".into()],
                record: BootIdRecord {
                    api: unused_assets(),
                    asset: "node-a".into(),
                    run: "default/r".into(),
                    recorded: Some(host.boot_id().unwrap()),
                },
            }),
            drain: Some(NodeDrain {
                client: client.clone(),
                node: "node-a".into(),
                lease_namespace: "default".into(),
                settings: NodeSettings {
                    drain_timeout: TimeDelta::seconds(3),
                    ready_timeout: TimeDelta::seconds(30),
                    reboot: RebootMode::Always,
                },
                options: DrainOptions::default(),
                poll: Duration::from_millis(100),
            }),
        };
        (request, package)
    }

    async fn installed(request: &OperationRequest, package: &str) -> Option<String> {
        let inventory = request
            .executor
            .collect_inventory(&request.target)
            .await
            .unwrap();
        let stanza = inventory
            .dpkg_status
            .split("\n\n")
            .find(|s| s.lines().any(|l| l == format!("Package: {package}")))?;
        stanza
            .lines()
            .find_map(|l| l.strip_prefix("Version: "))
            .map(str::to_string)
    }

    async fn unschedulable(client: &Client) -> bool {
        let node = Api::<Node>::all(client.clone())
            .get("node-a")
            .await
            .unwrap();
        node.spec.and_then(|s| s.unschedulable) == Some(true)
    }

    async fn pod_names(client: &Client) -> BTreeSet<String> {
        let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
        let list = pods.list(&ListParams::default()).await.unwrap();
        list.items
            .iter()
            .filter_map(|p| p.metadata.name.clone())
            .collect()
    }

    /// Marks the Node NotReady, then Ready, once the host's boot id differs from `before`;
    /// records each reboot Lease holder it sees meanwhile.
    fn kubelet(client: Client, lab: Lab, before: String, holders: Arc<Mutex<BTreeSet<String>>>) {
        tokio::spawn(async move {
            let nodes: Api<Node> = Api::all(client.clone());
            let leases: Api<Lease> = Api::namespaced(client, "default");
            let host = lab.host("lab-01").unwrap();
            loop {
                if let Ok(Some(lease)) = leases.get_opt(REBOOT_LEASE).await
                    && let Some(holder) = lease.spec.and_then(|s| s.holder_identity)
                {
                    holders.lock().unwrap().insert(holder);
                }
                if host.boot_id().is_ok_and(|id| id != before) {
                    for ready in ["False", "True"] {
                        let status =
                            json!({"status": {"conditions": [{"type": "Ready", "status": ready}]}});
                        let patch = Patch::Merge(&status);
                        let _ = nodes
                            .patch_status("node-a", &PatchParams::default(), &patch)
                            .await;
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                    return;
                }
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_node_is_cordoned_drained_patched_rebooted_under_the_lease_and_uncordoned() {
        let tmp = tempfile::tempdir().unwrap();
        let (server, client) = control_plane(tmp.path(), &[]).await;
        cluster(&client, 1).await;
        let lab = Lab::create(
            &tmp.path().join("lab"),
            &LabDelta::embedded().unwrap(),
            &LabSpec::new(1),
        )
        .unwrap()
        .0;
        let (patch, package) = request(&lab, StepKind::Patch, &client);
        let drain = patch.drain.clone().unwrap();
        let details = patch_node(&patch, &drain).await.unwrap();
        // Evicted and patched; still cordoned for the reboot that follows.
        assert_eq!(
            pod_names(&client).await,
            BTreeSet::from(["agent-a".into(), "web-2".into()])
        );
        assert_eq!(
            installed(&patch, &package.name).await,
            Some(package.to.clone())
        );
        assert!(unschedulable(&client).await, "{}", details.message);

        let before = lab.host("lab-01").unwrap().boot_id().unwrap();
        let holders = Arc::new(Mutex::new(BTreeSet::new()));
        kubelet(client.clone(), lab.clone(), before.clone(), holders.clone());
        let (reboot, _) = request(&lab, StepKind::Reboot, &client);
        let details = reboot_node(&reboot, &drain).await.unwrap();
        assert!(details.rebooted, "{}", details.message);
        assert!(
            details.message.ends_with("; node node-a uncordoned"),
            "{}",
            details.message
        );
        assert_ne!(lab.host("lab-01").unwrap().boot_id().unwrap(), before);
        assert!(!unschedulable(&client).await);
        assert_eq!(
            *holders.lock().unwrap(),
            BTreeSet::from(["node-a".to_string()])
        );
        let leases: Api<Lease> = Api::namespaced(client.clone(), "default");
        let lease = leases.get(REBOOT_LEASE).await.unwrap();
        assert_eq!(lease.spec.and_then(|s| s.holder_identity), None, "released");
        server.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_budget_that_allows_nothing_ends_drain_blocked_with_the_node_uncordoned() {
        let tmp = tempfile::tempdir().unwrap();
        let (server, client) = control_plane(tmp.path(), &[]).await;
        cluster(&client, 2).await;
        let lab = Lab::create(
            &tmp.path().join("lab"),
            &LabDelta::embedded().unwrap(),
            &LabSpec::new(1),
        )
        .unwrap()
        .0;
        let (patch, package) = request(&lab, StepKind::Patch, &client);
        let drain = patch.drain.clone().unwrap();
        let failed = patch_node(&patch, &drain).await.unwrap_err();
        assert!(
            failed.message.starts_with(
                "node-a: DrainBlocked: the drain did not finish within 3s; pods left: default/web-1"
            ),
            "{}",
            failed.message
        );
        assert!(!unschedulable(&client).await, "never left cordoned");
        assert!(pod_names(&client).await.contains("web-1"));
        assert_eq!(
            installed(&patch, &package.name).await,
            Some(package.from.clone())
        );
        server.shutdown().await;
    }
}
