//! One label-selector requirement (a key, an operator and a value set), the checks Kubernetes'
//! `labels.NewRequirement` makes when one is built, and what it matches.

use std::fmt;

use crate::names::{InvalidName, check_label_key, check_label_value};

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
    key: String,
    problems: Vec<RequirementProblem>,
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
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => {
                problems.push(RequirementProblem::NoValues);
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals
                if values.len() != 1 =>
            {
                problems.push(RequirementProblem::NotOneValue {
                    values: values.clone(),
                });
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                problems.push(RequirementProblem::ValuesNotAllowed {
                    values: values.clone(),
                });
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    problems.push(RequirementProblem::NotOneIntegerValue {
                        values: values.clone(),
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::selector::labels;

    fn matches(requirement: &Requirement, labels: &BTreeMap<String, String>) -> bool {
        requirement.matches_with(|key| labels.get(key).map(String::as_str))
    }

    fn requirement(key: &str, operator: Operator, values: &[&str]) -> Requirement {
        Requirement::new(key, operator, values.iter().copied()).expect("valid requirement")
    }

    /// Every operator against: label absent, present with a listed value, present with another
    /// value, present and empty.
    #[test]
    fn semantics_table_for_every_operator() {
        let absent = labels(&[]);
        let listed = labels(&[("k", "5")]);
        let other = labels(&[("k", "7")]);
        let empty = labels(&[("k", "")]);
        let table: [(Operator, &[&str], [bool; 4]); 9] = [
            (Operator::In, &["5", "6"], [false, true, false, false]),
            (Operator::NotIn, &["5", "6"], [true, false, true, true]),
            (Operator::Equals, &["5"], [false, true, false, false]),
            (Operator::DoubleEquals, &["5"], [false, true, false, false]),
            (Operator::NotEquals, &["5"], [true, false, true, true]),
            (Operator::Exists, &[], [false, true, true, true]),
            (Operator::DoesNotExist, &[], [true, false, false, false]),
            (Operator::GreaterThan, &["6"], [false, false, true, false]),
            (Operator::LessThan, &["6"], [false, true, false, false]),
        ];
        for (operator, values, expected) in table {
            let r = requirement("k", operator, values);
            let found = [
                matches(&r, &absent),
                matches(&r, &listed),
                matches(&r, &other),
                matches(&r, &empty),
            ];
            assert_eq!(found, expected, "{operator:?} {values:?}");
        }
    }

    #[test]
    fn integer_comparisons_need_an_integer_label() {
        let above = requirement("n", Operator::GreaterThan, &["3"]);
        assert!(matches(&above, &labels(&[("n", "4")])));
        assert!(matches(&above, &labels(&[("n", "04")])));
        assert!(!matches(&above, &labels(&[("n", "x")])));
        assert!(!matches(&above, &labels(&[("n", "3")])));
        // A negative bound is no label value, so Kubernetes refuses it.
        assert!(Requirement::new("n", Operator::GreaterThan, ["-3"]).is_err());
    }

    #[test]
    fn values_are_a_sorted_set() {
        let r = requirement("k", Operator::In, &["b", "a", "b"]);
        assert_eq!(r.values(), ["a", "b"]);
        assert_eq!(r.to_string(), "k in (a,b)");
    }

    #[test]
    fn refusals_print_as_kubernetes_field_errors() {
        let error =
            Requirement::new("k", Operator::In, Vec::<String>::new()).expect_err("no values");
        assert_eq!(
            error.to_string(),
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"
        );
        let error = Requirement::new("k", Operator::Exists, ["x"]).expect_err("values");
        assert_eq!(
            error.to_string(),
            "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist"
        );
        let error = Requirement::new("k", Operator::Equals, ["a", "b"]).expect_err("two");
        assert_eq!(error.problems()[0].field(), "values");
        let error = Requirement::new("k", Operator::GreaterThan, ["x"]).expect_err("not int");
        assert_eq!(
            error.to_string(),
            "values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"
        );
        let error =
            Requirement::new("bad key", Operator::Exists, Vec::<String>::new()).expect_err("key");
        assert!(
            error
                .to_string()
                .starts_with("key: Invalid value: \"bad key\": name part")
        );
        // Several reasons print as Kubernetes' bracketed aggregate.
        let error = Requirement::new("k", Operator::LessThan, ["-x"]).expect_err("two reasons");
        assert_eq!(error.problems().len(), 2);
        assert!(
            error
                .to_string()
                .starts_with("[values[0]: Invalid value: \"-x\": for 'Gt'")
        );
        assert_eq!(error.key(), "k");
    }

    #[test]
    fn match_expression_operators_are_case_sensitive() {
        assert_eq!(Operator::from_match_expression("In"), Some(Operator::In));
        assert_eq!(
            Operator::from_match_expression("DoesNotExist"),
            Some(Operator::DoesNotExist)
        );
        assert_eq!(Operator::from_match_expression("in"), None);
        assert_eq!(Operator::from_match_expression("Equals"), None);
    }
}
