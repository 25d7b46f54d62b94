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

/// Bounds on what unpacking may produce, so that a small hostile archive cannot exhaust memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnpackLimits {
    /// Largest size of one unpacked document, and of all entries of one zip archive together.
    pub max_bytes: u64,
    /// Most entries read from one zip archive.
    pub max_entries: usize,
    /// Most archives nested in one another (a zip in a zip counts 2).
    pub max_depth: usize,
}

/// Largest unpacked document (the full OSV export of a distribution fits).
pub const MAX_UNPACKED_BYTES: u64 = 1 << 30;

impl Default for UnpackLimits {
    fn default() -> Self {
        UnpackLimits {
            max_bytes: MAX_UNPACKED_BYTES,
            max_entries: 500_000,
            max_depth: 2,
        }
    }
}

/// Unpacks gzip when the bytes start with its magic number, within the default limits.
pub fn decompress(location: &str, bytes: &[u8]) -> Result<Vec<u8>, LoadError> {
    decompress_within(location, bytes, &UnpackLimits::default())
}

/// Unpacks gzip when the bytes start with its magic number; more than `limits.max_bytes`
/// unpacked is [`LoadError::TooLarge`].
pub fn decompress_within(
    location: &str,
    bytes: &[u8],
    limits: &UnpackLimits,
) -> Result<Vec<u8>, LoadError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes.to_vec());
    }
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    read_bounded(location, "gzip", decoder, limits.max_bytes)
}

/// Reads at most `max_bytes` from `reader`; one byte more is [`LoadError::TooLarge`].
fn read_bounded(
    location: &str,
    format: &'static str,
    reader: impl Read,
    max_bytes: u64,
) -> Result<Vec<u8>, LoadError> {
    let mut out = Vec::new();
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| LoadError::Archive {
            location: location.to_string(),
            format,
            reason: e.to_string(),
        })?;
    if out.len() as u64 > max_bytes {
        return Err(LoadError::TooLarge {
            location: location.to_string(),
            limit: max_bytes,
        });
    }
    Ok(out)
}

/// Reads one file's bytes: gzip is unpacked, a zip archive is read entry by entry, and text
/// is parsed as a feed of its detected kind (empty text is no document).
pub(crate) fn read_blob(
    location: &str,
    bytes: &[u8],
    feeds: &mut FeedSet,
    documents: &mut Vec<LoadedDocument>,
) -> Result<(), LoadError> {
    read_blob_within(
        location,
        bytes,
        feeds,
        documents,
        &UnpackLimits::default(),
        0,
    )
}

/// [`read_blob`] within `limits`, `depth` archives deep.
fn read_blob_within(
    location: &str,
    bytes: &[u8],
    feeds: &mut FeedSet,
    documents: &mut Vec<LoadedDocument>,
    limits: &UnpackLimits,
    depth: usize,
) -> Result<(), LoadError> {
    let bytes = decompress_within(location, bytes, limits)?;
    if bytes.starts_with(b"PK\x03\x04") {
        return read_zip(location, &bytes, feeds, documents, limits, depth + 1);
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

/// Reads every file entry of a zip archive, each named `archive.zip!entry`, within `limits`
/// (entries, their total unpacked size, and nesting `depth`).
fn read_zip(
    location: &str,
    bytes: &[u8],
    feeds: &mut FeedSet,
    documents: &mut Vec<LoadedDocument>,
    limits: &UnpackLimits,
    depth: usize,
) -> Result<(), LoadError> {
    if depth > limits.max_depth {
        return Err(LoadError::TooDeep {
            location: location.to_string(),
            limit: limits.max_depth,
        });
    }
    let archive_error = |e: zip::result::ZipError| LoadError::Archive {
        location: location.to_string(),
        format: "zip",
        reason: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(archive_error)?;
    if archive.len() > limits.max_entries {
        return Err(LoadError::TooManyEntries {
            location: location.to_string(),
            limit: limits.max_entries,
        });
    }
    let mut remaining = limits.max_bytes;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(archive_error)?;
        if entry.is_dir() {
            continue;
        }
        let name = format!("{location}!{}", entry.name());
        let body = read_bounded(&name, "zip", entry, remaining).map_err(|error| match error {
            LoadError::TooLarge { .. } => LoadError::TooLarge {
                location: location.to_string(),
                limit: limits.max_bytes,
            },
            other => other,
        })?;
        remaining -= body.len() as u64;
        read_blob_within(&name, &body, feeds, documents, limits, depth)?;
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
            feeds.epss = Some(std::sync::Arc::new(table));
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(bytes).expect("compress");
        encoder.finish().expect("finish")
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, body) in entries {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("entry");
            writer.write_all(body).expect("write");
        }
        writer.finish().expect("finish").into_inner()
    }

    fn small_limits() -> UnpackLimits {
        UnpackLimits {
            max_bytes: 1 << 20,
            max_entries: 4,
            max_depth: 2,
        }
    }

    #[test]
    fn a_gzip_bomb_is_a_typed_error_not_an_allocation() {
        let bomb = gzip(&vec![0u8; 8 << 20]);
        assert!(bomb.len() < 64 << 10, "the bomb is small: {}", bomb.len());
        let error = decompress_within("bomb.gz", &bomb, &small_limits()).expect_err("refused");
        assert!(
            matches!(error, LoadError::TooLarge { limit, .. } if limit == 1 << 20),
            "{error}"
        );
        let fits = decompress_within("ok.gz", &gzip(b"CVE-1\n"), &small_limits()).expect("fits");
        assert_eq!(fits, b"CVE-1\n");
    }

    #[test]
    fn zip_entries_their_total_size_and_nesting_are_capped() {
        let mut feeds = FeedSet::default();
        let mut documents = Vec::new();
        let limits = small_limits();
        let many: Vec<(String, Vec<u8>)> =
            (0..5).map(|i| (format!("{i}.json"), Vec::new())).collect();
        let many: Vec<(&str, &[u8])> = many
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let error = read_blob_within(
            "many.zip",
            &zip_of(&many),
            &mut feeds,
            &mut documents,
            &limits,
            0,
        )
        .expect_err("too many entries");
        assert!(
            matches!(error, LoadError::TooManyEntries { limit: 4, .. }),
            "{error}"
        );

        let half = vec![b' '; 600 << 10];
        let big = zip_of(&[("a.json", &half), ("b.json", &half)]);
        let error = read_blob_within("big.zip", &big, &mut feeds, &mut documents, &limits, 0)
            .expect_err("too large together");
        assert!(matches!(error, LoadError::TooLarge { .. }), "{error}");

        let inner = zip_of(&[("empty.json", b"")]);
        let middle = zip_of(&[("inner.zip", &inner)]);
        let outer = zip_of(&[("middle.zip", &middle)]);
        read_blob_within(
            "middle.zip",
            &middle,
            &mut feeds,
            &mut documents,
            &limits,
            0,
        )
        .expect("two deep is allowed");
        let error = read_blob_within("outer.zip", &outer, &mut feeds, &mut documents, &limits, 0)
            .expect_err("three deep");
        assert!(
            matches!(error, LoadError::TooDeep { limit: 2, .. }),
            "{error}"
        );
    }
}
