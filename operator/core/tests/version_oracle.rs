//! Differential tests against the real package managers' own comparison code: python3-apt's
//! `apt_pkg.version_compare` for dpkg and rpm's `labelCompare` for rpm, each on 100,000
//! generated pairs and on 1,000,000 pairs of real versions from the shared data folder (the
//! pairs the `version_compare` bench measures), compared in one oracle process per set (pairs
//! written to a file, one result a line).

use std::cmp::Ordering;
use std::io::Write;
use std::process::Command;

use patchwarden_core::version::{VersionScheme, rpm::Evr};
use proptest::prelude::*;

#[path = "version_reference/mod.rs"]
mod version_reference;

use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use version_reference::real_versions;

const PAIRS: usize = 100_000;
const REAL_PAIRS: usize = 1_000_000;
const PYTHON: &str = "/usr/bin/python3";

/// Version-like strings built from the pieces that make ordering hard.
fn dpkg_version() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[0-9]{1,3}",
        "[0-9]{1,2}",
        "0[0-9]",
        "[a-z]{1,3}",
        Just("~".to_string()),
        Just("~rc1".to_string()),
        Just("+".to_string()),
        Just(".".to_string()),
        Just("+b1".to_string()),
        Just("+deb12u1".to_string()),
        Just("~deb12u1".to_string()),
        Just("ubuntu0.22.04.1".to_string()),
        Just("+dfsg".to_string()),
        Just("A".to_string()),
    ];
    (
        prop::option::weighted(0.2, 0u32..4),
        "[0-9]{1,3}",
        prop::collection::vec(piece.clone(), 0..5),
        prop::option::weighted(0.7, prop::collection::vec(piece, 1..4)),
    )
        .prop_map(|(epoch, head, tail, revision)| {
            let mut v = String::new();
            if let Some(e) = epoch {
                v.push_str(&format!("{e}:"));
            }
            v.push_str(&head);
            v.push_str(&tail.concat());
            if let Some(r) = revision {
                let r = r.concat();
                // A revision must start with an alphanumeric to be unambiguous for both sides.
                v.push('-');
                v.push_str(if r.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                    ""
                } else {
                    "0"
                });
                v.push_str(&r);
            }
            v
        })
}

fn rpm_part() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[0-9]{1,3}",
        "0[0-9]{1,2}",
        "[a-z]{1,3}",
        "[A-Z]",
        Just(".".to_string()),
        Just("_".to_string()),
        Just("+".to_string()),
        Just("~".to_string()),
        Just("^".to_string()),
        Just("el9".to_string()),
        Just("el9_4".to_string()),
        Just("module+el9.2.0+1234+abcd".to_string()),
    ];
    ("[0-9]{1,3}", prop::collection::vec(piece, 0..5))
        .prop_map(|(head, tail)| format!("{head}{}", tail.concat()))
}

fn rpm_evr() -> impl Strategy<Value = (String, String, String)> {
    (prop::option::weighted(0.3, 0u32..3), rpm_part(), rpm_part())
        .prop_map(|(e, v, r)| (e.unwrap_or(0).to_string(), v, r))
}

