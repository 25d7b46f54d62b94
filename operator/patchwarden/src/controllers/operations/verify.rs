//! Verify: re-inventory the asset, check every planned package is at its planned version
//! (which proves the vulnerabilities it fixes closed), then run the health checks (judged
//! against their baseline from before patching) and the post-patch hooks.

use std::collections::BTreeSet;

use patchwarden_api::patch_run::{PackageResult, PlannedPackage};
use patchwarden_core::rollout::{CheckRecord, judge};

use super::health::run_checks;
use super::hooks::{HookStage, run_hooks};
use super::{OperationDetails, OperationRequest};

/// A health check that kept failing after the upgrade.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{asset}: health check {name} failed after upgrading {upgraded}: {output}")]
pub struct HealthCheckFailed {
    /// The asset.
    pub asset: String,
    /// The check.
    pub name: String,
    /// The planned upgrades, `name version` separated by commas.
    pub upgraded: String,
    /// What the last attempt printed, or why it could not run.
    pub output: String,
}

/// Verifies the asset after an upgrade.
pub async fn verify(request: &OperationRequest) -> Result<OperationDetails, OperationDetails> {
    let asset = &request.asset_name;
    let inventory = request
        .executor
        .collect_inventory(&request.target)
        .await
        .map_err(|e| OperationDetails::failure(format!("{asset}: re-inventory failed: {e}")))?;
    let installed = patchwarden_core::inventory::dpkg::parse_status(&inventory.dpkg_status)
        .map_err(|e| {
            OperationDetails::failure(format!("{asset}: re-inventory: dpkg status: {e}"))
        })?;
    let version_of = |name: &str| {
        installed
            .packages
            .iter()
            .find(|p| &*p.name == name)
            .map(|p| p.version.to_string())
    };
    let (mut details, wrong) = compare_versions(&request.planned.packages, version_of);
    if !wrong.is_empty() {
        details.message = format!("{asset}: verification failed: {}", wrong.join("; "));
        return Err(details);
    }
    let health_note = match health_checks(request).await {
        Ok(note) => note,
        Err(failed) => {
            details.message = failed.to_string();
            return Err(details);
        }
    };
    if let Err(failed) = run_hooks(request, HookStage::PostPatch).await {
        details.message = failed.to_string();
        return Err(details);
    }
    details.message = format!(
        "{asset}: {} packages verified, {} vulnerabilities closed",
        details.packages.len(),
        details.cves_closed.len()
    );
    if !health_note.is_empty() {
        details.message = format!("{}; {health_note}", details.message);
    }
    Ok(details)
}

/// The installed version of each planned package, the vulnerabilities closed (the package
/// is at its planned version) and still open, and one line per package that is not.
fn compare_versions(
    planned: &[PlannedPackage],
    version_of: impl Fn(&str) -> Option<String>,
) -> (OperationDetails, Vec<String>) {
    let mut packages = Vec::new();
    let mut closed = BTreeSet::new();
    let mut remaining = BTreeSet::new();
    let mut wrong = Vec::new();
    for package in planned {
        let now = version_of(&package.name);
        if now.as_deref() == Some(package.to.as_str()) {
            closed.extend(package.fixes.iter().cloned());
        } else {
            remaining.extend(package.fixes.iter().cloned());
            wrong.push(format!(
                "{} is at {} (expected {})",
                package.name,
                now.as_deref().unwrap_or("not installed"),
                package.to
            ));
        }
        packages.push(PackageResult {
            name: package.name.clone(),
            before: Some(package.from.clone()),
            after: now,
        });
    }
    let details = OperationDetails {
        packages,
        cves_closed: closed.into_iter().collect(),
        cves_remaining: remaining.into_iter().collect(),
        ..OperationDetails::default()
    };
    (details, wrong)
}

/// Runs each health check and judges it against its baseline: a check that passed before
/// patching (or has no baseline) and fails now fails the verification; one that already
/// failed before is reported and not counted. Returns that report, empty when there is none.
async fn health_checks(request: &OperationRequest) -> Result<String, HealthCheckFailed> {
    let records: Vec<CheckRecord> = run_checks(request)
        .await
        .into_iter()
        .map(|(name, after)| CheckRecord {
            baseline: request
                .baseline
                .iter()
                .find(|(before, _)| *before == name)
                .map(|(_, outcome)| outcome.clone()),
            name,
            after,
        })
        .collect();
    let verdict = judge(&records);
    let first_failing = verdict.broken.first().or(verdict.unreachable.first());
    let upgraded = || {
        let upgraded: Vec<String> = request
            .planned
            .packages
            .iter()
            .map(|p| format!("{} {}", p.name, p.to))
            .collect();
        upgraded.join(", ")
    };
    if let Some((name, _)) = first_failing {
        return Err(HealthCheckFailed {
            asset: request.asset_name.clone(),
            name: name.clone(),
            upgraded: upgraded(),
            output: verdict.to_string(),
        });
    }
    // Behavioural checks: a measured value that moved beyond its bound fails like a check.
    let measured = super::measure::measure(request).await;
    if let Some((name, why)) = super::measure::first_failure(&request.health_checks, &measured) {
        return Err(HealthCheckFailed {
            asset: request.asset_name.clone(),
            name,
            upgraded: upgraded(),
            output: why,
        });
    }
    Ok(verdict.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_at_their_planned_version_close_their_vulnerabilities() {
        let package = |name: &str, fixes: &str| PlannedPackage {
            name: name.into(),
            from: "1.0".into(),
            to: "1.1".into(),
            fixes: vec![fixes.into()],
            findings: Vec::new(),
        };
        let planned = [package("openssl", "CVE-1"), package("jq", "CVE-2")];
        let (details, wrong) = compare_versions(&planned, |name| {
            (name == "openssl").then(|| String::from("1.1"))
        });
        assert_eq!(details.cves_closed, ["CVE-1"]);
        assert_eq!(details.cves_remaining, ["CVE-2"]);
        assert_eq!(wrong, ["jq is at not installed (expected 1.1)"]);
        assert_eq!(details.packages[0].after.as_deref(), Some("1.1"));
    }
}
