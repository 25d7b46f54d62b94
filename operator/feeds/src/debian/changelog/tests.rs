//! Unit tests; a failed `unwrap` is a failed test.
#![allow(clippy::unwrap_used)]

use super::*;

const OPENSSL: &str = "\
openssl (3.0.22-1~deb12u2) bookworm-security; urgency=high

  * Fix CVE-2026-35189: buffer overread in X.509 parsing.
  * Fix a crash (CVE-2026-35190,
    CVE-2026-35191) and again CVE-2026-35189.

 -- Debian Security Team <team@security.debian.org>  Wed, 21 Oct 2026 16:54:24 +0700

openssl (3.0.20-1~deb12u2) bookworm; urgency=medium

  * Point release, no security fix.

 -- Release Team <release@debian.org>  Sat, 10 Oct 2026 10:00:00 +0000

openssl (3.0.19-1~deb12u1) bookworm-security; urgency=MEDIUM, binary-only=yes
  * cve-2025-1111 is fixed (see also CVE-2026-35189).
 -- Debian Security Team <team@security.debian.org>  Mon, 02 Mar 2026 09:15:00 +0100
";

#[test]
fn reads_every_entry_newest_first_with_its_fields() {
    let entries = parse_changelog(OPENSSL).unwrap();
    assert_eq!(entries.len(), 3);
    let newest = &entries[0];
    assert_eq!(newest.source, "openssl");
    assert_eq!(newest.version, "3.0.22-1~deb12u2");
    assert_eq!(newest.distribution, "bookworm-security");
    assert_eq!(newest.urgency.as_deref(), Some("high"));
    assert_eq!(newest.date, "Wed, 21 Oct 2026 16:54:24 +0700");
    assert_eq!(newest.time.to_rfc3339(), "2026-10-21T16:54:24+07:00");
    assert_eq!(newest.line, 1);
    assert_eq!(newest.lines.len(), 3);
    assert_eq!(entries[1].line, 9);
    assert_eq!(entries[2].line, 15);
}

#[test]
fn cve_ids_spread_over_lines_are_collected_once_and_sorted() {
    let entries = parse_changelog(OPENSSL).unwrap();
    assert_eq!(
        entries[0].vulnerability_ids,
        ["CVE-2026-35189", "CVE-2026-35190", "CVE-2026-35191"]
    );
    assert!(
        entries[1].vulnerability_ids.is_empty(),
        "an entry without CVE ids"
    );
    assert_eq!(
        entries[2].vulnerability_ids,
        ["CVE-2025-1111", "CVE-2026-35189"]
    );
}

#[test]
fn urgency_is_lower_case_and_other_keywords_are_ignored() {
    let entries = parse_changelog(OPENSSL).unwrap();
    assert_eq!(entries[1].urgency.as_deref(), Some("medium"));
    assert_eq!(entries[2].urgency.as_deref(), Some("medium"));
    let text = "\
x (1.0-1) unstable; binary-only=yes,  Urgency=Emergency (security)
  * y
 -- A <a@b>  Mon, 02 Mar 2026 09:15:00 +0100

x (0.9-1) unstable;
  * y
 -- A <a@b>  Mon, 02 Mar 2026 09:15:00 +0100
";
    let entries = parse_changelog(text).unwrap();
    assert_eq!(entries[0].urgency.as_deref(), Some("emergency"));
    assert_eq!(entries[1].urgency, None);
}

#[test]
fn epochs_and_several_distributions_are_kept() {
    let text = "\
util-linux (1:2.38.1-5+deb12u3) bookworm  bookworm-security; urgency=low
  * Fix CVE-2024-28085.
 -- A <a@b>  Tue, 02 Apr 2024 12:00:00 +0000
";
    let entries = parse_changelog(text).unwrap();
    assert_eq!(entries[0].version, "1:2.38.1-5+deb12u3");
    assert_eq!(entries[0].distribution, "bookworm bookworm-security");
    assert_eq!(entries[0].urgency.as_deref(), Some("low"));
}

#[test]
fn a_trailer_without_an_email_or_date_names_its_line() {
    let text = "\
x (1.0-1) unstable; urgency=low

  * y

 -- Somebody without address  Mon, 02 Mar 2026 09:15:00 +0100
";
    let error = parse_changelog(text).unwrap_err();
    assert_eq!(error.line, 5);
    assert!(matches!(error.problem, ChangelogProblem::Trailer(_)));
    assert!(error.to_string().contains("changelog line 5"), "{error}");

    let no_date = "x (1.0-1) unstable; urgency=low\n  * y\n -- A <a@b>\n";
    assert_eq!(parse_changelog(no_date).unwrap_err().line, 3);
    let one_space =
        "x (1.0-1) unstable; urgency=low\n  * y\n --A <a@b>  Mon, 02 Mar 2026 09:15:00 +0100\n";
    assert_eq!(parse_changelog(one_space).unwrap_err().line, 3);
}

