//! Where a policy's chain is kept: the ConfigMap `patchwarden-evidence-<policy>` in the
//! policy's namespace, one data key per link (`entry-000001`, …) and `publicKeys` (hex
//! ed25519 public keys by key id). It is owned by nothing, so neither pruning old PatchRuns
//! nor deleting the policy removes evidence; nothing is ever dropped from it. A ConfigMap
//! holds at most 1 MiB: a chain that reaches [`MAX_CHAIN_BYTES`] stops taking links and
//! says so (the run is retried, never recorded without its link) until it is exported and the
//! ConfigMap renamed aside.

use std::collections::BTreeMap;

use patchwarden_api::evidence::{BUNDLE_FORMAT, Bundle, ChainEntry};

/// Prefix of the ConfigMap holding a policy's chain.
pub const CONFIG_MAP_PREFIX: &str = "patchwarden-evidence-";
/// Data key of the public keys.
pub const PUBLIC_KEYS: &str = "publicKeys";
/// Prefix of the data keys of links.
pub const ENTRY_PREFIX: &str = "entry-";
/// Most bytes of data a chain ConfigMap takes (below the API's 1 MiB object limit).
pub const MAX_CHAIN_BYTES: usize = 900 * 1024;

/// Why a stored chain cannot be read or extended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("ConfigMap {config_map} data key {key}: {message}")]
    Unreadable {
        config_map: String,
        key: String,
        message: String,
    },
    #[error(
        "ConfigMap {config_map} would hold {bytes} bytes with the next link, more than {MAX_CHAIN_BYTES}: export the chain (patchwarden evidence export) and rename the ConfigMap aside; nothing was dropped"
    )]
    Full { config_map: String, bytes: usize },
}

/// Name of the ConfigMap of `policy`'s chain.
pub fn config_map_name(policy: &str) -> String {
    format!("{CONFIG_MAP_PREFIX}{policy}")
}

/// Data key of the link at `sequence` (from 1).
pub fn entry_key(sequence: usize) -> String {
    format!("{ENTRY_PREFIX}{sequence:06}")
}

/// The chain and public keys stored in a ConfigMap's data, links in sequence order.
pub fn read_chain(
    config_map: &str,
    data: &BTreeMap<String, String>,
) -> Result<(Vec<ChainEntry>, BTreeMap<String, String>), StoreError> {
    let unreadable = |key: &str, message: String| StoreError::Unreadable {
        config_map: config_map.to_string(),
        key: key.to_string(),
        message,
    };
    let keys = match data.get(PUBLIC_KEYS) {
        Some(text) => {
            serde_json::from_str(text).map_err(|e| unreadable(PUBLIC_KEYS, e.to_string()))?
        }
        None => BTreeMap::new(),
    };
    let mut entries = Vec::new();
    for (key, text) in data {
        let Some(number) = key.strip_prefix(ENTRY_PREFIX) else {
            continue;
        };
        let sequence: u64 = number
            .parse()
            .map_err(|_| unreadable(key, "not a link number".to_string()))?;
        let entry: ChainEntry =
            serde_json::from_str(text).map_err(|e| unreadable(key, e.to_string()))?;
        entries.push((sequence, entry));
    }
    entries.sort_by_key(|(sequence, _)| *sequence);
    Ok((entries.into_iter().map(|(_, e)| e).collect(), keys))
}

/// The data with `entry` appended as link `sequence` and `public_key` listed.
pub fn with_entry(
    config_map: &str,
    mut data: BTreeMap<String, String>,
    mut keys: BTreeMap<String, String>,
    sequence: usize,
    entry: &ChainEntry,
    public_key: (String, String),
) -> Result<BTreeMap<String, String>, StoreError> {
    let text = serde_json::to_string(entry).map_err(|e| StoreError::Unreadable {
        config_map: config_map.to_string(),
        key: entry_key(sequence),
        message: e.to_string(),
    })?;
    keys.insert(public_key.0, public_key.1);
    let keys_text = serde_json::to_string(&keys).unwrap_or_default();
    data.insert(entry_key(sequence), text);
    data.insert(PUBLIC_KEYS.to_string(), keys_text);
    let bytes: usize = data.iter().map(|(k, v)| k.len() + v.len()).sum();
    if bytes > MAX_CHAIN_BYTES {
        return Err(StoreError::Full {
            config_map: config_map.to_string(),
            bytes,
        });
    }
    Ok(data)
}

/// The bundle of `policy` (`namespace/name`) from its stored chain.
pub fn bundle(
    policy: &str,
    entries: Vec<ChainEntry>,
    public_keys: BTreeMap<String, String>,
) -> Bundle {
    Bundle {
        format: BUNDLE_FORMAT.to_string(),
        policy: policy.to_string(),
        public_keys,
        entries,
    }
}
