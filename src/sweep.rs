//! Parameter sweeps: the same scenario run at every point of a grid of
//! `--vary` values, on common random numbers (every point uses the same
//! seed, and each component its own stream, so differences between points
//! are the design's, not noise).

use crate::assertion::Assertion;
use crate::error::{Error, Result};
use crate::run::{Run, RunConfig, simulate};
use crate::scenario::{Override, Scenario, parse_duration};
use crate::units::{DAY_SECS, YEAR_SECS};
use serde_json::Value;
use std::str::FromStr;

/// One `--vary key.path=VALUES`: a key any `--set` accepts and the values
/// it takes, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    /// The dotted key.
    pub key: String,
    /// Its values, as `--set` would take them.
    pub values: Vec<String>,
}

impl FromStr for Vary {
    type Err = String;

    /// Parses `key=V1,V2,...` (commas inside brackets or braces belong to
    /// the value), `key=A..B:STEPS` (evenly spaced, both ends included) or
    /// `key=log:A..B:STEPS` (evenly spaced in log scale). A and B are
    /// numbers or durations with the same unit handling as scenario files
    /// (`5s..60s:4` gives 5s, 23.333333s, 41.666667s, 60s).
    fn from_str(text: &str) -> std::result::Result<Vary, String> {
        let (key, spec) = text
            .split_once('=')
            .ok_or_else(|| format!("'{text}' is not key.path=VALUES (a list V1,V2 or a range A..B:STEPS)"))?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(|s| s.trim().is_empty()) {
            return Err(format!("'{text}': the key must be a dotted path, e.g. repair.time"));
        }
        let spec = spec.trim();
        let values = match spec.split_once("..") {
            Some((_, rest)) if rest.starts_with('.') => {
                return Err(format!("'{text}': a range is A..B:STEPS, with two dots"));
            }
            Some((from, rest)) if !spec.starts_with('[') && !spec.starts_with('{') => range(text, from, rest)?,
            _ => list(spec),
        };
        if values.iter().any(String::is_empty) {
            return Err(format!("'{text}': an empty value in the list"));
        }
        Ok(Vary { key: key.to_string(), values })
    }
}

