//! The real kube-rs runtime against the embedded server: a Controller (watcher + reflector)
//! over a derived CRD sees creates, updates and deletes; the `finalizer` function, patch_status,
//! replace_status, the Events recorder, streaming-list and metadata watchers, and a Lease
//! round trip with optimistic concurrency.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Event as CoreEvent;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, ListParams, PartialObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, CustomResource, CustomResourceExt, Resource, ResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use support::cluster::TestServer;
use support::kubeconfig;
use support::wait::eventually;

/// A test kind reconciled by the controller below.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "example.com",
    version = "v1",
    kind = "Gadget",
    namespaced,
    status = "GadgetStatus"
)]
pub struct GadgetSpec {
    /// How many parts the gadget has.
    pub parts: i32,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GadgetStatus {
    pub observed_generation: Option<i64>,
    pub phase: Option<String>,
    pub note: Option<String>,
}

const FINALIZER: &str = "example.com/cleanup";

/// How long a controller or watcher may take to see a change.
const SETTLE: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ReconcileError(String);

struct Ctx {
    api: Api<Gadget>,
    recorder: Recorder,
    seen: Mutex<Vec<String>>,
}

async fn reconcile(
    obj: Arc<Gadget>,
    ctx: Arc<Ctx>,
) -> Result<Action, kube::runtime::finalizer::Error<ReconcileError>> {
    let api = ctx.api.clone();
    let ctx2 = ctx.clone();
    finalizer(&api, FINALIZER, obj, |event| async move {
        match event {
            FinalizerEvent::Apply(g) => {
                let name = g.name_any();
                let generation = g.metadata.generation.unwrap_or(0);
                ctx2.seen.lock().expect("lock").push(format!(
                    "apply {name} gen={generation} parts={}",
                    g.spec.parts
                ));
                let status =
                    json!({"status": {"observedGeneration": generation, "phase": "Ready"}});
                ctx2.api
                    .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
                    .await
                    .map_err(|e| ReconcileError(e.to_string()))?;
                ctx2.recorder
                    .publish(
                        &Event {
                            type_: EventType::Normal,
                            reason: "Reconciled".into(),
                            note: Some(format!("generation {generation} reconciled")),
                            action: "Reconcile".into(),
                            secondary: None,
                        },
                        &g.object_ref(&()),
                    )
                    .await
                    .map_err(|e| ReconcileError(e.to_string()))?;
                Ok(Action::await_change())
            }
            FinalizerEvent::Cleanup(g) => {
                ctx2.seen
                    .lock()
                    .expect("lock")
                    .push(format!("cleanup {}", g.name_any()));
                Ok(Action::await_change())
            }
        }
    })
    .await
}

fn error_policy(
    _obj: Arc<Gadget>,
    _err: &kube::runtime::finalizer::Error<ReconcileError>,
    _ctx: Arc<Ctx>,
) -> Action {
    Action::requeue(Duration::from_millis(200))
}

async fn install_crd(client: &Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &Gadget::crd())
        .await
        .expect("CRD created");
    let established = crds.get("gadgets.example.com").await.expect("CRD");
    let conditions = established
        .status
        .and_then(|s| s.conditions)
        .unwrap_or_default();
    assert!(
        conditions
            .iter()
            .any(|c| c.type_ == "Established" && c.status == "True")
    );
}

