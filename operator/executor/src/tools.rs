//! The programs patchwarden runs on the machine it runs on, with the Debian package that
//! provides each: checked before `patchwarden up` starts anything, and named when a program
//! turns out to be missing later.

/// A program and the Debian package that provides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    pub program: &'static str,
    pub package: &'static str,
}

const fn tool(program: &'static str, package: &'static str) -> Tool {
    Tool { program, package }
}

/// What a lab fleet runs on this machine: building its repository (`dpkg-deb`,
/// `dpkg-scanpackages`, `apt-ftparchive`), installing and reading its hosts (`apt-get`,
/// `apt-cache`, `dpkg`, `dpkg-query`), and the shell scripts of its packages and health check
/// (`sh`, `cat`, `grep`, `mkdir`, `rm`).
pub const LAB_TOOLS: [Tool; 12] = [
    tool("apt-get", "apt"),
    tool("apt-cache", "apt"),
    tool("dpkg", "dpkg"),
    tool("dpkg-deb", "dpkg"),
    tool("dpkg-query", "dpkg"),
    tool("dpkg-scanpackages", "dpkg-dev"),
    tool("apt-ftparchive", "apt-utils"),
    tool("sh", "dash"),
    tool("cat", "coreutils"),
    tool("mkdir", "coreutils"),
    tool("rm", "coreutils"),
    tool("grep", "grep"),
];

/// Other programs the executors run: through `chroot` on a node's root, `ssh` for SSH hosts.
const OTHER_TOOLS: [Tool; 2] = [tool("chroot", "coreutils"), tool("ssh", "openssh-client")];

/// The Debian package providing `program` (a name or a path), if it is one patchwarden runs.
pub fn package_of(program: &str) -> Option<&'static str> {
    let name = std::path::Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(program);
    LAB_TOOLS
        .iter()
        .chain(OTHER_TOOLS.iter())
        .find(|t| t.program == name)
        .map(|t| t.package)
}

/// The tools of `tools` that `is_present` does not find, in order.
pub fn missing_tools(tools: &[Tool], is_present: impl Fn(&str) -> bool) -> Vec<Tool> {
    tools
        .iter()
        .filter(|t| !is_present(t.program))
        .copied()
        .collect()
}

/// One message for missing tools: each with its package, then the command installing them.
pub fn missing_tools_message(missing: &[Tool]) -> String {
    let named: Vec<String> = missing
        .iter()
        .map(|t| format!("{} (package {})", t.program, t.package))
        .collect();
    let mut packages: Vec<&str> = missing.iter().map(|t| t.package).collect();
    packages.dedup();
    packages.sort_unstable();
    packages.dedup();
    format!(
        "not on PATH: {}. On Debian or Ubuntu: sudo apt-get install {}",
        named.join(", "),
        packages.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_are_found_by_program_name_or_path() {
        assert_eq!(package_of("apt-ftparchive"), Some("apt-utils"));
        assert_eq!(package_of("/usr/bin/dpkg-scanpackages"), Some("dpkg-dev"));
        assert_eq!(package_of("ssh"), Some("openssh-client"));
        assert_eq!(package_of("frobnicate"), None);
    }

    #[test]
    fn the_message_names_each_missing_tool_with_its_package_and_the_install_command() {
        let present = |p: &str| !matches!(p, "apt-ftparchive" | "dpkg-deb" | "dpkg-query");
        let missing = missing_tools(&LAB_TOOLS, present);
        assert_eq!(
            missing_tools_message(&missing),
            "not on PATH: dpkg-deb (package dpkg), dpkg-query (package dpkg), \
             apt-ftparchive (package apt-utils). On Debian or Ubuntu: sudo apt-get install \
             apt-utils dpkg"
        );
        assert!(missing_tools(&LAB_TOOLS, |_| true).is_empty());
    }
}
