//! What a structural-schema check finds: one [`Violation`] per broken rule, with the path of
//! the field and the facts a caller needs to word it (the value found, the bound, the allowed
//! values, the declared fields).

use std::fmt;

use serde_json::{Number, Value};

use crate::field_path::FieldPath;

/// The type a schema node asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedType {
    Object,
    Array,
    String,
    /// A number without a fraction.
    Integer,
    /// Any number.
    Number,
    Boolean,
    /// `x-kubernetes-int-or-string`: an integer or a string.
    IntOrString,
    /// A `type` this checker does not know; no value has it.
    Other(String),
}

impl ExpectedType {
    pub(crate) fn from_schema_type(name: &str) -> ExpectedType {
        match name {
            "object" => ExpectedType::Object,
            "array" => ExpectedType::Array,
            "string" => ExpectedType::String,
            "integer" => ExpectedType::Integer,
            "number" => ExpectedType::Number,
            "boolean" => ExpectedType::Boolean,
            other => ExpectedType::Other(other.to_string()),
        }
    }

    /// The OpenAPI name (`int-or-string` for the Kubernetes extension).
    pub fn as_str(&self) -> &str {
        match self {
            ExpectedType::Object => "object",
            ExpectedType::Array => "array",
            ExpectedType::String => "string",
            ExpectedType::Integer => "integer",
            ExpectedType::Number => "number",
            ExpectedType::Boolean => "boolean",
            ExpectedType::IntOrString => "int-or-string",
            ExpectedType::Other(name) => name,
        }
    }

    /// Whether a (non-null) value has this type.
    pub fn admits(&self, value: &Value) -> bool {
        let integer = value.is_i64() || value.is_u64();
        match self {
            ExpectedType::Object => value.is_object(),
            ExpectedType::Array => value.is_array(),
            ExpectedType::String => value.is_string(),
            ExpectedType::Integer => integer,
            ExpectedType::Number => value.is_number(),
            ExpectedType::Boolean => value.is_boolean(),
            ExpectedType::IntOrString => integer || value.is_string(),
            ExpectedType::Other(_) => false,
        }
    }
}

impl fmt::Display for ExpectedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The OpenAPI type name of a value (`integer` for numbers without a fraction).
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A broken schema rule.
#[derive(Debug, Clone, PartialEq)]
pub enum ViolationKind {
    /// `null` where the node is not `nullable`.
    NullNotAllowed { expected: ExpectedType },
    /// A value of another type than the node's.
    WrongType {
        expected: ExpectedType,
        found: Value,
    },
    /// A value outside the node's `enum`.
    NotInEnum { found: Value, allowed: Vec<Value> },
    /// A `required` member missing; the path is the member's.
    MissingRequired { field: String },
    /// A member the node does not declare; the path is the member's. Only reported when the
    /// check is asked to (the API server prunes such members instead).
    UnknownField { field: String, known: Vec<String> },
    /// Fewer members than `minProperties`.
    TooFewProperties { min: u64, count: usize },
    /// More members than `maxProperties`.
    TooManyProperties { max: u64, count: usize },
    /// Fewer items than `minItems`.
    TooFewItems { min: u64, count: usize },
    /// More items than `maxItems`.
    TooManyItems { max: u64, count: usize },
    /// An item equal to an earlier one in a set (`x-kubernetes-list-type: set`, `uniqueItems`);
    /// the path is the later item's.
    DuplicateItem { item: Value },
    /// An item whose map keys (`x-kubernetes-list-map-keys`) equal an earlier item's; the path
    /// is the later item's. A missing key counts as `null`.
    DuplicateMapKey {
        keys: Vec<String>,
        values: Vec<Value>,
    },
    /// A string shorter than `minLength` (counted in characters).
    TooShort { min: u64, value: String },
    /// A string longer than `maxLength` (counted in characters).
    TooLong {
        max: u64,
        length: usize,
        value: String,
    },
    /// A string that does not match `pattern`.
    PatternMismatch { pattern: String, value: String },
    /// A `format: date-time` string that is not RFC 3339.
    NotDateTime { value: String },
    /// A number below the minimum (or equal to an exclusive one).
    BelowMinimum {
        found: Number,
        minimum: f64,
        exclusive: bool,
    },
    /// A number above the maximum (or equal to an exclusive one).
    AboveMaximum {
        found: Number,
        maximum: f64,
        exclusive: bool,
    },
    /// A value matching none of the `anyOf` schemas.
    NoAnyOfMatch { found: Value },
    /// A value matching other than exactly one of the `oneOf` schemas.
    NotExactlyOneOf { found: Value, matched: usize },
    /// A value matching the `not` schema.
    MatchesNot { found: Value },
}

