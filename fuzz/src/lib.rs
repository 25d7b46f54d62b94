//! Fuzz targets for every parser of patchwarden, on stable Rust.
//!
//! Each target feeds inputs to one parser: seeds mutated byte by byte, and, where the input
//! has a shape mutations rarely hit, inputs built by a structured generator from random bytes
//! (`arbitrary`). A parser must answer `Ok` or `Err` and never panic; where it is cheap, the
//! target also checks an invariant of the answer (a total order for version comparison,
//! parse-print-parse for selectors and durations). There is no coverage feedback: the loop is
//! bounded by time or iterations and reproducible from its seed.

pub mod mutate;
pub mod rng;
pub mod runner;
pub mod target;
pub mod targets;
