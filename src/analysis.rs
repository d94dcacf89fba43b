//! Turns a merged [`Tally`] into the figures users read: one [`Results`]
//! value that every reporter (table, JSON, CSV) consumes.
//!
//! `Results` derives `Serialize` because its shape *is* the JSON contract;
//! it is the boundary between analysis and the reporters.

use crate::cause::Cause;
use crate::scenario::Scenario;
use crate::stats::{
    Interval, LogHistogram, MICROS, Sli, Summary, Tally, rate_interval, replicated_proportion_interval,
    summary_interval,
};
use crate::units::{DAY_SECS, YEAR_SECS};
use serde::Serialize;

/// Distribution of a per-period figure, in the unit its field names
/// (minutes of downtime, instance-hours, percent).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spread {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest seen.
    pub max: f64,
}

impl Spread {
    /// Of durations recorded in seconds, in minutes.
    fn minutes(s: &Summary) -> Spread {
        Spread::of(s, 60.0)
    }

    /// Of a summary whose recorded values, divided by `unit`, are the figure.
    fn of(s: &Summary, unit: f64) -> Spread {
        let max = s.max_secs();
        let q = |p| s.histogram.quantile(p) / unit;
        Spread {
            mean: s.sum_secs() / s.n.max(1) as f64 / unit,
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            max: max / unit,
        }
    }
}

/// Autoscaling actions per year.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScaleActions {
    /// Scale-out actions.
    pub out: f64,
    /// Scale-in actions.
    #[serde(rename = "in")]
    pub inward: f64,
}

/// How the design fares against its SLO.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SloResults {
    /// Target availability (fraction).
    pub target: f64,
    /// Window length [days].
    pub window_days: f64,
    /// SLI judged: "requests" or "time".
    #[serde(serialize_with = "sli_name")]
    pub sli: Sli,
    /// Probability that a window meets the target.
    pub p_window_meets: f64,
    /// Its 95 % interval (Wilson score).
    pub p_window_meets_ci95: [f64; 2],
    /// Probability that a year meets the target.
    pub p_year_meets: f64,
    /// Its 95 % interval (Wilson score).
    pub p_year_meets_ci95: [f64; 2],
    /// Mean fraction of a window's error budget consumed (1 = all of it).
    pub error_budget_consumed_mean: f64,
}

fn sli_name<S: serde::Serializer>(sli: &Sli, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(sli.name())
}

/// What one cause costs per year.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CauseFigures {
    /// The cause.
    #[serde(skip)]
    pub cause: Cause,
    /// Its name (a fixed cause's, or the dependency's).
    #[serde(skip)]
    pub name: String,
    /// Mean downtime booked to it per year [min] (one cause per moment).
    pub downtime_minutes_per_year: f64,
    /// Mean failed-request time booked to it per year [min of full outage].
    pub failed_request_minutes_per_year: f64,
}

/// Every cause of a scenario in [`Cause`] order; serialized as an object
/// keyed by cause name, so that JSON users (and sweep assertions) address
/// `causes.database.downtime_minutes_per_year`.
#[derive(Clone, Debug, PartialEq)]
pub struct Causes(pub Vec<CauseFigures>);

impl Serialize for Causes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|c| (&c.name, c)))
    }
}

impl Causes {
    /// Causes with downtime, largest first: (name, minutes per year).
    pub fn top_downtime(&self) -> Vec<(&str, f64)> {
        ranked(self.0.iter().map(|c| (c.name.as_str(), c.downtime_minutes_per_year)))
    }

    /// Causes with failed requests, largest first: (name, full-outage minutes per year).
    pub fn top_failed_requests(&self) -> Vec<(&str, f64)> {
        ranked(self.0.iter().map(|c| (c.name.as_str(), c.failed_request_minutes_per_year)))
    }

    /// The figures of the cause named `name`.
    pub fn get(&self, name: &str) -> Option<&CauseFigures> {
        self.0.iter().find(|c| c.name == name)
    }
}

