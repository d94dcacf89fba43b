//! The library's entry point: [`simulate`] runs a checked scenario (all its
//! years, one shard of them, or rounds until a precision is reached) and
//! returns a typed [`Run`]: the figures, how they were obtained, and the
//! mergeable tally behind them. The command line, the tests, the benches and
//! the crate's example all go through it.

use crate::analysis::Results;
use crate::error::{Error, Result};
use crate::provenance::Provenance;
use crate::runner::{self, CHUNK_YEARS, Control, Shard, Slice};
use crate::scenario::Scenario;
use crate::stats::{MICROS, Tally, summary_interval};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// How long to run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Length {
    /// The scenario's `simulation.years`.
    Scenario,
    /// Exactly this many years.
    Years(u64),
    /// Rounds (1,000 years, then as many as the interval so far projects,
    /// at most doubling) until the 95 % interval's
    /// half-width on time unavailability is at most `relative` of it, or
    /// `max_years` is reached. The rounds use the year streams of a fixed
    /// run, so the figures equal those of a plain run of as many years.
    Precision {
        /// Target half-width, as a fraction of the unavailability, in (0, 1).
        relative: f64,
        /// Upper bound on the years simulated.
        max_years: u64,
    },
}

/// What to run, beyond the scenario itself.
#[derive(Clone, Copy)]
pub struct RunConfig<'a> {
    /// How many years.
    pub length: Length,
    /// Only this slice of the years' streams (for runs split over machines).
    pub shard: Option<Shard>,
    /// Called with the years done so far (fractional: slow years report
    /// their progress too), from worker threads.
    pub progress: Option<&'a (dyn Fn(f64) + Sync)>,
    /// Once set (by a signal handler, say), the run stops within a
    /// fraction of a second, each trajectory dropping the year it is in,
    /// and returns the whole years completed, marked partial.
    pub stop: Option<&'a AtomicBool>,
    /// With [`Length::Precision`]: called after each round with the years
    /// the run now expects to take in all, projected from the precision
    /// reached so far (an interval narrows as 1/√years).
    pub expect: Option<&'a (dyn Fn(u64) + Sync)>,
}

impl Default for RunConfig<'_> {
    fn default() -> Self {
        RunConfig { length: Length::Scenario, shard: None, progress: None, stop: None, expect: None }
    }
}

impl<'a> RunConfig<'a> {
    /// Runs exactly `years` years.
    pub fn years(years: u64) -> RunConfig<'a> {
        RunConfig { length: Length::Years(years), ..RunConfig::default() }
    }
}

/// How a run went: apart from the figures, which do not depend on it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunInfo {
    /// How the tally was obtained.
    #[serde(flatten)]
    pub source: Source,
    /// Wall-clock time [s].
    pub wall_seconds: f64,
    /// With [`Length::Precision`]: whether the target was reached, and the
    /// half-width achieved as a fraction of the unavailability (`None`
    /// while no downtime was seen).
    pub precision: Option<PrecisionReached>,
    /// Set when the run was stopped before its end: the figures cover only
    /// the years completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<Partial>,
    /// The build, scenario and settings the figures come from.
    pub provenance: Provenance,
}

/// A run stopped before its end.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Partial {
    /// Years completed (the figures' years).
    pub years_done: u64,
    /// Years asked for.
    pub years_requested: u64,
}

/// Where a tally came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Source {
    /// Simulated here.
    Simulated {
        /// Worker threads (the figures do not depend on it).
        threads: usize,
        /// The slice of the years simulated, if not all.
        shard: Option<Shard>,
        /// Simulated years per wall-clock second.
        years_per_second: f64,
    },
    /// Merged from shard results.
    Merged {
        /// Shards merged.
        shards: usize,
        /// Shards the run was split into.
        of: u64,
    },
}

/// The outcome of a [`Length::Precision`] run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PrecisionReached {
    /// The requested relative half-width.
    pub target: f64,
    /// The half-width achieved, relative to the unavailability.
    pub achieved: Option<f64>,
    /// Whether `achieved <= target`.
    pub reached: bool,
}

impl RunInfo {
    /// Whether it was merged from fewer shards than the run was split into.
    pub fn missing_shards(&self) -> bool {
        matches!(self.source, Source::Merged { shards, of } if (shards as u64) < of)
    }

    /// What a user should be told about how the run went, beside its
    /// figures: an interruption, a precision target reached or missed,
    /// shards missing from a merge.
    pub fn notes(&self, years: u64, max_years: u64) -> Vec<String> {
        let mut notes = vec![];
        if let Source::Merged { shards, of } = self.source
            && self.missing_shards()
        {
            notes.push(format!("warning: merging {shards} of {of} shards; the figures cover only their years"));
        }
        if let Some(p) = self.partial {
            notes.push(format!(
                "interrupted: {} of {} years completed; the figures below cover those only",
                p.years_done, p.years_requested
            ));
        }
        if let Some(p) = self.precision {
            let achieved = p.achieved.map_or("no downtime yet".to_string(), |a| format!("±{:.2} %", 100.0 * a));
            notes.push(if p.reached {
                format!("precision reached after {years} years: 95 % interval {achieved} of the unavailability")
            } else {
                format!(
                    "warning: precision ±{:.2} % not reached within --max-years {max_years}: {achieved}",
                    100.0 * p.target
                )
            });
        }
        notes
    }
}

