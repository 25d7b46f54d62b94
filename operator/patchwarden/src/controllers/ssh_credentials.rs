//! SSH credentials of assets, from the Secret an Asset names in `spec.credentialsRef`: the
//! private key (`ssh-privatekey`) and the only trusted host keys (`known_hosts`; host keys are
//! always verified). Each Secret version gets one SSH executor whose key files live in an
//! owner-only temporary directory inside the operator's own; a changed or vanished Secret drops
//! its executor, and the files go with the last user of it, and all of them with
//! [`SshCredentials::remove_files`] when the operator stops. Every executor draws its sessions
//! from one operator-wide limit.
//!
//! Errors name the Secret and the key, never its content.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use patchwarden_api::common::SecretReference;
use patchwarden_api::conditions::reason;
use patchwarden_executor::locks::AssetLocks;
use patchwarden_executor::ssh::DEFAULT_MAX_SESSIONS;
use patchwarden_executor::{Executor, SshExecutor};
use tokio::sync::Semaphore;

use super::error::{ReconcileError, Terminal};

/// The Secret key holding the private key.
pub const PRIVATE_KEY: &str = "ssh-privatekey";
/// The Secret key holding the trusted host keys, in known_hosts format.
pub const KNOWN_HOSTS: &str = "known_hosts";
/// Secret types accepted: the SSH one, and Opaque for Secrets made by other tools.
const ACCEPTED_TYPES: [&str; 2] = ["kubernetes.io/ssh-auth", "Opaque"];
/// How soon an asset whose credentials are unusable looks again: the Secret may be created
/// or fixed without any change to the Asset.
pub const CREDENTIALS_RETRY: Duration = Duration::from_secs(30);

/// Why an asset's SSH credentials cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// Neither the Asset nor its AssetGroup names a Secret.
    #[error(
        "spec.credentialsRef: an ssh asset needs a Secret with keys `{PRIVATE_KEY}` and `{KNOWN_HOSTS}` (on the Asset or its AssetGroup)"
    )]
    NoReference,
    /// The named Secret does not exist (yet).
    #[error("spec.credentialsRef: Secret {namespace}/{name} does not exist")]
    NotFound { namespace: String, name: String },
    /// The Secret is of another type.
    #[error(
        "spec.credentialsRef: Secret {namespace}/{name} has type `{type_}`, not kubernetes.io/ssh-auth or Opaque"
    )]
    WrongType {
        namespace: String,
        name: String,
        type_: String,
    },
    /// A required key is absent.
    #[error("spec.credentialsRef: Secret {namespace}/{name} has no key `{key}`")]
    MissingKey {
        namespace: String,
        name: String,
        key: &'static str,
    },
    /// A required key is empty (or only white space).
    #[error("spec.credentialsRef: Secret {namespace}/{name} has an empty key `{key}`")]
    EmptyKey {
        namespace: String,
        name: String,
        key: &'static str,
    },
    /// Reading the Secret failed; may work on a later try.
    #[error("reading Secret {namespace}/{name}: {source}")]
    Read {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    /// The key files could not be written; may work on a later try.
    #[error("writing the key files of Secret {namespace}/{name}: {source}")]
    Files {
        namespace: String,
        name: String,
        #[source]
        source: patchwarden_executor::CredentialsError,
    },
}

impl CredentialsError {
    /// Errors that a later try may not see: the API or the file system failed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            CredentialsError::Read { .. } | CredentialsError::Files { .. }
        )
    }
}

impl From<CredentialsError> for ReconcileError {
    /// Unusable credentials show the asset as `Stalled`, looked at again every
    /// [`CREDENTIALS_RETRY`] so that it recovers once the Secret is created or fixed.
    fn from(error: CredentialsError) -> Self {
        let reason = match &error {
            CredentialsError::Read { .. } | CredentialsError::Files { .. } => {
                return ReconcileError::transient("reading the asset's SSH credentials", error);
            }
            CredentialsError::NotFound { .. } => reason::REFERENCE_NOT_FOUND,
            CredentialsError::NoReference => reason::INVALID_SPEC,
            CredentialsError::WrongType { .. }
            | CredentialsError::MissingKey { .. }
            | CredentialsError::EmptyKey { .. } => reason::DEPENDENCY_NOT_READY,
        };
        Terminal::new(reason, error)
            .retry_after(CREDENTIALS_RETRY)
            .into()
    }
}

/// The private key and known_hosts of a Secret.
pub struct KeyMaterial<'a> {
    pub private_key: &'a [u8],
    pub known_hosts: &'a [u8],
}

/// The key material of `secret` (in `namespace`, named `name`), checked: an accepted type,
/// and both keys present and not blank.
pub fn key_material<'a>(
    namespace: &str,
    name: &str,
    secret: &'a Secret,
) -> Result<KeyMaterial<'a>, CredentialsError> {
    let type_ = secret.type_.as_deref().unwrap_or("Opaque");
    if !ACCEPTED_TYPES.contains(&type_) {
        return Err(CredentialsError::WrongType {
            namespace: namespace.to_string(),
            name: name.to_string(),
            type_: type_.to_string(),
        });
    }
    let value = |key: &'static str| {
        let bytes = secret.data.as_ref().and_then(|d| d.get(key)).map(|b| &b.0);
        let (namespace, name) = (namespace.to_string(), name.to_string());
        match bytes {
            Some(b) if !b.iter().all(u8::is_ascii_whitespace) => Ok(b.as_slice()),
            Some(_) => Err(CredentialsError::EmptyKey {
                namespace,
                name,
                key,
            }),
            None => Err(CredentialsError::MissingKey {
                namespace,
                name,
                key,
            }),
        }
    };
    Ok(KeyMaterial {
        private_key: value(PRIVATE_KEY)?,
        known_hosts: value(KNOWN_HOSTS)?,
    })
}

