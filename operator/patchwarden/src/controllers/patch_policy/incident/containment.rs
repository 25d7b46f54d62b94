//! The containment manifest of an incident response: rendered for the asset, each object
//! server-side applied through discovery, and deleted when the incident ends.

use kube::api::{DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::discovery::{Scope, pinned_kind};
use kube::{Api, ResourceExt};
use patchwarden_api::asset::Asset;
use patchwarden_api::convert::incident::{
    AssetValues, ContainmentContext, IncidentValues, PolicyValues, render_containment,
};
use patchwarden_api::patch_policy::IncidentRecord;
use patchwarden_core::incident::{Incident, IncidentCause};
use serde_json::{Value, json};

use super::Responder;

/// The field manager of containment objects.
const FIELD_MANAGER: &str = "patchwarden-incident-response";

impl Responder<'_> {
    /// Renders the containment template for the asset and applies each object.
    pub(super) async fn apply_containment(
        &self,
        template: &str,
        incident: &Incident,
        asset: &Asset,
        record: &mut IncidentRecord,
    ) -> Vec<String> {
        let finding = match &incident.cause {
            IncidentCause::ExposedKevOverdue { finding, .. } => Some(finding.clone()),
            IncidentCause::Compromised { .. } => None,
        };
        let context = ContainmentContext {
            asset: AssetValues {
                name: asset.name_any(),
                namespace: asset.namespace().unwrap_or_else(|| self.namespace.clone()),
                address: asset.spec.address.clone(),
                node: asset.node_name(),
                labels: asset.labels().clone(),
            },
            incident: IncidentValues {
                kind: match incident.cause {
                    IncidentCause::Compromised { .. } => "Compromised".into(),
                    IncidentCause::ExposedKevOverdue { .. } => "ExposedKevOverdue".into(),
                },
                cause: incident.cause.to_string(),
                finding,
            },
            policy: PolicyValues {
                name: self.policy.name_any(),
                namespace: self.namespace.clone(),
            },
        };
        let objects = match render_containment(template, &context) {
            Ok(objects) => objects,
            Err(e) => return vec![format!("containment failed: {e}")],
        };
        let mut actions = Vec::new();
        for object in objects {
            match self.apply_object(object).await {
                Ok(applied) => {
                    actions.push(format!("applied {applied}"));
                    if !record.applied.contains(&applied) {
                        record.applied.push(applied);
                    }
                }
                Err(e) => actions.push(format!("containment failed: {e}")),
            }
        }
        actions
    }

    /// Server-side applies one rendered object, labelled as the policy's containment; returns
    /// its `apiVersion/kind/namespace/name`.
    pub(super) async fn apply_object(&self, mut object: Value) -> Result<String, String> {
        let api_version = object["apiVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let kind = object["kind"].as_str().unwrap_or_default().to_string();
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (api, namespace) = self.dynamic_api(&api_version, &kind, &object).await?;
        object["metadata"]["labels"]["app.kubernetes.io/managed-by"] = json!("patchwarden");
        object["metadata"]["labels"]["patchwarden.io/incident-policy"] =
            json!(self.policy.name_any());
        if namespace.is_empty()
            && let Some(metadata) = object["metadata"].as_object_mut()
        {
            metadata.remove("namespace");
        }
        let key = format!("{api_version}/{kind}/{namespace}/{name}");
        api.patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&object),
        )
        .await
        .map_err(|e| format!("{key}: {e}"))?;
        Ok(key)
    }

    /// The API of an object's kind (resolved through discovery) and its namespace (empty for a
    /// cluster-scoped kind).
    pub(super) async fn dynamic_api(
        &self,
        api_version: &str,
        kind: &str,
        object: &Value,
    ) -> Result<(Api<DynamicObject>, String), String> {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let (resource, capabilities) = pinned_kind(&self.context.client, &gvk)
            .await
            .map_err(|e| format!("{api_version} {kind}: {e}"))?;
        let client = self.context.client.clone();
        Ok(match capabilities.scope {
            Scope::Namespaced => {
                let namespace = object["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or(&self.namespace)
                    .to_string();
                (
                    Api::namespaced_with(client, &namespace, &resource),
                    namespace,
                )
            }
            Scope::Cluster => (Api::all_with(client, &resource), String::new()),
        })
    }

    pub(super) async fn delete_applied(&self, applied: &str) -> Result<(), kube::Error> {
        let parts: Vec<&str> = applied.rsplitn(4, '/').collect();
        let [name, namespace, kind, api_version] = parts[..] else {
            return Ok(());
        };
        let object = json!({"metadata": {"namespace": namespace}});
        let Ok((api, _)) = self.dynamic_api(api_version, kind, &object).await else {
            // The kind is gone from the cluster, and its objects with it.
            return Ok(());
        };
        match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(e) => Err(e),
        }
    }
}
