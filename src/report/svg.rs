//! Charts as SVG (plotters), each drawn from finished runs alone: the
//! availability of each scenario on a nines scale, the distribution of
//! downtime per year and per SLO window, and what eats the budget. Every
//! chart has a title, axis labels with units, a legend and a footer naming
//! the scenarios' seed and years.

use crate::cause::Cause;
use crate::error::{Error, Result};
use crate::run::Run;
use crate::scenario::OutageKind;
use crate::stats::{LogHistogram, Sli};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const SIZE: (u32, u32) = (900, 520);
const FONT: &str = "sans-serif";

/// A colour per scenario, in order (Okabe–Ito, distinguishable by most
/// readers with colour-vision deficiencies).
const SCENARIO_COLOURS: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
];

fn scenario_colour(i: usize) -> RGBColor {
    SCENARIO_COLOURS[i % SCENARIO_COLOURS.len()]
}

/// The same colour for a cause in every row: a fixed cause its declared one;
/// a named cause by its owner's place among `owners` (the sorted names of
/// every run's dependencies and regions, [`owner`]), each of a tier's or
/// a region's reasons a lighter shade of its owner's hue.
fn cause_colour(cause: Cause, name: &str, owners: &[String]) -> RGBColor {
    const DEPENDENCIES: [RGBColor; 4] =
        [RGBColor(0, 114, 178), RGBColor(230, 159, 0), RGBColor(0, 158, 115), RGBColor(102, 102, 102)];
    if let Some([r, g, b]) = cause.fixed_colour() {
        return RGBColor(r, g, b);
    }
    let base = owner(name);
    let reason = name[base.len()..].trim_start_matches('.');
    let place = owners.iter().position(|d| *d == base).unwrap_or(0);
    let RGBColor(r, g, b) = DEPENDENCIES[place % DEPENDENCIES.len()];
    let shades: Vec<&str> = if base.starts_with("region.") {
        vec!["outage", "failover", "dns_ttl"]
    } else {
        let outages = OutageKind::ALL.map(|kind| kind.cause().fixed_name().expect("an outage's cause is a fixed one"));
        ["", "failover", "all_down", "quorum_lost"].into_iter().chain(outages).chain(["common"]).collect()
    };
    let t = shades.iter().position(|s| *s == reason).unwrap_or(0) as f64 * 0.11;
    let lighten = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * t).round() as u8;
    RGBColor(lighten(r), lighten(g), lighten(b))
}

/// Whose a named cause is: a dependency (`db`, `db.failover`) or a
/// region (`region.eu.outage`): all but its reason.
fn owner(name: &str) -> &str {
    match name.strip_prefix("region.") {
        Some(rest) => &name[..name.len() - rest.len() + rest.split_once('.').map_or(rest.len(), |(r, _)| r.len())],
        None => name.split_once('.').map_or(name, |(base, _)| base),
    }
}

/// The label at `position` when it falls on an index of `labels` (axis
/// ticks of categorical charts), else nothing.
fn label_at(labels: &[String], position: f64) -> String {
    let i = position.round();
    if (position - i).abs() < 1e-6 && i >= 0.0 {
        labels.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// Number of nines of availability `a`, −log₁₀(1 − a), capped so that a
/// run with no downtime still plots.
fn nines(a: f64) -> f64 {
    -(1.0 - a).max(1e-10).log10()
}

/// An availability of `y` nines as a percentage with the digits it needs
/// (99.9 % at 3, 99.99999 % at 7).
fn nines_label(y: f64) -> String {
    let digits = (y.round().max(2.0) - 2.0) as usize;
    format!("{:.*} %", digits, 100.0 * (1.0 - 10f64.powf(-y)))
}

/// Where the runs come from, for chart footers: the build, each scenario
/// with the start of its text's hash and its overrides, seed, years and
/// threads.
fn provenance(runs: &[Run]) -> String {
    let mut scenarios: Vec<String> = vec![];
    for r in runs {
        // A sweep's --vary values are on its axis; the rest says what the points share.
        let mut shared = r.info.provenance.clone();
        shared.overrides.retain(|o| !o.starts_with("--vary "));
        let line = shared.scenario_line();
        if !scenarios.contains(&line) {
            scenarios.push(line);
        }
    }
    // A sweep's points differ only by their --vary: the first two, then a count.
    if scenarios.len() > 2 {
        let more = scenarios.len() - 2;
        scenarios.truncate(2);
        scenarios.push(format!("and {more} more"));
    }
    let (r, info) = (&runs[0].results, &runs[0].info);
    let threads = match info.source {
        crate::run::Source::Simulated { threads, .. } => {
            format!("{threads} thread{}", if threads == 1 { "" } else { "s" })
        }
        crate::run::Source::Merged { shards, of } => format!("merged from {shards} of {of} shards"),
    };
    let partial = if runs.iter().any(|r| r.info.partial.is_some()) { " · PARTIAL: interrupted" } else { "" };
    format!(
        "{} · {} · seed {} · {} simulated years each · {threads}{partial}",
        info.provenance.build(),
        scenarios.join("; "),
        r.seed,
        r.years
    )
}

/// Draws with `draw` on an SVG canvas of the standard size, with `footer`.
fn svg(
    footer_text: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend, plotters::coord::Shift>) -> Result<(), String>,
) -> Result<String> {
    svg_sized(SIZE, footer_text, draw)
}

/// [`svg`] on a canvas of `size` pixels.
fn svg_sized(
    size: (u32, u32),
    footer_text: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend, plotters::coord::Shift>) -> Result<(), String>,
) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        let result = root.fill(&WHITE).map_err(|e| e.to_string()).and_then(|()| {
            let (body, footer) = root.split_vertically(size.1 - 22);
            draw(&body)?;
            footer
                .draw_text(footer_text, &(FONT, 11).into_font().color(&RGBColor(90, 90, 90)), (10, 5))
                .map_err(|e| e.to_string())?;
            root.present().map_err(|e| e.to_string())
        });
        // Drawing into a string cannot fail for I/O; a layout error would be a bug.
        result.map_err(|message| Error::Render { what: format!("the chart '{footer_text}'"), message })?;
    }
    Ok(out)
}

/// Round durations [min] for a logarithmic time axis, with their labels.
const ROUND_TIMES: [(f64, &str); 11] = [
    (1.0 / 60.0, "1 s"),
    (10.0 / 60.0, "10 s"),
    (1.0, "1 min"),
    (10.0, "10 min"),
    (60.0, "1 h"),
    (480.0, "8 h"),
    (1_440.0, "1 d"),
    (10_080.0, "1 w"),
    (43_200.0, "30 d"),
    (525_600.0, "1 y"),
    (5_256_000.0, "10 y"),
];

/// A chart over a logarithmic axis of minutes.
type TimeChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<LogCoord<f64>, plotters::coord::types::RangedCoordf64>>;

