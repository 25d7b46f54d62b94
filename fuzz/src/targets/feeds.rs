//! Vulnerability feed parsers: OSV JSON, the KEV catalog, EPSS CSV, Debian's DSA/DLA lists
//! and the Alpine secdb. Any input gets an answer, never a panic.

use patchwarden_core::feed::{alpine_secdb, debian_tracker, epss, kev, osv};

use crate::target::{Target, Violation, text};

const OSV_SEEDS: &[&str] = &[
    r#"{"id":"DSA-5865-1","summary":"webkit2gtk - security update","affected":[{"package":{"ecosystem":"Debian:12","name":"webkit2gtk"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.46.6-1~deb12u1"}]}]}],"aliases":["CVE-2025-24143","CVE-2025-24150"],"published":"2025-02-12T00:00:00Z","modified":"2025-02-12T08:00:00Z"}"#,
    r#"[{"schema_version":"1.6.0","id":"ALSA-2022:1234","affected":[{"package":{"ecosystem":"AlmaLinux:9","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.1-43.el9_0"}]}]}],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"published":"2022-05-01T00:00:00Z","modified":"2022-05-02T00:00:00Z"}]"#,
    "{\"id\":\"ALPINE-CVE-2023-1\",\"withdrawn\":\"2023-02-01T00:00:00Z\",\"modified\":\"2023-02-01T00:00:00Z\"}\n{\"id\":\"X-1\",\"modified\":\"2023-01-01T00:00:00Z\",\"affected\":[{\"package\":{\"ecosystem\":\"Alpine:v3.18\",\"name\":\"busybox\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"last_affected\":\"1.36.1-r4\"}]}],\"versions\":[\"1.36.1-r1\"]}]}",
];
const OSV_DICTIONARY: &[&str] = &[
    "\"id\":",
    "\"affected\":",
    "\"ranges\":",
    "\"events\":",
    "\"introduced\":",
    "\"fixed\":",
    "\"last_affected\":",
    "\"limit\":",
    "\"ecosystem\":",
    "\"name\":",
    "\"type\":\"SEMVER\"",
    "\"type\":\"GIT\"",
    "\"severity\":",
    "\"score\":",
    "\"withdrawn\":",
    "\"aliases\":",
    "\"database_specific\":",
    "\"ecosystem_specific\":",
    "\"versions\":",
    "\"modified\":",
    "\"published\":",
    "Debian:12",
    "Alpine:v3.18",
    "Ubuntu:22.04:LTS",
    "Red Hat",
    "null",
    "true",
    "[]",
    "{}",
    "CVSS:3.1/",
    "CVSS:4.0/",
    "\"Ubuntu\"",
    "\n",
];

const KEV_SEEDS: &[&str] = &[
    r#"{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2025.08.25","dateReleased":"2025-08-25T17:04:19.9796Z","count":2,"vulnerabilities":[{"cveID":"CVE-2025-48384","vendorProject":"Git","product":"Git","vulnerabilityName":"Git Link Following Vulnerability","dateAdded":"2025-08-25","shortDescription":"Git mishandles carriage returns.","requiredAction":"Apply mitigations per vendor instructions.","dueDate":"2025-09-15","knownRansomwareCampaignUse":"Unknown","notes":"","cwes":["CWE-59"]},{"cveID":"CVE-2021-44228","vendorProject":"Apache","product":"Log4j2","vulnerabilityName":"Log4Shell","dateAdded":"2021-12-10","shortDescription":"JNDI lookups.","requiredAction":"Apply updates.","dueDate":"2021-12-24","knownRansomwareCampaignUse":"Known","notes":"","cwes":[]}]}"#,
];
const KEV_DICTIONARY: &[&str] = &[
    "\"cveID\":",
    "\"dueDate\":",
    "\"dateAdded\":",
    "\"catalogVersion\":",
    "\"dateReleased\":",
    "\"vulnerabilities\":",
    "\"knownRansomwareCampaignUse\":",
    "\"cwes\":",
    "2025-02-30",
    "0000-00-00",
    "CVE-",
    "null",
    "[]",
    "{}",
];

const EPSS_SEEDS: &[&str] = &[
    "#model_version:v2025.03.14,score_date:2025-04-14T12:55:00Z\ncve,epss,percentile\nCVE-1999-0001,0.01297,0.77992\nCVE-1999-0002,0.16835,0.94412\nCVE-2024-3094,0.85,0.99\n",
    "cve,epss,percentile\r\nCVE-2021-44228,0.97565,0.99996\r\n",
];
const EPSS_DICTIONARY: &[&str] = &[
    "CVE-",
    ",",
    "\n",
    "\r\n",
    "#model_version:",
    "score_date:",
    "cve,epss,percentile",
    "1.0",
    "1.5",
    "-0.1",
    "NaN",
    "inf",
    "1e-300",
    "CVE-99999-99999999999999999999",
];

