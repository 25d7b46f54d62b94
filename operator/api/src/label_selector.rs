//! Label selectors of resources (k8s-openapi's `metav1.LabelSelector`) read as Kubernetes reads
//! them, through the k8s-rules selector: the one conversion the controllers, `plan` and the
//! spec checks share. An absent selector selects nothing, an empty one everything, and one
//! Kubernetes would refuse is an error.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as ResourceSelector;
use patchwarden_k8s_rules::selector::{InvalidSelector, LabelSelector, MatchExpression};

use crate::convert::SpecError;

/// The selector Kubernetes builds from a resource's selector (`LabelSelectorAsSelector`).
pub fn from_resource(selector: &ResourceSelector) -> Result<LabelSelector, InvalidSelector> {
    LabelSelector::from_structured(
        selector
            .match_labels
            .iter()
            .flatten()
            .map(|(key, value)| (key.as_str(), value.as_str())),
        selector
            .match_expressions
            .iter()
            .flatten()
            .map(|expression| MatchExpression {
                key: &expression.key,
                operator: &expression.operator,
                values: expression.values.as_deref().unwrap_or_default(),
            }),
    )
}

/// An optional selector field: `None` when absent, which selects nothing
/// (`patchwarden_k8s_rules::selects(None, …)` is false).
pub fn from_optional(
    selector: Option<&ResourceSelector>,
) -> Result<Option<LabelSelector>, InvalidSelector> {
    selector.map(from_resource).transpose()
}

/// The problems of the selector at `field` (`spec.selector`), one per field.
pub fn spec_errors(field: &str, selector: &ResourceSelector) -> Vec<SpecError> {
    match from_resource(selector) {
        Ok(_) => Vec::new(),
        Err(invalid) => invalid
            .problems()
            .iter()
            .map(|problem| SpecError::new(format!("{field}.{}", problem.field()), problem.detail()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn resource_selector(json: serde_json::Value) -> ResourceSelector {
        serde_json::from_value(json).expect("a LabelSelector")
    }

    #[test]
    fn resource_selectors_select_as_in_kubernetes() {
        let labels = BTreeMap::from([("tier".to_string(), "web".to_string())]);
        let selector = from_resource(&resource_selector(serde_json::json!({
            "matchLabels": {"tier": "web"},
            "matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]
        })))
        .expect("valid");
        assert!(selector.matches(&labels));
        let empty = from_resource(&ResourceSelector::default()).expect("valid");
        assert!(
            empty.matches(&labels),
            "an empty selector selects everything"
        );
        assert_eq!(from_optional(None), Ok(None));
    }

    #[test]
    fn refused_selectors_name_each_field() {
        let selector = resource_selector(serde_json::json!({
            "matchExpressions": [
                {"key": "env", "operator": "Missing"},
                {"key": "zone", "operator": "In", "values": []}
            ]
        }));
        assert!(from_resource(&selector).is_err());
        let errors = spec_errors("spec.selector", &selector);
        let found: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "spec.selector.matchExpressions[0].operator",
                    "\"Missing\" is not a valid label selector operator"
                ),
                (
                    "spec.selector.matchExpressions[1].values",
                    "for 'in', 'notin' operators, values set can't be empty"
                ),
            ]
        );
    }
}
