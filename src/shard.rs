//! Runs split over processes or machines: a [`Shard`] names one of N
//! disjoint slices of a run's year streams; each shard writes a
//! [`ShardFile`] (its integer tally and the exact scenario text), and
//! [`merge`] adds them up into the figures of the whole run.

use crate::analysis::Results;
use crate::assertion::Assertion;
use crate::error::{Error, Result};
use crate::provenance::Provenance;
use crate::run::{Run, RunInfo, Source};
use crate::runner;
pub use crate::runner::Shard;
use crate::scenario::Scenario;
use crate::stats::Tally;
use crate::sweep::{Finished, Plan, Point};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Name of the mergeable result file a shard writes.
pub const SHARD_FILE: &str = "tally.json";
/// Version of its layout.
const SHARD_FORMAT: u32 = 4;

/// A shard file's bytes.
///
/// # Errors
/// [`Error::Render`] if serializing fails (not expected).
fn serialized(file: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(file).map_err(|e| Error::Render { what: "shard file".into(), message: e.to_string() })
}

/// What a shard writes for [`merge`]: the exact scenario text and the
/// shard's integer tally, which merge by addition.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardFile {
    format: u32,
    scenario: String,
    origin: String,
    years: u64,
    shard: Shard,
    /// The overrides the scenario text went through, as given.
    overrides: Vec<String>,
    /// SHA-256 of the scenario file before them.
    file_sha256: String,
    tally: Tally,
}

impl ShardFile {
    /// The file of `run`, shard `shard` of `scenario`.
    pub fn new(scenario: &Scenario, shard: Shard, run: &Run) -> ShardFile {
        ShardFile {
            format: SHARD_FORMAT,
            scenario: scenario.text.clone(),
            origin: scenario.origin.clone(),
            years: scenario.simulation.years,
            shard,
            overrides: scenario.overrides.clone(),
            file_sha256: scenario.file_sha256.clone(),
            tally: run.tally.clone(),
        }
    }

    /// Writes it into the directory `dir` as [`SHARD_FILE`].
    ///
    /// # Errors
    /// [`Error::Write`] if it cannot be written.
    pub fn write(&self, dir: &Path) -> Result<()> {
        crate::report::write_atomic(&dir.join(SHARD_FILE), &serialized(self)?)
    }

    /// Reads the shard file at `path`, or in the directory `path`.
    ///
    /// # Errors
    /// [`Error::Merge`] if it cannot be read or is not a shard file of this version.
    pub fn read(path: &Path) -> Result<(PathBuf, ShardFile)> {
        let file = if path.is_dir() { path.join(SHARD_FILE) } else { path.to_path_buf() };
        let merge_err = |message: String| Error::Merge { path: file.clone(), message };
        if SweepShardFile::is_at(path) {
            return Err(merge_err("it is a sweep's shard: merge a run's shards, or a sweep's, not both".into()));
        }
        let text = crate::input::read_text(&file, crate::input::SHARD_LIMIT)
            .map_err(|e| merge_err(format!("{e} (is it the --out directory of a `run --shard`?)")))?;
        let shard: ShardFile =
            serde_json::from_str(&text).map_err(|e| merge_err(format!("not a shard result: {e}")))?;
        if shard.format != SHARD_FORMAT {
            return Err(merge_err(format!("result format {} is not {SHARD_FORMAT}", shard.format)));
        }
        Ok((file, shard))
    }
}

/// Merges the shard files at `paths` (files or the directories holding
/// them) into the run they are slices of; returns its scenario too.
///
/// # Errors
/// [`Error::Merge`] when a file is unreadable, from another scenario, run
/// length or shard count, given twice, or shaped for another scenario.
pub fn merge(paths: &[PathBuf]) -> Result<(Scenario, Run)> {
    merge_files(paths.iter().map(|p| ShardFile::read(p)).collect::<Result<_>>()?)
}

/// What makes shard `b` part of another run than `a`, if anything: its
/// years, its shard count, or its scenario as run (the first line that
/// differs, such as the seed).
fn difference(a: &ShardFile, b: &ShardFile) -> Option<String> {
    if a.years != b.years {
        return Some(format!("{} years differ from the {} of", b.years, a.years));
    }
    if a.shard.count() != b.shard.count() {
        return Some(format!("{} shards differ from the {} of", b.shard.count(), a.shard.count()));
    }
    if a.scenario == b.scenario {
        return None;
    }
    let options = |o: &[String]| if o.is_empty() { "none".into() } else { o.join(" ") };
    if a.overrides != b.overrides {
        return Some(format!("options ({}) differ from those ({}) of", options(&b.overrides), options(&a.overrides)));
    }
    // The same options on another file (or an edited one): its first
    // setting that differs.
    let settings = |text: &str| -> Vec<String> {
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect()
    };
    let (mine, theirs) = (settings(&b.scenario), settings(&a.scenario));
    let at = (0..).find(|&i| mine.get(i) != theirs.get(i)).unwrap_or(0);
    let quoted = |l: Option<&String>| l.map_or("nothing".into(), |l| format!("`{l}`"));
    Some(format!("scenario has {} where it has {} in", quoted(mine.get(at)), quoted(theirs.get(at))))
}

