//! The I/O shell of the Debian feed builder: reads a repository's `Packages` index, opens one
//! `.deb` per source package (the newest source version present; a partial mirror is normal)
//! with `dpkg-deb --fsys-tarfile`, takes its changelog out of the data tarball, and hands
//! everything to the pure parsers and [`build_advisories`].

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use patchwarden_core::version::dpkg::compare;

use super::advisories::{BuiltAdvisories, SourceChangelog, build_advisories};
use super::changelog::parse_changelog_prefix;
use super::packages::{IndexedBinary, SkippedStanza, parse_packages};
use super::tar::find_files;
use crate::document::{UnpackLimits, decompress_within};
use crate::error::LoadError;
use crate::source::confine_to_base;

/// Largest `Packages` index and largest unpacked changelog read.
const MAX_INDEX_BYTES: u64 = 512 << 20;
const MAX_CHANGELOG_BYTES: u64 = 64 << 20;

/// Which part of a repository to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveSelection {
    /// The repository's root (the directory holding `dists/` and `pool/`).
    pub repo: PathBuf,
    /// `bookworm-security`, …
    pub suite: String,
    /// `main`, …
    pub component: String,
    /// `amd64`, …
    pub arch: String,
    /// The OSV ecosystem written (`Debian:12`).
    pub ecosystem: String,
}

/// Why no feed could be built at all (problems with single packages are reported instead).
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("no Packages index: none of {0} exists")]
    NoIndex(String),
    #[error("{0} is xz-compressed, which is not read; provide the plain or .gz index beside it")]
    XzOnly(PathBuf),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{}: {reason}", path.display())]
    Read { path: PathBuf, reason: String },
    #[error("--{option} {value:?} is not one directory name")]
    NotAName { option: &'static str, value: String },
}

/// What a build read and produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArchiveFeed {
    /// The index read.
    pub index: PathBuf,
    /// Stanzas in the index.
    pub packages: usize,
    /// Stanzas left out (hostile or incomplete names, versions, paths).
    pub skipped: Vec<SkippedStanza>,
    /// `.deb` files opened.
    pub debs_read: usize,
    /// `Filename:`s of the index with no file in the repository.
    pub debs_absent: Vec<String>,
    /// Problems with single `.deb`s or changelogs, each naming its file.
    pub problems: Vec<String>,
    /// Source packages with a changelog.
    pub sources: usize,
    /// The OSV records and the entries left out.
    pub advisories: BuiltAdvisories,
}

/// Builds the OSV feed of one suite, component and architecture of a repository.
pub fn build_from_archive(selection: &ArchiveSelection) -> Result<ArchiveFeed, ArchiveError> {
    check_names(selection)?;
    let index_dir = selection
        .repo
        .join("dists")
        .join(&selection.suite)
        .join(&selection.component)
        .join(format!("binary-{}", selection.arch));
    let (index, text) = read_index(&index_dir)?;
    let parsed = parse_packages(&text);
    let mut feed = ArchiveFeed {
        index,
        packages: parsed.binaries.len() + parsed.skipped.len(),
        skipped: parsed.skipped,
        ..ArchiveFeed::default()
    };
    let mut changelogs = Vec::new();
    for (source, candidates) in by_source(parsed.binaries) {
        let present = present_debs(&selection.repo, &candidates, &mut feed);
        if let Some(entries) = first_changelog(&present, &mut feed) {
            changelogs.push(SourceChangelog { source, entries });
        }
    }
    feed.sources = changelogs.len();
    feed.advisories = build_advisories(&changelogs, &selection.ecosystem);
    Ok(feed)
}

/// Suite, component and architecture each name one directory under `dists/`.
fn check_names(selection: &ArchiveSelection) -> Result<(), ArchiveError> {
    for (option, value) in [
        ("suite", &selection.suite),
        ("component", &selection.component),
        ("arch", &selection.arch),
    ] {
        let mut components = Path::new(value).components();
        let single = matches!(components.next(), Some(std::path::Component::Normal(_)))
            && components.next().is_none();
        if !single || value.contains('/') {
            return Err(ArchiveError::NotAName {
                option,
                value: value.clone(),
            });
        }
    }
    Ok(())
}

