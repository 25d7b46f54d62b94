//! The CRD schema check of a document, worded for people editing YAML: the k8s-rules
//! structural-schema check (reporting undeclared fields, and integers beyond their format's
//! range) plus the ObjectMeta rules, each violation turned into a path and a message with a
//! suggestion where one helps.

mod wording;

use patchwarden_k8s_rules::schema::{
    CheckOptions, SchemaChecker as StructuralChecker, Violation, ViolationKind, check_object_meta,
};
use patchwarden_k8s_rules::{FieldPath, PathSegment};
use serde_json::Value;

use crate::path::{child_index, child_key};

/// A schema violation at a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProblem {
    /// The field: `spec.rollout.canary`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Checks documents against one CRD schema.
pub struct SchemaChecker<'a> {
    checker: StructuralChecker<'a>,
}

impl<'a> SchemaChecker<'a> {
    /// A checker for the CRD schema `schema` (the `openAPIV3Schema` object).
    pub fn new(schema: &'a Value) -> Self {
        SchemaChecker {
            checker: StructuralChecker::new(
                schema,
                CheckOptions {
                    // Undeclared fields are typos more often than not; the server would drop them.
                    report_unknown_fields: true,
                    // A value that passes must also fit the Rust field that reads it.
                    integer_format_ranges: true,
                },
            ),
        }
    }

    /// Every problem of `value` (a whole object), in document order. `apiVersion`, `kind` and
    /// `metadata` are checked as the API server does for every kind.
    pub fn check(&mut self, value: &Value) -> Vec<SchemaProblem> {
        check_object_meta(value)
            .iter()
            .chain(self.checker.check(value).iter())
            .map(problem)
            .collect()
    }
}

/// A path as diagnostics print it (`metadata.labels["app.kubernetes.io/name"]`).
fn printed(path: &FieldPath) -> String {
    path.segments()
        .iter()
        .fold(String::new(), |parent, segment| match segment {
            PathSegment::Key(key) => child_key(&parent, key),
            PathSegment::Index(index) => child_index(&parent, *index),
        })
}

fn problem(violation: &Violation) -> SchemaProblem {
    let mut at = printed(&violation.path);
    if let ViolationKind::DuplicateMapKey { keys, .. } = &violation.kind {
        // Point at the key of the later item, where the duplicate is written.
        at = child_key(&at, keys.first().map_or("name", String::as_str));
    }
    SchemaProblem {
        path: at,
        message: wording::message(&violation.kind, &violation.path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_unknown_fields_types_enums_and_required() {
        let schema = patchwarden_api::crds::schema_of("MaintenanceWindow").expect("schema");
        let mut checker = SchemaChecker::new(&schema);
        let problems = checker.check(&json!({
            "apiVersion": "patchwarden.io/v1alpha1",
            "kind": "MaintenanceWindow",
            "metadata": {"name": "w"},
            "spec": {"schedul": "0 2 * * *", "duration": 3, "suspend": "no", "offsetDays": 400}
        }));
        let found: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.path.as_str(), p.message.as_str()))
            .collect();
        assert!(
            found.contains(&(
                "spec.schedul",
                "unknown field `schedul`; did you mean `schedule`?"
            )),
            "{found:?}"
        );
        assert!(
            found.contains(&("spec.duration", "expected a string, found the number 3")),
            "{found:?}"
        );
        assert!(
            found.contains(&(
                "spec.suspend",
                "expected true or false, found the string \"no\"; write true or false"
            )),
            "{found:?}"
        );
        assert!(
            found.contains(&("spec.offsetDays", "400 is above the maximum 366")),
            "{found:?}"
        );
        assert!(
            found.contains(&("spec.schedule", "missing required field `schedule`")),
            "{found:?}"
        );
    }

    #[test]
    fn suggests_enum_values() {
        let schema = patchwarden_api::crds::schema_of("PatchPolicy").expect("schema");
        let problems = SchemaChecker::new(&schema).check(&json!({
            "metadata": {"name": "p", "labels": {"tier": 3}, "nmespace": "x"},
            "spec": {"assetGroups": ["a"], "reboot": "Sometimes", "mode": "enforce"}
        }));
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages.contains(&"`Sometimes` is not one of IfRequired, Never, Always"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"`enforce` is not one of Enforce, Plan (did you mean Enforce?)"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"labels values must be strings, found the number 3 (quote it)"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"unknown field `nmespace`; did you mean `namespace`?"),
            "{messages:?}"
        );
    }
}
