//! Git trees as a Git source reads them: real repositories (written object by object, so a
//! tree may hold what a checkout could not: symbolic links, `..` names, non-UTF-8 blobs) read
//! the way a source sync loads a revision (open or mirror, resolve the branch, read the YAML
//! files under the path, validate them, refuse kinds that may not come from Git).

use std::path::Path;

use chrono::TimeZone;
use git2::{ObjectType, Oid, Repository, Signature};
use patchwarden_gitops::revision::{RevisionError, load_revision};
use patchwarden_gitops::source::{GitReference, GitRepository, SourceError};
use patchwarden_gitops::sync::AllowedKinds;
use patchwarden_gitops::validation::ValidationContext;

use super::{Expect, check, err, ok};

/// The token in the cases' URLs.
pub const SECRET: &str = "s3cr3t-token";

/// A tree entry: a file (mode and bytes) or a directory.
pub enum Node {
    File(i32, Vec<u8>),
    Dir(Vec<(String, Node)>),
}

/// What a case reads: a tree committed on `main` (none: no commit), or another URL; and the
/// source's sub-path.
pub struct GitInput {
    pub tree: Option<Vec<(String, Node)>>,
    pub url: Option<String>,
    pub sub_path: Option<&'static str>,
}

/// Writes `entries` as a raw tree object (names are not checked, as a hostile remote's are
/// not) and returns its id.
fn write_tree(repo: &Repository, entries: &[(String, Node)]) -> Oid {
    let mut rows: Vec<(String, i32, Oid)> = entries
        .iter()
        .map(|(name, node)| match node {
            Node::File(mode, bytes) => (name.clone(), *mode, repo.blob(bytes).expect("blob")),
            Node::Dir(children) => (name.clone(), 0o040000, write_tree(repo, children)),
        })
        .collect();
    let key = |(name, mode, _): &(String, i32, Oid)| {
        let mut key = name.clone().into_bytes();
        if *mode == 0o040000 {
            key.push(b'/');
        }
        key
    };
    rows.sort_by_key(key);
    let mut raw = Vec::new();
    for (name, mode, oid) in rows {
        raw.extend(format!("{mode:o} {name}\0").into_bytes());
        raw.extend(oid.as_bytes());
    }
    repo.odb()
        .expect("odb")
        .write(ObjectType::Tree, &raw)
        .expect("tree")
}

/// A repository in `dir` whose `main` holds `tree`.
fn repository(dir: &Path, tree: Option<&[(String, Node)]>) {
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let repo = Repository::init_opts(dir, &options).expect("init");
    let Some(tree) = tree else { return };
    let tree = repo.find_tree(write_tree(&repo, tree)).expect("find tree");
    let signature = Signature::new(
        "Test",
        "test@example.org",
        &git2::Time::new(1_767_225_600, 0),
    )
    .expect("signature");
    repo.commit(Some("HEAD"), &signature, &signature, "hostile", &tree, &[])
        .expect("commit");
}

/// The outcome of loading `input` as a source sync does.
fn observe(input: &GitInput) -> Expect {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = tempfile::tempdir().expect("cache");
    let repo_dir = dir.path().join("repo");
    repository(&repo_dir, input.tree.as_deref());
    let url = input
        .url
        .clone()
        .unwrap_or_else(|| repo_dir.display().to_string());
    let context = ValidationContext {
        now: chrono::Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap(),
        default_namespace: "default".to_string(),
    };
    let loaded = GitRepository::open_or_mirror(&url, cache.path()).and_then(|git| {
        let revision = git.resolve(&GitReference::Branch("main".into()))?;
        Ok(load_revision(&git, &revision, input.sub_path, &context))
    });
    let outcome = match loaded {
        Err(error) => source_refusal(&error),
        Ok(Err(RevisionError::Source(error))) => source_refusal(&error),
        Ok(Err(RevisionError::Invalid { problems, .. })) => {
            let files: Vec<&str> = problems.iter().map(|p| p.file.as_str()).collect();
            let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
            err("Invalid", None, files.join(","), messages.join("\n"))
        }
        Ok(Ok(loaded)) => {
            let refusals = AllowedKinds::default().refusals(&loaded.resources);
            if refusals.is_empty() {
                let keys: Vec<String> = loaded.resources.keys().map(ToString::to_string).collect();
                ok(keys.join(", "))
            } else {
                let files: Vec<&str> = refusals.iter().map(|p| p.file.as_str()).collect();
                let messages: Vec<String> = refusals.iter().map(ToString::to_string).collect();
                err("Refused", None, files.join(","), messages.join("\n"))
            }
        }
    };
    // A URL's user:token@ must never reach an error.
    let shown = format!("{outcome:?}");
    if shown.contains(SECRET) {
        return err("leaked the token", None, "", shown);
    }
    outcome
}

/// A source error's variant and the path it names, with the temporary paths hidden.
fn source_refusal(error: &SourceError) -> Expect {
    let (variant, field) = match error {
        SourceError::Open { .. } => ("Open", ""),
        SourceError::Mirror { .. } => ("Mirror", ""),
        SourceError::Fetch { .. } => ("Fetch", ""),
        SourceError::Resolve { .. } => ("Resolve", ""),
        SourceError::Tree { .. } => ("Tree", ""),
        SourceError::MissingPath { path, .. } => ("MissingPath", path.as_str()),
        SourceError::NotADirectory { path, .. } => ("NotADirectory", path.as_str()),
        SourceError::NotText { path, .. } => ("NotText", path.as_str()),
        SourceError::SymbolicLink { path, .. } => ("SymbolicLink", path.as_str()),
        SourceError::BlobTooLarge { path, .. } => ("BlobTooLarge", path.as_str()),
        SourceError::Transport { .. } => ("Transport", ""),
    };
    err(format!("Source {variant}"), None, field, error.to_string())
}

#[test]
fn hostile_git_trees_get_their_exact_refusal() {
    assert!(check("git trees", &super::git_tree_cases::cases(), observe) >= 25);
}
