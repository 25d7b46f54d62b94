//! Downloading a feed over https, bounded in size and time. Plain http is refused (except to
//! a loopback address, where nothing crosses a network), and so is a redirect to it.

use std::io::Read;
use std::sync::Once;

use crate::error::LoadError;

/// Largest document accepted from a URL (the full OSV export of a distribution fits).
pub const MAX_DOWNLOAD_BYTES: u64 = 1 << 30;

static TLS_PROVIDER: Once = Once::new();

/// Why a URL may not be downloaded from, if it may not: only https, or plain http to a
/// loopback address (a lab or test server on this machine).
pub fn refused_transport(url: &str) -> Option<String> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Some(String::from("not a valid URL"));
    };
    match parsed.scheme() {
        "https" => None,
        "http" if is_loopback(&parsed) => None,
        "http" => Some(String::from("plain http is not allowed; use https")),
        other => Some(format!("the {other} scheme is not allowed; use https")),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Follows at most 10 redirects, each to a URL that [`refused_transport`] allows: an https
/// download is never continued over plain http.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 10 {
            return attempt.error("more than 10 redirects");
        }
        match refused_transport(attempt.url().as_str()) {
            Some(reason) => {
                let message = format!("redirect to {}: {reason}", attempt.url());
                attempt.error(message)
            }
            None => attempt.follow(),
        }
    })
}

/// Downloads a URL (blocking; call from a blocking thread in async code).
pub fn download(url: &str) -> Result<Vec<u8>, LoadError> {
    if let Some(reason) = refused_transport(url) {
        return Err(LoadError::Refused {
            location: url.to_string(),
            reason,
        });
    }
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
        .redirect(redirect_policy())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_is_downloaded() {
        assert_eq!(refused_transport("https://example.org/osv.zip"), None);
        assert_eq!(refused_transport("http://127.0.0.1:8080/kev.json"), None);
        assert_eq!(refused_transport("http://localhost/kev.json"), None);
        assert!(refused_transport("http://example.org/osv.zip").is_some());
        assert!(refused_transport("ftp://example.org/osv.zip").is_some());
        let error = download("http://example.org/osv.zip").expect_err("refused");
        assert!(matches!(error, LoadError::Refused { .. }), "{error}");
    }
}
