//! Objects and lists against their schema node: declared, unknown and required members, member
//! and item counts, and the duplicates that list sets and list maps refuse.

use serde_json::{Map, Value};

use super::super::node::{GENERIC_ROOT_FIELDS, SchemaNode};
use super::super::violation::{Violation, ViolationKind};
use super::{SchemaChecker, Walk};
use crate::field_path::PathRef;

impl<'s> SchemaChecker<'s> {
    pub(super) fn object(
        &mut self,
        schema: SchemaNode<'s>,
        members: &Map<String, Value>,
        path: &PathRef<'_>,
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
                    path: path.key(key).to_path(),
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
                    path: path.key(name).to_path(),
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

    pub(super) fn array(
        &mut self,
        schema: SchemaNode<'s>,
        items: &[Value],
        path: &PathRef<'_>,
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
                        path: path.index(index).to_path(),
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
                        path: path.index(index).to_path(),
                        kind: ViolationKind::DuplicateMapKey {
                            keys: keys.iter().map(|key| key.to_string()).collect(),
                            values: values.clone(),
                        },
                    });
                }
            }
        }
    }
}

/// How a count rule (`minItems`, `maxProperties`, …) is named and reported.
type CountRule<'r> = (&'r str, fn(u64, usize) -> ViolationKind);

/// Violations of a node's lower and upper count rules by `count` members or items.
fn count_violations(
    schema: SchemaNode<'_>,
    path: &PathRef<'_>,
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
            path: path.to_path(),
            kind,
        })
        .collect()
}
