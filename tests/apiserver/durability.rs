//! Crash durability: 2,000 objects are written by 16 concurrent clients, so the writer commits
//! them in batches (group commit) and a batch is in flight at almost every moment, while the
//! server process is killed with SIGKILL at a random moment; after a restart on the same data
//! directory every acknowledged write is present with its acknowledged resourceVersion (0
//! acknowledged writes lost), and revisions handed out after the restart are higher than any
//! before it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::cluster::ServerProcess;
use support::http::{json_body, raw_request, try_raw_request};
use support::patchwarden;

const TOTAL: usize = 2000;
const CLIENTS: usize = 16;

fn random_below(n: usize) -> usize {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(std::process::id() as u64);
    (h.finish() % n as u64) as usize
}

/// Creates ConfigMap `cm-<i>`; returns its resourceVersion when the server acknowledged it.
fn create(addr: SocketAddr, i: usize) -> Option<u64> {
    let body = format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"cm-{i}"}},"data":{{"index":"{i}"}}}}"#
    );
    let (code, _, body) = try_raw_request(
        addr,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .ok()?;
    if code != 201 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&body).ok()?;
    v.pointer("/metadata/resourceVersion")?
        .as_str()?
        .parse()
        .ok()
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let mut server = ServerProcess::start(patchwarden!(), &data);
    let addr = server.addr;

    let kill_after = 200 + random_below(1400);
    let next = Arc::new(AtomicUsize::new(0));
    let acked: Arc<Mutex<Vec<(usize, u64)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (next, acked, stop) = (next.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= TOTAL {
                        break;
                    }
                    match create(addr, i) {
                        Some(rv) => acked.lock().expect("lock").push((i, rv)),
                        None => break,
                    }
                }
            })
        })
        .collect();
    while acked.lock().expect("lock").len() < kill_after {
        std::thread::sleep(Duration::from_millis(1));
    }
    // SIGKILL while the clients are still writing.
    server.process.kill();
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().expect("client thread");
    }
    let before: Vec<(usize, u64)> = acked.lock().expect("lock").clone();
    assert!(
        before.len() >= kill_after && before.len() < TOTAL,
        "killed after {} acknowledged writes",
        before.len()
    );
    let max_before = before.iter().map(|(_, rv)| *rv).max().unwrap_or(0);
    let started_at = next.load(Ordering::SeqCst).min(TOTAL);
    // Creates sent and not answered when the process died: the batches in flight.
    eprintln!(
        "killed after {} acknowledged creates with {} in flight",
        before.len(),
        started_at.saturating_sub(before.len())
    );

    // Restart on the same data and write the rest.
    let server = ServerProcess::start(patchwarden!(), &data);
    let addr = server.addr;
    let mut after = Vec::new();
    for i in 0..TOTAL {
        if before.iter().any(|(j, _)| *j == i) {
            continue;
        }
        // Writes in flight at the kill may or may not have landed; both are fine.
        if let Some(rv) = create(addr, i) {
            after.push((i, rv));
        } else {
            let (code, _, _) = raw_request(
                addr,
                "GET",
                &format!("/api/v1/namespaces/default/configmaps/cm-{i}"),
                &[],
                b"",
            );
            assert!(
                code == 200 && i < started_at + CLIENTS,
                "cm-{i} neither created nor present (in flight: {})",
                i < started_at + CLIENTS
            );
        }
    }
    assert!(
        after.iter().all(|(_, rv)| *rv > max_before),
        "revisions after the restart must exceed {max_before}"
    );
    assert!(
        after.windows(2).all(|w| w[0].1 < w[1].1),
        "revisions from one client only go up"
    );

    // Every acknowledged write is there with the acknowledged resourceVersion and data.
    let (code, _, body) = raw_request(
        addr,
        "GET",
        "/api/v1/namespaces/default/configmaps",
        &[],
        b"",
    );
    assert_eq!(code, 200);
    let list = json_body(&body);
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), TOTAL);
    let list_rv: u64 = list["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("list rv");
    for (i, rv) in before.iter().chain(after.iter()) {
        let item = items
            .iter()
            .find(|o| o["metadata"]["name"] == format!("cm-{i}"))
            .unwrap_or_else(|| panic!("acknowledged cm-{i} lost"));
        assert_eq!(
            item["metadata"]["resourceVersion"],
            rv.to_string(),
            "cm-{i}"
        );
        assert_eq!(item["data"]["index"], i.to_string());
        assert!(*rv <= list_rv);
    }
}
