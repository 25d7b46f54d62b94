//! Benchmark of the embedded API server over real HTTP on loopback: create latency and
//! throughput, update p99, listing 10,000 objects, watch delivery latency to 10 watchers, and
//! cold start with 10,000 stored objects. Runs once per durability mode and prints a table;
//! then creates from 1, 4, 16 and 64 concurrent clients in full durability beside the disk's
//! raw fsync time ([`concurrent_creates`]).
//!
//! `cargo bench -p patchwarden-tests --bench apiserver` (set `BENCH_OBJECTS` to change the
//! list size, `BENCH_ONLY=concurrent` to run only the concurrent series).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use patchwarden_apiserver::SyncMode;
use support::cluster::TestServer;

#[path = "apiserver/concurrent_creates.rs"]
mod concurrent_creates;

/// The allocator of the `patchwarden` executable, which serves the control plane.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A keep-alive HTTP/1.1 connection for request/response calls.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    addr: SocketAddr,
}

impl Conn {
    fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            reader: BufReader::new(stream.try_clone().expect("clone")),
            writer: stream,
            addr,
        }
    }

    fn call(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        self.writer.write_all(head.as_bytes()).expect("write");
        self.writer.write_all(body).expect("write body");
        let mut status = String::new();
        self.reader.read_line(&mut status).expect("status line");
        let code: u16 = status
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("code");
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().expect("length");
            }
        }
        let mut body = vec![0u8; len];
        self.reader.read_exact(&mut body).expect("body");
        (code, body)
    }
}

/// A watch connection reading newline-delimited events out of the chunked body.
struct Watch {
    reader: BufReader<TcpStream>,
    pending: Vec<u8>,
}

