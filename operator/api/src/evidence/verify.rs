//! Verifying a chain, link by link: each record field against its signed digest (hash
//! mismatch), the hash against the signature and its key (signature mismatch), and each link
//! against the one before it (broken link). The first break is reported, naming the link's
//! run and what broke.

use std::collections::BTreeMap;
use std::fmt;

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::Value;

use super::chain::{ChainEntry, field_digests, link_hash};

/// A chain that verified: how long it is and the hash of its last link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSummary {
    /// Number of links.
    pub length: usize,
    /// Hash of the last link (`None` for an empty chain).
    pub head: Option<String>,
}

/// The first link that does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("link {link} (run {run}): {kind}")]
pub struct ChainBreak {
    /// Position of the link, from 1.
    pub link: usize,
    /// The PatchRun the link is about.
    pub run: String,
    /// What broke.
    pub kind: BreakKind,
}

/// What broke in a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakKind {
    /// The record is not a JSON object.
    NotAnObject,
    /// A record field's content differs from the digest that was signed.
    FieldChanged { field: String },
    /// A record field that was not signed.
    FieldAdded { field: String },
    /// A signed record field is missing.
    FieldRemoved { field: String },
    /// The field digests do not give the link's hash.
    HashMismatch { stored: String, computed: String },
    /// The signing key is not among the public keys given.
    UnknownKey { key_id: String },
    /// A public key or signature that is not valid ed25519 material.
    Malformed { what: String },
    /// The signature does not verify with the key.
    SignatureMismatch { key_id: String },
    /// The record's `previous` is not the hash of the link before it.
    BrokenLink {
        expected: Option<String>,
        found: Option<String>,
    },
    /// The record's `sequence` is not its place in the chain (a link was removed or moved).
    OutOfSequence { expected: u64, found: Option<u64> },
    /// The link names another run than its record.
    RunMismatch { record_run: Option<String> },
}

impl fmt::Display for BreakKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |h: &Option<String>| h.clone().unwrap_or_else(|| "none".to_string());
        match self {
            BreakKind::NotAnObject => write!(f, "the record is not a JSON object"),
            BreakKind::FieldChanged { field } => write!(
                f,
                "hash mismatch: record field {field:?} was changed after it was signed"
            ),
            BreakKind::FieldAdded { field } => write!(
                f,
                "hash mismatch: record field {field:?} was added after it was signed"
            ),
            BreakKind::FieldRemoved { field } => write!(
                f,
                "hash mismatch: record field {field:?} was removed after it was signed"
            ),
            BreakKind::HashMismatch { stored, computed } => write!(
                f,
                "hash mismatch: the field digests hash to {computed}, the link says {stored}"
            ),
            BreakKind::UnknownKey { key_id } => {
                write!(
                    f,
                    "signed by key {key_id}, which is not among the public keys"
                )
            }
            BreakKind::Malformed { what } => write!(f, "{what}"),
            BreakKind::SignatureMismatch { key_id } => write!(
                f,
                "signature mismatch: the signature does not verify with key {key_id}"
            ),
            BreakKind::BrokenLink { expected, found } => write!(
                f,
                "broken link to previous: the record names previous {}, the link before it has hash {}",
                show(found),
                show(expected)
            ),
            BreakKind::OutOfSequence { expected, found } => write!(
                f,
                "broken link to previous: the record's sequence is {}, its place in the chain is {expected}",
                found.map_or_else(|| "missing".to_string(), |s| s.to_string())
            ),
            BreakKind::RunMismatch { record_run } => write!(
                f,
                "the link names this run but its record is of run {}",
                show(record_run)
            ),
        }
    }
}

/// Verifies `entries` (oldest first) with `public_keys` (hex ed25519 keys by key id).
pub fn verify_chain(
    entries: &[ChainEntry],
    public_keys: &BTreeMap<String, String>,
) -> Result<ChainSummary, ChainBreak> {
    let mut previous: Option<&str> = None;
    for (index, entry) in entries.iter().enumerate() {
        verify_link(entry, index, previous, public_keys).map_err(|kind| ChainBreak {
            link: index + 1,
            run: entry.run.clone(),
            kind,
        })?;
        previous = Some(&entry.hash);
    }
    Ok(ChainSummary {
        length: entries.len(),
        head: previous.map(str::to_string),
    })
}

fn verify_link(
    entry: &ChainEntry,
    index: usize,
    previous: Option<&str>,
    public_keys: &BTreeMap<String, String>,
) -> Result<(), BreakKind> {
    let Value::Object(record) = &entry.record else {
        return Err(BreakKind::NotAnObject);
    };
    check_fields(&field_digests(record), &entry.fields)?;
    let computed = link_hash(&entry.fields);
    if computed != entry.hash {
        return Err(BreakKind::HashMismatch {
            stored: entry.hash.clone(),
            computed,
        });
    }
    check_signature(entry, public_keys)?;
    let found = record.get("previous").and_then(Value::as_str);
    if found != previous {
        return Err(BreakKind::BrokenLink {
            expected: previous.map(str::to_string),
            found: found.map(str::to_string),
        });
    }
    let expected = index as u64 + 1;
    let sequence = record.get("sequence").and_then(Value::as_u64);
    if sequence != Some(expected) {
        return Err(BreakKind::OutOfSequence {
            expected,
            found: sequence,
        });
    }
    let record_run = record
        .get("run")
        .and_then(|r| r.get("name"))
        .and_then(Value::as_str);
    if record_run != Some(entry.run.as_str()) {
        return Err(BreakKind::RunMismatch {
            record_run: record_run.map(str::to_string),
        });
    }
    Ok(())
}

/// The record's field digests against the signed ones, naming the first field that differs.
fn check_fields(
    actual: &BTreeMap<String, String>,
    signed: &BTreeMap<String, String>,
) -> Result<(), BreakKind> {
    for (field, digest) in actual {
        match signed.get(field) {
            None => {
                return Err(BreakKind::FieldAdded {
                    field: field.clone(),
                });
            }
            Some(d) if d != digest => {
                return Err(BreakKind::FieldChanged {
                    field: field.clone(),
                });
            }
            Some(_) => {}
        }
    }
    match signed.keys().find(|f| !actual.contains_key(*f)) {
        Some(field) => Err(BreakKind::FieldRemoved {
            field: field.clone(),
        }),
        None => Ok(()),
    }
}

fn check_signature(
    entry: &ChainEntry,
    public_keys: &BTreeMap<String, String>,
) -> Result<(), BreakKind> {
    let key_id = entry.key_id.clone();
    let Some(key_hex) = public_keys.get(&key_id) else {
        return Err(BreakKind::UnknownKey { key_id });
    };
    let malformed = |what: String| BreakKind::Malformed { what };
    let key_bytes: [u8; 32] = hex::decode(key_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| malformed(format!("public key {key_id} is not 32 hex-encoded bytes")))?;
    let key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|e| malformed(format!("public key {key_id} is not an ed25519 key: {e}")))?;
    if super::chain::key_id(&key) != key_id {
        return Err(malformed(format!(
            "public key {key_id} is another key (its id is {})",
            super::chain::key_id(&key)
        )));
    }
    let signature: [u8; 64] = hex::decode(&entry.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| malformed("the signature is not 64 hex-encoded bytes".to_string()))?;
    key.verify(entry.hash.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| BreakKind::SignatureMismatch { key_id })
}
