//! The files an inventory reads beside the package database, where a missing file is an
//! answer (no reboot required, no packages asking for one) but a file that cannot be read is
//! an error: "cannot tell" must never be reported as "no reboot required".

use std::io::ErrorKind;
use std::path::Path;

use crate::error::ExecError;

/// The reboot-required marker and the packages listing it. Absent files mean no reboot is
/// required; any other failure to read them is an error naming the file.
pub(crate) async fn reboot_required(
    asset: &str,
    marker: &Path,
    packages: &Path,
) -> Result<(bool, String), ExecError> {
    let required = tokio::fs::try_exists(marker)
        .await
        .map_err(|source| io_error(asset, "check", marker, source))?;
    let packages = match tokio::fs::read_to_string(packages).await {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
        Err(source) => return Err(io_error(asset, "read", packages, source)),
    };
    Ok((required, packages))
}

fn io_error(asset: &str, action: &'static str, path: &Path, source: std::io::Error) -> ExecError {
    ExecError::Io {
        asset: asset.to_string(),
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn absent_files_mean_no_reboot_and_present_ones_are_read() {
        let tmp = tempfile::tempdir().unwrap();
        let marker = tmp.path().join("reboot-required");
        let pkgs = tmp.path().join("reboot-required.pkgs");
        assert_eq!(
            reboot_required("web-1", &marker, &pkgs).await.unwrap(),
            (false, String::new())
        );
        std::fs::write(&marker, "").unwrap();
        std::fs::write(&pkgs, "libc6\n").unwrap();
        assert_eq!(
            reboot_required("web-1", &marker, &pkgs).await.unwrap(),
            (true, "libc6\n".to_string())
        );
    }

    #[tokio::test]
    async fn files_that_cannot_be_read_are_errors_not_no_reboot() {
        let tmp = tempfile::tempdir().unwrap();
        // A link to itself cannot be resolved, whoever reads it (root included).
        let looped = tmp.path().join("reboot-required");
        std::os::unix::fs::symlink(&looped, &looped).unwrap();
        let absent = tmp.path().join("absent");
        let error = reboot_required("web-1", &looped, &absent)
            .await
            .expect_err("unreadable marker");
        assert!(
            error.to_string().starts_with("web-1: cannot check "),
            "{error}"
        );
        let error = reboot_required("web-1", &absent, &looped)
            .await
            .expect_err("unreadable package list");
        assert!(
            error.to_string().starts_with("web-1: cannot read "),
            "{error}"
        );
    }
}
