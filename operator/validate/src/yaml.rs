//! Multi-document YAML into JSON values, remembering the line and column of every field so that
//! diagnostics can point at it. Built on the granit-parser event stream, without recursion, with
//! limits on nesting and alias expansion, and never panicking on malformed input.

use std::collections::{BTreeMap, HashMap};

use granit_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};

use crate::path::{child_index, child_key};

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

/// A collection being built.
enum Frame {
    Sequence {
        items: Vec<Value>,
        path: String,
        anchor: usize,
        nodes: usize,
    },
    Mapping {
        map: Map<String, Value>,
        path: String,
        anchor: usize,
        nodes: usize,
        key: Option<String>,
        merges: Vec<Value>,
        /// Set while this collection is itself a mapping key (not supported by JSON).
        is_key: bool,
    },
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
                builder.problems.push(YamlProblem {
                    position: Position {
                        line: marker.line(),
                        column: marker.col() + 1,
                    },
                    document: builder.index,
                    message: format!("invalid YAML: {}", error.info()),
                });
                break;
            }
        }
    }
    (builder.documents, builder.problems)
}

#[derive(Default)]
struct Builder {
    documents: Vec<YamlDocument>,
    problems: Vec<YamlProblem>,
    /// Index of the current document.
    index: usize,
    in_document: bool,
    start: Option<Position>,
    stack: Vec<Frame>,
    root: Option<Value>,
    positions: BTreeMap<String, Position>,
    anchors: HashMap<usize, (Value, usize)>,
    nodes: usize,
    /// Set when the document is abandoned (too deep, too large): its events are skipped.
    skipping: bool,
}

