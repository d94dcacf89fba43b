//! Splits the years into fixed chunks, runs them in parallel and merges their
//! tallies.
//!
//! Chunk boundaries depend only on the number of years, never on the number
//! of threads; each chunk draws from its own streams; tallies are integer
//! sums. So a scenario and seed give the same figures on 1 thread, 16
//! threads or 16 machines (`--shard`).

use crate::cause::Cause;
use crate::engine::EventQueue;
use crate::error::Error;
use crate::model;
use crate::scenario::Scenario;
use crate::stats::Tally;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Years per chunk. Each chunk is one continuous trajectory, started with
/// every component healthy and run through the warm-up first, then cut into
/// years. Chunks are the independent replications that intervals come
/// from, so a run needs many: 100 years each gives 20 in 2,000 years, for
/// a warm-up of a year or so costing about 1 %. The years beyond a
/// multiple of 100 go to the last chunk (a run of 150 years is one chunk),
/// so that no replication is a stub of a few years.
pub const CHUNK_YEARS: u64 = 100;

/// The `index`-th (1-based) of `count` disjoint slices of a run's years:
/// chunks of 100 years dealt round-robin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "[u64; 2]", try_from = "[u64; 2]")]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Shard `index` of `count`, if 1 ≤ index ≤ count.
    pub fn new(index: u64, count: u64) -> Option<Shard> {
        (1..=count).contains(&index).then_some(Shard { index, count })
    }

    /// Its 1-based index.
    pub fn index(self) -> u64 {
        self.index
    }

    /// The number of shards.
    pub fn count(self) -> u64 {
        self.count
    }

    /// (index − 1, count), as the runner deals chunks.
    pub(crate) fn zero_based(self) -> (u64, u64) {
        (self.index - 1, self.count)
    }

    /// The years it holds of a run of `years` years.
    pub fn years(self, years: u64) -> u64 {
        Slice { shard: self.zero_based(), ..Slice::all(years) }.years(years)
    }

    /// Checks that a run of `years` years can be split into its count of
    /// shards: one chunk at least each, so that every shard holds years.
    ///
    /// # Errors
    /// [`Error::Usage`] saying how many shards the run can be split into.
    pub fn check(self, years: u64) -> Result<(), Error> {
        let most = chunks(years);
        if self.count <= most && self.years(years) >= 2 {
            return Ok(());
        }
        let message = format!(
            "a {years}-year run splits into chunks of {CHUNK_YEARS} years, so into at most {most} shards (not {})",
            self.count
        );
        Err(Error::Usage { what: format!("--shard {self}"), message })
    }
}

impl From<Shard> for [u64; 2] {
    fn from(s: Shard) -> [u64; 2] {
        [s.index, s.count]
    }
}

impl TryFrom<[u64; 2]> for Shard {
    type Error = String;
    fn try_from([index, count]: [u64; 2]) -> std::result::Result<Shard, String> {
        Shard::new(index, count).ok_or_else(|| format!("shard {index}/{count} is not K/N with 1 <= K <= N"))
    }
}

impl FromStr for Shard {
    type Err = String;
    /// Parses `K/N`, e.g. `2/8`.
    fn from_str(text: &str) -> std::result::Result<Shard, String> {
        let bad = || format!("'{text}' is not of the form K/N with 1 <= K <= N (e.g. 2/8)");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (k, n) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        Shard::new(k, n).ok_or_else(bad)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

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
        Slice { first_chunk: 0, end_chunk: chunks(years), shard: (0, 1) }
    }

    /// Years in its chunks, of a run of `years` years.
    pub fn years(&self, years: u64) -> u64 {
        let (k, of) = self.shard;
        // Chunks c in [first, end) with c % of == k, all of 100 years but
        // the run's last, which holds the rest.
        let below = |n: u64| n / of + u64::from(n % of > k);
        let count = below(self.end_chunk) - below(self.first_chunk);
        let last = chunks(years) - 1;
        let holds_last = (self.first_chunk..self.end_chunk).contains(&last) && last % of == k;
        // The last chunk holds the rest, fewer than 100 years in a short
        // run: its years replace a whole chunk's, never going below zero.
        if holds_last { (count - 1) * CHUNK_YEARS + chunk_years(last, years) } else { count * CHUNK_YEARS }
    }

