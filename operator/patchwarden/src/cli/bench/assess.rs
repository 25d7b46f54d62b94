//! `patchwarden bench assess`: the assessment engine at fleet scale, on real data.
//!
//! A fleet of N assets is made by varying the real UBI 8 and UBI 9 rpm inventories: each
//! package keeps its real version or, with probability `--variation`, takes one of the real
//! fixed versions that AlmaLinux advisories name for it. The fleet is assessed against the
//! complete AlmaLinux OSV database plus CISA KEV plus FIRST EPSS. Each N runs in its own
//! process so that its peak memory (`VmHWM`) is its own. Version comparisons per second are
//! measured for dpkg and rpm beside python3-apt's and rpm's own comparison of the same pairs.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::Context;

use super::comparisons::{ComparisonRun, measure_comparisons};
use super::fleet::{FleetRun, measure_fleet};

/// Arguments of `patchwarden bench assess`.
#[derive(Debug, clap::Args)]
pub struct AssessArgs {
    /// Fleet sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000usize, 10_000, 100_000])]
    pub assets: Vec<usize>,
    /// Worker threads for assessment.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Probability that a package of an asset takes another real advisory version.
    #[arg(long, default_value_t = 0.3)]
    pub variation: f64,
    /// The shared data folder (KEV, EPSS, OSV, inventories, version vectors).
    #[arg(long, default_value = "../shared/data")]
    pub data_dir: PathBuf,
    /// Version pairs per comparison throughput measurement.
    #[arg(long, default_value_t = 1_000_000)]
    pub pairs: usize,
    /// Skip the comparison throughput measurements.
    #[arg(long)]
    pub skip_comparisons: bool,
    /// Print one JSON document instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Internal: measure a single fleet size in this process and print it as JSON.
    #[arg(long, hide = true)]
    pub single: Option<usize>,
}

/// Runs `patchwarden bench assess`: each fleet size in a child process (or, with `--single`,
/// this one), then the comparison measurements, then the report.
pub(super) fn run(args: AssessArgs) -> anyhow::Result<ExitCode> {
    if let Some(assets) = args.single {
        let result = measure_fleet(&args, assets)?;
        println!("{}", serde_json::to_string(&result)?);
        return Ok(ExitCode::SUCCESS);
    }
    let exe = std::env::current_exe().context("locating the patchwarden executable")?;
    let mut fleets = Vec::new();
    for &assets in &args.assets {
        fleets.push(measure_in_child(&exe, &args, assets)?);
    }
    let comparisons = if args.skip_comparisons {
        Vec::new()
    } else {
        measure_comparisons(&args)?
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"fleets": fleets, "comparisons": comparisons})
            )?
        );
    } else {
        print!("{}", render(&fleets, &comparisons));
    }
    Ok(ExitCode::SUCCESS)
}

/// Measures one fleet size in a child process of this executable, so that its peak memory is
/// its own and not that of the largest fleet measured before it.
fn measure_in_child(exe: &Path, args: &AssessArgs, assets: usize) -> anyhow::Result<FleetRun> {
    let output = Command::new(exe)
        .args(["bench", "assess", "--single", &assets.to_string()])
        .arg("--threads")
        .arg(args.threads.to_string())
        .arg("--variation")
        .arg(args.variation.to_string())
        .arg("--data-dir")
        .arg(&args.data_dir)
        .output()
        .context("running a fleet measurement")?;
    if !output.status.success() {
        anyhow::bail!(
            "fleet of {assets} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let run: FleetRun =
        serde_json::from_slice(&output.stdout).context("reading a fleet measurement")?;
    if !args.json {
        eprintln!("measured {assets} assets");
    }
    Ok(run)
}

fn render(fleets: &[FleetRun], comparisons: &[ComparisonRun]) -> String {
    let mut out = String::from(
        "assets   threads  assess (wall)  (CPU)      assets/s    findings    KEV findings  distinct triples  peak RSS   (feeds+index load, one cold asset, fleet generation)\n",
    );
    for f in fleets {
        out.push_str(&format!(
            "{:<8} {:<8} {:>8.0} ms  {:>6.0} ms  {:>10.0}  {:>10}  {:>12}  {:>16}  {:>6.0} MiB  ({:.0} ms, {:.0} µs, {:.0} ms)\n",
            f.assets, f.threads, f.assess_ms, f.assess_cpu_ms, f.assets_per_second, f.findings, f.kev_findings, f.distinct_triples, f.peak_rss_mib, f.load_ms, f.single_asset_cold_us, f.generate_ms
        ));
    }
    if !comparisons.is_empty() {
        out.push_str("\nscheme  pairs      patchwarden/s   reference/s     reference                          disagreements\n");
        for c in comparisons {
            out.push_str(&format!(
                "{:<7} {:<10} {:>13.0}   {:>13}   {:<34} {}\n",
                c.scheme,
                c.pairs,
                c.patchwarden_per_second,
                c.reference_per_second
                    .map(|r| format!("{r:.0}"))
                    .unwrap_or_else(|| "n/a".into()),
                c.reference,
                c.disagreements
            ));
        }
    }
    out
}
