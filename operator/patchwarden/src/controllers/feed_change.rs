//! What a feed load changes, so that it re-assesses only the assets it touches.
//!
//! Each package name an advisory names (source or binary) gets a fingerprint of everything
//! the index says about it: the advisories naming it, and the KEV entry and EPSS score of
//! each of their CVEs. Two loads differ for a package exactly when its fingerprint does; an
//! asset is touched when one of its packages, by binary or source name, differs. The names
//! are compared without their ecosystem, which can only re-assess an asset too many.
//!
//! Assets keep their inventories between loads (to be re-assessed without asking the host),
//! so identical package records are shared across the fleet by an
//! [`Interner`](super::interner::Interner).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::Hasher;

use patchwarden_core::advisory::Advisory;
use patchwarden_core::index::AdvisoryIndex;
use patchwarden_core::inventory::Inventory;

/// Per package name, the fingerprint of what the index says about it.
pub type Fingerprints = HashMap<Box<str>, u64>;

/// The packages whose findings may differ between two loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// No earlier load to compare with: every asset is assessed.
    All,
    /// These package names.
    Packages(HashSet<Box<str>>),
}

impl Changed {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        matches!(self, Changed::Packages(names) if names.is_empty())
    }

    /// Whether any package of `inventory` changed, by binary or source name.
    pub fn touches(&self, inventory: &Inventory) -> bool {
        match self {
            Changed::All => true,
            Changed::Packages(names) => inventory
                .packages
                .iter()
                .any(|p| names.contains(&*p.name) || names.contains(p.source_name())),
        }
    }
}

/// The fingerprints of every package name the index's advisories name.
pub fn fingerprints(index: &AdvisoryIndex) -> Fingerprints {
    let mut out = Fingerprints::new();
    for advisory in index.advisories() {
        let print = advisory_print(index, advisory);
        for affected in &advisory.affected {
            let names = std::iter::once(&affected.package).chain(&affected.binaries);
            for name in names {
                let slot = out.entry(Box::from(name.as_str())).or_insert(0);
                // A sum does not depend on the order of the advisories, which a reload may
                // change without changing any of them.
                *slot = slot.wrapping_add(print);
            }
        }
    }
    out
}

/// The package names whose fingerprints differ between `old` (none before the first load)
/// and `new`, including names only one of them has.
pub fn changed(old: Option<&Fingerprints>, new: &Fingerprints) -> Changed {
    let Some(old) = old else {
        return Changed::All;
    };
    let mut names: HashSet<Box<str>> = HashSet::new();
    for (name, print) in new {
        if old.get(name) != Some(print) {
            names.insert(name.clone());
        }
    }
    for name in old.keys() {
        if !new.contains_key(name) {
            names.insert(name.clone());
        }
    }
    Changed::Packages(names)
}

/// One advisory with the KEV entries and EPSS scores of its CVEs.
fn advisory_print(index: &AdvisoryIndex, advisory: &Advisory) -> u64 {
    let mut hasher = HashWriter(DefaultHasher::new());
    // Serialising into the hasher fails only if the writer does, and it cannot.
    let _ = serde_json::to_writer(&mut hasher, advisory);
    for cve in &advisory.cve_ids {
        let _ = serde_json::to_writer(&mut hasher, &index.kev(cve));
        let _ = serde_json::to_writer(&mut hasher, &index.epss().get(cve));
    }
    hasher.0.finish()
}

/// Feeds written bytes into a hasher.
struct HashWriter<H>(H);

impl<H: Hasher> std::io::Write for HashWriter<H> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
#[path = "feed_change_tests.rs"]
mod tests;
