//! apt-get as every Debian executor drives it: the argv of an upgrade or a roll back, and the
//! verdict per requested package from the dpkg state before and after plus apt's output.

use std::collections::BTreeMap;
use std::time::Duration;

use patchwarden_lab::InstalledPackage;
use patchwarden_lab::names::{validate_package_name, validate_version};

use crate::error::ExecError;
use crate::model::{
    ChangeKind, ChangeReport, OutcomeResult, PackageOutcome, PackageTarget, VersionChange,
};

/// Validates targets: names and versions become apt arguments, where `-x` would be an option.
pub fn validate_targets(asset: &str, targets: &[PackageTarget]) -> Result<(), ExecError> {
    if targets.is_empty() {
        return Err(ExecError::InvalidRequest {
            asset: asset.to_string(),
            field: "packages".into(),
            reason: "no packages given".into(),
        });
    }
    for t in targets {
        validate_package_name(&t.package).map_err(|reason| ExecError::InvalidRequest {
            asset: asset.to_string(),
            field: "package".into(),
            reason: reason.to_string(),
        })?;
        validate_version(&t.version).map_err(|reason| ExecError::InvalidRequest {
            asset: asset.to_string(),
            field: format!("version of {}", t.package),
            reason: reason.to_string(),
        })?;
    }
    Ok(())
}

/// `apt-get` arguments (after the program name) for `kind` to `targets`. Both kinds pass
/// `--no-remove`: a roll back must never remove packages that depend on the newer version.
pub fn apt_get_args(kind: ChangeKind, targets: &[PackageTarget]) -> Vec<String> {
    let mut args: Vec<String> = ["install", "-y", "-q", "--no-remove"]
        .into_iter()
        .map(String::from)
        .collect();
    match kind {
        ChangeKind::Upgrade => args.push("--only-upgrade".into()),
        ChangeKind::RollBack => args.push("--allow-downgrades".into()),
    }
    args.extend(
        targets
            .iter()
            .map(|t| format!("{}={}", t.package, t.version)),
    );
    args
}

/// Everything [`judge`] looks at.
pub struct AptRun<'a> {
    pub asset: &'a str,
    pub kind: ChangeKind,
    pub targets: &'a [PackageTarget],
    pub before: &'a [InstalledPackage],
    pub after: &'a [InstalledPackage],
    pub exit_code: Option<i32>,
    pub stdout: &'a str,
    pub stderr: &'a str,
    pub duration: Duration,
}

/// Decides each requested package's outcome from the dpkg state, not from apt's exit code:
/// apt exits 100 for one failing postinst even though the other packages were upgraded.
pub fn judge(run: &AptRun<'_>) -> ChangeReport {
    let before: BTreeMap<&str, &InstalledPackage> =
        run.before.iter().map(|p| (p.package.as_str(), p)).collect();
    let after: BTreeMap<&str, &InstalledPackage> =
        run.after.iter().map(|p| (p.package.as_str(), p)).collect();
    let output = format!("{}\n{}", run.stdout, run.stderr);
    let outcomes = run
        .targets
        .iter()
        .map(|t| {
            let was = before.get(t.package.as_str()).copied();
            let now = after.get(t.package.as_str()).copied();
            let at_target = |p: Option<&InstalledPackage>| {
                p.is_some_and(|p| p.version == t.version && p.is_installed())
            };
            let result = if at_target(now) && at_target(was) {
                OutcomeResult::AlreadyAtTarget
            } else if at_target(now) {
                OutcomeResult::Changed
            } else {
                OutcomeResult::Failed {
                    message: failure_message(run, t, now, &output),
                }
            };
            PackageOutcome {
                package: t.package.clone(),
                target_version: t.version.clone(),
                before: was.cloned(),
                after: now.cloned(),
                result,
            }
        })
        .collect();
    let also_changed = after
        .iter()
        .filter(|(name, _)| !run.targets.iter().any(|t| t.package == **name))
        .filter_map(|(name, now)| {
            let was = before.get(name);
            let same = was.is_some_and(|w| w.version == now.version && w.status == now.status);
            (!same).then(|| VersionChange {
                package: (*name).to_string(),
                from: was.map(|w| w.version.clone()),
                to: Some(now.version.clone()),
                status: now.status.clone(),
            })
        })
        .collect();
    ChangeReport {
        asset: run.asset.to_string(),
        kind: run.kind,
        exit_code: run.exit_code,
        outcomes,
        also_changed,
        duration: run.duration,
        output_tail: crate::command::tail(&output, 12),
    }
}

