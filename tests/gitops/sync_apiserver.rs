//! The Git source sync against the embedded control plane: a real Git repository made with
//! git2 goes through several commits (add a policy, change a window, an unreadable file, a
//! broken reference, delete a group) and each sync pass is checked in the API: applied revisions, labels and
//! annotations, the status ConfigMap, pruning, and a broken revision rejected as a whole
//! with the last good one kept.

use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use patchwarden_api::labels;
use patchwarden_gitops::revision::RevisionProblem;
use patchwarden_gitops::snapshot::{Snapshot, read_live};
use patchwarden_gitops::source::GitReference;
use patchwarden_gitops::sync::{AllowedKinds, GitSourceSpec, GitSync, SyncOutcome, SyncSettings};
use serde_json::json;
use support::cluster::TestServer;
use support::git::TestRepo;
use support::kubeconfig;

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ops\n";

const GROUPS: &str = r#"apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: web
  namespace: ops
spec:
  selector:
    matchLabels:
      tier: web
---
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: db
  namespace: ops
spec:
  selector:
    matchLabels:
      tier: db
"#;

const WINDOW: &str = r#"apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata:
  name: weekly
  namespace: ops
spec:
  schedule: "0 2 * * SAT"
  timeZone: UTC
  duration: 4h
"#;

const POLICY: &str = r#"apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: standard
  namespace: ops
spec:
  assetGroups: [web, db]
  maintenanceWindows: [weekly]
"#;

/// A client of a test server with the patchwarden CRDs installed.
struct ControlPlane {
    client: Client,
}

impl ControlPlane {
    async fn new(server: &TestServer) -> Self {
        let client = kubeconfig::client(server.kubeconfig()).await;
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        for crd in patchwarden_api::crds::all() {
            crds.create(&PostParams::default(), &crd)
                .await
                .expect("install CRD");
        }
        Self { client }
    }

    fn api(&self, kind: &str, plural: &str) -> Api<DynamicObject> {
        let resource = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("patchwarden.io", "v1alpha1", kind),
            plural,
        );
        Api::namespaced_with(self.client.clone(), "ops", &resource)
    }

    async fn names(&self, kind: &str, plural: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .api(kind, plural)
            .list(&Default::default())
            .await
            .expect("list")
            .items
            .into_iter()
            .filter_map(|object| object.metadata.name)
            .collect();
        names.sort();
        names
    }

    async fn status(&self) -> std::collections::BTreeMap<String, String> {
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), "default");
        api.get("patchwarden-gitsource-fleet")
            .await
            .expect("status ConfigMap")
            .data
            .unwrap_or_default()
    }
}

/// The default kinds and the others these tests declare.
fn test_kinds() -> AllowedKinds {
    AllowedKinds::with_extra([
        "Namespace",
        "ConfigMap",
        "apiextensions.k8s.io/CustomResourceDefinition",
        "example.com/Widget",
    ])
    .expect("kinds")
}

fn sync_for(plane: &ControlPlane, repo: &TestRepo, cache: &std::path::Path) -> GitSync {
    GitSync::new(
        plane.client.clone(),
        GitSourceSpec {
            name: "fleet".into(),
            url: repo.url(),
            reference: GitReference::Branch("main".into()),
            path: Some("fleet".into()),
        },
        SyncSettings {
            default_namespace: "default".into(),
            status_namespace: "default".into(),
            cache_dir: cache.to_path_buf(),
            prune: true,
            allowed_kinds: test_kinds(),
        },
    )
    .expect("sync")
}

fn applied(outcome: SyncOutcome) -> (String, Vec<String>, Vec<String>) {
    match outcome {
        SyncOutcome::Applied {
            revision,
            applied,
            pruned,
            ..
        } => (
            revision.commit,
            applied.iter().map(ToString::to_string).collect(),
            pruned.iter().map(ToString::to_string).collect(),
        ),
        other => panic!("expected an applied revision, got {other:?}"),
    }
}

