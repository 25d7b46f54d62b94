//! Unit tests; a failed `unwrap` is a failed test.
#![allow(clippy::unwrap_used)]

use super::*;

/// A header block: `name`, octal `size`, `kind`, with the GNU or POSIX magic.
fn header(name: &str, size: usize, kind: u8, posix_prefix: Option<&str>) -> Vec<u8> {
    let mut block = vec![0u8; BLOCK];
    block[..name.len()].copy_from_slice(name.as_bytes());
    let size = format!("{size:011o}\0");
    block[124..136].copy_from_slice(size.as_bytes());
    block[156] = kind;
    match posix_prefix {
        Some(prefix) => {
            block[257..263].copy_from_slice(b"ustar\0");
            block[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
        }
        None => block[257..265].copy_from_slice(b"ustar  \0"),
    }
    block
}

fn entry(name: &str, content: &[u8], kind: u8) -> Vec<u8> {
    let mut out = header(name, content.len(), kind, None);
    out.extend_from_slice(content);
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    out
}

fn end() -> Vec<u8> {
    vec![0u8; 2 * BLOCK]
}

#[test]
fn finds_wanted_files_and_skips_the_rest() {
    let mut tar = entry("./usr/share/doc/x/", b"", b'5');
    tar.extend(entry("./usr/bin/x", &[7u8; 1300], b'0'));
    tar.extend(entry("./usr/share/doc/x/changelog.gz", b"upstream", b'0'));
    tar.extend(entry(
        "./usr/share/doc/x/changelog.Debian.gz",
        b"debian",
        b'0',
    ));
    tar.extend(end());
    let wanted = [
        "usr/share/doc/x/changelog.Debian.gz",
        "./usr/share/doc/x/changelog.gz",
    ];
    let found = find_files(tar.as_slice(), &wanted, 1024).unwrap();
    assert_eq!(found, [(1, b"upstream".to_vec()), (0, b"debian".to_vec())]);
}

#[test]
fn stops_reading_once_everything_is_found() {
    let mut tar = entry("./a", b"A", b'0');
    // Garbage after the wanted file is never read.
    tar.extend_from_slice(&[0xffu8; 700]);
    assert_eq!(
        find_files(tar.as_slice(), &["a"], 10).unwrap(),
        [(0, b"A".to_vec())]
    );
}

#[test]
fn gnu_long_names_pax_paths_and_posix_prefixes() {
    let long = format!("./usr/share/doc/{}/changelog.Debian.gz", "l".repeat(120));
    let mut tar = entry("././@LongLink", format!("{long}\0").as_bytes(), b'L');
    tar.extend(entry("truncated-name", b"long", b'0'));
    tar.extend(entry(
        "PaxHeaders/p",
        b"30 path=usr/share/doc/p/file\n",
        b'x',
    ));
    tar.extend(entry("p-short", b"pax", b'0'));
    let mut prefixed = header("changelog.gz", 6, b'0', Some("usr/share/doc/q"));
    prefixed.extend_from_slice(b"prefix");
    prefixed.resize(2 * BLOCK, 0);
    tar.extend(prefixed);
    tar.extend(end());
    let wanted = [
        long.as_str(),
        "usr/share/doc/p/file",
        "usr/share/doc/q/changelog.gz",
    ];
    let found = find_files(tar.as_slice(), &wanted, 100).unwrap();
    assert_eq!(
        found,
        [
            (0, b"long".to_vec()),
            (1, b"pax".to_vec()),
            (2, b"prefix".to_vec())
        ]
    );
}

#[test]
fn symlinks_are_not_files_and_missing_files_are_absent() {
    let mut tar = entry("./usr/share/doc/x/changelog.Debian.gz", b"", b'2');
    tar.extend(end());
    let found = find_files(tar.as_slice(), &["usr/share/doc/x/changelog.Debian.gz"], 10).unwrap();
    assert!(found.is_empty());
    assert!(find_files(&[][..], &["a"], 10).unwrap().is_empty());
}

#[test]
fn truncated_streams_and_oversized_files_are_errors() {
    let tar = entry("./a", &[1u8; 600], b'0');
    let cut = &tar[..BLOCK + 100];
    assert!(find_files(cut, &["a"], 1000).is_err());
    assert!(matches!(
        find_files(cut, &["b"], 1000),
        Err(TarError::Truncated)
    ));
    assert!(matches!(
        find_files(tar.as_slice(), &["a"], 10),
        Err(TarError::TooLarge { .. })
    ));
    let mut bad = header("./a", 0, b'0', None);
    bad[124..136].copy_from_slice(b"zzzzzzzzzzz\0");
    assert!(matches!(
        find_files(bad.as_slice(), &["a"], 10),
        Err(TarError::Header { .. })
    ));
    assert_eq!(
        parse_size(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
        Some(256)
    );
}
