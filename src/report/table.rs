//! Terminal tables: one scenario in detail, or several side by side.

use super::Exporter;
use crate::analysis::{Results, Spread};
use crate::run::{Run, RunInfo, Source};
use crate::stats::Interval;
use std::fmt::Write;

/// A human-readable table: one run in detail, several side by side.
pub struct Table;

/// The same table without how the runs went (threads, wall time), so that
/// it depends only on the scenarios, seed and years: for reports, which
/// must come out byte-identical.
pub struct FiguresTable;

impl Exporter for Table {
    fn serialize(&self, runs: &[Run]) -> crate::error::Result<Vec<u8>> {
        Ok(table(runs, true).into_bytes())
    }
}

impl Exporter for FiguresTable {
    fn serialize(&self, runs: &[Run]) -> crate::error::Result<Vec<u8>> {
        Ok(table(runs, false).into_bytes())
    }
}

fn table(runs: &[Run], run_info: bool) -> String {
    match runs {
        [one] => summary_table(one, run_info),
        many => comparison_table(many, run_info),
    }
}

/// Availability as a percentage with four decimals.
fn percent(a: f64) -> String {
    format!("{:.4} %", a * 100.0)
}

/// Number of nines: −log₁₀(1 − A).
fn nines(a: f64) -> String {
    if a >= 1.0 { "∞".into() } else { format!("{:.2}", -(1.0 - a).log10()) }
}

fn interval(i: &Interval) -> String {
    format!("[{:.4}, {:.4}] %", i.ci95_low * 100.0, i.ci95_high * 100.0)
}

/// A duration given in minutes, in the unit that reads best.
pub fn human_minutes(m: f64) -> String {
    if m >= 1440.0 {
        format!("{:.2} d", m / 1440.0)
    } else if m >= 60.0 {
        format!("{:.2} h", m / 60.0)
    } else if m >= 1.0 {
        format!("{m:.1} min")
    } else {
        format!("{:.1} s", m * 60.0)
    }
}

fn spread(s: &Spread) -> String {
    format!(
        "{} (p50 {}, p90 {}, p99 {}, max {})",
        human_minutes(s.mean),
        human_minutes(s.p50),
        human_minutes(s.p90),
        human_minutes(s.p99),
        human_minutes(s.max)
    )
}

/// Instance-hours: the mean and the spread of years.
fn hours(s: &Spread) -> String {
    format!("{:.0} h (p50 {:.0} h, p90 {:.0} h, p99 {:.0} h, max {:.0} h)", s.mean, s.p50, s.p90, s.p99, s.max)
}

/// How the figures were obtained: threads and speed, or the shards merged.
fn provenance(info: &RunInfo) -> String {
    match &info.source {
        Source::Simulated { threads, shard, years_per_second } => {
            let shard = shard.map(|s| format!("shard {s} · ")).unwrap_or_default();
            format!(
                "{shard}{threads} thread{} · {:.2} s wall ({years_per_second:.0} years/s)",
                if *threads == 1 { "" } else { "s" },
                info.wall_seconds
            )
        }
        Source::Merged { shards, of } => format!("merged from {shards} of {of} shards"),
    }
}

/// One scenario in detail.
fn summary_table(run: &Run, run_info: bool) -> String {
    let r = &run.results;
    let mut out = String::new();
    let _ = writeln!(out, "availsim · {} — {}", r.scenario, r.description);
    let how = if run_info { format!(" · {}", provenance(&run.info)) } else { String::new() };
    let _ = writeln!(out, "{} simulated years · seed {}{how} · {} events", r.years, r.seed, r.events);
    if let Some(p) = run.info.partial {
        let _ = writeln!(
            out,
            "PARTIAL: interrupted after {} of {} years; the figures cover those",
            p.years_done, p.years_requested
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<26}{:>13}  {:<28}{:>6}", "", "mean", "95 % confidence interval", "nines");
    for (name, a) in [("Time availability", &r.time_availability), ("Request availability", &r.request_availability)] {
        let _ = writeln!(out, "{:<26}{:>13}  {:<28}{:>6}", name, percent(a.mean), interval(a), nines(a.mean));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<30}{}", "Downtime per year", spread(&r.downtime_minutes_per_year));
    let window = format!("Downtime per {:.0}-day window", r.slo.window_days);
    let _ = writeln!(out, "{:<30}{}", window, spread(&r.downtime_minutes_per_window));
    let _ = writeln!(
        out,
        "{:<30}{:.2} per year, mean {} each",
        "Outages",
        r.outages_per_year,
        human_minutes(r.mean_outage_minutes)
    );
    let _ = writeln!(out, "{:<30}{:.1} per year", "Sessions lost", r.sessions_lost_per_year);
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<30}{}", "Instance-hours per year", hours(&r.instance_hours_per_year));
    let a = &r.scale_actions_per_year;
    if a.out + a.inward > 0.0 || r.hours_at_max_per_year > 0.0 {
        let _ = writeln!(
            out,
            "{:<30}{:.1} out, {:.1} in per year; {:.1} h a year at the maximum",
            "Autoscaling", a.out, a.inward, r.hours_at_max_per_year
        );
    }
    if let Some(p) = &r.peak_utilisation_percent {
        let _ = writeln!(
            out,
            "{:<30}{:.0} % (p50 {:.0} %, p90 {:.0} %, p99 {:.0} %, max {:.0} %)",
            "Peak utilisation of a year", p.mean, p.p50, p.p90, p.p99, p.max
        );
    }
    let s = &r.slo;
    let _ = writeln!(out);
    let _ = writeln!(out, "SLO {} on {} over {:.0}-day windows:", percent(s.target), s.sli.name(), s.window_days);
    for (label, p, ci) in [
        ("P(window meets SLO)", s.p_window_meets, s.p_window_meets_ci95),
        ("P(year meets SLO)", s.p_year_meets, s.p_year_meets_ci95),
    ] {
        let _ = writeln!(out, "  {label:<24}{:.2} %  [{:.2}, {:.2}] %", p * 100.0, ci[0] * 100.0, ci[1] * 100.0);
    }
    let _ =
        writeln!(out, "  Error budget consumed   {:.1} % per window on average", s.error_budget_consumed_mean * 100.0);
    cause_lines(&mut out, "What causes downtime (per year; one cause per moment):", &r.causes.top_downtime());
    cause_lines(&mut out, "What fails requests (full-outage minutes per year):", &r.causes.top_failed_requests());
    out
}

