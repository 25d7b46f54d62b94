//! End to end, what makes `patchwarden operator --git-repo` sync before its interval (here an
//! hour, so nothing else could): a signed push delivered to the webhook receiver beside
//! `/metrics` (its token from a Secret), and a commit in a local repository seen through the
//! inotify watch of its refs. Unsigned, wrongly signed, oversized and other-branch deliveries
//! fetch nothing.

use std::time::Duration;

use patchwarden_gitops::trigger::webhook::signature;
use support::cluster::Cluster;
use support::git::TestRepo;
use support::http::raw_request;
use support::operator::Operator;
use support::patchwarden;

const TOKEN: &str = "e2e-webhook-token";

fn window(duration: &str) -> String {
    format!(
        "apiVersion: patchwarden.io/v1alpha1\nkind: MaintenanceWindow\nmetadata:\n  name: weekly\n  namespace: default\nspec:\n  schedule: \"0 2 * * SAT\"\n  timeZone: UTC\n  duration: {duration}\n"
    )
}

fn duration_of_window(cluster: &Cluster) -> Option<String> {
    let window = cluster.get_json(&["maintenancewindow", "weekly"])?;
    window["spec"]["duration"].as_str().map(str::to_string)
}

fn wait_for_duration(cluster: &Cluster, duration: &str) {
    cluster.wait_for(
        &format!("the window's duration to become {duration}"),
        Duration::from_secs(60),
        || (duration_of_window(cluster).as_deref() == Some(duration)).then_some(()),
    );
}

/// POSTs `body` as a GitHub delivery with `signature` to the receiver of `source`.
fn github_delivery(operator: &Operator, source: &str, event: &str, sig: &str, body: &[u8]) -> u16 {
    let path = format!("/hooks/git/{source}");
    let headers = [
        ("Content-Type", "application/json"),
        ("X-GitHub-Event", event),
        ("X-Hub-Signature-256", sig),
    ];
    raw_request(operator.metrics_addr, "POST", &path, &headers, body).0
}

#[test]
fn webhook_pushes_and_local_commits_sync_at_once_and_forged_deliveries_fetch_nothing() {
    let cluster = Cluster::start();
    // data.token is TOKEN, base64-encoded.
    cluster.apply(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: git-hook\n  namespace: default\ndata:\n  token: ZTJlLXdlYmhvb2stdG9rZW4=\n",
    );
    let repo = TestRepo::new();
    repo.commit("a weekly window", &[("window.yaml", &window("4h"))]);
    let url = repo.url();
    let source = patchwarden::cli::up::git_source_spec(&url, None)
        .expect("source")
        .name;
    // Mirrors go to the test's scratch directory, not the working directory.
    let cache = cluster.path("git-cache").display().to_string();
    let operator = Operator::start(
        &cluster,
        patchwarden!(),
        "webhook",
        &[
            "--git-cache",
            &cache,
            "--git-repo",
            &url,
            "--git-interval",
            "3600",
            "--git-webhook-secret-ref",
            "default/git-hook",
        ],
    );
    wait_for_duration(&cluster, "4h");

    repo.commit("a longer window", &[("window.yaml", &window("5h"))]);
    forged_and_foreign_deliveries_fetch_nothing(&cluster, &operator, &source);
    let push = br#"{"ref":"refs/heads/main"}"#;
    let ping_signature = signature(TOKEN.as_bytes(), b"{}");
    let ping = github_delivery(&operator, &source, "ping", &ping_signature, b"{}");
    assert_eq!(ping, 200);
    let signed = signature(TOKEN.as_bytes(), push);
    let delivered = github_delivery(&operator, &source, "push", &signed, push);
    assert_eq!(delivered, 200);
    wait_for_duration(&cluster, "5h");
    drop(operator);

    // The same repository as a local path: its refs are watched, no delivery is needed.
    let path = repo.path().display().to_string();
    let _local = Operator::start(
        &cluster,
        patchwarden!(),
        "local",
        &[
            "--git-cache",
            &cache,
            "--git-repo",
            &path,
            "--git-interval",
            "3600",
        ],
    );
    wait_for_duration(&cluster, "5h");
    repo.commit("a shorter window", &[("window.yaml", &window("3h"))]);
    wait_for_duration(&cluster, "3h");
}

/// Unsigned, wrongly signed, oversized, other-branch and unknown-source deliveries are
/// answered without fetching: the window keeps its first duration.
fn forged_and_foreign_deliveries_fetch_nothing(
    cluster: &Cluster,
    operator: &Operator,
    source: &str,
) {
    let push = br#"{"ref":"refs/heads/main"}"#;
    let forged = signature(b"not-the-token", push);
    assert_eq!(
        github_delivery(operator, source, "push", &forged, push),
        401
    );
    assert_eq!(github_delivery(operator, source, "push", "", push), 401);
    let oversized = vec![b' '; 1024 * 1024 + 1];
    let signed = signature(TOKEN.as_bytes(), &oversized);
    let answer = github_delivery(operator, source, "push", &signed, &oversized);
    assert_eq!(answer, 413);
    let other_branch = br#"{"ref":"refs/heads/feature"}"#;
    let signed = signature(TOKEN.as_bytes(), other_branch);
    let answer = github_delivery(operator, source, "push", &signed, other_branch);
    assert_eq!(answer, 202);
    let answer = github_delivery(operator, "no-such-source", "push", &signed, other_branch);
    assert_eq!(answer, 404);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        duration_of_window(cluster).as_deref(),
        Some("4h"),
        "nothing was fetched"
    );
}
