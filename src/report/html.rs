//! The report: every chart as its own SVG and an `index.html` that shows
//! them with the summary table, readable offline (nothing is fetched).

use super::{Exporter, FiguresTable, svg, write_atomic};
use crate::error::Result;
use crate::run::Run;
use crate::scenario::Scenario;
use crate::timeline::{Pick, record_year};
use std::path::{Path, PathBuf};

/// The charts of a report: (file name, title, SVG). With the scenarios,
/// a timeline of a typical year (the first trajectory's nearest to the
/// run's median downtime) and of the run's worst year, each replayed
/// from its trajectory's start.
fn charts(runs: &[Run], scenarios: &[Scenario]) -> Result<Vec<(String, String, String)>> {
    let mut charts = vec![
        ("availability.svg".to_string(), "Availability".to_string(), svg::availability(runs)?),
        ("downtime.svg".into(), "Time lost per year and per SLO window, on the SLO's SLI".into(), svg::downtime(runs)?),
        ("causes.svg".into(), "What eats the budget".into(), svg::causes(runs)?),
    ];
    for (run, sc) in runs.iter().zip(scenarios) {
        let Some(worst) = run.tally.worst_year else { continue };
        let median = Pick::Nearest { downtime: run.tally.year_down.histogram.quantile(0.5) };
        for (pick, which, what) in [
            (median, "median", "a year of median downtime".to_string()),
            (Pick::Year(worst), "worst", format!("the worst of {} years", run.tally.years())),
        ] {
            let tl = record_year(sc, pick, crate::runner::CHUNK_YEARS);
            let title = format!("One simulated year of {}: {what}", sc.name);
            let chart = svg::timeline(sc, &tl, &title)?;
            charts.push((format!("timeline-{}-{which}.svg", sc.name), title, chart));
        }
    }
    Ok(charts)
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The page showing the charts and the summary table.
fn index(runs: &[Run], charts: &[(String, String, String)]) -> Result<String> {
    let names: Vec<&str> = runs.iter().map(|r| r.results.scenario.as_str()).collect();
    let table = String::from_utf8_lossy(&FiguresTable.serialize(runs)?).into_owned();
    let figures: String = charts
        .iter()
        .map(|(file, title, _)| {
            format!(
                "<figure><img src=\"{file}\" alt=\"{title}\" width=\"900\"><figcaption>{title}</figcaption></figure>\n"
            )
        })
        .collect();
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>availsim · {title}</title>\n\
         <style>body{{font-family:sans-serif;margin:2em;max-width:960px}}pre{{font-size:13px;background:#f6f6f6;\
         padding:1em;overflow-x:auto}}figure{{margin:2em 0}}figcaption{{color:#555}}</style>\n</head>\n<body>\n\
         <h1>availsim · {title}</h1>\n<pre>{table}</pre>\n{figures}<footer>{provenance}</footer>\n</body>\n</html>\n",
        title = escape(&names.join(" vs ")),
        table = escape(&table),
        provenance = footer(runs),
    ))
}

/// The page's footer: for each run, the build, the scenario with its hash
/// and overrides, seed, years, threads and the command line.
fn footer(runs: &[Run]) -> String {
    let lines: Vec<String> = runs
        .iter()
        .map(|run| {
            let p = &run.info.provenance;
            let mut line = format!(
                "{} · {} (sha256 {}) · seed {} · {} years · {:.1} s",
                p.build(),
                p.scenario,
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
    let html = index(runs, &charts)?;
    for (file, _, svg) in &charts {
        write_atomic(&dir.join(file), svg.as_bytes())?;
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
        let page = index(&runs, &charts).unwrap();
        let sources: Vec<&str> = page.split("src=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect();
        assert_eq!(sources, ["availability.svg", "downtime.svg", "causes.svg"]);
        assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("<script"));
        assert!(page.contains("Time availability") && page.contains("fixture"));
        for (_, _, svg) in &charts {
            assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
            assert!(svg.contains("seed 1 · 4 simulated years"), "footer names the provenance");
        }
        assert!(charts[0].2.contains("SLO target 99.900 %"));
        assert!(charts[1].2.contains("fixture per year") && charts[1].2.contains("fixture per window"));
        assert!(charts[2].2.contains("database") && charts[2].2.contains("detection_window"));
    }
}
