//! `patchwarden lab`: create and inspect the lab fleet (local dpkg roots patched by the real
//! apt-get and dpkg), and reduce the full Debian security delta to the lab's small data file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use patchwarden_lab::{Fault, FaultKind, Lab, LabDelta, LabSpec};

/// Arguments of `patchwarden lab`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: LabCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum LabCommand {
    /// Create a lab (or complete and reuse an existing one in the same directory).
    Create(CreateArgs),
    /// Show each host's packages: at the fixed version, not fully installed, reachable.
    Status(StatusArgs),
    /// Put hosts back to the baseline versions (all hosts unless some are named).
    Reset(ResetArgs),
    /// Write the reduced delta (chosen sources, CVE lines only) from the full host delta.
    ReduceDelta(ReduceArgs),
}

#[derive(Debug, clap::Args)]
pub struct ResetArgs {
    /// Lab directory.
    #[arg(long)]
    pub dir: PathBuf,
    /// Hosts to reset, comma-separated (default: every host).
    #[arg(long, value_delimiter = ',')]
    pub hosts: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Lab directory.
    #[arg(long)]
    pub dir: PathBuf,
    /// Number of hosts (`lab-01`, `lab-02`, ...).
    #[arg(long, default_value_t = 3)]
    pub hosts: usize,
    /// Security delta: the reduced lab delta or the full `debian12-host-security-delta-*.json.gz`
    /// (default: the reduced delta built into patchwarden).
    #[arg(long)]
    pub delta: Option<PathBuf>,
    /// dpkg status file supplying architectures and binary versions for a full delta.
    #[arg(long, requires = "delta")]
    pub dpkg_status: Option<PathBuf>,
    /// Source packages to mirror, comma-separated (default: a small set without the kernel).
    #[arg(long, value_delimiter = ',')]
    pub sources: Vec<String>,
    /// PACKAGE@HOST,...: the fixed version's postinst fails on that host.
    #[arg(long, default_value = "")]
    pub fail_postinst: String,
    /// PACKAGE@HOST,...: the host's health check fails once that package is upgraded.
    #[arg(long, default_value = "")]
    pub fail_health: String,
    /// PACKAGE@HOST,...: upgrading that package asks the host for a reboot.
    #[arg(long, default_value = "")]
    pub reboot_required: String,
    /// HOST,...: hosts that do not answer.
    #[arg(long, value_delimiter = ',')]
    pub unreachable: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Lab directory.
    #[arg(long)]
    pub dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ReduceArgs {
    /// The full host security delta (`.json` or `.json.gz`).
    #[arg(long)]
    pub delta: PathBuf,
    /// The host's dpkg status (plain or gzip), for architectures and binary versions.
    #[arg(long)]
    pub dpkg_status: PathBuf,
    /// Source packages to keep, comma-separated (default: the lab's default set).
    #[arg(long, value_delimiter = ',')]
    pub sources: Vec<String>,
    /// Output file.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `patchwarden lab`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        LabCommand::Create(a) => create(a),
        LabCommand::Status(a) => status(a),
        LabCommand::Reset(a) => reset(a),
        LabCommand::ReduceDelta(a) => reduce(a),
    }
}

fn default_sources(chosen: Vec<String>) -> Vec<String> {
    if chosen.is_empty() {
        patchwarden_lab::DEFAULT_SOURCES
            .iter()
            .map(|s| (*s).to_string())
            .collect()
    } else {
        chosen
    }
}

