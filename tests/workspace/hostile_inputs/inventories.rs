//! Inventories read as `patchwarden` reads an asset's package list: the bytes written to a
//! file and read with `read_inventory` (gzip unpacked, the format detected). Accepted
//! inventories are summarised by format, package count and the first package; refusals by
//! their `LoadError` variant, record and field.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use patchwarden_core::inventory::{InstalledPackage, Inventory, InventoryFormat};
use patchwarden_feeds::{InventoryFormatName, read_inventory};

use super::feeds::refusal;
use super::{Case, Expect, check};

/// `format count` and the first package.
fn summary(format: InventoryFormat, inventory: &Inventory) -> String {
    let first = inventory
        .packages
        .first()
        .map(|p| format!("; first {}", package(p)))
        .unwrap_or_default();
    format!("{} {}{first}", InventoryFormatName(format), inventory.len())
}

fn package(p: &InstalledPackage) -> String {
    let mut text = format!("{} {}", p.name, p.version);
    if let Some(source) = &p.source {
        text.push_str(&format!(" source {source}"));
    }
    if let Some(version) = &p.source_version {
        text.push_str(&format!(" source-version {version}"));
    }
    if let Some(arch) = &p.arch {
        text.push_str(&format!(" arch {arch}"));
    }
    text
}

/// Gzip of `body`.
pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body).expect("compress");
    encoder.finish().expect("finish")
}

#[test]
fn hostile_inventories_get_their_exact_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let counter = AtomicUsize::new(0);
    let observe = |input: &Vec<u8>| -> Expect {
        let path = dir.path().join(format!(
            "inventory-{}",
            counter.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, input).expect("write");
        match read_inventory(&path, None) {
            Ok((format, inventory)) => Expect::Ok(summary(format, &inventory)),
            Err(error) => refusal(&path.display().to_string(), &error),
        }
    };
    let tables: [(&str, Vec<Case<Vec<u8>>>); 4] = [
        ("dpkg status", super::inventory_cases::dpkg()),
        ("rpm query output", super::inventory_cases::rpm_query()),
        ("rpm-manifest", super::inventory_cases::rpm_manifest()),
        ("apk installed", super::inventory_cases::apk()),
    ];
    let total: usize = tables
        .iter()
        .map(|(domain, cases)| check(domain, cases, observe))
        .sum();
    assert!(total >= 60, "{total} inventory cases");
}
