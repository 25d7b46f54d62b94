//! Multi-document YAML into JSON values, remembering the line and column of every field so that
//! diagnostics can point at it. Built on the granit-parser event stream, without recursion, with
//! limits on nesting and alias expansion, and never panicking on malformed input.

mod builder;
mod frame;
mod scalar;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use granit_parser::{Parser, Span};
use serde_json::Value;

use builder::Builder;

/// Deepest nesting of collections accepted in one document.
pub const MAX_DEPTH: usize = 100;
/// Most values (counting alias expansions) accepted in one document.
pub const MAX_NODES: usize = 1_000_000;

/// A line (1-based) and column (1-based) in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    fn of(span: &Span) -> Position {
        Position {
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }
}

/// One YAML document as JSON, with the position of each field.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlDocument {
    /// Index of the document in its file (0-based, counting empty documents).
    pub index: usize,
    /// Where the document's content starts.
    pub start: Position,
    /// The content.
    pub value: Value,
    /// Where each field is: the key of a mapping entry, the start of a list item.
    pub positions: BTreeMap<String, Position>,
}

impl YamlDocument {
    /// The position of `path`, or of its closest enclosing field that exists.
    pub fn position_of(&self, path: &str) -> Position {
        let mut current = Some(path);
        while let Some(p) = current {
            if let Some(position) = self.positions.get(p) {
                return *position;
            }
            current = crate::path::parent(p);
        }
        self.start
    }
}

/// A problem in the YAML text itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlProblem {
    /// Where it is.
    pub position: Position,
    /// Index of the document it is in.
    pub document: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses every document of `text`. Documents before a syntax error are returned; the error
/// ends the file (YAML cannot be resynchronised reliably).
pub fn parse_documents(text: &str) -> (Vec<YamlDocument>, Vec<YamlProblem>) {
    let mut builder = Builder::default();
    for next in Parser::new_from_str(text) {
        match next {
            Ok((event, span)) => {
                if builder.event(event, &span).is_break() {
                    break;
                }
            }
            Err(error) => {
                let marker = error.marker();
                let position = Position {
                    line: marker.line(),
                    column: marker.col() + 1,
                };
                builder.problem(position, format!("invalid YAML: {}", error.info()));
                break;
            }
        }
    }
    builder.finish()
}
