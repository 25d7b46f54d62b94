//! `patchwarden evidence export`: a policy's chain as a bundle file an auditor verifies
//! offline with `patchwarden evidence verify --bundle`.

use std::process::ExitCode;

use anyhow::Context as _;
use patchwarden_api::evidence::verify_chain;

use super::ExportArgs;
use super::source::cluster_bundles;

/// Runs `patchwarden evidence export`.
pub fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let bundles = cluster_bundles(&args.cluster, Some(&args.policy))?;
    let Some(bundle) = bundles.into_iter().next() else {
        anyhow::bail!("policy {} has no evidence chain", args.policy);
    };
    let text = serde_json::to_string_pretty(&bundle)? + "\n";
    std::fs::write(&args.output, text)
        .with_context(|| format!("writing the bundle {}", args.output.display()))?;
    // Exported as stored; say whether it verifies so a broken chain is noticed at once.
    let state = match verify_chain(&bundle.entries, &bundle.public_keys) {
        Ok(summary) => format!(
            "verifies, head {}",
            summary.head.unwrap_or_else(|| "none".to_string())
        ),
        Err(broken) => format!("does NOT verify: {broken}"),
    };
    println!(
        "{}: exported {} links to {} ({state})",
        bundle.policy,
        bundle.entries.len(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
