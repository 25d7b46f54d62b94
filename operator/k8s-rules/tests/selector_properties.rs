//! Properties of label and field selectors: printing and parsing round-trip, the string and
//! structured forms select the same labels, negated operators are complements, and no input
//! makes the parsers panic.

use std::collections::BTreeMap;

use patchwarden_k8s_rules::field_selector::FieldSelector;
use patchwarden_k8s_rules::selector::{LabelSelector, MatchExpression, Operator, Requirement};
use proptest::prelude::*;

fn label_key() -> impl Strategy<Value = String> {
    let name = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?";
    let prefix = "[a-z0-9]([-a-z0-9]{0,5}[a-z0-9])?(\\.[a-z0-9]{1,5}){0,2}";
    prop_oneof![
        3 => name.prop_map(String::from),
        1 => (prefix, name).prop_map(|(p, n)| format!("{p}/{n}")),
        // Words that are keywords where an operator stands.
        1 => prop_oneof![Just("in".to_string()), Just("notin".to_string())],
    ]
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => prop_oneof![Just("in".to_string()), Just("notin".to_string())],
        6 => "[A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?".prop_map(String::from),
    ]
}

fn integer_value() -> impl Strategy<Value = String> {
    (0u32..1000).prop_map(|n| n.to_string())
}

fn requirement() -> impl Strategy<Value = Requirement> {
    let set = || prop::collection::vec(label_value(), 1..4);
    prop_oneof![
        (label_key(), set()).prop_map(|(k, v)| Requirement::new(k, Operator::In, v)),
        (label_key(), set()).prop_map(|(k, v)| Requirement::new(k, Operator::NotIn, v)),
        (label_key(), label_value()).prop_map(|(k, v)| Requirement::new(k, Operator::Equals, [v])),
        (label_key(), label_value()).prop_map(|(k, v)| Requirement::new(
            k,
            Operator::DoubleEquals,
            [v]
        )),
        (label_key(), label_value()).prop_map(|(k, v)| Requirement::new(
            k,
            Operator::NotEquals,
            [v]
        )),
        label_key().prop_map(|k| Requirement::new(k, Operator::Exists, Vec::<String>::new())),
        label_key().prop_map(|k| Requirement::new(k, Operator::DoesNotExist, Vec::<String>::new())),
        (label_key(), integer_value()).prop_map(|(k, v)| Requirement::new(
            k,
            Operator::GreaterThan,
            [v]
        )),
        (label_key(), integer_value()).prop_map(|(k, v)| Requirement::new(
            k,
            Operator::LessThan,
            [v]
        )),
    ]
    .prop_map(|built| built.expect("generated requirements are valid"))
}

fn labels() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map(
        prop_oneof![label_key(), Just("a".to_string()), Just("in".to_string())],
        prop_oneof![label_value(), integer_value()],
        0..5,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn label_selectors_print_and_parse_back(requirements in prop::collection::vec(requirement(), 0..5)) {
        let selector = LabelSelector::from_requirements(requirements);
        let printed = selector.to_string();
        let parsed = LabelSelector::parse(&printed);
        prop_assert_eq!(parsed.as_ref(), Ok(&selector), "{}", printed);
    }

    #[test]
    fn whatever_parses_prints_to_something_that_parses_the_same(input in "[a-z!=<>(), 0-9in]{0,24}") {
        if let Ok(selector) = LabelSelector::parse(&input) {
            let again = LabelSelector::parse(&selector.to_string());
            prop_assert_eq!(again, Ok(selector));
        }
    }

    #[test]
    fn the_parser_never_panics(input in any::<String>()) {
        let _ = LabelSelector::parse(&input);
        let _ = FieldSelector::parse(&input);
    }

    #[test]
    fn structured_and_string_forms_select_alike(
        pairs in prop::collection::btree_map(label_key(), label_value(), 0..3),
        expressions in prop::collection::vec(
            (label_key(), 0usize..4, prop::collection::vec(label_value(), 1..3)), 0..3),
        candidate in labels(),
    ) {
        let names = ["In", "NotIn", "Exists", "DoesNotExist"];
        let expressions: Vec<(String, &str, Vec<String>)> = expressions
            .into_iter()
            .map(|(key, op, values)| {
                let values = if op < 2 { values } else { Vec::new() };
                (key, names[op], values)
            })
            .collect();
        let structured = LabelSelector::from_structured(
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            expressions.iter().map(|(key, operator, values)| MatchExpression {
                key,
                operator,
                values,
            }),
        )
        .expect("generated selectors are valid");
        let string = LabelSelector::parse(&structured.to_string()).expect("printed form parses");
        prop_assert_eq!(structured.matches(&candidate), string.matches(&candidate));
    }

    #[test]
    fn negated_operators_are_complements(
        key in label_key(),
        values in prop::collection::vec(label_value(), 1..3),
        candidate in labels(),
    ) {
        let is_in = Requirement::new(key.clone(), Operator::In, values.clone()).expect("valid");
        let not_in = Requirement::new(key.clone(), Operator::NotIn, values).expect("valid");
        let exists = Requirement::new(key.clone(), Operator::Exists, Vec::<String>::new()).expect("valid");
        let absent = Requirement::new(key, Operator::DoesNotExist, Vec::<String>::new()).expect("valid");
        let get = |k: &str| candidate.get(k).map(String::as_str);
        prop_assert_ne!(is_in.matches_with(get), not_in.matches_with(get));
        prop_assert_ne!(exists.matches_with(get), absent.matches_with(get));
    }

    #[test]
    fn field_selectors_print_and_parse_back(
        terms in prop::collection::vec(
            ("[a-z]{1,6}(\\.[a-z]{1,6}){0,2}", any::<bool>(), "[a-z0-9,=\\\\ ]{0,8}"), 0..4),
    ) {
        let written: Vec<String> = terms
            .iter()
            .map(|(field, equal, value)| {
                let op = if *equal { "=" } else { "!=" };
                format!("{field}{op}{}", patchwarden_k8s_rules::field_selector::escape_value(value))
            })
            .collect();
        let selector = FieldSelector::parse(&written.join(",")).expect("escaped selector parses");
        prop_assert_eq!(selector.requirements().len(), terms.len());
        let again = FieldSelector::parse(&selector.to_string());
        prop_assert_eq!(again, Ok(selector));
    }
}
