//! Checking a value against a structural schema, as the API server validates a custom
//! resource: types (with `nullable` and `x-kubernetes-int-or-string`), `enum`, `required`,
//! member and item counts, list sets and list-map keys, string lengths, `pattern`,
//! `format: date-time`, numeric bounds, and the `allOf`/`anyOf`/`oneOf`/`not` value checks.
//! Nothing is changed; every violation is reported with its path.

use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Number, Value};

use super::node::{GENERIC_ROOT_FIELDS, SchemaNode};
use super::violation::{Violation, ViolationKind};
use crate::field_path::FieldPath;

/// What a check reports beyond what the API server refuses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Report members the schema does not declare. The API server prunes them silently (or
    /// warns); a linter reports them, since they are most often typos.
    pub report_unknown_fields: bool,
    /// Also bound integers by the range of their `format` (`int32`, `uint8`, `uint16`,
    /// `uint32`, `uint64`). The API server does not, but a value out of that range cannot be
    /// read by the program the schema was generated from.
    pub integer_format_ranges: bool,
}

/// How a node is walked.
#[derive(Debug, Clone, Copy)]
struct Walk {
    /// The top-level object, whose generic fields the schema does not describe.
    root: bool,
    /// Whether undeclared members are reported (never inside `allOf`/`anyOf`/`oneOf`/`not`,
    /// which only constrain values).
    report_unknown: bool,
}

/// Checks objects against one schema, compiling each `pattern` once.
pub struct SchemaChecker<'s> {
    schema: &'s Value,
    options: CheckOptions,
    patterns: HashMap<&'s str, Option<Regex>>,
}

impl<'s> SchemaChecker<'s> {
    /// A checker for an `openAPIV3Schema`.
    pub fn new(schema: &'s Value, options: CheckOptions) -> Self {
        SchemaChecker {
            schema,
            options,
            patterns: HashMap::new(),
        }
    }

    /// Every violation of a whole object, in document order. `apiVersion`, `kind` and
    /// `metadata` are left to the generic object rules ([`super::check_object_meta`]).
    pub fn check(&mut self, object: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        let walk = Walk {
            root: true,
            report_unknown: self.options.report_unknown_fields,
        };
        self.node(
            SchemaNode::new(self.schema),
            object,
            &FieldPath::root(),
            walk,
            &mut out,
        );
        out
    }

    fn node(
        &mut self,
        schema: SchemaNode<'s>,
        value: &Value,
        path: &FieldPath,
        walk: Walk,
        out: &mut Vec<Violation>,
    ) {
        let report = |out: &mut Vec<Violation>, kind| {
            out.push(Violation {
                path: path.clone(),
                kind,
            })
        };
        if value.is_null() {
            if !schema.is_nullable()
                && let Some(expected) = schema.expected_type()
            {
                report(out, ViolationKind::NullNotAllowed { expected });
            }
            return;
        }
        if let Some(expected) = schema.expected_type()
            && !expected.admits(value)
        {
            report(
                out,
                ViolationKind::WrongType {
                    expected,
                    found: value.clone(),
                },
            );
            return;
        }
        if let Some(allowed) = schema.enum_values()
            && !allowed.contains(value)
        {
            report(
                out,
                ViolationKind::NotInEnum {
                    found: value.clone(),
                    allowed: allowed.to_vec(),
                },
            );
        }
        match value {
            Value::Object(members) => self.object(schema, members, path, walk, out),
            Value::Array(items) => self.array(schema, items, path, walk, out),
            Value::String(text) => self.string(schema, text, path, out),
            Value::Number(number) => self.number(schema, number, path, out),
            Value::Bool(_) | Value::Null => {}
        }
        self.value_checks(schema, value, path, walk, out);
    }