/// Ticks a logarithmic time axis at round durations (1 min, 10 min, 1 h,
/// 8 h, 1 d, 1 w…) between `lo` and `hi` minutes: a light line across the
/// plot from `y0` to `y1`, and the label under the axis on `area`. (The
/// chart itself draws no x labels: its own would fall on powers of ten
/// of minutes, 16.67 h and 6.94 d.)
fn time_ticks(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    chart: &mut TimeChart,
    (lo, hi): (f64, f64),
    (y0, y1): (f64, f64),
) -> Result<(), String> {
    for &(m, label) in ROUND_TIMES.iter().filter(|(m, _)| (lo..=hi).contains(m)) {
        chart.draw_series(LineSeries::new([(m, y0), (m, y1)], BLACK.mix(0.2))).map_err(|e| e.to_string())?;
        let (x, y) = chart.backend_coord(&(m, y0));
        let width = 7 * label.len() as i32;
        area.draw(&Text::new(label, (x - width / 2, y + 8), (FONT, 14).into_font())).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Draws the legend of the labelled series at `position`.
fn legend<'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font((FONT, 14))
        .draw()
        .map_err(|e| e.to_string())
}

/// Each scenario's time and request availability with their 95 %
/// intervals, on a nines scale (−log₁₀ of unavailability) fitted to the
/// data, ticked at whole nines (90, 99, 99.9 %…), with
/// the SLO target as a line and each value labelled on the side of its
/// point away from it.
pub fn availability(runs: &[Run]) -> Result<String> {
    svg(&provenance(runs), |area| {
        let intervals = |r: &Run| [r.results.time_availability, r.results.request_availability];
        let target = nines(runs[0].results.slo.target);
        let (low, high) = runs
            .iter()
            .flat_map(|r| intervals(r).map(|i| (nines(i.ci95_low), nines(i.ci95_high))))
            .fold((target, target), |(lo, hi), (l, h)| (lo.min(l), hi.max(h)));
        // Whole nines around the data, so the ticks fall on 90 %, 99 %, 99.9 %…
        let bottom = (low - 0.2).max(0.0).floor();
        let top = (high + 0.2).ceil().max(bottom + 2.0);
        let n = runs.len() as f64;
        // Wide enough for the top tick's digits and the axis name beside them.
        let label_width = nines_label(top).chars().count() as u32 * 8 + 30;
        let mut chart = ChartBuilder::on(area)
            .caption("Availability with 95 % intervals (nines scale: −log₁₀ of unavailability)", (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(label_width.max(95))
            .build_cartesian_2d(-0.5..n - 0.5, bottom..top)
            .map_err(|e| e.to_string())?;
        let names: Vec<String> = runs.iter().map(|r| r.results.scenario.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(runs.len().max(2))
            .x_label_formatter(&|x| label_at(&names, *x))
            .y_labels((top - bottom) as usize + 1)
            .y_desc("availability (nines scale)")
            .y_label_formatter(&|y| nines_label(*y))
            .label_style((FONT, 14))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new([(-0.5, target), (n - 0.5, target)], RED.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(format!("SLO target {}", percent(runs[0].results.slo.target)))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED.stroke_width(2)));
        for (k, (label, offset)) in
            [("time availability", -0.12), ("request availability", 0.12)].into_iter().enumerate()
        {
            let colour = scenario_colour(k);
            for (i, run) in runs.iter().enumerate() {
                let x = i as f64 + offset;
                let iv = intervals(run)[k];
                let (lo, mid, hi) = (nines(iv.ci95_low), nines(iv.mean), nines(iv.ci95_high));
                chart
                    .draw_series([
                        PathElement::new([(x, lo), (x, hi)], colour.stroke_width(2)),
                        PathElement::new([(x - 0.05, lo), (x + 0.05, lo)], colour.stroke_width(2)),
                        PathElement::new([(x - 0.05, hi), (x + 0.05, hi)], colour.stroke_width(2)),
                    ])
                    .map_err(|e| e.to_string())?;
                let point =
                    chart.draw_series([Circle::new((x, mid), 5, colour.filled())]).map_err(|e| e.to_string())?;
                if i == 0 {
                    point.label(label).legend(move |(x, y)| Circle::new((x + 10, y), 5, colour.filled()));
                }
                // Above the point when it meets the target, below when not:
                // never on the target's line.
                let dy = if mid >= target { -22 } else { 10 };
                let text = format!("{:.4} %", 100.0 * iv.mean);
                chart
                    .draw_series([EmptyElement::at((x, mid)) + Text::new(text, (-28, dy), (FONT, 12).into_font())])
                    .map_err(|e| e.to_string())?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// An availability as a percentage with the decimals it needs: 95 %,
/// 99.5 %, 99.95 %.
fn percent(a: f64) -> String {
    let text = format!("{:.4}", 100.0 * a);
    format!("{} %", text.trim_end_matches('0').trim_end_matches('.'))
}

/// The empirical distribution of `histogram`'s durations as a line from
/// `lo` to `hi` minutes: a step at each bin, thinned to steps at least
/// 0.5 % apart on the axis (the bins are 0.1 % wide, finer than a pixel).
fn cdf_points(histogram: &LogHistogram, lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let n = histogram.count().max(1) as f64;
    let mut below = 0u64;
    let mut points = vec![];
    for (low, high, count) in histogram.bins() {
        if below == 0 && high <= 0.0 {
            // Periods with no downtime at all: the curve starts at their share.
            below += count;
            points.push((lo, below as f64 / n));
            continue;
        }
        let x = (low / 60.0).clamp(lo, hi);
        if points.last().is_none_or(|&(last, _)| x >= last * 1.005) {
            points.push((x, below as f64 / n));
        }
        below += count;
        let top = (high / 60.0).clamp(lo, hi);
        match points.last_mut() {
            Some(last) if top < last.0 * 1.005 => last.1 = below as f64 / n,
            _ => points.push((top, below as f64 / n)),
        }
    }
    points.push((hi, 1.0));
    points
}

/// The share of periods with at most each loss on the SLO's SLI
/// (downtime, or failed-request time: the failed share of a period's
/// requests times its length), per year and per SLO window, on a log axis
/// of minutes, with each period's error budget as a vertical line: where
/// a curve crosses it is how often the budget holds, the SLO's own
/// P(period meets). Periods with no loss at all make the curve's
/// left-hand plateau.
pub fn downtime(runs: &[Run]) -> Result<String> {
    let slis: Vec<Sli> = runs.iter().map(|r| r.results.slo.sli).collect();
    let what = match slis.first() {
        Some(&sli) if slis.iter().all(|&s| s == sli) => sli_loss(sli),
        _ => "time lost on each SLO's SLI",
    };
    svg(&provenance(runs), |area| {
        let (lo, hi) = (0.1f64, 525_600.0f64);
        let mut chart = ChartBuilder::on(area)
            .caption(format!("{what} per year and per SLO window: share of periods at or under"), (FONT, 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d((lo..hi).log_scale(), 0.0..1.0)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .x_label_formatter(&|_| String::new())
            .x_desc(format!("{what} in the period (log scale); the plateau at the left: periods with none"))
            .y_desc("share of periods")
            .y_label_formatter(&|y| format!("{:.0} %", 100.0 * y))
            .label_style((FONT, 14))
            .draw()
            .map_err(|e| e.to_string())?;
        time_ticks(area, &mut chart, (lo, hi), (0.0, 1.0))?;
        // One label per distinct budget, in the colour of the first run with it.
        let mut labelled: Vec<(String, f64)> = vec![];
        for (i, run) in runs.iter().enumerate() {
            let r = &run.results;
            let colour = scenario_colour(i);
            let budget = 1.0 - r.slo.target;
            let (year, window) = r.histograms.on(r.slo.sli);
            for (period, histogram, len_minutes, dashed) in
                [("year", year, 525_600.0, false), ("window", window, r.slo.window_days * 1_440.0, true)]
            {
                let points = cdf_points(histogram, lo, hi);
                let style = if dashed { colour.stroke_width(1) } else { colour.stroke_width(3) };
                chart
                    .draw_series(LineSeries::new(points, style))
                    .map_err(|e| e.to_string())?
                    .label(format!("{} per {period}", r.scenario))
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
                let b = (budget * len_minutes).clamp(lo, hi);
                if labelled.iter().any(|(p, at)| p == period && *at == b) {
                    continue;
                }
                labelled.push((period.to_string(), b));
                chart
                    .draw_series(DashedLineSeries::new([(b, 0.0), (b, 1.0)], 5, 4, BLACK.mix(0.6).stroke_width(1)))
                    .map_err(|e| e.to_string())?;
                // At the top, clear of the curves (they reach 100 % further right).
                let y = if dashed { 0.97 } else { 0.91 } - 0.12 * (labelled.len() / 2) as f64;
                chart
                    .draw_series([EmptyElement::at((b, y))
                        + Text::new(
                            format!("{period} budget {}", crate::report::human_minutes(budget * len_minutes)),
                            (-4, 0),
                            TextStyle::from((FONT, 12).into_font()).pos(Pos::new(HPos::Right, VPos::Center)),
                        )])
                    .map_err(|e| e.to_string())?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// What a period loses on `sli`, in words.
fn sli_loss(sli: Sli) -> &'static str {
    match sli {
        Sli::Time => "Downtime",
        Sli::Requests => "Failed-request time",
    }
}

/// What eats the budget: downtime and failed requests per year by cause,
/// a bar pair per cause and scenario that lost anything to it, causes
/// sorted by what they cost (the largest first), in the same colours in
/// every chart, against the year's error budget. The log axis starts at
/// a thousandth of the budget, so a few seconds a year stay a stub, and
/// each bar pair says its values.
pub fn causes(runs: &[Run]) -> Result<String> {
    let loss = |f: &crate::analysis::CauseFigures| f.downtime_minutes_per_year.max(f.failed_request_minutes_per_year);
    // (cause, name, run) for every run that lost anything to the cause.
    let mut rows: Vec<(Cause, String, usize)> = vec![];
    for (i, run) in runs.iter().enumerate() {
        for c in &run.results.causes.0 {
            if loss(c) > 0.0 {
                rows.push((c.cause, c.name.clone(), i));
            }
        }
    }
    let mut dependencies: Vec<String> = rows
        .iter()
        .filter(|(cause, ..)| matches!(cause, Cause::Named(_)))
        .map(|(_, name, _)| owner(name).to_string())
        .collect();
    dependencies.sort_unstable();
    dependencies.dedup();
    let worst = |name: &str| runs.iter().filter_map(|r| r.results.causes.get(name)).map(&loss).fold(0.0, f64::max);
    rows.sort_by(|a, b| worst(&b.1).total_cmp(&worst(&a.1)).then_with(|| a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut budgets: Vec<f64> = runs.iter().map(|r| (1.0 - r.results.slo.target) * 525_600.0).collect();
    budgets.dedup();
    let floor = budgets.iter().copied().fold(f64::INFINITY, f64::min).max(1e-3) / 1_000.0;
    svg(&provenance(runs), |area| {
        let max = rows
            .iter()
            .filter_map(|(_, name, i)| runs[*i].results.causes.get(name))
            .map(&loss)
            .chain(budgets.iter().copied())
            .fold(floor * 10.0, f64::max);
        let n = rows.len().max(1) as f64;
        // A run's name only when several share the chart.
        let labels: Vec<String> = rows
            .iter()
            .map(
                |(_, name, i)| {
                    if runs.len() > 1 { format!("{name} · {}", runs[*i].results.scenario) } else { name.clone() }
                },
            )
            .collect();
        // Wide enough for the longest label (about 7 px a character).
        let label_width = labels.iter().map(|l| l.chars().count() as u32 * 7 + 16).max().unwrap_or(0).max(160);
        let mut chart = ChartBuilder::on(area)
            .caption("What eats the budget: time lost a year by cause", (FONT, 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(label_width)
            .build_cartesian_2d((floor..max * 4.0).log_scale(), 0.0..n)
            .map_err(|e| e.to_string())?;
        let budget_words: Vec<String> = budgets.iter().map(|b| crate::report::human_minutes(*b)).collect();
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .x_label_formatter(&|_| String::new())
            .y_labels(labels.len().max(1) * 2 + 1)
            .y_label_formatter(&|y| label_at(&labels, n - y - 0.5))
            .x_desc(format!(
                "per year (log scale): solid downtime, light failed requests (as full-outage time); dashed: the error budget, {} a year",
                budget_words.join(", ")
            ))
            .label_style((FONT, 13))
            .draw()
            .map_err(|e| e.to_string())?;
        time_ticks(area, &mut chart, (floor, max * 4.0), (0.0, n))?;
        for (k, (cause, name, i)) in rows.iter().enumerate() {
            let colour = cause_colour(*cause, name, &dependencies);
            let f = runs[*i].results.causes.get(name).expect("rows come from the runs' causes");
            // The first row at the top.
            let row = n - 1.0 - k as f64;
            let bar = |v: f64, bottom: f64, top: f64, style: ShapeStyle| {
                Rectangle::new([(floor, row + bottom), (v.max(floor), row + top)], style)
            };
            chart
                .draw_series([
                    bar(f.downtime_minutes_per_year, 0.55, 0.88, colour.filled()),
                    bar(f.failed_request_minutes_per_year, 0.12, 0.45, colour.mix(0.4).filled()),
                ])
                .map_err(|e| e.to_string())?;
            let human = crate::report::human_minutes;
            let text = format!("{} · {}", human(f.downtime_minutes_per_year), human(f.failed_request_minutes_per_year));
            chart
                .draw_series([Text::new(text, (loss(f).max(floor) * 1.15, row + 0.75), (FONT, 11).into_font())])
                .map_err(|e| e.to_string())?;
        }
        for b in &budgets {
            chart
                .draw_series(DashedLineSeries::new([(*b, 0.0), (*b, n)], 6, 4, BLACK.stroke_width(1)))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

/// How fast an SLO window's error budget goes, the SRE's burn-down: the
/// budget left against days into the window, for each scenario's typical
/// window (the median one of its median-downtime year, dashed) and the
/// worst window of its worst year (solid; the year-aligned windows of
/// that year, so not always the run's worst window), beside the even
/// burn that spends it exactly by the window's end. A window that ends
/// below 0 missed the SLO; curves stop where they cross the floor, a
/// budget blown about twice over, and the legend gives each one's end.
pub fn burn_down(runs: &[Run], windows: &[(crate::report::year::Burn, crate::report::year::Burn)]) -> Result<String> {
    let days = runs[0].results.slo.window_days;
    let floor = windows.iter().flat_map(|(m, w)| [m.end(), w.end()]).fold(0.0, f64::min).max(-1.0) - 0.1;
    let sli = sli_loss(runs[0].results.slo.sli).to_lowercase();
    let percent = |f: f64| format!("{:.0} %", (f * 100.0).round() + 0.0);
    let grey = RGBColor(120, 120, 120);
    // The legend: (label, colour, dashed), drawn beside the plot.
    let mut entries = vec![("even burn: spent exactly by the end".to_string(), grey, true)];
    for (i, ((median, worst), run)) in windows.iter().zip(runs).enumerate() {
        let name = &run.results.scenario;
        entries.push((format!("{name}: typical, ends at {}", percent(median.end())), scenario_colour(i), true));
        let worst_label = format!("{name}: worst year's worst, ends at {}", percent(worst.end()));
        entries.push((worst_label, scenario_colour(i), false));
    }
    svg(&provenance(runs), |area| {
        let (plot, side) = area.split_horizontally(area.dim_in_pixel().0 - 320);
        let mut chart = ChartBuilder::on(&plot)
            .caption(format!("Error budget left through a {days:.0}-day SLO window"), (FONT, 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..days, floor..1.08)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_label_formatter(&|d| format!("{d:.0}"))
            .y_label_formatter(&|f| percent(*f))
            .x_desc(format!("days into the window; the budget is the {sli} the SLO allows it"))
            .y_desc("error budget left")
            .label_style((FONT, 13))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(DashedLineSeries::new([(0.0, 1.0), (days, 0.0)], 6, 4, grey.stroke_width(1)))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (days, 0.0)], BLACK.stroke_width(1)))
            .map_err(|e| e.to_string())?;
        let day = 86_400.0;
        // Cut where the curve crosses the floor, not at its next point, so
        // that a total outage falls as steeply as it did.
        let points = |b: &crate::report::year::Burn| -> Vec<(f64, f64)> {
            let mut out: Vec<(f64, f64)> = vec![];
            for &(t, left) in &b.left {
                match out.last() {
                    Some(&(_, last)) if last <= floor => break,
                    Some(&(t0, last)) if left < floor => {
                        let (t0, t1) = (t0, t / day);
                        out.push((t0 + (t1 - t0) * (last - floor) / (last - left), floor));
                        break;
                    }
                    _ => out.push((t / day, left)),
                }
            }
            out
        };
        for (i, (median, worst)) in windows.iter().enumerate() {
            let colour = scenario_colour(i).stroke_width(2);
            chart.draw_series(DashedLineSeries::new(points(median), 5, 3, colour)).map_err(|e| e.to_string())?;
            chart.draw_series(LineSeries::new(points(worst), colour)).map_err(|e| e.to_string())?;
        }
        // The legend beside the plot, one entry a line.
        for (k, (label, colour, dashed)) in entries.iter().enumerate() {
            let y = 60 + 22 * k as i32;
            let style = colour.stroke_width(2);
            if *dashed {
                side.draw(&PathElement::new([(4, y), (10, y)], style)).map_err(|e| e.to_string())?;
                side.draw(&PathElement::new([(14, y), (20, y)], style)).map_err(|e| e.to_string())?;
            } else {
                side.draw(&PathElement::new([(4, y), (20, y)], style)).map_err(|e| e.to_string())?;
            }
            side.draw(&Text::new(label.clone(), (26, y - 7), (FONT, 11).into_font())).map_err(|e| e.to_string())?;
        }
        let note = format!("below 0: the SLO is missed; cut at {}", percent(floor));
        side.draw(&Text::new(note, (4, 60 + 22 * entries.len() as i32), (FONT, 12).into_font().color(&grey)))
            .map_err(|e| e.to_string())
    })
}

/// A point of a sweep curve: (x, mean, 95 % low, 95 % high).
type SweepPoint = (f64, f64, f64, f64);

/// How a sweep's x values plot.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SweepAxis {
    /// Plain numbers, on a value axis.
    Numbers,
    /// Durations, ordered: one tick per value as written, evenly spaced
    /// (a log range's values are then on a log scale, a linear range's on
    /// a linear one), joined by lines.
    Durations,
    /// Anything else (arrays, words, tables): labelled categories, not joined.
    Categories,
}

/// The x of each of `values` and how they plot.
fn sweep_x(values: &[String]) -> (Vec<f64>, SweepAxis) {
    let positions = (0..values.len()).map(|i| i as f64).collect();
    if let Some(xs) = values.iter().map(|v| v.parse::<f64>().ok()).collect::<Option<Vec<f64>>>() {
        (xs, SweepAxis::Numbers)
    } else if values.iter().all(|v| crate::scenario::parse_duration(v).is_ok()) {
        (positions, SweepAxis::Durations)
    } else {
        (positions, SweepAxis::Categories)
    }
}

/// A sweep: `figure` (a key of the JSON contract, e.g.
/// `request_availability`; its 95 % interval drawn as a band when it has
/// one) against the first varied key, one line per value of the second,
/// with the SLO target when the figure is an availability.
pub fn sweep(
    points: &[crate::sweep::Point],
    runs: &[Run],
    figure: &str,
    assertions: &[crate::assertion::Assertion],
) -> Result<String> {
    let first_key = points[0].values.first().map(|(k, _)| k.clone()).unwrap_or_default();
    let firsts: Vec<String> = {
        let mut seen: Vec<String> = vec![];
        for p in points {
            if let Some((_, v)) = p.values.first()
                && !seen.contains(v)
            {
                seen.push(v.clone());
            }
        }
        seen
    };
    let (xs, axis) = sweep_x(&firsts);
    let value = |run: &Run, suffix: &str| {
        let key = if suffix.is_empty() { figure.to_string() } else { format!("{figure}.{suffix}") };
        run.results.figures().into_iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    };
    // One series per combination of the other keys' values (or one series).
    let mut series: Vec<(String, Vec<SweepPoint>)> = vec![];
    // Each drawn run's (x, mean), and the run.
    let mut at: Vec<((f64, f64), &Run)> = vec![];
    for (p, run) in points.iter().zip(runs) {
        let others: Vec<String> = p.values.iter().skip(1).map(|(k, v)| format!("{k} = {v}")).collect();
        let label = if others.is_empty() { figure.to_string() } else { others.join(", ") };
        let x = xs[firsts.iter().position(|v| Some(v) == p.values.first().map(|(_, v)| v)).unwrap_or(0)];
        let mean = value(run, "mean").or_else(|| value(run, "")).unwrap_or(f64::NAN);
        // Intervals come as {mean, ci95_low, ci95_high} or as a KEY_ci95 pair.
        let pair = |i: usize| {
            let key = format!("{figure}_ci95.{i}");
            run.results.figures().into_iter().find(|(k, _)| *k == key).map(|(_, v)| v)
        };
        let lo = value(run, "ci95_low").or_else(|| pair(0)).unwrap_or(mean);
        let hi = value(run, "ci95_high").or_else(|| pair(1)).unwrap_or(mean);
        if !mean.is_finite() {
            // The figure does not exist at this point (a cause its scenario
            // cannot have): nothing to draw.
            continue;
        }
        at.push(((x, mean), run));
        match series.iter_mut().find(|(l, _)| *l == label) {
            Some((_, pts)) => pts.push((x, mean, lo, hi)),
            None => series.push((label, vec![(x, mean, lo, hi)])),
        }
    }
    let availability = figure.ends_with("availability");
    // The SLO's target is drawn on the availability it judges only.
    let judged = match runs[0].results.slo.sli {
        crate::stats::Sli::Requests => "request_availability",
        crate::stats::Sli::Time => "time_availability",
    };
    let slo_line = figure == judged;
    let target = runs[0].results.slo.target;
    let banded = series.iter().flat_map(|(_, pts)| pts).any(|p| p.2 != p.3);
    let ys = series.iter().flat_map(|(_, pts)| pts.iter().flat_map(|p| [p.2, p.3]));
    let ys: Vec<f64> = ys.chain(slo_line.then_some(target)).filter(|y| y.is_finite()).collect();
    let (ymin, ymax) = ys.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &y| (a.min(y), b.max(y)));
    // No point has the figure: an empty chart, not an infinite range.
    let (ymin, ymax) = if ymin <= ymax { (ymin, ymax) } else { (0.0, 1.0) };
    // A flat series gets a range of 1 % of its value, not of nothing (its
    // ticks read 320.17, not 320.16561760).
    let size = ymax.abs().max(ymin.abs());
    let pad = if ymax - ymin > 1e-9 * size { (ymax - ymin) * 0.1 } else { size * 0.005 }.max(1e-6);
    // The legend goes in a corner on the right, where the curves' right
    // ends leave room, and the y range grows by its height, so that it
    // covers no curve or band however many series there are.
    let right_end_high = series.iter().filter_map(|(_, pts)| pts.last()).any(|p| p.1 > (ymin + ymax) / 2.0);
    let entries = series.len() + usize::from(slo_line) + assertions.len() + 1;
    let room = (0.055 * entries as f64).min(0.5);
    let extra = (ymax - ymin + 2.0 * pad) * room / (1.0 - room);
    let (ylow, yhigh) =
        if right_end_high { (ymin - pad - extra, ymax + pad) } else { (ymin - pad, ymax + pad + extra) };
    let (xmin, xmax) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let xpad = ((xmax - xmin) * 0.05).max(0.5);
    svg(&provenance(runs), |area| {
        // A long figure or key gets a smaller title rather than a cut one.
        let bands = if banded { " (bands: 95 % intervals)" } else { "" };
        let title = format!("{figure} against {first_key}{bands}");
        let size = (880.0 / (0.55 * title.len() as f64)).clamp(11.0, 20.0);
        let mut chart = ChartBuilder::on(area)
            .caption(title, (FONT, size))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(95)
            .build_cartesian_2d(xmin - xpad..xmax + xpad, ylow..yhigh)
            .map_err(|e| e.to_string())?;
        // Long values (inline tables) would overlap: number them instead.
        let numbered = axis == SweepAxis::Categories && firsts.iter().any(|v| v.len() > 24);
        let ordinals: Vec<String> = (1..=firsts.len()).map(|i| i.to_string()).collect();
        let note = if numbered { " (value number, in the order given; see sweep.csv)" } else { "" };
        // A few whole numbers (replicas, instances) are ticked at each whole number.
        let whole = axis == SweepAxis::Numbers && xs.iter().all(|x| x.fract() == 0.0) && xmax - xmin <= 20.0;
        let ticks = match axis {
            SweepAxis::Numbers if whole => 2 * (xmax - xmin + 2.0) as usize + 1,
            SweepAxis::Numbers => 10,
            _ => firsts.len() * 2 + 1,
        };
        chart
            .configure_mesh()
            .x_desc(format!("{first_key}{note}"))
            .x_labels(ticks)
            .x_label_formatter(&|x| match (axis, numbered) {
                (SweepAxis::Numbers, _) if whole => {
                    if x.fract() == 0.0 {
                        format!("{x}")
                    } else {
                        String::new()
                    }
                }
                (SweepAxis::Numbers, _) => format!("{x}"),
                (_, false) => label_at(&firsts, *x),
                (_, true) => label_at(&ordinals, *x),
            })
            .y_desc(if availability { format!("{figure} [%]") } else { figure.to_string() })
            .y_label_formatter(&|y| {
                // Enough decimals to tell the ticks apart.
                let scale = if availability { 100.0 } else { 1.0 };
                let span = (ymax - ymin + 2.0 * pad) * scale;
                let decimals = (2 - span.log10().floor() as i32).clamp(0, 8) as usize;
                format!("{:.*}", decimals, y * scale)
            })
            .label_style((FONT, 14))
            .draw()
            .map_err(|e| e.to_string())?;
        if slo_line {
            chart
                .draw_series(LineSeries::new([(xmin - xpad, target), (xmax + xpad, target)], RED.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(format!("SLO target {:.3} %", 100.0 * target))
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED.stroke_width(2)));
        }
        for (i, (label, pts)) in series.iter().enumerate() {
            let colour = scenario_colour(i);
            if axis == SweepAxis::Categories {
                // Categories have no order between them: each its own interval.
                let whiskers = pts.iter().map(|p| PathElement::new([(p.0, p.2), (p.0, p.3)], colour.stroke_width(2)));
                chart
                    .draw_series(whiskers)
                    .map_err(|e| e.to_string())?
                    .label(label.clone())
                    .legend(move |(x, y)| Circle::new((x + 10, y), 4, colour.filled()));
            } else {
                let band: Vec<(f64, f64)> =
                    pts.iter().map(|p| (p.0, p.3)).chain(pts.iter().rev().map(|p| (p.0, p.2))).collect();
                chart.draw_series([Polygon::new(band, colour.mix(0.2).filled())]).map_err(|e| e.to_string())?;
                chart
                    .draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), colour.stroke_width(2)))
                    .map_err(|e| e.to_string())?
                    .label(label.clone())
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
            }
            chart
                .draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 4, colour.filled())))
                .map_err(|e| e.to_string())?;
        }
        // The gate on the plotted figure: its threshold dashed, and a red
        // ring on each point that fails it.
        let scale_free = |a: &&crate::assertion::Assertion| a.key() == figure || a.key() == format!("{figure}.mean");
        for a in assertions.iter().filter(scale_free) {
            let y = a.threshold();
            chart
                .draw_series(DashedLineSeries::new([(xmin - xpad, y), (xmax + xpad, y)], 6, 4, BLACK.stroke_width(1)))
                .map_err(|e| e.to_string())?
                .label(format!("assert {}", a.text()))
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(1)));
            let failing = at
                .iter()
                .filter(|(_, run)| !a.check(&run.results).map(|c| c.holds).unwrap_or(true))
                .map(|(p, _)| Circle::new(*p, 8, RED.stroke_width(2)));
            chart.draw_series(failing).map_err(|e| e.to_string())?;
        }
        legend(
            &mut chart,
            if right_end_high { SeriesLabelPosition::LowerRight } else { SeriesLabelPosition::UpperRight },
        )
    })
}

/// A stretch of a recorded year to chart [s since its start], and the
/// unit of its axis: days over the year, hours over a day or two.
#[derive(Clone, Copy, Debug)]
pub struct Span {
    /// First second shown.
    pub from: f64,
    /// Last second shown.
    pub to: f64,
}

impl Span {
    /// The whole year.
    pub const YEAR: Span = Span { from: 0.0, to: crate::units::YEAR_SECS };

    /// Seconds per unit of the axis.
    fn unit(self) -> f64 {
        if self.to - self.from <= 3.0 * 86_400.0 { 3_600.0 } else { 86_400.0 }
    }

    /// Position of `t` [s since the year's start] on the axis.
    fn x(self, t: f64) -> f64 {
        (t.clamp(self.from, self.to) - self.from) / self.unit()
    }

    /// Length on the axis.
    fn end(self) -> f64 {
        self.x(self.to)
    }

    /// The axis's description.
    fn describe(self) -> String {
        if self.unit() == 86_400.0 {
            "days since the year began".to_string()
        } else {
            format!("hours from {} (days since the year began)", crate::report::year::day_time(self.from))
        }
    }
}

/// A recorded year of `scenario` over `span` as a timeline: the service
/// (serving, failing some requests, down), the load balancer, each
/// dependency and fault domain, each instance slot by fault domain
/// (serving, dead but in rotation, out of rotation, drained), and planned
/// work; with traffic, demand, capacity and the pool below. Normal states
/// are left blank, so what happened stands out.
pub fn timeline(
    sc: &crate::scenario::Scenario,
    tl: &crate::timeline::Timeline,
    title: &str,
    span: Span,
) -> Result<String> {
    use crate::timeline::SlotState;
    let seed = sc.simulation.seed;
    let first = &tl.samples[0];
    // An autoscaled pool uses more slots at some times than at others.
    let n_slots = tl.samples.iter().map(|s| s.slots.len()).max().unwrap_or(0);
    // Rows, top to bottom: (label, state of a sample → colour if not normal).
    type Row<'a> = (String, Box<dyn Fn(&crate::timeline::Sample) -> Option<RGBColor> + 'a>);
    let (red, orange, grey, blue) =
        (RGBColor(200, 30, 30), RGBColor(240, 170, 0), RGBColor(150, 150, 150), RGBColor(0, 114, 178));
    let mut rows: Vec<Row> = vec![(
        "service".into(),
        Box::new(move |s| {
            if !s.up {
                Some(red)
            } else if s.failing > 0.0 {
                Some(orange)
            } else {
                None
            }
        }),
    )];
    // With regions: each region (red while it cannot serve); the rows
    // below are the first region's.
    let regions = sc.regions.as_ref();
    let home = regions.map_or(String::new(), |r| format!(" ({})", r.names[0]));
    for (k, name) in regions.iter().flat_map(|r| r.names.iter()).enumerate() {
        rows.push((format!("region {name}"), Box::new(move |s| s.regions.get(k).is_some_and(|r| !r.0).then_some(red))));
    }
    if sc.load_balancer.is_some() {
        rows.push((format!("load balancer{home}"), Box::new(move |s| (!s.lb_up).then_some(red))));
    }
    for (i, d) in sc.dependencies.iter().enumerate() {
        let whose = if d.global { "" } else { &home };
        rows.push((format!("dependency {}{whose}", d.name), Box::new(move |s| (!s.dependencies_up[i]).then_some(red))));
    }
    for fd in 0..first.fd_live.len() {
        rows.push((format!("fault domain {}{home}", fd + 1), Box::new(move |s| (!s.fd_live[fd]).then_some(red))));
    }
    let pale = RGBColor(228, 228, 228);
    let state = |s: &crate::timeline::Sample, slot: usize| s.slots.get(slot).copied().unwrap_or(SlotState::Absent);
    // Slots in the pool longest first: an autoscaled pool's extra slots
    // come and go below the ones that stay.
    let presence = |slot: usize| {
        let spans = tl.samples.iter().zip(tl.samples.iter().skip(1).map(|n| n.t).chain([crate::units::YEAR_SECS]));
        spans.filter(|(s, _)| state(s, slot) != SlotState::Absent).map(|(s, next)| next - s.t).sum::<f64>()
    };
    let mut order: Vec<(usize, f64)> = (0..n_slots).map(|slot| (slot, presence(slot))).collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    // A slot that is sometimes out of the pool shows its hours in it (a
    // scale-out) in green: a short one would be a gap too thin to see.
    let green = RGBColor(150, 210, 160);
    for (rank, (slot, _)) in order.into_iter().enumerate() {
        let fd = tl.samples.iter().find_map(|s| s.slot_fd.get(slot)).copied().unwrap_or(0);
        let comes_and_goes = tl.samples.iter().any(|s| state(s, slot) == SlotState::Absent);
        rows.push((
            format!("instance {} (FD {}){home}", rank + 1, fd + 1),
            Box::new(move |s| match state(s, slot) {
                SlotState::Serving => comes_and_goes.then_some(green),
                SlotState::FailingInRotation => Some(red),
                SlotState::OutOfRotation => Some(grey),
                SlotState::Draining => Some(blue),
                SlotState::Absent => Some(pale),
            }),
        ));
    }
    rows.push(("deploy".into(), Box::new(move |s| s.planned[0].then_some(blue))));
    rows.push(("maintenance".into(), Box::new(move |s| s.planned[1].then_some(blue))));
    let source = crate::provenance::Provenance::of(sc);
    let footer = format!(
        "{} · {} · seed {seed} · trajectory {}, year {} · {} of downtime",
        source.build(),
        source.scenario_line(),
        tl.trajectory + 1,
        tl.year + 1,
        crate::report::human_minutes(tl.downtime / 60.0)
    );
    let end = span.end();
    // Taller than the other charts: a row per component, and room above
    // them for the legend; with traffic, a panel of demand below.
    let panel = if tl.demand.is_empty() { 0 } else { 300 };
    let scaled = n_slots > first.slots.len() || tl.samples.iter().any(|s| s.slots.contains(&SlotState::Absent));
    // Rows of room above for the legend: its entries and a margin.
    let room = if scaled { 7 } else { 5 };
    let height = 104 + 24 * (rows.len() + room) as u32 + panel;
    // Wide enough for the longest row label (about 7 px a character).
    let label_width = rows.iter().map(|(l, _)| l.chars().count() as u32 * 7 + 16).max().unwrap_or(0).max(150);
    svg_sized((SIZE.0, height), &footer, |whole| {
        let (area, below) = whole.split_vertically(height - 22 - panel);
        if panel > 0 {
            demand_panel(&below, tl, span, label_width)?;
        }
        let area = &area;
        let labels: Vec<String> = rows.iter().map(|(l, _)| l.clone()).collect();
        let n = rows.len() as f64;
        let mut chart = ChartBuilder::on(area)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(label_width)
            // Room for the demand panel's right axis, so the two share x.
            .margin_right(if panel > 0 { 72 } else { 12 })
            .build_cartesian_2d(0.0..end, 0.0..n + room as f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels((rows.len() + room) * 2 + 1)
            .y_label_formatter(&|y| label_at(&labels, n - 0.5 - y))
            .x_label_formatter(&|d| format!("{d:.0}"))
            .x_desc(span.describe())
            .label_style((FONT, 13))
            .draw()
            .map_err(|e| e.to_string())?;
        for (r, (_, colour_of)) in rows.iter().enumerate() {
            let top = n - r as f64 - 0.15;
            let bottom = n - r as f64 - 0.85;
            // Runs of one colour become one bar; at least a pixel wide, so
            // a 28-second detection window still shows on a year's scale.
            let mut bars = vec![];
            let mut open: Option<(f64, RGBColor)> = None;
            for (k, s) in tl.samples.iter().enumerate() {
                let t = span.x(s.t);
                let next = tl.samples.get(k + 1).map_or(end, |n| span.x(n.t));
                let c = colour_of(s);
                match (open, c) {
                    (Some((_, oc)), Some(nc)) if oc == nc => {}
                    (Some((start, oc)), _) => {
                        bars.push((start, t, oc));
                        open = c.map(|nc| (t, nc));
                    }
                    (None, Some(nc)) => open = Some((t, nc)),
                    (None, None) => {}
                }
                if k + 1 == tl.samples.len()
                    && let Some((start, oc)) = open
                {
                    bars.push((start, next, oc));
                }
            }
            // At least two pixels: a bar narrower rounds to none.
            let min_width = end / 360.0;
            // "Not in the pool" first: a short episode widened to be seen
            // must not be covered by the long absence that follows it.
            bars.sort_by_key(|&(_, _, c)| c != pale);
            chart
                .draw_series(
                    bars.into_iter()
                        .filter(|&(a, b, _)| b > 0.0 && a < end)
                        .map(|(a, b, c)| Rectangle::new([(a, bottom), (b.max(a + min_width), top)], c.filled())),
                )
                .map_err(|e| e.to_string())?;
        }
        // A legend of the colours.
        for (label, colour) in [
            ("down / dead in rotation", red),
            ("failing some requests", orange),
            ("out of rotation", grey),
            ("planned work, drained", blue),
        ]
        .into_iter()
        .chain(scaled.then_some([("not in the pool", pale), ("scaled out, serving", green)]).into_iter().flatten())
        {
            chart
                .draw_series([Rectangle::new([(0.0, -1.0), (0.0, -1.0)], colour.filled())])
                .map_err(|e| e.to_string())?
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], colour.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// The demand panel of a timeline over `span`: demand and the capacity in
/// rotation [requests/s], the demand above it (which fails) filled red,
/// and the pool's size on the right axis; the legend in a strip above,
/// clear of the data. `label_width` is the timeline's label area, so that
/// both share the x axis.
fn demand_panel(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    tl: &crate::timeline::Timeline,
    span: Span,
    label_width: u32,
) -> Result<(), String> {
    let end = span.end();
    // The samples in effect over the span: the last before it, then those in it.
    let first = tl.samples.partition_point(|s| s.t <= span.from).saturating_sub(1);
    let in_span: Vec<&crate::timeline::Sample> = tl.samples[first..].iter().take_while(|s| s.t <= span.to).collect();
    let steps = |value: &dyn Fn(&crate::timeline::Sample) -> f64| {
        let mut points: Vec<(f64, f64)> = vec![];
        for s in &in_span {
            if let Some(&(_, last)) = points.last() {
                points.push((span.x(s.t), last));
            }
            points.push((span.x(s.t), value(s)));
        }
        points.push((end, points.last().map_or(0.0, |p| p.1)));
        points
    };
    let capacity_at = |t: f64| {
        let k = tl.samples.partition_point(|s| s.t <= t).saturating_sub(1);
        tl.samples[k].capacity_rps.unwrap_or(f64::INFINITY)
    };
    // The curve's points in the span, and its values at the span's edges.
    let edge = |t: f64, after: bool| crate::report::year::demand_at(&tl.demand, t, after).map(|d| (t, d));
    let inside: Vec<(f64, f64)> = edge(span.from, true)
        .into_iter()
        .chain(tl.demand.iter().copied().filter(|p| p.0 > span.from && p.0 < span.to))
        .chain(edge(span.to, false))
        .collect();
    let demand: Vec<(f64, f64)> = inside.iter().map(|&(t, d)| (span.x(t), d)).collect();
    let capacity = steps(&|s| s.capacity_rps.unwrap_or(0.0));
    let instances = steps(&|s| s.instances as f64);
    let top = demand.iter().map(|p| p.1).chain(capacity.iter().map(|p| p.1)).fold(0.0, f64::max) * 1.1;
    let most = instances.iter().map(|p| p.1).fold(0.0, f64::max) + 1.0;
    let (strip, area) = area.split_vertically(28);
    let mut chart = ChartBuilder::on(&area)
        .margin(12)
        .margin_top(4)
        .x_label_area_size(40)
        .y_label_area_size(label_width)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0.0..end, 0.0..top.max(1.0))
        .map_err(|e| e.to_string())?
        .set_secondary_coord(0.0..end, 0.0..most);
    chart
        .configure_mesh()
        .x_label_formatter(&|d| format!("{d:.0}"))
        .y_label_formatter(&|r| format!("{r:.0}"))
        .x_desc(span.describe())
        .y_desc("requests/s")
        .label_style((FONT, 13))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .configure_secondary_axes()
        .y_label_formatter(&|i| format!("{i:.0}"))
        .y_desc("instances")
        .label_style((FONT, 13))
        .draw()
        .map_err(|e| e.to_string())?;
    let demand_colour = RGBColor(0, 114, 178);
    let capacity_colour = RGBColor(0, 158, 115);
    let pool_colour = RGBColor(120, 120, 120);
    let excess_colour = RGBColor(200, 30, 30);
    // With regions, the panel is the first region's: the demand routed to it.
    let demand_label = if tl.samples[0].regions.is_empty() { "demand" } else { "demand routed here" };
    let mut entries = vec![(demand_label, demand_colour)];
    let capacity_known = tl.samples.iter().any(|s| s.capacity_rps.is_some());
    if capacity_known {
        chart.draw_series(LineSeries::new(capacity, capacity_colour.stroke_width(2))).map_err(|e| e.to_string())?;
        entries.extend([("capacity in rotation", capacity_colour), ("demand above capacity: fails", excess_colour)]);
    }
    chart.draw_series(LineSeries::new(demand, demand_colour.stroke_width(1))).map_err(|e| e.to_string())?;
    chart.draw_secondary_series(LineSeries::new(instances, pool_colour.stroke_width(1))).map_err(|e| e.to_string())?;
    entries.push(("pool size (right axis)", pool_colour));
    if capacity_known {
        // Over the demand and pool lines, so that it shows: between two demand
        // points the capacity holds (every sample is a demand point), and
        // the excess is the demand's part above it, at least two pixels wide.
        let min_width = end / 360.0;
        let pieces = inside.windows(2).filter_map(|p| {
            let cap = capacity_at(p[0].0);
            (p[0].1 > cap || p[1].1 > cap).then(|| {
                let (xa, xb) = (span.x(p[0].0), span.x(p[1].0).max(span.x(p[0].0) + min_width));
                Polygon::new(vec![(xa, cap), (xa, p[0].1.max(cap)), (xb, p[1].1.max(cap)), (xb, cap)], excess_colour)
            })
        });
        chart.draw_series(pieces).map_err(|e| e.to_string())?;
    }
    // From the left edge: the labels are long.
    let mut x = 12;
    for (label, colour) in entries {
        strip.draw(&Rectangle::new([(x, 10), (x + 15, 14)], colour.filled())).map_err(|e| e.to_string())?;
        strip.draw(&Text::new(label, (x + 20, 5), (FONT, 13).into_font())).map_err(|e| e.to_string())?;
        x += 30 + 7 * label.len() as i32;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Demand above the capacity in rotation is filled red over the demand
    /// line; demand within it leaves nothing red.
    #[test]
    fn the_demand_panel_shows_demand_above_capacity() {
        use crate::report::year::tests::{sample, year};
        let draw = |peak: f64| {
            let mut s = sample(0.0, true, 0.0, 0);
            s.capacity_rps = Some(100.0);
            let tl = year(vec![s], vec![(0.0, 50.0), (3_600.0, peak), (7_200.0, 50.0), (86_400.0, 50.0)]);
            let mut out = String::new();
            {
                let root = SVGBackend::with_string(&mut out, (900, 300)).into_drawing_area();
                demand_panel(&root, &tl, Span { from: 0.0, to: 86_400.0 }, 150).unwrap();
                root.present().unwrap();
            }
            out
        };
        let red = "fill=\"#C81E1E\"";
        let over = draw(150.0);
        assert!(over.contains("demand above capacity: fails"));
        assert_eq!(over.matches("<polygon").count(), 2, "the rise and the fall above 100 req/s");
        assert!(over.contains(red));
        assert!(over.contains("#787878"), "the pool's size is drawn");
        assert!(!draw(90.0).contains("<polygon"), "nothing above capacity");
    }

    /// Numbers plot on a value axis; durations one tick per value as
    /// written, in order; anything else as unjoined categories.
    #[test]
    fn sweep_values_plot_by_their_kind() {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (xs, axis) = sweep_x(&strings(&["0.99", "0.999"]));
        assert!(axis == SweepAxis::Numbers && xs == [0.99, 0.999]);
        let (xs, axis) = sweep_x(&strings(&["30d", "68.9994d", "1y"]));
        assert!(axis == SweepAxis::Durations && xs == [0.0, 1.0, 2.0]);
        let (xs, axis) = sweep_x(&strings(&["true", "false"]));
        assert!(axis == SweepAxis::Categories && xs == [0.0, 1.0]);
    }

    /// A grid of three keys draws one series per combination of the second
    /// and third keys' values, each joining the first key's values alone.
    /// Nines ticks carry the digits they need: 7 nines is not 100 %.
    #[test]
    fn nines_ticks_show_their_digits() {
        assert_eq!(nines_label(1.0), "90 %");
        assert_eq!(nines_label(3.0), "99.9 %");
        assert_eq!(nines_label(7.0), "99.99999 %");
        assert!(nines(1.0 - 1e-8) > 7.9, "more than 7 nines are drawn where they are");
    }

    /// A named cause's colour family is its dependency's or its region's.
    #[test]
    fn named_causes_are_grouped_by_their_owner() {
        assert_eq!(owner("db"), "db");
        assert_eq!(owner("db.failover"), "db");
        assert_eq!(owner("region.eu-west.dns_ttl"), "region.eu-west");
        let owners = ["db".to_string(), "region.a".to_string(), "region.b".to_string()];
        let colour = |name: &str| cause_colour(Cause::Named(0), name, &owners);
        assert_ne!(colour("region.a.outage"), colour("region.b.outage"));
        assert_ne!(colour("region.a.outage"), colour("region.a.dns_ttl"), "reasons are shades");
    }

    #[test]
    fn a_three_key_sweep_draws_a_series_per_combination() {
        let mut points = vec![];
        for a in ["1", "2"] {
            for b in ["x", "y"] {
                for c in ["p", "q"] {
                    let values = [("a", a), ("b", b), ("c", c)].map(|(k, v)| (k.to_string(), v.to_string()));
                    points.push(crate::sweep::Point { values: values.to_vec() });
                }
            }
        }
        let runs: Vec<Run> = points.iter().map(|_| crate::run::fixture::run()).collect();
        let svg = sweep(&points, &runs, "request_availability", &[]).expect("renders");
        for label in ["b = x, c = p", "b = x, c = q", "b = y, c = p", "b = y, c = q"] {
            assert_eq!(svg.matches(label).count(), 1, "one legend entry for {label}");
        }
        assert!(!svg.contains(">b = x<"), "no series of the second key alone");
    }

    /// A sweep chart draws the SLO's target on the availability it judges
    /// only, names bands only where the figure has intervals, and ticks a
    /// flat series in a readable number of decimals.
    #[test]
    fn a_sweep_chart_shows_only_what_its_figure_has() {
        let points: Vec<crate::sweep::Point> =
            ["1", "2"].iter().map(|v| crate::sweep::Point { values: vec![("a".to_string(), v.to_string())] }).collect();
        let runs: Vec<Run> = points.iter().map(|_| crate::run::fixture::run()).collect();
        assert_eq!(runs[0].results.slo.sli, crate::stats::Sli::Requests);
        let chart = |figure: &str| sweep(&points, &runs, figure, &[]).expect("renders");
        let judged = chart("request_availability");
        assert!(judged.contains("SLO target") && judged.contains("bands: 95 % intervals"));
        assert!(!chart("time_availability").contains("SLO target"), "not the SLI: no target");
        let flat = chart("instance_hours_per_year.p90");
        assert!(!flat.contains("bands:"), "a quantile has no interval");
        // The fixture's p90 is the same at both points: ticks with at most two decimals.
        let ticks: Vec<&str> =
            flat.split('>').filter_map(|t| t.split('<').next()).filter(|t| t.contains('.')).collect();
        let decimals =
            |t: &str| t.trim().rsplit('.').next().map_or(0, |d| d.chars().take_while(char::is_ascii_digit).count());
        assert!(ticks.iter().all(|t| t.parse::<f64>().is_err() || decimals(t) <= 2), "{ticks:?}");
    }
}
