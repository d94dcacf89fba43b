//! Splits the years into fixed chunks, runs them in parallel and merges their
//! tallies.
//!
//! Chunk boundaries depend only on the number of years, never on the number
//! of threads; each chunk draws from its own streams; tallies are integer
//! sums. So a scenario and seed give the same figures on 1 thread, 16
//! threads or 16 machines (`--shard`).

use crate::cause::Cause;
use crate::engine::EventQueue;
use crate::model::Deployment;
use crate::scenario::Scenario;
use crate::stats::Tally;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// Years per chunk. Each chunk is one continuous trajectory, started with
/// every component healthy and run through the warm-up first, then cut into
/// years; 1,000 years per warm-up keeps its cost under 0.1 %.
pub const CHUNK_YEARS: u64 = 1_000;

/// Which part of a run to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    /// First chunk (inclusive).
    pub first_chunk: u64,
    /// Last chunk (exclusive).
    pub end_chunk: u64,
    /// Only chunks `c` with `c % of == index` (a shard); (0, 1) for all.
    pub shard: (u64, u64),
}

impl Slice {
    /// Every chunk of a run of `years` years.
    pub fn all(years: u64) -> Slice {
        Slice { first_chunk: 0, end_chunk: years.div_ceil(CHUNK_YEARS), shard: (0, 1) }
    }

    fn chunks(&self) -> impl Iterator<Item = u64> + '_ {
        (self.first_chunk..self.end_chunk).filter(|c| c % self.shard.1 == self.shard.0)
    }
}

/// Years in chunk `chunk` of a run of `years` years.
fn chunk_years(chunk: u64, years: u64) -> u64 {
    CHUNK_YEARS.min(years - chunk * CHUNK_YEARS)
}

/// An empty tally shaped for `scenario`'s causes.
pub fn empty_tally(scenario: &Scenario) -> Tally {
    Tally::new(Cause::all(scenario.dependencies.len()).count())
}

/// Simulates one chunk of `scenario`, reusing `queue`'s allocation.
fn run_chunk(scenario: &Scenario, chunk: u64, years: u64, queue: &mut EventQueue<crate::model::Event>) -> Tally {
    queue.clear();
    Deployment::new(scenario, chunk, queue).run(years, queue)
}

/// Simulates the chunks of `slice` of a run of `years` years on the current
/// rayon pool, calling `progress` with the number of years done so far.
pub fn simulate(scenario: &Scenario, years: u64, slice: Slice, progress: &(dyn Fn(u64) + Sync)) -> Tally {
    let done = AtomicU64::new(0);
    let chunks: Vec<u64> = slice.chunks().collect();
    let empty = || empty_tally(scenario);
    chunks
        .par_iter()
        .map_init(EventQueue::new, |queue, &chunk| {
            let n = chunk_years(chunk, years);
            let tally = run_chunk(scenario, chunk, n, queue);
            progress(done.fetch_add(n, Ordering::Relaxed) + n);
            tally
        })
        .fold(empty, |mut acc, t| {
            acc.merge(&t);
            acc
        })
        .reduce(empty, |mut a, b| {
            a.merge(&b);
            a
        })
}
