use super::*;

const POLICY: &str = "\
libssl3:
  Installed: 3.0.15-1~deb12u1
  Candidate: 3.0.17-1~deb12u2
  Version table:
     3.0.17-1~deb12u2 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
        500 http://deb.debian.org/debian bookworm-updates/main amd64 Packages
 *** 3.0.15-1~deb12u1 100
        100 /var/lib/dpkg/status
     3.0.11-1~deb12u2 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
jq:
  Installed: (none)
  Candidate: (none)
  Version table:
libc6:i386:
  Installed: (none)
  Candidate: 2.36-9+deb12u9
  Version table:
     2.36-9+deb12u9 500
        500 file:/srv/mirror bookworm-security/main i386 Packages
";

#[test]
fn installed_candidate_and_the_candidates_origin() {
    let packages = parse_policy(POLICY);
    assert_eq!(packages.len(), 3);
    let ssl = &packages[0];
    assert_eq!(ssl.package, "libssl3");
    assert_eq!(ssl.installed.as_deref(), Some("3.0.15-1~deb12u1"));
    assert_eq!(ssl.candidate.as_deref(), Some("3.0.17-1~deb12u2"));
    // The first origin of the candidate's row: apt's order, the security archive here.
    assert_eq!(
        ssl.origin,
        Some(PackageOrigin {
            uri: "http://deb.debian.org/debian-security".into(),
            dist: "bookworm-security".into(),
            component: Some("main".into()),
        })
    );
}

#[test]
fn none_means_absent_and_an_architecture_qualifier_is_dropped() {
    let packages = parse_policy(POLICY);
    assert_eq!(packages[1].package, "jq");
    assert_eq!(packages[1].installed, None);
    assert_eq!(packages[1].candidate, None);
    assert_eq!(packages[1].origin, None);
    assert_eq!(packages[2].package, "libc6");
    assert_eq!(packages[2].installed, None);
    let origin = packages[2].origin.as_ref().unwrap();
    assert_eq!(origin.uri, "file:/srv/mirror");
    assert_eq!(origin.dist, "bookworm-security");
}

#[test]
fn an_installed_candidate_only_in_the_dpkg_database_has_no_origin() {
    let text = "\
openssl:
  Installed: 3.0.99-1
  Candidate: 3.0.99-1
  Version table:
 *** 3.0.99-1 100
        100 /var/lib/dpkg/status
     3.0.11-1~deb12u2 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
";
    let packages = parse_policy(text);
    assert_eq!(packages[0].candidate.as_deref(), Some("3.0.99-1"));
    assert_eq!(packages[0].origin, None);
}

#[test]
fn a_flat_repository_has_no_component_and_keeps_its_directory() {
    let text = "\
jq:
  Installed: 1.6-2.1+deb12u1
  Candidate: 1.6-2.1+deb12u3
  Version table:
     1.6-2.1+deb12u3 500
        500 file:/tmp/lab/repo ./ Packages
 *** 1.6-2.1+deb12u1 500
        500 file:/tmp/lab/repo ./ Packages
        100 /tmp/lab/hosts/lab-01/var/lib/dpkg/status
";
    let origin = parse_policy(text)[0].origin.clone().unwrap();
    assert_eq!(origin.uri, "file:/tmp/lab/repo");
    assert_eq!(origin.dist, "./");
    assert_eq!(origin.component, None);
}

#[test]
fn unknown_packages_print_nothing_and_stray_lines_are_ignored() {
    assert!(parse_policy("").is_empty());
    let text = "N: Unable to locate package nosuch\nW: something odd\n  Candidate: 1\n";
    assert!(parse_policy(text).is_empty());
    // Pins and negative priorities do not confuse the table.
    let pinned = "\
curl:
  Installed: 7.88.1-10+deb12u5
  Candidate: 7.88.1-10+deb12u5
  Package pin: 7.88.1-10+deb12u5
  Version table:
     7.88.1-10+deb12u12 -1
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
 *** 7.88.1-10+deb12u5 1001
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
";
    let curl = &parse_policy(pinned)[0];
    assert_eq!(curl.candidate.as_deref(), Some("7.88.1-10+deb12u5"));
    assert_eq!(curl.origin.as_ref().unwrap().dist, "bookworm");
}

#[test]
fn package_files_with_their_release_attributes() {
    let text = "\
Package files:
 100 /var/lib/dpkg/status
     release a=now
 500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
     release v=12,o=Debian,a=stable-security,n=bookworm-security,l=Debian-Security,c=main,b=amd64
     origin deb.debian.org
 500 file:/tmp/lab/repo ./ Packages
     release o=patchwarden-lab,a=bookworm-security,l=patchwarden-lab,c=
Pinned packages:
     jq -> 1.6 with priority 1001
";
    let files = parse_package_files(text);
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].origin.uri, "http://deb.debian.org/debian-security");
    assert_eq!(files[0].archive.as_deref(), Some("stable-security"));
    assert_eq!(files[0].codename.as_deref(), Some("bookworm-security"));
    assert_eq!(files[1].origin.dist, "./");
    assert_eq!(files[1].archive.as_deref(), Some("bookworm-security"));
    assert_eq!(files[1].codename, None);
    assert!(parse_package_files("jq:\n  Installed: 1\n").is_empty());
}
