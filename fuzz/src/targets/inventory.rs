//! Package database parsers: dpkg status, `rpm -qa` output, rpm-manifest JSON, apk's
//! installed database and os-release. A parsed inventory holds only versions its scheme
//! accepts.

use patchwarden_core::inventory::{Inventory, InventoryFormat, OsRelease};

use crate::target::{Target, Violation, text};

const DPKG_SEEDS: &[&str] = &[
    "Package: libc6\nStatus: install ok installed\nPriority: required\nArchitecture: amd64\nMulti-Arch: same\nSource: glibc\nVersion: 2.36-9+deb12u4\nDescription: GNU C Library: Shared libraries\n Contains the standard libraries.\n\nPackage: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl (3.0.15-1~deb12u1)\nVersion: 3.0.15-1~deb12u1\n\nPackage: removed\nStatus: deinstall ok config-files\nVersion: 1.0-1\n",
    "Package: bash\nEssential: yes\nStatus: install ok installed\nVersion: 5.2.15-2+b7\nSource: bash (5.2.15-2)\n",
];
const DPKG_DICTIONARY: &[&str] = &[
    "Package: ",
    "Status: ",
    "Version: ",
    "Source: ",
    "Architecture: ",
    "install ok installed",
    "deinstall ok config-files",
    "half-installed",
    "\n\n",
    "\n ",
    "(",
    ")",
    ":",
    "\r\n",
];

const RPM_QUERY_SEEDS: &[&str] = &[
    "bash-5.1.8-4.el9.x86_64\nopenssl-libs-3.0.1-43.el9_0.x86_64\ngpg-pubkey-fd431d51-4ae0493b\n",
    "openssl-libs 1:3.0.1-43.el9_0 x86_64 openssl-3.0.1-43.el9_0.src.rpm\ntzdata (none):2022a-1.el9 noarch tzdata-2022a-1.el9.src.rpm\nbash 0:5.1.8-4.el9\n",
];
const RPM_QUERY_DICTIONARY: &[&str] = &[
    "(none):",
    "0:",
    ".src.rpm",
    ".x86_64",
    ".noarch",
    "-",
    " ",
    "\n",
    "el9_0",
    "gpg-pubkey",
];

const RPM_MANIFEST_SEEDS: &[&str] = &[
    r#"{"object_type":"containerImageRPMManifest","rpms":[{"architecture":"x86_64","name":"libxcrypt","nvra":"libxcrypt-4.1.1-4.el8.x86_64","release":"4.el8","srpm_name":"libxcrypt","srpm_nevra":"libxcrypt-0:4.1.1-4.el8.src","version":"4.1.1"},{"name":"tar","version":"1.34","release":"3.el9","srpm_nevra":"tar-2:1.34-3.el9.src"}]}"#,
];
const RPM_MANIFEST_DICTIONARY: &[&str] = &[
    "\"rpms\":",
    "\"name\":",
    "\"version\":",
    "\"release\":",
    "\"srpm_nevra\":",
    "\"srpm_name\":",
    "\"architecture\":",
    "-0:",
    "-2:",
    ".src",
    "null",
    "[]",
    "{}",
];

const APK_SEEDS: &[&str] = &[
    "C:Q1zwvKMnYs1b6ZdPTBJ0Z7D5P3jyA=\nP:alpine-baselayout\nV:3.4.3-r1\nA:x86_64\nS:8914\nI:331776\nT:Alpine base dir structure and init scripts\no:alpine-baselayout\nD:alpine-baselayout-data=3.4.3-r1 /bin/sh\nF:etc\nR:motd\nZ:Q1SLkS9hBidUbPwwrw+XR0Whv3ww8=\n\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n",
    "P:busybox\nV:1.36.1-r5\no:busybox\n\nP:ssl_client\nV:1.36.1-r5\n",
];
const APK_DICTIONARY: &[&str] = &["P:", "V:", "A:", "o:", "D:", "F:", "R:", "\n\n", "\n", "-r"];

const OS_RELEASE_SEEDS: &[&str] = &[
    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n",
    "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.18.4\n# comment\nID_LIKE='rhel fedora'\n",
];
const OS_RELEASE_DICTIONARY: &[&str] = &[
    "ID=",
    "VERSION_ID=",
    "ID_LIKE=",
    "\"",
    "'",
    "\\",
    "#",
    "=",
    "\n",
    "debian",
    "ubuntu",
    "alpine",
    "rhel",
    "almalinux",
    "rocky",
];

/// Parses in `format`; a parsed package's version is one its scheme accepts.
fn check_inventory(format: InventoryFormat, input: &[u8]) -> Result<(), Violation> {
    let text = text(input);
    // Detection must answer on anything, too.
    let _ = InventoryFormat::detect(&text);
    let Ok(inventory) = Inventory::parse(format, &text) else {
        return Ok(());
    };
    let scheme = format.scheme();
    for package in &inventory.packages {
        if let Err(error) = scheme.validate(&package.version) {
            return Err(Violation::new(
                "versions-valid",
                format!(
                    "{format:?} parsed {} {:?}: {error}",
                    package.name, package.version
                ),
            ));
        }
    }
    Ok(())
}

fn os_release(input: &[u8]) -> Result<(), Violation> {
    let text = text(input);
    let _ = OsRelease::parse(&text);
    let _ = patchwarden_core::inventory::ecosystem_from_os_release(&text);
    Ok(())
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "dpkg-status",
        about: "core::inventory::dpkg parse_status",
        seeds: DPKG_SEEDS,
        dictionary: DPKG_DICTIONARY,
        generate: None,
        check: |input| check_inventory(InventoryFormat::DpkgStatus, input),
    },
    Target {
        name: "rpm-query",
        about: "core::inventory::rpm parse_query_output (rpm -qa)",
        seeds: RPM_QUERY_SEEDS,
        dictionary: RPM_QUERY_DICTIONARY,
        generate: None,
        check: |input| check_inventory(InventoryFormat::RpmQuery, input),
    },
    Target {
        name: "rpm-manifest",
        about: "core::inventory::rpm parse_manifest (container rpm-manifest JSON)",
        seeds: RPM_MANIFEST_SEEDS,
        dictionary: RPM_MANIFEST_DICTIONARY,
        generate: None,
        check: |input| check_inventory(InventoryFormat::RpmManifest, input),
    },
    Target {
        name: "apk-installed",
        about: "core::inventory::apk parse_installed",
        seeds: APK_SEEDS,
        dictionary: APK_DICTIONARY,
        generate: None,
        check: |input| check_inventory(InventoryFormat::ApkInstalled, input),
    },
    Target {
        name: "os-release",
        about: "core::inventory::os_release OsRelease::parse and ecosystem detection",
        seeds: OS_RELEASE_SEEDS,
        dictionary: OS_RELEASE_DICTIONARY,
        generate: None,
        check: os_release,
    },
];
