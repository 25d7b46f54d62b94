//! Which names the serving certificate is for, and the subtrees the CA is constrained to:
//! pure functions, so what a stored certificate must hold to be reused is decided without I/O.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rcgen::{CidrSubnet, GeneralSubtree, NameConstraints, SanType};

use crate::error::ServerError;

/// The DNS names and IP addresses clients reach the server by (sorted, without repeats).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ServedNames {
    pub dns: BTreeSet<String>,
    pub ips: BTreeSet<IpAddr>,
}

/// One permitted subtree of the CA's name constraints.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Permitted {
    /// A DNS name and every name below it.
    Dns(String),
    /// An address range: the network address and the prefix length.
    Ip(IpAddr, u8),
}

/// The loopback names every certificate is for, the listen address when it is a specific one,
/// and the configured extra `hosts` (DNS names or IP addresses).
pub(crate) fn served_names(
    listen_ip: IpAddr,
    hosts: &[String],
) -> Result<ServedNames, ServerError> {
    let mut names = ServedNames::default();
    names.dns.insert("localhost".to_string());
    names.ips.insert(IpAddr::V4(Ipv4Addr::LOCALHOST));
    names.ips.insert(IpAddr::V6(Ipv6Addr::LOCALHOST));
    if !listen_ip.is_unspecified() {
        names.ips.insert(listen_ip);
    }
    for host in hosts {
        match host.parse::<IpAddr>() {
            Ok(ip) if ip.is_unspecified() => {
                return Err(invalid_host(host, "an unspecified address names no host"));
            }
            Ok(ip) => {
                names.ips.insert(ip);
            }
            Err(_) => {
                names.dns.insert(dns_name(host)?);
            }
        }
    }
    Ok(names)
}

fn invalid_host(host: &str, reason: &str) -> ServerError {
    ServerError::Tls(format!("the TLS host name {host:?} is invalid: {reason}"))
}

/// A host name in the form certificates carry it: lower case, no trailing dot, every label
/// letters, digits and inner hyphens.
fn dns_name(host: &str) -> Result<String, ServerError> {
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() || name.len() > 253 {
        return Err(invalid_host(host, "it must have 1 to 253 characters"));
    }
    for label in name.split('.') {
        let valid = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !valid {
            return Err(invalid_host(
                host,
                "each dot-separated label must be 1 to 63 letters, digits or inner hyphens",
            ));
        }
    }
    Ok(name)
}

/// What the CA may issue for: the DNS names, all of 127.0.0.0/8 and ::1, and each other
/// address alone. Sorted, so two constraint sets compare equal exactly when they permit the
/// same names.
pub(crate) fn permitted(names: &ServedNames) -> Vec<Permitted> {
    let mut permitted: BTreeSet<Permitted> =
        names.dns.iter().cloned().map(Permitted::Dns).collect();
    permitted.insert(Permitted::Ip(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8));
    permitted.insert(Permitted::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST), 128));
    for ip in &names.ips {
        match ip {
            IpAddr::V4(v4) if v4.is_loopback() => {}
            IpAddr::V4(_) => {
                permitted.insert(Permitted::Ip(*ip, 32));
            }
            IpAddr::V6(_) => {
                permitted.insert(Permitted::Ip(*ip, 128));
            }
        }
    }
    permitted.into_iter().collect()
}

/// The name constraints extension for `permitted`.
pub(crate) fn name_constraints(permitted: &[Permitted]) -> NameConstraints {
    let permitted_subtrees = permitted
        .iter()
        .map(|subtree| match subtree {
            Permitted::Dns(name) => GeneralSubtree::DnsName(name.clone()),
            Permitted::Ip(ip, prefix) => {
                GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(*ip, *prefix))
            }
        })
        .collect();
    NameConstraints {
        permitted_subtrees,
        excluded_subtrees: Vec::new(),
    }
}

/// The subject alternative names of the serving certificate.
pub(crate) fn subject_alt_names(names: &ServedNames) -> Result<Vec<SanType>, ServerError> {
    let mut sans = Vec::new();
    for name in &names.dns {
        let ia5 = name
            .clone()
            .try_into()
            .map_err(|e| invalid_host(name, &format!("{e}")))?;
        sans.push(SanType::DnsName(ia5));
    }
    sans.extend(names.ips.iter().map(|ip| SanType::IpAddress(*ip)));
    Ok(sans)
}

/// The prefix length of a network mask, `None` when its one bits are not contiguous.
pub(crate) fn prefix_length(mask: &[u8]) -> Option<u8> {
    let ones: u32 = mask.iter().map(|b| b.count_ones()).sum();
    let contiguous = mask
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| b >> i & 1 == 1))
        .skip(ones as usize)
        .all(|bit| !bit);
    contiguous.then(|| u8::try_from(ones).ok()).flatten()
}
