//! Kubernetes label selectors over a set of labels: `matchLabels` pairs and `matchExpressions`
//! requirements (`In`, `NotIn`, `Exists`, `DoesNotExist`), with the Kubernetes meaning of each.
//! Requirements are checked when built, so a selector that exists is one Kubernetes accepts.

use std::collections::BTreeMap;
use std::fmt;

/// Why a label selector requirement is not one Kubernetes accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelSelectorError {
    #[error(
        "requirement on label {key:?}: unknown operator {operator:?} (expected In, NotIn, Exists or DoesNotExist)"
    )]
    UnknownOperator { key: String, operator: String },
    #[error("requirement on label {key:?}: operator {operator} needs at least one value")]
    MissingValues {
        key: String,
        operator: SelectorOperator,
    },
    #[error("requirement on label {key:?}: operator {operator} takes no values")]
    UnexpectedValues {
        key: String,
        operator: SelectorOperator,
    },
}

/// The operator of a `matchExpressions` requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SelectorOperator {
    /// The label is present and its value is one of the values.
    In,
    /// The label is absent, or its value is none of the values.
    NotIn,
    /// The label is present, whatever its value.
    Exists,
    /// The label is absent.
    DoesNotExist,
}

impl SelectorOperator {
    /// The name Kubernetes uses for the operator.
    pub fn as_str(self) -> &'static str {
        match self {
            SelectorOperator::In => "In",
            SelectorOperator::NotIn => "NotIn",
            SelectorOperator::Exists => "Exists",
            SelectorOperator::DoesNotExist => "DoesNotExist",
        }
    }

    /// The operator with this Kubernetes name (case-sensitive, as in Kubernetes).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "In" => Some(SelectorOperator::In),
            "NotIn" => Some(SelectorOperator::NotIn),
            "Exists" => Some(SelectorOperator::Exists),
            "DoesNotExist" => Some(SelectorOperator::DoesNotExist),
            _ => None,
        }
    }

    /// Whether the operator compares against a value set (which must then be non-empty).
    fn takes_values(self) -> bool {
        matches!(self, SelectorOperator::In | SelectorOperator::NotIn)
    }
}

impl fmt::Display for SelectorOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `matchExpressions` entry: a key, an operator and (for `In`/`NotIn`) its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRequirement {
    key: String,
    operator: SelectorOperator,
    values: Vec<String>,
}

impl LabelRequirement {
    /// A requirement, refusing the combinations Kubernetes refuses: `In`/`NotIn` without
    /// values, `Exists`/`DoesNotExist` with values.
    pub fn new(
        key: impl Into<String>,
        operator: SelectorOperator,
        values: Vec<String>,
    ) -> Result<Self, LabelSelectorError> {
        let key = key.into();
        if operator.takes_values() && values.is_empty() {
            return Err(LabelSelectorError::MissingValues { key, operator });
        }
        if !operator.takes_values() && !values.is_empty() {
            return Err(LabelSelectorError::UnexpectedValues { key, operator });
        }
        Ok(LabelRequirement {
            key,
            operator,
            values,
        })
    }

    /// A requirement whose operator is given by its Kubernetes name, as written in a resource.
    pub fn parse(
        key: impl Into<String>,
        operator: &str,
        values: Vec<String>,
    ) -> Result<Self, LabelSelectorError> {
        let key = key.into();
        match SelectorOperator::from_name(operator) {
            Some(operator) => LabelRequirement::new(key, operator, values),
            None => Err(LabelSelectorError::UnknownOperator {
                key,
                operator: operator.to_string(),
            }),
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn operator(&self) -> SelectorOperator {
        self.operator
    }

    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether `labels` satisfy this requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let found = labels.get(&self.key);
        match self.operator {
            SelectorOperator::In => found.is_some_and(|value| self.values.contains(value)),
            SelectorOperator::NotIn => found.is_none_or(|value| !self.values.contains(value)),
            SelectorOperator::Exists => found.is_some(),
            SelectorOperator::DoesNotExist => found.is_none(),
        }
    }
}

/// A label selector: every `matchLabels` pair and every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    match_labels: BTreeMap<String, String>,
    match_expressions: Vec<LabelRequirement>,
}

impl LabelSelector {
    pub fn new(
        match_labels: BTreeMap<String, String>,
        match_expressions: Vec<LabelRequirement>,
    ) -> Self {
        LabelSelector {
            match_labels,
            match_expressions,
        }
    }

