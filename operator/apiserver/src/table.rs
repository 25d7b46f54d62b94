//! Server-side `Table` responses for `kubectl get`: columns from `additionalPrinterColumns`,
//! cells from kubectl-style JSONPath (with filters such as `[?(@.type=="Ready")]`), and dates
//! turned into human ages the way Kubernetes prints them.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use serde_json_path::JsonPath;

use crate::json;
use crate::registry::{PrinterColumn, ResourceDef};

/// A printer column's JSONPath that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("invalid JSONPath {path:?} (read as {rfc:?}): {source}")]
pub struct InvalidJsonPath {
    path: String,
    rfc: String,
    source: serde_json_path::ParseError,
}

/// Compiles a kubectl JSONPath (`.status.x`, `{.status.x}`) into an RFC 9535 path.
pub fn compile_path(path: &str) -> Result<JsonPath, InvalidJsonPath> {
    let trimmed = path.trim();
    let inner = trimmed
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(trimmed)
        .trim();
    let rfc = if inner.starts_with('$') {
        inner.to_string()
    } else if inner.starts_with('.') || inner.starts_with('[') {
        format!("${inner}")
    } else {
        format!("$.{inner}")
    };
    JsonPath::parse(&rfc).map_err(|source| InvalidJsonPath {
        path: path.to_string(),
        rfc,
        source,
    })
}

/// Kubernetes' `duration.HumanDuration`.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

fn cell(
    column: &PrinterColumn,
    path: Option<&JsonPath>,
    object: &Value,
    now: DateTime<Utc>,
) -> Value {
    let Some(path) = path else { return Value::Null };
    let nodes = path.query(object);
    let Some(first) = nodes.first() else {
        return Value::Null;
    };
    match column.type_.as_str() {
        "date" => match first
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        {
            Some(t) => Value::String(human_duration((now - t.with_timezone(&Utc)).num_seconds())),
            None => Value::Null,
        },
        "integer" => first.as_i64().map(Value::from).unwrap_or(Value::Null),
        "number" => first.as_f64().map(Value::from).unwrap_or(Value::Null),
        "boolean" => first.as_bool().map(Value::from).unwrap_or(Value::Null),
        _ => match first {
            Value::String(s) => Value::String(s.clone()),
            other => Value::String(other.to_string()),
        },
    }
}

/// How rows carry their object (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(s: Option<&str>) -> IncludeObject {
        match s {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

/// Column definitions: `Name` first, then the resource's printer columns.
pub fn column_definitions(def: &ResourceDef) -> Value {
    let mut cols = vec![json!({
        "name": "Name", "type": "string", "format": "name", "priority": 0,
        "description": "Name must be unique within a namespace."
    })];
    for c in &def.printer_columns {
        cols.push(json!({
            "name": c.name, "type": c.type_, "format": c.format,
            "description": c.description, "priority": c.priority
        }));
    }
    Value::Array(cols)
}

/// One row per object (objects already converted to the requested view).
pub fn rows(def: &ResourceDef, objects: &[Value], include: IncludeObject) -> Vec<Value> {
    let now = Utc::now();
    let paths: Vec<Option<JsonPath>> = def
        .printer_columns
        .iter()
        .map(|c| compile_path(&c.json_path).ok())
        .collect();
    objects
        .iter()
        .map(|obj| {
            let name = obj
                .pointer("/metadata/name")
                .cloned()
                .unwrap_or(Value::Null);
            let mut cells = vec![name];
            for (c, p) in def.printer_columns.iter().zip(&paths) {
                cells.push(cell(c, p.as_ref(), obj, now));
            }
            let mut row = json!({ "cells": cells });
            match include {
                IncludeObject::None => {}
                IncludeObject::Metadata => {
                    let metadata = json!({
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": obj.get("metadata").cloned().unwrap_or(json!({})),
                    });
                    json::set(&mut row, "object", metadata);
                }
                IncludeObject::Object => json::set(&mut row, "object", obj.clone()),
            }
            row
        })
        .collect()
}

/// A full `Table`.
pub fn table(
    def: &ResourceDef,
    objects: &[Value],
    include: IncludeObject,
    resource_version: &str,
    continue_token: &str,
    with_columns: bool,
) -> Value {
    let mut t = json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version, "continue": continue_token},
        "rows": rows(def, objects, include),
    });
    let columns = if with_columns {
        column_definitions(def)
    } else {
        Value::Null
    };
    json::set(&mut t, "columnDefinitions", columns);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_match_kubernetes() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(119), "119s");
        assert_eq!(human_duration(125), "2m5s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 120), "3h2m");
        assert_eq!(human_duration(10 * 3600), "10h");
        assert_eq!(human_duration(3 * 86400 + 3600), "3d1h");
        assert_eq!(human_duration(30 * 86400), "30d");
        assert_eq!(human_duration(3 * 365 * 86400 + 86400 * 2), "3y2d");
    }

    #[test]
    fn filter_paths_find_the_ready_condition() {
        let obj = json!({"metadata":{"name":"a","creationTimestamp":"2020-01-01T00:00:00Z"},
            "status":{"conditions":[{"type":"Synced","status":"False"},{"type":"Ready","status":"True","message":"ok"}]},
            "spec":{"replicas":3}});
        let col = |name: &str, t: &str, p: &str| PrinterColumn {
            name: name.into(),
            type_: t.into(),
            format: String::new(),
            description: String::new(),
            priority: 0,
            json_path: p.into(),
        };
        let def = ResourceDef {
            group: "g.io".into(),
            version: "v1".into(),
            plural: "ws".into(),
            singular: "w".into(),
            kind: "W".into(),
            list_kind: "WList".into(),
            namespaced: true,
            short_names: vec![],
            categories: vec![],
            store: "g.io/ws".into(),
            schema: None,
            status_subresource: true,
            printer_columns: vec![
                col(
                    "Ready",
                    "string",
                    r#".status.conditions[?(@.type=="Ready")].status"#,
                ),
                col("Replicas", "integer", ".spec.replicas"),
                col("Missing", "string", ".status.nothing"),
                col("Age", "date", ".metadata.creationTimestamp"),
            ],
            selectable_fields: vec![],
            view: crate::registry::View::Plain,
            custom: true,
            description: String::new(),
        };
        let r = rows(&def, &[obj], IncludeObject::Metadata);
        let cells = r[0]["cells"].as_array().unwrap();
        assert_eq!(cells[0], "a");
        assert_eq!(cells[1], "True");
        assert_eq!(cells[2], 3);
        assert_eq!(cells[3], Value::Null);
        assert!(cells[4].as_str().unwrap().contains('y'), "{}", cells[4]);
        assert_eq!(r[0]["object"]["kind"], "PartialObjectMetadata");
    }
}
