//! Real versions from the shared data folder and the pairs drawn from them, for the
//! `version_compare` bench and the oracle tests.

use std::io::Read;
use std::path::{Path, PathBuf};

/// `../shared/data` beside the checkout.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

fn read_gz(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text
}

/// Distinct dpkg versions: the Debian 12 host's dpkg status, the bookworm-security index and
/// both sides of every Debian comparison vector.
pub fn dpkg_versions(dir: &Path) -> Vec<String> {
    let mut versions = Vec::new();
    for file in [
        "inventories/debian12-host-dpkg-status-2026-11-28.gz",
        "debian/bookworm-security-main-amd64-Packages-2026-11-28.gz",
    ] {
        let text = read_gz(&dir.join(file));
        versions.extend(
            text.lines()
                .filter_map(|l| l.strip_prefix("Version: "))
                .map(String::from),
        );
    }
    let vectors = read_gz(&dir.join("versions/debian-versions-generated.txt.gz"));
    for line in vectors.lines() {
        if let [a, _, b] = line.split(' ').collect::<Vec<_>>()[..] {
            versions.extend([a.to_string(), b.to_string()]);
        }
    }
    distinct(versions)
}

/// Distinct rpm versions: every AlmaLinux fixed version and the UBI 8 and 9 installed
/// `version-release`s.
pub fn rpm_versions(dir: &Path) -> Vec<String> {
    let osv = read_gz(&dir.join("osv/almalinux-osv-2026-08-21.jsonl.gz"));
    let mut versions: Vec<String> = osv
        .split("\"fixed\":\"")
        .skip(1)
        .filter_map(|piece| piece.split_once('"').map(|(v, _)| v.to_string()))
        .collect();
    for file in [
        "inventories/ubi8-amd64-rpm-manifest-2019-05-01.json.gz",
        "inventories/ubi9-amd64-rpm-manifest-2022-05-03.json.gz",
    ] {
        let manifest: serde_json::Value =
            serde_json::from_str(&read_gz(&dir.join(file))).expect("UBI manifest JSON");
        let rpms = manifest["rpms"].as_array().expect("rpms array");
        versions.extend(rpms.iter().filter_map(|rpm| {
            Some(format!(
                "{}-{}",
                rpm["version"].as_str()?,
                rpm["release"].as_str()?
            ))
        }));
    }
    distinct(versions)
}

fn distinct(mut versions: Vec<String>) -> Vec<String> {
    versions.sort();
    versions.dedup();
    versions
}

/// `count` pairs of versions drawn uniformly (the same pairs on every run).
pub fn random_pairs(versions: &[String], count: usize) -> Vec<(&str, &str)> {
    let mut rng = SplitMix(0x636f_6d70_6172_6531);
    (0..count)
        .map(|_| {
            let a = &versions[rng.below(versions.len())];
            let b = &versions[rng.below(versions.len())];
            (a.as_str(), b.as_str())
        })
        .collect()
}

/// `count` pairs of neighbours in sorted order (the shape of an installed version against a
/// fixed one of the same package: a long shared prefix), cycling through the list.
pub fn neighbour_pairs(versions: &[String], count: usize) -> Vec<(&str, &str)> {
    versions
        .windows(2)
        .map(|w| (w[0].as_str(), w[1].as_str()))
        .cycle()
        .take(count)
        .collect()
}

/// SplitMix64, as `patchwarden bench assess` draws its pairs.
struct SplitMix(u64);

impl SplitMix {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}
