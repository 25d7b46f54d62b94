//! Bad feeds and inventories: truncated documents, wrong types and bad versions give errors
//! that name the record (and its id or package), the field and the exact reason; no input makes
//! a parser panic, and every error from any input, including every truncation of the real files,
//! names a field and a reason.

mod assess_support;

use assess_support::read_data;
use patchwarden_core::feed::{FeedError, alpine_secdb, debian_tracker, epss, kev, osv};
use patchwarden_core::inventory::{Inventory, InventoryError, InventoryFormat};
use proptest::prelude::*;

/// A feed error as (record, id, field, reason).
fn feed(error: FeedError) -> (usize, Option<String>, String, String) {
    (error.record, error.id, error.field, error.reason)
}

/// An inventory error as (record, package, field, reason).
fn inventory(error: InventoryError) -> (usize, Option<String>, &'static str, String) {
    (error.record, error.package, error.field, error.reason)
}

fn some(id: &str) -> Option<String> {
    Some(id.to_string())
}

#[test]
fn osv_errors_name_the_record_id_and_field() {
    let good = r#"{"id":"ALSA-1","affected":[{"package":{"ecosystem":"AlmaLinux:9","name":"bash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.1-1.el9"}]}]}]}"#;
    let truncated = &good[..good.len() / 2];
    let wrong_type = r#"{"id":"ALSA-2","affected":"bash"}"#;
    let bad_version = r#"{"id":"ALSA-3","affected":[{"package":{"ecosystem":"AlmaLinux:9","name":"bash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.1 -1"}]}]}]}"#;
    let number_version = r#"{"id":"DSA-4","affected":[{"package":{"ecosystem":"Debian:12","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":12}]}]}]}"#;
    let bad_cvss = r#"{"id":"USN-5","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:Q"}]}"#;
    let cases = [
        (
            format!("{good}\n{truncated}\n"),
            (
                2,
                None,
                "json (line 1, column 83)",
                "EOF while parsing a string at line 1 column 83",
            ),
        ),
        (
            format!("{good}\n{good}\n{wrong_type}\n"),
            (
                3,
                some("ALSA-2"),
                "json (line 1, column 32)",
                "invalid type: string \"bash\", expected a sequence at line 1 column 32",
            ),
        ),
        (
            bad_version.to_string(),
            (
                1,
                some("ALSA-3"),
                "affected[0].ranges[0].events.fixed",
                "invalid rpm version \"5.1 -1\": embedded whitespace",
            ),
        ),
        (
            number_version.to_string(),
            (
                1,
                some("DSA-4"),
                "affected[0].ranges[0].events.fixed",
                "expected a string, found 12",
            ),
        ),
        (
            bad_cvss.to_string(),
            (
                1,
                some("USN-5"),
                "severity[0].score",
                "invalid CVSS vector \"CVSS:3.1/AV:Q\": invalid CVSSv3 AV (Attack Vector) metric: `Q`",
            ),
        ),
    ];
    for (text, (record, id, field, reason)) in cases {
        let error = osv::parse_document(&text).expect_err(&text);
        assert_eq!(
            feed(error),
            (record, id, field.to_string(), reason.to_string())
        );
    }
}

