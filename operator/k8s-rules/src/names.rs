//! The name syntaxes Kubernetes checks: DNS-1123 labels (namespaces), DNS-1123 subdomains
//! (object names, label-key prefixes), DNS-1035 labels (CRD plurals and version names), label
//! keys (qualified names) and label values. Limits and messages are those of apimachinery's
//! `util/validation`, so a message shown here is the one a real API server gives.

use std::fmt;

/// Longest DNS-1123 label.
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;
/// Longest DNS-1123 subdomain.
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
/// Longest DNS-1035 label.
pub const DNS1035_LABEL_MAX_LENGTH: usize = 63;
/// Longest name part of a label key (the part after the optional `prefix/`).
pub const LABEL_KEY_NAME_MAX_LENGTH: usize = 63;
/// Longest label value.
pub const LABEL_VALUE_MAX_LENGTH: usize = 63;

const DNS1123_LABEL_FORMAT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FORMAT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1035_LABEL_FORMAT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const QUALIFIED_NAME_FORMAT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE_FORMAT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const QUALIFIED_NAME_MESSAGE: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/// Which name syntax a value was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameRule {
    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
    Dns1123Label,
    /// DNS-1123 labels joined by dots, at most 253 characters.
    Dns1123Subdomain,
    /// `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
    Dns1035Label,
    /// `[prefix/]name`: a DNS-1123 subdomain prefix and a name of at most 63 alphanumerics,
    /// `-`, `_` and `.`, starting and ending alphanumeric.
    LabelKey,
    /// Empty, or at most 63 alphanumerics, `-`, `_` and `.`, starting and ending alphanumeric.
    LabelValue,
}

impl NameRule {
    fn describe(self) -> &'static str {
        match self {
            NameRule::Dns1123Label => "DNS-1123 label",
            NameRule::Dns1123Subdomain => "DNS-1123 subdomain",
            NameRule::Dns1035Label => "DNS-1035 label",
            NameRule::LabelKey => "label key",
            NameRule::LabelValue => "label value",
        }
    }
}

impl fmt::Display for NameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// One reason a value breaks a name rule, worded as Kubernetes words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    /// Longer than the rule allows.
    TooLong { max: usize },
    /// A valid subdomain where a label was wanted.
    ContainsDots,
    /// Characters or shape outside the rule.
    Malformed { rule: NameRule },
    /// A label key with more than one `/`.
    TooManySlashes,
    /// A label key whose prefix (before `/`) is empty.
    EmptyPrefix,
    /// A label key whose prefix is not a DNS-1123 subdomain.
    Prefix(Box<NameProblem>),
    /// A label key whose name part (after `/`) is empty.
    EmptyName,
    /// A label key whose name part is too long.
    NameTooLong { max: usize },
    /// A label key whose name part has the wrong characters or shape.
    NameMalformed,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::TooLong { max } => write!(f, "must be no more than {max} characters"),
            NameProblem::ContainsDots => f.write_str("must not contain dots"),
            NameProblem::Malformed { rule } => f.write_str(&malformed_message(*rule)),
            NameProblem::TooManySlashes => write!(
                f,
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                qualified_name_error()
            ),
            NameProblem::EmptyPrefix => f.write_str("prefix part must be non-empty"),
            NameProblem::Prefix(inner) => write!(f, "prefix part {inner}"),
            NameProblem::EmptyName => f.write_str("name part must be non-empty"),
            NameProblem::NameTooLong { max } => {
                write!(f, "name part must be no more than {max} characters")
            }
            NameProblem::NameMalformed => write!(f, "name part {}", qualified_name_error()),
        }
    }
}

/// apimachinery's `RegexError`: the rule in words, examples and the regular expression.
fn regex_error(message: &str, format: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{message} (regex used for validation is '{format}')");
    }
    let examples: Vec<String> = examples.iter().map(|e| format!("'{e}', ")).collect();
    format!(
        "{message} (e.g. {}regex used for validation is '{format}')",
        examples.join(" or ")
    )
}

