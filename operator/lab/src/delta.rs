//! The security delta the lab mirrors: real Debian 12 source packages with their installed and
//! candidate versions, binaries and the CVE ids named in the changelog entries between them.
//!
//! Two inputs are accepted: the full host delta (`debian12-host-security-delta-*.json.gz`, a JSON
//! array, optionally gzip-compressed) and the reduced lab delta written by [`LabDelta::to_json`]
//! (a JSON object with `sources`). The reduced file shipped with the quickstart is embedded so a
//! lab can be built offline.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::LabError;
use crate::names::{validate_package_name, validate_version};

/// The reduced delta shipped with the quickstart.
const EMBEDDED_DELTA: &str =
    include_str!("../../../examples/quickstart-data/debian12-security-delta.json");

/// Name under which the embedded delta appears in errors and manifests.
pub const EMBEDDED_DELTA_NAME: &str = "examples/quickstart-data/debian12-security-delta.json";

/// Source packages a lab uses when none are chosen: small, quick to build, no kernel.
pub const DEFAULT_SOURCES: &[&str] = &[
    "expat", "jq", "krb5", "libssh2", "openssl", "tzdata", "xz-utils",
];

/// A set of source packages with pending security updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabDelta {
    /// Where the data comes from (file names of the real inputs).
    pub origin: String,
    /// Source packages, sorted by name.
    pub sources: Vec<DeltaSource>,
}

/// One source package: what is installed, what fixes it, and which CVEs the fix names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeltaSource {
    pub source: String,
    pub installed_version: String,
    pub candidate_version: String,
    #[serde(default)]
    pub candidate_suite: String,
    pub binaries: Vec<DeltaBinary>,
    pub changelog_entries: Vec<ChangelogEntry>,
    /// Union of the CVE ids of all entries, sorted.
    pub cves: Vec<String>,
}

/// One binary package built from a source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeltaBinary {
    pub package: String,
    /// `amd64` or `all`.
    pub architecture: String,
    pub installed_version: String,
    pub candidate_version: String,
    /// The source version of the installed binary when it differs from the binary version
    /// (binNMUs: binary `1.10.0-3+b1` built from source `1.10.0-3`), as `Source: name (version)`
    /// in the dpkg status says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_source_version: Option<String>,
}

/// One `changelog.Debian` entry with installed < version <= candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangelogEntry {
    pub version: String,
    #[serde(default)]
    pub distribution: String,
    #[serde(default)]
    pub urgency: String,
    /// RFC 2822 date as written in the changelog.
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub lines: Vec<String>,
    #[serde(default)]
    pub cves: Vec<String>,
}

impl ChangelogEntry {
    /// The entry's lines grouped by bullet (`*`, `-` or `+` item with its continuation lines).
    pub fn bullet_lines(&self) -> Vec<Vec<String>> {
        let mut bullets: Vec<Vec<String>> = Vec::new();
        for line in &self.lines {
            let trimmed = line.trim_start();
            let starts_item = trimmed.starts_with("* ")
                || trimmed.starts_with("- ")
                || trimmed.starts_with("+ ")
                || trimmed.starts_with('[');
            match bullets.last_mut() {
                Some(current) if !starts_item && !trimmed.is_empty() => {
                    current.push(line.clone());
                }
                _ if trimmed.is_empty() => {}
                _ => bullets.push(vec![line.clone()]),
            }
        }
        bullets
    }

    /// Each bullet as one line of text, without the bullet mark.
    pub fn bullets(&self) -> Vec<String> {
        self.bullet_lines()
            .iter()
            .map(|lines| {
                let text: Vec<&str> = lines.iter().map(|l| l.trim()).collect();
                let joined = text.join(" ");
                joined
                    .strip_prefix("* ")
                    .or_else(|| joined.strip_prefix("- "))
                    .or_else(|| joined.strip_prefix("+ "))
                    .unwrap_or(&joined)
                    .to_string()
            })
            .collect()
    }
}

/// The full host delta as published under `data/debian/`.
#[derive(Debug, Deserialize)]
struct FullDeltaRecord {
    source: String,
    binaries_upgradable: Vec<String>,
    installed_version: String,
    candidate_version: String,
    #[serde(default)]
    candidate_suite: String,
    #[serde(default)]
    changelog_entries: Vec<ChangelogEntry>,
    #[serde(default)]
    cves: Vec<String>,
}

/// What the lab needs from one dpkg status paragraph.
#[derive(Debug, Clone)]
struct StatusBinary {
    architecture: String,
    version: String,
    source_version: Option<String>,
}

impl LabDelta {
    /// The reduced delta embedded in the binary (the quickstart's data file).
    pub fn embedded() -> Result<LabDelta, LabError> {
        Self::parse(EMBEDDED_DELTA.as_bytes(), EMBEDDED_DELTA_NAME, None)
    }

    /// Reads a reduced lab delta or a full host delta (plain or gzip JSON).
    pub fn load(path: &Path) -> Result<LabDelta, LabError> {
        Self::load_with_status(path, None)
    }