fn ranked<'a>(causes: impl Iterator<Item = (&'a str, f64)>) -> Vec<(&'a str, f64)> {
    let mut causes: Vec<(&str, f64)> = causes.filter(|(_, v)| *v > 0.0).collect();
    causes.sort_by(|a, b| b.1.total_cmp(&a.1));
    causes
}

/// The figures of one simulated scenario: a pure function of the scenario
/// and its tally, the same however many threads, shards or machines ran it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Results {
    /// Scenario name.
    pub scenario: String,
    /// Its one-line description.
    pub description: String,
    /// Simulated years.
    pub years: u64,
    /// Master seed.
    pub seed: u64,
    /// Events handled.
    pub events: u64,
    /// Fraction of time the service could serve.
    pub time_availability: Interval,
    /// Fraction of requests served.
    pub request_availability: Interval,
    /// Downtime per year [min].
    pub downtime_minutes_per_year: Spread,
    /// Downtime per SLO window [min].
    pub downtime_minutes_per_window: Spread,
    /// SLO compliance.
    pub slo: SloResults,
    /// Downtime and failed requests by cause, every cause listed.
    pub causes: Causes,
    /// Outages (time-unavailability episodes) per year.
    pub outages_per_year: f64,
    /// Its exact (Garwood) 95 % Poisson interval.
    pub outages_per_year_ci95: [f64; 2],
    /// Mean outage duration [min].
    pub mean_outage_minutes: f64,
    /// Distribution of outage durations [min].
    pub outage_minutes: Spread,
    /// Sessions lost per year.
    pub sessions_lost_per_year: f64,
    /// Instance-hours per year: every instance that exists (serving,
    /// launching, draining), the cost side of the design.
    pub instance_hours_per_year: Spread,
    /// Autoscaling actions per year.
    pub scale_actions_per_year: ScaleActions,
    /// Hours per year the pool spends at its autoscaling maximum.
    pub hours_at_max_per_year: f64,
    /// Each year's highest utilisation [%], when instances have a capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_utilisation_percent: Option<Spread>,
    /// Per-year and per-window downtime histograms, for CSV export.
    #[serde(skip)]
    pub histograms: Histograms,
}

impl Results {
    /// Every number of the JSON contract as (dotted key, value), in the
    /// contract's order; array items are keyed by index
    /// (`slo.p_year_meets_ci95.0`). What `--assert` and sweep CSV address.
    pub fn figures(&self) -> Vec<(String, f64)> {
        fn walk(v: &serde_json::Value, path: &str, out: &mut Vec<(String, f64)>) {
            let join = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
            match v {
                serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| walk(v, &join(k), out)),
                serde_json::Value::Array(items) => {
                    items.iter().enumerate().for_each(|(i, v)| walk(v, &join(&i.to_string()), out))
                }
                serde_json::Value::Number(n) => out.push((path.to_string(), n.as_f64().unwrap_or(f64::NAN))),
                _ => {}
            }
        }
        let mut out = vec![];
        walk(&serde_json::to_value(self).expect("results serialize"), "", &mut out);
        out
    }
}

/// Per-period histograms kept for export and charts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histograms {
    /// Per-year downtime.
    pub year: LogHistogram,
    /// Per-window downtime.
    pub window: LogHistogram,
    /// Per-year failed-request time.
    pub year_failed: LogHistogram,
    /// Per-window failed-request time.
    pub window_failed: LogHistogram,
}

impl Histograms {
    /// Per year and per window, the time lost on `sli`: what the SLO
    /// judges each period by.
    pub fn on(&self, sli: Sli) -> (&LogHistogram, &LogHistogram) {
        match sli {
            Sli::Time => (&self.year, &self.window),
            Sli::Requests => (&self.year_failed, &self.window_failed),
        }
    }
}

