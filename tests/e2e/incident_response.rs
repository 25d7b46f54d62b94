//! End to end, incident response: two Internet-exposed lab hosts carry a KEV-listed openssl
//! finding past its CISA due date while their window is closed. The policy's
//! `incidentResponse` labels each Asset, applies its containment template (a NetworkPolicy
//! rendered with the asset's name and the overdue finding) and calls a webhook on loopback
//! with a body signed by the key in a Secret. When the window opens the hosts are patched, the
//! finding closes, and everything is reversed: the NetworkPolicies are deleted, the labels
//! removed, the webhook told, and `status.incidents` is empty. While the window is closed the
//! policy also forecasts the load of its next opening.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use support::cluster::Cluster;
use support::lab::{apply_feeds_with_openssl_in_kev, osv_feed};
use support::operator::Operator;
use support::patchwarden;
use support::resources::{window_closed_now, window_open_now};

const KEY: &str = "soc-signing-key-5f0e2a";

fn resources(hook: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: Secret
metadata:
  name: soc
  namespace: default
stringData:
  key: {KEY}
---
apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: edge
  namespace: default
spec:
  exposure: Internet
  lab:
    hosts: 2
---
apiVersion: patchwarden.io/v1alpha1
kind: PatchPolicy
metadata:
  name: ir
  namespace: default
spec:
  assetGroups: [edge]
  maintenanceWindows: [weekend]
  approval:
    minSeverity: Unknown
  rollout:
    canary: 0
    maxUnavailable: 2
  incidentResponse:
    labels:
      patchwarden.io/incident: "true"
    containment: |
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: isolate-{{{{ asset.name }}}}
        annotations:
          patchwarden.io/finding: {{{{ incident.finding }}}}
      spec:
        podSelector:
          matchLabels:
            host: {{{{ asset.name }}}}
        policyTypes: [Ingress, Egress]
    webhook:
      url: {hook}
      secretRef:
        name: soc
        key: key
"#
    )
}

/// A webhook receiver on a loopback port the system picks: it answers 200 to every POST and
/// keeps the `X-Patchwarden-Signature` header and the body of each.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Delivery>>>,
}

/// A received notice: its signature header and its body.
type Delivery = (String, Vec<u8>);

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/incidents", listener.local_addr().expect("addr"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let mut reader = BufReader::new(stream);
                let mut headers: BTreeMap<String, String> = BTreeMap::new();
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    if let Some((name, value)) = line.split_once(':') {
                        headers.insert(name.trim().to_ascii_lowercase(), value.trim().into());
                    }
                    line.clear();
                }
                let length = headers
                    .get("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                let signature = headers
                    .get("x-patchwarden-signature")
                    .cloned()
                    .unwrap_or_default();
                store.lock().expect("store").push((signature, body));
                let mut stream = reader.into_inner();
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        Receiver { url, received }
    }

    /// The notices received so far whose signature is right, as JSON; panics on a bad one.
    fn notices(&self) -> Vec<Value> {
        let received = self.received.lock().expect("received").clone();
        received
            .iter()
            .map(|(signature, body)| {
                let expected =
                    patchwarden_gitops::trigger::webhook::signature(KEY.as_bytes(), body);
                assert_eq!(signature, &expected, "a notice with a wrong signature");
                serde_json::from_slice(body).expect("a JSON notice")
            })
            .collect()
    }

    fn events(&self, event: &str) -> Vec<Value> {
        self.notices()
            .into_iter()
            .filter(|n| n["event"] == event)
            .collect()
    }
}

fn network_policies(cluster: &Cluster) -> Vec<Value> {
    cluster
        .get_json(&["networkpolicies"])
        .and_then(|list| list["items"].as_array().cloned())
        .unwrap_or_default()
}