/// Splits a list at commas outside brackets, braces and quotes.
fn list(spec: &str) -> Vec<String> {
    let (mut out, mut depth, mut current) = (vec![], 0i32, String::new());
    let mut quote: Option<char> = None;
    for c in spec.chars() {
        match (c, quote) {
            (q, Some(open)) if q == open => quote = None,
            (_, Some(_)) => {}
            ('"' | '\'', None) => quote = Some(c),
            ('[' | '{', None) => depth += 1,
            (']' | '}', None) => depth -= 1,
            (',', None) if depth == 0 => {
                out.push(std::mem::take(&mut current).trim().to_string());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current.trim().to_string());
    out
}

/// The most points a sweep may have: each is a full run.
pub const MAX_POINTS: usize = 10_000;

/// The values of `A..B:STEPS` or `log:A..B:STEPS`.
fn range(text: &str, from: &str, rest: &str) -> std::result::Result<Vec<String>, String> {
    let bad = |why: &str| format!("'{text}': {why} (write A..B:STEPS or log:A..B:STEPS, e.g. 5s..60s:4)");
    let (log, from) = match from.strip_prefix("log:") {
        Some(f) => (true, f.trim()),
        None => (false, from.trim()),
    };
    let (to, steps) = rest.split_once(':').ok_or_else(|| bad("no number of steps"))?;
    let steps: usize = steps.trim().parse().map_err(|_| bad("the number of steps is not a whole number"))?;
    if !(2..=MAX_POINTS).contains(&steps) {
        return Err(bad(&format!("a range takes 2 to {MAX_POINTS} steps")));
    }
    // A duration if it has a unit, else a plain number.
    let value = |s: &str| -> std::result::Result<(f64, bool), String> {
        match s.trim().parse::<f64>() {
            Ok(v) => Ok((v, false)),
            Err(_) => parse_duration(s).map(|v| (v, true)).map_err(|e| bad(&e)),
        }
    };
    let ((a, a_dur), (b, b_dur)) = (value(from)?, value(to)?);
    if a_dur != b_dur {
        return Err(bad("both ends must be durations, or both plain numbers"));
    }
    if !(a.is_finite() && b.is_finite()) || (log && (a <= 0.0 || b <= 0.0)) {
        return Err(bad(if log { "a log range needs positive, finite ends" } else { "the ends must be finite" }));
    }
    // The ends as written, so they are exactly the user's; the points
    // between in the largest unit that fits (a duration), to 4 decimals.
    let trim = |v: String| v.trim_end_matches('0').trim_end_matches('.').to_string();
    Ok((0..steps)
        .map(|i| {
            let f = i as f64 / (steps - 1) as f64;
            let v = if log { a * (b / a).powf(f) } else { a + (b - a) * f };
            match i {
                0 => from.trim().to_string(),
                _ if i == steps - 1 => to.trim().to_string(),
                _ if a_dur => {
                    let (scale, unit) = largest_unit(v);
                    format!("{}{unit}", trim(format!("{:.4}", v / scale)))
                }
                _ => trim(format!("{v:.6}")),
            }
        })
        .collect())
}

/// The largest unit in which `secs` is at least 1 (seconds below a minute).
fn largest_unit(secs: f64) -> (f64, &'static str) {
    [(YEAR_SECS, "y"), (DAY_SECS, "d"), (3_600.0, "h"), (60.0, "m")]
        .into_iter()
        .find(|&(scale, _)| secs >= scale)
        .unwrap_or((1.0, "s"))
}

/// One point of the grid: a value for each varied key, in `--vary` order.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// (key, value) pairs.
    pub values: Vec<(String, String)>,
}

/// Every combination of the varied values, the first key varying slowest.
pub fn grid(varies: &[Vary]) -> Vec<Point> {
    varies.iter().fold(vec![Point { values: vec![] }], |points, vary| {
        points
            .iter()
            .flat_map(|p| {
                vary.values.iter().map(move |v| {
                    let mut values = p.values.clone();
                    values.push((vary.key.clone(), v.clone()));
                    Point { values }
                })
            })
            .collect()
    })
}

/// Builds the scenario of every point of the grid from `text` (from
/// `origin`) with `overrides` and then the point's values, so that every
/// point is checked before any is simulated.
///
/// # Errors
/// The first point whose scenario is invalid: the error names the `--vary`.
pub fn scenarios(text: &str, origin: &str, overrides: &[Override], varies: &[Vary]) -> Result<Vec<(Point, Scenario)>> {
    grid(varies)
        .into_iter()
        .map(|point| {
            let mut all = overrides.to_vec();
            for (key, value) in &point.values {
                let mut o = Override::option(key, value, "--vary");
                o.option = format!("--vary {key}={value}");
                all.push(o);
            }
            // The point's values may clash with the base's keys: say which point.
            let sc = Scenario::from_toml(text, origin, &all)
                .map_err(|e| Error::Point { point: label(&point), problem: Box::new(e) })?;
            Ok((point, sc))
        })
        .collect()
}

/// A sweep as asked for: a scenario (a bundled name or a path), what
/// varies, the figure plotted, the years per point and the assertions
/// gating every point, with a sweep file's settings merged in.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenario, as [`Scenario::resolve`] takes it.
    pub scenario: String,
    /// What varies, the file's first.
    pub varies: Vec<Vary>,
    /// The figure `sweep.svg` plots.
    pub plot: String,
    /// Simulated years per point, if not the scenario's.
    pub years: Option<u64>,
    /// Checked at every point, the file's first.
    pub assertions: Vec<Assertion>,
    /// The sweep file's name without its extension, when there is one:
    /// its outputs' default folder, so that no two sweep files share one.
    pub file: Option<String>,
    /// Where the sweep file wrote `scenario` and `plot`, when it set the
    /// one used: an error about its value points there.
    set_in_file: Vec<(&'static str, Located)>,
}

/// A place in a sweep file: (the file, its line and column).
type Located = (String, usize, usize);

impl Plan {
    /// The plan for `scenario` with the command line's settings. If
    /// `scenario` is a sweep file, its settings come first: the command
    /// line adds to them (`varies`, `assertions`) or overrides them
    /// (`plot`, `years`), and its scenario, a bundled name or a path
    /// relative to the file, is the one swept.
    ///
    /// # Errors
    /// A malformed sweep file or value in it; [`Error::Usage`] when
    /// nothing varies.
    pub fn new(
        scenario: &str,
        varies: Vec<Vary>,
        plot: Option<String>,
        years: Option<u64>,
        assertions: Vec<Assertion>,
    ) -> Result<Plan> {
        let path = std::path::Path::new(scenario);
        let mut plan = Plan {
            scenario: scenario.to_string(),
            varies,
            plot: String::new(),
            years,
            assertions,
            file: None,
            set_in_file: vec![],
        };
        let mut plot = plot;
        if let Some(file) = SweepFile::read(path)? {
            // Each value of the file, parsed; an error names the file.
            fn parsed<T: FromStr<Err = String>>(
                values: &[String],
                what: &str,
                path: &std::path::Path,
            ) -> Result<Vec<T>> {
                let bad = |v: &String, message| Error::Override {
                    option: format!("{what} = \"{v}\" in {}", path.display()),
                    message,
                };
                values.iter().map(|v| v.parse::<T>().map_err(|m| bad(v, m))).collect()
            }
            plan.varies = [parsed(&file.vary, "vary", path)?, std::mem::take(&mut plan.varies)].concat();
            plan.assertions = [parsed(&file.assert, "assert", path)?, std::mem::take(&mut plan.assertions)].concat();
            plan.years = plan.years.or(file.years);
            let at = |key| {
                let offset = crate::scenario::span_of(&file.text, key).map_or(0, |s| s.start);
                let (line, column) = crate::scenario::line_column(&file.text, offset);
                (key, (path.display().to_string(), line, column))
            };
            plan.set_in_file.push(at("scenario"));
            if plot.is_none() && file.plot.is_some() {
                plan.set_in_file.push(at("plot"));
            }
            plot = plot.or(file.plot);
            let beside = path.parent().unwrap_or(std::path::Path::new(".")).join(&file.scenario);
            plan.scenario = if beside.is_file() { beside.display().to_string() } else { file.scenario };
            plan.file = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        }
        let usage = |message: String| Err(Error::Usage { what: "sweep".into(), message });
        if plan.varies.is_empty() {
            return usage("nothing varies: give --vary KEY=VALUES (or a sweep file)".into());
        }
        let twice = plan.varies.iter().enumerate().find(|(i, v)| plan.varies[..*i].iter().any(|o| o.key == v.key));
        if let Some((_, v)) = twice {
            return usage(format!("{} is varied twice: give all its values in one --vary", v.key));
        }
        let points =
            plan.varies.iter().try_fold(1usize, |n, v| n.checked_mul(v.values.len()).filter(|&n| n <= MAX_POINTS));
        if points.is_none() {
            return usage(format!("the grid has more than {MAX_POINTS} points: vary fewer values"));
        }
        plan.plot = plot.unwrap_or_else(|| "request_availability".into());
        Ok(plan)
    }

    /// The default folder of its outputs under `output/`: the sweep
    /// file's name, or `<scenario>-sweep`.
    pub fn folder(&self, base: &Scenario) -> String {
        self.file.clone().unwrap_or_else(|| format!("{}-sweep", base.name))
    }

    /// The scenario swept, loaded with `overrides`.
    ///
    /// # Errors
    /// As [`Scenario::resolve`]; a scenario that does not exist is
    /// located at the sweep file's `scenario` key when the file named it.
    pub fn base(&self, overrides: &[Override]) -> Result<Scenario> {
        Scenario::resolve(&self.scenario, overrides).map_err(|e| match e {
            Error::NoScenario { .. } => self.blame("scenario", e.to_string()).unwrap_or(e),
            e => e,
        })
    }

    /// What each point's varied values replace of `base`'s `--set`s (of a
    /// varied key, a table holding it or a key in it), to say so: the
    /// `--set` may be there only to make the base valid.
    pub fn shadowed(&self, base: &Scenario) -> Vec<String> {
        let overlap = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}.")) || b.starts_with(&format!("{a}."));
        let mut notes = vec![];
        for v in &self.varies {
            for set in base.overrides.iter().filter_map(|o| o.strip_prefix("--set ")) {
                if overlap(set.split_once('=').map_or(set, |(k, _)| k).trim(), &v.key) {
                    notes.push(format!("--vary {} replaces --set {set} at every point", v.key));
                }
            }
        }
        notes
    }

    /// An error about `key`'s value at the sweep file's line, if the file set it.
    fn blame(&self, key: &str, message: String) -> Option<Error> {
        let (_, (origin, line, column)) = self.set_in_file.iter().find(|(k, _)| *k == key)?;
        Some(Error::Scenario { origin: origin.clone(), line: *line, column: *column, key: format!("{key}: "), message })
    }

    /// Every point of the grid with its checked scenario, built from `base`
    /// (the plan's scenario, loaded with the caller's overrides), with the
    /// plotted figure and every assertion checked against each, before
    /// anything is simulated.
    ///
    /// # Errors
    /// As [`scenarios`], [`crate::assertion::validate_all`]; [`Error::Usage`]
    /// when the plotted figure does not exist, or a varied key is also set
    /// by `--years` or `--seed`.
    pub fn points(&self, base: &Scenario) -> Result<Vec<(Point, Scenario)>> {
        // A key both varied and set by its own option (or the sweep file's
        // years): one would silently win.
        let both = [
            ("--years ", "simulation.years", "--years (or the sweep file's years) sets it too: give one"),
            ("--seed ", "simulation.seed", "--seed sets it too: give one"),
        ];
        for (option, key, message) in both {
            if self.varies.iter().any(|v| v.key == key) && base.overrides.iter().any(|o| o.starts_with(option)) {
                return Err(Error::Usage { what: format!("--vary {key}"), message: message.into() });
            }
        }
        let mut points = scenarios(&base.text, &base.origin, &[], &self.varies)?;
        // Each point went through the base's overrides (--set, --years, --seed) first.
        for (_, sc) in &mut points {
            sc.overrides = [base.overrides.clone(), std::mem::take(&mut sc.overrides)].concat();
            sc.file_sha256.clone_from(&base.file_sha256);
        }
        let checked: Vec<Scenario> = points.iter().map(|(_, sc)| sc.clone()).collect();
        crate::assertion::validate_all(&self.assertions, &checked)?;
        crate::assertion::check_figure(&self.plot, base).map_err(|message| {
            self.blame("plot", message.clone())
                .unwrap_or_else(|| Error::Usage { what: format!("--plot {}", self.plot), message })
        })?;
        Ok(points)
    }
}

