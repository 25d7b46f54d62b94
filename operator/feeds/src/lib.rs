//! patchwarden-feeds: reading vulnerability feeds and inventories from files, directories,
//! gzip and zip archives and http(s) URLs; verifying them against an expected sha256 and
//! reporting each source's digest; detecting each document's kind; and handing the text to
//! the pure parsers of `patchwarden-core`, whose errors are given the file they came from.

use std::fmt;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Once;

use patchwarden_core::feed::{self, FeedError, FeedKind};
use patchwarden_core::index::FeedSet;
use patchwarden_core::inventory::{Inventory, InventoryError, InventoryFormat};
use sha2::{Digest, Sha256};

/// Largest document accepted from a URL (the full OSV export of a distribution fits).
pub const MAX_DOWNLOAD_BYTES: u64 = 1 << 30;

/// Where a feed comes from, and optionally the sha256 it must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSource {
    /// A file, a directory, or an `http://`/`https://` URL.
    pub location: String,
    /// The expected lowercase hex sha256 of the file or download (of the digest manifest
    /// for a directory, see [`LoadedSource::sha256`]).
    pub expected_sha256: Option<String>,
}

impl FeedSource {
    /// A source without an expected digest.
    pub fn new(location: impl Into<String>) -> Self {
        FeedSource {
            location: location.into(),
            expected_sha256: None,
        }
    }
}

/// What was read from one source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoadedSource {
    /// The location as given.
    pub location: String,
    /// sha256 of the bytes read (for a directory: of the sorted `sha256  relative-path`
    /// lines of its files, like `sha256sum` output).
    pub sha256: String,
    /// Bytes read, before decompression.
    pub bytes: u64,
    /// The documents found, with their kinds and record counts.
    pub documents: Vec<LoadedDocument>,
}

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

/// Feeds accumulated from several sources, ready for `AdvisoryIndex::build`.
#[derive(Debug, Default)]
pub struct LoadedFeeds {
    /// The parsed content.
    pub feeds: FeedSet,
    /// One report per source, in the order given.
    pub sources: Vec<LoadedSource>,
}

/// Loads every source in order. The first error stops loading.
pub fn load_feeds(sources: &[FeedSource]) -> Result<LoadedFeeds, LoadError> {
    let mut loaded = LoadedFeeds::default();
    for source in sources {
        let report = load_source(source, &mut loaded.feeds)?;
        loaded.sources.push(report);
    }
    Ok(loaded)
}

/// Loads one source into `feeds`.
pub fn load_source(source: &FeedSource, feeds: &mut FeedSet) -> Result<LoadedSource, LoadError> {
    let location = source.location.as_str();
    let mut documents = Vec::new();
    let (sha256, bytes) = if is_url(location) {
        let body = download(location)?;
        let digest = sha256_hex(&body);
        verify(location, source, &digest)?;
        read_blob(location, &body, feeds, &mut documents)?;
        (digest, body.len() as u64)
    } else {
        let path = Path::new(location);
        let io = |e| LoadError::Io {
            location: location.to_string(),
            source: e,
        };
        if path.is_dir() {
            let mut files = Vec::new();
            collect_files(path, &mut files).map_err(io)?;
            files.sort();
            let mut manifest = String::new();
            let mut total = 0u64;
            for file in files {
                let name = file.display().to_string();
                let body = std::fs::read(&file).map_err(|e| LoadError::Io {
                    location: name.clone(),
                    source: e,
                })?;
                let relative = file
                    .strip_prefix(path)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                manifest.push_str(&format!("{}  {relative}\n", sha256_hex(&body)));
                total += body.len() as u64;
                read_blob(&name, &body, feeds, &mut documents)?;
            }
            let digest = sha256_hex(manifest.as_bytes());
            verify(location, source, &digest)?;
            (digest, total)
        } else {
            let body = std::fs::read(path).map_err(io)?;
            let digest = sha256_hex(&body);
            verify(location, source, &digest)?;
            read_blob(location, &body, feeds, &mut documents)?;
            (digest, body.len() as u64)
        }
    };
    Ok(LoadedSource {
        location: location.to_string(),
        sha256,
        bytes,
        documents,
    })
}

fn is_url(location: &str) -> bool {
    location.starts_with("http://") || location.starts_with("https://")
}

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn verify(location: &str, source: &FeedSource, actual: &str) -> Result<(), LoadError> {
    match &source.expected_sha256 {
        Some(expected) if !expected.trim().eq_ignore_ascii_case(actual) => {
            Err(LoadError::DigestMismatch {
                location: location.to_string(),
                expected: expected.trim().to_ascii_lowercase(),
                actual: actual.to_string(),
            })
        }
        _ => Ok(()),
    }
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

static TLS_PROVIDER: Once = Once::new();

/// Downloads a URL (blocking; call from a blocking thread in async code).
pub fn download(url: &str) -> Result<Vec<u8>, LoadError> {
    TLS_PROVIDER.call_once(|| {
        // Another part of the process may have installed one already; either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    let http = |reason: String| LoadError::Http {
        location: url.to_string(),
        reason,
    };
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(300))
        .user_agent(concat!("patchwarden/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| http(e.to_string()))?;
    let response = client.get(url).send().map_err(|e| http(e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(http(format!("HTTP {status}")));
    }
    let mut body = Vec::new();
    response
        .take(MAX_DOWNLOAD_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|e| http(e.to_string()))?;
    if body.len() as u64 > MAX_DOWNLOAD_BYTES {
        return Err(http(format!("larger than {MAX_DOWNLOAD_BYTES} bytes")));
    }
    Ok(body)
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

fn read_blob(
    location: &str,
    bytes: &[u8],
    feeds: &mut FeedSet,
    documents: &mut Vec<LoadedDocument>,
) -> Result<(), LoadError> {
    let bytes = decompress(location, bytes)?;
    if bytes.starts_with(b"PK\x03\x04") {
        let archive_error = |e: zip::result::ZipError| LoadError::Archive {
            location: location.to_string(),
            format: "zip",
            reason: e.to_string(),
        };
        let mut archive = zip::ZipArchive::new(Cursor::new(&bytes[..])).map_err(archive_error)?;
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
        return Ok(());
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
