//! The report: every chart as its own SVG and an `index.html` that shows
//! them with the summary table, readable offline (nothing is fetched).

use super::svg::Span;
use super::year::{self, Burn, Incident};
use super::{svg, write_atomic};
use crate::cause::Cause;
use crate::error::Result;
use crate::run::Run;
use crate::scenario::Scenario;
use crate::timeline::{Pick, record_year};
use crate::units::YEAR_SECS;
use std::path::{Path, PathBuf};

/// One chart of a report, and what the page shows under it.
struct Chart {
    file: String,
    title: String,
    svg: String,
    /// HTML under the chart (an incident list), if any.
    after: String,
}

impl Chart {
    fn new(file: impl Into<String>, title: impl Into<String>, svg: String) -> Chart {
        Chart { file: file.into(), title: title.into(), svg, after: String::new() }
    }
}

/// The charts of a report. With the scenarios, for each a timeline of a
/// typical year (the first trajectory's nearest to the run's median
/// downtime) and of the run's worst year, each replayed from its
/// trajectory's start and followed by its incidents; the worst incident's
/// day zoomed; and the error-budget burn-down of a typical and the worst
/// window of those years.
fn charts(runs: &[Run], scenarios: &[Scenario]) -> Result<Vec<Chart>> {
    let mut charts = vec![
        Chart::new("availability.svg", "Availability", svg::availability(runs)?),
        Chart::new("downtime.svg", "Time lost per year and per SLO window, on the SLO's SLI", svg::downtime(runs)?),
        Chart::new("causes.svg", "What eats the budget", svg::causes(runs)?),
    ];
    let mut burned: Vec<(Run, (Burn, Burn))> = vec![];
    for (run, sc) in runs.iter().zip(scenarios) {
        let Some(worst) = run.tally.worst_year else { continue };
        let median = Pick::Nearest { downtime: run.tally.year_down.histogram.quantile(0.5) };
        let mut recorded = vec![];
        for (pick, which, what) in [
            (median, "median", "a year of median downtime".to_string()),
            (Pick::Year(worst), "worst", format!("the worst of {} years", run.tally.years())),
        ] {
            let tl = record_year(sc, pick, crate::runner::CHUNK_YEARS);
            let title = format!("One simulated year of {}: {what}", sc.name);
            let mut chart = Chart::new(
                format!("timeline-{}-{which}.svg", sc.name),
                &title,
                svg::timeline(sc, &tl, &title, Span::YEAR)?,
            );
            let incidents = year::incidents(&tl);
            chart.after = incident_list(sc, &incidents);
            charts.push(chart);
            if let (Some(longest), "worst") = (incidents.iter().max_by(|a, b| a.duration.total_cmp(&b.duration)), which)
            {
                let from = (longest.start - 7_200.0).max(0.0);
                let to = (longest.start + longest.duration + 7_200.0).max(from + 86_400.0).min(YEAR_SECS);
                let title = format!("The worst year's longest incident, zoomed: {}", sc.name);
                let zoomed = svg::timeline(sc, &tl, &title, Span { from, to })?;
                charts.push(Chart::new(format!("timeline-{}-worst-incident.svg", sc.name), title, zoomed));
            }
            recorded.push(tl);
        }
        let windows = |tl| year::burns(tl, sc.slo.window, sc.slo.target, sc.slo.sli);
        // Typical: of the typical year's windows, the one whose loss is
        // nearest the run's median window loss on the SLI.
        let losses = match sc.slo.sli {
            crate::stats::Sli::Time => &run.tally.window_down,
            crate::stats::Sli::Requests => &run.tally.window_failed,
        };
        let median_end = 1.0 - losses.histogram.quantile(0.5) / ((1.0 - sc.slo.target) * sc.slo.window);
        let distance = |b: &Burn| (b.end() - median_end).abs();
        let typical = windows(&recorded[0]).into_iter().min_by(|a, b| distance(a).total_cmp(&distance(b)));
        let worst_window = windows(&recorded[1]).into_iter().min_by(|a, b| a.end().total_cmp(&b.end()));
        if let (Some(typical), Some(worst)) = (typical, worst_window) {
            burned.push((run.clone(), (typical, worst)));
        }
    }
    // One burn-down per kind of window (length, SLI), shared by the
    // scenarios that judge on it.
    let mut kinds: Vec<(f64, crate::stats::Sli)> = vec![];
    for (run, _) in &burned {
        let kind = (run.results.slo.window_days, run.results.slo.sli);
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    for (k, kind) in kinds.iter().enumerate() {
        let group: Vec<&(Run, (Burn, Burn))> =
            burned.iter().filter(|(r, _)| (r.results.slo.window_days, r.results.slo.sli) == *kind).collect();
        let group_runs: Vec<Run> = group.iter().map(|g| g.0.clone()).collect();
        let windows: Vec<(Burn, Burn)> = group.iter().map(|g| g.1.clone()).collect();
        let file = if k == 0 { "burn-down.svg".to_string() } else { format!("burn-down-{}.svg", k + 1) };
        let title = "How fast a window's error budget goes";
        charts.insert(3 + k, Chart::new(file, title, svg::burn_down(&group_runs, &windows)?));
    }
    Ok(charts)
}

/// The incidents of a recorded year under its timeline: how many, how
/// long in all, and the longest ten with when they began and why.
fn incident_list(sc: &Scenario, incidents: &[Incident]) -> String {
    if incidents.is_empty() {
        return "<p>No downtime in this year.</p>".to_string();
    }
    let names = sc.named_causes();
    let total: f64 = incidents.iter().map(|i| i.duration).sum();
    let mut longest: Vec<&Incident> = incidents.iter().collect();
    longest.sort_by(|a, b| b.duration.total_cmp(&a.duration).then(a.start.total_cmp(&b.start)));
    let shown = longest.len().min(10);
    let mut html = format!(
        "<p>{} incident{} in this year, {} down in all{}:</p>\n<table>\n<tr><th>began (days since the year began)</th><th>lasted</th><th>cause</th></tr>\n",
        incidents.len(),
        if incidents.len() == 1 { "" } else { "s" },
        super::human_minutes(total / 60.0),
        if incidents.len() > shown {
            format!("; the longest {shown}, longest first")
        } else {
            ", longest first".to_string()
        },
    );
    for i in &longest[..shown] {
        let cause = Cause::from_id(i.cause).name(|d| &names[d]).to_string();
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            year::day_time(i.start),
            super::human_minutes(i.duration / 60.0),
            escape(&cause)
        ));
    }
    html.push_str("</table>");
    html
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The page: each scenario's description, its figures as a table with
/// its verdict against the SLO, links to its files when they were
/// written beside the page (`dir/<name>/`), the charts, and provenance.
fn index(runs: &[Run], charts: &[Chart], dir: &Path) -> Result<String> {
    let names: Vec<&str> = runs.iter().map(|r| r.results.scenario.as_str()).collect();
    let figures: String = charts
        .iter()
        .map(|c| {
            let (file, title) = (&c.file, escape(&c.title));
            format!(
                "<figure><img src=\"{file}\" alt=\"{title}\"><figcaption>{title}</figcaption></figure>\n{}\n",
                c.after
            )
        })
        .collect();
    let descriptions: String = runs
        .iter()
        .map(|r| {
            let name = &r.results.scenario;
            let links: Vec<String> = ["summary.json", "downtime.csv", "downtime.provenance.json"]
                .iter()
                .filter(|f| dir.join(name).join(f).is_file())
                .map(|f| format!("<a href=\"{0}/{f}\">{f}</a>", escape(name)))
                .collect();
            let links = if links.is_empty() { String::new() } else { format!(" · {}", links.join(" · ")) };
            let partial = run_partial(r);
            format!("<li><b>{}</b>: {}{links}{partial}</li>\n", escape(name), escape(&r.results.description))
        })
        .collect();
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>availsim · {title}</title>\n\
         <style>body{{font-family:sans-serif;margin:2em auto;max-width:1100px;padding:0 1em}}\
         table{{border-collapse:collapse;font-size:14px}}th,td{{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}}\
         th:first-child,td:first-child{{text-align:left}}.meets{{background:#e3f4e3}}.misses{{background:#fbe3e3}}\
         figure{{margin:2em 0}}img{{max-width:100%;height:auto}}figcaption{{color:#555}}footer{{color:#555;margin-top:3em}}</style>\n\
         </head>\n<body>\n<h1>availsim · {title}</h1>\n<ul>\n{descriptions}</ul>\n{table}\n{figures}\
         <footer>{provenance}</footer>\n</body>\n</html>\n",
        title = escape(&names.join(" vs ")),
        table = table(runs),
        provenance = footer(runs),
    ))
}

/// A warning for a run stopped before its end: its figures cover fewer
/// years than asked.
fn run_partial(run: &Run) -> String {
    run.info.partial.map_or(String::new(), |p| {
        format!(
            " <b class=\"misses\">PARTIAL: interrupted after {} of {} years; the figures cover those only</b>",
            p.years_done, p.years_requested
        )
    })
}

/// The figures as an HTML table, a column per scenario; the SLI's row
/// says whether its mean meets the target.
fn table(runs: &[Run]) -> String {
    let pct = |x: f64| format!("{:.4} %", 100.0 * x);
    let interval = |i: &crate::stats::Interval| {
        format!("{}<br><small>[{}, {}]</small>", pct(i.mean), pct(i.ci95_low), pct(i.ci95_high))
    };
    let human = super::human_minutes;
    let mut rows: Vec<(String, Vec<String>)> = vec![];
    let mut row = |label: &str, cell: &dyn Fn(&crate::analysis::Results) -> String| {
        rows.push((label.to_string(), runs.iter().map(|r| cell(&r.results)).collect()));
    };
    row("Simulated years", &|r| r.years.to_string());
    row("SLO", &|r| format!("{} on {} over {} d", pct(r.slo.target), r.slo.sli.name(), r.slo.window_days));
    row("Time availability (95 % CI)", &|r| interval(&r.time_availability));
    row("Request availability (95 % CI)", &|r| interval(&r.request_availability));
    row("P(window meets SLO)", &|r| pct(r.slo.p_window_meets));
    row("P(year meets SLO)", &|r| pct(r.slo.p_year_meets));
    row("Downtime per year: mean, p90", &|r| {
        format!("{}, {}", human(r.downtime_minutes_per_year.mean), human(r.downtime_minutes_per_year.p90))
    });
    row("Error budget used per window", &|r| format!("{:.0} %", 100.0 * r.slo.error_budget_consumed_mean));
    row("Outages per year", &|r| format!("{:.2}", r.outages_per_year));
    let head: String = runs.iter().map(|r| format!("<th>{}</th>", escape(&r.results.scenario))).collect();
    let mut html = format!("<table>\n<tr><th></th>{head}</tr>\n");
    for (label, cells) in rows {
        html.push_str(&format!("<tr><td>{label}</td>"));
        for (cell, run) in cells.iter().zip(runs) {
            let r = &run.results;
            let (judged, sli) = match r.slo.sli {
                crate::stats::Sli::Time => ("Time availability (95 % CI)", r.time_availability.mean),
                crate::stats::Sli::Requests => ("Request availability (95 % CI)", r.request_availability.mean),
            };
            let class = match (label == judged, sli >= r.slo.target) {
                (false, _) => "",
                (true, true) => " class=\"meets\"",
                (true, false) => " class=\"misses\"",
            };
            html.push_str(&format!("<td{class}>{cell}</td>"));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>");
    html
}

/// The page's footer: for each run, the build, the scenario with its hash
/// and overrides, seed, years, threads and the command line.
fn footer(runs: &[Run]) -> String {
    let lines: Vec<String> = runs
        .iter()
        .map(|run| {
            let p = &run.info.provenance;
            let mut line = format!(
                "{} · {} (file sha256 {}; as run {}) · seed {} · {} years · {:.1} s",
                p.build(),
                p.scenario,
                p.file_sha256,
                p.sha256,
                run.results.seed,
                run.results.years,
                run.info.wall_seconds
            );
            for o in &p.overrides {
                line.push_str(&format!(" · {o}"));
            }
            if !p.command.is_empty() {
                line.push_str(&format!(" · command: {}", p.command.join(" ")));
            }
            format!("<p><small>{}</small></p>", escape(&line))
        })
        .collect();
    lines.join("\n")
}

/// Writes the report of `runs` (of `scenarios`, in order) into `dir`: one
/// SVG per chart and `index.html`; returns the page's path. Each file is
/// written atomically, and only once every one has rendered.
pub fn write_report(dir: &Path, runs: &[Run], scenarios: &[Scenario]) -> Result<PathBuf> {
    let charts = charts(runs, scenarios)?;
    let html = index(runs, &charts, dir)?;
    for chart in &charts {
        write_atomic(&dir.join(&chart.file), chart.svg.as_bytes())?;
    }
    let page = dir.join("index.html");
    write_atomic(&page, html.as_bytes())?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::fixture;

    #[test]
    fn the_page_references_only_its_own_charts() {
        let runs = [fixture::run()];
        let charts = charts(&runs, &[]).unwrap();
        let page = index(&runs, &charts, Path::new("/nonexistent")).unwrap();
        let sources: Vec<&str> = page.split("src=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect();
        assert_eq!(sources, ["availability.svg", "downtime.svg", "causes.svg"]);
        assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("<script"));
        assert!(page.contains("Time availability") && page.contains("fixture"));
        // Figures in a table, the SLI's verdict marked, the description shown.
        assert!(page.contains("<table>") && !page.contains("<pre>") && page.contains("hand-made figures"));
        assert_eq!(page.matches("class=\"meets\"").count() + page.matches("class=\"misses\"").count(), 1);
        for Chart { svg, .. } in &charts {
            assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
            assert!(svg.contains("seed 1 · 4 simulated years"), "footer names the provenance");
        }
        assert!(charts[0].svg.contains("SLO target 99.9 %"));
        // Round ticks on the time axes, one label per budget, the budget on the causes.
        assert!(charts[1].svg.contains("\n1 h\n") && charts[1].svg.contains("\n1 d\n"), "round time ticks");
        assert_eq!(charts[1].svg.matches("window budget").count(), 1);
        assert!(charts[2].svg.contains("the error budget, 8.76 h a year"));
        assert!(charts[1].svg.contains("fixture per year") && charts[1].svg.contains("fixture per window"));
        assert!(charts[2].svg.contains("database") && charts[2].svg.contains("detection_window"));
    }

    /// A run stopped early says so on the page and on every chart.
    #[test]
    fn an_interrupted_run_is_marked_partial() {
        let mut run = fixture::run();
        run.info.partial = Some(crate::run::Partial { years_done: 4, years_requested: 10 });
        let runs = [run];
        let drawn = charts(&runs, &[]).unwrap();
        let page = index(&runs, &drawn, Path::new("/nonexistent")).unwrap();
        assert!(page.contains("PARTIAL: interrupted after 4 of 10 years"), "the page says so");
        assert!(drawn.iter().all(|c| c.svg.contains("PARTIAL: interrupted")), "every chart says so");
        let whole = [fixture::run()];
        assert!(!index(&whole, &charts(&whole, &[]).unwrap(), Path::new("/nonexistent")).unwrap().contains("PARTIAL"));
    }
}
