//! Properties of schema admission: admitting twice changes nothing more, and the check of an
//! admitted object with unknown members reported finds none.

use patchwarden_k8s_rules::schema::{CheckOptions, SchemaChecker, admit};
use proptest::prelude::*;
use serde_json::{Value, json};

fn schema() -> Value {
    json!({"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "mode": {"type": "string", "enum": ["Auto", "Manual"], "default": "Auto"},
            "size": {"type": "integer", "minimum": 0, "default": 1},
            "hosts": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "port": {"type": "integer", "default": 22}}}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
        }}
    }})
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-5i64..5).prop_map(Value::from),
        prop_oneof![Just("Auto"), Just("x"), Just("name")].prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("spec"),
                    Just("mode"),
                    Just("size"),
                    Just("hosts"),
                    Just("name"),
                    Just("port"),
                    Just("labels"),
                    Just("free"),
                    Just("junk")
                ]
                .prop_map(String::from),
                inner,
                0..4
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn admission_is_idempotent(spec in json_value()) {
        let schema = schema();
        let mut object = json!({"spec": spec});
        let first = admit(&schema, &mut object);
        let admitted = object.clone();
        let second = admit(&schema, &mut object);
        prop_assert!(second.pruned.is_empty(), "{:?}", second.pruned);
        prop_assert_eq!(&object, &admitted);
        prop_assert_eq!(second.violations, first.violations);
        let reporting = CheckOptions { report_unknown_fields: true, ..CheckOptions::default() };
        let strict = SchemaChecker::new(&schema, reporting).check(&object);
        let lenient = SchemaChecker::new(&schema, CheckOptions::default()).check(&object);
        prop_assert_eq!(strict, lenient);
    }
}
