//! Which changes of an object start its own reconcile: a predicate over the watch events, in
//! the manner of kube-rs' `predicates::generation`. A controller's own status writes are left
//! out, so that writing a status does not make the controller evaluate everything again.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use kube::Resource;

/// The hash of what others decide about `object`: its spec (through `metadata.generation`),
/// labels, annotations (a requested reconcile) and deletion. Always `Some`.
pub fn decided_by_others<K: Resource>(object: &K) -> Option<u64> {
    let meta = object.meta();
    let mut hasher = DefaultHasher::new();
    meta.generation.hash(&mut hasher);
    meta.labels.hash(&mut hasher);
    meta.annotations.hash(&mut hasher);
    meta.deletion_timestamp
        .as_ref()
        .map(|t| t.0.as_microsecond())
        .hash(&mut hasher);
    Some(hasher.finish())
}
