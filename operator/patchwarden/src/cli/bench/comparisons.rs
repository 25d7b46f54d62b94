//! Version comparison throughput: random pairs of real dpkg and rpm versions compared by
//! patchwarden and, over the same pairs, by the reference implementations (python3-apt's
//! `apt_pkg.version_compare`, python3-rpm's `rpm.labelCompare`), counting disagreements.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use patchwarden_core::version::VersionScheme;
use patchwarden_feeds::{read_inventory, read_text};
use serde::Serialize;

use super::assess::AssessArgs;
use super::split_mix::SplitMix;

/// One comparison throughput measurement.
#[derive(Debug, Clone, Serialize)]
pub struct ComparisonRun {
    /// `dpkg` or `rpm`.
    pub scheme: String,
    /// Pairs compared.
    pub pairs: usize,
    /// patchwarden's comparisons per second (one thread).
    pub patchwarden_per_second: f64,
    /// The reference implementation's comparisons per second, same pairs, same run.
    pub reference_per_second: Option<f64>,
    /// Which reference.
    pub reference: String,
    /// Pairs where the two disagree.
    pub disagreements: usize,
}

/// Measures dpkg, then rpm.
pub(super) fn measure_comparisons(args: &AssessArgs) -> anyhow::Result<Vec<ComparisonRun>> {
    let (dpkg, rpm) = real_versions(&args.data_dir)?;
    Ok([(VersionScheme::Dpkg, dpkg), (VersionScheme::Rpm, rpm)]
        .into_iter()
        .map(|(scheme, versions)| measure_scheme(scheme, &versions, args.pairs))
        .collect())
}

fn measure_scheme(scheme: VersionScheme, versions: &[String], pairs: usize) -> ComparisonRun {
    let mut rng = SplitMix(0x636f_6d70_6172_6531);
    let pairs: Vec<(&str, &str)> = (0..pairs)
        .map(|_| {
            (
                versions[rng.below(versions.len())].as_str(),
                versions[rng.below(versions.len())].as_str(),
            )
        })
        .collect();
    let started = Instant::now();
    let ours: Vec<i8> = pairs
        .iter()
        .map(|(a, b)| scheme.compare(a, b) as i8)
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    let reference = match scheme {
        VersionScheme::Dpkg => "python3-apt apt_pkg.version_compare",
        _ => "rpm.labelCompare (python3-rpm)",
    };
    let (reference_per_second, disagreements) = match reference_compare(scheme, &pairs) {
        Ok((per_second, theirs)) => (
            Some(per_second),
            ours.iter().zip(&theirs).filter(|(a, b)| a != b).count(),
        ),
        Err(error) => {
            eprintln!("{scheme} reference unavailable: {error:#}");
            (None, 0)
        }
    };
    ComparisonRun {
        scheme: scheme.to_string(),
        pairs: pairs.len(),
        patchwarden_per_second: pairs.len() as f64 / seconds,
        reference_per_second,
        reference: reference.to_string(),
        disagreements,
    }
}

/// Real versions of each scheme: dpkg from the Debian host, the bookworm-security index and
/// the Debian vectors; rpm from AlmaLinux fixed versions and the UBI inventories.
fn real_versions(dir: &Path) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut dpkg = real_dpkg_versions(dir)?;
    let mut rpm = real_rpm_versions(dir)?;
    dpkg.sort();
    dpkg.dedup();
    rpm.sort();
    rpm.dedup();
    Ok((dpkg, rpm))
}

fn real_dpkg_versions(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut dpkg = Vec::new();
    for file in [
        "inventories/debian12-host-dpkg-status-2026-11-28.gz",
        "debian/bookworm-security-main-amd64-Packages-2026-11-28.gz",
    ] {
        let text = read_text(&dir.join(file))?;
        dpkg.extend(
            text.lines()
                .filter_map(|l| l.strip_prefix("Version: "))
                .map(str::to_string),
        );
    }
    let vectors = read_text(&dir.join("versions/debian-versions-generated.txt.gz"))?;
    for line in vectors.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        if parts.len() == 3 {
            dpkg.push(parts[0].to_string());
            dpkg.push(parts[2].to_string());
        }
    }
    Ok(dpkg)
}

