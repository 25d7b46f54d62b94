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
    let (reason, message) = match &violation.kind {
        ViolationKind::NullNotAllowed { expected } => (
            "FieldValueInvalid",
            format!("Invalid value: \"null\": {path} in body must be of type {expected}: \"null\""),
        ),
        ViolationKind::WrongType { expected, found } => {
            let actual = type_name(found);
            let message = match expected {
                ExpectedType::IntOrString => format!(
                    "Invalid value: {}: {path} in body must be of type int-or-string: {actual:?}",
                    describe(found)
                ),
                _ => format!(
                    "Invalid value: {}: {path} in body must be of type {expected}: {actual:?}",
                    describe(found)
                ),
            };
            ("FieldValueInvalid", message)
        }
        ViolationKind::NotInEnum { found, allowed } => {
            let listed: Vec<String> = allowed.iter().map(Value::to_string).collect();
            (
                "FieldValueNotSupported",
                format!(
                    "Unsupported value: {found}: supported values: {}",
                    listed.join(", ")
                ),
            )
        }
        ViolationKind::MissingRequired { .. } => ("FieldValueRequired", "Required value".into()),
        ViolationKind::UnknownField { field, .. } => {
            ("FieldValueInvalid", format!("unknown field \"{field}\""))
        }
        ViolationKind::TooFewProperties { min, count } => (
            "FieldValueInvalid",
            format!("Invalid value: {count}: {path} in body should have at least {min} properties"),
        ),
        ViolationKind::TooManyProperties { max, count } => (
            "TooMany",
            format!("Too many: {count}: must have at most {max} items"),
        ),
        ViolationKind::TooFewItems { min, count } => (
            "FieldValueInvalid",
            format!("Invalid value: {count}: {path} in body should have at least {min} items"),
        ),
        ViolationKind::TooManyItems { max, count } => (
            "TooMany",
            format!("Too many: {count}: must have at most {max} items"),
        ),
        ViolationKind::DuplicateItem { item } => {
            ("FieldValueDuplicate", format!("Duplicate value: {item}"))
        }
        ViolationKind::DuplicateMapKey { values, .. } => (
            "FieldValueDuplicate",
            format!("Duplicate value: {}", Value::Array(values.clone())),
        ),
        ViolationKind::TooShort { min, value } => (
            "FieldValueInvalid",
            format!("Invalid value: {value:?}: {path} in body should be at least {min} chars long"),
        ),
        ViolationKind::TooLong { max, .. } => (
            "TooLong",
            format!("Too long: may not be more than {max} bytes"),
        ),
        ViolationKind::PatternMismatch { pattern, value } => (
            "FieldValueInvalid",
            format!("Invalid value: {value:?}: {path} in body should match '{pattern}'"),
        ),
        ViolationKind::NotDateTime { value } => (
            "FieldValueInvalid",
            format!(
                "Invalid value: {value:?}: {path} in body must be of type date-time: {value:?}"
            ),
        ),
        ViolationKind::BelowMinimum {
            found,
            minimum,
            exclusive,
        } => {
            let relation = if *exclusive {
                "greater than"
            } else {
                "greater than or equal to"
            };
            (
                "FieldValueInvalid",
                format!("Invalid value: {found}: {path} in body should be {relation} {minimum}"),
            )
        }
        ViolationKind::AboveMaximum {
            found,
            maximum,
            exclusive,
        } => {
            let relation = if *exclusive {
                "less than"
            } else {
                "less than or equal to"
            };
            (
                "FieldValueInvalid",
                format!("Invalid value: {found}: {path} in body should be {relation} {maximum}"),
            )
        }
        ViolationKind::NoAnyOfMatch { found } => (
            "FieldValueInvalid",
            format!(
                "Invalid value: {}: {path} in body must match at least one schema (anyOf)",
                describe(found)
            ),
        ),
        ViolationKind::NotExactlyOneOf { found, matched } => (
            "FieldValueInvalid",
            format!(
                "Invalid value: {}: {path} in body must validate one and only one schema (oneOf), {matched} matched",
                describe(found)
            ),
        ),
        ViolationKind::MatchesNot { found } => (
            "FieldValueInvalid",
            format!(
                "Invalid value: {}: {path} in body must not validate the schema (not)",
                describe(found)
            ),
        ),
    };
    Cause {
        reason: reason.to_string(),
        message,
        field: path,
    }
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
