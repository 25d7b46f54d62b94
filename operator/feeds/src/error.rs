//! Why a feed or inventory could not be loaded: every error names the file, archive entry or
//! URL it came from.

use std::fmt;

use patchwarden_core::feed::{FeedError, FeedKind};
use patchwarden_core::inventory::{InventoryError, InventoryFormat};

/// Why a feed or inventory could not be loaded. Always names the file (or URL).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file or directory could not be read.
    #[error("{location}: {source}")]
    Io {
        /// The path.
        location: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The download failed.
    #[error("{location}: download failed: {reason}")]
    Http {
        /// The URL.
        location: String,
        /// The cause.
        reason: String,
    },
    /// The bytes do not have the expected digest.
    #[error("{location}: sha256 is {actual}, expected {expected}")]
    DigestMismatch {
        /// The source.
        location: String,
        /// The digest that was asked for.
        expected: String,
        /// The digest of what was read.
        actual: String,
    },
    /// A gzip or zip archive is corrupt or truncated.
    #[error("{location}: bad {format} archive: {reason}")]
    Archive {
        /// The file.
        location: String,
        /// `gzip` or `zip`.
        format: &'static str,
        /// The cause.
        reason: String,
    },
    /// Unpacking would produce more than the limit allows (a decompression bomb).
    #[error("{location}: unpacks to more than {limit} bytes")]
    TooLarge {
        /// The archive.
        location: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A zip archive has more entries than the limit allows.
    #[error("{location}: more than {limit} zip entries")]
    TooManyEntries {
        /// The archive.
        location: String,
        /// The limit.
        limit: usize,
    },
    /// Archives are nested deeper than the limit allows.
    #[error("{location}: archives nested more than {limit} deep")]
    TooDeep {
        /// The innermost archive.
        location: String,
        /// The limit.
        limit: usize,
    },
    /// The source may not be read: a plain-http URL, a path outside the feed base, or a
    /// symbolic link.
    #[error("{location}: refused: {reason}")]
    Refused {
        /// The URL or path.
        location: String,
        /// Why.
        reason: String,
    },
    /// The document is not text.
    #[error("{location}: not UTF-8 text ({reason})")]
    NotText {
        /// The document.
        location: String,
        /// The cause.
        reason: String,
    },
    /// The document's kind could not be recognised.
    #[error(
        "{location}: not a recognised feed (OSV, Debian tracker list, Alpine secdb, KEV or EPSS)"
    )]
    UnknownKind {
        /// The document.
        location: String,
    },
    /// A record of a feed is malformed.
    #[error("{location}: {kind} {error}")]
    Feed {
        /// The document.
        location: String,
        /// Its kind.
        kind: FeedKind,
        /// The record, field and reason.
        error: FeedError,
    },
    /// An inventory record is malformed.
    #[error("{location}: {format} {error}")]
    Inventory {
        /// The file.
        location: String,
        /// The detected format.
        format: InventoryFormatName,
        /// The record, field and reason.
        error: InventoryError,
    },
    /// The inventory's format could not be recognised.
    #[error(
        "{location}: not a dpkg status file, rpm query output, rpm-manifest or apk installed database"
    )]
    UnknownInventory {
        /// The file.
        location: String,
    },
}

/// The display name of an inventory format in errors.
#[derive(Debug, Clone, Copy)]
pub struct InventoryFormatName(pub InventoryFormat);

impl fmt::Display for InventoryFormatName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            InventoryFormat::DpkgStatus => "dpkg status",
            InventoryFormat::RpmQuery => "rpm query output",
            InventoryFormat::RpmManifest => "rpm-manifest",
            InventoryFormat::ApkInstalled => "apk installed database",
        })
    }
}