fn real_rpm_versions(dir: &Path) -> anyhow::Result<Vec<String>> {
    let osv = read_text(&dir.join("osv/almalinux-osv-2026-08-21.jsonl.gz"))?;
    let mut rpm: Vec<String> = Vec::new();
    for piece in osv.split("\"fixed\":\"").skip(1) {
        if let Some((version, _)) = piece.split_once('"') {
            rpm.push(version.to_string());
        }
    }
    for file in [
        "inventories/ubi8-amd64-rpm-manifest-2019-05-01.json.gz",
        "inventories/ubi9-amd64-rpm-manifest-2022-05-03.json.gz",
    ] {
        let (_, inventory) = read_inventory(&dir.join(file), None)?;
        rpm.extend(inventory.packages.iter().map(|p| p.version.to_string()));
    }
    Ok(rpm)
}

/// Compares the pairs of the file named by `argv[1]` with python3-apt; prints the seconds the
/// loop took, then one result (-1, 0, 1) per line.
const DPKG_REFERENCE: &str = concat!(
    "import sys, time, apt_pkg\napt_pkg.init_system()\n",
    "pairs = [l.rstrip('\\n').split('\\t') for l in open(sys.argv[1])]\n",
    "cmp = apt_pkg.version_compare\nt = time.perf_counter()\n",
    "out = [cmp(a, b) for a, b in pairs]\n",
    "dt = time.perf_counter() - t\n",
    "print(dt)\nprint('\\n'.join(str((r > 0) - (r < 0)) for r in out))\n"
);

/// The same with python3-rpm, which compares (epoch, version, release) triples.
const RPM_REFERENCE: &str = concat!(
    "import sys, time, rpm\n",
    "def evr(s):\n    e, _, vr = s.rpartition(':') if ':' in s else ('0', '', s)\n",
    "    v, _, r = vr.rpartition('-') if '-' in vr else (vr, '', None)\n",
    "    return (e or '0', v, r)\n",
    "pairs = [tuple(evr(x) for x in l.rstrip('\\n').split('\\t')) for l in open(sys.argv[1])]\n",
    "cmp = rpm.labelCompare\nt = time.perf_counter()\n",
    "out = [cmp(a, b) for a, b in pairs]\n",
    "dt = time.perf_counter() - t\n",
    "print(dt)\nprint('\\n'.join(str(r) for r in out))\n"
);

/// Times the reference implementation over the same pairs inside one python process (the
/// clock covers only the comparison loop) and returns its rate and results.
fn reference_compare(
    scheme: VersionScheme,
    pairs: &[(&str, &str)],
) -> anyhow::Result<(f64, Vec<i8>)> {
    let dir = std::env::temp_dir().join(format!("patchwarden-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let input = dir.join("pairs.tsv");
    let script = match scheme {
        VersionScheme::Dpkg => DPKG_REFERENCE,
        _ => RPM_REFERENCE,
    };
    let result = write_pairs(&input, pairs).and_then(|()| run_reference(script, &input));
    let _ = std::fs::remove_dir_all(&dir);
    result.map(|(seconds, results)| (pairs.len() as f64 / seconds, results))
}

/// One pair a line, tab-separated.
fn write_pairs(path: &Path, pairs: &[(&str, &str)]) -> anyhow::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    for (a, b) in pairs {
        writeln!(file, "{a}\t{b}")?;
    }
    file.flush()?;
    Ok(())
}

/// Runs a reference script over the pairs in `input`: the seconds its loop took, and its
/// results.
fn run_reference(script: &str, input: &Path) -> anyhow::Result<(f64, Vec<i8>)> {
    let output = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .arg(input)
        .output()?;
    if !output.status.success() {
        anyhow::bail!("{}", String::from_utf8_lossy(&output.stderr));
    }
    let text = String::from_utf8(output.stdout)?;
    let mut lines = text.lines();
    let seconds: f64 = lines.next().context("no timing")?.trim().parse()?;
    let results: Vec<i8> = lines.map(|l| l.trim().parse()).collect::<Result<_, _>>()?;
    Ok((seconds, results))
}
