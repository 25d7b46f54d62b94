//! Incident response: the I/O around `core::incident`. For each member in incident the
//! policy's `incidentResponse` is carried out — labels on the Asset and its Node, a taint, a
//! cordon, the containment manifest (server-side apply) and a signed webhook — and recorded in
//! `status.incidents`; each action is idempotent and is applied again on every evaluation.
//! When the incident ends the actions are reversed (unless `keep`), the webhook is told, and
//! the record goes; a reversal that fails keeps the record, so it is tried again.

use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{Node, Secret, Taint};
use kube::api::{DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::discovery::{Scope, pinned_kind};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, ResourceExt};
use patchwarden_api::asset::Asset;
use patchwarden_api::convert::incident::{
    AssetValues, ContainmentContext, IncidentValues, PolicyValues, render_containment,
};
use patchwarden_api::patch_policy::{
    IncidentRecord, IncidentResponse, IncidentTaint, PatchPolicy, PolicyMode,
};
use patchwarden_api::time::to_k8s;
use patchwarden_core::incident::{
    Incident, IncidentCause, IncidentNotice, incident_changes, open_incidents,
};
use patchwarden_gitops::trigger::webhook::signature;
use serde_json::{Value, json};

use super::super::operations::http_client;
use super::super::{Context, object_key};
use super::observe::Observed;

/// The field manager of containment objects.
const FIELD_MANAGER: &str = "patchwarden-incident-response";
/// How long a webhook call may take.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// The header carrying the body's signature.
pub const SIGNATURE_HEADER: &str = "X-Patchwarden-Signature";

/// Responds to the policy's incidents and returns the records to write into its status.
pub async fn respond(
    context: &Context,
    policy: &PatchPolicy,
    observed: &Observed,
    assets: &Store<Asset>,
    stored: &[IncidentRecord],
    now: DateTime<Utc>,
) -> Vec<IncidentRecord> {
    let response = policy.spec.incident_response.as_ref();
    let open = match response {
        Some(_) => open_incidents(
            &observed.members,
            &observed.internet_exposed,
            now.date_naive(),
        ),
        None => Vec::new(),
    };
    let responded: Vec<&str> = stored.iter().map(|r| r.asset.as_str()).collect();
    let changes = incident_changes(open, &responded);
    let plan_only = policy.spec.mode == PolicyMode::Plan;
    let mut records = Vec::new();
    for incident in changes.started.iter().chain(&changes.ongoing) {
        let previous = stored.iter().find(|r| r.asset == incident.asset);
        let Some(response) = response else { continue };
        let record = if plan_only {
            IncidentRecord {
                asset: incident.asset.clone(),
                cause: incident.cause.to_string(),
                actions: vec!["not carried out: the policy is in Plan mode".into()],
                ..IncidentRecord::default()
            }
        } else {
            let asset = assets.get(&ObjectRef::new(&incident.asset).within(&observed.namespace));
            let responder = Responder::new(context, policy, response);
            responder
                .contain(incident, asset.as_deref(), previous, now)
                .await
        };
        if previous.is_none() {
            let message = format!(
                "{}: {}; {}",
                incident.asset,
                incident.cause,
                record.actions.join("; ")
            );
            context
                .events
                .warning(policy, "IncidentStarted", message)
                .await;
        }
        records.push(record);
    }
    for asset in &changes.ended {
        let Some(record) = stored.iter().find(|r| &r.asset == asset) else {
            continue;
        };
        // A member being patched, or unreachable, is not assessed now: its incident has not
        // ended, its assessment is just not there to say so.
        if response.is_some() && not_assessed_now(observed, asset) {
            records.push(record.clone());
            continue;
        }
        // A response recorded in Plan mode did nothing: there is nothing to undo or report.
        // (One made before the policy went to Plan mode is undone as usual.)
        if nothing_done(record) {
            continue;
        }
        let keep = response.is_some_and(|r| r.keep);
        let empty = IncidentResponse::default();
        let responder = Responder::new(context, policy, response.unwrap_or(&empty));
        match responder.release(record, keep, now).await {
            Ok(done) => {
                let message = format!("{asset}: the incident ended; {}", done.join("; "));
                context
                    .events
                    .normal(policy, "IncidentResolved", message)
                    .await;
            }
            Err(failed) => records.push(failed),
        }
    }
    records
}

