//! Links of the chain and how one is appended: the record gets its place (`sequence`) and the
//! previous link's hash (`previous`); each top-level field of the record is digested, the
//! link's hash is the digest of those digests, and the hash is signed.

use std::collections::BTreeMap;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::canonical::digest;

/// `format` of an exported bundle.
pub const BUNDLE_FORMAT: &str = "patchwarden.io/evidence-bundle/v1";

/// One link: a run's record, the digests of its fields, its hash and the signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainEntry {
    /// Name of the PatchRun the record is about.
    pub run: String,
    /// The record (a JSON object; see [`super::run_record`]).
    pub record: Value,
    /// `sha256:` digest of each top-level field of the record, by field name.
    pub fields: BTreeMap<String, String>,
    /// `sha256:` digest of `fields`: what is signed and what the next link names.
    pub hash: String,
    /// Hex ed25519 signature of `hash` (its text).
    pub signature: String,
    /// Which key signed it (see [`key_id`]).
    pub key_id: String,
}

/// A policy's whole chain with the public keys that verify it: what an auditor receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// `namespace/name` of the PatchPolicy.
    pub policy: String,
    /// Hex ed25519 public keys by key id.
    pub public_keys: BTreeMap<String, String>,
    /// The links, oldest first.
    pub entries: Vec<ChainEntry>,
}

/// Why a link could not be appended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// The record to append is not a JSON object.
    #[error("the evidence record of run {run} is not a JSON object")]
    NotAnObject { run: String },
}

/// The id of a public key: the first 16 hex digits of the SHA-256 of its bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    let hash = Sha256::digest(key.as_bytes());
    hex::encode(hash)[..16].to_string()
}

/// The digest of each top-level field of `record`.
pub(super) fn field_digests(record: &Map<String, Value>) -> BTreeMap<String, String> {
    record
        .iter()
        .map(|(name, value)| (name.clone(), digest(value)))
        .collect()
}

/// The hash of a link: the digest of its field digests.
pub(super) fn link_hash(fields: &BTreeMap<String, String>) -> String {
    let object: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    digest(&Value::Object(object))
}

/// The link that appends `record` (a JSON object about `run`) to `chain`, signed with `key`.
/// The record's `sequence` and `previous` fields are set here.
pub fn append(
    chain: &[ChainEntry],
    run: &str,
    record: Value,
    key: &SigningKey,
) -> Result<ChainEntry, EvidenceError> {
    let Value::Object(mut record) = record else {
        return Err(EvidenceError::NotAnObject {
            run: run.to_string(),
        });
    };
    let previous = chain.last().map(|last| last.hash.clone());
    record.insert("sequence".into(), Value::from(chain.len() as u64 + 1));
    record.insert(
        "previous".into(),
        previous.map_or(Value::Null, Value::String),
    );
    let fields = field_digests(&record);
    let hash = link_hash(&fields);
    let signature = key.sign(hash.as_bytes());
    Ok(ChainEntry {
        run: run.to_string(),
        record: Value::Object(record),
        fields,
        hash,
        signature: hex::encode(signature.to_bytes()),
        key_id: key_id(&key.verifying_key()),
    })
}
