//! Reading a Git source with git2, without a working-tree checkout: open a local repository
//! or keep a bare mirror of a URL in a cache directory, resolve a branch, tag or commit to a
//! revision, and list the YAML files of that revision's tree (optionally under a sub-path).
//!
//! Only https, ssh (`ssh://` or `user@host:path`) and `file://` URLs and local paths are
//! read; a URL's user-info (`user:token@`) never appears in an error, a status or the mirror's
//! directory name ([`redacted_url`]); and a blob larger than [`MAX_BLOB_BYTES`] is refused.

use std::path::{Path, PathBuf};

use git2::{AutotagOption, FetchOptions, FetchPrune, ObjectType, Oid, Repository, TreeWalkMode};
use serde::{Deserialize, Serialize};

/// Which revision of a repository a source follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GitReference {
    /// The tip of a branch (follows new commits).
    Branch(String),
    /// A tag (annotated or lightweight).
    Tag(String),
    /// One fixed commit, by full or abbreviated hash.
    Commit(String),
}

impl GitReference {
    /// The name shown in revisions: `main`, `v1.2`, or the commit as given.
    pub fn label(&self) -> &str {
        match self {
            Self::Branch(name) | Self::Tag(name) | Self::Commit(name) => name,
        }
    }
}

/// A reference written as `branch:NAME`, `tag:NAME`, `commit:HASH`, or a bare branch name.
impl std::str::FromStr for GitReference {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (kind, name) = text.split_once(':').unwrap_or(("branch", text));
        if name.is_empty() {
            return Err(format!("`{text}` names no {kind}"));
        }
        match kind {
            "branch" => Ok(Self::Branch(name.to_string())),
            "tag" => Ok(Self::Tag(name.to_string())),
            "commit" => Ok(Self::Commit(name.to_string())),
            other => Err(format!(
                "`{other}` is not a reference kind: use branch:, tag: or commit:"
            )),
        }
    }
}

/// One resolved revision: the commit and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// The branch, tag or commit spec that was resolved.
    pub reference: String,
    /// Full hex commit id.
    pub commit: String,
}

impl std::fmt::Display for Revision {
    /// Flux's revision format: `<reference>@sha1:<commit>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@sha1:{}", self.reference, self.commit)
    }
}

/// One YAML file of a revision's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    /// The file's text.
    pub content: String,
}

/// Failures while reading Git.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot open the Git repository at {path}: {source}")]
    Open { path: PathBuf, source: git2::Error },
    #[error("cannot prepare the mirror of {url} in {path}: {source}")]
    Mirror {
        url: String,
        path: PathBuf,
        source: git2::Error,
    },
    #[error("cannot fetch {url}: {source}")]
    Fetch { url: String, source: git2::Error },
    #[error("cannot resolve {kind} `{name}`: {source}")]
    Resolve {
        kind: &'static str,
        name: String,
        source: git2::Error,
    },
    #[error("cannot read the tree of commit {commit}: {source}")]
    Tree { commit: String, source: git2::Error },
    #[error("path `{path}` does not exist in commit {commit}")]
    MissingPath { path: String, commit: String },
    #[error("path `{path}` in commit {commit} is not a directory")]
    NotADirectory { path: String, commit: String },
    #[error("file `{path}` in commit {commit} is not UTF-8 text")]
    NotText { path: String, commit: String },
    #[error(
        "file `{path}` in commit {commit} is a symbolic link, which is refused: commit the file itself"
    )]
    SymbolicLink { path: String, commit: String },
    #[error(
        "file `{path}` in commit {commit} is {size} bytes, more than the {limit} bytes a file may have"
    )]
    BlobTooLarge {
        path: String,
        commit: String,
        size: usize,
        limit: usize,
    },
    #[error("{url}: {reason}; use an https, ssh or file:// URL, or a local path")]
    Transport { url: String, reason: String },
}

/// Largest YAML file read from a revision.
pub const MAX_BLOB_BYTES: usize = 1 << 20;

/// `url` without its user-info: `https://user:token@host/x` is `https://host/x`. Anything
/// that is not `scheme://…` (a path, `git@host:repo`) is returned as it is.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => format!("{scheme}://{}{path}", &authority[at + 1..]),
        None => url.to_string(),
    }
}

/// A git2 error with every occurrence of the raw `url` replaced by its redacted form (libgit2
/// may quote the URL it was given).
fn redact_error(url: &str, error: git2::Error) -> git2::Error {
    let redacted = redacted_url(url);
    if redacted == url || !error.message().contains(url) {
        return error;
    }
    git2::Error::new(
        error.code(),
        error.class(),
        error.message().replace(url, &redacted),
    )
}

