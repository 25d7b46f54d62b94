//! Resource documents beyond the validation corpus, checked as a Git revision's files are
//! (`validate_files`): wrong types, odd values, huge and nested documents, YAML tricks. Each
//! case names the file:line:column, check, object and field of its errors.

use chrono::TimeZone;
use patchwarden_gitops::source::SourceFile;
use patchwarden_gitops::validation::{ValidationContext, validate_files};

use super::{Case, Expect, WINDOW, case, check, err, ok};

fn observe(content: &str) -> Expect {
    let context = ValidationContext {
        now: chrono::Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap(),
        default_namespace: "default".to_string(),
    };
    let files = [SourceFile {
        path: "w.yaml".to_string(),
        content: content.to_string(),
    }];
    let problems = validate_files(&files, &context);
    if problems.is_empty() {
        return ok("valid");
    }
    let messages: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
    err("Invalid", Some(problems.len()), "", messages.join("\n"))
}

/// The window with `from` replaced by `to`, refused with `errors` errors, the first
/// containing `message`.
fn window(label: &str, from: &str, to: &str, errors: usize, message: &str) -> Case<String> {
    assert!(WINDOW.contains(from), "{from}");
    let expect = match errors {
        0 => ok("valid"),
        n => err("Invalid", Some(n), "", message),
    };
    case(label, WINDOW.replacen(from, to, 1), expect)
}

fn cases() -> Vec<Case<String>> {
    let name = "x".repeat(300);
    let nested = format!(
        "  duration: 4h\n  x: {}1{}\n",
        "[".repeat(200),
        "]".repeat(200)
    );
    let label = format!(
        "  namespace: ops\n  labels:\n    a: {}\n",
        "v".repeat(500 << 10)
    );
    let w = "MaintenanceWindow ops/weekly";
    vec![
        window("the window as it is", "", "", 0, ""),
        window("CRLF line ends", "\n", "\r\n", 0, ""),
        window(
            "duration is a number",
            "4h",
            "4",
            1,
            &format!(
                "w.yaml:9:3: error[schema]: {w}: spec.duration: expected a string, found the number 4"
            ),
        ),
        window(
            "duration is negative",
            "4h",
            "-4h",
            1,
            &format!(
                "w.yaml:9:3: error[schema]: {w}: spec.duration: \"-4h\" does not match the pattern"
            ),
        ),
        window(
            "duration is huge",
            "4h",
            "99999999999999999999h",
            1,
            &format!(
                "w.yaml:9:3: error[spec]: {w}: spec.duration: duration \"99999999999999999999h\" is too large"
            ),
        ),
        window(
            "a cron of seven fields",
            "0 2 * * SAT",
            "* * * * * * *",
            1,
            &format!(
                "w.yaml:7:3: error[spec]: {w}: spec.schedule: cron schedule \"* * * * * * *\" has 7 fields; expected 5"
            ),
        ),
        window(
            "a time zone that does not exist",
            "UTC",
            "Mars/Olympus",
            1,
            &format!(
                "w.yaml:8:3: error[spec]: {w}: spec.timeZone: unknown time zone \"Mars/Olympus\""
            ),
        ),
        window(
            "a name of 300 characters",
            "name: weekly",
            &format!("name: {name}"),
            1,
            &format!(
                "w.yaml:4:3: error[identity]: MaintenanceWindow ops/{name}: metadata.name: \"{name}\""
            ),
        ),
        window(
            "a name with a NUL",
            "name: weekly",
            "name: \"week\\0ly\"",
            1,
            "w.yaml:4:3: error[identity]: MaintenanceWindow ops/week\u{0}ly: metadata.name: \"week\\0ly\" is not a valid name",
        ),
        window(
            "a kind in lower case",
            "MaintenanceWindow",
            "maintenancewindow",
            1,
            "w.yaml:2:1: error[identity]: maintenancewindow ops/weekly: kind: unknown kind \"maintenancewindow\" (did you mean MaintenanceWindow?)",
        ),
        window(
            "an unknown version",
            "v1alpha1",
            "v9",
            1,
            &format!(
                "w.yaml:1:1: error[identity]: {w}: apiVersion: unknown version \"patchwarden.io/v9\"; this release serves patchwarden.io/v1alpha1"
            ),
        ),
        window(
            "spec is null and a field is unknown",
            "spec:\n",
            "spec: null\nx:\n",
            2,
            &format!(
                "w.yaml:6:1: error[schema]: {w}: spec: no value given; expected a mapping (remove the field or give it a value)\nw.yaml:7:1: error[schema]: {w}: x: unknown field `x`; known fields: spec, status"
            ),
        ),
        window(
            "spec is a list",
            "spec:\n  schedule",
            "spec:\n- schedule",
            1,
            &format!("w.yaml:6:1: error[schema]: {w}: spec: expected a mapping, found a list"),
        ),
        window(
            "spec.schedule twice",
            "  timeZone: UTC\n",
            "  schedule: \"0 3 * * SUN\"\n  timeZone: UTC\n",
            1,
            "w.yaml:8:3: error[yaml]: duplicate key `schedule`",
        ),
        window(
            "an unknown field nested 200 deep",
            "  duration: 4h\n",
            &nested,
            1,
            "w.yaml:10:104: error[yaml]: nested deeper than 100 levels; the document is skipped",
        ),
        window(
            "an unknown top-level field holding an anchor",
            "spec:\n",
            "x: &s\n  a: 1\nspec:\n",
            1,
            "w.yaml:6:1: error[schema]: MaintenanceWindow ops/weekly: x: unknown field `x`; known fields: spec, status",
        ),
        window(
            "a tab in the indentation",
            "  timeZone",
            "\ttimeZone",
            1,
            "w.yaml:8:2: error[yaml]: invalid YAML: tabs disallowed within this context (block indentation)",
        ),
        window(
            "a second document that is a string",
            "  duration: 4h\n",
            "  duration: 4h\n---\njust text\n",
            1,
            "w.yaml:11:1: error[yaml]: expected a Kubernetes object (a mapping with apiVersion, kind and metadata)",
        ),
        window(
            "an empty second document",
            "  duration: 4h\n",
            "  duration: 4h\n---\n",
            0,
            "",
        ),
        window(
            "a label value of 500 KiB is not checked offline",
            "  namespace: ops\n",
            &label,
            0,
            "",
        ),
    ]
}

#[test]
fn hostile_resource_documents_get_their_exact_diagnostics() {
    assert!(check("resources", &cases(), |c: &String| observe(c)) >= 20);
}
