//! Downloading a feed over http(s), bounded in size and time.

use std::io::Read;
use std::sync::Once;

use crate::error::LoadError;

/// Largest document accepted from a URL (the full OSV export of a distribution fits).
pub const MAX_DOWNLOAD_BYTES: u64 = 1 << 30;

static TLS_PROVIDER: Once = Once::new();

/// Downloads a URL (blocking; call from a blocking thread in async code).
pub fn download(url: &str) -> Result<Vec<u8>, LoadError> {
    TLS_PROVIDER.call_once(|| {
        // Another part of the process may have installed one already; either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    let http = |reason: String| LoadError::Http {
        location: url.to_string(),
        reason,
    };
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(300))
        .user_agent(concat!("patchwarden/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| http(e.to_string()))?;
    let response = client.get(url).send().map_err(|e| http(e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(http(format!("HTTP {status}")));
    }
    let mut body = Vec::new();
    response
        .take(MAX_DOWNLOAD_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|e| http(e.to_string()))?;
    if body.len() as u64 > MAX_DOWNLOAD_BYTES {
        return Err(http(format!("larger than {MAX_DOWNLOAD_BYTES} bytes")));
    }
    Ok(body)
}