impl Watch {
    fn open(addr: SocketAddr, path: &str) -> Watch {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("write");
        let mut reader = BufReader::new(stream);
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
        }
        Watch {
            reader,
            pending: Vec::new(),
        }
    }

    fn next_line(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(pos) = self.pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=pos).collect();
                return Some(line);
            }
            let mut size = String::new();
            if self.reader.read_line(&mut size).ok()? == 0 {
                return None;
            }
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            if n == 0 {
                return None;
            }
            let mut chunk = vec![0u8; n + 2];
            self.reader.read_exact(&mut chunk).ok()?;
            chunk.truncate(n);
            self.pending.extend_from_slice(&chunk);
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn configmap(name: &str) -> Vec<u8> {
    format!(r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{name}","labels":{{"bench":"yes"}}}},"data":{{"key":"value-{name}","other":"some longer text so the object has a realistic size of a few hundred bytes"}}}}"#)
        .into_bytes()
}

struct Report {
    mode: &'static str,
    lines: Vec<(String, String)>,
}

fn run(mode: SyncMode, label: &'static str, objects: usize) -> Report {
    let mut report = Report {
        mode: label,
        lines: Vec::new(),
    };
    let mut server = TestServer::start_with(|config| config.sync = mode);
    let addr = server.addr();
    let ns = "/api/v1/namespaces/default/configmaps";

    // Sequential creates: latency per acknowledged create.
    let mut conn = Conn::open(addr);
    let sequential = 1000.min(objects);
    let mut lat = Vec::with_capacity(sequential);
    let start = Instant::now();
    for i in 0..sequential {
        let t = Instant::now();
        let (code, _) = conn.call(
            "POST",
            ns,
            "application/json",
            &configmap(&format!("seq-{i}")),
        );
        assert_eq!(code, 201);
        lat.push(t.elapsed());
    }
    let seq_elapsed = start.elapsed();
    lat.sort();
    report.lines.push((
        "create, 1 client".into(),
        format!(
            "{:.0}/s, p50 {}, p99 {}",
            sequential as f64 / seq_elapsed.as_secs_f64(),
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99))
        ),
    ));

    // Concurrent creates up to `objects`: throughput with group commit.
    let clients = 16;
    let remaining = objects - sequential;
    let lat_all: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let start = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let lat_all = lat_all.clone();
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr);
                let mut mine = Vec::new();
                let mut i = c;
                while i < remaining {
                    let t = Instant::now();
                    let (code, _) = conn.call(
                        "POST",
                        ns,
                        "application/json",
                        &configmap(&format!("par-{i}")),
                    );
                    assert_eq!(code, 201);
                    mine.push(t.elapsed());
                    i += clients;
                }
                lat_all.lock().expect("lock").extend(mine);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client");
    }
    let par_elapsed = start.elapsed();
    let mut lat = lat_all.lock().expect("lock").clone();
    lat.sort();
    report.lines.push((
        format!("create, {clients} clients"),
        format!(
            "{:.0}/s, p50 {}, p99 {}",
            remaining as f64 / par_elapsed.as_secs_f64(),
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99))
        ),
    ));

    // Updates (merge patches) on existing objects.
    let mut lat = Vec::new();
    for i in 0..1000 {
        let body = format!(r#"{{"data":{{"key":"updated-{i}"}}}}"#);
        let t = Instant::now();
        let (code, _) = conn.call(
            "PATCH",
            &format!("{ns}/seq-{}", i % sequential),
            "application/merge-patch+json",
            body.as_bytes(),
        );
        assert_eq!(code, 200);
        lat.push(t.elapsed());
    }
    lat.sort();
    report.lines.push((
        "update (merge patch), 1 client".into(),
        format!(
            "p50 {}, p99 {}",
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99))
        ),
    ));

    // Listing every object.
    let mut lat = Vec::new();
    let mut bytes = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let (code, body) = conn.call("GET", ns, "application/json", b"");
        assert_eq!(code, 200);
        lat.push(t.elapsed());
        bytes = body.len();
    }
    lat.sort();
    report.lines.push((
        format!("list {objects} objects ({} KiB)", bytes / 1024),
        format!(
            "p50 {}, p99 {}",
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99))
        ),
    ));
    let t = Instant::now();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let path = if token.is_empty() {
            format!("{ns}?limit=500")
        } else {
            format!("{ns}?limit=500&continue={token}")
        };
        let (code, body) = conn.call("GET", &path, "application/json", b"");
        assert_eq!(code, 200);
        pages += 1;
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        token = v["metadata"]["continue"].as_str().unwrap_or("").to_string();
        if token.is_empty() {
            break;
        }
    }
    report.lines.push((
        format!("list {objects} objects in {pages} pages of 500"),
        ms(t.elapsed()),
    ));

    // Watch delivery to 10 watchers: from sending the write to each watcher reading the event.
    let watchers = 10;
    let rounds = 200;
    let sent: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let (_, body) = conn.call("GET", &format!("{ns}?limit=1"), "application/json", b"");
    let rv: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let rv = rv["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();
    let received: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let ready = Arc::new(std::sync::Barrier::new(watchers + 1));
    let handles: Vec<_> = (0..watchers)
        .map(|_| {
            let (sent, received, ready) = (sent.clone(), received.clone(), ready.clone());
            let path =
                format!("{ns}?watch=true&resourceVersion={rv}&fieldSelector=metadata.name%3Dseq-0");
            std::thread::spawn(move || {
                let mut w = Watch::open(addr, &path);
                ready.wait();
                let mut mine = Vec::new();
                for i in 0..rounds {
                    let _ = w.next_line().expect("event");
                    let at = Instant::now();
                    let t0 = loop {
                        if let Some(t) = sent.lock().expect("lock").get(i).copied() {
                            break t;
                        }
                        std::thread::yield_now();
                    };
                    mine.push(at.saturating_duration_since(t0));
                }
                received.lock().expect("lock").extend(mine);
            })
        })
        .collect();
    ready.wait();
    std::thread::sleep(Duration::from_millis(100));
    for i in 0..rounds {
        let body = format!(r#"{{"data":{{"key":"watched-{i}"}}}}"#);
        sent.lock().expect("lock").push(Instant::now());
        let (code, _) = conn.call(
            "PATCH",
            &format!("{ns}/seq-0"),
            "application/merge-patch+json",
            body.as_bytes(),
        );
        assert_eq!(code, 200);
        std::thread::sleep(Duration::from_millis(2));
    }
    for h in handles {
        h.join().expect("watcher");
    }
    let mut lat = received.lock().expect("lock").clone();
    lat.sort();
    report.lines.push((
        format!("watch delivery, {watchers} watchers x {rounds} events (write sent -> event read)"),
        format!(
            "p50 {}, p99 {}",
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99))
        ),
    ));

    drop(conn);
    server.stop();

    // Cold start with everything above on disk.
    let t = Instant::now();
    server.start_again(|config| config.sync = mode);
    let mut conn = Conn::open(server.addr());
    let (code, _) = conn.call("GET", "/version", "application/json", b"");
    assert_eq!(code, 200);
    report.lines.push((
        format!("cold start with {objects} objects (to first answer)"),
        ms(t.elapsed()),
    ));
    report
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too, so keep it quick there.
    let quick = !std::env::args().any(|a| a == "--bench");
    let objects: usize = std::env::var("BENCH_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 1200 } else { 10_000 });
    let concurrent_only = std::env::var("BENCH_ONLY").is_ok_and(|v| v == "concurrent");
    let mut reports = Vec::new();
    if !concurrent_only {
        for (mode, label) in [
            (SyncMode::Full, "synchronous=FULL (default)"),
            (SyncMode::Normal, "synchronous=NORMAL"),
        ] {
            reports.push(run(mode, label, objects));
        }
    }
    let plan = if quick {
        concurrent_creates::Plan {
            runs: 1,
            single_client_creates: 100,
            concurrent_creates: 400,
            fsync_samples: 50,
        }
    } else {
        concurrent_creates::Plan {
            runs: 5,
            single_client_creates: 1000,
            concurrent_creates: 6400,
            fsync_samples: 500,
        }
    };
    reports.push(Report {
        mode: "concurrent creates, synchronous=FULL",
        lines: concurrent_creates::series(&plan),
    });
    for r in reports {
        println!("\n== {} ==", r.mode);
        for (what, value) in r.lines {
            println!("{what:<75} {value}");
        }
    }
}
