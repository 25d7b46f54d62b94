//! The name syntaxes Kubernetes checks: DNS-1123 labels (namespaces), DNS-1123 subdomains
//! (object names, label-key prefixes), DNS-1035 labels (CRD plurals and version names), label
//! keys (qualified names) and label values. Limits and messages are those of apimachinery's
//! `util/validation`, so a message shown here is the one a real API server gives.

mod problem;
#[cfg(test)]
mod tests;

pub use problem::{InvalidName, NameProblem, NameRule};

use problem::verdict;

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
