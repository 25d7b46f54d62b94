//! Evidence: once a PatchRun of a policy has finished, its record (see
//! `patchwarden_api::evidence`) is chained to the policy's previous one, signed with the
//! operator's key ([`key`]) and stored in the policy's chain ConfigMap ([`store`]). The run
//! then carries its link's hash in the `patchwarden.io/evidence-hash` annotation. Recording
//! is idempotent: a run already in the chain is only annotated, so an operator restarted
//! between the two steps neither loses nor repeats a link.

pub mod key;
pub mod store;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::ResourceExt;
use kube::api::{ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use patchwarden_api::evidence::{self, FeedDigest, RecordFacts};
use patchwarden_api::labels;
use patchwarden_api::patch_run::PatchRun;
use patchwarden_api::vulnerability_feed::VulnerabilityFeed;

use super::Context;
use super::error::ReconcileError;

pub use key::{EvidenceKeys, KeySource};

/// Annotation on a recorded PatchRun: the hash of its link in the policy's chain.
pub const EVIDENCE_HASH_ANNOTATION: &str = "patchwarden.io/evidence-hash";

/// Records the finished `run` in its policy's chain, unless it is recorded already or was
/// not planned by a policy.
pub async fn record_finished(context: &Context, run: &PatchRun) -> Result<(), ReconcileError> {
    if run.annotations().contains_key(EVIDENCE_HASH_ANNOTATION) {
        return Ok(());
    }
    let Some(policy) = run.spec.policy.clone() else {
        return Ok(());
    };
    let name = store::config_map_name(&policy);
    let api = context.api_for::<ConfigMap, _>(run);
    let stored = api.get_opt(&name).await?;
    let data = stored
        .as_ref()
        .and_then(|c| c.data.clone())
        .unwrap_or_default();
    let (entries, keys) = store::read_chain(&name, &data)
        .map_err(|e| ReconcileError::transient("reading the evidence chain", e))?;
    let run_name = run.name_any();
    if let Some(entry) = entries.iter().find(|e| e.run == run_name) {
        return annotate(context, run, &entry.hash).await;
    }
    let key = context
        .evidence
        .signing_key(&context.client)
        .await
        .map_err(|e| ReconcileError::transient("loading the evidence key", e))?;
    let facts = RecordFacts {
        feeds: feed_digests(context, run).await?,
        recorded_at: super::now(),
    };
    let record = evidence::run_record(run, &facts);
    let entry = evidence::append(&entries, &run_name, record, &key)
        .map_err(|e| ReconcileError::transient("chaining the evidence record", e))?;
    let public = key.verifying_key();
    let public_key = (evidence::key_id(&public), hex::encode(public.as_bytes()));
    let data = store::with_entry(&name, data, keys, entries.len() + 1, &entry, public_key)
        .map_err(|e| ReconcileError::transient("storing the evidence record", e))?;
    write(&api, stored, &name, data).await?;
    annotate(context, run, &entry.hash).await?;
    let note = format!(
        "evidence link {} of policy {policy}: {} (ConfigMap {name})",
        entries.len() + 1,
        entry.hash
    );
    context.events.normal(run, "EvidenceRecorded", note).await;
    Ok(())
}

/// Creates the chain ConfigMap, or replaces its data at the version that was read (a
/// concurrent writer makes this fail with a conflict, and the run is recorded again).
async fn write(
    api: &kube::Api<ConfigMap>,
    stored: Option<ConfigMap>,
    name: &str,
    data: std::collections::BTreeMap<String, String>,
) -> Result<(), ReconcileError> {
    match stored {
        Some(mut config_map) => {
            config_map.data = Some(data);
            api.replace(name, &PostParams::default(), &config_map)
                .await?;
        }
        None => {
            let config_map = ConfigMap {
                metadata: ObjectMeta {
                    name: Some(name.to_string()),
                    labels: Some(
                        [(
                            labels::MANAGED_BY.to_string(),
                            labels::MANAGED_BY_VALUE.to_string(),
                        )]
                        .into(),
                    ),
                    ..ObjectMeta::default()
                },
                data: Some(data),
                ..ConfigMap::default()
            };
            api.create(&PostParams::default(), &config_map).await?;
        }
    }
    Ok(())
}

async fn annotate(context: &Context, run: &PatchRun, hash: &str) -> Result<(), ReconcileError> {
    let patch = serde_json::json!({"metadata": {"annotations": {EVIDENCE_HASH_ANNOTATION: hash}}});
    context
        .api_for::<PatchRun, _>(run)
        .patch(
            &run.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await?;
    Ok(())
}

/// What the feeds of the run's namespace had loaded.
async fn feed_digests(
    context: &Context,
    run: &PatchRun,
) -> Result<Vec<FeedDigest>, ReconcileError> {
    let feeds = context
        .api_for::<VulnerabilityFeed, _>(run)
        .list(&ListParams::default())
        .await?;
    Ok(feeds.items.iter().map(feed_digest).collect())
}

fn feed_digest(feed: &VulnerabilityFeed) -> FeedDigest {
    let status = feed.status.clone().unwrap_or_default();
    FeedDigest {
        name: feed.name_any(),
        format: format!("{:?}", feed.spec.format),
        digest: status.digest,
        content_version: status.content_version,
        last_sync_time: status.last_sync_time.map(|t| t.0.to_string()),
    }
}

#[cfg(test)]
mod tests;
