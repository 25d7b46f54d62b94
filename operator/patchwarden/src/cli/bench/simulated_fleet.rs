//! The simulated fleet of `patchwarden bench fleet`: an [`Executor`] that answers for the
//! bench's `agent` assets from prepared data and refuses every change. Asset `fleet-<i>` has
//! the real Debian 12 host's dpkg database in which each package with a pending security
//! update keeps its real installed version or, with probability `variation` (seeded by `i`,
//! so every run and every process sees the same fleet), has the real fixed version. Its
//! package sources offer each of those fixed versions from bookworm-security.
//!
//! The database is reduced to the fields the assessment reads (Package, Status, Architecture,
//! Version, Source): 10,000 copies of the full 650 kB file would measure text generation.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;
use patchwarden_executor::{
    AssetRef, ChangeReport, ExecError, ExecFuture, Executor, HealthCheck, HealthReport,
    HostSources, Inventory, PackageOrigin, PackageSource, PackageTarget, RebootReport,
    RebootRequest,
};
use patchwarden_lab::LabDelta;

use super::split_mix::SplitMix;

/// The real host's dpkg database, relative to the data folder.
pub(super) const DPKG_STATUS: &str = "inventories/debian12-host-dpkg-status-2026-11-28.gz";
/// The real host's `/etc/os-release`.
pub(super) const OS_RELEASE: &str = "inventories/debian12-host-os-release";
/// What apt offered the real host on the same day.
pub(super) const SECURITY_DELTA: &str = "debian/debian12-host-security-delta-2026-11-28.json.gz";
/// The prefix of the bench's asset names; the rest is the asset's index.
pub(super) const ASSET_PREFIX: &str = "fleet-";

/// One installed package of the base database, reduced to what the assessment reads.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BasePackage {
    package: String,
    architecture: String,
    version: String,
    source: Option<String>,
}

/// The fleet's data and how assets vary.
#[derive(Debug)]
pub(super) struct SimulatedFleet {
    os_release: String,
    packages: Vec<BasePackage>,
    /// Index into `packages` → the real fixed version apt offered.
    fixes: Vec<(usize, String)>,
    variation: f64,
}

impl SimulatedFleet {
    /// Reads the real host's data from `data_dir`.
    pub(super) fn load(data_dir: &Path, variation: f64) -> anyhow::Result<Self> {
        let status = read_gzip(&data_dir.join(DPKG_STATUS))?;
        let os_path = data_dir.join(OS_RELEASE);
        let os_release = std::fs::read_to_string(&os_path)
            .with_context(|| format!("reading {}", os_path.display()))?;
        let delta = LabDelta::load_with_status(
            &data_dir.join(SECURITY_DELTA),
            Some(&data_dir.join(DPKG_STATUS)),
        )
        .with_context(|| format!("reading {SECURITY_DELTA}"))?;
        Ok(Self::from_parts(&status, os_release, &delta, variation))
    }

    fn from_parts(status: &str, os_release: String, delta: &LabDelta, variation: f64) -> Self {
        let packages = reduce_status(status);
        let candidates: BTreeMap<&str, &str> = delta
            .binaries()
            .map(|(_, binary)| (binary.package.as_str(), binary.candidate_version.as_str()))
            .collect();
        let fixes = packages
            .iter()
            .enumerate()
            .filter_map(|(index, p)| {
                let candidate = candidates.get(p.package.as_str())?;
                (*candidate != p.version).then(|| (index, candidate.to_string()))
            })
            .collect();
        Self {
            os_release,
            packages,
            fixes,
            variation,
        }
    }

