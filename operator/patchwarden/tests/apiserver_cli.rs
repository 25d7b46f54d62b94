//! `patchwarden apiserver` runs the embedded control plane as its own process: it prints its
//! URL, writes a kubeconfig that the real kubectl can use, keeps its data across a restart, and
//! stops on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the server by PID if the test ends early.
struct Guard(Option<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start(data: &std::path::Path) -> (Guard, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_patchwarden"))
        .args(["apiserver", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("patchwarden apiserver starts");
    let stdout = child.stdout.take().expect("stdout");
    let guard = Guard(Some(child));
    let mut reader = BufReader::new(stdout);
    let (mut serving, mut kubeconfig) = (String::new(), String::new());
    reader.read_line(&mut serving).expect("serving line");
    reader.read_line(&mut kubeconfig).expect("kubeconfig line");
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = serving
        .trim()
        .strip_prefix("serving ")
        .expect("serving URL")
        .to_string();
    let path = kubeconfig
        .trim()
        .strip_prefix("kubeconfig ")
        .expect("kubeconfig path")
        .to_string();
    (guard, url, path)
}

fn kubectl(home: &std::path::Path, kubeconfig: &str, args: &[&str]) -> String {
    let out = Command::new("kubectl")
        .args(args)
        .args(["--kubeconfig", kubeconfig, "--cache-dir"])
        .arg(home.join("cache"))
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn apiserver_command_serves_kubectl_and_keeps_data() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let (mut guard, url, kubeconfig) = start(&data);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept}\ndata: {k: v}\n";
    let file = dir.path().join("cm.yaml");
    std::fs::write(&file, cm).expect("write");
    kubectl(
        &home,
        &kubeconfig,
        &["apply", "-f", file.to_str().expect("path")],
    );

    // SIGTERM stops it cleanly.
    let mut child = guard.0.take().expect("child");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("exits");
    assert!(exit.success(), "exit status {exit:?}");

    let (_guard, _url, kubeconfig) = start(&data);
    let home = dir.path().join("home2");
    std::fs::create_dir_all(&home).expect("home");
    assert_eq!(
        kubectl(
            &home,
            &kubeconfig,
            &["get", "configmap", "kept", "-o", "jsonpath={.data.k}"]
        ),
        "v"
    );
}
