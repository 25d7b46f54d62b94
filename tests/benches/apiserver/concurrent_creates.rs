//! Creates from 1, 4, 16 and 64 concurrent clients in full durability (`synchronous=FULL`:
//! every acknowledged create is fsynced), each count on a fresh server, several runs each; the
//! figures are the median over runs of throughput, p50 and p99. Beside them the raw time of one
//! sync on the disk that holds the database, which bounds a single client: an fdatasync after
//! overwriting 4 KiB (what a commit pays while the write-ahead log reuses its space) and an
//! fsync after appending 4 KiB (what it pays while the log grows, the size changing too).

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use patchwarden_apiserver::SyncMode;
use support::cluster::TestServer;

use super::{Conn, configmap, ms, percentile};

/// The client counts of the series.
const CLIENT_COUNTS: [usize; 4] = [1, 4, 16, 64];
const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";

/// How much work the series does.
pub struct Plan {
    pub runs: usize,
    /// Creates per run with one client.
    pub single_client_creates: usize,
    /// Creates per run shared by the clients when there are several.
    pub concurrent_creates: usize,
    pub fsync_samples: usize,
}

/// One run: throughput and latency percentiles of every create in it.
struct RunFigures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// Runs the series and returns its report lines.
pub fn series(plan: &Plan) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for clients in CLIENT_COUNTS {
        let mut server = TestServer::start_with(|config| config.sync = SyncMode::Full);
        if clients == 1 {
            // The reference is measured on the same file system, right next to the database.
            for (what, append) in [
                ("fdatasync of a 4 KiB overwrite", false),
                ("fsync of a 4 KiB append", true),
            ] {
                let (median, p99) = sync_time(&server.path("data"), plan.fsync_samples, append);
                lines.push((
                    format!("raw {what}, same disk (reference)"),
                    format!("p50 {}, p99 {}", ms(median), ms(p99)),
                ));
            }
        }
        let total = if clients == 1 {
            plan.single_client_creates
        } else {
            plan.concurrent_creates
        };
        let per_client = total.div_ceil(clients);
        let runs: Vec<RunFigures> = (0..plan.runs)
            .map(|run| one_run(server.addr(), clients, per_client, run))
            .collect();
        server.stop();
        lines.push((
            format!(
                "create, {clients} clients, FULL ({} x {} creates, median)",
                plan.runs,
                per_client * clients
            ),
            format!(
                "{:.0}/s, p50 {}, p99 {}",
                median_f64(runs.iter().map(|r| r.per_second).collect()),
                ms(median(runs.iter().map(|r| r.p50).collect())),
                ms(median(runs.iter().map(|r| r.p99).collect()))
            ),
        ));
    }
    lines
}

/// `clients` threads with one keep-alive connection each create `per_client` ConfigMaps.
fn one_run(addr: SocketAddr, clients: usize, per_client: usize, run: usize) -> RunFigures {
    let ready = Arc::new(Barrier::new(clients + 1));
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            let ready = ready.clone();
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr);
                let bodies: Vec<Vec<u8>> = (0..per_client)
                    .map(|i| configmap(&format!("c{clients}-r{run}-t{client}-{i}")))
                    .collect();
                ready.wait();
                let mut latencies = Vec::with_capacity(per_client);
                for body in bodies {
                    let t = Instant::now();
                    let (code, _) = conn.call("POST", CONFIGMAPS, "application/json", &body);
                    assert_eq!(code, 201, "create answered {code}");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    ready.wait();
    let start = Instant::now();
    let mut latencies = Vec::with_capacity(clients * per_client);
    for t in threads {
        latencies.extend(t.join().expect("client thread"));
    }
    let elapsed = start.elapsed();
    latencies.sort();
    RunFigures {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
    }
}

/// Median and p99 of `samples` syncs of a file in `dir`: each after appending 4 KiB (an fsync,
/// as the size changes) or after overwriting the same 4 KiB (an fdatasync, data only).
fn sync_time(dir: &Path, samples: usize, append: bool) -> (Duration, Duration) {
    let path = dir.join("sync-reference");
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&path)
        .expect("open the sync reference file");
    let page = [0x5au8; 4096];
    file.write_all(&page).expect("write");
    file.sync_all().expect("fsync");
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            if !append {
                file.seek(SeekFrom::Start(0)).expect("seek");
            }
            file.write_all(&page).expect("write");
            let t = Instant::now();
            if append {
                file.sync_all().expect("fsync");
            } else {
                file.sync_data().expect("fdatasync");
            }
            t.elapsed()
        })
        .collect();
    drop(file);
    let _ = std::fs::remove_file(&path);
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    percentile(&values, 0.5)
}

fn median_f64(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}
