//! Object write semantics shared by every resource: create, update, patch, status writes and
//! deletion, with the metadata the server owns (uid, timestamps, resourceVersion, generation,
//! managedFields), optimistic concurrency, status masking, finalizers and schema processing.
//!
//! Each verb has its module ([`create`](mod@create), [`update`](mod@update), [`patching`],
//! [`delete`](mod@delete)); the checks every written object passes are in [`admission`] (with the
//! types of the well-known fields in [`field_types`]), field ownership in [`managed_fields`], and
//! the metadata helpers in [`metadata`]. This module holds what reads and writes share: storage
//! keys and the views an object is shown through.

mod admission;
mod create;
mod delete;
mod eviction;
mod field_types;
mod labels;
mod managed_fields;
mod metadata;
mod patching;
mod secrets;
mod update;

use serde_json::Value;

pub use create::{bootstrap_namespaces, create};
pub use delete::{DeleteOpts, delete};
pub use eviction::evict;
pub use patching::{PatchRequest, PatchType, patch};
pub use update::{UpdateKind, update};

use crate::cluster::Obj;
use crate::events;
use crate::registry::{ResourceDef, View};

/// How unknown fields are treated (`fieldValidation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

/// Per-request write options.
#[derive(Debug, Clone)]
pub struct WriteOpts {
    pub manager: String,
    pub dry_run: bool,
    pub field_validation: FieldValidation,
}

/// The object a write addresses: its resource, the namespace on the URL and its name.
#[derive(Debug, Clone, Copy)]
pub struct ObjectRef<'a> {
    pub def: &'a ResourceDef,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

impl ObjectRef<'_> {
    /// The storage key of the object.
    pub fn key(&self) -> String {
        key(self.def, self.namespace, self.name)
    }
}

/// The storage key of an object.
pub fn key(def: &ResourceDef, namespace: Option<&str>, name: &str) -> String {
    match (def.namespaced, namespace) {
        (true, Some(ns)) => format!("{ns}/{name}"),
        _ => name.to_string(),
    }
}

/// The stored object shown through `def`'s view.
pub fn to_view(def: &ResourceDef, stored: &Value) -> Value {
    match def.view {
        View::CoreEvent => events::to_core(stored),
        View::EventsV1 => events::to_events_v1(stored),
        View::Plain => into_view(def, stored.clone()),
    }
}

/// [`to_view`] of an object no longer needed as stored (a write's answer), without copying it.
pub fn into_view(def: &ResourceDef, mut stored: Value) -> Value {
    match def.view {
        View::CoreEvent | View::EventsV1 => to_view(def, &stored),
        View::Plain => {
            let api_version = def.api_version();
            if stored.get("apiVersion").and_then(Value::as_str) != Some(api_version.as_str())
                && let Some(m) = stored.as_object_mut()
            {
                m.insert("apiVersion".into(), Value::String(api_version));
            }
            stored
        }
    }
}

/// Whether the stored bytes can be sent as they are for this view.
pub fn stored_bytes_usable(def: &ResourceDef, obj: &Obj) -> bool {
    stored_in_view(def, Some(&obj.head().api_version))
}

/// Whether a stored value already is in `def`'s view.
pub fn stored_bytes_usable_value(def: &ResourceDef, value: &Value) -> bool {
    stored_in_view(def, value.get("apiVersion").and_then(Value::as_str))
}

/// Whether an object stored with `api_version` already is in `def`'s view.
fn stored_in_view(def: &ResourceDef, api_version: Option<&str>) -> bool {
    def.view == View::Plain && api_version == Some(def.api_version().as_str())
}

/// An incoming object in `def`'s view, converted to the stored form.
fn from_view(def: &ResourceDef, incoming: Value) -> Value {
    match def.view {
        View::CoreEvent => events::from_core(&incoming),
        _ => incoming,
    }
}