/// Why `location` may not be read, if it may not: only https, ssh and `file://` URLs, and
/// scp-like ssh addresses (`git@host:repo`), are allowed besides local paths.
pub fn refused_transport(location: &str) -> Option<String> {
    match location.split_once("://") {
        Some((scheme, _)) => match scheme.to_ascii_lowercase().as_str() {
            "https" | "ssh" | "file" => None,
            other => Some(format!("the {other} transport is not allowed")),
        },
        None => match location.split_once(':') {
            // A path without a colon before its first `/` is local.
            None => None,
            Some((host, _)) if host.contains('/') => None,
            // scp-like ssh: `[user@]host:path`.
            Some((host, path))
                if !host.is_empty()
                    && !path.starts_with(':')
                    && !location.contains(char::is_whitespace) =>
            {
                None
            }
            Some(_) => Some(String::from(
                "not a local path nor a URL of a known transport",
            )),
        },
    }
}

/// A repository opened for reading revisions.
pub struct GitRepository {
    repo: Repository,
    /// The URL this repository mirrors, when it is a cache of a remote.
    remote_url: Option<String>,
}

impl std::fmt::Debug for GitRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitRepository")
            .field("path", &self.repo.path())
            .field("remote_url", &self.remote_url.as_deref().map(redacted_url))
            .finish()
    }
}

/// Refs fetched into a mirror: every branch under `refs/remotes/origin/` and every tag.
const MIRROR_REFSPECS: [&str; 2] = [
    "+refs/heads/*:refs/remotes/origin/*",
    "+refs/tags/*:refs/tags/*",
];