/// (rejected commit, problems, last applied revision) of a rejected pass.
fn rejected(outcome: SyncOutcome) -> (String, Vec<RevisionProblem>, String) {
    match outcome {
        SyncOutcome::Rejected {
            revision,
            problems,
            last_applied_revision,
        } => (revision.commit, problems, last_applied_revision),
        other => panic!("expected a rejected revision, got {other:?}"),
    }
}

impl ControlPlane {
    /// `spec.duration` of the `weekly` window as the API has it.
    async fn window_duration(&self) -> serde_json::Value {
        self.api("MaintenanceWindow", "maintenancewindows")
            .get("weekly")
            .await
            .expect("window")
            .data["spec"]["duration"]
            .clone()
    }
}

#[test]
fn sync_applies_revisions_prunes_and_keeps_the_last_good_revision() {
    let server = TestServer::start();
    server.block_on(async {
        let plane = ControlPlane::new(&server).await;
        let repo = TestRepo::new();
        let cache = tempfile::tempdir().expect("cache");
        let sync = sync_for(&plane, &repo, cache.path());

        // 1. A policy with its groups and window.
        let first = repo.commit(
            "add the standard policy",
            &[
                ("fleet/namespace.yaml", NAMESPACE),
                ("fleet/groups.yaml", GROUPS),
                ("fleet/window.yaml", WINDOW),
                ("fleet/policy.yaml", POLICY),
                (
                    "docs/not-synced.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
                ),
            ],
        );
        let (revision, applied_keys, pruned) = applied(sync.sync_once().await.expect("sync 1"));
        assert_eq!(revision, first);
        assert_eq!(applied_keys.len(), 5, "{applied_keys:?}");
        assert!(pruned.is_empty());
        assert_eq!(
            plane.names("AssetGroup", "assetgroups").await,
            ["db", "web"]
        );
        let policy = plane
            .api("PatchPolicy", "patchpolicies")
            .get("standard")
            .await
            .expect("policy applied");
        assert_eq!(
            policy.metadata.labels.as_ref().expect("labels")[labels::SOURCE],
            "fleet"
        );
        let annotations = policy.metadata.annotations.as_ref().expect("annotations");
        assert_eq!(
            annotations[labels::SOURCE_REVISION],
            format!("main@sha1:{first}")
        );
        assert_eq!(annotations[labels::SOURCE_PATH], "fleet/policy.yaml");
        let managers: Vec<String> = policy
            .metadata
            .managed_fields
            .iter()
            .flatten()
            .filter_map(|entry| entry.manager.clone())
            .collect();
        assert!(
            managers.contains(&"patchwarden-gitops".to_string()),
            "{managers:?}"
        );
        let status = plane.status().await;
        assert_eq!(status["lastAppliedRevision"], format!("main@sha1:{first}"));
        assert_eq!(status["ready"], "True");

        // An object someone else made, in a kind we manage, is never pruned.
        plane
            .api("MaintenanceWindow", "maintenancewindows")
            .create(
                &PostParams::default(),
                &serde_json::from_value(json!({
                    "apiVersion": "patchwarden.io/v1alpha1",
                    "kind": "MaintenanceWindow",
                    "metadata": {"name": "hand-made", "namespace": "ops"},
                    "spec": {"schedule": "0 3 * * SUN", "duration": "1h"},
                }))
                .expect("object"),
            )
            .await
            .expect("create hand-made window");

        // 2. Change the window: the same object is updated and re-annotated.
        let second = repo.commit(
            "move the window to Sunday",
            &[
                ("fleet/namespace.yaml", NAMESPACE),
                ("fleet/groups.yaml", GROUPS),
                (
                    "fleet/window.yaml",
                    &WINDOW.replace("0 2 * * SAT", "0 2 * * SUN"),
                ),
                ("fleet/policy.yaml", POLICY),
            ],
        );
        let (revision, _, pruned) = applied(sync.sync_once().await.expect("sync 2"));
        assert_eq!(revision, second);
        assert!(pruned.is_empty(), "{pruned:?}");
        let window = plane
            .api("MaintenanceWindow", "maintenancewindows")
            .get("weekly")
            .await
            .expect("window");
        assert_eq!(window.data["spec"]["schedule"], "0 2 * * SUN");
        assert_eq!(
            window.metadata.annotations.as_ref().expect("annotations")[labels::SOURCE_REVISION],
            format!("main@sha1:{second}")
        );

        // A kind the API does not serve, next to a valid change: refused before anything is
        // written, and recorded as the attempted revision.
        let unserved = repo.commit(
        "a kind the cluster does not serve",
        &[
            ("fleet/namespace.yaml", NAMESPACE),
            ("fleet/groups.yaml", GROUPS),
            (
                "fleet/window.yaml",
                &WINDOW
                    .replace("0 2 * * SAT", "0 2 * * SUN")
                    .replace("duration: 4h", "duration: 5h"),
            ),
            ("fleet/policy.yaml", POLICY),
            (
                "fleet/widget.yaml",
                "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: ops}\n",
            ),
        ],
    );
        let error = sync.sync_once().await.expect_err("unserved kind");
        assert!(error.to_string().contains("Widget"), "{error}");
        assert_eq!(plane.window_duration().await, "4h", "nothing was applied");
        let status = plane.status().await;
        assert_eq!(status["lastAppliedRevision"], format!("main@sha1:{second}"));
        assert_eq!(
            status["lastAttemptedRevision"],
            format!("main@sha1:{unserved}")
        );
        assert_eq!(status["reason"], "ApplyFailed");

        // 3. A broken revision: one unreadable file next to a valid change. Nothing is applied.
        let broken = repo.commit(
            "broken",
            &[
                ("fleet/namespace.yaml", NAMESPACE),
                ("fleet/groups.yaml", GROUPS),
                (
                    "fleet/window.yaml",
                    &WINDOW.replace("duration: 4h", "duration: 6h"),
                ),
                (
                    "fleet/policy.yaml",
                    "apiVersion: patchwarden.io/v1alpha1\nkind: PatchPolicy\nmetadata: [standard\n",
                ),
            ],
        );
        let (commit, problems, last_applied) = rejected(sync.sync_once().await.expect("sync 3"));
        assert_eq!(commit, broken);
        assert_eq!(last_applied, format!("main@sha1:{second}"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].file, "fleet/policy.yaml");
        assert_eq!(
            plane.window_duration().await,
            "4h",
            "the valid part was not applied"
        );
        let status = plane.status().await;
        assert_eq!(status["lastAppliedRevision"], format!("main@sha1:{second}"));
        assert_eq!(
            status["lastAttemptedRevision"],
            format!("main@sha1:{broken}")
        );
        assert_eq!(status["ready"], "False");
        assert_eq!(status["reason"], "ValidationFailed");
        assert!(
            status["message"].contains("fleet/policy.yaml"),
            "{}",
            status["message"]
        );

        // 4. A broken reference (the policy names a window no revision defines) next to a valid
        // change: rejected as a whole too.
        let dangling = repo.commit(
            "reference a window that does not exist",
            &[
                ("fleet/namespace.yaml", NAMESPACE),
                ("fleet/groups.yaml", GROUPS),
                (
                    "fleet/window.yaml",
                    &WINDOW.replace("duration: 4h", "duration: 6h"),
                ),
                (
                    "fleet/policy.yaml",
                    &POLICY.replace("[weekly]", "[nightly]"),
                ),
            ],
        );
        let (commit, problems, last_applied) = rejected(sync.sync_once().await.expect("sync 4"));
        assert_eq!(commit, dangling);
        assert_eq!(last_applied, format!("main@sha1:{second}"));
        assert!(
            problems
                .iter()
                .any(|p| p.file == "fleet/policy.yaml" && p.message.contains("nightly")),
            "{problems:?}"
        );
        assert_eq!(
            plane.window_duration().await,
            "4h",
            "the valid part was not applied"
        );
        let policy = plane
            .api("PatchPolicy", "patchpolicies")
            .get("standard")
            .await
            .expect("policy");
        assert_eq!(policy.data["spec"]["maintenanceWindows"][0], "weekly");
        let status = plane.status().await;
        assert_eq!(status["lastAppliedRevision"], format!("main@sha1:{second}"));
        assert_eq!(
            status["lastAttemptedRevision"],
            format!("main@sha1:{dangling}")
        );

        // 5. Delete the db group (and its reference): the group is pruned, the rest stays.
        let fourth = repo.commit(
            "delete the db group",
            &[
                ("fleet/namespace.yaml", NAMESPACE),
                (
                    "fleet/groups.yaml",
                    GROUPS.split("---\n").next().expect("web group"),
                ),
                (
                    "fleet/window.yaml",
                    &WINDOW.replace("0 2 * * SAT", "0 2 * * SUN"),
                ),
                ("fleet/policy.yaml", &POLICY.replace("[web, db]", "[web]")),
            ],
        );
        let (revision, applied_keys, pruned) = applied(sync.sync_once().await.expect("sync 5"));
        assert_eq!(revision, fourth);
        assert_eq!(pruned, ["AssetGroup ops/db"]);
        assert_eq!(applied_keys.len(), 4);
        assert_eq!(plane.names("AssetGroup", "assetgroups").await, ["web"]);
        assert_eq!(
            plane.names("MaintenanceWindow", "maintenancewindows").await,
            ["hand-made", "weekly"]
        );
        let status = plane.status().await;
        assert_eq!(status["lastAppliedRevision"], format!("main@sha1:{fourth}"));
        assert_eq!(
            status["lastAttemptedRevision"],
            format!("main@sha1:{fourth}")
        );
        assert_eq!(status["ready"], "True");
        let inventory: Vec<serde_json::Value> =
            serde_json::from_str(&status["inventory"]).expect("inventory");
        assert_eq!(inventory.len(), 4);

        // The live state `plan` reads: the applied policy, through a snapshot file round trip.
        let live = read_live(&plane.client, chrono::Utc::now())
            .await
            .expect("read live state");
        let text = serde_json::to_string(&live).expect("json");
        let reread = Snapshot::from_json("snapshot.json", &text).expect("snapshot");
        assert_eq!(reread.policies.len(), 1);
        assert_eq!(reread.policies[0].spec.asset_groups, ["web"]);
        assert!(reread.assets.is_empty());

        // 6. The same revision again changes nothing and prunes nothing.
        match sync.sync_once().await.expect("sync 6") {
            SyncOutcome::Applied {
                new_revision,
                pruned,
                ..
            } => {
                assert!(!new_revision);
                assert!(pruned.is_empty());
            }
            other => panic!("expected an applied revision, got {other:?}"),
        }
    });
}