    /// Like [`LabDelta::load`]; for a full delta, `dpkg_status` (plain or gzip) supplies each
    /// binary's architecture and exact installed version.
    pub fn load_with_status(path: &Path, dpkg_status: Option<&Path>) -> Result<LabDelta, LabError> {
        let bytes = read_maybe_gzip(path)?;
        let status = match dpkg_status {
            Some(p) => {
                let raw = read_maybe_gzip(p)?;
                let text = String::from_utf8(raw).map_err(|_| LabError::Data {
                    file: p.display().to_string(),
                    field: "(file)".into(),
                    reason: "not UTF-8".into(),
                })?;
                Some(parse_status(&text))
            }
            None => None,
        };
        let name = path.display().to_string();
        let mut delta = Self::parse(&bytes, &name, status.as_ref())?;
        if delta.origin.is_empty() {
            delta.origin = file_name(path);
        }
        if let Some(p) = dpkg_status {
            delta.origin = format!("{} + {}", delta.origin, file_name(p));
        }
        Ok(delta)
    }

    fn parse(
        bytes: &[u8],
        file: &str,
        status: Option<&BTreeMap<String, StatusBinary>>,
    ) -> Result<LabDelta, LabError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| LabError::Data {
                file: file.to_string(),
                field: "(document)".into(),
                reason: format!("invalid JSON: {e}"),
            })?;
        let delta = if value.is_array() {
            let records: Vec<FullDeltaRecord> =
                serde_json::from_value(value).map_err(|e| LabError::Data {
                    file: file.to_string(),
                    field: "(record)".into(),
                    reason: format!("not a host security delta: {e}"),
                })?;
            from_full(records, status, file)
        } else {
            serde_json::from_value(value).map_err(|e| LabError::Data {
                file: file.to_string(),
                field: "(document)".into(),
                reason: format!("not a lab delta: {e}"),
            })?
        };
        delta.validate(file)?;
        Ok(delta)
    }

    /// Checks names and versions: they end up in dpkg control files and apt arguments.
    fn validate(&self, file: &str) -> Result<(), LabError> {
        let bad = |field: String, reason: String| LabError::Data {
            file: file.to_string(),
            field,
            reason,
        };
        for (i, s) in self.sources.iter().enumerate() {
            let at = |f: &str| format!("sources[{i}] ({}).{f}", s.source);
            validate_package_name(&s.source).map_err(|r| bad(at("source"), r.to_string()))?;
            validate_version(&s.installed_version)
                .map_err(|r| bad(at("installed_version"), r.to_string()))?;
            validate_version(&s.candidate_version)
                .map_err(|r| bad(at("candidate_version"), r.to_string()))?;
            if s.binaries.is_empty() {
                return Err(bad(at("binaries"), "no binary packages".into()));
            }
            for b in &s.binaries {
                let at =
                    |f: &str| format!("sources[{i}] ({}).binaries.{}.{f}", s.source, b.package);
                validate_package_name(&b.package).map_err(|r| bad(at("package"), r.to_string()))?;
                validate_version(&b.installed_version)
                    .map_err(|r| bad(at("installed_version"), r.to_string()))?;
                validate_version(&b.candidate_version)
                    .map_err(|r| bad(at("candidate_version"), r.to_string()))?;
                if let Some(v) = &b.installed_source_version {
                    validate_version(v)
                        .map_err(|r| bad(at("installed_source_version"), r.to_string()))?;
                }
                if b.architecture != "all" && b.architecture != "amd64" {
                    return Err(bad(
                        at("architecture"),
                        format!("`{}` is not `amd64` or `all`", b.architecture),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The sources named in `names` (all of them must exist), in name order.
    pub fn select(&self, names: &[String]) -> Result<LabDelta, LabError> {
        let mut sources = Vec::new();
        let wanted: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        for name in &wanted {
            let found = self
                .sources
                .iter()
                .find(|s| s.source == *name)
                .ok_or_else(|| LabError::UnknownSource {
                    source_package: (*name).to_string(),
                    available: self.sources.iter().map(|s| s.source.clone()).collect(),
                })?;
            sources.push(found.clone());
        }
        Ok(LabDelta {
            origin: self.origin.clone(),
            sources,
        })
    }

    /// The same delta keeping only the changelog lines that name a CVE (what the OSV feed
    /// quotes), for the small file shipped with the quickstart.
    pub fn with_cve_lines_only(&self) -> LabDelta {
        let mut reduced = self.clone();
        for source in &mut reduced.sources {
            for entry in &mut source.changelog_entries {
                entry.lines = entry
                    .bullet_lines()
                    .into_iter()
                    .filter(|bullet| bullet.iter().any(|l| l.contains("CVE-")))
                    .flatten()
                    .collect();
            }
        }
        reduced
    }

    /// Pretty JSON, stable across runs.
    pub fn to_json(&self) -> Result<String, LabError> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| LabError::Data {
            file: "(reduced delta)".into(),
            field: "(document)".into(),
            reason: e.to_string(),
        })?;
        text.push('\n');
        Ok(text)
    }

    /// Every binary with its source, in a stable order.
    pub fn binaries(&self) -> impl Iterator<Item = (&DeltaSource, &DeltaBinary)> {
        self.sources
            .iter()
            .flat_map(|s| s.binaries.iter().map(move |b| (s, b)))
    }
}

fn from_full(
    records: Vec<FullDeltaRecord>,
    status: Option<&BTreeMap<String, StatusBinary>>,
    file: &str,
) -> LabDelta {
    let mut sources: Vec<DeltaSource> = records
        .into_iter()
        .map(|r| {
            let mut binaries: Vec<DeltaBinary> = r
                .binaries_upgradable
                .iter()
                .map(|name| {
                    let known = status.and_then(|s| s.get(name));
                    DeltaBinary {
                        package: name.clone(),
                        architecture: known
                            .map(|k| k.architecture.clone())
                            .unwrap_or_else(|| "amd64".into()),
                        installed_version: known
                            .map(|k| k.version.clone())
                            .unwrap_or_else(|| r.installed_version.clone()),
                        candidate_version: r.candidate_version.clone(),
                        installed_source_version: known.and_then(|k| k.source_version.clone()),
                    }
                })
                .collect();
            binaries.sort_by(|a, b| a.package.cmp(&b.package));
            let mut cves: Vec<String> = r.cves.clone();
            cves.sort();
            cves.dedup();
            DeltaSource {
                source: r.source,
                installed_version: r.installed_version,
                candidate_version: r.candidate_version,
                candidate_suite: r.candidate_suite,
                binaries,
                changelog_entries: r.changelog_entries,
                cves,
            }
        })
        .collect();
    sources.sort_by(|a, b| a.source.cmp(&b.source));
    LabDelta {
        origin: file_name(Path::new(file)),
        sources,
    }
}

/// Package → (architecture, version) for `install ok installed` paragraphs of the native
/// architecture (`amd64` or `all`), enough to mirror a host's binaries.
fn parse_status(text: &str) -> BTreeMap<String, StatusBinary> {
    let mut out = BTreeMap::new();
    for paragraph in text.split("\n\n") {
        let mut package = None;
        let mut arch = None;
        let mut version = None;
        let mut installed = false;
        let mut source_version = None;
        for line in paragraph.lines() {
            if let Some(v) = line.strip_prefix("Package: ") {
                package = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("Architecture: ") {
                arch = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("Version: ") {
                version = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("Source: ") {
                // `Source: name (version)`: only the version in parentheses matters here.
                source_version = v
                    .split_once('(')
                    .and_then(|(_, rest)| rest.split_once(')'))
                    .map(|(version, _)| version.trim().to_string());
            } else if let Some(v) = line.strip_prefix("Status: ") {
                installed = v.trim() == "install ok installed";
            }
        }
        if let (Some(p), Some(a), Some(v), true) = (package, arch, version, installed)
            && (a == "amd64" || a == "all")
        {
            out.insert(
                p,
                StatusBinary {
                    architecture: a,
                    version: v,
                    source_version,
                },
            );
        }
    }
    out
}

fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>, LabError> {
    let raw = std::fs::read(path).map_err(|e| LabError::Io {
        path: path.to_path_buf(),
        action: "read",
        source: e,
    })?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| LabError::Io {
                path: path.to_path_buf(),
                action: "decompress",
                source: e,
            })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_delta_has_the_default_sources_with_real_versions() {
        let delta = LabDelta::embedded().unwrap();
        for name in DEFAULT_SOURCES {
            assert!(delta.sources.iter().any(|s| s.source == *name), "{name}");
        }
        let openssl = delta
            .sources
            .iter()
            .find(|s| s.source == "openssl")
            .unwrap();
        assert_eq!(openssl.installed_version, "3.0.19-1~deb12u2");
        assert_eq!(openssl.candidate_version, "3.0.22-1~deb12u2");
        assert!(openssl.binaries.iter().any(|b| b.package == "libssl3"));
        assert!(!openssl.cves.is_empty());
        assert!(EMBEDDED_DELTA.len() < 50_000, "{}", EMBEDDED_DELTA.len());
    }

    #[test]
    fn select_rejects_unknown_sources_by_name() {
        let delta = LabDelta::embedded().unwrap();
        let err = delta.select(&["no-such-source".into()]).unwrap_err();
        assert!(err.to_string().contains("no-such-source"), "{err}");
    }

    #[test]
    fn bad_versions_are_reported_with_file_and_field() {
        let json = r#"{"origin":"x","sources":[{"source":"jq","installed_version":"1 -o x",
            "candidate_version":"2","binaries":[{"package":"jq","architecture":"amd64",
            "installed_version":"1","candidate_version":"2"}],"changelog_entries":[],"cves":[]}]}"#;
        let err = LabDelta::parse(json.as_bytes(), "bad.json", None).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("bad.json") && text.contains("installed_version"),
            "{text}"
        );
    }
}
