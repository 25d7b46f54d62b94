//! A YAML collection while its events arrive: the items or entries so far, where it is, its
//! anchor and how many values it holds (counting alias expansions, for the size limit).

use serde_json::{Map, Value};

use crate::path::{child_index, child_key};

/// A collection being built.
pub(super) enum Frame {
    Sequence {
        items: Vec<Value>,
        path: String,
        anchor: usize,
        nodes: usize,
    },
    Mapping {
        map: Map<String, Value>,
        path: String,
        anchor: usize,
        nodes: usize,
        key: Option<String>,
        merges: Vec<Value>,
        /// Set while this collection is itself a mapping key (not supported by JSON).
        is_key: bool,
    },
}

/// A collection whose end arrived.
pub(super) enum Closed {
    /// A value for the parent, with its anchor and its size in values.
    Value {
        value: Value,
        anchor: usize,
        nodes: usize,
    },
    /// A mapping that was itself a mapping key, as JSON text: JSON keys can only be strings.
    Key(String),
}

impl Frame {
    /// An empty list at `path`.
    pub(super) fn sequence(path: String, anchor: usize) -> Frame {
        Frame::Sequence {
            items: Vec::new(),
            path,
            anchor,
            nodes: 1,
        }
    }

    /// An empty mapping at `path`; `is_key` when it is the key of an entry of its parent.
    pub(super) fn mapping(path: String, anchor: usize, is_key: bool) -> Frame {
        Frame::Mapping {
            map: Map::new(),
            path,
            anchor,
            nodes: 1,
            key: None,
            merges: Vec::new(),
            is_key,
        }
    }

    /// Whether the next node is the key of a mapping entry.
    pub(super) fn expects_key(&self) -> bool {
        matches!(self, Frame::Mapping { key: None, .. })
    }

    /// The path of the next node: the next list item, or the value of the current key.
    pub(super) fn child_path(&self) -> String {
        match self {
            Frame::Sequence { items, path, .. } => child_index(path, items.len()),
            Frame::Mapping { key, path, .. } => child_key(path, key.as_deref().unwrap_or("")),
        }
    }

    /// The path of the next list item; `None` for a mapping, whose values are located at their
    /// key instead.
    pub(super) fn next_item_path(&self) -> Option<String> {
        match self {
            Frame::Sequence { items, path, .. } => Some(child_index(path, items.len())),
            Frame::Mapping { .. } => None,
        }
    }

    /// Whether `key` is already set in this mapping (merge keys may repeat).
    pub(super) fn has_key(&self, key: &str) -> bool {
        match self {
            Frame::Mapping { map, .. } => key != "<<" && map.contains_key(key),
            Frame::Sequence { .. } => false,
        }
    }

    /// Makes `key` the key of the next value of this mapping, returning the path of that value;
    /// `None` for a list.
    pub(super) fn set_key(&mut self, key: String) -> Option<String> {
        match self {
            Frame::Mapping {
                key: slot, path, ..
            } => {
                let child = child_key(path, &key);
                *slot = Some(key);
                Some(child)
            }
            Frame::Sequence { .. } => None,
        }
    }

    /// Adds a finished child of `nodes` values: a list item, or the value of the current key.
    pub(super) fn attach(&mut self, value: Value, nodes: usize) {
        match self {
            Frame::Sequence {
                items, nodes: n, ..
            } => {
                items.push(value);
                *n = n.saturating_add(nodes);
            }
            Frame::Mapping {
                map,
                key,
                merges,
                nodes: n,
                ..
            } => {
                *n = n.saturating_add(nodes);
                match key.take() {
                    Some(k) if k == "<<" => merges.push(value),
                    Some(k) => {
                        map.insert(k, value);
                    }
                    None => {}
                }
            }
        }
    }

    /// The finished collection, with its merge keys applied.
    pub(super) fn close(self) -> Closed {
        match self {
            Frame::Sequence {
                items,
                anchor,
                nodes,
                ..
            } => Closed::Value {
                value: Value::Array(items),
                anchor,
                nodes,
            },
            Frame::Mapping {
                mut map,
                anchor,
                nodes,
                merges,
                is_key,
                ..
            } => {
                for merge in merges {
                    merge_into(&mut map, merge);
                }
                if is_key {
                    Closed::Key(Value::Object(map).to_string())
                } else {
                    Closed::Value {
                        value: Value::Object(map),
                        anchor,
                        nodes,
                    }
                }
            }
        }
    }
}

/// YAML merge keys (`<<: *defaults`): entries of the merged mapping(s) that are not already set.
fn merge_into(map: &mut Map<String, Value>, merge: Value) {
    let sources = match merge {
        Value::Array(items) => items,
        other => vec![other],
    };
    for source in sources {
        if let Value::Object(entries) = source {
            for (k, v) in entries {
                map.entry(k).or_insert(v);
            }
        }
    }
}
