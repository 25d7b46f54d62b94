//! The committed state rebuilt from the database at startup: the current objects, and the
//! retained revision log as watch-resume history.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use super::{Cluster, Event, Obj};
use crate::error::ServerError;
use crate::registry::Registry;
use crate::store::{Loaded, LogRow, ObjectRow};

/// The state the database holds, with the registry built from its CRDs.
pub fn cluster(loaded: Loaded) -> Result<Cluster, ServerError> {
    let mut stores: HashMap<String, BTreeMap<String, Arc<Obj>>> = HashMap::new();
    for row in loaded.objects {
        let (store, key, obj) = object(row)?;
        stores.entry(store).or_default().insert(key, Arc::new(obj));
    }
    let history = loaded
        .log
        .into_iter()
        .map(|row| event(row).map(Arc::new))
        .collect::<Result<VecDeque<_>, _>>()?;
    let mut cluster = Cluster {
        rev: loaded.rev,
        stores,
        history,
        compacted: loaded.compacted,
        registry: Arc::new(Registry::default()),
    };
    cluster.rebuild_registry();
    Ok(cluster)
}

fn corrupt(store: &str, key: &str, e: serde_json::Error) -> ServerError {
    ServerError::CorruptRecord {
        store: store.to_string(),
        key: key.to_string(),
        reason: e.to_string(),
    }
}

fn object(row: ObjectRow) -> Result<(String, String, Obj), ServerError> {
    let obj =
        Obj::from_bytes(Some(row.rev), row.value).map_err(|e| corrupt(&row.store, &row.key, e))?;
    Ok((row.store, row.key, obj))
}

fn event(row: LogRow) -> Result<Event, ServerError> {
    let corrupt_row = |e| corrupt(&row.store, &row.key, e);
    let obj = Arc::new(Obj::from_bytes(Some(row.rev), row.value).map_err(corrupt_row)?);
    let prev = match row.prev {
        // The log keeps only the bytes; the revision is the one stamped in them.
        Some(p) => Some(Arc::new(Obj::from_bytes(None, p).map_err(corrupt_row)?)),
        None => None,
    };
    Ok(Event {
        rev: row.rev,
        store: row.store,
        key: row.key,
        kind: row.kind,
        obj,
        prev,
    })
}