#[test]
fn a_date_that_is_not_rfc_2822_is_an_error_with_the_date() {
    let text = "x (1.0-1) unstable; urgency=low\n  * y\n -- A <a@b>  2026-03-02 09:15\n";
    let error = parse_changelog(text).unwrap_err();
    assert_eq!(error.line, 3);
    assert_eq!(
        error.problem,
        ChangelogProblem::Date("2026-03-02 09:15".into())
    );
}

#[test]
fn a_wrong_weekday_is_tolerated() {
    // 2 March 2026 is a Monday.
    let text =
        "x (1.0-1) unstable; urgency=low\n  * y\n -- A <a@b>  Fri, 02 Mar 2026 09:15:00 +0100\n";
    let entries = parse_changelog(text).unwrap();
    assert_eq!(entries[0].time.to_rfc3339(), "2026-03-02T09:15:00+01:00");
}

#[test]
fn a_missing_trailer_and_a_bad_header_are_errors() {
    let two_headers = "\
x (1.0-1) unstable; urgency=low
  * y
x (0.9-1) unstable; urgency=low
  * y
 -- A <a@b>  Mon, 02 Mar 2026 09:15:00 +0100
";
    let error = parse_changelog(two_headers).unwrap_err();
    assert_eq!(error.line, 3);
    assert_eq!(error.problem, ChangelogProblem::MissingTrailer(1));

    let at_end = "x (1.0-1) unstable; urgency=low\n  * y\n";
    assert_eq!(
        parse_changelog(at_end).unwrap_err().problem,
        ChangelogProblem::MissingTrailer(1)
    );

    for header in [
        "x 1.0-1 unstable; urgency=low",
        "x (1.0-1) unstable urgency=low",
        "x (1.0 1) unstable; urgency=low",
        "x (1.0-1) ; urgency=low",
        "  * text before any header",
    ] {
        let error = parse_changelog(&format!("{header}\n")).unwrap_err();
        assert_eq!(error.line, 1, "{header}");
        assert!(
            matches!(error.problem, ChangelogProblem::Header(_)),
            "{header}"
        );
    }
}

#[test]
fn the_prefix_before_an_error_is_kept() {
    let text = format!("{OPENSSL}\nthis is not a header\n");
    let (entries, error) = parse_changelog_prefix(&text);
    assert_eq!(entries.len(), 3);
    assert_eq!(error.map(|e| e.line), Some(19));
}

#[test]
fn reading_stops_at_editor_settings_and_old_changelogs() {
    let text = format!(
        "{OPENSSL}\nOld Changelog:\nanything at all\n\nLocal variables:\nmode: debian-changelog\n"
    );
    assert_eq!(parse_changelog(&text).unwrap().len(), 3);
    let vim = format!("# a comment\n{OPENSSL}\n# vim: ft=debchangelog\nvim: ft=debchangelog\n");
    assert_eq!(parse_changelog(&vim).unwrap().len(), 3);
    assert!(parse_changelog("").unwrap().is_empty());
}

#[test]
fn cve_ids_need_word_boundaries_and_four_digits() {
    let found = cve_ids([
        "CVE-2024-1234 xCVE-2024-5555 CVE-2024-123 CVE-2024-99999a",
        "(CVE-2023-4911), CVE-20234-1111, cve-2019-0001.patch",
    ]);
    assert_eq!(found, ["CVE-2019-0001", "CVE-2023-4911", "CVE-2024-1234"]);
}

#[test]
fn ghsa_ids_are_collected_in_githubs_spelling_with_word_boundaries() {
    let found = ghsa_ids([
        "  * Fix GHSA-5qpq-xqfv-j9pg (backdoor in the build scripts).",
        "ghsa-5QPQ-xqfv-j9pg again, xGHSA-2222-3333-4444, GHSA-2222-3333-444",
        "GHSA-abcd-3333-4444 has letters outside GitHub's alphabet, GHSA-2222-3333-44445",
    ]);
    assert_eq!(found, ["GHSA-5qpq-xqfv-j9pg"]);
}

#[test]
fn an_entry_naming_only_a_ghsa_id_carries_it() {
    let text = "xz-utils (5.4.1-1+deb12u2) bookworm-security; urgency=medium\n\n  * Fix GHSA-5qpq-xqfv-j9pg.\n\n -- A Maintainer <a@example.org>  Mon, 01 Jun 2026 10:00:00 +0000\n";
    let entries = parse_changelog(text).unwrap();
    assert_eq!(entries[0].vulnerability_ids, ["GHSA-5qpq-xqfv-j9pg"]);
}
