//! What the host's package sources offer: per package the installed and candidate versions and
//! the candidate's origin, and per repository the header fields of its release file. Read from
//! apt (`apt-cache policy`, the lists directory) by the executors.

/// Where apt would install a package version from: one line of `apt-cache policy`'s version
/// table (`500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackageOrigin {
    /// The archive URI (`http://deb.debian.org/debian-security`, `file:/srv/mirror`).
    pub uri: String,
    /// The distribution as the source line names it (`bookworm-security`, or `./` for a flat
    /// repository).
    pub dist: String,
    /// The component (`main`); none for a flat repository.
    pub component: Option<String>,
}

/// What the host's sources offer for one package, as `apt-cache policy` shows it. Packages apt
/// does not know have no entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackageSource {
    pub package: String,
    /// The installed version; none when not installed.
    pub installed: Option<String>,
    /// The version `apt-get install` would pick; none when no source offers one.
    pub candidate: Option<String>,
    /// Where the candidate comes from; none when only the dpkg database has it.
    pub origin: Option<PackageOrigin>,
}

/// One repository the host fetched, with the header fields of its release file in apt's lists
/// directory (nothing else of that file is read).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RepositoryRelease {
    /// The archive URI.
    pub uri: String,
    /// The distribution as the source line names it.
    pub dist: String,
    /// The release file's `Suite:`, else apt's archive name for it (`a=`).
    pub suite: Option<String>,
    /// The release file's `Codename:`, else apt's codename for it (`n=`).
    pub codename: Option<String>,
    /// The release file's `Date:` (RFC 2822 text as published).
    pub date: Option<String>,
    /// True for a clearsigned `InRelease` (apt keeps one in its lists only once verified);
    /// false for a bare `Release`, which apt accepts only from a source marked trusted.
    pub signed: bool,
}

/// The host's view of its package sources for a set of packages.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct HostSources {
    pub asset: String,
    pub packages: Vec<PackageSource>,
    pub repositories: Vec<RepositoryRelease>,
}

impl HostSources {
    /// What the sources offer for `package`; none when apt does not know it.
    pub fn package(&self, package: &str) -> Option<&PackageSource> {
        self.packages.iter().find(|p| p.package == package)
    }

    /// The repository a package origin points at.
    pub fn repository(&self, origin: &PackageOrigin) -> Option<&RepositoryRelease> {
        self.repositories
            .iter()
            .find(|r| r.uri == origin.uri && r.dist == origin.dist)
    }
}
