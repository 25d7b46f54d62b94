//! Objects against a CRD's OpenAPI v3 structural schema, as the API server handles a write:
//! prune undeclared members, fill in defaults, then check ([`admit`]); or only check, reporting
//! undeclared members too, as a linter does ([`SchemaChecker`] with
//! [`CheckOptions::report_unknown_fields`]). Violations carry their path and facts; the wording
//! is the caller's.

mod check;
mod node;
mod normalize;
mod object_meta;
mod violation;

use serde_json::Value;

pub use check::{CheckOptions, SchemaChecker};
pub use object_meta::{OBJECT_META_FIELDS, check_object_meta};
pub use violation::{ExpectedType, Violation, ViolationKind, type_name};

use crate::field_path::{FieldPath, PathRef};
use node::SchemaNode;

/// What the API server makes of a custom resource write.
#[derive(Debug, Clone, PartialEq)]
pub struct Admission {
    /// Members dropped because the schema does not declare them (the server warns about them,
    /// or refuses them under `fieldValidation=Strict`).
    pub pruned: Vec<FieldPath>,
    /// Rules the pruned and defaulted object breaks (a 422 Invalid when any).
    pub violations: Vec<Violation>,
}

/// Prunes, defaults and checks `object` against `schema` (an `openAPIV3Schema`), in the order
/// the real server does. `apiVersion`, `kind` and `metadata` are left to the generic object
/// rules.
pub fn admit(schema: &Value, object: &mut Value) -> Admission {
    let node = SchemaNode::new(schema);
    let mut pruned = Vec::new();
    normalize::prune_and_default(node, object, &PathRef::Root, true, &mut pruned);
    let violations = SchemaChecker::new(schema, CheckOptions::default()).check(object);
    Admission { pruned, violations }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({"type":"object","properties":{
            "spec":{"type":"object","required":["size"],"properties":{
                "size":{"type":"integer","minimum":1},
                "mode":{"type":"string","enum":["Auto","Manual"],"default":"Auto"},
                "budget":{"x-kubernetes-int-or-string":true},
                "labels":{"type":"object","additionalProperties":{"type":"string"}},
                "items":{"type":"array","items":{"type":"object","properties":{"n":{"type":"string","pattern":"^[a-z]+$"}}}},
                "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}},
            "status":{"type":"object"}}})
    }

    #[test]
    fn a_valid_object_gets_its_defaults() {
        let mut object = json!({"apiVersion":"x/v1","kind":"W","metadata":{"name":"a"},
            "spec":{"size":2,"budget":"25%","labels":{"a":"b"},"free":{"anything":[1]}}});
        let admission = admit(&schema(), &mut object);
        assert!(
            admission.violations.is_empty(),
            "{:?}",
            admission.violations
        );
        assert!(admission.pruned.is_empty());
        assert_eq!(object["spec"]["mode"], "Auto");
        assert_eq!(object["spec"]["free"]["anything"], json!([1]));
        assert_eq!(object["metadata"]["name"], "a");
    }

    #[test]
    fn unknown_members_are_pruned_before_the_check() {
        let mut object = json!({"spec":{"size":"big","mode":"Sometimes","labels":{"a":1},
            "items":[{"n":"UPPER"}],"bogus":true},"extra":1});
        let admission = admit(&schema(), &mut object);
        let fields: Vec<String> = admission
            .violations
            .iter()
            .map(|v| v.path.to_string())
            .collect();
        assert_eq!(
            fields,
            ["spec.items[0].n", "spec.labels.a", "spec.mode", "spec.size"]
        );
        let pruned: Vec<String> = admission.pruned.iter().map(ToString::to_string).collect();
        assert_eq!(pruned, ["extra", "spec.bogus"]);
        assert!(object["spec"].get("bogus").is_none());
        let mut missing = json!({"spec":{}});
        let admission = admit(&schema(), &mut missing);
        assert_eq!(admission.violations[0].path.to_string(), "spec.size");
        assert!(matches!(
            admission.violations[0].kind,
            ViolationKind::MissingRequired { .. }
        ));
    }
}
