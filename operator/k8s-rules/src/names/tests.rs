//! Each name rule on valid and invalid values, with the reasons Kubernetes gives.

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
