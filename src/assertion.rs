//! Assertions over a run's figures, to gate a design in CI:
//! `KEY OP NUMBER`, where KEY is a dotted path into the JSON contract
//! (`request_availability.mean`, `slo.p_window_meets`,
//! `downtime_minutes_per_year.p99`, `causes.database.downtime_minutes_per_year`,
//! `slo.p_year_meets_ci95.0`) and OP one of `>=`, `<=`, `>`, `<`, `==`, `!=`.
//! Asserting on an interval's end (`request_availability.ci95_low >= 0.999`)
//! asks that the design meet the target with 95 % confidence, not just on
//! average.

use crate::analysis::Results;
use crate::cause::Cause;
use crate::error::{Error, Result};
use crate::scenario::Scenario;
use crate::stats::Tally;
use std::fmt;
use std::str::FromStr;

/// A comparison of one figure with a number.
#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    text: String,
    key: String,
    op: Op,
    value: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
    Ne,
}

impl Op {
    /// Longest first, so that `>=` is not read as `>`.
    const ALL: [(&'static str, Op); 6] =
        [(">=", Op::Ge), ("<=", Op::Le), ("==", Op::Eq), ("!=", Op::Ne), (">", Op::Gt), ("<", Op::Lt)];

    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Ge => a >= b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Lt => a < b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

impl FromStr for Assertion {
    type Err = String;

    /// Parses `KEY OP NUMBER`; spaces around the operator are optional.
    fn from_str(text: &str) -> std::result::Result<Assertion, String> {
        let found = text.char_indices().find_map(|(i, _)| {
            Op::ALL.iter().find(|(symbol, _)| text[i..].starts_with(symbol)).map(|&(symbol, op)| (i, symbol, op))
        });
        let Some((at, symbol, op)) = found else {
            return Err(format!(
                "'{text}' has no comparison: write KEY OP NUMBER, e.g. 'request_availability.mean >= 0.999'"
            ));
        };
        let key = text[..at].trim();
        let number = text[at + symbol.len()..].trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(format!("'{text}': the key before '{symbol}' must be a dotted path, e.g. slo.p_window_meets"));
        }
        let value = number
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("'{text}': '{number}' after '{symbol}' is not a finite number"))?;
        Ok(Assertion { text: text.trim().to_string(), key: key.to_string(), op, value })
    }
}

impl fmt::Display for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The outcome of checking one assertion against one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The figure's value in the run.
    pub actual: f64,
    /// Whether the assertion holds.
    pub holds: bool,
}

impl Assertion {
    /// The key it checks, as written (`request_availability.mean`).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The number it compares with.
    pub fn threshold(&self) -> f64 {
        self.value
    }

    /// The expression as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Checks that the key names a figure of `scenario`'s results, before
    /// anything is simulated.
    ///
    /// # Errors
    /// [`Error::Assertion`] naming the closest key when it does not.
    pub fn validate(&self, scenario: &Scenario) -> Result<()> {
        self.lookup(&shape(scenario).figures())?;
        // Availabilities and probabilities are fractions; a threshold above
        // 1 (`>= 99.9`) is a percent that would fail or hold whatever ran.
        let fraction =
            ["time_availability.", "request_availability.", "slo.p_"].iter().any(|p| self.key.starts_with(p));
        if fraction && self.value > 1.0 {
            let message = format!(
                "{} is a fraction from 0 to 1, not a percent: for {} %, write {}",
                self.key,
                self.value,
                // Rounded: 99.9 / 100 is 0.9990000000000001 in binary.
                (self.value / 100.0 * 1e12).round() / 1e12
            );
            return Err(Error::Assertion { expression: self.text.clone(), message });
        }
        Ok(())
    }

    /// Checks the assertion against `results`.
    ///
    /// # Errors
    /// [`Error::Assertion`] when the key names no figure.
    pub fn check(&self, results: &Results) -> Result<Check> {
        let actual = self.lookup(&results.figures())?;
        Ok(Check { actual, holds: self.op.holds(actual, self.value) })
    }

    fn lookup(&self, figures: &[(String, f64)]) -> Result<f64> {
        find(&self.key, figures).map_err(|message| Error::Assertion { expression: self.text.clone(), message })
    }
}

/// Checks, before anything is simulated, that every assertion names a
/// figure of every scenario.
///
/// # Errors
/// The first that does not, as [`Assertion::validate`].
pub fn validate_all(assertions: &[Assertion], scenarios: &[Scenario]) -> Result<()> {
    scenarios.iter().try_for_each(|sc| {
        assertions.iter().try_for_each(|a| {
            a.validate(sc).map_err(|e| match e {
                // Of several scenarios, say which one.
                Error::Assertion { expression, message } if scenarios.len() > 1 => {
                    Error::Assertion { expression, message: format!("for scenario {}: {message}", sc.name) }
                }
                other => other,
            })
        })
    })
}