impl Results {
    /// Analyses `tally`, the merged tally of `scenario`'s simulated years.
    ///
    /// # Panics
    /// If the tally holds fewer than two years (the runner refuses to
    /// analyse such a tally).
    pub fn new(scenario: &Scenario, tally: &Tally) -> Results {
        let years = tally.years();
        // Unavailability is a fraction: with few years (or none down, or
        // nearly all) the interval's ends are cut at 0 and 1, so
        // availability never reads above 100 % or below 0 %.
        let unavailability = |s: &Summary, len: f64| {
            let i = summary_interval(s, len * MICROS);
            Interval { ci95_low: i.ci95_low.max(0.0), ci95_high: i.ci95_high.min(1.0), ..i }
        };
        let slo = &scenario.slo;
        let window_bad = match slo.sli {
            Sli::Requests => &tally.window_failed,
            Sli::Time => &tally.window_down,
        };
        let windows = tally.window_down.n;
        let budget = windows.max(1) as f64 * slo.window * (1.0 - slo.target);
        let p_window = replicated_proportion_interval(tally.windows_met, windows, &tally.windows_met_trajectories);
        let p_year = replicated_proportion_interval(tally.years_met, years, &tally.years_met_trajectories);
        let per_year = |v: u128| v as f64 / MICROS / years as f64 / 60.0;
        // Failed requests by cause, as a share of all requests times a
        // year: with a constant demand, the requests are the years' length
        // and the scale is exactly 1.
        let measured = years as f64 * YEAR_SECS * MICROS;
        let request_scale = if tally.requests == 0 { 1.0 } else { measured / tally.requests as f64 };
        let named = scenario.named_causes();
        let causes = Cause::all(named.len())
            .map(|cause| CauseFigures {
                cause,
                name: cause.name(|i| &named[i]).to_string(),
                downtime_minutes_per_year: per_year(tally.cause_down[cause.id().index()]),
                failed_request_minutes_per_year: per_year(tally.cause_failed[cause.id().index()]) * request_scale,
            })
            .collect();
        let outages = tally.outages;
        let outage_rate = rate_interval(outages, years as f64);
        Results {
            scenario: scenario.name.clone(),
            description: scenario.description.clone(),
            years,
            seed: scenario.simulation.seed,
            events: tally.events,
            time_availability: unavailability(&tally.year_down, YEAR_SECS).complement(),
            request_availability: unavailability(&tally.year_failed, YEAR_SECS).complement(),
            downtime_minutes_per_year: Spread::minutes(&tally.year_down),
            downtime_minutes_per_window: Spread::minutes(&tally.window_down),
            slo: SloResults {
                target: slo.target,
                window_days: slo.window / DAY_SECS,
                sli: slo.sli,
                p_window_meets: p_window.mean,
                p_window_meets_ci95: [p_window.ci95_low, p_window.ci95_high],
                p_year_meets: p_year.mean,
                p_year_meets_ci95: [p_year.ci95_low, p_year.ci95_high],
                error_budget_consumed_mean: window_bad.sum_secs() / budget,
            },
            causes: Causes(causes),
            outages_per_year: outage_rate.mean,
            outages_per_year_ci95: [outage_rate.ci95_low, outage_rate.ci95_high],
            mean_outage_minutes: if outages > 0 {
                tally.outage_durations.sum_secs() / outages as f64 / 60.0
            } else {
                0.0
            },
            outage_minutes: Spread::minutes(&tally.outage_durations),
            sessions_lost_per_year: tally.sessions_lost as f64 / years as f64,
            instance_hours_per_year: Spread::of(&tally.instance_hours, 1.0),
            scale_actions_per_year: ScaleActions {
                out: tally.scale_outs as f64 / years as f64,
                inward: tally.scale_ins as f64 / years as f64,
            },
            hours_at_max_per_year: tally.at_max as f64 / MICROS / years as f64 / 3_600.0,
            peak_utilisation_percent: scenario.capacity.map(|_| Spread::of(&tally.peak_utilisation, 1.0)),
            histograms: Histograms {
                year: tally.year_down.histogram.clone(),
                window: tally.window_down.histogram.clone(),
                year_failed: tally.year_failed.histogram.clone(),
                window_failed: tally.window_failed.histogram.clone(),
            },
        }
    }
}

