//! `patchwarden feed build-debian`: real `.deb`s built with `dpkg-deb --build`, a `Packages`
//! index written by `dpkg-scanpackages`, plus a hostile stanza and an absent `.deb`; the
//! command's output is loaded with the feeds crate's loader and checked record by record.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use patchwarden_core::Severity;
use patchwarden_core::advisory::{Advisory, RangeEvent};
use patchwarden_feeds::{FeedSource, load_feeds};
use support::patchwarden;

const SUITE: &str = "lab-security";

/// One binary package to build: its control fields and its changelog.
struct Deb<'a> {
    package: &'a str,
    version: &'a str,
    source: Option<&'a str>,
    /// `changelog.Debian.gz`, or `changelog.gz` for a native package.
    changelog_name: &'a str,
    changelog: &'a str,
}

fn entry(source: &str, version: &str, urgency: &str, text: &str, date: &str) -> String {
    format!(
        "{source} ({version}) bookworm-security; urgency={urgency}\n\n  * {text}\n\n \
         -- Security Team <team@security.example.org>  {date}\n\n"
    )
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("the program runs");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn gzip(bytes: &[u8], work: &Path) -> Vec<u8> {
    let plain = work.join("changelog.plain");
    std::fs::write(&plain, bytes).expect("changelog written");
    run(Command::new("gzip").arg("-9nc").arg(&plain)).stdout
}

/// Builds `deb` with `dpkg-deb --build` into `dir`, returning the `.deb`'s path.
fn build_deb(deb: &Deb<'_>, work: &Path, dir: &Path) -> PathBuf {
    let root = work.join(format!("build-{}", deb.package));
    let doc = root.join("usr/share/doc").join(deb.package);
    std::fs::create_dir_all(root.join("DEBIAN")).expect("DEBIAN");
    std::fs::create_dir_all(&doc).expect("doc directory");
    let source = deb
        .source
        .map(|s| format!("Source: {s}\n"))
        .unwrap_or_default();
    let control = format!(
        "Package: {}\n{source}Version: {}\nArchitecture: amd64\n\
         Maintainer: Security Team <team@security.example.org>\nDescription: test package\n",
        deb.package, deb.version
    );
    std::fs::write(root.join("DEBIAN/control"), control).expect("control");
    let gz = gzip(deb.changelog.as_bytes(), work);
    std::fs::write(doc.join(deb.changelog_name), gz).expect("changelog");
    if deb.changelog_name == "changelog.Debian.gz" {
        // Like real packages: an upstream changelog beside Debian's (never read as one), and
        // payload after the docs, so reading stops while dpkg-deb still has data to write.
        let upstream = gzip(b"Version 3.0: fixed CVE-2026-7777 upstream.\n", work);
        std::fs::write(doc.join("changelog.gz"), upstream).expect("upstream changelog");
        let payload = root.join("usr/share/zz-payload");
        std::fs::create_dir_all(&payload).expect("payload directory");
        std::fs::write(payload.join("data"), vec![0u8; 4 << 20]).expect("payload");
    }
    std::fs::create_dir_all(dir).expect("pool directory");
    let out = dir.join(format!(
        "{}_{}_amd64.deb",
        deb.package,
        deb.version.replace(':', "%3a")
    ));
    run(Command::new("dpkg-deb")
        .args(["--root-owner-group", "--build"])
        .arg(&root)
        .arg(&out));
    out
}

/// A repository with three sources in `pool/`, a `Packages` index from `dpkg-scanpackages`,
/// a hostile stanza pointing at a real `.deb` outside the pool, and a stanza whose `.deb` is
/// absent. Returns the repository's root.
fn repository(work: &Path, marker: &Path) -> PathBuf {
    let repo = work.join("repo");
    let pool = repo.join("pool/main");
    let openssl = [
        entry(
            "openssl",
            "3.0.22-1~deb12u2",
            "high",
            "Fix CVE-2026-1001 again and CVE-2026-1002.",
            "Wed, 21 Oct 2026 16:54:24 +0700",
        ),
        entry(
            "openssl",
            "3.0.20-1~deb12u1",
            "medium",
            "Point release without security fixes.",
            "Sat, 10 Oct 2026 10:00:00 +0000",
        ),
        entry(
            "openssl",
            "3.0.19-1~deb12u1",
            "medium",
            "Fix CVE-2026-1001 (buffer overflow).",
            "Mon, 02 Mar 2026 09:15:00 +0100",
        ),
    ]
    .concat();
    let epoch = entry(
        "foo",
        "1:2.0-1+deb12u1",
        "low",
        "Fix cve-2026-3001.",
        "Thu, 01 Jan 2026 00:00:00 +0000",
    );
    let native = entry(
        "nativepkg",
        "2026.1",
        "emergency",
        "Fix CVE-2026-4001.",
        "Fri, 02 Jan 2026 00:00:00 +0000",
    );
    let hostile = entry(
        "evil",
        "1.0-1",
        "high",
        "Fix CVE-2026-9999.",
        "Fri, 02 Jan 2026 00:00:00 +0000",
    );
    let debs = [
        Deb {
            package: "openssl",
            version: "3.0.22-1~deb12u2",
            source: None,
            changelog_name: "changelog.Debian.gz",
            changelog: &openssl,
        },
        Deb {
            package: "libfoo1",
            version: "1:2.0-1+deb12u1+b1",
            source: Some("foo (1:2.0-1+deb12u1)"),
            changelog_name: "changelog.Debian.gz",
            changelog: &epoch,
        },
        Deb {
            package: "nativepkg",
            version: "2026.1",
            source: None,
            changelog_name: "changelog.gz",
            changelog: &native,
        },
    ];
    for deb in &debs {
        build_deb(deb, work, &pool);
    }
    let evil = Deb {
        package: "evil",
        version: "1.0-1",
        source: None,
        changelog_name: "changelog.Debian.gz",
        changelog: &hostile,
    };
    build_deb(&evil, work, &repo.join("extra"));

    let index = run(Command::new("dpkg-scanpackages")
        .args(["--multiversion", "pool", "/dev/null"])
        .current_dir(&repo))
    .stdout;
    let mut index = String::from_utf8(index).expect("UTF-8 index");
    index.push_str(&format!(
        "\nPackage: openssl;touch {}\nVersion: 1.0-1\nArchitecture: amd64\n\
         Filename: extra/evil_1.0-1_amd64.deb\n\n\
         Package: absent\nVersion: 1.0-1\nArchitecture: amd64\n\
         Filename: pool/main/absent_1.0-1_amd64.deb\n",
        marker.display()
    ));
    let dists = repo.join("dists").join(SUITE).join("main/binary-amd64");
    std::fs::create_dir_all(&dists).expect("dists");
    std::fs::write(dists.join("Packages"), index).expect("Packages");
    repo
}

fn advisory<'a>(advisories: &'a [Advisory], id: &str) -> &'a Advisory {
    advisories.iter().find(|a| a.id == id).unwrap_or_else(|| {
        panic!(
            "no advisory {id} among {:?}",
            advisories.iter().map(|a| &a.id).collect::<Vec<_>>()
        )
    })
}

