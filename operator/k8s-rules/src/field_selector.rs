//! Field selectors (`?fieldSelector=metadata.name=web,status.phase!=Done`): Kubernetes'
//! `fields.ParseSelector` grammar with its escaping (`\,`, `\=`, `\\` in values) and messages.
//! Which fields a resource allows, and what a field's value is, the caller knows; this module
//! reads the selector and applies it to the values the caller looks up.

use std::fmt;

/// Why a string is not a field selector; the text is Kubernetes'.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldSelectorError {
    /// A term without `=`, `==` or `!=`.
    #[error("invalid selector: '{selector}'; can't understand '{term}'")]
    Malformed { selector: String, term: String },
    /// A backslash before something other than `\`, `,` or `=`, or at the end.
    #[error("invalid field selector: invalid escape sequence: {sequence}")]
    InvalidEscape { sequence: String },
    /// A `,` or `=` in a value without a backslash. Kubernetes prints the character's code.
    #[error("invalid field selector: unescaped character in value: {}", u32::from(*.character))]
    UnescapedCharacter { character: char },
}

/// How a term compares the field with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldOperator {
    /// `field=value` or `field==value`.
    Equals,
    /// `field!=value`.
    NotEquals,
}

/// One term: a field, an operator, an (unescaped) value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldRequirement {
    field: String,
    operator: FieldOperator,
    value: String,
}

impl FieldRequirement {
    /// The field, as written (`metadata.name`).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The operator.
    pub fn operator(&self) -> FieldOperator {
        self.operator
    }

    /// The value, escapes removed.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether a field holding `actual` satisfies the term.
    pub fn matches(&self, actual: &str) -> bool {
        (actual == self.value) == (self.operator == FieldOperator::Equals)
    }
}

impl fmt::Display for FieldRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operator = match self.operator {
            FieldOperator::Equals => "=",
            FieldOperator::NotEquals => "!=",
        };
        write!(f, "{}{operator}{}", self.field, escape_value(&self.value))
    }
}

/// A field selector: every term must hold. The empty selector selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

/// Splits on commas that no backslash escapes; the escapes stay in the terms.
fn split_terms(input: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in input.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' {
            terms.push(&input[start..i]);
            start = i + 1;
        }
    }
    terms.push(&input[start..]);
    terms
}

/// The field, operator and raw value of a term: the first operator found, trying `!=` and
/// `==` before `=` at each position (the field has no escapes).
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (symbol, operator) in [
            ("!=", FieldOperator::NotEquals),
            ("==", FieldOperator::Equals),
            ("=", FieldOperator::Equals),
        ] {
            if let Some(value) = rest.strip_prefix(symbol) {
                return Some((&term[..i], operator, value));
            }
        }
    }
    None
}

/// Removes the escapes of a value, refusing unknown escapes and bare `,` and `=`.
fn unescape_value(raw: &str) -> Result<String, FieldSelectorError> {
    let mut value = String::with_capacity(raw.len());
    let mut escaped = false;
    for c in raw.chars() {
        if escaped {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(FieldSelectorError::InvalidEscape {
                    sequence: format!("\\{c}"),
                });
            }
            value.push(c);
            escaped = false;
        } else {
            match c {
                '\\' => escaped = true,
                ',' | '=' => return Err(FieldSelectorError::UnescapedCharacter { character: c }),
                _ => value.push(c),
            }
        }
    }
    if escaped {
        return Err(FieldSelectorError::InvalidEscape {
            sequence: "\\".to_string(),
        });
    }
    Ok(value)
}

/// Escapes `\`, `,` and `=` so a value reads back unchanged.
pub fn escape_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

impl FieldSelector {
    /// Parses a field selector. Terms are read in the order of their text, as Kubernetes reads
    /// them (so the first bad term it reports is reported), then kept in the order of their
    /// printed form: `a==x` and `a=x` are the same term, and the printed selector parses back
    /// to an equal one. Empty terms are skipped. Whitespace is part of fields and values, as in
    /// Kubernetes.
    pub fn parse(input: &str) -> Result<FieldSelector, FieldSelectorError> {
        if input.is_empty() {
            return Ok(FieldSelector::default());
        }
        let mut terms = split_terms(input);
        terms.sort_unstable();
        let mut requirements = Vec::new();
        for term in terms.into_iter().filter(|term| !term.is_empty()) {
            let (field, operator, raw) =
                split_term(term).ok_or_else(|| FieldSelectorError::Malformed {
                    selector: input.to_string(),
                    term: term.to_string(),
                })?;
            requirements.push(FieldRequirement {
                field: field.to_string(),
                operator,
                value: unescape_value(raw)?,
            });
        }
        requirements.sort_by_cached_key(ToString::to_string);
        Ok(FieldSelector { requirements })
    }