impl GitRepository {
    /// Opens a repository on disk (bare or with a working tree) and reads its own refs.
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let repo = Repository::open(path).map_err(|source| SourceError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self {
            repo,
            remote_url: None,
        })
    }

    /// Opens `location` as a local repository when it is a path that exists, otherwise
    /// mirrors it as a URL under `cache_dir` and fetches it.
    pub fn open_or_mirror(location: &str, cache_dir: &Path) -> Result<Self, SourceError> {
        if let Some(reason) = refused_transport(location) {
            return Err(SourceError::Transport {
                url: redacted_url(location),
                reason,
            });
        }
        let local = Path::new(location);
        if !location.contains("://") && local.exists() {
            return Self::open(local);
        }
        let mirror = Self::mirror(location, cache_dir)?;
        mirror.fetch()?;
        Ok(mirror)
    }

    /// Prepares (or reopens) a bare mirror of `url` in `cache_dir`; call [`Self::fetch`] to
    /// bring it up to date.
    pub fn mirror(url: &str, cache_dir: &Path) -> Result<Self, SourceError> {
        if let Some(reason) = refused_transport(url) {
            return Err(SourceError::Transport {
                url: redacted_url(url),
                reason,
            });
        }
        let path = cache_dir.join(mirror_dir_name(&redacted_url(url)));
        let mirror_error = |source| SourceError::Mirror {
            url: redacted_url(url),
            path: path.clone(),
            source: redact_error(url, source),
        };
        let repo = if path.join("HEAD").exists() {
            Repository::open_bare(&path).map_err(mirror_error)?
        } else {
            std::fs::create_dir_all(&path)
                .map_err(|err| mirror_error(git2::Error::from_str(&err.to_string())))?;
            Repository::init_bare(&path).map_err(mirror_error)?
        };
        Ok(Self {
            repo,
            remote_url: Some(url.to_string()),
        })
    }

    /// Fetches every branch and tag of the mirrored URL, pruning deleted branches. A local
    /// repository has nothing to fetch.
    pub fn fetch(&self) -> Result<(), SourceError> {
        let Some(url) = &self.remote_url else {
            return Ok(());
        };
        let fetch_error = |source| SourceError::Fetch {
            url: redacted_url(url),
            source: redact_error(url, source),
        };
        let mut remote = self.repo.remote_anonymous(url).map_err(fetch_error)?;
        // Without a readable git configuration only anonymous access is possible.
        let config = git2::Config::open_default().ok();
        let mut callbacks = git2::RemoteCallbacks::new();
        let mut asked = false;
        // Private repositories authenticate through the user's git credential helpers, as the
        // git command line would; asked once, so a refused credential fails instead of looping.
        callbacks.credentials(move |url, username, _allowed| {
            if asked {
                return Err(git2::Error::from_str(
                    "the credential helper's credentials were refused",
                ));
            }
            asked = true;
            match &config {
                Some(config) => git2::Cred::credential_helper(config, url, username),
                None => git2::Cred::default(),
            }
        });
        let mut options = FetchOptions::new();
        options
            .remote_callbacks(callbacks)
            .prune(FetchPrune::On)
            .download_tags(AutotagOption::All);
        remote
            .fetch(&MIRROR_REFSPECS, Some(&mut options), None)
            .map_err(fetch_error)?;
        Ok(())
    }

    /// The branch a local repository's HEAD points to (`None` when detached, or for a mirror,
    /// whose HEAD means nothing).
    pub fn head_branch(&self) -> Option<String> {
        if self.remote_url.is_some() {
            return None;
        }
        let head = self.repo.find_reference("HEAD").ok()?;
        head.symbolic_target()
            .ok()??
            .strip_prefix("refs/heads/")
            .map(str::to_string)
    }

    /// Resolves a branch, tag or commit to a revision.
    pub fn resolve(&self, reference: &GitReference) -> Result<Revision, SourceError> {
        let (kind, candidates): (&'static str, Vec<String>) = match reference {
            GitReference::Branch(name) => (
                "branch",
                if self.remote_url.is_some() {
                    vec![format!("refs/remotes/origin/{name}")]
                } else {
                    vec![format!("refs/heads/{name}")]
                },
            ),
            GitReference::Tag(name) => ("tag", vec![format!("refs/tags/{name}")]),
            GitReference::Commit(hash) => ("commit", vec![hash.clone()]),
        };
        let mut last_error = git2::Error::from_str("no candidate");
        for spec in &candidates {
            match self.peel_commit(spec) {
                Ok(oid) => {
                    return Ok(Revision {
                        reference: reference.label().to_string(),
                        commit: oid.to_string(),
                    });
                }
                Err(err) => last_error = err,
            }
        }
        Err(SourceError::Resolve {
            kind,
            name: reference.label().to_string(),
            source: last_error,
        })
    }

    /// Resolves any revision expression git understands (`main`, `HEAD~1`, a tag, a hash),
    /// as `plan --base/--head` take them.
    pub fn resolve_spec(&self, spec: &str) -> Result<Revision, SourceError> {
        let oid = self
            .peel_commit(spec)
            .or_else(|first| {
                // A mirror keeps branches under refs/remotes/origin/.
                if self.remote_url.is_some() {
                    self.peel_commit(&format!("refs/remotes/origin/{spec}"))
                } else {
                    Err(first)
                }
            })
            .map_err(|source| SourceError::Resolve {
                kind: "revision",
                name: spec.to_string(),
                source,
            })?;
        Ok(Revision {
            reference: spec.to_string(),
            commit: oid.to_string(),
        })
    }

    fn peel_commit(&self, spec: &str) -> Result<Oid, git2::Error> {
        let object = self.repo.revparse_single(spec)?;
        Ok(object.peel_to_commit()?.id())
    }

    /// Lists the `.yaml`/`.yml` files of a revision's tree under `sub_path` (the whole tree
    /// when `None`), sorted by path, with their contents. A symbolic link with such a name is
    /// refused: its blob is the link's target, not a file's content.
    pub fn yaml_files(
        &self,
        revision: &Revision,
        sub_path: Option<&str>,
    ) -> Result<Vec<SourceFile>, SourceError> {
        let tree_error = |source| SourceError::Tree {
            commit: revision.commit.clone(),
            source,
        };
        let oid = Oid::from_str(&revision.commit).map_err(tree_error)?;
        let commit = self.repo.find_commit(oid).map_err(tree_error)?;
        let root = commit.tree().map_err(tree_error)?;
        let prefix = sub_path
            .map(|path| path.trim_matches('/'))
            .filter(|path| !path.is_empty() && *path != ".");
        let tree = match prefix {
            None => root,
            Some(path) => {
                let entry =
                    root.get_path(Path::new(path))
                        .map_err(|_| SourceError::MissingPath {
                            path: path.to_string(),
                            commit: revision.commit.clone(),
                        })?;
                if entry.kind() != Some(ObjectType::Tree) {
                    return Err(SourceError::NotADirectory {
                        path: path.to_string(),
                        commit: revision.commit.clone(),
                    });
                }
                self.repo.find_tree(entry.id()).map_err(tree_error)?
            }
        };
        let mut blobs = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            let name = entry.name().unwrap_or_default();
            if entry.kind() == Some(ObjectType::Blob) && is_yaml_name(name) {
                let link = entry.filemode() == i32::from(git2::FileMode::Link);
                blobs.push((format!("{dir}{name}"), entry.id(), link));
            }
            git2::TreeWalkResult::Ok
        })
        .map_err(tree_error)?;
        let mut files = Vec::with_capacity(blobs.len());
        for (relative, id, link) in blobs {
            let path = match prefix {
                Some(prefix) => format!("{prefix}/{relative}"),
                None => relative,
            };
            if link {
                return Err(SourceError::SymbolicLink {
                    path,
                    commit: revision.commit.clone(),
                });
            }
            let (size, _) = self
                .repo
                .odb()
                .and_then(|odb| odb.read_header(id))
                .map_err(tree_error)?;
            if size > MAX_BLOB_BYTES {
                return Err(SourceError::BlobTooLarge {
                    path,
                    commit: revision.commit.clone(),
                    size,
                    limit: MAX_BLOB_BYTES,
                });
            }
            let blob = self.repo.find_blob(id).map_err(tree_error)?;
            let content =
                String::from_utf8(blob.content().to_vec()).map_err(|_| SourceError::NotText {
                    path: path.clone(),
                    commit: revision.commit.clone(),
                })?;
            files.push(SourceFile { path, content });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }
}