/// A broken rule at a field.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The field (for missing and unknown members, the member's own path).
    pub path: FieldPath,
    /// What rule it breaks.
    pub kind: ViolationKind,
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_equal = |exclusive: &bool| if *exclusive { "" } else { " or equal to" };
        match self {
            ViolationKind::NullNotAllowed { expected } => {
                write!(f, "must be of type {expected}, not null")
            }
            ViolationKind::WrongType { expected, found } => {
                write!(f, "must be of type {expected}, not {}", type_name(found))
            }
            ViolationKind::NotInEnum { found, allowed } => {
                let allowed: Vec<String> = allowed.iter().map(Value::to_string).collect();
                write!(f, "{found} is not one of {}", allowed.join(", "))
            }
            ViolationKind::MissingRequired { field } => write!(f, "{field} is required"),
            ViolationKind::UnknownField { field, .. } => write!(f, "unknown field {field:?}"),
            ViolationKind::TooFewProperties { min, count } => {
                write!(f, "has {count} properties, needs at least {min}")
            }
            ViolationKind::TooManyProperties { max, count } => {
                write!(f, "has {count} properties, takes at most {max}")
            }
            ViolationKind::TooFewItems { min, count } => {
                write!(f, "has {count} items, needs at least {min}")
            }
            ViolationKind::TooManyItems { max, count } => {
                write!(f, "has {count} items, takes at most {max}")
            }
            ViolationKind::DuplicateItem { item } => write!(f, "duplicate item {item}"),
            ViolationKind::DuplicateMapKey { keys, values } => {
                let values: Vec<String> = values.iter().map(Value::to_string).collect();
                write!(
                    f,
                    "duplicate entry for {} {}",
                    keys.join("/"),
                    values.join("/")
                )
            }
            ViolationKind::TooShort { min, value } => {
                write!(f, "{value:?} is shorter than {min} characters")
            }
            ViolationKind::TooLong { max, length, .. } => {
                write!(f, "is {length} characters long, longer than {max}")
            }
            ViolationKind::PatternMismatch { pattern, value } => {
                write!(f, "{value:?} does not match {pattern}")
            }
            ViolationKind::NotDateTime { value } => write!(f, "{value:?} is not an RFC 3339 time"),
            ViolationKind::BelowMinimum {
                found,
                minimum,
                exclusive,
            } => write!(
                f,
                "{found} must be greater than{} {minimum}",
                or_equal(exclusive)
            ),
            ViolationKind::AboveMaximum {
                found,
                maximum,
                exclusive,
            } => write!(
                f,
                "{found} must be less than{} {maximum}",
                or_equal(exclusive)
            ),
            ViolationKind::NoAnyOfMatch { .. } => f.write_str("matches none of the anyOf schemas"),
            ViolationKind::NotExactlyOneOf { matched, .. } => {
                write!(
                    f,
                    "must match exactly one of the oneOf schemas, matches {matched}"
                )
            }
            ViolationKind::MatchesNot { .. } => f.write_str("must not match the not schema"),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_root() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.path, self.kind)
        }
    }
}

impl std::error::Error for Violation {}
