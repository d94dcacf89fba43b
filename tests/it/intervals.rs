//! Interval coverage: the spread of independent runs' means against the
//! standard error each run reports. An honest interval has a ratio near 1;
//! a run that treats correlated years as independent reports a standard
//! error several times too small.

use super::simulate;
use availsim::stats::Interval;

/// Over `seeds` seeds of `years` years each, the standard deviation of the
/// means over the mean reported standard error (half-width / t or z ≈ 2).
fn spread_over_reported(
    text: &str,
    years: u64,
    seeds: u64,
    figure: fn(&availsim::analysis::Results) -> Interval,
) -> f64 {
    let runs: Vec<Interval> =
        (1..=seeds).map(|seed| figure(&simulate(text, years, &[&format!("simulation.seed={seed}")]))).collect();
    let n = runs.len() as f64;
    let mean = runs.iter().map(|r| r.mean).sum::<f64>() / n;
    let sd = (runs.iter().map(|r| (r.mean - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    // 20 trajectories per run: Student's t on 19 degrees of freedom.
    let reported = runs.iter().map(|r| r.half_width() / 2.093).sum::<f64>() / n;
    sd / reported
}

/// Autoscaling with a weekly deploy at a constant cadence: each trajectory
/// keeps the hour of the week its deploys first drew, so its years are
/// correlated; the interval must come from the spread between trajectories.
#[test]
fn autoscaled_intervals_cover_the_spread_of_independent_runs() {
    let text = availsim::embedded::scenario("flash-sale").unwrap();
    let ratio = spread_over_reported(text, 2_000, 12, |r| r.request_availability);
    assert!((0.6..=1.5).contains(&ratio), "spread of 12 runs / reported standard error = {ratio:.2}");
}

/// The same for the simplest design, whose years are independent.
#[test]
fn simple_intervals_cover_the_spread_of_independent_runs() {
    let text = availsim::embedded::scenario("single-instance").unwrap();
    let ratio = spread_over_reported(text, 2_000, 12, |r| r.time_availability);
    assert!((0.6..=1.5).contains(&ratio), "spread of 12 runs / reported standard error = {ratio:.2}");
}

/// Availability is a fraction: its interval stays within [0, 1] even for a
/// design that is down nearly all the time, in a few long outages (the
/// spread between trajectories is then wide).
#[test]
fn intervals_stay_within_zero_and_one() {
    let db = "[repair]\nmode = \"manual\"\ntime = \"1h\"\n[[dependency]]\nname = \"db\"\nimpact = \"required\"\n\
              failure = { dist = \"exponential\", mean = \"1d\" }\nrepair = { dist = \"exponential\", mean = \"100y\" }";
    let r = super::simulate(&super::minimal(&[1], db), 400, &[]);
    for i in [&r.time_availability, &r.request_availability] {
        assert!(i.mean < 0.05, "down nearly always: {}", i.mean);
        assert!(0.0 <= i.ci95_low && i.ci95_low <= i.mean && i.mean <= i.ci95_high && i.ci95_high <= 1.0, "{i:?}");
    }
}
