//! The commands behind the command line: each loads its scenarios, calls
//! the library, prints and writes what the user asked for.

use crate::cli::{Args, Command, Format, RunOptions};
use crate::console::{interrupted, note, out, simulate_all};
use anyhow::{Context, Result};
use availsim::assertion::{self, Assertion};
use availsim::error::Error;
use availsim::report::{self, Exporter, Json, Table};
use availsim::scenario::{Override, Scenario};
use availsim::shard::{SWEEP_SHARD_FILE, ShardFile, SweepShardFile};
use availsim::sweep::{self, Finished, Plan};
use availsim::{Run, Shard};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Runs the command line; returns the process exit code.
pub fn main(args: Args) -> Result<ExitCode> {
    if let Some(n) = args.threads() {
        // One pool for the whole process; the library runs on whatever pool it is called from.
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global().context("starting worker threads")?;
    }
    let code = match args.command {
        None => {
            // The headline comparison, with its report.
            let options =
                RunOptions { out: Some(Path::new("output").join("headline")), report: true, ..RunOptions::default() };
            let headline = ["single-instance", "three-fd", "three-fd-ha-db"].map(String::from);
            simulate_specs(&headline, &options, None, true)
        }
        Some(Command::Run { scenario, options, shard }) => simulate_specs(&[scenario], &options, shard, false),
        Some(Command::Compare { scenarios, options }) => simulate_specs(&scenarios, &options, None, true),
        Some(Command::Report { scenarios, options }) => {
            simulate_specs(&scenarios, &RunOptions { report: true, ..options }, None, true)
        }
        Some(Command::Sweep { options: RunOptions { report: true, .. }, .. }) => Err(Error::Usage {
            what: "sweep --report".into(),
            message: "a sweep writes its own chart, sweep.svg; `availsim report --set …` reports one point".into(),
        }
        .into()),
        Some(Command::Sweep { scenario, varies, plot, options, shard }) => {
            let plan = Plan::new(&scenario, varies, plot, options.years, options.assertions.clone())?;
            sweep(&plan, &options, shard)
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

/// Loads a scenario (a path or a bundled name) with `--set`, `--years` and
/// `--seed` applied as overrides, so they are checked like the file.
fn load(spec: &str, sets: &[String], years: Option<u64>, seed: Option<u64>) -> Result<Scenario> {
    Ok(Scenario::resolve(spec, &Override::from_options(sets, years, seed)?)?)
}

/// Loads every scenario of `specs` with the options' overrides; an error
/// names the scenario when there are several.
fn load_all(specs: &[String], options: &RunOptions) -> Result<Vec<Scenario>> {
    let named = |s: &String, e: anyhow::Error| if specs.len() > 1 { e.context(format!("scenario '{s}'")) } else { e };
    specs.iter().map(|s| load(s, &options.overrides, options.years, options.seed).map_err(|e| named(s, e))).collect()
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

/// Simulates `specs` in turn, prints and writes their files (with
/// `nested`, as compare and report do, each run's into a folder of its
/// own), then the report and the gate.
fn simulate_specs(specs: &[String], options: &RunOptions, shard: Option<Shard>, nested: bool) -> Result<ExitCode> {
    // Every scenario and assertion is checked before any is simulated: a
    // typo in the last one must not cost the whole run.
    let scenarios = load_all(specs, options)?;
    assertion::validate_all(&options.assertions, &scenarios)?;
    // A shard the run cannot have is refused before any folder is made.
    scenarios.iter().try_for_each(|sc| shard.map_or(Ok(()), |s| s.check(sc.simulation.years)))?;
    let report_dir = options.out.clone().unwrap_or_else(|| Path::new("output").join(report::folder(&scenarios)));
    // A comparison's files go with its report when no --out is given.
    let files_dir = options.out.clone().or_else(|| (nested && options.report).then(|| report_dir.clone()));
    if let Some(dir) = &files_dir {
        report::check_distinct_names(specs, &scenarios)?;
        report::check_writable(dir)?;
    }
    if options.report {
        report::check_writable(&report_dir)?;
    }
    let runs = simulate_all(&scenarios, options, shard)?;
    let printed = print(&runs, options.format);
    // Every file is tried, and the gate run, before a failure is reported.
    let written = files_dir.as_deref().map_or(Ok(()), |dir| {
        report::write_runs(dir, &runs, nested)?;
        shard.map_or(Ok(()), |shard| ShardFile::new(&scenarios[0], shard, &runs[0]).write(dir))
    });
    let page = options.report.then(|| report::write_report(&report_dir, &runs, &scenarios)).transpose();
    let verdict =
        gate(&options.assertions, &runs.iter().map(|r| r.results.scenario.clone()).collect::<Vec<_>>(), &runs);
    printed?;
    written?;
    if let Some(page) = page? {
        // On stderr, as every note: stdout holds only the figures.
        note(&format!("Report: {}", page.display()));
    }
    verdict
}

fn sweep(plan: &Plan, options: &RunOptions, shard: Option<Shard>) -> Result<ExitCode> {
    let base = plan.base(&Override::from_options(&options.overrides, plan.years, options.seed)?)?;
    let points = plan.points(&base)?;
    plan.shadowed(&base).iter().for_each(|n| note(n));
    let folder = plan.folder(&base);
    let dir = options.out.clone().unwrap_or_else(|| Path::new("output").join(&folder));
    shard.map_or(Ok(()), |s| s.check(base.simulation.years))?;
    report::check_writable(&dir)?;
    let scenarios: Vec<Scenario> = points.iter().map(|(_, sc)| sc.clone()).collect();
    let runs = simulate_all(&scenarios, options, shard)?;
    let points = points[..runs.len()].to_vec();
    let sweep = Finished { points, runs, plot: plan.plot.clone(), assertions: plan.assertions.clone(), folder };
    let Some(shard) = shard else { return finish_sweep(&dir, &sweep, options.format) };
    let printed = print_sweep(&sweep, options.format);
    if interrupted().is_some() {
        note(&format!("interrupted: no {SWEEP_SHARD_FILE} written; run shard {shard} again"));
    } else {
        SweepShardFile::new(plan, &sweep.folder, &sweep.points, shard, &sweep.runs).write(&dir)?;
        note(&format!("wrote {SWEEP_SHARD_FILE} into {}: merge it with the other shards", dir.display()));
    }
    printed?;
    Ok(ExitCode::SUCCESS)
}

/// Prints a sweep to stdout as a table or JSON.
fn print_sweep(sweep: &Finished, format: Format) -> Result<()> {
    out(&match format {
        Format::Table => report::sweep_table(&sweep.grid(), &sweep.runs).into_bytes(),
        Format::Json => sweep::json(&sweep.points, &sweep.runs)?,
    })
}

/// Prints a finished sweep, writes its files into `dir` and gates it.
fn finish_sweep(dir: &Path, sweep: &Finished, format: Format) -> Result<ExitCode> {
    let printed = print_sweep(sweep, format);
    let written = report::write_sweep(dir, sweep);
    if written.is_ok() {
        let points = if sweep.runs.len() == 1 { "1 point".into() } else { format!("{} points", sweep.runs.len()) };
        note(&format!("wrote sweep.csv, sweep.json and sweep.svg ({points}) into {}", dir.display()));
    }
    // A file that could not be written is reported after the verdicts.
    let verdict = gate(&sweep.assertions, &sweep.grid().iter().map(sweep::label).collect::<Vec<_>>(), &sweep.runs);
    printed?;
    written?;
    verdict
}

/// Says on stderr how each assertion fared at each labelled run; exit code 1 if any failed.
fn gate(assertions: &[Assertion], labels: &[String], runs: &[Run]) -> Result<ExitCode> {
    let verdicts = assertion::gate(assertions, labels, &runs.iter().map(|r| &r.results).collect::<Vec<_>>())?;
    verdicts.iter().for_each(|v| note(&v.to_string()));
    let complete = runs.iter().all(|r| !r.info.missing_shards());
    Ok(assertion::failures(&verdicts, complete).map_or(ExitCode::SUCCESS, |failed| {
        note(&failed);
        ExitCode::FAILURE
    }))
}

fn merge(paths: &[PathBuf], format: Format, out_dir: Option<&Path>) -> Result<ExitCode> {
    if paths.first().is_some_and(|p| SweepShardFile::is_at(p)) {
        let mut sweep = availsim::shard::merge_sweep(paths)?;
        let command: Vec<String> = std::env::args().collect();
        sweep.runs.iter_mut().for_each(|run| run.info.provenance.command.clone_from(&command));
        // The points share their shards: one point's notes say it for all.
        sweep.runs[0].info.notes(sweep.runs[0].results.years, 0).iter().for_each(|n| note(n));
        let dir = out_dir.map_or_else(|| Path::new("output").join(&sweep.folder), Path::to_path_buf);
        availsim::shard::check_out(paths, &dir)?;
        return finish_sweep(&dir, &sweep, format);
    }
    out_dir.map_or(Ok(()), |dir| availsim::shard::check_out(paths, dir))?;
    let (_, mut run) = availsim::merge(paths)?;
    run.info.provenance.command = std::env::args().collect();
    run.info.notes(run.results.years, 0).iter().for_each(|n| note(n));
    let printed = print(std::slice::from_ref(&run), format);
    let written = out_dir.map_or(Ok(()), |dir| report::write_run(dir, &run));
    printed?;
    written?;
    Ok(ExitCode::SUCCESS)
}
