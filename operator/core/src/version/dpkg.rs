//! Debian package version ordering (`[epoch:]upstream[-revision]`), as implemented by
//! dpkg's `verrevcmp`: `~` sorts before everything (even the end of the string),
//! letters before other characters, digit runs compare numerically.

use std::cmp::Ordering;

use super::VersionError;
use super::bytes::{
    bytes_before, common_prefix, compare_digit_runs, compare_in_place, compare_numbers,
    compare_short_numbers, contains_after_head, digit_count, digits_before, digits_before_in,
    find_first_and_last, find_last, first_in_head, first_of, head, is_trimmed, matches,
    number_value, window,
};

/// A dpkg version split into its three parts. Borrowed from the input string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpkgVersion<'a> {
    /// The epoch (0 when absent).
    pub epoch: u64,
    /// The upstream version.
    pub upstream: &'a str,
    /// The Debian revision ("" when absent).
    pub revision: &'a str,
}

impl<'a> DpkgVersion<'a> {
    /// Parses and validates a version by dpkg's rules (`parseversion`).
    pub fn parse(text: &'a str) -> Result<Self, VersionError> {
        let version = text.trim();
        let invalid = |reason: &'static str| VersionError::new("dpkg", text, reason);
        if version.is_empty() {
            return Err(invalid("empty version"));
        }
        if version.contains(char::is_whitespace) {
            return Err(invalid("embedded whitespace"));
        }
        let (epoch, rest) = match version.split_once(':') {
            Some((epoch, rest)) => {
                if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid("epoch is not a number"));
                }
                let epoch: u64 = epoch
                    .parse()
                    .ok()
                    .filter(|&e| e <= i32::MAX as u64)
                    .ok_or_else(|| invalid("epoch is too large"))?;
                if rest.is_empty() {
                    return Err(invalid("nothing after the epoch colon"));
                }
                (epoch, rest)
            }
            None => (0, version),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(at) => {
                let revision = &rest[at + 1..];
                if revision.is_empty() {
                    return Err(invalid("empty revision after '-'"));
                }
                (&rest[..at], revision)
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(invalid("empty upstream version"));
        }
        if !upstream.as_bytes()[0].is_ascii_digit() {
            return Err(invalid("upstream version does not start with a digit"));
        }
        if !upstream
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".+-~:".contains(&b))
        {
            return Err(invalid("invalid character in upstream version"));
        }
        if !revision
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".+~".contains(&b))
        {
            return Err(invalid("invalid character in revision"));
        }
        Ok(DpkgVersion {
            epoch,
            upstream,
            revision,
        })
    }
}

impl Ord for DpkgVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}

impl PartialOrd for DpkgVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two dpkg versions. Never fails: malformed input is ordered the way apt orders it
/// (epochs compare as digit strings), so ordering stays total. Works on the input bytes in
/// place; equal inputs return at once.
pub fn compare(a: &str, b: &str) -> Ordering {
    match compare_usual(a.as_bytes(), b.as_bytes()) {
        Some(order) => order,
        None => compare_unusual(a, b),
    }
}

/// What [`compare_usual`] leaves, kept out of line so that the usual case stays small.
#[inline(never)]
fn compare_unusual(a: &str, b: &str) -> Ordering {
    compare_in_place(a, b, compare_from_difference, compare_split)
}

