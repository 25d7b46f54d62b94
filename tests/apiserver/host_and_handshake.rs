//! Names and handshakes: a request naming a host the server does not answer to (what a
//! browser sends after DNS rebinding) is refused before authentication, and a TLS client
//! that never completes its handshake is cut off at the header timeout.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::cluster::TestServer;

/// The status line's code of a GET /version naming `host`.
fn version_with_host(server: &TestServer, host: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(server.addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    let request = format!("GET /version HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let code = response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, response)
}

#[test]
fn a_request_naming_another_host_is_misdirected() {
    let server = TestServer::start_with(|c| c.tls_hosts = vec!["patchwarden.test".to_string()]);
    let port = server.addr().port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("patchwarden.test:{port}"),
    ] {
        let (code, response) = version_with_host(&server, &host);
        assert_eq!(code, 200, "{host}: {response}");
    }
    for host in [
        format!("attacker.example:{port}"),
        "localhost.attacker.example".to_string(),
    ] {
        let (code, response) = version_with_host(&server, &host);
        assert_eq!(code, 421, "{host}: {response}");
        assert!(
            response.contains("MisdirectedRequest") && response.contains("attacker.example"),
            "{response}"
        );
    }
}

#[test]
fn a_tls_handshake_never_completed_is_cut_off_at_the_header_timeout() {
    let server = TestServer::start_with(|c| {
        c.tls = true;
        c.limits.header_read_timeout = Duration::from_secs(2);
    });
    let mut silent = TcpStream::connect(server.addr()).expect("connect");
    silent
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let started = Instant::now();
    let mut rest = Vec::new();
    let ended = silent.read_to_end(&mut rest);
    let elapsed = started.elapsed();
    assert!(ended.is_ok(), "the server closed the connection: {ended:?}");
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(15),
        "cut off after {elapsed:?}"
    );
}