#[test]
fn controller_with_finalizer_status_and_events() {
    let server = TestServer::start();
    server.block_on(async {
        let client = kubeconfig::client(server.kubeconfig()).await;
        install_crd(&client).await;
        let api: Api<Gadget> = Api::namespaced(client.clone(), "default");
        let recorder = Recorder::new(
            client.clone(),
            Reporter {
                controller: "gadget-controller".into(),
                instance: None,
            },
        );
        let ctx = Arc::new(Ctx {
            api: api.clone(),
            recorder,
            seen: Mutex::new(Vec::new()),
        });
        let controller = Controller::new(api.clone(), watcher::Config::default())
            .run(reconcile, error_policy, ctx.clone())
            .for_each(|result| {
                if let Err(e) = result {
                    eprintln!("reconcile error: {e:?}");
                }
                futures::future::ready(())
            });
        let handle = tokio::spawn(controller);

        // Create: the finalizer is added, then status is written.
        api.create(
            &PostParams::default(),
            &Gadget::new("g1", GadgetSpec { parts: 2 }),
        )
        .await
        .expect("create");
        eventually("status phase Ready at generation 1", SETTLE, || {
            let api = api.clone();
            async move {
                api.get("g1")
                    .await
                    .ok()
                    .and_then(|g| g.status)
                    .is_some_and(|s| {
                        s.phase.as_deref() == Some("Ready") && s.observed_generation == Some(1)
                    })
            }
        })
        .await;
        let g = api.get("g1").await.expect("get");
        assert_eq!(g.finalizers(), &[FINALIZER.to_string()]);
        assert_eq!(
            g.metadata.generation,
            Some(1),
            "status writes must not bump generation"
        );

        // Update: a spec change bumps generation and is reconciled.
        api.patch(
            "g1",
            &PatchParams::apply("test").force(),
            &Patch::Apply(json!({
            "apiVersion": "example.com/v1", "kind": "Gadget", "spec": {"parts": 5}})),
        )
        .await
        .expect("apply");
        eventually("observedGeneration 2", SETTLE, || {
            let api = api.clone();
            async move {
                api.get("g1")
                    .await
                    .ok()
                    .and_then(|g| g.status)
                    .is_some_and(|s| s.observed_generation == Some(2))
            }
        })
        .await;
        assert!(
            ctx.seen
                .lock()
                .expect("lock")
                .iter()
                .any(|s| s == "apply g1 gen=2 parts=5")
        );

        // replace_status with the current resourceVersion; a stale one conflicts.
        let mut g = api.get_status("g1").await.expect("get status");
        let stale_rv = g.resource_version();
        g.status = Some(GadgetStatus {
            observed_generation: Some(2),
            phase: Some("Ready".into()),
            note: Some("replaced".into()),
        });
        let replaced = api
            .replace_status("g1", &PostParams::default(), &g)
            .await
            .expect("replace_status");
        assert_eq!(
            replaced.status.and_then(|s| s.note).as_deref(),
            Some("replaced")
        );
        let err = api
            .replace_status("g1", &PostParams::default(), &g)
            .await
            .expect_err("stale");
        assert!(
            matches!(&err, kube::Error::Api(s) if s.code == 409),
            "{err:?} (stale rv {stale_rv:?})"
        );

        // The recorder's events are readable through the core/v1 view with the
        // involvedObject field selectors kubectl describe uses.
        let uid = api.get("g1").await.expect("get").uid().expect("uid");
        let events: Api<CoreEvent> = Api::namespaced(client.clone(), "default");
        let selector =
            format!("involvedObject.name=g1,involvedObject.kind=Gadget,involvedObject.uid={uid}");
        eventually("a Reconciled event", SETTLE, || {
            let events = events.clone();
            let selector = selector.clone();
            async move {
                events
                    .list(&ListParams::default().fields(&selector))
                    .await
                    .is_ok_and(|l| {
                        l.items.iter().any(|e| {
                            e.reason.as_deref() == Some("Reconciled")
                                && e.reporting_component.as_deref() == Some("gadget-controller")
                        })
                    })
            }
        })
        .await;

        // Delete: cleanup runs, the finalizer is removed, and the object goes.
        api.delete("g1", &DeleteParams::default())
            .await
            .expect("delete");
        eventually("object gone after cleanup", SETTLE, || {
            let api = api.clone();
            async move { api.get_opt("g1").await.is_ok_and(|g| g.is_none()) }
        })
        .await;
        assert!(
            ctx.seen
                .lock()
                .expect("lock")
                .iter()
                .any(|s| s == "cleanup g1")
        );
        handle.abort();
    });
}

#[test]
fn watchers_see_creates_updates_and_deletes() {
    let server = TestServer::start();
    server.block_on(async {
        let client = kubeconfig::client(server.kubeconfig()).await;
        install_crd(&client).await;
        let api: Api<Gadget> = Api::namespaced(client.clone(), "default");
        api.create(&PostParams::default(), &Gadget::new("before", GadgetSpec { parts: 1 })).await.expect("create");

        // A reflector fed by the default (list+watch) watcher.
        let (reader, writer) = kube::runtime::reflector::store::<Gadget>();
        let reflector = kube::runtime::reflector(writer, watcher(api.clone(), watcher::Config::default()))
            .applied_objects()
            .for_each(|_| futures::future::ready(()));
        let reflector = tokio::spawn(reflector);
        // A streaming-list watcher and a metadata watcher record what they see.
        let streamed: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = streamed.clone();
        let streaming = tokio::spawn(
            watcher(api.clone(), watcher::Config::default().streaming_lists())
                .try_for_each(move |ev| {
                    let line = match ev {
                        watcher::Event::InitApply(g) => format!("init {}", g.name_any()),
                        watcher::Event::InitDone => "init-done".to_string(),
                        watcher::Event::Apply(g) => format!("apply {} {}", g.name_any(), g.spec.parts),
                        watcher::Event::Delete(g) => format!("delete {}", g.name_any()),
                        watcher::Event::Init => "init".to_string(),
                    };
                    sink.lock().expect("lock").push(line);
                    futures::future::ready(Ok(()))
                }),
        );
        let meta_names: Arc<Mutex<Vec<String>>> = Arc::default();
        let meta_sink = meta_names.clone();
        let meta = tokio::spawn(
            watcher(Api::<PartialObjectMeta<Gadget>>::namespaced(client.clone(), "default"), watcher::Config::default())
                .applied_objects()
                .try_for_each(move |m| {
                    meta_sink.lock().expect("lock").push(m.name_any());
                    futures::future::ready(Ok(()))
                }),
        );

        eventually("reflector has the first object", SETTLE, || {
            let reader = reader.clone();
            async move { reader.state().len() == 1 }
        })
        .await;
        api.create(&PostParams::default(), &Gadget::new("after", GadgetSpec { parts: 3 })).await.expect("create");
        api.patch("after", &PatchParams::default(), &Patch::Merge(json!({"spec": {"parts": 4}}))).await.expect("patch");
        api.delete("before", &DeleteParams::default()).await.expect("delete");
        eventually("reflector tracks the changes", SETTLE, || {
            let reader = reader.clone();
            async move {
                let state = reader.state();
                state.len() == 1 && state[0].name_any() == "after" && state[0].spec.parts == 4
            }
        })
        .await;
        eventually("streaming list saw everything in order", SETTLE, || {
            let streamed = streamed.clone();
            async move {
                let s = streamed.lock().expect("lock").clone();
                let pos = |x: &str| s.iter().position(|l| l == x);
                matches!((pos("init before"), pos("init-done"), pos("apply after 3"), pos("apply after 4"), pos("delete before")),
                    (Some(a), Some(b), Some(c), Some(d), Some(e)) if a < b && b < c && c < d && d < e)
            }
        })
        .await;
        eventually("metadata watcher saw both", SETTLE, || {
            let m = meta_names.clone();
            async move {
                let m = m.lock().expect("lock");
                m.contains(&"before".to_string()) && m.contains(&"after".to_string())
            }
        })
        .await;
        reflector.abort();
        streaming.abort();
        meta.abort();
    });
}

