//! RPM version ordering: `rpmvercmp` segment rules (alphanumeric runs, `~` sorts before
//! everything, `^` after the base version but before anything else) and `[epoch:]version-release`
//! comparison as `rpm.labelCompare` does it (a missing epoch is 0; a missing release sorts before
//! any release).

use std::cmp::Ordering;

use super::VersionError;

/// An RPM EVR split into its parts. Borrowed from the input string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evr<'a> {
    /// The epoch digits ("0" when absent).
    pub epoch: &'a str,
    /// The version.
    pub version: &'a str,
    /// The release, when present.
    pub release: Option<&'a str>,
}

impl<'a> Evr<'a> {
    /// Splits `[epoch:]version[-release]`; never fails (comparison must stay total).
    pub fn split(text: &'a str) -> Self {
        let text = text.trim();
        let (epoch, rest) = match text.split_once(':') {
            Some((epoch, rest)) if epoch.bytes().all(|b| b.is_ascii_digit()) => {
                (if epoch.is_empty() { "0" } else { epoch }, rest)
            }
            _ => ("0", text),
        };
        match rest.rfind('-') {
            Some(at) => Evr {
                epoch,
                version: &rest[..at],
                release: Some(&rest[at + 1..]),
            },
            None => Evr {
                epoch,
                version: rest,
                release: None,
            },
        }
    }

    /// Splits and validates: non-empty version, numeric epoch, no whitespace.
    pub fn parse(text: &'a str) -> Result<Self, VersionError> {
        let invalid = |reason: &'static str| VersionError::new("rpm", text, reason);
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(invalid("empty version"));
        }
        if trimmed.contains(char::is_whitespace) {
            return Err(invalid("embedded whitespace"));
        }
        if let Some((epoch, _)) = trimmed.split_once(':')
            && (epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(invalid("epoch is not a number"));
        }
        let evr = Evr::split(trimmed);
        if evr.version.is_empty() {
            return Err(invalid("empty version"));
        }
        if evr.release == Some("") {
            return Err(invalid("empty release after '-'"));
        }
        Ok(evr)
    }
}

impl Ord for Evr<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        rpmvercmp(self.epoch, other.epoch)
            .then_with(|| rpmvercmp(self.version, other.version))
            .then_with(|| match (self.release, other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (a, b) => a.is_some().cmp(&b.is_some()),
            })
    }
}

impl PartialOrd for Evr<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two `[epoch:]version-release` strings.
pub fn compare(a: &str, b: &str) -> Ordering {
    Evr::split(a).cmp(&Evr::split(b))
}

/// rpm's `rpmvercmp` over one version or release string. It follows rpm's C function step
/// by step; the steps are small functions the compiler inlines, so it is as fast as one loop.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        i = skip_separators(a, i);
        j = skip_separators(b, j);
        let (x, y) = (a.get(i).copied(), b.get(j).copied());
        match tilde_or_caret(x, y) {
            Marker::Decides(order) => return order,
            Marker::Both => {
                i += 1;
                j += 1;
                continue;
            }
            Marker::Neither => {}
        }
        let (Some(x), Some(_)) = (x, y) else { break };
        let numeric = x.is_ascii_digit();
        let (start_a, start_b) = (i, j);
        i = segment_end(a, i, numeric);
        j = segment_end(b, j, numeric);
        if j == start_b {
            // Segments of different kinds: a number is newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        match compare_segments(&a[start_a..i], &b[start_b..j], numeric) {
            Ordering::Equal => {}
            decided => return decided,
        }
    }
    // The string with something left is newer.
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// What `~` or `^` at the current position of either string means.
enum Marker {
    /// The comparison is decided.
    Decides(Ordering),
    /// Both strings have the same marker here: step over it and go on.
    Both,
    /// Neither string has a marker here.
    Neither,
}

/// `~` sorts before everything, even the end of the string; `^` sorts after the end of the
/// string but before anything else.
fn tilde_or_caret(x: Option<u8>, y: Option<u8>) -> Marker {
    if x == Some(b'~') || y == Some(b'~') {
        if x != Some(b'~') {
            return Marker::Decides(Ordering::Greater);
        }
        if y != Some(b'~') {
            return Marker::Decides(Ordering::Less);
        }
        return Marker::Both;
    }
    if x == Some(b'^') || y == Some(b'^') {
        if x.is_none() {
            return Marker::Decides(Ordering::Less);
        }
        if y.is_none() {
            return Marker::Decides(Ordering::Greater);
        }
        if x != Some(b'^') {
            return Marker::Decides(Ordering::Greater);
        }
        if y != Some(b'^') {
            return Marker::Decides(Ordering::Less);
        }
        return Marker::Both;
    }
    Marker::Neither
}

/// The position of the next byte at or after `at` that is not a separator (anything but
/// letters, digits, `~` and `^`).
fn skip_separators(s: &[u8], mut at: usize) -> usize {
    while at < s.len() && !s[at].is_ascii_alphanumeric() && s[at] != b'~' && s[at] != b'^' {
        at += 1;
    }
    at
}

/// The end of the segment starting at `at`: a run of digits when `numeric`, else of letters.
fn segment_end(s: &[u8], mut at: usize, numeric: bool) -> usize {
    let in_segment = |c: u8| {
        if numeric {
            c.is_ascii_digit()
        } else {
            c.is_ascii_alphabetic()
        }
    };
    while at < s.len() && in_segment(s[at]) {
        at += 1;
    }
    at
}

/// Two segments of the same kind: numbers by value (leading zeros dropped, then the longer
/// is greater, then digit by digit), letters byte by byte.
fn compare_segments(mut a: &[u8], mut b: &[u8], numeric: bool) -> Ordering {
    if numeric {
        while a.first() == Some(&b'0') {
            a = &a[1..];
        }
        while b.first() == Some(&b'0') {
            b = &b[1..];
        }
        match a.len().cmp(&b.len()) {
            Ordering::Equal => {}
            longer_wins => return longer_wins,
        }
    }
    a.cmp(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_rpmvercmp_rules() {
        assert_eq!(rpmvercmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(rpmvercmp("1.0^git1", "1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp("1.0^git1", "1.0.1"), Ordering::Less);
        assert_eq!(rpmvercmp("1.0a", "1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp("1.010", "1.9"), Ordering::Greater);
        assert_eq!(compare("1:1.0-1.el9", "2.0-1.el9"), Ordering::Greater);
        assert_eq!(compare("1.0", "1.0-5"), Ordering::Less);
    }
}
