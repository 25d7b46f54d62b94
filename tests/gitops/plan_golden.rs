//! Golden tests of `plan`: a real Git repository made with git2, one branch per kind of
//! change, each planned against the same live state; the Markdown and JSON are snapshots.

use chrono::{DateTime, Utc};
use patchwarden_api::Asset;
use patchwarden_gitops::markdown::render_markdown;
use patchwarden_gitops::plan::{PlanRequest, plan};
use patchwarden_gitops::snapshot::Snapshot;
use patchwarden_gitops::source::GitRepository;
use serde_json::json;
use support::git::TestRepo;

const GROUPS: &str = r#"apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: web
  namespace: ops
spec:
  selector:
    matchLabels:
      tier: web
  criticality: High
  exposure: Internet
---
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: db
  namespace: ops
spec:
  selector:
    matchLabels:
      tier: db
  criticality: Critical
  exposure: Internal
"#;

const WEEKLY: &str = r#"apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata:
  name: weekly
  namespace: ops
spec:
  schedule: "0 2 * * SAT"
  timeZone: UTC
  duration: 4h
  cutoff: 1h
"#;

const STANDARD: &str = r#"apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: standard
  namespace: ops
spec:
  assetGroups: [web]
  maintenanceWindows: [weekly]
  approval:
    minSeverity: High
  sla:
    critical: 7d
    high: 30d
  emergency: [KnownExploited]
"#;

const DATABASES: &str = r#"apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: databases
  namespace: ops
spec:
  assetGroups: [db]
  maintenanceWindows: [weekly]
  approval:
    minSeverity: Medium
  sla:
    critical: 14d
"#;

fn now() -> DateTime<Utc> {
    "2026-01-05T12:00:00Z".parse().expect("time")
}

/// An assessed asset whose status explains `findings` and offers one upgrade per finding.
fn asset(name: &str, labels: serde_json::Value, findings: serde_json::Value) -> Asset {
    let upgrades: Vec<serde_json::Value> = findings
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            json!({
                "package": f["package"], "installedVersion": f["installedVersion"],
                "fixedVersion": f["fixedVersion"], "severity": f["severity"],
                "knownExploited": f["knownExploited"],
                "fixes": [{"id": f["id"], "severity": f["severity"]}],
            })
        })
        .collect();
    serde_json::from_value(json!({
        "apiVersion": "patchwarden.io/v1alpha1",
        "kind": "Asset",
        "metadata": {"name": name, "namespace": "ops", "labels": labels},
        "spec": {"connection": "lab"},
        "status": {"findings": {"topRisks": findings}, "upgrades": upgrades},
    }))
    .expect("asset")
}

fn finding(
    id: &str,
    package: &str,
    installed: &str,
    fixed: &str,
    severity: &str,
    kev: bool,
) -> serde_json::Value {
    json!({
        "id": id, "package": package, "installedVersion": installed, "fixedVersion": fixed,
        "severity": severity, "knownExploited": kev, "score": 50.0, "explanation": "test"
    })
}

fn live() -> Snapshot {
    Snapshot::new(
        "2026-01-05T11:00:00Z".parse().expect("time"),
        vec![
            asset(
                "web-1",
                json!({"tier": "web"}),
                json!([
                    finding(
                        "CVE-2024-0001",
                        "libssl3",
                        "3.0.11-1~deb12u1",
                        "3.0.13-1~deb12u1",
                        "Critical",
                        true
                    ),
                    finding(
                        "CVE-2024-0002",
                        "curl",
                        "7.88.1-10+deb12u4",
                        "7.88.1-10+deb12u5",
                        "Medium",
                        false
                    ),
                ]),
            ),
            asset(
                "web-2",
                json!({"tier": "web"}),
                json!([finding(
                    "CVE-2024-0003",
                    "zlib1g",
                    "1:1.2.13.dfsg-1",
                    "1:1.2.13.dfsg-1+deb12u1",
                    "High",
                    false
                )]),
            ),
            asset(
                "api-1",
                json!({"tier": "api"}),
                json!([finding(
                    "CVE-2024-0004",
                    "nginx",
                    "1.22.1-9",
                    "1.22.1-9+deb12u1",
                    "High",
                    false
                )]),
            ),
            asset(
                "db-1",
                json!({"patchwarden.io/asset-group": "db"}),
                json!([finding(
                    "CVE-2024-0005",
                    "postgresql-15",
                    "15.5-0+deb12u1",
                    "15.6-0+deb12u1",
                    "Critical",
                    false
                )]),
            ),
        ],
        Vec::new(),
    )
}

