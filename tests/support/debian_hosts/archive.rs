//! Reading Debian's archive metadata: the machine's apt sources (which mirror to use), a
//! signed `InRelease` (index hashes, expiry), a `Packages` index (where each .deb lives) and
//! apt's simulated upgrade (which packages are pending). Pure functions over text.

use chrono::{DateTime, Utc};

/// One package of the root with a newer version in bookworm-security.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpgrade {
    /// The binary package (`libssl3`).
    pub package: String,
    /// The version installed in the root.
    pub installed: String,
    /// The version bookworm-security offers.
    pub candidate: String,
    /// The source package it is built from (`openssl` for `libssl3`).
    pub source: String,
}

/// The Debian archive URI of a deb822 sources file (`debian.sources`): the first `URIs:` of a
/// stanza that is not the security archive.
pub fn archive_uri_from_deb822(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("URIs:"))
        .flat_map(str::split_whitespace)
        .find(|uri| !uri.contains("debian-security"))
        .map(|uri| uri.trim_end_matches('/').to_string())
}

/// The Debian archive URI of a one-line sources file (`sources.list`): the URI of the first
/// `deb` line that is not the security archive. Options in brackets are skipped.
pub fn archive_uri_from_one_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .filter_map(|line| line.strip_prefix("deb "))
        .filter_map(|rest| {
            let rest = rest.trim_start();
            let rest = match rest.strip_prefix('[') {
                Some(options) => options.split_once(']')?.1,
                None => rest,
            };
            rest.split_whitespace().next()
        })
        .find(|uri| !uri.contains("debian-security"))
        .map(|uri| uri.trim_end_matches('/').to_string())
}

/// The security archive beside a Debian archive: `…/debian` → `…/debian-security`.
pub fn security_uri(archive: &str) -> String {
    let base = archive.strip_suffix("/debian").unwrap_or(archive);
    format!("{base}/debian-security")
}

