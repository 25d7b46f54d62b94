//! Hostile and greedy clients over raw TCP: headers dribbled a byte at a time, more
//! connections than the cap, more watches than a user may hold, watches asking to run for
//! days, writes past the writer's queue, requests without a Host header or with the wrong
//! media type. Each is cut off or refused with a Status, and other clients are still answered.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use support::cluster::TestServer;
use support::http::{json_body, raw_request, try_raw_request};

const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";

/// A connection with a read timeout, so a test never hangs on a server that does not answer.
fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    stream
}

/// The server still answers a plain request.
fn assert_answers(addr: SocketAddr) {
    let (code, _, body) = raw_request(addr, "GET", "/version", &[], b"");
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
}

/// Polls until `request` answers `code`, for at most 10 s.
fn eventually(addr: SocketAddr, path: &str, code: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = try_raw_request(addr, "GET", path, &[], b"").map(|r| r.0);
        if got == Ok(code) {
            return;
        }
        assert!(Instant::now() < deadline, "GET {path}: {got:?}, not {code}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_client_dribbling_its_headers_is_cut_off_while_others_are_answered() {
    let server = TestServer::start_with(|c| c.limits.header_read_timeout = Duration::from_secs(2));
    let addr = server.addr();
    let mut slow = connect(addr);
    let started = Instant::now();
    let request =
        b"GET /version HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut cut = false;
    for byte in request {
        if slow.write_all(&[*byte]).is_err() {
            cut = true;
            break;
        }
        assert_answers(addr);
        std::thread::sleep(Duration::from_millis(250));
    }
    let mut rest = Vec::new();
    // The server closes the connection (with or without a 408): the read ends.
    let _ = slow.read_to_end(&mut rest);
    let elapsed = started.elapsed();
    assert!(
        cut || elapsed < Duration::from_secs(15),
        "the slow client was cut off after {elapsed:?}"
    );
    assert!(
        !String::from_utf8_lossy(&rest).contains("200 OK"),
        "the slow request was never served"
    );
    assert!(
        elapsed >= Duration::from_secs(2),
        "not before the timeout: {elapsed:?}"
    );
    assert_answers(addr);
}

#[test]
fn connections_over_the_cap_get_503_and_the_server_goes_on() {
    let server = TestServer::start_with(|c| {
        c.limits.max_connections = 3;
        c.limits.header_read_timeout = Duration::from_secs(30);
    });
    let addr = server.addr();
    let mut idle: Vec<TcpStream> = (0..3).map(|_| connect(addr)).collect();
    // Every permit is held: the next connection is refused with a Status and closed.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (code, head, body) = loop {
        let response = raw_request(addr, "GET", "/version", &[], b"");
        if response.0 == 503 || Instant::now() > deadline {
            break response;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, 503, "{head}");
    assert!(head.contains("Retry-After: 1"), "{head}");
    assert_eq!(json_body(&body)["reason"], "ServiceUnavailable");
    // One idle client leaves: its place is free again.
    drop(idle.pop());
    eventually(addr, "/version", 200);
    drop(idle);
    eventually(addr, CONFIGMAPS, 200);
}

/// Starts a watch on a raw connection and returns it with the response head.
pub(crate) fn open_watch(addr: SocketAddr, query: &str) -> (TcpStream, String) {
    let mut stream = connect(addr);
    let request = format!(
        "GET {CONFIGMAPS}?watch=true{query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    (stream, String::from_utf8_lossy(&head).into_owned())
}

/// Reads a chunked response to its last chunk: the watch ended.
fn read_to_last_chunk(stream: &mut TcpStream) {
    let mut body = Vec::new();
    let mut buf = [0u8; 4096];
    while !body.ends_with(b"0\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn watches_per_user_are_capped_and_their_timeouts_clamped() {
    let server = TestServer::start_with(|c| {
        c.limits.max_watches_per_user = 2;
        c.limits.max_watch_timeout = Duration::from_secs(2);
    });
    let addr = server.addr();
    let started = Instant::now();
    let (mut first, head) = open_watch(addr, "&timeoutSeconds=86400");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (second, head) = open_watch(addr, "");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (mut third, head) = open_watch(addr, "");
    assert!(head.starts_with("HTTP/1.1 429"), "{head}");
    assert!(head.contains("retry-after: 1"), "{head}");
    let mut status = String::new();
    let _ = third.read_to_string(&mut status);
    assert!(status.contains("too many open watches"), "{status}");
    // Reads and writes go on while the user holds every watch.
    assert_answers(addr);
    // A day was asked for; the watch ends at the clamp.
    read_to_last_chunk(&mut first);
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(10), "clamped: {elapsed:?}");
    drop(second);
    // The ended watches gave their slots back.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_watch, head) = open_watch(addr, "&timeoutSeconds=1");
        if head.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "no slot came back: {head}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn writes_past_the_queue_get_429_with_retry_after() {
    let server = TestServer::start_with(|c| c.limits.max_queued_writes = 1);
    let addr = server.addr();
    let mut refused = None;
    for round in 0..10 {
        let barrier = Arc::new(Barrier::new(16));
        let writers: Vec<_> = (0..16)
            .map(|i| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let body = format!(
                        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"c{round}-{i}"}}}}"#
                    );
                    barrier.wait();
                    let json = ("Content-Type", "application/json");
                    raw_request(addr, "POST", CONFIGMAPS, &[json], body.as_bytes())
                })
            })
            .collect();
        for writer in writers {
            let (code, head, body) = writer.join().expect("writer thread");
            assert!(code == 201 || code == 429, "{code}: {head}");
            if code == 429 {
                refused = Some((head, json_body(&body)));
            }
        }
        if refused.is_some() {
            break;
        }
    }
    let (head, status) = refused.expect("some write found the queue full");
    assert!(head.contains("retry-after: 1"), "{head}");
    assert_eq!(status["reason"], "TooManyRequests");
    assert_eq!(status["details"]["retryAfterSeconds"], 1);
    let body = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"after"}}"#;
    let (code, _, _) = raw_request(
        addr,
        "POST",
        CONFIGMAPS,
        &[("Content-Type", "application/json")],
        body,
    );
    assert_eq!(code, 201, "writes go on");
}

