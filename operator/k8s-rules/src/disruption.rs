//! PodDisruptionBudget arithmetic, as the disruption controller computes it: how many of the
//! pods a budget selects may be evicted right now. Shared by the control plane's
//! `pods/eviction` subresource (which answers 429 when nothing may be evicted) and the drain
//! preflight (which names budgets that allow no eviction at all).
//!
//! The expected pod count is the number of pods the budget selects; the real controller reads
//! the owning controller's scale for percentages, which equals it once the controller has
//! converged, and a drain waits for convergence anyway.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::selector::LabelSelector;

/// A budget's bound: at least so many pods available, or at most so many unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    MinAvailable(IntOrPercent),
    MaxUnavailable(IntOrPercent),
}

/// Kubernetes' `IntOrString` as budgets use it: a count or a percentage of the expected pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOrPercent {
    Count(u32),
    Percent(u32),
}

impl IntOrPercent {
    /// Resolves against `expected` pods, rounding a percentage up as the disruption controller
    /// does (`GetScaledValueFromIntOrPercent(..., roundUp=true)`).
    fn resolve(self, expected: u32) -> u32 {
        match self {
            IntOrPercent::Count(n) => n,
            IntOrPercent::Percent(p) => (u64::from(expected) * u64::from(p))
                .div_ceil(100)
                .try_into()
                .unwrap_or(u32::MAX),
        }
    }
}

/// Why a PodDisruptionBudget could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisruptionError {
    #[error("{field}: {value} is neither a non-negative integer nor a percentage like \"25%\"")]
    Malformed { field: &'static str, value: String },
    #[error("spec: exactly one of minAvailable and maxUnavailable must be set")]
    NoBound,
    #[error("spec.selector: {0}")]
    Selector(String),
}

/// What a budget allows at this moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetState {
    pub expected_pods: u32,
    pub current_healthy: u32,
    pub desired_healthy: u32,
    pub disruptions_allowed: u32,
}

/// Reads `spec.minAvailable` / `spec.maxUnavailable` of a PodDisruptionBudget.
pub fn budget_of(pdb: &Value) -> Result<Budget, DisruptionError> {
    let spec = &pdb["spec"];
    match (spec.get("minAvailable"), spec.get("maxUnavailable")) {
        (Some(min), None) => int_or_percent("spec.minAvailable", min).map(Budget::MinAvailable),
        (None, Some(max)) => int_or_percent("spec.maxUnavailable", max).map(Budget::MaxUnavailable),
        _ => Err(DisruptionError::NoBound),
    }
}

fn int_or_percent(field: &'static str, value: &Value) -> Result<IntOrPercent, DisruptionError> {
    let malformed = || DisruptionError::Malformed {
        field,
        value: value.to_string(),
    };
    if let Some(n) = value.as_u64() {
        return u32::try_from(n)
            .map(IntOrPercent::Count)
            .map_err(|_| malformed());
    }
    let text = value.as_str().ok_or_else(malformed)?;
    match text.strip_suffix('%') {
        Some(number) => number
            .parse::<u32>()
            .map(IntOrPercent::Percent)
            .map_err(|_| malformed()),
        None => text
            .parse::<u32>()
            .map(IntOrPercent::Count)
            .map_err(|_| malformed()),
    }
}

/// The arithmetic itself: `disruptionsAllowed = max(currentHealthy - desiredHealthy, 0)`.
pub fn evaluate_budget(budget: Budget, expected_pods: u32, current_healthy: u32) -> BudgetState {
    let desired_healthy = match budget {
        Budget::MinAvailable(min) => min.resolve(expected_pods),
        Budget::MaxUnavailable(max) => expected_pods.saturating_sub(max.resolve(expected_pods)),
    };
    BudgetState {
        expected_pods,
        current_healthy,
        desired_healthy,
        disruptions_allowed: current_healthy.saturating_sub(desired_healthy),
    }
}

/// Whether a budget covers a pod: same namespace, and its selector matches the pod's labels.
/// An empty selector selects every pod in the namespace (policy/v1).
pub fn budget_selects(pdb: &Value, pod: &Value) -> Result<bool, DisruptionError> {
    if pdb["metadata"]["namespace"] != pod["metadata"]["namespace"] {
        return Ok(false);
    }
    let selector = match pdb["spec"].get("selector") {
        Some(selector) if !selector.is_null() => LabelSelector::from_json(selector)
            .map_err(|error| DisruptionError::Selector(error.to_string()))?,
        _ => LabelSelector::everything(),
    };
    Ok(selector.matches(&labels_of(pod)))
}

