//! `patchwarden crds`: writes the CustomResourceDefinitions of the six kinds to `crds/` (one
//! file per kind), or checks that the files there are up to date.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Arguments of `patchwarden crds`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write to.
    #[arg(long, default_value = "crds")]
    pub dir: PathBuf,
    /// Only check that the files in the directory match; exit 1 when one differs or is missing.
    #[arg(long)]
    pub check: bool,
}

/// Runs `patchwarden crds`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let files = patchwarden_api::crds::files().context("rendering the CRDs as YAML")?;
    if args.check {
        let mut stale = Vec::new();
        for (name, text) in &files {
            let path = args.dir.join(name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path.display().to_string());
            }
        }
        if stale.is_empty() {
            println!(
                "{} CRDs in {} are up to date",
                files.len(),
                args.dir.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("out of date (run `patchwarden crds`): {}", stale.join(", "));
        return Ok(ExitCode::from(1));
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    for (name, text) in &files {
        let path = args.dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
