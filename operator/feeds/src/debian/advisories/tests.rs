//! Unit tests; a failed `unwrap` is a failed test.
#![allow(clippy::unwrap_used)]

use patchwarden_core::Severity;
use patchwarden_core::advisory::RangeEvent;
use patchwarden_core::feed::osv::parse_record;

use super::*;
use crate::debian::changelog::parse_changelog;

const OPENSSL: &str = "\
openssl (3.0.22-1~deb12u2) bookworm-security; urgency=high
  * Follow-up for CVE-2026-1000.
  * Fix CVE-2026-2000.
 -- Debian Security Team <team@security.debian.org>  Wed, 21 Oct 2026 16:54:24 +0700

openssl (3.0.20-1~deb12u1) bookworm; urgency=medium
  * Point release.
 -- Release Team <release@debian.org>  Sat, 10 Oct 2026 10:00:00 +0000

openssl (1:3.0.19-1~deb12u1) bookworm-security; urgency=emergency
  * Fix CVE-2026-1000 (buffer overflow).
 -- Debian Security Team <team@security.debian.org>  Mon, 02 Mar 2026 09:15:00 +0100
";

const ZLIB: &str = "\
zlib (1:1.2.13.dfsg-1+deb12u1) bookworm-security; urgency=low
  * Also fixes CVE-2026-2000 in the bundled copy.
 -- A <a@b>  Thu, 01 Jan 2026 00:00:00 +0000
";

fn changelog(source: &str, text: &str) -> SourceChangelog {
    SourceChangelog {
        source: source.to_string(),
        entries: parse_changelog(text).unwrap(),
    }
}

fn by_id<'a>(built: &'a BuiltAdvisories, id: &str) -> &'a Value {
    built
        .records
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no record {id}"))
}

#[test]
fn the_oldest_entry_naming_a_cve_is_the_fix() {
    let built = build_advisories(&[changelog("openssl", OPENSSL)], DEFAULT_ECOSYSTEM);
    let ids: Vec<&str> = built
        .records
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["DEBIAN-CVE-2026-1000", "DEBIAN-CVE-2026-2000"]);
    let first = by_id(&built, "DEBIAN-CVE-2026-1000");
    let affected = &first["affected"][0];
    assert_eq!(affected["package"]["name"], "openssl");
    assert_eq!(affected["package"]["ecosystem"], "Debian:12");
    assert_eq!(
        affected["ranges"][0]["events"],
        json!([{"introduced": "0"}, {"fixed": "1:3.0.19-1~deb12u1"}])
    );
    assert_eq!(first["aliases"], json!(["CVE-2026-1000"]));
    assert_eq!(first["published"], "2026-03-02T08:15:00Z");
    let second = by_id(&built, "DEBIAN-CVE-2026-2000");
    assert_eq!(
        second["affected"][0]["ranges"][0]["events"][1]["fixed"],
        "3.0.22-1~deb12u2"
    );
    assert!(built.skipped.is_empty());
}

#[test]
fn one_record_per_cve_with_one_affected_entry_per_source() {
    let built = build_advisories(
        &[changelog("openssl", OPENSSL), changelog("zlib", ZLIB)],
        "Debian:13",
    );
    assert_eq!(built.records.len(), 2);
    let record = by_id(&built, "DEBIAN-CVE-2026-2000");
    let names: Vec<&str> = record["affected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["package"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["openssl", "zlib"]);
    assert_eq!(record["affected"][1]["package"]["ecosystem"], "Debian:13");
    assert_eq!(record["published"], "2026-01-01T00:00:00Z");
    assert_eq!(record["modified"], "2026-10-21T09:54:24Z");
    assert_eq!(
        record["summary"],
        "CVE-2026-2000 fixed in openssl 3.0.22-1~deb12u2, zlib 1:1.2.13.dfsg-1+deb12u1"
    );
}

#[test]
fn the_osv_reader_rates_the_urgency_and_reads_the_fix() {
    let built = build_advisories(
        &[changelog("openssl", OPENSSL), changelog("zlib", ZLIB)],
        DEFAULT_ECOSYSTEM,
    );
    let read = |id: &str| {
        parse_record(&by_id(&built, id).to_string(), 1)
            .unwrap()
            .unwrap()
    };
    // `emergency` is the top urgency: rated critical.
    let first = read("DEBIAN-CVE-2026-1000");
    assert_eq!(first.severity.level, Severity::Critical);
    assert_eq!(
        first.severity.source.as_deref(),
        Some("Debian tracker urgency")
    );
    assert_eq!(first.cve_ids, ["CVE-2026-1000"]);
    assert_eq!(
        first.affected[0].ranges[0].events,
        [
            RangeEvent::Introduced("0".into()),
            RangeEvent::Fixed("1:3.0.19-1~deb12u1".into())
        ]
    );
    // Two sources, high and low: the most severe judgement wins.
    let second = read("DEBIAN-CVE-2026-2000");
    assert_eq!(second.severity.level, Severity::High);
    assert_eq!(second.affected[1].severity, Some(Severity::Low));
}

#[test]
fn entries_without_cves_or_urgency_and_bad_versions() {
    let text = "\
x (1.0-1 evil) unstable; urgency=high
  * CVE-2026-3000
 -- A <a@b>  Thu, 01 Jan 2026 00:00:00 +0000
";
    // The parser refuses a version with a space; build the entry by hand instead.
    assert!(parse_changelog(text).is_err());
    let mut bad = changelog("x", ZLIB);
    bad.entries[0].version = "1.0;touch /tmp/x".into();
    let mut no_urgency = changelog("y", ZLIB);
    no_urgency.entries[0].urgency = None;
    no_urgency.entries[0].vulnerability_ids = vec!["CVE-2026-4000".into()];
    let quiet = changelog(
        "z",
        "z (1.0-1) unstable; urgency=low\n  * nothing\n -- A <a@b>  Thu, 01 Jan 2026 00:00:00 +0000\n",
    );
    let built = build_advisories(&[bad, no_urgency, quiet], DEFAULT_ECOSYSTEM);
    let ids: Vec<&str> = built
        .records
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["DEBIAN-CVE-2026-4000"]);
    assert_eq!(
        built.records[0]["affected"][0]["ecosystem_specific"],
        json!({})
    );
    assert_eq!(built.skipped.len(), 1);
    assert!(
        built.skipped[0].starts_with("x (changelog line 1)"),
        "{:?}",
        built.skipped
    );
}

#[test]
fn output_is_deterministic() {
    let input = [changelog("zlib", ZLIB), changelog("openssl", OPENSSL)];
    assert_eq!(
        build_advisories(&input, DEFAULT_ECOSYSTEM),
        build_advisories(&input, DEFAULT_ECOSYSTEM)
    );
}