/// The rule of a label key's name part, with Kubernetes' examples.
fn qualified_name_error() -> String {
    regex_error(
        QUALIFIED_NAME_MESSAGE,
        QUALIFIED_NAME_FORMAT,
        &["MyName", "my.name", "123-abc"],
    )
}

fn malformed_message(rule: NameRule) -> String {
    match rule {
        NameRule::Dns1123Label => regex_error(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
            DNS1123_LABEL_FORMAT,
            &["my-name", "123-abc"],
        ),
        NameRule::Dns1123Subdomain => regex_error(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            DNS1123_SUBDOMAIN_FORMAT,
            &["example.com"],
        ),
        NameRule::Dns1035Label => regex_error(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
            DNS1035_LABEL_FORMAT,
            &["my-name", "abc-123"],
        ),
        NameRule::LabelKey => qualified_name_error(),
        NameRule::LabelValue => regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            LABEL_VALUE_FORMAT,
            &["MyValue", "my_value", "12345"],
        ),
    }
}

/// A value that breaks a name rule, with every reason Kubernetes would give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {rule}: {}", self.reasons())]
pub struct InvalidName {
    rule: NameRule,
    value: String,
    problems: Vec<NameProblem>,
}

impl InvalidName {
    /// The rule that was broken.
    pub fn rule(&self) -> NameRule {
        self.rule
    }

    /// The value that was checked.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Every reason, in Kubernetes' order.
    pub fn problems(&self) -> &[NameProblem] {
        &self.problems
    }

    /// The reasons joined by `"; "`, as Kubernetes joins them in one field error.
    pub fn reasons(&self) -> String {
        let reasons: Vec<String> = self.problems.iter().map(ToString::to_string).collect();
        reasons.join("; ")
    }
}

fn verdict(rule: NameRule, value: &str, problems: Vec<NameProblem>) -> Result<(), InvalidName> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InvalidName {
            rule,
            value: value.to_string(),
            problems,
        })
    }
}

