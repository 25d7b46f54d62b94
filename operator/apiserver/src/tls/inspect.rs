//! Reading stored certificates back: whether a CA or serving certificate found in the TLS
//! directory still fits (the names, the constraints, the issuer, the key), so it is reused
//! rather than replaced at every start.

use std::net::IpAddr;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

use super::names::{Permitted, ServedNames, prefix_length};

/// Why a stored certificate is not reused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Stale {
    #[error("it cannot be read: {0}")]
    Unreadable(String),
    #[error("it is not a CA that may only sign server certificates (basicConstraints pathlen:0)")]
    NotPathLenZeroCa,
    #[error("its name constraints permit {found:?}, the served names need {wanted:?}")]
    OtherConstraints {
        found: Vec<Permitted>,
        wanted: Vec<Permitted>,
    },
    #[error("it is not signed by the current CA")]
    OtherIssuer,
    #[error("it is for {found:?}, the served names are {wanted:?}")]
    OtherNames {
        found: ServedNames,
        wanted: ServedNames,
    },
    #[error("the stored private key is not the certificate's")]
    OtherKey,
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, Stale> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(Stale::Unreadable(
            "trailing bytes after the certificate".into(),
        )),
        Err(e) => Err(Stale::Unreadable(e.to_string())),
    }
}

/// Checks that `ca_der` is a CA with pathlen 0, constrained to exactly `wanted`, whose key is
/// the one whose public key info is `key_spki`.
pub(crate) fn check_ca(ca_der: &[u8], wanted: &[Permitted], key_spki: &[u8]) -> Result<(), Stale> {
    let cert = parse(ca_der)?;
    let unreadable = |e: x509_parser::error::X509Error| Stale::Unreadable(e.to_string());
    let constraints = cert.basic_constraints().map_err(unreadable)?;
    if !constraints.is_some_and(|c| c.value.ca && c.value.path_len_constraint == Some(0)) {
        return Err(Stale::NotPathLenZeroCa);
    }
    let found = permitted_subtrees(&cert)?;
    if found != wanted {
        return Err(Stale::OtherConstraints {
            found,
            wanted: wanted.to_vec(),
        });
    }
    if cert.public_key().raw != key_spki {
        return Err(Stale::OtherKey);
    }
    Ok(())
}

/// The CA's permitted subtrees, sorted; none when it has no name constraints.
pub(crate) fn permitted_subtrees(cert: &X509Certificate<'_>) -> Result<Vec<Permitted>, Stale> {
    let extension = cert
        .name_constraints()
        .map_err(|e| Stale::Unreadable(e.to_string()))?;
    let subtrees = extension
        .and_then(|c| c.value.permitted_subtrees.as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut permitted = Vec::new();
    for subtree in subtrees {
        permitted.push(match &subtree.base {
            GeneralName::DNSName(name) => Permitted::Dns(name.to_ascii_lowercase()),
            GeneralName::IPAddress(bytes) => ip_subtree(bytes)?,
            other => {
                return Err(Stale::Unreadable(format!(
                    "an unexpected permitted subtree {other:?}"
                )));
            }
        });
    }
    permitted.sort();
    Ok(permitted)
}

/// An address and mask (4 + 4 or 16 + 16 bytes) as network and prefix length.
fn ip_subtree(bytes: &[u8]) -> Result<Permitted, Stale> {
    let bad = || Stale::Unreadable(format!("an IP subtree of {} bytes", bytes.len()));
    let (ip, mask) = match bytes.len() {
        8 => {
            let octets: [u8; 4] = bytes[..4].try_into().map_err(|_| bad())?;
            (IpAddr::from(octets), &bytes[4..])
        }
        32 => {
            let octets: [u8; 16] = bytes[..16].try_into().map_err(|_| bad())?;
            (IpAddr::from(octets), &bytes[16..])
        }
        _ => return Err(bad()),
    };
    let prefix = prefix_length(mask).ok_or_else(bad)?;
    Ok(Permitted::Ip(ip, prefix))
}

/// Checks that `leaf_der` is signed by the CA `ca_der`, is for exactly `wanted` and has the
/// key whose public key info is `key_spki`.
pub(crate) fn check_serving(
    leaf_der: &[u8],
    ca_der: &[u8],
    wanted: &ServedNames,
    key_spki: &[u8],
) -> Result<(), Stale> {
    let leaf = parse(leaf_der)?;
    let ca = parse(ca_der)?;
    leaf.verify_signature(Some(ca.public_key()))
        .map_err(|_| Stale::OtherIssuer)?;
    let found = served_names(&leaf)?;
    if &found != wanted {
        return Err(Stale::OtherNames {
            found,
            wanted: wanted.clone(),
        });
    }
    if leaf.public_key().raw != key_spki {
        return Err(Stale::OtherKey);
    }
    Ok(())
}

/// The DNS names and addresses a certificate's subject alternative names list.
pub(crate) fn served_names(cert: &X509Certificate<'_>) -> Result<ServedNames, Stale> {
    let mut names = ServedNames::default();
    let extension = cert
        .subject_alternative_name()
        .map_err(|e| Stale::Unreadable(e.to_string()))?;
    for name in extension.iter().flat_map(|e| &e.value.general_names) {
        match name {
            GeneralName::DNSName(dns) => {
                names.dns.insert(dns.to_ascii_lowercase());
            }
            GeneralName::IPAddress(bytes) => {
                let ip = match bytes.len() {
                    4 => <[u8; 4]>::try_from(*bytes).map(IpAddr::from).ok(),
                    16 => <[u8; 16]>::try_from(*bytes).map(IpAddr::from).ok(),
                    _ => None,
                };
                let ip = ip.ok_or_else(|| {
                    Stale::Unreadable(format!("an IP address of {} bytes", bytes.len()))
                })?;
                names.ips.insert(ip);
            }
            other => {
                return Err(Stale::Unreadable(format!(
                    "an unexpected subject alternative name {other:?}"
                )));
            }
        }
    }
    Ok(names)
}
