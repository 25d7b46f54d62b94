//! os-release files: the ecosystem an asset's `/etc/os-release` names, or the line and reason
//! it cannot be read.

use patchwarden_core::inventory::ecosystem_from_os_release;

use super::{Case, Expect, case, check, err, ok};

fn observe(text: &str) -> Expect {
    match ecosystem_from_os_release(text) {
        Ok(ecosystem) => Expect::Ok(ecosystem.as_str().to_string()),
        Err(error) => err("OsReleaseError", Some(error.line), "", error.to_string()),
    }
}

fn os(label: &str, text: &str, expect: Expect) -> Case<String> {
    case(label, text.to_string(), expect)
}

fn line(n: usize, reason: &str) -> Expect {
    err("OsReleaseError", Some(n), "", format!("line {n}: {reason}"))
}

fn cases() -> Vec<Case<String>> {
    let debian = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n";
    vec![
        os("Debian 12", debian, ok("Debian:12")),
        os(
            "CRLF and comments",
            &format!("# c\r\n\r\n{}", debian.replace('\n', "\r\n")),
            ok("Debian:12"),
        ),
        os(
            "single quotes",
            "ID='debian'\nVERSION_ID='11'\n",
            ok("Debian:11"),
        ),
        os(
            "Ubuntu LTS",
            "ID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\n",
            ok("Ubuntu:22.04:LTS"),
        ),
        os(
            "Ubuntu interim",
            "ID=ubuntu\nVERSION_ID=\"23.10\"\n",
            ok("Ubuntu:23.10"),
        ),
        os(
            "Alpine point release",
            "ID=alpine\nVERSION_ID=3.19.1\n",
            ok("Alpine:v3.19"),
        ),
        os(
            "AlmaLinux minor",
            "ID=\"almalinux\"\nVERSION_ID=\"9.3\"\n",
            ok("AlmaLinux:9"),
        ),
        os(
            "the last ID wins",
            "ID=fedora\nID=debian\nVERSION_ID=12\n",
            ok("Debian:12"),
        ),
        os(
            "an empty VERSION_ID",
            "ID=debian\nVERSION_ID=\n",
            line(0, "empty VERSION_ID for ID=debian"),
        ),
        os("empty", "", line(0, "no ID field")),
        os("only comments", "# ID=debian\n", line(0, "no ID field")),
        os(
            "no VERSION_ID",
            "ID=debian\n",
            line(0, "no VERSION_ID field for ID=debian"),
        ),
        os(
            "an unsupported distribution",
            "ID=arch\nVERSION_ID=rolling\n",
            line(0, "unsupported distribution ID=arch"),
        ),
        os(
            "an unbalanced quote",
            "ID=\"debian\nVERSION_ID=12\n",
            line(0, "unsupported distribution ID=\"debian"),
        ),
        os(
            "an ID of another case",
            "ID=Debian\nVERSION_ID=12\n",
            line(0, "unsupported distribution ID=Debian"),
        ),
        os(
            "a NUL in the ID",
            "ID=deb\u{0}ian\nVERSION_ID=12\n",
            line(0, "unsupported distribution ID=deb\u{0}ian"),
        ),
        os(
            "a line without =",
            "ID=debian\nVERSION_ID=12\ngarbage\n",
            line(3, "expected KEY=value, found \"garbage\""),
        ),
        os(
            "a shell export",
            "export ID=debian\nVERSION_ID=12\n",
            line(0, "no ID field"),
        ),
        os(
            "cut after ID=",
            "PRETTY_NAME=x\nID=",
            line(0, "no VERSION_ID field for ID="),
        ),
        os(
            "cut inside the key",
            "PRETTY_NAME=x\nID=debian\nVERS",
            line(3, "expected KEY=value, found \"VERS\""),
        ),
    ]
}

#[test]
fn hostile_os_release_files_get_their_exact_error() {
    assert!(check("os-release", &cases(), |text: &String| observe(text)) >= 20);
}
