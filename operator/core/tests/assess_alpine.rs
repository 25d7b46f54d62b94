//! Alpine end to end: the real apk installed database (origins as source packages) against
//! a secdb document in the live JSON shape, including its messy id strings and a `0` key.

mod assess_support;

use assess_support::read_data;
use patchwarden_core::finding::AssetContext;
use patchwarden_core::index::{AdvisoryIndex, FeedSet};
use patchwarden_core::inventory::{Inventory, InventoryFormat, ecosystem_from_os_release};
use patchwarden_core::risk::{Criticality, Exposure};

#[test]
fn apk_origins_match_secdb_fixes() {
    let installed = read_data("inventories/alpine-apk-installed");
    assert_eq!(
        InventoryFormat::detect(&installed),
        Some(InventoryFormat::ApkInstalled)
    );
    let inventory = Inventory::parse(InventoryFormat::ApkInstalled, &installed).expect("apk db");
    assert_eq!(inventory.len(), 15);
    let secdb = r#"{"distroversion":"v3.18","reponame":"main","packages":[
        {"pkg":{"name":"openssl","secfixes":{"3.1.0-r5":["CVE-2023-1255"],"3.1.1-r0":["CVE-2023-2650 XSA-1"],"3.0.8-r0":["CVE-2023-0286"]}}},
        {"pkg":{"name":"busybox","secfixes":{"1.36.1-r1":["CVE-2022-48174"],"0":["CVE-2021-0001"]}}},
        {"pkg":{"name":"zlib","secfixes":{"1.2.12-r2":["CVE-2022-37434"]}}}]}"#;
    let advisories = patchwarden_core::feed::alpine_secdb::parse_secdb(secdb).expect("secdb");
    assert_eq!(advisories.len(), 5, "the `0` key means never affected");
    let index = AdvisoryIndex::build(FeedSet {
        advisories,
        ..FeedSet::default()
    });
    let ecosystem =
        ecosystem_from_os_release("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.18.2\n")
            .expect("os-release");
    let context = AssetContext {
        name: "alpine".into(),
        ecosystem,
        criticality: Criticality::Low,
        exposure: Exposure::Internal,
    };
    let assessment = index.assess(&inventory, &context);
    let found: Vec<(&str, &str, Option<&str>, usize)> = assessment
        .findings
        .iter()
        .map(|f| {
            (
                f.matched.package.as_str(),
                f.matched.installed_version.as_str(),
                f.matched.fixed_version.as_deref(),
                f.binaries.len(),
            )
        })
        .collect();
    // openssl 3.1.0-r4 < 3.1.0-r5 and 3.1.1-r0 (not 3.0.8-r0); busybox 1.36.0-r9 < 1.36.1-r1;
    // zlib 1.2.13-r1 is past 1.2.12-r2.
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found.contains(&("openssl", "3.1.0-r4", Some("3.1.1-r0"), 2)),
        "{found:?}"
    );
    assert!(
        found.contains(&("busybox", "1.36.0-r9", Some("1.36.1-r1"), 3)),
        "{found:?}"
    );
    let openssl = assessment
        .findings
        .iter()
        .find(|f| f.matched.package == "openssl")
        .expect("openssl");
    assert_eq!(openssl.matched.cve_ids, ["CVE-2023-1255", "CVE-2023-2650"]);
}
