//! Sharing equal values across a fleet: hosts built from one image install the same package
//! records and are offered the same upgrades, each held once rather than once per host.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::Arc;

use patchwarden_core::inventory::Inventory;

/// The shared copy of each distinct value handed to it.
#[derive(Debug)]
pub struct Interner<T> {
    values: HashSet<Arc<T>>,
    /// Distinct values held after the last prune.
    kept_at_prune: usize,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            values: HashSet::new(),
            kept_at_prune: 0,
        }
    }
}

/// Below this many values an interner is not pruned.
const PRUNE_FLOOR: usize = 1024;

impl<T: Hash + Eq> Interner<T> {
    /// The shared value equal to `value`; `value` becomes the shared one when there is none.
    pub fn share(&mut self, value: &Arc<T>) -> Arc<T> {
        match self.values.get(value) {
            Some(shared) => shared.clone(),
            None => {
                self.values.insert(value.clone());
                value.clone()
            }
        }
    }

    /// Forgets the values nobody else holds any more.
    pub fn prune(&mut self) {
        self.values.retain(|v| Arc::strong_count(v) > 1);
        self.kept_at_prune = self.values.len();
    }

    /// Prunes once the interner has doubled since its last prune: values are replaced as
    /// hosts are patched and feeds change, and the old ones would otherwise stay.
    pub fn prune_when_doubled(&mut self) {
        if self.values.len() > 2 * self.kept_at_prune.max(PRUNE_FLOOR) {
            self.prune();
        }
    }

    /// Distinct values held.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no value is held.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl Interner<patchwarden_core::inventory::InstalledPackage> {
    /// `inventory` with each record replaced by the shared one equal to it.
    pub fn intern(&mut self, inventory: &Inventory) -> Inventory {
        let packages = inventory
            .packages
            .iter()
            .map(|package| self.share(package))
            .collect();
        Inventory { packages }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_are_shared_and_unheld_ones_pruned() {
        let mut interner: Interner<String> = Interner::default();
        let first = interner.share(&Arc::new(String::from("libssl3")));
        let second = interner.share(&Arc::new(String::from("libssl3")));
        assert!(Arc::ptr_eq(&first, &second));
        let other = interner.share(&Arc::new(String::from("openssl")));
        assert_eq!(interner.len(), 2);
        drop(other);
        interner.prune();
        assert_eq!(interner.len(), 1, "only libssl3 is still held");
        drop((first, second));
        interner.prune();
        assert!(interner.is_empty());
    }

    #[test]
    fn interned_inventories_share_equal_records() {
        let inventory = || {
            patchwarden_core::inventory::dpkg::parse_status(
                "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2\n\n\
                 Package: jq\nStatus: install ok installed\nVersion: 1.6\n\n",
            )
            .expect("dpkg status parses")
        };
        let mut interner = Interner::default();
        let first = interner.intern(&inventory());
        let second = interner.intern(&inventory());
        assert_eq!(first, second);
        assert!(Arc::ptr_eq(&first.packages[0], &second.packages[0]));
        assert_eq!(interner.len(), 2);
        drop((first, second));
        interner.prune();
        assert!(interner.is_empty());
    }

    #[test]
    fn pruning_waits_until_the_interner_has_doubled() {
        let mut interner: Interner<usize> = Interner::default();
        for n in 0..2 * PRUNE_FLOOR {
            drop(interner.share(&Arc::new(n)));
        }
        interner.prune_when_doubled();
        assert_eq!(
            interner.len(),
            2 * PRUNE_FLOOR,
            "not yet past twice the floor"
        );
        drop(interner.share(&Arc::new(usize::MAX)));
        interner.prune_when_doubled();
        assert!(interner.is_empty(), "no value was held by anyone else");
    }
}
