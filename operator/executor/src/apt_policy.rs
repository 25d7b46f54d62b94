//! Reading `apt-cache policy`: per package the installed and candidate versions and where the
//! candidate comes from, and (without package arguments) the package files apt knows with
//! their release attributes. Pure parsers; the executors run apt and pass its output here.

use patchwarden_lab::names::validate_package_name;

use crate::error::ExecError;
use crate::host_sources::{PackageOrigin, PackageSource};

/// Checks the package names a policy query is asked for: they become apt-cache arguments.
pub fn validate_packages(asset: &str, packages: &[String]) -> Result<(), ExecError> {
    for package in packages {
        validate_package_name(package).map_err(|reason| ExecError::InvalidRequest {
            asset: asset.to_string(),
            field: "package".into(),
            reason: reason.to_string(),
        })?;
    }
    Ok(())
}

/// Parses `apt-cache policy -- PKG…`. Each stanza starts with `name:` at column 0; a package apt
/// does not know prints no stanza, so it is simply absent from the result.
pub fn parse_policy(text: &str) -> Vec<PackageSource> {
    let mut packages = Vec::new();
    let mut current: Option<Stanza> = None;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            packages.extend(current.take().map(Stanza::finish));
            if let Some(name) = line.strip_suffix(':')
                && !name.contains(' ')
            {
                current = Some(Stanza::new(name));
            }
            continue;
        }
        if let Some(stanza) = current.as_mut() {
            stanza.read(line);
        }
    }
    packages.extend(current.map(Stanza::finish));
    packages
}

/// One package's lines while they are read.
struct Stanza {
    package: String,
    installed: Option<String>,
    candidate: Option<String>,
    /// Each version of the version table with its origins, in apt's order.
    table: Vec<(String, Vec<PackageOrigin>)>,
}

impl Stanza {
    fn new(name: &str) -> Stanza {
        // `libc6:i386:` names an architecture; the package is the part before it.
        let package = name.split(':').next().unwrap_or(name);
        Stanza {
            package: package.to_string(),
            installed: None,
            candidate: None,
            table: Vec::new(),
        }
    }

    fn read(&mut self, line: &str) {
        let trimmed = line.trim();
        if let Some(v) = trimmed.strip_prefix("Installed:") {
            self.installed = version_field(v);
        } else if let Some(v) = trimmed.strip_prefix("Candidate:") {
            self.candidate = version_field(v);
        } else if let Some(version) = version_row(line) {
            self.table.push((version, Vec::new()));
        } else if let Some(origin) = origin_row(trimmed)
            && let Some((_, origins)) = self.table.last_mut()
        {
            origins.push(origin);
        }
    }

    fn finish(self) -> PackageSource {
        let origin = self.candidate.as_ref().and_then(|candidate| {
            self.table
                .iter()
                .find(|(version, _)| version == candidate)
                .and_then(|(_, origins)| origins.first().cloned())
        });
        PackageSource {
            package: self.package,
            installed: self.installed,
            candidate: self.candidate,
            origin,
        }
    }
}

/// `3.0.22-1~deb12u2` or `(none)` (absent).
fn version_field(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty() && value != "(none)").then(|| value.to_string())
}

/// A version-table row: ` *** VERSION PRIORITY` or `     VERSION PRIORITY` (5 columns of
/// marker, then exactly two fields).
fn version_row(line: &str) -> Option<String> {
    let rest = line
        .strip_prefix(" *** ")
        .or_else(|| line.strip_prefix("     "))?;
    if rest.starts_with(' ') {
        return None;
    }
    let mut fields = rest.split_whitespace();
    let (version, priority) = (fields.next()?, fields.next()?);
    let numeric = priority.trim_start_matches('-').parse::<i32>().is_ok();
    (numeric && fields.next().is_none()).then(|| version.to_string())
}

/// An origin row, trimmed: `500 URI DIST[/COMPONENT] [ARCH] Packages`. The dpkg database row
/// (`100 /var/lib/dpkg/status`) is not an origin.
pub(crate) fn origin_row(trimmed: &str) -> Option<PackageOrigin> {
    let mut fields = trimmed.split_whitespace();
    fields.next()?.trim_start_matches('-').parse::<i32>().ok()?;
    let uri = fields.next()?;
    let dist_component = fields.next()?;
    if fields.last()? != "Packages" {
        return None;
    }
    let (dist, component) = match dist_component.split_once('/') {
        Some((dist, component)) if !dist.is_empty() && dist != "." && !component.is_empty() => {
            (dist.to_string(), Some(component.to_string()))
        }
        _ => (dist_component.to_string(), None),
    };
    Some(PackageOrigin {
        uri: uri.to_string(),
        dist,
        component,
    })
}

/// A package file of `apt-cache policy` without arguments, with its `release` attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFile {
    pub origin: PackageOrigin,
    /// `a=`: the archive (suite) name.
    pub archive: Option<String>,
    /// `n=`: the codename.
    pub codename: Option<String>,
}

/// Parses the `Package files:` section of `apt-cache policy` (no package arguments).
pub fn parse_package_files(text: &str) -> Vec<PackageFile> {
    let mut files: Vec<PackageFile> = Vec::new();
    let mut in_section = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_section = line.trim_end() == "Package files:";
            continue;
        }
        if !in_section {
            continue;
        }
        let trimmed = line.trim();
        if let Some(attributes) = trimmed.strip_prefix("release ") {
            if let Some(last) = files.last_mut() {
                last.archive = release_attribute(attributes, "a");
                last.codename = release_attribute(attributes, "n");
            }
        } else if let Some(origin) = origin_row(trimmed) {
            files.push(PackageFile {
                origin,
                archive: None,
                codename: None,
            });
        }
    }
    files
}

/// The value of `key` in `v=12,o=Debian,a=stable-security,n=bookworm-security,…`.
fn release_attribute(attributes: &str, key: &str) -> Option<String> {
    attributes
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
#[path = "apt_policy_tests.rs"]
mod tests;