fn cause_lines(out: &mut String, title: &str, causes: &[(&str, f64)]) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{title}");
    let total: f64 = causes.iter().map(|c| c.1).sum();
    if causes.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for (name, minutes) in causes {
        let _ = writeln!(out, "  {:<22}{:>12}  {:>5.1} %", name, human_minutes(*minutes), 100.0 * minutes / total);
    }
}

/// Several scenarios side by side; the first is the baseline.
fn comparison_table(runs: &[Run], run_info: bool) -> String {
    let results: Vec<&Results> = runs.iter().map(|r| &r.results).collect();
    let mut out = String::new();
    // Wide enough for every name and top cause (a region's causes are long).
    let top = |r: &Results| -> Vec<String> {
        r.causes.top_downtime().iter().take(3).map(|(n, m)| format!("{n} {}", human_minutes(*m))).collect()
    };
    let widest_cause = results.iter().flat_map(|r| top(r)).map(|c| c.chars().count()).max().unwrap_or(0);
    let width = results.iter().map(|r| r.scenario.len()).max().unwrap_or(0).max(24).max(widest_cause) + 2;
    let mut row = |label: &str, cell: &dyn Fn(&Results) -> String| {
        let _ = write!(out, "{label:<30}");
        for r in &results {
            let _ = write!(out, "{:>width$}", cell(r));
        }
        let _ = writeln!(out);
    };
    let base = results[0];
    row("", &|r| r.scenario.clone());
    row("Simulated years", &|r| r.years.to_string());
    row("Time availability", &|r| percent(r.time_availability.mean));
    row("  95 % CI", &|r| interval(&r.time_availability));
    row("  nines", &|r| nines(r.time_availability.mean));
    row("Request availability", &|r| percent(r.request_availability.mean));
    row("  95 % CI", &|r| interval(&r.request_availability));
    row("Downtime per year (mean)", &|r| human_minutes(r.downtime_minutes_per_year.mean));
    row("  p90 year", &|r| human_minutes(r.downtime_minutes_per_year.p90));
    // How many times less a design loses than the first ("none" when it loses nothing).
    let times = |first: f64, this: f64| if this > 0.0 { format!("{:.1}×", first / this) } else { "none lost".into() };
    row("Downtime reduction vs first", &|r| {
        times(base.downtime_minutes_per_year.mean, r.downtime_minutes_per_year.mean)
    });
    // On the requests as well: a design can keep the service up yet fail requests.
    row("Failed-request reduction", &|r| {
        times(1.0 - base.request_availability.mean, 1.0 - r.request_availability.mean)
    });
    row("SLO target", &|r| format!("{} ({})", percent(r.slo.target), r.slo.sli.name()));
    row("P(window meets SLO)", &|r| format!("{:.2} %", r.slo.p_window_meets * 100.0));
    row("P(year meets SLO)", &|r| format!("{:.2} %", r.slo.p_year_meets * 100.0));
    row("Error budget used per window", &|r| format!("{:.0} %", r.slo.error_budget_consumed_mean * 100.0));
    row("Outages per year", &|r| format!("{:.2}", r.outages_per_year));
    row("Mean outage", &|r| human_minutes(r.mean_outage_minutes));
    row("Sessions lost per year", &|r| format!("{:.0}", r.sessions_lost_per_year));
    row("Instance-hours per year", &|r| format!("{:.0} h", r.instance_hours_per_year.mean));
    row("  p90 year", &|r| format!("{:.0} h", r.instance_hours_per_year.p90));
    if results.iter().any(|r| r.scale_actions_per_year.out > 0.0) {
        row("Scale-outs per year", &|r| format!("{:.1}", r.scale_actions_per_year.out));
    }
    if results.iter().any(|r| r.peak_utilisation_percent.is_some()) {
        row("Peak utilisation (mean year)", &|r| {
            r.peak_utilisation_percent.as_ref().map_or("-".into(), |p| format!("{:.0} %", p.mean))
        });
    }
    let ranks = results.iter().map(|r| r.causes.top_downtime().len()).max().unwrap_or(0).min(3);
    for k in 0..ranks {
        row(if k == 0 { "Top causes of downtime" } else { "" }, &|r| top(r).get(k).cloned().unwrap_or_default());
    }
    let _ = writeln!(out);
    let wall = runs.iter().map(|r| r.info.wall_seconds).sum::<f64>();
    let how = if run_info { format!(", {wall:.2} s wall in all") } else { String::new() };
    let _ = writeln!(out, "{} years each, seed {}{how}.", base.years, base.seed);
    for run in runs {
        if let Some(p) = run.info.partial {
            let name = &run.results.scenario;
            let _ = writeln!(out, "PARTIAL: {name} interrupted after {} of {} years.", p.years_done, p.years_requested);
        }
    }
    out
}

