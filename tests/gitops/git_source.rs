//! Reading real Git repositories made with git2: local open, file:// mirror and fetch,
//! branch/tag/commit resolution, sub-paths and YAML listing.

use patchwarden_gitops::source::{GitReference, GitRepository, SourceError, SourceFile};
use support::git::TestRepo;

fn file_names(files: &[SourceFile]) -> Vec<&str> {
    files.iter().map(|f| f.path.as_str()).collect()
}

#[test]
fn reads_yaml_files_of_a_revision_without_checkout() {
    let repo = TestRepo::new();
    let first = repo.commit(
        "first",
        &[
            ("policies/a.yaml", "a: 1\n"),
            ("policies/nested/b.yml", "b: 2\n"),
            ("README.md", "not yaml"),
            ("other/c.yaml", "c: 3\n"),
        ],
    );
    let second = repo.commit("second", &[("policies/a.yaml", "a: 2\n")]);
    let git = GitRepository::open(&repo.path()).expect("open");
    assert_eq!(git.head_branch().as_deref(), Some("main"));

    let head = git
        .resolve(&GitReference::Branch("main".into()))
        .expect("branch");
    assert_eq!(head.commit, second);
    assert_eq!(head.to_string(), format!("main@sha1:{second}"));
    let files = git.yaml_files(&head, None).expect("files");
    assert_eq!(file_names(&files), ["policies/a.yaml"]);
    assert_eq!(files[0].content, "a: 2\n");

    let old = git
        .resolve(&GitReference::Commit(first[..10].to_string()))
        .expect("short commit");
    assert_eq!(old.commit, first);
    let all = git.yaml_files(&old, None).expect("files");
    assert_eq!(
        file_names(&all),
        ["other/c.yaml", "policies/a.yaml", "policies/nested/b.yml"]
    );
    let sub = git.yaml_files(&old, Some("policies/")).expect("sub path");
    assert_eq!(
        file_names(&sub),
        ["policies/a.yaml", "policies/nested/b.yml"]
    );

    assert!(matches!(
        git.yaml_files(&old, Some("missing")),
        Err(SourceError::MissingPath { .. })
    ));
    assert!(matches!(
        git.yaml_files(&old, Some("policies/a.yaml")),
        Err(SourceError::NotADirectory { .. })
    ));
    assert_eq!(git.resolve_spec("HEAD~1").expect("parent").commit, first);
}

#[test]
fn mirrors_a_url_and_follows_new_commits_branches_and_tags() {
    let upstream = TestRepo::new();
    let first = upstream.commit("first", &[("a.yaml", "v: 1\n")]);
    upstream.tag("v1", &first);
    let cache = tempfile::tempdir().expect("cache");

    let mirror = GitRepository::open_or_mirror(&upstream.url(), cache.path()).expect("mirror");
    let main = GitReference::Branch("main".into());
    assert_eq!(mirror.resolve(&main).expect("main").commit, first);
    assert_eq!(
        mirror
            .resolve(&GitReference::Tag("v1".into()))
            .expect("tag")
            .commit,
        first
    );

    let second = upstream.commit("second", &[("a.yaml", "v: 2\n")]);
    upstream.branch("release", &first);
    // Not fetched yet: the mirror still shows the old tip.
    assert_eq!(mirror.resolve(&main).expect("main").commit, first);
    mirror.fetch().expect("fetch");
    let head = mirror.resolve(&main).expect("main");
    assert_eq!(head.commit, second);
    assert_eq!(
        mirror.yaml_files(&head, None).expect("files")[0].content,
        "v: 2\n"
    );
    assert_eq!(
        mirror
            .resolve(&GitReference::Branch("release".into()))
            .expect("release")
            .commit,
        first
    );
    assert_eq!(mirror.resolve_spec("main").expect("spec").commit, second);

    // Reopening the cache reuses the mirror.
    let again = GitRepository::mirror(&upstream.url(), cache.path()).expect("reopen");
    assert_eq!(again.resolve(&main).expect("main").commit, second);
    assert!(matches!(
        again.resolve(&GitReference::Branch("nope".into())),
        Err(SourceError::Resolve { kind: "branch", .. })
    ));
}

#[test]
fn references_parse_from_their_written_form() {
    assert_eq!("main".parse(), Ok(GitReference::Branch("main".into())));
    assert_eq!("tag:v1.2".parse(), Ok(GitReference::Tag("v1.2".into())));
    assert_eq!(
        "commit:abc123".parse(),
        Ok(GitReference::Commit("abc123".into()))
    );
    assert!("sha:abc".parse::<GitReference>().is_err());
    assert!("tag:".parse::<GitReference>().is_err());
}
