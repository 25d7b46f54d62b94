//! The image, built as CI builds it (image/build-oci.sh: umoci, no Docker daemon), unpacked,
//! and `patchwarden --version` run from its root file system as its non-root user.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::paths::{arg, repo_path};

fn run(command: &mut Command, what: &str) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_image_runs_patchwarden_as_a_non_root_user() {
    let dir = tempfile::tempdir().expect("temp dir");
    let layout = dir.path().join("layout");
    let bundle = dir.path().join("bundle");
    run(
        Command::new(repo_path("image/build-oci.sh"))
            .arg(env!("CARGO_BIN_EXE_patchwarden-cli"))
            .arg(&layout)
            .arg("test"),
        "image/build-oci.sh",
    );
    let image = format!("{}:test", arg(&layout));
    run(
        Command::new("umoci")
            .args(["unpack", "--image", &image])
            .arg(&bundle),
        "umoci unpack",
    );
    let config: Value = serde_json::from_slice(
        &std::fs::read(bundle.join("config.json")).expect("the bundle's config.json"),
    )
    .expect("config.json is JSON");
    assert_eq!(config["process"]["user"]["uid"], 65532, "{config}");
    assert_eq!(
        config["process"]["args"],
        serde_json::json!(["/usr/local/bin/patchwarden", "operator"])
    );
    let rootfs = bundle.join("rootfs");
    assert!(!rootfs.join("bin/sh").exists(), "no shell in the image");
    assert!(Path::new(&rootfs.join("etc/ssl/certs/ca-certificates.crt")).is_file());
    let version = run(
        Command::new("chroot")
            .arg("--userspec=65532:65532")
            .arg(&rootfs)
            .args(["/usr/local/bin/patchwarden", "--version"]),
        "patchwarden --version in the image",
    );
    assert_eq!(
        version.trim(),
        format!("patchwarden {}", env!("CARGO_PKG_VERSION"))
    );
}
