//! Every field a person can write is either honoured or refused with a reason: this walks every
//! `spec` field of every CRD in `crds/` and fails unless the field is in [`WHERE_READ`], the
//! table of where it is read (a file that reads it) or refused (the message that refuses it).
//! Each entry is checked against the code: the file exists and holds the field's Rust name, or
//! the refusal message. A new field thus cannot be added and forgotten, and a field that stops
//! being read cannot keep its entry.
//!
//! Objects and lists of objects are not entries of their own: their fields are. `status` is not
//! walked: the controllers write it, nobody's intent is lost there.

use std::collections::{BTreeMap, BTreeSet};

use support::paths::repo_path;

/// Where one field is honoured. A module is named by its path from the repository root without
/// `.rs`: the file `<module>.rs`, or every file under the folder `<module>/`.
#[derive(Debug, Clone, Copy)]
enum Where {
    /// Read in this module, which names the field's Rust identifier.
    Read(&'static str),
    /// Refused with this message (found in the module): `patchwarden validate` and the
    /// controllers refuse the spec, or the controllers stall the object it produces.
    Refused(&'static str, &'static str),
}

use Where::{Read, Refused};

const CONVERT: &str = "operator/api/src/convert";
const POLICY_INPUT: &str = "operator/api/src/policy_input";
const SELECTOR: &str = "operator/api/src/label_selector";
const ASSET_VALIDATE: &str = "operator/patchwarden/src/controllers/asset/validate";
const ASSET_OBSERVE: &str = "operator/patchwarden/src/controllers/asset/observe";
const GROUP_DECIDE: &str = "operator/patchwarden/src/controllers/asset_group/decide";
const LAB_FLEETS: &str = "operator/patchwarden/src/controllers/lab_fleets";
const RUN_VALIDATE: &str = "operator/patchwarden/src/controllers/patch_run/validate";
const RUN_OBSERVE: &str = "operator/patchwarden/src/controllers/patch_run/observe";
const RUN_REQUEST: &str = "operator/patchwarden/src/controllers/patch_run/request";
const INSTALL: &str = "operator/patchwarden/src/controllers/operations/install";
const VERIFY: &str = "operator/patchwarden/src/controllers/operations/verify";
const MEASURE: &str = "operator/patchwarden/src/controllers/operations/measure";
const RUN_API_ROLLOUT: &str = "operator/api/src/patch_policy/rollout";
const REBOOT: &str = "operator/patchwarden/src/controllers/operations/reboot";
const RUN_REBOOT: &str = "operator/patchwarden/src/controllers/patch_run/reboot";
const NODE_DRAIN: &str = "operator/patchwarden/src/controllers/patch_run/node_drain";
const POLICY_INCIDENT: &str = "operator/patchwarden/src/controllers/patch_policy/incident";
const FEED_VALIDATE: &str = "operator/patchwarden/src/controllers/vulnerability_feed/validate";
const FEED_DECIDE: &str = "operator/patchwarden/src/controllers/vulnerability_feed/decide";
const POLICY_COMPLIANCE: &str = "operator/patchwarden/src/controllers/patch_policy/compliance";
const COMPLIANCE_INPUT: &str = "operator/api/src/compliance_input";
const POLICY_HISTORY: &str = "operator/patchwarden/src/controllers/patch_policy/history";
const POLICY_OUTCOMES: &str = "operator/api/src/patch_policy/outcomes";

/// The SSH, node and agent executors are not configured in this operator: an asset that needs
/// one stalls with this message.
const NO_EXECUTOR: Where = Refused(ASSET_VALIDATE, "executor is configured in this operator");

/// Kind, field path (`[]` for the items of a list), and where it is honoured.
const WHERE_READ: &[(&str, &str, Where)] = &[
    ("Asset", "spec.address", Read(ASSET_VALIDATE)),
    ("Asset", "spec.connection", Read(ASSET_VALIDATE)),
    ("Asset", "spec.credentialsRef.name", NO_EXECUTOR),
    ("Asset", "spec.criticality", Read(ASSET_OBSERVE)),
    ("Asset", "spec.exposure", Read(ASSET_OBSERVE)),
    ("Asset", "spec.port", NO_EXECUTOR),
    ("Asset", "spec.suspend", Read(RUN_OBSERVE)),
    ("Asset", "spec.user", NO_EXECUTOR),
    ("AssetGroup", "spec.credentialsRef.name", NO_EXECUTOR),
    ("AssetGroup", "spec.criticality", Read(ASSET_OBSERVE)),
    ("AssetGroup", "spec.exposure", Read(ASSET_OBSERVE)),
    ("AssetGroup", "spec.hosts[].address", Read(GROUP_DECIDE)),
    ("AssetGroup", "spec.hosts[].labels", Read(GROUP_DECIDE)),
    ("AssetGroup", "spec.hosts[].name", Read(GROUP_DECIDE)),
    ("AssetGroup", "spec.hosts[].port", NO_EXECUTOR),
    ("AssetGroup", "spec.hosts[].user", NO_EXECUTOR),
    ("AssetGroup", "spec.lab.faults[].hosts", Read(LAB_FLEETS)),
    ("AssetGroup", "spec.lab.faults[].kind", Read(LAB_FLEETS)),
    ("AssetGroup", "spec.lab.faults[].package", Read(LAB_FLEETS)),
    ("AssetGroup", "spec.lab.hosts", Read(LAB_FLEETS)),
    ("AssetGroup", "spec.lab.labels", Read(GROUP_DECIDE)),
    (
        "AssetGroup",
        "spec.lab.namePrefix",
        Read("operator/api/src/asset_group"),
    ),
    (
        "AssetGroup",
        "spec.nodeSelector.matchExpressions[].key",
        Read(SELECTOR),
    ),
    (
        "AssetGroup",
        "spec.nodeSelector.matchExpressions[].operator",
        Read(SELECTOR),
    ),
    (
        "AssetGroup",
        "spec.nodeSelector.matchExpressions[].values",
        Read(SELECTOR),
    ),
    (
        "AssetGroup",
        "spec.nodeSelector.matchLabels",
        Read(SELECTOR),
    ),
    (
        "AssetGroup",
        "spec.selector.matchExpressions[].key",
        Read(SELECTOR),
    ),
    (
        "AssetGroup",
        "spec.selector.matchExpressions[].operator",
        Read(SELECTOR),
    ),
    (
        "AssetGroup",
        "spec.selector.matchExpressions[].values",
        Read(SELECTOR),
    ),
    ("AssetGroup", "spec.selector.matchLabels", Read(SELECTOR)),
    ("AssetGroup", "spec.suspend", Read(RUN_OBSERVE)),
    ("MaintenanceWindow", "spec.blackouts[].end", Read(CONVERT)),
    (
        "MaintenanceWindow",
        "spec.blackouts[].reason",
        Read(CONVERT),
    ),
    ("MaintenanceWindow", "spec.blackouts[].start", Read(CONVERT)),
    ("MaintenanceWindow", "spec.cutoff", Read(CONVERT)),
    ("MaintenanceWindow", "spec.duration", Read(CONVERT)),
    ("MaintenanceWindow", "spec.offsetDays", Read(CONVERT)),
    ("MaintenanceWindow", "spec.schedule", Read(CONVERT)),
    ("MaintenanceWindow", "spec.suspend", Read(CONVERT)),
    ("MaintenanceWindow", "spec.timeZone", Read(CONVERT)),
    ("PatchPolicy", "spec.approval.approveAfter", Read(CONVERT)),
    (
        "PatchPolicy",
        "spec.approval.delayKnownExploited",
        Read(CONVERT),
    ),
    ("PatchPolicy", "spec.approval.exclude", Read(CONVERT)),
    ("PatchPolicy", "spec.approval.include", Read(CONVERT)),
    ("PatchPolicy", "spec.approval.minSeverity", Read(CONVERT)),
    ("PatchPolicy", "spec.approval.pins[].package", Read(CONVERT)),
    ("PatchPolicy", "spec.approval.pins[].reason", Read(CONVERT)),
    ("PatchPolicy", "spec.approval.pins[].version", Read(CONVERT)),
    (
        "PatchPolicy",
        "spec.approval.rejected[].package",
        Read(CONVERT),
    ),
    (
        "PatchPolicy",
        "spec.approval.rejected[].reason",
        Read(CONVERT),
    ),
    (
        "PatchPolicy",
        "spec.approval.rejected[].version",
        Read(CONVERT),
    ),
    ("PatchPolicy", "spec.approval.securityOnly", Read(CONVERT)),
    (
        "PatchPolicy",
        "spec.assetGroups",
        Read("operator/patchwarden/src/controllers/patch_policy/observe"),
    ),
    ("PatchPolicy", "spec.compliance", Read(POLICY_COMPLIANCE)),
    (
        "PatchPolicy",
        "spec.drain.deleteEmptyDirData",
        Read(NODE_DRAIN),
    ),
    ("PatchPolicy", "spec.drain.enabled", Read(NODE_DRAIN)),
    ("PatchPolicy", "spec.drain.timeout", Read(NODE_DRAIN)),
    ("PatchPolicy", "spec.emergency", Read(CONVERT)),
    (
        "PatchPolicy",
        "spec.emergencyThresholds.epss",
        Read(POLICY_INPUT),
    ),
    (
        "PatchPolicy",
        "spec.hooks.postPatch[].command",
        Read(RUN_REQUEST),
    ),
    (
        "PatchPolicy",
        "spec.hooks.postPatch[].name",
        Read(RUN_REQUEST),
    ),
    (
        "PatchPolicy",
        "spec.hooks.postPatch[].timeout",
        Read(RUN_REQUEST),
    ),
    (
        "PatchPolicy",
        "spec.hooks.prePatch[].command",
        Read(RUN_REQUEST),
    ),
    (
        "PatchPolicy",
        "spec.hooks.prePatch[].name",
        Read(RUN_REQUEST),
    ),
    (
        "PatchPolicy",
        "spec.hooks.prePatch[].timeout",
        Read(RUN_REQUEST),
    ),
    ("PatchPolicy", "spec.history.keepRuns", Read(POLICY_HISTORY)),
    (
        "PatchPolicy",
        "spec.incidentResponse.containment",
        Read(POLICY_INCIDENT),
    ),
    (
        "PatchPolicy",
        "spec.incidentResponse.cordon",
        Read(POLICY_INCIDENT),
    ),
    (
        "PatchPolicy",
        "spec.incidentResponse.keep",
        Read(POLICY_INCIDENT),
    ),
    (
        "PatchPolicy",
        "spec.incidentResponse.labels",
        Read(POLICY_INCIDENT),
    ),
    (
        "PatchPolicy",
        "spec.incidentResponse.taint.effect",
        Read(POLICY_INCIDENT),
    ),
    (
        "PatchPolicy",
        "spec.incidentResponse.taint.key",
        Read(POLICY_INCIDENT),
    ),
    (
        "PatchPolicy",
        "spec.incidentResponse.taint.value",
        Read(POLICY_INCIDENT),
    ),
    (
        "PatchPolicy",
        "spec.incidentResponse.webhook.secretRef.key",
        Read(POLICY_INCIDENT),
    ),
    (
        "PatchPolicy",
        "spec.incidentResponse.webhook.secretRef.name",
        Read(POLICY_INCIDENT),
    ),
    (
        "PatchPolicy",
        "spec.incidentResponse.webhook.url",
        Read(POLICY_INCIDENT),
    ),
    (
        "PatchPolicy",
        "spec.maintenanceWindows",
        Read("operator/patchwarden/src/controllers/patch_policy/observe"),
    ),
    ("PatchPolicy", "spec.mode", Read(POLICY_INPUT)),
    (
        "PatchPolicy",
        "spec.quarantine.afterCanaryFailures",
        Read(POLICY_OUTCOMES),
    ),
    (
        "PatchPolicy",
        "spec.quarantine.expireAfter",
        Read(POLICY_OUTCOMES),
    ),
    (
        "PatchPolicy",
        "spec.quarantine.maxFailurePercent",
        Read(POLICY_OUTCOMES),
    ),
    (
        "PatchPolicy",
        "spec.quarantine.minSample",
        Read(POLICY_OUTCOMES),
    ),
    ("PatchPolicy", "spec.reboot", Read(POLICY_INPUT)),
    ("PatchPolicy", "spec.rebootCommand", Read(POLICY_INPUT)),
    ("PatchPolicy", "spec.rebootTimeout", Read(POLICY_INPUT)),
    ("PatchPolicy", "spec.rollout.canary", Read(CONVERT)),
    (
        "PatchPolicy",
        "spec.rollout.healthChecks[].attempts",
        Read(RUN_REQUEST),
    ),
    (
        "PatchPolicy",
        "spec.rollout.healthChecks[].command",
        Read(RUN_REQUEST),
    ),
    (
        "PatchPolicy",
        "spec.rollout.healthChecks[].http.bodyContains",
        Read(RUN_REQUEST),
    ),
    (
        "PatchPolicy",
        "spec.rollout.healthChecks[].http.expectStatus",
        Read(RUN_REQUEST),
    ),
    (
        "PatchPolicy",
        "spec.rollout.healthChecks[].http.url",
        Read(RUN_REQUEST),
    ),
    (
        "PatchPolicy",
        "spec.rollout.healthChecks[].metric.jsonPath",
        Read(MEASURE),
    ),
    (
        "PatchPolicy",
        "spec.rollout.healthChecks[].metric.max",
        Read(RUN_API_ROLLOUT),
    ),
    (
        "PatchPolicy",
        "spec.rollout.healthChecks[].metric.maxIncreasePercent",
        Read(RUN_API_ROLLOUT),
    ),
    (
        "PatchPolicy",
        "spec.rollout.healthChecks[].name",
        Read(RUN_REQUEST),
    ),
    (
        "PatchPolicy",
        "spec.rollout.healthChecks[].timeout",
        Read(RUN_REQUEST),
    ),
    (
        "PatchPolicy",
        "spec.rollout.expectedAssetDuration",
        Read(CONVERT),
    ),
    ("PatchPolicy", "spec.rollout.maxFailures", Read(CONVERT)),
    ("PatchPolicy", "spec.rollout.maxUnavailable", Read(CONVERT)),
    (
        "PatchPolicy",
        "spec.rollout.pauseBetweenWaves",
        Read(CONVERT),
    ),
    (
        "PatchPolicy",
        "spec.rollout.rollbackOnFailure",
        Read(CONVERT),
    ),
    (
        "PatchPolicy",
        "spec.sla.critical",
        Read("operator/api/src/patch_policy"),
    ),
    (
        "PatchPolicy",
        "spec.sla.high",
        Read("operator/api/src/patch_policy"),
    ),
    ("PatchPolicy", "spec.sla.kevDueDate", Read(CONVERT)),
    (
        "PatchPolicy",
        "spec.sla.low",
        Read("operator/api/src/patch_policy"),
    ),
    (
        "PatchPolicy",
        "spec.sla.medium",
        Read("operator/api/src/patch_policy"),
    ),
    ("PatchPolicy", "spec.suspend", Read(RUN_OBSERVE)),
    ("PatchRun", "spec.assets[].group", Read(RUN_VALIDATE)),
    ("PatchRun", "spec.assets[].name", Read(RUN_VALIDATE)),
    (
        "PatchRun",
        "spec.assets[].packages[].findings[].id",
        Read(COMPLIANCE_INPUT),
    ),
    (
        "PatchRun",
        "spec.assets[].packages[].findings[].kevDueDate",
        Read(COMPLIANCE_INPUT),
    ),
    (
        "PatchRun",
        "spec.assets[].packages[].findings[].published",
        Read(COMPLIANCE_INPUT),
    ),
    (
        "PatchRun",
        "spec.assets[].packages[].findings[].severity",
        Read(COMPLIANCE_INPUT),
    ),
    ("PatchRun", "spec.assets[].packages[].fixes", Read(VERIFY)),
    ("PatchRun", "spec.assets[].packages[].from", Read(INSTALL)),
    ("PatchRun", "spec.assets[].packages[].name", Read(INSTALL)),
    ("PatchRun", "spec.assets[].packages[].to", Read(INSTALL)),
    ("PatchRun", "spec.assets[].rebootExpected", Read(REBOOT)),
    (
        "PatchRun",
        "spec.limits.healthChecks[].attempts",
        Read(RUN_REQUEST),
    ),
    (
        "PatchRun",
        "spec.limits.healthChecks[].command",
        Read(RUN_REQUEST),
    ),
    (
        "PatchRun",
        "spec.limits.healthChecks[].http.bodyContains",
        Read(RUN_REQUEST),
    ),
    (
        "PatchRun",
        "spec.limits.healthChecks[].http.expectStatus",
        Read(RUN_REQUEST),
    ),
    (
        "PatchRun",
        "spec.limits.healthChecks[].http.url",
        Read(RUN_REQUEST),
    ),
    (
        "PatchRun",
        "spec.limits.healthChecks[].metric.jsonPath",
        Read(MEASURE),
    ),
    (
        "PatchRun",
        "spec.limits.healthChecks[].metric.max",
        Read(RUN_API_ROLLOUT),
    ),
    (
        "PatchRun",
        "spec.limits.healthChecks[].metric.maxIncreasePercent",
        Read(RUN_API_ROLLOUT),
    ),
    (
        "PatchRun",
        "spec.limits.healthChecks[].name",
        Read(RUN_REQUEST),
    ),
    (
        "PatchRun",
        "spec.limits.healthChecks[].timeout",
        Read(RUN_REQUEST),
    ),
    (
        "PatchRun",
        "spec.limits.hooks.postPatch[].command",
        Read(RUN_REQUEST),
    ),
    (
        "PatchRun",
        "spec.limits.hooks.postPatch[].name",
        Read(RUN_REQUEST),
    ),
    (
        "PatchRun",
        "spec.limits.hooks.postPatch[].timeout",
        Read(RUN_REQUEST),
    ),
    (
        "PatchRun",
        "spec.limits.hooks.prePatch[].command",
        Read(RUN_REQUEST),
    ),
    (
        "PatchRun",
        "spec.limits.hooks.prePatch[].name",
        Read(RUN_REQUEST),
    ),
    (
        "PatchRun",
        "spec.limits.hooks.prePatch[].timeout",
        Read(RUN_REQUEST),
    ),
    ("PatchRun", "spec.limits.maxFailures", Read(RUN_VALIDATE)),
    ("PatchRun", "spec.limits.maxUnavailable", Read(RUN_VALIDATE)),
    (
        "PatchRun",
        "spec.limits.maxUnavailableByGroup",
        Read(RUN_VALIDATE),
    ),
    (
        "PatchRun",
        "spec.limits.pauseBetweenWaves",
        Read(RUN_VALIDATE),
    ),
    ("PatchRun", "spec.limits.reboot", Read(RUN_VALIDATE)),
    ("PatchRun", "spec.limits.rebootCommand", Read(RUN_REBOOT)),
    ("PatchRun", "spec.limits.rebootTimeout", Read(RUN_REBOOT)),
    (
        "PatchRun",
        "spec.limits.rollbackOnFailure",
        Read(RUN_VALIDATE),
    ),
    ("PatchRun", "spec.policy", Read(RUN_OBSERVE)),
    ("PatchRun", "spec.startDeadline", Read(RUN_VALIDATE)),
    ("PatchRun", "spec.suspend", Read(RUN_OBSERVE)),
    ("PatchRun", "spec.trigger", Read(RUN_OBSERVE)),
    ("PatchRun", "spec.waves[].assets", Read(RUN_VALIDATE)),
    ("PatchRun", "spec.waves[].canary", Read(RUN_VALIDATE)),
    (
        "PatchRun",
        "spec.waves[].estimatedDuration",
        Read(RUN_VALIDATE),
    ),
    ("PatchRun", "spec.window", Read(RUN_VALIDATE)),
    ("VulnerabilityFeed", "spec.digest", Read(FEED_VALIDATE)),
    ("VulnerabilityFeed", "spec.ecosystems", Read(FEED_DECIDE)),
    ("VulnerabilityFeed", "spec.format", Read(FEED_DECIDE)),
    (
        "VulnerabilityFeed",
        "spec.maxShrinkPercent",
        Read(FEED_DECIDE),
    ),
    (
        "VulnerabilityFeed",
        "spec.refreshInterval",
        Read(FEED_VALIDATE),
    ),
    (
        "VulnerabilityFeed",
        "spec.source.configMapRef.key",
        Read(FEED_VALIDATE),
    ),
    (
        "VulnerabilityFeed",
        "spec.source.configMapRef.name",
        Read(FEED_VALIDATE),
    ),
    ("VulnerabilityFeed", "spec.source.url", Read(FEED_VALIDATE)),
    (
        "VulnerabilityFeed",
        "spec.suspend",
        Read("operator/patchwarden/src/controllers/vulnerability_feed/mod"),
    ),
];

/// The text of a module: its file, or the files under its folder.
fn module_text(module: &str) -> std::io::Result<String> {
    let folder = repo_path(module);
    if !folder.is_dir() {
        return std::fs::read_to_string(repo_path(&format!("{module}.rs")));
    }
    let mut text = String::new();
    let mut pending = vec![folder];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                text.push_str(&std::fs::read_to_string(&path)?);
            }
        }
    }
    Ok(text)
}

