//! One operation at a time per asset: dpkg holds a lock on its database, so a second apt run on
//! the same asset would fail instead of waiting. Different assets proceed in parallel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

/// A lock per asset name.
#[derive(Debug, Default)]
pub struct AssetLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl AssetLocks {
    /// Waits until no other operation runs on `asset`; the guard releases it.
    pub async fn acquire(&self, asset: &str) -> OwnedMutexGuard<()> {
        let lock = {
            // A poisoned map only means a panic while inserting; the map itself is intact.
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(asset.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }
}
