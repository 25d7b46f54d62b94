//! The distributions' own lists: Debian security tracker `DSA/list` and Alpine secdb (JSON
//! and YAML), valid, cut short, with unknown releases and states, bad versions and bad YAML.

use serde_json::{Value, json};

use super::feeds::{FeedInput, bytes};
use super::{Case, Expect, case, err, ok};

const DSA: &str = "[12 Jan 2024] DSA-5600-1 openssl - security update
\t{CVE-2024-0001 CVE-2024-0002}
\t[bookworm] - openssl 3.0.13-1~deb12u1
\t[bullseye] - openssl <not-affected> (vulnerable code not present)
\tNOTE: a note
";

fn dsa_err(record: usize, id: bool, field: &str, message: &str) -> Expect {
    let named = if id { " (DSA-5600-1)" } else { "" };
    err(
        "Feed debian-tracker",
        Some(record),
        field,
        format!("record {record}{named}, field {field}: {message}"),
    )
}

/// The list with `line` as its third line.
fn dsa_line(label: &str, line: &str, expect: Expect) -> Case<FeedInput> {
    let text = format!(
        "[12 Jan 2024] DSA-5600-1 openssl - security update\n\t{{CVE-2024-0001}}\n{line}\n"
    );
    case(label, bytes(text), expect)
}

fn release_line(label: &str, line: &str, message: &str) -> Case<FeedInput> {
    dsa_line(label, line, dsa_err(3, true, "release line", message))
}

/// Debian tracker lists.
pub fn debian_tracker() -> Vec<Case<FeedInput>> {
    let skipped = "record 3 (DSA-5600-1), field release line: invalid dpkg version \"1.0-\": empty revision after '-'";
    let mut cases = vec![
        case("one advisory", bytes(DSA), ok("debian-tracker=1")),
        case(
            "CRLF line ends",
            bytes(DSA.replace('\n', "\r\n")),
            ok("debian-tracker=1"),
        ),
        dsa_line(
            "an unfixed release",
            "\t[bookworm] - openssl <unfixed>",
            ok("debian-tracker=1"),
        ),
        dsa_line(
            "an end-of-life release",
            "\t[buster] - openssl <end-of-life>",
            ok("debian-tracker=1"),
        ),
        dsa_line(
            "a release line whose version is not a dpkg version is skipped",
            "\t[bookworm] - openssl 1.0-",
            ok(format!("debian-tracker=1 skipped[{skipped}]")),
        ),
        case(
            "10,000 advisories",
            bytes(DSA.repeat(10_000)),
            ok("debian-tracker=10000"),
        ),
        case(
            "a header whose date is not a date",
            bytes(DSA.replace("12 Jan", "32 Jan")),
            dsa_err(1, false, "header", "bad date (input is out of range)"),
        ),
        case(
            "a header whose month is unknown",
            bytes(DSA.replace("Jan", "Foo")),
            dsa_err(
                1,
                false,
                "header",
                "bad date (input contains invalid characters)",
            ),
        ),
        case(
            "a second header without a package",
            bytes(format!("{DSA}[13 Jan 2024] DSA-5601-1\n")),
            dsa_err(
                6,
                false,
                "header",
                "missing package: \"[13 Jan 2024] DSA-5601-1\"",
            ),
        ),
        case(
            "a second header with an unclosed date",
            bytes(format!("{DSA}[13 Jan 2024 DSA-5601-1 curl\n")),
            dsa_err(6, false, "header", "unclosed date"),
        ),
        case(
            "a second header without brackets",
            bytes(format!("{DSA}13 Jan 2024 DSA-5601-1 curl\n")),
            dsa_err(
                6,
                false,
                "header",
                "expected `[DD Mon YYYY] ID package - text`",
            ),
        ),
        case(
            "a release line before any header",
            bytes(format!("\t[bookworm] - openssl 1.0-1\n{DSA}")),
            dsa_err(1, false, "line", "continuation line before any header"),
        ),
        dsa_line(
            "an unclosed CVE list",
            "\t{CVE-2024-0003",
            dsa_err(3, true, "cve list", "unclosed '{' in \"{CVE-2024-0003\""),
        ),
        dsa_line(
            "an unrecognised line",
            "\tsomething else",
            dsa_err(3, true, "line", "unrecognised line \"something else\""),
        ),
        release_line(
            "an unknown release",
            "\t[sid] - openssl 1.0-1",
            "unknown Debian release \"sid\"",
        ),
        release_line(
            "a release line without a version",
            "\t[bookworm] - openssl",
            "missing version: \"[bookworm] - openssl\"",
        ),
        release_line(
            "a release line without a package",
            "\t[bookworm] -",
            "missing package",
        ),
        release_line(
            "a release line without the dash",
            "\t[bookworm] openssl 1.0-1",
            "expected `[release] - package version`",
        ),
        release_line(
            "an unclosed release",
            "\t[bookworm - openssl 1.0-1",
            "unclosed '[' in \"[bookworm - openssl 1.0-1\"",
        ),
        release_line(
            "an unknown state",
            "\t[bookworm] - openssl <fixed-later>",
            "unknown state <fixed-later>",
        ),
    ];
    let cut_at = |needle: &str, keep: usize| DSA.find(needle).expect("needle") + keep;
    for (label, cut, expect) in [
        (
            "inside the CVE list",
            cut_at("CVE-2024-0002", 5),
            dsa_err(2, true, "cve list", "unclosed '{'"),
        ),
        (
            "inside the release name",
            cut_at("bookworm", 4),
            dsa_err(3, true, "release line", "unclosed '['"),
        ),
        (
            "inside the version",
            cut_at("3.0.13", 4),
            ok("debian-tracker=1"),
        ),
        (
            "inside the header date no longer looks like a list and is read as OSV",
            6,
            err(
                "Feed osv",
                Some(0),
                "json (line 1, column 5)",
                "expected `,` or `]`",
            ),
        ),
    ] {
        cases.push(case(
            format!("the list cut {label}"),
            bytes(&DSA.as_bytes()[..cut]),
            expect,
        ));
    }
    cases
}