/// `timeZone` → `time_zone`.
fn rust_name(field: &str) -> String {
    let mut name = String::new();
    for c in field.chars() {
        if c.is_ascii_uppercase() {
            name.push('_');
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

/// The leaf fields under `schema` (fields without fields of their own), as paths from `path`.
fn leaves(schema: &serde_yaml::Value, path: &str, out: &mut Vec<String>) {
    let properties = schema.get("properties").and_then(|p| p.as_mapping());
    let items = schema.get("items");
    match (properties, items) {
        (Some(properties), _) => {
            for (name, field) in properties {
                let name = name.as_str().expect("property names are strings");
                leaves(field, &format!("{path}.{name}"), out);
            }
        }
        (None, Some(items)) if items.get("properties").is_some() => {
            leaves(items, &format!("{path}[]"), out);
        }
        _ => out.push(path.to_string()),
    }
}

/// Kind to the leaf fields of its `spec`, from the committed CRDs.
fn crd_fields() -> BTreeMap<String, Vec<String>> {
    let mut fields = BTreeMap::new();
    let dir = repo_path("crds");
    for entry in std::fs::read_dir(&dir).expect("crds/ exists") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("readable CRD");
        let crd: serde_yaml::Value = serde_yaml::from_str(&text).expect("CRD is YAML");
        let kind = crd["spec"]["names"]["kind"]
            .as_str()
            .expect("CRD names its kind")
            .to_string();
        let versions = crd["spec"]["versions"].as_sequence().expect("versions");
        let mut out = Vec::new();
        for version in versions {
            let spec = &version["schema"]["openAPIV3Schema"]["properties"]["spec"];
            leaves(spec, "spec", &mut out);
        }
        out.sort();
        out.dedup();
        fields.insert(kind, out);
    }
    fields
}

#[test]
fn every_crd_field_is_read_or_refused_with_a_reason() {
    let table: BTreeSet<(&str, &str)> = WHERE_READ.iter().map(|(k, f, _)| (*k, *f)).collect();
    assert_eq!(table.len(), WHERE_READ.len(), "a field is listed twice");
    let mut unlisted = Vec::new();
    let mut schema_fields = BTreeSet::new();
    for (kind, fields) in crd_fields() {
        for field in fields {
            if !table.contains(&(kind.as_str(), field.as_str())) {
                unlisted.push(format!("{kind} {field}"));
            }
            schema_fields.insert((kind.clone(), field));
        }
    }
    assert!(
        unlisted.is_empty(),
        "fields with no entry in WHERE_READ (say where each is read, or refuse it with a reason):\n{}",
        unlisted.join("\n")
    );
    let stale: Vec<String> = WHERE_READ
        .iter()
        .filter(|(k, f, _)| !schema_fields.contains(&(k.to_string(), f.to_string())))
        .map(|(k, f, _)| format!("{k} {f}"))
        .collect();
    assert!(stale.is_empty(), "entries for fields no CRD has: {stale:?}");
}

#[test]
fn every_entry_of_the_table_is_true_of_the_code() {
    let mut wrong = Vec::new();
    for (kind, field, place) in WHERE_READ {
        let (file, needle) = match place {
            Read(file) => {
                let last = field.rsplit('.').next().unwrap_or(field);
                (*file, rust_name(last.trim_end_matches("[]")))
            }
            Refused(file, message) => (*file, message.to_string()),
        };
        match module_text(file) {
            Ok(text) if text.contains(&needle) => {}
            Ok(_) => wrong.push(format!(
                "{kind} {field}: {file} does not mention {needle:?}"
            )),
            Err(error) => wrong.push(format!("{kind} {field}: {file}: {error}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
