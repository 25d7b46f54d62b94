//! An OSV feed built from a Debian-format repository's own data: the `Packages` index gives
//! the source packages and their `.deb`s, and the changelog inside each `.deb` names, per
//! upload, the CVE ids fixed, the upload's urgency and its date.

pub mod advisories;
pub mod archive;
pub mod changelog;
pub mod packages;
pub mod tar;

pub use advisories::{BuiltAdvisories, DEFAULT_ECOSYSTEM, SourceChangelog, build_advisories};
pub use archive::{ArchiveError, ArchiveFeed, ArchiveSelection, build_from_archive};
pub use changelog::{ChangelogEntry, ChangelogError, parse_changelog, parse_changelog_prefix};
pub use packages::{IndexedBinary, PackagesIndex, SkippedStanza, parse_packages};