/// A scenario and a hand-filled tally whose figures are computed by hand in
/// the tests of analysis and of every reporter.
#[cfg(test)]
pub(crate) mod fixture {
    use super::*;

    /// Four years, one dependency, SLO 99.9 % on requests over 30 days.
    pub fn scenario() -> Scenario {
        let text = r#"
name = "fixture"
description = "hand-made figures"
[slo]
target = 0.999
[topology]
fault_domains_per_ad = 1
instances_per_fd = [2]
[instance]
failure = "30d"
capacity = 80
[traffic]
rps = 100
[autoscaling]
min = 2
max = 4
[load_balancer.health_check]
interval = "10s"
timeout = "3s"
unhealthy_threshold = 3
healthy_threshold = 2
[repair]
mode = "pool"
time = "5m"
[[dependency]]
name = "database"
impact = "required"
failure = "90d"
repair = "1h"
"#;
        Scenario::from_toml(text, "fixture.toml", &[]).expect("valid fixture")
    }

    /// Years down 0, 10, 20 and 60 min (failing 0, 5, 20, 120 min of
    /// requests); 48 windows, 8 of them failing 10 min of requests; 6
    /// outages of 15 min; 12 sessions lost; requests 1.25 times the years'
    /// length; 81,320 instance-hours; 10 scale-outs, 8 scale-ins, 100 h at
    /// the maximum; yearly peaks of 50, 80, 95 and 120 % utilisation.
    pub fn tally() -> Tally {
        let mut t = Tally::new(Cause::FIXED + 1);
        for (down, failed) in [(0.0, 0.0), (600.0, 300.0), (1_200.0, 1_200.0), (3_600.0, 7_200.0)] {
            t.year_down.record(down);
            t.year_failed.record(failed);
        }
        t.years_met = 2;
        for w in 0..48 {
            let failed = if w % 6 == 0 { 600.0 } else { 0.0 };
            t.window_down.record(failed / 2.0);
            t.window_failed.record(failed);
        }
        t.windows_met = 44;
        t.cause_down[Cause::Named(0).id().index()] = 3_600_000_000;
        t.cause_down[Cause::DetectionWindow.id().index()] = 1_800_000_000;
        t.cause_failed[Cause::Named(0).id().index()] = 3_600_000_000;
        t.cause_failed[Cause::DetectionWindow.id().index()] = 5_100_000_000;
        for _ in 0..6 {
            t.outage_durations.record(900.0);
        }
        t.outages = 6;
        t.sessions_lost = 12;
        t.events = 1_234;
        // Flash sales added a quarter to the years' requests.
        t.requests = (5.0 * YEAR_SECS * MICROS) as u128;
        for (hours, peak) in [(17_520.0, 50.0), (17_520.0, 80.0), (20_000.0, 95.0), (26_280.0, 120.0)] {
            t.instance_hours.record(hours);
            t.peak_utilisation.record(peak);
        }
        (t.scale_outs, t.scale_ins) = (10, 8);
        t.at_max = (100.0 * 3_600.0 * MICROS) as u128;
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64) {
        assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{got} != {want}");
    }

