//! Alpine secdb (`secdb.alpinelinux.org/vX.Y/main.json`, or the older YAML with the same
//! structure): per origin package, `secfixes` maps a fixed version to the ids it fixes.
//! Each (package, fixed version) becomes one advisory in `Alpine:vX.Y`; CVE ids are
//! extracted from the messy id strings and the rest kept as other ids. A version `0`
//! means "never affected" and is skipped.

use serde_yaml::Value;

use super::FeedError;
use crate::advisory::{
    Advisory, AdvisorySeverity, AffectedPackage, PackageNameKind, VersionRange, extract_cve,
};
use crate::ecosystem::Ecosystem;
use crate::version::VersionScheme;

/// Parses one secdb document (JSON or YAML). Records are numbered by package entry.
pub fn parse_secdb(text: &str) -> Result<Vec<Advisory>, FeedError> {
    let document: Value = serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line()).unwrap_or(0);
        FeedError::new(line, None, "document", e.to_string())
    })?;
    let release = scalar(document.get("distroversion"))
        .ok_or_else(|| FeedError::new(0, None, "distroversion", "missing"))?;
    let ecosystem = Ecosystem::new(format!(
        "Alpine:{}",
        if release.starts_with('v') {
            release.clone()
        } else {
            format!("v{release}")
        }
    ));
    let packages = document
        .get("packages")
        .and_then(Value::as_sequence)
        .ok_or_else(|| FeedError::new(0, None, "packages", "missing or not a list"))?;
    let mut advisories = Vec::new();
    for (index, entry) in packages.iter().enumerate() {
        advisories.extend(package_advisories(entry, index + 1, &release, &ecosystem)?);
    }
    Ok(advisories)
}

/// One advisory per fixed version in a package entry's `secfixes` (none without them).
fn package_advisories(
    entry: &Value,
    record: usize,
    release: &str,
    ecosystem: &Ecosystem,
) -> Result<Vec<Advisory>, FeedError> {
    let pkg = entry.get("pkg").unwrap_or(entry);
    let name = scalar(pkg.get("name"))
        .ok_or_else(|| FeedError::new(record, None, "pkg.name", "missing"))?;
    let Some(secfixes) = pkg.get("secfixes") else {
        return Ok(Vec::new());
    };
    let secfixes = secfixes
        .as_mapping()
        .ok_or_else(|| FeedError::new(record, Some(&name), "pkg.secfixes", "not a mapping"))?;
    let mut advisories = Vec::new();
    for (version, ids) in secfixes {
        let version = scalar(Some(version)).ok_or_else(|| {
            FeedError::new(
                record,
                Some(&name),
                "pkg.secfixes",
                "version key is not a scalar",
            )
        })?;
        if version == "0" {
            continue;
        }
        VersionScheme::Apk.validate(&version).map_err(|e| {
            FeedError::new(
                record,
                Some(&name),
                format!("pkg.secfixes.{version}"),
                e.to_string(),
            )
        })?;
        let (cve_ids, other_ids) = split_ids(ids);
        advisories.push(Advisory {
            id: format!("ALPINE-{release}-{name}-{version}"),
            cve_ids,
            other_ids,
            summary: None,
            published: None,
            severity: AdvisorySeverity::default(),
            affected: vec![AffectedPackage {
                ecosystem: ecosystem.clone(),
                package: name.clone(),
                name_kind: PackageNameKind::Source,
                binaries: Vec::new(),
                ranges: vec![VersionRange::fixed_in(version)],
                versions: Vec::new(),
                severity: None,
            }],
        });
    }
    Ok(advisories)
}

/// The ids a fix lists, as (CVE ids, once each; the other ids as written).
fn split_ids(ids: &Value) -> (Vec<String>, Vec<String>) {
    let ids: Vec<String> = match ids {
        Value::Sequence(list) => list.iter().filter_map(|v| scalar(Some(v))).collect(),
        Value::Null => Vec::new(),
        other => vec![scalar(Some(other)).unwrap_or_default()],
    };
    let mut cve_ids = Vec::new();
    let mut other_ids = Vec::new();
    for id in ids {
        match extract_cve(&id) {
            Some(cve) if !cve_ids.contains(&cve) => cve_ids.push(cve),
            Some(_) => {}
            None => other_ids.push(id.trim().to_string()),
        }
    }
    (cve_ids, other_ids)
}

/// A YAML scalar as a string (numbers included: `1.10` must stay `1.10`, which serde_yaml
/// keeps as the original text only for strings, so numbers are re-rendered).
fn scalar(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_yaml_and_json_secfixes() {
        let yaml = "distroversion: v3.11\npackages:\n  - pkg:\n      name: ansible\n      secfixes:\n        2.9.3-r0:\n          - CVE-2019-14904\n          - CVE-2019-14905 XSA-1\n        0:\n          - CVE-2000-0001\n";
        let advisories = parse_secdb(yaml).expect("yaml");
        assert_eq!(advisories.len(), 1);
        assert_eq!(advisories[0].cve_ids, ["CVE-2019-14904", "CVE-2019-14905"]);
        assert_eq!(advisories[0].affected[0].ecosystem.as_str(), "Alpine:v3.11");
        let json = r#"{"distroversion":"v3.18","packages":[{"pkg":{"name":"busybox","secfixes":{"1.36.1-r1":["CVE-2022-48174"]}}}]}"#;
        assert_eq!(
            parse_secdb(json).expect("json")[0].id,
            "ALPINE-v3.18-busybox-1.36.1-r1"
        );
        let bad = r#"{"distroversion":"v3.18","packages":[{"pkg":{"name":"x","secfixes":{"1.0 2":[]}}}]}"#;
        assert_eq!(parse_secdb(bad).expect_err("bad version").record, 1);
    }
}
