//! `patchwarden bench assess`: the assessment engine at fleet scale, on real data.
//!
//! A fleet of N assets is made by varying the real UBI 8 and UBI 9 rpm inventories: each
//! package keeps its real version or, with probability `--variation`, takes one of the real
//! fixed versions that AlmaLinux advisories name for it. The fleet is assessed against the
//! complete AlmaLinux OSV database plus CISA KEV plus FIRST EPSS. Each N runs in its own
//! process so that its peak memory (`VmHWM`) is its own. Version comparisons per second are
//! measured for dpkg and rpm beside python3-apt's and rpm's own comparison of the same pairs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use patchwarden_core::advisory::RangeEvent;
use patchwarden_core::ecosystem::Ecosystem;
use patchwarden_core::finding::AssetContext;
use patchwarden_core::index::AdvisoryIndex;
use patchwarden_core::inventory::{InstalledPackage, Inventory};
use patchwarden_core::risk::{Criticality, Exposure};
use patchwarden_core::version::VersionScheme;
use patchwarden_feeds::{FeedSource, load_feeds, read_inventory, read_text};
use serde::{Deserialize, Serialize};

/// Arguments of `patchwarden bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub bench: Bench,
}

/// The benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum Bench {
    /// Fleet assessment and version comparison throughput.
    Assess(AssessArgs),
}

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

/// The measurements of one fleet size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FleetRun {
    /// Assets in the fleet.
    pub assets: usize,
    /// Worker threads.
    pub threads: usize,
    /// Reading and parsing the feeds, and building the index (ms).
    pub load_ms: f64,
    /// One UBI 9 asset assessed with a fresh matcher (no memo), mean over 200 runs (µs).
    pub single_asset_cold_us: f64,
    /// Making the fleet's inventories (ms).
    pub generate_ms: f64,
    /// Assessing every asset (ms): the number the targets are about.
    pub assess_ms: f64,
    /// CPU time the process spent during assessment (ms, all threads): on a shared machine
    /// this is the cost, whatever other processes did to the wall time.
    pub assess_cpu_ms: f64,
    /// Assets per second during assessment.
    pub assets_per_second: f64,
    /// Installed packages across the fleet.
    pub packages: u64,
    /// Distinct (ecosystem, package, version) triples evaluated (summed over threads).
    pub distinct_triples: usize,
    /// Findings across the fleet.
    pub findings: u64,
    /// Findings with a CVE in KEV.
    pub kev_findings: u64,
    /// Peak resident memory of the process (MiB), `VmHWM`.
    pub peak_rss_mib: f64,
}

/// One comparison throughput measurement.
#[derive(Debug, Clone, Serialize)]
pub struct ComparisonRun {
    /// `dpkg` or `rpm`.
    pub scheme: String,
    /// Pairs compared.
    pub pairs: usize,
    /// patchwarden's comparisons per second (one thread).
    pub patchwarden_per_second: f64,
    /// The reference implementation's comparisons per second, same pairs, same run.
    pub reference_per_second: Option<f64>,
    /// Which reference.
    pub reference: String,
    /// Pairs where the two disagree.
    pub disagreements: usize,
}

/// Runs `patchwarden bench`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.bench {
        Bench::Assess(args) => run_assess(args),
    }
}

fn run_assess(args: AssessArgs) -> anyhow::Result<ExitCode> {
    if let Some(assets) = args.single {
        let result = measure_fleet(&args, assets)?;
        println!("{}", serde_json::to_string(&result)?);
        return Ok(ExitCode::SUCCESS);
    }
    let exe = std::env::current_exe().context("locating the patchwarden executable")?;
    let mut fleets = Vec::new();
    for &assets in &args.assets {
        let output = Command::new(&exe)
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
        fleets.push(run);
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

/// A small deterministic generator (SplitMix64): the fleet is the same on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

fn data(dir: &Path, relative: &str) -> String {
    dir.join(relative).display().to_string()
}

/// User plus system CPU time of this process so far, in ms (`/proc/self/stat`, 100 Hz ticks).
fn process_cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name, which is in parentheses and may hold spaces.
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) * 10.0)
        })
        .unwrap_or(f64::NAN)
}

