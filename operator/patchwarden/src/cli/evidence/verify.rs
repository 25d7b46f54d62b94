//! `patchwarden evidence verify`: every link of each chain, with the chain's own public keys
//! or only the one given with `--public-key`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context as _;
use ed25519_dalek::VerifyingKey;
use patchwarden_api::evidence::{Bundle, key_id, verify_chain};

use super::VerifyArgs;
use super::source::{cluster_bundles, read_bundle};

/// Runs `patchwarden evidence verify`.
pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let bundles = match &args.bundle {
        Some(path) => vec![read_bundle(path)?],
        None => cluster_bundles(&args.cluster, args.policy.as_deref())?,
    };
    if bundles.is_empty() {
        anyhow::bail!("no evidence chains in namespace {}", args.cluster.namespace);
    }
    let pinned = args.public_key.as_deref().map(pinned_keys).transpose()?;
    let mut intact = true;
    for bundle in &bundles {
        if let Some(policy) = &args.policy
            && args.bundle.is_some()
            && !bundle.policy.ends_with(&format!("/{policy}"))
        {
            anyhow::bail!(
                "the bundle is the chain of {}, not of {policy}",
                bundle.policy
            );
        }
        let (ok, line) = verdict(bundle, pinned.as_ref());
        intact &= ok;
        println!("{line}");
    }
    Ok(if intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Whether `bundle` verifies, and the line that says so: its length and head hash, or the
/// link that broke and how.
pub fn verdict(bundle: &Bundle, pinned: Option<&BTreeMap<String, String>>) -> (bool, String) {
    let keys = pinned.unwrap_or(&bundle.public_keys);
    match verify_chain(&bundle.entries, keys) {
        Ok(summary) => {
            let signers: Vec<&str> = bundle.entries.iter().map(|e| e.key_id.as_str()).collect();
            let mut signers = signers;
            signers.sort_unstable();
            signers.dedup();
            (
                true,
                format!(
                    "{}: verified, chain length {}, head {}, signed by key {}",
                    bundle.policy,
                    summary.length,
                    summary.head.unwrap_or_else(|| "none".to_string()),
                    if signers.is_empty() {
                        "none".to_string()
                    } else {
                        signers.join(", ")
                    }
                ),
            )
        }
        Err(broken) => (false, format!("{}: BROKEN: {broken}", bundle.policy)),
    }
}

/// The one trusted key of `--public-key`, by its id.
fn pinned_keys(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let bytes: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .context("--public-key is not 32 hex-encoded bytes")?;
    let key = VerifyingKey::from_bytes(&bytes).context("--public-key is not an ed25519 key")?;
    Ok(BTreeMap::from([(key_id(&key), hex::encode(bytes))]))
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use patchwarden_api::evidence::{BUNDLE_FORMAT, append};
    use serde_json::json;

    use super::*;

    fn bundle(key: &SigningKey) -> Bundle {
        let first = append(&[], "r1", json!({"run": {"name": "r1"}}), key).expect("object");
        let second = append(
            std::slice::from_ref(&first),
            "r2",
            json!({"run": {"name": "r2"}}),
            key,
        )
        .expect("object");
        let public = key.verifying_key();
        Bundle {
            format: BUNDLE_FORMAT.into(),
            policy: "default/std".into(),
            public_keys: BTreeMap::from([(key_id(&public), hex::encode(public.as_bytes()))]),
            entries: vec![first, second],
        }
    }

    #[test]
    fn an_intact_chain_gives_its_length_head_and_signer() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let bundle = bundle(&key);
        let (ok, line) = verdict(&bundle, None);
        assert!(ok);
        let id = key_id(&key.verifying_key());
        assert_eq!(
            line,
            format!(
                "default/std: verified, chain length 2, head {}, signed by key {id}",
                bundle.entries[1].hash
            )
        );
    }

    #[test]
    fn a_pinned_key_refuses_a_chain_signed_by_another() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let other = SigningKey::from_bytes(&[6; 32]);
        let pinned = pinned_keys(&hex::encode(other.verifying_key().as_bytes())).expect("key");
        let (ok, line) = verdict(&bundle(&key), Some(&pinned));
        assert!(!ok);
        assert!(
            line.starts_with("default/std: BROKEN: link 1 (run r1): signed by key "),
            "{line}"
        );
        assert!(pinned_keys("abc").is_err());
    }
}