/// [`compare_from_difference`] for the usual input: at least four bytes, nothing to trim, and
/// an epoch (if any) that ends in the first eight bytes. The first step of the walk from where
/// the versions differ is taken a word at a time, and usually decides. `None` for other input.
#[inline]
fn compare_usual(a: &[u8], b: &[u8]) -> Option<Ordering> {
    let (head_a, head_b) = (head(a)?, head(b)?);
    let shared = match head_a ^ head_b {
        0 => common_prefix(a, b),
        // Past the shorter side when the other has NUL bytes there.
        difference => (difference.trailing_zeros() / 8) as usize,
    };
    let shared = shared.min(a.len()).min(b.len());
    if shared == a.len() && shared == b.len() {
        return Some(Ordering::Equal);
    }
    if !(is_trimmed(a) && is_trimmed(b)) {
        return None;
    }
    // The first colon ends the epoch; 8 when the head has none, and then the rest must not.
    let (colon_a, colon_b) = (first_in_head(head_a, b':'), first_in_head(head_b, b':'));
    let colon_after_heads = ((colon_a == 8) & contains_after_head(a, b':'))
        | ((colon_b == 8) & contains_after_head(b, b':'));
    if colon_after_heads {
        return None;
    }
    let rest = if colon_a == 8 && colon_b == 8 {
        0
    } else if colon_a < shared {
        // The same colon on both sides: the same epoch.
        colon_a + 1
    } else {
        return Some(compare_epochs(a, head_a, colon_a, b, head_b, colon_b));
    };
    let start = shared
        - if shared < 8 {
            digits_before_in(head_a, shared)
        } else {
            digits_before(a, shared)
        };
    // The walk from `start` stays in one part of each side: the same one, unless a dash
    // between the epoch and `start` (in the prefix both share) is the last one on one side only.
    let dash_before_start = start > 8
        || matches(bytes_before(head_a, start), b'-')
            .checked_shr(8 * rest as u32)
            .unwrap_or(0)
            != 0;
    let revision_before = |s: &[u8]| find_last(s, b'-').is_some_and(|at| rest <= at && at < start);
    if dash_before_start && revision_before(a) != revision_before(b) {
        return Some(compare_split(a, b));
    }
    let order = first_step(a, head_a, b, head_b, shared, start);
    Some(order.unwrap_or_else(|| walk_or_split(a, b, start)))
}

/// The whole walk from `start`, or the part-by-part comparison when it reads a dash.
#[inline(never)]
fn walk_or_split(a: &[u8], b: &[u8], start: usize) -> Ordering {
    walk(a, b, start).unwrap_or_else(|| compare_split(a, b))
}

/// The first step of [`walk`] from `start`, when it decides and reads no dash: the bytes at
/// the first difference when either is not a digit, else the numbers at `start` when both end
/// within eight bytes, compared a word at a time.
#[inline]
fn first_step(
    a: &[u8],
    head_a: u64,
    b: &[u8],
    head_b: u64,
    shared: usize,
    start: usize,
) -> Option<Ordering> {
    if start == shared {
        let (x, y) = (a.get(shared).copied(), b.get(shared).copied());
        if x == Some(b'-') || y == Some(b'-') {
            return None;
        }
        let (x, y) = (weight_of(x), weight_of(y));
        if x != y {
            return Some(x.cmp(&y));
        }
    }
    // The heads hold the numbers when they end before their last byte.
    let (number_a, number_b, limit) = if start < 8 {
        (head_a >> (8 * start), head_b >> (8 * start), 8 - start)
    } else {
        (window(a, start), window(b, start), 8)
    };
    compare_short_numbers(number_a, number_b, limit)
}

/// Epochs written differently (the colon is in the heads where there is one): compared as
/// numbers a word at a time when both are numbers, else by `verrevcmp`; the part-by-part
/// comparison when they are equal all the same (`0:1` against `1`).
#[inline]
fn compare_epochs(
    a: &[u8],
    head_a: u64,
    colon_a: usize,
    b: &[u8],
    head_b: u64,
    colon_b: usize,
) -> Ordering {
    // The epoch's length (0 when there is none), and its digits when it is a number.
    let epoch = |head: u64, colon: usize| {
        let len = colon % 8;
        let digits = bytes_before(head, len);
        (len, (digit_count(digits) == len).then_some(digits))
    };
    let ((len_a, digits_a), (len_b, digits_b)) = (epoch(head_a, colon_a), epoch(head_b, colon_b));
    let order = match (digits_a, digits_b) {
        (Some(x), Some(y)) => number_value(x, len_a).cmp(&number_value(y, len_b)),
        _ => verrevcmp(&a[..len_a], &b[..len_b]),
    };
    if order == Ordering::Equal {
        compare_split(a, b)
    } else {
        order
    }
}

/// The comparison part by part, for input the shortcut cannot decide.
#[cold]
fn compare_split(a: &[u8], b: &[u8]) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    verrevcmp(ea, eb)
        .then_with(|| verrevcmp(ua, ub))
        .then_with(|| verrevcmp(ra, rb))
}

