//! A lab host's package sources, read with the host's own confined apt configuration: the
//! same `apt-cache policy` queries and release-file reading as on a real host, against the
//! lab's repository and the host's lists directory.

use std::path::Path;

use crate::apt_lists::{ListedRelease, host_sources, is_release_file};
use crate::apt_policy::validate_packages;
use crate::command::{CommandSpec, run, tail};
use crate::error::ExecError;
use crate::host_sources::HostSources;
use crate::model::AssetRef;

use super::{LabExecutor, QUERY_TIMEOUT};

/// A release file larger than this is not a release file this module reads.
const RELEASE_FILE_LIMIT: u64 = 4 * 1024 * 1024;

impl LabExecutor {
    /// `apt-cache policy` for `packages` and the package files, and the release headers of
    /// the host's lists directory.
    pub(super) async fn read_sources(
        &self,
        asset: &AssetRef,
        packages: &[String],
    ) -> Result<HostSources, ExecError> {
        validate_packages(&asset.name, packages)?;
        let host = self.reach(asset)?;
        let mut policy = String::new();
        if !packages.is_empty() {
            let args = ["policy", "--"].map(String::from);
            policy = self
                .apt_cache(asset, &host, args.iter().chain(packages))
                .await?;
        }
        let files = self
            .apt_cache(asset, &host, ["policy".to_string()].iter())
            .await?;
        let lists = host.root.join("var/lib/apt/lists");
        let releases = read_releases(&asset.name, &lists).await?;
        Ok(host_sources(&asset.name, &policy, &files, &releases))
    }

    async fn apt_cache(
        &self,
        asset: &AssetRef,
        host: &patchwarden_lab::LabHost,
        args: impl Iterator<Item = &String>,
    ) -> Result<String, ExecError> {
        let mut spec = CommandSpec::new("apt-cache")
            .args(args.cloned())
            .env("LC_ALL", "C.UTF-8");
        for (k, v) in host.apt_env() {
            spec = spec.env(k, v.display().to_string());
        }
        let out = run(&asset.name, &spec, Some(QUERY_TIMEOUT)).await?;
        if !out.success() {
            return Err(ExecError::Command {
                asset: asset.name.clone(),
                command: spec.display(),
                status: out.status_text(),
                stderr: tail(&out.stderr, 4),
            });
        }
        Ok(out.stdout)
    }
}

/// The release files of a lists directory, by file name.
pub(crate) async fn read_releases(
    asset: &str,
    lists: &Path,
) -> Result<Vec<ListedRelease>, ExecError> {
    let io = |action: &'static str, path: &Path, source: std::io::Error| ExecError::Io {
        asset: asset.to_string(),
        action,
        path: path.to_path_buf(),
        source,
    };
    let mut entries = tokio::fs::read_dir(lists)
        .await
        .map_err(|e| io("list", lists, e))?;
    let mut releases = Vec::new();
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(|e| io("list", lists, e))?
    {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let metadata = entry.metadata().await.map_err(|e| io("stat", &path, e))?;
        if !is_release_file(&file_name)
            || !metadata.is_file()
            || metadata.len() > RELEASE_FILE_LIMIT
        {
            continue;
        }
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| io("read", &path, e))?;
        releases.push(ListedRelease {
            file_name,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }
    releases.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    Ok(releases)
}