/// Adds a leading zero to every digit run that follows a non-digit: an equal version
/// spelled differently (`1.2` → `1.02`).
fn pad_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut previous: Option<char> = None;
    for c in text.chars() {
        if c.is_ascii_digit() && previous.is_some_and(|p| !p.is_ascii_digit() && p != ':') {
            out.push('0');
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

/// Draws `PAIRS` pairs: a fifth identical, a fifth equal but spelled differently, a fifth
/// sharing a prefix (so deep segments are reached), the rest independent.
fn pairs<T: std::fmt::Debug + Clone>(
    strategy: impl Strategy<Value = T>,
    seed: u64,
    equal_variant: impl Fn(&T) -> T,
    extend: impl Fn(&T, &T) -> T,
) -> Vec<(T, T)> {
    let mut runner = TestRunner::new(Config {
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    });
    let mut out = Vec::with_capacity(PAIRS);
    while out.len() < PAIRS {
        let a = strategy.new_tree(&mut runner).expect("generate").current();
        let c = strategy.new_tree(&mut runner).expect("generate").current();
        let b = match out.len() % 5 {
            0 => a.clone(),
            1 => equal_variant(&a),
            2 => extend(&a, &c),
            _ => c,
        };
        out.push((a, b));
    }
    out
}

/// Runs one python oracle over a file of tab-separated fields, returning one ordering a line.
fn oracle(script: &str, lines: &[String]) -> Vec<Ordering> {
    let mut input = tempfile_path();
    {
        let mut file = std::fs::File::create(&input.0).expect("temp file");
        for line in lines {
            writeln!(file, "{line}").expect("write");
        }
    }
    let output = Command::new(PYTHON)
        .arg("-c")
        .arg(script)
        .arg(&input.0)
        .output()
        .expect("run /usr/bin/python3");
    assert!(
        output.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    input.1 = true;
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let results: Vec<Ordering> = text
        .lines()
        .map(|l| match l.trim().parse::<i64>().expect("integer") {
            n if n < 0 => Ordering::Less,
            0 => Ordering::Equal,
            _ => Ordering::Greater,
        })
        .collect();
    assert_eq!(results.len(), lines.len());
    results
}

/// A temp file path removed on drop.
struct TempPath(std::path::PathBuf, bool);

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn tempfile_path() -> TempPath {
    let name = format!(
        "patchwarden-oracle-{}-{:?}.txt",
        std::process::id(),
        std::thread::current().id()
    );
    TempPath(
        std::env::temp_dir().join(name.replace(['(', ')'], "")),
        false,
    )
}

fn report(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} disagreements with the oracle, first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn dpkg_agrees_with_python_apt_on_100k_pairs() {
    let pairs = pairs(
        dpkg_version(),
        0x5eed_d9c6,
        |a| pad_numbers(a),
        |a, c| {
            // Same upstream, another revision or suffix.
            let head = a.split('-').next().unwrap_or(a);
            let tail = c.rsplit('-').next().unwrap_or(c);
            format!(
                "{head}{}",
                if c.contains('-') {
                    format!("-{tail}")
                } else {
                    format!("~{tail}")
                }
            )
        },
    );
    let lines: Vec<String> = pairs.iter().map(|(a, b)| format!("{a}\t{b}")).collect();
    let script = "import sys, apt_pkg\napt_pkg.init_system()\nout=[]\nfor line in open(sys.argv[1]):\n    a, b = line.rstrip('\\n').split('\\t')\n    out.append(str(apt_pkg.version_compare(a, b)))\nprint('\\n'.join(out))\n";
    let expected = oracle(script, &lines);
    let mut failures = Vec::new();
    let mut seen = [0usize; 3];
    for ((a, b), want) in pairs.iter().zip(expected) {
        seen[(want as i8 + 1) as usize] += 1;
        let got = VersionScheme::Dpkg.compare(a, b);
        if got != want {
            failures.push(format!("{a} vs {b}: apt says {want:?}, we say {got:?}"));
        }
        VersionScheme::Dpkg
            .validate(a)
            .unwrap_or_else(|e| panic!("generated an invalid version: {e}"));
    }
    report(&failures);
    assert!(
        seen.iter().all(|&n| n > 1000),
        "every outcome is exercised: {seen:?}"
    );
}

#[test]
fn rpm_agrees_with_rpm_label_compare_on_100k_pairs() {
    let pairs = pairs(
        rpm_evr(),
        0x5eed_79a1,
        |(e, v, r)| (e.clone(), pad_numbers(v).replace('.', "_"), pad_numbers(r)),
        |(e, v, _), (_, v2, r2)| {
            (
                e.clone(),
                format!("{v}{}", &v2[..v2.len().min(3)]),
                r2.clone(),
            )
        },
    );
    let lines: Vec<String> = pairs
        .iter()
        .map(|((ea, va, ra), (eb, vb, rb))| format!("{ea}\t{va}\t{ra}\t{eb}\t{vb}\t{rb}"))
        .collect();
    let script = "import sys, rpm\nout=[]\nfor line in open(sys.argv[1]):\n    f = line.rstrip('\\n').split('\\t')\n    out.append(str(rpm.labelCompare((f[0], f[1], f[2]), (f[3], f[4], f[5]))))\nprint('\\n'.join(out))\n";
    let expected = oracle(script, &lines);
    let mut failures = Vec::new();
    let mut seen = [0usize; 3];
    for (((ea, va, ra), (eb, vb, rb)), want) in pairs.iter().zip(expected) {
        seen[(want as i8 + 1) as usize] += 1;
        let a = format!("{ea}:{va}-{ra}");
        let b = format!("{eb}:{vb}-{rb}");
        let got = Evr::split(&a).cmp(&Evr::split(&b));
        if got != want {
            failures.push(format!("{a} vs {b}: rpm says {want:?}, we say {got:?}"));
        }
    }
    report(&failures);
    assert!(
        seen.iter().all(|&n| n > 1000),
        "every outcome is exercised: {seen:?}"
    );
}

const APT_SCRIPT: &str = "import sys, apt_pkg\napt_pkg.init_system()\nout=[]\nfor line in open(sys.argv[1]):\n    a, b = line.rstrip('\\n').split('\\t')\n    out.append(str(apt_pkg.version_compare(a, b)))\nprint('\\n'.join(out))\n";

/// `labelCompare` on (epoch, version, release) triples; a release of `\u{1}` stands for none.
const RPM_SCRIPT: &str = "import sys, rpm\nout=[]\nrel = lambda r: None if r == '\\x01' else r\nfor line in open(sys.argv[1]):\n    f = line.rstrip('\\n').split('\\t')\n    out.append(str(rpm.labelCompare((f[0], f[1], rel(f[2])), (f[3], f[4], rel(f[5])))))\nprint('\\n'.join(out))\n";

/// Counts every outcome and the pairs where `ours` differs from the oracle's answer.
fn disagreements(
    pairs: &[(&str, &str)],
    expected: Vec<Ordering>,
    ours: impl Fn(&str, &str) -> Ordering,
) -> (Vec<String>, [usize; 3]) {
    let mut failures = Vec::new();
    let mut seen = [0usize; 3];
    for ((a, b), want) in pairs.iter().zip(expected) {
        seen[(want as i8 + 1) as usize] += 1;
        let got = ours(a, b);
        if got != want {
            failures.push(format!(
                "{a} vs {b}: the oracle says {want:?}, we say {got:?}"
            ));
        }
    }
    (failures, seen)
}

#[test]
fn dpkg_agrees_with_python_apt_on_1m_real_pairs() {
    let versions = real_versions::dpkg_versions(&real_versions::data_dir());
    let pairs = real_versions::random_pairs(&versions, REAL_PAIRS);
    let lines: Vec<String> = pairs.iter().map(|(a, b)| format!("{a}\t{b}")).collect();
    let expected = oracle(APT_SCRIPT, &lines);
    let (failures, seen) =
        disagreements(&pairs, expected, |a, b| VersionScheme::Dpkg.compare(a, b));
    report(&failures);
    // Distinct real versions are rarely equal; the few drawn twice still are.
    assert!(
        seen[0] > 1000 && seen[1] > 0 && seen[2] > 1000,
        "every outcome: {seen:?}"
    );
}

#[test]
fn rpm_agrees_with_rpm_label_compare_on_1m_real_pairs() {
    let versions = real_versions::rpm_versions(&real_versions::data_dir());
    let pairs = real_versions::random_pairs(&versions, REAL_PAIRS);
    let fields = |text: &str| {
        let evr = Evr::split(text);
        format!(
            "{}\t{}\t{}",
            evr.epoch,
            evr.version,
            evr.release.unwrap_or("\u{1}")
        )
    };
    let lines: Vec<String> = pairs
        .iter()
        .map(|(a, b)| format!("{}\t{}", fields(a), fields(b)))
        .collect();
    let expected = oracle(RPM_SCRIPT, &lines);
    let (failures, seen) = disagreements(&pairs, expected, |a, b| VersionScheme::Rpm.compare(a, b));
    report(&failures);
    // Distinct real versions are rarely equal; the few drawn twice still are.
    assert!(
        seen[0] > 1000 && seen[1] > 0 && seen[2] > 1000,
        "every outcome: {seen:?}"
    );
}