/// Refuses an output folder `out` that holds one of the shards at `paths`
/// (a folder or its file): the merged files would replace the shard's own.
///
/// # Errors
/// [`Error::Usage`] naming the shard.
pub fn check_out(paths: &[PathBuf], out: &Path) -> Result<()> {
    let folder =
        |p: &Path| if p.is_dir() { p.to_path_buf() } else { p.parent().unwrap_or(Path::new("")).to_path_buf() };
    let here = |p: PathBuf| if p.as_os_str().is_empty() { PathBuf::from(".") } else { p };
    let same = |a: PathBuf| matches!((here(a).canonicalize(), out.canonicalize()), (Ok(a), Ok(b)) if a == b);
    match paths.iter().find(|p| same(folder(p))) {
        Some(p) => Err(Error::Usage {
            what: format!("--out {}", out.display()),
            message: format!("it holds the shard {} being merged: merge into another folder", p.display()),
        }),
        None => Ok(()),
    }
}

/// Merges shard files already read (each with the path it came from).
fn merge_files(files: Vec<(PathBuf, ShardFile)>) -> Result<(Scenario, Run)> {
    let started = Instant::now();
    let mut shards: Vec<(PathBuf, ShardFile)> = vec![];
    for (file, shard) in files {
        let merge_err = |message: String| Error::Merge { path: file.clone(), message };
        if let Some((first_file, first)) = shards.first()
            && let Some(what) = difference(first, &shard)
        {
            let first_file = first_file.display();
            return Err(merge_err(format!("its {what} the first shard's ({first_file}): a shard of another run")));
        }
        if shards.iter().any(|(_, s)| s.shard == shard.shard) {
            return Err(merge_err(format!("shard {} is given twice", shard.shard)));
        }
        shards.push((file, shard));
    }
    let (_, first) =
        shards.first().ok_or_else(|| Error::Merge { path: PathBuf::new(), message: "no shard given".into() })?;
    let mut scenario = Scenario::from_toml(&first.scenario, &first.origin, &[])?;
    scenario.overrides = first.overrides.clone();
    scenario.file_sha256 = first.file_sha256.clone();
    let mut tally = runner::empty_tally(&scenario);
    for (path, s) in &shards {
        let merge_err = |message: String| Error::Merge { path: path.clone(), message };
        if !tally.same_shape(&s.tally) {
            return Err(merge_err("its tally does not fit the scenario (written by another version?)".into()));
        }
        s.tally.check().map_err(|m| merge_err(format!("its tally is not one a run produces: {m}")))?;
        let mut slice = runner::Slice::all(s.years);
        slice.shard = s.shard.zero_based();
        let expected = slice.years(s.years);
        if s.tally.years() != expected {
            return Err(merge_err(format!(
                "its tally holds {} years, but shard {} of a {}-year run holds {expected}",
                s.tally.years(),
                s.shard,
                s.years
            )));
        }
        tally.try_merge(&s.tally).map_err(|m| merge_err(format!("cannot be added to the others: {m}")))?;
    }
    if tally.years() < 2 {
        return Err(Error::TooFewYears { years: tally.years() });
    }
    let source = Source::Merged { shards: shards.len(), of: first.shard.count() };
    let wall_seconds = started.elapsed().as_secs_f64();
    let provenance = Provenance::of(&scenario);
    let info = RunInfo { source, wall_seconds, precision: None, partial: None, provenance };
    let results = Results::new(&scenario, &tally);
    Ok((scenario, Run { results, info, tally }))
}

/// Name of the mergeable result file a sweep shard writes.
pub const SWEEP_SHARD_FILE: &str = "sweep-tally.json";

/// What `sweep --shard` writes: the same slice of every point's years
/// (so each shard does a fair share of every point), each as a
/// [`ShardFile`], with what the merged sweep plots and gates.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepShardFile {
    format: u32,
    /// The folder of the sweep's outputs under `output/`, by default.
    folder: String,
    plot: String,
    assert: Vec<String>,
    points: Vec<SweepShardPoint>,
}

/// One point of a sweep shard: its values and its slice of the run.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepShardPoint {
    values: Vec<(String, String)>,
    run: ShardFile,
}

impl SweepShardFile {
    /// The file of shard `shard` of the sweep `plan`, whose points and
    /// runs (one per point, each of that shard) are given.
    pub fn new(plan: &Plan, folder: &str, points: &[(Point, Scenario)], shard: Shard, runs: &[Run]) -> SweepShardFile {
        let points = points
            .iter()
            .zip(runs)
            .map(|((point, sc), run)| SweepShardPoint {
                values: point.values.clone(),
                run: ShardFile::new(sc, shard, run),
            })
            .collect();
        SweepShardFile {
            format: SHARD_FORMAT,
            folder: folder.to_string(),
            plot: plan.plot.clone(),
            assert: plan.assertions.iter().map(ToString::to_string).collect(),
            points,
        }
    }