    /// The terms.
    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }

    /// Whether the selector has no term, and so selects everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether every term holds; `value_of` gives a field's value as Kubernetes compares it.
    pub fn matches_with(&self, value_of: impl Fn(&str) -> String) -> bool {
        self.requirements
            .iter()
            .all(|requirement| requirement.matches(&value_of(&requirement.field)))
    }
}

/// The string form, values escaped: `parse` reads it back to an equal selector.
impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let printed: Vec<String> = self.requirements.iter().map(ToString::to_string).collect();
        f.write_str(&printed.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_selectors_parse_back_equal_whatever_the_operator_spelling() {
        for input in ["==t,=e", "a==x,a=w", "b!=1,a==2,a=1"] {
            let selector = FieldSelector::parse(input).expect(input);
            let printed = selector.to_string();
            assert_eq!(
                FieldSelector::parse(&printed).expect(&printed),
                selector,
                "{input} printed as {printed}"
            );
        }
        assert_eq!(
            FieldSelector::parse("==t,=e").expect("parses").to_string(),
            "=e,=t"
        );
    }

    fn matches(selector: &str, name: &str, kind: &str) -> bool {
        FieldSelector::parse(selector)
            .expect(selector)
            .matches_with(|field| match field {
                "metadata.name" => name.to_string(),
                "involvedObject.kind" => kind.to_string(),
                _ => String::new(),
            })
    }

    #[test]
    fn terms_compare_fields_with_values() {
        assert!(matches("metadata.name=a", "a", "W"));
        assert!(matches("metadata.name==a", "a", "W"));
        assert!(!matches("metadata.name!=a", "a", "W"));
        assert!(matches("metadata.name=a,involvedObject.kind!=X", "a", "W"));
        assert!(!matches("metadata.name=a,involvedObject.kind=X", "a", "W"));
        assert!(matches("", "a", "W"));
        assert!(matches("spec.missing=", "a", "W"));
        assert!(matches(",metadata.name=a,", "a", "W"));
    }

    #[test]
    fn escapes_keep_commas_and_equals_in_values() {
        assert!(matches(r"metadata.name=a\,b", "a,b", ""));
        assert!(matches(r"metadata.name=x\=y\\z", r"x=y\z", ""));
        let selector = FieldSelector::parse(r"metadata.name=a\,b").expect("valid");
        assert_eq!(selector.requirements()[0].value(), "a,b");
        assert_eq!(selector.to_string(), r"metadata.name=a\,b");
    }

    #[test]
    fn errors_read_as_in_kubernetes() {
        let cases = [
            (
                "metadata.name",
                "invalid selector: 'metadata.name'; can't understand 'metadata.name'",
            ),
            ("a=1,b", "invalid selector: 'a=1,b'; can't understand 'b'"),
            (
                r"a=\x",
                r"invalid field selector: invalid escape sequence: \x",
            ),
            (
                r"a=x\",
                r"invalid field selector: invalid escape sequence: \",
            ),
            (
                "a=b=c",
                "invalid field selector: unescaped character in value: 61",
            ),
        ];
        for (input, message) in cases {
            let error = FieldSelector::parse(input).expect_err(input);
            assert_eq!(error.to_string(), message, "{input}");
        }
    }

    #[test]
    fn the_first_operator_splits_and_terms_sort() {
        let selector = FieldSelector::parse("b!=2,a==1").expect("valid");
        let fields: Vec<&str> = selector.requirements().iter().map(|r| r.field()).collect();
        assert_eq!(fields, ["a", "b"]);
        assert_eq!(
            selector.requirements()[1].operator(),
            FieldOperator::NotEquals
        );
        assert_eq!(selector.to_string(), "a=1,b!=2");
        // Whitespace belongs to the field, as in Kubernetes.
        let spaced = FieldSelector::parse("metadata.name = a").expect("valid");
        assert_eq!(spaced.requirements()[0].field(), "metadata.name ");
        assert_eq!(spaced.requirements()[0].value(), " a");
    }
}
