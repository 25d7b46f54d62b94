//! The difference between two resource sets: resources added, removed, and changed with the
//! list of fields that changed (dotted paths with the value before and after).

use serde::Serialize;
use serde_json::Value;

use crate::resources::{ResourceKey, ResourceSet};

/// One field that differs between two versions of a resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// Dotted path from the object root, with `[i]` for list items: `spec.sla.critical`.
    pub path: String,
    /// `None` when the field was added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// `None` when the field was removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

/// A resource present in both revisions whose content differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangedResource {
    pub key: ResourceKey,
    pub changes: Vec<FieldChange>,
}

/// Everything that differs between a base and a head resource set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResourceDiff {
    pub added: Vec<ResourceKey>,
    pub removed: Vec<ResourceKey>,
    pub changed: Vec<ChangedResource>,
}

impl ResourceDiff {
    /// Compares `base` with `head`; every list is in key order.
    pub fn between(base: &ResourceSet, head: &ResourceSet) -> Self {
        let mut diff = Self::default();
        for resource in head.iter() {
            match base.get(&resource.key) {
                None => diff.added.push(resource.key.clone()),
                Some(before) => {
                    let mut changes = Vec::new();
                    diff_values("", &before.object, &resource.object, &mut changes);
                    if !changes.is_empty() {
                        diff.changed.push(ChangedResource {
                            key: resource.key.clone(),
                            changes,
                        });
                    }
                }
            }
        }
        diff.removed = base
            .keys()
            .filter(|key| head.get(key).is_none())
            .cloned()
            .collect();
        diff
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// Recurses into objects, and into lists of equal length; anything else that differs is
/// reported as one change at its path.
fn diff_values(path: &str, before: &Value, after: &Value, out: &mut Vec<FieldChange>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let mut fields: Vec<&String> = a.keys().chain(b.keys()).collect();
            fields.sort();
            fields.dedup();
            for field in fields {
                let child = join(path, field);
                match (a.get(field), b.get(field)) {
                    (Some(x), Some(y)) => diff_values(&child, x, y, out),
                    (Some(x), None) => out.push(FieldChange {
                        path: child,
                        before: Some(x.clone()),
                        after: None,
                    }),
                    (None, Some(y)) => out.push(FieldChange {
                        path: child,
                        before: None,
                        after: Some(y.clone()),
                    }),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                diff_values(&format!("{path}[{index}]"), x, y, out);
            }
        }
        _ if before != after => out.push(FieldChange {
            path: path.to_string(),
            before: Some(before.clone()),
            after: Some(after.clone()),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn set(content: &str) -> ResourceSet {
        ResourceSet::parse(&[SourceFile {
            path: "r.yaml".to_string(),
            content: content.to_string(),
        }])
        .expect("valid")
    }

    #[test]
    fn reports_added_removed_and_field_changes() {
        let base = set(
            "kind: W\napiVersion: v1\nmetadata: {name: w}\nspec: {schedule: '0 2 * * 6', blackouts: [a], old: 1}\n---\nkind: G\napiVersion: v1\nmetadata: {name: gone}\n",
        );
        let head = set(
            "kind: W\napiVersion: v1\nmetadata: {name: w}\nspec: {schedule: '0 2 * * 0', blackouts: [a, b], new: true}\n---\nkind: G\napiVersion: v1\nmetadata: {name: fresh}\n",
        );
        let diff = ResourceDiff::between(&base, &head);
        assert_eq!(diff.added.len(), 1);
        assert_eq!(diff.added[0].name, "fresh");
        assert_eq!(diff.removed[0].name, "gone");
        let paths: Vec<&str> = diff.changed[0]
            .changes
            .iter()
            .map(|c| c.path.as_str())
            .collect();
        assert_eq!(
            paths,
            ["spec.blackouts", "spec.new", "spec.old", "spec.schedule"]
        );
        assert_eq!(diff.changed[0].changes[1].before, None);
        assert_eq!(diff.changed[0].changes[2].after, None);
        assert!(ResourceDiff::between(&head, &head).is_empty());
    }
}
