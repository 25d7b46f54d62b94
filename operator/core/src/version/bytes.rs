//! Byte-slice helpers shared by the dpkg and rpm comparisons, which work on the input's bytes
//! in place (no splitting into owned strings, no allocation).

use std::cmp::Ordering;

/// The input without surrounding whitespace, as `str::trim` defines it. Versions almost never
/// carry any, so two byte checks usually settle it without scanning.
pub(crate) fn trimmed(text: &str) -> &[u8] {
    let bytes = text.as_bytes();
    if is_trimmed(bytes) {
        bytes
    } else {
        text.trim().as_bytes()
    }
}

/// Whether neither end of the input is whitespace or non-ASCII (so trimming changes nothing).
#[inline]
pub(crate) fn is_trimmed(s: &[u8]) -> bool {
    let plain = |c: &u8| *c > b' ' && c.is_ascii();
    s.first().is_some_and(plain) && s.last().is_some_and(plain)
}

/// The order of two versions the way both schemes take it: equal inputs at once; else the
/// decision `from_difference` takes at the first differing byte, when it can (inputs that
/// need no trimming); else the part-by-part comparison of the trimmed inputs.
#[inline]
pub(crate) fn compare_in_place(
    a: &str,
    b: &str,
    from_difference: impl Fn(&[u8], &[u8], usize) -> Option<Ordering>,
    by_parts: impl Fn(&[u8], &[u8]) -> Ordering,
) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let shared = common_prefix(x, y);
    if shared == x.len() && shared == y.len() {
        return Ordering::Equal;
    }
    if is_trimmed(x)
        && is_trimmed(y)
        && let Some(order) = from_difference(x, y, shared)
    {
        return order;
    }
    by_parts(trimmed(a), trimmed(b))
}

/// The length of the longest common prefix, eight bytes at a time; the last few bytes as one
/// word overlapping the one before.
#[inline]
pub(crate) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let first_difference = |x: u64, y: u64| ((x ^ y).trailing_zeros() / 8) as usize;
    if len < 8 {
        return first_difference(short_word(a), short_word(b)).min(len);
    }
    let mut at = 0;
    while at + 8 < len {
        let (x, y) = (word(&a[at..at + 8]), word(&b[at..at + 8]));
        if x != y {
            return at + first_difference(x, y);
        }
        at += 8;
    }
    let tail = len - 8;
    (tail + first_difference(word(&a[tail..]), word(&b[tail..]))).min(len)
}

fn word(chunk: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk);
    u64::from_le_bytes(bytes)
}

/// How many of the bytes just before `at` are digits, counting back from `at - 1`.
#[inline]
pub(crate) fn digits_before(s: &[u8], at: usize) -> usize {
    let before = &s[..at];
    // The eight bytes ending at `at` with the last one on top; zeros (not digits) below the
    // start.
    let top = if at >= 8 {
        word(&before[at - 8..])
    } else if at > 0 {
        short_word(before) << (8 * (8 - at))
    } else {
        return 0;
    };
    match non_digits(top) {
        0 => {
            at - before
                .iter()
                .rposition(|c| !c.is_ascii_digit())
                .map_or(0, |p| p + 1)
        }
        stops => (stops.leading_zeros() / 8) as usize,
    }
}

/// The high bit of every byte of `w` that is not an ASCII digit.
#[inline]
fn non_digits(w: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let offset = w ^ splat(b'0');
    // A byte is a digit when it is below 10 after the offset: `+ 0x76` carries into the high
    // bit from 10 up, and `| offset` keeps bytes that had the high bit already.
    (((offset & LOW7) + splat(0x76)) | offset) & !LOW7
}

/// Where a comparison may start instead of at 0 when both inputs share `prefix` bytes: the
/// prefix backed up to the start of the run of bytes matching `in_run` that it ends in, since a
/// run cut in the middle (a number's leading digits, say) does not compare like the whole run.
pub(crate) fn resume_point(a: &[u8], prefix: usize, in_run: impl Fn(u8) -> bool) -> usize {
    let mut at = prefix;
    while at > 0 && in_run(a[at - 1]) {
        at -= 1;
    }
    at
}

