//! The corpus under `tests/invalid/`: one defect per file, each file stating in `# expect:`
//! lines the diagnostic it must produce (line:column, check, JSON path, message). Together the
//! files cover every check.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use patchwarden_validate::{Check, Diagnostic, Level, Options, validate_paths};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/invalid")
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T00:00:00Z")
        .expect("valid time")
        .with_timezone(&Utc)
}

#[derive(Debug)]
struct Expected {
    location: String,
    check: String,
    path: String,
    message: String,
}

/// `# expect: 12:5 spec spec.schedule -- message` lines of a file.
fn expectations(bytes: &[u8]) -> Vec<Expected> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|line| line.strip_prefix("# expect: "))
        .map(|rest| {
            let (head, message) = rest.split_once(" -- ").expect("expect line has ' -- '");
            let parts: Vec<&str> = head.split(' ').collect();
            assert_eq!(parts.len(), 3, "expect line: {rest}");
            Expected {
                location: parts[0].to_string(),
                check: parts[1].to_string(),
                path: parts[2].to_string(),
                message: message.to_string(),
            }
        })
        .collect()
}

fn location(d: &Diagnostic) -> String {
    match (d.line, d.column) {
        (Some(line), Some(column)) => format!("{line}:{column}"),
        _ => "-".to_string(),
    }
}

#[test]
fn every_bad_document_gives_its_expected_diagnostic() {
    let report = validate_paths(&[corpus()], &Options::new(now())).expect("corpus readable");
    assert!(!report.is_valid());
    let mut by_file: BTreeMap<String, Vec<&Diagnostic>> = BTreeMap::new();
    for d in &report.diagnostics {
        assert_eq!(d.level, Level::Error, "unexpected warning: {d}");
        by_file.entry(d.file.clone()).or_default().push(d);
    }
    let mut files_with_defects = 0;
    let mut covered = BTreeSet::new();
    let mut entries: Vec<_> = std::fs::read_dir(corpus())
        .expect("corpus directory")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.display().to_string();
        let expected = expectations(&std::fs::read(&path).expect("readable"));
        let actual = by_file.remove(&name).unwrap_or_default();
        assert_eq!(
            actual.len(),
            expected.len(),
            "{name}: expected {expected:#?}\nfound:\n{}",
            actual
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
        if !expected.is_empty() {
            files_with_defects += 1;
            assert_eq!(expected.len(), 1, "{name}: one defect per file");
        }
        for (want, got) in expected.iter().zip(&actual) {
            assert_eq!(location(got), want.location, "{name}: location of {got}");
            assert_eq!(got.check.as_str(), want.check, "{name}: check of {got}");
            assert_eq!(
                got.path.as_deref().unwrap_or("-"),
                want.path,
                "{name}: path of {got}"
            );
            assert!(
                got.message.contains(&want.message),
                "{name}: message {:?} lacks {:?}",
                got.message,
                want.message
            );
            assert_eq!(got.file, name);
            covered.insert(got.check);
        }
    }
    assert!(
        by_file.is_empty(),
        "diagnostics for unknown files: {by_file:?}"
    );
    assert!(
        files_with_defects >= 30,
        "only {files_with_defects} bad documents"
    );
    let all: BTreeSet<Check> = [
        Check::Io,
        Check::Yaml,
        Check::Identity,
        Check::Schema,
        Check::Spec,
        Check::Duplicate,
        Check::Reference,
        Check::WindowNeverOpens,
        Check::SlaGap,
        Check::Compliance,
    ]
    .into_iter()
    .collect();
    assert_eq!(covered, all, "the corpus covers every check");
}

#[test]
fn bad_documents_name_their_kind_name_and_namespace() {
    let report = validate_paths(&[corpus()], &Options::new(now())).expect("corpus readable");
    let sla = report
        .diagnostics
        .iter()
        .find(|d| d.check == Check::SlaGap && d.path.as_deref() == Some("spec.sla.critical"))
        .expect("the SLA gap is reported");
    assert_eq!(sla.kind.as_deref(), Some("PatchPolicy"));
    assert_eq!(sla.name.as_deref(), Some("sla-gap"));
    assert_eq!(sla.namespace.as_deref(), Some("default"));
    let json = report.to_json();
    assert_eq!(json["valid"], false);
    assert_eq!(json["errors"].as_u64(), Some(report.error_count() as u64));
    let first = &json["diagnostics"][0];
    for field in ["level", "check", "file", "line", "column", "message"] {
        assert!(
            !first[field].is_null(),
            "JSON diagnostics carry {field}: {first}"
        );
    }
}
