//! The previous dpkg ordering: splits into `&str` parts (trimming and searching with `str`
//! methods), then dpkg's `verrevcmp` with per-byte `Option` lookups.

use std::cmp::Ordering;

fn split_lenient(text: &str) -> (&str, &str, &str) {
    let version = text.trim();
    let (epoch, rest) = match version.split_once(':') {
        Some((epoch, rest)) => (epoch, rest),
        None => ("", version),
    };
    match rest.rfind('-') {
        Some(at) => (epoch, &rest[..at], &rest[at + 1..]),
        None => (epoch, rest, ""),
    }
}

/// Compares two dpkg versions the way the previous implementation did.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split_lenient(a);
    let (eb, ub, rb) = split_lenient(b);
    verrevcmp(ea, eb)
        .then_with(|| verrevcmp(ua, ub))
        .then_with(|| verrevcmp(ra, rb))
}

fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let at = |s: &[u8], k: usize| s.get(k).copied();
    while i < a.len() || j < b.len() {
        let mut first_diff = 0i32;
        while at(a, i).is_some_and(|c| !c.is_ascii_digit())
            || at(b, j).is_some_and(|c| !c.is_ascii_digit())
        {
            let ac = order(at(a, i));
            let bc = order(at(b, j));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while at(a, i) == Some(b'0') {
            i += 1;
        }
        while at(b, j) == Some(b'0') {
            j += 1;
        }
        while let (Some(x), Some(y)) = (at(a, i), at(b, j)) {
            if !(x.is_ascii_digit() && y.is_ascii_digit()) {
                break;
            }
            if first_diff == 0 {
                first_diff = i32::from(x) - i32::from(y);
            }
            i += 1;
            j += 1;
        }
        if at(a, i).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Greater;
        }
        if at(b, j).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}
