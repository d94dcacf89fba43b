//! The commands behind the command line: load scenarios, simulate through
//! the library, print and write what the user asked for.

use crate::cli::{Args, Command, Format, RunOptions};
use anyhow::{Context, Result};
use availsim::assertion::Assertion;
use availsim::error::Error;
use availsim::report::{self, Exporter, Json, Table};
use availsim::scenario::{Override, Scenario};
use availsim::shard::{SHARD_FILE, ShardFile};
use availsim::sweep::Vary;
use availsim::{Length, Run, RunConfig, Shard};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Set by the first SIGINT or SIGTERM: runs stop at the end of the year
/// they are in and report the years done; a second signal ends at once.
struct Interrupt {
    stop: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

static INTERRUPT: OnceLock<Interrupt> = OnceLock::new();

/// Installs the handlers (once).
fn interrupt() -> &'static Interrupt {
    INTERRUPT.get_or_init(|| {
        let (stop, signal) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
        #[cfg(unix)]
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // Registered first, so it sees the flag as the previous signal left it.
            let _ = signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&stop));
            let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
            let _ = signal_hook::flag::register_usize(sig, Arc::clone(&signal), sig as usize);
        }
        Interrupt { stop, signal }
    })
}

/// Writes to stderr; a closed or full stderr loses the message, never the run.
macro_rules! note {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Whether stdout's reader has gone (`| head`): further output is dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout. A closed pipe ends output quietly, as for other Unix
/// tools; any other failure (a full disk) is an error, which callers
/// report after writing the files asked for, so no result is lost.
fn out(bytes: &[u8]) -> Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other.context("writing to stdout"),
    }
}

/// The exit code for an interrupted run (128 + the signal), if it was.
fn interrupted() -> Option<ExitCode> {
    let i = interrupt();
    i.stop.load(Ordering::Relaxed).then(|| ExitCode::from(128 + i.signal.load(Ordering::Relaxed).clamp(1, 127) as u8))
}

/// Exit code for bad usage or a bad scenario.
const EXIT_USAGE: u8 = 2;

/// Runs the command line; returns the process exit code.
pub fn main(args: Args) -> Result<ExitCode> {
    let threads = match &args.command {
        Some(Command::Run { options, .. } | Command::Compare { options, .. } | Command::Sweep { options, .. }) => {
            options.threads
        }
        _ => None,
    };
    // One pool for the whole process; the library runs on whatever pool it is called from.
    if let Some(n) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global()
            .context("starting worker threads")?;
    }
    let code = match args.command {
        None => {
            // The headline comparison, with its report.
            let names = ["single-instance", "three-fd"];
            let options =
                RunOptions { out: Some(Path::new("output").join("headline")), report: true, ..RunOptions::default() };
            compare(&names.map(String::from), &options)
        }
        Some(Command::Run { scenario, options, shard }) => run(&scenario, &options, shard),
        Some(Command::Compare { scenarios, options }) => compare(&scenarios, &options),
        Some(Command::Report { scenarios, options }) => compare(&scenarios, &RunOptions { report: true, ..options }),
        Some(Command::Sweep { scenario, varies, plot, options }) => {
            sweep(SweepSpec::new(&scenario, varies, plot, options)?)
        }
        Some(Command::Check { scenario, overrides }) => {
            let sc = load(&scenario, &overrides, &RunOptions::default())?;
            out(sc.to_string().as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Merge { paths, format, out }) => merge(&paths, format, out.as_deref()),
    }?;
    // Interrupted: what was completed is printed and written; the exit code says it is partial.
    Ok(interrupted().unwrap_or(code))
}

/// The exit code for an error: 2 for bad input, 1 for anything else.
pub fn exit_code(error: &anyhow::Error) -> ExitCode {
    if let Some(code) = interrupted() {
        return code;
    }
    let usage = error.chain().any(|e| {
        matches!(
            e.downcast_ref::<Error>(),
            Some(
                Error::Scenario { .. }
                    | Error::Problems { .. }
                    | Error::Override { .. }
                    | Error::Read { .. }
                    | Error::Merge { .. }
                    | Error::TooFewYears { .. }
                    | Error::Assertion { .. }
            )
        )
    });
    ExitCode::from(if usage { EXIT_USAGE } else { 1 })
}

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
        && let Some(text) = availsim::embedded::scenario(spec)
    {
        return Ok(Scenario::from_toml(text, spec, &overrides)?);
    }
    Ok(Scenario::load(path, &overrides)?)
}