#[test]
fn requests_need_a_host_and_bodies_a_media_type_the_verb_takes() {
    let server = TestServer::start();
    let addr = server.addr();
    let mut stream = connect(addr);
    stream
        .write_all(b"GET /version HTTP/1.1\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(
        response.contains("missing required Host header"),
        "{response}"
    );

    // A body on a GET is ignored, whatever its type.
    let (code, _, _) = raw_request(
        addr,
        "GET",
        CONFIGMAPS,
        &[("Content-Type", "text/plain")],
        b"junk",
    );
    assert_eq!(code, 200);
    let cm = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}"#;
    for (method, path, content_type) in [
        ("POST", CONFIGMAPS.to_string(), "text/plain"),
        (
            "POST",
            CONFIGMAPS.to_string(),
            "application/merge-patch+json",
        ),
        (
            "PUT",
            format!("{CONFIGMAPS}/c"),
            "application/x-www-form-urlencoded",
        ),
        ("PATCH", format!("{CONFIGMAPS}/c"), "application/json"),
        (
            "DELETE",
            format!("{CONFIGMAPS}/c"),
            "application/vnd.kubernetes.protobuf",
        ),
    ] {
        let (code, _, body) =
            raw_request(addr, method, &path, &[("Content-Type", content_type)], cm);
        let status = json_body(&body);
        assert_eq!(code, 415, "{method} {content_type}: {status}");
        assert_eq!(status["reason"], "UnsupportedMediaType");
        assert!(
            status["message"]
                .as_str()
                .is_some_and(|m| m.contains("accepted media types")),
            "{status}"
        );
    }
    let (code, _, body) = raw_request(addr, "POST", CONFIGMAPS, &[], cm);
    assert_eq!(
        code,
        415,
        "a body without a media type: {}",
        String::from_utf8_lossy(&body)
    );
    assert_answers(addr);
}

#[test]
fn kubectl_labels_built_in_objects_with_strategic_merge_patches() {
    let server = TestServer::start();
    let k = server.kubectl();
    k.ok(&["create", "configmap", "settings", "--from-literal=a=b"]);
    let out = k.ok(&["label", "configmap", "settings", "tier=canary"]);
    assert!(out.contains("configmap/settings labeled"), "{out}");
    k.ok(&["annotate", "namespace", "default", "owner=platform"]);
    let label = k.ok(&[
        "get",
        "configmap",
        "settings",
        "-o",
        "jsonpath={.metadata.labels.tier}",
    ]);
    assert_eq!(label, "canary");
    let owner = k.ok(&[
        "get",
        "namespace",
        "default",
        "-o",
        "jsonpath={.metadata.annotations.owner}",
    ]);
    assert_eq!(owner, "platform");
    let patch = r#"{"metadata":{"$setElementOrder/finalizers":[]}}"#;
    let err = k.fails(&[
        "patch",
        "configmap",
        "settings",
        "--type=strategic",
        "-p",
        patch,
    ]);
    assert!(err.contains("not supported"), "{err}");
}
