//! RPM version ordering: `rpmvercmp` segment rules (alphanumeric runs, `~` sorts before
//! everything, `^` after the base version but before anything else) and `[epoch:]version-release`
//! comparison as `rpm.labelCompare` does it (a missing epoch is 0; a missing release sorts before
//! any release).

use std::cmp::Ordering;

use super::VersionError;
use super::bytes::{
    common_prefix, compare_digit_runs, compare_in_place, compare_numbers, compare_short,
    find_first_and_last, find_last, resume_point,
};

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
        compare_parts(
            (
                self.epoch.as_bytes(),
                self.version.as_bytes(),
                self.release.map(str::as_bytes),
            ),
            (
                other.epoch.as_bytes(),
                other.version.as_bytes(),
                other.release.map(str::as_bytes),
            ),
        )
    }
}

impl PartialOrd for Evr<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two `[epoch:]version-release` strings, on their bytes in place; equal inputs
/// return at once.
pub fn compare(a: &str, b: &str) -> Ordering {
    compare_in_place(a, b, compare_from_difference, compare_split)
}

/// The comparison part by part, for input the shortcut cannot decide.
#[cold]
fn compare_split(a: &[u8], b: &[u8]) -> Ordering {
    compare_parts(split_bytes(a), split_bytes(b))
}

/// The order decided where the two versions first differ, without splitting them: one walk of
/// `rpmvercmp` over the whole strings from the start of the segment the first difference is
/// in. `None` when that walk may not match the part-by-part comparison (it met a release dash,
/// or the epochs are written differently but compare equal).
#[inline]
fn compare_from_difference(a: &[u8], b: &[u8], shared: usize) -> Option<Ordering> {
    let rest = match (epoch_colon(a), epoch_colon(b)) {
        (None, None) => 0,
        (Some(at), _) if at < shared => at + 1,
        (colon_a, colon_b) => {
            let order = vercmp(epoch_of(a, colon_a), epoch_of(b, colon_b));
            return (order != Ordering::Equal).then_some(order);
        }
    };
    let start = resume_point(a, shared, |c| c.is_ascii_alphanumeric());
    let order = walk(a, b, start)?;
    // The walk met no dash, so it stayed in one part of each side: the same one, unless one
    // side's release starts before it and the other's after.
    let release_before = |s: &[u8]| find_last(s, b'-').is_some_and(|at| rest <= at && at < start);
    (start == rest || release_before(a) == release_before(b)).then_some(order)
}

/// The colon ending a leading run of digits: the epoch's, as [`Evr::split`] reads it.
#[inline]
fn epoch_colon(s: &[u8]) -> Option<usize> {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    (s.get(digits) == Some(&b':')).then_some(digits)
}

/// The epoch before `colon` ("0" when absent or empty).
fn epoch_of(s: &[u8], colon: Option<usize>) -> &[u8] {
    match colon {
        Some(at) if at > 0 => &s[..at],
        _ => b"0",
    }
}

/// `rpmvercmp` from `start` on both sides of the whole strings. `None` when it meets a `-`
/// (which may end the version); the byte after a segment does not count, as it only matters
/// for not continuing the segment.
#[inline]
fn walk(a: &[u8], b: &[u8], start: usize) -> Option<Ordering> {
    let (mut i, mut j) = (start, start);
    while i < a.len() || j < b.len() {
        i = skip_separators_to_dash(a, i)?;
        j = skip_separators_to_dash(b, j)?;
        let (x, y) = (a.get(i).copied(), b.get(j).copied());
        match tilde_or_caret(x, y) {
            Marker::Decides(order) => return Some(order),
            Marker::Both => {
                i += 1;
                j += 1;
                continue;
            }
            Marker::Neither => {}
        }
        let (Some(x), Some(_)) = (x, y) else {
            break;
        };
        let order = if x.is_ascii_digit() {
            if !b[j].is_ascii_digit() {
                // A number is newer than letters.
                return Some(Ordering::Greater);
            }
            let (order, end_a, end_b) = compare_digit_runs(a, i, b, j);
            (i, j) = (end_a, end_b);
            order
        } else {
            let (start_a, start_b) = (i, j);
            i = segment_end(a, i, false);
            j = segment_end(b, j, false);
            if j == start_b {
                return Some(Ordering::Less);
            }
            compare_short(&a[start_a..i], &b[start_b..j])
        };
        if order != Ordering::Equal {
            return Some(order);
        }
    }
    // The string with something left is newer.
    let order = match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    };
    Some(order)
}

/// [`skip_separators`], or `None` when it meets a `-`.
#[inline]
fn skip_separators_to_dash(s: &[u8], at: usize) -> Option<usize> {
    let end = skip_separators(s, at);
    (!s[at.min(end)..end].contains(&b'-')).then_some(end)
}

/// Epoch, version and release as [`Evr::split`] finds them (an empty or missing epoch is
/// `0`; an epoch with a non-digit is no epoch), as byte slices of the trimmed input.
type Parts<'a> = (&'a [u8], &'a [u8], Option<&'a [u8]>);

#[inline]
fn split_bytes(text: &[u8]) -> Parts<'_> {
    let (colon, dash) = find_first_and_last(text, b':', b'-');
    let (epoch, rest_from): (&[u8], usize) = match colon {
        Some(at) if text[..at].iter().all(u8::is_ascii_digit) => {
            (if at == 0 { b"0" } else { &text[..at] }, at + 1)
        }
        _ => (b"0", 0),
    };
    match dash.filter(|&at| at >= rest_from) {
        Some(at) => (epoch, &text[rest_from..at], Some(&text[at + 1..])),
        None => (epoch, &text[rest_from..], None),
    }
}

/// `labelCompare`: epoch, then version, then release (a missing release sorts first).
fn compare_parts((ea, va, ra): Parts<'_>, (eb, vb, rb): Parts<'_>) -> Ordering {
    vercmp(ea, eb)
        .then_with(|| vercmp(va, vb))
        .then_with(|| match (ra, rb) {
            (Some(a), Some(b)) => vercmp(a, b),
            (a, b) => a.is_some().cmp(&b.is_some()),
        })
}

/// rpm's `rpmvercmp` over one version or release string.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    vercmp(a.as_bytes(), b.as_bytes())
}

/// `rpmvercmp` on bytes. It follows rpm's C function step by step, after skipping the shared
/// prefix backed up to the start of the letters-and-digits run it ends in: every other byte
/// (a separator, `~` or `^`) leaves both sides where a walk from the start would be, while a
/// cut segment compares wrongly (`1.19` is not `1.1` then `9` against nothing).
fn vercmp(a: &[u8], b: &[u8]) -> Ordering {
    let prefix = common_prefix(a, b);
    if prefix == a.len() && prefix == b.len() {
        return Ordering::Equal;
    }
    let start = resume_point(a, prefix, |c| c.is_ascii_alphanumeric());
    let (mut i, mut j) = (start, start);
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
        let (seg_a, seg_b) = (&a[start_a..i], &b[start_b..j]);
        let order = if numeric {
            compare_numbers(seg_a, seg_b)
        } else {
            compare_short(seg_a, seg_b)
        };
        if order != Ordering::Equal {
            return order;
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