#[test]
fn an_exposed_host_with_an_overdue_kev_finding_is_contained_until_it_is_patched() {
    let cluster = Cluster::start();
    let _operator = Operator::start(&cluster, patchwarden!(), "incident", &[]);
    let receiver = Receiver::start();
    cluster.apply(&window_closed_now("weekend"));
    cluster.apply(&resources(&receiver.url));
    cluster.wait_for("the lab's feed", Duration::from_secs(120), || {
        osv_feed(&cluster, "edge").exists().then_some(())
    });
    let cve = apply_feeds_with_openssl_in_kev(&cluster, "edge");

    // Both hosts are in incident: recorded, labelled, contained and reported.
    let policy = cluster.wait_for("two incidents", Duration::from_secs(300), || {
        let policy = cluster.get_json(&["patchpolicy", "ir"])?;
        let incidents = policy["status"]["incidents"].as_array()?;
        (incidents.len() == 2
            && incidents.iter().all(|i| i["notified"] == true)
            && network_policies(&cluster).len() == 2)
            .then_some(policy)
    });
    let incidents = policy["status"]["incidents"].as_array().expect("incidents");
    for incident in incidents {
        let asset = incident["asset"].as_str().expect("asset");
        let cause = incident["cause"].as_str().expect("cause");
        assert_eq!(
            cause,
            format!(
                "exposed to the Internet with KEV-listed {cve} unpatched past its due date 2026-11-22"
            ),
            "{incident}"
        );
        let object = format!("networking.k8s.io/v1/NetworkPolicy/default/isolate-{asset}");
        assert_eq!(
            incident["applied"],
            serde_json::json!([object]),
            "{incident}"
        );
        let labelled = cluster.get_json(&["asset", asset]).expect("asset");
        assert_eq!(
            labelled["metadata"]["labels"]["patchwarden.io/incident"], "true",
            "{labelled}"
        );
    }
    for isolation in network_policies(&cluster) {
        let name = isolation["metadata"]["name"].as_str().expect("name");
        let host = &isolation["spec"]["podSelector"]["matchLabels"]["host"];
        assert_eq!(
            Some(name),
            host.as_str().map(|h| format!("isolate-{h}")).as_deref()
        );
        assert_eq!(
            isolation["metadata"]["annotations"]["patchwarden.io/finding"],
            cve.as_str()
        );
        assert_eq!(
            isolation["metadata"]["labels"]["patchwarden.io/incident-policy"],
            "ir"
        );
    }
    // While the window is closed the policy forecasts its next opening: both hosts have
    // approved patches, so both are expected to need patching there.
    let load = &policy["status"]["predictedLoad"];
    assert_eq!(load["expectedAssets"], 2.0, "{policy}");
    assert_eq!(
        load["expectedWork"], "20m",
        "two hosts at the 10-minute default: {policy}"
    );
    assert!(
        load["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("next window ")),
        "{policy}"
    );
    let started = receiver.events("IncidentStarted");
    assert_eq!(started.len(), 2, "{started:?}");
    assert!(started.iter().all(|n| n["policy"] == "default/ir"));
    let events = cluster.kubectl(&["get", "events", "-o", "json"]);
    assert!(events.contains("IncidentStarted"), "{events}");

    // The window opens, the hosts are patched, and the response is reversed.
    cluster.apply(&window_open_now("weekend"));
    cluster.wait_for(
        "the incidents to end after the patch",
        Duration::from_secs(300),
        || {
            let policy = cluster.get_json(&["patchpolicy", "ir"])?;
            (policy["status"]["incidents"]
                .as_array()
                .is_none_or(Vec::is_empty)
                && network_policies(&cluster).is_empty())
            .then_some(())
        },
    );
    let runs = cluster
        .get_json(&["patchruns", "-l", "patchwarden.io/policy=ir"])
        .expect("runs");
    assert_eq!(runs["items"][0]["status"]["phase"], "Succeeded", "{runs}");
    let assets = cluster.get_json(&["assets"]).expect("assets");
    for asset in assets["items"].as_array().expect("items") {
        assert!(
            asset["metadata"]["labels"]["patchwarden.io/incident"].is_null(),
            "{asset}"
        );
    }
    let resolved = cluster.wait_for("two resolved notices", Duration::from_secs(30), || {
        let resolved = receiver.events("IncidentResolved");
        (resolved.len() == 2).then_some(resolved)
    });
    assert!(
        resolved.iter().all(|n| n["actions"]
            .to_string()
            .contains("deleted networking.k8s.io/v1/NetworkPolicy")),
        "{resolved:?}"
    );
}
