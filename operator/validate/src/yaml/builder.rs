//! The documents of one YAML stream, built event by event: each document's JSON value, the
//! position of its fields, its anchors, and the problems met on the way.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;

use granit_parser::{Event, ScalarStyle, Span, Tag};
use serde_json::Value;

use super::frame::{Closed, Frame};
use super::{MAX_DEPTH, MAX_NODES, Position, YamlDocument, YamlProblem, scalar};

/// Whether a collection is a list or a mapping.
#[derive(Clone, Copy)]
enum Collection {
    Sequence,
    Mapping,
}

#[derive(Default)]
pub(super) struct Builder {
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
    /// A problem in the current document.
    pub(super) fn problem(&mut self, position: Position, message: impl Into<String>) {
        self.problems.push(YamlProblem {
            position,
            document: self.index,
            message: message.into(),
        });
    }

    /// The documents and problems so far.
    pub(super) fn finish(self) -> (Vec<YamlDocument>, Vec<YamlProblem>) {
        (self.documents, self.problems)
    }

    /// Takes one event; breaks at the end of the stream.
    pub(super) fn event(&mut self, event: Event<'_>, span: &Span) -> ControlFlow<()> {
        if self.skipping {
            return self.skipped_event(&event);
        }
        let position = Position::of(span);
        match event {
            Event::StreamStart | Event::Anchor(..) => {}
            Event::StreamEnd => return ControlFlow::Break(()),
            Event::DocumentStart(..) => self.start_document(),
            Event::DocumentEnd => self.end_document(),
            Event::Scalar(text, style, anchor, tag) => {
                self.scalar(text, style, anchor, tag.as_deref(), position)
            }
            Event::Alias(id) => self.alias(id, position),
            Event::UnresolvedAlias(name) => {
                self.problem(position, format!("alias *{name} has no anchor"))
            }
            Event::SequenceStart(_, anchor, _) => {
                self.start_collection(Collection::Sequence, anchor, position)
            }
            Event::MappingStart(_, anchor, _) => {
                self.start_collection(Collection::Mapping, anchor, position)
            }
            Event::SequenceEnd | Event::MappingEnd => self.end_collection(position),
            // Comments, when the parser is built to report them.
            #[allow(unreachable_patterns)]
            _ => {}
        }
        ControlFlow::Continue(())
    }

    /// An event of an abandoned document: only its end matters.
    fn skipped_event(&mut self, event: &Event<'_>) -> ControlFlow<()> {
        match event {
            Event::DocumentEnd => self.end_document(),
            Event::StreamEnd => return ControlFlow::Break(()),
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn start_document(&mut self) {
        self.in_document = true;
        self.start = None;
        self.stack.clear();
        self.root = None;
        self.positions.clear();
        self.anchors.clear();
        self.nodes = 0;
    }

    fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        position: Position,
    ) {
        self.note_start(position);
        if self.is_key_position() {
            self.set_key(text.into_owned(), position);
            return;
        }
        let value = match scalar::resolve(&text, style, tag) {
            Ok(value) => value,
            Err(unrepresentable) => {
                self.problem(position, unrepresentable.to_string());
                Value::String(text.into_owned())
            }
        };
        self.record_value_position(position);
        self.complete(value, anchor, 1, position);
    }

    /// An alias is a copy of its anchor's value, counting its full size against the limit.
    fn alias(&mut self, id: usize, position: Position) {
        self.note_start(position);
        let Some((value, size)) = self.anchors.get(&id).cloned() else {
            self.problem(position, "alias refers to an unknown anchor");
            return;
        };
        if self.is_key_position() {
            self.problem(position, "an alias cannot be a mapping key here");
            self.set_key(value.to_string(), position);
            return;
        }
        self.record_value_position(position);
        self.complete(value, 0, size, position);
    }

    fn start_collection(&mut self, collection: Collection, anchor: usize, position: Position) {
        self.note_start(position);
        if self.stack.len() >= MAX_DEPTH {
            self.problem(
                position,
                format!("nested deeper than {MAX_DEPTH} levels; the document is skipped"),
            );
            self.abandon();
            return;
        }
        let is_key = self.is_key_position();
        let path = if is_key {
            String::from("<key>")
        } else {
            self.record_value_position(position);
            self.child_path()
        };
        self.stack.push(match collection {
            Collection::Sequence => Frame::sequence(path, anchor),
            Collection::Mapping => Frame::mapping(path, anchor, is_key),
        });
    }

    fn end_collection(&mut self, position: Position) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        match frame.close() {
            Closed::Value {
                value,
                anchor,
                nodes,
            } => self.complete(value, anchor, nodes, position),
            Closed::Key(key) => {
                self.problem(
                    position,
                    "a mapping key must be a plain value, not a list or mapping",
                );
                self.set_key(key, position);
            }
        }
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
        self.stack.last().is_some_and(Frame::expects_key)
    }

    fn child_path(&self) -> String {
        self.stack.last().map(Frame::child_path).unwrap_or_default()
    }

    /// List items are located at their start; mapping values at their key (already recorded).
    fn record_value_position(&mut self, position: Position) {
        if let Some(child) = self.stack.last().and_then(Frame::next_item_path) {
            self.positions.entry(child).or_insert(position);
        }
    }

    fn set_key(&mut self, key: String, position: Position) {
        let duplicate = self.stack.last().is_some_and(|frame| frame.has_key(&key));
        if duplicate {
            self.problem(position, format!("duplicate key `{key}`"));
        }
        if let Some(child) = self.stack.last_mut().and_then(|frame| frame.set_key(key))
            && !duplicate
        {
            self.positions.insert(child, position);
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
            Some(frame) => frame.attach(value, nodes),
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
