//! Benchmarks, one group per file, using only the public library API.
//! `cargo bench` runs them all; see the README's performance section.

use criterion::criterion_main;

mod engine;
mod simulation;
mod statistics;

criterion_main!(engine::benches, simulation::benches, statistics::benches);
