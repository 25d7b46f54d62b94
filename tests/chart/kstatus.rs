//! kstatus' rules, which Flux's health checks apply to custom resources, as documented in
//! sigs.k8s.io/cli-utils `pkg/kstatus/README.md` ("Statuses", "Conditions", "The `Ready`
//! Condition"): a resource being deleted is Terminating; a `status.observedGeneration` behind
//! `metadata.generation` is InProgress; `Reconciling=True` is InProgress; `Stalled=True` is
//! Failed; otherwise a `Ready` condition decides (True: Current, False: InProgress) and a
//! resource without one is taken as Current. Flux waits for Current and fails on Failed.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KStatus {
    InProgress,
    Failed,
    Current,
    Terminating,
}

fn condition_is_true(object: &Value, type_: &str) -> Option<bool> {
    object["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .map(|c| c["status"] == "True")
}

/// The status kstatus computes for a custom resource.
pub fn compute(object: &Value) -> KStatus {
    if !object["metadata"]["deletionTimestamp"].is_null() {
        return KStatus::Terminating;
    }
    if let (Some(observed), Some(generation)) = (
        object["status"]["observedGeneration"].as_i64(),
        object["metadata"]["generation"].as_i64(),
    ) && observed != generation
    {
        return KStatus::InProgress;
    }
    if condition_is_true(object, "Reconciling") == Some(true) {
        return KStatus::InProgress;
    }
    if condition_is_true(object, "Stalled") == Some(true) {
        return KStatus::Failed;
    }
    match condition_is_true(object, "Ready") {
        Some(false) => KStatus::InProgress,
        Some(true) | None => KStatus::Current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(generation: i64, observed: i64, conditions: Value) -> Value {
        json!({"metadata": {"generation": generation},
               "status": {"observedGeneration": observed, "conditions": conditions}})
    }

    #[test]
    fn the_documented_rules_in_order() {
        let ready = json!([{"type": "Ready", "status": "True"}]);
        assert_eq!(compute(&object(2, 2, ready.clone())), KStatus::Current);
        assert_eq!(compute(&object(3, 2, ready)), KStatus::InProgress);
        let stalled =
            json!([{"type": "Ready", "status": "False"}, {"type": "Stalled", "status": "True"}]);
        assert_eq!(compute(&object(1, 1, stalled)), KStatus::Failed);
        let reconciling = json!([{"type": "Stalled", "status": "True"}, {"type": "Reconciling", "status": "True"}]);
        assert_eq!(compute(&object(1, 1, reconciling)), KStatus::InProgress);
        let not_ready = json!([{"type": "Ready", "status": "False"}]);
        assert_eq!(compute(&object(1, 1, not_ready)), KStatus::InProgress);
        assert_eq!(
            compute(&json!({"metadata": {"generation": 1}})),
            KStatus::Current
        );
        let deleting = json!({"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}});
        assert_eq!(compute(&deleting), KStatus::Terminating);
    }
}
