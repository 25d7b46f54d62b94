//! The record of a finished run: its identity, the policy revision that froze it, the
//! approval reason of each package, the window, the versions before and after per asset,
//! the verification re-scan, the outcome and the feed digests. Built from the PatchRun as
//! stored (frozen spec, audit trail) and the facts the operator read beside it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kube::ResourceExt;
use serde::Serialize;
use serde_json::{Value, json};

use super::approvals::{APPROVAL_REASONS_ANNOTATION, reason_key};
use crate::labels;
use crate::patch_run::{PatchRun, PlannedAsset, PlannedPackage};
use crate::policy_input::POLICY_GENERATION_ANNOTATION;

/// What a VulnerabilityFeed had loaded when the run was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedDigest {
    /// Name of the VulnerabilityFeed.
    pub name: String,
    /// Its format (`Osv`, `Kev`, `Epss`).
    pub format: String,
    /// Digest of the loaded content (`sha256:…`).
    pub digest: Option<String>,
    /// The catalog's own version, when it has one.
    pub content_version: Option<String>,
    /// When the content was loaded.
    pub last_sync_time: Option<String>,
}

/// What the record holds beside the PatchRun itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFacts {
    /// The feeds of the run's namespace, by name.
    pub feeds: Vec<FeedDigest>,
    /// When the record was made.
    pub recorded_at: DateTime<Utc>,
}

/// The record of `run` (a JSON object; `sequence` and `previous` are added when it is
/// chained). The policy revision is the Git revision the run carries from its policy.
pub fn run_record(run: &PatchRun, facts: &RecordFacts) -> Value {
    let annotation = |key: &str| run.annotations().get(key).cloned();
    let revision = annotation(labels::SOURCE_REVISION);
    let commit = revision
        .as_deref()
        .and_then(|r| r.rsplit_once("@sha1:"))
        .map(|(_, commit)| commit.to_string());
    let status = run.status.clone().unwrap_or_default();
    json!({
        "kind": "PatchRunEvidence",
        "run": {
            "namespace": run.namespace(),
            "name": run.name_any(),
            "uid": run.metadata.uid,
            "trigger": run.spec.trigger.as_str(),
            "createdAt": run.metadata.creation_timestamp,
        },
        "policy": {
            "name": run.spec.policy,
            "generation": annotation(POLICY_GENERATION_ANNOTATION),
            "revision": revision,
            "commit": commit,
        },
        "window": {
            "name": run.spec.window,
            "startDeadline": run.spec.start_deadline,
            "startedAt": status.started_at,
            "finishedAt": status.finished_at,
        },
        "approvals": approvals(run),
        "assets": status.assets.iter().map(|a| json!({
            "name": a.name,
            "state": a.state,
            "wave": a.wave,
            "packages": a.packages,
            "rebooted": a.rebooted,
            "startedAt": a.started_at,
            "finishedAt": a.finished_at,
            "message": a.message,
        })).collect::<Vec<_>>(),
        "verification": status.assets.iter().map(|a| json!({
            "asset": a.name,
            "cvesClosed": a.cves_closed,
            "cvesRemaining": a.cves_remaining,
        })).collect::<Vec<_>>(),
        "outcome": {
            "phase": status.phase,
            "counts": status.counts,
            "message": status.message,
        },
        "feeds": facts.feeds,
        "recordedAt": facts.recorded_at.to_rfc3339(),
    })
}

/// Each planned package with why it was approved: the rules it passed when the run was
/// frozen (when the run carries them) and the findings it fixes.
fn approvals(run: &PatchRun) -> Vec<Value> {
    let trigger = run.spec.trigger.as_str();
    let rules: BTreeMap<String, String> = run
        .annotations()
        .get(APPROVAL_REASONS_ANNOTATION)
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let rules = &rules;
    run.spec
        .assets
        .iter()
        .flat_map(|asset: &PlannedAsset| {
            asset.packages.iter().map(move |package| {
                json!({
                    "asset": asset.name,
                    "package": package.name,
                    "from": package.from,
                    "to": package.to,
                    "fixes": package.fixes,
                    "findings": package.findings,
                    "reason": approval_reason(trigger, package),
                    "rules": rules.get(&reason_key(&package.name, &package.to)),
                })
            })
        })
        .collect()
}

/// Why a package was in the run, in words: the trigger and the findings it fixes with their
/// severity and KEV due date, as assessed when the run was frozen.
pub(super) fn approval_reason(trigger: &str, package: &PlannedPackage) -> String {
    let findings: Vec<String> = if package.findings.is_empty() {
        package.fixes.clone()
    } else {
        package
            .findings
            .iter()
            .map(|f| match &f.kev_due_date {
                Some(due) => format!("{} ({}, KEV due {due})", f.id, f.severity),
                None => format!("{} ({})", f.id, f.severity),
            })
            .collect()
    };
    if findings.is_empty() {
        format!("{trigger} run: approved update without a listed vulnerability")
    } else {
        format!("{trigger} run: fixes {}", findings.join(", "))
    }
}
