//! The `Host` a request names. A browser tricked by DNS rebinding sends the attacker's name
//! with a request to this server's address, so only names the server answers to are served:
//! IP addresses (what the kubeconfigs it writes use), `localhost`, and the extra names the
//! serving certificate is for (`--tls-host`).

use http::Request;

use crate::error::ApiError;

/// The names a request's `Host` may carry besides IP addresses: `localhost` and `extra`.
pub fn served_names(extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = extra.iter().map(|n| normalize(n)).collect();
    names.push("localhost".to_string());
    names.sort();
    names.dedup();
    names
}

/// HTTP/1.1 requests must name the host, as the real server (Go's HTTP server) insists, and
/// the host must be one this server answers to.
pub fn check<B>(req: &Request<B>, served: &[String]) -> Result<(), ApiError> {
    let header = req
        .headers()
        .get(http::header::HOST)
        .map(|value| value.to_str().unwrap_or("\u{fffd}"));
    let named = header.or_else(|| req.uri().host());
    match named {
        None if req.version() == http::Version::HTTP_11 => {
            Err(ApiError::bad_request("missing required Host header"))
        }
        Some(host) if !is_served(host, served) => Err(ApiError::new(
            421,
            "MisdirectedRequest",
            format!(
                "Host {host:?} is not a name this server answers to (an IP address, localhost or a --tls-host name)"
            ),
        )),
        _ => Ok(()),
    }
}

/// Whether `host` (a `Host` header: a name or address with an optional port) is served.
pub fn is_served(host: &str, served: &[String]) -> bool {
    let is_address = |text: &str| text.parse::<std::net::IpAddr>().is_ok();
    let name = strip_port(host);
    if is_address(host) || is_address(name) {
        return true;
    }
    let name = normalize(name);
    served.contains(&name)
}

/// The name or address of `host` without its port; IPv6 addresses lose their brackets.
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').map_or(host, |(address, _)| address);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Names compare without case and without a trailing dot.
fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(host: Option<&str>) -> Request<()> {
        let mut builder = Request::get("/version");
        if let Some(host) = host {
            builder = builder.header(http::header::HOST, host);
        }
        builder.body(()).expect("request")
    }

    #[test]
    fn addresses_localhost_and_the_certificate_names_are_served() {
        let served = served_names(&["Patchwarden.Example".to_string()]);
        for host in [
            "127.0.0.1",
            "127.0.0.1:6443",
            "10.0.0.7:443",
            "[::1]:6443",
            "[::1]",
            "::1",
            "localhost",
            "LOCALHOST:6443",
            "localhost.",
            "patchwarden.example:6443",
        ] {
            assert!(is_served(host, &served), "{host}");
            assert!(check(&request(Some(host)), &served).is_ok(), "{host}");
        }
    }

    #[test]
    fn other_names_are_misdirected() {
        let served = served_names(&[]);
        for host in [
            "evil.example",
            "evil.example:6443",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "",
            "[::1",
            "localhost:port",
        ] {
            assert!(!is_served(host, &served), "{host:?}");
            let error = check(&request(Some(host)), &served).expect_err(host);
            assert_eq!(error.to_status()["code"], 421, "{host:?}");
            assert_eq!(error.to_status()["reason"], "MisdirectedRequest");
        }
    }

    #[test]
    fn an_http_1_1_request_must_name_its_host() {
        let error = check(&request(None), &served_names(&[])).expect_err("no Host");
        assert_eq!(error.to_status()["code"], 400);
    }
}
