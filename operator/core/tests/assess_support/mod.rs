//! Helpers shared by the assessment tests: the shared data folder, gzip reading and the
//! rpm oracle.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;

/// `../shared/data` relative to the repository root.
pub fn data_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(relative)
}

/// Reads a data file, gunzipping `.gz` files.
pub fn read_data(relative: &str) -> String {
    let path = data_path(relative);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if relative.ends_with(".gz") {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .expect("gzip");
        text
    } else {
        String::from_utf8(bytes).expect("utf-8")
    }
}

/// rpm's own `labelCompare` over many (a, b) EVR pairs in one process: -1, 0 or 1 each.
pub fn rpm_label_compare(pairs: &[(String, String)]) -> Vec<i32> {
    use patchwarden_core::version::rpm::Evr;
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("pairs.tsv");
    let mut file = std::fs::File::create(&input).expect("create");
    for (a, b) in pairs {
        let (x, y) = (Evr::split(a), Evr::split(b));
        writeln!(
            file,
            "{}\t{}\t{}\t{}\t{}\t{}",
            x.epoch,
            x.version,
            x.release.unwrap_or(""),
            y.epoch,
            y.version,
            y.release.unwrap_or("")
        )
        .expect("write");
    }
    drop(file);
    let script = "import sys, rpm\nfor line in open(sys.argv[1]):\n    f = line.rstrip('\\n').split('\\t')\n    print(rpm.labelCompare((f[0], f[1], f[2]), (f[3], f[4], f[5])))\n";
    let output = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .arg(&input)
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "rpm oracle: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<i32> = String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| l.trim().parse().expect("integer"))
        .collect();
    assert_eq!(results.len(), pairs.len());
    results
}
