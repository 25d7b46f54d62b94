//! Messages about commands name the program and withhold its arguments.

use super::*;

const SECRET: &str = "--token=s3cr3t-value";

#[tokio::test]
async fn a_timeout_names_the_program_and_withholds_the_arguments() {
    let spec = CommandSpec::new("/bin/sh")
        .args(["-c", "sleep 5", "hook"])
        .arg(SECRET);
    let error = run("web-1", &spec, Some(Duration::from_millis(100)))
        .await
        .expect_err("times out");
    let message = error.to_string();
    assert!(
        message.starts_with("web-1: `sh (arguments withheld)` did not finish within"),
        "{message}"
    );
    assert!(!message.contains("s3cr3t"), "{message}");
    assert!(!format!("{error:?}").contains("s3cr3t"), "{error:?}");
}

#[tokio::test]
async fn a_failure_names_the_program_and_withholds_the_arguments() {
    let spec = CommandSpec::new("sh")
        .args(["-c", "echo failed >&2; exit 3", "hook"])
        .arg(SECRET);
    let message = run_checked("web-1", &spec, None)
        .await
        .expect_err("fails")
        .to_string();
    assert_eq!(
        message,
        "web-1: `sh (arguments withheld)` failed (exit 3): failed"
    );
}

#[test]
fn a_wrapped_program_is_named_by_its_label() {
    let spec = CommandSpec::new("chroot")
        .args(["/host", "dpkg-query", SECRET])
        .labelled("dpkg-query");
    assert_eq!(spec.display(), "dpkg-query (arguments withheld)");
    assert_eq!(withheld("/usr/lib/check"), "check (arguments withheld)");
}

#[tokio::test]
async fn a_program_that_is_not_installed_is_named_with_its_package_and_is_not_retried() {
    let tmp = tempfile::tempdir().unwrap();
    for program in [
        "/nonexistent/bin/apt-ftparchive",
        "patchwarden-no-such-tool",
    ] {
        let spec = CommandSpec::new(program).arg(SECRET);
        let error = run("web-1", &spec, Some(Duration::from_secs(5)))
            .await
            .expect_err("not installed");
        assert_eq!(error.kind(), crate::ExecErrorKind::Invalid, "{error}");
        let detached = run_detached("web-1", &spec, tmp.path())
            .await
            .expect_err("not installed");
        assert_eq!(detached.to_string(), error.to_string());
    }
    let spec = CommandSpec::new("/nonexistent/bin/apt-ftparchive");
    let message = run("web-1", &spec, None).await.unwrap_err().to_string();
    assert_eq!(
        message,
        "web-1: `/nonexistent/bin/apt-ftparchive` is not installed on the machine that runs it (Debian package apt-utils); install it and the asset is looked at again"
    );
}