    fn object(
        &mut self,
        schema: SchemaNode<'s>,
        members: &Map<String, Value>,
        path: &FieldPath,
        walk: Walk,
        out: &mut Vec<Violation>,
    ) {
        let below = Walk {
            root: false,
            ..walk
        };
        for (key, member) in members {
            if walk.root && GENERIC_ROOT_FIELDS.contains(&key.as_str()) {
                continue;
            }
            match schema.member(key) {
                Some(member_schema) => self.node(member_schema, member, &path.key(key), below, out),
                None if schema.keeps_unknown_members() || !walk.report_unknown => {}
                None => out.push(Violation {
                    path: path.key(key),
                    kind: ViolationKind::UnknownField {
                        field: key.clone(),
                        known: schema.property_names(),
                    },
                }),
            }
        }
        for name in schema.required() {
            if !members.contains_key(name) {
                out.push(Violation {
                    path: path.key(name),
                    kind: ViolationKind::MissingRequired {
                        field: name.to_string(),
                    },
                });
            }
        }
        out.extend(count_violations(
            schema,
            path,
            members.len(),
            ("minProperties", |min, count| {
                ViolationKind::TooFewProperties { min, count }
            }),
            ("maxProperties", |max, count| {
                ViolationKind::TooManyProperties { max, count }
            }),
        ));
    }

    fn array(
        &mut self,
        schema: SchemaNode<'s>,
        items: &[Value],
        path: &FieldPath,
        walk: Walk,
        out: &mut Vec<Violation>,
    ) {
        if let Some(item_schema) = schema.items() {
            let below = Walk {
                root: false,
                ..walk
            };
            for (index, item) in items.iter().enumerate() {
                self.node(item_schema, item, &path.index(index), below, out);
            }
        }
        out.extend(count_violations(
            schema,
            path,
            items.len(),
            ("minItems", |min, count| ViolationKind::TooFewItems {
                min,
                count,
            }),
            ("maxItems", |max, count| ViolationKind::TooManyItems {
                max,
                count,
            }),
        ));
        if schema.items_are_a_set() {
            for (index, item) in items.iter().enumerate() {
                if items[..index].contains(item) {
                    out.push(Violation {
                        path: path.index(index),
                        kind: ViolationKind::DuplicateItem { item: item.clone() },
                    });
                }
            }
        }
        if let Some(keys) = schema.list_map_keys() {
            let identity = |item: &Value| -> Vec<Value> {
                keys.iter()
                    .map(|key| item.get(*key).cloned().unwrap_or(Value::Null))
                    .collect()
            };
            let identities: Vec<Vec<Value>> = items.iter().map(identity).collect();
            for (index, values) in identities.iter().enumerate() {
                if identities[..index].contains(values) {
                    out.push(Violation {
                        path: path.index(index),
                        kind: ViolationKind::DuplicateMapKey {
                            keys: keys.iter().map(|key| key.to_string()).collect(),
                            values: values.clone(),
                        },
                    });
                }
            }
        }
    }

    fn string(
        &mut self,
        schema: SchemaNode<'s>,
        text: &str,
        path: &FieldPath,
        out: &mut Vec<Violation>,
    ) {
        let mut report = |kind| {
            out.push(Violation {
                path: path.clone(),
                kind,
            })
        };
        let length = text.chars().count();
        if let Some(min) = schema.u64("minLength")
            && (length as u64) < min
        {
            report(ViolationKind::TooShort {
                min,
                value: text.to_string(),
            });
        }
        if let Some(max) = schema.u64("maxLength")
            && (length as u64) > max
        {
            report(ViolationKind::TooLong {
                max,
                length,
                value: text.to_string(),
            });
        }
        if let Some(pattern) = schema.str("pattern") {
            // A pattern that does not compile constrains nothing, as before: the CRD's author
            // learns of it when the real server refuses the CRD.
            let regex = self
                .patterns
                .entry(pattern)
                .or_insert_with(|| Regex::new(pattern).ok());
            if let Some(regex) = regex
                && !regex.is_match(text)
            {
                report(ViolationKind::PatternMismatch {
                    pattern: pattern.to_string(),
                    value: text.to_string(),
                });
            }
        }
        if schema.str("format") == Some("date-time")
            && chrono::DateTime::parse_from_rfc3339(text).is_err()
        {
            report(ViolationKind::NotDateTime {
                value: text.to_string(),
            });
        }
    }

