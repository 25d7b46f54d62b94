//! Objects and lists: required and unknown members, counts, sets and list maps.

use serde_json::{Value, json};

use super::{check, check_with, one};
use crate::schema::{CheckOptions, ViolationKind};

#[test]
fn required_members_are_reported_at_their_own_path() {
    let schema = json!({"type": "object", "required": ["spec"], "properties": {
        "spec": {"type": "object", "required": ["size", "mode"], "properties": {
            "size": {"type": "integer"}, "mode": {"type": "string"}}}}});
    assert_eq!(
        check(&schema, &json!({"spec": {"mode": "x"}})),
        vec![(
            "spec.size".to_string(),
            ViolationKind::MissingRequired {
                field: "size".into()
            }
        )]
    );
    assert_eq!(check(&schema, &json!({}))[0].0, "spec");
}

#[test]
fn unknown_members_are_reported_only_when_asked() {
    let schema = json!({"type": "object", "properties": {
        "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}}}});
    let object = json!({
        "apiVersion": "v1", "kind": "K", "metadata": {"whatever": 1},
        "spec": {"sise": 1}, "free": {"a": 1}, "labels": {"a": "b", "c": 1}, "extra": true
    });
    let reported = check_with(
        CheckOptions {
            report_unknown_fields: true,
            ..CheckOptions::default()
        },
        &schema,
        &object,
    );
    let paths: Vec<&str> = reported.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["extra", "labels.c", "spec.sise"]);
    assert_eq!(
        reported[2].1,
        ViolationKind::UnknownField {
            field: "sise".into(),
            known: vec!["size".into()]
        }
    );
    let quiet = check(&schema, &object);
    assert_eq!(quiet.len(), 1, "{quiet:?}");
    assert_eq!(quiet[0].0, "labels.c");
}

#[test]
fn counts_of_members_and_items() {
    let schema = one(
        json!({"type": "object", "minProperties": 1, "maxProperties": 2,
        "additionalProperties": {"type": "integer"}}),
    );
    assert_eq!(
        check(&schema, &json!({"x": {}}))[0].1,
        ViolationKind::TooFewProperties { min: 1, count: 0 }
    );
    assert_eq!(
        check(&schema, &json!({"x": {"a": 1, "b": 2, "c": 3}}))[0].1,
        ViolationKind::TooManyProperties { max: 2, count: 3 }
    );
    let list =
        one(json!({"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "integer"}}));
    assert_eq!(
        check(&list, &json!({"x": []}))[0].1,
        ViolationKind::TooFewItems { min: 1, count: 0 }
    );
    assert_eq!(
        check(&list, &json!({"x": [1, 2, 3]}))[0].1,
        ViolationKind::TooManyItems { max: 2, count: 3 }
    );
    assert!(check(&list, &json!({"x": [1, 2]})).is_empty());
    assert_eq!(check(&list, &json!({"x": [1, "2"]}))[0].0, "x[1]");
}

#[test]
fn sets_and_list_maps_refuse_duplicates() {
    for set in [
        json!({"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}),
        json!({"type": "array", "uniqueItems": true, "items": {"type": "string"}}),
    ] {
        assert_eq!(
            check(&one(set), &json!({"x": ["a", "b", "a"]})),
            vec![(
                "x[2]".to_string(),
                ViolationKind::DuplicateItem { item: json!("a") }
            )]
        );
    }
    let map = one(json!({"type": "array", "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name", "port"], "items": {"type": "object",
        "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}}));
    assert!(
        check(
            &map,
            &json!({"x": [{"name": "a", "port": 1}, {"name": "a", "port": 2}]})
        )
        .is_empty()
    );
    assert_eq!(
        check(
            &map,
            &json!({"x": [{"name": "a", "port": 1}, {"name": "b"}, {"name": "a", "port": 1}, {"name": "b"}]})
        ),
        vec![
            (
                "x[2]".to_string(),
                ViolationKind::DuplicateMapKey {
                    keys: vec!["name".into(), "port".into()],
                    values: vec![json!("a"), json!(1)]
                }
            ),
            (
                "x[3]".to_string(),
                ViolationKind::DuplicateMapKey {
                    keys: vec!["name".into(), "port".into()],
                    values: vec![json!("b"), Value::Null]
                }
            )
        ]
    );
}
