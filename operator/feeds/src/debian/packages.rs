//! A Debian repository's `Packages` index (deb822 stanzas) into the binary packages it offers:
//! name, version, source package and source version, the `.deb`'s path and size. Names,
//! versions and paths come from the archive and are untrusted: a stanza whose name or version
//! is not what Debian policy allows, or whose `Filename:` leaves the repository, is skipped
//! with its reason.

use std::path::{Component, Path};

use patchwarden_core::inventory::dpkg::{field, paragraphs};
use patchwarden_lab::names::{validate_package_name, validate_version};

/// One binary package of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedBinary {
    /// `Package:`.
    pub package: String,
    /// `Version:`.
    pub version: String,
    /// The source package: `Source:`, or the binary's own name when there is none.
    pub source: String,
    /// The source version: the one `Source: name (version)` gives, else the binary's.
    pub source_version: String,
    /// `Filename:`, relative to the repository's root.
    pub filename: String,
    /// `Size:` in bytes (0 when absent or not a number).
    pub size: u64,
}

/// A stanza left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedStanza {
    /// The stanza's number in the index (1-based).
    pub stanza: usize,
    /// The `Package:` value as written, if any.
    pub package: Option<String>,
    /// Why it was left out.
    pub reason: String,
}

/// What an index holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackagesIndex {
    /// The usable binaries, in index order.
    pub binaries: Vec<IndexedBinary>,
    /// The stanzas left out.
    pub skipped: Vec<SkippedStanza>,
}

/// Reads a `Packages` index.
pub fn parse_packages(text: &str) -> PackagesIndex {
    let mut index = PackagesIndex::default();
    for (number, stanza) in paragraphs(text).enumerate() {
        match binary(stanza) {
            Ok(binary) => index.binaries.push(binary),
            Err(reason) => index.skipped.push(SkippedStanza {
                stanza: number + 1,
                package: field(stanza, "Package").map(str::to_string),
                reason,
            }),
        }
    }
    index
}

fn binary(stanza: &str) -> Result<IndexedBinary, String> {
    let required = |name: &str| {
        field(stanza, name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("no `{name}:` field"))
    };
    let package = required("Package")?;
    let version = required("Version")?;
    let filename = required("Filename")?;
    validate_package_name(package).map_err(|e| format!("Package: {e}"))?;
    validate_version(version).map_err(|e| format!("Version: {e}"))?;
    check_relative_path(filename).map_err(|e| format!("Filename: {e}"))?;
    let (source, source_version) = match field(stanza, "Source") {
        Some(value) => parse_source(value)?,
        None => (package.to_string(), None),
    };
    Ok(IndexedBinary {
        package: package.to_string(),
        version: version.to_string(),
        source,
        source_version: source_version.unwrap_or_else(|| version.to_string()),
        filename: filename.to_string(),
        size: field(stanza, "Size")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
    })
}

/// `Source: name` or `Source: name (version)`, both validated.
fn parse_source(value: &str) -> Result<(String, Option<String>), String> {
    let (name, version) = match value.split_once('(') {
        Some((name, rest)) => {
            let version = rest
                .strip_suffix(')')
                .ok_or_else(|| format!("Source: `{value}` lacks its closing parenthesis"))?;
            (name.trim(), Some(version.trim()))
        }
        None => (value.trim(), None),
    };
    validate_package_name(name).map_err(|e| format!("Source: {e}"))?;
    if let Some(version) = version {
        validate_version(version).map_err(|e| format!("Source: {e}"))?;
    }
    Ok((name.to_string(), version.map(str::to_string)))
}

/// A `Filename:` must stay inside the repository: relative, only normal components.
fn check_relative_path(filename: &str) -> Result<(), String> {
    let path = Path::new(filename);
    let normal = path.components().all(|c| matches!(c, Component::Normal(_)));
    if normal && !filename.is_empty() && !filename.contains('\\') {
        Ok(())
    } else {
        Err(format!("`{filename}` is not a path inside the repository"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "\
Package: libssl3
Source: openssl
Version: 3.0.22-1~deb12u2
Architecture: amd64
Filename: pool/updates/main/o/openssl/libssl3_3.0.22-1~deb12u2_amd64.deb
Size: 2031

Package: openssl
Version: 3.0.22-1~deb12u2
Filename: pool/updates/main/o/openssl/openssl_3.0.22-1~deb12u2_amd64.deb
Size: 1400000

Package: inetutils-ping
Source: inetutils (2:2.4-2+deb12u3)
Version: 2:2.4-2+deb12u3+b1
Filename: pool/updates/main/i/inetutils/inetutils-ping_2.4-2+deb12u3+b1_amd64.deb

Package: openssl;touch /tmp/x
Version: 1.0-1
Filename: pool/x.deb

Package: evil
Version: $(id)
Filename: pool/evil.deb

Package: escape
Version: 1.0-1
Filename: ../../etc/passwd

Package: rooted
Version: 1.0-1
Filename: /etc/passwd

Package: badsource
Source: Bad Source
Version: 1.0-1
Filename: pool/b.deb

Package: nofile
Version: 1.0-1
";

    #[test]
    fn valid_stanzas_become_binaries_with_their_source() {
        let index = parse_packages(INDEX);
        let names: Vec<&str> = index.binaries.iter().map(|b| b.package.as_str()).collect();
        assert_eq!(names, ["libssl3", "openssl", "inetutils-ping"]);
        assert_eq!(index.binaries[0].source, "openssl");
        assert_eq!(index.binaries[0].source_version, "3.0.22-1~deb12u2");
        assert_eq!(index.binaries[0].size, 2031);
        assert_eq!(index.binaries[1].source, "openssl");
        assert_eq!(index.binaries[2].source, "inetutils");
        assert_eq!(index.binaries[2].source_version, "2:2.4-2+deb12u3");
        assert_eq!(index.binaries[2].version, "2:2.4-2+deb12u3+b1");
    }

    #[test]
    fn hostile_names_versions_and_paths_are_skipped_with_reasons() {
        let index = parse_packages(INDEX);
        let skipped: Vec<(usize, Option<&str>)> = index
            .skipped
            .iter()
            .map(|s| (s.stanza, s.package.as_deref()))
            .collect();
        assert_eq!(
            skipped,
            [
                (4, Some("openssl;touch /tmp/x")),
                (5, Some("evil")),
                (6, Some("escape")),
                (7, Some("rooted")),
                (8, Some("badsource")),
                (9, Some("nofile")),
            ]
        );
        assert!(index.skipped[0].reason.starts_with("Package:"));
        assert!(index.skipped[1].reason.starts_with("Version:"));
        assert!(index.skipped[2].reason.contains("inside the repository"));
        assert!(index.skipped[4].reason.starts_with("Source:"));
        assert!(index.skipped[5].reason.contains("Filename"));
    }
}
