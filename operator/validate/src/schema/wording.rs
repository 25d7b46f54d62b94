//! Schema violations in words for people editing YAML: what was expected and what was found,
//! with a hint or a suggestion where one helps.

use patchwarden_k8s_rules::schema::{ExpectedType, ViolationKind};
use patchwarden_k8s_rules::{FieldPath, PathSegment};
use serde_json::{Number, Value};

use crate::suggest::closest;

/// The message of a violation of kind `kind` at `path`.
pub(super) fn message(kind: &ViolationKind, path: &FieldPath) -> String {
    match kind {
        ViolationKind::NullNotAllowed { expected } => format!(
            "no value given; expected {} (remove the field or give it a value)",
            in_words(expected)
        ),
        ViolationKind::WrongType { expected, found } => wrong_type(path, expected, found),
        ViolationKind::NotInEnum { found, allowed } => not_in_enum(found, allowed),
        ViolationKind::MissingRequired { field } => format!("missing required field `{field}`"),
        ViolationKind::UnknownField { field, known } => unknown_field(path, field, known),
        ViolationKind::TooFewProperties { min, count } => {
            format!("needs at least {min} field(s), has {count}")
        }
        ViolationKind::TooManyProperties { max, count } => {
            format!("takes at most {max} field(s), has {count}")
        }
        ViolationKind::TooFewItems { min, count } => {
            format!("needs at least {min} item(s), has {count}")
        }
        ViolationKind::TooManyItems { max, count } => {
            format!("takes at most {max} item(s), has {count}")
        }
        ViolationKind::DuplicateItem { item } => {
            format!(
                "duplicate entry: {} is already listed",
                describe_short(item)
            )
        }
        ViolationKind::DuplicateMapKey { keys, values } => duplicate_map_key(keys, values),
        ViolationKind::TooShort { min, value } => too_short(*min, value),
        ViolationKind::TooLong { max, length, .. } => {
            format!("is longer than {max} characters ({length})")
        }
        ViolationKind::PatternMismatch { pattern, value } => {
            format!("{value:?} does not match the pattern {pattern}")
        }
        ViolationKind::NotDateTime { value } => {
            format!("{value:?} is not an RFC 3339 time such as 2026-12-24T18:00:00Z")
        }
        ViolationKind::BelowMinimum {
            found,
            minimum,
            exclusive,
        } => below_minimum(found, *minimum, *exclusive),
        ViolationKind::AboveMaximum {
            found,
            maximum,
            exclusive,
        } => above_maximum(found, *maximum, *exclusive),
        ViolationKind::NoAnyOfMatch { found } => format!(
            "{} matches none of the forms this field allows",
            describe(found)
        ),
        ViolationKind::NotExactlyOneOf { found, matched } => format!(
            "{} must match exactly one of the forms this field allows; it matches {matched}",
            describe(found)
        ),
        ViolationKind::MatchesNot { found } => {
            format!("{} is a form this field does not allow", describe(found))
        }
    }
}

fn wrong_type(path: &FieldPath, expected: &ExpectedType, found: &Value) -> String {
    match (metadata_map(path), path.segments().len(), expected) {
        (Some(map), 3, ExpectedType::String) => format!(
            "{map} values must be strings, found {} (quote it)",
            describe(found)
        ),
        (Some(_), 2, ExpectedType::Object) => {
            format!("expected a mapping of strings, found {}", describe(found))
        }
        (_, _, ExpectedType::Boolean) => {
            // YAML 1.1 (and so some Kubernetes tools) read these words as booleans;
            // YAML 1.2 reads them as text.
            let hint = found
                .as_str()
                .filter(|s| {
                    matches!(
                        s.to_ascii_lowercase().as_str(),
                        "yes" | "no" | "on" | "off" | "y" | "n"
                    )
                })
                .map(|_| "; write true or false")
                .unwrap_or_default();
            format!("expected true or false, found {}{hint}", describe(found))
        }
        (_, _, ExpectedType::IntOrString) => format!(
            "expected a whole number or a string, found {}",
            describe(found)
        ),
        _ => format!("expected {}, found {}", in_words(expected), describe(found)),
    }
}

fn not_in_enum(found: &Value, allowed: &[Value]) -> String {
    let names: Vec<String> = allowed.iter().map(enum_name).collect();
    let suggestion = found
        .as_str()
        .and_then(|v| closest(v, names.iter().map(String::as_str)))
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    format!(
        "{} is not one of {}{suggestion}",
        describe_short(found),
        names.join(", ")
    )
}

/// A likely typo gets a suggestion; otherwise the known fields are listed, except in metadata,
/// whose long list of fields would hide the point.
fn unknown_field(path: &FieldPath, field: &str, known: &[String]) -> String {
    let suggestion =
        closest(field, known.iter().map(String::as_str)).map(|s| format!("; did you mean `{s}`?"));
    let listed = (!known.is_empty() && !in_metadata(path))
        .then(|| format!("; known fields: {}", known.join(", ")));
    format!(
        "unknown field `{field}`{}",
        suggestion.or(listed).unwrap_or_default()
    )
}

fn duplicate_map_key(keys: &[String], values: &[Value]) -> String {
    let values: Vec<String> = values.iter().map(Value::to_string).collect();
    format!(
        "duplicate entry: another item has the same {} {}",
        keys.join("/"),
        values.join("/")
    )
}

fn too_short(min: u64, value: &str) -> String {
    if value.is_empty() {
        "must not be empty".to_string()
    } else {
        format!("{value:?} is shorter than {min} characters")
    }
}

fn below_minimum(found: &Number, minimum: f64, exclusive: bool) -> String {
    if exclusive {
        format!("{found} must be above {}", trim_float(minimum))
    } else {
        format!("{found} is below the minimum {}", trim_float(minimum))
    }
}

fn above_maximum(found: &Number, maximum: f64, exclusive: bool) -> String {
    if exclusive {
        format!("{found} must be below {}", trim_float(maximum))
    } else {
        format!("{found} is above the maximum {}", trim_float(maximum))
    }
}

/// The `labels` or `annotations` map of `metadata` a path is in or at.
fn metadata_map(path: &FieldPath) -> Option<&str> {
    match path.segments() {
        [PathSegment::Key(metadata), PathSegment::Key(map), ..]
            if metadata == "metadata" && (map == "labels" || map == "annotations") =>
        {
            Some(map)
        }
        _ => None,
    }
}

fn in_metadata(path: &FieldPath) -> bool {
    matches!(path.segments(), [PathSegment::Key(metadata), _] if metadata == "metadata")
}

fn trim_float(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

fn enum_name(value: &Value) -> String {
    value
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| value.to_string())
}

/// What a schema expects, in words.
fn in_words(expected: &ExpectedType) -> String {
    match expected {
        ExpectedType::Object => "a mapping".to_string(),
        ExpectedType::Array => "a list".to_string(),
        ExpectedType::String => "a string".to_string(),
        ExpectedType::Integer => "a whole number".to_string(),
        ExpectedType::Number => "a number".to_string(),
        ExpectedType::Boolean => "true or false".to_string(),
        ExpectedType::IntOrString => "a number or a string".to_string(),
        ExpectedType::Other(name) => format!("a value of type {name}"),
    }
}

/// A value's type and, for scalars, the value.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".to_string(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    }
}

fn describe_short(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        other => describe(other),
    }
}
