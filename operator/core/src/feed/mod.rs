//! Feed parsers: pure functions from a feed's text to the advisory model, KEV catalog or
//! EPSS table. Reading files, archives and URLs is the shell's job; errors here name the
//! record (and its id when known) and the field, and the shell adds the file.

pub mod alpine_secdb;
pub mod debian_tracker;
pub mod epss;
pub mod kev;
pub mod osv;

use std::fmt;

/// Which feed a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedKind {
    /// OSV records (one JSON object, an array, or JSON Lines).
    Osv,
    /// Debian security tracker `DSA/list` or `DLA/list`.
    DebianTracker,
    /// Alpine secdb (JSON or YAML).
    AlpineSecdb,
    /// CISA Known Exploited Vulnerabilities catalog.
    Kev,
    /// FIRST EPSS scores (CSV).
    Epss,
}

impl FeedKind {
    /// Recognises a feed from the start of its text.
    pub fn detect(text: &str) -> Option<FeedKind> {
        let head: String = text.trim_start().chars().take(4096).collect();
        if head.starts_with('#') && head.contains("model_version") || head.starts_with("cve,epss") {
            return Some(FeedKind::Epss);
        }
        if head.starts_with('[') && head.as_bytes().get(1) != Some(&b'{') && head.contains("] D") {
            return Some(FeedKind::DebianTracker);
        }
        if head.contains("\"catalogVersion\"")
            || head.contains("\"vulnerabilities\"") && head.contains("\"cveID\"")
        {
            return Some(FeedKind::Kev);
        }
        if head.contains("secfixes") || head.contains("distroversion") {
            return Some(FeedKind::AlpineSecdb);
        }
        if head.starts_with('{') || head.starts_with('[') {
            return Some(FeedKind::Osv);
        }
        None
    }

    /// The kind's name.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Osv => "osv",
            FeedKind::DebianTracker => "debian-tracker",
            FeedKind::AlpineSecdb => "alpine-secdb",
            FeedKind::Kev => "kev",
            FeedKind::Epss => "epss",
        }
    }
}

impl fmt::Display for FeedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A feed record that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {record}{}, field {field}: {reason}", id.as_ref().map(|i| format!(" ({i})")).unwrap_or_default())]
pub struct FeedError {
    /// 1-based record number (line for line-oriented feeds; 0 for the document as a whole).
    pub record: usize,
    /// The record's id, when it was read before the error.
    pub id: Option<String>,
    /// The field at fault.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl FeedError {
    pub(crate) fn new(
        record: usize,
        id: Option<&str>,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        FeedError {
            record,
            id: id.map(str::to_string),
            field: field.into(),
            reason: reason.into(),
        }
    }
}
