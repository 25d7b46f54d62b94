//! Feed sources: a file, a directory or a URL, read whole, verified against an expected
//! sha256, and reported with the digest of what was read.

use std::path::{Path, PathBuf};

use patchwarden_core::index::FeedSet;
use sha2::{Digest, Sha256};

use crate::document::{LoadedDocument, read_blob};
use crate::download::download;
use crate::error::LoadError;

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
        read_single(source, &body, feeds, &mut documents)?
    } else {
        let path = Path::new(location);
        if path.is_dir() {
            read_directory(source, path, feeds, &mut documents)?
        } else {
            let body = std::fs::read(path).map_err(|e| LoadError::Io {
                location: location.to_string(),
                source: e,
            })?;
            read_single(source, &body, feeds, &mut documents)?
        }
    };
    Ok(LoadedSource {
        location: location.to_string(),
        sha256,
        bytes,
        documents,
    })
}

/// Verifies and reads the bytes of a file or download: (sha256, size).
fn read_single(
    source: &FeedSource,
    body: &[u8],
    feeds: &mut FeedSet,
    documents: &mut Vec<LoadedDocument>,
) -> Result<(String, u64), LoadError> {
    let location = source.location.as_str();
    let digest = sha256_hex(body);
    verify(location, source, &digest)?;
    read_blob(location, body, feeds, documents)?;
    Ok((digest, body.len() as u64))
}

/// Reads every file below a directory in path order, and verifies the digest of its manifest
/// (`sha256  relative-path` lines, like `sha256sum` output): (sha256, total size).
fn read_directory(
    source: &FeedSource,
    path: &Path,
    feeds: &mut FeedSet,
    documents: &mut Vec<LoadedDocument>,
) -> Result<(String, u64), LoadError> {
    let location = source.location.as_str();
    let mut files = Vec::new();
    collect_files(path, &mut files).map_err(|e| LoadError::Io {
        location: location.to_string(),
        source: e,
    })?;
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
        read_blob(&name, &body, feeds, documents)?;
    }
    let digest = sha256_hex(manifest.as_bytes());
    verify(location, source, &digest)?;
    Ok((digest, total))
}

/// A URL for the downloader (which refuses every scheme but https and loopback http): anything
/// with a `scheme://` prefix other than `file://`.
fn is_url(location: &str) -> bool {
    location
        .split_once("://")
        .is_some_and(|(scheme, _)| scheme != "file" && !scheme.contains('/'))
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

/// The files below `dir`, hidden ones left out. A symbolic link is an error: it could lead
/// outside the directory, or back into it forever.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        let file_type = entry.file_type()?;
        if file_type.is_symlink() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{} is a symbolic link, which is refused", path.display()),
            ));
        }
        if file_type.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// A local feed path confined to `base`: relative paths are read from `base`, no component
/// of the path below `base` may be a symbolic link, and the canonical path must lie under the
/// canonical `base` (so `../` cannot leave it).
pub fn confine_to_base(base: &Path, path: &Path) -> Result<PathBuf, LoadError> {
    let location = path.display().to_string();
    let refused = |reason: String| LoadError::Refused {
        location: location.clone(),
        reason,
    };
    let io = |source: std::io::Error| LoadError::Io {
        location: location.clone(),
        source,
    };
    let canonical_base = base.canonicalize().map_err(|e| LoadError::Io {
        location: base.display().to_string(),
        source: e,
    })?;
    let joined = canonical_base.join(path);
    let mut walked = PathBuf::new();
    for component in joined.components() {
        walked.push(component);
        if walked.starts_with(&canonical_base)
            && walked != canonical_base
            && std::fs::symlink_metadata(&walked)
                .map_err(io)?
                .file_type()
                .is_symlink()
        {
            return Err(refused(format!(
                "{} is a symbolic link, which is refused",
                walked.display()
            )));
        }
    }
    let canonical = joined.canonicalize().map_err(io)?;
    if !canonical.starts_with(&canonical_base) {
        return Err(refused(format!(
            "outside the feed base directory {}",
            canonical_base.display()
        )));
    }
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_path_stays_under_the_base_and_is_no_symlink() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let base = dir.path().join("feeds");
        std::fs::create_dir_all(base.join("osv")).expect("base");
        std::fs::write(base.join("osv/all.json"), "[]").expect("feed");
        std::fs::write(dir.path().join("secret"), "x").expect("outside");
        let inside = confine_to_base(&base, Path::new("osv/all.json")).expect("inside");
        assert!(
            inside.ends_with("feeds/osv/all.json"),
            "{}",
            inside.display()
        );
        let absolute = base.join("osv/all.json");
        assert!(confine_to_base(&base, &absolute).is_ok());

        let error = confine_to_base(&base, Path::new("../secret")).expect_err("outside");
        assert!(matches!(error, LoadError::Refused { .. }), "{error}");
        let error = confine_to_base(&base, &dir.path().join("secret")).expect_err("outside");
        assert!(matches!(error, LoadError::Refused { .. }), "{error}");

        std::os::unix::fs::symlink(dir.path().join("secret"), base.join("link")).expect("link");
        let error = confine_to_base(&base, Path::new("link")).expect_err("symlink");
        assert!(error.to_string().contains("symbolic link"), "{error}");
    }

    #[test]
    fn a_symlink_loop_in_a_directory_is_an_error_not_a_stack_overflow() {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::create_dir(dir.path().join("sub")).expect("sub");
        std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).expect("loop");
        let source = FeedSource::new(dir.path().display().to_string());
        let error = load_source(&source, &mut FeedSet::default()).expect_err("refused");
        assert!(error.to_string().contains("symbolic link"), "{error}");
    }
}