/// The position of the first `first` byte and of the last `last` byte, eight bytes at a time
/// without a loop for the usual lengths: up to 16 bytes is two (possibly overlapping) words,
/// up to 8 one word put together from two overlapping halves. Neither byte may be 0 (short
/// inputs are padded with zeros).
#[inline]
pub(crate) fn find_first_and_last(s: &[u8], first: u8, last: u8) -> (Option<usize>, Option<usize>) {
    let (first, last) = (splat(first), splat(last));
    if s.len() > 16 {
        return find_in_words(s, first, last);
    }
    if s.len() <= 8 {
        let bytes = short_word(s);
        let (f, l) = (zero_bytes(bytes ^ first), zero_bytes(bytes ^ last));
        return (first_hit(f, 0), last_hit(l, 0));
    }
    let tail = s.len() - 8;
    let (head_word, tail_word) = (word(&s[..8]), word(&s[tail..]));
    let first_at = first_hit(zero_bytes(head_word ^ first), 0)
        .or_else(|| first_hit(zero_bytes(tail_word ^ first), tail));
    let last_at = last_hit(zero_bytes(tail_word ^ last), tail)
        .or_else(|| last_hit(zero_bytes(head_word ^ last), 0));
    (first_at, last_at)
}

/// [`find_first_and_last`] over any length: a word every eight bytes, the last one at
/// `len - 8`, overlapping its predecessor instead of reading past the end.
fn find_in_words(s: &[u8], first: u64, last: u64) -> (Option<usize>, Option<usize>) {
    let (mut found_first, mut found_last) = (None, None);
    let final_start = s.len().saturating_sub(8);
    let mut next = 0;
    while next < s.len() {
        let start = next.min(final_start);
        let bytes = word(&s[start..start + 8]);
        found_first = found_first.or_else(|| first_hit(zero_bytes(bytes ^ first), start));
        // A later word's hits are never before an earlier word's, even where they overlap.
        found_last = last_hit(zero_bytes(bytes ^ last), start).or(found_last);
        next += 8;
    }
    (found_first, found_last)
}

/// Up to eight bytes as one little-endian word, zero-padded: the first four and the last four
/// (overlapping when shorter), or byte by byte under four.
fn short_word(s: &[u8]) -> u64 {
    let len = s.len();
    if len >= 4 {
        let half = |at: usize| {
            let mut bytes = [0u8; 4];
            bytes.copy_from_slice(&s[at..at + 4]);
            u64::from(u32::from_le_bytes(bytes))
        };
        return half(0) | (half(len - 4) << ((len - 4) * 8));
    }
    s.iter()
        .rev()
        .fold(0u64, |bytes, &c| (bytes << 8) | u64::from(c))
}

fn first_hit(hits: u64, base: usize) -> Option<usize> {
    (hits != 0).then(|| base + (hits.trailing_zeros() / 8) as usize)
}

fn last_hit(hits: u64, base: usize) -> Option<usize> {
    (hits != 0).then(|| base + 7 - (hits.leading_zeros() / 8) as usize)
}

fn splat(byte: u8) -> u64 {
    u64::from(byte) * 0x0101_0101_0101_0101
}