/// Peak resident memory from `/proc/self/status`, in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// One base image of the fleet: its ecosystem and, per package, the versions it may take.
struct BaseImage {
    ecosystem: Ecosystem,
    packages: Vec<Vec<Arc<InstalledPackage>>>,
}

impl BaseImage {
    /// The same image with its own copies of every string.
    fn deep_copy(&self) -> BaseImage {
        let copy = |p: &Arc<InstalledPackage>| {
            let own = |s: &Arc<str>| Arc::<str>::from(&**s);
            Arc::new(InstalledPackage {
                name: own(&p.name),
                version: own(&p.version),
                source: p.source.as_ref().map(own),
                source_version: p.source_version.as_ref().map(own),
                arch: p.arch.as_ref().map(own),
            })
        };
        BaseImage {
            ecosystem: self.ecosystem.clone(),
            packages: self
                .packages
                .iter()
                .map(|choices| choices.iter().map(copy).collect())
                .collect(),
        }
    }
}

fn base_image(index: &AdvisoryIndex, ecosystem: &str, inventory: Inventory) -> BaseImage {
    let ecosystem = Ecosystem::new(ecosystem);
    let packages = inventory
        .packages
        .into_iter()
        .map(|package| {
            let mut versions: Vec<String> = Vec::new();
            for advisory in index.advisories() {
                for affected in &advisory.affected {
                    if affected.ecosystem != ecosystem || affected.package != *package.name {
                        continue;
                    }
                    for range in &affected.ranges {
                        for event in &range.events {
                            if let RangeEvent::Fixed(v) = event
                                && !versions.contains(v)
                            {
                                versions.push(v.clone());
                            }
                        }
                    }
                }
            }
            let mut choices = vec![package.clone()];
            choices.extend(versions.into_iter().map(|v| {
                let mut variant = (*package).clone();
                variant.version = Arc::from(v.as_str());
                Arc::new(variant)
            }));
            choices
        })
        .collect();
    BaseImage {
        ecosystem,
        packages,
    }
}