    /// Its chunks, lazily: memory does not depend on the number of years.
    /// Only its own chunks are visited, so a shard of a huge run with as
    /// many shards costs its own chunks, not the run's.
    fn chunks(&self) -> impl ParallelIterator<Item = u64> + '_ {
        let (k, of) = self.shard;
        // The first chunk from `first_chunk` on that is this shard's.
        let first = self.first_chunk + (k + of - self.first_chunk % of) % of;
        let count = if first < self.end_chunk { (self.end_chunk - 1 - first) / of + 1 } else { 0 };
        (0..count).into_par_iter().map(move |i| first + i * of)
    }
}

/// How a run reports and is stopped.
#[derive(Clone, Copy)]
pub struct Control<'a> {
    /// Called with the years done so far (fractional), from worker threads.
    pub progress: &'a (dyn Fn(f64) + Sync),
    /// Once set, every trajectory stops within [`crate::engine::TICK_EVENTS`]
    /// events, dropping the year it is in, and chunks not started are skipped.
    pub stop: Option<&'a AtomicBool>,
}

impl Control<'_> {
    fn stopped(&self) -> bool {
        self.stop.is_some_and(|s| s.load(Ordering::Relaxed))
    }
}

/// Progress is counted in millionths of a year, across chunks.
const PROGRESS_UNIT: f64 = 1e6;

/// Chunks in a run of `years` years: at least one.
pub fn chunks(years: u64) -> u64 {
    (years / CHUNK_YEARS).max(1)
}

/// Years in chunk `chunk` of a run of `years` years: the last holds the rest.
fn chunk_years(chunk: u64, years: u64) -> u64 {
    if chunk + 1 == chunks(years) { years - chunk * CHUNK_YEARS } else { CHUNK_YEARS }
}

/// An empty tally shaped for `scenario`'s causes.
pub fn empty_tally(scenario: &Scenario) -> Tally {
    Tally::new(Cause::all(scenario.named_causes().len()).count())
}

/// Simulates the chunks of `slice` of a run of `years` years on the current
/// rayon pool, reporting progress and stopping as `control` says.
pub fn simulate(scenario: &Scenario, years: u64, slice: Slice, control: Control) -> Tally {
    let done = AtomicU64::new(0);
    let empty = || empty_tally(scenario);
    slice
        .chunks()
        // Once stopped, chunks not started are not even visited.
        .take_any_while(|_| !control.stopped())
        .map_init(EventQueue::new, |queue, chunk| {
            queue.clear();
            // This chunk's progress so far, added to the run's as it grows.
            let mut reported = 0;
            let mut progress = |years_done: f64| {
                let now = (years_done * PROGRESS_UNIT) as u64;
                if now > reported {
                    let total = done.fetch_add(now - reported, Ordering::Relaxed) + now - reported;
                    reported = now;
                    (control.progress)(total as f64 / PROGRESS_UNIT);
                }
                !control.stopped()
            };
            model::trajectory(scenario, chunk, chunk_years(chunk, years), queue, &mut progress)
        })
        .fold(Pairs::default, Pairs::push)
        .map(|pairs| pairs.total(empty()))
        .reduce(empty, |mut a, b| {
            a.merge(&b);
            a
        })
}

/// Tallies merged in pairs of equal size, as a binary counter carries, in
/// groups of [`Pairs::GROUP`] that then join one total.
///
/// Merging costs a pass over both tallies' histogram bins. Folded into one
/// growing total, each trajectory pays for the total's bins, which
/// outnumber its own many times over a long run; in pairs, each merge is
/// between equals, and the total is touched once a group (20,000 years of
/// bench-bare: merging 3.4 % of the instructions one by one, 2.0 % in
/// groups of 4; 1.9 % in pairs all the way up, which held a tally per
/// level and took 1,000,000 years from 26 to 38 MB). Merging is exact and
/// independent of order, so the result is the same.
#[derive(Default)]
struct Pairs {
    /// Merged tallies of 1, 2, 4… trajectories, largest first.
    levels: Vec<(u64, Tally)>,
    /// The groups merged so far.
    total: Option<Tally>,
}

