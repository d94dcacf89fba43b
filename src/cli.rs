//! Command-line definitions (clap). Only argument parsing lives here; the
//! commands themselves are in `app`. Part of the binary, not the library.

use availsim::Shard;
use availsim::assertion::Assertion;
use availsim::sweep::Vary;
use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  availsim                                          compare the three reference designs
  availsim run scenarios/three-fd.toml              simulate one design
  availsim run three-fd --years 1000000 --format json
  availsim run three-fd --set load_balancer.health_check.interval=30s
  availsim compare single-instance three-fd six-in-one-fd --out output/compare
  availsim report single-instance three-fd          charts and index.html in output/single-instance-vs-three-fd
  availsim run three-fd --precision 0.01            run until the interval is ±1 %
  availsim run three-fd --shard 1/4 --out output/shard-1 (and 2/4, 3/4, 4/4),
                                                    then: availsim merge output/shard-{1,2,3,4}
  availsim sweep three-fd --vary repair.time=1m,10m --shard 2/4 --out output/sweep-2
                                                    (and 1/4, 3/4, 4/4), then: availsim merge output/sweep-*
  availsim run three-fd --assert 'request_availability.ci95_low >= 0.998'
                                                    exit 1 unless the design meets it
  availsim sweep three-fd --vary load_balancer.health_check.interval=5s,10s,30s,60s \\
      --assert 'request_availability.mean >= 0.998'  one run per value, gated
  availsim sweep three-fd --vary repair.time=1m..30m:5 --vary 'topology.instances_per_fd=[1,1,1],[2,2,2]'
  availsim sweep scenarios/sweeps/health-check-interval.toml   a standing sweep, gated
  availsim check scenarios/three-fd.toml            validate and show the resolved scenario

A SCENARIO is a path to a TOML file, or the name of a bundled one:
  single-instance, three-fd, three-fd-ha-db, two-region-active-active,
  two-region-active-passive, flash-sale, six-in-one-fd, no-health-checks,
  sessions-in-memory, unregistered-replacements, bench-bare";

