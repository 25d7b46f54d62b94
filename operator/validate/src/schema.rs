//! The CRD schema check of a document, worded for people editing YAML: the k8s-rules
//! structural-schema check (reporting undeclared fields, and integers beyond their format's
//! range) plus the ObjectMeta rules, each violation turned into a path and a message with a
//! suggestion where one helps.

use patchwarden_k8s_rules::schema::{
    CheckOptions, ExpectedType, SchemaChecker as StructuralChecker, Violation, ViolationKind,
    check_object_meta,
};
use patchwarden_k8s_rules::{FieldPath, PathSegment};
use serde_json::Value;

use crate::path::{child_index, child_key};

/// A schema violation at a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProblem {
    /// The field: `spec.rollout.canary`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Checks documents against one CRD schema.
pub struct SchemaChecker<'a> {
    checker: StructuralChecker<'a>,
}

impl<'a> SchemaChecker<'a> {
    /// A checker for the CRD schema `schema` (the `openAPIV3Schema` object).
    pub fn new(schema: &'a Value) -> Self {
        SchemaChecker {
            checker: StructuralChecker::new(
                schema,
                CheckOptions {
                    // Undeclared fields are typos more often than not; the server would drop them.
                    report_unknown_fields: true,
                    // A value that passes must also fit the Rust field that reads it.
                    integer_format_ranges: true,
                },
            ),
        }
    }

    /// Every problem of `value` (a whole object), in document order. `apiVersion`, `kind` and
    /// `metadata` are checked as the API server does for every kind.
    pub fn check(&mut self, value: &Value) -> Vec<SchemaProblem> {
        check_object_meta(value)
            .iter()
            .chain(self.checker.check(value).iter())
            .map(problem)
            .collect()
    }
}

/// A path as diagnostics print it (`metadata.labels["app.kubernetes.io/name"]`).
fn printed(path: &FieldPath) -> String {
    path.segments()
        .iter()
        .fold(String::new(), |parent, segment| match segment {
            PathSegment::Key(key) => child_key(&parent, key),
            PathSegment::Index(index) => child_index(&parent, *index),
        })
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

fn problem(violation: &Violation) -> SchemaProblem {
    let path = &violation.path;
    let mut at = printed(path);
    let message = match &violation.kind {
        ViolationKind::NullNotAllowed { expected } => format!(
            "no value given; expected {} (remove the field or give it a value)",
            in_words(expected)
        ),
        ViolationKind::WrongType { expected, found } => {
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
        ViolationKind::NotInEnum { found, allowed } => {
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
        ViolationKind::MissingRequired { field } => format!("missing required field `{field}`"),
        ViolationKind::UnknownField { field, known } => {
            let suggestion = closest(field, known.iter().map(String::as_str))
                .map(|s| format!("; did you mean `{s}`?"));
            let listed = (!known.is_empty() && !in_metadata(path))
                .then(|| format!("; known fields: {}", known.join(", ")));
            format!(
                "unknown field `{field}`{}",
                suggestion.or(listed).unwrap_or_default()
            )
        }
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
        ViolationKind::DuplicateMapKey { keys, values } => {
            // Point at the key of the later item, where the duplicate is written.
            at = child_key(&at, keys.first().map_or("name", String::as_str));
            let values: Vec<String> = values.iter().map(Value::to_string).collect();
            format!(
                "duplicate entry: another item has the same {} {}",
                keys.join("/"),
                values.join("/")
            )
        }
        ViolationKind::TooShort { min, value } => {
            if value.is_empty() {
                "must not be empty".to_string()
            } else {
                format!("{value:?} is shorter than {min} characters")
            }
        }
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
            exclusive: false,
        } => format!("{found} is below the minimum {}", trim_float(*minimum)),
        ViolationKind::BelowMinimum { found, minimum, .. } => {
            format!("{found} must be above {}", trim_float(*minimum))
        }
        ViolationKind::AboveMaximum {
            found,
            maximum,
            exclusive: false,
        } => format!("{found} is above the maximum {}", trim_float(*maximum)),
        ViolationKind::AboveMaximum { found, maximum, .. } => {
            format!("{found} must be below {}", trim_float(*maximum))
        }
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
    };
    SchemaProblem { path: at, message }
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

/// The candidate closest to `word` by edit distance, when close enough to be a likely typo.
pub fn closest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_unknown_fields_types_enums_and_required() {
        let schema = patchwarden_api::crds::schema_of("MaintenanceWindow").expect("schema");
        let mut checker = SchemaChecker::new(&schema);
        let problems = checker.check(&json!({
            "apiVersion": "patchwarden.io/v1alpha1",
            "kind": "MaintenanceWindow",
            "metadata": {"name": "w"},
            "spec": {"schedul": "0 2 * * *", "duration": 3, "suspend": "no", "offsetDays": 400}
        }));
        let found: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.path.as_str(), p.message.as_str()))
            .collect();
        assert!(
            found.contains(&(
                "spec.schedul",
                "unknown field `schedul`; did you mean `schedule`?"
            )),
            "{found:?}"
        );
        assert!(
            found.contains(&("spec.duration", "expected a string, found the number 3")),
            "{found:?}"
        );
        assert!(
            found.contains(&(
                "spec.suspend",
                "expected true or false, found the string \"no\"; write true or false"
            )),
            "{found:?}"
        );
        assert!(
            found.contains(&("spec.offsetDays", "400 is above the maximum 366")),
            "{found:?}"
        );
        assert!(
            found.contains(&("spec.schedule", "missing required field `schedule`")),
            "{found:?}"
        );
    }

    #[test]
    fn suggests_enum_values() {
        let schema = patchwarden_api::crds::schema_of("PatchPolicy").expect("schema");
        let problems = SchemaChecker::new(&schema).check(&json!({
            "metadata": {"name": "p", "labels": {"tier": 3}, "nmespace": "x"},
            "spec": {"assetGroups": ["a"], "reboot": "Sometimes", "mode": "enforce"}
        }));
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages.contains(&"`Sometimes` is not one of IfRequired, Never, Always"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"`enforce` is not one of Enforce, Plan (did you mean Enforce?)"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"labels values must be strings, found the number 3 (quote it)"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"unknown field `nmespace`; did you mean `namespace`?"),
            "{messages:?}"
        );
    }
}