/// `ASSET: PACKAGE VERSION: REASON (apt-get exit N; dpkg state S V)`.
fn failure_message(
    run: &AptRun<'_>,
    target: &PackageTarget,
    now: Option<&InstalledPackage>,
    output: &str,
) -> String {
    let reason = reason_from_output(&target.package, output).unwrap_or_else(|| {
        if run.exit_code == Some(0) {
            format!("apt-get did not {} it", run.kind.as_str())
        } else {
            last_error_line(output).unwrap_or_else(|| "apt-get failed".to_string())
        }
    });
    let state = match now {
        Some(p) => format!("dpkg state {} {}", p.status, p.version),
        None => "not installed".to_string(),
    };
    let exit = match run.exit_code {
        Some(code) => format!("apt-get exit {code}"),
        None => "apt-get killed by a signal".to_string(),
    };
    format!(
        "{}: {} {}: {reason} ({exit}; {state})",
        run.asset, target.package, target.version
    )
}

/// The lines of apt/dpkg output that explain why `package` failed.
fn reason_from_output(package: &str, output: &str) -> Option<String> {
    let lines: Vec<&str> = output.lines().collect();
    let mut reasons = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let names_package = line
            .split(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | ':' | ','))
            .any(|w| w == package);
        if !names_package {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        if lower.contains("error processing package") {
            reasons.push(line.trim().to_string());
            if let Some(next) = lines.get(i + 1)
                && next.starts_with(' ')
            {
                reasons.push(next.trim().to_string());
            }
        } else if lower.contains("fail")
            || line.starts_with("E:")
            || lower.contains("not found")
            || lower.contains("skipping")
            || lower.contains("unable to locate")
        {
            reasons.push(line.trim().to_string());
        }
    }
    reasons.dedup();
    (!reasons.is_empty()).then(|| reasons.join(" / "))
}

fn last_error_line(output: &str) -> Option<String> {
    output
        .lines()
        .rev()
        .find(|l| l.starts_with("E:"))
        .map(|l| l.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(p: &str, v: &str, s: &str) -> InstalledPackage {
        InstalledPackage {
            package: p.into(),
            version: v.into(),
            status: s.into(),
        }
    }

    #[test]
    fn upgrade_and_roll_back_argv() {
        let t = [PackageTarget::new("libssl3", "3.0.22-1~deb12u2")];
        assert_eq!(
            apt_get_args(ChangeKind::Upgrade, &t),
            [
                "install",
                "-y",
                "-q",
                "--no-remove",
                "--only-upgrade",
                "libssl3=3.0.22-1~deb12u2"
            ]
        );
        assert!(apt_get_args(ChangeKind::RollBack, &t).contains(&"--allow-downgrades".to_string()));
    }

    #[test]
    fn option_like_targets_are_refused() {
        let err = validate_targets("h", &[PackageTarget::new("-oDir=/", "1")]).unwrap_err();
        assert!(err.to_string().contains("h: invalid package"), "{err}");
        assert!(validate_targets("h", &[PackageTarget::new("jq", "1 2")]).is_err());
        assert!(validate_targets("h", &[]).is_err());
    }

    #[test]
    fn a_failing_postinst_is_reported_with_asset_package_and_error() {
        let targets = [
            PackageTarget::new("openssl", "2"),
            PackageTarget::new("libssl3", "2"),
        ];
        let before = [
            pkg("openssl", "1", "ii"),
            pkg("libssl3", "1", "ii"),
            pkg("libssl-dev", "1", "ii"),
        ];
        let after = [
            pkg("openssl", "2", "iF"),
            pkg("libssl3", "2", "ii"),
            pkg("libssl-dev", "2", "ii"),
        ];
        let report = judge(&AptRun {
            asset: "lab-01",
            kind: ChangeKind::Upgrade,
            targets: &targets,
            before: &before,
            after: &after,
            exit_code: Some(100),
            stdout: "Setting up openssl (2) ...\n",
            stderr: "openssl: post-installation check failed\ndpkg: error processing package openssl (--configure):\n installed openssl package post-installation script subprocess returned error exit status 1\nE: Sub-process /usr/bin/dpkg returned an error code (1)\n",
            duration: Duration::from_millis(1),
        });
        assert!(!report.succeeded());
        assert_eq!(report.outcomes[1].result, OutcomeResult::Changed);
        let msg = report.failure_message().unwrap();
        assert!(msg.starts_with("lab-01: openssl 2: "), "{msg}");
        assert!(
            msg.contains("post-installation script subprocess returned error exit status 1"),
            "{msg}"
        );
        assert!(msg.contains("apt-get exit 100; dpkg state iF 2"), "{msg}");
        assert_eq!(report.also_changed.len(), 1);
        assert_eq!(report.also_changed[0].package, "libssl-dev");
    }
}