impl Pairs {
    /// Trajectories a group holds.
    const GROUP: u64 = 4;

    /// Adds one trajectory's tally.
    fn push(mut self, tally: Tally) -> Pairs {
        let (mut n, mut tally) = (1, tally);
        while self.levels.last().is_some_and(|(below, _)| *below == n) {
            let (below, mut merged) = self.levels.pop().expect("checked");
            merged.merge(&tally);
            (n, tally) = (below + n, merged);
        }
        if n < Self::GROUP {
            self.levels.push((n, tally));
        } else if let Some(total) = &mut self.total {
            total.merge(&tally);
        } else {
            self.total = Some(tally);
        }
        self
    }

    /// The tallies added, merged (`empty` if none was).
    fn total(self, empty: Tally) -> Tally {
        let mut tallies = self.total.into_iter().chain(self.levels.into_iter().map(|(_, tally)| tally));
        let mut total = tallies.next().unwrap_or(empty);
        for tally in tallies {
            total.merge(&tally);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The years of a slice add up to the run's, whatever the shard holding
    /// the last chunk, which holds the rest: more than 100 years, or fewer
    /// in a run shorter than a chunk.
    #[test]
    fn slices_count_their_years_with_an_uneven_last_chunk() {
        assert_eq!(Slice::all(250).years(250), 250);
        assert_eq!(Slice::all(40).years(40), 40);
        let shard = |k: u64| Slice { first_chunk: 0, end_chunk: chunks(350), shard: (k, 2) };
        // Chunks 0 and 2 (100 + 150 years), chunk 1 (100).
        assert_eq!((shard(0).years(350), shard(1).years(350)), (250, 100));
    }

    /// A slice visits exactly the chunks of its shard within its range,
    /// and no others: a shard of a run split a billion ways visits its own
    /// few at once.
    #[test]
    fn a_slice_visits_its_own_chunks_only() {
        for (first, end, of) in [(0, 10, 3), (4, 17, 5), (7, 8, 2), (5, 5, 1), (0, 3, 4)] {
            for k in 0..of {
                let slice = Slice { first_chunk: first, end_chunk: end, shard: (k, of) };
                let mut got: Vec<u64> = slice.chunks().collect();
                got.sort_unstable();
                let want: Vec<u64> = (first..end).filter(|c| c % of == k).collect();
                assert_eq!(got, want, "chunks {first}..{end}, shard {k} of {of}");
            }
        }
        let huge = Slice { first_chunk: 0, end_chunk: 1 << 60, shard: (12_345, 1 << 58) };
        let mine: Vec<u64> = huge.chunks().collect();
        assert_eq!(mine.len(), 4);
        assert!(mine.iter().all(|c| c % (1 << 58) == 12_345));
    }

    /// Trajectories' tallies merge in pairs of equal size, in groups of 4
    /// that join the total (seven make one group and 2 + 1), and their
    /// total is the one merged a trajectory at a time.
    #[test]
    fn tallies_merge_in_pairs_of_equal_size() {
        let text = crate::embedded::scenario("bench-bare").expect("bundled");
        let sc = Scenario::from_toml(text, "bench-bare", &[]).expect("valid");
        let trajectory = |chunk| model::trajectory(&sc, chunk, 1, &mut EventQueue::new(), &mut |_| true);
        for (count, levels, grouped) in [(3, &[2, 1][..], None), (5, &[1], Some(4)), (15, &[2, 1], Some(12))] {
            let pairs = (0..count).fold(Pairs::default(), |pairs, chunk| pairs.push(trajectory(chunk)));
            assert_eq!(pairs.levels.iter().map(|(n, _)| *n).collect::<Vec<_>>(), levels, "{count}");
            assert_eq!(pairs.total.as_ref().map(Tally::years), grouped, "{count}");
            let total = pairs.total(empty_tally(&sc));
            let mut one_by_one = empty_tally(&sc);
            (0..count).for_each(|chunk| one_by_one.merge(&trajectory(chunk)));
            assert_eq!(total.years(), count);
            assert!(total == one_by_one, "the same total");
        }
        assert!(Pairs::default().total(empty_tally(&sc)) == empty_tally(&sc));
    }
}