/// The base commit on `main`, and one branch per kind of change made from it.
struct Fixture {
    repo: TestRepo,
    base: String,
}

fn fixture() -> Fixture {
    let repo = TestRepo::new();
    let base = repo.commit(
        "base",
        &[
            ("fleet/groups.yaml", GROUPS),
            ("fleet/windows.yaml", WEEKLY),
            ("fleet/standard.yaml", STANDARD),
        ],
    );
    Fixture { repo, base }
}

impl Fixture {
    /// Commits `files` on a branch `name` whose parent is the base, and returns to main.
    fn change(&self, name: &str, files: &[(&str, &str)]) {
        let commit = self.repo.commit(name, files);
        self.repo.branch(name, &commit);
        // Reset main to the base so every change starts from it.
        let base = self
            .repo
            .repo
            .find_commit(git2::Oid::from_str(&self.base).expect("oid"))
            .expect("base");
        self.repo
            .repo
            .reference("refs/heads/main", base.id(), true, "reset main")
            .expect("reset");
    }

    fn plan(&self, head: &str, live: Option<&Snapshot>) -> (String, String) {
        let git = GitRepository::open(&self.repo.path()).expect("open");
        let report = plan(
            &git,
            &PlanRequest {
                base: "main",
                head,
                path: Some("fleet"),
                default_namespace: "default",
                now: now(),
            },
            live,
        )
        .expect("plan");
        let json = serde_json::to_string_pretty(&report).expect("json");
        (render_markdown(&report), json)
    }
}

fn base_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("fleet/groups.yaml", GROUPS),
        ("fleet/windows.yaml", WEEKLY),
        ("fleet/standard.yaml", STANDARD),
    ]
}

fn with(replace: &str, content: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut files = base_files();
    let path: &'static str = Box::leak(replace.to_string().into_boxed_str());
    files.retain(|(p, _)| *p != path);
    files.push((path, content));
    files
}

/// Snapshots the plan. The validator's wording is its own (and tested there): snapshots keep
/// where each problem is and which check found it, not the sentence.
fn snapshot(name: &str, markdown: &str, json: &str) {
    insta::with_settings!({filters => vec![(r#"(?m)(error\[[a-z-]+\]: ).*?("?,?)$"#, "$1[validator message]$2")]}, {
        insta::assert_snapshot!(format!("{name}.md"), markdown);
        insta::assert_snapshot!(format!("{name}.json"), json);
    });
}

fn check(name: &str, fixture: &Fixture, live: Option<&Snapshot>) -> (String, String) {
    let (markdown, json) = fixture.plan(name, live);
    snapshot(name, &markdown, &json);
    (markdown, json)
}

#[test]
fn adding_a_policy_brings_its_assets_and_approvals() {
    let fixture = fixture();
    let mut files = base_files();
    files.push(("fleet/databases.yaml", DATABASES));
    fixture.change("add-policy", &files);
    let (markdown, _) = check("add-policy", &fixture, Some(&live()));
    assert!(markdown.contains("### Policy `ops/databases` (added)"));
    assert!(markdown.contains("0 → 1 asset; entering: db-1"));
    assert!(markdown.contains("| db-1 | CVE-2024-0005 | postgresql-15 |"));
}

#[test]
fn spreading_windows_apart_breaks_the_critical_sla() {
    let fixture = fixture();
    let fortnightly = r#"apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata:
  name: weekly
  namespace: ops
spec:
  schedule: "0 2 1,15 * *"
  timeZone: UTC
  duration: 4h
  cutoff: 1h
"#;
    fixture.change("change-window", &with("fleet/windows.yaml", fortnightly));
    let (markdown, _) = check("change-window", &fixture, Some(&live()));
    assert!(markdown.contains("(affected)"));
    assert!(
        markdown.contains("critical SLA 7d can no longer be met: windows are now"),
        "{markdown}"
    );
    assert!(markdown.contains("**Next window**: 2026-01-10 02:00 UTC → 2026-01-15 02:00 UTC"));
}

#[test]
fn widening_a_selector_and_lowering_min_severity_approve_more() {
    let fixture = fixture();
    let groups = GROUPS.replace(
        "    matchLabels:\n      tier: web\n",
        "    matchExpressions:\n    - {key: tier, operator: In, values: [web, api]}\n",
    );
    let policy = STANDARD.replace(
        "minSeverity: High",
        "minSeverity: Medium\n    exclude: [\"zlib*\"]",
    );
    let groups: &'static str = Box::leak(groups.into_boxed_str());
    let policy: &'static str = Box::leak(policy.into_boxed_str());
    fixture.change(
        "scope-and-approval",
        &[
            ("fleet/groups.yaml", groups),
            ("fleet/windows.yaml", WEEKLY),
            ("fleet/standard.yaml", policy),
        ],
    );
    let (markdown, json) = check("scope-and-approval", &fixture, Some(&live()));
    assert!(markdown.contains("2 → 3 assets; entering: api-1"));
    assert!(markdown.contains("| web-1 | CVE-2024-0002 | curl |"));
    assert!(markdown.contains("| api-1 | CVE-2024-0004 | nginx |"));
    assert!(
        markdown.contains("excluded by pattern \\\"zlib*\\\"")
            || markdown.contains("excluded by pattern \"zlib*\""),
        "{markdown}"
    );
    assert!(json.contains("\"heldBack\""));
}

#[test]
fn dropping_the_kev_emergency_is_explained() {
    let fixture = fixture();
    let policy: &'static str = Box::leak(
        STANDARD
            .replace(
                "  emergency: [KnownExploited]\n",
                "  emergency: [SlaBreach]\n",
            )
            .into_boxed_str(),
    );
    fixture.change("emergency", &with("fleet/standard.yaml", policy));
    let (markdown, _) = check("emergency", &fixture, Some(&live()));
    assert!(markdown.contains(
        "KEV-listed findings will no longer be patched outside maintenance windows: 1 open KEV finding in scope will wait"
    ));
    assert!(
        markdown
            .contains("SLA deadline would pass before the next window will now be patched outside"),
        "{markdown}"
    );
}

#[test]
fn a_broken_reference_is_reported_first() {
    let fixture = fixture();
    let policy: &'static str = Box::leak(
        STANDARD
            .replace(
                "maintenanceWindows: [weekly]",
                "maintenanceWindows: [nightly]",
            )
            .into_boxed_str(),
    );
    fixture.change("broken-reference", &with("fleet/standard.yaml", policy));
    let (markdown, _) = check("broken-reference", &fixture, Some(&live()));
    assert!(markdown.contains("`nightly`"), "{markdown}");
}