const TRACKER_SEEDS: &[&str] = &[
    "[12 Feb 2025] DSA-5865-1 webkit2gtk - security update\n\t{CVE-2025-24143 CVE-2025-24150}\n\t[bookworm] - webkit2gtk 2.46.6-1~deb12u1\n[10 Feb 2025] DSA-5863-1 libtasn1-6 - security update\n\t{CVE-2024-12133}\n\t[bookworm] - libtasn1-6 4.19.0-2+deb12u1\n",
    "[13 Feb 2025] DLA-4050-1 openssh - security update\n\t{CVE-2025-26465}\n\t[bullseye] - openssh 1:8.4p1-5+deb11u4\n\tNOTE: regression fixed in DLA-4050-2\n[01 Jan 2004] DSA-423-1 linux-kernel-2.2.20 - several vulnerabilities\n\t[woody] - linux-kernel-2.2.20 <not-affected>\n",
];
const TRACKER_DICTIONARY: &[&str] = &[
    "[",
    "]",
    "\t",
    "{CVE-",
    "}",
    "[bookworm] - ",
    "[bullseye] - ",
    "[trixie] - ",
    "[sid] - ",
    "DSA-",
    "DLA-",
    " - security update",
    "<not-affected>",
    "<unfixed>",
    "<end-of-life>",
    "NOTE: ",
    "Jan",
    "Feb",
    "31 Feb 2025",
    "\n",
];

const SECDB_SEEDS: &[&str] = &[
    "---\ndistroversion: v3.10\nreponame: community\narchs:\n  - x86_64\nurlprefix: http://dl-cdn.alpinelinux.org/alpine\npackages:\n  - pkg:\n      name: botan\n      secfixes:\n        2.9.0-r0:\n        - CVE-2018-20187\n        2.7.0-r0:\n        - CVE-2018-12435 CVE-2018-9860\n  - pkg:\n      name: musl\n      secfixes:\n        0:\n          - CVE-2019-0000\n",
    r#"{"apkurl":"{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk","archs":["x86_64"],"reponame":"main","urlprefix":"https://dl-cdn.alpinelinux.org/alpine","distroversion":"v3.18","packages":[{"pkg":{"name":"openssl","secfixes":{"3.1.4-r1":["CVE-2023-5678"],"3.1.2-r0":["CVE-2023-3446 XSA-123","CVE-2023-3817"]}}}]}"#,
];
const SECDB_DICTIONARY: &[&str] = &[
    "distroversion:",
    "packages:",
    "- pkg:",
    "name:",
    "secfixes:",
    "CVE-",
    "\n  ",
    "\n",
    "- ",
    ": ",
    "v3.",
    "&a",
    "*a",
    "!!binary",
    "~",
    "[]",
    "{}",
    "0:",
    "\"",
    "'",
];

fn osv(input: &[u8]) -> Result<(), Violation> {
    let text = text(input);
    let _ = osv::parse_document(&text);
    let _ = osv::parse_record(&text, 1);
    Ok(())
}

fn kev(input: &[u8]) -> Result<(), Violation> {
    let _ = kev::parse_catalog(&text(input));
    Ok(())
}

/// Parsed scores are probabilities and percentiles, and every entry can be found by its CVE.
fn epss(input: &[u8]) -> Result<(), Violation> {
    let text = text(input);
    let Ok(table) = epss::parse_csv(&text) else {
        return Ok(());
    };
    for line in text.lines() {
        let Some(cve) = line.split(',').next() else {
            continue;
        };
        let Some(score) = table.get(cve) else {
            continue;
        };
        let in_range = |value: f32| (0.0..=1.0).contains(&value);
        if !in_range(score.probability) || !score.percentile.is_none_or(in_range) {
            return Err(Violation::new(
                "probability",
                format!("{cve}: {score:?} outside 0..=1"),
            ));
        }
    }
    Ok(())
}

fn tracker(input: &[u8]) -> Result<(), Violation> {
    let _ = debian_tracker::parse_list(&text(input));
    Ok(())
}

fn secdb(input: &[u8]) -> Result<(), Violation> {
    let _ = alpine_secdb::parse_secdb(&text(input));
    Ok(())
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "osv",
        about: "core::feed::osv parse_document and parse_record",
        seeds: OSV_SEEDS,
        dictionary: OSV_DICTIONARY,
        generate: None,
        check: osv,
    },
    Target {
        name: "kev",
        about: "core::feed::kev parse_catalog",
        seeds: KEV_SEEDS,
        dictionary: KEV_DICTIONARY,
        generate: None,
        check: kev,
    },
    Target {
        name: "epss",
        about: "core::feed::epss parse_csv (scores stay probabilities)",
        seeds: EPSS_SEEDS,
        dictionary: EPSS_DICTIONARY,
        generate: None,
        check: epss,
    },
    Target {
        name: "debian-tracker",
        about: "core::feed::debian_tracker parse_list (DSA/DLA lists)",
        seeds: TRACKER_SEEDS,
        dictionary: TRACKER_DICTIONARY,
        generate: None,
        check: tracker,
    },
    Target {
        name: "alpine-secdb",
        about: "core::feed::alpine_secdb parse_secdb (JSON and YAML)",
        seeds: SECDB_SEEDS,
        dictionary: SECDB_DICTIONARY,
        generate: None,
        check: secdb,
    },
];