    #[test]
    fn figures_match_hand_computation() {
        let r = Results::new(&fixture::scenario(), &fixture::tally());
        assert_eq!((r.years, r.seed, r.events), (4, 1, 1_234));
        // Mean downtime 22.5 min a year; sample variance of (0, 10, 20, 60)
        // min = 691.67 min².
        close(r.time_availability.mean, 1.0 - 1_350.0 / YEAR_SECS);
        let half = 1.959_963_984_540_054 * (691.666_666_666_666_6f64 * 3_600.0 / 4.0).sqrt() / YEAR_SECS;
        close(r.time_availability.ci95_low, 1.0 - 1_350.0 / YEAR_SECS - half);
        // The interval's other end would be a negative unavailability: cut at 0.
        assert!(1_350.0 / YEAR_SECS < half);
        assert_eq!(r.time_availability.ci95_high, 1.0);
        close(r.request_availability.mean, 1.0 - 2_175.0 / YEAR_SECS);
        close(r.downtime_minutes_per_year.mean, 22.5);
        close(r.downtime_minutes_per_year.max, 60.0);
        close(r.downtime_minutes_per_window.mean, 5.0 * 8.0 / 48.0);
        // SLO: 44 of 48 windows, 2 of 4 years; budget 48 × 43.2 min,
        // 80 min of failed requests spent.
        close(r.slo.p_window_meets, 44.0 / 48.0);
        close(r.slo.p_year_meets, 0.5);
        close(r.slo.error_budget_consumed_mean, 4_800.0 / (48.0 * 2_592.0));
        assert!(r.slo.p_window_meets_ci95[0] < 44.0 / 48.0 && 44.0 / 48.0 < r.slo.p_window_meets_ci95[1]);
        assert_eq!((r.slo.sli, r.slo.target), (Sli::Requests, 0.999));
        close(r.slo.window_days, 30.0);
        // Causes per year: 60 min / 4 years = 15 min, 30 min / 4 = 7.5 min;
        // failed requests as a share of all requests (1.25 years' worth a
        // year): 60 min / 4 / 1.25 = 12 min, 85 min / 4 / 1.25 = 17 min.
        let db = r.causes.get("database").unwrap();
        close(db.downtime_minutes_per_year, 15.0);
        close(db.failed_request_minutes_per_year, 12.0);
        let detection = r.causes.get("detection_window").unwrap();
        close(detection.downtime_minutes_per_year, 7.5);
        close(detection.failed_request_minutes_per_year, 17.0);
        assert_eq!(r.causes.0.len(), Cause::FIXED + 1);
        assert_eq!(r.causes.top_downtime(), vec![("database", 15.0), ("detection_window", 7.5)]);
        assert_eq!(r.causes.top_failed_requests(), vec![("detection_window", 17.0), ("database", 12.0)]);
        close(r.outages_per_year, 1.5);
        close(r.mean_outage_minutes, 15.0);
        close(r.sessions_lost_per_year, 3.0);
        // Cost: 81,320 instance-hours over 4 years.
        close(r.instance_hours_per_year.mean, 20_330.0);
        close(r.instance_hours_per_year.max, 26_280.0);
        assert!((r.instance_hours_per_year.p50 / 17_520.0 - 1.0).abs() < 0.023);
        close(r.scale_actions_per_year.out, 2.5);
        close(r.scale_actions_per_year.inward, 2.0);
        close(r.hours_at_max_per_year, 25.0);
        let peak = r.peak_utilisation_percent.as_ref().expect("instances have a capacity");
        close(peak.mean, 86.25);
        close(peak.max, 120.0);
    }

    #[test]
    fn without_capacity_there_is_no_utilisation() {
        let mut sc = fixture::scenario();
        sc.capacity = None;
        assert_eq!(Results::new(&sc, &fixture::tally()).peak_utilisation_percent, None);
    }

    #[test]
    fn quantiles_come_from_the_histogram() {
        // 100 years down 1, 2, …, 100 min: p50, p90 and p99 within the
        // histogram's 2.3 % bins of 50, 90 and 99 min.
        let mut t = fixture::tally();
        t.year_down = Summary::default();
        t.year_failed = Summary::default();
        for m in 1..=100 {
            t.year_down.record(60.0 * f64::from(m));
            t.year_failed.record(0.0);
        }
        t.years_met = 0;
        let s = Results::new(&fixture::scenario(), &t).downtime_minutes_per_year;
        for (got, want) in [(s.p50, 50.0), (s.p90, 90.0), (s.p99, 99.0)] {
            assert!((got / want - 1.0).abs() < 0.023, "{got} vs {want}");
        }
        close(s.max, 100.0);
        close(s.mean, 50.5);
    }
}
