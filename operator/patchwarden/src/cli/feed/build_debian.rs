//! `patchwarden feed build-debian`: an OSV feed that matches exactly what a Debian or Ubuntu
//! mirror offers. Reads `REPO/dists/SUITE/COMPONENT/binary-ARCH/Packages` (or `.gz`), opens
//! one `.deb` per source package that is present (a partial mirror is normal), takes the CVE
//! ids, urgencies and dates from its changelog, and writes one OSV record per CVE as JSON Lines,
//! atomically. Stanzas with hostile names, versions or paths are skipped and reported on
//! standard error, never written.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use patchwarden_feeds::debian::{
    ArchiveFeed, ArchiveSelection, DEFAULT_ECOSYSTEM, build_from_archive,
};

/// Absent `.deb`s named one by one on standard error; the rest are counted.
const ABSENT_LISTED: usize = 10;

/// Arguments of `patchwarden feed build-debian`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The repository's root: the directory holding `dists/` and the `Filename:` paths.
    #[arg(long)]
    pub repo: PathBuf,
    /// The suite under `dists/` (`bookworm-security`).
    #[arg(long)]
    pub suite: String,
    /// The component.
    #[arg(long, default_value = "main")]
    pub component: String,
    /// The architecture.
    #[arg(long, default_value = "amd64")]
    pub arch: String,
    /// The OSV ecosystem of the records (`Debian:12`, `Debian:13`, …).
    #[arg(long, default_value = DEFAULT_ECOSYSTEM)]
    pub ecosystem: String,
    /// The JSON Lines file to write (replaced atomically).
    #[arg(long)]
    pub output: PathBuf,
}

/// Runs `patchwarden feed build-debian`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let selection = ArchiveSelection {
        repo: args.repo,
        suite: args.suite,
        component: args.component,
        arch: args.arch,
        ecosystem: args.ecosystem,
    };
    let feed = build_from_archive(&selection)
        .with_context(|| format!("reading the repository {}", selection.repo.display()))?;
    report_problems(&feed);
    let mut text = String::new();
    for record in &feed.advisories.records {
        text.push_str(&record.to_string());
        text.push('\n');
    }
    write_atomically(&args.output, text.as_bytes())
        .with_context(|| format!("writing {}", args.output.display()))?;
    println!("{}", summary(&feed, &args.output));
    Ok(ExitCode::SUCCESS)
}

/// The one-line summary.
fn summary(feed: &ArchiveFeed, output: &Path) -> String {
    format!(
        "{}: {} packages read ({} skipped), {} .debs read ({} absent), {} source changelogs; \
         {} advisories written to {}",
        feed.index.display(),
        feed.packages,
        feed.skipped.len(),
        feed.debs_read,
        feed.debs_absent.len(),
        feed.sources,
        feed.advisories.records.len(),
        output.display()
    )
}

/// Skipped stanzas and entries, absent `.deb`s and per-file problems, on standard error.
/// Values from the archive are printed quoted, so control characters cannot reach the
/// terminal.
fn report_problems(feed: &ArchiveFeed) {
    for skipped in &feed.skipped {
        eprintln!(
            "skipped Packages stanza {} ({:?}): {:?}",
            skipped.stanza,
            skipped.package.as_deref().unwrap_or("no Package field"),
            skipped.reason
        );
    }
    for skipped in &feed.advisories.skipped {
        eprintln!("skipped changelog entry: {skipped:?}");
    }
    for problem in &feed.problems {
        eprintln!("warning: {problem:?}");
    }
    if !feed.debs_absent.is_empty() {
        let listed: Vec<String> = feed
            .debs_absent
            .iter()
            .take(ABSENT_LISTED)
            .map(|f| format!("{f:?}"))
            .collect();
        let more = feed.debs_absent.len().saturating_sub(ABSENT_LISTED);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        eprintln!(
            "{} .debs of the index are not in the repository (a partial mirror): {}{more}",
            feed.debs_absent.len(),
            listed.join(", ")
        );
    }
}

/// Writes `bytes` to a new temporary file beside `path`, flushes it to disk and renames it
/// over `path`, so readers see the old feed or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "feed".into());
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file: File = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}