fn measure_fleet(args: &AssessArgs, assets: usize) -> anyhow::Result<FleetRun> {
    let dir = &args.data_dir;
    let started = Instant::now();
    let sources = [
        FeedSource::new(data(dir, "osv/almalinux-osv-2026-08-21.jsonl.gz")),
        FeedSource::new(data(
            dir,
            "kev/known_exploited_vulnerabilities-2025.08.25.json.gz",
        )),
        FeedSource::new(data(dir, "epss/epss_scores-2025-04-15.csv.gz")),
    ];
    let loaded = load_feeds(&sources)?;
    let index = AdvisoryIndex::build(loaded.feeds);
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;

    let (_, ubi8) = read_inventory(
        &dir.join("inventories/ubi8-amd64-rpm-manifest-2019-05-01.json.gz"),
        None,
    )?;
    let (_, ubi9) = read_inventory(
        &dir.join("inventories/ubi9-amd64-rpm-manifest-2022-05-03.json.gz"),
        None,
    )?;
    let single_context = AssetContext {
        name: "ubi9".into(),
        ecosystem: Ecosystem::new("AlmaLinux:9"),
        criticality: Criticality::High,
        exposure: Exposure::Internet,
    };
    let cold = Instant::now();
    for _ in 0..200 {
        std::hint::black_box(index.assess(&ubi9, &single_context));
    }
    let single_asset_cold_us = cold.elapsed().as_secs_f64() * 1e6 / 200.0;
    let started = Instant::now();
    let images = [
        base_image(&index, "AlmaLinux:8", ubi8),
        base_image(&index, "AlmaLinux:9", ubi9),
    ];
    let criticalities = Criticality::ALL;
    let exposures = Exposure::ALL;
    let threads = args.threads.max(1);
    let chunk = assets.div_ceil(threads).max(1);
    // Each worker's assets share package records among themselves only, as assets whose
    // inventories were read separately would: no reference count is shared between threads.
    let per_thread_images: Vec<Vec<BaseImage>> = (0..threads)
        .map(|_| images.iter().map(BaseImage::deep_copy).collect())
        .collect();
    let mut fleet: Vec<(Inventory, AssetContext)> = Vec::with_capacity(assets);
    let mut rng = SplitMix(0x7061_7463_6877_6172);
    for i in 0..assets {
        let image = &per_thread_images[i / chunk][i % images.len()];
        let packages = image
            .packages
            .iter()
            .map(|choices| {
                if choices.len() > 1 && rng.chance(args.variation) {
                    choices[1 + rng.below(choices.len() - 1)].clone()
                } else {
                    choices[0].clone()
                }
            })
            .collect();
        fleet.push((
            Inventory { packages },
            AssetContext {
                name: format!("asset-{i:06}"),
                ecosystem: image.ecosystem.clone(),
                criticality: criticalities[rng.below(criticalities.len())],
                exposure: exposures[rng.below(exposures.len())],
            },
        ));
    }
    let generate_ms = started.elapsed().as_secs_f64() * 1000.0;

    let started = Instant::now();
    let cpu_started = process_cpu_ms();
    let index = &index;
    let totals: Vec<(u64, u64, u64, usize)> = std::thread::scope(|scope| {
        let workers: Vec<_> = fleet
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut matcher = index.matcher();
                    let (mut packages, mut findings, mut kev) = (0u64, 0u64, 0u64);
                    for (inventory, context) in part {
                        let assessment = matcher.assess(inventory, context);
                        packages += assessment.packages as u64;
                        findings += assessment.summary.findings as u64;
                        kev += assessment.summary.kev as u64;
                    }
                    (packages, findings, kev, matcher.distinct_triples())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let assess_ms = started.elapsed().as_secs_f64() * 1000.0;
    let assess_cpu_ms = process_cpu_ms() - cpu_started;
    let sum = |f: fn(&(u64, u64, u64, usize)) -> u64| totals.iter().map(f).sum::<u64>();
    Ok(FleetRun {
        assets,
        threads,
        load_ms,
        single_asset_cold_us,
        generate_ms,
        assess_ms,
        assess_cpu_ms,
        assets_per_second: assets as f64 / (assess_ms / 1000.0),
        packages: sum(|t| t.0),
        findings: sum(|t| t.1),
        kev_findings: sum(|t| t.2),
        distinct_triples: totals.iter().map(|t| t.3).sum(),
        peak_rss_mib: peak_rss_mib(),
    })
}

/// Real versions of each scheme: dpkg from the Debian host, the bookworm-security index and
/// the Debian vectors; rpm from AlmaLinux fixed versions and the UBI inventories.
fn real_versions(dir: &Path) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut dpkg = Vec::new();
    for file in [
        "inventories/debian12-host-dpkg-status-2026-11-28.gz",
        "debian/bookworm-security-main-amd64-Packages-2026-11-28.gz",
    ] {
        let text = read_text(&dir.join(file))?;
        dpkg.extend(
            text.lines()
                .filter_map(|l| l.strip_prefix("Version: "))
                .map(str::to_string),
        );
    }
    let vectors = read_text(&dir.join("versions/debian-versions-generated.txt.gz"))?;
    for line in vectors.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        if parts.len() == 3 {
            dpkg.push(parts[0].to_string());
            dpkg.push(parts[2].to_string());
        }
    }
    let osv = read_text(&dir.join("osv/almalinux-osv-2026-08-21.jsonl.gz"))?;
    let mut rpm: Vec<String> = Vec::new();
    for piece in osv.split("\"fixed\":\"").skip(1) {
        if let Some((version, _)) = piece.split_once('"') {
            rpm.push(version.to_string());
        }
    }
    for file in [
        "inventories/ubi8-amd64-rpm-manifest-2019-05-01.json.gz",
        "inventories/ubi9-amd64-rpm-manifest-2022-05-03.json.gz",
    ] {
        let (_, inventory) = read_inventory(&dir.join(file), None)?;
        rpm.extend(inventory.packages.iter().map(|p| p.version.to_string()));
    }
    dpkg.sort();
    dpkg.dedup();
    rpm.sort();
    rpm.dedup();
    Ok((dpkg, rpm))
}

