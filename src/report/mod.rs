//! Exporters: each turns finished runs into bytes for one format. None of
//! them computes statistics; they only format what analysis produced. The
//! binary picks one for stdout and writes files with [`write_atomic`].

mod csv;
mod html;
mod json;
pub mod svg;
mod table;
pub mod year;

pub use self::csv::DowntimeCsv;
pub use html::write_report;
pub use json::Json;
pub use table::{FiguresTable, Table, human_minutes, sweep_table};

use crate::error::{Error, Result};
use crate::run::Run;
use std::path::Path;

/// A format that runs are exported to.
pub trait Exporter {
    /// The runs (one, or several side by side, the first the baseline) as
    /// bytes of this format.
    ///
    /// # Errors
    /// [`Error::Render`] if rendering fails (not expected: it writes into memory).
    fn serialize(&self, runs: &[Run]) -> Result<Vec<u8>>;
}

/// Writes a sweep's `sweep.csv` (with its provenance sidecar),
/// `sweep.json` and `sweep.svg` into `dir`.
///
/// # Errors
/// [`Error::Write`] for the first file that could not be written, after
/// trying every one.
pub fn write_sweep(dir: &Path, sweep: &crate::sweep::Finished) -> Result<()> {
    let (points, runs) = (&sweep.points, &sweep.runs);
    // Each file is tried whatever became of the others: one that cannot
    // be written loses none of the rest.
    let chart = svg::sweep(&sweep.grid(), runs, &sweep.plot, &sweep.assertions);
    [
        crate::sweep::csv(points, runs).and_then(|bytes| write_atomic(&dir.join("sweep.csv"), &bytes)),
        provenance_sidecar(runs).and_then(|bytes| write_atomic(&dir.join("sweep.provenance.json"), &bytes)),
        crate::sweep::json(points, runs).and_then(|bytes| write_atomic(&dir.join("sweep.json"), &bytes)),
        chart.and_then(|svg| write_atomic(&dir.join("sweep.svg"), svg.as_bytes())),
    ]
    .into_iter()
    .collect()
}

/// The sidecar of a CSV, `X.provenance.json`: how each of its runs went
/// and where it came from (a CSV has no room for it).
fn provenance_sidecar(runs: &[Run]) -> Result<Vec<u8>> {
    let infos: Vec<&crate::run::RunInfo> = runs.iter().map(|r| &r.info).collect();
    let mut bytes = serde_json::to_vec_pretty(&infos)
        .map_err(|e| Error::Render { what: "provenance".into(), message: e.to_string() })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// A report's default folder under `output/`: named after every scenario.
pub fn folder(scenarios: &[crate::scenario::Scenario]) -> String {
    scenarios.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join("-vs-")
}

/// Checks that no two of `scenarios` (loaded from `specs`) share a name:
/// each writes into `<dir>/<name>/`, so one would overwrite the other.
///
/// # Errors
/// [`Error::Usage`] naming the second of a pair.
pub fn check_distinct_names(specs: &[String], scenarios: &[crate::scenario::Scenario]) -> Result<()> {
    let twice = scenarios.iter().enumerate().find(|(i, sc)| scenarios[..*i].iter().any(|o| o.name == sc.name));
    match twice {
        Some((i, sc)) => Err(Error::Usage {
            what: "--out".into(),
            message: format!(
                "'{}' and an earlier scenario are both named '{}': each writes into --out/<name>, so one would overwrite the other; rename one",
                specs[i], sc.name
            ),
        }),
        None => Ok(()),
    }
}

/// Writes `bytes` to `path` atomically: to a uniquely named temporary file
/// beside it, then renamed, so a reader never sees half a report, two
/// runs writing into one directory cannot collide, and a failed write
/// leaves no temporary file behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Write { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    std::io::Write::write_all(&mut file, bytes).map_err(io)?;
    // Temporary files are private (0600); a report is for sharing.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(io)?;
    }
    file.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Checks, before a run, that files can be written into `dir` (creating
/// it): a run of hours must not end on a directory it cannot write.
///
/// # Errors
/// [`Error::Write`] naming the directory.
pub fn check_writable(dir: &Path) -> Result<()> {
    let io = |source| Error::Write { path: dir.to_path_buf(), source };
    std::fs::create_dir_all(dir).map_err(io)?;
    tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    Ok(())
}

/// Writes `summary.json`, and `downtime.csv` with its provenance sidecar,
/// for `run` into `dir`, each tried whatever became of the others.
///
/// # Errors
/// The first [`Error::Write`] (or [`Error::Render`]), after trying every file.
pub fn write_run(dir: &Path, run: &Run) -> Result<()> {
    let runs = std::slice::from_ref(run);
    [
        Json.serialize(runs).and_then(|bytes| write_atomic(&dir.join("summary.json"), &bytes)),
        provenance_sidecar(runs).and_then(|bytes| write_atomic(&dir.join("downtime.provenance.json"), &bytes)),
        DowntimeCsv.serialize(runs).and_then(|bytes| write_atomic(&dir.join("downtime.csv"), &bytes)),
    ]
    .into_iter()
    .collect()
}

/// Writes each run's files (as [`write_run`]) into `dir`, or with
/// `nested` into `dir/<scenario>`, so that runs compared side by side do
/// not overwrite each other's.
pub fn write_runs(dir: &Path, runs: &[Run], nested: bool) -> Result<()> {
    runs.iter()
        .try_for_each(|run| write_run(&if nested { dir.join(&run.results.scenario) } else { dir.to_path_buf() }, run))
}
