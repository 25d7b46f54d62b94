//! Every target runs a few hundred inputs without a failure, so that the targets keep
//! compiling and working; and the harness does find a planted panic and a broken invariant.

use patchwarden_fuzz::runner::{Budget, Failure, RunConfig, execute, run};
use patchwarden_fuzz::target::{Target, Violation};
use patchwarden_fuzz::targets;

fn config(iterations: u64) -> RunConfig {
    RunConfig {
        budget: Budget::Iterations(iterations),
        seed: 42,
        max_len: 4096,
        extra_seeds: Vec::new(),
    }
}

#[test]
fn every_target_runs_its_seeds_and_mutations_without_failing() {
    let all = targets::all();
    assert!(all.len() >= 21, "{} targets", all.len());
    for target in all {
        assert!(!target.seeds.is_empty(), "{} has no seeds", target.name);
        let report = run(target, &config(300));
        assert_eq!(report.iterations, 300, "{}", target.name);
        let failures: Vec<String> = report
            .crashes
            .iter()
            .map(|crash| {
                format!(
                    "{}: {} on {:?}",
                    target.name,
                    crash.failure.describe(),
                    String::from_utf8_lossy(&crash.input)
                )
            })
            .collect();
        assert!(failures.is_empty(), "{failures:#?}");
    }
}

#[test]
fn target_names_are_unique_and_found() {
    let all = targets::all();
    for target in &all {
        let found = targets::find(target.name).expect("found by name");
        assert_eq!(found.name, target.name);
        assert_eq!(all.iter().filter(|t| t.name == target.name).count(), 1);
    }
    assert!(targets::find("no-such-target").is_none());
}

/// Panics on inputs holding `boom`; breaks an invariant on inputs holding `bad`.
fn planted(input: &[u8]) -> Result<(), Violation> {
    let text = String::from_utf8_lossy(input);
    if text.contains("boom") {
        panic!("planted panic");
    }
    if text.contains("bad") {
        return Err(Violation::new("planted", "bad input"));
    }
    Ok(())
}

const PLANTED: Target = Target {
    name: "planted",
    about: "a target with planted failures",
    seeds: &["a long seed without the words, padded so that minimizing has work to do"],
    dictionary: &["boom", "bad"],
    generate: None,
    check: planted,
};

#[test]
fn planted_failures_are_found_deduplicated_and_minimized() {
    let report = run(&PLANTED, &config(20_000));
    let mut found: Vec<(String, String)> = report
        .crashes
        .iter()
        .map(|crash| {
            (
                crash.failure.describe(),
                String::from_utf8_lossy(&crash.input).into_owned(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "invariant planted broken: bad input");
    assert_eq!(found[0].1, "bad");
    assert!(
        found[1].0.starts_with("panic: planted panic at "),
        "{found:?}"
    );
    assert_eq!(found[1].1, "boom");
}

#[test]
fn execute_reports_panics_and_passes_clean_inputs() {
    assert_eq!(execute(&PLANTED, b"fine"), None);
    assert!(
        matches!(execute(&PLANTED, b"xboomx"), Some(Failure::Panic(m)) if m.contains("planted panic"))
    );
    assert!(matches!(
        execute(&PLANTED, b"bad"),
        Some(Failure::Violation(_))
    ));
}
