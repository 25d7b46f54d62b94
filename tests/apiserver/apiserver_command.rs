//! `patchwarden apiserver` runs the embedded control plane as its own process: it prints its
//! URL, writes a kubeconfig that the real kubectl can use, keeps its data across a restart, and
//! stops on SIGTERM.

use std::time::Duration;

use support::cluster::ServerProcess;
use support::kubectl::Kubectl;
use support::patchwarden;

#[test]
fn apiserver_command_serves_kubectl_and_keeps_data() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let mut server = ServerProcess::start(patchwarden!(), &data);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    let kubectl = Kubectl::new(&server.kubeconfig, &dir.path().join("home"));
    kubectl.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept}\ndata: {k: v}\n");

    // SIGTERM stops it cleanly.
    let exit = server
        .process
        .terminate(Duration::from_secs(30))
        .expect("exits on SIGTERM");
    assert!(exit.success(), "exit status {exit:?}");

    let server = ServerProcess::start(patchwarden!(), &data);
    let kubectl = Kubectl::new(&server.kubeconfig, &dir.path().join("home2"));
    assert_eq!(
        kubectl.ok(&["get", "configmap", "kept", "-o", "jsonpath={.data.k}"]),
        "v"
    );
}