fn create(args: CreateArgs) -> anyhow::Result<ExitCode> {
    if args.hosts == 0 {
        anyhow::bail!("--hosts must be at least 1");
    }
    let delta = match &args.delta {
        Some(path) => LabDelta::load_with_status(path, args.dpkg_status.as_deref())?,
        None => LabDelta::embedded()?,
    };
    let mut faults = Vec::new();
    for (kind, list) in [
        (FaultKind::PostinstFail, &args.fail_postinst),
        (FaultKind::HealthBreak, &args.fail_health),
        (FaultKind::RebootRequired, &args.reboot_required),
    ] {
        faults.extend(Fault::parse_list(kind, list)?);
    }
    let spec = LabSpec {
        hosts: args.hosts,
        sources: default_sources(args.sources),
        faults,
        unreachable: args.unreachable,
    };
    let (lab, timings) = Lab::create(&args.dir, &delta, &spec)
        .with_context(|| format!("creating the lab in {}", args.dir.display()))?;
    println!(
        "lab {}: {} hosts, {} packages from {} sources ({})",
        lab.dir().display(),
        lab.host_names().len(),
        lab.packages().len(),
        spec.sources.len(),
        delta.origin
    );
    println!("  repository  {}", lab.repository().display());
    println!("  osv feed    {}", lab.osv_feed().display());
    for fault in lab.faults() {
        println!(
            "  fault       {} {} on {}",
            fault.kind.as_str(),
            fault.package,
            fault.host
        );
    }
    for host in &spec.unreachable {
        println!("  unreachable {host}");
    }
    println!(
        "  built in {:.2}s (repository {:.2}s, hosts {:.2}s, {} new)",
        timings.total.as_secs_f64(),
        timings.repository.as_secs_f64(),
        timings.hosts.as_secs_f64(),
        timings.hosts_populated
    );
    Ok(ExitCode::SUCCESS)
}

fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let lab = Lab::open(&args.dir)?;
    let total = lab.packages().len();
    println!(
        "{:<8} {:<11} {:>9} {:<7} NOT FULLY INSTALLED",
        "HOST", "REACHABLE", "FIXED", "REBOOT"
    );
    for host in lab.status()? {
        println!(
            "{:<8} {:<11} {:>9} {:<7} {}",
            host.host,
            if host.unreachable { "no" } else { "yes" },
            format!("{}/{}", host.at_candidate, total),
            if host.reboot_required { "yes" } else { "no" },
            if host.not_installed.is_empty() {
                "-".to_string()
            } else {
                host.not_installed.join(", ")
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn reset(args: ResetArgs) -> anyhow::Result<ExitCode> {
    let lab = Lab::open(&args.dir)?;
    let hosts = if args.hosts.is_empty() {
        lab.host_names().to_vec()
    } else {
        args.hosts
    };
    for host in &hosts {
        lab.reset_host(host)?;
        println!("{host}: reset to the baseline versions");
    }
    Ok(ExitCode::SUCCESS)
}

fn reduce(args: ReduceArgs) -> anyhow::Result<ExitCode> {
    let full = LabDelta::load_with_status(&args.delta, Some(&args.dpkg_status))?;
    let reduced = full
        .select(&default_sources(args.sources))?
        .with_cve_lines_only();
    let text = reduced.to_json()?;
    std::fs::write(&args.out, &text).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{}: {} sources, {} binaries, {} bytes",
        args.out.display(),
        reduced.sources.len(),
        reduced.binaries().count(),
        text.len()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly on unexpected errors
mod tests {
    use super::*;

    #[test]
    fn create_with_faults_then_reset() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("lab");
        let create = |fail_postinst: &str| {
            run(Args {
                command: LabCommand::Create(CreateArgs {
                    dir: dir.clone(),
                    hosts: 2,
                    delta: None,
                    dpkg_status: None,
                    sources: vec!["jq".into(), "openssl".into()],
                    fail_postinst: fail_postinst.into(),
                    fail_health: "libjq1@lab-01".into(),
                    reboot_required: String::new(),
                    unreachable: vec!["lab-02".into()],
                }),
            })
        };
        assert_eq!(create("openssl@lab-02").unwrap(), ExitCode::SUCCESS);
        let lab = Lab::open(&dir).unwrap();
        assert_eq!(lab.host_names(), ["lab-01", "lab-02"]);
        assert_eq!(lab.packages().len(), 5);
        assert_eq!(lab.faults().len(), 2);
        assert!(lab.unreachable_marker("lab-02").exists());
        let err = create("openssl@lab-07").unwrap_err();
        assert!(format!("{err:#}").contains("lab-07"), "{err:#}");
        run(Args {
            command: LabCommand::Reset(ResetArgs {
                dir: dir.clone(),
                hosts: vec![],
            }),
        })
        .unwrap();
        run(Args {
            command: LabCommand::Status(StatusArgs { dir }),
        })
        .unwrap();
    }
}