/// One assertion checked against one labelled run: the CI gate's line.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// The assertion as written.
    pub assertion: String,
    /// What was checked: a scenario's name, or a sweep point's values.
    pub label: String,
    /// The figure's value and whether the assertion holds.
    pub check: Check,
}

impl fmt::Display for Verdict {
    /// `assert KEY OP N: holds for LABEL (VALUE)`, or `FAILED for`.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let verdict = if self.check.holds { "holds" } else { "FAILED" };
        write!(f, "assert {}: {verdict} for {} ({})", self.assertion, self.label, self.check.actual)
    }
}

/// The gate: every assertion against every run, `labels[i]` naming
/// `results[i]`. A design passes when every verdict holds.
///
/// # Errors
/// [`Error::Assertion`] when a key names no figure of a run.
pub fn gate(assertions: &[Assertion], labels: &[String], results: &[&Results]) -> Result<Vec<Verdict>> {
    let mut verdicts = vec![];
    for a in assertions {
        for (label, r) in labels.iter().zip(results) {
            verdicts.push(Verdict { assertion: a.to_string(), label: label.clone(), check: a.check(r)? });
        }
    }
    Ok(verdicts)
}

/// How many of `verdicts` failed, said in a line, if any did. Verdicts
/// on runs that are not `complete` (merged with shards missing) fail the
/// gate whatever they say: it judges the whole run.
pub fn failures(verdicts: &[Verdict], complete: bool) -> Option<String> {
    let failed = verdicts.iter().filter(|v| !v.check.holds).count();
    if !complete && !verdicts.is_empty() {
        return Some(format!("the gate fails: shards are missing from the merge ({failed} checks failed on the rest)"));
    }
    (failed > 0).then(|| format!("{failed} of {} assertion checks failed", verdicts.len()))
}

/// The value of figure `key`, or why there is none, naming the closest key.
fn find(key: &str, figures: &[(String, f64)]) -> std::result::Result<f64, String> {
    if let Some((_, v)) = figures.iter().find(|(k, _)| k == key) {
        return Ok(*v);
    }
    if key.starts_with("peak_utilisation_percent") {
        return Err(format!(
            "'{key}' is measured only when instances have a capacity: set instance.capacity (and [traffic])"
        ));
    }
    let similarity = |k: &String| strsim::jaro_winkler(key, k);
    // Only a key close enough to be what was meant is suggested.
    let closest = figures
        .iter()
        .map(|(k, _)| k)
        .filter(|k| similarity(k) >= 0.8)
        .max_by(|a, b| similarity(a).total_cmp(&similarity(b)));
    let hint = closest.map(|k| format!("; did you mean '{k}'?")).unwrap_or_default();
    Err(format!("'{key}' is not a figure of the results{hint} (`availsim run … --format json` shows them all)"))
}

/// Checks that `key` names a figure of `scenario`'s results (an interval's
/// `KEY.mean` counts for `KEY`), before anything is simulated.
///
/// # Errors
/// Why not, naming the closest key.
pub fn check_figure(key: &str, scenario: &Scenario) -> std::result::Result<(), String> {
    let figures = shape(scenario).figures();
    find(&format!("{key}.mean"), &figures).or_else(|_| find(key, &figures)).map(|_| ())
}

