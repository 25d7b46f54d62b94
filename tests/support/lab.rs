//! Lab hosts (directories with their own dpkg database) that the operator creates for an
//! AssetGroup with `spec.lab`, under a cluster's `labs/<namespace>/<group>/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::cluster::Cluster;
use crate::resources::{feed, window_open_now};

/// The root of lab host `host` of AssetGroup `group` in namespace `default`.
pub fn host_root(cluster: &Cluster, group: &str, host: &str) -> PathBuf {
    cluster.path(&format!("labs/default/{group}/hosts/{host}"))
}

/// The OSV feed the lab wrote for AssetGroup `group` (the real CVEs of its pending fixes).
pub fn osv_feed(cluster: &Cluster, group: &str) -> PathBuf {
    cluster.path(&format!("labs/default/{group}/feeds/osv-debian12.jsonl"))
}

/// Applies `resources` (with AssetGroup `group` and its `spec.lab`), a MaintenanceWindow
/// `always` that is open now, and the VulnerabilityFeed `lab-osv` of the lab's OSV feed.
pub fn apply_with_open_window(cluster: &Cluster, resources: &str, group: &str) {
    cluster.apply(resources);
    cluster.apply(&window_open_now("always"));
    cluster.apply(&feed("lab-osv", "Osv", &osv_feed(cluster, group)));
}

/// One planned asset of a PatchRun and the lab host it is.
pub struct PlannedHost {
    /// The Asset's name.
    pub name: String,
    /// The host's root directory.
    pub root: PathBuf,
    /// The planned packages (`name`, `from`, `to`, `fixes`).
    pub packages: Vec<Value>,
}

/// The planned assets of `run` (a PatchRun as JSON) with their lab hosts in `group`.
pub fn planned_hosts(cluster: &Cluster, run: &Value, group: &str) -> Vec<PlannedHost> {
    run["spec"]["assets"]
        .as_array()
        .expect("planned assets")
        .iter()
        .map(|planned| {
            let name = planned["name"].as_str().expect("name").to_string();
            let asset = cluster.get_json(&["asset", &name]).expect("asset");
            let host = asset["spec"]["address"].as_str().expect("address");
            PlannedHost {
                root: host_root(cluster, group, host),
                packages: planned["packages"].as_array().expect("packages").clone(),
                name,
            }
        })
        .collect()
}

/// The `dpkg-query` view of a lab host: package → (version, status abbreviation).
pub fn dpkg_versions(host_root: &Path) -> BTreeMap<String, (String, String)> {
    let output = Command::new("dpkg-query")
        .arg(format!(
            "--admindir={}",
            host_root.join("var/lib/dpkg").display()
        ))
        .args(["-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n"])
        .output()
        .expect("dpkg-query");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut parts = line.split('\t');
            Some((
                parts.next()?.to_string(),
                (parts.next()?.to_string(), parts.next()?.trim().to_string()),
            ))
        })
        .collect()
}

/// The first CVE of the advisory for source package `source` in the OSV feed the lab wrote
/// for AssetGroup `group`.
pub fn lab_cve(cluster: &Cluster, group: &str, source: &str) -> String {
    std::fs::read_to_string(osv_feed(cluster, group))
        .expect("lab OSV feed")
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|record| record["affected"][0]["package"]["name"] == source)
        .and_then(|record| record["aliases"][0].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no advisory for {source} in the lab's feed"))
}

/// Applies the VulnerabilityFeeds `osv` (the lab's OSV feed of AssetGroup `group`) and `kev`:
/// a CISA KEV catalog listing the first CVE of the lab's openssl advisory, added on
/// 2026-11-01 and due on 2026-11-22. Returns that CVE.
pub fn apply_feeds_with_openssl_in_kev(cluster: &Cluster, group: &str) -> String {
    let osv = osv_feed(cluster, group);
    let cve = lab_cve(cluster, group, "openssl");
    let kev = serde_json::json!({
        "catalogVersion": "2026.11.28",
        "dateReleased": "2026-11-28T00:00:00.000Z",
        "count": 1,
        "vulnerabilities": [{
            "cveID": cve, "vendorProject": "OpenSSL", "product": "OpenSSL",
            "vulnerabilityName": "OpenSSL flaw used in the wild", "dateAdded": "2026-11-01",
            "shortDescription": "test entry", "requiredAction": "Apply updates",
            "dueDate": "2026-11-22", "knownRansomwareCampaignUse": "Unknown", "notes": ""
        }]
    });
    let kev_path = cluster.path("kev.json");
    std::fs::write(&kev_path, kev.to_string()).expect("write KEV");
    cluster.apply(&feed("osv", "Osv", &osv));
    cluster.apply(&feed("kev", "Kev", &kev_path));
    cve
}