/// A finished run: figures, how they were obtained, and the tally behind
/// them (which merges with other runs' of the same scenario).
#[derive(Clone, Debug)]
pub struct Run {
    /// The figures.
    pub results: Results,
    /// How they were obtained.
    pub info: RunInfo,
    /// The integer sums the figures come from.
    pub tally: Tally,
}

/// Simulates `scenario` as `config` says, on the current rayon pool.
///
/// # Errors
/// [`Error::TooFewYears`] when the run (or its shard) holds fewer than two
/// years, too few for a confidence interval.
pub fn simulate(scenario: &Scenario, config: &RunConfig) -> Result<Run> {
    let started = Instant::now();
    let progress = |years: f64| {
        if let Some(p) = config.progress {
            p(years)
        }
    };
    let control = Control { progress: &progress, stop: config.stop };
    let (tally, precision, requested) = match config.length {
        Length::Precision { relative, max_years } => {
            let expect = |years: u64| {
                if let Some(e) = config.expect {
                    e(years)
                }
            };
            let (tally, reached) = until_precise(scenario, relative, max_years, control, &expect);
            // Stopped before the target: short of what was asked.
            let requested = if reached.reached { 0 } else { max_years };
            (tally, Some(reached), requested)
        }
        Length::Scenario | Length::Years(_) => {
            let years = match config.length {
                Length::Years(y) => y,
                _ => scenario.simulation.years,
            };
            let mut slice = Slice::all(years);
            if let Some(shard) = config.shard {
                shard.check(years)?;
                slice.shard = shard.zero_based();
            }
            (runner::simulate(scenario, years, slice, control), None, slice.years(years))
        }
    };
    let stopped = config.stop.is_some_and(|s| s.load(Ordering::Relaxed));
    if tally.years() < 2 {
        return Err(if stopped {
            Error::Interrupted { years: tally.years() }
        } else {
            Error::TooFewYears { years: tally.years() }
        });
    }
    let partial = (stopped && tally.years() < requested)
        .then_some(Partial { years_done: tally.years(), years_requested: requested });
    let wall_seconds = started.elapsed().as_secs_f64();
    let source = Source::Simulated {
        threads: rayon::current_num_threads(),
        shard: config.shard,
        years_per_second: tally.years() as f64 / wall_seconds.max(1e-9),
    };
    Ok(Run {
        results: Results::new(scenario, &tally),
        info: RunInfo { source, wall_seconds, precision, partial, provenance: Provenance::of(scenario) },
        tally,
    })
}

/// Runs rounds of chunks ([`next_round_end`]) until the half-width
/// of the 95 % interval on time unavailability is at most `relative` of it.
fn until_precise(
    sc: &Scenario,
    relative: f64,
    max_years: u64,
    control: Control,
    expect: &dyn Fn(u64),
) -> (Tally, PrecisionReached) {
    let max_chunks = runner::chunks(max_years);
    let mut tally = runner::empty_tally(sc);
    let mut done = 0;
    let mut end = 10.min(max_chunks);
    loop {
        let slice = Slice { first_chunk: done, end_chunk: end, shard: (0, 1) };
        let before = tally.years() as f64;
        let progress = |d: f64| (control.progress)(before + d);
        tally.merge(&runner::simulate(sc, max_years, slice, Control { progress: &progress, ..control }));
        done = end;
        let down = &tally.year_down;
        let achieved = (down.n >= 2)
            .then(|| summary_interval(down, MICROS))
            .filter(|ci| ci.mean > 0.0)
            .map(|ci| ci.half_width() / ci.mean);
        let reached = achieved.is_some_and(|a| a <= relative);
        let stopped = control.stop.is_some_and(|s| s.load(Ordering::Relaxed));
        if reached || done >= max_chunks || stopped {
            return (tally, PrecisionReached { target: relative, achieved, reached });
        }
        end = next_round_end(done, achieved, relative, max_chunks);
        expect(projected_years(tally.years(), achieved, relative, max_years));
    }
}

/// Margin on a round's projected length: the interval so far is itself an
/// estimate, and a round that falls just short costs another round.
const ROUND_MARGIN: f64 = 1.1;

/// Where the next round ends [chunks], after `done` chunks reached
/// relative half-width `achieved`: where the target is projected to be
/// met (an interval narrows as 1/√years), with a margin, at least one
/// chunk on and at most double; double while nothing is known (no downtime
/// yet); at most `max_chunks`. So a run stops about a tenth past the
/// years it needs, where doubling overshot by half on average.
fn next_round_end(done: u64, achieved: Option<f64>, target: f64, max_chunks: u64) -> u64 {
    let doubled = done.saturating_mul(2);
    let end = match achieved {
        Some(a) => {
            let needed = done as f64 * (a / target).powi(2) * ROUND_MARGIN;
            (needed.ceil() as u64).clamp(done + 1, doubled.max(done + 1))
        }
        None => doubled,
    };
    end.min(max_chunks)
}