impl Builder {
    fn problem(&mut self, position: Position, message: impl Into<String>) {
        self.problems.push(YamlProblem {
            position,
            document: self.index,
            message: message.into(),
        });
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> std::ops::ControlFlow<()> {
        use std::ops::ControlFlow;
        if self.skipping {
            match event {
                Event::DocumentEnd => self.end_document(),
                Event::StreamEnd => return ControlFlow::Break(()),
                _ => {}
            }
            return ControlFlow::Continue(());
        }
        match event {
            Event::StreamStart | Event::Anchor(..) => {}
            #[allow(unreachable_patterns)]
            Event::StreamEnd => return ControlFlow::Break(()),
            Event::DocumentStart(..) => {
                self.in_document = true;
                self.start = None;
                self.stack.clear();
                self.root = None;
                self.positions.clear();
                self.anchors.clear();
                self.nodes = 0;
            }
            Event::DocumentEnd => self.end_document(),
            Event::Scalar(text, style, anchor, tag) => {
                let position = Position::of(span);
                self.note_start(position);
                if self.is_key_position() {
                    self.set_key(text.into_owned(), position);
                    return ControlFlow::Continue(());
                }
                let forced_string = tag
                    .as_ref()
                    .is_some_and(|t| t.is_yaml_core_schema() && t.suffix() == "str");
                let value = if forced_string || style != ScalarStyle::Plain {
                    Value::String(text.into_owned())
                } else {
                    match resolve_plain(&text) {
                        Ok(value) => value,
                        Err(unrepresentable) => {
                            self.problem(position, unrepresentable.to_string());
                            Value::String(text.into_owned())
                        }
                    }
                };
                self.record_value_position(position);
                self.complete(value, anchor, 1, position);
            }
            Event::Alias(id) => {
                let position = Position::of(span);
                self.note_start(position);
                let Some((value, size)) = self.anchors.get(&id).cloned() else {
                    self.problem(position, "alias refers to an unknown anchor");
                    return ControlFlow::Continue(());
                };
                if self.is_key_position() {
                    self.problem(position, "an alias cannot be a mapping key here");
                    self.set_key(value.to_string(), position);
                    return ControlFlow::Continue(());
                }
                self.record_value_position(position);
                self.complete(value, 0, size, position);
            }
            Event::UnresolvedAlias(name) => {
                let position = Position::of(span);
                self.problem(position, format!("alias *{name} has no anchor"));
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                let position = Position::of(span);
                self.note_start(position);
                if self.stack.len() >= MAX_DEPTH {
                    self.problem(
                        position,
                        format!("nested deeper than {MAX_DEPTH} levels; the document is skipped"),
                    );
                    self.abandon();
                    return ControlFlow::Continue(());
                }
                let is_key = self.is_key_position();
                let path = if is_key {
                    String::from("<key>")
                } else {
                    self.record_value_position(position);
                    self.child_path()
                };
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Sequence {
                        items: Vec::new(),
                        path,
                        anchor,
                        nodes: 1,
                    }
                } else {
                    Frame::Mapping {
                        map: Map::new(),
                        path,
                        anchor,
                        nodes: 1,
                        key: None,
                        merges: Vec::new(),
                        is_key,
                    }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let position = Position::of(span);
                let Some(frame) = self.stack.pop() else {
                    return ControlFlow::Continue(());
                };
                let (value, anchor, nodes) = match frame {
                    Frame::Sequence {
                        items,
                        anchor,
                        nodes,
                        ..
                    } => (Value::Array(items), anchor, nodes),
                    Frame::Mapping {
                        mut map,
                        anchor,
                        nodes,
                        merges,
                        is_key,
                        ..
                    } => {
                        for merge in merges {
                            merge_into(&mut map, merge);
                        }
                        if is_key {
                            self.problem(
                                position,
                                "a mapping key must be a plain value, not a list or mapping",
                            );
                            let key = Value::Object(map).to_string();
                            self.set_key(key, position);
                            return ControlFlow::Continue(());
                        }
                        (Value::Object(map), anchor, nodes)
                    }
                };
                self.complete(value, anchor, nodes, position);
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn note_start(&mut self, position: Position) {
        if self.start.is_none() {
            self.start = Some(position);
        }
    }

    fn abandon(&mut self) {
        self.skipping = true;
        self.stack.clear();
        self.root = None;
    }

    /// Whether the next node is the key of a mapping entry.
    fn is_key_position(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Mapping { key: None, .. }))
    }

    fn child_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Sequence { items, path, .. }) => child_index(path, items.len()),
            Some(Frame::Mapping { key, path, .. }) => child_key(path, key.as_deref().unwrap_or("")),
        }
    }

    /// List items are located at their start; mapping values at their key (already recorded).
    fn record_value_position(&mut self, position: Position) {
        if let Some(Frame::Sequence { items, path, .. }) = self.stack.last() {
            let child = child_index(path, items.len());
            self.positions.entry(child).or_insert(position);
        }
    }

    fn set_key(&mut self, key: String, position: Position) {
        let duplicate = match self.stack.last() {
            Some(Frame::Mapping { map, .. }) => key != "<<" && map.contains_key(&key),
            _ => false,
        };
        if duplicate {
            self.problem(position, format!("duplicate key `{key}`"));
        }
        if let Some(Frame::Mapping {
            key: slot, path, ..
        }) = self.stack.last_mut()
        {
            let child = child_key(path, &key);
            *slot = Some(key);
            if !duplicate {
                self.positions.insert(child, position);
            }
        }
    }

    /// A finished value: record its anchor and attach it to its parent (or make it the root).
    fn complete(&mut self, value: Value, anchor: usize, nodes: usize, position: Position) {
        self.nodes = self.nodes.saturating_add(nodes);
        if self.nodes > MAX_NODES {
            self.problem(
                position,
                format!("more than {MAX_NODES} values (after expanding aliases); the document is skipped"),
            );
            self.abandon();
            return;
        }
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), nodes));
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Sequence {
                items, nodes: n, ..
            }) => {
                items.push(value);
                *n = n.saturating_add(nodes);
            }
            Some(Frame::Mapping {
                map,
                key,
                merges,
                nodes: n,
                ..
            }) => {
                *n = n.saturating_add(nodes);
                match key.take() {
                    Some(k) if k == "<<" => merges.push(value),
                    Some(k) => {
                        map.insert(k, value);
                    }
                    None => {}
                }
            }
        }
    }

    fn end_document(&mut self) {
        if self.in_document {
            if let Some(value) = self.root.take()
                && !value.is_null()
            {
                self.documents.push(YamlDocument {
                    index: self.index,
                    start: self.start.unwrap_or(Position { line: 1, column: 1 }),
                    value,
                    positions: std::mem::take(&mut self.positions),
                });
            }
            self.index += 1;
        }
        self.in_document = false;
        self.skipping = false;
        self.stack.clear();
        self.positions.clear();
    }
}

/// YAML merge keys (`<<: *defaults`): entries of the merged mapping(s) that are not already set.
fn merge_into(map: &mut Map<String, Value>, merge: Value) {
    let sources = match merge {
        Value::Array(items) => items,
        other => vec![other],
    };
    for source in sources {
        if let Value::Object(entries) = source {
            for (k, v) in entries {
                map.entry(k).or_insert(v);
            }
        }
    }
}

/// A plain scalar that YAML reads but a Kubernetes object (JSON) cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text} is not representable in a Kubernetes object")]
struct Unrepresentable {
    text: String,
}

