//! Label and field selectors: parse, print, parse again gives an equal selector, and
//! matching never panics.

use std::collections::BTreeMap;

use arbitrary::Unstructured;
use patchwarden_k8s_rules::{FieldSelector, LabelSelector};

use crate::target::{Target, Violation, text};

const LABEL_SEEDS: &[&str] = &[
    "tier=web,env in (prod,staging),!canary",
    "patchwarden.io/group==fleet,app.kubernetes.io/name!=db",
    "zone notin (a,b, c ),release,replicas>2,version<10",
    "",
    "example.com/owner-team in (),x=",
];
const LABEL_DICTIONARY: &[&str] = &[
    "=",
    "==",
    "!=",
    "!",
    " in ",
    " notin ",
    "(",
    ")",
    ",",
    ">",
    "<",
    " ",
    "/",
    ".",
    "-",
    "_",
    "example.com/",
    "kubernetes.io/",
    "a",
    "0",
];

const FIELD_SEEDS: &[&str] = &[
    "metadata.name=web,status.phase!=Done",
    "involvedObject.kind==Asset,metadata.namespace=default",
    "metadata.name=a\\,b\\=c\\\\d",
    "",
    ",,spec.nodeName=",
];
const FIELD_DICTIONARY: &[&str] = &[
    "=",
    "==",
    "!=",
    ",",
    "\\",
    "\\,",
    "\\=",
    "\\\\",
    "metadata.name",
    "status.phase",
    " ",
];

/// Pieces of label selectors, joined by the generator.
const KEYS: &[&str] = &[
    "tier",
    "env",
    "app.kubernetes.io/name",
    "patchwarden.io/group",
    "a",
    "A-b_c.d",
    "x/y",
    "-bad",
    "example.com/",
    "",
    "k8s.io/z",
];
const OPERATORS: &[&str] = &["=", "==", "!=", " in ", " notin ", "", ">", "<"];
const VALUES: &[&str] = &[
    "web",
    "prod",
    "",
    "1",
    "a-b_c.d",
    "-x",
    "(a,b)",
    "()",
    "( a , b )",
];

fn generate_label(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let mut terms = Vec::new();
    for _ in 0..u.int_in_range(0..=4)? {
        let negate = if u.ratio(1, 6)? { "!" } else { "" };
        let key = u.choose(KEYS)?;
        let operator = u.choose(OPERATORS)?;
        let value = if operator.is_empty() {
            ""
        } else {
            u.choose(VALUES)?
        };
        terms.push(format!("{negate}{key}{operator}{value}"));
    }
    Ok(terms.join(",").into_bytes())
}

/// Labels the parsed selectors are matched against.
fn sample_labels() -> BTreeMap<String, String> {
    [
        ("tier", "web"),
        ("env", "prod"),
        ("a", "1"),
        ("version", "5"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn label(input: &[u8]) -> Result<(), Violation> {
    let text = text(input);
    let Ok(selector) = LabelSelector::parse(&text) else {
        return Ok(());
    };
    let _ = selector.matches(&sample_labels());
    let printed = selector.to_string();
    match LabelSelector::parse(&printed) {
        Ok(again) if again == selector => Ok(()),
        other => Err(Violation::new(
            "round-trip",
            format!("{text:?} printed as {printed:?}, read back as {other:?}"),
        )),
    }
}

fn field(input: &[u8]) -> Result<(), Violation> {
    let text = text(input);
    let Ok(selector) = FieldSelector::parse(&text) else {
        return Ok(());
    };
    let _ = selector.matches_with(|field| field.to_string());
    let printed = selector.to_string();
    match FieldSelector::parse(&printed) {
        Ok(again) if again == selector => Ok(()),
        other => Err(Violation::new(
            "round-trip",
            format!("{text:?} printed as {printed:?}, read back as {other:?}"),
        )),
    }
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "label-selector",
        about: "k8s-rules LabelSelector::parse (parse, print, parse)",
        seeds: LABEL_SEEDS,
        dictionary: LABEL_DICTIONARY,
        generate: Some(generate_label),
        check: label,
    },
    Target {
        name: "field-selector",
        about: "k8s-rules FieldSelector::parse (parse, print, parse)",
        seeds: FIELD_SEEDS,
        dictionary: FIELD_DICTIONARY,
        generate: None,
        check: field,
    },
];
