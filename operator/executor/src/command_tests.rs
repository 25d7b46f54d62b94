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
