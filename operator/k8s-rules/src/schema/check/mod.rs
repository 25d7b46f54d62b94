//! Checking a value against a structural schema, as the API server validates a custom
//! resource: types (with `nullable` and `x-kubernetes-int-or-string`), `enum`, `required`,
//! member and item counts, list sets and list-map keys, string lengths, `pattern`,
//! `format: date-time`, numeric bounds, and the `allOf`/`anyOf`/`oneOf`/`not` value checks.
//! Nothing is changed; every violation is reported with its path.
//!
//! The walk and the value checks are here; objects and lists are checked in `collections`,
//! strings and numbers in `scalars`.

mod collections;
mod scalars;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

use super::node::SchemaNode;
use super::violation::{Violation, ViolationKind};
use crate::field_path::PathRef;

/// What a check reports beyond what the API server refuses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Report members the schema does not declare. The API server prunes them silently (or
    /// warns); a linter reports them, since they are most often typos.
    pub report_unknown_fields: bool,
    /// Also bound integers by the range of their `format` (`int32`, `uint8`, `uint16`,
    /// `uint32`, `uint64`). The API server does not, but a value out of that range cannot be
    /// read by the program the schema was generated from.
    pub integer_format_ranges: bool,
}

/// How a node is walked.
#[derive(Debug, Clone, Copy)]
struct Walk {
    /// The top-level object, whose generic fields the schema does not describe.
    root: bool,
    /// Whether undeclared members are reported (never inside `allOf`/`anyOf`/`oneOf`/`not`,
    /// which only constrain values).
    report_unknown: bool,
}

/// Checks objects against one schema, compiling each `pattern` once.
pub struct SchemaChecker<'s> {
    schema: &'s Value,
    options: CheckOptions,
    patterns: HashMap<&'s str, Option<Regex>>,
}

impl<'s> SchemaChecker<'s> {
    /// A checker for an `openAPIV3Schema`.
    pub fn new(schema: &'s Value, options: CheckOptions) -> Self {
        SchemaChecker {
            schema,
            options,
            patterns: HashMap::new(),
        }
    }

    /// Every violation of a whole object, in document order. `apiVersion`, `kind` and
    /// `metadata` are left to the generic object rules ([`super::check_object_meta`]).
    pub fn check(&mut self, object: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        let walk = Walk {
            root: true,
            report_unknown: self.options.report_unknown_fields,
        };
        self.node(
            SchemaNode::new(self.schema),
            object,
            &PathRef::Root,
            walk,
            &mut out,
        );
        out
    }

    fn node(
        &mut self,
        schema: SchemaNode<'s>,
        value: &Value,
        path: &PathRef<'_>,
        walk: Walk,
        out: &mut Vec<Violation>,
    ) {
        let report = |out: &mut Vec<Violation>, kind| {
            out.push(Violation {
                path: path.to_path(),
                kind,
            })
        };
        if value.is_null() {
            if !schema.is_nullable()
                && let Some(expected) = schema.expected_type()
            {
                report(out, ViolationKind::NullNotAllowed { expected });
            }
            return;
        }
        if let Some(expected) = schema.expected_type()
            && !expected.admits(value)
        {
            report(
                out,
                ViolationKind::WrongType {
                    expected,
                    found: value.clone(),
                },
            );
            return;
        }
        if let Some(allowed) = schema.enum_values()
            && !allowed.contains(value)
        {
            report(
                out,
                ViolationKind::NotInEnum {
                    found: value.clone(),
                    allowed: allowed.to_vec(),
                },
            );
        }
        match value {
            Value::Object(members) => self.object(schema, members, path, walk, out),
            Value::Array(items) => self.array(schema, items, path, walk, out),
            Value::String(text) => self.string(schema, text, path, out),
            Value::Number(number) => self.number(schema, number, path, out),
            Value::Bool(_) | Value::Null => {}
        }
        self.value_checks(schema, value, path, walk, out);
    }

    /// `allOf`, `anyOf`, `oneOf` and `not`: constraints on the value, never on its shape.
    fn value_checks(
        &mut self,
        schema: SchemaNode<'s>,
        value: &Value,
        path: &PathRef<'_>,
        walk: Walk,
        out: &mut Vec<Violation>,
    ) {
        let inner = Walk {
            report_unknown: false,
            ..walk
        };
        if let Some(all) = schema.branches("allOf") {
            for branch in all {
                self.node(branch, value, path, inner, out);
            }
        }
        if let Some(any) = schema.branches("anyOf")
            && !any
                .into_iter()
                .any(|branch| self.admits(branch, value, path, inner))
        {
            out.push(Violation {
                path: path.to_path(),
                kind: ViolationKind::NoAnyOfMatch {
                    found: value.clone(),
                },
            });
        }
        if let Some(one) = schema.branches("oneOf") {
            let matched = one
                .into_iter()
                .filter(|branch| self.admits(*branch, value, path, inner))
                .count();
            if matched != 1 {
                out.push(Violation {
                    path: path.to_path(),
                    kind: ViolationKind::NotExactlyOneOf {
                        found: value.clone(),
                        matched,
                    },
                });
            }
        }
        if let Some(not) = schema.negated()
            && self.admits(not, value, path, inner)
        {
            out.push(Violation {
                path: path.to_path(),
                kind: ViolationKind::MatchesNot {
                    found: value.clone(),
                },
            });
        }
    }

    fn admits(
        &mut self,
        schema: SchemaNode<'s>,
        value: &Value,
        path: &PathRef<'_>,
        walk: Walk,
    ) -> bool {
        let mut probe = Vec::new();
        self.node(schema, value, path, walk, &mut probe);
        probe.is_empty()
    }
}
