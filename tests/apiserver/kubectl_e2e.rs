//! The real kubectl against the embedded server: CRD install, client-side and server-side
//! apply with validation on, printer columns, yaml/jsonpath output, describe with Events,
//! wait for a condition set through /status, explain, api-resources, deletion with and
//! without finalizers, watch output, and server-side validation errors.

use std::time::Duration;

use support::cluster::TestServer;
use support::kubeconfig;
use support::kubectl::Kubectl;

use crate::WIDGET_CRD;

const WIDGETS: &str = "apiVersion: example.com/v1
kind: Widget
metadata:
  name: alpha
  labels: {tier: front}
spec:
  size: 3
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: beta
spec:
  size: 7
  color: blue
";

#[test]
fn kubectl_drives_custom_resources_end_to_end() {
    let server = TestServer::start();
    let k = server.kubectl();

    let out = k.ok_stdin(&["apply", "-f", "-"], WIDGET_CRD);
    assert!(
        out.contains("customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"),
        "{out}"
    );
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
        "--timeout=20s",
    ]);

    // Client-side apply with validation on (the default), then again unchanged.
    let out = k.ok_stdin(&["apply", "-f", "-"], WIDGETS);
    assert!(
        out.contains("widget.example.com/alpha created")
            && out.contains("widget.example.com/beta created"),
        "{out}"
    );
    let out = k.ok_stdin(&["apply", "-f", "-"], WIDGETS);
    assert!(out.contains("widget.example.com/alpha unchanged"), "{out}");
    // A change goes through as a merge patch.
    let out = k.ok_stdin(
        &["apply", "-f", "-"],
        &WIDGETS.replace("size: 3", "size: 4"),
    );
    assert!(out.contains("widget.example.com/alpha configured"), "{out}");

    // Server-side apply creates and then updates.
    let ssa =
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: gamma}\nspec: {size: 9}\n";
    let out = k.ok_stdin(&["apply", "--server-side", "-f", "-"], ssa);
    assert!(
        out.contains("widget.example.com/gamma serverside-applied"),
        "{out}"
    );
    let out = k.ok_stdin(
        &["apply", "--server-side", "-f", "-"],
        &ssa.replace("size: 9", "size: 10"),
    );
    assert!(out.contains("serverside-applied"), "{out}");
    assert_eq!(
        k.ok(&["get", "widget", "gamma", "-o", "jsonpath={.spec.size}"]),
        "10"
    );

    // Printer columns from the CRD, with the defaulted enum applied by the server.
    let out = k.ok(&["get", "widgets"]);
    let header: Vec<&str> = out
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(header, vec!["NAME", "SIZE", "READY", "AGE"], "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("alpha") && l.contains(" 4 ")),
        "{out}"
    );
    assert_eq!(
        k.ok(&["get", "wd", "alpha", "-o", "jsonpath={.spec.color}"]),
        "red"
    );
    assert_eq!(
        k.ok(&[
            "get",
            "wd",
            "-l",
            "tier=front",
            "-o",
            "jsonpath={.items[*].metadata.name}"
        ]),
        "alpha"
    );
    let yaml = k.ok(&["get", "widget", "beta", "-o", "yaml"]);
    assert!(
        yaml.contains("kind: Widget")
            && yaml.contains("color: blue")
            && yaml.contains("resourceVersion:"),
        "{yaml}"
    );

    // Status written through /status makes `kubectl wait` return.
    let mut waiter = k.spawn(&[
        "wait",
        "--for=condition=Ready",
        "widget/alpha",
        "--timeout=30s",
    ]);
    std::thread::sleep(Duration::from_millis(500));
    let status = r#"{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Assembled","message":"all parts fitted","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}"#;
    k.ok(&[
        "patch",
        "widget",
        "alpha",
        "--subresource=status",
        "--type=merge",
        "-p",
        status,
    ]);
    let output = waiter.output();
    let (exit, out) = (output.status, String::from_utf8_lossy(&output.stdout));
    assert!(exit.success(), "kubectl wait failed: {out}");
    assert!(out.contains("condition met"), "{out}");
    let out = k.ok(&["get", "widgets"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("alpha") && l.contains("True")),
        "{out}"
    );
    // Status writes do not bump generation; spec changes do.
    assert_eq!(
        k.ok(&[
            "get",
            "widget",
            "alpha",
            "-o",
            "jsonpath={.metadata.generation}"
        ]),
        "2"
    );
    // Status sent to the main endpoint is ignored.
    k.ok(&["patch", "widget", "beta", "--type=merge", "-p", status]);
    assert_eq!(
        k.ok(&["get", "widget", "beta", "-o", "jsonpath={.status}"]),
        ""
    );

    // describe shows the Events about the object (core/v1 view of events.k8s.io/v1 events).
    let uid = k.ok(&["get", "widget", "alpha", "-o", "jsonpath={.metadata.uid}"]);
    let event = format!(
        "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {{name: alpha.1}}\neventTime: \"2026-01-01T00:00:00.000000Z\"\n\
         action: Assemble\nreason: Assembled\nnote: all parts fitted\ntype: Normal\nreportingController: widget-controller\n\
         reportingInstance: widget-controller-1\nregarding: {{apiVersion: example.com/v1, kind: Widget, name: alpha, namespace: default, uid: {uid}}}\n"
    );
    k.ok_stdin(&["create", "-f", "-"], &event);
    let out = k.ok(&["describe", "widget", "alpha"]);
    assert!(
        out.contains("Events:") && out.contains("Assembled") && out.contains("all parts fitted"),
        "{out}"
    );

    // explain prints the schema's documentation; api-resources lists the kind.
    let out = k.ok(&["explain", "widgets.spec.size"]);
    assert!(out.contains("the size"), "{out}");
    let out = k.ok(&["explain", "widget"]);
    assert!(out.contains("A Widget is a test object."), "{out}");
    let out = k.ok(&["api-resources"]);
    assert!(
        out.lines().any(|l| l.starts_with("widgets")
            && l.contains("wd")
            && l.contains("example.com/v1")
            && l.contains("Widget")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("leases") && l.contains("coordination.k8s.io/v1")),
        "{out}"
    );

    // Schema violations come back as Invalid with the field named.
    let bad = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: bad}\nspec: {size: 0, color: green}\n";
    let err = k.fails_stdin(&["apply", "-f", "-"], bad);
    assert!(
        err.contains("spec.size") && err.contains("spec.color") && err.contains("is invalid"),
        "{err}"
    );
    // Unknown fields are rejected under kubectl's strict field validation.
    let unknown = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: odd}\nspec: {size: 1, bogus: 1}\n";
    let err = k.fails_stdin(&["apply", "-f", "-"], unknown);
    assert!(err.contains("unknown field \"spec.bogus\""), "{err}");

    // Delete without finalizers is immediate.
    let out = k.ok(&["delete", "widget", "gamma"]);
    assert!(
        out.contains("widget.example.com \"gamma\" deleted"),
        "{out}"
    );
    k.fails(&["get", "widget", "gamma"]);

    // Delete with a finalizer waits until the finalizer is removed.
    k.ok(&[
        "patch",
        "widget",
        "beta",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":["example.com/cleanup"]}}"#,
    ]);
    let mut deleter = k.spawn(&["delete", "widget", "beta", "--timeout=30s"]);
    std::thread::sleep(Duration::from_millis(800));
    let ts = k.ok(&[
        "get",
        "widget",
        "beta",
        "-o",
        "jsonpath={.metadata.deletionTimestamp}",
    ]);
    assert!(
        !ts.is_empty(),
        "deletionTimestamp must be set while the finalizer remains"
    );
    assert!(
        deleter.try_wait().is_none(),
        "delete must wait for the finalizer"
    );
    // No new finalizer may be added while terminating.
    let err = k.fails(&[
        "patch",
        "widget",
        "beta",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":["example.com/cleanup","x.io/new"]}}"#,
    ]);
    assert!(err.contains("no new finalizers can be added"), "{err}");
    k.ok(&[
        "patch",
        "widget",
        "beta",
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/metadata/finalizers/0"}]"#,
    ]);
    assert!(deleter.output().status.success());
    k.fails(&["get", "widget", "beta"]);
}

