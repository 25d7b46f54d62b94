//! One fleet size of `patchwarden bench assess`, measured in this process: load the feeds and
//! build the index, time one cold asset, generate the fleet from the real UBI 8 and UBI 9
//! inventories, and assess it on worker threads.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use patchwarden_core::advisory::RangeEvent;
use patchwarden_core::ecosystem::Ecosystem;
use patchwarden_core::finding::AssetContext;
use patchwarden_core::index::AdvisoryIndex;
use patchwarden_core::inventory::{InstalledPackage, Inventory};
use patchwarden_core::risk::{Criticality, Exposure};
use patchwarden_feeds::{FeedSource, load_feeds, read_inventory};
use serde::{Deserialize, Serialize};

use super::assess::AssessArgs;
use super::process::{peak_rss_mib, process_cpu_ms};
use super::split_mix::SplitMix;

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

/// How many times the cold single-asset assessment runs.
const COLD_RUNS: u32 = 200;

/// Measures a fleet of `assets` assets.
pub(super) fn measure_fleet(args: &AssessArgs, assets: usize) -> anyhow::Result<FleetRun> {
    let dir = &args.data_dir;
    let started = Instant::now();
    let index = load_index(dir)?;
    let load_ms = ms_since(started);

    let (_, ubi8) = read_inventory(
        &dir.join("inventories/ubi8-amd64-rpm-manifest-2019-05-01.json.gz"),
        None,
    )?;
    let (_, ubi9) = read_inventory(
        &dir.join("inventories/ubi9-amd64-rpm-manifest-2022-05-03.json.gz"),
        None,
    )?;
    let single_asset_cold_us = single_asset_cold_us(&index, &ubi9);

    let started = Instant::now();
    let images = [
        base_image(&index, "AlmaLinux:8", ubi8),
        base_image(&index, "AlmaLinux:9", ubi9),
    ];
    let threads = args.threads.max(1);
    let chunk = assets.div_ceil(threads).max(1);
    let fleet = generate_fleet(&images, assets, threads, chunk, args.variation);
    let generate_ms = ms_since(started);

    let started = Instant::now();
    let cpu_started = process_cpu_ms();
    let totals = assess_fleet(&index, &fleet, chunk);
    let assess_ms = ms_since(started);
    let assess_cpu_ms = process_cpu_ms() - cpu_started;
    Ok(FleetRun {
        assets,
        threads,
        load_ms,
        single_asset_cold_us,
        generate_ms,
        assess_ms,
        assess_cpu_ms,
        assets_per_second: assets as f64 / (assess_ms / 1000.0),
        packages: totals.iter().map(|t| t.packages).sum(),
        findings: totals.iter().map(|t| t.findings).sum(),
        kev_findings: totals.iter().map(|t| t.kev).sum(),
        distinct_triples: totals.iter().map(|t| t.distinct_triples).sum(),
        peak_rss_mib: peak_rss_mib(),
    })
}

fn ms_since(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

fn data(dir: &Path, relative: &str) -> String {
    dir.join(relative).display().to_string()
}

/// The complete AlmaLinux OSV database plus CISA KEV plus FIRST EPSS, indexed.
fn load_index(dir: &Path) -> anyhow::Result<AdvisoryIndex> {
    let sources = [
        FeedSource::new(data(dir, "osv/almalinux-osv-2026-08-21.jsonl.gz")),
        FeedSource::new(data(
            dir,
            "kev/known_exploited_vulnerabilities-2025.08.25.json.gz",
        )),
        FeedSource::new(data(dir, "epss/epss_scores-2025-04-15.csv.gz")),
    ];
    let loaded = load_feeds(&sources)?;
    Ok(AdvisoryIndex::build(loaded.feeds))
}

/// One UBI 9 asset assessed from scratch each time (no matcher memo), mean in µs.
fn single_asset_cold_us(index: &AdvisoryIndex, ubi9: &Inventory) -> f64 {
    let context = AssetContext {
        name: "ubi9".into(),
        ecosystem: Ecosystem::new("AlmaLinux:9"),
        criticality: Criticality::High,
        exposure: Exposure::Internet,
    };
    let cold = Instant::now();
    for _ in 0..COLD_RUNS {
        std::hint::black_box(index.assess(ubi9, &context));
    }
    cold.elapsed().as_secs_f64() * 1e6 / f64::from(COLD_RUNS)
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

/// Each package of `inventory` with its real version first, then every fixed version the
/// index's advisories name for it.
fn base_image(index: &AdvisoryIndex, ecosystem: &str, inventory: Inventory) -> BaseImage {
    let ecosystem = Ecosystem::new(ecosystem);
    let packages = inventory
        .packages
        .into_iter()
        .map(|package| {
            let versions = fixed_versions(index, &ecosystem, &package.name);
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

/// The distinct fixed versions the advisories name for one package, in the order found.
fn fixed_versions(index: &AdvisoryIndex, ecosystem: &Ecosystem, package: &str) -> Vec<String> {
    let mut versions: Vec<String> = Vec::new();
    for advisory in index.advisories() {
        for affected in &advisory.affected {
            if affected.ecosystem != *ecosystem || affected.package != *package {
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
    versions
}

/// `assets` assets alternating between the images; each package keeps its real version or,
/// with probability `variation`, takes one of its fixed versions.
fn generate_fleet(
    images: &[BaseImage; 2],
    assets: usize,
    threads: usize,
    chunk: usize,
    variation: f64,
) -> Vec<(Inventory, AssetContext)> {
    let criticalities = Criticality::ALL;
    let exposures = Exposure::ALL;
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
                if choices.len() > 1 && rng.chance(variation) {
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
    fleet
}

/// What one worker thread counted.
#[derive(Default)]
struct WorkerTotals {
    packages: u64,
    findings: u64,
    kev: u64,
    distinct_triples: usize,
}

/// Assesses the fleet in chunks of `chunk` assets, one thread and one matcher per chunk.
fn assess_fleet(
    index: &AdvisoryIndex,
    fleet: &[(Inventory, AssetContext)],
    chunk: usize,
) -> Vec<WorkerTotals> {
    std::thread::scope(|scope| {
        let workers: Vec<_> = fleet
            .chunks(chunk)
            .map(|part| scope.spawn(move || assess_part(index, part)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    })
}

fn assess_part(index: &AdvisoryIndex, part: &[(Inventory, AssetContext)]) -> WorkerTotals {
    let mut matcher = index.matcher();
    let mut totals = WorkerTotals::default();
    for (inventory, context) in part {
        let assessment = matcher.assess(inventory, context);
        totals.packages += assessment.packages as u64;
        totals.findings += assessment.summary.findings as u64;
        totals.kev += assessment.summary.kev as u64;
    }
    totals.distinct_triples = matcher.distinct_triples();
    totals
}
