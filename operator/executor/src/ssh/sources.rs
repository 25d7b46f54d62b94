//! The asset's package sources over SSH: the sources script in one login, read-only, its
//! sections parsed by the same pure functions as on lab hosts.
//!
//! Assessment does not refresh the package lists (`apt-get update` needs root and writes the
//! host's state, and assessments repeat every few minutes on every asset): the lists are as
//! fresh as the host's own apt timers or the last change, which refreshes them when
//! configured to; the recorded release date shows how fresh they are.

use crate::apt_lists::{ListedRelease, host_sources};
use crate::apt_policy::validate_packages;
use crate::command::tail;
use crate::error::ExecError;
use crate::host_sources::HostSources;
use crate::model::AssetRef;

use super::SshExecutor;
use super::scripts::{Marker, SOURCES_SCRIPT, split_sections};

impl SshExecutor {
    /// `apt-cache policy` for `packages`, the package files and the release headers.
    pub(super) async fn read_sources(
        &self,
        asset: &AssetRef,
        packages: &[String],
    ) -> Result<HostSources, ExecError> {
        validate_packages(&asset.name, packages)?;
        let marker = self.marker(asset)?;
        let mut remote = vec![
            "env".to_string(),
            "LC_ALL=C.UTF-8".to_string(),
            "sh".to_string(),
            "-c".to_string(),
            SOURCES_SCRIPT.to_string(),
            "patchwarden-sources".to_string(),
            marker.as_str().to_string(),
        ];
        remote.extend(packages.iter().cloned());
        let limit = Some(self.config.inventory_timeout);
        let out = self
            .remote_operation(asset, "package sources over ssh", &remote, limit)
            .await?;
        match (
            out.success(),
            sources_from_output(&asset.name, &out.stdout, &marker),
        ) {
            (true, Some(sources)) => Ok(sources),
            _ => Err(ExecError::Command {
                asset: asset.name.clone(),
                command: "package sources over ssh".into(),
                status: out.status_text(),
                stderr: tail(&out.stderr, 6),
            }),
        }
    }
}

/// The sources from the script's sections; `None` when the policy and package-files sections
/// are not the first two.
fn sources_from_output(asset: &str, stdout: &str, marker: &Marker) -> Option<HostSources> {
    let sections = split_sections(stdout, marker);
    let (policy, files) = match sections.as_slice() {
        [_, ("policy", policy), ("package-files", files), ..] => (*policy, *files),
        _ => return None,
    };
    let releases: Vec<ListedRelease> = sections
        .iter()
        .skip(3)
        .map(|(header, text)| {
            Some(ListedRelease {
                file_name: header.strip_prefix("release ")?.to_string(),
                text: (*text).to_string(),
            })
        })
        .collect::<Option<_>>()?;
    Some(host_sources(asset, policy, files, &releases))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_become_sources() {
        let marker = Marker::fixed("@@m@@");
        let stdout = "\
@@m@@ policy
jq:
  Installed: 1.6-2.1+deb12u1
  Candidate: 1.6-2.1+deb12u3
  Version table:
     1.6-2.1+deb12u3 500
        500 file:/srv/repo ./ Packages
@@m@@ package-files
Package files:
 500 file:/srv/repo ./ Packages
     release o=lab,a=bookworm-security,c=
@@m@@ release _srv_repo_._Release
Date: Mon, 07 Dec 2026 02:44:48 +0000
Suite: bookworm-security
";
        let sources = sources_from_output("h", stdout, &marker).unwrap();
        let jq = sources.package("jq").unwrap();
        let repository = sources.repository(jq.origin.as_ref().unwrap()).unwrap();
        assert_eq!(repository.suite.as_deref(), Some("bookworm-security"));
        assert_eq!(
            repository.date.as_deref(),
            Some("Mon, 07 Dec 2026 02:44:48 +0000")
        );
        // A forged marker is text, and a missing section is an error.
        assert!(sources_from_output("h", "@@x@@ policy\n", &marker).is_none());
        let stray = "@@m@@ policy\n@@m@@ package-files\n@@m@@ other\n";
        assert!(sources_from_output("h", stray, &marker).is_none());
    }
}
