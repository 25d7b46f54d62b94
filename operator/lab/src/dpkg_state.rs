//! Reading a dpkg database and log: the per-package state `dpkg-query` reports and the
//! actions `dpkg --log` recorded. Shared by the lab and the executors so both read the same way.

use std::path::Path;

use crate::error::LabError;

/// `dpkg-query -W` format giving one tab-separated line per package.
pub const DPKG_QUERY_FORMAT: &str = "${Package}\t${Version}\t${db:Status-Abbrev}\n";

/// One package as `dpkg-query` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InstalledPackage {
    pub package: String,
    pub version: String,
    /// `db:Status-Abbrev` without trailing blanks: `ii` installed, `iF` half-configured, ...
    pub status: String,
}

impl InstalledPackage {
    /// Fully installed and configured.
    pub fn is_installed(&self) -> bool {
        self.status == "ii"
    }
}

/// Parses the output of `dpkg-query -W -f=DPKG_QUERY_FORMAT`.
pub fn parse_dpkg_query(text: &str) -> Vec<InstalledPackage> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let package = fields.next()?.trim();
            let version = fields.next()?.trim();
            let status = fields.next()?.trim();
            if package.is_empty() {
                return None;
            }
            Some(InstalledPackage {
                package: package.to_string(),
                version: version.to_string(),
                status: status.to_string(),
            })
        })
        .collect()
}

/// One package action from a dpkg log (`install`, `upgrade`, `remove`, `purge`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpkgLogAction {
    /// `YYYY-MM-DD HH:MM:SS` as logged.
    pub timestamp: String,
    pub action: String,
    /// Package name without the `:arch` qualifier.
    pub package: String,
    /// `None` for `<none>`.
    pub from_version: Option<String>,
    pub to_version: Option<String>,
}

/// Reads the package actions of a dpkg log; a missing log has none.
pub fn read_dpkg_log(path: &Path) -> Result<Vec<DpkgLogAction>, LabError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(parse_dpkg_log(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(LabError::Io {
            path: path.to_path_buf(),
            action: "read",
            source: e,
        }),
    }
}

/// Parses dpkg log lines such as `2026-11-28 03:10:26 upgrade libssl3:amd64 3.0.19-1 3.0.22-1`.
pub fn parse_dpkg_log(text: &str) -> Vec<DpkgLogAction> {
    let version = |v: &str| (v != "<none>").then(|| v.to_string());
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [date, time, action, package, from, to] = fields.as_slice() else {
                return None;
            };
            if !matches!(*action, "install" | "upgrade" | "remove" | "purge") {
                return None;
            }
            Some(DpkgLogAction {
                timestamp: format!("{date} {time}"),
                action: (*action).to_string(),
                package: package.split(':').next().unwrap_or(package).to_string(),
                from_version: version(from),
                to_version: version(to),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_lines_and_log_actions_parse() {
        let q =
            parse_dpkg_query("openssl\t3.0.22-1~deb12u2\tiF \nlibssl3\t3.0.22-1~deb12u2\tii \n");
        assert_eq!(q[0].status, "iF");
        assert!(!q[0].is_installed());
        assert!(q[1].is_installed());
        let log = parse_dpkg_log(
            "2026-11-28 03:10:26 startup packages configure\n\
             2026-11-28 03:10:26 install jq:amd64 <none> 1.6-2.1+deb12u1\n\
             2026-11-28 03:10:26 status installed jq:amd64 1.6-2.1+deb12u1\n\
             2026-11-28 03:10:27 upgrade jq:amd64 1.6-2.1+deb12u1 1.6-2.1+deb12u3\n",
        );
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].from_version, None);
        assert_eq!(log[1].action, "upgrade");
        assert_eq!(log[1].package, "jq");
        assert_eq!(log[1].to_version.as_deref(), Some("1.6-2.1+deb12u3"));
    }
}