    /// The dpkg database of asset `index`.
    pub(super) fn dpkg_status(&self, index: u64) -> String {
        let mut versions: Vec<&str> = self.packages.iter().map(|p| p.version.as_str()).collect();
        let mut rng = SplitMix(index ^ 0x00f1_ee75);
        for (package, fixed) in &self.fixes {
            if rng.chance(self.variation) {
                versions[*package] = fixed;
            }
        }
        let mut out = String::with_capacity(self.packages.len() * 120);
        for (p, version) in self.packages.iter().zip(versions) {
            out.push_str("Package: ");
            out.push_str(&p.package);
            out.push_str("\nStatus: install ok installed\nArchitecture: ");
            out.push_str(&p.architecture);
            out.push_str("\nVersion: ");
            out.push_str(version);
            if let Some(source) = &p.source {
                out.push_str("\nSource: ");
                out.push_str(source);
            }
            out.push_str("\n\n");
        }
        out
    }

    fn sources(&self, asset: &str, packages: &[String]) -> HostSources {
        let offered: BTreeMap<&str, &str> = self
            .fixes
            .iter()
            .map(|(index, fixed)| (self.packages[*index].package.as_str(), fixed.as_str()))
            .collect();
        let origin = PackageOrigin {
            uri: String::from("http://deb.debian.org/debian-security"),
            dist: String::from("bookworm-security"),
            component: Some(String::from("main")),
        };
        HostSources {
            asset: asset.to_string(),
            packages: packages
                .iter()
                .map(|package| PackageSource {
                    package: package.clone(),
                    installed: None,
                    candidate: offered.get(package.as_str()).map(|v| v.to_string()),
                    origin: offered.get(package.as_str()).map(|_| origin.clone()),
                })
                .collect(),
            repositories: Vec::new(),
        }
    }
}

/// The index in an asset name `fleet-<index>`.
fn asset_index(asset: &AssetRef) -> Result<u64, ExecError> {
    asset
        .name
        .strip_prefix(ASSET_PREFIX)
        .and_then(|rest| rest.parse().ok())
        .ok_or_else(|| ExecError::UnknownAsset {
            asset: asset.name.clone(),
            executor: "simulated",
        })
}

/// The error of every change: the simulated fleet is read-only.
fn refused(asset: &AssetRef, what: &str) -> ExecError {
    ExecError::InvalidRequest {
        asset: asset.name.clone(),
        field: what.to_string(),
        reason: String::from("the simulated bench fleet is read-only"),
    }
}

impl Executor for SimulatedFleet {
    fn kind(&self) -> &'static str {
        "simulated"
    }

    fn check_reachable<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, ()> {
        Box::pin(async move { asset_index(asset).map(|_| ()) })
    }

    fn collect_inventory<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, Inventory> {
        Box::pin(async move {
            let index = asset_index(asset)?;
            let status = self.dpkg_status(index);
            let mut inventory =
                Inventory::from_parts(&asset.name, self.os_release.clone(), status, false, "");
            inventory.architecture = Some(String::from("amd64"));
            Ok(inventory)
        })
    }

    fn upgrade<'a>(
        &'a self,
        asset: &'a AssetRef,
        _: &'a [PackageTarget],
    ) -> ExecFuture<'a, ChangeReport> {
        Box::pin(async move { Err(refused(asset, "upgrade")) })
    }

    fn roll_back<'a>(
        &'a self,
        asset: &'a AssetRef,
        _: &'a [PackageTarget],
    ) -> ExecFuture<'a, ChangeReport> {
        Box::pin(async move { Err(refused(asset, "roll back")) })
    }

    fn boot_id<'a>(&'a self, asset: &'a AssetRef) -> ExecFuture<'a, String> {
        Box::pin(async move { asset_index(asset).map(|index| format!("simulated-boot-{index}")) })
    }

    fn reboot<'a>(
        &'a self,
        asset: &'a AssetRef,
        _: &'a RebootRequest,
    ) -> ExecFuture<'a, RebootReport> {
        Box::pin(async move { Err(refused(asset, "reboot")) })
    }

    fn package_sources<'a>(
        &'a self,
        asset: &'a AssetRef,
        packages: &'a [String],
    ) -> ExecFuture<'a, HostSources> {
        Box::pin(async move {
            asset_index(asset)?;
            Ok(self.sources(&asset.name, packages))
        })
    }

    fn health_check<'a>(
        &'a self,
        asset: &'a AssetRef,
        _: &'a HealthCheck,
    ) -> ExecFuture<'a, HealthReport> {
        Box::pin(async move { Err(refused(asset, "health check")) })
    }
}