/// Whether a record holds no action to undo and no notice to follow up.
fn nothing_done(record: &IncidentRecord) -> bool {
    record.label_keys.is_empty()
        && record.taint_key.is_none()
        && !record.cordoned
        && record.applied.is_empty()
        && !record.notified
}

/// Whether the member `asset` is left out of this evaluation for want of an assessment.
fn not_assessed_now(observed: &Observed, asset: &str) -> bool {
    observed.unassessed.iter().any(|name| name == asset)
        || observed
            .stalled
            .iter()
            .any(|entry| entry.split(' ').next() == Some(asset))
}

/// Carries out one policy's response.
struct Responder<'a> {
    context: &'a Context,
    policy: &'a PatchPolicy,
    response: &'a IncidentResponse,
    namespace: String,
}

impl<'a> Responder<'a> {
    fn new(context: &'a Context, policy: &'a PatchPolicy, response: &'a IncidentResponse) -> Self {
        Self {
            context,
            policy,
            response,
            namespace: policy.namespace().unwrap_or_else(|| "default".into()),
        }
    }

    /// Applies every action to the asset; what failed is said in the record's actions.
    async fn contain(
        &self,
        incident: &Incident,
        asset: Option<&Asset>,
        previous: Option<&IncidentRecord>,
        now: DateTime<Utc>,
    ) -> IncidentRecord {
        let mut record = previous.cloned().unwrap_or_else(|| IncidentRecord {
            asset: incident.asset.clone(),
            since: Some(to_k8s(now)),
            ..IncidentRecord::default()
        });
        record.cause = incident.cause.to_string();
        let mut actions = Vec::new();
        let Some(asset) = asset else {
            record.actions = vec!["the Asset is gone".into()];
            return record;
        };
        record.node = asset.node_name();
        if !self.response.labels.is_empty() {
            actions.push(self.label(asset, record.node.as_deref()).await);
            record.label_keys = self.response.labels.keys().cloned().collect();
        }
        if let (Some(node), Some(taint)) = (record.node.clone(), &self.response.taint) {
            actions.push(match self.taint(&node, taint).await {
                Ok(()) => {
                    record.taint_key = Some(taint.key.clone());
                    format!(
                        "tainted Node {node} {}:{}",
                        taint.key,
                        taint.effect.as_str()
                    )
                }
                Err(e) => format!("tainting Node {node} failed: {e}"),
            });
        }
        if let (Some(node), true) = (record.node.clone(), self.response.cordon) {
            actions.push(match self.cordon(&node, true).await {
                // Only a cordon of its own is undone when the incident ends.
                Ok(changed) => {
                    record.cordoned |= changed;
                    if record.cordoned {
                        format!("cordoned Node {node}")
                    } else {
                        format!("Node {node} was cordoned already")
                    }
                }
                Err(e) => format!("cordoning Node {node} failed: {e}"),
            });
        }
        if let Some(template) = &self.response.containment {
            actions.extend(
                self.apply_containment(template, incident, asset, &mut record)
                    .await,
            );
        }
        if self.response.webhook.is_some() && !record.notified {
            let notice = self.notice("IncidentStarted", &record, &actions, now);
            match self.notify(&notice).await {
                Ok(status) => {
                    record.notified = true;
                    actions.push(format!("notified the webhook (HTTP {status})"));
                }
                Err(e) => actions.push(format!("the webhook failed: {e}")),
            }
        }
        record.actions = actions;
        record
    }