/// `Packages`, else `Packages.gz`; `Packages.xz` alone is an error that says so.
fn read_index(dir: &Path) -> Result<(PathBuf, String), ArchiveError> {
    for name in ["Packages", "Packages.gz"] {
        let path = dir.join(name);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(ArchiveError::Read {
                    path,
                    reason: e.to_string(),
                });
            }
        };
        let limits = UnpackLimits {
            max_bytes: MAX_INDEX_BYTES,
            ..UnpackLimits::default()
        };
        let text = decompress_within(&path.display().to_string(), &bytes, &limits)?;
        return Ok((path, String::from_utf8_lossy(&text).into_owned()));
    }
    let xz = dir.join("Packages.xz");
    if xz.exists() {
        return Err(ArchiveError::XzOnly(xz));
    }
    Err(ArchiveError::NoIndex(format!(
        "{0}/Packages, {0}/Packages.gz",
        dir.display()
    )))
}

/// The binaries of each source package, best changelog candidates first: the newest source
/// version (its changelog has every older entry too), the binary named like the source, the
/// smallest `.deb`.
fn by_source(binaries: Vec<IndexedBinary>) -> BTreeMap<String, Vec<IndexedBinary>> {
    let mut groups: BTreeMap<String, Vec<IndexedBinary>> = BTreeMap::new();
    for binary in binaries {
        groups
            .entry(binary.source.clone())
            .or_default()
            .push(binary);
    }
    for candidates in groups.values_mut() {
        candidates.sort_by(|a, b| {
            compare(&b.source_version, &a.source_version)
                .then_with(|| (b.package == b.source).cmp(&(a.package == a.source)))
                .then_with(|| a.size.cmp(&b.size))
                .then_with(|| a.package.cmp(&b.package))
        });
    }
    groups
}

/// The candidates whose `.deb` is in the repository, with its confined path; absent ones
/// are counted, refused ones (symbolic links, paths leaving the repository) reported.
fn present_debs(
    repo: &Path,
    candidates: &[IndexedBinary],
    feed: &mut ArchiveFeed,
) -> Vec<(IndexedBinary, PathBuf)> {
    let mut present = Vec::new();
    for binary in candidates {
        let joined = repo.join(&binary.filename);
        if std::fs::symlink_metadata(&joined).is_err() {
            feed.debs_absent.push(binary.filename.clone());
            continue;
        }
        match confine_to_base(repo, Path::new(&binary.filename)) {
            Ok(path) => present.push((binary.clone(), path)),
            Err(e) => feed.problems.push(format!("{}: {e}", binary.filename)),
        }
    }
    present
}

/// The changelog of the first candidate `.deb` that has one.
fn first_changelog(
    present: &[(IndexedBinary, PathBuf)],
    feed: &mut ArchiveFeed,
) -> Option<Vec<super::changelog::ChangelogEntry>> {
    for (binary, path) in present {
        feed.debs_read += 1;
        let text = match read_changelog(path, &binary.package) {
            Ok(Some(text)) => text,
            Ok(None) => continue,
            Err(reason) => {
                feed.problems.push(format!("{}: {reason}", path.display()));
                continue;
            }
        };
        let (entries, error) = parse_changelog_prefix(&text);
        if let Some(error) = error {
            feed.problems.push(format!(
                "{} ({}): {error}; the {} entries above it are used",
                path.display(),
                binary.package,
                entries.len()
            ));
        }
        return Some(entries);
    }
    None
}

/// The unpacked `changelog.Debian.gz` (or, for a native package, `changelog.gz`) of binary
/// `package` in the `.deb` at `path`; `None` when it has neither (its doc directory may be a
/// symbolic link to another binary's).
fn read_changelog(path: &Path, package: &str) -> Result<Option<String>, String> {
    let debian = format!("usr/share/doc/{package}/changelog.Debian.gz");
    let native = format!("usr/share/doc/{package}/changelog.gz");
    let mut tarball = DataTarball::open(path)?;
    let mut stdout = tarball.stdout.take().ok_or("dpkg-deb has no output pipe")?;
    let found = find_files(&mut stdout, &[&debian, &native], MAX_CHANGELOG_BYTES)
        .map_err(|e| e.to_string())?;
    let read_whole = found.len() < 2;
    if read_whole {
        // The padding after the end-of-archive blocks, so dpkg-deb can finish writing.
        std::io::copy(&mut stdout, &mut std::io::sink()).map_err(|e| e.to_string())?;
    }
    // Closing the pipe ends a dpkg-deb that is still writing (SIGPIPE), with its helpers.
    drop(stdout);
    tarball.finish(read_whole)?;
    let Some((_, gz)) = found.iter().min_by_key(|(at, _)| *at) else {
        return Ok(None);
    };
    let limits = UnpackLimits {
        max_bytes: MAX_CHANGELOG_BYTES,
        ..UnpackLimits::default()
    };
    let text =
        decompress_within(&path.display().to_string(), gz, &limits).map_err(|e| e.to_string())?;
    Ok(Some(String::from_utf8_lossy(&text).into_owned()))
}

