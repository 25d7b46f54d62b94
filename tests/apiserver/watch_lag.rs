//! A watch whose client stops reading falls behind the server's live feed of events, which
//! keeps only the latest ones; it catches up from the event history and sends every event
//! once, in order, without making the client relist.

use std::io::Read;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::cluster::TestServer;
use support::http::raw_request;

use crate::hardening::open_watch;

const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";
/// More events than the live feed holds (1024), each large enough that the socket buffers
/// fill and the watch stops taking events from the feed while its client does not read.
const CREATED: usize = 3000;
const PAYLOAD: usize = 8 * 1024;

/// The events of the chunked watch response read so far.
fn dechunk(raw: &[u8]) -> Vec<serde_json::Value> {
    let mut body = Vec::new();
    let mut rest = raw;
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_line = String::from_utf8_lossy(&rest[..end]).into_owned();
        let size = usize::from_str_radix(size_line.trim(), 16).expect("chunk size");
        rest = &rest[end + 2..];
        if size == 0 || rest.len() < size {
            break;
        }
        body.extend_from_slice(&rest[..size]);
        // The chunk's closing CR LF may not have been read yet.
        rest = &rest[(size + 2).min(rest.len())..];
    }
    body.split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).expect("one JSON event per line"))
        .collect()
}

fn create(addr: SocketAddr, name: &str) {
    let body = serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name},
        "data": {"payload": "x".repeat(PAYLOAD)},
    });
    let json = ("Content-Type", "application/json");
    let (code, head, _) = raw_request(
        addr,
        "POST",
        CONFIGMAPS,
        &[json],
        body.to_string().as_bytes(),
    );
    assert_eq!(code, 201, "{name}: {head}");
}

#[test]
fn a_watch_left_behind_by_the_live_feed_catches_up_from_the_history() {
    let server = TestServer::start();
    let addr = server.addr();
    let (mut watch, head) = open_watch(addr, "&timeoutSeconds=120");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    // Four writers while the watch's client reads nothing.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            std::thread::spawn(move || {
                for i in (w..CREATED).step_by(4) {
                    create(addr, &format!("lag-{i:04}"));
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("writer thread");
    }

    // Events end with a bare newline; the chunk framing uses CR LF. Read until every event
    // (or the end of a watch that failed) is in.
    let mut raw: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut lines = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while lines < CREATED {
        let n = watch.read(&mut buf).expect("reading the watch");
        if n == 0 {
            break;
        }
        let start = raw.len();
        raw.extend_from_slice(&buf[..n]);
        lines += (start.max(1)..raw.len())
            .filter(|&i| raw[i] == b'\n' && raw[i - 1] != b'\r')
            .count();
        assert!(Instant::now() < deadline, "{lines} of {CREATED} events");
    }
    let events = dechunk(&raw);
    let errors: Vec<_> = events.iter().filter(|e| e["type"] != "ADDED").collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut names: Vec<&str> = events
        .iter()
        .map(|e| e["object"]["metadata"]["name"].as_str().expect("name"))
        .collect();
    let revisions: Vec<u64> = events
        .iter()
        .map(|e| {
            e["object"]["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|rv| rv.parse().ok())
                .expect("resourceVersion")
        })
        .collect();
    assert!(
        revisions.windows(2).all(|w| w[0] < w[1]),
        "events in revision order, each once"
    );
    names.sort_unstable();
    let expected: Vec<String> = (0..CREATED).map(|i| format!("lag-{i:04}")).collect();
    assert_eq!(names, expected);
}
