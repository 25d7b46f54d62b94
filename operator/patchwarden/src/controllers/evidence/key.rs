//! The operator's evidence signing key: an ed25519 key read once, from a Secret in the
//! operator's namespace (in a cluster) or an owner-only file in the state directory (`up`),
//! and created there when missing. The key never reaches logs, Events or status; only its
//! public half and id are published with the chain.

use std::path::PathBuf;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ObjectMeta, PostParams};
use patchwarden_api::labels;
use tokio::sync::OnceCell;

/// Name of the Secret holding the key in a cluster.
pub const KEY_SECRET: &str = "patchwarden-evidence-key";
/// Key of the Secret's data holding the 32-byte ed25519 seed.
pub const KEY_SECRET_DATA: &str = "ed25519-seed";

/// Where the signing key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The Secret [`KEY_SECRET`] in this namespace.
    Secret { namespace: String },
    /// A file holding the hex seed, readable by its owner only.
    File(PathBuf),
}

/// Why the key could not be read or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("reading the evidence key Secret {namespace}/{KEY_SECRET}: {source}")]
    Secret {
        namespace: String,
        source: kube::Error,
    },
    #[error("the evidence key in {place} is not a 32-byte ed25519 seed")]
    Invalid { place: String },
    #[error("evidence key file {path}: {message}")]
    File { path: String, message: String },
    #[error("generating an evidence key: {0}")]
    Random(String),
}

/// The signing key, loaded (or created) on first use.
pub struct EvidenceKeys {
    source: KeySource,
    key: OnceCell<Arc<SigningKey>>,
}

impl EvidenceKeys {
    /// Keys kept in `source`.
    pub fn new(source: KeySource) -> Self {
        Self {
            source,
            key: OnceCell::new(),
        }
    }

    /// The signing key, read or created on the first call.
    pub async fn signing_key(&self, client: &kube::Client) -> Result<Arc<SigningKey>, KeyError> {
        self.key
            .get_or_try_init(|| async {
                let key = match &self.source {
                    KeySource::Secret { namespace } => from_secret(client, namespace).await?,
                    KeySource::File(path) => from_file(path)?,
                };
                Ok(Arc::new(key))
            })
            .await
            .cloned()
    }
}

/// A new key from the system random source.
fn generate() -> Result<SigningKey, KeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

fn seed(bytes: &[u8], place: impl Fn() -> String) -> Result<SigningKey, KeyError> {
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| KeyError::Invalid { place: place() })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Reads the key file, or writes a new key there (0600, through a temporary file renamed
/// into place).
pub fn from_file(path: &std::path::Path) -> Result<SigningKey, KeyError> {
    let place = || path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes =
                hex::decode(text.trim()).map_err(|_| KeyError::Invalid { place: place() })?;
            seed(&bytes, place)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = generate()?;
            let text = format!("{}\n", hex::encode(key.to_bytes()));
            patchwarden_apiserver::write_private(path, &text).map_err(|e| KeyError::File {
                path: place(),
                message: e.to_string(),
            })?;
            Ok(key)
        }
        Err(e) => Err(KeyError::File {
            path: place(),
            message: e.to_string(),
        }),
    }
}

/// Reads the key Secret, or creates it; a Secret created meanwhile by another replica wins.
async fn from_secret(client: &kube::Client, namespace: &str) -> Result<SigningKey, KeyError> {
    let api: kube::Api<Secret> = kube::Api::namespaced(client.clone(), namespace);
    let failed = |source| KeyError::Secret {
        namespace: namespace.to_string(),
        source,
    };
    let place = || format!("Secret {namespace}/{KEY_SECRET} key {KEY_SECRET_DATA}");
    for _ in 0..2 {
        if let Some(secret) = api.get_opt(KEY_SECRET).await.map_err(failed)? {
            let data = secret.data.unwrap_or_default();
            let bytes = data.get(KEY_SECRET_DATA).map(|b| b.0.clone());
            return seed(&bytes.unwrap_or_default(), place);
        }
        let key = generate()?;
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(KEY_SECRET.to_string()),
                namespace: Some(namespace.to_string()),
                labels: Some(
                    [(
                        labels::MANAGED_BY.to_string(),
                        labels::MANAGED_BY_VALUE.to_string(),
                    )]
                    .into(),
                ),
                ..ObjectMeta::default()
            },
            type_: Some("Opaque".to_string()),
            data: Some(
                [(
                    KEY_SECRET_DATA.to_string(),
                    ByteString(key.to_bytes().to_vec()),
                )]
                .into(),
            ),
            ..Secret::default()
        };
        match api.create(&PostParams::default(), &secret).await {
            Ok(_) => return Ok(key),
            Err(kube::Error::Api(e)) if e.code == 409 => continue,
            Err(e) => return Err(failed(e)),
        }
    }
    Err(KeyError::Invalid { place: place() })
}
