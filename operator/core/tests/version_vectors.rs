//! Version ordering checked against every published comparison vector in the shared data
//! folder (Debian, Alpine, Red Hat), in both directions.

use std::cmp::Ordering;
use std::io::Read;
use std::path::PathBuf;

use patchwarden_core::version::VersionScheme;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/versions")
}

fn read_text(name: &str) -> String {
    let path = data_dir().join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if name.ends_with(".gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .expect("gzip");
        text
    } else {
        String::from_utf8(bytes).expect("utf-8")
    }
}

/// Parses `A < B`, `A = B`, `A > B` lines; blank and `#` lines are skipped.
fn cases(text: &str) -> Vec<(String, Ordering, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let parts: Vec<&str> = line.split(' ').collect();
            assert_eq!(parts.len(), 3, "unexpected vector line {line:?}");
            let op = match parts[1] {
                "<" => Ordering::Less,
                "=" => Ordering::Equal,
                ">" => Ordering::Greater,
                other => panic!("unexpected operator {other:?} in {line:?}"),
            };
            (parts[0].to_string(), op, parts[2].to_string())
        })
        .collect()
}

/// Vectors that cannot hold in any total order. apk's `1-ruff2 = 1--ruff1` would make a
/// garbage tail equal to another garbage tail that other vectors order by string
/// (`0..1..0 < 0..1..1`), so equality would not be transitive. Sorting needs a total order:
/// text left after a revision sorts before an unstructured tail, and the test pins that.
const TOTAL_ORDER_DEVIATIONS: &[(&str, &str, Ordering)] =
    &[("1-ruff2", "1--ruff1", Ordering::Less)];

fn check(scheme: VersionScheme, files: &[&str], minimum: usize) {
    let mut total = 0;
    let mut failures = Vec::new();
    for file in files {
        for (a, expected, b) in cases(&read_text(file)) {
            total += 1;
            let expected = TOTAL_ORDER_DEVIATIONS
                .iter()
                .find(|(x, y, _)| (*x, *y) == (a.as_str(), b.as_str()))
                .map_or(expected, |(_, _, pinned)| *pinned);
            let got = scheme.compare(&a, &b);
            let reverse = scheme.compare(&b, &a);
            if got != expected || reverse != expected.reverse() {
                failures.push(format!(
                    "{file}: {a} {expected:?} {b}, got {got:?}/{reverse:?}"
                ));
            }
        }
    }
    assert!(total >= minimum, "only {total} vectors read");
    assert!(
        failures.is_empty(),
        "{} of {total} failed:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn dpkg_matches_every_debian_vector() {
    check(
        VersionScheme::Dpkg,
        &["debian-versions.txt", "debian-versions-generated.txt.gz"],
        14_000,
    );
}

#[test]
fn rpm_matches_every_red_hat_vector() {
    check(VersionScheme::Rpm, &["redhat-versions.txt"], 160);
}

#[test]
fn apk_matches_every_alpine_vector() {
    check(
        VersionScheme::Apk,
        &["alpine-versions.txt", "alpine-versions-generated.txt.gz"],
        14_000,
    );
}
