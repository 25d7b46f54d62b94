//! Waiting for a watch cache to hold its first complete list. kube's
//! `Store::wait_until_ready` wakes only the last of several waiters that wait at once (its
//! one-shot channel keeps a single waker), so reconciles of several objects started together
//! would wait forever; they look again every few milliseconds instead.

use std::hash::Hash;
use std::time::Duration;

use futures::FutureExt;
use kube::runtime::reflector::store::WriterDropped;
use kube::runtime::reflector::{Lookup, Store};

/// How often a waiting reconcile looks again.
const POLL: Duration = Duration::from_millis(50);

/// Returns once `store` has its first complete list; an error when its writer is gone.
pub async fn cache_ready<K>(store: &Store<K>) -> Result<(), WriterDropped>
where
    K: 'static + Clone + Lookup,
    K::DynamicType: Eq + Hash + Clone,
{
    loop {
        if let Some(result) = store.wait_until_ready().now_or_never() {
            return result;
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::runtime::reflector;
    use kube::runtime::watcher::Event;

    use super::*;

    #[tokio::test]
    async fn every_waiter_returns_once_the_cache_is_listed() {
        let (store, mut writer) = reflector::store::<ConfigMap>();
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { cache_ready(&store).await.is_ok() })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        writer.apply_watcher_event(&Event::Init);
        writer.apply_watcher_event(&Event::InitDone);
        for waiter in waiters {
            let ready = tokio::time::timeout(Duration::from_secs(5), waiter)
                .await
                .expect("every waiter returns")
                .expect("the waiter does not panic");
            assert!(ready);
        }
    }
}
