//! The CA and serving certificate as stored: read back with an X.509 parser, checked by the
//! same verifier clients use, reused across starts and replaced when they no longer fit.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use x509_parser::extensions::GeneralName;

use super::*;

const LISTEN: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3));

fn hosts() -> Vec<String> {
    vec!["PW.Example.Test.".to_string(), "192.0.2.7".to_string()]
}

fn der(path: &Path) -> CertificateDer<'static> {
    let pem = std::fs::read_to_string(path).unwrap();
    CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
}

#[test]
fn the_ca_has_pathlen_zero_and_is_constrained_to_the_served_names() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), LISTEN, &hosts()).unwrap();
    let ca = der(&dir.path().join("ca.crt"));
    let (_, cert) = x509_parser::parse_x509_certificate(&ca).unwrap();

    let basic = cert.basic_constraints().unwrap().expect("basicConstraints");
    assert!(basic.critical);
    assert!(basic.value.ca);
    assert_eq!(basic.value.path_len_constraint, Some(0));

    let constraints = cert.name_constraints().unwrap().expect("nameConstraints");
    assert!(constraints.critical);
    assert!(constraints.value.excluded_subtrees.is_none());
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    for subtree in constraints.value.permitted_subtrees.as_ref().unwrap() {
        match subtree.base {
            GeneralName::DNSName(name) => dns.push(name.to_string()),
            GeneralName::IPAddress(bytes) => ips.push(bytes.to_vec()),
            ref other => panic!("unexpected subtree {other:?}"),
        }
    }
    dns.sort();
    ips.sort();
    assert_eq!(dns, ["localhost", "pw.example.test"]);
    let mut loopback_v6 = std::net::Ipv6Addr::LOCALHOST.octets().to_vec();
    loopback_v6.extend([0xff; 16]);
    let mut expected = vec![
        vec![10, 1, 2, 3, 255, 255, 255, 255],
        vec![127, 0, 0, 0, 255, 0, 0, 0],
        vec![192, 0, 2, 7, 255, 255, 255, 255],
        loopback_v6,
    ];
    expected.sort();
    assert_eq!(ips, expected);
}

#[test]
fn the_serving_certificate_names_exactly_the_served_names() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), LISTEN, &hosts()).unwrap();
    let leaf = der(&dir.path().join("server.crt"));
    let (_, cert) = x509_parser::parse_x509_certificate(&leaf).unwrap();
    let names = inspect::served_names(&cert).unwrap();
    assert_eq!(
        names.dns.iter().collect::<Vec<_>>(),
        ["localhost", "pw.example.test"]
    );
    let ips: Vec<String> = names.ips.iter().map(IpAddr::to_string).collect();
    assert_eq!(ips, ["10.1.2.3", "127.0.0.1", "192.0.2.7", "::1"]);
    let basic = cert.basic_constraints().unwrap();
    assert!(basic.is_none_or(|b| !b.value.ca), "the leaf is no CA");
}

fn verifier(ca: &CertificateDer<'static>) -> Arc<WebPkiServerVerifier> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .unwrap()
}

fn verify(
    verifier: &WebPkiServerVerifier,
    leaf: &CertificateDer<'static>,
    name: &str,
) -> Result<(), rustls::Error> {
    let name = ServerName::try_from(name.to_string()).unwrap();
    verifier
        .verify_server_cert(leaf, &[], &name, &[], UnixTime::now())
        .map(|_| ())
}

