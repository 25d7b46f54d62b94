//! The evidence chain: each finished PatchRun of a policy leaves a signed record (what froze
//! it, what was approved and why, the window, the versions before and after, the
//! verification re-scan, the feed digests) chained by hash to the policy's previous one.
//!
//! Everything here is pure: canonical JSON, hashing, appending a link and verifying a chain.
//! The operator holds the signing key and stores the chain; an auditor verifies a bundle
//! offline with nothing but this module and the bundle's public keys.

mod approvals;
mod canonical;
mod chain;
mod record;
mod verify;

pub use approvals::{APPROVAL_REASONS_ANNOTATION, approval_reasons, reason_key};
pub use canonical::{canonical_json, digest};
pub use chain::{BUNDLE_FORMAT, Bundle, ChainEntry, EvidenceError, append, key_id};
pub use record::{FeedDigest, RecordFacts, run_record};
pub use verify::{BreakKind, ChainBreak, ChainSummary, verify_chain};

#[cfg(test)]
mod tests;