#[test]
fn lease_round_trip_with_optimistic_concurrency() {
    let server = TestServer::start();
    server.block_on(async {
        let client = kubeconfig::client(server.kubeconfig()).await;
        let leases: Api<Lease> = Api::namespaced(client.clone(), "kube-node-lease");
        let lease: Lease = serde_json::from_value(json!({
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "patchwarden-leader"},
            "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15,
                     "acquireTime": "2026-01-01T00:00:00.000000Z", "renewTime": "2026-01-01T00:00:00.000000Z",
                     "leaseTransitions": 0}
        }))
        .expect("lease");
        let created = leases.create(&PostParams::default(), &lease).await.expect("create");
        let err = leases.create(&PostParams::default(), &lease).await.expect_err("exists");
        assert!(matches!(&err, kube::Error::Api(s) if s.reason == "AlreadyExists" && s.code == 409), "{err:?}");

        let mut taken = created.clone();
        if let Some(spec) = taken.spec.as_mut() {
            spec.holder_identity = Some("b".into());
            spec.lease_transitions = Some(1);
        }
        let replaced = leases.replace("patchwarden-leader", &PostParams::default(), &taken).await.expect("replace");
        assert_eq!(replaced.spec.as_ref().and_then(|s| s.holder_identity.clone()).as_deref(), Some("b"));
        assert_ne!(replaced.resource_version(), created.resource_version());
        // The same stale object again: a conflict, as leader election expects.
        let err = leases.replace("patchwarden-leader", &PostParams::default(), &taken).await.expect_err("stale");
        assert!(matches!(&err, kube::Error::Api(s) if s.reason == "Conflict" && s.code == 409), "{err:?}");
        // A merge patch that carries a stale resourceVersion is a precondition too.
        let stale = json!({"metadata": {"resourceVersion": created.resource_version()}, "spec": {"holderIdentity": "c"}});
        let err = leases.patch("patchwarden-leader", &PatchParams::default(), &Patch::Merge(&stale)).await.expect_err("stale patch");
        assert!(matches!(&err, kube::Error::Api(s) if s.code == 409), "{err:?}");
        let renewed = json!({"spec": {"renewTime": "2026-01-01T00:00:10.123456Z"}});
        let patched = leases.patch("patchwarden-leader", &PatchParams::default(), &Patch::Merge(&renewed)).await.expect("renew");
        let renew = serde_json::to_value(patched.spec.and_then(|s| s.renew_time)).expect("json");
        assert_eq!(renew, json!("2026-01-01T00:00:10.123456Z"));
        let got = leases.get("patchwarden-leader").await.expect("get");
        assert_eq!(got.spec.and_then(|s| s.lease_transitions), Some(1));
    });
}

#[test]
fn version_and_discovery_through_kube() {
    let server = TestServer::start();
    server.block_on(async {
        let client = kubeconfig::client(server.kubeconfig()).await;
        let info = client.apiserver_version().await.expect("version");
        assert_eq!((info.major.as_str(), info.minor.as_str()), ("1", "32"));
        install_crd(&client).await;
        let discovery = kube::Discovery::new(client.clone())
            .run()
            .await
            .expect("discovery");
        let mut kinds = BTreeMap::new();
        for group in discovery.groups() {
            for (res, caps) in group.recommended_resources() {
                kinds.insert(res.kind.clone(), caps.scope.clone());
            }
        }
        for kind in [
            "Gadget",
            "Lease",
            "Namespace",
            "CustomResourceDefinition",
            "Event",
        ] {
            assert!(kinds.contains_key(kind), "{kind} missing from {kinds:?}");
        }
    });
}