/// The installed packages of a dpkg database, each reduced to the fields the assessment reads.
fn reduce_status(status: &str) -> Vec<BasePackage> {
    status
        .split("\n\n")
        .filter_map(|paragraph| {
            let field = |name: &str| {
                paragraph.lines().find_map(|line| {
                    line.strip_prefix(name)
                        .and_then(|rest| rest.strip_prefix(": "))
                        .map(str::to_string)
                })
            };
            let installed = field("Status").is_some_and(|s| s.ends_with(" installed"));
            installed.then_some(())?;
            Some(BasePackage {
                package: field("Package")?,
                architecture: field("Architecture").unwrap_or_else(|| String::from("amd64")),
                version: field("Version")?,
                source: field("Source"),
            })
        })
        .collect()
}

/// The text of a gzip file.
pub(super) fn read_gzip(path: &Path) -> anyhow::Result<String> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Package: libexpat1\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nSource: expat\nVersion: 2.5.0-1+deb12u1\nDescription: XML\n long text\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\nPackage: jq\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.6-2.1\n";

    fn delta() -> LabDelta {
        serde_json::from_value(serde_json::json!({
            "origin": "test",
            "sources": [{
                "source": "expat", "installed_version": "2.5.0-1+deb12u1",
                "candidate_version": "2.5.0-1+deb12u5",
                "binaries": [{"package": "libexpat1", "architecture": "amd64",
                    "installed_version": "2.5.0-1+deb12u1", "candidate_version": "2.5.0-1+deb12u5"}],
                "changelog_entries": [], "cves": []
            }]
        }))
        .expect("delta")
    }

    #[test]
    fn the_database_keeps_installed_packages_and_the_fields_the_assessment_reads() {
        let fleet = SimulatedFleet::from_parts(STATUS, String::new(), &delta(), 0.0);
        let status = fleet.dpkg_status(7);
        assert_eq!(
            status,
            "Package: libexpat1\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.5.0-1+deb12u1\nSource: expat\n\nPackage: jq\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.6-2.1\n\n"
        );
        let parsed = patchwarden_core::inventory::dpkg::parse_status(&status).expect("parses");
        assert_eq!(parsed.len(), 2);
    }

    #[test]
    fn variation_takes_the_real_fixed_version_the_same_way_for_the_same_asset() {
        let always = SimulatedFleet::from_parts(STATUS, String::new(), &delta(), 1.0);
        assert_eq!(always.fixes.len(), 1);
        assert!(always.dpkg_status(3).contains("Version: 2.5.0-1+deb12u5"));
        let half = SimulatedFleet::from_parts(STATUS, String::new(), &delta(), 0.5);
        let varied = (0..200)
            .filter(|i| half.dpkg_status(*i).contains("deb12u5"))
            .count();
        assert!((60..140).contains(&varied), "{varied} of 200 varied");
        assert_eq!(half.dpkg_status(11), half.dpkg_status(11));
    }

    #[tokio::test]
    async fn changes_are_refused_and_unknown_names_are_not_assets() {
        let fleet = SimulatedFleet::from_parts(STATUS, String::new(), &delta(), 0.0);
        let asset = AssetRef::named("fleet-00001");
        let refused = fleet.upgrade(&asset, &[]).await;
        assert!(matches!(refused, Err(ExecError::InvalidRequest { .. })));
        let unknown = fleet.collect_inventory(&AssetRef::named("web-1")).await;
        assert!(matches!(unknown, Err(ExecError::UnknownAsset { .. })));
        let sources = fleet
            .package_sources(&asset, &[String::from("libexpat1"), String::from("jq")])
            .await
            .expect("sources");
        assert_eq!(
            sources.packages[0].candidate.as_deref(),
            Some("2.5.0-1+deb12u5")
        );
        assert_eq!(sources.packages[1].candidate, None);
    }
}