/// A progress bar on stderr that appears only once a run has taken a
/// second, and never when stderr is not a terminal or with --quiet. A run
/// still going after a second also says on stderr (terminal or not) how
/// long it should take in all.
fn progress_bar(total: u64, label: &str, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {human_pos}/{human_len} years · {elapsed} elapsed · eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(label.to_string());
    if !quiet {
        let (shown, label) = (bar.clone(), label.to_string());
        let started = Instant::now();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            if shown.is_finished() {
                return;
            }
            let (done, elapsed) = (shown.position(), started.elapsed().as_secs_f64());
            let estimate = if done > 0 {
                let rate = done as f64 / elapsed;
                format!(
                    "{label}: about {} in all for {total} years ({rate:.0} years/s)",
                    indicatif::HumanDuration(Duration::from_secs_f64(total as f64 / rate))
                )
            } else {
                format!("{label}: under a year simulated in the first second; {total} years will take long")
            };
            let _ = writeln!(std::io::stderr(), "{estimate}");
            if std::io::stderr().is_terminal() {
                shown.set_draw_target(ProgressDrawTarget::stderr());
            }
        });
    }
    bar
}

/// Simulates `sc` as the options say, with a progress bar; reports on
/// stderr how a precision target went.
fn simulate(sc: &Scenario, options: &RunOptions, shard: Option<Shard>) -> Result<Run> {
    let length = match options.precision {
        Some(relative) => Length::Precision { relative, max_years: options.max_years },
        None => Length::Scenario,
    };
    let total = match length {
        Length::Precision { max_years, .. } => max_years,
        _ => sc.simulation.years,
    };
    let bar = progress_bar(total, &sc.name, options.quiet);
    let progress = |done: f64| bar.set_position(done as u64);
    let stop = &interrupt().stop;
    let config = RunConfig { length, shard, progress: Some(&progress), stop: Some(stop) };
    let run = availsim::simulate(sc, &config);
    bar.finish_and_clear();
    let run = run?;
    if let Some(p) = run.info.partial {
        let _ = writeln!(
            std::io::stderr(),
            "interrupted: {} of {} years completed; the figures below cover those only",
            p.years_done,
            p.years_requested
        );
    }
    if let Some(p) = run.info.precision {
        let achieved = p.achieved.map_or("no downtime yet".to_string(), |a| format!("±{:.2} %", 100.0 * a));
        if p.reached {
            note!(
                "precision reached after {} years: 95 % interval {achieved} of the unavailability",
                run.results.years
            );
        } else {
            note!(
                "warning: precision ±{:.2} % not reached within --max-years {}: {achieved}",
                100.0 * p.target,
                options.max_years
            );
        }
    }
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

/// The exporter for `format` on stdout.
fn exporter(format: Format) -> &'static dyn Exporter {
    match format {
        Format::Table => &Table,
        Format::Json => &Json,
    }
}

/// Prints `runs` to stdout. Done before any file is written; callers
/// write their files whatever the outcome and report a failure after, so
/// a failed print never loses results.
fn print(runs: &[Run], format: Format) -> Result<()> {
    out(&exporter(format).serialize(runs))
}

fn run(spec: &str, options: &RunOptions, shard: Option<Shard>) -> Result<ExitCode> {
    let sc = load(spec, &options.overrides, options)?;
    validate_assertions(std::slice::from_ref(&sc), &options.assertions)?;
    check_out(options, &sc.name)?;
    let run = simulate(&sc, options, shard)?;
    let printed = print(std::slice::from_ref(&run), options.format);
    if let Some(dir) = &options.out {
        report::write_run(dir, &run)?;
        if let Some(shard) = shard {
            report::write_atomic(&dir.join(SHARD_FILE), &ShardFile::new(&sc, shard, &run).to_json())?;
        }
    }
    write_report(std::slice::from_ref(&run), std::slice::from_ref(&sc), options)?;
    printed?;
    check_assertions(std::slice::from_ref(&run.results.scenario), std::slice::from_ref(&run), &options.assertions)
}

