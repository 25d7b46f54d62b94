//! Label selectors with Kubernetes semantics, from either form: the string of
//! `?labelSelector=` ([`LabelSelector::parse`]) or the structured `matchLabels` /
//! `matchExpressions` of a resource ([`LabelSelector::from_structured`],
//! [`LabelSelector::from_json`]).
//!
//! Two cases Kubernetes keeps apart, and so does this crate:
//! - an **empty** selector (`""`, `{}`, no pairs and no entries) selects **everything**;
//! - an **absent** selector (a resource field left out, JSON `null`) selects **nothing**: it is
//!   `None` here, and [`selects`] gives its answer.
//!
//! A selector that cannot be built (unknown operator, bad key or value, `In` without values)
//! is an error, never a selector that quietly matches nothing.

mod parse;
mod requirement;
mod structured;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

pub use parse::{ParseError, RequirementSyntaxError};
pub use requirement::{InvalidRequirement, Operator, Requirement, RequirementProblem};
pub use structured::{InvalidSelector, MatchExpression, SelectorProblem, SelectorProblemKind};

/// A label selector: every requirement must hold. The default selector has none and selects
/// everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// The selector that selects everything.
    pub fn everything() -> LabelSelector {
        LabelSelector::default()
    }

    /// Parses the string form (`tier=web,env in (prod,staging),!canary`). The empty string
    /// selects everything. Errors carry the message Kubernetes answers a bad
    /// `?labelSelector=` with.
    pub fn parse(input: &str) -> Result<LabelSelector, ParseError> {
        Ok(LabelSelector {
            requirements: parse::parse(input)?,
        })
    }

    /// The selector of a resource's `matchLabels` and `matchExpressions`, as Kubernetes'
    /// `LabelSelectorAsSelector` builds it. With neither, it selects everything.
    pub fn from_structured<'a>(
        match_labels: impl IntoIterator<Item = (&'a str, &'a str)>,
        match_expressions: impl IntoIterator<Item = MatchExpression<'a>>,
    ) -> Result<LabelSelector, InvalidSelector> {
        Ok(LabelSelector {
            requirements: structured::requirements(match_labels, match_expressions)?,
        })
    }

    /// The selector of a structured selector's JSON (`{"matchLabels": …, "matchExpressions":
    /// […]}`); `{}` selects everything. For an absent selector (`null`) use [`selects`] with
    /// `None`: it selects nothing, which no `LabelSelector` does.
    pub fn from_json(value: &Value) -> Result<LabelSelector, InvalidSelector> {
        Ok(LabelSelector {
            requirements: structured::requirements_from_json(value)?,
        })
    }

    /// A selector of these requirements.
    pub fn from_requirements(requirements: impl IntoIterator<Item = Requirement>) -> Self {
        let mut requirements: Vec<Requirement> = requirements.into_iter().collect();
        requirements.sort_by(|a, b| a.key().cmp(b.key()));
        LabelSelector { requirements }
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether the selector has no requirement, and so selects everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether labels satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_with(|key| labels.get(key).map(String::as_str))
    }

    /// Whether labels satisfy every requirement; `label` looks a key up (for labels held in
    /// some other map, such as an object's JSON `metadata.labels`).
    pub fn matches_with<'l>(&self, label: impl Fn(&str) -> Option<&'l str>) -> bool {
        self.requirements
            .iter()
            .all(|requirement| requirement.matches_with(&label))
    }
}

/// The string form, requirements in key order, values sorted: `parse` reads it back to an
/// equal selector, and a Kubernetes client reads it to the same selection.
impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let printed: Vec<String> = self.requirements.iter().map(ToString::to_string).collect();
        f.write_str(&printed.join(","))
    }
}

/// Whether an optional selector selects these labels, as Kubernetes reads a selector field
/// that may be left out: absent selects nothing, empty selects everything.
pub fn selects(selector: Option<&LabelSelector>, labels: &BTreeMap<String, String>) -> bool {
    selector.is_some_and(|selector| selector.matches(labels))
}

