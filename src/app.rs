//! The commands behind the command line: each loads its scenarios, calls
//! the library, prints and writes what the user asked for.

use crate::cli::{Args, Command, Format, RunOptions};
use crate::console::{interrupt, interrupted, note, out, progress_bar};
use anyhow::{Context, Result};
use availsim::assertion::{self, Assertion};
use availsim::error::Error;
use availsim::report::{self, Exporter, Json, Table};
use availsim::scenario::{Override, Scenario};
use availsim::shard::{SHARD_FILE, ShardFile};
use availsim::sweep::{self, Plan};
use availsim::{Length, Run, RunConfig, Shard};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Runs the command line; returns the process exit code.
pub fn main(args: Args) -> Result<ExitCode> {
    if let Some(
        Command::Run { options, .. }
        | Command::Compare { options, .. }
        | Command::Report { options, .. }
        | Command::Sweep { options, .. },
    ) = &args.command
        && let Some(n) = options.threads
    {
        // One pool for the whole process; the library runs on whatever pool it is called from.
        rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global()
            .context("starting worker threads")?;
    }
    let code = match args.command {
        None => {
            // The headline comparison, with its report.
            let options =
                RunOptions { out: Some(Path::new("output").join("headline")), report: true, ..RunOptions::default() };
            compare(&["single-instance", "three-fd", "three-fd-ha-db"].map(String::from), &options)
        }
        Some(Command::Run { scenario, options, shard }) => run(&scenario, &options, shard),
        Some(Command::Compare { scenarios, options }) => compare(&scenarios, &options),
        Some(Command::Report { scenarios, options }) => compare(&scenarios, &RunOptions { report: true, ..options }),
        Some(Command::Sweep { scenario, varies, plot, options }) => {
            let assertions = options.assertions.clone();
            sweep(&Plan::new(&scenario, varies, plot, options.years, assertions)?, &options)
        }
        Some(Command::Check { scenario, overrides }) => {
            out(load(&scenario, &overrides, None, None)?.to_string().as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Merge { paths, format, out }) => merge(&paths, format, out.as_deref()),
    }?;
    // Interrupted: what was completed is printed and written; the exit code says it is partial.
    Ok(interrupted().unwrap_or(code))
}

/// The exit code for an error: 2 for bad input or usage, 1 for anything else.
pub fn exit_code(error: &anyhow::Error) -> ExitCode {
    if let Some(code) = interrupted() {
        return code;
    }
    let usage = error.chain().any(|e| e.downcast_ref::<Error>().is_some_and(Error::is_usage));
    ExitCode::from(if usage { 2 } else { 1 })
}

/// Loads a scenario (a path or a bundled name) with `--set`, `--years` and
/// `--seed` applied as overrides, so they are checked like the file.
fn load(spec: &str, sets: &[String], years: Option<u64>, seed: Option<u64>) -> Result<Scenario> {
    Ok(Scenario::resolve(spec, &Override::from_options(sets, years, seed)?)?)
}

/// Loads every scenario of `specs` with the options' overrides.
fn load_all(specs: &[String], options: &RunOptions) -> Result<Vec<Scenario>> {
    specs.iter().map(|s| load(s, &options.overrides, options.years, options.seed)).collect()
}

/// Simulates `sc` with a progress bar; says on stderr how an interrupted
/// run or a precision target went.
fn simulate(sc: &Scenario, options: &RunOptions, shard: Option<Shard>) -> Result<Run> {
    // A precision run's length is known after its first round (1,000 years).
    let (length, total) = match options.precision {
        Some(relative) => (Length::Precision { relative, max_years: options.max_years }, options.max_years.min(1_000)),
        None => (Length::Scenario, sc.simulation.years),
    };
    let bar = progress_bar(total, &sc.name, options.quiet, options.precision.is_some());
    let progress = |done: f64| bar.set_position(done as u64);
    let expect = |years: u64| bar.set_length(years);
    let stop: &std::sync::atomic::AtomicBool = &interrupt().stop;
    let config = RunConfig { length, shard, progress: Some(&progress), stop: Some(stop), expect: Some(&expect) };
    let run = availsim::simulate(sc, &config);
    bar.finish_and_clear();
    let mut run = run?;
    run.info.provenance.command = std::env::args().collect();
    run.info.notes(run.results.years, options.max_years).iter().for_each(|n| note(n));
    Ok(run)
}

/// Simulates each scenario in turn; once interrupted, the ones not
/// started are skipped (the interrupted one reports its years done).
fn simulate_all(scenarios: &[Scenario], options: &RunOptions) -> Result<Vec<Run>> {
    let mut runs = vec![];
    for sc in scenarios {
        runs.push(simulate(sc, options, None)?);
        if interrupted().is_some() {
            break;
        }
    }
    Ok(runs)
}

/// Prints `runs` to stdout, before any file is written; callers write
/// their files whatever the outcome and report a failure after, so a
/// failed print never loses results.
fn print(runs: &[Run], format: Format) -> Result<()> {
    let exporter: &dyn Exporter = match format {
        Format::Table => &Table,
        Format::Json => &Json,
    };
    out(&exporter.serialize(runs)?)
}

fn run(spec: &str, options: &RunOptions, shard: Option<Shard>) -> Result<ExitCode> {
    let scenarios = load_all(&[spec.to_string()], options)?;
    assertion::validate_all(&options.assertions, &scenarios)?;
    check_out(options, &report_folder(&scenarios))?;
    let run = simulate(&scenarios[0], options, shard)?;
    let printed = print(std::slice::from_ref(&run), options.format);
    if let Some(dir) = &options.out {
        report::write_run(dir, &run)?;
        if let Some(shard) = shard {
            report::write_atomic(&dir.join(SHARD_FILE), &ShardFile::new(&scenarios[0], shard, &run).to_json())?;
        }
    }
    finish(&scenarios, &[run], printed, options)
}

fn compare(specs: &[String], options: &RunOptions) -> Result<ExitCode> {
    // Every scenario and assertion is checked before any is simulated: a
    // typo in the last one must not cost the whole run.
    let scenarios = load_all(specs, options)?;
    assertion::validate_all(&options.assertions, &scenarios)?;
    // A report goes to its default folder if none is given, the runs' files with it.
    let default = || options.report.then(|| Path::new("output").join(report_folder(&scenarios)));
    let options = &RunOptions { out: options.out.clone().or_else(default), ..options.clone() };
    if options.out.is_some() {
        report::check_distinct_names(specs, &scenarios)?;
    }
    check_out(options, &report_folder(&scenarios))?;
    let runs = simulate_all(&scenarios, options)?;
    let printed = print(&runs, options.format);
    if let Some(dir) = &options.out {
        runs.iter().try_for_each(|run| report::write_run(&dir.join(&run.results.scenario), run))?;
    }
    finish(&scenarios, &runs, printed, options)
}

fn sweep(plan: &Plan, options: &RunOptions) -> Result<ExitCode> {
    let base = load(&plan.scenario, &options.overrides, plan.years, options.seed)?;
    let points = plan.points(&base)?;
    let folder = plan.file.clone().unwrap_or_else(|| format!("{}-sweep", base.name));
    let dir = options.out.clone().unwrap_or_else(|| Path::new("output").join(folder));
    report::check_writable(&dir)?;
    let scenarios: Vec<Scenario> = points.iter().map(|(_, sc)| sc.clone()).collect();
    let runs = simulate_all(&scenarios, options)?;
    let points = &points[..runs.len()];
    let grid: Vec<sweep::Point> = points.iter().map(|(p, _)| p.clone()).collect();
    let printed = out(&match options.format {
        Format::Table => report::sweep_table(&grid, &runs).into_bytes(),
        Format::Json => sweep::json(points, &runs),
    });
    report::write_sweep(&dir, points, &runs, &plan.plot, &plan.assertions)?;
    note(&format!("wrote sweep.csv, sweep.json and sweep.svg ({} points) into {}", runs.len(), dir.display()));
    printed?;
    gate(&plan.assertions, &grid.iter().map(sweep::label).collect::<Vec<_>>(), &runs)
}

/// A report's default folder under `output/`: named after every scenario.
fn report_folder(scenarios: &[Scenario]) -> String {
    scenarios.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join("-vs-")
}

/// Checks before a run that --out (or the report's default directory) can be written.
fn check_out(options: &RunOptions, first: &str) -> Result<()> {
    match (&options.out, options.report) {
        (Some(dir), _) => Ok(report::check_writable(dir)?),
        (None, true) => Ok(report::check_writable(&Path::new("output").join(first))?),
        (None, false) => Ok(()),
    }
}

/// After the files: the report (with --report), then a failed print, then the gate.
fn finish(scenarios: &[Scenario], runs: &[Run], printed: Result<()>, options: &RunOptions) -> Result<ExitCode> {
    if options.report {
        let dir = options.out.clone().unwrap_or_else(|| Path::new("output").join(report_folder(scenarios)));
        let page = report::write_report(&dir, runs, scenarios)?;
        out(format!("\nReport: {}\n", page.display()).as_bytes())?;
    }
    printed?;
    gate(&options.assertions, &runs.iter().map(|r| r.results.scenario.clone()).collect::<Vec<_>>(), runs)
}

/// Says on stderr how each assertion fared at each labelled run; exit code 1 if any failed.
fn gate(assertions: &[Assertion], labels: &[String], runs: &[Run]) -> Result<ExitCode> {
    let results: Vec<_> = runs.iter().map(|r| &r.results).collect();
    let verdicts = assertion::gate(assertions, labels, &results)?;
    for v in &verdicts {
        let verdict = if v.check.holds { "holds" } else { "FAILED" };
        note(&format!("assert {}: {verdict} for {} ({})", v.assertion, v.label, v.check.actual));
    }
    let failed = verdicts.iter().filter(|v| !v.check.holds).count();
    if failed == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    note(&format!("{failed} of {} assertion checks failed", verdicts.len()));
    Ok(ExitCode::FAILURE)
}

fn merge(paths: &[PathBuf], format: Format, out_dir: Option<&Path>) -> Result<ExitCode> {
    let (_, mut run) = availsim::merge(paths)?;
    run.info.provenance.command = std::env::args().collect();
    run.info.notes(run.results.years, 0).iter().for_each(|n| note(n));
    let printed = print(std::slice::from_ref(&run), format);
    if let Some(dir) = out_dir {
        report::write_run(dir, &run)?;
    }
    printed?;
    Ok(ExitCode::SUCCESS)
}
