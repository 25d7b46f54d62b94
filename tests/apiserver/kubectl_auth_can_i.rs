//! `kubectl auth can-i` (a SelfSubjectAccessReview) answers from the rules the server
//! enforces: the admin token may do everything, a read-only token may read everything but
//! Secrets and write nothing. Over TLS, since kubectl sends bearer tokens only there.

use support::cluster::TestServer;
use support::kubeconfig;
use support::kubectl::Kubectl;

/// `kubectl auth can-i ARGS`: true for "yes" (exit 0), false for "no" (exit 1).
fn can_i(k: &Kubectl, args: &[&str]) -> bool {
    let mut all = vec!["auth", "can-i"];
    all.extend_from_slice(args);
    let out = k.run(&all, None);
    let answer = out.stdout.trim();
    assert!(
        answer.starts_with("yes") || answer.starts_with("no"),
        "kubectl {all:?}: {answer} {}",
        out.stderr
    );
    assert_eq!(out.success, answer.starts_with("yes"), "{answer}");
    answer.starts_with("yes")
}

#[test]
fn auth_can_i_answers_from_the_token_role() {
    let dir = tempfile::tempdir().expect("dir");
    let tokens = dir.path().join("tokens.csv");
    std::fs::write(
        &tokens,
        "admin-token,admin,1\nviewer-token,viewer,2,\"patchwarden:read-only\"\n",
    )
    .expect("tokens");
    let server = TestServer::start_with(|c| {
        c.tokens_file = Some(tokens.clone());
        c.tls = true;
    });
    let admin = server.kubectl();
    let viewer_config =
        kubeconfig::write_with_token(server.running(), "viewer-token", &server.path("viewer"));
    let viewer = Kubectl::new(&viewer_config, &server.path("viewer-home"));

    for args in [
        &["get", "secrets"][..],
        &["create", "secrets", "-n", "default"],
        &["delete", "configmaps"],
        &["list", "namespaces"],
    ] {
        assert!(can_i(&admin, args), "admin {args:?}");
    }
    assert!(can_i(&viewer, &["list", "configmaps"]));
    assert!(can_i(&viewer, &["watch", "namespaces"]));
    assert!(!can_i(&viewer, &["get", "secrets"]));
    assert!(!can_i(&viewer, &["create", "configmaps"]));
    assert!(!can_i(&viewer, &["delete", "namespaces"]));

    // The answers match what the server enforces.
    let err = viewer.fails(&["get", "secrets"]);
    assert!(err.contains("may not read secrets"), "{err}");
    let err = viewer.fails(&["create", "configmap", "c", "--from-literal=a=b"]);
    assert!(err.contains("may not create"), "{err}");
    viewer.ok(&["get", "configmaps"]);
}