fn compare(specs: &[String], options: &RunOptions) -> Result<ExitCode> {
    // Load every scenario, and check every assertion's key, before
    // simulating any: a typo in the last one must not cost the whole run.
    let scenarios = specs.iter().map(|s| load(s, &options.overrides, options)).collect::<Result<Vec<_>>>()?;
    validate_assertions(&scenarios, &options.assertions)?;
    // Each scenario writes into DIR/<name>/: two of one name would overwrite each other.
    if options.out.is_some()
        && let Some((i, sc)) =
            scenarios.iter().enumerate().find(|(i, sc)| scenarios[..*i].iter().any(|o| o.name == sc.name))
    {
        let message = format!(
            "'{}' and an earlier scenario are both named '{}': each writes into --out/<name>, so one would overwrite the other; rename one",
            specs[i], sc.name
        );
        return Err(Error::Override { option: "--out".into(), message }.into());
    }
    check_out(options, &scenarios[0].name)?;
    let runs = simulate_all(&scenarios, options)?;
    let printed = print(&runs, options.format);
    if let Some(dir) = &options.out {
        for run in &runs {
            report::write_run(&dir.join(&run.results.scenario), run)?;
        }
    }
    write_report(&runs, &scenarios, options)?;
    printed?;
    let labels: Vec<String> = runs.iter().map(|r| r.results.scenario.clone()).collect();
    check_assertions(&labels, &runs, &options.assertions)
}

/// What a sweep runs: the command line's settings, merged with a sweep
/// file's when the scenario given is one.
struct SweepSpec {
    scenario: String,
    varies: Vec<Vary>,
    plot: String,
    options: RunOptions,
}

impl SweepSpec {
    /// The file's settings come first; the command line adds to them
    /// (--vary, --assert) or overrides them (--years, --plot).
    fn new(scenario: &str, mut varies: Vec<Vary>, mut plot: Option<String>, mut options: RunOptions) -> Result<Self> {
        let mut scenario = scenario.to_string();
        let path = Path::new(&scenario);
        if let Some(file) = availsim::sweep::SweepFile::read(path)? {
            let bad = |what: &str, value: &str, message| Error::Override {
                option: format!("{what} = \"{value}\" in {}", path.display()),
                message,
            };
            let parsed = |v: &String| v.parse::<Vary>().map_err(|m| bad("vary", v, m));
            varies = file.vary.iter().map(parsed).chain(varies.into_iter().map(Ok)).collect::<Result<_, _>>()?;
            let asserted = |a: &String| a.parse::<Assertion>().map_err(|m| bad("assert", a, m));
            let mut assertions = file.assert.iter().map(asserted).collect::<Result<Vec<_>, _>>()?;
            assertions.append(&mut options.assertions);
            options.assertions = assertions;
            options.years = options.years.or(file.years);
            plot = plot.or(file.plot);
            let beside = path.parent().unwrap_or(Path::new(".")).join(&file.scenario);
            scenario = if beside.exists() { beside.display().to_string() } else { file.scenario };
        }
        if varies.is_empty() {
            let message = "nothing varies: give --vary KEY=VALUES (or a sweep file)".to_string();
            return Err(Error::Override { option: "sweep".into(), message }.into());
        }
        let plot = plot.unwrap_or_else(|| "request_availability".into());
        Ok(SweepSpec { scenario, varies, plot, options })
    }
}

