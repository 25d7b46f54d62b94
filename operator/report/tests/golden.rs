//! The JSON report of fixed objects at a fixed `now` is the golden file, byte for byte, and its
//! numbers are the ones the fixture implies. `UPDATE_GOLDEN=1` rewrites the golden file.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use patchwarden_report::{ReportInput, build, render};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn report_of_fixture() -> patchwarden_report::Report {
    let text = std::fs::read_to_string(fixture_dir().join("input.yaml")).expect("fixture");
    let input: ReportInput = serde_yaml::from_str(&text).expect("fixture parses");
    let now: DateTime<Utc> = "2026-12-10T00:00:00Z".parse().expect("now");
    build(&input, now)
}

#[test]
fn json_report_matches_the_golden_file() {
    let rendered = render(&report_of_fixture()).expect("renders");
    let golden = fixture_dir().join("report.golden.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &rendered.json).expect("write golden");
    }
    let expected = std::fs::read_to_string(&golden).expect("golden file");
    assert_eq!(rendered.json, expected);
}

#[test]
fn numbers_follow_from_the_fixture() {
    let report = report_of_fixture();
    let critical = &report.sla[0];
    // CVE-2026-0001 published 11-25 10:00 with a 7d SLA, fixed 12-05 10:30: late, 10.0 days.
    // CVE-2026-0003 (open on web-2) is past its KEV due date 12-08: overdue.
    assert_eq!(
        (
            critical.class.as_str(),
            critical.fixed,
            critical.late,
            critical.open_overdue
        ),
        ("Critical", 1, 1, 1)
    );
    assert_eq!(critical.adherence_percent, Some(0.0));
    assert_eq!(critical.mean_days_to_remediate, Some(10.0));
    let kev = &report.sla[5];
    // CVE-2026-0002 fixed before its due date; CVE-2026-0003 open past it.
    assert_eq!((kev.in_time, kev.open_overdue), (1, 1));
    assert_eq!(kev.adherence_percent, Some(50.0));
    assert_eq!(report.kev_exposure.len(), 1);
    assert_eq!(report.kev_exposure[0].days_open, Some(12));
    assert!(report.kev_exposure[0].past_due);
    assert_eq!(
        report.top_assets.len(),
        1,
        "web-1 has no risk, web-3 no assessment"
    );
    assert_eq!(report.top_assets[0].name, "fleet/web-2");
    assert_eq!(report.runs[0].name, "fleet/standard-20261207");
    assert_eq!(report.runs[1].cves_closed, 2);
    assert_eq!(report.summary.runs_failed, 1);
    let last = report.trends[0].points.last().expect("points");
    assert_eq!(last.run_success_percent, Some(50.0));
}

#[test]
fn html_carries_the_charts_and_markdown_the_tables() {
    let rendered = render(&report_of_fixture()).expect("renders");
    assert!(!rendered.html.contains("<script"));
    assert_eq!(rendered.html.matches("<svg").count(), 2);
    assert!(
        rendered
            .html
            .contains(r#"class="series" data-series="Critical" d="M"#)
    );
    assert!(
        rendered
            .html
            .contains("KEV-listed; CVSS 9.8; internet-facing")
    );
    assert!(
        rendered
            .markdown
            .contains("| fleet/standard | 1 | 3 | 33.3 | 1 | 2 | 1 | 1 |")
    );
    assert!(rendered.markdown.contains("| Other | 0 |"));
    assert!(
        rendered
            .markdown
            .contains("| KEV | 1 | 1 | 0 | 1 | 0 | 50.0 % | 15.0 |")
    );
}

#[test]
fn quarantined_updates_and_outcome_counts_are_reported() {
    let report = report_of_fixture();
    let outcomes = &report.outcomes;
    assert_eq!(
        (outcomes.runs, outcomes.failures, outcomes.rollbacks),
        (2, 1, 1)
    );
    assert_eq!(outcomes.duration_p90.as_deref(), Some("5m"));
    let q = &outcomes.quarantined[0];
    assert_eq!(
        (q.package.as_str(), q.version.as_str()),
        ("openssl", "3.0.22-1~deb12u2")
    );
    assert_eq!(q.policies, ["fleet/standard"]);
    let rendered = render(&report).expect("renders");
    assert!(
        rendered.markdown.contains(
            "| openssl (Debian:12) | 3.0.22-1~deb12u2 | quarantined: failed on 2 canaries"
        ),
        "{}",
        rendered.markdown
    );
    assert!(rendered.html.contains(r#"<tr data-quarantined="openssl">"#));
}

#[test]
fn each_policys_predicted_load_is_reported() {
    let report = report_of_fixture();
    let load = &report.outcomes.predicted_load;
    assert_eq!(load.len(), 1, "only the policy whose status carries one");
    assert_eq!(
        (
            load[0].policy.as_str(),
            load[0].opens_at.as_str(),
            load[0].expected_work.as_str()
        ),
        ("fleet/standard", "2026-12-12 02:00 UTC", "23m")
    );
    let rendered = render(&report).expect("renders");
    assert!(
        rendered
            .markdown
            .contains("| fleet/standard | 2026-12-12 02:00 UTC | 2.3 | 23m | 0.4 | 0.1 | 18 |"),
        "{}",
        rendered.markdown
    );
    // HTML escapes the slash of the policy's name.
    let row = rendered
        .html
        .split("<tr data-load=")
        .nth(1)
        .unwrap_or_default();
    assert!(row.contains("<td>23m</td>"), "{}", rendered.html);
}