/// A sweep: one row per point, the varied values first.
pub fn sweep_table(points: &[crate::sweep::Point], runs: &[Run]) -> String {
    let mut out = String::new();
    let Some(first) = points.first() else { return out };
    let widths: Vec<usize> = first
        .values
        .iter()
        .enumerate()
        .map(|(i, (k, _))| points.iter().map(|p| p.values[i].1.len()).max().unwrap_or(0).max(k.len()))
        .collect();
    for ((k, _), w) in first.values.iter().zip(&widths) {
        let _ = write!(out, "{k:<w$}  ");
    }
    let _ = writeln!(
        out,
        "{:>12}  {:>12}  {:<26}{:>12}  {:>12}  {:>12}",
        "time avail.", "request", "request 95 % CI", "P(window)", "down/year", "inst-h/year"
    );
    for (p, run) in points.iter().zip(runs) {
        let r = &run.results;
        for ((_, v), w) in p.values.iter().zip(&widths) {
            let _ = write!(out, "{v:<w$}  ");
        }
        let _ = writeln!(
            out,
            "{:>12}  {:>12}  {:<26}{:>10.2} %  {:>12}  {:>12.0}",
            percent(r.time_availability.mean),
            percent(r.request_availability.mean),
            interval(&r.request_availability),
            100.0 * r.slo.p_window_meets,
            human_minutes(r.downtime_minutes_per_year.mean),
            r.instance_hours_per_year.mean
        );
        if let Some(p) = run.info.partial {
            let _ = writeln!(out, "  PARTIAL: the point above ran {} of {} years", p.years_done, p.years_requested);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::run::fixture;

    /// A sweep's table: a row per point, and a point an interruption cut
    /// short says so under its row.
    #[test]
    fn a_sweep_table_marks_a_partial_point() {
        let point = |v: &str| crate::sweep::Point { values: vec![("repair.time".into(), v.into())] };
        let whole = fixture::run();
        let mut cut = fixture::run();
        cut.info.partial = Some(crate::run::Partial { years_done: 3, years_requested: 10 });
        let table = sweep_table(&[point("1m"), point("2m")], &[whole, cut]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert!(lines[0].starts_with("repair.time") && lines[1].starts_with("1m") && lines[2].starts_with("2m"));
        assert_eq!(lines[3], "  PARTIAL: the point above ran 3 of 10 years");
    }

    #[test]
    fn summary_layout() {
        insta::assert_snapshot!(String::from_utf8(Table.serialize(&[fixture::run()]).unwrap()).unwrap());
    }

    #[test]
    fn comparison_layout() {
        let mut second = fixture::run();
        second.results.scenario = "fixture-2".into();
        second.results.downtime_minutes_per_year.mean /= 4.0;
        insta::assert_snapshot!(String::from_utf8(Table.serialize(&[fixture::run(), second]).unwrap()).unwrap());
    }

    #[test]
    fn formats_units_and_nines() {
        assert_eq!(human_minutes(0.5), "30.0 s");
        assert_eq!(human_minutes(42.0), "42.0 min");
        assert_eq!(human_minutes(8.77 * 60.0), "8.77 h");
        assert_eq!(human_minutes(18.26 * 1440.0), "18.26 d");
        assert_eq!(nines(0.999), "3.00");
        assert_eq!(percent(0.95), "95.0000 %");
    }
}
