//! Loading feeds and inventories from real files: directories, JSON Lines, gzip, zip and a
//! loopback http URL; sha256 verification and digest reporting; errors that name the file.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use patchwarden_core::feed::FeedKind;
use patchwarden_core::index::FeedSet;
use patchwarden_core::inventory::InventoryFormat;
use patchwarden_feeds::{
    FeedSource, LoadError, load_feeds, load_source, read_inventory, sha256_hex,
};

fn data(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(relative)
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

#[test]
fn loads_a_directory_of_single_records_jsonl_and_zip() {
    let dir = tempfile::tempdir().expect("temp dir");
    let samples = std::fs::read_to_string(data("osv/distro-osv-samples.jsonl")).expect("samples");
    let lines: Vec<&str> = samples.lines().collect();
    std::fs::create_dir(dir.path().join("single")).expect("mkdir");
    for (i, line) in lines.iter().enumerate() {
        std::fs::write(dir.path().join(format!("single/{i}.json")), line).expect("write");
    }
    let mut zipped = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zipped
        .start_file("a/DSA-3029-1.json", options)
        .expect("zip entry");
    zipped.write_all(lines[0].as_bytes()).expect("zip write");
    zipped
        .start_file("b/USN-7500-1.json", options)
        .expect("zip entry");
    zipped.write_all(lines[3].as_bytes()).expect("zip write");
    let archive = zipped.finish().expect("zip").into_inner();
    std::fs::write(dir.path().join("more.zip"), &archive).expect("write zip");

    let loaded = load_feeds(&[
        FeedSource::new(dir.path().display().to_string()),
        FeedSource::new(
            data("osv/almalinux-osv-2026-08-21.jsonl.gz")
                .display()
                .to_string(),
        ),
    ])
    .expect("loads");
    let directory = &loaded.sources[0];
    assert_eq!(
        directory.documents.len(),
        7,
        "5 single files and 2 zip entries"
    );
    assert!(
        directory
            .documents
            .iter()
            .any(|d| d.name.ends_with("more.zip!b/USN-7500-1.json"))
    );
    let records: usize = directory.documents.iter().map(|d| d.records).sum();
    assert_eq!(records, 6, "the withdrawn record is skipped");
    assert_eq!(loaded.sources[1].documents[0].records, 5680);
    assert_eq!(loaded.sources[1].documents[0].kind, FeedKind::Osv);
    assert_eq!(
        loaded.sources[1].sha256,
        sha256_hex(&std::fs::read(data("osv/almalinux-osv-2026-08-21.jsonl.gz")).expect("read"))
    );
    assert!(
        loaded.sources[1].sha256.starts_with("fc13171e2c3b628b"),
        "the digest listed in SOURCES.md"
    );
    assert_eq!(loaded.feeds.advisories.len(), 6 + 5680);

    // The directory digest is a manifest of its files: the same content gives the same digest.
    let again = load_feeds(&[FeedSource {
        location: dir.path().display().to_string(),
        expected_sha256: Some(directory.sha256.clone()),
    }])
    .expect("same");
    assert_eq!(again.sources[0].sha256, directory.sha256);
}

#[test]
fn detects_kev_epss_and_tracker_lists() {
    let mut feeds = FeedSet::default();
    for (file, kind, records) in [
        (
            "kev/known_exploited_vulnerabilities-2025.08.25.json.gz",
            FeedKind::Kev,
            1404,
        ),
        (
            "epss/epss_scores-2025-04-14.csv.gz",
            FeedKind::Epss,
            274_774,
        ),
        (
            "debian/security-tracker-DSA-list-2025-02-13.gz",
            FeedKind::DebianTracker,
            5909,
        ), // header lines, revisions included
        (
            "debian/security-tracker-DLA-list-2025-02-13.gz",
            FeedKind::DebianTracker,
            4224,
        ),
    ] {
        let report = load_source(
            &FeedSource::new(data(file).display().to_string()),
            &mut feeds,
        )
        .expect(file);
        assert_eq!(
            (report.documents[0].kind, report.documents[0].records),
            (kind, records),
            "{file}"
        );
    }
    assert!(feeds.kev.is_some() && feeds.epss.is_some());
    let bookworm = feeds
        .advisories
        .iter()
        .filter(|a| {
            a.affected
                .iter()
                .any(|p| p.ecosystem.as_str() == "Debian:12")
        })
        .count();
    assert_eq!(bookworm, 413, "bookworm DSAs in the 2025-02-13 list");
}

#[test]
fn a_wrong_digest_is_refused_naming_the_file() {
    let path = data("kev/known_exploited_vulnerabilities-2025.08.25.json.gz");
    let source = FeedSource {
        location: path.display().to_string(),
        expected_sha256: Some("00".repeat(32)),
    };
    let error = load_feeds(&[source]).expect_err("mismatch");
    assert!(matches!(error, LoadError::DigestMismatch { .. }));
    let message = error.to_string();
    assert!(
        message.contains("known_exploited_vulnerabilities-2025.08.25.json.gz"),
        "{message}"
    );
    assert!(
        message.contains("803b4eb85c01ff05"),
        "reports the actual digest: {message}"
    );
}

#[test]
fn bad_feeds_and_inventories_name_file_and_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    let feed = dir.path().join("broken.jsonl");
    let good = std::fs::read_to_string(data("osv/distro-osv-samples.jsonl")).expect("samples");
    let first = good.lines().next().expect("line");
    std::fs::write(&feed, format!("{first}\n{}\n", &first[..first.len() / 3])).expect("write");
    let message = load_feeds(&[FeedSource::new(feed.display().to_string())])
        .expect_err("truncated")
        .to_string();
    assert!(
        message.contains("broken.jsonl") && message.contains("record 2"),
        "{message}"
    );

    let truncated_gzip = dir.path().join("cut.json.gz");
    let bytes = std::fs::read(data(
        "kev/known_exploited_vulnerabilities-2025.08.25.json.gz",
    ))
    .expect("kev");
    std::fs::write(&truncated_gzip, &bytes[..bytes.len() / 2]).expect("write");
    let message = load_feeds(&[FeedSource::new(truncated_gzip.display().to_string())])
        .expect_err("cut")
        .to_string();
    assert!(
        message.contains("cut.json.gz") && message.contains("gzip"),
        "{message}"
    );

    let status = dir.path().join("status");
    std::fs::write(&status, "Package: a\nStatus: install ok installed\nVersion: 1.0\n\nPackage: b\nStatus: install ok installed\nVersion: 1:\n").expect("write");
    let message = read_inventory(&status, None)
        .expect_err("bad version")
        .to_string();
    assert!(
        message.contains("status: dpkg status record 2 (package b), field Version"),
        "{message}"
    );
}

