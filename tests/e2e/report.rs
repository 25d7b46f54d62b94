//! End to end, `patchwarden report` on what `patchwarden up` did with the quickstart: the JSON
//! carries the numbers kubectl reads, and the HTML page, loaded from the file by headless
//! Chromium, renders its trend charts with non-empty paths and its tables with those numbers.
//! `PATCHWARDEN_REPORT_KEEP=<dir>` keeps the report and the screenshot there.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::cluster::take_turn;
use support::patchwarden;
use support::paths::repo_path;
use support::process::Process;
use support::resources::condition;
use support::up::Up;
use support::wait::poll;

const POLICY: &str = "quickstart-standard";

/// Headless Chromium in its own process group, with its own profile directory; the whole
/// group (browser, zygote, renderers) is killed when dropped.
struct Chromium {
    process: Process,
}

impl Chromium {
    fn run(args: &[&str], profile: &Path, page: &Path) -> (Chromium, std::process::Output) {
        let mut command = Command::new("chromium");
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(args)
            .arg(format!("file://{}", page.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut chromium = Chromium {
            process: Process::spawn(&mut command),
        };
        let started = Instant::now();
        while chromium.process.try_wait().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "chromium {args:?} did not finish in 90 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let output = chromium.process.output();
        (chromium, output)
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // The browser's helpers share its process group, whose id is the browser's PID.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.process.id())])
            .stderr(Stdio::null())
            .status();
        self.process.kill();
    }
}

fn wait_settled(up: &Up, log: &Path) -> (Value, Value) {
    poll(Duration::from_secs(300), Duration::from_secs(1), || {
        let policy = up.get(&["patchpolicy", POLICY])?;
        let runs = up.get(&["patchruns"])?;
        let assets = up.get(&["assets"])?;
        let assets_compliant = assets["items"].as_array().is_some_and(|items| {
            !items.is_empty()
                && items
                    .iter()
                    .all(|a| a["status"]["patchState"] == "Compliant")
        });
        let finished = runs["items"].as_array().is_some_and(|items| {
            !items.is_empty() && items.iter().all(|r| r["status"]["finishedAt"].is_string())
        });
        (condition(&policy, "Ready").is_some_and(|r| r.0 == "True")
            && policy["status"]["compliance"]["percent"] == 100.0
            && policy["status"]["history"]
                .as_array()
                .is_some_and(|h| h.len() >= 2)
            && assets_compliant
            && finished)
            .then_some((policy, runs))
    })
    .unwrap_or_else(|| {
        panic!(
            "the quickstart did not settle: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        )
    })
}

fn write_report(state: &Path, out: &Path) {
    let output = patchwarden!()
        .args(["report", "--kubeconfig"])
        .arg(state.join("kubeconfig"))
        .arg("--output-dir")
        .arg(out)
        .output()
        .expect("run patchwarden report");
    assert!(
        output.status.success(),
        "report failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn cves_closed(run: &Value) -> u64 {
    run["status"]["assets"]
        .as_array()
        .map(|assets| {
            assets
                .iter()
                .map(|a| a["cvesClosed"].as_array().map_or(0, Vec::len) as u64)
                .sum()
        })
        .unwrap_or(0)
}

/// The JSON report carries what kubectl reads.
fn check_json(report: &Value, policy: &Value, runs: &Value) {
    let key = format!("default/{POLICY}");
    let row = report["policies"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == key.as_str()))
        .unwrap_or_else(|| panic!("no row for {key}: {report}"));
    let status = &policy["status"];
    assert_eq!(row["assets"], status["compliance"]["assets"]);
    assert_eq!(row["compliant"], status["compliance"]["compliant"]);
    assert_eq!(row["openCritical"], status["openFindings"]["critical"]);
    let kubectl_runs = runs["items"].as_array().expect("run items");
    let report_runs = report["runs"].as_array().expect("report runs");
    assert_eq!(report_runs.len(), kubectl_runs.len());
    for run in kubectl_runs {
        let name = format!("default/{}", run["metadata"]["name"].as_str().unwrap_or(""));
        let row = report_runs
            .iter()
            .find(|r| r["name"] == name.as_str())
            .unwrap_or_else(|| panic!("no row for run {name}"));
        assert_eq!(row["phase"], run["status"]["phase"]);
        assert_eq!(row["succeeded"], run["status"]["counts"]["succeeded"]);
        assert_eq!(row["cvesClosed"].as_u64(), Some(cves_closed(run)));
    }
    // Every CVE the run closed was a finding it recorded: the SLA table counts each one fixed
    // (whatever its severity class), none of them open.
    let closed: u64 = kubectl_runs.iter().map(cves_closed).sum();
    let fixed: u64 = report["sla"]
        .as_array()
        .expect("sla rows")
        .iter()
        .filter(|row| row["class"] != "KEV")
        .map(|row| row["fixed"].as_u64().unwrap_or(0))
        .sum();
    assert!(closed > 0, "the run closed nothing");
    assert_eq!(fixed, closed, "CVEs fixed in the SLA table");
    let history = status["history"].as_array().expect("history");
    let trend = report["trends"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["policy"] == key.as_str()))
        .expect("trend of the policy");
    assert_eq!(
        trend["points"].as_array().map(Vec::len),
        Some(history.len())
    );
}

/// The rendered DOM: charts drawn with non-empty paths, the tables with the numbers.
fn check_dom(dom: &str, policy: &Value, runs: &Value) {
    let paths: Vec<&str> = dom
        .split(r#"<path class="series""#)
        .skip(1)
        .filter_map(|rest| rest.split(r#" d=""#).nth(1)?.split('"').next())
        .collect();
    assert!(
        paths.len() >= 4,
        "expected the series of two charts: {paths:?}"
    );
    assert!(
        paths.iter().all(|d| d.starts_with('M') && d.contains(" H")),
        "{paths:?}"
    );
    let status = &policy["status"];
    let policy_row = dom
        .split(&format!(r#"<tr data-policy="default/{POLICY}">"#))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .expect("the policy's row in the page");
    let cells = format!(
        r#"<td class="num">{}</td><td class="num">{}</td>"#,
        status["compliance"]["compliant"], status["compliance"]["assets"]
    );
    assert!(policy_row.contains(&cells), "{policy_row} lacks {cells}");
    let assets = status["compliance"]["assets"]
        .as_u64()
        .expect("asset count");
    let card = format!(r#"data-field="compliantAssets">{assets}/{assets}<"#);
    assert!(dom.contains(&card), "the summary lacks {card}");
    for run in runs["items"].as_array().expect("items") {
        let name = run["metadata"]["name"].as_str().expect("name");
        let row = dom
            .split(&format!(r#"<tr data-run="default/{name}">"#))
            .nth(1)
            .and_then(|rest| rest.split("</tr>").next())
            .unwrap_or_else(|| panic!("no row for run {name}"));
        let phase = run["status"]["phase"].as_str().expect("phase");
        assert!(row.contains(&format!(">{phase}</td>")), "{row}");
        let closed = format!(r#"<td class="num">{}</td>"#, cves_closed(run));
        assert!(row.contains(&closed), "{row} lacks {closed}");
    }
}

#[test]
fn report_of_an_up_run_renders_in_chromium_with_the_clusters_numbers() {
    let _turn = take_turn();
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let log = dir.path().join("up.log");
    let up = Up::start(
        patchwarden!(),
        &repo_path("examples/quickstart"),
        &state,
        &dir.path().join("home"),
        &log,
    );
    let (policy, runs) = wait_settled(&up, &log);
    let out = dir.path().join("report");
    write_report(&state, &out);
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("report.json")).expect("report.json"),
    )
    .expect("report.json is JSON");
    check_json(&json, &policy, &runs);
    let markdown = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(
        markdown.contains(&format!("| default/{POLICY} |")),
        "{markdown}"
    );

    let page = out.join("report.html");
    let screenshot: PathBuf = dir.path().join("report.png");
    let (_shot, output) = Chromium::run(
        &[
            &format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,2000",
        ],
        &dir.path().join("chromium-shot"),
        &page,
    );
    let size = std::fs::metadata(&screenshot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 20_000,
        "no screenshot ({size} bytes): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    if let Some(keep) = std::env::var_os("PATCHWARDEN_REPORT_KEEP") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).expect("create the keep directory");
        for name in ["report.html", "report.json", "report.md"] {
            std::fs::copy(out.join(name), keep.join(name)).expect("keep the report");
        }
        std::fs::copy(&screenshot, keep.join("report.png")).expect("keep the screenshot");
    }
    let (_dom, output) = Chromium::run(&["--dump-dom"], &dir.path().join("chromium-dom"), &page);
    let dom = String::from_utf8_lossy(&output.stdout);
    check_dom(&dom, &policy, &runs);
}