    /// Writes it into the directory `dir` as [`SWEEP_SHARD_FILE`].
    ///
    /// # Errors
    /// [`Error::Write`] if it cannot be written.
    pub fn write(&self, dir: &Path) -> Result<()> {
        crate::report::write_atomic(&dir.join(SWEEP_SHARD_FILE), &serialized(self)?)
    }

    /// Whether `path` is a sweep shard's file or the directory holding one.
    pub fn is_at(path: &Path) -> bool {
        path.join(SWEEP_SHARD_FILE).is_file() || path.file_name().is_some_and(|n| n == SWEEP_SHARD_FILE)
    }

    fn read(path: &Path) -> Result<(PathBuf, SweepShardFile)> {
        let file = if path.is_dir() { path.join(SWEEP_SHARD_FILE) } else { path.to_path_buf() };
        let merge_err = |message: String| Error::Merge { path: file.clone(), message };
        if path.join(SHARD_FILE).is_file() || path.file_name().is_some_and(|n| n == SHARD_FILE) {
            return Err(merge_err("it is a run's shard: merge a run's shards, or a sweep's, not both".into()));
        }
        let text = crate::input::read_text(&file, crate::input::SHARD_LIMIT)
            .map_err(|e| merge_err(format!("{e} (is it the --out directory of a `sweep --shard`?)")))?;
        let shard: SweepShardFile =
            serde_json::from_str(&text).map_err(|e| merge_err(format!("not a sweep shard result: {e}")))?;
        if shard.format != SHARD_FORMAT || shard.points.iter().any(|p| p.run.format != SHARD_FORMAT) {
            return Err(merge_err(format!("result format {} is not {SHARD_FORMAT}", shard.format)));
        }
        // The folder names where outputs go by default: a plain name only.
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if shard.folder.is_empty() || shard.folder.starts_with('.') || !shard.folder.chars().all(plain) {
            return Err(merge_err(format!("its folder '{}' is not a plain name", shard.folder)));
        }
        Ok((file, shard))
    }
}

/// Merges the sweep shard files at `paths` (files or the directories
/// holding them): each point's slices into its run.
///
/// # Errors
/// [`Error::Merge`] as [`merge`] for any point, and when the shards are
/// of different sweeps (points, plotted figure or assertions).
pub fn merge_sweep(paths: &[PathBuf]) -> Result<Finished> {
    let mut files = paths.iter().map(|p| SweepShardFile::read(p)).collect::<Result<Vec<_>>>()?;
    let Some((_, first)) = files.first() else {
        return Err(Error::Merge { path: PathBuf::new(), message: "no shard given".into() });
    };
    let (folder, plot, assert) = (first.folder.clone(), first.plot.clone(), first.assert.clone());
    let grid: Vec<Vec<(String, String)>> = first.points.iter().map(|p| p.values.clone()).collect();
    if grid.is_empty() {
        return Err(Error::Merge { path: paths[0].clone(), message: "it holds no point of a sweep".into() });
    }
    for (path, f) in &files {
        let values = f.points.iter().map(|p| &p.values);
        if f.plot != plot || f.assert != assert || f.folder != folder || !values.eq(grid.iter()) {
            let message = format!(
                "its grid, plotted figure or assertions differ from the first shard's ({}): another sweep",
                paths[0].display()
            );
            return Err(Error::Merge { path: path.clone(), message });
        }
    }
    let mut by_point: Vec<Vec<(PathBuf, ShardFile)>> = grid.iter().map(|_| vec![]).collect();
    for (path, f) in &mut files {
        for (i, point) in std::mem::take(&mut f.points).into_iter().enumerate() {
            by_point[i].push((path.clone(), point.run));
        }
    }
    let mut points = vec![];
    let mut runs = vec![];
    for (values, files) in grid.into_iter().zip(by_point) {
        let (scenario, run) = merge_files(files)?;
        points.push((Point { values }, scenario));
        runs.push(run);
    }
    // As a sweep checks them before it runs (a figure of the points).
    crate::assertion::check_figure(&plot, &points[0].1)
        .map_err(|m| Error::Merge { path: paths[0].clone(), message: format!("plotted figure '{plot}': {m}") })?;
    let bad = |a: &String, m: String| Error::Merge { path: paths[0].clone(), message: format!("assertion '{a}': {m}") };
    let assertions = assert.iter().map(|a| a.parse::<Assertion>().map_err(|m| bad(a, m))).collect::<Result<_>>()?;
    Ok(Finished { points, runs, plot, assertions, folder })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k_of_n() {
        assert_eq!("2/8".parse::<Shard>(), Ok(Shard::new(2, 8).unwrap()));
        for bad in ["0/3", "4/3", "2", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(Shard::new(3, 4).map(|s| s.zero_based()), Some((2, 4)));
    }
}