/// Results of the right shape for `scenario` (the values mean nothing), to
/// check keys before a run.
fn shape(scenario: &Scenario) -> Results {
    let mut tally = Tally::new(Cause::all(scenario.named_causes().len()).count());
    for _ in 0..2 {
        tally.year_down.record(0.0);
        tally.year_failed.record(0.0);
        tally.window_down.record(0.0);
        tally.window_failed.record(0.0);
    }
    Results::new(scenario, &tally)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::fixture;

    fn check(text: &str) -> Result<Check> {
        text.parse::<Assertion>().unwrap().check(&Results::new(&fixture::scenario(), &fixture::tally()))
    }

    #[test]
    fn parses_key_operator_and_number() {
        let a: Assertion = "request_availability.mean>=0.999".parse().unwrap();
        assert_eq!((a.key.as_str(), a.op, a.value), ("request_availability.mean", Op::Ge, 0.999));
        let a: Assertion = " slo.p_window_meets < 9.5e-1 ".parse().unwrap();
        assert_eq!((a.op, a.value, a.to_string()), (Op::Lt, 0.95, "slo.p_window_meets < 9.5e-1".into()));
        for (text, op) in [("a <= 1", Op::Le), ("a > 1", Op::Gt), ("a == 1", Op::Eq), ("a != 1", Op::Ne)] {
            assert_eq!(text.parse::<Assertion>().unwrap().op, op, "{text}");
        }
        for bad in ["request_availability.mean", ">= 0.9", "a. >= 1", "a >= x", "a >= inf", "a >= "] {
            assert!(bad.parse::<Assertion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn compares_the_figure_the_key_names() {
        // The fixture's time availability is 1 − 1350 s / 1 year.
        let mean = 1.0 - 1_350.0 / crate::units::YEAR_SECS;
        assert_eq!(check("time_availability.mean >= 0.9999").unwrap(), Check { actual: mean, holds: true });
        assert!(!check("time_availability.mean >= 0.99996").unwrap().holds);
        assert!(check("slo.p_year_meets == 0.5").unwrap().holds);
        assert!(!check("slo.p_year_meets != 0.5").unwrap().holds);
        assert!(check("slo.p_year_meets_ci95.0 < 0.5").unwrap().holds);
        assert!(check("causes.database.downtime_minutes_per_year <= 15").unwrap().holds);
        assert!(!check("causes.database.downtime_minutes_per_year < 15").unwrap().holds);
        assert!(check("downtime_minutes_per_year.max > 59.9").unwrap().holds);
    }

    /// Every assertion against every labelled run, in order; a key that
    /// names no figure is an error, not a verdict.
    #[test]
    fn the_gate_checks_each_assertion_at_each_run() {
        let r = Results::new(&fixture::scenario(), &fixture::tally());
        let assertions: Vec<Assertion> =
            ["outages_per_year > 0", "outages_per_year > 1e9"].iter().map(|a| a.parse().unwrap()).collect();
        let labels = ["a".to_string(), "b".to_string()];
        let verdicts = gate(&assertions, &labels, &[&r, &r]).unwrap();
        let seen: Vec<(&str, &str, bool)> =
            verdicts.iter().map(|v| (v.assertion.as_str(), v.label.as_str(), v.check.holds)).collect();
        assert_eq!(
            seen,
            [
                ("outages_per_year > 0", "a", true),
                ("outages_per_year > 0", "b", true),
                ("outages_per_year > 1e9", "a", false),
                ("outages_per_year > 1e9", "b", false)
            ]
        );
        let typo: Assertion = "outage_per_year > 0".parse().unwrap();
        assert!(gate(std::slice::from_ref(&typo), &labels, &[&r, &r]).is_err());
        assert!(validate_all(&[typo], &[fixture::scenario()]).is_err());
        assert!(validate_all(&assertions, &[fixture::scenario()]).is_ok());
    }

    /// A percent where a fraction belongs is refused before a run, with
    /// the fraction to write; other figures may exceed 1.
    #[test]
    fn a_percent_threshold_on_a_fraction_is_refused() {
        let validate = |text: &str| validate_all(&[text.parse().unwrap()], &[fixture::scenario()]);
        let err = validate("request_availability.mean >= 99.9").unwrap_err().to_string();
        assert!(err.contains("fraction from 0 to 1") && err.ends_with("write 0.999"), "{err}");
        assert!(validate("slo.p_window_meets >= 95").is_err());
        assert!(validate("time_availability.ci95_low >= 1").is_ok(), "1 is a fraction");
        assert!(validate("outages_per_year < 12").is_ok());
    }

    #[test]
    fn a_misspelt_key_is_an_error_with_a_suggestion() {
        let err = check("request_availabilty.mean >= 0.999").unwrap_err().to_string();
        assert!(err.contains("did you mean 'request_availability.mean'"), "{err}");
        let err = check("slo.sli >= 1").unwrap_err().to_string();
        assert!(err.contains("'slo.sli' is not a figure"), "{err}");
        // Nothing close: no suggestion.
        let err = check("nope > 1").unwrap_err().to_string();
        assert!(err.contains("'nope' is not a figure of the results (") && !err.contains("did you mean"), "{err}");
        let a: Assertion = "slo.p_windows_meets >= 0.9".parse().unwrap();
        let mut no_capacity = fixture::scenario();
        no_capacity.capacity = None;
        let peak: Assertion = "peak_utilisation_percent.max < 100".parse().unwrap();
        assert!(peak.validate(&fixture::scenario()).is_ok());
        let err = peak.validate(&no_capacity).unwrap_err().to_string();
        assert!(err.contains("set instance.capacity"), "{err}");
        let err = a.validate(&fixture::scenario()).unwrap_err().to_string();
        assert!(err.contains("did you mean 'slo.p_window_meets'"), "{err}");
        let a: Assertion = "causes.database.downtime_minutes_per_year <= 60".parse().unwrap();
        assert!(a.validate(&fixture::scenario()).is_ok());
    }
}
