//! Debian changelogs (`debian/changelog`, shipped as `/usr/share/doc/PKG/changelog.Debian.gz`)
//! into their entries, newest first: source, version, distributions, urgency, the trailer's
//! RFC 2822 date and the CVE ids the entry's text names.
//!
//! The format is Debian policy §4.4:
//!
//! ```text
//! openssl (3.0.22-1~deb12u2) bookworm-security; urgency=high
//!
//!   * Fix CVE-2026-35189 and
//!     CVE-2026-35190.
//!
//!  -- Maintainer Name <maint@example.org>  Wed, 21 Oct 2026 16:54:24 +0700
//! ```
//!
//! Like `dpkg-parsechangelog`, reading stops at the trailing editor settings (`Local
//! variables:`, `vim:`) and at an `Old Changelog:` section, and skips `# ` comment lines.

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset};

/// One upload in a changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangelogEntry {
    /// The source package the header names.
    pub source: String,
    /// The upload's version, epoch included (`1:2.38.1-5+deb12u3`).
    pub version: String,
    /// The distributions the upload targets, space-separated (`bookworm-security`).
    pub distribution: String,
    /// The `urgency=` value, lower case (`high`); `None` when the header has none.
    pub urgency: Option<String>,
    /// The trailer's date as written.
    pub date: String,
    /// The trailer's date.
    pub time: DateTime<FixedOffset>,
    /// The vulnerability ids the entry's text names: CVE ids (upper case) and GitHub advisory
    /// ids (`GHSA-xxxx-xxxx-xxxx`, which some security uploads name instead of a CVE), sorted
    /// and without duplicates.
    pub vulnerability_ids: Vec<String>,
    /// The entry's text lines (between header and trailer), blank lines left out.
    pub lines: Vec<String>,
    /// The header's line number (1-based).
    pub line: usize,
}

/// A changelog that does not follow the format, at `line` (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("changelog line {line}: {problem}")]
pub struct ChangelogError {
    /// The offending line.
    pub line: usize,
    /// What is wrong with it.
    pub problem: ChangelogProblem,
}

/// What is wrong with a changelog line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangelogProblem {
    #[error("expected an entry header `source (version) distribution; urgency=…`, found {0:?}")]
    Header(String),
    #[error("malformed trailer line (expected ` -- Name <email>  date`): {0:?}")]
    Trailer(String),
    #[error("the trailer's date {0:?} is not an RFC 2822 date")]
    Date(String),
    #[error("the entry that starts on line {0} has no trailer line")]
    MissingTrailer(usize),
}

/// Parses a whole changelog; the first malformed line is an error.
pub fn parse_changelog(text: &str) -> Result<Vec<ChangelogEntry>, ChangelogError> {
    match parse_changelog_prefix(text) {
        (entries, None) => Ok(entries),
        (_, Some(error)) => Err(error),
    }
}

/// Parses a changelog up to its first malformed line: the entries before it, and the error.
/// Security fixes are in the newest entries, at the top, so a malformed entry far down (old
/// changelogs have some) need not cost the ones above it.
pub fn parse_changelog_prefix(text: &str) -> (Vec<ChangelogEntry>, Option<ChangelogError>) {
    let mut entries = Vec::new();
    let mut open: Option<(Header, usize, Vec<String>)> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim_end();
        let step = match open.take() {
            None => read_outside_entry(line, number).map(|header| {
                open = header.map(|h| (h, number, Vec::new()));
                None
            }),
            Some((header, start, mut body)) => read_inside_entry(line, number, start, &mut body)
                .map(|trailer| match trailer {
                    Some(trailer) => Some(finish_entry(header, start, body, trailer)),
                    None => {
                        open = Some((header, start, body));
                        None
                    }
                }),
        };
        match step {
            Ok(Some(entry)) => entries.push(entry),
            Ok(None) if is_end_marker(line) && open.is_none() => break,
            Ok(None) => {}
            Err(error) => return (entries, Some(error)),
        }
    }
    let error = open.map(|(_, start, _)| ChangelogError {
        line: start,
        problem: ChangelogProblem::MissingTrailer(start),
    });
    (entries, error)
}

/// The fields of an entry's header line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Header {
    source: String,
    version: String,
    distribution: String,
    urgency: Option<String>,
}

/// The date of an entry's trailer line.
struct Trailer {
    date: String,
    time: DateTime<FixedOffset>,
}

/// A line between entries: blank, a comment, an end marker, or the next header.
fn read_outside_entry(line: &str, number: usize) -> Result<Option<Header>, ChangelogError> {
    if line.trim().is_empty() || is_comment(line) || is_end_marker(line) {
        return Ok(None);
    }
    parse_header(line).map(Some).ok_or_else(|| ChangelogError {
        line: number,
        problem: ChangelogProblem::Header(line.to_string()),
    })
}

/// A line inside the entry that started at `start`: text (kept in `body`) or its trailer.
fn read_inside_entry(
    line: &str,
    number: usize,
    start: usize,
    body: &mut Vec<String>,
) -> Result<Option<Trailer>, ChangelogError> {
    let error = |problem| ChangelogError {
        line: number,
        problem,
    };
    if line.starts_with(" --") || line.starts_with("--") {
        return parse_trailer(line).map(Some).map_err(error);
    }
    if line.trim().is_empty() {
        return Ok(None);
    }
    if !line.starts_with([' ', '\t']) {
        // A new header (or other text) at the margin before this entry's trailer.
        return Err(error(ChangelogProblem::MissingTrailer(start)));
    }
    body.push(line.to_string());
    Ok(None)
}

