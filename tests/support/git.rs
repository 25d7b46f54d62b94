//! Real Git repositories made with git2, for the Git source sync and `plan`.

use std::path::PathBuf;

use git2::{Repository, Signature};

/// A non-bare repository in a temporary directory whose commits replace the whole tree.
pub struct TestRepo {
    pub dir: tempfile::TempDir,
    pub repo: Repository,
}

impl TestRepo {
    /// An empty repository whose first branch is `main`.
    pub fn new() -> TestRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut options = git2::RepositoryInitOptions::new();
        options.initial_head("main");
        let repo = Repository::init_opts(dir.path(), &options).expect("init");
        TestRepo { dir, repo }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.dir.path().display())
    }

    /// Writes exactly `files` (path, content) as the tree of a new commit on the current
    /// branch (files not listed are deleted) and returns the commit id.
    pub fn commit(&self, message: &str, files: &[(&str, &str)]) -> String {
        for entry in std::fs::read_dir(self.dir.path()).expect("read dir") {
            let entry = entry.expect("entry");
            if entry.file_name() != ".git" {
                let path = entry.path();
                if path.is_dir() {
                    std::fs::remove_dir_all(&path).expect("rm dir");
                } else {
                    std::fs::remove_file(&path).expect("rm file");
                }
            }
        }
        for (path, content) in files {
            let full = self.dir.path().join(path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(&full, content).expect("write");
        }
        let mut index = self.repo.index().expect("index");
        index.clear().expect("clear");
        index
            .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        index.write().expect("write index");
        let tree_id = index.write_tree().expect("tree");
        let tree = self.repo.find_tree(tree_id).expect("find tree");
        let signature = Signature::new(
            "Test",
            "test@example.org",
            &git2::Time::new(1_767_225_600, 0),
        )
        .expect("sig");
        let parent = self
            .repo
            .head()
            .ok()
            .and_then(|head| head.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.repo
            .commit(
                Some("HEAD"),
                &signature,
                &signature,
                message,
                &tree,
                &parents,
            )
            .expect("commit")
            .to_string()
    }

    pub fn tag(&self, name: &str, commit: &str) {
        let object = self.repo.revparse_single(commit).expect("rev");
        self.repo
            .tag_lightweight(name, &object, false)
            .expect("tag");
    }

    pub fn branch(&self, name: &str, commit: &str) {
        let commit = self
            .repo
            .find_commit(git2::Oid::from_str(commit).expect("oid"))
            .expect("commit");
        self.repo.branch(name, &commit, true).expect("branch");
    }
}

impl Default for TestRepo {
    fn default() -> TestRepo {
        TestRepo::new()
    }
}