/// Labels from pairs, for the tests of this module and its children.
#[cfg(test)]
fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn string_form_matches_as_kubernetes_does() {
        let web = labels(&[("app", "web"), ("tier", "front"), ("n", "5")]);
        let m = |s: &str| LabelSelector::parse(s).expect(s).matches(&web);
        assert!(m("app=web"));
        assert!(m("app==web,tier"));
        assert!(!m("app!=web"));
        assert!(m("env!=prod"));
        assert!(m("app in (web, api)"));
        assert!(!m("app notin (web)"));
        assert!(m("env notin (prod)"));
        assert!(m("!env"));
        assert!(!m("!app"));
        assert!(m("n>4,n<6"));
        assert!(m(""));
        assert!(m("  "));
    }

    #[test]
    fn empty_selects_everything_and_absent_selects_nothing() {
        let some = labels(&[("a", "b")]);
        for empty in [
            LabelSelector::everything(),
            LabelSelector::parse("").expect("empty string"),
            LabelSelector::from_json(&json!({})).expect("empty object"),
            LabelSelector::from_json(&json!({"matchLabels": {}, "matchExpressions": []}))
                .expect("empty lists"),
        ] {
            assert!(empty.is_empty());
            assert!(empty.matches(&some));
            assert!(empty.matches(&BTreeMap::new()));
            assert!(selects(Some(&empty), &some));
        }
        assert!(!selects(None, &some));
        assert!(!selects(None, &BTreeMap::new()));
    }

    #[test]
    fn structured_form_matches_pairs_and_expressions() {
        let selector = LabelSelector::from_json(&json!({
            "matchLabels": {"tier": "web"},
            "matchExpressions": [
                {"key": "env", "operator": "DoesNotExist"},
                {"key": "zone", "operator": "NotIn", "values": ["b"]}
            ]
        }))
        .expect("valid");
        assert!(selector.matches(&labels(&[("tier", "web")])));
        assert!(selector.matches(&labels(&[("tier", "web"), ("zone", "a")])));
        assert!(!selector.matches(&labels(&[("tier", "web"), ("env", "prod")])));
        assert!(!selector.matches(&labels(&[("tier", "web"), ("zone", "b")])));
        assert!(!selector.matches(&labels(&[("env", "prod")])));
        assert_eq!(selector.to_string(), "!env,tier=web,zone notin (b)");
    }

    #[test]
    fn structured_problems_name_their_fields() {
        let error = LabelSelector::from_json(&json!({
            "matchLabels": {"tier": "-web"},
            "matchExpressions": [
                {"key": "env", "operator": "Missing"},
                {"key": "zone", "operator": "In"},
                {"key": "canary", "operator": "Exists", "values": ["x"]},
                {"key": "bad key", "operator": "Exists"}
            ]
        }))
        .expect_err("invalid");
        let found: Vec<(String, String)> = error
            .problems()
            .iter()
            .map(|p| (p.field().to_string(), p.detail()))
            .collect();
        assert_eq!(found[0].0, "matchLabels.tier");
        assert!(
            found[0]
                .1
                .starts_with("a valid label must be an empty string")
        );
        assert_eq!(
            found[1],
            (
                "matchExpressions[0].operator".to_string(),
                "\"Missing\" is not a valid label selector operator".to_string()
            )
        );
        assert_eq!(
            found[2],
            (
                "matchExpressions[1].values".to_string(),
                "for 'in', 'notin' operators, values set can't be empty".to_string()
            )
        );
        assert_eq!(
            found[3],
            (
                "matchExpressions[2].values".to_string(),
                "values set must be empty for exists and does not exist".to_string()
            )
        );
        assert_eq!(found[4].0, "matchExpressions[3].key");
        assert_eq!(found.len(), 5);
        assert!(
            error
                .to_string()
                .starts_with("invalid label selector: [matchLabels.tier: ")
        );
    }

    /// `()` in the string form is the set holding the empty value: Kubernetes' `labels.Parse`
    /// reads it so and answers 200, it does not refuse it. Only the structured form refuses an
    /// empty set of values.
    #[test]
    fn an_empty_value_set_in_the_string_form_is_the_empty_value() {
        let is_in = LabelSelector::parse("a in ()").expect("accepted, as by Kubernetes");
        assert!(is_in.matches(&labels(&[("a", "")])));
        assert!(!is_in.matches(&labels(&[("a", "x")])));
        assert!(!is_in.matches(&BTreeMap::new()));
        let not_in = LabelSelector::parse("a notin ()").expect("accepted, as by Kubernetes");
        assert!(!not_in.matches(&labels(&[("a", "")])));
        assert!(not_in.matches(&labels(&[("a", "x")])));
        assert!(not_in.matches(&BTreeMap::new()));
        let structured =
            json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]});
        assert!(LabelSelector::from_json(&structured).is_err());
    }

    #[test]
    fn json_that_is_not_a_selector_is_an_error() {
        for bad in [
            json!("tier=web"),
            json!({"matchLabel": {"a": "b"}}),
            json!({"matchLabels": {"a": 1}}),
            json!({"matchExpressions": [{"key": "a"}]}),
        ] {
            let error = LabelSelector::from_json(&bad).expect_err("malformed");
            assert!(matches!(
                error.problems()[0].kind(),
                SelectorProblemKind::Malformed(_)
            ));
        }
    }

    #[test]
    fn from_requirements_sorts_by_key() {
        let selector = LabelSelector::from_requirements([
            Requirement::new("b", Operator::Exists, Vec::<String>::new()).expect("valid"),
            Requirement::new("a", Operator::Equals, ["1"]).expect("valid"),
        ]);
        assert_eq!(selector.to_string(), "a=1,b");
        assert_eq!(selector.requirements().len(), 2);
    }
}