#[test]
fn reads_and_detects_every_real_inventory() {
    for (file, format, packages) in [
        (
            "inventories/debian12-host-dpkg-status-2026-11-28.gz",
            InventoryFormat::DpkgStatus,
            731,
        ),
        (
            "inventories/ubuntu1804-texlive-dpkg-status.gz",
            InventoryFormat::DpkgStatus,
            357,
        ),
        (
            "inventories/claircore-postgresql-dpkg-status",
            InventoryFormat::DpkgStatus,
            3,
        ),
        (
            "inventories/ubi8-amd64-rpm-manifest-2019-05-01.json.gz",
            InventoryFormat::RpmManifest,
            178,
        ),
        (
            "inventories/ubi9-amd64-rpm-manifest-2022-05-03.json.gz",
            InventoryFormat::RpmManifest,
            181,
        ),
        (
            "inventories/alpine-apk-installed",
            InventoryFormat::ApkInstalled,
            15,
        ),
    ] {
        let (detected, inventory) = read_inventory(&data(file), None).expect(file);
        assert_eq!((detected, inventory.len()), (format, packages), "{file}");
    }
}

#[test]
fn downloads_over_http_and_verifies_the_digest() {
    let body = std::fs::read(data(
        "kev/known_exploited_vulnerabilities-2025.08.25.json.gz",
    ))
    .expect("kev");
    let expected = sha256_hex(&body);
    assert!(gunzip(&body).len() > 100_000);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let served = body.clone();
    let server = std::thread::spawn(move || {
        for _ in 0..2 {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request).expect("read");
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                served.len()
            );
            stream.write_all(head.as_bytes()).expect("head");
            stream.write_all(&served).expect("body");
        }
    });
    let url = format!("http://127.0.0.1:{port}/kev.json.gz");
    let loaded = load_feeds(&[FeedSource {
        location: url.clone(),
        expected_sha256: Some(expected.clone()),
    }])
    .expect("download");
    assert_eq!(loaded.sources[0].sha256, expected);
    assert_eq!(loaded.sources[0].documents[0].records, 1404);
    let error = load_feeds(&[FeedSource {
        location: url.clone(),
        expected_sha256: Some("ab".repeat(32)),
    }])
    .expect_err("mismatch");
    assert!(error.to_string().starts_with(&url), "{error}");
    server.join().expect("server");
}
