//! Key material checks without a server; the Secret round trip against the embedded control
//! plane is in `asset::credentials_tests`.

#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;

use super::*;

const KEY: &[u8] = b"-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END OPENSSH PRIVATE KEY-----\n";

fn secret(type_: Option<&str>, data: &[(&str, &[u8])]) -> Secret {
    let data: BTreeMap<String, ByteString> = data
        .iter()
        .map(|(k, v)| (k.to_string(), ByteString(v.to_vec())))
        .collect();
    Secret {
        type_: type_.map(String::from),
        data: Some(data),
        ..Secret::default()
    }
}

#[test]
fn ssh_auth_and_opaque_secrets_with_both_keys_are_accepted() {
    for type_ in [Some("kubernetes.io/ssh-auth"), Some("Opaque"), None] {
        let s = secret(
            type_,
            &[(PRIVATE_KEY, KEY), (KNOWN_HOSTS, b"h ssh-ed25519 AAAA\n")],
        );
        let material = key_material("ops", "fleet-ssh", &s).unwrap();
        assert_eq!(material.private_key, KEY);
        assert_eq!(material.known_hosts, b"h ssh-ed25519 AAAA\n");
    }
}

#[test]
fn unusable_secrets_are_refused_naming_secret_and_key_never_content() {
    let cases = [
        (
            secret(Some("kubernetes.io/tls"), &[(PRIVATE_KEY, KEY)]),
            "Secret ops/fleet-ssh has type `kubernetes.io/tls`",
        ),
        (
            secret(None, &[(KNOWN_HOSTS, b"h ssh-ed25519 AAAA\n")]),
            "Secret ops/fleet-ssh has no key `ssh-privatekey`",
        ),
        (
            secret(None, &[(PRIVATE_KEY, KEY)]),
            "Secret ops/fleet-ssh has no key `known_hosts`",
        ),
        (
            secret(None, &[(PRIVATE_KEY, KEY), (KNOWN_HOSTS, b" \n")]),
            "Secret ops/fleet-ssh has an empty key `known_hosts`",
        ),
    ];
    for (s, expected) in cases {
        let err = match key_material("ops", "fleet-ssh", &s) {
            Err(err) => err,
            Ok(_) => panic!("accepted: {expected}"),
        };
        let text = err.to_string();
        assert!(text.contains(expected), "{text}");
        assert!(!text.contains("c2VjcmV0"), "{text}");
        let reconcile = ReconcileError::from(err);
        let ReconcileError::Terminal(terminal) = &reconcile else {
            panic!("not terminal: {reconcile}");
        };
        assert_eq!(terminal.retry_after, Some(CREDENTIALS_RETRY));
        assert!(!format!("{reconcile} {reconcile:?}").contains("c2VjcmV0"));
    }
}

#[test]
fn a_missing_reference_or_secret_stalls_and_is_retried() {
    let missing = CredentialsError::NotFound {
        namespace: "ops".into(),
        name: "fleet-ssh".into(),
    };
    let ReconcileError::Terminal(terminal) = ReconcileError::from(missing) else {
        panic!("not terminal");
    };
    assert_eq!(terminal.reason, reason::REFERENCE_NOT_FOUND);
    assert_eq!(
        terminal.message,
        "spec.credentialsRef: Secret ops/fleet-ssh does not exist"
    );
    assert_eq!(
        terminal.action(),
        kube::runtime::controller::Action::requeue(CREDENTIALS_RETRY)
    );
    let ReconcileError::Terminal(none) = ReconcileError::from(CredentialsError::NoReference) else {
        panic!("not terminal");
    };
    assert_eq!(none.reason, reason::INVALID_SPEC);
}
