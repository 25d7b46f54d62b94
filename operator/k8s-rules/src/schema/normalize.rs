//! What the API server changes in a custom resource before checking it: it drops the members
//! its structural schema does not declare (pruning), unless the schema keeps them
//! (`x-kubernetes-preserve-unknown-fields`, `additionalProperties: true`, an embedded resource,
//! or a node with no type and no members), and fills in each missing member that has a
//! `default`, at every level, the default itself pruned and defaulted like any other value.

use serde_json::Value;

use super::node::{GENERIC_ROOT_FIELDS, SchemaNode};
use crate::field_path::{FieldPath, PathRef};

/// Prunes and defaults `value` below `path`, appending the path of each dropped member to
/// `pruned`. Values whose type the node refuses are left for the check to report.
pub(crate) fn prune_and_default(
    schema: SchemaNode<'_>,
    value: &mut Value,
    path: &PathRef<'_>,
    root: bool,
    pruned: &mut Vec<FieldPath>,
) {
    if !schema.admits_shape(value) {
        return;
    }
    let owned_by_schema = |key: &str| !(root && GENERIC_ROOT_FIELDS.contains(&key));
    match value {
        Value::Object(members) => {
            let mut undeclared = Vec::new();
            for (key, member) in members.iter_mut().filter(|(key, _)| owned_by_schema(key)) {
                match schema.member(key) {
                    Some(member_schema) => {
                        prune_and_default(member_schema, member, &path.key(key), false, pruned);
                    }
                    None if schema.keeps_unknown_members() => {}
                    None => {
                        pruned.push(path.key(key).to_path());
                        undeclared.push(key.clone());
                    }
                }
            }
            for key in undeclared {
                members.remove(&key);
            }
            for (key, member_schema) in schema.properties().into_iter().flatten() {
                let member_schema = SchemaNode::new(member_schema);
                if !owned_by_schema(key) || members.contains_key(key) {
                    continue;
                }
                if let Some(default) = member_schema.default_value() {
                    let mut filled = default.clone();
                    prune_and_default(member_schema, &mut filled, &path.key(key), false, pruned);
                    members.insert(key.clone(), filled);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.items() {
                for (index, item) in items.iter_mut().enumerate() {
                    prune_and_default(item_schema, item, &path.index(index), false, pruned);
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

    fn normalized(schema: &Value, mut value: Value) -> (Value, Vec<String>) {
        let mut paths = Vec::new();
        prune_and_default(
            SchemaNode::new(schema),
            &mut value,
            &PathRef::Root,
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
        let (value, paths) = normalized(
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
        let (value, paths) = normalized(&schema, json!({"spec": {"x": 1}}));
        assert!(paths.is_empty());
        assert_eq!(value["spec"]["x"], 1);
    }

    #[test]
    fn missing_members_get_their_defaults_at_every_level() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "mode": {"type": "string", "default": "Auto"},
                "rollout": {"type": "object", "default": {"canary": 1, "junk": true},
                    "properties": {"canary": {"type": "integer"}, "pause": {"type": "string", "default": "5m"}}},
                "hosts": {"type": "array", "items": {"type": "object", "properties": {
                    "port": {"type": "integer", "default": 22}}}}
            }},
            "kind": {"type": "string", "default": "never-applied"}
        }});
        let (value, pruned) = normalized(
            &schema,
            json!({"spec": {"mode": "Manual", "hosts": [{}, {"port": 2222}]}}),
        );
        assert_eq!(value["spec"]["mode"], "Manual");
        assert_eq!(
            value["spec"]["rollout"],
            json!({"canary": 1, "pause": "5m"})
        );
        assert_eq!(
            value["spec"]["hosts"],
            json!([{"port": 22}, {"port": 2222}])
        );
        assert!(
            value.get("kind").is_none(),
            "generic root fields are not the schema's"
        );
        assert_eq!(pruned, ["spec.rollout.junk"]);
    }

    #[test]
    fn nothing_is_defaulted_inside_a_value_of_the_wrong_type() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {"mode": {"type": "string", "default": "Auto"}}}}});
        let (value, _) = normalized(&schema, json!({"spec": "text"}));
        assert_eq!(value, json!({"spec": "text"}));
    }
}
