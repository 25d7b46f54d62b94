//! The `labelSelector` and `fieldSelector` of list and watch requests. Parsing and matching
//! are the Kubernetes rules of `patchwarden-k8s-rules`; this module knows which fields each
//! resource lets clients select on, and how a stored object answers a field or a label.

use patchwarden_k8s_rules::{FieldSelector, LabelSelector};
use serde_json::Value;

use crate::cluster::Obj;
use crate::error::ApiError;
use crate::http::Query;
use crate::objects;
use crate::registry::ResourceDef;

/// The selectors of one list or watch request.
pub struct Selectors {
    label: LabelSelector,
    field: FieldSelector,
}

/// Whether clients may select `def`'s objects on `field`: `metadata.name`, `metadata.namespace`
/// of namespaced kinds, and the CRD's `selectableFields`.
fn is_selectable(def: &ResourceDef, field: &str) -> bool {
    field == "metadata.name"
        || (field == "metadata.namespace" && def.namespaced)
        || def.selectable_fields.iter().any(|s| s == field)
}

/// A field's value as Kubernetes compares it: text as is, a missing field or `null` as the
/// empty string, anything else as its JSON.
fn field_value(object: &Value, field: &str) -> String {
    let found = field
        .split('.')
        .try_fold(object, |node, segment| node.get(segment));
    match found {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

impl Selectors {
    /// The selectors of a request; a malformed one, or a field the resource does not offer,
    /// is a 400 with Kubernetes' message.
    pub fn parse(def: &ResourceDef, query: &Query) -> Result<Selectors, ApiError> {
        let label = LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let field = FieldSelector::parse(query.get("fieldSelector").map_or("", String::as_str))
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        if let Some(unsupported) = field
            .requirements()
            .iter()
            .find(|r| !is_selectable(def, r.field()))
        {
            return Err(ApiError::bad_request(format!(
                "field label not supported: {}",
                unsupported.field()
            )));
        }
        Ok(Selectors { label, field })
    }

    /// Whether a stored object is selected; field selectors see the object as the client
    /// requested it. Labels are read from the object's head; only a field selector parses the
    /// whole object.
    pub fn matches(&self, def: &ResourceDef, stored: &Obj) -> bool {
        let head = stored.head();
        let selected_by_labels = self.label.matches_with(|key| head.label(key));
        if !selected_by_labels {
            return false;
        }
        if self.field.is_empty() {
            return true;
        }
        let stored = stored.value();
        if objects::stored_bytes_usable_value(def, &stored) {
            self.field.matches_with(|field| field_value(&stored, field))
        } else {
            let view = objects::to_view(def, &stored);
            self.field.matches_with(|field| field_value(&view, field))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_answer_as_kubernetes_compares_them() {
        let object = json!({"metadata": {"name": "a"}, "involvedObject": {"kind": "W"},
            "count": 3, "gone": null});
        assert_eq!(field_value(&object, "metadata.name"), "a");
        assert_eq!(field_value(&object, "involvedObject.kind"), "W");
        assert_eq!(field_value(&object, "count"), "3");
        assert_eq!(field_value(&object, "gone"), "");
        assert_eq!(field_value(&object, "spec.missing"), "");
    }
}
