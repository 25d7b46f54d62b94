//! One label-selector requirement (a key, an operator and a value set), the checks Kubernetes'
//! `labels.NewRequirement` makes when one is built, and what it matches.

mod problem;
#[cfg(test)]
mod tests;

use std::fmt;

use crate::names::{check_label_key, check_label_value};

pub(crate) use problem::go_aggregate;
pub use problem::{InvalidRequirement, RequirementProblem};

/// How a requirement relates a label to its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operator {
    /// `key in (a,b)`, `In`: the label is present with one of the values.
    In,
    /// `key notin (a,b)`, `NotIn`: the label is absent, or has none of the values.
    NotIn,
    /// `key=a`: the label is present with the value.
    Equals,
    /// `key==a`: the same as `=`, kept apart so the selector prints as it was written.
    DoubleEquals,
    /// `key!=a`: the label is absent, or has another value.
    NotEquals,
    /// `key`, `Exists`: the label is present, whatever its value.
    Exists,
    /// `!key`, `DoesNotExist`: the label is absent.
    DoesNotExist,
    /// `key>5`: the label is present and its value is an integer above the value.
    GreaterThan,
    /// `key<5`: the label is present and its value is an integer below the value.
    LessThan,
}

impl Operator {
    /// Kubernetes' name of the operator (`selection.Operator`).
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::In => "in",
            Operator::NotIn => "notin",
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::Exists => "exists",
            Operator::DoesNotExist => "!",
            Operator::GreaterThan => "gt",
            Operator::LessThan => "lt",
        }
    }

    /// The operator of a `matchExpressions` entry (`In`, `NotIn`, `Exists`, `DoesNotExist`;
    /// case-sensitive, as in Kubernetes).
    pub fn from_match_expression(name: &str) -> Option<Operator> {
        match name {
            "In" => Some(Operator::In),
            "NotIn" => Some(Operator::NotIn),
            "Exists" => Some(Operator::Exists),
            "DoesNotExist" => Some(Operator::DoesNotExist),
            _ => None,
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A label-selector requirement. Its values are a set: kept sorted and without repeats, as
/// Kubernetes prints them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// A requirement, refusing what `labels.NewRequirement` refuses: an invalid key or value,
    /// `in`/`notin` without values, `=`/`==`/`!=`/`>`/`<` with other than one value, `exists`/`!`
    /// with values, and `>`/`<` values that are not integers.
    pub fn new<V: Into<String>>(
        key: impl Into<String>,
        operator: Operator,
        values: impl IntoIterator<Item = V>,
    ) -> Result<Requirement, InvalidRequirement> {
        let key = key.into();
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        let mut problems = Vec::new();
        if let Err(error) = check_label_key(&key) {
            problems.push(RequirementProblem::InvalidKey(error));
        }
        problems.extend(operator_problems(operator, &values));
        for (index, value) in values.iter().enumerate() {
            if let Err(error) = check_label_value(value) {
                problems.push(RequirementProblem::InvalidValue {
                    index,
                    key: key.clone(),
                    error,
                });
            }
        }
        if !problems.is_empty() {
            return Err(InvalidRequirement { key, problems });
        }
        let mut values = values;
        values.sort();
        values.dedup();
        Ok(Requirement {
            key,
            operator,
            values,
        })
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, sorted and without repeats.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether labels satisfy the requirement; `label` looks a key up.
    pub fn matches_with<'l>(&self, label: impl Fn(&str) -> Option<&'l str>) -> bool {
        let found = label(&self.key);
        let listed = |value: &str| self.values.iter().any(|v| v == value);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => found.is_some_and(listed),
            Operator::NotIn | Operator::NotEquals => found.is_none_or(|value| !listed(value)),
            Operator::Exists => found.is_some(),
            Operator::DoesNotExist => found.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(found), Some(bound)) = (
                    found.and_then(|v| v.parse::<i64>().ok()),
                    self.values.first().and_then(|v| v.parse::<i64>().ok()),
                ) else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    found > bound
                } else {
                    found < bound
                }
            }
        }
    }
}

/// The string form Kubernetes prints (`tier in (api,web)`, `!canary`, `n>3`), which parses
/// back to the same requirement.
impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.values.join(",");
        match self.operator {
            Operator::Exists => write!(f, "{}", self.key),
            Operator::DoesNotExist => write!(f, "!{}", self.key),
            Operator::In => write!(f, "{} in ({values})", self.key),
            Operator::NotIn => write!(f, "{} notin ({values})", self.key),
            Operator::Equals => write!(f, "{}={values}", self.key),
            Operator::DoubleEquals => write!(f, "{}=={values}", self.key),
            Operator::NotEquals => write!(f, "{}!={values}", self.key),
            Operator::GreaterThan => write!(f, "{}>{values}", self.key),
            Operator::LessThan => write!(f, "{}<{values}", self.key),
        }
    }
}

/// What the operator requires of the value set: values for `in`/`notin`, exactly one for the
/// exact matches, none for `exists`/`!`, and one integer for `>`/`<`.
fn operator_problems(operator: Operator, values: &[String]) -> Vec<RequirementProblem> {
    let mut problems = Vec::new();
    match operator {
        Operator::In | Operator::NotIn if values.is_empty() => {
            problems.push(RequirementProblem::NoValues);
        }
        Operator::Equals | Operator::DoubleEquals | Operator::NotEquals if values.len() != 1 => {
            problems.push(RequirementProblem::NotOneValue {
                values: values.to_vec(),
            });
        }
        Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
            problems.push(RequirementProblem::ValuesNotAllowed {
                values: values.to_vec(),
            });
        }
        Operator::GreaterThan | Operator::LessThan => {
            if values.len() != 1 {
                problems.push(RequirementProblem::NotOneIntegerValue {
                    values: values.to_vec(),
                });
            }
            for (index, value) in values.iter().enumerate() {
                if value.parse::<i64>().is_err() {
                    problems.push(RequirementProblem::NotAnInteger {
                        index,
                        value: value.clone(),
                    });
                }
            }
        }
        _ => {}
    }
    problems
}
