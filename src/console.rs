//! The terminal side of the command: signals that stop a run at a year's
//! end, stdout that may be closed or full, stderr notes, and runs shown
//! with a progress bar and its first-second estimate.

use crate::cli::RunOptions;
use anyhow::{Context, Result};
use availsim::error::Error;
use availsim::scenario::Scenario;
use availsim::{Length, Run, RunConfig, Shard};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Set by the first SIGINT or SIGTERM: runs stop at once, dropping the
/// years in progress, and report the years done; a second signal ends
/// the process at once.
pub struct Interrupt {
    /// Set once a run is to stop.
    pub stop: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

static INTERRUPT: OnceLock<Interrupt> = OnceLock::new();

/// Installs the handlers (once).
pub fn interrupt() -> &'static Interrupt {
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

/// Writes a line to stderr; a closed or full stderr loses the message,
/// never the run.
pub fn note(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Whether stdout's reader has gone (`| head`): further output is dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout. A closed pipe ends output quietly, as for other Unix
/// tools; any other failure (a full disk) is an error, which callers
/// report after writing the files asked for, so no result is lost.
pub fn out(bytes: &[u8]) -> Result<()> {
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
pub fn interrupted() -> Option<ExitCode> {
    let i = interrupt();
    i.stop.load(Ordering::Relaxed).then(|| ExitCode::from(128 + i.signal.load(Ordering::Relaxed).clamp(1, 127) as u8))
}

/// A progress bar on stderr that appears only once a run has taken a
/// second, and never when stderr is not a terminal or with --quiet. A run
/// still going after a second also says on stderr (terminal or not) how
/// long it should take in all; a `precision` run's length is the one its
/// rounds project (the bar's length, which the run updates).
pub fn progress_bar(total: u64, label: &str, quiet: bool, precision: bool) -> ProgressBar {
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
            let total = shown.length().unwrap_or(total);
            let estimate = if done > 0 {
                let rate = done as f64 / elapsed;
                let years = if precision { "years, as the precision so far projects" } else { "years" };
                format!(
                    "{label}: about {} in all for {total} {years} ({rate:.0} years/s)",
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

/// Simulates `sc` with a progress bar; says on stderr how an interrupted
/// run or a precision target went.
fn simulate(sc: &Scenario, options: &RunOptions, shard: Option<Shard>) -> Result<Run> {
    // A precision run's length is known after its first round (1,000 years).
    let (length, total) = match options.precision {
        Some(relative) => {
            (Length::Precision { relative, max_years: options.max_years() }, options.max_years().min(1_000))
        }
        None => (Length::Scenario, shard.map_or(sc.simulation.years, |s| s.years(sc.simulation.years))),
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
    run.info.notes(run.results.years, options.max_years()).iter().for_each(|n| note(n));
    Ok(run)
}

/// Simulates each scenario in turn; once interrupted, the ones not
/// started are skipped (the interrupted one reports its years done).
pub fn simulate_all(scenarios: &[Scenario], options: &RunOptions, shard: Option<Shard>) -> Result<Vec<Run>> {
    let mut runs = vec![];
    for sc in scenarios {
        runs.push(simulate(sc, options, shard)?);
        if interrupted().is_some() {
            break;
        }
    }
    Ok(runs)
}

/// The exit code for an error: 2 for bad input or usage, 1 for anything else.
pub fn exit_code(error: &anyhow::Error) -> ExitCode {
    if let Some(code) = interrupted() {
        return code;
    }
    let usage = error.chain().any(|e| e.downcast_ref::<Error>().is_some_and(Error::is_usage));
    ExitCode::from(if usage { 2 } else { 1 })
}
