//! The in-memory view of the stored objects and the single writer that changes them.
//!
//! Every change goes through the writer thread ([`writer`]): it applies queued operations to
//! memory through a [`Txn`], writes them to SQLite in one transaction (group commit), and only
//! then publishes the watch events and answers the callers. Readers take a read lock on a state
//! that only ever holds committed data, and one global revision counter orders every change.
//! At startup the state is rebuilt from the database ([`load`]).

mod batch;
mod load;
mod writer;

pub use writer::{DEFAULT_HISTORY, Shared};

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use crate::registry::{CRD_STORE, Registry};
use crate::store::ChangeKind;

/// One stored object version: its serialized bytes (lists and watches send them as they are)
/// and its [`Head`]. The rest is parsed from the bytes only when a write, a metadata view or a
/// converted view needs it, so that a fleet's statuses are held once, as bytes, not a second
/// time as a tree of values several times their size.
#[derive(Debug)]
pub struct Obj {
    pub rev: u64,
    pub json: Bytes,
    head: Head,
}

/// What every read may look at without parsing the bytes: whether they can be sent as they
/// are (`apiVersion`), and what label selectors and collection deletes read.
#[derive(Debug, Default)]
pub struct Head {
    pub api_version: Box<str>,
    pub namespace: Option<Box<str>>,
    pub name: Box<str>,
    /// Sorted by key.
    labels: Box<[(Box<str>, Box<str>)]>,
}

impl Head {
    fn of(value: &Value) -> Head {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(Box::<str>::from);
        let meta = value.get("metadata");
        let mut labels: Vec<(Box<str>, Box<str>)> = meta
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object)
            .map(|labels| {
                labels
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str().into(), text(Some(v))?)))
                    .collect()
            })
            .unwrap_or_default();
        labels.sort_unstable();
        Head {
            api_version: text(value.get("apiVersion")).unwrap_or_default(),
            namespace: text(meta.and_then(|m| m.get("namespace"))),
            name: text(meta.and_then(|m| m.get("name"))).unwrap_or_default(),
            labels: labels.into_boxed_slice(),
        }
    }

    /// The value of one label.
    pub fn label(&self, key: &str) -> Option<&str> {
        let at = self
            .labels
            .binary_search_by(|(k, _)| k.as_ref().cmp(key))
            .ok()?;
        Some(&self.labels[at].1)
    }
}

/// An object read for its metadata alone: serde skips the rest without building it.
#[derive(serde::Deserialize)]
struct MetadataOnly {
    #[serde(default)]
    metadata: Value,
}

impl Obj {
    /// Stamps `metadata.resourceVersion` into `value` and serializes it.
    pub fn stamped(rev: u64, value: &mut Value) -> Obj {
        if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(rev.to_string()));
        }
        let mut json = serde_json::to_vec(&value).unwrap_or_default();
        // The buffer grew by doubling: what is kept for the object's life is its exact size.
        json.shrink_to_fit();
        Obj {
            rev,
            json: Bytes::from(json),
            head: Head::of(value),
        }
    }

    /// A version read back from the database; `None` takes the revision stamped in it.
    fn from_bytes(rev: Option<u64>, bytes: Vec<u8>) -> Result<Obj, serde_json::Error> {
        let value: Value = serde_json::from_slice(&bytes)?;
        let rev = rev.unwrap_or_else(|| {
            value
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0)
        });
        Ok(Obj {
            rev,
            json: Bytes::from(bytes),
            head: Head::of(&value),
        })
    }

    /// The whole object, parsed from its bytes.
    pub fn value(&self) -> Value {
        // The bytes were serialized from a value here, or parsed once when loaded.
        serde_json::from_slice(&self.json).unwrap_or(Value::Null)
    }

    /// The object's `metadata`, parsed from its bytes.
    pub fn metadata(&self) -> Value {
        serde_json::from_slice::<MetadataOnly>(&self.json)
            .map(|m| m.metadata)
            .unwrap_or(Value::Null)
    }

    pub fn head(&self) -> &Head {
        &self.head
    }
}

/// A committed change, as watchers see it.
#[derive(Debug)]
pub struct Event {
    pub rev: u64,
    pub store: String,
    pub key: String,
    pub kind: ChangeKind,
    /// The new object; for deletions the last state stamped with the deletion revision.
    pub obj: Arc<Obj>,
    /// The object before the change.
    pub prev: Option<Arc<Obj>>,
}

impl Event {
    /// The serialized size of the versions the event holds, new and previous.
    pub fn retained_bytes(&self) -> usize {
        self.obj.json.len() + self.prev.as_ref().map_or(0, |p| p.json.len())
    }
}

/// The committed state.
pub struct Cluster {
    pub rev: u64,
    pub stores: HashMap<String, BTreeMap<String, Arc<Obj>>>,
    /// Recent events in revision order, for watch resume and consistent paging.
    pub history: VecDeque<Arc<Event>>,
    /// Events at or below this revision are no longer retained.
    pub compacted: u64,
    pub registry: Arc<Registry>,
}

impl Cluster {
    pub fn store(&self, store: &str) -> Option<&BTreeMap<String, Arc<Obj>>> {
        self.stores.get(store)
    }

    pub fn get(&self, store: &str, key: &str) -> Option<&Arc<Obj>> {
        self.stores.get(store)?.get(key)
    }