fn finish_entry(
    header: Header,
    start: usize,
    lines: Vec<String>,
    trailer: Trailer,
) -> ChangelogEntry {
    let mut vulnerability_ids = cve_ids(lines.iter().map(String::as_str));
    vulnerability_ids.extend(ghsa_ids(lines.iter().map(String::as_str)));
    vulnerability_ids.sort();
    vulnerability_ids.dedup();
    ChangelogEntry {
        source: header.source,
        version: header.version,
        distribution: header.distribution,
        urgency: header.urgency,
        date: trailer.date,
        time: trailer.time,
        vulnerability_ids,
        lines,
        line: start,
    }
}

fn is_comment(line: &str) -> bool {
    line.starts_with("# ") || (line.starts_with('$') && line.ends_with('$') && line.len() > 1)
}

/// Where `dpkg-parsechangelog` stops reading.
fn is_end_marker(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    let lower = lower.trim_start_matches(';').trim_start();
    lower.starts_with("local variables:")
        || lower.starts_with("vim:")
        || lower.starts_with("old changelog:")
}

/// `source (version) dist [dist…]; key=value[, key=value…]`.
fn parse_header(line: &str) -> Option<Header> {
    if !line.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let (source, rest) = line.split_once(" (")?;
    let (version, rest) = rest.split_once(')')?;
    let (distribution, keywords) = rest.split_once(';')?;
    let distribution = distribution
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let well_formed = !source.is_empty()
        && !source.contains(char::is_whitespace)
        && !version.is_empty()
        && !version.contains(char::is_whitespace)
        && !distribution.is_empty();
    if !well_formed {
        return None;
    }
    let urgency = keywords.split(',').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        let word = value.split_whitespace().next()?;
        key.trim()
            .eq_ignore_ascii_case("urgency")
            .then(|| word.to_ascii_lowercase())
    });
    Some(Header {
        source: source.to_string(),
        version: version.to_string(),
        distribution,
        urgency,
    })
}

/// ` -- Name <email>  Wed, 21 Oct 2026 16:54:24 +0700`.
fn parse_trailer(line: &str) -> Result<Trailer, ChangelogProblem> {
    let malformed = || ChangelogProblem::Trailer(line.to_string());
    let signer = line.strip_prefix(" -- ").ok_or_else(malformed)?;
    let (name, date) = signer.rsplit_once('>').ok_or_else(malformed)?;
    let date = date.trim();
    if !name.contains('<') || date.is_empty() {
        return Err(malformed());
    }
    let time = parse_date(date).ok_or_else(|| ChangelogProblem::Date(date.to_string()))?;
    Ok(Trailer {
        date: date.to_string(),
        time,
    })
}

/// An RFC 2822 date. A day-of-week that does not match the date (old changelogs have
/// some) is ignored rather than refused: the date itself is what matters.
fn parse_date(date: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc2822(date).ok().or_else(|| {
        let (_, without_weekday) = date.split_once(',')?;
        DateTime::parse_from_rfc2822(without_weekday.trim()).ok()
    })
}

/// The CVE ids (`CVE-YYYY-NNNN…`, any case) in `lines`, upper case, sorted, each once.
pub fn cve_ids<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut found = BTreeSet::new();
    for line in lines {
        let bytes = line.as_bytes();
        let mut at = 0;
        while let Some(offset) = find_cve_prefix(&bytes[at..]) {
            let start = at + offset;
            at = start + 4;
            let starts_word = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
            if let Some(len) = cve_length(&bytes[start..])
                && starts_word
            {
                found.insert(line[start..start + len].to_ascii_uppercase());
                at = start + len;
            }
        }
    }
    found.into_iter().collect()
}

fn find_cve_prefix(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w.eq_ignore_ascii_case(b"cve-"))
}

/// The length of the CVE id at the start of `bytes` (`CVE-` already seen): four year
/// digits, `-`, at least four digits, and no further letter or digit.
fn cve_length(bytes: &[u8]) -> Option<usize> {
    let digits = |from: usize| {
        bytes.get(from..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        })
    };
    let year = digits(4);
    if year != 4 || bytes.get(8) != Some(&b'-') {
        return None;
    }
    let number = digits(9);
    let end = 9 + number;
    let ends_word = bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
    (number >= 4 && ends_word).then_some(end)
}

/// The GitHub advisory ids (`GHSA-` and three groups of four characters from GitHub's
/// alphabet, any case) in `lines`, as GitHub writes them (`GHSA-` then lower case), sorted,
/// each once.
pub fn ghsa_ids<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    const ALPHABET: &[u8] = b"23456789cfghjmpqrvwx";
    let mut found = BTreeSet::new();
    for line in lines {
        let lower = line.to_ascii_lowercase();
        let bytes = lower.as_bytes();
        for (start, _) in lower.match_indices("ghsa-") {
            let starts_word = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
            let body = bytes.get(start + 5..start + 19);
            let well_formed = body.is_some_and(|b| {
                b.iter().enumerate().all(|(i, c)| {
                    if i % 5 == 4 {
                        *c == b'-'
                    } else {
                        ALPHABET.contains(c)
                    }
                })
            });
            let ends_word = bytes
                .get(start + 19)
                .is_none_or(|b| !b.is_ascii_alphanumeric());
            if starts_word && well_formed && ends_word {
                found.insert(format!("GHSA-{}", &lower[start + 5..start + 19]));
            }
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests;
