//! Defaulting: the API server fills in each missing member that its schema gives a `default`,
//! at every level it can walk, and prunes the default itself like any other value.

use serde_json::Value;

use super::node::{GENERIC_ROOT_FIELDS, SchemaNode};
use super::prune::prune;
use crate::field_path::FieldPath;

/// Fills in defaults below `path`; members pruned from defaults are appended to `pruned`.
pub(crate) fn apply_defaults(
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
            for (key, member) in members.iter_mut() {
                if root && GENERIC_ROOT_FIELDS.contains(&key.as_str()) {
                    continue;
                }
                if let Some(member_schema) = schema.member(key) {
                    apply_defaults(member_schema, member, &path.key(key), false, pruned);
                }
            }
            for (key, member_schema) in schema.properties().into_iter().flatten() {
                if root && GENERIC_ROOT_FIELDS.contains(&key.as_str()) {
                    continue;
                }
                let member_schema = SchemaNode::new(member_schema);
                if members.contains_key(key) {
                    continue;
                }
                let Some(default) = member_schema.default_value() else {
                    continue;
                };
                let mut filled = default.clone();
                let member_path = path.key(key);
                prune(member_schema, &mut filled, &member_path, false, pruned);
                apply_defaults(member_schema, &mut filled, &member_path, false, pruned);
                members.insert(key.clone(), filled);
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.items() {
                for (index, item) in items.iter_mut().enumerate() {
                    apply_defaults(item_schema, item, &path.index(index), false, pruned);
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
        let mut value = json!({"spec": {"mode": "Manual", "hosts": [{}, {"port": 2222}]}});
        let mut pruned = Vec::new();
        apply_defaults(
            SchemaNode::new(&schema),
            &mut value,
            &FieldPath::root(),
            true,
            &mut pruned,
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
        let pruned: Vec<String> = pruned.iter().map(ToString::to_string).collect();
        assert_eq!(pruned, ["spec.rollout.junk"]);
    }

    #[test]
    fn nothing_is_defaulted_inside_a_value_of_the_wrong_type() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {"mode": {"type": "string", "default": "Auto"}}}}});
        let mut value = json!({"spec": "text"});
        apply_defaults(
            SchemaNode::new(&schema),
            &mut value,
            &FieldPath::root(),
            true,
            &mut Vec::new(),
        );
        assert_eq!(value, json!({"spec": "text"}));
    }
}