    fn rebuild_registry(&mut self) {
        let crds = self
            .stores
            .get(CRD_STORE)
            .map(|s| s.values().map(|o| o.value()).collect::<Vec<_>>())
            .unwrap_or_default();
        self.registry = Arc::new(Registry::build(crds.iter()));
    }

    /// Index of the first retained event with a revision above `rev`.
    pub fn history_after(&self, rev: u64) -> usize {
        self.history.partition_point(|e| e.rev <= rev)
    }

    /// The retained events after `rev`, for a watch resuming there; `None` when the history
    /// no longer reaches back that far (compacted).
    pub fn events_after(&self, rev: u64) -> Option<Vec<Arc<Event>>> {
        (rev >= self.compacted).then(|| {
            self.history
                .range(self.history_after(rev)..)
                .cloned()
                .collect()
        })
    }
}

/// The body and code of a successful write.
#[derive(Debug, Clone)]
pub struct Reply {
    pub code: u16,
    pub body: Value,
    pub warnings: Vec<String>,
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply {
            code: 200,
            body,
            warnings: Vec::new(),
        }
    }
}

/// A write transaction handed to an operation by the writer thread.
pub struct Txn<'a> {
    cluster: &'a mut Cluster,
    changes: &'a mut Vec<Arc<Event>>,
}

impl Txn<'_> {
    pub fn cluster(&self) -> &Cluster {
        self.cluster
    }

    pub fn get(&self, store: &str, key: &str) -> Option<Arc<Obj>> {
        self.cluster.get(store, key).cloned()
    }

    /// Stores a new version; returns it with its revision stamped.
    pub fn put(&mut self, store: &str, key: &str, mut value: Value) -> Value {
        let rev = self.cluster.rev + 1;
        self.cluster.rev = rev;
        let obj = Arc::new(Obj::stamped(rev, &mut value));
        let prev = self
            .cluster
            .stores
            .entry(store.to_string())
            .or_default()
            .insert(key.to_string(), obj.clone());
        let kind = if prev.is_some() {
            ChangeKind::Modified
        } else {
            ChangeKind::Added
        };
        self.changes.push(Arc::new(Event {
            rev,
            store: store.to_string(),
            key: key.to_string(),
            kind,
            obj,
            prev,
        }));
        value
    }

    /// Removes an object; returns its last state stamped with the deletion revision.
    pub fn remove(&mut self, store: &str, key: &str) -> Option<Value> {
        self.remove_as(store, key, None)
    }

    /// Removes an object whose final state is `last` (an update that dropped the last
    /// finalizer), so watchers see the object as it was when it went.
    pub fn remove_as(&mut self, store: &str, key: &str, last: Option<Value>) -> Option<Value> {
        let prev = self.cluster.stores.get_mut(store)?.remove(key)?;
        let rev = self.cluster.rev + 1;
        self.cluster.rev = rev;
        let mut value = last.unwrap_or_else(|| prev.value());
        let obj = Arc::new(Obj::stamped(rev, &mut value));
        self.changes.push(Arc::new(Event {
            rev,
            store: store.to_string(),
            key: key.to_string(),
            kind: ChangeKind::Deleted,
            obj,
            prev: Some(prev),
        }));
        Some(value)
    }
}

/// Reverts memory changes `changes[from..]` (a failed operation or a failed commit).
fn undo(cluster: &mut Cluster, changes: &mut Vec<Arc<Event>>, from: usize) {
    while changes.len() > from {
        let Some(ev) = changes.pop() else { break };
        let store = cluster.stores.entry(ev.store.clone()).or_default();
        match &ev.prev {
            Some(prev) => {
                store.insert(ev.key.clone(), prev.clone());
            }
            None => {
                store.remove(&ev.key);
            }
        }
        cluster.rev = ev.rev - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_head_answers_selectors_and_the_bytes_keep_the_rest() {
        let mut value = json!({
            "apiVersion": "patchwarden.io/v1alpha1", "kind": "Asset",
            "metadata": {"name": "web-1", "namespace": "fleet",
                "labels": {"tier": "web", "app": "shop", "count": 3},
                "managedFields": [{"manager": "kubectl", "operation": "Apply"}]},
            "status": {"packageCount": 412}});
        let obj = Obj::stamped(7, &mut value);
        let head = obj.head();
        assert_eq!(&*head.api_version, "patchwarden.io/v1alpha1");
        assert_eq!(head.namespace.as_deref(), Some("fleet"));
        assert_eq!(&*head.name, "web-1");
        assert_eq!(head.label("tier"), Some("web"));
        assert_eq!(head.label("app"), Some("shop"));
        // Kubernetes label values are strings; anything else selects nothing.
        assert_eq!(head.label("count"), None);
        assert_eq!(head.label("zone"), None);
        let metadata = obj.metadata();
        assert_eq!(metadata["resourceVersion"], "7");
        assert_eq!(metadata["managedFields"][0]["manager"], "kubectl");
        assert_eq!(obj.value()["status"]["packageCount"], 412);

        let loaded = Obj::from_bytes(None, obj.json.to_vec()).unwrap();
        assert_eq!(loaded.rev, 7);
        assert_eq!(loaded.head().label("tier"), Some("web"));
        let cluster_scoped = Obj::stamped(
            8,
            &mut json!({"apiVersion": "v1", "metadata": {"name": "n"}}),
        );
        assert_eq!(cluster_scoped.head().namespace, None);
        assert_eq!(cluster_scoped.head().label("tier"), None);
    }
}