/// availsim: what availability does a deployment design really buy?
#[derive(Parser, Debug)]
#[command(name = "availsim", version, about, after_help = EXAMPLES)]
pub struct Args {
    /// What to do; without one, compares the three reference designs.
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Args {
    /// The worker threads asked for, if any.
    pub fn threads(&self) -> Option<usize> {
        match &self.command {
            Some(
                Command::Run { options, .. }
                | Command::Compare { options, .. }
                | Command::Report { options, .. }
                | Command::Sweep { options, .. },
            ) => options.threads.map(usize::from),
            _ => None,
        }
    }
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate one scenario and report its availability.
    Run {
        /// Scenario file, or the name of a bundled scenario.
        scenario: String,
        /// Run options.
        #[command(flatten)]
        options: RunOptions,
        /// Run only the K-th of N disjoint slices of the years (e.g. 2/8), and
        /// write a mergeable result into --out (see `availsim merge`).
        #[arg(long, value_name = "K/N", requires = "out", conflicts_with_all = ["precision", "max_years"])]
        shard: Option<Shard>,
    },
    /// Simulate several scenarios on the same random numbers; the first is the baseline.
    Compare {
        /// Scenario files or bundled names.
        #[arg(required = true, num_args = 2..)]
        scenarios: Vec<String>,
        /// Run options.
        #[command(flatten)]
        options: RunOptions,
    },
    /// Simulate scenarios and write their report: one SVG per chart and an
    /// index.html that shows them with the summary table, readable offline.
    #[command(mut_arg("report", |a| a.hide(true)))]
    Report {
        /// Scenario files or bundled names; the first is the baseline.
        #[arg(required = true)]
        scenarios: Vec<String>,
        /// Run options (--out defaults to output/<name>-vs-<name>…, after every scenario).
        #[command(flatten)]
        options: RunOptions,
    },
    /// Run a scenario at every point of a grid of values, on common random
    /// numbers; write sweep.csv, sweep.json and sweep.svg into --out (default
    /// output/<name>-sweep, or output/<file> for a sweep file) and, with
    /// --assert, gate on every point.
    #[command(mut_arg("out", |a| {
        a.help("Where sweep.csv, sweep.json and sweep.svg go (with --shard, sweep-tally.json) [default: output/<name>-sweep, or output/<file> for a sweep file]")
    }))]
    #[command(mut_arg("report", |a| a.hide(true)))]
    Sweep {
        /// Scenario file or bundled name, or a sweep file (scenarios/sweeps/*.toml)
        /// that names the scenario, its --vary values, years, plot and assertions.
        scenario: String,
        /// A key any --set accepts and its values: a list (V1,V2,...), a
        /// range (A..B:STEPS) or a log range (log:A..B:STEPS); several
        /// --vary make a grid (added to a sweep file's).
        #[arg(long = "vary", value_name = "KEY=VALUES")]
        varies: Vec<Vary>,
        /// The figure sweep.svg plots against the first varied key: a key of
        /// the JSON contract, with its 95 % interval as a band if it has one
        /// [default: the sweep file's, else request_availability].
        #[arg(long, value_name = "KEY")]
        plot: Option<String>,
        /// Run options.
        #[command(flatten)]
        options: RunOptions,
        /// Run only the K-th of N disjoint slices of every point's years (e.g.
        /// 2/8) and write a mergeable sweep-tally.json into --out; `availsim
        /// merge` of all N writes the sweep's files and checks its assertions.
        #[arg(long, value_name = "K/N", requires = "out", conflicts_with_all = ["precision", "max_years"])]
        shard: Option<Shard>,
    },
    /// Validate a scenario and print it as the simulator understands it.
    Check {
        /// Scenario file, or the name of a bundled scenario.
        scenario: String,
        /// Override a scenario key, e.g. --set repair.time=10m (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        overrides: Vec<String>,
    },
    /// Combine the results of `run --shard` runs into the figures of the
    /// whole run, or those of `sweep --shard` runs into the whole sweep.
    Merge {
        /// Output directories of the shards (or their tally.json or sweep-tally.json files).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format on stdout.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Also write summary.json and downtime.csv into this directory; for a
        /// sweep, where its files go [default: where the sweep would write them].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// Options shared by `run` and `compare`.
#[derive(ClapArgs, Debug, Clone, Default)]
pub struct RunOptions {
    /// Simulated years (default: the scenario's simulation.years). With
    /// --precision the rounds decide, up to --max-years.
    /// At most 2^63 − 1 (a TOML integer).
    #[arg(long, conflicts_with = "precision", value_parser = clap::value_parser!(u64).range(2..=i64::MAX as u64))]
    pub years: Option<u64>,
    /// Master seed (default: the scenario's simulation.seed), 0 to
    /// 2^63 − 1.
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Worker threads, 1 to 512 (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub threads: Option<u16>,
    /// Override a scenario key, e.g. --set repair.time=10m (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write summary.json and downtime.csv into this directory (for
    /// compare and report, each scenario's into DIR/<name>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also write the charts and index.html into --out (default
    /// output/<name>-vs-<name>…), as `availsim report` does.
    #[arg(long)]
    pub report: bool,
    /// Run in rounds until the 95 % interval's half-width on time
    /// unavailability is at most this fraction of it (e.g. 0.01).
    #[arg(long, value_name = "REL", value_parser = fraction)]
    pub precision: Option<f64>,
    /// Check a figure of the JSON contract after the run, e.g.
    /// 'request_availability.mean >= 0.999' or
    /// 'slo.p_window_meets >= 0.95' (repeatable). Exit code 1 if any fails.
    #[arg(long = "assert", value_name = "EXPR")]
    pub assertions: Vec<Assertion>,
    /// Upper bound on years with --precision, at least 2 [default: 100000000].
    #[arg(
        long,
        value_name = "N",
        requires = "precision",
        conflicts_with = "years",
        value_parser = clap::value_parser!(u64).range(2..=i64::MAX as u64)
    )]
    pub max_years: Option<u64>,
}

impl RunOptions {
    /// The bound on a precision run's years.
    pub fn max_years(&self) -> u64 {
        self.max_years.unwrap_or(100_000_000)
    }
}

/// Parses a fraction strictly between 0 and 1.
fn fraction(text: &str) -> Result<f64, String> {
    let v: f64 = text.parse().map_err(|e| format!("{e}"))?;
    if v > 0.0 && v < 1.0 { Ok(v) } else { Err(format!("{v} is not a fraction between 0 and 1 (e.g. 0.01)")) }
}

/// Output formats.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// A human-readable table.
    #[default]
    Table,
    /// The JSON contract (see README).
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Args::command().debug_assert();
    }
}
