//! RPM inventories: `rpm -qa` output and container-catalog rpm-manifest JSON.
//!
//! Query output is one package a line, either plain `rpm -qa` NEVRA
//! (`bash-5.1.8-4.el9.x86_64`) or whitespace-separated fields from
//! `rpm -qa --queryformat '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM}\n'`
//! (`ARCH` and `SOURCERPM` optional; an epoch of `(none)` means none).

use std::sync::Arc;

use serde::Deserialize;

use super::{InstalledPackage, Inventory, InventoryError, checked_version};
use crate::version::VersionScheme;

/// The query format whose output [`parse_query_output`] reads best.
pub const QUERY_FORMAT: &str = "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM}\\n";

/// Reads `rpm -qa` output (see the module documentation for the accepted line shapes).
pub fn parse_query_output(text: &str) -> Result<Inventory, InventoryError> {
    let mut packages = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let record = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let package = if fields.len() == 1 {
            parse_nevra(record, fields[0])?
        } else {
            let name = fields[0];
            let evr = fields[1].strip_prefix("(none):").unwrap_or(fields[1]);
            if !evr.contains('-') {
                return Err(InventoryError::new(
                    record,
                    Some(name),
                    "EVR",
                    format!("expected version-release, found {evr:?}"),
                ));
            }
            let version = checked_version(VersionScheme::Rpm, record, name, "EVR", evr)?;
            let source = match fields.get(3) {
                Some(srpm) if *srpm != "(none)" => Some(source_name_of_srpm(record, name, srpm)?),
                _ => None,
            };
            InstalledPackage {
                name: Arc::from(name),
                version,
                source: source.filter(|s| s != name).map(Arc::from),
                source_version: None,
                arch: fields.get(2).map(|a| Arc::from(*a)),
            }
        };
        packages.push(Arc::new(package));
    }
    Ok(Inventory { packages })
}

/// `name-version-release.arch`: name and version may contain `-`, release and arch may not.
fn parse_nevra(record: usize, nevra: &str) -> Result<InstalledPackage, InventoryError> {
    let bad =
        |reason: &str| InventoryError::new(record, None, "NEVRA", format!("{reason}: {nevra:?}"));
    let (nvr, arch) = nevra
        .rsplit_once('.')
        .ok_or_else(|| bad("no architecture"))?;
    let (nv, release) = nvr.rsplit_once('-').ok_or_else(|| bad("no release"))?;
    let (name, version) = nv.rsplit_once('-').ok_or_else(|| bad("no version"))?;
    if name.is_empty() {
        return Err(bad("empty name"));
    }
    let evr = format!("{version}-{release}");
    Ok(InstalledPackage {
        name: Arc::from(name),
        version: checked_version(VersionScheme::Rpm, record, name, "NEVRA", &evr)?,
        source: None,
        source_version: None,
        arch: Some(Arc::from(arch)),
    })
}

/// `gcc-11.2.1-9.4.el9.src.rpm` → `gcc`.
fn source_name_of_srpm(record: usize, name: &str, srpm: &str) -> Result<String, InventoryError> {
    let stem = srpm.strip_suffix(".rpm").unwrap_or(srpm);
    let stem = stem
        .strip_suffix(".src")
        .or_else(|| stem.strip_suffix(".nosrc"))
        .unwrap_or(stem);
    stem.rsplitn(3, '-')
        .nth(2)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            InventoryError::new(
                record,
                Some(name),
                "SOURCERPM",
                format!("not a source rpm file name: {srpm:?}"),
            )
        })
}

#[derive(Deserialize)]
struct Manifest {
    rpms: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct ManifestRpm {
    name: String,
    version: String,
    release: String,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    srpm_name: Option<String>,
    #[serde(default)]
    srpm_nevra: Option<String>,
}

/// Reads a container-catalog rpm-manifest (`{"rpms":[{"name","version","release",…}]}`).
/// The binary epoch is not recorded there; it is taken from `srpm_nevra`
/// (`tar-2:1.34-3.el9.src`), which carries the source epoch, the same in practice.
pub fn parse_manifest(text: &str) -> Result<Inventory, InventoryError> {
    let manifest: Manifest = serde_json::from_str(text).map_err(|e| {
        InventoryError::new(
            0,
            None,
            "rpms",
            format!("not an rpm-manifest document: {e}"),
        )
    })?;
    let mut packages = Vec::with_capacity(manifest.rpms.len());
    for (index, value) in manifest.rpms.into_iter().enumerate() {
        let record = index + 1;
        let name_hint = value
            .get("name")
            .and_then(|n| n.as_str())
            .map(str::to_string);
        let rpm: ManifestRpm = serde_json::from_value(value).map_err(|e| {
            InventoryError::new(record, name_hint.as_deref(), "rpms[]", e.to_string())
        })?;
        let epoch = rpm
            .srpm_nevra
            .as_deref()
            .and_then(|nevra| nevra.rsplit_once(':'))
            .and_then(|(head, _)| head.rsplit_once('-'))
            .map(|(_, epoch)| epoch)
            .filter(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) && *e != "0");
        let evr = match epoch {
            Some(epoch) => format!("{epoch}:{}-{}", rpm.version, rpm.release),
            None => format!("{}-{}", rpm.version, rpm.release),
        };
        if rpm.version.is_empty() || rpm.release.is_empty() {
            return Err(InventoryError::new(
                record,
                Some(&rpm.name),
                "version",
                "empty version or release",
            ));
        }
        let version = checked_version(VersionScheme::Rpm, record, &rpm.name, "version", &evr)?;
        packages.push(Arc::new(InstalledPackage {
            source: rpm.srpm_name.filter(|s| *s != rpm.name).map(Arc::from),
            name: Arc::from(rpm.name),
            version,
            source_version: None,
            arch: rpm.architecture.map(Arc::from),
        }));
    }
    Ok(Inventory { packages })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_query_lines_and_nevra() {
        let text = "tar 2:1.34-3.el9 x86_64 tar-1.34-3.el9.src.rpm\nopenssl-libs (none):3.0.1-20.el9_0 x86_64 openssl-3.0.1-20.el9_0.src.rpm\nbash-5.1.8-4.el9.x86_64\n";
        let inventory = parse_query_output(text).expect("parses");
        let names: Vec<(&str, &str, &str)> = inventory
            .packages
            .iter()
            .map(|p| (&*p.name, &*p.version, p.source_name()))
            .collect();
        assert_eq!(
            names,
            [
                ("tar", "2:1.34-3.el9", "tar"),
                ("openssl-libs", "3.0.1-20.el9_0", "openssl"),
                ("bash", "5.1.8-4.el9", "bash")
            ]
        );
    }

    #[test]
    fn manifest_takes_the_epoch_from_the_source_nevra() {
        let text = r#"{"rpms":[{"name":"tar","version":"1.34","release":"3.el9","architecture":"x86_64","srpm_name":"tar","srpm_nevra":"tar-2:1.34-3.el9.src"}]}"#;
        let inventory = parse_manifest(text).expect("parses");
        assert_eq!(&*inventory.packages[0].version, "2:1.34-3.el9");
        let bad = r#"{"rpms":[{"name":"tar","version":1}]}"#;
        let error = parse_manifest(bad).expect_err("wrong type");
        assert_eq!(error.record, 1);
        assert_eq!(error.package.as_deref(), Some("tar"));
    }
}