#[test]
fn clients_accept_the_served_names_and_the_ca_cannot_vouch_for_others() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), LISTEN, &hosts()).unwrap();
    let ca_der = der(&dir.path().join("ca.crt"));
    let verifier = verifier(&ca_der);
    let leaf = der(&dir.path().join("server.crt"));
    for name in [
        "localhost",
        "127.0.0.1",
        "::1",
        "10.1.2.3",
        "pw.example.test",
    ] {
        verify(&verifier, &leaf, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert!(verify(&verifier, &leaf, "example.com").is_err());

    // A certificate the CA's key signs for a name outside its constraints is refused.
    let key_pem = std::fs::read_to_string(dir.path().join("ca.key")).unwrap();
    let ca_key = KeyPair::from_pem(&key_pem).unwrap();
    let issuer = Issuer::new(ca_params(&[]), &ca_key);
    for outside in ["example.com", "10.9.9.9"] {
        let params = CertificateParams::new(vec![outside.to_string()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let forged = params.signed_by(&key, &issuer).unwrap();
        let error = verify(&verifier, forged.der(), outside).expect_err(outside);
        assert!(
            format!("{error:?}").contains("NameConstraint"),
            "{outside}: {error:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn the_material_is_made_once_private_and_reused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let first = setup(dir.path(), LISTEN, &hosts()).unwrap();
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    let stored: Vec<Vec<u8>> = ["ca.crt", "ca.key", "server.crt", "server.key"]
        .iter()
        .map(|name| read(name))
        .collect();
    for name in ["ca.crt", "ca.key", "server.crt", "server.key"] {
        let meta = std::fs::symlink_metadata(dir.path().join(name)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
    }
    let again = setup(dir.path(), LISTEN, &hosts()).unwrap();
    assert_eq!(first.ca_pem, again.ca_pem);
    let after: Vec<Vec<u8>> = ["ca.crt", "ca.key", "server.crt", "server.key"]
        .iter()
        .map(|name| read(name))
        .collect();
    assert_eq!(stored, after, "nothing is rewritten when everything fits");
}

#[test]
fn other_names_or_an_unconstrained_ca_are_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let first = setup(dir.path(), LISTEN, &hosts()).unwrap();
    let other = setup(dir.path(), LISTEN, &[]).unwrap();
    assert_ne!(
        first.ca_pem, other.ca_pem,
        "the CA follows the served names"
    );

    // A CA made without constraints (as by earlier versions) is not kept.
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, CA_NAME);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let unconstrained = params.self_signed(&key).unwrap();
    write_private(&dir.path().join("ca.key"), &key.serialize_pem()).unwrap();
    write_private(&dir.path().join("ca.crt"), &unconstrained.pem()).unwrap();
    let replaced = setup(dir.path(), LISTEN, &[]).unwrap();
    assert_ne!(replaced.ca_pem, unconstrained.pem());
    let ca = der(&dir.path().join("ca.crt"));
    let (_, cert) = x509_parser::parse_x509_certificate(&ca).unwrap();
    let basic = cert.basic_constraints().unwrap().unwrap();
    assert_eq!(basic.value.path_len_constraint, Some(0));

    // A serving certificate whose key was swapped is reissued.
    write_private(
        &dir.path().join("server.key"),
        &KeyPair::generate().unwrap().serialize_pem(),
    )
    .unwrap();
    let before = std::fs::read(dir.path().join("server.crt")).unwrap();
    setup(dir.path(), LISTEN, &[]).unwrap();
    assert_ne!(
        before,
        std::fs::read(dir.path().join("server.crt")).unwrap()
    );
}

#[test]
fn host_names_are_checked_and_masks_read() {
    for bad in ["", "a b", "-a.example", "a..b", "0.0.0.0", "ünï.example"] {
        let error = names::served_names(LISTEN, &[bad.to_string()]).expect_err(bad);
        assert!(
            error.to_string().contains("TLS host name"),
            "{bad}: {error}"
        );
    }
    assert_eq!(names::prefix_length(&[255, 255, 255, 0]), Some(24));
    assert_eq!(names::prefix_length(&[255, 0, 255, 0]), None);
    assert_eq!(names::prefix_length(&[0xff; 16]), Some(128));
    let unspecified = names::served_names(IpAddr::V4(Ipv4Addr::UNSPECIFIED), &[]).unwrap();
    assert!(!unspecified.ips.contains(&IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
}
