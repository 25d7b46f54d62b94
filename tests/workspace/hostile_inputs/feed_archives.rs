//! Feeds in gzip and zip archives (cut short, corrupt, nested too deep, holding bad entries)
//! and sources whose declared digest does not match.

use std::io::{Cursor, Write};

use super::feeds::{FeedInput, bytes};
use super::{Case, case, err, ok};

const OSV: &str = r#"{"id":"DSA-1","affected":[{"package":{"ecosystem":"Debian:12","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1.0-1"}]}]}]}"#;
const EPSS: &str = "cve,epss\nCVE-2024-0001,0.5\n";

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body).expect("compress");
    encoder.finish().expect("finish")
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, body) in entries {
        if let Some(dir) = name.strip_suffix('/') {
            writer
                .add_directory(dir, zip::write::SimpleFileOptions::default())
                .expect("dir");
            continue;
        }
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("entry");
        writer.write_all(body).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}

fn with_digest(body: Vec<u8>, sha256: &str) -> FeedInput {
    FeedInput {
        bytes: body,
        sha256: Some(sha256.to_string()),
    }
}

fn digests() -> Vec<Case<FeedInput>> {
    let right = patchwarden_feeds::sha256_hex(OSV.as_bytes());
    let wrong = "0".repeat(64);
    vec![
        case(
            "the declared digest matches, in upper case",
            with_digest(OSV.into(), &right.to_uppercase()),
            ok("osv=1"),
        ),
        case(
            "the declared digest differs",
            with_digest(OSV.into(), &wrong),
            err(
                "DigestMismatch",
                None,
                "",
                format!("<file>: sha256 is {right}, expected {wrong}"),
            ),
        ),
        case(
            "the declared digest is not hex",
            with_digest(OSV.into(), "not-a-digest"),
            err("DigestMismatch", None, "", "expected not-a-digest"),
        ),
        case(
            "a digest of the unpacked text is not the file's",
            with_digest(gzip(OSV.as_bytes()), &right),
            err("DigestMismatch", None, "", format!("expected {right}")),
        ),
    ]
}

fn archives() -> Vec<Case<FeedInput>> {
    let two = zip_of(&[
        ("a.json", OSV.as_bytes()),
        ("dir/", b""),
        ("b.csv", EPSS.as_bytes()),
    ]);
    let gz = gzip(OSV.as_bytes());
    let inner = zip_of(&[("osv.json", OSV.as_bytes())]);
    let middle = zip_of(&[("inner.zip", &inner)]);
    vec![
        case("gzip", bytes(gz.clone()), ok("osv=1")),
        case(
            "two gzip members",
            bytes([gzip(b"cve,epss\n"), gzip(b"CVE-2024-0001,0.5\n")].concat()),
            ok("epss=1"),
        ),
        case(
            "gzip cut in half",
            bytes(&gz[..gz.len() / 2]),
            err("Archive", None, "gzip", "<file>: bad gzip archive"),
        ),
        case(
            "only the gzip magic number",
            bytes(&[0x1f, 0x8b][..]),
            err("Archive", None, "gzip", "bad gzip archive"),
        ),
        case(
            "gzip of bytes that are not UTF-8",
            bytes(gzip(&[b'{', 0xc3, 0x28, b'}'])),
            err("NotText", None, "", "<file>: not UTF-8 text"),
        ),
        case(
            "a zip of two feeds and a directory",
            bytes(two.clone()),
            ok("osv=1!a.json, epss=1!b.csv"),
        ),
        case(
            "a zip entry named outside the archive is only a name",
            bytes(zip_of(&[("../../etc/osv.json", OSV.as_bytes())])),
            ok("osv=1!../../etc/osv.json"),
        ),
        case(
            "an empty zip has no entry header and is not a feed",
            bytes(zip_of(&[])),
            err("UnknownKind", None, "", "<file>: not a recognised feed"),
        ),
        case(
            "a zip holding a gzip",
            bytes(zip_of(&[("osv.json.gz", &gz)])),
            ok("osv=1!osv.json.gz"),
        ),
        case(
            "a zip in a zip",
            bytes(middle.clone()),
            ok("osv=1!inner.zip!osv.json"),
        ),
        case(
            "a zip in a zip in a zip",
            bytes(zip_of(&[("middle.zip", &middle)])),
            err(
                "TooDeep",
                None,
                "",
                "!middle.zip!inner.zip: archives nested more than 2 deep",
            ),
        ),
        case(
            "a zip cut in half",
            bytes(&two[..two.len() / 2]),
            err("Archive", None, "zip", "<file>: bad zip archive"),
        ),
        case(
            "the zip magic number and nothing else",
            bytes(&b"PK\x03\x04"[..]),
            err("Archive", None, "zip", "bad zip archive"),
        ),
        case(
            "a zip whose second entry is a bad record",
            bytes(zip_of(&[
                ("a.json", OSV.as_bytes()),
                ("b.json", b"{\"id\":1}"),
            ])),
            err(
                "Feed osv",
                Some(1),
                "json (line 1, column 7)",
                "<file>!b.json: osv record 1",
            ),
        ),
        case(
            "a zip whose entry is not UTF-8",
            bytes(zip_of(&[("bad.json", &[0xff, 0xfe])])),
            err("NotText", None, "", "<file>!bad.json: not UTF-8 text"),
        ),
        case(
            "a zip whose entry is not a feed",
            bytes(zip_of(&[("notes.txt", b"hello")])),
            err(
                "UnknownKind",
                None,
                "",
                "<file>!notes.txt: not a recognised feed",
            ),
        ),
    ]
}

/// Archives and digests.
pub fn cases() -> Vec<Case<FeedInput>> {
    [digests(), archives()].into_iter().flatten().collect()
}
