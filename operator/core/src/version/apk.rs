//! Alpine apk version ordering: `number{.number}…{letter}{_suffix{number}}…{~hash}{-rN}`.
//! Pre-release suffixes (`_alpha`, `_beta`, `_pre`, `_rc`) sort before the bare version,
//! post-release ones (`_cvs`, `_svn`, `_git`, `_hg`, `_p`) after it; `-rN` is the package
//! revision. Number components after the first that start with `0` compare as strings, as
//! apk does (`1.06` < `1.1`). Text that fits none of this is kept as a remainder: a version
//! with one sorts before the same version without, and unstructured tails of otherwise
//! equal versions compare as plain strings.

use std::cmp::Ordering;

use super::VersionError;

const PRE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];
/// The weight of "no suffix": after the pre-release ones, before the post-release ones.
const NO_SUFFIX: usize = PRE_SUFFIXES.len();

#[derive(Debug, Default)]
struct ApkVersion<'a> {
    components: Vec<&'a str>,
    letter: Option<u8>,
    /// (weight, number digits)
    suffixes: Vec<(usize, &'a str)>,
    revision: &'a str,
    remainder: &'a str,
    /// The structure broke off before a revision could be read.
    invalid: bool,
}

fn digits(text: &str) -> usize {
    text.bytes().take_while(u8::is_ascii_digit).count()
}

fn parse(text: &str) -> ApkVersion<'_> {
    let mut v = ApkVersion::default();
    let mut rest = text;
    let n = digits(rest);
    if n > 0 {
        v.components.push(&rest[..n]);
        rest = &rest[n..];
        while let Some(after) = rest.strip_prefix('.') {
            let n = digits(after);
            if n == 0 {
                break;
            }
            v.components.push(&after[..n]);
            rest = &after[n..];
        }
    }
    if let Some(&c) = rest.as_bytes().first()
        && c.is_ascii_lowercase()
    {
        v.letter = Some(c);
        rest = &rest[1..];
    }
    while let Some(after) = rest.strip_prefix('_') {
        let Some((weight, name)) = PRE_SUFFIXES
            .iter()
            .chain(POST_SUFFIXES.iter())
            .enumerate()
            .find(|(_, s)| after.starts_with(**s))
            .map(|(i, s)| (if i < NO_SUFFIX { i } else { i + 1 }, *s))
        else {
            break;
        };
        let after = &after[name.len()..];
        let n = digits(after);
        v.suffixes.push((weight, &after[..n]));
        rest = &after[n..];
    }
    if let Some(after) = rest.strip_prefix('~') {
        let n = after
            .bytes()
            .take_while(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
            .count();
        if n > 0 {
            rest = &after[n..];
        }
    }
    if !rest.is_empty() {
        match rest.strip_prefix("-r") {
            Some(after) => {
                let n = digits(after);
                v.revision = &after[..n];
                rest = &after[n..];
            }
            None => v.invalid = true,
        }
    }
    v.remainder = rest;
    v
}

/// Compares two digit strings as unbounded numbers.
fn compare_numbers(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Compares two apk versions. Never fails.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (x, y) = (parse(a), parse(b));
    for i in 0..x.components.len().max(y.components.len()) {
        let order = match (x.components.get(i), y.components.get(i)) {
            (Some(p), Some(q)) if i > 0 && (p.starts_with('0') || q.starts_with('0')) => p.cmp(q),
            (Some(p), Some(q)) => compare_numbers(p, q),
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => Ordering::Equal,
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    match x.letter.cmp(&y.letter) {
        Ordering::Equal => {}
        decided => return decided,
    }
    for i in 0..x.suffixes.len().max(y.suffixes.len()) {
        let (wx, nx) = x.suffixes.get(i).copied().unwrap_or((NO_SUFFIX, ""));
        let (wy, ny) = y.suffixes.get(i).copied().unwrap_or((NO_SUFFIX, ""));
        let order = wx.cmp(&wy).then_with(|| compare_numbers(nx, ny));
        if order != Ordering::Equal {
            return order;
        }
    }
    match compare_numbers(x.revision, y.revision) {
        Ordering::Equal => {}
        decided => return decided,
    }
    // A clean end beats leftover text; unstructured tails then compare as strings. Both
    // steps compare parts of one key, which keeps the order total.
    let tail_x = if x.invalid { x.remainder } else { "" };
    let tail_y = if y.invalid { y.remainder } else { "" };
    x.remainder
        .is_empty()
        .cmp(&y.remainder.is_empty())
        .then_with(|| tail_x.cmp(tail_y))
}

/// Checks that a version is fully structured (`1.36.0-r9`, `2.4_rc1-r0`).
pub fn validate(text: &str) -> Result<(), VersionError> {
    let v = parse(text);
    if v.components.is_empty() {
        return Err(VersionError::new(
            "apk",
            text,
            "does not start with a number",
        ));
    }
    if !v.remainder.is_empty() {
        return Err(VersionError::new(
            "apk",
            text,
            "unexpected text after the version",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_suffixes_and_revisions() {
        assert_eq!(compare("1.0_rc1", "1.0"), Ordering::Less);
        assert_eq!(compare("1.0_p1", "1.0"), Ordering::Greater);
        assert_eq!(compare("1.0_alpha", "1.0_beta"), Ordering::Less);
        assert_eq!(compare("1.36.0-r9", "1.36.0-r10"), Ordering::Less);
        assert_eq!(compare("1.2a", "1.2"), Ordering::Greater);
        assert_eq!(compare("1.06", "1.1"), Ordering::Less);
        assert!(validate("1.36.0-r9").is_ok());
        assert!(validate("1.0_foo").is_err());
    }
}
