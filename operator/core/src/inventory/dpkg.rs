//! dpkg's status database (`/var/lib/dpkg/status`): deb822 paragraphs, of which only the
//! packages in state `install ok installed` count. `Source:` may carry its own version
//! (`Source: util-linux (2.38.1-5+deb12u3)`) when the binary version differs.

use std::sync::Arc;

use super::{InstalledPackage, Inventory, InventoryError, checked_version};
use crate::index::fx::FxMap;
use crate::version::VersionScheme;

/// Reads a dpkg status file. Multiarch duplicates (same name, other architecture) are kept:
/// each is a real installed package.
pub fn parse_status(text: &str) -> Result<Inventory, InventoryError> {
    read_packages(text, |record, paragraph| {
        Ok(parse_paragraph(record, paragraph)?.map(Arc::new))
    })
}

/// [`parse_status`] with the packages of paragraphs read before taken from `cache`, and the
/// new ones added to it.
pub fn parse_status_with(
    text: &str,
    cache: &mut ParagraphCache,
) -> Result<Inventory, InventoryError> {
    if cache.parsed.len() > ParagraphCache::MAX_PARAGRAPHS {
        cache.parsed.clear();
    }
    read_packages(text, |record, paragraph| {
        if let Some(known) = cache.parsed.get(paragraph) {
            return Ok(known.clone());
        }
        let package = parse_paragraph(record, paragraph)?.map(Arc::new);
        cache.parsed.insert(Box::from(paragraph), package.clone());
        Ok(package)
    })
}

/// The packages of dpkg paragraphs already read, by the paragraph's text. Hosts installed
/// from the same archive share most paragraphs: a fleet's databases are then parsed, and
/// their packages held in memory, once per distinct paragraph instead of once per host.
#[derive(Debug, Default)]
pub struct ParagraphCache {
    /// `None` for a paragraph of a package that is not installed.
    parsed: FxMap<Box<str>, Option<Arc<InstalledPackage>>>,
}

impl ParagraphCache {
    /// Past this many paragraphs the cache starts over, so that packages no host has any
    /// more are not kept for ever.
    pub const MAX_PARAGRAPHS: usize = 200_000;

    /// Distinct paragraphs held.
    pub fn len(&self) -> usize {
        self.parsed.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.parsed.is_empty()
    }
}

/// The installed packages of the paragraphs of `text`, each read by `read` (given the
/// paragraph's 1-based record number).
fn read_packages(
    text: &str,
    mut read: impl FnMut(usize, &str) -> Result<Option<Arc<InstalledPackage>>, InventoryError>,
) -> Result<Inventory, InventoryError> {
    let mut packages = Vec::new();
    for (index, paragraph) in paragraphs(text).enumerate() {
        packages.extend(read(index + 1, paragraph)?);
    }
    Ok(Inventory { packages })
}

/// Splits deb822 text into paragraphs (separated by blank lines).
pub fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n")
        .flat_map(|chunk| chunk.split("\r\n\r\n"))
        .map(|p| p.trim_matches(|c| c == '\n' || c == '\r'))
        .filter(|p| !p.trim().is_empty())
}

/// The single-line value of a field in one paragraph (continuation lines are not needed for
/// the fields read here).
pub fn field<'a>(paragraph: &'a str, name: &str) -> Option<&'a str> {
    paragraph.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (!line.starts_with([' ', '\t']) && key.eq_ignore_ascii_case(name)).then(|| value.trim())
    })
}

/// The package states dpkg writes (the third word of `Status`); any other word is a damaged
/// file, not a package that is absent.
const STATES: [&str; 8] = [
    "not-installed",
    "config-files",
    "half-installed",
    "unpacked",
    "half-configured",
    "triggers-awaited",
    "triggers-pending",
    "installed",
];

/// The fields a paragraph is read for, each at its first occurrence as [`field`] finds it.
#[derive(Default)]
struct Fields<'a> {
    package: Option<&'a str>,
    status: Option<&'a str>,
    version: Option<&'a str>,
    source: Option<&'a str>,
    architecture: Option<&'a str>,
}

