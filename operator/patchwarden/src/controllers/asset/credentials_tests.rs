//! An SSH asset against the embedded control plane: stalled naming the Secret while its
//! credentials Secret is missing, recovered by the slow retry once the Secret exists, with key
//! files owner-only and removed with the Secret, and the key never in status or errors.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on unexpected errors

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::runtime::controller::Action;
use patchwarden_api::asset::{Asset, AssetSpec, PatchState};
use patchwarden_api::common::{ConnectionKind, SecretReference};
use patchwarden_api::conditions::{self as c, reason};

use super::stored_upgrades::StoredUpgrades;
use crate::controllers::Context;
use crate::controllers::driver::reconcile_once;
use crate::controllers::error::ReconcileError;
use crate::controllers::ssh_credentials::{CREDENTIALS_RETRY, SshCredentials};
use crate::controllers::test_control_plane;

/// Private key text that must never leave the key file.
const KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nbm90LWEtcmVhbC1rZXktYnV0LXNlY3JldA==\n-----END OPENSSH PRIVATE KEY-----\n";
const KEY_BODY: &str = "bm90LWEtcmVhbC1rZXktYnV0LXNlY3JldA";

fn context(client: kube::Client) -> Arc<Context> {
    Arc::new(Context {
        ssh: SshCredentials::new(4),
        ..test_control_plane::context(client)
    })
}

/// An SSH asset on a loopback port nothing listens on.
fn ssh_asset() -> Asset {
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut asset = Asset::new(
        "web-1",
        AssetSpec {
            connection: ConnectionKind::Ssh,
            address: Some(String::from("127.0.0.1")),
            port: Some(port),
            user: Some(String::from("root")),
            credentials_ref: Some(SecretReference {
                name: String::from("fleet-ssh"),
            }),
            ..AssetSpec::default()
        },
    );
    asset.metadata.namespace = Some(String::from("default"));
    asset
}

fn ssh_secret(known_hosts: &str) -> Secret {
    let mut secret = Secret {
        type_: Some(String::from("kubernetes.io/ssh-auth")),
        data: Some(BTreeMap::from([
            (
                String::from("ssh-privatekey"),
                ByteString(KEY.as_bytes().to_vec()),
            ),
            (
                String::from("known_hosts"),
                ByteString(known_hosts.as_bytes().to_vec()),
            ),
        ])),
        ..Secret::default()
    };
    secret.metadata.name = Some(String::from("fleet-ssh"));
    secret
}

/// One reconcile of the stored asset through the driver, as the controller runs it.
async fn reconcile(context: &Arc<Context>, assets: &kube::Api<Asset>) -> (Action, Asset) {
    let stored = assets.get("web-1").await.unwrap();
    let reconcile =
        |object, context| super::reconcile(object, context, Arc::new(StoredUpgrades::default()));
    let action = reconcile_once("Asset", &reconcile, Arc::new(stored), context.clone())
        .await
        .expect("reconciled");
    (action, assets.get("web-1").await.unwrap())
}

