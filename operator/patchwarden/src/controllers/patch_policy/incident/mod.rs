//! Incident response: the I/O around `core::incident`. For each member in incident the
//! policy's `incidentResponse` is carried out — labels on the Asset and its Node, a taint, a
//! cordon, the containment manifest (server-side apply) and a signed webhook — and recorded in
//! `status.incidents`; each action is idempotent and is applied again on every evaluation.
//! When the incident ends the actions are reversed (unless `keep`), the webhook is told, and
//! the record goes; a reversal that fails keeps the record, so it is tried again.

mod containment;
mod node;
mod notice;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Node;
use kube::api::{Patch, PatchParams};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, ResourceExt};
use patchwarden_api::asset::Asset;
use patchwarden_api::patch_policy::{IncidentRecord, IncidentResponse, PatchPolicy, PolicyMode};
use patchwarden_api::time::to_k8s;
use patchwarden_core::incident::{Incident, incident_changes, open_incidents};
use serde_json::{Value, json};

use super::super::Context;
use super::observe::Observed;

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
mod tests;