    fn number(
        &mut self,
        schema: SchemaNode<'s>,
        number: &Number,
        path: &FieldPath,
        out: &mut Vec<Violation>,
    ) {
        let Some(found) = number.as_f64() else {
            return;
        };
        let (format_min, format_max) = if self.options.integer_format_ranges {
            integer_format_range(schema.str("format"))
        } else {
            (f64::NEG_INFINITY, f64::INFINITY)
        };
        let (minimum, exclusive) = match schema.f64("minimum") {
            Some(m) if m >= format_min => (m, schema.is_exclusive("exclusiveMinimum")),
            _ => (format_min, false),
        };
        if found < minimum || (exclusive && found == minimum) {
            out.push(Violation {
                path: path.clone(),
                kind: ViolationKind::BelowMinimum {
                    found: number.clone(),
                    minimum,
                    exclusive,
                },
            });
        }
        let (maximum, exclusive) = match schema.f64("maximum") {
            Some(m) if m <= format_max => (m, schema.is_exclusive("exclusiveMaximum")),
            _ => (format_max, false),
        };
        if found > maximum || (exclusive && found == maximum) {
            out.push(Violation {
                path: path.clone(),
                kind: ViolationKind::AboveMaximum {
                    found: number.clone(),
                    maximum,
                    exclusive,
                },
            });
        }
    }

    /// `allOf`, `anyOf`, `oneOf` and `not`: constraints on the value, never on its shape.
    fn value_checks(
        &mut self,
        schema: SchemaNode<'s>,
        value: &Value,
        path: &FieldPath,
        walk: Walk,
        out: &mut Vec<Violation>,
    ) {
        let inner = Walk {
            report_unknown: false,
            ..walk
        };
        if let Some(all) = schema.branches("allOf") {
            for branch in all {
                self.node(branch, value, path, inner, out);
            }
        }
        if let Some(any) = schema.branches("anyOf")
            && !any
                .into_iter()
                .any(|branch| self.admits(branch, value, path, inner))
        {
            out.push(Violation {
                path: path.clone(),
                kind: ViolationKind::NoAnyOfMatch {
                    found: value.clone(),
                },
            });
        }
        if let Some(one) = schema.branches("oneOf") {
            let matched = one
                .into_iter()
                .filter(|branch| self.admits(*branch, value, path, inner))
                .count();
            if matched != 1 {
                out.push(Violation {
                    path: path.clone(),
                    kind: ViolationKind::NotExactlyOneOf {
                        found: value.clone(),
                        matched,
                    },
                });
            }
        }
        if let Some(not) = schema.negated()
            && self.admits(not, value, path, inner)
        {
            out.push(Violation {
                path: path.clone(),
                kind: ViolationKind::MatchesNot {
                    found: value.clone(),
                },
            });
        }
    }

    fn admits(
        &mut self,
        schema: SchemaNode<'s>,
        value: &Value,
        path: &FieldPath,
        walk: Walk,
    ) -> bool {
        let mut probe = Vec::new();
        self.node(schema, value, path, walk, &mut probe);
        probe.is_empty()
    }
}

/// How a count rule (`minItems`, `maxProperties`, …) is named and reported.
type CountRule<'r> = (&'r str, fn(u64, usize) -> ViolationKind);

/// Violations of a node's lower and upper count rules by `count` members or items.
fn count_violations(
    schema: SchemaNode<'_>,
    path: &FieldPath,
    count: usize,
    (min_name, too_few): CountRule<'_>,
    (max_name, too_many): CountRule<'_>,
) -> Vec<Violation> {
    let n = count as u64;
    let below = schema
        .u64(min_name)
        .filter(|min| n < *min)
        .map(|min| too_few(min, count));
    let above = schema
        .u64(max_name)
        .filter(|max| n > *max)
        .map(|max| too_many(max, count));
    below
        .into_iter()
        .chain(above)
        .map(|kind| Violation {
            path: path.clone(),
            kind,
        })
        .collect()
}

