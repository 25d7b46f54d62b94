//! The bounded fuzz loop: inputs from seeds (mutated) and from the structured generator, each
//! fed to the target with panics caught; failures are deduplicated by their message and
//! minimized.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::time::{Duration, Instant};

use arbitrary::Unstructured;

use crate::mutate::mutate;
use crate::rng::Rng;
use crate::target::Target;

/// An input slower than this is reported: it would stall the operator the same way.
pub const SLOW_INPUT: Duration = Duration::from_secs(2);

/// How long a run goes on.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    /// Until this much time has passed.
    Time(Duration),
    /// For this many inputs.
    Iterations(u64),
}

/// How to run one target.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub budget: Budget,
    /// The generator's seed: a run is reproducible from it.
    pub seed: u64,
    /// The longest input generated.
    pub max_len: usize,
    /// Seeds beyond the target's own (files given on the command line).
    pub extra_seeds: Vec<Vec<u8>>,
}

/// Why an input failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The parser panicked; the message with its location.
    Panic(String),
    /// The parser answered, but an invariant broke.
    Violation(String),
    /// One call took longer than [`SLOW_INPUT`].
    Slow(Duration),
}

impl Failure {
    /// A one-line description; also the key inputs are deduplicated by.
    pub fn describe(&self) -> String {
        match self {
            Failure::Panic(message) => format!("panic: {message}"),
            Failure::Violation(message) => message.clone(),
            Failure::Slow(took) => format!("slow input: {:.1} s", took.as_secs_f64()),
        }
    }
}

/// A failing input, minimized.
#[derive(Debug, Clone)]
pub struct Crash {
    pub failure: Failure,
    pub input: Vec<u8>,
}

/// The outcome of one run.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub target: &'static str,
    pub iterations: u64,
    pub elapsed: Duration,
    /// One per distinct failure.
    pub crashes: Vec<Crash>,
}

impl RunReport {
    /// Inputs per second.
    pub fn rate(&self) -> f64 {
        self.iterations as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

thread_local! {
    /// Set while a target runs on this thread: its panics are recorded, not printed.
    static CAPTURED: RefCell<Option<String>> = const { RefCell::new(None) };
    static CAPTURING: RefCell<bool> = const { RefCell::new(false) };
}

/// Installs (once) a panic hook that records panics of fuzzed calls and leaves every other
/// panic to the previous hook.
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(|c| *c.borrow()) {
                let location = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let payload = info.payload();
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic".to_string());
                CAPTURED.with(|c| *c.borrow_mut() = Some(format!("{message} at {location}")));
            } else {
                previous(info);
            }
        }));
    });
}

/// Feeds one input to the target: `None` when it passed.
pub fn execute(target: &Target, input: &[u8]) -> Option<Failure> {
    install_panic_hook();
    CAPTURING.with(|c| *c.borrow_mut() = true);
    let started = Instant::now();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| (target.check)(input)));
    let took = started.elapsed();
    CAPTURING.with(|c| *c.borrow_mut() = false);
    match outcome {
        Ok(Ok(())) if took > SLOW_INPUT => Some(Failure::Slow(took)),
        Ok(Ok(())) => None,
        Ok(Err(violation)) => Some(Failure::Violation(violation.to_string())),
        Err(_) => Some(Failure::Panic(
            CAPTURED
                .with(|c| c.borrow_mut().take())
                .unwrap_or_else(|| "panic without message".to_string()),
        )),
    }
}

/// The next input: a mutated seed mostly, a generated input (sometimes mutated) otherwise.
fn next_input(target: &Target, seeds: &[Vec<u8>], rng: &mut Rng, max_len: usize) -> Vec<u8> {
    let empty = Vec::new();
    if let Some(generate) = target.generate
        && rng.one_in(2)
    {
        let len = 16 + rng.below(1024);
        let raw = rng.bytes(len);
        let generated = generate(&mut Unstructured::new(&raw)).unwrap_or_default();
        if rng.one_in(4) {
            let other = rng.pick(seeds).unwrap_or(&empty);
            return mutate(&generated, target.dictionary, other, rng, max_len);
        }
        generated.into_iter().take(max_len).collect()
    } else {
        let base = rng.pick(seeds).unwrap_or(&empty).clone();
        let other = rng.pick(seeds).unwrap_or(&empty).clone();
        mutate(&base, target.dictionary, &other, rng, max_len)
    }
}

/// Runs one target within the budget.
pub fn run(target: &Target, config: &RunConfig) -> RunReport {
    let mut seeds: Vec<Vec<u8>> = target.seeds.iter().map(|s| s.as_bytes().to_vec()).collect();
    seeds.extend(config.extra_seeds.iter().cloned());
    let mut rng = Rng::new(config.seed);
    let mut crashes: Vec<Crash> = Vec::new();
    let started = Instant::now();
    let mut iterations = 0u64;
    // Seeds run unchanged first: a seed that fails is a failure of the parser, too.
    let mut pending: Vec<Vec<u8>> = seeds.iter().rev().cloned().collect();
    loop {
        let done = match config.budget {
            Budget::Time(limit) => started.elapsed() >= limit,
            Budget::Iterations(limit) => iterations >= limit,
        };
        if done {
            break;
        }
        let input = pending
            .pop()
            .unwrap_or_else(|| next_input(target, &seeds, &mut rng, config.max_len));
        iterations += 1;
        if let Some(failure) = execute(target, &input) {
            record(target, &mut crashes, failure, input);
        }
    }
    RunReport {
        target: target.name,
        iterations,
        elapsed: started.elapsed(),
        crashes,
    }
}

/// Keeps the first input of each distinct failure, minimized.
fn record(target: &Target, crashes: &mut Vec<Crash>, failure: Failure, input: Vec<u8>) {
    let key = failure_key(&failure);
    if crashes.iter().any(|c| failure_key(&c.failure) == key) {
        return;
    }
    let input = if matches!(failure, Failure::Slow(_)) {
        input
    } else {
        minimize(target, &failure, input)
    };
    crashes.push(Crash { failure, input });
}

/// What makes two failures the same: the panic location, or the invariant broken.
fn failure_key(failure: &Failure) -> String {
    match failure {
        Failure::Panic(message) => message
            .rsplit_once(" at ")
            .map_or(message.clone(), |(_, at)| at.to_string()),
        Failure::Violation(message) => message.split(':').next().unwrap_or("").to_string(),
        Failure::Slow(_) => "slow".to_string(),
    }
}

/// Removes chunks of the input while it fails the same way (bounded work).
pub fn minimize(target: &Target, failure: &Failure, mut input: Vec<u8>) -> Vec<u8> {
    let key = failure_key(failure);
    let same =
        |candidate: &[u8]| execute(target, candidate).is_some_and(|f| failure_key(&f) == key);
    let mut attempts = 0;
    let mut chunk = input.len().div_ceil(2).max(1);
    while chunk >= 1 && attempts < 4000 {
        let mut start = 0;
        while start < input.len() && attempts < 4000 {
            let end = (start + chunk).min(input.len());
            let mut candidate = input.clone();
            candidate.drain(start..end);
            attempts += 1;
            if same(&candidate) {
                input = candidate;
            } else {
                start += chunk;
            }
        }
        if chunk == 1 {
            break;
        }
        chunk /= 2;
    }
    input
}
