//! The chain's properties: canonical text, appending, and that tampering with any part of
//! any link is found and named.

use std::collections::BTreeMap;

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

use super::*;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn keys(key: &SigningKey) -> BTreeMap<String, String> {
    let public = key.verifying_key();
    BTreeMap::from([(key_id(&public), hex::encode(public.as_bytes()))])
}

fn record(run: &str) -> Value {
    json!({
        "kind": "PatchRunEvidence",
        "run": {"name": run, "namespace": "default"},
        "policy": {"revision": "main@sha1:abc", "commit": "abc"},
        "assets": [{"name": "lab-01", "packages": [{"name": "openssl", "before": "3.0.1", "after": "3.0.2"}]}],
        "verification": [{"asset": "lab-01", "cvesClosed": ["CVE-2026-1"]}],
    })
}

fn chain(key: &SigningKey, runs: &[&str]) -> Vec<ChainEntry> {
    let mut entries = Vec::new();
    for run in runs {
        let entry = append(&entries, run, record(run), key).expect("record is an object");
        entries.push(entry);
    }
    entries
}

fn broken(entries: &[ChainEntry], keys: &BTreeMap<String, String>) -> ChainBreak {
    verify_chain(entries, keys).expect_err("the chain must not verify")
}

#[test]
fn canonical_json_sorts_keys_at_every_depth_and_has_no_whitespace() {
    let a: Value =
        serde_json::from_str(r#"{"b": [ {"y":1, "x":"é\n"} ], "a": null}"#).expect("json");
    assert_eq!(canonical_json(&a), r#"{"a":null,"b":[{"x":"é\n","y":1}]}"#);
    let b = json!({"a": null, "b": [{"x": "é\n", "y": 1}]});
    assert_eq!(digest(&a), digest(&b));
    assert_ne!(
        digest(&a),
        digest(&json!({"a": null, "b": [{"x": "é\n", "y": 2}]}))
    );
    assert!(digest(&a).starts_with("sha256:") && digest(&a).len() == 7 + 64);
}

#[test]
fn an_untouched_chain_verifies_with_its_length_and_head() {
    let key = key(7);
    let entries = chain(&key, &["r1", "r2", "r3"]);
    let summary = verify_chain(&entries, &keys(&key)).expect("verifies");
    assert_eq!(summary.length, 3);
    assert_eq!(summary.head.as_deref(), Some(entries[2].hash.as_str()));
    assert_eq!(entries[0].record["previous"], Value::Null);
    assert_eq!(entries[1].record["previous"], json!(entries[0].hash));
    assert_eq!(entries[2].record["sequence"], json!(3));
    assert_eq!(verify_chain(&[], &keys(&key)).expect("empty").head, None);
}

#[test]
fn a_chain_survives_serialisation_with_keys_in_another_order() {
    let key = key(7);
    let entries = chain(&key, &["r1", "r2"]);
    let text = serde_json::to_string_pretty(&entries).expect("serialises");
    let read: Vec<ChainEntry> = serde_json::from_str(&text).expect("reads back");
    assert!(verify_chain(&read, &keys(&key)).is_ok());
}

#[test]
fn a_changed_value_anywhere_in_any_record_names_the_run_and_the_field() {
    let key = key(7);
    let entries = chain(&key, &["r1", "r2", "r3"]);
    for (index, entry) in entries.iter().enumerate() {
        let fields: Vec<String> = entry.fields.keys().cloned().collect();
        for field in fields {
            let mut tampered = entries.clone();
            let value = &mut tampered[index].record[&field];
            *value = json!({"tampered": value.clone()});
            let error = broken(&tampered, &keys(&key));
            assert_eq!(error.link, index + 1);
            assert_eq!(error.run, entry.run);
            assert_eq!(
                error.kind,
                BreakKind::FieldChanged {
                    field: field.clone()
                }
            );
            let text = error.to_string();
            assert!(text.contains(&format!("run {}", entry.run)), "{text}");
            assert!(text.contains("hash mismatch"), "{text}");
            assert!(text.contains(&format!("{field:?}")), "{text}");
        }
    }
}

#[test]
fn a_deep_change_names_its_top_level_field() {
    let key = key(7);
    let mut entries = chain(&key, &["r1", "r2"]);
    entries[1].record["assets"][0]["packages"][0]["after"] = json!("3.0.1");
    let error = broken(&entries, &keys(&key));
    assert_eq!(
        error.to_string(),
        "link 2 (run r2): hash mismatch: record field \"assets\" was changed after it was signed"
    );
}

#[test]
fn added_and_removed_fields_are_named() {
    let key = key(7);
    let mut added = chain(&key, &["r1"]);
    added[0].record["extra"] = json!(1);
    assert_eq!(
        broken(&added, &keys(&key)).kind,
        BreakKind::FieldAdded {
            field: "extra".into()
        }
    );
    let mut removed = chain(&key, &["r1"]);
    if let Value::Object(map) = &mut removed[0].record {
        map.remove("verification");
    }
    assert_eq!(
        broken(&removed, &keys(&key)).kind,
        BreakKind::FieldRemoved {
            field: "verification".into()
        }
    );
}

#[test]
fn a_record_rehashed_to_match_is_a_hash_or_signature_mismatch() {
    let key = key(7);
    // The field digest updated too: the link hash no longer matches.
    let mut entries = chain(&key, &["r1", "r2"]);
    entries[0].record["policy"]["commit"] = json!("def");
    let new_digest = digest(&entries[0].record["policy"]);
    entries[0].fields.insert("policy".into(), new_digest);
    assert!(matches!(
        broken(&entries, &keys(&key)).kind,
        BreakKind::HashMismatch { .. }
    ));
    // The hash recomputed as well: the signature no longer verifies.
    let fields = entries[0].fields.clone();
    entries[0].hash = super::chain::link_hash(&fields);
    let error = broken(&entries, &keys(&key));
    assert_eq!(error.link, 1);
    assert!(matches!(error.kind, BreakKind::SignatureMismatch { .. }));
    assert!(error.to_string().contains("signature mismatch"));
}

#[test]
fn a_link_re_signed_with_another_key_is_refused_and_so_is_a_swapped_public_key() {
    let key = key(7);
    let other = self::key(8);
    let mut entries = chain(&key, &["r1", "r2"]);
    let resigned = append(&entries[..1], "r2", record("r2"), &other).expect("append");
    entries[1] = resigned.clone();
    assert!(matches!(
        broken(&entries, &keys(&key)).kind,
        BreakKind::UnknownKey { .. }
    ));
    // The attacker's public key filed under the operator's key id.
    let mut swapped = keys(&key);
    let id = key_id(&key.verifying_key());
    swapped.insert(id.clone(), hex::encode(other.verifying_key().as_bytes()));
    let mut signed_as_operator = resigned;
    signed_as_operator.key_id = id;
    entries[1] = signed_as_operator;
    assert!(matches!(
        broken(&entries, &swapped).kind,
        BreakKind::Malformed { .. }
    ));
}

#[test]
fn a_removed_reordered_or_relinked_entry_breaks_the_link_to_previous() {
    let key = key(7);
    let entries = chain(&key, &["r1", "r2", "r3"]);
    let mut removed = entries.clone();
    removed.remove(1);
    let error = broken(&removed, &keys(&key));
    assert_eq!((error.link, error.run.as_str()), (2, "r3"));
    assert!(matches!(error.kind, BreakKind::BrokenLink { .. }));
    assert!(error.to_string().contains("broken link to previous"));
    let mut first_removed = entries.clone();
    first_removed.remove(0);
    assert!(matches!(
        broken(&first_removed, &keys(&key)).kind,
        BreakKind::BrokenLink { expected: None, .. }
    ));
    let mut swapped = entries;
    swapped.swap(1, 2);
    assert_eq!(broken(&swapped, &keys(&key)).run, "r3");
}

#[test]
fn a_tampered_hash_signature_or_run_label_is_named() {
    let key = key(7);
    let entries = chain(&key, &["r1", "r2"]);
    let mut hash = entries.clone();
    hash[1].hash = hash[0].hash.clone();
    assert!(matches!(
        broken(&hash, &keys(&key)).kind,
        BreakKind::HashMismatch { .. }
    ));
    let mut signature = entries.clone();
    signature[0].signature = signature[1].signature.clone();
    assert!(matches!(
        broken(&signature, &keys(&key)).kind,
        BreakKind::SignatureMismatch { .. }
    ));
    let mut garbage = entries.clone();
    garbage[0].signature = "zz".into();
    assert!(matches!(
        broken(&garbage, &keys(&key)).kind,
        BreakKind::Malformed { .. }
    ));
    let mut label = entries;
    label[1].run = "r9".into();
    let error = broken(&label, &keys(&key));
    assert_eq!(error.run, "r9");
    assert_eq!(
        error.kind,
        BreakKind::RunMismatch {
            record_run: Some("r2".into())
        }
    );
}

#[test]
fn a_record_that_is_not_an_object_is_refused() {
    let key = key(7);
    assert_eq!(
        append(&[], "r1", json!([1]), &key),
        Err(EvidenceError::NotAnObject { run: "r1".into() })
    );
}

#[test]
fn a_run_record_names_the_commit_the_rules_and_findings_of_each_package_and_the_outcome() {
    use crate::asset::FixedFinding;
    use crate::patch_run::{
        AssetResult, PackageResult, PatchRun, PatchRunSpec, PatchRunStatus, PlannedAsset,
        PlannedPackage,
    };
    let mut run = PatchRun::new(
        "std-1",
        PatchRunSpec {
            policy: Some("std".into()),
            window: Some("always".into()),
            assets: vec![PlannedAsset {
                name: "lab-01".into(),
                group: None,
                packages: vec![PlannedPackage {
                    name: "libssl3".into(),
                    from: "3.0.1".into(),
                    to: "3.0.2".into(),
                    fixes: vec!["CVE-2026-1".into()],
                    findings: vec![FixedFinding {
                        id: "CVE-2026-1".into(),
                        severity: patchwarden_core::Severity::Critical,
                        published: None,
                        kev_due_date: Some("2026-12-01".into()),
                    }],
                }],
                reboot_expected: false,
            }],
            ..PatchRunSpec::default()
        },
    );
    run.metadata.namespace = Some("default".into());
    run.metadata.annotations = Some(
        [
            (
                crate::labels::SOURCE_REVISION.to_string(),
                "main@sha1:0123abc".to_string(),
            ),
            (
                APPROVAL_REASONS_ANNOTATION.to_string(),
                json!({reason_key("libssl3", "3.0.2"): "security update, severity Critical"})
                    .to_string(),
            ),
        ]
        .into(),
    );
    run.status = Some(PatchRunStatus {
        assets: vec![AssetResult {
            name: "lab-01".into(),
            packages: vec![PackageResult {
                name: "libssl3".into(),
                before: Some("3.0.1".into()),
                after: Some("3.0.2".into()),
            }],
            cves_closed: vec!["CVE-2026-1".into()],
            ..AssetResult::default()
        }],
        ..PatchRunStatus::default()
    });
    let facts = RecordFacts {
        feeds: vec![FeedDigest {
            name: "osv".into(),
            format: "Osv".into(),
            digest: Some("sha256:00".into()),
            content_version: None,
            last_sync_time: None,
        }],
        recorded_at: chrono::DateTime::UNIX_EPOCH,
    };
    let record = run_record(&run, &facts);
    assert_eq!(record["run"]["name"], "std-1");
    assert_eq!(record["policy"]["revision"], "main@sha1:0123abc");
    assert_eq!(record["policy"]["commit"], "0123abc");
    assert_eq!(record["window"]["name"], "always");
    let approval = &record["approvals"][0];
    assert_eq!(
        approval["reason"],
        "Scheduled run: fixes CVE-2026-1 (Critical, KEV due 2026-12-01)"
    );
    assert_eq!(approval["rules"], "security update, severity Critical");
    assert_eq!(record["assets"][0]["packages"][0]["after"], "3.0.2");
    assert_eq!(
        record["verification"][0]["cvesClosed"],
        json!(["CVE-2026-1"])
    );
    assert_eq!(record["feeds"][0]["digest"], "sha256:00");
    // The record chains like any other.
    let key = key(1);
    let entry = append(&[], "std-1", record, &key).expect("object");
    assert!(verify_chain(&[entry], &keys(&key)).is_ok());
}