fn condition<'a>(
    asset: &'a Asset,
    type_: &str,
) -> Option<&'a k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    let status = asset.status.as_ref()?;
    status.conditions.iter().find(|c| c.type_ == type_)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_secret_stalls_the_asset_until_it_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = test_control_plane::control_plane(dir.path(), &["Asset"]).await;
    let assets: kube::Api<Asset> = kube::Api::namespaced(client.clone(), "default");
    let secrets: kube::Api<Secret> = kube::Api::namespaced(client.clone(), "default");
    assets
        .create(&PostParams::default(), &ssh_asset())
        .await
        .unwrap();
    let context = context(client);

    // No Secret: Stalled naming it, looked at again on the slow retry.
    let (action, stored) = reconcile(&context, &assets).await;
    assert_eq!(action, Action::requeue(CREDENTIALS_RETRY));
    let stalled = condition(&stored, c::STALLED).expect("Stalled");
    assert_eq!(stalled.reason, reason::REFERENCE_NOT_FOUND);
    assert_eq!(
        stalled.message,
        "spec.credentialsRef: Secret default/fleet-ssh does not exist"
    );

    // A Secret without known_hosts: still stalled, naming the key.
    let mut no_hosts = ssh_secret("");
    no_hosts.data.as_mut().unwrap().remove("known_hosts");
    secrets
        .create(&PostParams::default(), &no_hosts)
        .await
        .unwrap();
    let (_, stored) = reconcile(&context, &assets).await;
    let stalled = condition(&stored, c::STALLED).expect("Stalled");
    assert!(
        stalled
            .message
            .contains("fleet-ssh has no key `known_hosts`"),
        "{}",
        stalled.message
    );
    assert_eq!(context.ssh.cached(), 0);

    // The complete Secret: the next (retried) reconcile gets past the credentials; ssh finds
    // nothing listening, so the asset is Unreachable, no longer Stalled.
    secrets
        .delete("fleet-ssh", &DeleteParams::default())
        .await
        .unwrap();
    secrets
        .create(
            &PostParams::default(),
            &ssh_secret("[127.0.0.1]:22 ssh-ed25519 AAAA\n"),
        )
        .await
        .unwrap();
    let (action, stored) = reconcile(&context, &assets).await;
    assert!(condition(&stored, c::STALLED).is_none(), "{stored:?}");
    let ready = condition(&stored, c::READY).expect("Ready");
    assert_eq!(ready.reason, reason::UNREACHABLE, "{}", ready.message);
    assert_eq!(
        stored.status.as_ref().unwrap().patch_state,
        Some(PatchState::Unreachable)
    );
    assert_ne!(action, Action::await_change());
    assert_eq!(context.ssh.cached(), 1);

    // Neither the status nor the Events carry the key.
    let written = serde_json::to_string(&stored).unwrap();
    assert!(!written.contains(KEY_BODY));
    let events: kube::Api<k8s_openapi::api::core::v1::Event> =
        kube::Api::namespaced(context.client.clone(), "default");
    let events =
        serde_json::to_string(&events.list(&ListParams::default()).await.unwrap().items).unwrap();
    assert!(!events.contains(KEY_BODY));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_files_are_owner_only_and_go_with_their_secret_version() {
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = test_control_plane::control_plane(dir.path(), &["Asset"]).await;
    let secrets: kube::Api<Secret> = kube::Api::namespaced(client.clone(), "default");
    let context = context(client);
    let reference = SecretReference {
        name: String::from("fleet-ssh"),
    };
    let executor = || {
        context
            .ssh
            .executor(&context.client, "default", Some(&reference))
    };
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

    secrets
        .create(&PostParams::default(), &ssh_secret("h1 ssh-ed25519 AAAA\n"))
        .await
        .unwrap();
    let first = executor().await.unwrap();
    let again = executor().await.unwrap();
    assert!(
        Arc::ptr_eq(&first, &again),
        "one executor per Secret version"
    );
    let key = context.ssh.identity_file("default", "fleet-ssh").unwrap();
    assert_eq!(std::fs::read_to_string(&key).unwrap(), KEY);
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(key.parent().unwrap()), 0o700);
    drop((first, again));

    // A changed Secret replaces the files; the old ones are gone with their executor.
    let mut changed = secrets.get("fleet-ssh").await.unwrap();
    changed.data.as_mut().unwrap().insert(
        String::from("known_hosts"),
        ByteString(b"h2 ssh-ed25519 BBBB\n".to_vec()),
    );
    secrets
        .replace("fleet-ssh", &PostParams::default(), &changed)
        .await
        .unwrap();
    let second = executor().await.unwrap();
    let new_key = context.ssh.identity_file("default", "fleet-ssh").unwrap();
    assert_ne!(new_key, key);
    assert!(!key.parent().unwrap().exists(), "old key files removed");
    let hosts = std::fs::read_to_string(new_key.parent().unwrap().join("known_hosts")).unwrap();
    assert_eq!(hosts, "h2 ssh-ed25519 BBBB\n");

    // A deleted Secret: refused, and the files go once the last user lets go.
    secrets
        .delete("fleet-ssh", &DeleteParams::default())
        .await
        .unwrap();
    let err = executor().await.expect_err("refused");
    assert!(!format!("{err} {err:?}").contains(KEY_BODY));
    assert_eq!(context.ssh.cached(), 0);
    assert!(new_key.exists(), "files stay while an operation uses them");
    drop(second);
    assert!(!new_key.parent().unwrap().exists(), "files removed");

    // When the operator stops, every key file goes, also those an operation still holds.
    secrets
        .create(&PostParams::default(), &ssh_secret("h3 ssh-ed25519 CCCC\n"))
        .await
        .unwrap();
    let held = executor().await.unwrap();
    let key = context.ssh.identity_file("default", "fleet-ssh").unwrap();
    let operator_dir = key.parent().unwrap().parent().unwrap().to_path_buf();
    assert_eq!(mode(&operator_dir), 0o700);
    context.ssh.remove_files();
    assert!(!operator_dir.exists(), "operator key directory removed");
    drop(held);
    server.shutdown().await;
}