    /// Whether the selector states nothing (Kubernetes: it then selects everything; callers
    /// that want "selects nothing" check this first).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    pub fn match_labels(&self) -> &BTreeMap<String, String> {
        &self.match_labels
    }

    pub fn match_expressions(&self) -> &[LabelRequirement] {
        &self.match_expressions
    }

    /// Whether `labels` satisfy every pair and every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(key, value)| labels.get(key) == Some(value))
            && self
                .match_expressions
                .iter()
                .all(|requirement| requirement.matches(labels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn requirement(key: &str, operator: &str, values: &[&str]) -> LabelRequirement {
        LabelRequirement::parse(
            key,
            operator,
            values.iter().map(|v| v.to_string()).collect(),
        )
        .expect("valid requirement")
    }

    #[test]
    fn match_labels_need_every_pair_with_its_value() {
        let selector = LabelSelector::new(labels(&[("tier", "web"), ("env", "prod")]), vec![]);
        assert!(selector.matches(&labels(&[("tier", "web"), ("env", "prod"), ("x", "y")])));
        assert!(!selector.matches(&labels(&[("tier", "web"), ("env", "staging")])));
        assert!(!selector.matches(&labels(&[("tier", "web")])));
    }

    #[test]
    fn in_needs_the_label_with_a_listed_value() {
        let req = requirement("env", "In", &["prod", "staging"]);
        assert!(req.matches(&labels(&[("env", "staging")])));
        assert!(!req.matches(&labels(&[("env", "dev")])));
        assert!(!req.matches(&labels(&[])));
    }

    #[test]
    fn not_in_accepts_an_absent_label() {
        let req = requirement("env", "NotIn", &["prod"]);
        assert!(req.matches(&labels(&[])));
        assert!(req.matches(&labels(&[("env", "dev")])));
        assert!(!req.matches(&labels(&[("env", "prod")])));
    }

    #[test]
    fn exists_and_does_not_exist_ignore_the_value() {
        let exists = requirement("canary", "Exists", &[]);
        let absent = requirement("canary", "DoesNotExist", &[]);
        let with_empty_value = labels(&[("canary", "")]);
        assert!(exists.matches(&with_empty_value));
        assert!(!absent.matches(&with_empty_value));
        assert!(!exists.matches(&labels(&[])));
        assert!(absent.matches(&labels(&[])));
    }

    #[test]
    fn pairs_and_expressions_must_all_hold() {
        let selector = LabelSelector::new(
            labels(&[("tier", "web")]),
            vec![requirement("env", "DoesNotExist", &[])],
        );
        assert!(selector.matches(&labels(&[("tier", "web")])));
        assert!(!selector.matches(&labels(&[("tier", "web"), ("env", "prod")])));
        assert!(!selector.matches(&labels(&[("env", "prod")])));
    }

    #[test]
    fn an_empty_selector_selects_everything() {
        let selector = LabelSelector::default();
        assert!(selector.is_empty());
        assert!(selector.matches(&labels(&[])));
        assert!(selector.matches(&labels(&[("a", "b")])));
        assert!(!LabelSelector::new(labels(&[("a", "b")]), vec![]).is_empty());
    }

    #[test]
    fn requirements_kubernetes_refuses_are_refused() {
        assert_eq!(
            LabelRequirement::parse("env", "Equals", vec!["prod".into()]),
            Err(LabelSelectorError::UnknownOperator {
                key: "env".into(),
                operator: "Equals".into()
            })
        );
        assert_eq!(
            LabelRequirement::parse("env", "In", vec![]),
            Err(LabelSelectorError::MissingValues {
                key: "env".into(),
                operator: SelectorOperator::In
            })
        );
        assert_eq!(
            LabelRequirement::parse("env", "NotIn", vec![]),
            Err(LabelSelectorError::MissingValues {
                key: "env".into(),
                operator: SelectorOperator::NotIn
            })
        );
        let error = LabelRequirement::parse("env", "Exists", vec!["x".into()])
            .expect_err("Exists takes no values");
        assert_eq!(
            error.to_string(),
            "requirement on label \"env\": operator Exists takes no values"
        );
        // Operator names are case-sensitive, as in Kubernetes.
        assert!(LabelRequirement::parse("env", "in", vec!["prod".into()]).is_err());
    }

    #[test]
    fn operators_round_trip_through_their_names() {
        for operator in [
            SelectorOperator::In,
            SelectorOperator::NotIn,
            SelectorOperator::Exists,
            SelectorOperator::DoesNotExist,
        ] {
            assert_eq!(
                SelectorOperator::from_name(operator.as_str()),
                Some(operator)
            );
        }
    }
}
