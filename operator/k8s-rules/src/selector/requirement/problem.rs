//! Why Kubernetes refuses a requirement: each reason as the field error it prints, and the
//! aggregate text when there are several.

use std::fmt;

use crate::names::InvalidName;

/// One reason a requirement is refused; each prints as the Kubernetes field error it mirrors
/// (`values[0][tier]: Invalid value: "-x": …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequirementProblem {
    /// The key is not a valid label key.
    InvalidKey(InvalidName),
    /// Value number `index` (as given) of the requirement on `key` is not a valid label value.
    InvalidValue {
        index: usize,
        key: String,
        error: InvalidName,
    },
    /// `in`/`notin` without values.
    NoValues,
    /// `=`, `==`, `!=` with other than one value.
    NotOneValue { values: Vec<String> },
    /// `exists`/`!` with values.
    ValuesNotAllowed { values: Vec<String> },
    /// `>`/`<` with other than one value.
    NotOneIntegerValue { values: Vec<String> },
    /// `>`/`<` with value number `index` not an integer.
    NotAnInteger { index: usize, value: String },
}

impl RequirementProblem {
    /// The field the problem is about, relative to the requirement: `key`, `values`,
    /// `values[1]` or `values[1][tier]`.
    pub fn field(&self) -> String {
        match self {
            RequirementProblem::InvalidKey(_) => "key".to_string(),
            RequirementProblem::InvalidValue { index, key, .. } => {
                format!("values[{index}][{key}]")
            }
            RequirementProblem::NoValues
            | RequirementProblem::NotOneValue { .. }
            | RequirementProblem::ValuesNotAllowed { .. }
            | RequirementProblem::NotOneIntegerValue { .. } => "values".to_string(),
            RequirementProblem::NotAnInteger { index, .. } => format!("values[{index}]"),
        }
    }

    /// What is wrong, without the field.
    pub fn detail(&self) -> String {
        match self {
            RequirementProblem::InvalidKey(error) => error.reasons(),
            RequirementProblem::InvalidValue { error, .. } => error.reasons(),
            RequirementProblem::NoValues => {
                "for 'in', 'notin' operators, values set can't be empty".to_string()
            }
            RequirementProblem::NotOneValue { .. } => {
                "exact-match compatibility requires one single value".to_string()
            }
            RequirementProblem::ValuesNotAllowed { .. } => {
                "values set must be empty for exists and does not exist".to_string()
            }
            RequirementProblem::NotOneIntegerValue { .. } => {
                "for 'Gt', 'Lt' operators, exactly one value is required".to_string()
            }
            RequirementProblem::NotAnInteger { .. } => {
                "for 'Gt', 'Lt' operators, the value must be an integer".to_string()
            }
        }
    }
}

/// Go's `%#v` of a string slice, which Kubernetes prints for a bad value set.
fn go_string_slice(values: &[String]) -> String {
    if values.is_empty() {
        return "[]string(nil)".to_string();
    }
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

impl fmt::Display for RequirementProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bad_value = match self {
            RequirementProblem::InvalidKey(error) => format!("{:?}", error.value()),
            RequirementProblem::InvalidValue { error, .. } => format!("{:?}", error.value()),
            RequirementProblem::NotAnInteger { value, .. } => format!("{value:?}"),
            RequirementProblem::NoValues => go_string_slice(&[]),
            RequirementProblem::NotOneValue { values }
            | RequirementProblem::ValuesNotAllowed { values }
            | RequirementProblem::NotOneIntegerValue { values } => go_string_slice(values),
        };
        write!(
            f,
            "{}: Invalid value: {bad_value}: {}",
            self.field(),
            self.detail()
        )
    }
}

/// A requirement Kubernetes refuses, with every reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", go_aggregate(.problems))]
pub struct InvalidRequirement {
    pub(super) key: String,
    pub(super) problems: Vec<RequirementProblem>,
}

impl InvalidRequirement {
    /// The key of the refused requirement.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Every reason, in Kubernetes' order.
    pub fn problems(&self) -> &[RequirementProblem] {
        &self.problems
    }
}

/// apimachinery's aggregate error text: one message alone, several deduplicated in brackets.
pub(crate) fn go_aggregate<T: fmt::Display>(items: &[T]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for item in items {
        let text = item.to_string();
        if !seen.contains(&text) {
            seen.push(text);
        }
    }
    match seen.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}