#[test]
fn polling_picks_up_new_commits_on_a_trigger() {
    let server = TestServer::start();
    server.block_on(async {
        let plane = ControlPlane::new(&server).await;
        let repo = TestRepo::new();
        let cache = tempfile::tempdir().expect("cache");
        repo.commit(
            "first",
            &[
                ("fleet/namespace.yaml", NAMESPACE),
                ("fleet/window.yaml", WINDOW),
            ],
        );
        // The status namespace does not exist yet: the sync creates it.
        let sync = std::sync::Arc::new(
            GitSync::new(
                plane.client.clone(),
                GitSourceSpec {
                    name: "fleet".into(),
                    url: repo.path().display().to_string(),
                    reference: "main".parse().expect("reference"),
                    path: Some("fleet".into()),
                },
                SyncSettings {
                    default_namespace: "default".into(),
                    status_namespace: "patchwarden-system".into(),
                    cache_dir: cache.path().to_path_buf(),
                    prune: true,
                    allowed_kinds: test_kinds(),
                },
            )
            .expect("sync"),
        );
        let trigger = std::sync::Arc::new(tokio::sync::Notify::new());
        let runner = {
            let sync = std::sync::Arc::clone(&sync);
            let trigger = std::sync::Arc::clone(&trigger);
            // A long interval: only the trigger can explain a second pass within the test.
            tokio::spawn(async move { sync.run(Duration::from_secs(3600), trigger).await })
        };
        let second = repo.commit(
            "second",
            &[
                ("fleet/namespace.yaml", NAMESPACE),
                ("fleet/window.yaml", WINDOW),
                ("fleet/groups.yaml", GROUPS),
            ],
        );
        let wanted = format!("main@sha1:{second}");
        let mut seen = String::new();
        for _ in 0..100 {
            trigger.notify_one();
            tokio::time::sleep(Duration::from_millis(100)).await;
            if let Ok(status) = sync.read_status().await {
                seen = status.last_applied_revision;
                if seen == wanted {
                    break;
                }
            }
        }
        runner.abort();
        assert_eq!(seen, wanted);
        assert_eq!(
            plane.names("AssetGroup", "assetgroups").await,
            ["db", "web"]
        );
    });
}

