//! The Assets to reconcile because their assessment or approval changed outside their own
//! reconcile: after a feed load, only the assets whose packages it touches; after a policy
//! evaluation, only the assets whose approval standing moved.

use std::sync::Arc;

use futures::{Stream, StreamExt};
use kube::runtime::reflector::ObjectRef;
use patchwarden_api::asset::Asset;
use tokio::sync::broadcast::error::RecvError;

use crate::controllers::Context;

/// One reference per touched asset; every kept asset when the receiver fell behind.
pub fn refs(context: Arc<Context>) -> impl Stream<Item = ObjectRef<Asset>> + Send + 'static {
    let rx = context.assessment.subscribe_touched();
    futures::stream::unfold((rx, context), |(mut rx, context)| async move {
        let keys: Vec<String> = match rx.recv().await {
            Ok(keys) => keys.to_vec(),
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "fell behind on touched assets; reconciling all");
                context.assessment.kept_assets()
            }
            Err(RecvError::Closed) => return None,
        };
        Some((keys, (rx, context)))
    })
    .flat_map(|keys| futures::stream::iter(keys.into_iter().filter_map(|k| object_ref(&k))))
}

/// The reference of `namespace/name`.
pub fn object_ref(key: &str) -> Option<ObjectRef<Asset>> {
    let (namespace, name) = key.split_once('/')?;
    let reference = ObjectRef::new(name);
    Some(if namespace.is_empty() {
        reference
    } else {
        reference.within(namespace)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_namespaced_references() {
        let reference = object_ref("fleet/web-1").expect("a key");
        assert_eq!(reference.name, "web-1");
        assert_eq!(reference.namespace.as_deref(), Some("fleet"));
        assert!(object_ref("no-slash").is_none());
    }
}
