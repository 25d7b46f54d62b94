//! What makes `up`'s and `operator --git-repo`'s sync run as soon as something is pushed,
//! besides its interval: an inotify watch of a local repository's refs, and the webhook
//! receiver (`POST /hooks/git/<source>`) with its secret from a file or a Secret.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use k8s_openapi::api::core::v1::Secret;
use patchwarden_gitops::sync::GitSourceSpec;
use patchwarden_gitops::trigger::local_watch::watch_local_repository;
use patchwarden_gitops::trigger::{LocalWatch, WebhookSecret, WebhookTarget, webhook_router};
use tokio::sync::Notify;

/// The key of the webhook Secret that holds the token.
pub const SECRET_KEY: &str = "token";
/// How often the webhook Secret is read again, so a rotated token takes effect.
const SECRET_REFRESH: Duration = Duration::from_secs(30);

/// Watches the source's repository when it is a local path; `None` for a URL. A repository
/// that cannot be watched is reported and left to the interval.
pub fn watch_if_local(spec: &GitSourceSpec, trigger: &Arc<Notify>) -> Option<LocalWatch> {
    if spec.url.contains("://") || !Path::new(&spec.url).exists() {
        return None;
    }
    match watch_local_repository(Path::new(&spec.url), trigger.clone()) {
        Ok(watch) => Some(watch),
        Err(error) => {
            tracing::warn!(source = %spec.name, %error, "syncing on the interval only");
            None
        }
    }
}

/// The receiver's routes for one source.
pub fn webhook_routes(
    spec: &GitSourceSpec,
    secret: WebhookSecret,
    trigger: &Arc<Notify>,
) -> axum::Router {
    let target = WebhookTarget {
        reference: spec.reference.clone(),
        secret,
        trigger: trigger.clone(),
    };
    webhook_router(BTreeMap::from([(spec.name.clone(), target)]))
}

/// Reads a webhook token from a file (surrounding whitespace, such as a final newline, is
/// not part of it).
pub fn secret_from_file(path: &Path) -> anyhow::Result<WebhookSecret> {
    let text = std::fs::read(path)
        .with_context(|| format!("reading the webhook secret file {}", path.display()))?;
    let token = text.trim_ascii().to_vec();
    if token.is_empty() {
        bail!("the webhook secret file {} is empty", path.display());
    }
    Ok(WebhookSecret::new(token))
}

/// `namespace/name` of a Secret.
pub fn parse_secret_ref(text: &str) -> anyhow::Result<(String, String)> {
    match text.split_once('/') {
        Some((namespace, name))
            if !namespace.is_empty() && !name.is_empty() && !name.contains('/') =>
        {
            Ok((namespace.to_string(), name.to_string()))
        }
        _ => bail!("--git-webhook-secret-ref `{text}`: expected NAMESPACE/NAME"),
    }
}

/// Reads the token from the Secret `namespace/name` (key `token`), then keeps it current
/// every 30 s in the background; a failed refresh keeps the last token and is reported.
pub async fn secret_from_cluster(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> anyhow::Result<WebhookSecret> {
    let api: kube::Api<Secret> = kube::Api::namespaced(client.clone(), namespace);
    let secret = WebhookSecret::new(read_token(&api, namespace, name).await?);
    let refreshed = secret.clone();
    let (namespace, name) = (namespace.to_string(), name.to_string());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(SECRET_REFRESH).await;
            match read_token(&api, &namespace, &name).await {
                Ok(token) => refreshed.replace(token),
                Err(error) => tracing::warn!(%error, "keeping the last webhook secret"),
            }
        }
    });
    Ok(secret)
}

async fn read_token(
    api: &kube::Api<Secret>,
    namespace: &str,
    name: &str,
) -> anyhow::Result<Vec<u8>> {
    let secret = api
        .get(name)
        .await
        .with_context(|| format!("reading the webhook Secret {namespace}/{name}"))?;
    let token = secret
        .data
        .and_then(|mut data| data.remove(SECRET_KEY))
        .map(|bytes| bytes.0.trim_ascii().to_vec())
        .filter(|token| !token.is_empty());
    token.with_context(|| {
        format!("the webhook Secret {namespace}/{name} has no non-empty key `{SECRET_KEY}`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_refs_are_namespace_slash_name() {
        assert_eq!(
            parse_secret_ref("flux-system/webhook").expect("valid"),
            ("flux-system".to_string(), "webhook".to_string())
        );
        for bad in ["webhook", "/webhook", "ns/", "a/b/c"] {
            assert!(parse_secret_ref(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_secret_file_is_trimmed_and_must_not_be_empty() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("token");
        std::fs::write(&path, "  \n").expect("write");
        assert!(secret_from_file(&path).is_err());
        std::fs::write(&path, "tok\n").expect("write");
        let secret = secret_from_file(&path).expect("token");
        assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
    }
}
