//! kubectl's typed `create` commands send built-in objects as protobuf
//! (`application/vnd.kubernetes.protobuf`): Secrets, ConfigMaps and Namespaces are read from
//! it, the answers are JSON, and other protobuf bodies are refused with 415.

use support::cluster::TestServer;
use support::http::{json_body, raw_request};

#[test]
fn kubectl_creates_secrets_config_maps_and_namespaces_sent_as_protobuf() {
    let server = TestServer::start();
    let k = server.kubectl();
    let key = server.path("id_ed25519");
    let known_hosts = server.path("known_hosts");
    std::fs::write(&key, "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n").expect("key");
    std::fs::write(&known_hosts, "host ssh-ed25519 AAAA\n").expect("known_hosts");
    let from_key = format!("--from-file=ssh-privatekey={}", key.display());
    let from_hosts = format!("--from-file=known_hosts={}", known_hosts.display());

    let out = k.ok(&["create", "namespace", "fleet"]);
    assert!(out.contains("namespace/fleet created"), "{out}");
    let out = k.ok(&[
        "create",
        "secret",
        "generic",
        "ssh",
        "-n",
        "fleet",
        "--type=kubernetes.io/ssh-auth",
        &from_key,
        &from_hosts,
    ]);
    assert!(out.contains("secret/ssh created"), "{out}");
    let out = k.ok(&[
        "create",
        "configmap",
        "settings",
        "-n",
        "fleet",
        "--from-literal=window=sunday",
        "--from-literal=wave=2",
    ]);
    assert!(out.contains("configmap/settings created"), "{out}");

    let data = k.ok(&[
        "get",
        "secret",
        "ssh",
        "-n",
        "fleet",
        "-o",
        "jsonpath={.type} {.data.ssh-privatekey} {.data.known_hosts}",
    ]);
    assert_eq!(
        data,
        "kubernetes.io/ssh-auth LS0tLS1CRUdJTiBPUEVOU1NIIFBSSVZBVEUgS0VZLS0tLS0KYWJjCg== aG9zdCBzc2gtZWQyNTUxOSBBQUFBCg=="
    );
    let window = k.ok(&[
        "get",
        "configmap",
        "settings",
        "-n",
        "fleet",
        "-o",
        "jsonpath={.data.window}/{.data.wave}",
    ]);
    assert_eq!(window, "sunday/2");
    let phase = k.ok(&[
        "get",
        "namespace",
        "fleet",
        "-o",
        "jsonpath={.status.phase}",
    ]);
    assert_eq!(phase, "Active");
}

#[test]
fn an_ssh_auth_secret_without_a_private_key_is_refused_naming_the_field() {
    let server = TestServer::start();
    let k = server.kubectl();
    let known_hosts = server.path("known_hosts");
    std::fs::write(&known_hosts, "host ssh-ed25519 AAAA\n").expect("known_hosts");
    let from_hosts = format!("--from-file=known_hosts={}", known_hosts.display());
    let err = k.fails(&[
        "create",
        "secret",
        "generic",
        "ssh",
        "--type=kubernetes.io/ssh-auth",
        &from_hosts,
    ]);
    assert!(
        err.contains("Secret \"ssh\" is invalid: data[ssh-privatekey]: Required value"),
        "{err}"
    );
    let err = k.fails(&["get", "secret", "ssh"]);
    assert!(err.contains("NotFound"), "nothing was stored: {err}");
}

#[test]
fn protobuf_bodies_of_other_kinds_get_415_telling_the_client_to_send_json() {
    let server = TestServer::start();
    // `k8s\0`, then runtime.Unknown{typeMeta: {apiVersion: "apps/v1", kind: "Deployment"}}.
    let mut body = b"k8s\0\x0a\x15\x0a\x07apps/v1\x12\x0aDeployment".to_vec();
    body.extend_from_slice(b"\x12\x00");
    let protobuf = ("Content-Type", "application/vnd.kubernetes.protobuf");
    let (code, _, response) = raw_request(
        server.addr(),
        "POST",
        "/api/v1/namespaces/default/configmaps",
        &[protobuf],
        &body,
    );
    let status = json_body(&response);
    assert_eq!(code, 415, "{status}");
    assert_eq!(status["reason"], "UnsupportedMediaType");
    let message = status["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Deployment") && message.contains("application/json"),
        "{message}"
    );
    // Garbage after the magic is a 400, and the server goes on answering.
    let (code, _, response) = raw_request(
        server.addr(),
        "POST",
        "/api/v1/namespaces/default/configmaps",
        &[protobuf],
        b"k8s\0\x0a\xff\xff\xff",
    );
    assert_eq!(code, 400, "{}", String::from_utf8_lossy(&response));
    let (code, _, _) = raw_request(
        server.addr(),
        "GET",
        "/api/v1/namespaces/default/configmaps",
        &[],
        b"",
    );
    assert_eq!(code, 200);
}
