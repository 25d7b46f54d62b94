//! Byte-slice helpers shared by the dpkg and rpm comparisons, which work on the input's bytes
//! in place (no splitting into owned strings, no allocation).

/// The input without surrounding whitespace, as `str::trim` defines it. Versions almost never
/// carry any, so two byte checks usually settle it without scanning.
pub(crate) fn trimmed(text: &str) -> &[u8] {
    let bytes = text.as_bytes();
    let plain = |c: u8| c > b' ' && c.is_ascii();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) if plain(first) && plain(last) => bytes,
        _ => text.trim().as_bytes(),
    }
}

/// The length of the longest common prefix, eight bytes at a time.
pub(crate) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let mut at = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let diff = word(x) ^ word(y);
        if diff != 0 {
            // Little-endian: the lowest differing byte is the first one.
            return at + (diff.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while at < len && a[at] == b[at] {
        at += 1;
    }
    at
}

fn word(chunk: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk);
    u64::from_le_bytes(bytes)
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

/// The first position of `byte`, if any.
pub(crate) fn find(s: &[u8], byte: u8) -> Option<usize> {
    s.iter().position(|&c| c == byte)
}

/// The last position of `byte`, if any.
pub(crate) fn find_last(s: &[u8], byte: u8) -> Option<usize> {
    s.iter().rposition(|&c| c == byte)
}

/// A numeric run compared by value without parsing (so without overflow): leading zeros
/// dropped, then the longer is greater, then digit by digit.
pub(crate) fn compare_numbers(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let (a, b) = (strip_zeros(a), strip_zeros(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn strip_zeros(mut digits: &[u8]) -> &[u8] {
    while let [b'0', rest @ ..] = digits {
        digits = rest;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

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
    fn resume_point_backs_up_to_the_start_of_the_run() {
        let digit = |c: u8| c.is_ascii_digit();
        assert_eq!(resume_point(b"1.123", 4, digit), 2);
        assert_eq!(resume_point(b"1.x", 2, digit), 2);
        assert_eq!(resume_point(b"123", 2, digit), 0);
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
    fn numbers_compare_by_value_beyond_u64() {
        assert_eq!(compare_numbers(b"010", b"9"), Ordering::Greater);
        assert_eq!(compare_numbers(b"000", b""), Ordering::Equal);
        assert_eq!(
            compare_numbers(b"99999999999999999999999", b"100000000000000000000000"),
            Ordering::Less
        );
    }
}
