//! Turns a merged [`Tally`] into the figures users read: one [`Results`]
//! value that every reporter (table, JSON, CSV) consumes.
//!
//! `Results` derives `Serialize` because its shape *is* the JSON contract;
//! it is the boundary between analysis and the reporters.

use crate::scenario::{DAY_SECS, Scenario, Sli, YEAR_SECS};
use crate::stats::{Interval, LogHistogram, Summary, Tally, mean_interval, proportion_interval, rate_interval};
use serde::Serialize;

/// Distribution of a per-period downtime [min].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spread {
    /// Mean [min].
    pub mean: f64,
    /// Median [min].
    pub p50: f64,
    /// 90th percentile [min].
    pub p90: f64,
    /// 99th percentile [min].
    pub p99: f64,
    /// Largest seen [min].
    pub max: f64,
}

impl Spread {
    fn of(s: &Summary) -> Spread {
        let max = s.max_secs();
        let q = |p| s.histogram.quantile(p, max) / 60.0;
        Spread {
            mean: s.sum_secs() / s.n.max(1) as f64 / 60.0,
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            max: max / 60.0,
        }
    }
}

/// How the design fares against its SLO.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SloResults {
    /// Target availability (fraction).
    pub target: f64,
    /// Window length [days].
    pub window_days: f64,
    /// SLI judged: "requests" or "time".
    pub sli: &'static str,
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

/// The figures of one simulated scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Results {
    /// Scenario name.
    pub scenario: String,
    /// Simulated years.
    pub years: u64,
    /// Master seed.
    pub seed: u64,
    /// Worker threads used (results do not depend on it); 0 for merged shards.
    pub threads: usize,
    /// Wall-clock time of the simulation [s].
    pub wall_seconds: f64,
    /// Simulated years per wall-clock second.
    pub years_per_second: f64,
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
    /// Mean downtime per year by cause [min], every cause listed.
    pub downtime_by_cause_minutes_per_year: serde_json::Map<String, serde_json::Value>,
    /// Mean failed-request time per year by cause [min of full outage equivalent].
    pub failed_requests_by_cause_minutes_per_year: serde_json::Map<String, serde_json::Value>,
    /// Outages (time-unavailability episodes) per year.
    pub outages_per_year: f64,
    /// Its 95 % interval (exact Poisson), honest for rare outages.
    pub outages_per_year_ci95: [f64; 2],
    /// Mean outage duration [min].
    pub mean_outage_minutes: f64,
    /// Distribution of outage durations [min].
    pub outage_minutes: Spread,
    /// Sessions lost per year.
    pub sessions_lost_per_year: f64,
    /// Per-year and per-window downtime histograms, for CSV export.
    #[serde(skip)]
    pub histograms: Histograms,
}

/// Downtime histograms kept for export.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histograms {
    /// Per-year downtime.
    pub year: LogHistogram,
    /// Per-window downtime.
    pub window: LogHistogram,
}

impl Results {
    /// Analyses `tally` of `scenario`, run on `threads` threads in `wall_seconds`.
    ///
    /// # Panics
    /// If the tally holds fewer than two years (scenario validation forbids it).
    pub fn new(scenario: &Scenario, tally: &Tally, threads: usize, wall_seconds: f64) -> Results {
        let years = tally.years();
        let unavailability =
            |s: &Summary, len: f64| mean_interval(s.n, s.sum_secs() / len, s.sum_sq_secs() / (len * len));
        let time = unavailability(&tally.year_down, YEAR_SECS).complement();
        let requests = unavailability(&tally.year_failed, YEAR_SECS).complement();
        let slo = &scenario.slo;
        let windows = tally.window_down.n;
        let window_bad = match slo.sli {
            Sli::Requests => &tally.window_failed,
            Sli::Time => &tally.window_down,
        };
        let budget = windows.max(1) as f64 * slo.window * (1.0 - slo.target);
        let p_window = proportion_interval(tally.windows_met, windows);
        let p_year = proportion_interval(tally.years_met, years);
        let per_year = |v: u128| v as f64 / crate::stats::MICROS / years as f64 / 60.0;
        let names: Vec<String> = crate::cause::Cause::all(scenario.dependencies.len())
            .map(|c| c.name(&scenario.dependencies).to_string())
            .collect();
        let by_cause = |values: &[u128]| {
            names.iter().zip(values).map(|(n, &v)| (n.clone(), serde_json::Value::from(per_year(v)))).collect()
        };
        let outages = tally.outages;
        Results {
            scenario: scenario.name.clone(),
            years,
            seed: scenario.simulation.seed,
            threads,
            wall_seconds,
            years_per_second: years as f64 / wall_seconds.max(1e-9),
            events: tally.events,
            time_availability: time,
            request_availability: requests,
            downtime_minutes_per_year: Spread::of(&tally.year_down),
            downtime_minutes_per_window: Spread::of(&tally.window_down),
            slo: SloResults {
                target: slo.target,
                window_days: slo.window / DAY_SECS,
                sli: match slo.sli {
                    Sli::Requests => "requests",
                    Sli::Time => "time",
                },
                p_window_meets: p_window.mean,
                p_window_meets_ci95: [p_window.ci95_low, p_window.ci95_high],
                p_year_meets: p_year.mean,
                p_year_meets_ci95: [p_year.ci95_low, p_year.ci95_high],
                error_budget_consumed_mean: window_bad.sum_secs() / budget,
            },
            downtime_by_cause_minutes_per_year: by_cause(&tally.cause_down),
            failed_requests_by_cause_minutes_per_year: by_cause(&tally.cause_failed),
            outages_per_year: outages as f64 / years as f64,
            outages_per_year_ci95: {
                let r = rate_interval(outages, years as f64);
                [r.ci95_low, r.ci95_high]
            },
            mean_outage_minutes: if outages > 0 {
                tally.outage_durations.sum_secs() / outages as f64 / 60.0
            } else {
                0.0
            },
            outage_minutes: Spread::of(&tally.outage_durations),
            sessions_lost_per_year: tally.sessions_lost as f64 / years as f64,
            histograms: Histograms {
                year: tally.year_down.histogram.clone(),
                window: tally.window_down.histogram.clone(),
            },
        }
    }

    /// Downtime per year by cause [min], largest first, zero causes left out.
    pub fn top_causes(&self) -> Vec<(&str, f64)> {
        ranked(&self.downtime_by_cause_minutes_per_year)
    }

    /// Failed requests per year by cause [min of full outage], largest first.
    pub fn top_request_causes(&self) -> Vec<(&str, f64)> {
        ranked(&self.failed_requests_by_cause_minutes_per_year)
    }
}

fn ranked(by_cause: &serde_json::Map<String, serde_json::Value>) -> Vec<(&str, f64)> {
    let mut causes: Vec<(&str, f64)> =
        by_cause.iter().map(|(k, v)| (k.as_str(), v.as_f64().unwrap_or(0.0))).filter(|(_, v)| *v > 0.0).collect();
    causes.sort_by(|a, b| b.1.total_cmp(&a.1));
    causes
}