impl<'a> Fields<'a> {
    /// Reads the fields in one pass over the lines (a database has thousands of paragraphs,
    /// each of a dozen lines); a line that is neither `Field: value` nor a continuation is
    /// an error.
    fn read(record: usize, paragraph: &'a str) -> Result<Fields<'a>, InventoryError> {
        let mut fields = Fields::default();
        for line in paragraph.lines() {
            if line.starts_with([' ', '\t']) {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                return Err(InventoryError::new(
                    record,
                    field(paragraph, "Package"),
                    "line",
                    format!("not a `Field: value` line: {line:?}"),
                ));
            };
            let slot = match key {
                _ if key.eq_ignore_ascii_case("Package") => &mut fields.package,
                _ if key.eq_ignore_ascii_case("Status") => &mut fields.status,
                _ if key.eq_ignore_ascii_case("Version") => &mut fields.version,
                _ if key.eq_ignore_ascii_case("Source") => &mut fields.source,
                _ if key.eq_ignore_ascii_case("Architecture") => &mut fields.architecture,
                _ => continue,
            };
            slot.get_or_insert(value.trim());
        }
        Ok(fields)
    }
}

fn parse_paragraph(
    record: usize,
    paragraph: &str,
) -> Result<Option<InstalledPackage>, InventoryError> {
    let fields = Fields::read(record, paragraph)?;
    let name = fields
        .package
        .filter(|n| !n.is_empty())
        .ok_or_else(|| InventoryError::new(record, None, "Package", "missing"))?;
    let status = fields
        .status
        .ok_or_else(|| InventoryError::new(record, Some(name), "Status", "missing"))?;
    let words: Vec<&str> = status.split_whitespace().collect();
    if words.len() != 3 {
        return Err(InventoryError::new(
            record,
            Some(name),
            "Status",
            format!("expected `want flag state`, found {status:?}"),
        ));
    }
    if !STATES.contains(&words[2]) {
        return Err(InventoryError::new(
            record,
            Some(name),
            "Status",
            format!("unknown state {:?} in {status:?}", words[2]),
        ));
    }
    if words[2] != "installed" {
        return Ok(None);
    }
    let version = fields
        .version
        .ok_or_else(|| InventoryError::new(record, Some(name), "Version", "missing"))?;
    let version = checked_version(VersionScheme::Dpkg, record, name, "Version", version)?;
    let (source, source_version) = match fields.source {
        None | Some("") => (None, None),
        Some(value) => match value.split_once('(') {
            Some((source, rest)) => {
                let inner = rest.strip_suffix(')').ok_or_else(|| {
                    InventoryError::new(
                        record,
                        Some(name),
                        "Source",
                        format!("unclosed '(' in {value:?}"),
                    )
                })?;
                let source_version =
                    checked_version(VersionScheme::Dpkg, record, name, "Source", inner.trim())?;
                (Some(source.trim()), Some(source_version))
            }
            None => (Some(value), None),
        },
    };
    Ok(Some(InstalledPackage {
        name: Arc::from(name),
        version,
        source: source.filter(|s| *s != name).map(Arc::from),
        source_version,
        arch: fields.architecture.map(Arc::from),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_installed_packages_and_source_versions() {
        let text = "Package: postgresql-client\nStatus: install ok installed\nSource: postgresql-common (200+deb10u5)\nVersion: 11+200+deb10u5\nDescription: x\n more\n .\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n";
        let inventory = parse_status(text).expect("parses");
        assert_eq!(inventory.len(), 1);
        let p = &inventory.packages[0];
        assert_eq!(p.source_name(), "postgresql-common");
        assert_eq!(p.source_version(), "200+deb10u5");
        assert_eq!(&*p.version, "11+200+deb10u5");
    }

    #[test]
    fn field_names_ignore_case_and_the_first_occurrence_counts() {
        let text = "package: a\nSTATUS: install ok installed\nDescription: x\n Version: 9\nVersion: 1.0\nversion: 2.0\narchitecture: amd64\n";
        let inventory = parse_status(text).expect("parses");
        let p = &inventory.packages[0];
        assert_eq!((&*p.name, &*p.version), ("a", "1.0"));
        assert_eq!(p.arch.as_deref(), Some("amd64"));
        let error = parse_status("Package: a\nno colon\n").expect_err("not a field");
        assert_eq!((error.field, error.package.as_deref()), ("line", Some("a")));
    }

    #[test]
    fn the_cache_shares_the_packages_of_paragraphs_read_before_and_reads_alike() {
        let first = "Package: a\nStatus: install ok installed\nVersion: 1.0\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n";
        let second = "Package: a\nStatus: install ok installed\nVersion: 1.0\n\nPackage: b\nStatus: install ok installed\nVersion: 2.0\n";
        let mut cache = ParagraphCache::default();
        let one = parse_status_with(first, &mut cache).expect("parses");
        let two = parse_status_with(second, &mut cache).expect("parses");
        assert_eq!(one, parse_status(first).expect("parses"));
        assert_eq!(two, parse_status(second).expect("parses"));
        assert!(
            Arc::ptr_eq(&one.packages[0], &two.packages[0]),
            "a is shared"
        );
        assert_eq!(cache.len(), 3);
        // An error names its record in this file, whatever was read before.
        let bad = "Package: b\nStatus: install ok installed\nVersion: 2.0\n\nPackage: c\nStatus: install ok installed\nVersion: x:1\n";
        let error = parse_status_with(bad, &mut cache).expect_err("bad version");
        assert_eq!((error.record, error.field), (2, "Version"));
    }

    #[test]
    fn names_record_and_field_of_a_bad_version() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1.0\n\nPackage: b\nStatus: install ok installed\nVersion: x:1\n";
        let error = parse_status(text).expect_err("bad version");
        assert_eq!((error.record, error.field), (2, "Version"));
        assert_eq!(error.package.as_deref(), Some("b"));
    }

    #[test]
    fn an_unknown_state_is_an_error_not_an_absent_package() {
        let text = "Package: a\nStatus: install ok inst\nVersion: 1.0\n";
        let error = parse_status(text).expect_err("a state cut short");
        assert_eq!((error.record, error.field), (1, "Status"));
        assert_eq!(
            error.reason,
            "unknown state \"inst\" in \"install ok inst\""
        );
        let unpacked = "Package: a\nStatus: install ok unpacked\nVersion: 1.0\n";
        assert!(parse_status(unpacked).expect("a known state").is_empty());
    }
}
