//! What the agent remembers across restarts: the request it started and the answers it gave,
//! in one small JSON file readable only by its owner (0600), replaced atomically.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How many answers are kept: enough to re-report the last few after a restart.
const KEPT_RESULTS: usize = 8;

/// The agent's memory.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentState {
    /// The request being run, with the boot id when it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<Started>,
    /// The latest answers, oldest first.
    #[serde(default)]
    pub results: Vec<StoredResult>,
}

/// A request the agent began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    pub id: String,
    pub boot_id: String,
}

/// An answer as written to the status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredResult {
    pub id: String,
    pub operation: String,
    pub body: String,
}

impl AgentState {
    /// The stored answer to request `id`.
    pub fn result(&self, id: &str) -> Option<&StoredResult> {
        self.results.iter().find(|r| r.id == id)
    }

    /// Records the answer to the started request and forgets that it runs.
    pub fn finish(&mut self, result: StoredResult) {
        self.started = None;
        self.results.retain(|r| r.id != result.id);
        self.results.push(result);
        let excess = self.results.len().saturating_sub(KEPT_RESULTS);
        self.results.drain(..excess);
    }

    /// The boot id recorded when request `id` started, if it did.
    pub fn started_boot_id(&self, id: &str) -> Option<&str> {
        self.started
            .as_ref()
            .filter(|s| s.id == id)
            .map(|s| s.boot_id.as_str())
    }
}

/// Why the state file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot {action} agent state {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("agent state {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// The state file `state.json` in a directory.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The file in `dir`, which is created (0700) if missing.
    pub fn in_dir(dir: &Path) -> Result<StateFile, StateError> {
        let io = |action, source| StateError::Io {
            action,
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| io("create", e))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| io("restrict", e))?;
        Ok(StateFile {
            path: dir.join("state.json"),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored state; empty when there is no file yet.
    pub fn load(&self) -> Result<AgentState, StateError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| StateError::Parse {
                path: self.path.clone(),
                source,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AgentState::default()),
            Err(source) => Err(StateError::Io {
                action: "read",
                path: self.path.clone(),
                source,
            }),
        }
    }

    /// Writes `state` to a new 0600 file, syncs it and renames it over the old one, so a
    /// crash leaves the old or the new state, never a torn one.
    pub fn save(&self, state: &AgentState) -> Result<(), StateError> {
        let tmp = self.path.with_extension("json.tmp");
        let io = |action, source| StateError::Io {
            action,
            path: tmp.clone(),
            source,
        };
        let bytes = serde_json::to_vec(state).map_err(|source| StateError::Parse {
            path: self.path.clone(),
            source,
        })?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| io("create", e))?;
        file.write_all(&bytes).map_err(|e| io("write", e))?;
        file.sync_all().map_err(|e| io("sync", e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| io("rename", e))
    }
}