#[test]
fn a_host_key_mismatch_or_refused_login_stalls_and_unreachability_does_not() {
    use patchwarden_executor::ExecError;
    let ssh = |reason: &str| ExecError::Ssh {
        asset: String::from("web-1"),
        reason: reason.to_string(),
    };
    let refused = super::observe::refused_reason;
    assert_eq!(
        refused(&ssh("Host key verification failed.")),
        Some(super::observe::HOST_KEY_MISMATCH)
    );
    assert_eq!(
        refused(&ssh("@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @")),
        Some(super::observe::HOST_KEY_MISMATCH)
    );
    assert_eq!(
        refused(&ssh("root@10.0.0.5: Permission denied (publickey).")),
        Some(super::observe::SSH_REFUSED)
    );
    let unreachable = ExecError::Unreachable {
        asset: String::from("web-1"),
        reason: String::from("Connection refused"),
    };
    assert_eq!(refused(&unreachable), None);
    let missing = ExecError::MissingTool {
        asset: String::from("web-1"),
        program: String::from("dpkg-query"),
        package: Some("dpkg"),
    };
    assert_eq!(refused(&missing), Some(super::observe::MISSING_TOOL));
}

/// An SSH executor whose `ssh` is a script answering as ssh does when the host key does not
/// match known_hosts.
fn impostor_executor(dir: &std::path::Path) -> patchwarden_executor::SshExecutor {
    let program = dir.join("ssh");
    std::fs::write(
        &program,
        "#!/bin/sh\necho '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@' >&2\n\
         echo '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @' >&2\n\
         echo 'Host key verification failed.' >&2\nexit 255\n",
    )
    .unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    patchwarden_executor::SshExecutor::from_key_material(
        KEY.as_bytes(),
        b"[127.0.0.1]:22 ssh-ed25519 AAAA\n",
        |config| config.program = program.clone(),
    )
    .unwrap()
}

#[tokio::test]
async fn an_inventory_refused_for_a_changed_host_key_stalls_and_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let executor = impostor_executor(dir.path());
    let mut target = patchwarden_executor::AssetRef::named("web-1");
    target.address = Some(String::from("127.0.0.1"));
    let error = match super::observe::inventory(&executor, &target).await {
        Err(error) => error,
        Ok(_) => panic!("an impostor host was read"),
    };
    let ReconcileError::Terminal(terminal) = &error else {
        panic!("not terminal: {error}");
    };
    assert_eq!(terminal.reason, super::observe::HOST_KEY_MISMATCH);
    assert!(
        terminal.message.starts_with("web-1: ssh: ")
            && terminal.message.contains("Host key verification failed"),
        "{}",
        terminal.message
    );
    assert_eq!(terminal.action(), Action::requeue(CREDENTIALS_RETRY));
    assert!(!format!("{error} {error:?}").contains(KEY_BODY));
}
