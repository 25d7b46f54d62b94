//! For the controllers' tests: a fresh embedded control plane on a loopback port, serving the
//! patchwarden kinds a test names, and a controller context on its client.

#![allow(clippy::expect_used)] // test setup fails loudly

use std::sync::Arc;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ApiResource, DynamicObject, ListParams, PostParams};

use super::events::EventRecorder;
use super::metrics::Metrics;
use super::{Context, assessment, lab_fleets, operations};

/// Creates, through `api`, the object `manifest` (JSON) describes.
pub async fn create_from_json<K>(api: &kube::Api<K>, manifest: serde_json::Value) -> K
where
    K: kube::Resource + Clone + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let object: K = serde_json::from_value(manifest).expect("manifest of the kind");
    api.create(&PostParams::default(), &object)
        .await
        .expect("object created")
}

/// A client of a fresh embedded control plane in `dir`, once it serves `kinds` (patchwarden
/// kinds, e.g. `["Asset"]`; the built-in kinds are always served).
pub async fn control_plane(
    dir: &std::path::Path,
    kinds: &[&str],
) -> (patchwarden_apiserver::RunningServer, kube::Client) {
    let config = patchwarden_apiserver::Config::new(dir.join("apiserver"));
    let server = patchwarden_apiserver::ApiServer::start(config)
        .await
        .expect("control plane starts");
    let kubeconfig =
        kube::config::Kubeconfig::from_yaml(&server.kubeconfig_yaml()).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("client config");
    let client = kube::Client::try_from(config).expect("client");
    let crds: kube::Api<CustomResourceDefinition> = kube::Api::all(client.clone());
    for crd in patchwarden_api::crds::all()
        .into_iter()
        .filter(|crd| kinds.contains(&crd.spec.names.kind.as_str()))
    {
        let resource = ApiResource {
            group: crd.spec.group.clone(),
            version: crd.spec.versions[0].name.clone(),
            api_version: format!("{}/{}", crd.spec.group, crd.spec.versions[0].name),
            kind: crd.spec.names.kind.clone(),
            plural: crd.spec.names.plural.clone(),
        };
        crds.create(&PostParams::default(), &crd)
            .await
            .expect("CRD created");
        let served: kube::Api<DynamicObject> = kube::Api::all_with(client.clone(), &resource);
        for _ in 0..100 {
            if served.list(&ListParams::default()).await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    (server, client)
}

/// A controller context on `client`, watching namespace `default`; change fields before
/// sharing it.
pub fn context(client: kube::Client) -> Context {
    Context {
        client: client.clone(),
        namespace: Some(String::from("default")),
        metrics: Arc::new(Metrics::new()),
        events: EventRecorder::new(client, "test"),
        backoff: super::error::Backoff::default(),
        labs: lab_fleets::LabFleets::new(None),
        assessment: assessment::Assessments::new(),
        operations: Arc::new(operations::Journal::new()),
        feed_base: None,
        ssh: super::ssh_credentials::SshCredentials::default(),
        evidence: super::evidence::EvidenceKeys::new(super::evidence::KeySource::Secret {
            namespace: String::from("default"),
        }),
        agents: None,
    }
}