#[test]
fn a_revision_may_define_the_kinds_it_uses() {
    let server = TestServer::start();
    server.block_on(async {
    let plane = ControlPlane::new(&server).await;
    let repo = TestRepo::new();
    let cache = tempfile::tempdir().expect("cache");
    let crd = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
"#;
    let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: ops}\nspec: {size: 3}\n";
    let commit = repo.commit(
        "a kind and its object",
        &[
            ("fleet/crd.yaml", crd),
            ("fleet/namespace.yaml", NAMESPACE),
            ("fleet/widget.yaml", widget),
        ],
    );
    let sync = sync_for(&plane, &repo, cache.path());
    let (revision, applied_keys, _) = applied(sync.sync_once().await.expect("sync"));
    assert_eq!(revision, commit);
    assert_eq!(applied_keys.len(), 3, "{applied_keys:?}");
    let widgets: Api<DynamicObject> = Api::namespaced_with(
        plane.client.clone(),
        "ops",
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("example.com", "v1", "Widget"),
            "widgets",
        ),
    );
    let stored = widgets.get("w").await.expect("widget applied");
    assert_eq!(stored.data["spec"]["size"], 3);
    assert_eq!(
        stored.metadata.labels.as_ref().expect("labels")[labels::SOURCE],
        "fleet"
    );
    });
}

