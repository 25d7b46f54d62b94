//! Reading inventories and other text files (gzip allowed), naming the file in errors.

use std::path::Path;

use patchwarden_core::inventory::{Inventory, InventoryFormat};

use crate::document::decompress;
use crate::error::{InventoryFormatName, LoadError};

/// Reads an inventory file (gzip allowed), detecting its format unless one is given.
pub fn read_inventory(
    path: &Path,
    format: Option<InventoryFormat>,
) -> Result<(InventoryFormat, Inventory), LoadError> {
    let location = path.display().to_string();
    let raw = std::fs::read(path).map_err(|e| LoadError::Io {
        location: location.clone(),
        source: e,
    })?;
    let bytes = decompress(&location, &raw)?;
    let text = String::from_utf8(bytes).map_err(|e| LoadError::NotText {
        location: location.clone(),
        reason: e.to_string(),
    })?;
    parse_inventory(&location, &text, format)
}

/// Parses inventory text, naming `location` in errors.
pub fn parse_inventory(
    location: &str,
    text: &str,
    format: Option<InventoryFormat>,
) -> Result<(InventoryFormat, Inventory), LoadError> {
    let format = format
        .or_else(|| InventoryFormat::detect(text))
        .ok_or_else(|| LoadError::UnknownInventory {
            location: location.to_string(),
        })?;
    let inventory = Inventory::parse(format, text).map_err(|error| LoadError::Inventory {
        location: location.to_string(),
        format: InventoryFormatName(format),
        error,
    })?;
    Ok((format, inventory))
}

/// Reads a text file (gzip allowed), naming the file in errors.
pub fn read_text(path: &Path) -> Result<String, LoadError> {
    let location = path.display().to_string();
    let raw = std::fs::read(path).map_err(|e| LoadError::Io {
        location: location.clone(),
        source: e,
    })?;
    let bytes = decompress(&location, &raw)?;
    String::from_utf8(bytes).map_err(|e| LoadError::NotText {
        location,
        reason: e.to_string(),
    })
}
