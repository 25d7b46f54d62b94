//! The objects of a store as of a revision: the current state, or an older one rebuilt from
//! the retained event history (consistent list pages, watches that start from a list).

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;

use crate::cluster::{Cluster, Obj};
use crate::error::ApiError;

/// Whether an object key is inside the namespace (or any namespace when None).
pub fn in_namespace(key: &str, ns: Option<&str>) -> bool {
    match ns {
        None => true,
        Some(ns) => key.len() > ns.len() && key.starts_with(ns) && key.as_bytes()[ns.len()] == b'/',
    }
}

/// Objects of a store as of revision `at` (the current state when `at` is the latest
/// revision), by key in order, starting after `start`.
pub fn snapshot(
    cluster: &Cluster,
    store: &str,
    ns: Option<&str>,
    at: u64,
    start: &str,
) -> Result<Vec<(String, Arc<Obj>)>, ApiError> {
    if at >= cluster.rev {
        return Ok(current_objects(cluster, store, ns, start).collect());
    }
    if at < cluster.compacted {
        return Err(ApiError::expired(format!(
            "The resourceVersion for the provided list is too old: {at} (oldest available {})",
            cluster.compacted + 1
        )));
    }
    // Undo the changes made after `at`: the first change of each key after `at` holds the
    // object's state at `at` as its previous value.
    let mut overrides: HashMap<&str, Option<Arc<Obj>>> = HashMap::new();
    for ev in cluster.history.range(cluster.history_after(at)..) {
        if ev.store == store && !overrides.contains_key(ev.key.as_str()) {
            overrides.insert(ev.key.as_str(), ev.prev.clone());
        }
    }
    let mut out: Vec<(String, Arc<Obj>)> = current_objects(cluster, store, ns, start)
        .filter(|(k, _)| !overrides.contains_key(k.as_str()))
        .collect();
    for (k, o) in overrides {
        let after_start = start.is_empty() || k > start;
        if let Some(o) = o
            && after_start
            && in_namespace(k, ns)
        {
            out.push((k.to_string(), o));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The current objects of a store in the namespace, by key in order, from `start` on (after
/// it when it is not empty).
fn current_objects<'a>(
    cluster: &'a Cluster,
    store: &str,
    ns: Option<&'a str>,
    start: &str,
) -> impl Iterator<Item = (String, Arc<Obj>)> + 'a {
    let lower = match ns {
        Some(ns) if start.is_empty() => format!("{ns}/"),
        _ => start.to_string(),
    };
    let lower = if start.is_empty() {
        Bound::Included(lower)
    } else {
        Bound::Excluded(lower)
    };
    cluster
        .store(store)
        .into_iter()
        .flat_map(move |s| s.range::<String, _>((lower.clone(), Bound::Unbounded)))
        // Keys of one namespace are contiguous: the first key outside it ends the range.
        .take_while(move |(k, _)| in_namespace(k, ns))
        .map(|(k, o)| (k.clone(), o.clone()))
}