#[test]
fn a_revision_declaring_a_kind_not_allowed_is_rejected_and_the_last_good_one_stays() {
    let server = TestServer::start();
    server.block_on(async {
        let plane = ControlPlane::new(&server).await;
        let repo = TestRepo::new();
        let cache = tempfile::tempdir().expect("cache");
        let sync = sync_for(&plane, &repo, cache.path());
        let first = repo.commit(
            "a window",
            &[
                ("fleet/namespace.yaml", NAMESPACE),
                ("fleet/window.yaml", WINDOW),
            ],
        );
        let (revision, _, _) = applied(sync.sync_once().await.expect("sync 1"));
        assert_eq!(revision, first);

        let second = repo.commit(
            "a secret",
            &[(
                "fleet/secret.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata: {name: token, namespace: ops}\nstringData: {token: x}\n",
            )],
        );
        let outcome = sync.sync_once().await.expect("sync 2");
        let (revision, problems, last_applied) = rejected(outcome);
        assert_eq!(revision, second);
        assert_eq!(last_applied, format!("main@sha1:{first}"));
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t.starts_with("fleet/secret.yaml") && t.contains("kind Secret")),
            "{text:?}"
        );
        let status = plane.status().await;
        assert_eq!(status["lastAppliedRevision"], format!("main@sha1:{first}"));
        assert_eq!(status["reason"], "ValidationFailed");
        let secrets: Api<k8s_openapi::api::core::v1::Secret> =
            Api::namespaced(plane.client.clone(), "ops");
        assert!(secrets.get_opt("token").await.expect("get").is_none());
        assert!(status["message"].contains("kind Secret"), "{status:?}");
    });
}