/// The order decided where the two versions first differ, without splitting them: one walk of
/// `verrevcmp` over the whole strings from the start of the run the first difference is in.
/// `None` when that walk may not match the part-by-part comparison (it read a revision dash,
/// or the epochs are written differently but compare equal).
#[inline]
fn compare_from_difference(a: &[u8], b: &[u8], shared: usize) -> Option<Ordering> {
    let rest = match (first_of(a, b':'), first_of(b, b':')) {
        (None, None) => 0,
        (Some(at), _) if at < shared => at + 1,
        (colon_a, colon_b) => {
            let order = verrevcmp(&a[..colon_a.unwrap_or(0)], &b[..colon_b.unwrap_or(0)]);
            return (order != Ordering::Equal).then_some(order);
        }
    };
    let start = shared - digits_before(a, shared);
    let order = walk(a, b, start)?;
    // The walk met no dash, so it stayed in one part of each side: the same one, unless one
    // side's revision starts before it and the other's after.
    let revision_before = |s: &[u8]| find_last(s, b'-').is_some_and(|at| rest <= at && at < start);
    (start == rest || revision_before(a) == revision_before(b)).then_some(order)
}

/// `verrevcmp` from `start` on both sides of the whole strings. `None` when it reads a `-`
/// (which may end the upstream version); the byte after a digit run does not count, as it
/// only matters for not being a digit.
#[inline]
fn walk(a: &[u8], b: &[u8], start: usize) -> Option<Ordering> {
    let (mut i, mut j) = (start, start);
    loop {
        loop {
            let (x, y) = (a.get(i).copied(), b.get(j).copied());
            if x == Some(b'-') || y == Some(b'-') {
                return None;
            }
            let (x, y) = (weight_of(x), weight_of(y));
            if x != y {
                return Some(x.cmp(&y));
            }
            if x == 0 {
                break;
            }
            i += 1;
            j += 1;
        }
        if i >= a.len() && j >= b.len() {
            return Some(Ordering::Equal);
        }
        let (order, end_a, end_b) = compare_digit_runs(a, i, b, j);
        if order != Ordering::Equal {
            return Some(order);
        }
        (i, j) = (end_a, end_b);
    }
}

fn weight_of(c: Option<u8>) -> i16 {
    c.map_or(0, |c| ORDER[usize::from(c)])
}

/// Epoch (before the first ':', empty when none), upstream, and revision (after the last '-'
/// of the rest, empty when none), without validating.
#[inline]
fn split(version: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let (colon, dash) = find_first_and_last(version, b':', b'-');
    let (epoch, rest_from) = match colon {
        Some(at) => (&version[..at], at + 1),
        None => (&version[..0], 0),
    };
    match dash.filter(|&at| at >= rest_from) {
        Some(at) => (epoch, &version[rest_from..at], &version[at + 1..]),
        None => (epoch, &version[rest_from..], &version[version.len()..]),
    }
}

/// The weight of each byte between digit runs: `~` before the end of the string (0), letters
/// next, then everything else. Digits weigh 0 like the end, as they end a non-digit run.
static ORDER: [i16; 256] = order_table();

const fn order_table() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut byte = 0u8;
    loop {
        table[byte as usize] = match byte {
            b'0'..=b'9' => 0,
            b'A'..=b'Z' | b'a'..=b'z' => byte as i16,
            b'~' => -1,
            _ => byte as i16 + 256,
        };
        if byte == u8::MAX {
            return table;
        }
        byte += 1;
    }
}

/// The weight of the byte at `at`; the end of the string weighs 0.
fn weight(s: &[u8], at: usize) -> i16 {
    s.get(at).map_or(0, |&c| ORDER[usize::from(c)])
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs. A shared prefix is skipped, backed
/// up to the start of the digit run it ends in: after a non-digit both sides are in the state
/// they would have reached from the start, while a cut digit run compares wrongly (`1.19` is
/// not `1.2` plus `9` against nothing).
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let prefix = common_prefix(a, b);
    if prefix == a.len() && prefix == b.len() {
        return Ordering::Equal;
    }
    let start = prefix - digits_before(a, prefix);
    let (mut i, mut j) = (start, start);
    loop {
        // Non-digits byte against byte; a digit or the end (both weigh 0) stops the run.
        loop {
            let (x, y) = (weight(a, i), weight(b, j));
            if x != y {
                return x.cmp(&y);
            }
            if x == 0 {
                break;
            }
            i += 1;
            j += 1;
        }
        if i >= a.len() && j >= b.len() {
            return Ordering::Equal;
        }
        let (end_a, end_b) = (digit_run_end(a, i), digit_run_end(b, j));
        match compare_numbers(&a[i..end_a], &b[j..end_b]) {
            Ordering::Equal => {}
            decided => return decided,
        }
        (i, j) = (end_a, end_b);
    }
}