fn is_yaml_name(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// A readable, collision-resistant directory name for a URL's mirror.
fn mirror_dir_name(url: &str) -> String {
    let readable: String = url
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    // FNV-1a keeps two URLs that sanitise alike (`a/b` and `a_b`) apart.
    let hash = url.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let tail: String = readable
        .chars()
        .rev()
        .take(80)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{tail}-{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET_URL: &str = "https://deploy:s3cret-token@127.0.0.1:1/ops/fleet.git";

    #[test]
    fn user_info_is_stripped_from_urls() {
        assert_eq!(
            redacted_url("https://user:tok@git.example.com/a/b.git?x=1"),
            "https://git.example.com/a/b.git?x=1"
        );
        assert_eq!(
            redacted_url("ssh://git@git.example.com:22/a.git"),
            "ssh://git.example.com:22/a.git"
        );
        assert_eq!(
            redacted_url("https://git.example.com/a@b"),
            "https://git.example.com/a@b"
        );
        assert_eq!(
            redacted_url("git@git.example.com:a.git"),
            "git@git.example.com:a.git"
        );
        assert_eq!(redacted_url("/srv/repo"), "/srv/repo");
    }

    #[test]
    fn only_https_ssh_and_file_transports_are_read() {
        assert_eq!(refused_transport("https://git.example.com/a.git"), None);
        assert_eq!(refused_transport("ssh://git@git.example.com/a.git"), None);
        assert_eq!(refused_transport("file:///srv/repo"), None);
        assert_eq!(refused_transport("git@git.example.com:a.git"), None);
        assert_eq!(refused_transport("/srv/repo"), None);
        let cache = tempfile::tempdir().expect("cache");
        for url in [
            "http://user:s3cret@git.example.com/a.git",
            "git://git.example.com/a.git",
            "ext::sh -c touch% /tmp/pwned",
            "ftp://git.example.com/a.git",
        ] {
            let error = GitRepository::open_or_mirror(url, cache.path()).expect_err(url);
            let message = error.to_string();
            assert!(matches!(error, SourceError::Transport { .. }), "{message}");
            assert!(!message.contains("s3cret"), "{message}");
        }
    }

    #[test]
    fn the_mirror_directory_and_fetch_errors_carry_no_credentials() {
        let cache = tempfile::tempdir().expect("cache");
        let error = GitRepository::open_or_mirror(SECRET_URL, cache.path()).expect_err("no server");
        let message = error.to_string();
        assert!(
            message.contains("https://127.0.0.1:1/ops/fleet.git"),
            "{message}"
        );
        assert!(!message.contains("s3cret"), "{message}");
        let mirror = GitRepository::mirror(SECRET_URL, cache.path()).expect("mirror");
        assert!(!format!("{mirror:?}").contains("s3cret"));
        for entry in std::fs::read_dir(cache.path()).expect("cache listing") {
            let name = entry.expect("entry").file_name();
            let name = name.to_string_lossy();
            assert!(
                !name.contains("s3cret") && !name.contains("deploy"),
                "{name}"
            );
        }
    }

    #[test]
    fn a_blob_over_the_cap_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().expect("repository");
        let repo = Repository::init(dir.path()).expect("init");
        let big = vec![b'#'; MAX_BLOB_BYTES + 1];
        let small = repo.blob(b"kind: X\n").expect("small blob");
        let large = repo.blob(&big).expect("large blob");
        let mut builder = repo.treebuilder(None).expect("tree");
        builder.insert("a.yaml", small, 0o100644).expect("a");
        builder.insert("huge.yaml", large, 0o100644).expect("huge");
        let tree = repo
            .find_tree(builder.write().expect("write"))
            .expect("find");
        let signature = git2::Signature::now("t", "t@example.com").expect("signature");
        let commit = repo
            .commit(Some("HEAD"), &signature, &signature, "c", &tree, &[])
            .expect("commit");
        let git = GitRepository::open(dir.path()).expect("open");
        let revision = Revision {
            reference: "main".into(),
            commit: commit.to_string(),
        };
        let error = git.yaml_files(&revision, None).expect_err("too large");
        assert!(
            matches!(error, SourceError::BlobTooLarge { ref path, .. } if path == "huge.yaml"),
            "{error}"
        );
        assert!(error.to_string().contains("huge.yaml"), "{error}");
    }
}
