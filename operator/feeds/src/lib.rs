//! patchwarden-feeds: reading vulnerability feeds and inventories from files, directories,
//! gzip and zip archives and http(s) URLs; verifying them against an expected sha256 and
//! reporting each source's digest; detecting each document's kind; and handing the text to
//! the pure parsers of `patchwarden-core`, whose errors are given the file they came from.
//! [`debian`] builds an OSV feed from a Debian repository's own index and changelogs.

pub mod debian;
mod document;
mod download;
mod error;
mod inventory;
mod source;

pub use document::{
    LoadedDocument, MAX_UNPACKED_BYTES, UnpackLimits, decompress, decompress_within, parse_document,
};
pub use download::{MAX_DOWNLOAD_BYTES, download, refused_transport};
pub use error::{InventoryFormatName, LoadError};
pub use inventory::{parse_inventory, read_inventory, read_text};
pub use source::{
    FeedSource, LoadedFeeds, LoadedSource, confine_to_base, load_feeds, load_source, sha256_hex,
};