#[test]
fn kubectl_works_over_tls_with_a_token_and_a_wrong_token_is_refused() {
    let server = TestServer::start_with(|c| c.tls = true);
    let k = server.kubectl();
    let out = k.ok(&["get", "namespaces"]);
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(out.contains(ns), "{out}");
    }
    // (kubectl's typed `create configmap` speaks protobuf, which this server answers with 415.)
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast}\n";
    k.ok_stdin(&["apply", "-f", "-"], cm);
    assert_eq!(
        k.ok(&["get", "cm", "settings", "-o", "jsonpath={.data.mode}"]),
        "fast"
    );
    // The same cluster with a token it does not know.
    let wrong = kubeconfig::write_with_token(
        server.running(),
        "not-a-valid-token",
        &server.path("wrong.kubeconfig"),
    );
    let stranger = Kubectl::new(&wrong, &server.path("stranger"));
    let err = stranger.fails(&["get", "namespaces"]);
    assert!(
        err.contains("Unauthorized") || err.contains("provide credentials"),
        "{err}"
    );
}

#[test]
fn kubectl_get_watch_prints_rows_as_objects_change() {
    let server = TestServer::start();
    let k = server.kubectl();
    k.ok_stdin(&["apply", "-f", "-"], WIDGET_CRD);
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
    ]);
    k.ok_stdin(&["apply", "-f", "-"], WIDGETS);
    let mut watcher = k.spawn(&["get", "widgets", "--watch", "--output-watch-events"]);
    std::thread::sleep(Duration::from_millis(800));
    k.ok(&[
        "patch",
        "widget",
        "alpha",
        "--type=merge",
        "-p",
        r#"{"spec":{"size":42}}"#,
    ]);
    k.ok(&["delete", "widget", "beta"]);
    std::thread::sleep(Duration::from_millis(800));
    watcher.kill();
    let out = String::from_utf8_lossy(&watcher.output().stdout).into_owned();
    assert!(
        out.lines()
            .any(|l| l.starts_with("MODIFIED") && l.contains("alpha") && l.contains("42")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("DELETED") && l.contains("beta")),
        "{out}"
    );
}
