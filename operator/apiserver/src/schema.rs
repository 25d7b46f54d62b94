//! Structural-schema processing of custom resource writes: the k8s-rules admission (prune
//! undeclared fields, apply defaults, check) worded as the `causes` of a 422 Invalid Status.

use patchwarden_k8s_rules::schema::{self, ExpectedType, Violation, ViolationKind, type_name};
use serde_json::Value;

use crate::error::Cause;

/// What processing found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Validation failures (422 Invalid).
    pub causes: Vec<Cause>,
    /// Paths of fields not declared in the schema; they were pruned.
    pub unknown_fields: Vec<String>,
}

/// Prunes, defaults and validates a custom resource against its `openAPIV3Schema`.
/// `metadata`, `apiVersion` and `kind` at the root are left to the generic object rules.
pub fn process(schema: &Value, object: &mut Value) -> Outcome {
    let admission = schema::admit(schema, object);
    Outcome {
        causes: admission.violations.iter().map(cause).collect(),
        unknown_fields: admission.pruned.iter().map(ToString::to_string).collect(),
    }
}

/// A value as the real server quotes it in a message.
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "\"null\"".to_string(),
        Value::Object(_) => "\"object\"".to_string(),
        Value::Array(_) => "\"array\"".to_string(),
        other => other.to_string(),
    }
}

/// The cause the real server reports for a violation.
fn cause(violation: &Violation) -> Cause {
    let path = violation.path.to_string();
    let (reason, message) = reason_and_message(&path, &violation.kind);
    Cause {
        reason: reason.to_string(),
        message,
        field: path,
    }
}

/// The reason and message of a violation at `path`, worded as the real server words them.
fn reason_and_message(path: &str, kind: &ViolationKind) -> (&'static str, String) {
    use ViolationKind as V;
    match kind {
        V::NullNotAllowed { expected } => invalid(format!(
            "Invalid value: \"null\": {path} in body must be of type {expected}: \"null\""
        )),
        V::WrongType { expected, found } => invalid(wrong_type(path, expected, found)),
        V::NotInEnum { found, allowed } => ("FieldValueNotSupported", not_in_enum(found, allowed)),
        V::MissingRequired { .. } => ("FieldValueRequired", "Required value".into()),
        V::UnknownField { field, .. } => invalid(format!("unknown field \"{field}\"")),
        V::DuplicateItem { item } => ("FieldValueDuplicate", format!("Duplicate value: {item}")),
        V::DuplicateMapKey { values, .. } => {
            let values = Value::Array(values.clone());
            ("FieldValueDuplicate", format!("Duplicate value: {values}"))
        }
        V::TooFewProperties { min, count } => invalid(format!(
            "Invalid value: {count}: {path} in body should have at least {min} properties"
        )),
        V::TooFewItems { min, count } => invalid(format!(
            "Invalid value: {count}: {path} in body should have at least {min} items"
        )),
        V::TooManyProperties { max, count } | V::TooManyItems { max, count } => (
            "TooMany",
            format!("Too many: {count}: must have at most {max} items"),
        ),
        V::TooShort { min, value } => invalid(format!(
            "Invalid value: {value:?}: {path} in body should be at least {min} chars long"
        )),
        V::TooLong { max, .. } => (
            "TooLong",
            format!("Too long: may not be more than {max} bytes"),
        ),
        V::PatternMismatch { pattern, value } => invalid(format!(
            "Invalid value: {value:?}: {path} in body should match '{pattern}'"
        )),
        V::NotDateTime { value } => invalid(format!(
            "Invalid value: {value:?}: {path} in body must be of type date-time: {value:?}"
        )),
        V::BelowMinimum {
            found,
            minimum: limit,
            exclusive,
        } => invalid(bound(path, found, "greater than", *limit, *exclusive)),
        V::AboveMaximum {
            found,
            maximum: limit,
            exclusive,
        } => invalid(bound(path, found, "less than", *limit, *exclusive)),
        V::NoAnyOfMatch { found } => invalid(mismatch(
            path,
            found,
            "must match at least one schema (anyOf)",
        )),
        V::NotExactlyOneOf { found, matched } => invalid(mismatch(
            path,
            found,
            &format!("must validate one and only one schema (oneOf), {matched} matched"),
        )),
        V::MatchesNot { found } => {
            invalid(mismatch(path, found, "must not validate the schema (not)"))
        }
    }
}

fn invalid(message: String) -> (&'static str, String) {
    ("FieldValueInvalid", message)
}

fn not_in_enum(found: &Value, allowed: &[Value]) -> String {
    let listed: Vec<String> = allowed.iter().map(Value::to_string).collect();
    format!(
        "Unsupported value: {found}: supported values: {}",
        listed.join(", ")
    )
}

fn wrong_type(path: &str, expected: &ExpectedType, found: &Value) -> String {
    let actual = type_name(found);
    let expected = match expected {
        ExpectedType::IntOrString => "int-or-string".to_string(),
        other => other.to_string(),
    };
    format!(
        "Invalid value: {}: {path} in body must be of type {expected}: {actual:?}",
        describe(found)
    )
}

/// A number outside `minimum`/`maximum`: `relation` is "greater than" or "less than".
fn bound(
    path: &str,
    found: &serde_json::Number,
    relation: &str,
    limit: f64,
    exclusive: bool,
) -> String {
    let or_equal = if exclusive { "" } else { " or equal to" };
    format!("Invalid value: {found}: {path} in body should be {relation}{or_equal} {limit}")
}

/// A value that fails an `anyOf`, `oneOf` or `not` combination.
fn mismatch(path: &str, found: &Value, rule: &str) -> String {
    format!("Invalid value: {}: {path} in body {rule}", describe(found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn violations_become_the_causes_the_real_server_reports() {
        let schema = json!({"type": "object", "properties": {"spec": {
            "type": "object", "required": ["replicas"], "properties": {
                "replicas": {"type": "integer", "minimum": 1},
                "tier": {"type": "string", "enum": ["web", "db"], "default": "web"},
                "tags": {"type": "object", "additionalProperties": {"type": "string"}}}}}});
        let mut object =
            json!({"spec": {"replicas": 0, "tier": "cache", "tags": {"a": 1}, "x": true}});
        let outcome = process(&schema, &mut object);
        let causes: Vec<(&str, &str, &str)> = outcome
            .causes
            .iter()
            .map(|c| (c.field.as_str(), c.reason.as_str(), c.message.as_str()))
            .collect();
        assert_eq!(
            causes,
            [
                (
                    "spec.replicas",
                    "FieldValueInvalid",
                    "Invalid value: 0: spec.replicas in body should be greater than or equal to 1"
                ),
                (
                    "spec.tags.a",
                    "FieldValueInvalid",
                    "Invalid value: 1: spec.tags.a in body must be of type string: \"integer\""
                ),
                (
                    "spec.tier",
                    "FieldValueNotSupported",
                    "Unsupported value: \"cache\": supported values: \"web\", \"db\""
                ),
            ]
        );
        assert_eq!(outcome.unknown_fields, ["spec.x"]);
        let mut missing = json!({"spec": {}});
        let outcome = process(&schema, &mut missing);
        assert_eq!(outcome.causes[0].field, "spec.replicas");
        assert_eq!(outcome.causes[0].reason, "FieldValueRequired");
        assert_eq!(outcome.causes[0].message, "Required value");
        assert_eq!(missing["spec"]["tier"], "web");
    }
}
