//! The Git source `patchwarden up` (and `patchwarden operator --git-repo`) follows: `--repo`
//! as a URL, a local repository, or a directory inside one.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use patchwarden_gitops::source::GitReference;
use patchwarden_gitops::sync::GitSourceSpec;

/// The Git source for `--repo` (a URL, a repository, or a directory inside one) and an
/// optional branch (default: the checked-out branch, or `main` for URLs).
pub fn git_source_spec(repo: &str, branch: Option<String>) -> anyhow::Result<GitSourceSpec> {
    let is_url = repo.contains("://") || repo.starts_with("git@");
    let (location, inside) = if is_url {
        (repo.to_string(), None)
    } else {
        let (root, inside) = locate_repository(Path::new(repo))?;
        (root.display().to_string(), inside)
    };
    let branch = branch
        .or_else(|| {
            (!is_url)
                .then(|| current_branch(Path::new(&location)))
                .flatten()
        })
        .unwrap_or_else(|| String::from("main"));
    Ok(GitSourceSpec {
        name: source_name(&location, inside.as_deref()),
        url: location,
        reference: GitReference::Branch(branch),
        path: inside,
    })
}

/// Finds the Git repository holding `path`: (repository root, path inside it).
fn locate_repository(path: &Path) -> anyhow::Result<(PathBuf, Option<String>)> {
    let absolute = path
        .canonicalize()
        .with_context(|| format!("--repo {}: no such directory", path.display()))?;
    let mut dir = absolute.as_path();
    loop {
        if dir.join(".git").exists() || (dir.join("HEAD").is_file() && dir.join("objects").is_dir())
        {
            let inside = absolute
                .strip_prefix(dir)
                .ok()
                .map(|p| p.to_string_lossy().into_owned())
                .filter(|p| !p.is_empty());
            return Ok((dir.to_path_buf(), inside));
        }
        match dir.parent() {
            Some(parent) => dir = parent,
            None => bail!("--repo {}: not inside a Git repository", path.display()),
        }
    }
}

/// The branch a local repository has checked out, if any.
fn current_branch(root: &Path) -> Option<String> {
    let head = std::fs::read_to_string(root.join(".git").join("HEAD"))
        .or_else(|_| std::fs::read_to_string(root.join("HEAD")))
        .ok()?;
    head.trim()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_string)
}

/// A source name (a DNS label) from the repository location.
fn source_name(location: &str, inside: Option<&str>) -> String {
    let base = inside
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or_else(|| {
            location
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("repo")
        });
    let base = base.trim_end_matches(".git");
    let mut name: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    name = name.trim_matches('-').chars().take(40).collect();
    if name.is_empty() {
        String::from("repo")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names_are_dns_labels_from_the_directory() {
        assert_eq!(
            source_name("/repo", Some("examples/quickstart")),
            "quickstart"
        );
        assert_eq!(
            source_name("https://example.com/org/Fleet_Config.git", None),
            "fleet-config"
        );
    }
}