#[test]
fn deleting_a_group_removes_its_assets_from_scope() {
    let fixture = fixture();
    let mut files = base_files();
    files.push(("fleet/databases.yaml", DATABASES));
    let base = fixture.repo.commit("with databases", &files);
    let repo = &fixture.repo;
    // This change starts from the commit with the databases policy.
    let only_web: &'static str = GROUPS.split("---\n").next().expect("web group");
    let head = repo.commit(
        "delete db group and policy",
        &[
            ("fleet/groups.yaml", only_web),
            ("fleet/windows.yaml", WEEKLY),
            ("fleet/standard.yaml", STANDARD),
        ],
    );
    repo.branch("with-databases", &base);
    repo.branch("delete-group", &head);
    let git = GitRepository::open(&repo.path()).expect("open");
    let report = plan(
        &git,
        &PlanRequest {
            base: "with-databases",
            head: "delete-group",
            path: Some("fleet"),
            default_namespace: "default",
            now: now(),
        },
        Some(&live()),
    )
    .expect("plan");
    let markdown = render_markdown(&report);
    snapshot(
        "delete-group",
        &markdown,
        &serde_json::to_string_pretty(&report).expect("json"),
    );
    assert!(markdown.contains("### Policy `ops/databases` (removed)"));
    assert!(markdown.contains("| db-1 | CVE-2024-0005 | postgresql-15 |"));
    assert!(markdown.contains("policy removed"));
}

#[test]
fn without_live_state_the_resource_changes_and_windows_still_show() {
    let fixture = fixture();
    let fortnightly: &'static str = Box::leak(
        WEEKLY
            .replace("0 2 * * SAT", "0 2 1,15 * *")
            .into_boxed_str(),
    );
    fixture.change("no-live-state", &with("fleet/windows.yaml", fortnightly));
    let (markdown, _) = check("no-live-state", &fixture, None);
    assert!(markdown.contains("no live state"));
    assert!(markdown.contains("`spec.schedule`: `0 2 * * SAT` → `0 2 1,15 * *`"));
}

#[test]
fn a_change_that_introduces_the_resource_directory_plans_everything_as_added() {
    let repo = TestRepo::new();
    repo.commit("empty", &[("README.md", "fleet to come")]);
    repo.commit("fleet", &base_files());
    let git = GitRepository::open(&repo.path()).expect("open");
    let report = plan(
        &git,
        &PlanRequest {
            base: "HEAD~1",
            head: "HEAD",
            path: Some("fleet"),
            default_namespace: "default",
            now: now(),
        },
        Some(&live()),
    )
    .expect("plan");
    assert!(report.valid, "{:?}", report.problems);
    assert_eq!(report.changes.added.len(), 4);
    assert_eq!(report.policies.len(), 1);
    assert_eq!(report.policies[0].scope.entering, ["web-1", "web-2"]);
}