/// The end of the run of digits starting at `at` (`at` itself when there is none).
fn digit_run_end(s: &[u8], mut at: usize) -> usize {
    while at < s.len() && s[at].is_ascii_digit() {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Text over the bytes that steer the comparison, `:` and `-` anywhere, numbers with
    /// leading zeros and of up to nine digits, a little NUL, whitespace and non-ASCII.
    fn text() -> impl Strategy<Value = String> {
        prop::string::string_regex(
            "[0-9a~.+:\\-]{0,12}|0{0,3}[0-9]{0,9}|[0-9]{1,3}:|[1-9:\\-\\x00 é]{0,3}",
        )
        .expect("regex")
    }

    /// Two versions sharing a prefix of up to about 40 bytes (so that they first differ before,
    /// at and past the eighth byte), or none.
    fn pair() -> impl Strategy<Value = (String, String)> {
        prop_oneof![
            3 => (text(), text(), text(), text(), text()).prop_map(|(p, q, r, x, y)| {
                let prefix = format!("{p}{q}{r}");
                (format!("{prefix}{x}"), format!("{prefix}{y}"))
            }),
            1 => (text(), text(), text(), text())
                .prop_map(|(p, q, x, y)| (format!("{p}{x}{q}"), format!("{p}{y}{q}"))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(50_000))]

        /// The word-at-a-time first step, the epochs read from the first eight bytes and the
        /// colon check past them give the part-by-part order.
        #[test]
        fn usual_case_matches_the_part_by_part_comparison((a, b) in pair()) {
            let by_parts = compare_split(a.trim().as_bytes(), b.trim().as_bytes());
            prop_assert_eq!(compare(&a, &b), by_parts, "{:?} vs {:?}", a, b);
            prop_assert_eq!(compare(&b, &a), by_parts.reverse(), "{:?} vs {:?}", b, a);
        }
    }

    #[test]
    fn usual_case_corners() {
        for (a, b) in [
            // Colons past the first eight bytes make the epoch, even where dpkg rejects them.
            ("1.2.3.4.5:6", "1.2.3.4.6"),
            (
                "1.2.3.4.5.6.7.8.9.10.11.12.13.14:1",
                "1.2.3.4.5.6.7.8.9.10.11.12.13.15",
            ),
            ("a:1.0", "1.0"),
            ("0:1.0-1", "1.0-1"),
            ("00:1.0", "0:1.1"),
            ("12345678:1", "1:1"),
            // A dash in the shared prefix that is the last on one side only.
            ("1-ab-c", "1-ac"),
            ("1.0-1", "1.0-1+b1"),
            ("1.0", "1.0-1"),
            // Numbers that fill the first eight bytes or differ only in leading zeros.
            ("20080710-3", "20080711-1"),
            ("1.0001-1", "1.01-2"),
            ("1.2345678", "1.2345679"),
            // NUL bytes past the end of the shorter side.
            ("1.0a", "1.0a\0b"),
            ("1.0a\0", "1.0a"),
        ] {
            let by_parts = compare_split(a.as_bytes(), b.as_bytes());
            assert_eq!(compare(a, b), by_parts, "{a:?} vs {b:?}");
            assert_eq!(compare(b, a), by_parts.reverse(), "{b:?} vs {a:?}");
        }
    }

    #[test]
    fn tilde_sorts_before_end_and_binnmu_after() {
        assert_eq!(compare("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(compare("1.0-1", "1.0-1+b1"), Ordering::Less);
        assert_eq!(compare("1:0.1", "2.0"), Ordering::Greater);
        assert_eq!(compare("0.0.0", "0:0.0.0-0"), Ordering::Equal);
    }

    #[test]
    fn rejects_malformed_versions() {
        assert!(DpkgVersion::parse("a:1.0").is_err());
        assert!(DpkgVersion::parse("1.0-").is_err());
        assert!(DpkgVersion::parse("").is_err());
        assert!(DpkgVersion::parse("1.0 2").is_err());
        assert!(DpkgVersion::parse("x1.0").is_err());
        let v = DpkgVersion::parse("1:2.38.1-5+deb12u3").expect("valid");
        assert_eq!(
            (v.epoch, v.upstream, v.revision),
            (1, "2.38.1", "5+deb12u3")
        );
    }
}
