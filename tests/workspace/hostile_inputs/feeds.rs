//! Feeds read as a `VulnerabilityFeed` source is: the bytes written to a file and loaded with
//! `load_source` (gzip and zip unpacked, the digest checked, each document's kind detected
//! and parsed). Accepted loads are summarised as `kind=records` per document (with the zip
//! entry and the skipped parts), refusals by their `LoadError` variant, record and field.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use patchwarden_core::index::FeedSet;
use patchwarden_feeds::{FeedSource, LoadError, LoadedSource, load_source};

use super::{Case, Expect, check, err};

/// A feed file's bytes and the digest its source declares.
pub struct FeedInput {
    pub bytes: Vec<u8>,
    pub sha256: Option<String>,
}

/// A feed file holding `bytes`, with no declared digest.
pub fn bytes(bytes: impl Into<Vec<u8>>) -> FeedInput {
    FeedInput {
        bytes: bytes.into(),
        sha256: None,
    }
}

/// The outcome of loading `input` from a new file under `dir`.
fn observe(dir: &Path, counter: &AtomicUsize, input: &FeedInput) -> Expect {
    let path = dir.join(format!("feed-{}", counter.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&path, &input.bytes).expect("write the feed");
    let location = path.display().to_string();
    let source = FeedSource {
        location: location.clone(),
        expected_sha256: input.sha256.clone(),
    };
    match load_source(&source, &mut FeedSet::default()) {
        Ok(loaded) => Expect::Ok(summary(&location, &loaded)),
        Err(error) => refusal(&location, &error),
    }
}

/// `kind=records` per document, with its zip entry and skipped parts.
fn summary(location: &str, loaded: &LoadedSource) -> String {
    if loaded.documents.is_empty() {
        return "no documents".to_string();
    }
    loaded
        .documents
        .iter()
        .map(|d| {
            let entry = d.name.strip_prefix(location).unwrap_or(&d.name);
            let skipped: String = d.skipped.iter().map(|s| format!(" skipped[{s}]")).collect();
            format!("{}={}{entry}{skipped}", d.kind, d.records)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error's variant, record and field; the message with the file shown as `<file>`.
pub fn refusal(location: &str, error: &LoadError) -> Expect {
    let (variant, record, field) = match error {
        LoadError::Io { .. } => ("Io".to_string(), None, String::new()),
        LoadError::Http { .. } => ("Http".to_string(), None, String::new()),
        LoadError::DigestMismatch { .. } => ("DigestMismatch".to_string(), None, String::new()),
        LoadError::Archive { format, .. } => ("Archive".to_string(), None, format.to_string()),
        LoadError::TooLarge { .. } => ("TooLarge".to_string(), None, String::new()),
        LoadError::TooManyEntries { .. } => ("TooManyEntries".to_string(), None, String::new()),
        LoadError::TooDeep { .. } => ("TooDeep".to_string(), None, String::new()),
        LoadError::Refused { .. } => ("Refused".to_string(), None, String::new()),
        LoadError::NotText { .. } => ("NotText".to_string(), None, String::new()),
        LoadError::UnknownKind { .. } => ("UnknownKind".to_string(), None, String::new()),
        LoadError::Feed { kind, error, .. } => (
            format!("Feed {kind}"),
            Some(error.record),
            error.field.clone(),
        ),
        LoadError::Inventory { format, error, .. } => (
            format!("Inventory {format}"),
            Some(error.record),
            error.field.to_string(),
        ),
        LoadError::UnknownInventory { .. } => ("UnknownInventory".to_string(), None, String::new()),
    };
    err(
        variant,
        record,
        field,
        error.to_string().replace(location, "<file>"),
    )
}

fn run(domain: &str, cases: &[Case<FeedInput>]) -> usize {
    let dir = tempfile::tempdir().expect("tempdir");
    let counter = AtomicUsize::new(0);
    check(domain, cases, |input| observe(dir.path(), &counter, input))
}

#[test]
fn hostile_osv_documents_get_their_exact_error() {
    assert!(run("osv", &super::osv_cases::osv()) >= 40);
}

#[test]
fn hostile_kev_catalogs_get_their_exact_error() {
    assert!(run("kev", &super::kev_epss_cases::kev()) >= 15);
}

#[test]
fn hostile_epss_tables_get_their_exact_error() {
    assert!(run("epss", &super::kev_epss_cases::epss()) >= 15);
}

#[test]
fn hostile_debian_tracker_lists_get_their_exact_error() {
    assert!(
        run(
            "debian tracker",
            &super::distro_feed_cases::debian_tracker()
        ) >= 15
    );
}

#[test]
fn hostile_alpine_secdbs_get_their_exact_error() {
    assert!(run("alpine secdb", &super::distro_feed_cases::alpine()) >= 15);
}

#[test]
fn hostile_archives_and_digests_get_their_exact_error() {
    assert!(run("archives", &super::feed_archives::cases()) >= 12);
}