/// `dpkg-deb --fsys-tarfile PATH` running, killed and reaped when dropped.
struct DataTarball {
    child: Child,
    stdout: Option<std::process::ChildStdout>,
}

impl DataTarball {
    fn open(path: &Path) -> Result<DataTarball, String> {
        // `path` is absolute (confined to the repository), so it cannot read as an option.
        let mut child = Command::new("dpkg-deb")
            .arg("--fsys-tarfile")
            .arg(path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run dpkg-deb: {e}"))?;
        let stdout = child.stdout.take();
        Ok(DataTarball { child, stdout })
    }

    /// Waits for dpkg-deb, whose output pipe is closed. When the tarball was read to its end,
    /// a failure is an error; when reading stopped early, the closed pipe stopped it and its
    /// status does not matter.
    fn finish(&mut self, read_whole: bool) -> Result<(), String> {
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        let status = self.child.wait().map_err(|e| e.to_string())?;
        if read_whole && !status.success() {
            return Err(format!(
                "dpkg-deb --fsys-tarfile failed ({status}): {}",
                stderr.trim()
            ));
        }
        Ok(())
    }
}

impl Drop for DataTarball {
    fn drop(&mut self) {
        // Reaped already after `finish`; otherwise (an error while reading) stop it here.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(repo: &Path, suite: &str) -> ArchiveSelection {
        ArchiveSelection {
            repo: repo.to_path_buf(),
            suite: suite.to_string(),
            component: "main".into(),
            arch: "amd64".into(),
            ecosystem: "Debian:12".into(),
        }
    }

    #[test]
    fn suite_component_and_arch_are_single_directory_names() {
        let dir = tempfile::tempdir().expect("temporary directory");
        for suite in ["../../etc", "a/b", "..", "/abs", ""] {
            let error = build_from_archive(&selection(dir.path(), suite)).expect_err(suite);
            assert!(
                matches!(error, ArchiveError::NotAName { .. }),
                "{suite}: {error}"
            );
        }
    }

    #[test]
    fn a_missing_or_xz_only_index_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let error = build_from_archive(&selection(dir.path(), "s")).expect_err("no index");
        assert!(matches!(error, ArchiveError::NoIndex(_)), "{error}");
        let index_dir = dir.path().join("dists/s/main/binary-amd64");
        std::fs::create_dir_all(&index_dir).expect("dists");
        std::fs::write(index_dir.join("Packages.xz"), b"\xfd7zXZ\0").expect("xz");
        let error = build_from_archive(&selection(dir.path(), "s")).expect_err("xz only");
        assert!(error.to_string().contains("Packages.xz"), "{error}");
    }

    #[test]
    fn the_newest_source_version_and_the_binary_named_like_the_source_come_first() {
        let binary = |package: &str, source_version: &str, size| IndexedBinary {
            package: package.into(),
            version: source_version.into(),
            source: "openssl".into(),
            source_version: source_version.into(),
            filename: format!("pool/{package}_{source_version}.deb"),
            size,
        };
        let groups = by_source(vec![
            binary("libssl3", "3.0.22-1", 10),
            binary("openssl", "3.0.9-1", 5),
            binary("openssl", "3.0.22-1", 900),
            binary("libssl-dev", "3.0.22-1", 5),
        ]);
        let order: Vec<(&str, &str)> = groups["openssl"]
            .iter()
            .map(|b| (b.package.as_str(), b.source_version.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("openssl", "3.0.22-1"),
                ("libssl-dev", "3.0.22-1"),
                ("libssl3", "3.0.22-1"),
                ("openssl", "3.0.9-1")
            ]
        );
    }
}
