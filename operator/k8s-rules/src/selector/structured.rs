//! The structured form of a label selector, as resources carry it (`metav1.LabelSelector`:
//! `matchLabels` pairs and `matchExpressions` entries), turned into requirements the way
//! Kubernetes' `LabelSelectorAsSelector` does: every pair becomes `key=value`, every entry
//! `key <operator> (values)`, and whatever Kubernetes refuses is an error, never a selector
//! that quietly matches nothing.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use super::requirement::{InvalidRequirement, Operator, Requirement, RequirementProblem};
use crate::field_path::FieldPath;

/// One `matchExpressions` entry as written in a resource: the operator by its name, unchecked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchExpression<'a> {
    /// The label key.
    pub key: &'a str,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: &'a str,
    /// The values (`In`/`NotIn` need some, the others none).
    pub values: &'a [String],
}

/// What is wrong with one part of a structured selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorProblemKind {
    /// A `matchExpressions` operator other than `In`, `NotIn`, `Exists`, `DoesNotExist`.
    UnknownOperator(String),
    /// A pair or entry Kubernetes refuses as a requirement.
    Requirement(RequirementProblem),
    /// JSON that is not shaped like a label selector.
    Malformed(String),
}

/// One problem of a structured selector, with the field it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorProblem {
    field: FieldPath,
    kind: SelectorProblemKind,
}

impl SelectorProblem {
    /// The field, relative to the selector: `matchExpressions[0].operator`,
    /// `matchExpressions[1].values[0]`, `matchLabels.tier`.
    pub fn field(&self) -> &FieldPath {
        &self.field
    }

    /// What is wrong.
    pub fn kind(&self) -> &SelectorProblemKind {
        &self.kind
    }

    /// What is wrong, without the field, worded as Kubernetes words it.
    pub fn detail(&self) -> String {
        match &self.kind {
            SelectorProblemKind::UnknownOperator(operator) => {
                format!("{operator:?} is not a valid label selector operator")
            }
            SelectorProblemKind::Requirement(problem) => problem.detail(),
            SelectorProblemKind::Malformed(reason) => reason.clone(),
        }
    }
}

impl fmt::Display for SelectorProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_root() {
            f.write_str(&self.detail())
        } else {
            write!(f, "{}: {}", self.field, self.detail())
        }
    }
}

/// A structured selector Kubernetes refuses, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid label selector: {}", super::requirement::go_aggregate(.problems))]
pub struct InvalidSelector {
    problems: Vec<SelectorProblem>,
}

impl InvalidSelector {
    /// Every problem, pairs first, then entries in order.
    pub fn problems(&self) -> &[SelectorProblem] {
        &self.problems
    }
}

/// Where the problems of one requirement belong in the structured form.
fn place(base: &FieldPath, error: InvalidRequirement, out: &mut Vec<SelectorProblem>) {
    for problem in error.problems() {
        let field = match problem {
            RequirementProblem::InvalidKey(_) => base.key("key"),
            RequirementProblem::InvalidValue { index, .. }
            | RequirementProblem::NotAnInteger { index, .. } => base.key("values").index(*index),
            _ => base.key("values"),
        };
        out.push(SelectorProblem {
            field,
            kind: SelectorProblemKind::Requirement(problem.clone()),
        });
    }
}

/// Requirements from `matchLabels` pairs and `matchExpressions` entries.
pub(super) fn requirements<'a>(
    match_labels: impl IntoIterator<Item = (&'a str, &'a str)>,
    match_expressions: impl IntoIterator<Item = MatchExpression<'a>>,
) -> Result<Vec<Requirement>, InvalidSelector> {
    let mut requirements = Vec::new();
    let mut problems = Vec::new();
    for (key, value) in match_labels {
        match Requirement::new(key, Operator::Equals, [value]) {
            Ok(requirement) => requirements.push(requirement),
            Err(error) => {
                // A pair is one field: the key names it, whichever half is wrong.
                let field = FieldPath::root().key("matchLabels").key(key);
                problems.extend(error.problems().iter().map(|problem| SelectorProblem {
                    field: field.clone(),
                    kind: SelectorProblemKind::Requirement(problem.clone()),
                }));
            }
        }
    }
    for (index, expression) in match_expressions.into_iter().enumerate() {
        let base = FieldPath::root().key("matchExpressions").index(index);
        let Some(operator) = Operator::from_match_expression(expression.operator) else {
            problems.push(SelectorProblem {
                field: base.key("operator"),
                kind: SelectorProblemKind::UnknownOperator(expression.operator.to_string()),
            });
            continue;
        };
        match Requirement::new(expression.key, operator, expression.values.iter().cloned()) {
            Ok(requirement) => requirements.push(requirement),
            Err(error) => place(&base, error, &mut problems),
        }
    }
    if problems.is_empty() {
        requirements.sort_by(|a, b| a.key().cmp(b.key()));
        Ok(requirements)
    } else {
        Err(InvalidSelector { problems })
    }
}

/// The JSON of `metav1.LabelSelector`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SelectorJson {
    #[serde(default)]
    match_labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    match_expressions: Option<Vec<ExpressionJson>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpressionJson {
    key: String,
    operator: String,
    #[serde(default)]
    values: Option<Vec<String>>,
}

/// Requirements from the JSON of a structured selector.
pub(super) fn requirements_from_json(value: &Value) -> Result<Vec<Requirement>, InvalidSelector> {
    let parsed = SelectorJson::deserialize(value).map_err(|error| InvalidSelector {
        problems: vec![SelectorProblem {
            field: FieldPath::root(),
            kind: SelectorProblemKind::Malformed(error.to_string()),
        }],
    })?;
    let labels = parsed.match_labels.unwrap_or_default();
    let expressions = parsed.match_expressions.unwrap_or_default();
    requirements(
        labels.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        expressions.iter().map(|e| MatchExpression {
            key: &e.key,
            operator: &e.operator,
            values: e.values.as_deref().unwrap_or_default(),
        }),
    )
}