    /// Reverses the actions recorded for an incident that ended; `Err` keeps the record (with
    /// what failed) so that the next evaluation tries again.
    async fn release(
        &self,
        record: &IncidentRecord,
        keep: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, IncidentRecord> {
        let mut done = Vec::new();
        let mut failed = Vec::new();
        if keep {
            done.push("its actions are kept (incidentResponse.keep)".into());
        } else {
            self.reverse(record, &mut done, &mut failed).await;
        }
        if self.response.webhook.is_some() {
            let notice = self.notice("IncidentResolved", record, &done, now);
            match self.notify(&notice).await {
                Ok(status) => done.push(format!("notified the webhook (HTTP {status})")),
                // The end is in Events and status; a receiver that is down misses it.
                Err(e) => done.push(format!("the webhook failed: {e}")),
            }
        }
        if failed.is_empty() {
            Ok(done)
        } else {
            let mut kept = record.clone();
            kept.cause = format!("ended; {}", record.cause.trim_start_matches("ended; "));
            kept.actions = failed;
            Err(kept)
        }
    }

    async fn reverse(
        &self,
        record: &IncidentRecord,
        done: &mut Vec<String>,
        failed: &mut Vec<String>,
    ) {
        let mut note = |result: Result<(), kube::Error>, what: String| match result {
            Ok(()) => done.push(what),
            Err(e) => failed.push(format!("{what} failed: {e}")),
        };
        if !record.label_keys.is_empty() {
            let removed: serde_json::Map<String, Value> = record
                .label_keys
                .iter()
                .map(|k| (k.clone(), Value::Null))
                .collect();
            let patch = json!({"metadata": {"labels": removed}});
            let assets: Api<Asset> = self.context.api_for(self.policy);
            let result = merge_patch_if_present(&assets, &record.asset, &patch).await;
            note(
                result,
                format!("removed the labels of Asset {}", record.asset),
            );
            if let Some(node) = &record.node {
                let nodes: Api<Node> = Api::all(self.context.client.clone());
                let result = merge_patch_if_present(&nodes, node, &patch).await;
                note(result, format!("removed the labels of Node {node}"));
            }
        }
        if let (Some(node), Some(key)) = (&record.node, &record.taint_key) {
            let result = self.remove_taint(node, key).await;
            note(result, format!("removed the taint {key} of Node {node}"));
        }
        if let (Some(node), true) = (&record.node, record.cordoned) {
            let result = self.cordon(node, false).await.map(|_| ());
            note(result, format!("uncordoned Node {node}"));
        }
        for applied in &record.applied {
            let result = self.delete_applied(applied).await;
            note(result, format!("deleted {applied}"));
        }
    }

    /// Sets the labels on the Asset and on its Node. Objects that carry them already are
    /// not written: a write would wake the controllers watching them for nothing.
    async fn label(&self, asset: &Asset, node: Option<&str>) -> String {
        let wanted = &self.response.labels;
        let patch = json!({"metadata": {"labels": wanted}});
        let listed: Vec<String> = wanted.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let has_labels = |labels: &std::collections::BTreeMap<String, String>| {
            wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
        };
        let mut result = Ok(());
        if !has_labels(asset.labels()) {
            let assets: Api<Asset> = self.context.api_for(self.policy);
            result = merge_patch_if_present(&assets, &asset.name_any(), &patch).await;
        }
        if let (Ok(()), Some(node)) = (&result, node) {
            let nodes: Api<Node> = Api::all(self.context.client.clone());
            result = match nodes.get_opt(node).await {
                Ok(Some(found)) if has_labels(found.labels()) => Ok(()),
                Ok(_) => merge_patch_if_present(&nodes, node, &patch).await,
                Err(e) => Err(e),
            };
        }
        let target = match node {
            Some(node) => format!("Asset {} and Node {node}", asset.name_any()),
            None => format!("Asset {}", asset.name_any()),
        };
        match result {
            Ok(()) => format!("labelled {target} {}", listed.join(",")),
            Err(e) => format!("labelling {target} failed: {e}"),
        }
    }

    /// Puts the taint on the Node (replacing one with the same key and effect).
    async fn taint(&self, node: &str, taint: &IncidentTaint) -> Result<(), kube::Error> {
        let nodes: Api<Node> = Api::all(self.context.client.clone());
        let current = nodes.get(node).await?;
        let wanted = Taint {
            key: taint.key.clone(),
            value: taint.value.clone(),
            effect: taint.effect.as_str().to_string(),
            time_added: None,
        };
        let mut taints: Vec<Taint> = current.spec.and_then(|s| s.taints).unwrap_or_default();
        if taints.contains(&wanted) {
            return Ok(());
        }
        taints.retain(|t| !(t.key == wanted.key && t.effect == wanted.effect));
        taints.push(wanted);
        let patch = json!({"spec": {"taints": taints}});
        nodes
            .patch(node, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map(|_| ())
    }

    async fn remove_taint(&self, node: &str, key: &str) -> Result<(), kube::Error> {
        let nodes: Api<Node> = Api::all(self.context.client.clone());
        let Some(current) = nodes.get_opt(node).await? else {
            return Ok(());
        };
        let taints: Vec<Taint> = current
            .spec
            .and_then(|s| s.taints)
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.key != key)
            .collect();
        let patch = json!({"spec": {"taints": taints}});
        nodes
            .patch(node, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map(|_| ())
    }

    /// Cordons or uncordons the Node; whether that changed it.
    async fn cordon(&self, node: &str, cordoned: bool) -> Result<bool, kube::Error> {
        let nodes: Api<Node> = Api::all(self.context.client.clone());
        let current = nodes
            .get_opt(node)
            .await?
            .and_then(|n| n.spec)
            .and_then(|s| s.unschedulable)
            .unwrap_or(false);
        if current == cordoned {
            return Ok(false);
        }
        let value = if cordoned {
            Value::Bool(true)
        } else {
            Value::Null
        };
        let patch = json!({"spec": {"unschedulable": value}});
        merge_patch_if_present(&nodes, node, &patch)
            .await
            .map(|()| true)
    }

    /// Renders the containment template for the asset and applies each object.
    async fn apply_containment(
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
    async fn apply_object(&self, mut object: Value) -> Result<String, String> {
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
    async fn dynamic_api(
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

    async fn delete_applied(&self, applied: &str) -> Result<(), kube::Error> {
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

    fn notice(
        &self,
        event: &'static str,
        record: &IncidentRecord,
        actions: &[String],
        now: DateTime<Utc>,
    ) -> IncidentNotice {
        IncidentNotice {
            event,
            policy: object_key(self.policy),
            asset: format!("{}/{}", self.namespace, record.asset),
            cause: record.cause.trim_start_matches("ended; ").to_string(),
            actions: actions.to_vec(),
            at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }

    /// POSTs the signed notice; the HTTP status when the receiver accepted it (2xx).
    async fn notify(&self, notice: &IncidentNotice) -> Result<u16, String> {
        let Some(webhook) = &self.response.webhook else {
            return Err("no webhook".into());
        };
        let secrets: Api<Secret> = self.context.api_for(self.policy);
        let secret = secrets
            .get_opt(&webhook.secret_ref.name)
            .await
            .map_err(|e| format!("reading Secret {}: {e}", webhook.secret_ref.name))?
            .ok_or_else(|| format!("Secret {} does not exist", webhook.secret_ref.name))?;
        let key = secret
            .data
            .as_ref()
            .and_then(|data| data.get(&webhook.secret_ref.key))
            .ok_or_else(|| {
                format!(
                    "Secret {} has no key {}",
                    webhook.secret_ref.name, webhook.secret_ref.key
                )
            })?;
        let body = serde_json::to_vec(notice).map_err(|e| e.to_string())?;
        let client = http_client(WEBHOOK_TIMEOUT).map_err(|e| e.to_string())?;
        let response = client
            .post(&webhook.url)
            .header("Content-Type", "application/json")
            .header(SIGNATURE_HEADER, signature(&key.0, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST {}: {e}", webhook.url))?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            Ok(status)
        } else {
            Err(format!("POST {}: HTTP status {status}", webhook.url))
        }
    }
}

/// A merge patch of an object that may have gone meanwhile (nothing to undo then).
async fn merge_patch_if_present<K>(
    api: &Api<K>,
    name: &str,
    patch: &Value,
) -> Result<(), kube::Error>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api
        .patch(name, &PatchParams::default(), &Patch::Merge(patch))
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
#[path = "incident_tests.rs"]
mod tests;
