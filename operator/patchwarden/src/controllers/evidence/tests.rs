//! The stored chain's layout and the key file.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use ed25519_dalek::SigningKey;
use patchwarden_api::evidence::{ChainEntry, append, key_id, verify_chain};
use serde_json::json;

use super::key::{KeyError, from_file};
use super::store::{self, StoreError};

fn chain(length: usize) -> (Vec<ChainEntry>, SigningKey) {
    let key = SigningKey::from_bytes(&[3; 32]);
    let mut entries = Vec::new();
    for i in 0..length {
        let run = format!("r{i}");
        let record = json!({"run": {"name": run}});
        let entry = append(&entries, &run, record, &key).expect("object");
        entries.push(entry);
    }
    (entries, key)
}

fn public(key: &SigningKey) -> (String, String) {
    let public = key.verifying_key();
    (key_id(&public), hex::encode(public.as_bytes()))
}

#[test]
fn links_are_stored_one_per_key_and_read_back_in_sequence_order() {
    let (entries, key) = chain(12);
    let mut data = BTreeMap::from([("note".to_string(), "not a link".to_string())]);
    for (i, entry) in entries.iter().enumerate() {
        data = store::with_entry("cm", data, BTreeMap::new(), i + 1, entry, public(&key))
            .expect("fits");
    }
    assert!(data.contains_key("entry-000012"));
    let (read, keys) = store::read_chain("cm", &data).expect("readable");
    assert_eq!(read, entries);
    assert_eq!(keys.len(), 1);
    assert_eq!(verify_chain(&read, &keys).expect("verifies").length, 12);
}

#[test]
fn an_unreadable_link_names_the_config_map_and_key() {
    let data = BTreeMap::from([("entry-000001".to_string(), "{".to_string())]);
    let error = store::read_chain("default/patchwarden-evidence-p", &data).expect_err("bad");
    assert!(matches!(&error, StoreError::Unreadable { key, .. } if key == "entry-000001"));
    assert!(
        error
            .to_string()
            .starts_with("ConfigMap default/patchwarden-evidence-p data key entry-000001: ")
    );
}

#[test]
fn a_full_chain_refuses_the_next_link_instead_of_dropping_one() {
    let (entries, key) = chain(1);
    let big = BTreeMap::from([(
        "entry-000001".to_string(),
        "x".repeat(store::MAX_CHAIN_BYTES),
    )]);
    let error = store::with_entry("cm", big, BTreeMap::new(), 2, &entries[0], public(&key))
        .expect_err("full");
    assert!(matches!(error, StoreError::Full { .. }));
    assert!(error.to_string().contains("nothing was dropped"));
}

#[test]
fn the_key_file_is_created_owner_only_and_read_back_the_same() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("evidence-key");
    let created = from_file(&path).expect("created");
    let mode = std::fs::metadata(&path).expect("file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let read = from_file(&path).expect("read");
    assert_eq!(read.to_bytes(), created.to_bytes());
    std::fs::write(&path, "not hex").expect("write");
    let error = from_file(&path).expect_err("invalid");
    assert!(matches!(error, KeyError::Invalid { .. }));
    assert!(!error.to_string().contains("not hex"), "{error}");
}

#[tokio::test]
async fn in_a_cluster_the_key_secret_is_created_once_and_read_back_by_another_operator() {
    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::Secret;
    use kube::api::PostParams;

    use super::key::{EvidenceKeys, KEY_SECRET, KEY_SECRET_DATA, KeySource};

    let dir = tempfile::tempdir().expect("temporary directory");
    let (_server, client) =
        crate::controllers::test_control_plane::control_plane(dir.path(), &[]).await;
    let source = KeySource::Secret {
        namespace: "default".into(),
    };
    let first = EvidenceKeys::new(source.clone())
        .signing_key(&client)
        .await
        .expect("created");
    let secrets: kube::Api<Secret> = kube::Api::namespaced(client.clone(), "default");
    let secret = secrets
        .get(KEY_SECRET)
        .await
        .expect("the key Secret exists");
    let seed = &secret.data.expect("data")[KEY_SECRET_DATA];
    assert_eq!(seed.0, first.to_bytes().to_vec());
    let second = EvidenceKeys::new(source)
        .signing_key(&client)
        .await
        .expect("read");
    assert_eq!(second.to_bytes(), first.to_bytes());

    // A Secret that holds no seed is refused, naming it and never its content.
    let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> =
        kube::Api::all(client.clone());
    let mut namespace = k8s_openapi::api::core::v1::Namespace::default();
    namespace.metadata.name = Some("other".into());
    namespaces
        .create(&PostParams::default(), &namespace)
        .await
        .expect("namespace created");
    let other: kube::Api<Secret> = kube::Api::namespaced(client.clone(), "other");
    let mut bad = Secret::default();
    bad.metadata.name = Some(KEY_SECRET.into());
    bad.data = Some([(KEY_SECRET_DATA.to_string(), ByteString(b"short".to_vec()))].into());
    other
        .create(&PostParams::default(), &bad)
        .await
        .expect("created");
    let error = EvidenceKeys::new(KeySource::Secret {
        namespace: "other".into(),
    })
    .signing_key(&client)
    .await
    .expect_err("not a seed");
    assert_eq!(
        error.to_string(),
        "the evidence key in Secret other/patchwarden-evidence-key key ed25519-seed is not a 32-byte ed25519 seed"
    );
}
