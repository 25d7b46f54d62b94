//! The product's own CustomResourceDefinitions (`crds/`) and quickstart resources
//! (`examples/quickstart/`) through the real kubectl: client-side apply with validation,
//! server-side apply, printer columns, yaml/jsonpath output, a Ready condition written through
//! /status ending `kubectl wait`, describe with Events, explain, api-resources, and deletion
//! with and without finalizers.

use std::time::Duration;

use support::cluster::TestServer;
use support::paths::repo_path;

#[test]
fn product_crds_and_quickstart_through_kubectl() {
    let crds = repo_path("crds");
    let quickstart = repo_path("examples/quickstart");
    let (crds, quickstart) = (
        crds.to_str().expect("path"),
        quickstart.to_str().expect("path"),
    );
    let server = TestServer::start();
    let k = server.kubectl();

    let out = k.ok(&["apply", "-f", crds]);
    for kind in [
        "patchpolicies",
        "maintenancewindows",
        "assetgroups",
        "assets",
        "patchruns",
        "vulnerabilityfeeds",
    ] {
        assert!(
            out.contains(&format!(
                "customresourcedefinition.apiextensions.k8s.io/{kind}.patchwarden.io created"
            )),
            "{out}"
        );
    }
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd",
        "--all",
        "--timeout=20s",
    ]);

    let out = k.ok(&["apply", "-f", quickstart]);
    assert!(
        out.contains("patchpolicy.patchwarden.io/quickstart-standard created"),
        "{out}"
    );
    assert!(
        out.contains("maintenancewindow.patchwarden.io/always-open created"),
        "{out}"
    );
    let out = k.ok(&["apply", "-f", quickstart]);
    assert!(
        out.contains("patchpolicy.patchwarden.io/quickstart-standard unchanged"),
        "{out}"
    );
    let out = k.ok(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        quickstart,
    ]);
    assert!(
        out.contains("patchpolicy.patchwarden.io/quickstart-standard serverside-applied"),
        "{out}"
    );

    let out = k.ok(&["get", "patchpolicies"]);
    let header = out.lines().next().unwrap_or("");
    for col in ["NAME", "READY", "COMPLIANT %", "OPEN CRITICAL", "AGE"] {
        assert!(header.contains(col), "column {col} missing: {out}");
    }
    assert!(
        out.lines().any(|l| l.starts_with("quickstart-standard")),
        "{out}"
    );
    let out = k.ok(&["get", "patchpolicy", "quickstart-standard", "-o", "yaml"]);
    assert!(
        out.contains("kind: PatchPolicy")
            && out.contains("rollout:")
            && out.contains("maxUnavailable: 2"),
        "{out}"
    );
    assert_eq!(
        k.ok(&[
            "get",
            "pp",
            "quickstart-standard",
            "-o",
            "jsonpath={.spec.rollout.maxUnavailable}"
        ]),
        "2"
    );
    let out = k.ok(&["get", "patchwarden"]);
    assert!(
        out.contains("patchpolicy.patchwarden.io/quickstart-kev")
            && out.contains("maintenancewindow.patchwarden.io/always-open"),
        "{out}"
    );

    // A Ready condition written through /status, at the current generation, ends `kubectl wait`.
    let generation = k.ok(&[
        "get",
        "pp",
        "quickstart-standard",
        "-o",
        "jsonpath={.metadata.generation}",
    ]);
    let mut waiter = k.spawn(&[
        "wait",
        "--for=condition=Ready",
        "patchpolicy/quickstart-standard",
        "--timeout=30s",
    ]);
    std::thread::sleep(Duration::from_millis(500));
    let status = format!(
        r#"{{"status":{{"observedGeneration":{generation},"conditions":[{{"type":"Ready","status":"True","reason":"Reconciled","message":"policy reconciled","observedGeneration":{generation},"lastTransitionTime":"2026-01-01T00:00:00Z"}}]}}}}"#
    );
    k.ok(&[
        "patch",
        "patchpolicy",
        "quickstart-standard",
        "--subresource=status",
        "--type=merge",
        "-p",
        &status,
    ]);
    let output = waiter.output();
    let (exit, out) = (output.status, String::from_utf8_lossy(&output.stdout));
    assert!(exit.success() && out.contains("condition met"), "{out}");
    let out = k.ok(&["get", "patchpolicies"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("quickstart-standard") && l.contains("True")),
        "{out}"
    );

    // describe shows Events about the policy.
    let uid = k.ok(&[
        "get",
        "pp",
        "quickstart-standard",
        "-o",
        "jsonpath={.metadata.uid}",
    ]);
    let event = format!(
        "apiVersion: v1\nkind: Event\nmetadata: {{name: quickstart-standard.1}}\ntype: Normal\nreason: RolloutPlanned\n\
         message: 3 assets in 2 waves\nsource: {{component: patchwarden}}\nfirstTimestamp: \"2026-01-01T00:00:00Z\"\n\
         lastTimestamp: \"2026-01-01T00:00:00Z\"\ncount: 1\n\
         involvedObject: {{apiVersion: patchwarden.io/v1alpha1, kind: PatchPolicy, name: quickstart-standard, namespace: default, uid: {uid}}}\n"
    );
    k.ok_stdin(&["create", "-f", "-"], &event);
    let out = k.ok(&["describe", "patchpolicy", "quickstart-standard"]);
    assert!(
        out.contains("Events:")
            && out.contains("RolloutPlanned")
            && out.contains("3 assets in 2 waves"),
        "{out}"
    );

    let out = k.ok(&["explain", "patchpolicy.spec.rollout"]);
    assert!(
        out.contains("KIND:       PatchPolicy") && out.contains("maxUnavailable"),
        "{out}"
    );
    let out = k.ok(&["api-resources", "--api-group=patchwarden.io"]);
    for kind in [
        "PatchPolicy",
        "MaintenanceWindow",
        "AssetGroup",
        "Asset",
        "PatchRun",
        "VulnerabilityFeed",
    ] {
        assert!(
            out.lines().any(|l| l.trim_end().ends_with(kind)),
            "{kind} missing: {out}"
        );
    }

    // Delete without finalizers, then with one.
    let out = k.ok(&["delete", "patchpolicy", "quickstart-kev"]);
    assert!(out.contains("\"quickstart-kev\" deleted"), "{out}");
    k.ok(&[
        "patch",
        "pp",
        "quickstart-standard",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":["patchwarden.io/cleanup"]}}"#,
    ]);
    let mut deleter = k.spawn(&["delete", "pp", "quickstart-standard", "--timeout=30s"]);
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        deleter.try_wait().is_none(),
        "delete waits for the finalizer"
    );
    assert!(
        !k.ok(&[
            "get",
            "pp",
            "quickstart-standard",
            "-o",
            "jsonpath={.metadata.deletionTimestamp}"
        ])
        .is_empty()
    );
    k.ok(&[
        "patch",
        "pp",
        "quickstart-standard",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    assert!(deleter.output().status.success());
    let out = k.ok(&["get", "patchpolicies"]);
    assert!(!out.contains("quickstart"), "{out}");
}
