//! Alpine's installed database (`/lib/apk/db/installed`): `X:value` lines, one package per
//! blank-line-separated block; `P:` name, `V:` version, `A:` arch, `o:` origin (source).

use std::sync::Arc;

use super::{InstalledPackage, Inventory, InventoryError, checked_version};
use crate::version::VersionScheme;

/// Reads an apk installed database.
pub fn parse_installed(text: &str) -> Result<Inventory, InventoryError> {
    let mut packages = Vec::new();
    for (index, block) in super::dpkg::paragraphs(text).enumerate() {
        let record = index + 1;
        let (mut name, mut version, mut arch, mut origin) = (None, None, None, None);
        for line in block.lines() {
            let line = line.trim_end_matches('\r');
            let Some((key, value)) = line.split_once(':').filter(|(k, _)| k.len() == 1) else {
                return Err(InventoryError::new(
                    record,
                    name,
                    "line",
                    format!("not an `X:value` line: {line:?}"),
                ));
            };
            match key {
                "P" => name = Some(value),
                "V" => version = Some(value),
                "A" => arch = Some(value),
                "o" => origin = Some(value),
                _ => {}
            }
        }
        let name = name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| InventoryError::new(record, None, "P", "missing package name"))?;
        let version =
            version.ok_or_else(|| InventoryError::new(record, Some(name), "V", "missing"))?;
        let version = checked_version(VersionScheme::Apk, record, name, "V", version)?;
        packages.push(Arc::new(InstalledPackage {
            name: Arc::from(name),
            version,
            source: origin.filter(|o| *o != name).map(Arc::from),
            source_version: None,
            arch: arch.map(Arc::from),
        }));
    }
    Ok(Inventory { packages })
}
