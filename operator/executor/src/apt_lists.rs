//! apt's lists directory: the release files apt fetched (`*_InRelease`, or `*_Release` of a
//! flat repository marked trusted), of which only the `Date:`, `Suite:` and `Codename:` header
//! fields are read, and how a repository's URI names its files there. Pure functions.

use crate::apt_policy::{PackageFile, parse_package_files, parse_policy};
use crate::host_sources::{HostSources, PackageOrigin, RepositoryRelease};

/// The header fields read from a release file; everything else in it is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReleaseHeader {
    pub suite: Option<String>,
    pub codename: Option<String>,
    pub date: Option<String>,
}

/// Reads `Suite:`, `Codename:` and `Date:` from the first paragraph of a Release file or of
/// the signed text of a clearsigned InRelease (the armour line and its `Hash:` lines skipped).
pub fn parse_release_header(text: &str) -> ReleaseHeader {
    let mut header = ReleaseHeader::default();
    let mut lines = text.lines().peekable();
    if lines
        .peek()
        .is_some_and(|l| l.trim_end() == "-----BEGIN PGP SIGNED MESSAGE-----")
    {
        lines.next();
        // Armour headers (`Hash: SHA512`) end at the first empty line.
        for line in lines.by_ref() {
            if line.trim().is_empty() {
                break;
            }
        }
    }
    for line in lines {
        if line.trim().is_empty() || line.starts_with("-----BEGIN PGP SIGNATURE") {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((field, value)) = line.split_once(':') else {
            continue;
        };
        let value = Some(value.trim().to_string()).filter(|v| !v.is_empty());
        match field {
            "Suite" => header.suite = value,
            "Codename" => header.codename = value,
            "Date" => header.date = value,
            _ => {}
        }
    }
    header
}

/// The name stem apt gives a repository's files in its lists directory (apt's
/// `URItoFileName`): the URI of the release directory without scheme and credentials, special
/// characters %-quoted, `/` turned into `_`. `file:/srv/repo` `./` → `_srv_repo_._`;
/// `http://deb.debian.org/debian` `bookworm` → `deb.debian.org_debian_dists_bookworm_`.
pub fn list_file_stem(uri: &str, dist: &str) -> String {
    let base = uri.trim_end_matches('/');
    let directory = if dist.ends_with('/') {
        // A flat repository: the release file sits in the named directory.
        format!("{base}/{dist}")
    } else {
        format!("{base}/dists/{dist}/")
    };
    let without_scheme = match directory.split_once(':') {
        Some((scheme, rest)) if !scheme.contains('/') => rest,
        _ => directory.as_str(),
    };
    let without_slashes = without_scheme.trim_start_matches("//");
    let host_part_end = without_slashes.find('/').unwrap_or(without_slashes.len());
    let (authority, path) = without_slashes.split_at(host_part_end);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let mut stem = String::new();
    for c in format!("{authority}{path}").chars() {
        if c == '/' {
            stem.push('_');
        } else if c <= ' ' || !c.is_ascii() || "\\|{}[]<>\"^~_=!@#$%&*".contains(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                stem.push_str(&format!("%{b:02x}"));
            }
        } else {
            stem.push(c);
        }
    }
    stem
}

/// A release file from the lists directory: its file name and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRelease {
    pub file_name: String,
    pub text: String,
}

/// The repository record of a package file: its release file's header when one is listed
/// (an `InRelease` preferred over a bare `Release`), else apt's own attributes.
pub fn repository_release(file: &PackageFile, releases: &[ListedRelease]) -> RepositoryRelease {
    let stem = list_file_stem(&file.origin.uri, &file.origin.dist);
    let find = |suffix: &str| {
        releases
            .iter()
            .find(|r| r.file_name == format!("{stem}{suffix}"))
    };
    let (listed, signed) = match (find("InRelease"), find("Release")) {
        (Some(r), _) => (Some(r), true),
        (None, Some(r)) => (Some(r), false),
        (None, None) => (None, false),
    };
    let header = listed
        .map(|r| parse_release_header(&r.text))
        .unwrap_or_default();
    RepositoryRelease {
        uri: file.origin.uri.clone(),
        dist: file.origin.dist.clone(),
        suite: header.suite.or_else(|| file.archive.clone()),
        codename: header.codename.or_else(|| file.codename.clone()),
        date: header.date,
        signed,
    }
}

/// The host's sources from `apt-cache policy -- PKG…` (`policy`), `apt-cache policy`
/// (`package_files`) and the release files of its lists directory. A repository appears once
/// however many components or architectures it has.
pub fn host_sources(
    asset: &str,
    policy: &str,
    package_files: &str,
    releases: &[ListedRelease],
) -> HostSources {
    let mut repositories: Vec<RepositoryRelease> = Vec::new();
    for file in parse_package_files(package_files) {
        let same = |r: &RepositoryRelease| same_repository(r, &file.origin);
        if !repositories.iter().any(same) {
            repositories.push(repository_release(&file, releases));
        }
    }
    HostSources {
        asset: asset.to_string(),
        packages: parse_policy(policy),
        repositories,
    }
}

fn same_repository(repository: &RepositoryRelease, origin: &PackageOrigin) -> bool {
    repository.uri == origin.uri && repository.dist == origin.dist
}

/// Whether a lists file name is a release file this module reads.
pub fn is_release_file(file_name: &str) -> bool {
    file_name.ends_with("_InRelease") || file_name.ends_with("_Release")
}

#[cfg(test)]
#[path = "apt_lists_tests.rs"]
mod tests;
