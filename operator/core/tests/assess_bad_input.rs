//! Bad feeds and inventories: truncated documents, wrong types and bad versions give errors
//! that name the record (and its id or package) and the field, and no input makes a parser
//! panic, including every truncation of the real files.

mod assess_support;

use assess_support::read_data;
use patchwarden_core::feed::{alpine_secdb, debian_tracker, epss, kev, osv};
use patchwarden_core::inventory::{Inventory, InventoryFormat};
use proptest::prelude::*;

#[test]
fn osv_errors_name_the_record_id_and_field() {
    let good = r#"{"id":"ALSA-1","affected":[{"package":{"ecosystem":"AlmaLinux:9","name":"bash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.1-1.el9"}]}]}]}"#;
    let truncated = &good[..good.len() / 2];
    let wrong_type = r#"{"id":"ALSA-2","affected":"bash"}"#;
    let bad_version = r#"{"id":"ALSA-3","affected":[{"package":{"ecosystem":"AlmaLinux:9","name":"bash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.1 -1"}]}]}]}"#;
    let number_version = r#"{"id":"DSA-4","affected":[{"package":{"ecosystem":"Debian:12","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":12}]}]}]}"#;
    let bad_cvss = r#"{"id":"USN-5","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:Q"}]}"#;

    let error = osv::parse_document(&format!("{good}\n{truncated}\n")).expect_err("truncated");
    assert_eq!(error.record, 2);
    assert!(error.field.contains("json"), "{error}");

    let error =
        osv::parse_document(&format!("{good}\n{good}\n{wrong_type}\n")).expect_err("wrong type");
    assert_eq!((error.record, error.id.as_deref()), (3, Some("ALSA-2")));

    let error = osv::parse_document(bad_version).expect_err("bad version");
    assert_eq!(error.id.as_deref(), Some("ALSA-3"));
    assert_eq!(error.field, "affected[0].ranges[0].events.fixed");
    assert!(error.to_string().contains("invalid rpm version"), "{error}");

    let error = osv::parse_document(number_version).expect_err("number");
    assert!(error.to_string().contains("expected a string"), "{error}");

    let error = osv::parse_document(bad_cvss).expect_err("cvss");
    assert_eq!(error.field, "severity[0].score");
    assert_eq!(error.id.as_deref(), Some("USN-5"));
}

#[test]
fn other_feeds_name_record_and_field() {
    let error = kev::parse_catalog(r#"{"vulnerabilities":[{"cveID":"CVE-2021-1","dateAdded":"2021-11-03","dueDate":"2021-11-17"},{"cveID":"CVE-2021-2","dateAdded":"yesterday","dueDate":"2021-11-17"}]}"#)
        .expect_err("bad date");
    assert_eq!(
        (error.record, error.id.as_deref(), error.field.as_str()),
        (2, Some("CVE-2021-2"), "dateAdded")
    );
    assert!(kev::parse_catalog(r#"{"vulnerabilities":{}}"#).is_err());
    assert!(
        kev::parse_catalog(r#"{"vulnerabilities":[{"cveID":7}]}"#)
            .expect_err("type")
            .to_string()
            .contains("cveID")
    );

    let error = epss::parse_csv(
        "#model_version:v1\ncve,epss,percentile\nCVE-2020-0001,0.5,0.9\nCVE-2020-0002,1.5,0.9\n",
    )
    .expect_err("range");
    assert_eq!((error.record, error.field.as_str()), (4, "epss"));
    assert!(epss::parse_csv("no,header\n").is_err());

    let error = debian_tracker::parse_list(
        "[01 Jan 2024] DSA-1-1 pkg - x\n\t[bookworm] - pkg 1.0-1\n\t[atlantis] - pkg 1.0-2\n",
    )
    .expect_err("release");
    assert_eq!((error.record, error.id.as_deref()), (3, Some("DSA-1-1")));
    assert!(debian_tracker::parse_list("[99 Foo 2024] DSA-1-1 pkg - x\n").is_err());

    let error = alpine_secdb::parse_secdb("distroversion: v3.18\npackages:\n  - pkg:\n      name: a\n      secfixes:\n        1.0-r0: [CVE-2020-0001]\n  - pkg:\n      name: b\n      secfixes: [oops]\n").expect_err("type");
    assert_eq!((error.record, error.id.as_deref()), (2, Some("b")));
}

#[test]
fn inventories_name_record_package_and_field() {
    let status = "Package: a\nStatus: install ok installed\nVersion: 1.0\n\nPackage: b\nStatus: install ok installed\nSource: b-src (1.0 beta)\nVersion: 1.0\n";
    let error =
        Inventory::parse(InventoryFormat::DpkgStatus, status).expect_err("bad source version");
    assert_eq!(
        (error.record, error.package.as_deref(), error.field),
        (2, Some("b"), "Source")
    );
    let error = Inventory::parse(InventoryFormat::DpkgStatus, "Package: a\nVersion: 1\n")
        .expect_err("no status");
    assert_eq!(error.field, "Status");

    let manifest = r#"{"rpms":[{"name":"a","version":"1","release":"1.el9"},{"name":"b","version":"1","release":["x"]}]}"#;
    let error = Inventory::parse(InventoryFormat::RpmManifest, manifest).expect_err("wrong type");
    assert_eq!((error.record, error.package.as_deref()), (2, Some("b")));
    let error = Inventory::parse(InventoryFormat::RpmManifest, r#"{"rpms":[{"name":"a","#)
        .expect_err("truncated");
    assert_eq!(error.field, "rpms");

    let error = Inventory::parse(
        InventoryFormat::RpmQuery,
        "bash 5.1.8-4.el9 x86_64\nbroken\n",
    )
    .expect_err("nevra");
    assert_eq!((error.record, error.field), (2, "NEVRA"));

    let error = Inventory::parse(
        InventoryFormat::ApkInstalled,
        "P:musl\nV:1.2.4-r1\n\nP:busybox\nV:1.36.1_bad-r0\n",
    )
    .expect_err("version");
    assert_eq!(
        (error.record, error.package.as_deref(), error.field),
        (2, Some("busybox"), "V")
    );
}

/// Every parser on every prefix of a real document: an answer, never a panic.
fn parse_everything(text: &str) {
    let _ = osv::parse_document(text);
    let _ = kev::parse_catalog(text);
    let _ = epss::parse_csv(text);
    let _ = debian_tracker::parse_list(text);
    let _ = alpine_secdb::parse_secdb(text);
    for format in [
        InventoryFormat::DpkgStatus,
        InventoryFormat::RpmQuery,
        InventoryFormat::RpmManifest,
        InventoryFormat::ApkInstalled,
    ] {
        let _ = Inventory::parse(format, text);
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