#[test]
fn a_cluster_that_runs_another_spec_than_the_base_is_pointed_out() {
    let fixture = fixture();
    let policy: &'static str = Box::leak(
        STANDARD
            .replace("minSeverity: High", "minSeverity: Critical")
            .into_boxed_str(),
    );
    fixture.change("drift", &with("fleet/standard.yaml", policy));
    let mut state = live();
    let mut running: patchwarden_api::PatchPolicy =
        serde_yaml::from_str(&STANDARD.replace("minSeverity: High", "minSeverity: Low"))
            .expect("policy");
    running.metadata.namespace = Some("ops".into());
    state.policies.push(running);
    let (markdown, _) = fixture.plan("drift", Some(&state));
    assert!(
        markdown.contains("the cluster runs a different spec than the base revision"),
        "{markdown}"
    );
    let (in_sync, _) = {
        let mut state = live();
        state
            .policies
            .push(serde_yaml::from_str(STANDARD).expect("policy"));
        fixture.plan("drift", Some(&state))
    };
    assert!(
        !in_sync.contains("the cluster runs a different spec"),
        "{in_sync}"
    );
}

#[test]
fn a_faster_rollout_is_forecast_with_the_core_planner() {
    let fixture = fixture();
    let policy: &'static str = Box::leak(
        format!("{STANDARD}  rollout:\n    canary: 0\n    maxUnavailable: \"100%\"\n")
            .into_boxed_str(),
    );
    fixture.change("rollout", &with("fleet/standard.yaml", policy));
    let (markdown, _) = check("rollout", &fixture, Some(&live()));
    assert!(
        markdown.contains(
            "- **Rollout**: 2 assets in 2 waves (1 canary), about 20 minutes, 1 window opening → 2 assets in 1 wave, about 10 minutes, 1 window opening"
        ),
        "{markdown}"
    );
}

/// The weekly window cut to 15 minutes: the canary wave (10 minutes by default) fits, the
/// second wave waits for the next Saturday.
const SHORT_WEEKLY: &str = r#"apiVersion: patchwarden.io/v1alpha1
kind: MaintenanceWindow
metadata:
  name: weekly
  namespace: ops
spec:
  schedule: "0 2 * * SAT"
  timeZone: UTC
  duration: 15m
"#;

