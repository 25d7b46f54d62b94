//! `/etc/os-release` → the OSV ecosystem of the asset (`Debian:12`, `Ubuntu:22.04:LTS`,
//! `AlmaLinux:9`, `Rocky Linux:9`, `Alpine:v3.18`).

use std::collections::BTreeMap;

use crate::ecosystem::Ecosystem;

/// The parsed key/value pairs of an os-release file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    /// Every `KEY=value` pair, quotes removed.
    pub fields: BTreeMap<String, String>,
}

impl OsRelease {
    /// Reads `KEY=value` lines; comments and blank lines are skipped.
    pub fn parse(text: &str) -> Result<OsRelease, OsReleaseError> {
        let mut fields = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line.split_once('=').ok_or_else(|| OsReleaseError {
                line: index + 1,
                reason: format!("expected KEY=value, found {line:?}"),
            })?;
            let value = value.trim();
            let unquoted = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            fields.insert(key.trim().to_string(), unquoted.to_string());
        }
        Ok(OsRelease { fields })
    }

    /// One field's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }
}

/// An os-release file that cannot be read or names no known distribution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct OsReleaseError {
    /// 1-based line (0 when the file as a whole is at fault).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Maps an os-release file to its OSV ecosystem.
pub fn ecosystem_from_os_release(text: &str) -> Result<Ecosystem, OsReleaseError> {
    let os = OsRelease::parse(text)?;
    let whole = |reason: String| OsReleaseError { line: 0, reason };
    let id = os.get("ID").ok_or_else(|| whole("no ID field".into()))?;
    let version_id = os
        .get("VERSION_ID")
        .ok_or_else(|| whole(format!("no VERSION_ID field for ID={id}")))?;
    // An empty release would name an ecosystem no advisory is for ("Debian:").
    if version_id.trim().is_empty() {
        return Err(whole(format!("empty VERSION_ID for ID={id}")));
    }
    let major = version_id.split('.').next().unwrap_or(version_id);
    let ecosystem = match id {
        "debian" => format!("Debian:{major}"),
        "ubuntu" => {
            let lts = os.get("VERSION").is_some_and(|v| v.contains("LTS"));
            if lts {
                format!("Ubuntu:{version_id}:LTS")
            } else {
                format!("Ubuntu:{version_id}")
            }
        }
        "almalinux" => format!("AlmaLinux:{major}"),
        "rocky" => format!("Rocky Linux:{major}"),
        "rhel" => format!("Red Hat:{major}"),
        "centos" => format!("CentOS:{major}"),
        "ol" => format!("Oracle Linux:{major}"),
        "alpine" => {
            let minor: Vec<&str> = version_id.split('.').take(2).collect();
            format!("Alpine:v{}", minor.join("."))
        }
        other => return Err(whole(format!("unsupported distribution ID={other}"))),
    };
    Ok(Ecosystem::new(ecosystem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_distributions_to_osv_ecosystems() {
        let cases = [
            ("ID=debian\nVERSION_ID=\"12\"\n", "Debian:12"),
            (
                "ID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\n",
                "Ubuntu:22.04:LTS",
            ),
            ("ID=\"almalinux\"\nVERSION_ID=\"9.3\"\n", "AlmaLinux:9"),
            ("ID=\"rocky\"\nVERSION_ID=\"9.2\"\n", "Rocky Linux:9"),
            ("ID=alpine\nVERSION_ID=3.18.4\n", "Alpine:v3.18"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                ecosystem_from_os_release(text).expect(expected).as_str(),
                expected
            );
        }
        assert!(ecosystem_from_os_release("ID=plan9\nVERSION_ID=4\n").is_err());
        assert!(ecosystem_from_os_release("garbage line\n").is_err());
    }

    #[test]
    fn an_empty_version_id_is_an_error_not_an_ecosystem_without_a_release() {
        for text in ["ID=debian\nVERSION_ID=\n", "ID=alpine\nVERSION_ID=\"\"\n"] {
            let error = ecosystem_from_os_release(text).expect_err(text);
            assert_eq!(error.line, 0);
            assert!(
                error.reason.starts_with("empty VERSION_ID for ID="),
                "{error}"
            );
        }
    }
}
