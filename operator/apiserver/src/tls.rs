//! TLS for the API server: a self-signed CA kept in the data directory (so clients keep
//! trusting it across restarts) and a serving certificate issued from it at every start for the
//! loopback names and the listen address.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{ServerError, create_private_dir, io_err, write_private};

/// The serving configuration and the CA certificate clients should trust.
pub struct TlsSetup {
    pub server_config: Arc<rustls::ServerConfig>,
    pub ca_pem: String,
}

fn tls_err(e: impl std::fmt::Display) -> ServerError {
    ServerError::Tls(e.to_string())
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "patchwarden-apiserver-ca");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// Loads (or creates) the CA under `dir` and issues a serving certificate.
pub fn setup(dir: &Path, listen_ip: IpAddr) -> Result<TlsSetup, ServerError> {
    create_private_dir(dir)?;
    let ca_cert_path = dir.join("ca.crt");
    let ca_key_path = dir.join("ca.key");
    let (ca_pem, ca_key) = if ca_cert_path.exists() && ca_key_path.exists() {
        let pem =
            std::fs::read_to_string(&ca_cert_path).map_err(io_err("reading", &ca_cert_path))?;
        let key_pem =
            std::fs::read_to_string(&ca_key_path).map_err(io_err("reading", &ca_key_path))?;
        let key = KeyPair::from_pem(&key_pem)
            .map_err(|e| ServerError::Tls(format!("{}: {e}", ca_key_path.display())))?;
        (pem, key)
    } else {
        let key = KeyPair::generate().map_err(tls_err)?;
        let cert = ca_params().self_signed(&key).map_err(tls_err)?;
        let pem = cert.pem();
        write_private(&ca_key_path, &key.serialize_pem())?;
        std::fs::write(&ca_cert_path, &pem).map_err(io_err("writing", &ca_cert_path))?;
        (pem, key)
    };
    // The CA's parameters are fixed, so the issuer rebuilt from them and the stored key
    // matches the stored CA certificate.
    let issuer = Issuer::new(ca_params(), &ca_key);
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if !listen_ip.is_unspecified() {
        names.push(listen_ip.to_string());
    }
    let mut params = CertificateParams::new(names).map_err(tls_err)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "patchwarden-apiserver");
    let server_key = KeyPair::generate().map_err(tls_err)?;
    let server_cert = params.signed_by(&server_key, &issuer).map_err(tls_err)?;
    let chain = vec![
        server_cert.der().clone(),
        CertificateDer::from_pem_slice(ca_pem.as_bytes()).map_err(tls_err)?,
    ];
    let key =
        PrivateKeyDer::from_pem_slice(server_key.serialize_pem().as_bytes()).map_err(tls_err)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(tls_err)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsSetup {
        server_config: Arc::new(config),
        ca_pem,
    })
}
