//! The lab executor's package sources: `apt-cache policy` with the host's confined apt
//! configuration, and the lab repository's release file in the host's lists directory.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use patchwarden_executor::{AssetRef, ExecErrorKind, Executor, LabExecutor};
use patchwarden_lab::{Lab, LabDelta, LabSpec};

fn names(packages: &[&str]) -> Vec<String> {
    packages.iter().map(|p| p.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_candidate_its_repository_and_the_release_date() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = Lab::create(tmp.path(), &LabDelta::embedded().unwrap(), &LabSpec::new(1))
        .unwrap()
        .0;
    let exec = LabExecutor::new(lab.clone());
    let asset = AssetRef::named("lab-01");
    let sources = exec
        .package_sources(&asset, &names(&["libssl3", "nosuch-package"]))
        .await
        .unwrap();
    let expected = lab
        .packages()
        .iter()
        .find(|p| p.package == "libssl3")
        .unwrap();
    let ssl = sources.package("libssl3").unwrap();
    assert_eq!(
        ssl.installed.as_deref(),
        Some(expected.installed_version.as_str())
    );
    assert_eq!(
        ssl.candidate.as_deref(),
        Some(expected.candidate_version.as_str())
    );
    // apt prints nothing for a package it does not know.
    assert!(sources.package("nosuch-package").is_none());
    let origin = ssl.origin.as_ref().unwrap();
    let repo = tmp.path().join("repo").canonicalize().unwrap();
    assert_eq!(origin.uri, format!("file:{}", repo.display()));
    let repository = sources.repository(origin).unwrap();
    assert_eq!(repository.suite.as_deref(), Some("bookworm-security"));
    let release = std::fs::read_to_string(repo.join("Release")).unwrap();
    let date = release
        .lines()
        .find_map(|l| l.strip_prefix("Date: "))
        .unwrap();
    assert_eq!(repository.date.as_deref(), Some(date));
    // A flat repository marked trusted has a bare Release, not a verified InRelease.
    assert!(!repository.signed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn option_like_package_names_are_refused_before_apt_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = Lab::create(tmp.path(), &LabDelta::embedded().unwrap(), &LabSpec::new(1))
        .unwrap()
        .0;
    let exec = LabExecutor::new(lab);
    let err = exec
        .package_sources(&AssetRef::named("lab-01"), &names(&["-oDir=/"]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ExecErrorKind::Invalid, "{err}");
}
