//! Pruning: the API server drops the members of a custom resource that its structural schema
//! does not declare, unless the schema keeps them (`x-kubernetes-preserve-unknown-fields`,
//! `additionalProperties: true`, an embedded resource, or a node with no type and no members).

use serde_json::Value;

use super::node::{GENERIC_ROOT_FIELDS, SchemaNode};
use crate::field_path::FieldPath;

/// Drops undeclared members below `path`, appending the path of each to `pruned`. Values whose
/// type the node refuses are left for the check to report.
pub(crate) fn prune(
    schema: SchemaNode<'_>,
    value: &mut Value,
    path: &FieldPath,
    root: bool,
    pruned: &mut Vec<FieldPath>,
) {
    if !schema.admits_shape(value) {
        return;
    }
    match value {
        Value::Object(members) => {
            let keys: Vec<String> = members.keys().cloned().collect();
            for key in keys {
                if root && GENERIC_ROOT_FIELDS.contains(&key.as_str()) {
                    continue;
                }
                match schema.member(&key) {
                    Some(member_schema) => {
                        if let Some(member) = members.get_mut(&key) {
                            prune(member_schema, member, &path.key(&key), false, pruned);
                        }
                    }
                    None if schema.keeps_unknown_members() => {}
                    None => {
                        members.remove(&key);
                        pruned.push(path.key(key));
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.items() {
                for (index, item) in items.iter_mut().enumerate() {
                    prune(item_schema, item, &path.index(index), false, pruned);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pruned(schema: &Value, mut value: Value) -> (Value, Vec<String>) {
        let mut paths = Vec::new();
        prune(
            SchemaNode::new(schema),
            &mut value,
            &FieldPath::root(),
            true,
            &mut paths,
        );
        (value, paths.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn undeclared_members_go_and_are_listed() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "hosts": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "open": {"type": "object", "additionalProperties": true},
                "embedded": {"type": "object", "x-kubernetes-embedded-resource": true},
                "bare": {"type": "object"},
                "untyped": {}
            }}
        }});
        let (value, paths) = pruned(
            &schema,
            json!({
                "apiVersion": "x/v1", "kind": "K", "metadata": {"name": "n"}, "extra": 1,
                "spec": {
                    "bogus": true,
                    "hosts": [{"name": "a", "port": 22}],
                    "labels": {"any": "thing"},
                    "free": {"x": {"y": 1}},
                    "open": {"x": 1},
                    "embedded": {"x": 1},
                    "bare": {"x": 1},
                    "untyped": {"x": 1}
                }
            }),
        );
        assert_eq!(
            paths,
            ["extra", "spec.bare.x", "spec.bogus", "spec.hosts[0].port"]
        );
        assert_eq!(value["metadata"]["name"], "n");
        assert_eq!(value["spec"]["hosts"], json!([{"name": "a"}]));
        assert_eq!(value["spec"]["labels"]["any"], "thing");
        assert_eq!(value["spec"]["free"]["x"]["y"], 1);
        assert_eq!(value["spec"]["open"]["x"], 1);
        assert_eq!(value["spec"]["embedded"]["x"], 1);
        assert_eq!(value["spec"]["bare"], json!({}));
        assert_eq!(value["spec"]["untyped"]["x"], 1);
    }

    #[test]
    fn values_of_the_wrong_type_are_left_for_the_check() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "string"}}});
        let (value, paths) = pruned(&schema, json!({"spec": {"x": 1}}));
        assert!(paths.is_empty());
        assert_eq!(value["spec"]["x"], 1);
    }
}