/// The high bit of every byte of `x` that is zero, and no other bit (exact, unlike the
/// shorter trick whose borrow marks bytes after a zero too, which matters for the last one).
fn zero_bytes(x: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The digit runs starting at `a[i]` and `b[j]` compared by value (leading zeros skipped,
/// then the longer run is greater, then the first differing digit decides), in one pass over
/// both; with where each run ends.
#[inline]
pub(crate) fn compare_digit_runs(
    a: &[u8],
    mut i: usize,
    b: &[u8],
    mut j: usize,
) -> (Ordering, usize, usize) {
    let digit_at = |s: &[u8], at: usize| s.get(at).filter(|c| c.is_ascii_digit()).copied();
    while digit_at(a, i) == Some(b'0') {
        i += 1;
    }
    while digit_at(b, j) == Some(b'0') {
        j += 1;
    }
    let mut first_difference = Ordering::Equal;
    loop {
        match (digit_at(a, i), digit_at(b, j)) {
            (Some(x), Some(y)) => {
                if first_difference == Ordering::Equal {
                    first_difference = x.cmp(&y);
                }
                i += 1;
                j += 1;
            }
            (None, None) => return (first_difference, i, j),
            (Some(_), None) => return (Ordering::Greater, i, j),
            (None, Some(_)) => return (Ordering::Less, i, j),
        }
    }
}

/// The first eight bytes of `s`, zero past its end; `None` under four bytes. No branch on
/// the length: two four-byte halves, the second moved back to end where `s` does.
#[inline]
pub(crate) fn head(s: &[u8]) -> Option<u64> {
    let second = s.len().checked_sub(4)?.min(4);
    let half = |at: usize| {
        let mut bytes = [0u8; 4];
        bytes.copy_from_slice(&s[at..at + 4]);
        u64::from(u32::from_le_bytes(bytes))
    };
    Some(half(0) | (half(second) << (8 * second)))
}

/// Whether `byte` (not 0) occurs in `s` after its first eight bytes. Up to 32 bytes takes
/// three overlapping words and no branch on the length: an input of eight bytes or fewer is
/// swapped for zeros, which have no such byte.
#[inline(always)]
pub(crate) fn contains_after_head(s: &[u8], byte: u8) -> bool {
    if s.len() > 32 {
        return contains_after_head_long(s, byte);
    }
    let s = if s.len() >= 8 { s } else { &[0; 8] };
    let last = s.len() - 8;
    let hits = |at: usize| {
        let at = at.min(last);
        matches(word(&s[at..at + 8]), byte)
    };
    hits(8) | hits(16) | hits(24) != 0
}

/// [`contains_after_head`] for inputs over 32 bytes, which are rare.
#[cold]
#[inline(never)]
fn contains_after_head_long(s: &[u8], byte: u8) -> bool {
    let last = s.len() - 8;
    (8..s.len()).step_by(8).any(|at| {
        let at = at.min(last);
        matches(word(&s[at..at + 8]), byte) != 0
    })
}

/// The eight bytes of `s` (at least eight long) from `at` (at most `s.len()`) on, zero past
/// the end.
#[inline]
pub(crate) fn window(s: &[u8], at: usize) -> u64 {
    let base = at.min(s.len() - 8);
    word(&s[base..base + 8])
        .checked_shr(8 * (at - base) as u32)
        .unwrap_or(0)
}

/// The position of the first `byte` (not 0) in a [`head`]; 8 when there is none.
#[inline]
pub(crate) fn first_in_head(head: u64, byte: u8) -> usize {
    (zero_bytes(head ^ splat(byte)).trailing_zeros() / 8) as usize
}

/// The bytes of a word before `at` (0 to 8) kept, the rest cleared.
#[inline]
pub(crate) fn bytes_before(w: u64, at: usize) -> u64 {
    w & 1u64
        .checked_shl(8 * at as u32)
        .map_or(u64::MAX, |bit| bit - 1)
}

/// How many bytes just before `at` (under 8) are digits, in a [`head`].
#[inline]
pub(crate) fn digits_before_in(head: u64, at: usize) -> usize {
    // The bytes before `at` on top, zeros (not digits) below.
    let top = head.checked_shl(8 * (8 - at) as u32).unwrap_or(0);
    (non_digits(top).leading_zeros() / 8) as usize
}

/// The numbers at the start of two words compared by value, as [`compare_numbers`] does,
/// when both end within the first `limit` bytes; `None` when they do not or are equal.
#[inline]
pub(crate) fn compare_short_numbers(a: u64, b: u64, limit: usize) -> Option<Ordering> {
    let (run_a, run_b) = (digit_count(a), digit_count(b));
    if run_a.max(run_b) >= limit {
        return None;
    }
    let order = number_value(a, run_a).cmp(&number_value(b, run_b));
    (order != Ordering::Equal).then_some(order)
}

/// The value of the `run` (under 8) digits at the start of a word: moved up to end at the top
/// byte (zeros in front do not change the value), then pairs, quads and octets of digits
/// combined a multiplication each.
pub(crate) fn number_value(w: u64, run: usize) -> u64 {
    let digits = w.checked_shl(8 * (8 - run) as u32).unwrap_or(0) & splat(0x0f);
    let pairs = (digits * 10 + (digits >> 8)) & 0x00ff_00ff_00ff_00ff;
    let quads = (pairs * 100 + (pairs >> 16)) & 0x0000_ffff_0000_ffff;
    (quads * 10_000 + (quads >> 32)) & 0xffff_ffff
}

/// How many digits the word starts with (8 when all are).
pub(crate) fn digit_count(w: u64) -> usize {
    (non_digits(w).trailing_zeros() / 8) as usize
}

/// A numeric run compared by value without parsing (so without overflow): leading zeros
/// dropped, then the longer is greater, then digit by digit.
pub(crate) fn compare_numbers(a: &[u8], b: &[u8]) -> Ordering {
    let (a, b) = (strip_zeros(a), strip_zeros(b));
    a.len().cmp(&b.len()).then_with(|| compare_short(a, b))
}

/// Byte-wise order of two short slices, in line: a call to `memcmp` costs more than the few
/// bytes a version's segment has.
pub(crate) fn compare_short(a: &[u8], b: &[u8]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

fn strip_zeros(mut digits: &[u8]) -> &[u8] {
    while let [b'0', rest @ ..] = digits {
        digits = rest;
    }
    digits
}

/// The position of the first `byte` (not 0), eight bytes at a time.
#[inline]
fn find_byte(s: &[u8], byte: u8) -> Option<usize> {
    let pattern = splat(byte);
    let len = s.len();
    if len < 8 {
        return first_hit(zero_bytes(short_word(s) ^ pattern), 0);
    }
    let mut start = 0;
    while start + 8 < len {
        if let Some(at) = first_hit(zero_bytes(word(&s[start..start + 8]) ^ pattern), start) {
            return Some(at);
        }
        start += 8;
    }
    first_hit(zero_bytes(word(&s[len - 8..]) ^ pattern), len - 8)
}

/// The position of the last `byte` (not 0), eight bytes at a time from the end: a dash is
/// usually in the last word.
#[inline]
pub(crate) fn find_last(s: &[u8], byte: u8) -> Option<usize> {
    let pattern = splat(byte);
    let len = s.len();
    if len < 8 {
        return last_hit(zero_bytes(short_word(s) ^ pattern), 0);
    }
    let mut start = len - 8;
    loop {
        if let Some(at) = last_hit(zero_bytes(word(&s[start..start + 8]) ^ pattern), start) {
            return Some(at);
        }
        if start == 0 {
            return None;
        }
        start = start.saturating_sub(8);
    }
}

/// The high bit of the bytes of `w` equal to `byte` (not 0): exact up to the first one (the
/// borrow may mark bytes after it), which is all a search for the first needs.
#[inline]
pub(crate) fn matches(w: u64, byte: u8) -> u64 {
    let x = w ^ splat(byte);
    x.wrapping_sub(splat(1)) & !x & splat(0x80)
}

/// The position of the first `byte` (not 0). Up to 24 bytes takes three overlapping words
/// and no branch on the bytes; a hit (rare for a colon) is then located word by word.
#[inline]
pub(crate) fn first_of(s: &[u8], byte: u8) -> Option<usize> {
    let len = s.len();
    let hits = |at: usize| matches(word(&s[at..at + 8]), byte);
    if len < 8 {
        return first_hit(matches(short_word(s), byte), 0);
    }
    if len > 24 {
        return find_byte(s, byte);
    }
    let middle = 8.min(len - 8);
    let (head, mid, tail) = (hits(0), hits(middle), hits(len - 8));
    if head | mid | tail == 0 {
        return None;
    }
    first_hit(head, 0)
        .or_else(|| first_hit(mid, middle))
        .or_else(|| first_hit(tail, len - 8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering;

    #[test]
    fn common_prefix_finds_the_first_difference_in_any_word() {
        assert_eq!(common_prefix(b"", b"abc"), 0);
        assert_eq!(common_prefix(b"2.36-9+deb12u7", b"2.36-9+deb12u9"), 13);
        assert_eq!(common_prefix(b"12345678x", b"12345678y"), 8);
        assert_eq!(common_prefix(b"1234567x", b"1234567y"), 7);
        assert_eq!(common_prefix(b"same", b"same"), 4);
        assert_eq!(common_prefix(b"abcdefghijklmnopq", b"abcdefghijklmnop"), 16);
    }

    #[test]
    fn finds_the_first_and_the_last_byte_in_any_word() {
        for text in [
            "",
            "1:2.3-4-5",
            "2.36-9+deb12u7",
            "12345678:abcdefgh-ijk-",
            "-:",
            "abc",
            "a",
            "1-",
            ":23",
            "1:2-3",
            "1:2.3-4",
            "12345678-",
            "1234567890:1234-",
            "12345:7890:2345-7",
            "1:2-4567890123456789-1",
        ] {
            let s = text.as_bytes();
            let want = (
                s.iter().position(|&c| c == b':'),
                s.iter().rposition(|&c| c == b'-'),
            );
            assert_eq!(find_first_and_last(s, b':', b'-'), want, "{text:?}");
        }
    }

    #[test]
    fn resume_point_backs_up_to_the_start_of_the_run() {
        let digit = |c: u8| c.is_ascii_digit();
        assert_eq!(resume_point(b"1.123", 4, digit), 2);
        assert_eq!(resume_point(b"1.x", 2, digit), 2);
        assert_eq!(resume_point(b"123", 2, digit), 0);
    }

    #[test]
    fn digits_before_counts_back_to_the_start_of_the_digit_run_at_any_length() {
        let digit = |c: u8| c.is_ascii_digit();
        for text in [
            "",
            "1",
            "a",
            "1.123",
            "12345678",
            "x12345678",
            "123456789012345678",
            "1:2.30-4",
            "abc.0000000000000000001",
            "9.9.9.9.9.9.9.9.99999",
        ] {
            let s = text.as_bytes();
            for at in 0..=s.len() {
                assert_eq!(
                    at - digits_before(s, at),
                    resume_point(s, at, digit),
                    "{text:?} at {at}"
                );
            }
        }
    }

    #[test]
    fn trimmed_matches_str_trim() {
        for text in [
            "1.0",
            " 1.0\t",
            "\u{a0}1.0",
            "1.0\u{3000}",
            "",
            " ",
            "\u{1}1",
        ] {
            assert_eq!(trimmed(text), text.trim().as_bytes(), "{text:?}");
        }
    }

    #[test]
    fn short_numbers_compare_by_value_within_their_limit() {
        let word = |text: &str| short_word(text.as_bytes());
        assert_eq!(number_value(word("0071x"), 4), 71);
        assert_eq!(number_value(word("9999999"), 7), 9_999_999);
        assert_eq!(number_value(word("x"), 0), 0);
        let compare = |a: &str, b: &str, limit| compare_short_numbers(word(a), word(b), limit);
        assert_eq!(compare("010.", "9", 8), Some(Ordering::Greater));
        assert_eq!(compare("000", "", 8), None);
        assert_eq!(compare("12a", "13", 3), Some(Ordering::Less));
        assert_eq!(compare("123", "13", 3), None);
        assert_eq!(compare("12345678", "2", 8), None);
    }

    #[test]
    fn head_and_the_bytes_after_it() {
        assert_eq!(head(b"abc"), None);
        for text in ["abcd", "abcdefg", "abcdefgh", "abcdefghijk"] {
            let s = text.as_bytes();
            let want = short_word(&s[..s.len().min(8)]);
            assert_eq!(head(s), Some(want), "{text:?}");
        }
        for text in [
            "1:2",
            "1234:",
            "12345678:",
            "123456789:",
            "12345678901234567890123456789012:",
            "1234567890123456789012345678901234567890:1",
            "1234567890123456789012345678901",
        ] {
            let s = text.as_bytes();
            let want = s.iter().skip(8).any(|&c| c == b':');
            assert_eq!(contains_after_head(s, b':'), want, "{text:?}");
        }
        let s = b"1.2.3.4.5-6";
        for at in 0..=s.len() {
            let want = short_word(&s[at..(at + 8).min(s.len())]);
            assert_eq!(window(s, at), want, "at {at}");
        }
    }

    #[test]
    fn numbers_compare_by_value_beyond_u64() {
        assert_eq!(compare_numbers(b"010", b"9"), Ordering::Greater);
        assert_eq!(compare_numbers(b"000", b""), Ordering::Equal);
        assert_eq!(
            compare_numbers(b"99999999999999999999999", b"100000000000000000000000"),
            Ordering::Less
        );
    }
}
