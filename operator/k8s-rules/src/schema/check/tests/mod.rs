//! The structural check on small schemas: types, null, int-or-string, enums and the value
//! checks here; objects and lists in `collections`, strings and numbers in `scalars`.

mod collections;
mod scalars;

use serde_json::{Value, json};

use super::{CheckOptions, SchemaChecker};
use crate::schema::{ExpectedType, ViolationKind};

fn check_with(
    options: CheckOptions,
    schema: &Value,
    object: &Value,
) -> Vec<(String, ViolationKind)> {
    SchemaChecker::new(schema, options)
        .check(object)
        .into_iter()
        .map(|v| (v.path.to_string(), v.kind))
        .collect()
}

fn check(schema: &Value, object: &Value) -> Vec<(String, ViolationKind)> {
    check_with(CheckOptions::default(), schema, object)
}

/// A schema with one field `x` of schema `field`.
fn one(field: Value) -> Value {
    json!({"type": "object", "properties": {"x": field}})
}

#[test]
fn types() {
    let cases = [
        ("object", json!([]), ExpectedType::Object),
        ("array", json!({}), ExpectedType::Array),
        ("string", json!(3), ExpectedType::String),
        ("integer", json!(1.5), ExpectedType::Integer),
        ("integer", json!("1"), ExpectedType::Integer),
        ("number", json!("1"), ExpectedType::Number),
        ("boolean", json!("no"), ExpectedType::Boolean),
    ];
    for (name, found, expected) in cases {
        let violations = check(&one(json!({"type": name})), &json!({"x": found}));
        assert_eq!(
            violations,
            vec![(
                "x".to_string(),
                ViolationKind::WrongType { expected, found }
            )],
            "{name}"
        );
    }
    for (name, fits) in [
        ("object", json!({})),
        ("array", json!([])),
        ("string", json!("")),
        ("integer", json!(-3)),
        ("integer", json!(u64::MAX)),
        ("number", json!(2)),
        ("number", json!(2.5)),
        ("boolean", json!(false)),
    ] {
        assert!(
            check(&one(json!({"type": name})), &json!({"x": fits})).is_empty(),
            "{name}"
        );
    }
}

#[test]
fn null_needs_nullable_when_the_type_is_constrained() {
    let violations = check(&one(json!({"type": "object"})), &json!({"x": null}));
    assert_eq!(
        violations[0].1,
        ViolationKind::NullNotAllowed {
            expected: ExpectedType::Object
        }
    );
    assert!(
        check(
            &one(json!({"type": "object", "nullable": true})),
            &json!({"x": null})
        )
        .is_empty()
    );
    let int_or_string = one(json!({"x-kubernetes-int-or-string": true}));
    assert_eq!(
        check(&int_or_string, &json!({"x": null}))[0].1,
        ViolationKind::NullNotAllowed {
            expected: ExpectedType::IntOrString
        }
    );
    // A node that constrains no type takes null.
    assert!(
        check(
            &one(json!({"x-kubernetes-preserve-unknown-fields": true})),
            &json!({"x": null})
        )
        .is_empty()
    );
}

#[test]
fn int_or_string_takes_integers_and_strings_only() {
    let schema = one(json!({"x-kubernetes-int-or-string": true, "nullable": true}));
    for fits in [json!(3), json!("25%"), json!(null)] {
        assert!(check(&schema, &json!({"x": fits})).is_empty());
    }
    for found in [json!(1.5), json!(true), json!([1]), json!({})] {
        assert_eq!(
            check(&schema, &json!({"x": found.clone()}))[0].1,
            ViolationKind::WrongType {
                expected: ExpectedType::IntOrString,
                found
            }
        );
    }
}

#[test]
fn enums_after_the_type() {
    let schema = one(json!({"type": "string", "enum": ["Auto", "Manual"]}));
    assert!(check(&schema, &json!({"x": "Auto"})).is_empty());
    assert_eq!(
        check(&schema, &json!({"x": "auto"}))[0].1,
        ViolationKind::NotInEnum {
            found: json!("auto"),
            allowed: vec![json!("Auto"), json!("Manual")]
        }
    );
    // A value of the wrong type is reported as that, once.
    let violations = check(&schema, &json!({"x": 3}));
    assert_eq!(violations.len(), 1);
    assert!(matches!(violations[0].1, ViolationKind::WrongType { .. }));
}

#[test]
fn value_checks_all_any_one_not() {
    let one_of = one(
        json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "oneOf": [{"required": ["a"]}, {"required": ["b"]}]}),
    );
    assert!(check(&one_of, &json!({"x": {"a": "1"}})).is_empty());
    assert_eq!(
        check(&one_of, &json!({"x": {"a": "1", "b": "2"}}))[0].1,
        ViolationKind::NotExactlyOneOf {
            found: json!({"a": "1", "b": "2"}),
            matched: 2
        }
    );
    assert_eq!(
        check(&one_of, &json!({"x": {}}))[0].1,
        ViolationKind::NotExactlyOneOf {
            found: json!({}),
            matched: 0
        }
    );
    let any_of = one(json!({"type": "integer", "anyOf": [{"minimum": 10}, {"maximum": 0}]}));
    assert!(check(&any_of, &json!({"x": 11})).is_empty());
    assert_eq!(
        check(&any_of, &json!({"x": 5}))[0].1,
        ViolationKind::NoAnyOfMatch { found: json!(5) }
    );
    let all_of = one(json!({"type": "string", "allOf": [{"minLength": 2}, {"pattern": "^a"}]}));
    assert_eq!(check(&all_of, &json!({"x": "b"})).len(), 2);
    let not = one(json!({"type": "string", "not": {"enum": ["root"]}}));
    assert!(check(&not, &json!({"x": "admin"})).is_empty());
    assert_eq!(
        check(&not, &json!({"x": "root"}))[0].1,
        ViolationKind::MatchesNot {
            found: json!("root")
        }
    );
    // Branches constrain values only: members they do not declare are not unknown.
    let reporting = CheckOptions {
        report_unknown_fields: true,
        ..CheckOptions::default()
    };
    let branch = one(
        json!({"type": "object", "properties": {"a": {"type": "string"}},
        "allOf": [{"properties": {"b": {"type": "string"}}}]}),
    );
    assert!(check_with(reporting, &branch, &json!({"x": {"a": "1"}})).is_empty());
}
