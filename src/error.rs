//! Errors the library reports to its callers.

use std::path::PathBuf;

/// Everything that can go wrong outside the simulation itself. The engine
/// runs on validated input and cannot fail; these come from reading input and
/// writing output.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario file could not be read. The run cannot start.
    // The cause is the error's source, which `{:#}` prints after the
    // message: repeating it here would print it twice.
    #[error("cannot read scenario '{path}'")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Neither a file nor a bundled scenario has that name.
    #[error("no scenario file or bundled scenario named '{spec}';{hint} bundled: {bundled}")]
    NoScenario {
        /// The name or path given.
        spec: String,
        /// " did you mean 'x'?", when a bundled name is close.
        hint: String,
        /// Every bundled name.
        bundled: String,
    },
    /// The scenario is malformed or inconsistent. The message names the file,
    /// line, column and key, and says how to fix it. The run cannot start.
    #[error("{origin}:{line}:{column}: {key}{message}")]
    Scenario {
        /// The file, or `--set key=value` when an override is at fault.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// `key.path: `, or empty when no key applies.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A `--set` override (or `--years`, `--seed`) is malformed or sets a
    /// bad value. The run cannot start.
    #[error("{option}: {message}")]
    Override {
        /// The option as written, e.g. `--set repair.time=10m`.
        option: String,
        /// What is wrong.
        message: String,
    },
    /// The request as a whole cannot be carried out as asked (a sweep with
    /// nothing to vary, two scenarios that would write into one folder).
    /// Nothing is simulated.
    #[error("{what}: {message}")]
    Usage {
        /// The command or option at fault, e.g. `sweep` or `--out`.
        what: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A result file from `--shard` could not be used for merging.
    #[error("cannot merge '{path}': {message}")]
    Merge {
        /// The shard's file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An `--assert` expression is malformed or names no figure. Checked
    /// before the run starts where possible.
    #[error("--assert '{expression}': {message}")]
    Assertion {
        /// The expression as written.
        expression: String,
        /// What is wrong, with the closest valid key.
        message: String,
    },
    /// A run (or the shard of one) holds fewer than two years, too few for
    /// a confidence interval. Run more years or use fewer shards.
    #[error("only {years} simulated years: a confidence interval needs at least 2 (run more years or fewer shards)")]
    TooFewYears {
        /// Years the run held.
        years: u64,
    },
    /// Several problems in one scenario, all reported at once.
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\nerror: "))]
    Problems {
        /// Each, in file order.
        problems: Vec<Error>,
    },
    /// The run was stopped before two years were completed: nothing to report.
    #[error("interrupted after {years} simulated years, too few to report on")]
    Interrupted {
        /// Years completed.
        years: u64,
    },
    /// A sweep point's scenario is invalid: its values clash with the
    /// base scenario's keys.
    #[error("sweep point {point}: {problem}")]
    Point {
        /// The point's values, `key=value` each.
        point: String,
        /// What is wrong with the scenario there.
        problem: Box<Error>,
    },
    /// An exporter or chart could not be rendered (a bug: rendering into
    /// memory is not expected to fail). Nothing of that output is written.
    #[error("cannot render {what}: {message}")]
    Render {
        /// The output, e.g. `causes.svg`.
        what: String,
        /// Why.
        message: String,
    },
    /// An output file could not be written. Results computed so far are
    /// still printed; only the file is missing.
    #[error("cannot write '{path}'")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl Error {
    /// Whether the caller's input is at fault (a scenario, an option, a
    /// file to merge, an assertion) rather than the machine (a file that
    /// cannot be written, a chart that does not render): a command line
    /// exits with 2 for these.
    pub fn is_usage(&self) -> bool {
        !matches!(self, Error::Write { .. } | Error::Render { .. } | Error::Interrupted { .. })
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