fn sweep(spec: SweepSpec) -> Result<ExitCode> {
    let SweepSpec { scenario, varies, plot, options } = &spec;
    let base = load(scenario, &options.overrides, options)?;
    // Every point is built and checked before any is simulated.
    let points = availsim::sweep::scenarios(&base.text, &base.origin, &[], varies)?;
    let scenarios: Vec<Scenario> = points.iter().map(|(_, sc)| sc.clone()).collect();
    validate_assertions(&scenarios, &options.assertions)?;
    // The plotted figure must exist too: an interval (KEY.mean) or a number.
    availsim::assertion::check_figure(plot, &base)
        .map_err(|message| Error::Override { option: format!("--plot {plot}"), message })?;
    let dir = options.out.clone().unwrap_or_else(|| Path::new("output").join(format!("{}-sweep", base.name)));
    report::check_writable(&dir)?;
    let runs = simulate_all(&scenarios, options)?;
    let points = &points[..runs.len()];
    let grid: Vec<availsim::sweep::Point> = points.iter().map(|(p, _)| p.clone()).collect();
    let stdout = match options.format {
        Format::Table => report::sweep_table(&grid, &runs).into_bytes(),
        Format::Json => availsim::sweep::json(points, &runs),
    };
    let printed = out(&stdout);
    report::write_atomic(&dir.join("sweep.csv"), &availsim::sweep::csv(points, &runs))?;
    report::write_atomic(&dir.join("sweep.json"), &availsim::sweep::json(points, &runs))?;
    report::write_atomic(&dir.join("sweep.svg"), report::svg::sweep(&grid, &runs, plot).as_bytes())?;
    note!("wrote sweep.csv, sweep.json and sweep.svg ({} points) into {}", runs.len(), dir.display());
    printed?;
    let labels: Vec<String> =
        grid.iter().map(|p| p.values.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")).collect();
    check_assertions(&labels, &runs, &options.assertions)
}

/// Checks before a run that --out (or the report's default directory) can
/// be written.
fn check_out(options: &RunOptions, first: &str) -> Result<()> {
    let dir = match (&options.out, options.report) {
        (Some(dir), _) => dir.clone(),
        (None, true) => Path::new("output").join(first),
        (None, false) => return Ok(()),
    };
    Ok(report::check_writable(&dir)?)
}

/// With --report: writes the charts and index.html of `runs` into --out
/// (default output/<first name>) and says where.
fn write_report(runs: &[Run], scenarios: &[Scenario], options: &RunOptions) -> Result<()> {
    if options.report {
        let dir = options.out.clone().unwrap_or_else(|| Path::new("output").join(&runs[0].results.scenario));
        let page = report::write_report(&dir, runs, scenarios)?;
        out(format!("\nReport: {}\n", page.display()).as_bytes())?;
    }
    Ok(())
}

/// Checks that every assertion names a figure of every scenario.
fn validate_assertions(scenarios: &[Scenario], assertions: &[Assertion]) -> Result<()> {
    for sc in scenarios {
        for a in assertions {
            a.validate(sc)?;
        }
    }
    Ok(())
}

/// Checks every assertion against every run (labelled for messages), says
/// on stderr how each fared, and gives exit code 1 if any failed.
fn check_assertions(labels: &[String], runs: &[Run], assertions: &[Assertion]) -> Result<ExitCode> {
    let mut failed = 0;
    for a in assertions {
        for (label, run) in labels.iter().zip(runs) {
            let check = a.check(&run.results)?;
            let verdict = if check.holds { "holds" } else { "FAILED" };
            note!("assert {a}: {verdict} for {label} ({})", check.actual);
            failed += usize::from(!check.holds);
        }
    }
    if failed > 0 {
        note!("{failed} of {} assertion checks failed", assertions.len() * runs.len());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn merge(paths: &[PathBuf], format: Format, out_dir: Option<&Path>) -> Result<ExitCode> {
    let (_, run) = availsim::merge(paths)?;
    if let availsim::Source::Merged { shards, of } = run.info.source
        && shards as u64 != of
    {
        note!("warning: merging {shards} of {of} shards; the figures cover only their years");
    }
    let printed = print(std::slice::from_ref(&run), format);
    if let Some(dir) = out_dir {
        report::write_run(dir, &run)?;
    }
    printed?;
    Ok(ExitCode::SUCCESS)
}