/// The years a precision run should take in all, from `years` done at
/// relative half-width `achieved`: the rounds [`next_round_end`] takes if
/// the interval keeps narrowing as 1/√years from there; at most
/// `max_years`. Unknown precision (no downtime yet) projects the next round.
fn projected_years(years: u64, achieved: Option<f64>, target: f64, max_years: u64) -> u64 {
    let max_chunks = runner::chunks(max_years);
    let mut done = runner::chunks(years);
    let Some(first) = achieved else {
        return (next_round_end(done, None, target, max_chunks) * CHUNK_YEARS).min(max_years);
    };
    let mut now = first;
    while now > target && done < max_chunks {
        let end = next_round_end(done, Some(now), target, max_chunks);
        now = first * (runner::chunks(years) as f64 / end as f64).sqrt();
        done = end;
    }
    if done >= max_chunks { max_years } else { done * CHUNK_YEARS }
}

/// A run of the analysis fixture, for the exporters' tests.
#[cfg(test)]
pub mod fixture {
    use super::*;
    use crate::analysis::fixture::{scenario, tally};

    /// The fixture as a finished run on 2 threads in 1.5 s.
    pub fn run() -> Run {
        let tally = tally();
        let info = RunInfo {
            source: Source::Simulated { threads: 2, shard: None, years_per_second: 4.0 / 1.5 },
            wall_seconds: 1.5,
            precision: None,
            partial: None,
            // Not the build's revision, which changes with every commit.
            provenance: Provenance { revision: Some("0123456789ab"), ..Provenance::of(&scenario()) },
        };
        Run { results: Results::new(&scenario(), &tally), info, tally }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rounds: as far as the interval so far projects, with a tenth
    /// more, at most doubling, at least one chunk on; doubling while
    /// nothing is known; within the most allowed.
    #[test]
    fn precision_rounds_end_where_the_interval_projects() {
        // 80 chunks at ±1.17 % for ±1 %: 80 × 1.17² × 1.1 = 120.5 → 121.
        assert_eq!(next_round_end(80, Some(0.0117), 0.01, 1_000_000), 121);
        assert_eq!(next_round_end(10, Some(0.04), 0.01, 1_000_000), 20, "at most doubling");
        assert_eq!(next_round_end(100, Some(0.0100001), 0.01, 1_000_000), 111);
        assert_eq!(next_round_end(100, Some(0.002), 0.01, 1_000_000), 101, "at least a chunk on");
        assert_eq!(next_round_end(10, None, 0.01, 1_000_000), 20);
        assert_eq!(next_round_end(10, Some(0.04), 0.01, 15), 15);
    }

    /// The projection follows the rounds: 1,000 years at ±2.9 % for a
    /// ±1 % target: rounds of 2,000, 4,000 (±1.45 %), then 4,000 × 1.45² ×
    /// 1.1 = 9,251, up to a whole chunk; capped by the most allowed; a
    /// target already reached projects no more.
    #[test]
    fn precision_runs_project_their_length_from_the_interval_so_far() {
        assert_eq!(projected_years(1_000, Some(0.029), 0.01, 100_000_000), 9_300);
        assert_eq!(projected_years(1_000, Some(0.02), 0.01, 100_000_000), 4_000, "met at a doubling");
        assert_eq!(projected_years(1_000, Some(0.04), 0.01, 5_000), 5_000);
        assert_eq!(projected_years(2_000, Some(0.009), 0.01, 100_000_000), 2_000);
        assert_eq!(projected_years(1_000, None, 0.01, 100_000_000), 2_000);
    }

    /// What the user is told: an interruption, a precision target, missing
    /// shards; nothing for a plain run.
    #[test]
    fn notes_say_how_the_run_went() {
        let plain = fixture::run().info;
        assert!(plain.notes(4, 10).is_empty());
        let partial = Some(Partial { years_done: 4, years_requested: 9 });
        let reached = Some(PrecisionReached { target: 0.01, achieved: Some(0.008), reached: true });
        let notes = RunInfo { partial, precision: reached, ..plain.clone() }.notes(4, 10);
        assert_eq!(
            notes,
            [
                "interrupted: 4 of 9 years completed; the figures below cover those only",
                "precision reached after 4 years: 95 % interval ±0.80 % of the unavailability"
            ]
        );
        let missed = Some(PrecisionReached { target: 0.01, achieved: None, reached: false });
        let notes = RunInfo { precision: missed, ..plain.clone() }.notes(4, 10);
        assert_eq!(notes, ["warning: precision ±1.00 % not reached within --max-years 10: no downtime yet"]);
        let merged = RunInfo { source: Source::Merged { shards: 2, of: 3 }, ..plain.clone() };
        assert_eq!(merged.notes(4, 0), ["warning: merging 2 of 3 shards; the figures cover only their years"]);
        let all = RunInfo { source: Source::Merged { shards: 3, of: 3 }, ..plain };
        assert!(all.notes(4, 0).is_empty());
    }
}
