//! Strings and numbers against their schema node: lengths (in characters), `pattern` (each
//! compiled once per checker), `format: date-time`, and numeric bounds, optionally narrowed to
//! the range of an integer `format`.

use regex::Regex;
use serde_json::Number;

use super::super::node::SchemaNode;
use super::super::violation::{Violation, ViolationKind};
use super::SchemaChecker;
use crate::field_path::PathRef;

impl<'s> SchemaChecker<'s> {
    pub(super) fn string(
        &mut self,
        schema: SchemaNode<'s>,
        text: &str,
        path: &PathRef<'_>,
        out: &mut Vec<Violation>,
    ) {
        let mut report = |kind| {
            out.push(Violation {
                path: path.to_path(),
                kind,
            })
        };
        let length = text.chars().count();
        if let Some(min) = schema.u64("minLength")
            && (length as u64) < min
        {
            report(ViolationKind::TooShort {
                min,
                value: text.to_string(),
            });
        }
        if let Some(max) = schema.u64("maxLength")
            && (length as u64) > max
        {
            report(ViolationKind::TooLong {
                max,
                length,
                value: text.to_string(),
            });
        }
        if let Some(pattern) = schema.str("pattern") {
            // A pattern that does not compile constrains nothing, as before: the CRD's author
            // learns of it when the real server refuses the CRD.
            let regex = self
                .patterns
                .entry(pattern)
                .or_insert_with(|| Regex::new(pattern).ok());
            if let Some(regex) = regex
                && !regex.is_match(text)
            {
                report(ViolationKind::PatternMismatch {
                    pattern: pattern.to_string(),
                    value: text.to_string(),
                });
            }
        }
        if schema.str("format") == Some("date-time")
            && chrono::DateTime::parse_from_rfc3339(text).is_err()
        {
            report(ViolationKind::NotDateTime {
                value: text.to_string(),
            });
        }
    }

    pub(super) fn number(
        &mut self,
        schema: SchemaNode<'s>,
        number: &Number,
        path: &PathRef<'_>,
        out: &mut Vec<Violation>,
    ) {
        let Some(found) = number.as_f64() else {
            return;
        };
        let (format_min, format_max) = if self.options.integer_format_ranges {
            integer_format_range(schema.str("format"))
        } else {
            (f64::NEG_INFINITY, f64::INFINITY)
        };
        let (minimum, exclusive) = match schema.f64("minimum") {
            Some(m) if m >= format_min => (m, schema.is_exclusive("exclusiveMinimum")),
            _ => (format_min, false),
        };
        if found < minimum || (exclusive && found == minimum) {
            out.push(Violation {
                path: path.to_path(),
                kind: ViolationKind::BelowMinimum {
                    found: number.clone(),
                    minimum,
                    exclusive,
                },
            });
        }
        let (maximum, exclusive) = match schema.f64("maximum") {
            Some(m) if m <= format_max => (m, schema.is_exclusive("exclusiveMaximum")),
            _ => (format_max, false),
        };
        if found > maximum || (exclusive && found == maximum) {
            out.push(Violation {
                path: path.to_path(),
                kind: ViolationKind::AboveMaximum {
                    found: number.clone(),
                    maximum,
                    exclusive,
                },
            });
        }
    }
}

/// The values an integer `format` can hold.
fn integer_format_range(format: Option<&str>) -> (f64, f64) {
    match format {
        Some("int32") => (i32::MIN.into(), i32::MAX.into()),
        Some("uint8") => (0.0, u8::MAX.into()),
        Some("uint16") => (0.0, u16::MAX.into()),
        Some("uint32") => (0.0, u32::MAX.into()),
        Some("uint64" | "uint") => (0.0, f64::INFINITY),
        _ => (f64::NEG_INFINITY, f64::INFINITY),
    }
}
