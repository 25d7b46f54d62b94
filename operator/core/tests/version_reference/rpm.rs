//! The previous rpm ordering: `[epoch:]version-release` split into `&str` parts with `str`
//! methods, then `rpmvercmp` on each part.

use std::cmp::Ordering;

fn split(text: &str) -> (&str, &str, Option<&str>) {
    let text = text.trim();
    let (epoch, rest) = match text.split_once(':') {
        Some((epoch, rest)) if epoch.bytes().all(|b| b.is_ascii_digit()) => {
            (if epoch.is_empty() { "0" } else { epoch }, rest)
        }
        _ => ("0", text),
    };
    match rest.rfind('-') {
        Some(at) => (epoch, &rest[..at], Some(&rest[at + 1..])),
        None => (epoch, rest, None),
    }
}

/// Compares two `[epoch:]version-release` strings the way the previous implementation did.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, va, ra) = split(a);
    let (eb, vb, rb) = split(b);
    rpmvercmp(ea, eb)
        .then_with(|| rpmvercmp(va, vb))
        .then_with(|| match (ra, rb) {
            (Some(a), Some(b)) => rpmvercmp(a, b),
            (a, b) => a.is_some().cmp(&b.is_some()),
        })
}

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