fn measure_comparisons(args: &AssessArgs) -> anyhow::Result<Vec<ComparisonRun>> {
    let (dpkg, rpm) = real_versions(&args.data_dir)?;
    let mut out = Vec::new();
    for (scheme, versions) in [(VersionScheme::Dpkg, dpkg), (VersionScheme::Rpm, rpm)] {
        let mut rng = SplitMix(0x636f_6d70_6172_6531);
        let pairs: Vec<(&str, &str)> = (0..args.pairs)
            .map(|_| {
                (
                    versions[rng.below(versions.len())].as_str(),
                    versions[rng.below(versions.len())].as_str(),
                )
            })
            .collect();
        let started = Instant::now();
        let ours: Vec<i8> = pairs
            .iter()
            .map(|(a, b)| scheme.compare(a, b) as i8)
            .collect();
        let seconds = started.elapsed().as_secs_f64();
        let (reference, result) = match scheme {
            VersionScheme::Dpkg => (
                "python3-apt apt_pkg.version_compare",
                reference_compare(scheme, &pairs),
            ),
            _ => (
                "rpm.labelCompare (python3-rpm)",
                reference_compare(scheme, &pairs),
            ),
        };
        let (reference_per_second, disagreements) = match result {
            Ok((per_second, theirs)) => (
                Some(per_second),
                ours.iter().zip(&theirs).filter(|(a, b)| a != b).count(),
            ),
            Err(error) => {
                eprintln!("{scheme} reference unavailable: {error:#}");
                (None, 0)
            }
        };
        out.push(ComparisonRun {
            scheme: scheme.to_string(),
            pairs: pairs.len(),
            patchwarden_per_second: pairs.len() as f64 / seconds,
            reference_per_second,
            reference: reference.to_string(),
            disagreements,
        });
    }
    Ok(out)
}

/// Times the reference implementation over the same pairs inside one python process (the
/// clock covers only the comparison loop) and returns its rate and results.
fn reference_compare(
    scheme: VersionScheme,
    pairs: &[(&str, &str)],
) -> anyhow::Result<(f64, Vec<i8>)> {
    let dir = std::env::temp_dir().join(format!("patchwarden-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let input = dir.join("pairs.tsv");
    let result = (|| {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&input)?);
        for (a, b) in pairs {
            writeln!(file, "{a}\t{b}")?;
        }
        file.flush()?;
        drop(file);
        let script = match scheme {
            VersionScheme::Dpkg => concat!(
                "import sys, time, apt_pkg\napt_pkg.init_system()\n",
                "pairs = [l.rstrip('\\n').split('\\t') for l in open(sys.argv[1])]\n",
                "cmp = apt_pkg.version_compare\nt = time.perf_counter()\n",
                "out = [cmp(a, b) for a, b in pairs]\n",
                "dt = time.perf_counter() - t\n",
                "print(dt)\nprint('\\n'.join(str((r > 0) - (r < 0)) for r in out))\n"
            ),
            _ => concat!(
                "import sys, time, rpm\n",
                "def evr(s):\n    e, _, vr = s.rpartition(':') if ':' in s else ('0', '', s)\n",
                "    v, _, r = vr.rpartition('-') if '-' in vr else (vr, '', None)\n",
                "    return (e or '0', v, r)\n",
                "pairs = [tuple(evr(x) for x in l.rstrip('\\n').split('\\t')) for l in open(sys.argv[1])]\n",
                "cmp = rpm.labelCompare\nt = time.perf_counter()\n",
                "out = [cmp(a, b) for a, b in pairs]\n",
                "dt = time.perf_counter() - t\n",
                "print(dt)\nprint('\\n'.join(str(r) for r in out))\n"
            ),
        };
        let output = Command::new("/usr/bin/python3")
            .arg("-c")
            .arg(script)
            .arg(&input)
            .output()?;
        if !output.status.success() {
            anyhow::bail!("{}", String::from_utf8_lossy(&output.stderr));
        }
        let text = String::from_utf8(output.stdout)?;
        let mut lines = text.lines();
        let seconds: f64 = lines.next().context("no timing")?.trim().parse()?;
        let results: Vec<i8> = lines.map(|l| l.trim().parse()).collect::<Result<_, _>>()?;
        Ok((pairs.len() as f64 / seconds, results))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
