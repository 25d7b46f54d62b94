use super::*;

const INRELEASE: &str = "\
-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA512

Origin: Debian
Label: Debian-Security
Suite: stable-security
Version: 12
Codename: bookworm-security
Date: Sat, 05 Dec 2026 18:02:11 UTC
Valid-Until: Sat, 12 Dec 2026 18:02:11 UTC
Description: Debian 12 - Security Updates
SHA256:
 9be7407 17639 main/binary-amd64/Packages
 Date: Mon, 01 Jan 2001 00:00:00 UTC
-----BEGIN PGP SIGNATURE-----

iQIzBAEBCgAdFiEE
Suite: forged
-----END PGP SIGNATURE-----
";

#[test]
fn clearsigned_header_fields_are_read_and_nothing_after_them() {
    let header = parse_release_header(INRELEASE);
    assert_eq!(header.suite.as_deref(), Some("stable-security"));
    assert_eq!(header.codename.as_deref(), Some("bookworm-security"));
    assert_eq!(
        header.date.as_deref(),
        Some("Sat, 05 Dec 2026 18:02:11 UTC")
    );
}

#[test]
fn a_bare_release_and_odd_files() {
    let header = parse_release_header(
        "Date: Mon, 07 Dec 2026 02:44:48 +0000\nLabel: patchwarden-lab\nSuite: bookworm-security\nMD5Sum:\n 506c 17639 Packages\n",
    );
    assert_eq!(header.suite.as_deref(), Some("bookworm-security"));
    assert_eq!(header.codename, None);
    assert_eq!(
        header.date.as_deref(),
        Some("Mon, 07 Dec 2026 02:44:48 +0000")
    );
    assert_eq!(parse_release_header(""), ReleaseHeader::default());
    // Armour headers are not fields, even when they look like one.
    let only_armour = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\nSuite: x\n";
    assert_eq!(parse_release_header(only_armour), ReleaseHeader::default());
    // Only the first paragraph is the header.
    let later = "Origin: x\n\nSuite: later\n";
    assert_eq!(parse_release_header(later).suite, None);
}

#[test]
fn list_file_stems_match_apts_names() {
    assert_eq!(
        list_file_stem("file:/tmp/e_lab/lab/repo", "./"),
        "_tmp_e%5flab_lab_repo_._"
    );
    assert_eq!(
        list_file_stem("http://deb.debian.org/debian", "bookworm"),
        "deb.debian.org_debian_dists_bookworm_"
    );
    assert_eq!(
        list_file_stem(
            "http://deb.debian.org/debian-security/",
            "bookworm-security"
        ),
        "deb.debian.org_debian-security_dists_bookworm-security_"
    );
    assert_eq!(
        list_file_stem("https://user:secret@mirror.example:8443/debian", "bookworm"),
        "mirror.example:8443_debian_dists_bookworm_"
    );
    assert_eq!(
        list_file_stem("file:///srv/mirror", "bookworm-security"),
        "_srv_mirror_dists_bookworm-security_"
    );
}

fn listed(file_name: &str, text: &str) -> ListedRelease {
    ListedRelease {
        file_name: file_name.into(),
        text: text.into(),
    }
}

const PACKAGE_FILES: &str = "\
Package files:
 100 /var/lib/dpkg/status
     release a=now
 500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
     release v=12,o=Debian,a=stable-security,n=bookworm-security,l=Debian-Security,c=main,b=amd64
 500 http://deb.debian.org/debian-security bookworm-security/contrib amd64 Packages
     release v=12,o=Debian,a=stable-security,n=bookworm-security,l=Debian-Security,c=contrib,b=amd64
 500 file:/srv/flat ./ Packages
     release o=local,a=local-suite,c=
 500 http://deb.debian.org/debian bookworm/main amd64 Packages
     release v=12,o=Debian,a=stable,n=bookworm,l=Debian,c=main,b=amd64
";

#[test]
fn repositories_get_their_release_date_once_each() {
    let releases = [
        listed(
            "deb.debian.org_debian-security_dists_bookworm-security_InRelease",
            INRELEASE,
        ),
        listed(
            "_srv_flat_._Release",
            "Suite: flat-suite\nDate: Tue, 01 Dec 2026 00:00:00 +0000\n",
        ),
    ];
    let sources = host_sources("h1", "", PACKAGE_FILES, &releases);
    assert_eq!(sources.asset, "h1");
    assert_eq!(sources.repositories.len(), 3, "{:?}", sources.repositories);
    let security = &sources.repositories[0];
    assert_eq!(security.uri, "http://deb.debian.org/debian-security");
    assert_eq!(security.suite.as_deref(), Some("stable-security"));
    assert_eq!(
        security.date.as_deref(),
        Some("Sat, 05 Dec 2026 18:02:11 UTC")
    );
    assert!(security.signed);
    let flat = &sources.repositories[1];
    assert_eq!(flat.suite.as_deref(), Some("flat-suite"));
    assert!(!flat.signed);
    // No release file listed: apt's own attributes, no date.
    let main = &sources.repositories[2];
    assert_eq!(main.suite.as_deref(), Some("stable"));
    assert_eq!(main.codename.as_deref(), Some("bookworm"));
    assert_eq!(main.date, None);
}

#[test]
fn a_packages_origin_finds_its_repository() {
    let policy = "\
libssl3:
  Installed: 3.0.15-1~deb12u1
  Candidate: 3.0.17-1~deb12u2
  Version table:
     3.0.17-1~deb12u2 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
";
    let releases = [listed(
        "deb.debian.org_debian-security_dists_bookworm-security_InRelease",
        INRELEASE,
    )];
    let sources = host_sources("h1", policy, PACKAGE_FILES, &releases);
    let ssl = sources.package("libssl3").unwrap();
    let repository = sources.repository(ssl.origin.as_ref().unwrap()).unwrap();
    assert_eq!(
        repository.date.as_deref(),
        Some("Sat, 05 Dec 2026 18:02:11 UTC")
    );
    assert!(sources.package("jq").is_none());
}

#[test]
fn release_file_names() {
    assert!(is_release_file(
        "deb.debian.org_debian_dists_bookworm_InRelease"
    ));
    assert!(is_release_file("_srv_flat_._Release"));
    assert!(!is_release_file(
        "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"
    ));
    assert!(!is_release_file("lock"));
}