/// A pod's labels as a map (non-string values are ignored: the API refuses them).
pub fn labels_of(object: &Value) -> BTreeMap<String, String> {
    object["metadata"]["labels"]
        .as_object()
        .map(|labels| {
            labels
                .iter()
                .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// A pod counts as healthy when it is not being deleted and its `Ready` condition is `True`.
pub fn pod_is_healthy(pod: &Value) -> bool {
    if !pod["metadata"]["deletionTimestamp"].is_null() {
        return false;
    }
    pod["status"]["conditions"]
        .as_array()
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// Evaluates a budget over the pods it may select (pods of other namespaces or labels are
/// ignored).
pub fn budget_state(pdb: &Value, pods: &[Value]) -> Result<BudgetState, DisruptionError> {
    let budget = budget_of(pdb)?;
    let mut expected = 0u32;
    let mut healthy = 0u32;
    for pod in pods {
        if budget_selects(pdb, pod)? {
            expected = expected.saturating_add(1);
            if pod_is_healthy(pod) {
                healthy = healthy.saturating_add(1);
            }
        }
    }
    Ok(evaluate_budget(budget, expected, healthy))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod(name: &str, app: &str, ready: bool) -> Value {
        let status = if ready { "True" } else { "False" };
        json!({
            "metadata": {"name": name, "namespace": "shop", "labels": {"app": app}},
            "status": {"conditions": [{"type": "Ready", "status": status}]}
        })
    }

    fn pdb(bound: Value) -> Value {
        let mut spec = json!({"selector": {"matchLabels": {"app": "web"}}});
        if let (Some(spec), Some(bound)) = (spec.as_object_mut(), bound.as_object()) {
            spec.extend(bound.clone());
        }
        json!({"metadata": {"name": "web", "namespace": "shop"}, "spec": spec})
    }

    fn web_pods() -> Vec<Value> {
        vec![
            pod("web-1", "web", true),
            pod("web-2", "web", true),
            pod("web-3", "web", false),
            pod("db-1", "db", true),
        ]
    }

    #[test]
    fn min_available_counts_only_healthy_selected_pods() {
        let state = budget_state(&pdb(json!({"minAvailable": 1})), &web_pods());
        assert_eq!(
            state,
            Ok(BudgetState {
                expected_pods: 3,
                current_healthy: 2,
                desired_healthy: 1,
                disruptions_allowed: 1
            })
        );
    }

    #[test]
    fn a_spent_budget_allows_nothing() {
        let state = budget_state(&pdb(json!({"minAvailable": 2})), &web_pods());
        assert_eq!(state.map(|s| s.disruptions_allowed), Ok(0));
        let zero = budget_state(&pdb(json!({"maxUnavailable": 0})), &web_pods());
        assert_eq!(zero.map(|s| s.disruptions_allowed), Ok(0));
    }

    #[test]
    fn percentages_round_up_like_the_disruption_controller() {
        // maxUnavailable 34% of 3 rounds up to 2 unavailable: desired healthy 1.
        let max = evaluate_budget(Budget::MaxUnavailable(IntOrPercent::Percent(34)), 3, 3);
        assert_eq!((max.desired_healthy, max.disruptions_allowed), (1, 2));
        // minAvailable 50% of 3 rounds up to 2.
        let min = evaluate_budget(Budget::MinAvailable(IntOrPercent::Percent(50)), 3, 3);
        assert_eq!((min.desired_healthy, min.disruptions_allowed), (2, 1));
    }

    #[test]
    fn malformed_or_missing_bounds_are_refused_naming_the_field() {
        assert_eq!(budget_of(&pdb(json!({}))), Err(DisruptionError::NoBound));
        let both = budget_of(&pdb(json!({"minAvailable": 1, "maxUnavailable": 1})));
        assert_eq!(both, Err(DisruptionError::NoBound));
        let error = budget_of(&pdb(json!({"minAvailable": "half"}))).err();
        assert_eq!(
            error.map(|e| e.to_string()),
            Some(
                "spec.minAvailable: \"half\" is neither a non-negative integer nor a \
                 percentage like \"25%\""
                    .to_owned()
            )
        );
    }

    #[test]
    fn budgets_select_only_their_namespace_and_a_deleting_pod_is_unhealthy() {
        let mut other = pod("web-9", "web", true);
        other["metadata"]["namespace"] = json!("other");
        assert_eq!(
            budget_selects(&pdb(json!({"minAvailable": 1})), &other),
            Ok(false)
        );
        let mut deleting = pod("web-1", "web", true);
        deleting["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        assert!(!pod_is_healthy(&deleting));
    }
}
