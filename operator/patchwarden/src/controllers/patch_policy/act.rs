//! Act: create the PatchRun that freezes the run the evaluation decided to start. Creating
//! the same run twice (a repeated reconcile in the same second) is not an error.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::PostParams;
use kube::{Resource, ResourceExt};
use patchwarden_api::compliance_input::record_findings;
use patchwarden_api::evidence::{APPROVAL_REASONS_ANNOTATION, approval_reasons};
use patchwarden_api::labels;
use patchwarden_api::patch_policy::PatchPolicy;
use patchwarden_api::patch_run::PatchRun;
use patchwarden_api::policy_input::{
    POLICY_GENERATION_ANNOTATION, POLICY_REQUEST_ANNOTATION, run_name, run_spec,
};
use patchwarden_core::policy::{FrozenRun, Member};

use super::super::error::ReconcileError;
use super::super::{Context, reconcile_requested_at};

/// Creates the PatchRun of `run` and returns its name. The run records the findings each
/// package fixes, as the `members` were assessed, for compliance profiles to judge the fix.
pub async fn create_run(
    context: &Context,
    policy: &PatchPolicy,
    run: &FrozenRun,
    members: &[Member],
    now: DateTime<Utc>,
) -> Result<String, ReconcileError> {
    let name = policy.name_any();
    let mut spec = run_spec(&name, &policy.spec, run);
    record_findings(&mut spec, members);
    let mut metadata = run_metadata(policy, now);
    // Which rules let each package through, for the run's evidence.
    if let Ok(rules) = policy.spec.approval_rules() {
        let reasons = approval_reasons(run, &rules, now);
        if let Ok(text) = serde_json::to_string(&reasons) {
            metadata
                .annotations
                .get_or_insert_default()
                .insert(APPROVAL_REASONS_ANNOTATION.to_string(), text);
        }
    }
    let patch_run = PatchRun {
        metadata,
        spec,
        status: None,
    };
    let run_name = patch_run.name_any();
    match context
        .api_for::<PatchRun, _>(policy)
        .create(&PostParams::default(), &patch_run)
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 => {}
        Err(e) => return Err(e.into()),
    }
    let message = format!(
        "created PatchRun {run_name} ({}) for {} assets",
        run.trigger.as_str(),
        run.assets.len()
    );
    context.events.normal(policy, "RunCreated", message).await;
    Ok(run_name)
}

/// Name, labels, annotations (the policy generation, reconcile request and Git revision it
/// was planned from) and the owner reference of a new run.
fn run_metadata(policy: &PatchPolicy, now: DateTime<Utc>) -> ObjectMeta {
    let name = policy.name_any();
    let mut annotations = BTreeMap::from([(
        POLICY_GENERATION_ANNOTATION.to_string(),
        policy.metadata.generation.unwrap_or(0).to_string(),
    )]);
    if let Some(token) = reconcile_requested_at(policy) {
        annotations.insert(POLICY_REQUEST_ANNOTATION.to_string(), token);
    }
    // The Git revision the policy was applied from: the run's evidence names it.
    if let Some(revision) = policy.annotations().get(labels::SOURCE_REVISION) {
        annotations.insert(labels::SOURCE_REVISION.to_string(), revision.clone());
    }
    ObjectMeta {
        name: Some(run_name(&name, now)),
        namespace: policy.namespace(),
        labels: Some(BTreeMap::from([
            (labels::POLICY.to_string(), name),
            (
                labels::MANAGED_BY.to_string(),
                labels::MANAGED_BY_VALUE.to_string(),
            ),
        ])),
        annotations: Some(annotations),
        owner_references: policy.controller_owner_ref(&()).map(|o| vec![o]),
        ..ObjectMeta::default()
    }
}