/// A finished sweep, simulated in one process or merged from its shards:
/// what its outputs and its gate need.
#[derive(Debug)]
pub struct Finished {
    /// Every point of the grid (or those simulated before an
    /// interruption), with its scenario.
    pub points: Vec<(Point, Scenario)>,
    /// Each point's run.
    pub runs: Vec<Run>,
    /// The figure the chart plots.
    pub plot: String,
    /// The assertions gating every point.
    pub assertions: Vec<Assertion>,
    /// The outputs' default folder under `output/`.
    pub folder: String,
}

impl Finished {
    /// Its points' values.
    pub fn grid(&self) -> Vec<Point> {
        self.points.iter().map(|(p, _)| p.clone()).collect()
    }
}

/// A point's label in messages: its values, `key=value` each.
pub fn label(point: &Point) -> String {
    point.values.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

/// Simulates every point as `config` says; the runs use one seed, so they
/// share their random numbers.
///
/// # Errors
/// As [`simulate`].
pub fn run(points: &[(Point, Scenario)], config: &RunConfig) -> Result<Vec<Run>> {
    points.iter().map(|(_, sc)| simulate(sc, config)).collect()
}

/// The sweep as CSV: the varied keys, then every figure of the JSON
/// contract flattened (intervals included), one row per point. Points
/// whose scenarios differ in their causes (a varied key that adds a
/// dependency or changes a tier's reasons) share one header, the union
/// of their figures in order of first appearance; a figure a point does
/// not have is left empty.
///
/// # Errors
/// [`Error::Render`] if writing into memory fails (not expected).
pub fn csv(points: &[(Point, Scenario)], runs: &[Run]) -> Result<Vec<u8>> {
    let figures: Vec<Vec<(String, f64)>> = runs.iter().map(|r| r.results.figures()).collect();
    let mut keys: Vec<&str> = vec![];
    let mut seen = std::collections::HashSet::new();
    for (key, _) in figures.iter().flatten() {
        if seen.insert(key.as_str()) {
            keys.push(key);
        }
    }
    let render = |e: &dyn std::fmt::Display| Error::Render { what: "sweep CSV".into(), message: e.to_string() };
    let mut w = ::csv::Writer::from_writer(vec![]);
    let write = |w: &mut ::csv::Writer<Vec<u8>>, row: Vec<String>| w.write_record(row).map_err(|e| render(&e));
    if let Some((point, _)) = points.first() {
        let header = point.values.iter().map(|(k, _)| k.clone()).chain(keys.iter().map(|k| k.to_string()));
        write(&mut w, header.collect())?;
    }
    for ((point, _), figures) in points.iter().zip(&figures) {
        let by_key: std::collections::HashMap<&str, f64> = figures.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let values = point.values.iter().map(|(_, v)| v.clone());
        let cells = keys.iter().map(|k| by_key.get(k).map_or_else(String::new, f64::to_string));
        write(&mut w, values.chain(cells).collect())?;
    }
    w.into_inner().map_err(|e| render(&e))
}

/// The sweep as JSON: an array of `{"point": {key: value}, ...figures}`.
///
/// # Errors
/// [`Error::Render`] if serializing fails (not expected).
pub fn json(points: &[(Point, Scenario)], runs: &[Run]) -> Result<Vec<u8>> {
    let render = |e: serde_json::Error| Error::Render { what: "sweep JSON".into(), message: e.to_string() };
    let mut rows: Vec<Value> = vec![];
    for ((point, _), run) in points.iter().zip(runs) {
        let values = point.values.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
        let mut figures = serde_json::to_value(&run.results).map_err(render)?;
        if let Value::Object(object) = &mut figures {
            object.insert("point".into(), Value::Object(values));
            object.insert("run".into(), serde_json::to_value(&run.info).map_err(render)?);
        }
        rows.push(figures);
    }
    let mut bytes = serde_json::to_vec_pretty(&rows).map_err(render)?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_ranges() {
        let v: Vary = "load_balancer.health_check.interval=5s,10s,30s,60s".parse().unwrap();
        assert_eq!(
            (v.key.as_str(), v.values.len(), v.values[2].as_str()),
            ("load_balancer.health_check.interval", 4, "30s")
        );
        let v: Vary = "topology.instances_per_fd=[1, 1, 1],[2, 2, 2]".parse().unwrap();
        assert_eq!(v.values, ["[1, 1, 1]", "[2, 2, 2]"]);
        let v: Vary = r#"description="a, b",'c, [d',e"#.parse().unwrap();
        assert_eq!(v.values, [r#""a, b""#, "'c, [d'", "e"], "commas and brackets in quotes are text");
        let v: Vary = "repair.time=1m..5m:3".parse().unwrap();
        assert_eq!(v.values, ["1m", "3m", "5m"]);
        // Ends as written, the points between in their largest unit.
        let v: Vary = "repair.time=1m..30m:4".parse().unwrap();
        assert_eq!(v.values, ["1m", "10.6667m", "20.3333m", "30m"]);
        let v: Vary = "slo.target=0.99..0.9999:3".parse().unwrap();
        assert_eq!(v.values, ["0.99", "0.99495", "0.9999"]);
        let v: Vary = "slo.target=0.99..0.999:2".parse().unwrap();
        assert_eq!(v.values, ["0.99", "0.999"]);
        let v: Vary = "dependency.database.failure=log:1d..100d:3".parse().unwrap();
        assert_eq!(v.values, ["1d", "10d", "100d"]);
        for bad in [
            "repair.time",
            "=1,2",
            "a..b=1",
            "x=1m...30m:3",
            "x=1..2",
            "x=1..2:1",
            "x=1..5s:3",
            "x=log:0..5:3",
            "x=1,,2",
            "x=a..b:3",
        ] {
            assert!(bad.parse::<Vary>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_grid_varies_the_first_key_slowest() {
        let a: Vary = "a=1,2".parse().unwrap();
        let b: Vary = "b=x,y,z".parse().unwrap();
        let g = grid(&[a, b]);
        assert_eq!(g.len(), 6);
        let pair = |p: &Point| (p.values[0].1.clone(), p.values[1].1.clone());
        assert_eq!(pair(&g[0]), ("1".into(), "x".into()));
        assert_eq!(pair(&g[2]), ("1".into(), "z".into()));
        assert_eq!(pair(&g[3]), ("2".into(), "x".into()));
        assert_eq!(grid(&[]).len(), 1, "no --vary: the scenario itself");
    }
}

/// A sweep file (`scenarios/sweeps/*.toml`): a scenario, its `--vary`s and,
/// optionally, the years, the plotted figure and assertions, so that a
/// team's standing sweeps live beside its scenarios:
///
/// ```toml
/// scenario = "three-fd"            # a bundled name, or a path relative to this file
/// vary = ["load_balancer.health_check.interval=5s,10s,30s,60s"]
/// years = 20000
/// plot = "request_availability"
/// assert = ["request_availability.mean >= 0.998"]
/// ```
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// The scenario: a bundled name or a path relative to the sweep file.
    pub scenario: String,
    /// The `--vary` values, as on the command line.
    pub vary: Vec<String>,
    /// Simulated years per point (default: the scenario's).
    pub years: Option<u64>,
    /// The figure `sweep.svg` plots.
    pub plot: Option<String>,
    /// `--assert` expressions checked at every point.
    #[serde(default)]
    pub assert: Vec<String>,
    /// The file's text, to locate its keys.
    #[serde(skip)]
    text: String,
}

impl SweepFile {
    /// Reads `path` if it is a sweep file (TOML with a top-level `vary`);
    /// `None` if it is something else, such as a scenario.
    ///
    /// # Errors
    /// [`crate::error::Error::Scenario`] with the line and column of a
    /// malformed sweep file.
    pub fn read(path: &std::path::Path) -> Result<Option<SweepFile>> {
        let Ok(text) = crate::input::read_text(path, crate::input::TEXT_LIMIT) else { return Ok(None) };
        let located = |offset: usize, key: &str, message: String| {
            let (line, column) = crate::scenario::line_column(&text, offset);
            let key = if key.is_empty() { String::new() } else { format!("{key}: ") };
            crate::error::Error::Scenario { origin: path.display().to_string(), line, column, key, message }
        };
        // A file that is not TOML is no scenario either: its syntax error
        // is what to say, whatever it was meant to be.
        let table = text
            .parse::<toml::Table>()
            .map_err(|e| located(e.span().map_or(0, |s| s.start), "", e.message().to_string()))?;
        if !table.contains_key("vary") {
            return Ok(None);
        }
        let mut file: SweepFile =
            toml::from_str(&text).map_err(|e| located(e.span().map_or(0, |s| s.start), "", e.message().to_string()))?;
        if let Some(years) = file.years
            && years < 2
        {
            let at = crate::scenario::span_of(&text, "years").map_or(0, |s| s.start);
            return Err(located(
                at,
                "years",
                format!("years must be at least 2 (got {years}), so that a confidence interval exists"),
            ));
        }
        file.text = text;
        Ok(Some(file))
    }
}