/// The values an integer `format` can hold.
fn integer_format_range(format: Option<&str>) -> (f64, f64) {
    match format {
        Some("int32") => (i32::MIN.into(), i32::MAX.into()),
        Some("uint8") => (0.0, u8::MAX.into()),
        Some("uint16") => (0.0, u16::MAX.into()),
        Some("uint32") => (0.0, u32::MAX.into()),
        Some("uint64" | "uint") => (0.0, f64::INFINITY),
        _ => (f64::NEG_INFINITY, f64::INFINITY),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::ExpectedType;

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
        let list = one(
            json!({"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "integer"}}),
        );
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

    #[test]
    fn strings_lengths_patterns_and_times() {
        let schema =
            one(json!({"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[a-zé]+$"}));
        assert!(
            check(&schema, &json!({"x": "éé"})).is_empty(),
            "lengths count characters"
        );
        assert_eq!(
            check(&schema, &json!({"x": "a"}))[0].1,
            ViolationKind::TooShort {
                min: 2,
                value: "a".into()
            }
        );
        assert_eq!(
            check(&schema, &json!({"x": "abcd"}))[0].1,
            ViolationKind::TooLong {
                max: 3,
                length: 4,
                value: "abcd".into()
            }
        );
        assert_eq!(
            check(&schema, &json!({"x": "AB"}))[0].1,
            ViolationKind::PatternMismatch {
                pattern: "^[a-zé]+$".into(),
                value: "AB".into()
            }
        );
        // A pattern that does not compile constrains nothing.
        assert!(
            check(
                &one(json!({"type": "string", "pattern": "("})),
                &json!({"x": "a"})
            )
            .is_empty()
        );
        let time = one(json!({"type": "string", "format": "date-time"}));
        for fits in [
            "2026-12-24T18:00:00Z",
            "2026-12-24T18:00:00.5+01:00",
            "2028-02-29T00:00:00Z",
        ] {
            assert!(check(&time, &json!({"x": fits})).is_empty(), "{fits}");
        }
        for bad in [
            "2026-12-24",
            "2026-13-01T00:00:00Z",
            "2027-02-29T00:00:00Z",
            "tomorrow",
        ] {
            assert_eq!(
                check(&time, &json!({"x": bad}))[0].1,
                ViolationKind::NotDateTime { value: bad.into() },
                "{bad}"
            );
        }
    }

    #[test]
    fn numeric_bounds_inclusive_and_exclusive() {
        let schema = one(json!({"type": "integer", "minimum": 1, "maximum": 366}));
        assert!(check(&schema, &json!({"x": 1})).is_empty());
        assert!(check(&schema, &json!({"x": 366})).is_empty());
        assert_eq!(
            check(&schema, &json!({"x": 0}))[0].1,
            ViolationKind::BelowMinimum {
                found: 0.into(),
                minimum: 1.0,
                exclusive: false
            }
        );
        assert_eq!(
            check(&schema, &json!({"x": 400}))[0].1,
            ViolationKind::AboveMaximum {
                found: 400.into(),
                maximum: 366.0,
                exclusive: false
            }
        );
        let exclusive = one(
            json!({"type": "number", "minimum": 0, "exclusiveMinimum": true,
            "maximum": 1, "exclusiveMaximum": true}),
        );
        assert!(check(&exclusive, &json!({"x": 0.5})).is_empty());
        assert_eq!(check(&exclusive, &json!({"x": 0})).len(), 1);
        assert_eq!(check(&exclusive, &json!({"x": 1})).len(), 1);
    }

    #[test]
    fn integer_formats_bound_values_only_when_asked() {
        let ranges = CheckOptions {
            integer_format_ranges: true,
            ..CheckOptions::default()
        };
        let cases = [
            ("int32", json!(2_147_483_648_i64), json!(-2_147_483_648_i64)),
            ("uint8", json!(256), json!(0)),
            ("uint16", json!(65_536), json!(65_535)),
            ("uint32", json!(4_294_967_296_i64), json!(0)),
            ("uint64", json!(-1), json!(u64::MAX)),
        ];
        for (format, outside, inside) in cases {
            let schema = one(json!({"type": "integer", "format": format}));
            assert_eq!(
                check_with(ranges, &schema, &json!({"x": outside.clone()})).len(),
                1,
                "{format}"
            );
            assert!(
                check_with(ranges, &schema, &json!({"x": inside})).is_empty(),
                "{format}"
            );
            assert!(
                check(&schema, &json!({"x": outside})).is_empty(),
                "{format}"
            );
        }
        // The tighter of the schema's bound and the format's wins.
        let schema =
            one(json!({"type": "integer", "format": "uint32", "minimum": -5, "maximum": 10}));
        assert_eq!(
            check_with(ranges, &schema, &json!({"x": -1}))[0].1,
            ViolationKind::BelowMinimum {
                found: (-1).into(),
                minimum: 0.0,
                exclusive: false
            }
        );
        assert_eq!(
            check_with(ranges, &schema, &json!({"x": 11}))[0].1,
            ViolationKind::AboveMaximum {
                found: 11.into(),
                maximum: 10.0,
                exclusive: false
            }
        );
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
}