/// A new owner-only directory for the operator's key files.
fn operator_directory() -> Result<tempfile::TempDir, patchwarden_executor::CredentialsError> {
    tempfile::Builder::new()
        .prefix("patchwarden-ssh-keys-")
        // Owner-only from the start: it will hold private keys.
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()
        .map_err(|source| patchwarden_executor::CredentialsError {
            path: std::env::temp_dir(),
            source,
        })
}

/// One Secret version's executor.
struct Cached {
    resource_version: Option<String>,
    executor: Arc<SshExecutor>,
}

/// The SSH executors of the Secrets assets name, one per Secret version.
pub struct SshCredentials {
    entries: Mutex<HashMap<(String, String), Cached>>,
    sessions: Arc<Semaphore>,
    /// One change per asset at a time, also across versions of a Secret.
    locks: Arc<AssetLocks>,
    /// The directory holding every executor's key files, made on first use.
    root: Mutex<Option<tempfile::TempDir>>,
}

impl Default for SshCredentials {
    fn default() -> Self {
        SshCredentials::new(DEFAULT_MAX_SESSIONS)
    }
}

impl SshCredentials {
    /// No executors yet; at most `max_sessions` ssh sessions at once across all of them.
    pub fn new(max_sessions: usize) -> SshCredentials {
        SshCredentials {
            entries: Mutex::new(HashMap::new()),
            sessions: Arc::new(Semaphore::new(max_sessions.max(1))),
            locks: Arc::default(),
            root: Mutex::new(None),
        }
    }

    /// The executor for the Secret `reference` names in `namespace`, read now: a new
    /// executor when the Secret changed, none (and its files removed once unused) when it is
    /// gone or unusable.
    pub async fn executor(
        &self,
        client: &kube::Client,
        namespace: &str,
        reference: Option<&SecretReference>,
    ) -> Result<Arc<dyn Executor>, CredentialsError> {
        let name = &reference.ok_or(CredentialsError::NoReference)?.name;
        let api = kube::Api::<Secret>::namespaced(client.clone(), namespace);
        let secret = api
            .get_opt(name)
            .await
            .map_err(|source| CredentialsError::Read {
                namespace: namespace.to_string(),
                name: name.clone(),
                source,
            })?;
        let result = match secret {
            Some(secret) => self.for_secret(namespace, name, &secret),
            None => Err(CredentialsError::NotFound {
                namespace: namespace.to_string(),
                name: name.clone(),
            }),
        };
        if result.is_err() {
            self.forget(namespace, name);
        }
        result
    }

    /// The cached executor of this version of `secret`, or a new one replacing the old.
    fn for_secret(
        &self,
        namespace: &str,
        name: &str,
        secret: &Secret,
    ) -> Result<Arc<dyn Executor>, CredentialsError> {
        let key = (namespace.to_string(), name.to_string());
        let version = secret.metadata.resource_version.clone();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cached) = entries.get(&key)
            && cached.resource_version.is_some()
            && cached.resource_version == version
        {
            return Ok(cached.executor.clone());
        }
        let material = key_material(namespace, name, secret)?;
        let files_error = |source| CredentialsError::Files {
            namespace: namespace.to_string(),
            name: name.to_string(),
            source,
        };
        let mut root = self.root.lock().unwrap_or_else(|e| e.into_inner());
        let root = match root.as_ref() {
            Some(dir) => dir,
            None => root.insert(operator_directory().map_err(files_error)?),
        };
        let executor = SshExecutor::from_key_material_in(
            root.path(),
            material.private_key,
            material.known_hosts,
            |_| {},
        )
        .map_err(files_error)?
        .sharing_sessions(self.sessions.clone())
        .sharing_locks(self.locks.clone());
        let executor = Arc::new(executor);
        entries.insert(
            key,
            Cached {
                resource_version: version,
                executor: executor.clone(),
            },
        );
        Ok(executor)
    }

    /// Removes every key file, also of executors operations still hold (called when the
    /// operator stops, when no drop may run any more).
    pub fn remove_files(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        let root = self.root.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(root) = root {
            let path = root.path().to_path_buf();
            if let Err(error) = root.close() {
                tracing::warn!(path = %path.display(), %error, "cannot remove the SSH key files");
            }
        }
    }

    /// Drops the executor of a Secret that is gone or unusable.
    fn forget(&self, namespace: &str, name: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&(namespace.to_string(), name.to_string()));
    }

    /// Secrets with an executor now.
    pub fn cached(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// The private key file of a Secret's current executor.
    #[cfg(test)]
    pub fn identity_file(&self, namespace: &str, name: &str) -> Option<std::path::PathBuf> {
        let entries = self.entries.lock().ok()?;
        let cached = entries.get(&(namespace.to_string(), name.to_string()))?;
        Some(cached.executor.config().identity_file.clone())
    }
}

#[cfg(test)]
#[path = "ssh_credentials_tests.rs"]
mod tests;
