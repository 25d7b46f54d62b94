//! The `pods/eviction` subresource (policy/v1 `Eviction`): a pod is deleted unless the one
//! PodDisruptionBudget that selects it allows no disruption now, in which case the answer is
//! 429 with Kubernetes' message and a `DisruptionBudget` cause, so `kubectl drain` and
//! controllers retry. The budget arithmetic is `patchwarden-k8s-rules`' own.
//!
//! No kubelet runs here, so an allowed eviction removes the pod at once (finalizers still hold
//! it), whatever grace period the DeleteOptions ask for.

use patchwarden_k8s_rules::disruption::{budget_selects, budget_state, pod_is_healthy};
use serde_json::{Value, json};

use super::{DeleteOpts, ObjectRef, delete};
use crate::cluster::{Reply, Txn};
use crate::error::{ApiError, Cause, Details};

/// Where the budgets live.
const PDB_STORE: &str = "policy/poddisruptionbudgets";

/// The message of a refused eviction, as the real server words it.
pub const VIOLATES_BUDGET: &str =
    "Cannot evict pod as it would violate the pod's disruption budget.";

/// Evicts the pod `at` names: checks its budget, then deletes it with the Eviction's
/// `deleteOptions`.
pub fn evict(txn: &mut Txn<'_>, at: ObjectRef<'_>, eviction: &Value) -> Result<Reply, ApiError> {
    let def = at.def;
    let Some(pod) = txn.get(&def.store, &at.key()) else {
        return Err(ApiError::not_found(&def.group, &def.plural, at.name));
    };
    let namespace = at.namespace.unwrap_or_default();
    let opts = DeleteOpts::parse(&eviction["deleteOptions"], false);
    let pod = pod.value();
    if !budget_may_be_ignored(&pod) {
        let pods = objects_in(txn, &def.store, namespace);
        let budgets = objects_in(txn, PDB_STORE, namespace);
        check_budgets(&pod, &pods, &budgets)?;
    }
    delete(txn, at, &opts)?;
    Ok(Reply {
        code: 201,
        body: json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                     "status": "Success", "code": 201}),
        warnings: Vec::new(),
    })
}

/// Pods that are not running (pending, finished) or already going are evicted whatever the
/// budget says, as in the real server.
fn budget_may_be_ignored(pod: &Value) -> bool {
    matches!(
        pod["status"]["phase"].as_str(),
        Some("Pending" | "Succeeded" | "Failed")
    ) || !pod["metadata"]["deletionTimestamp"].is_null()
}

/// Every object of a store in one namespace.
fn objects_in(txn: &Txn<'_>, store: &str, namespace: &str) -> Vec<Value> {
    let prefix = format!("{namespace}/");
    txn.cluster()
        .store(store)
        .map(|objects| {
            objects
                .range(prefix.clone()..)
                .take_while(|(key, _)| key.starts_with(&prefix))
                .map(|(_, obj)| obj.value())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the budget selecting `pod` (among `budgets`, over the namespace's `pods`) allows
/// evicting it now.
pub fn check_budgets(pod: &Value, pods: &[Value], budgets: &[Value]) -> Result<(), ApiError> {
    let selecting: Vec<&Value> = budgets
        .iter()
        .filter(|budget| budget_selects(budget, pod).unwrap_or(false))
        .collect();
    let budget = match selecting.as_slice() {
        [] => return Ok(()),
        [budget] => *budget,
        _ => {
            return Err(ApiError::internal(
                "This pod has more than one PodDisruptionBudget, which the eviction \
                 subresource does not support.",
            ));
        }
    };
    let name = budget["metadata"]["name"].as_str().unwrap_or_default();
    let state = budget_state(budget, pods).map_err(|error| {
        ApiError::internal(format!(
            "the disruption budget {name} cannot be evaluated: {error}"
        ))
    })?;
    // An unhealthy pod adds nothing to the budget's healthy count: it may go while the
    // budget is met (unhealthyPodEvictionPolicy IfHealthyBudget, the default).
    let unhealthy_within_budget =
        !pod_is_healthy(pod) && state.current_healthy >= state.desired_healthy;
    if state.disruptions_allowed > 0 || unhealthy_within_budget {
        return Ok(());
    }
    Err(violates_budget(format!(
        "The disruption budget {name} needs {} healthy pods and has {} currently",
        state.desired_healthy, state.current_healthy
    )))
}

/// The 429 of a spent budget.
fn violates_budget(cause: String) -> ApiError {
    let mut error = ApiError::new(429, "TooManyRequests", VIOLATES_BUDGET);
    error.details = Some(Box::new(Details {
        causes: vec![Cause {
            reason: "DisruptionBudget".to_string(),
            message: cause,
            field: String::new(),
        }],
        ..Details::default()
    }));
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, ready: bool) -> Value {
        json!({"metadata": {"name": name, "namespace": "shop", "labels": {"app": "web"}},
               "status": {"phase": "Running",
                          "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}})
    }

    fn budget(name: &str, min_available: u32) -> Value {
        json!({"metadata": {"name": name, "namespace": "shop"},
               "spec": {"minAvailable": min_available, "selector": {"matchLabels": {"app": "web"}}}})
    }

    #[test]
    fn a_spent_budget_is_429_with_the_standard_message_and_cause() {
        let pods = [pod("web-1", true), pod("web-2", true)];
        let error = check_budgets(&pods[0], &pods, &[budget("web", 2)]).err();
        let status = error.map(|e| e.to_status());
        let status = status.unwrap_or_default();
        assert_eq!(status["code"], 429);
        assert_eq!(status["reason"], "TooManyRequests");
        assert_eq!(status["message"], VIOLATES_BUDGET);
        assert_eq!(
            status["details"]["causes"][0]["message"],
            "The disruption budget web needs 2 healthy pods and has 2 currently"
        );
        assert_eq!(status["details"]["causes"][0]["reason"], "DisruptionBudget");
    }

    #[test]
    fn room_in_the_budget_or_no_budget_allows_the_eviction() {
        let pods = [pod("web-1", true), pod("web-2", true)];
        assert!(check_budgets(&pods[0], &pods, &[budget("web", 1)]).is_ok());
        assert!(check_budgets(&pods[0], &pods, &[]).is_ok());
    }

    #[test]
    fn an_unhealthy_pod_may_go_while_the_budget_is_met_but_two_budgets_are_refused() {
        let pods = [pod("web-1", true), pod("web-2", false)];
        assert!(check_budgets(&pods[1], &pods, &[budget("web", 1)]).is_ok());
        let error = check_budgets(&pods[0], &pods, &[budget("web", 1)]);
        assert_eq!(error.err().map(|e| e.code), Some(429));
        let two = check_budgets(&pods[0], &pods, &[budget("a", 0), budget("b", 0)]);
        assert_eq!(two.err().map(|e| e.code), Some(500));
    }

    #[test]
    fn finished_and_pending_pods_ignore_the_budget() {
        let mut done = pod("web-1", false);
        done["status"]["phase"] = json!("Succeeded");
        assert!(budget_may_be_ignored(&done));
        assert!(!budget_may_be_ignored(&pod("web-2", true)));
    }
}
