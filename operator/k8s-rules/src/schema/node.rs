//! Reading one node of an OpenAPI v3 structural schema: its declared type, the Kubernetes
//! extensions (`nullable`, `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`,
//! `x-kubernetes-embedded-resource`, list types) and its children.

use serde_json::{Map, Value};

use super::violation::ExpectedType;

/// Fields of the top-level object that every kind has and the generic object rules own; the
/// CRD schema does not describe them.
pub(crate) const GENERIC_ROOT_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// One schema node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SchemaNode<'s>(&'s Value);

impl<'s> SchemaNode<'s> {
    pub(crate) fn new(schema: &'s Value) -> Self {
        SchemaNode(schema)
    }

    fn get(&self, name: &str) -> Option<&'s Value> {
        self.0.get(name)
    }

    fn flag(&self, name: &str) -> bool {
        self.get(name).and_then(Value::as_bool) == Some(true)
    }

    pub(crate) fn str(&self, name: &str) -> Option<&'s str> {
        self.get(name).and_then(Value::as_str)
    }

    pub(crate) fn u64(&self, name: &str) -> Option<u64> {
        self.get(name).and_then(Value::as_u64)
    }

    pub(crate) fn f64(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(Value::as_f64)
    }

    /// `exclusiveMinimum`/`exclusiveMaximum` in their OpenAPI v3.0 (boolean) form.
    pub(crate) fn is_exclusive(&self, name: &str) -> bool {
        self.flag(name)
    }

    pub(crate) fn declared_type(&self) -> Option<&'s str> {
        self.str("type")
    }

    pub(crate) fn is_nullable(&self) -> bool {
        self.flag("nullable")
    }

    pub(crate) fn is_int_or_string(&self) -> bool {
        self.flag("x-kubernetes-int-or-string")
    }

    /// What values the node admits by type; `None` when it does not constrain the type.
    pub(crate) fn expected_type(&self) -> Option<ExpectedType> {
        if self.is_int_or_string() {
            return Some(ExpectedType::IntOrString);
        }
        self.declared_type().map(ExpectedType::from_schema_type)
    }

    /// Whether `value` has a shape the node describes, so its members can be walked.
    pub(crate) fn admits_shape(&self, value: &Value) -> bool {
        !value.is_null()
            && self
                .expected_type()
                .is_none_or(|expected| expected.admits(value))
    }

    pub(crate) fn properties(&self) -> Option<&'s Map<String, Value>> {
        self.get("properties").and_then(Value::as_object)
    }

    /// The names of the declared properties, in schema order.
    pub(crate) fn property_names(&self) -> Vec<String> {
        self.properties()
            .map(|properties| properties.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The schema of member `key`: its property, else the `additionalProperties` schema.
    pub(crate) fn member(&self, key: &str) -> Option<SchemaNode<'s>> {
        self.properties()
            .and_then(|properties| properties.get(key))
            .or_else(|| self.get("additionalProperties").filter(|a| a.is_object()))
            .map(SchemaNode)
    }

    /// Whether members the node does not declare are kept as they are: preserved
    /// (`x-kubernetes-preserve-unknown-fields`, `additionalProperties: true`), an embedded
    /// resource, or a node that describes no members at all (no type, no properties).
    pub(crate) fn keeps_unknown_members(&self) -> bool {
        self.flag("x-kubernetes-preserve-unknown-fields")
            || self.get("additionalProperties").and_then(Value::as_bool) == Some(true)
            || self.flag("x-kubernetes-embedded-resource")
            || (self.properties().is_none() && self.declared_type().is_none())
    }

    pub(crate) fn items(&self) -> Option<SchemaNode<'s>> {
        self.get("items").map(SchemaNode)
    }

    pub(crate) fn enum_values(&self) -> Option<&'s [Value]> {
        self.get("enum")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
    }

    pub(crate) fn required(&self) -> impl Iterator<Item = &'s str> {
        self.get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
    }

    /// `x-kubernetes-list-type: set`, or `uniqueItems: true`: items must differ.
    pub(crate) fn items_are_a_set(&self) -> bool {
        self.str("x-kubernetes-list-type") == Some("set") || self.flag("uniqueItems")
    }

    /// The keys of `x-kubernetes-list-type: map`, when the list is one.
    pub(crate) fn list_map_keys(&self) -> Option<Vec<&'s str>> {
        if self.str("x-kubernetes-list-type") != Some("map") {
            return None;
        }
        self.get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .map(|keys| keys.iter().filter_map(Value::as_str).collect())
    }

    /// The sub-schemas of `allOf`, `anyOf` or `oneOf`.
    pub(crate) fn branches(&self, name: &str) -> Option<Vec<SchemaNode<'s>>> {
        self.get(name)
            .and_then(Value::as_array)
            .map(|branches| branches.iter().map(SchemaNode).collect())
    }

    pub(crate) fn negated(&self) -> Option<SchemaNode<'s>> {
        self.get("not").map(SchemaNode)
    }

    pub(crate) fn default_value(&self) -> Option<&'s Value> {
        self.get("default")
    }
}
