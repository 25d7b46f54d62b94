//! dpkg and rpm version comparisons per second on one core, on real versions from the shared
//! data folder, beside the previous implementation (kept verbatim in
//! `tests/version_reference`) measured over the same pairs in the same process. Each workload
//! is run several times, alternating which implementation goes first; the report gives the
//! median rate of each (comparisons per second of the benchmark thread's CPU time, so that
//! other work on a shared machine does not count) and checks that both order every pair the
//! same way.
//!
//! `cargo bench -p patchwarden-core --bench version_compare` (`BENCH_RUNS`, default 9, and
//! `BENCH_PAIRS`, default 1,000,000, change the run count and pairs per run). Agreement with
//! python3-apt and rpm on 1 M real pairs is measured by `patchwarden bench assess`.

use std::cmp::Ordering;
use std::hint::black_box;
use std::time::Instant;

use patchwarden_core::version::VersionScheme;
use version_reference::real_versions;

#[path = "../../tests/version_reference/mod.rs"]
mod version_reference;

type Compare = fn(&str, &str) -> Ordering;

fn main() {
    let runs = env_count("BENCH_RUNS", 9);
    let pairs = env_count("BENCH_PAIRS", 1_000_000);
    let dir = real_versions::data_dir();
    let dpkg = real_versions::dpkg_versions(&dir);
    let rpm = real_versions::rpm_versions(&dir);
    println!(
        "{} distinct dpkg and {} distinct rpm versions; {pairs} pairs, median of {runs} runs",
        dpkg.len(),
        rpm.len()
    );
    println!(
        "{:<6} {:<10} {:>12} {:>14} {:>7} {:>14}",
        "scheme", "pairs", "new M/s", "previous M/s", "speedup", "disagreements"
    );
    let dpkg_new: Compare = |a, b| VersionScheme::Dpkg.compare(a, b);
    let rpm_new: Compare = |a, b| VersionScheme::Rpm.compare(a, b);
    let workloads = [
        (
            "dpkg",
            "random",
            dpkg_new,
            version_reference::dpkg::compare as Compare,
            real_versions::random_pairs(&dpkg, pairs),
        ),
        (
            "dpkg",
            "neighbour",
            dpkg_new,
            version_reference::dpkg::compare,
            real_versions::neighbour_pairs(&dpkg, pairs),
        ),
        (
            "rpm",
            "random",
            rpm_new,
            version_reference::rpm::compare,
            real_versions::random_pairs(&rpm, pairs),
        ),
        (
            "rpm",
            "neighbour",
            rpm_new,
            version_reference::rpm::compare,
            real_versions::neighbour_pairs(&rpm, pairs),
        ),
    ];
    let mut all_agree = true;
    for (scheme, shape, new, previous, pairs) in &workloads {
        let disagreements = pairs
            .iter()
            .filter(|(a, b)| new(a, b) != previous(a, b))
            .count();
        all_agree &= disagreements == 0;
        let (new_rate, previous_rate) = median_rates(*new, *previous, pairs, runs);
        println!(
            "{scheme:<6} {shape:<10} {:>12.1} {:>14.1} {:>6.2}x {disagreements:>14}",
            new_rate / 1e6,
            previous_rate / 1e6,
            new_rate / previous_rate
        );
    }
    assert!(
        all_agree,
        "the new and the previous comparison disagree on some pairs"
    );
}

/// The median comparisons per second of each implementation over `runs` runs; the two take
/// turns going first so that neither always meets a warmer or a busier machine.
fn median_rates(
    new: Compare,
    previous: Compare,
    pairs: &[(&str, &str)],
    runs: usize,
) -> (f64, f64) {
    let (mut new_rates, mut previous_rates) = (Vec::new(), Vec::new());
    for run in 0..runs {
        if run % 2 == 0 {
            new_rates.push(rate(new, pairs));
            previous_rates.push(rate(previous, pairs));
        } else {
            previous_rates.push(rate(previous, pairs));
            new_rates.push(rate(new, pairs));
        }
    }
    (median(new_rates), median(previous_rates))
}

/// Comparisons per second of this thread's CPU time over all pairs, the results folded so
/// that none is optimised away. CPU time rather than wall time: on a machine whose cores are
/// shared, the time this thread waits for a core is not the comparison's.
fn rate(compare: Compare, pairs: &[(&str, &str)]) -> f64 {
    let started = Instant::now();
    let cpu_started = thread_cpu_seconds();
    let mut sum = 0i64;
    for (a, b) in pairs {
        sum += compare(black_box(a), black_box(b)) as i64;
    }
    black_box(sum);
    let seconds = match (cpu_started, thread_cpu_seconds()) {
        (Some(start), Some(end)) if end > start => end - start,
        _ => started.elapsed().as_secs_f64(),
    };
    pairs.len() as f64 / seconds
}

/// This thread's time on a CPU so far (Linux `schedstat`, nanoseconds).
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanos / 1e9)
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}