fn is_lower_alphanumeric(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` without a length limit.
fn matches_dns1123_label(value: &str) -> bool {
    let bytes = value.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            is_lower_alphanumeric(first)
                && is_lower_alphanumeric(last)
                && bytes.iter().all(|&b| is_lower_alphanumeric(b) || b == b'-')
        }
        _ => false,
    }
}

/// DNS-1123 labels joined by single dots, without a length limit.
fn matches_dns1123_subdomain(value: &str) -> bool {
    value.split('.').all(matches_dns1123_label)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
fn matches_qualified_name(value: &str) -> bool {
    let bytes = value.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// A length limit and a shape, the two checks most rules consist of, in Kubernetes' order.
fn length_and_shape(
    rule: NameRule,
    value: &str,
    max: usize,
    misshapen: Option<NameProblem>,
) -> Result<(), InvalidName> {
    let too_long = (value.len() > max).then_some(NameProblem::TooLong { max });
    verdict(rule, value, too_long.into_iter().chain(misshapen).collect())
}

/// Checks a DNS-1123 label (Kubernetes `IsDNS1123Label`): namespace names, for example.
pub fn check_dns1123_label(value: &str) -> Result<(), InvalidName> {
    // A valid subdomain that is not a valid label can only have failed on its dots.
    let misshapen = (!matches_dns1123_label(value)).then(|| {
        if matches_dns1123_subdomain(value) {
            NameProblem::ContainsDots
        } else {
            NameProblem::Malformed {
                rule: NameRule::Dns1123Label,
            }
        }
    });
    length_and_shape(
        NameRule::Dns1123Label,
        value,
        DNS1123_LABEL_MAX_LENGTH,
        misshapen,
    )
}

/// Checks a DNS-1123 subdomain (Kubernetes `IsDNS1123Subdomain`): most object names.
pub fn check_dns1123_subdomain(value: &str) -> Result<(), InvalidName> {
    let rule = NameRule::Dns1123Subdomain;
    let misshapen = (!matches_dns1123_subdomain(value)).then_some(NameProblem::Malformed { rule });
    length_and_shape(rule, value, DNS1123_SUBDOMAIN_MAX_LENGTH, misshapen)
}

/// Checks a DNS-1035 label (Kubernetes `IsDNS1035Label`): a DNS-1123 label that starts with a
/// letter, as CRD plural names and version names must be.
pub fn check_dns1035_label(value: &str) -> Result<(), InvalidName> {
    let rule = NameRule::Dns1035Label;
    let starts_with_letter = value.as_bytes().first().is_some_and(u8::is_ascii_lowercase);
    let well_formed = starts_with_letter && matches_dns1123_label(value);
    let misshapen = (!well_formed).then_some(NameProblem::Malformed { rule });
    length_and_shape(rule, value, DNS1035_LABEL_MAX_LENGTH, misshapen)
}

/// Checks a label key, also called a qualified name (Kubernetes `IsQualifiedName`):
/// `[prefix/]name` where the prefix is a DNS-1123 subdomain.
pub fn check_label_key(value: &str) -> Result<(), InvalidName> {
    let mut problems = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                problems.push(NameProblem::EmptyPrefix);
            } else if let Err(invalid) = check_dns1123_subdomain(prefix) {
                problems.extend(
                    invalid
                        .problems
                        .into_iter()
                        .map(|p| NameProblem::Prefix(Box::new(p))),
                );
            }
            *name
        }
        _ => {
            return verdict(NameRule::LabelKey, value, vec![NameProblem::TooManySlashes]);
        }
    };
    if name.is_empty() {
        problems.push(NameProblem::EmptyName);
    } else if name.len() > LABEL_KEY_NAME_MAX_LENGTH {
        problems.push(NameProblem::NameTooLong {
            max: LABEL_KEY_NAME_MAX_LENGTH,
        });
    }
    if !matches_qualified_name(name) {
        problems.push(NameProblem::NameMalformed);
    }
    verdict(NameRule::LabelKey, value, problems)
}

/// Checks a label value (Kubernetes `IsValidLabelValue`); the empty string is a valid value.
pub fn check_label_value(value: &str) -> Result<(), InvalidName> {
    let rule = NameRule::LabelValue;
    let well_formed = value.is_empty() || matches_qualified_name(value);
    let misshapen = (!well_formed).then_some(NameProblem::Malformed { rule });
    length_and_shape(rule, value, LABEL_VALUE_MAX_LENGTH, misshapen)
}

/// Whether `value` is a DNS-1123 label.
pub fn is_dns1123_label(value: &str) -> bool {
    check_dns1123_label(value).is_ok()
}

/// Whether `value` is a DNS-1123 subdomain.
pub fn is_dns1123_subdomain(value: &str) -> bool {
    check_dns1123_subdomain(value).is_ok()
}

/// Whether `value` is a DNS-1035 label.
pub fn is_dns1035_label(value: &str) -> bool {
    check_dns1035_label(value).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(result: Result<(), InvalidName>) -> String {
        result.err().map(|e| e.reasons()).unwrap_or_default()
    }

    #[test]
    fn dns1123_labels_at_the_limits() {
        assert!(is_dns1123_label("a"));
        assert!(is_dns1123_label("0"));
        assert!(is_dns1123_label("a-0"));
        assert!(is_dns1123_label(&"a".repeat(63)));
        assert_eq!(
            reasons(check_dns1123_label(&"a".repeat(64))),
            "must be no more than 63 characters"
        );
        for bad in ["", "-a", "a-", "A", "a_b", "a b", "é"] {
            assert!(!is_dns1123_label(bad), "{bad:?}");
        }
        assert_eq!(reasons(check_dns1123_label("a.b")), "must not contain dots");
        assert_eq!(
            reasons(check_dns1123_label("Web_1")),
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        );
    }

    #[test]
    fn dns1123_subdomains_at_the_limits() {
        assert!(is_dns1123_subdomain("example.com"));
        assert!(is_dns1123_subdomain("a"));
        // Labels inside a subdomain have no length limit of their own.
        assert!(is_dns1123_subdomain(&"a".repeat(100)));
        let longest = format!("{}.{}", "a".repeat(126), "b".repeat(126));
        assert_eq!(longest.len(), 253);
        assert!(is_dns1123_subdomain(&longest));
        assert_eq!(
            reasons(check_dns1123_subdomain(&format!("{longest}c"))),
            "must be no more than 253 characters"
        );
        for bad in ["", ".", "a.", ".a", "a..b", "a.-b", "A.b", "a_b"] {
            assert!(!is_dns1123_subdomain(bad), "{bad:?}");
        }
        assert_eq!(
            reasons(check_dns1123_subdomain("Nightly_Window")),
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        );
        // Both reasons when both apply, as Kubernetes lists them.
        let error = check_dns1123_subdomain(&"_".repeat(254)).expect_err("invalid");
        assert_eq!(error.problems().len(), 2);
    }

    #[test]
    fn dns1035_labels_start_with_a_letter() {
        assert!(is_dns1035_label("v1alpha1"));
        assert!(is_dns1035_label(&"a".repeat(63)));
        assert!(!is_dns1035_label(&"a".repeat(64)));
        assert!(!is_dns1035_label("1v"));
        assert!(!is_dns1035_label("a.b"));
        assert!(!is_dns1035_label(""));
        assert_eq!(
            reasons(check_dns1035_label("9lives")),
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
        );
    }

    #[test]
    fn label_keys_follow_the_qualified_name_rule() {
        for good in [
            "app",
            "App.Name_1",
            "app.kubernetes.io/name",
            "a/b",
            &"k".repeat(63),
            &format!("{}/{}", "p".repeat(253), "n".repeat(63)),
        ] {
            assert!(check_label_key(good).is_ok(), "{good:?}");
        }
        assert_eq!(
            reasons(check_label_key("/name")),
            "prefix part must be non-empty"
        );
        assert_eq!(
            reasons(check_label_key("a/b/c")),
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        );
        assert_eq!(
            reasons(check_label_key(&"k".repeat(64))),
            "name part must be no more than 63 characters"
        );
        let empty = check_label_key("").expect_err("empty key");
        assert_eq!(
            empty.problems(),
            &[NameProblem::EmptyName, NameProblem::NameMalformed]
        );
        let bad_prefix = check_label_key("Example.com/x").expect_err("bad prefix");
        assert!(
            bad_prefix
                .reasons()
                .starts_with("prefix part a lowercase RFC 1123 subdomain")
        );
        assert!(check_label_key("-a").is_err());
        assert!(check_label_key("a b").is_err());
    }

    #[test]
    fn label_values_may_be_empty() {
        assert!(check_label_value("").is_ok());
        assert!(check_label_value("MyValue_1.0-x").is_ok());
        assert!(check_label_value(&"v".repeat(63)).is_ok());
        assert_eq!(
            reasons(check_label_value(&"v".repeat(64))),
            "must be no more than 63 characters"
        );
        assert_eq!(
            reasons(check_label_value("-v")),
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        );
    }

    #[test]
    fn the_error_names_the_value_and_the_rule() {
        let error = check_dns1123_subdomain("A").expect_err("invalid");
        assert_eq!(error.rule(), NameRule::Dns1123Subdomain);
        assert_eq!(error.value(), "A");
        assert!(
            error
                .to_string()
                .starts_with("\"A\" is not a valid DNS-1123 subdomain: ")
        );
    }
}
