//! Why a value is not a valid name: the rule it breaks and each reason, worded as apimachinery's
//! `util/validation` words it (the rule in words, Kubernetes' examples and the regular
//! expression), so that a message shown here is the one a real API server gives.

use std::fmt;

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
    /// Visible to the checks so that a label key's prefix problems can be moved into its own.
    pub(super) problems: Vec<NameProblem>,
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

/// `Ok` when there is no problem; otherwise the value with every problem, in order.
pub(super) fn verdict(
    rule: NameRule,
    value: &str,
    problems: Vec<NameProblem>,
) -> Result<(), InvalidName> {
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
