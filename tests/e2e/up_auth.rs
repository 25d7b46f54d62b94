//! `patchwarden up` serves TLS and requires its bearer token by default: kubectl with the
//! kubeconfig `up` wrote works with nothing more (it carries the CA and the token), while a
//! request without the token or with a wrong one is refused 401. With `--insecure-http` it
//! serves plain HTTP and still refuses a request without the token.

use std::net::SocketAddr;
use std::path::Path;

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::ListParams;
use serde_yaml::Value;
use support::cluster::take_turn;
use support::git::TestRepo;
use support::http::raw_request;
use support::patchwarden;
use support::up::Up;

/// A repository with nothing to apply: these tests look at the API server alone.
fn empty_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.commit("nothing to apply", &[("README.md", "no resources\n")]);
    repo
}

fn read_kubeconfig(path: &Path) -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(path).expect("read the kubeconfig"))
        .expect("kubeconfig YAML")
}

/// A copy of `kubeconfig` at `path` whose user has `token` instead, or no token at all.
fn kubeconfig_with_token(kubeconfig: &Path, token: Option<&str>, path: &Path) {
    let mut config = read_kubeconfig(kubeconfig);
    let user = config["users"][0]["user"]
        .as_mapping_mut()
        .expect("the kubeconfig has a user");
    match token {
        Some(token) => user.insert("token".into(), token.into()),
        None => user.remove("token"),
    };
    std::fs::write(path, serde_yaml::to_string(&config).expect("YAML")).expect("write");
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn up_serves_tls_with_a_token_and_kubectl_without_it_is_refused() {
    let _turn = take_turn();
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = empty_repo();
    let state = dir.path().join("state");
    let home = dir.path().join("home");
    let log = dir.path().join("up.log");
    let up = Up::start(patchwarden!(), &repo.path(), &state, &home, &log);

    let config = read_kubeconfig(up.kubeconfig());
    let cluster = &config["clusters"][0]["cluster"];
    let server = cluster["server"].as_str().expect("server");
    assert!(server.starts_with("https://127.0.0.1:"), "{server}");
    assert!(cluster["certificate-authority-data"].is_string());
    assert!(config["users"][0]["user"]["token"].is_string());
    for private in [
        up.kubeconfig().to_path_buf(),
        state.join("apiserver/tls/ca.key"),
        state.join("apiserver/tls/server.key"),
    ] {
        assert_eq!(mode(&private), 0o600, "{}", private.display());
    }

    // The kubeconfig as written is all kubectl needs.
    up.kubectl().ok(&["get", "--raw", "/api"]);

    // kubectl, another process, with a wrong token. (Without any credentials kubectl would
    // ask for a user name instead of sending the request.)
    let stderr = up
        .kubectl()
        .fails(&["--token=wrong", "get", "--raw", "/api/v1/namespaces"]);
    assert!(stderr.contains("Unauthorized"), "{stderr}");

    // A Rust client trusting the CA from the kubeconfig: admitted with the token, refused
    // without it or with a wrong one.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let as_written = runtime.block_on(list_namespaces(up.kubeconfig()));
    assert_eq!(as_written, 200, "with the kubeconfig as written");
    for (name, token) in [("no-token", None), ("wrong-token", Some("wrong"))] {
        let path = dir.path().join(name);
        kubeconfig_with_token(up.kubeconfig(), token, &path);
        assert_eq!(runtime.block_on(list_namespaces(&path)), 401, "{name}");
    }
}

/// The status code of listing namespaces with a kube-rs client of `kubeconfig`.
async fn list_namespaces(kubeconfig: &Path) -> u16 {
    let client = support::kubeconfig::client(kubeconfig).await;
    let namespaces: Api<Namespace> = Api::all(client);
    match namespaces.list(&ListParams::default()).await {
        Ok(_) => 200,
        Err(kube::Error::Api(status)) => status.code,
        Err(other) => panic!("not an answer from the server: {other}"),
    }
}

/// The address and token of an `http://` kubeconfig.
fn http_server_and_token(kubeconfig: &Path) -> (SocketAddr, String) {
    let config = read_kubeconfig(kubeconfig);
    let server = config["clusters"][0]["cluster"]["server"]
        .as_str()
        .expect("server");
    let addr = server
        .strip_prefix("http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("not a plain HTTP loopback server: {server}"));
    let token = config["users"][0]["user"]["token"].as_str().expect("token");
    (addr, token.to_string())
}

#[test]
fn up_with_insecure_http_still_requires_the_token() {
    let _turn = take_turn();
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = empty_repo();
    let state = dir.path().join("state");
    let up = Up::start_with(
        patchwarden!(),
        &repo.path(),
        &state,
        &dir.path().join("home"),
        &dir.path().join("up.log"),
        &["--insecure-http"],
    );
    let (addr, token) = http_server_and_token(up.kubeconfig());
    let path = "/api/v1/namespaces";
    let (code, _, body) = raw_request(addr, "GET", path, &[], b"");
    assert_eq!(code, 401, "{}", String::from_utf8_lossy(&body));
    let wrong = [("Authorization", "Bearer wrong")];
    assert_eq!(raw_request(addr, "GET", path, &wrong, b"").0, 401);
    let bearer = format!("Bearer {token}");
    let right = [("Authorization", bearer.as_str())];
    let (code, _, body) = raw_request(addr, "GET", path, &right, b"");
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    assert!(
        !state.join("apiserver/tls/ca.key").exists(),
        "no TLS material"
    );
}
