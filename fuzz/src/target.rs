//! What a fuzz target is: seeds, a dictionary, an optional structured generator and the
//! check that feeds one input to a parser.

use std::borrow::Cow;

use arbitrary::Unstructured;

/// A property a parser's answer broke (a panic is caught separately).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invariant {invariant} broken: {detail}")]
pub struct Violation {
    /// Short name of the invariant (`antisymmetry`, `round-trip`).
    pub invariant: &'static str,
    /// The values involved.
    pub detail: String,
}

impl Violation {
    /// A violation of `invariant`, described by `detail`.
    pub fn new(invariant: &'static str, detail: impl Into<String>) -> Violation {
        Violation {
            invariant,
            detail: detail.into(),
        }
    }
}

/// Builds an input from generator bytes.
pub type Generator = fn(&mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>>;

/// One fuzz target.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The name on the command line (`osv`, `version-dpkg`).
    pub name: &'static str,
    /// The parser it drives, for `list`.
    pub about: &'static str,
    /// Small, real-looking inputs the mutations start from.
    pub seeds: &'static [&'static str],
    /// Tokens of the format, inserted by mutations.
    pub dictionary: &'static [&'static str],
    /// Structured generation, for targets whose inputs have a shape mutations rarely hit.
    pub generate: Option<Generator>,
    /// Feeds one input to the parser; `Err` when an invariant broke.
    pub check: fn(&[u8]) -> Result<(), Violation>,
}

/// The input as text, invalid UTF-8 replaced: the parsers take `&str`.
pub fn text(input: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(input)
}

/// Up to `count` lines of the input.
pub fn lines(input: &[u8], count: usize) -> Vec<String> {
    text(input)
        .split('\n')
        .take(count)
        .map(str::to_string)
        .collect()
}
