//! Inventory inputs: dpkg status files, `rpm -qa` output, rpm-manifest JSON and apk installed
//! databases, valid, cut short, huge, with bad versions, missing fields and wrong types.

use serde_json::{Value, json};

use super::inventories::gzip;
use super::{Case, Expect, case, err, ok};

const DPKG: &str = "Package: openssl
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.13-1~deb12u1)
Version: 3.0.13-1~deb12u1+b1
Description: toolkit
 with: a colon in a continuation
";

const OPENSSL: &str =
    "dpkg status 1; first openssl 3.0.13-1~deb12u1+b1 source-version 3.0.13-1~deb12u1 arch amd64";

fn dpkg_err(record: usize, package: bool, field: &str, message: &str) -> Expect {
    let named = if package { " (package openssl)" } else { "" };
    err(
        "Inventory dpkg status",
        Some(record),
        field,
        format!("record {record}{named}, field {field}: {message}"),
    )
}

/// The paragraph with its `field:` line replaced by `line`.
fn dpkg_line(field: &str, line: &str) -> Vec<u8> {
    DPKG.lines()
        .map(|l| if l.starts_with(field) { line } else { l })
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

fn dpkg_version(version: &str, message: &str) -> Case<Vec<u8>> {
    case(
        format!("dpkg Version {version:?}"),
        dpkg_line("Version:", &format!("Version: {version}")),
        dpkg_err(
            1,
            true,
            "Version",
            &format!("invalid dpkg version {version:?}: {message}"),
        ),
    )
}

/// dpkg status files.
pub fn dpkg() -> Vec<Case<Vec<u8>>> {
    let two = format!("{DPKG}\n{}", DPKG.replace("openssl", "libssl3"));
    let mut cases = vec![
        case("dpkg one package", DPKG.into(), ok(OPENSSL)),
        case("dpkg gzip", gzip(DPKG.as_bytes()), ok(OPENSSL)),
        case("dpkg CRLF", DPKG.replace('\n', "\r\n").into(), ok(OPENSSL)),
        case(
            "dpkg two packages",
            two.clone().into(),
            ok(OPENSSL.replace(" 1;", " 2;")),
        ),
        case(
            "dpkg field names in other cases",
            DPKG.replace("Status:", "STATUS:")
                .replace("Version:", "version:")
                .into(),
            ok(OPENSSL),
        ),
        case(
            "dpkg a lower-case Package field is not detected as dpkg",
            DPKG.replace("Package:", "package:").into(),
            err(
                "Inventory rpm query output",
                Some(1),
                "EVR",
                "record 1 (package package:), field EVR: expected version-release, found \"openssl\"",
            ),
        ),
        case(
            "dpkg a removed package is not installed",
            dpkg_line("Status:", "Status: deinstall ok config-files"),
            ok("dpkg status 0"),
        ),
        case(
            "dpkg a source without a version",
            dpkg_line("Source:", "Source: openssl"),
            ok("dpkg status 1; first openssl 3.0.13-1~deb12u1+b1 arch amd64"),
        ),
        case(
            "dpkg 50,000 packages",
            format!("{DPKG}\n").repeat(50_000).into(),
            ok(OPENSSL.replace(" 1;", " 50000;")),
        ),
        case(
            "dpkg an escaped-free NUL in the name is kept",
            DPKG.replace("Package: openssl", "Package: open\u{0}ssl")
                .into(),
            ok(
                "dpkg status 1; first open\u{0}ssl 3.0.13-1~deb12u1+b1 source openssl source-version 3.0.13-1~deb12u1 arch amd64",
            ),
        ),
        case(
            "dpkg Status missing",
            dpkg_line("Status:", " "),
            dpkg_err(1, true, "Status", "missing"),
        ),
        case(
            "dpkg Status of two words",
            dpkg_line("Status:", "Status: install ok"),
            dpkg_err(
                1,
                true,
                "Status",
                "expected `want flag state`, found \"install ok\"",
            ),
        ),
        case(
            "dpkg Version missing",
            dpkg_line("Version:", " "),
            dpkg_err(1, true, "Version", "missing"),
        ),
        case(
            "dpkg Package empty",
            dpkg_line("Package:", "Package:"),
            dpkg_err(1, false, "Package", "missing"),
        ),
        case(
            "dpkg the second paragraph without Package",
            format!("{DPKG}\nStatus: install ok installed\nVersion: 1.0\nX: Package: y\n").into(),
            dpkg_err(2, false, "Package", "missing"),
        ),
        case(
            "dpkg a line without a colon",
            format!("{DPKG}garbage line\n").into(),
            dpkg_err(
                1,
                true,
                "line",
                "not a `Field: value` line: \"garbage line\"",
            ),
        ),
        case(
            "dpkg Source with an unclosed parenthesis",
            dpkg_line("Source:", "Source: openssl (3.0.13"),
            dpkg_err(1, true, "Source", "unclosed '(' in \"openssl (3.0.13\""),
        ),
        case(
            "dpkg Source with a bad version",
            dpkg_line("Source:", "Source: openssl (v3)"),
            dpkg_err(
                1,
                true,
                "Source",
                "invalid dpkg version \"v3\": upstream version does not start with a digit",
            ),
        ),
    ];
    for (version, message) in [
        ("", "empty version"),
        ("1.0 2", "embedded whitespace"),
        ("a:1.0", "epoch is not a number"),
        ("99999999999:1.0", "epoch is too large"),
        ("1:", "nothing after the epoch colon"),
        ("1.0-", "empty revision after '-'"),
        ("-1", "empty upstream version"),
        ("v1.0", "upstream version does not start with a digit"),
        ("1.0_2", "invalid character in upstream version"),
        ("1.0-1:2", "epoch is not a number"),
        ("1.0\u{0}", "invalid character in upstream version"),
    ] {
        cases.push(dpkg_version(version, message));
    }
    let cut = |needle: &str, keep: usize| DPKG.find(needle).expect("needle") + keep;
    for (label, at, expect) in [
        (
            "in the state word",
            cut("installed", 4),
            dpkg_err(
                1,
                true,
                "Status",
                "unknown state \"inst\" in \"install ok inst\"",
            ),
        ),
        (
            "in the Architecture field name",
            cut("Architecture", 4),
            dpkg_err(1, true, "line", "not a `Field: value` line: \"Arch\""),
        ),
        (
            "in the version keeps a shorter one",
            cut("3.0.13-1~deb12u1+b1", 5),
            ok("dpkg status 1; first openssl 3.0.1 source-version 3.0.13-1~deb12u1 arch amd64"),
        ),
        (
            "after the version's dash",
            cut("-1~deb12u1+b1", 1),
            dpkg_err(
                1,
                true,
                "Version",
                "invalid dpkg version \"3.0.13-\": empty revision after '-'",
            ),
        ),
        (
            "after Package:",
            cut("openssl", 0),
            dpkg_err(1, false, "Package", "missing"),
        ),
    ] {
        cases.push(case(
            format!("dpkg cut {label}"),
            DPKG.as_bytes()[..at].to_vec(),
            expect,
        ));
    }
    cases.push(case(
        "dpkg invalid UTF-8",
        [DPKG.as_bytes(), b"X: \xff\xfe\n"].concat(),
        err(
            "NotText",
            None,
            "",
            "not UTF-8 text (invalid utf-8 sequence of 1 bytes from index",
        ),
    ));
    cases
}

const RPM: &str = "openssl 1:3.0.7-27.el9 x86_64 openssl-3.0.7-27.el9.src.rpm\n";

fn rpm_err(record: usize, package: Option<&str>, field: &str, message: &str) -> Expect {
    let named = package
        .map(|p| format!(" (package {p})"))
        .unwrap_or_default();
    err(
        "Inventory rpm query output",
        Some(record),
        field,
        format!("record {record}{named}, field {field}: {message}"),
    )
}

/// `rpm -qa` output, with the query format or as NEVRA lines.
pub fn rpm_query() -> Vec<Case<Vec<u8>>> {
    let one = "rpm query output 1; first openssl 1:3.0.7-27.el9 arch x86_64";
    vec![
        case("rpm one package", RPM.into(), ok(one)),
        case(
            "rpm a comment and blank lines",
            format!("# rpm -qa\n\n{RPM}\n").into(),
            ok(one),
        ),
        case(
            "rpm the epoch (none)",
            "bash (none):5.1.8-6.el9 x86_64 bash-5.1.8-6.el9.src.rpm\n".into(),
            ok("rpm query output 1; first bash 5.1.8-6.el9 arch x86_64"),
        ),
        case(
            "rpm a source rpm of another name",
            "openssl-libs 1:3.0.7-27.el9 x86_64 openssl-3.0.7-27.el9.src.rpm\n".into(),
            ok("rpm query output 1; first openssl-libs 1:3.0.7-27.el9 source openssl arch x86_64"),
        ),
        case(
            "rpm a NEVRA line",
            "openssl-3.0.7-27.el9.x86_64\n".into(),
            ok("rpm query output 1; first openssl 3.0.7-27.el9 arch x86_64"),
        ),
        case(
            "rpm 100,000 lines",
            RPM.repeat(100_000).into(),
            ok(one.replace(" 1;", " 100000;")),
        ),
        case(
            "rpm a NEVRA without an architecture",
            "openssl\n".into(),
            rpm_err(1, None, "NEVRA", "no architecture: \"openssl\""),
        ),
        case(
            "rpm a NEVRA without a release",
            "openssl.x86_64\n".into(),
            rpm_err(1, None, "NEVRA", "no release: \"openssl.x86_64\""),
        ),
        case(
            "rpm a NEVRA without a version",
            "openssl-3.0.7.x86_64\n".into(),
            rpm_err(1, None, "NEVRA", "no version: \"openssl-3.0.7.x86_64\""),
        ),
        case(
            "rpm a NEVRA without a name",
            "-3.0.7-27.el9.x86_64\n".into(),
            rpm_err(1, None, "NEVRA", "empty name"),
        ),
        case(
            "rpm an EVR without a release",
            "openssl 3.0.7 x86_64\n".into(),
            rpm_err(
                1,
                Some("openssl"),
                "EVR",
                "expected version-release, found \"3.0.7\"",
            ),
        ),
        case(
            "rpm an EVR with a word for an epoch",
            "openssl one:3.0.7-27 x86_64\n".into(),
            rpm_err(
                1,
                Some("openssl"),
                "EVR",
                "invalid rpm version \"one:3.0.7-27\": epoch is not a number",
            ),
        ),
        case(
            "rpm an EVR with an empty release",
            "openssl 3.0-7- x86_64\n".into(),
            rpm_err(
                1,
                Some("openssl"),
                "EVR",
                "invalid rpm version \"3.0-7-\": empty release after '-'",
            ),
        ),
        case(
            "rpm a source rpm that is not a file name",
            "openssl 3.0.7-27 x86_64 bogus\n".into(),
            rpm_err(
                1,
                Some("openssl"),
                "SOURCERPM",
                "not a source rpm file name: \"bogus\"",
            ),
        ),
        case(
            "rpm the third line is bad",
            format!("{RPM}{RPM}openssl 3.0.7 x86_64\n").into(),
            rpm_err(3, Some("openssl"), "EVR", "expected version-release"),
        ),
        case(
            "rpm cut inside the EVR",
            RPM.as_bytes()[..14].to_vec(),
            rpm_err(
                1,
                Some("openssl"),
                "EVR",
                "expected version-release, found \"1:3.0.\"",
            ),
        ),
    ]
}

fn manifest_value() -> Value {
    json!({"rpms": [{
        "name": "openssl-libs", "version": "3.0.7", "release": "27.el9",
        "architecture": "x86_64", "srpm_name": "openssl",
        "srpm_nevra": "openssl-1:3.0.7-27.el9.src"
    }]})
}

fn manifest_with(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value = manifest_value();
    edit(&mut value);
    value.to_string().into_bytes()
}

fn manifest_err(record: usize, field: &str, message: &str) -> Expect {
    err("Inventory rpm-manifest", Some(record), field, message)
}

/// rpm-manifest JSON documents.
pub fn rpm_manifest() -> Vec<Case<Vec<u8>>> {
    let one = "rpm-manifest 1; first openssl-libs 1:3.0.7-27.el9 source openssl arch x86_64";
    let whole = manifest_value().to_string();
    let mut cases = vec![
        case("manifest one rpm", whole.clone().into(), ok(one)),
        case(
            "manifest no rpms",
            manifest_with(|v| v["rpms"] = json!([])),
            ok("rpm-manifest 0"),
        ),
        case(
            "manifest an epoch of 0 is left out",
            manifest_with(|v| v["rpms"][0]["srpm_nevra"] = json!("openssl-0:3.0.7-27.el9.src")),
            ok("rpm-manifest 1; first openssl-libs 3.0.7-27.el9 source openssl arch x86_64"),
        ),
        case(
            "manifest rpms is an object",
            manifest_with(|v| v["rpms"] = json!({})),
            manifest_err(
                0,
                "rpms",
                "not an rpm-manifest document: invalid type: map, expected a sequence",
            ),
        ),
        case(
            "manifest rpms twice",
            format!("{{\"rpms\":[],{}", &whole[1..]).into(),
            manifest_err(0, "rpms", "duplicate field `rpms`"),
        ),
        case(
            "manifest rpms only named in a string",
            "{\"note\":\"rpms\"}".into(),
            manifest_err(0, "rpms", "missing field `rpms`"),
        ),
        case(
            "manifest an rpm that is a number",
            manifest_with(|v| v["rpms"] = json!([1])),
            manifest_err(
                1,
                "rpms[]",
                "invalid type: integer `1`, expected struct ManifestRpm",
            ),
        ),
        case(
            "manifest an rpm without a name",
            manifest_with(|v| {
                v["rpms"][0].as_object_mut().map(|o| o.remove("name"));
            }),
            manifest_err(1, "rpms[]", "record 1, field rpms[]: missing field `name`"),
        ),
        case(
            "manifest a version that is a number",
            manifest_with(|v| v["rpms"][0]["version"] = json!(3.0)),
            manifest_err(
                1,
                "rpms[]",
                "(package openssl-libs), field rpms[]: invalid type: floating point `3.0`, expected a string",
            ),
        ),
        case(
            "manifest an empty release",
            manifest_with(|v| v["rpms"][0]["release"] = json!("")),
            manifest_err(1, "version", "empty version or release"),
        ),
        case(
            "manifest a version with whitespace",
            manifest_with(|v| v["rpms"][0]["version"] = json!("3.0 7")),
            manifest_err(1, "version", "embedded whitespace"),
        ),
        case(
            "manifest an unknown field nested 200 deep is skipped",
            format!(
                "{{\"x\":{}1{},{}",
                "[".repeat(200),
                "]".repeat(200),
                &whole[1..]
            )
            .into(),
            ok(one),
        ),
        case(
            "manifest an unknown field nested 1,000,000 deep is skipped without recursion",
            format!(
                "{{\"x\":{}1{},{}",
                "[".repeat(1_000_000),
                "]".repeat(1_000_000),
                &whole[1..]
            )
            .into(),
            ok(one),
        ),
        case(
            "manifest without rpms is not an inventory",
            "{\"packages\":[]}".into(),
            err(
                "UnknownInventory",
                None,
                "",
                "<file>: not a dpkg status file, rpm query output, rpm-manifest or apk installed database",
            ),
        ),
    ];
    for cut in (10..whole.len()).step_by(37) {
        cases.push(case(
            format!("manifest cut at byte {cut}"),
            whole.as_bytes()[..cut].to_vec(),
            manifest_err(0, "rpms", "EOF while parsing"),
        ));
    }
    cases
}

const APK: &str =
    "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\nP:busybox-binsh\nV:1.36.1-r15\no:busybox\n";

fn apk_err(record: usize, package: Option<&str>, field: &str, message: &str) -> Expect {
    let named = package
        .map(|p| format!(" (package {p})"))
        .unwrap_or_default();
    err(
        "Inventory apk installed database",
        Some(record),
        field,
        format!("record {record}{named}, field {field}: {message}"),
    )
}

/// apk installed databases.
pub fn apk() -> Vec<Case<Vec<u8>>> {
    let two = "apk installed database 2; first musl 1.2.4-r2 arch x86_64";
    vec![
        case("apk two packages", APK.into(), ok(two)),
        case("apk CRLF", APK.replace('\n', "\r\n").into(), ok(two)),
        case(
            "apk P missing",
            APK.replace("P:busybox-binsh\n", "").into(),
            apk_err(2, None, "P", "missing package name"),
        ),
        case(
            "apk P empty",
            APK.replace("P:musl", "P:").into(),
            apk_err(1, None, "P", "missing package name"),
        ),
        case(
            "apk V missing",
            APK.replace("V:1.2.4-r2\n", "").into(),
            apk_err(1, Some("musl"), "V", "missing"),
        ),
        case(
            "apk a version with text after it",
            APK.replace("1.2.4-r2", "1.2.4-r2 (local)").into(),
            apk_err(
                1,
                Some("musl"),
                "V",
                "invalid apk version \"1.2.4-r2 (local)\": unexpected text after the version",
            ),
        ),
        case(
            "apk a version that is a word",
            APK.replace("1.2.4-r2", "latest").into(),
            apk_err(
                1,
                Some("musl"),
                "V",
                "invalid apk version \"latest\": does not start with a number",
            ),
        ),
        case(
            "apk a key of two letters",
            APK.replace("A:x86_64", "Ar:x86_64").into(),
            apk_err(
                1,
                Some("musl"),
                "line",
                "not an `X:value` line: \"Ar:x86_64\"",
            ),
        ),
        case(
            "apk a line without a colon",
            format!("{APK}garbage\n").into(),
            apk_err(
                2,
                Some("busybox-binsh"),
                "line",
                "not an `X:value` line: \"garbage\"",
            ),
        ),
        case(
            "apk cut after -r keeps a revision without a number",
            APK.as_bytes()[..APK.find("-r2").expect("r2") + 2].to_vec(),
            ok("apk installed database 1; first musl 1.2.4-r"),
        ),
        case(
            "apk a line of 1 MiB",
            format!("{APK}Z:{}\n", "z".repeat(1 << 20)).into(),
            ok(two),
        ),
    ]
}