/// The value of a plain scalar under the YAML 1.2 core schema.
fn resolve_plain(text: &str) -> Result<Value, Unrepresentable> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => {
            return Err(Unrepresentable {
                text: text.to_string(),
            });
        }
        _ => {}
    }
    let bytes = text.as_bytes();
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = text.trim_start_matches('+').parse::<i64>() {
            return Ok(Value::Number(n.into()));
        }
        if let Ok(n) = text.trim_start_matches('+').parse::<u64>() {
            return Ok(Value::Number(n.into()));
        }
        return Ok(float(text).unwrap_or_else(|| Value::String(text.to_string())));
    }
    if let Some(hex) = text.strip_prefix("0x")
        && !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Ok(u64::from_str_radix(hex, 16)
            .map(|n| Value::Number(n.into()))
            .unwrap_or_else(|_| Value::String(text.to_string())));
    }
    if let Some(octal) = text.strip_prefix("0o")
        && !octal.is_empty()
        && octal.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return Ok(u64::from_str_radix(octal, 8)
            .map(|n| Value::Number(n.into()))
            .unwrap_or_else(|_| Value::String(text.to_string())));
    }
    let looks_numeric = bytes
        .first()
        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.'))
        && is_core_float(unsigned);
    if looks_numeric && let Some(value) = float(text) {
        return Ok(value);
    }
    Ok(Value::String(text.to_string()))
}

/// `[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?` or `\.[0-9]+([eE][-+]?[0-9]+)?`.
fn is_core_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match fraction {
        Some(f) => digits(whole) && digits(f) && !(whole.is_empty() && f.is_empty()),
        None => !whole.is_empty() && digits(whole),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

fn float(text: &str) -> Option<Value> {
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documents_with_positions() {
        let text =
            "a: 1\n---\n# comment\nkind: X\nspec:\n  list:\n  - name: one\n    port: 22\n  - two\n";
        let (docs, problems) = parse_documents(text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].value["spec"]["list"][0]["port"], 22);
        assert_eq!(
            docs[1].positions["spec.list[0].port"],
            Position { line: 8, column: 5 }
        );
        assert_eq!(
            docs[1].positions["spec.list[1]"],
            Position { line: 9, column: 5 }
        );
        assert_eq!(docs[1].position_of("spec.list[0].missing").line, 7);
        assert_eq!(docs[1].start.line, 4);
    }

    #[test]
    fn resolves_scalars_like_yaml_1_2() {
        let (docs, _) = parse_documents(
            "a: yes\nb: true\nc: 010\nd: 1.5\ne: '3'\nf: ~\ng: 0x1F\nh: 1e3\ni: 2h30m\nj: !!str 5\n",
        );
        let v = &docs[0].value;
        assert_eq!(v["a"], "yes");
        assert_eq!(v["b"], true);
        assert_eq!(v["c"], 10);
        assert_eq!(v["d"], 1.5);
        assert_eq!(v["e"], "3");
        assert!(v["f"].is_null());
        assert_eq!(v["g"], 31);
        assert_eq!(v["h"], 1000.0);
        assert_eq!(v["i"], "2h30m");
        assert_eq!(v["j"], "5");
    }

    #[test]
    fn reports_duplicate_keys_and_syntax_errors_with_lines() {
        let (_, problems) = parse_documents("a: 1\nb: 2\na: 3\n");
        assert_eq!(problems[0].position.line, 3);
        assert!(problems[0].message.contains("duplicate key `a`"));
        let (docs, problems) = parse_documents("a: 1\n---\nb: [1, 2\nc: 3\n");
        assert_eq!(docs.len(), 1);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.starts_with("invalid YAML"));
    }

    #[test]
    fn expands_aliases_and_merge_keys() {
        let (docs, problems) =
            parse_documents("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nlist: [*b]\n");
        assert!(problems.is_empty(), "{problems:?}");
        let v = &docs[0].value;
        assert_eq!(v["other"]["x"], 1);
        assert_eq!(v["other"]["y"], 3);
        assert_eq!(v["list"][0]["y"], 2);
    }

    #[test]
    fn bounds_alias_bombs_and_deep_nesting() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("l{}", i - 1)
            };
            bomb.push_str(&format!(
                "l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let (docs, problems) = parse_documents(&bomb);
        assert!(docs.is_empty());
        assert!(problems[0].message.contains("more than"), "{problems:?}");
        let deep = format!("{}{}", "[".repeat(150), "]".repeat(150));
        let (docs, problems) = parse_documents(&deep);
        assert!(docs.is_empty());
        assert!(
            problems[0].message.contains("nested deeper"),
            "{problems:?}"
        );
        // Deeper still, the parser's own limit answers, as an error rather than a crash.
        let deeper = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let (docs, problems) = parse_documents(&deeper);
        assert!(docs.is_empty());
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
