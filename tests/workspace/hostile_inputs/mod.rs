//! Hostile inputs with their expected outcome, one table per domain: feeds, inventories,
//! os-release, Git trees and resource documents. Every row names the error variant, the record
//! (or line) and field it must blame, and a piece of its message, or the exact summary of what
//! is accepted; a failure lists each row whose outcome differs.

mod distro_feed_cases;
mod feed_archives;
mod feeds;
mod git_tree_cases;
mod git_trees;
mod inventories;
mod inventory_cases;
mod kev_epss_cases;
mod os_release;
mod osv_cases;
mod resources;

use std::collections::BTreeSet;
use std::fmt;

/// A valid MaintenanceWindow, the base of the resource and Git tree cases.
pub const WINDOW: &str = "apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata:
  name: weekly
  namespace: ops
spec:
  schedule: \"0 2 * * SAT\"
  timeZone: UTC
  duration: 4h
";

/// What a case must produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Accepted, with exactly this summary of what was read.
    Ok(String),
    /// Refused with this error.
    Err(Refusal),
}

/// An expected or observed error: the variant, the record (or line) and field it blames, and
/// its message (expected: a piece of it; observed: all of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub variant: String,
    pub record: Option<usize>,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Ok(summary) => write!(f, "Ok({summary})"),
            Expect::Err(r) => write!(
                f,
                "{} record {:?} field {:?}: {:?}",
                r.variant, r.record, r.field, r.message
            ),
        }
    }
}

/// Accepted with `summary`.
pub fn ok(summary: impl Into<String>) -> Expect {
    Expect::Ok(summary.into())
}

/// Refused as `variant`, blaming `record` and `field`, with `message` in the message.
pub fn err(
    variant: impl Into<String>,
    record: Option<usize>,
    field: impl Into<String>,
    message: impl Into<String>,
) -> Expect {
    Expect::Err(Refusal {
        variant: variant.into(),
        record,
        field: field.into(),
        message: message.into(),
    })
}

/// One row: a label, an input and the outcome it must have.
pub struct Case<I> {
    pub label: String,
    pub input: I,
    pub expect: Expect,
}

/// A row.
pub fn case<I>(label: impl Into<String>, input: I, expect: Expect) -> Case<I> {
    Case {
        label: label.into(),
        input,
        expect,
    }
}

/// Why `seen` does not match `expected`, or None.
fn difference(expected: &Expect, seen: &Expect) -> Option<String> {
    let matches = match (expected, seen) {
        (Expect::Ok(a), Expect::Ok(b)) => a == b,
        (Expect::Err(a), Expect::Err(b)) => {
            a.variant == b.variant
                && a.record == b.record
                && a.field == b.field
                && b.message.contains(&a.message)
        }
        _ => false,
    };
    (!matches).then(|| format!("expected {expected}\n      got {:.600}", seen.to_string()))
}

/// Runs every case through `observe` and fails naming each case whose outcome differs;
/// returns how many cases ran.
pub fn check<I>(domain: &str, cases: &[Case<I>], observe: impl Fn(&I) -> Expect) -> usize {
    let mut labels = BTreeSet::new();
    let duplicates: Vec<&str> = cases
        .iter()
        .filter(|c| !labels.insert(c.label.as_str()))
        .map(|c| c.label.as_str())
        .collect();
    assert!(
        duplicates.is_empty(),
        "{domain}: labels twice: {duplicates:?}"
    );
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            difference(&c.expect, &observe(&c.input)).map(|d| format!("- {}: {d}", c.label))
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{domain}: {} of {} cases differ:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    cases.len()
}