fn fixed(advisory: &Advisory) -> Vec<(&str, &str)> {
    advisory
        .affected
        .iter()
        .flat_map(|a| {
            a.ranges
                .iter()
                .flat_map(|r| &r.events)
                .filter_map(move |e| match e {
                    RangeEvent::Fixed(v) => Some((a.package.as_str(), v.as_str())),
                    _ => None,
                })
        })
        .collect()
}

#[test]
fn a_feed_built_from_real_debs_fixes_each_cve_at_its_oldest_entry() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let marker = dir.path().join("pwned");
    let repo = repository(dir.path(), &marker);
    let output = dir.path().join("out/feed.jsonl");
    std::fs::create_dir_all(output.parent().expect("parent")).expect("out");
    let result = patchwarden!()
        .args(["feed", "build-debian", "--suite", SUITE, "--repo"])
        .arg(&repo)
        .arg("--output")
        .arg(&output)
        .output()
        .expect("patchwarden runs");
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        result.status.success(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stdout.contains("5 packages read (1 skipped), 3 .debs read (1 absent), 3 source changelogs; 4 advisories written"),
        "{stdout}"
    );
    assert!(
        stderr.contains("openssl;touch"),
        "the hostile stanza is reported: {stderr}"
    );
    assert!(
        stderr.contains("absent_1.0-1_amd64.deb"),
        "the absent .deb is reported: {stderr}"
    );
    assert!(!marker.exists(), "nothing ran the hostile name");

    let loaded =
        load_feeds(&[FeedSource::new(output.display().to_string())]).expect("the feed loads");
    let advisories = &loaded.feeds.advisories;
    let mut ids: Vec<&str> = advisories.iter().map(|a| a.id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "DEBIAN-CVE-2026-1001",
            "DEBIAN-CVE-2026-1002",
            "DEBIAN-CVE-2026-3001",
            "DEBIAN-CVE-2026-4001"
        ]
    );

    // Named in two entries: the older one is the fix, rated by its own urgency.
    let twice = advisory(advisories, "DEBIAN-CVE-2026-1001");
    assert_eq!(fixed(twice), [("openssl", "3.0.19-1~deb12u1")]);
    assert_eq!(twice.cve_ids, ["CVE-2026-1001"]);
    assert_eq!(twice.severity.level, Severity::Medium);
    assert_eq!(twice.affected[0].ecosystem.as_str(), "Debian:12");
    let once = advisory(advisories, "DEBIAN-CVE-2026-1002");
    assert_eq!(fixed(once), [("openssl", "3.0.22-1~deb12u2")]);
    assert_eq!(once.severity.level, Severity::High);
    assert_eq!(
        once.severity.source.as_deref(),
        Some("Debian tracker urgency")
    );
    // The source package and its epoch version, not the binNMU binary's.
    let epoch = advisory(advisories, "DEBIAN-CVE-2026-3001");
    assert_eq!(fixed(epoch), [("foo", "1:2.0-1+deb12u1")]);
    assert_eq!(epoch.severity.level, Severity::Low);
    // A native package's changelog.gz; `emergency` rates critical.
    let native = advisory(advisories, "DEBIAN-CVE-2026-4001");
    assert_eq!(fixed(native), [("nativepkg", "2026.1")]);
    assert_eq!(native.severity.level, Severity::Critical);
    assert!(
        advisories
            .iter()
            .all(|a| a.affected.iter().all(|p| !p.package.contains(';'))),
        "the hostile name is not written"
    );
}

#[test]
fn a_missing_index_is_an_error_naming_it_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = dir.path().join("feed.jsonl");
    let result = patchwarden!()
        .args(["feed", "build-debian", "--suite", SUITE, "--repo"])
        .arg(dir.path())
        .arg("--output")
        .arg(&output)
        .output()
        .expect("patchwarden runs");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("binary-amd64/Packages"), "{stderr}");
    assert!(!output.exists());
}
