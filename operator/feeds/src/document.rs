//! The documents inside a source: gzip unpacked, zip archives opened entry by entry, and each
//! text document's kind detected and handed to the core's parser for that kind.

use std::io::{Cursor, Read};

use patchwarden_core::feed::{self, FeedError, FeedKind};
use patchwarden_core::index::FeedSet;

use crate::error::LoadError;

/// One document inside a source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoadedDocument {
    /// File path, `archive.zip!entry`, or URL.
    pub name: String,
    /// The detected kind.
    pub kind: FeedKind,
    /// Advisories, KEV entries or EPSS scores read.
    pub records: usize,
    /// Parts of records left out, each with its record and reason (Debian tracker release
    /// lines whose version is not a dpkg version).
    pub skipped: Vec<String>,
}

/// Unpacks gzip when the bytes start with its magic number.
pub fn decompress(location: &str, bytes: &[u8]) -> Result<Vec<u8>, LoadError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(bytes.len() * 4);
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| LoadError::Archive {
                location: location.to_string(),
                format: "gzip",
                reason: e.to_string(),
            })?;
        Ok(out)
    } else {
        Ok(bytes.to_vec())
    }
}

/// Reads one file's bytes: gzip is unpacked, a zip archive is read entry by entry, and text
/// is parsed as a feed of its detected kind (empty text is no document).
pub(crate) fn read_blob(
    location: &str,
    bytes: &[u8],
    feeds: &mut FeedSet,
    documents: &mut Vec<LoadedDocument>,
) -> Result<(), LoadError> {
    let bytes = decompress(location, bytes)?;
    if bytes.starts_with(b"PK\x03\x04") {
        return read_zip(location, &bytes, feeds, documents);
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| LoadError::NotText {
        location: location.to_string(),
        reason: e.to_string(),
    })?;
    if text.trim().is_empty() {
        return Ok(());
    }
    let document = parse_document(location, text, feeds)?;
    documents.push(document);
    Ok(())
}

/// Reads every file entry of a zip archive, each named `archive.zip!entry`.
fn read_zip(
    location: &str,
    bytes: &[u8],
    feeds: &mut FeedSet,
    documents: &mut Vec<LoadedDocument>,
) -> Result<(), LoadError> {
    let archive_error = |e: zip::result::ZipError| LoadError::Archive {
        location: location.to_string(),
        format: "zip",
        reason: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(archive_error)?;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(archive_error)?;
        if entry.is_dir() {
            continue;
        }
        let name = format!("{location}!{}", entry.name());
        let mut body = Vec::new();
        entry
            .read_to_end(&mut body)
            .map_err(|e| LoadError::Archive {
                location: name.clone(),
                format: "zip",
                reason: e.to_string(),
            })?;
        read_blob(&name, &body, feeds, documents)?;
    }
    Ok(())
}

/// Parses one text document of a detected kind into `feeds`.
pub fn parse_document(
    location: &str,
    text: &str,
    feeds: &mut FeedSet,
) -> Result<LoadedDocument, LoadError> {
    let kind = FeedKind::detect(text).ok_or_else(|| LoadError::UnknownKind {
        location: location.to_string(),
    })?;
    let fail = |error: FeedError| LoadError::Feed {
        location: location.to_string(),
        kind,
        error,
    };
    let mut skipped = Vec::new();
    let records = match kind {
        FeedKind::Osv => {
            let advisories = feed::osv::parse_document(text).map_err(fail)?;
            let n = advisories.len();
            feeds.advisories.extend(advisories);
            n
        }
        FeedKind::DebianTracker => {
            let list = feed::debian_tracker::parse_list(text).map_err(fail)?;
            skipped = list.skipped.iter().map(|e| e.to_string()).collect();
            let n = list.advisories.len();
            feeds.advisories.extend(list.advisories);
            n
        }
        FeedKind::AlpineSecdb => {
            let advisories = feed::alpine_secdb::parse_secdb(text).map_err(fail)?;
            let n = advisories.len();
            feeds.advisories.extend(advisories);
            n
        }
        FeedKind::Kev => {
            let catalog = feed::kev::parse_catalog(text).map_err(fail)?;
            let n = catalog.entries.len();
            match &mut feeds.kev {
                Some(existing) => existing.entries.extend(catalog.entries),
                None => feeds.kev = Some(catalog),
            }
            n
        }
        FeedKind::Epss => {
            let table = feed::epss::parse_csv(text).map_err(fail)?;
            let n = table.len();
            feeds.epss = Some(table);
            n
        }
    };
    Ok(LoadedDocument {
        name: location.to_string(),
        kind,
        records,
        skipped,
    })
}
