//! What each operator matches, the value set, and the refusals as Kubernetes prints them.

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
    let error = Requirement::new("k", Operator::In, Vec::<String>::new()).expect_err("no values");
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
