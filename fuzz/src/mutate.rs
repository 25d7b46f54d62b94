//! Byte-level mutation of an input: the stacked edits of coverage-free fuzzers (bit flips,
//! interesting bytes, inserted and deleted ranges, dictionary tokens, splices of another
//! seed, a chunk repeated to build deep nesting or long lines).

use crate::rng::Rng;

/// Bytes that parsers treat specially.
const INTERESTING_BYTES: &[u8] = b"\0\n\r\t :-,=!()[]{}\"'~/\\.+_#*?%@0129aAzZ\x7f\xff\xc3";

/// Numbers at the edges of the integer types parsers read.
const INTERESTING_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "255",
    "256",
    "65536",
    "2147483648",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "1e309",
    "-0",
    "0.5",
    "NaN",
];

/// Edits `input` 1 to 8 times. `dictionary` holds tokens of the target's format, `other` is
/// a second input to splice from. The result is at most `max_len` bytes.
pub fn mutate(
    input: &[u8],
    dictionary: &[&str],
    other: &[u8],
    rng: &mut Rng,
    max_len: usize,
) -> Vec<u8> {
    let mut data = input.to_vec();
    let rounds = 1 + rng.below(8);
    for _ in 0..rounds {
        mutate_once(&mut data, dictionary, other, rng);
    }
    data.truncate(max_len);
    data
}

fn mutate_once(data: &mut Vec<u8>, dictionary: &[&str], other: &[u8], rng: &mut Rng) {
    let len = data.len();
    match rng.below(12) {
        0 if len > 0 => {
            let at = rng.below(len);
            data[at] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let at = rng.below(len);
            data[at] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())];
        }
        2 => {
            let at = rng.below(len + 1);
            let byte = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())];
            data.insert(at, byte);
        }
        3 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(16)).min(len);
            data.drain(start..end);
        }
        4 if len > 0 => {
            let (start, end) = range(len, rng);
            let chunk = data[start..end].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, chunk);
        }
        5 | 6 => insert_token(data, rng.pick(dictionary).copied(), rng),
        7 => insert_token(data, rng.pick(INTERESTING_NUMBERS).copied(), rng),
        8 if !other.is_empty() => {
            let (start, end) = range(other.len(), rng);
            let at = rng.below(len + 1);
            let cut = (at + rng.below(len - at + 1)).min(len);
            data.splice(at..cut, other[start..end].iter().copied());
        }
        9 if len > 0 => {
            // Many copies of a short chunk: deep nesting, long lines, many records.
            let (start, _) = range(len, rng);
            let end = (start + 1 + rng.below(8)).min(len);
            let chunk = data[start..end].to_vec();
            let copies = 1 + rng.below(256);
            let at = rng.below(len + 1);
            data.splice(at..at, chunk.repeat(copies));
        }
        10 if len > 0 => data.truncate(rng.below(len)),
        11 if len > 1 => {
            let a = rng.below(len);
            let b = rng.below(len);
            data.swap(a, b);
        }
        _ => data.push(INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())]),
    }
}

/// Replaces a short range (or nothing) at a random place with `token`.
fn insert_token(data: &mut Vec<u8>, token: Option<&str>, rng: &mut Rng) {
    let Some(token) = token else { return };
    let len = data.len();
    let at = rng.below(len + 1);
    let cut = if rng.one_in(2) {
        (at + rng.below(8)).min(len)
    } else {
        at
    };
    data.splice(at..cut, token.bytes());
}

/// A non-empty range of `0..len` (`len` > 0), usually short.
fn range(len: usize, rng: &mut Rng) -> (usize, usize) {
    let start = rng.below(len);
    let longest = if rng.one_in(4) { len } else { 32 };
    let end = (start + 1 + rng.below(longest)).min(len);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutation_changes_inputs_and_respects_the_length_limit() {
        let mut rng = Rng::new(3);
        let seed = b"Package: libc6\nVersion: 2.36-9\n";
        let mut changed = 0;
        for _ in 0..500 {
            let out = mutate(seed, &["Status: "], b"other input", &mut rng, 64);
            assert!(out.len() <= 64);
            changed += usize::from(out != seed);
        }
        assert!(
            changed > 400,
            "only {changed} of 500 mutations changed the input"
        );
    }

    #[test]
    fn empty_inputs_and_dictionaries_are_handled() {
        let mut rng = Rng::new(9);
        for _ in 0..500 {
            let out = mutate(b"", &[], b"", &mut rng, 1024);
            assert!(out.len() <= 1024);
        }
    }
}
