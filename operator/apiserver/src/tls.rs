//! TLS for the API server: a CA and a serving certificate kept in the TLS directory, made once
//! and reused at every start while they still fit, so clients keep trusting the server across
//! restarts. The CA may only sign end-entity certificates (pathlen 0) and only for the served
//! names (name constraints), so its key, if it ever leaked, could not vouch for anything else.
//! Keys are written with [`write_private`]: 0600, whole, never through a symlink.

mod inspect;
mod names;
#[cfg(test)]
mod tests;

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{ServerError, create_private_dir, io_err, write_private};
use inspect::Stale;
use names::{Permitted, ServedNames};

/// The serving configuration and the CA certificate clients should trust.
pub struct TlsSetup {
    pub server_config: Arc<rustls::ServerConfig>,
    pub ca_pem: String,
}

fn tls_err(e: impl std::fmt::Display) -> ServerError {
    ServerError::Tls(e.to_string())
}

const CA_NAME: &str = "patchwarden-apiserver-ca";

/// The CA's parameters: a CA that signs only end-entity certificates, for `permitted` names.
fn ca_params(permitted: &[Permitted]) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, CA_NAME);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.name_constraints = Some(names::name_constraints(permitted));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// A certificate and its key, as stored.
struct Pair {
    pem: String,
    der: CertificateDer<'static>,
    key: KeyPair,
}

/// Loads the CA and serving certificate under `dir` (making either anew when missing or no
/// longer fitting) for the loopback names, `listen_ip` and the extra `hosts`.
pub fn setup(dir: &Path, listen_ip: IpAddr, hosts: &[String]) -> Result<TlsSetup, ServerError> {
    create_private_dir(dir)?;
    let served = names::served_names(listen_ip, hosts)?;
    let permitted = names::permitted(&served);
    let stored_ca = load_pair(dir, "ca")?.map(|ca| {
        let checked = inspect::check_ca(&ca.der, &permitted, &ca.key.subject_public_key_info());
        (ca, checked)
    });
    let (ca, ca_is_new) = match stored_ca {
        Some((ca, Ok(()))) => (ca, false),
        found => {
            if let Some((_, Err(stale))) = found {
                replacing("CA", dir, &stale);
            }
            (create_ca(dir, &permitted)?, true)
        }
    };
    let stored_serving = if ca_is_new {
        None
    } else {
        load_pair(dir, "server")?
    };
    let serving = match stored_serving {
        Some(serving) => match inspect::check_serving(
            &serving.der,
            &ca.der,
            &served,
            &serving.key.subject_public_key_info(),
        ) {
            Ok(()) => serving,
            Err(stale) => {
                replacing("serving certificate", dir, &stale);
                issue_serving(dir, &ca, &served)?
            }
        },
        None => issue_serving(dir, &ca, &served)?,
    };
    Ok(TlsSetup {
        server_config: server_config(&ca, &serving)?,
        ca_pem: ca.pem,
    })
}

fn replacing(what: &str, dir: &Path, stale: &Stale) {
    tracing::warn!(dir = %dir.display(), reason = %stale, "replacing the stored {what}");
}

/// Reads `<name>.crt` and `<name>.key` under `dir`; `None` when either is missing or does not
/// parse (it is made anew then). Any other failure to read is an error.
fn load_pair(dir: &Path, name: &str) -> Result<Option<Pair>, ServerError> {
    let cert_path = dir.join(format!("{name}.crt"));
    let key_path = dir.join(format!("{name}.key"));
    let (Some(pem), Some(key_pem)) = (read_if_present(&cert_path)?, read_if_present(&key_path)?)
    else {
        return Ok(None);
    };
    let (Ok(der), Ok(key)) = (
        CertificateDer::from_pem_slice(pem.as_bytes()),
        KeyPair::from_pem(&key_pem),
    ) else {
        replacing(
            name,
            dir,
            &Stale::Unreadable("not a PEM certificate and key".into()),
        );
        return Ok(None);
    };
    Ok(Some(Pair { pem, der, key }))
}

fn read_if_present(path: &Path) -> Result<Option<String>, ServerError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("reading", path)(e)),
    }
}

/// Writes the key first: a crash between the two writes leaves a certificate whose key does
/// not match, which the next start detects and replaces.
fn store_pair(dir: &Path, name: &str, pair: &Pair) -> Result<(), ServerError> {
    write_private(&dir.join(format!("{name}.key")), &pair.key.serialize_pem())?;
    write_private(&dir.join(format!("{name}.crt")), &pair.pem)
}

fn create_ca(dir: &Path, permitted: &[Permitted]) -> Result<Pair, ServerError> {
    let key = KeyPair::generate().map_err(tls_err)?;
    let cert = ca_params(permitted).self_signed(&key).map_err(tls_err)?;
    let pair = Pair {
        pem: cert.pem(),
        der: cert.der().clone(),
        key,
    };
    store_pair(dir, "ca", &pair)?;
    Ok(pair)
}

fn issue_serving(dir: &Path, ca: &Pair, served: &ServedNames) -> Result<Pair, ServerError> {
    let mut params = CertificateParams::default();
    params.subject_alt_names = names::subject_alt_names(served)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "patchwarden-apiserver");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // The issuer is named and identified (authority key identifier) only by its name and key,
    // which the stored CA certificate shares with these parameters.
    let issuer = Issuer::new(ca_params(&[]), &ca.key);
    let key = KeyPair::generate().map_err(tls_err)?;
    let cert = params.signed_by(&key, &issuer).map_err(tls_err)?;
    let pair = Pair {
        pem: cert.pem(),
        der: cert.der().clone(),
        key,
    };
    store_pair(dir, "server", &pair)?;
    Ok(pair)
}

fn server_config(ca: &Pair, serving: &Pair) -> Result<Arc<rustls::ServerConfig>, ServerError> {
    let chain = vec![serving.der.clone(), ca.der.clone()];
    let key =
        PrivateKeyDer::from_pem_slice(serving.key.serialize_pem().as_bytes()).map_err(tls_err)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(tls_err)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