#[test]
fn other_feeds_name_record_and_field() {
    let expect =
        |error: FeedError, record: usize, id: Option<String>, field: &str, reason: &str| {
            assert_eq!(
                feed(error),
                (record, id, field.to_string(), reason.to_string())
            );
        };
    expect(
        kev::parse_catalog(r#"{"vulnerabilities":[{"cveID":"CVE-2021-1","dateAdded":"2021-11-03","dueDate":"2021-11-17"},{"cveID":"CVE-2021-2","dateAdded":"yesterday","dueDate":"2021-11-17"}]}"#)
            .expect_err("bad date"),
        2,
        some("CVE-2021-2"),
        "dateAdded",
        "\"yesterday\": input contains invalid characters",
    );
    expect(
        kev::parse_catalog(r#"{"vulnerabilities":{}}"#).expect_err("not a list"),
        0,
        None,
        "vulnerabilities",
        "missing or not a list",
    );
    expect(
        kev::parse_catalog(r#"{"vulnerabilities":[{"cveID":7}]}"#).expect_err("type"),
        1,
        None,
        "cveID",
        "missing or not a string",
    );
    expect(
        epss::parse_csv(
            "#model_version:v1\ncve,epss,percentile\nCVE-2020-0001,0.5,0.9\nCVE-2020-0002,1.5,0.9\n",
        )
        .expect_err("range"),
        4,
        some("CVE-2020-0002"),
        "epss",
        "1.5 is outside 0..1",
    );
    expect(
        epss::parse_csv("no,header\n").expect_err("header"),
        1,
        None,
        "header",
        "expected a header with cve and epss columns, found \"no,header\"",
    );
    expect(
        debian_tracker::parse_list(
            "[01 Jan 2024] DSA-1-1 pkg - x\n\t[bookworm] - pkg 1.0-1\n\t[atlantis] - pkg 1.0-2\n",
        )
        .expect_err("release"),
        3,
        some("DSA-1-1"),
        "release line",
        "unknown Debian release \"atlantis\"",
    );
    expect(
        debian_tracker::parse_list("[99 Foo 2024] DSA-1-1 pkg - x\n").expect_err("date"),
        1,
        None,
        "header",
        "bad date (input is out of range): \"[99 Foo 2024] DSA-1-1 pkg - x\"",
    );
    expect(
        alpine_secdb::parse_secdb("distroversion: v3.18\npackages:\n  - pkg:\n      name: a\n      secfixes:\n        1.0-r0: [CVE-2020-0001]\n  - pkg:\n      name: b\n      secfixes: [oops]\n").expect_err("type"),
        2,
        some("b"),
        "pkg.secfixes",
        "not a mapping",
    );
}

#[test]
fn inventories_name_record_package_and_field() {
    let status = "Package: a\nStatus: install ok installed\nVersion: 1.0\n\nPackage: b\nStatus: install ok installed\nSource: b-src (1.0 beta)\nVersion: 1.0\n";
    let manifest = r#"{"rpms":[{"name":"a","version":"1","release":"1.el9"},{"name":"b","version":"1","release":["x"]}]}"#;
    let cases = [
        (
            InventoryFormat::DpkgStatus,
            status,
            (
                2,
                some("b"),
                "Source",
                "invalid dpkg version \"1.0 beta\": embedded whitespace",
            ),
        ),
        (
            InventoryFormat::DpkgStatus,
            "Package: a\nVersion: 1\n",
            (1, some("a"), "Status", "missing"),
        ),
        (
            InventoryFormat::RpmManifest,
            manifest,
            (
                2,
                some("b"),
                "rpms[]",
                "invalid type: sequence, expected a string",
            ),
        ),
        (
            InventoryFormat::RpmManifest,
            r#"{"rpms":[{"name":"a","#,
            (
                0,
                None,
                "rpms",
                "not an rpm-manifest document: EOF while parsing a value at line 1 column 21",
            ),
        ),
        (
            InventoryFormat::RpmQuery,
            "bash 5.1.8-4.el9 x86_64\nbroken\n",
            (2, None, "NEVRA", "no architecture: \"broken\""),
        ),
        (
            InventoryFormat::ApkInstalled,
            "P:musl\nV:1.2.4-r1\n\nP:busybox\nV:1.36.1_bad-r0\n",
            (
                2,
                some("busybox"),
                "V",
                "invalid apk version \"1.36.1_bad-r0\": unexpected text after the version",
            ),
        ),
    ];
    for (format, text, (record, package, field, reason)) in cases {
        let error = Inventory::parse(format, text).expect_err(text);
        assert_eq!(
            inventory(error),
            (record, package, field, reason.to_string())
        );
    }
}

/// Every parser on any text: an answer, never a panic, and every error names a field, says
/// what is wrong, and points at a record the text has (0 for the document as a whole).
fn parse_everything(text: &str) {
    // YAML breaks lines at U+0085, U+2028 and U+2029 too, and numbers them so.
    let records = text
        .split(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'])
        .count()
        + 1;
    let feed_errors = [
        osv::parse_document(text).err(),
        kev::parse_catalog(text).err(),
        epss::parse_csv(text).err(),
        debian_tracker::parse_list(text).err(),
        alpine_secdb::parse_secdb(text).err(),
    ];
    for error in feed_errors.into_iter().flatten() {
        assert!(!error.field.is_empty(), "{error:?}");
        assert!(!error.reason.is_empty(), "{error:?}");
        assert!(error.record <= records, "{error:?}");
        let shown = error.to_string();
        assert!(
            shown.contains(&error.field) && shown.contains(&error.reason),
            "{shown}"
        );
    }
    for format in [
        InventoryFormat::DpkgStatus,
        InventoryFormat::RpmQuery,
        InventoryFormat::RpmManifest,
        InventoryFormat::ApkInstalled,
    ] {
        if let Err(error) = Inventory::parse(format, text) {
            assert!(!error.field.is_empty(), "{error:?}");
            assert!(!error.reason.is_empty(), "{error:?}");
            assert!(error.record <= records, "{error:?}");
            let shown = error.to_string();
            assert!(
                shown.contains(error.field) && shown.contains(&error.reason),
                "{shown}"
            );
        }
    }
}

fn real_documents() -> &'static [String] {
    static DOCUMENTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let cut = |s: String| s.chars().take(60_000).collect::<String>();
    DOCUMENTS.get_or_init(|| {
        vec![
            read_data("osv/distro-osv-samples.jsonl"),
            cut(read_data(
                "kev/known_exploited_vulnerabilities-2025.08.25.json.gz",
            )),
            cut(read_data("epss/epss_scores-2025-04-15.csv.gz")),
            cut(read_data("debian/security-tracker-DSA-list-2025-02-13.gz")),
            cut(read_data(
                "inventories/debian12-host-dpkg-status-2026-11-28.gz",
            )),
            read_data("inventories/ubi9-amd64-rpm-manifest-2022-05-03.json.gz"),
            read_data("inventories/alpine-apk-installed"),
        ]
    })
}

#[test]
fn an_error_after_a_unicode_line_separator_points_at_a_line_the_text_has() {
    // Found by `arbitrary_text_never_panics`: YAML numbers the lines U+2028 breaks.
    parse_everything("=:\u{2028}x%*SwE8:{=X'o'$f{L{g:`hi P%Z'E");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn truncated_real_documents_never_panic(which in 0usize..7, fraction in 0.0f64..1.0) {
        let documents = real_documents();
        let text = &documents[which];
        let mut end = (text.len() as f64 * fraction) as usize;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        parse_everything(&text[..end]);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        parse_everything(&text);
    }
}