#[test]
fn a_run_longer_than_its_window_is_forecast_over_two_windows() {
    let fixture = fixture();
    fixture.change("window-fit", &with("fleet/windows.yaml", SHORT_WEEKLY));
    let (markdown, json) = check("window-fit", &fixture, Some(&live()));
    assert!(
        markdown.contains(
            "- **Rollout**: 2 assets in 2 waves (1 canary), about 20 minutes, 1 window opening → 2 assets in 2 waves (1 canary), about 20 minutes, needs 2 windows: 1 of 2 assets fit on 10 Jan"
        ),
        "{markdown}"
    );
    assert!(json.contains(r#""firstWindow""#), "{json}");
}

#[test]
fn an_unreadable_policy_spec_is_not_reported_as_removed() {
    let fixture = fixture();
    let policy: &'static str = Box::leak(
        STANDARD
            .replace("assetGroups: [web]", "assetGroups: web")
            .into_boxed_str(),
    );
    fixture.change("unreadable", &with("fleet/standard.yaml", policy));
    let (markdown, json) = fixture.plan("unreadable", Some(&live()));
    assert!(
        markdown.contains("### ❌ The head revision is invalid"),
        "{markdown}"
    );
    assert!(
        markdown.contains("### Policy `ops/standard` (modified)"),
        "{markdown}"
    );
    assert!(
        markdown.contains("its impact is not computed"),
        "{markdown}"
    );
    assert!(!markdown.contains("policy removed"), "{markdown}");
    assert!(json.contains("\"valid\": false"));
}

#[test]
fn a_compliance_profile_the_change_breaks_is_named_with_the_field_and_numbers() {
    let fixture = fixture();
    let listed = r#"apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: standard
  namespace: ops
spec:
  assetGroups: [web]
  maintenanceWindows: [weekly]
  compliance: [PCI-DSS-4.0-6.3.3, CISA-BOD-22-01]
  approval:
    minSeverity: High
  sla:
    critical: 7d
    high: 45d
  emergency: [KnownExploited]
"#;
    fixture.change("compliance", &with("fleet/standard.yaml", listed));
    let (markdown, json) = check("compliance", &fixture, Some(&live()));
    assert!(
        markdown.contains(
            "- **Compliance**: ⚠️ PCI-DSS-4.0-6.3.3: not satisfied: spec.sla.high is 45d; PCI-DSS-4.0-6.3.3 requires at most 30d"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("- **Compliance**: CISA-BOD-22-01: satisfied"),
        "{markdown}"
    );
    assert!(json.contains("\"regression\": true"), "{json}");
}

/// A pool of Kubernetes nodes, drained by a new policy.
const NODE_POOL: &str = r#"apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: nodes
  namespace: ops
spec:
  nodeSelector:
    matchLabels:
      pool: blue
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: nodes
  namespace: ops
spec:
  assetGroups: [nodes]
  maintenanceWindows: [weekly]
  drain:
    enabled: true
    timeout: 15m
"#;

/// A `node` Asset of the pool, as the group's controller makes it.
fn node_asset(name: &str) -> Asset {
    serde_json::from_value(json!({
        "apiVersion": "patchwarden.io/v1alpha1",
        "kind": "Asset",
        "metadata": {"name": name, "namespace": "ops",
                     "labels": {"patchwarden.io/asset-group": "nodes"}},
        "spec": {"connection": "node", "address": name},
    }))
    .expect("node asset")
}

/// A Ready pod on `node`, owned by `owner` (kind, name) when given.
fn pod(name: &str, node: &str, app: &str, owner: Option<(&str, &str)>) -> serde_json::Value {
    let owners: Vec<serde_json::Value> = owner
        .map(|(kind, name)| {
            json!({"apiVersion": "apps/v1", "kind": kind, "name": name,
                                   "uid": format!("uid-{name}"), "controller": true})
        })
        .into_iter()
        .collect();
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": app},
                     "ownerReferences": owners},
        "spec": {"nodeName": node, "containers": [{"name": "main", "image": "app"}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    })
}

/// The live state with the two nodes and, when `workloads`, what runs on them: a database
/// whose budget allows no disruption on node-a, a pod nothing recreates on node-b, and a web
/// Deployment of two replicas that drains freely.
fn live_with_nodes(workloads: bool) -> Snapshot {
    let mut state = live();
    state.assets.push(node_asset("node-a"));
    state.assets.push(node_asset("node-b"));
    if workloads {
        state.workloads = Some(patchwarden_core::drain::ClusterSnapshot {
            pods: vec![
                pod("db-0", "node-a", "db", Some(("StatefulSet", "db"))),
                pod("web-7f-a", "node-a", "web", Some(("ReplicaSet", "web-7f"))),
                pod("web-7f-b", "node-b", "web", Some(("ReplicaSet", "web-7f"))),
                pod("debug", "node-b", "debug", None),
            ],
            disruption_budgets: vec![json!({
                "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": "db", "namespace": "shop"},
                "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "db"}}},
            })],
            replica_sets: vec![json!({
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": "web-7f", "namespace": "shop", "ownerReferences": [
                    {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                     "uid": "uid-web", "controller": true}]},
                "spec": {"replicas": 2},
            })],
            deployments: vec![json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "shop"},
                "spec": {"replicas": 2},
            })],
        });
    }
    state
}

#[test]
fn a_policy_that_drains_nodes_names_what_would_block_the_drain() {
    let fixture = fixture();
    let mut files = base_files();
    files.push(("fleet/nodes.yaml", NODE_POOL));
    fixture.change("drain", &files);
    let (markdown, json) = check("drain", &fixture, Some(&live_with_nodes(true)));
    assert!(
        markdown.contains(
            "- **Drain**: ⚠️ draining nodes node-a, node-b would be blocked: PodDisruptionBudget shop/db allows 0 disruptions (pods shop/db-0); pod shop/debug has no controller"
        ),
        "{markdown}"
    );
    assert!(!markdown.contains("web-7f"), "{markdown}");
    assert!(json.contains(r#""blocked": true"#), "{json}");

    // A state without the cluster's workloads says the preflight did not run.
    let (markdown, _) = fixture.plan("drain", Some(&live_with_nodes(false)));
    assert!(
        markdown
            .contains("- **Drain**: not checked for node-a, node-b: the live state has no Pods"),
        "{markdown}"
    );
    // The policy that drains no node has no drain line.
    assert_eq!(markdown.matches("**Drain**").count(), 1, "{markdown}");
}
