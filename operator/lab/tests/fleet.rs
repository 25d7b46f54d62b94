//! A lab built with the real dpkg-deb, dpkg-scanpackages, apt-ftparchive, apt-get and dpkg:
//! hosts hold the real Debian 12 baseline versions, the feed names real CVE ids, creation is
//! idempotent, and nothing touches the machine's own dpkg database.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use patchwarden_lab::repo::LAB_MAINTAINER;
use patchwarden_lab::{Fault, FaultKind, Lab, LabDelta, LabSpec, read_dpkg_log};
use sha2::{Digest, Sha256};

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn a_three_host_lab_mirrors_real_versions_and_leaves_the_machine_alone() {
    let real_status = Path::new("/var/lib/dpkg/status");
    let real_before = sha256(real_status);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let delta = LabDelta::embedded().unwrap();
    let mut spec = LabSpec::new(3);
    spec.faults = Fault::parse_list(FaultKind::PostinstFail, "openssl@lab-02").unwrap();
    spec.unreachable = vec!["lab-03".into()];

    let started = Instant::now();
    let (lab, timings) = Lab::create(&dir, &delta, &spec).unwrap();
    eprintln!(
        "lab create: {} packages, repository {:?}, 3 hosts {:?}, total {:?}",
        lab.packages().len(),
        timings.repository,
        timings.hosts,
        started.elapsed()
    );
    assert_eq!(timings.hosts_populated, 3);
    assert_eq!(lab.packages().len(), 17);
    assert_eq!(lab.host_names(), ["lab-01", "lab-02", "lab-03"]);

    // Every host holds every lab package at the real installed version, fully installed.
    for host in lab.hosts() {
        let installed = lab.installed(&host.name).unwrap();
        assert_eq!(installed.len(), lab.packages().len(), "{}", host.name);
        for p in lab.packages() {
            let got = installed.iter().find(|i| i.package == p.package).unwrap();
            assert_eq!(
                got.version, p.installed_version,
                "{} {}",
                host.name, p.package
            );
            assert_eq!(got.status, "ii");
        }
        let os = std::fs::read_to_string(host.os_release()).unwrap();
        assert!(os.contains("VERSION_ID=\"12\"") && os.contains("ID=debian"));
        let installs = read_dpkg_log(&host.dpkg_log()).unwrap();
        assert!(installs.iter().all(|a| a.action == "install"));
    }
    let libssl3 = lab.package("libssl3").unwrap();
    assert_eq!(libssl3.installed_version, "3.0.19-1~deb12u2");
    assert_eq!(libssl3.candidate_version, "3.0.22-1~deb12u2");
    assert!(
        lab.host("lab-02")
            .unwrap()
            .fault_dir(FaultKind::PostinstFail)
            .join("openssl")
            .exists()
    );
    assert!(lab.unreachable_marker("lab-03").exists());

    // The repository offers both versions of every package.
    let packages = std::fs::read_to_string(lab.repository().join("Packages")).unwrap();
    assert!(packages.contains("Package: libssl3\n"));
    assert_eq!(packages.matches("Package: libssl3\n").count(), 2);

    // The feed names the real CVE ids with the candidate as the fixed version.
    let feed = std::fs::read_to_string(lab.osv_feed()).unwrap();
    let openssl_cves = &delta
        .sources
        .iter()
        .find(|s| s.source == "openssl")
        .unwrap()
        .cves;
    for cve in openssl_cves {
        assert!(feed.contains(&format!("\"aliases\":[\"{cve}\"]")), "{cve}");
    }

    // Again: reused, nothing rebuilt or reinstalled; faults re-applied as requested.
    let deb = std::fs::read_dir(lab.repository().join("pool"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let deb_before = std::fs::metadata(&deb).unwrap().modified().unwrap();
    let mut again = LabSpec::new(3);
    // A source name stands for each of its binaries.
    again.faults = Fault::parse_list(FaultKind::HealthBreak, "jq@lab-01,krb5@lab-02").unwrap();
    let started = Instant::now();
    let (lab, timings) = Lab::create(&dir, &delta, &again).unwrap();
    eprintln!("lab create again (reuse): {:?}", started.elapsed());
    assert_eq!(timings.hosts_populated, 0);
    assert_eq!(
        std::fs::metadata(&deb).unwrap().modified().unwrap(),
        deb_before
    );
    assert!(
        !lab.host("lab-02")
            .unwrap()
            .fault_dir(FaultKind::PostinstFail)
            .join("openssl")
            .exists()
    );
    assert!(
        lab.host("lab-01")
            .unwrap()
            .fault_dir(FaultKind::HealthBreak)
            .join("jq")
            .exists()
    );
    let lab02 = lab.host("lab-02").unwrap();
    for binary in [
        "krb5-locales",
        "libgssapi-krb5-2",
        "libk5crypto3",
        "libkrb5-3",
        "libkrb5support0",
    ] {
        assert!(
            lab02
                .fault_dir(FaultKind::HealthBreak)
                .join(binary)
                .exists(),
            "{binary}"
        );
    }
    assert!(!lab.unreachable_marker("lab-03").exists());
    assert_eq!(Lab::open(&dir).unwrap().faults().len(), 2);

    // A different package set is refused rather than mixed into the existing hosts.
    let mut other = LabSpec::new(3);
    other.sources = vec!["jq".into()];
    let err = Lab::create(&dir, &delta, &other).unwrap_err();
    assert!(err.to_string().contains("other packages"), "{err}");

    // Growing the fleet populates only the new host.
    let (lab, timings) = Lab::create(&dir, &delta, &LabSpec::new(4)).unwrap();
    assert_eq!(timings.hosts_populated, 1);
    assert_eq!(lab.status().unwrap().len(), 4);

    // The machine's own dpkg database and file system never saw a lab package.
    assert_eq!(
        sha256(real_status),
        real_before,
        "/var/lib/dpkg/status changed"
    );
    let real = std::fs::read_to_string(real_status).unwrap();
    assert!(!real.contains(LAB_MAINTAINER));
    assert!(!Path::new("/usr/share/doc/libssl3/README.patchwarden-lab").exists());
    assert!(!Path::new("/etc/patchwarden-lab").exists());
}

#[test]
fn an_interrupted_creation_is_completed_by_the_next_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let delta = LabDelta::embedded().unwrap();
    Lab::create(&dir, &delta, &LabSpec::new(2)).unwrap();
    // As if killed: image not marked ready, a half-copied host, a half-built package,
    // no manifest and no repository index.
    std::fs::remove_file(dir.join("image/var/lib/patchwarden-lab/ready")).unwrap();
    std::fs::rename(dir.join("hosts/lab-02"), dir.join("hosts/lab-02.partial")).unwrap();
    let pool = dir.join("repo/pool");
    let deb = pool.join("jq_1.6-2.1+deb12u3_amd64.deb");
    std::fs::rename(&deb, pool.join("jq_1.6-2.1+deb12u3_amd64.deb.partial")).unwrap();
    std::fs::remove_file(dir.join("repo/Release")).unwrap();
    std::fs::remove_file(dir.join("lab.json")).unwrap();

    let (lab, timings) = Lab::create(&dir, &delta, &LabSpec::new(2)).unwrap();
    assert_eq!(timings.hosts_populated, 1);
    assert!(deb.exists());
    assert!(dir.join("repo/Release").exists());
    for host in lab.host_names() {
        let installed = lab.installed(host).unwrap();
        assert_eq!(installed.len(), 17, "{host}");
        assert!(installed.iter().all(|p| p.is_installed()), "{host}");
    }
}

#[test]
fn unknown_fault_targets_are_rejected_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let delta = LabDelta::embedded().unwrap();
    let mut spec = LabSpec::new(2);
    spec.faults = Fault::parse_list(FaultKind::PostinstFail, "nosuchpkg@lab-01").unwrap();
    let err = Lab::create(tmp.path(), &delta, &spec).unwrap_err();
    assert!(err.to_string().contains("nosuchpkg"), "{err}");
    spec.faults = Fault::parse_list(FaultKind::PostinstFail, "jq@lab-09").unwrap();
    let err = Lab::create(tmp.path(), &delta, &spec).unwrap_err();
    assert!(err.to_string().contains("lab-09"), "{err}");
}

#[test]
fn lab_packages_refuse_to_configure_outside_a_lab_root() {
    // The postinst guard: run the real script without DPKG_ROOT, as dpkg on the machine would.
    let tmp = tempfile::tempdir().unwrap();
    let (lab, _) = Lab::create(
        &tmp.path().join("lab"),
        &LabDelta::embedded().unwrap(),
        &LabSpec::new(1),
    )
    .unwrap();
    let script = lab
        .host("lab-01")
        .unwrap()
        .admindir()
        .join("info/jq.postinst");
    let out = Command::new("sh")
        .arg(&script)
        .arg("configure")
        .env_remove("DPKG_ROOT")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("outside a lab root"));
}