/// The SHA256 and size that a `Release`/`InRelease` lists for `path` (`main/binary-amd64/Packages.xz`).
pub fn release_sha256(release: &str, path: &str) -> Option<(String, u64)> {
    let mut in_sha256 = false;
    for line in release.lines() {
        if !line.starts_with(' ') {
            in_sha256 = line.trim_end() == "SHA256:";
            continue;
        }
        if !in_sha256 {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [hash, size, name] = fields[..]
            && name == path
        {
            return Some((hash.to_string(), size.parse().ok()?));
        }
    }
    None
}

/// The `Valid-Until:` of a `Release`/`InRelease`: after it, apt refuses the archive.
pub fn valid_until(release: &str) -> Option<DateTime<Utc>> {
    release
        .lines()
        .find_map(|line| line.strip_prefix("Valid-Until:"))
        .and_then(|date| {
            // Debian writes the zone as `UTC`, which RFC 2822 (and chrono) spell `+0000`.
            let date = date.trim();
            let date = date
                .strip_suffix(" UTC")
                .map_or(date.to_string(), |d| format!("{d} +0000"));
            DateTime::parse_from_rfc2822(&date).ok()
        })
        .map(|date| date.with_timezone(&Utc))
}

/// The field `name` of the stanza of `package` at `version` in a `Packages` index.
pub fn packages_field(packages: &str, package: &str, version: &str, name: &str) -> Option<String> {
    packages.split("\n\n").find_map(|stanza| {
        let field = |name: &str| {
            stanza
                .lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .map(str::trim)
        };
        (field("Package") == Some(package) && field("Version") == Some(version))
            .then(|| field(name).map(str::to_string))
            .flatten()
    })
}

/// The source package of `package` at `version`: its `Source:` without a version in
/// parentheses, or the package itself when the stanza has none.
pub fn packages_source(packages: &str, package: &str, version: &str) -> String {
    packages_field(packages, package, version, "Source")
        .and_then(|source| source.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| package.to_string())
}

/// The upgrades of a simulated `apt-get -s upgrade`: its `Inst PKG [OLD] (NEW …)` lines.
/// Lines without an installed version (new packages) are not upgrades.
pub fn pending_upgrades(simulation: &str) -> Vec<PendingUpgrade> {
    simulation
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("Inst ")?;
            let (package, rest) = rest.split_once(' ')?;
            let (installed, rest) = rest.strip_prefix('[')?.split_once("] (")?;
            let candidate = rest.split_whitespace().next()?;
            Some(PendingUpgrade {
                package: package.to_string(),
                installed: installed.to_string(),
                candidate: candidate.to_string(),
                // The simulation does not say; the index does (`packages_source`).
                source: String::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_uri_comes_from_the_first_non_security_source() {
        let deb822 = "Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\n\
            URIs: http://deb.debian.org/debian/\nSuites: bookworm\n\n\
            Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n";
        assert_eq!(
            archive_uri_from_deb822(deb822).as_deref(),
            Some("http://deb.debian.org/debian")
        );
        let list = "# comment\ndeb http://security.debian.org/debian-security bookworm-security main\n\
            deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n";
        assert_eq!(
            archive_uri_from_one_line(list).as_deref(),
            Some("http://mirror.example/debian")
        );
        assert_eq!(
            archive_uri_from_one_line("deb-src http://x/debian b main\n"),
            None
        );
        assert_eq!(
            security_uri("http://deb.debian.org/debian"),
            "http://deb.debian.org/debian-security"
        );
    }

    #[test]
    fn release_hashes_are_read_from_the_sha256_section_only() {
        let release = "Origin: Debian\nValid-Until: Sat, 12 Dec 2026 03:33:28 UTC\nMD5Sum:\n \
            0123 386328 main/binary-amd64/Packages.xz\nSHA256:\n \
            aaaa 2584840 main/binary-amd64/Packages\n \
            bbbb 386328 main/binary-amd64/Packages.xz\n";
        assert_eq!(
            release_sha256(release, "main/binary-amd64/Packages.xz"),
            Some(("bbbb".to_string(), 386_328))
        );
        assert_eq!(release_sha256(release, "main/binary-arm64/Packages"), None);
        assert_eq!(
            valid_until(release).map(|d| d.to_rfc3339()),
            Some("2026-12-12T03:33:28+00:00".to_string())
        );
        assert_eq!(valid_until("Origin: Debian\n"), None);
    }

    #[test]
    fn index_fields_match_package_and_version_not_file_names() {
        let packages = "Package: zlib1g\nSource: zlib\nVersion: 1:1.2.13.dfsg-1+deb12u1\n\
            Filename: pool/updates/main/z/zlib/zlib1g_1.2.13.dfsg-1+deb12u1_amd64.deb\n\n\
            Package: zlib1g-dev\nVersion: 1:1.2.13.dfsg-1+deb12u1\nFilename: pool/x.deb\n";
        assert_eq!(
            packages_field(packages, "zlib1g", "1:1.2.13.dfsg-1+deb12u1", "Filename").as_deref(),
            Some("pool/updates/main/z/zlib/zlib1g_1.2.13.dfsg-1+deb12u1_amd64.deb")
        );
        let filename =
            |package: &str, version: &str| packages_field(packages, package, version, "Filename");
        assert_eq!(filename("zlib1g", "1:1.2.13"), None);
        assert_eq!(filename("zlib", "1:1.2.13.dfsg-1+deb12u1"), None);
        assert_eq!(
            packages_source(packages, "zlib1g", "1:1.2.13.dfsg-1+deb12u1"),
            "zlib"
        );
        assert_eq!(
            packages_source(packages, "zlib1g-dev", "1:1.2.13.dfsg-1+deb12u1"),
            "zlib1g-dev"
        );
        let binnmu = "Package: libx\nSource: x (1.0-1)\nVersion: 1.0-1+b1\n";
        assert_eq!(packages_source(binnmu, "libx", "1.0-1+b1"), "x");
    }

    #[test]
    fn pending_upgrades_are_the_inst_lines_with_an_installed_version() {
        let simulation = "Reading package lists...\n\
            Inst libssl3 [3.0.20-1~deb12u2] (3.0.22-1~deb12u2 Debian-Security:12/oldstable-security [amd64])\n\
            Inst libpam-modules-bin [1.5.2-6+deb12u2] (1.5.2-6+deb12u3 Debian-Security:12/oldstable-security [amd64]) [libpam-modules:amd64 ]\n\
            Inst newpkg (1.0 Debian:12 [amd64])\n\
            Conf libssl3 (3.0.22-1~deb12u2 Debian-Security:12/oldstable-security [amd64])\n";
        assert_eq!(
            pending_upgrades(simulation),
            vec![
                PendingUpgrade {
                    package: "libssl3".into(),
                    installed: "3.0.20-1~deb12u2".into(),
                    candidate: "3.0.22-1~deb12u2".into(),
                    source: String::new(),
                },
                PendingUpgrade {
                    package: "libpam-modules-bin".into(),
                    installed: "1.5.2-6+deb12u2".into(),
                    candidate: "1.5.2-6+deb12u3".into(),
                    source: String::new(),
                },
            ]
        );
    }
}