fn secdb_value() -> Value {
    json!({
        "distroversion": "v3.19",
        "reponame": "main",
        "packages": [{"pkg": {"name": "openssl", "secfixes": {
            "3.1.4-r1": ["CVE-2023-5678"],
            "0": ["CVE-2000-0001"]
        }}}]
    })
}

fn secdb_with(edit: impl FnOnce(&mut Value)) -> FeedInput {
    let mut value = secdb_value();
    edit(&mut value);
    bytes(value.to_string())
}

fn secdb_err(record: usize, field: &str, message: &str) -> Expect {
    err("Feed alpine-secdb", Some(record), field, message)
}

const SECDB_YAML: &str = "distroversion: v3.19
packages:
  - pkg:
      name: openssl
      secfixes:
        3.1.4-r1:
          - CVE-2023-5678
";

/// Alpine secdb documents.
pub fn alpine() -> Vec<Case<FeedInput>> {
    let json = secdb_value().to_string();
    let mut cases = vec![
        case(
            "one fix (the 0 key is not a fix)",
            bytes(json.clone()),
            ok("alpine-secdb=1"),
        ),
        case("as YAML", bytes(SECDB_YAML), ok("alpine-secdb=1")),
        case(
            "a numeric distroversion",
            secdb_with(|v| v["distroversion"] = json!(3.19)),
            ok("alpine-secdb=1"),
        ),
        case(
            "a package without secfixes",
            secdb_with(|v| v["packages"] = json!([{"pkg": {"name": "musl"}}])),
            ok("alpine-secdb=0"),
        ),
        case(
            "a fix with null ids",
            secdb_with(|v| v["packages"][0]["pkg"]["secfixes"] = json!({"1.0-r0": null})),
            ok("alpine-secdb=1"),
        ),
        case(
            "distroversion missing",
            secdb_with(|v| {
                v.as_object_mut().map(|o| o.remove("distroversion"));
            }),
            secdb_err(0, "distroversion", "missing"),
        ),
        case(
            "distroversion is a list",
            secdb_with(|v| v["distroversion"] = json!(["v3.19"])),
            secdb_err(0, "distroversion", "missing"),
        ),
        case(
            "packages missing",
            bytes("{\"distroversion\":\"v3.19\"}"),
            secdb_err(0, "packages", "missing or not a list"),
        ),
        case(
            "packages is an object",
            secdb_with(|v| v["packages"] = json!({})),
            secdb_err(0, "packages", "missing or not a list"),
        ),
        case(
            "a package without a name",
            secdb_with(|v| v["packages"] = json!([{"pkg": {"secfixes": {}}}])),
            secdb_err(1, "pkg.name", "record 1, field pkg.name: missing"),
        ),
        case(
            "a package name that is a list",
            secdb_with(|v| v["packages"][0]["pkg"]["name"] = json!(["openssl"])),
            secdb_err(1, "pkg.name", "missing"),
        ),
        case(
            "secfixes is a list",
            secdb_with(|v| v["packages"][0]["pkg"]["secfixes"] = json!(["CVE-2023-5678"])),
            secdb_err(
                1,
                "pkg.secfixes",
                "record 1 (openssl), field pkg.secfixes: not a mapping",
            ),
        ),
        case(
            "the second package's fix version is not an apk version",
            secdb_with(|v| {
                let curl = json!({"pkg": {"name": "curl", "secfixes": {"r1-8.0": []}}});
                if let Some(packages) = v["packages"].as_array_mut() {
                    packages.push(curl);
                }
            }),
            secdb_err(
                2,
                "pkg.secfixes.r1-8.0",
                "invalid apk version \"r1-8.0\": does not start with a number",
            ),
        ),
        case(
            "a fix version with trailing text",
            secdb_with(|v| v["packages"][0]["pkg"]["secfixes"] = json!({"1.0-r0 (backport)": []})),
            secdb_err(
                1,
                "pkg.secfixes.1.0-r0 (backport)",
                "unexpected text after the version",
            ),
        ),
        case(
            "a fix version that is a YAML list",
            bytes(SECDB_YAML.replace("3.1.4-r1:", "? [1, 2]\n        :")),
            secdb_err(1, "pkg.secfixes", "version key is not a scalar"),
        ),
        case(
            "YAML indented with a tab",
            bytes(SECDB_YAML.replace("  - pkg:", "\t- pkg:")),
            secdb_err(3, "document", "found character that cannot start any token"),
        ),
        case(
            "distroversion twice",
            bytes(format!("distroversion: v3.18\n{SECDB_YAML}")),
            secdb_err(1, "document", "duplicate entry with key \"distroversion\""),
        ),
        case(
            "a YAML list nested 1,000 deep",
            bytes(format!("distroversion: v3.19\nx: {}\n", "[".repeat(1_000))),
            secdb_err(2, "document", "recursion limit exceeded"),
        ),
        case(
            "a billion laughs of aliases",
            bytes(laughs()),
            secdb_err(0, "document", "repetition limit exceeded"),
        ),
    ];
    for (cut, record, message) in [
        (
            20,
            1,
            "found unexpected end of stream at line 1 column 21, while scanning a quoted scalar",
        ),
        (
            43,
            2,
            "did not find expected ',' or '}' at line 2 column 1, while parsing a flow mapping",
        ),
        (66, 1, "found unexpected end of stream at line 1 column 67"),
        (89, 1, "found unexpected end of stream at line 1 column 90"),
        (
            112,
            1,
            "found unexpected end of stream at line 1 column 113",
        ),
        (
            135,
            1,
            "found unexpected end of stream at line 1 column 136",
        ),
    ] {
        cases.push(case(
            format!("the JSON secdb cut at byte {cut}"),
            bytes(&json.as_bytes()[..cut]),
            secdb_err(record, "document", message),
        ));
    }
    cases
}

/// Nine levels of aliases, each repeating the one before nine times.
fn laughs() -> String {
    let mut text = String::from("distroversion: v3.19\na0: &a0 [lol]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        let list = vec![previous; 9].join(", ");
        text.push_str(&format!("a{level}: &a{level} [{list}]\n"));
    }
    text.push_str("packages: []\n");
    text
}
