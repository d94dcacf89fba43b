//! The commands behind the command line: load scenarios, simulate, report.

use crate::analysis::Results;
use crate::cli::{Args, Command, Format, RunOptions};
use crate::error::Error;
use crate::report;
use crate::runner::{self, CHUNK_YEARS, Slice};
use crate::scenario::{Override, Scenario};
use crate::stats::Tally;
use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Exit code for bad usage or a bad scenario.
pub const EXIT_USAGE: u8 = 2;

/// Runs the command line; returns the process exit code.
pub fn main(args: Args) -> Result<ExitCode> {
    match args.command {
        None => {
            let names = ["single-instance", "three-fd"];
            compare(&names.map(String::from), &RunOptions::default())
        }
        Some(Command::Run { scenario, options, shard }) => run(&scenario, &options, shard.as_deref()),
        Some(Command::Compare { scenarios, options }) => compare(&scenarios, &options),
        Some(Command::Check { scenario, overrides }) => {
            let sc = load(&scenario, &overrides, &RunOptions::default())?;
            print!("{sc}");
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Merge { paths, format, out }) => merge(&paths, format, out.as_deref()),
    }
}

/// The exit code for an error: 2 for bad input, 1 for anything else.
pub fn exit_code(error: &anyhow::Error) -> ExitCode {
    let usage = error.chain().any(|e| {
        matches!(
            e.downcast_ref::<Error>(),
            Some(Error::Scenario { .. } | Error::Override { .. } | Error::Read { .. } | Error::Merge { .. })
        ) || e.downcast_ref::<UsageError>().is_some()
    });
    ExitCode::from(if usage { EXIT_USAGE } else { 1 })
}

/// A command-line value that is malformed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

/// Loads a scenario from a path or a bundled name, applying `--set`,
/// `--years` and `--seed` (as overrides, so they are checked like the file).
fn load(spec: &str, sets: &[String], options: &RunOptions) -> Result<Scenario> {
    let mut overrides = sets
        .iter()
        .map(|s| Override::parse(s).map_err(|m| Error::Override { option: format!("--set {s}"), message: m }))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(years) = options.years {
        overrides.push(Override::option("simulation.years", years, "--years"));
    }
    if let Some(seed) = options.seed {
        overrides.push(Override::option("simulation.seed", seed, "--seed"));
    }
    let path = Path::new(spec);
    if !path.exists()
        && let Some(text) = crate::embedded::scenario(spec)
    {
        return Ok(Scenario::from_toml(text, spec, &overrides)?);
    }
    Ok(Scenario::load(path, &overrides)?)
}

/// A progress bar on stderr that appears only once a run has taken a
/// second, and never when stderr is not a terminal or with --quiet.
fn progress_bar(total: u64, label: &str, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {human_pos}/{human_len} years · {elapsed} elapsed · eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(label.to_string());
    if !quiet && std::io::stderr().is_terminal() {
        let shown = bar.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            if !shown.is_finished() {
                shown.set_draw_target(ProgressDrawTarget::stderr());
            }
        });
    }
    bar
}

fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let n = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if n == 0 {
        return Err(UsageError("--threads must be at least 1".into()).into());
    }
    Ok(rayon::ThreadPoolBuilder::new().num_threads(n).build()?)
}

/// Simulates `sc`: all its years, a shard of them, or rounds until the
/// requested precision.
fn simulate(sc: &Scenario, options: &RunOptions, shard: Option<(u64, u64)>) -> Result<(Results, Tally)> {
    let pool = thread_pool(options.threads)?;
    let years = sc.simulation.years;
    let started = Instant::now();
    let tally = match options.precision {
        None => {
            let bar = progress_bar(years, &sc.name, options.quiet);
            let mut slice = Slice::all(years);
            if let Some(s) = shard {
                slice.shard = s;
            }
            let tally = pool.install(|| runner::simulate(sc, years, slice, &|done| bar.set_position(done)));
            bar.finish_and_clear();
            tally
        }
        Some(rel) => {
            if !(rel > 0.0 && rel < 1.0) {
                return Err(UsageError(format!("--precision must be a fraction between 0 and 1 (got {rel})")).into());
            }
            pool.install(|| until_precise(sc, rel, options.max_years, options.quiet))
        }
    };
    if tally.years() < 2 {
        bail!(UsageError(format!("only {} years fell in this shard: run more years or fewer shards", tally.years())));
    }
    let results = Results::new(sc, &tally, pool.current_num_threads(), started.elapsed().as_secs_f64());
    Ok((results, tally))
}

/// Runs rounds of chunks, doubling the years each time, until the half-width
/// of the 95 % interval on time unavailability is at most `rel` of it.
fn until_precise(sc: &Scenario, rel: f64, max_years: u64, quiet: bool) -> Tally {
    let max_chunks = max_years.div_ceil(CHUNK_YEARS).max(2);
    let bar = progress_bar(max_years, &sc.name, quiet);
    let mut tally = runner::empty_tally(sc);
    let mut done = 0;
    let mut end = 10.min(max_chunks);
    loop {
        let slice = Slice { first_chunk: done, end_chunk: end, shard: (0, 1) };
        let before = tally.years();
        tally.merge(&runner::simulate(sc, max_years, slice, &|d| bar.set_position(before + d)));
        done = end;
        let down = &tally.year_down;
        let ci = crate::stats::mean_interval(down.n, down.sum_secs(), down.sum_sq_secs());
        let mean = ci.mean;
        let reached = mean > 0.0 && ci.half_width() <= rel * mean;
        if reached || done >= max_chunks {
            bar.finish_and_clear();
            let achieved = if mean > 0.0 {
                format!("±{:.2} %", 100.0 * ci.half_width() / mean)
            } else {
                "no downtime yet".into()
            };
            if reached {
                eprintln!(
                    "precision reached after {} years: 95 % interval {achieved} of the unavailability",
                    tally.years()
                );
            } else {
                eprintln!(
                    "warning: precision ±{:.2} % not reached within --max-years {max_years}: {achieved}",
                    100.0 * rel
                );
            }
            break;
        }
        end = (done * 2).min(max_chunks);
    }
    tally
}

