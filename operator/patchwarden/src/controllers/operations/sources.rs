//! Where a patch's versions came from: after an upgrade, the asset's package sources are read
//! for the planned packages, and each package now installed at a version some repository
//! offers is recorded under that repository, with the suite and the release date of the
//! asset's package lists.

use std::collections::BTreeMap;

use patchwarden_api::patch_run::{InstalledSource, PackageResult};
use patchwarden_executor::HostSources;

use super::OperationRequest;

/// Reads the asset's sources for the packages the upgrade installed; nothing (and a warning)
/// when they cannot be read — the upgrade itself is judged without them.
pub async fn installed_from(
    request: &OperationRequest,
    packages: &[PackageResult],
) -> Vec<InstalledSource> {
    let names: Vec<String> = packages.iter().map(|p| p.name.clone()).collect();
    if names.is_empty() {
        return Vec::new();
    }
    match request
        .executor
        .package_sources(&request.target, &names)
        .await
    {
        Ok(sources) => group_by_repository(&sources, packages),
        Err(error) => {
            tracing::warn!(asset = %request.asset_name, %error, "cannot read where the installed versions came from");
            Vec::new()
        }
    }
}

/// The repositories of the installed versions: a package counts when its version after the
/// upgrade is what its sources offer, under the repository of that offer.
pub fn group_by_repository(
    sources: &HostSources,
    packages: &[PackageResult],
) -> Vec<InstalledSource> {
    let mut by_origin: BTreeMap<(String, String, Option<String>), InstalledSource> =
        BTreeMap::new();
    for result in packages {
        let Some(after) = result.after.as_deref() else {
            continue;
        };
        let Some(source) = sources.package(&result.name) else {
            continue;
        };
        let Some(origin) = source
            .origin
            .as_ref()
            .filter(|_| source.candidate.as_deref() == Some(after))
        else {
            continue;
        };
        let key = (
            origin.uri.clone(),
            origin.dist.clone(),
            origin.component.clone(),
        );
        let entry = by_origin.entry(key).or_insert_with(|| {
            let repository = sources.repository(origin);
            InstalledSource {
                uri: origin.uri.clone(),
                suite: repository
                    .and_then(|r| r.suite.clone())
                    .or_else(|| Some(origin.dist.clone()).filter(|d| !d.ends_with('/'))),
                component: origin.component.clone(),
                release_date: repository.and_then(|r| r.date.clone()),
                signed: repository.is_some_and(|r| r.signed),
                packages: Vec::new(),
            }
        });
        entry.packages.push(result.name.clone());
    }
    by_origin.into_values().collect()
}

#[cfg(test)]
mod tests {
    use patchwarden_executor::{PackageOrigin, PackageSource, RepositoryRelease};

    use super::*;

    fn source(package: &str, candidate: &str, dist: &str) -> PackageSource {
        PackageSource {
            package: package.into(),
            installed: Some(candidate.into()),
            candidate: Some(candidate.into()),
            origin: Some(PackageOrigin {
                uri: "http://deb.debian.org/debian-security".into(),
                dist: dist.into(),
                component: Some("main".into()),
            }),
        }
    }

    fn result(name: &str, after: Option<&str>) -> PackageResult {
        PackageResult {
            name: name.into(),
            before: Some("1".into()),
            after: after.map(String::from),
        }
    }

    #[test]
    fn installed_versions_are_grouped_under_their_repository_with_its_date() {
        let sources = HostSources {
            asset: "h".into(),
            packages: vec![
                source("libssl3", "3.0.17-1~deb12u2", "bookworm-security"),
                source("openssl", "3.0.17-1~deb12u2", "bookworm-security"),
                source("jq", "1.6-2.1+deb12u3", "bookworm-security"),
            ],
            repositories: vec![RepositoryRelease {
                uri: "http://deb.debian.org/debian-security".into(),
                dist: "bookworm-security".into(),
                suite: Some("stable-security".into()),
                codename: Some("bookworm-security".into()),
                date: Some("Sat, 05 Dec 2026 18:02:11 UTC".into()),
                signed: true,
            }],
        };
        let packages = [
            result("libssl3", Some("3.0.17-1~deb12u2")),
            result("openssl", Some("3.0.17-1~deb12u2")),
            // Not at the offered version (failed, or a newer upload since): not recorded.
            result("jq", Some("1.6-2.1+deb12u1")),
            result("curl", None),
        ];
        let recorded = group_by_repository(&sources, &packages);
        assert_eq!(
            recorded,
            [InstalledSource {
                uri: "http://deb.debian.org/debian-security".into(),
                suite: Some("stable-security".into()),
                component: Some("main".into()),
                release_date: Some("Sat, 05 Dec 2026 18:02:11 UTC".into()),
                signed: true,
                packages: vec!["libssl3".into(), "openssl".into()],
            }]
        );
    }

    #[test]
    fn without_a_release_file_the_suite_comes_from_the_source_line() {
        let sources = HostSources {
            asset: "h".into(),
            packages: vec![source("jq", "2", "bookworm-security")],
            repositories: Vec::new(),
        };
        let recorded = group_by_repository(&sources, &[result("jq", Some("2"))]);
        assert_eq!(recorded[0].suite.as_deref(), Some("bookworm-security"));
        assert_eq!(recorded[0].release_date, None);
        assert!(!recorded[0].signed);
    }
}