fn parse_shard(text: &str) -> Result<(u64, u64)> {
    let bad = || UsageError(format!("--shard '{text}' is not of the form K/N with 1 <= K <= N (e.g. 2/8)"));
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if k == 0 || k > n {
        return Err(bad().into());
    }
    Ok((k - 1, n))
}

fn run(spec: &str, options: &RunOptions, shard: Option<&str>) -> Result<ExitCode> {
    let shard = shard.map(parse_shard).transpose()?;
    let sc = load(spec, &options.overrides, options)?;
    let (results, tally) = simulate(&sc, options, shard)?;
    // Print first: a failed write must not lose results already computed.
    match options.format {
        Format::Table => print!("{}", report::summary_table(&results, &sc.description)),
        Format::Json => print!("{}", report::json_object(&results)),
    }
    if let Some(dir) = &options.out {
        report::write_run(dir, &results)?;
        if let Some((k, n)) = shard {
            let file = ShardFile {
                format: SHARD_FORMAT,
                scenario: sc.text.clone(),
                origin: sc.origin.clone(),
                years: sc.simulation.years,
                shard: [k + 1, n],
                tally,
            };
            let json = serde_json::to_string(&file).expect("tally serializes");
            report::write_atomic(&dir.join(SHARD_FILE), json.as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn compare(specs: &[String], options: &RunOptions) -> Result<ExitCode> {
    // Load every scenario before simulating any: a typo in the last one
    // must not cost the user the whole run.
    let scenarios = specs.iter().map(|s| load(s, &options.overrides, options)).collect::<Result<Vec<_>>>()?;
    let mut all = vec![];
    for sc in &scenarios {
        all.push(simulate(sc, options, None)?.0);
    }
    match options.format {
        Format::Table => print!("{}", report::comparison_table(&all)),
        Format::Json => print!("{}", report::json_array(&all)),
    }
    if let Some(dir) = &options.out {
        for r in &all {
            report::write_run(&dir.join(&r.scenario), r)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Name of the mergeable result file a shard writes.
const SHARD_FILE: &str = "tally.json";
/// Version of its layout.
const SHARD_FORMAT: u32 = 1;

/// What `run --shard` writes for `merge`: the exact scenario text and the
/// shard's integer tally, which merge by addition.
#[derive(serde::Serialize, serde::Deserialize)]
struct ShardFile {
    format: u32,
    scenario: String,
    origin: String,
    years: u64,
    shard: [u64; 2],
    tally: Tally,
}

fn merge(paths: &[PathBuf], format: Format, out: Option<&Path>) -> Result<ExitCode> {
    let started = Instant::now();
    let mut shards: Vec<(PathBuf, ShardFile)> = vec![];
    for p in paths {
        let file = if p.is_dir() { p.join(SHARD_FILE) } else { p.clone() };
        let merge_err = |message: String| Error::Merge { path: file.clone(), message };
        let text = std::fs::read_to_string(&file)
            .map_err(|e| merge_err(format!("{e} (is it the --out directory of a `run --shard`?)")))?;
        let shard: ShardFile =
            serde_json::from_str(&text).map_err(|e| merge_err(format!("not a shard result: {e}")))?;
        if shard.format != SHARD_FORMAT {
            return Err(merge_err(format!("result format {} is not {SHARD_FORMAT}", shard.format)).into());
        }
        if let Some((_, first)) = shards.first()
            && (first.scenario != shard.scenario || first.years != shard.years || first.shard[1] != shard.shard[1])
        {
            return Err(merge_err("its scenario, years or shard count differ from the first shard's".into()).into());
        }
        if shards.iter().any(|(_, s)| s.shard == shard.shard) {
            return Err(merge_err(format!("shard {}/{} is given twice", shard.shard[0], shard.shard[1])).into());
        }
        shards.push((file, shard));
    }
    let (_, first) = &shards[0];
    if shards.len() as u64 != first.shard[1] {
        eprintln!("warning: merging {} of {} shards; the figures cover only their years", shards.len(), first.shard[1]);
    }
    let sc = Scenario::from_toml(&first.scenario, &first.origin, &[])?;
    let mut tally = runner::empty_tally(&sc);
    for (path, s) in &shards {
        if !tally.same_shape(&s.tally) {
            let message = "its tally does not fit the scenario (written by another version?)".to_string();
            return Err(Error::Merge { path: path.clone(), message }.into());
        }
        tally.merge(&s.tally);
    }
    let results = Results::new(&sc, &tally, 0, started.elapsed().as_secs_f64());
    match format {
        Format::Table => print!("{}", report::summary_table(&results, &sc.description)),
        Format::Json => print!("{}", report::json_object(&results)),
    }
    if let Some(dir) = out {
        report::write_run(dir, &results)?;
    }
    Ok(ExitCode::SUCCESS)
}
