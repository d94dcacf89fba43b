//! Traffic, capacity and autoscaling against constructed cases whose
//! figures follow by hand: nothing random happens in them, so every figure
//! is exact.

use crate::{minimal, simulate};
use availsim::embedded;
use availsim::scenario::{Override, Scenario};
use availsim::timeline::{Pick, Timeline, record_year};
use availsim::units::{DAY_SECS, YEAR_SECS};

/// Two instances of 100 requests/s each, never failing, behind a load
/// balancer; 30 requests/s on weekdays and ten times that on Sundays. The
/// pool autoscales between 2 and 5, one instance per action.
fn sunday_rush(health_check: bool) -> String {
    let hc = if health_check {
        "[load_balancer.health_check]\ninterval = \"10s\"\ntimeout = \"3s\"\nunhealthy_threshold = 3\nhealthy_threshold = 2\n"
    } else {
        ""
    };
    minimal(
        &[2],
        &format!(
            r#"
[load_balancer]
{hc}
[repair]
mode = "pool"
time = "4m"
[traffic]
rps = 30
weekly = [1, 1, 1, 1, 1, 1, 10]
[autoscaling]
min = 2
max = 5
step = 1
scale_out = {{ above = 0.7, for = "5m" }}
scale_in = {{ below = 0.3, for = "15m" }}
cooldown = "5m"
provisioning = "4m"
drain = "1m"
"#
        ),
    )
}

fn scenario(text: &str, sets: &[&str]) -> Scenario {
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    Scenario::from_toml(text, "test.toml", &overrides).unwrap_or_else(|e| panic!("{e}"))
}

/// Times [s since the year's start] at which `value` of the samples changes.
fn changes(tl: &Timeline, value: impl Fn(&availsim::timeline::Sample) -> f64) -> Vec<(f64, f64)> {
    let mut out = vec![];
    for w in tl.samples.windows(2) {
        if value(&w[1]) != value(&w[0]) {
            out.push((w[1].t, value(&w[1])));
        }
    }
    out
}

const MIN: f64 = 60.0;

/// Sunday 00:00 demand triples past capacity: the pool scales out 5 min
/// (the sustain period) after it, then every 5 min (the cooldown) while
/// utilisation stays above 70 %, each instance serving 4 min (provisioning)
/// after its action. Monday 00:00 demand falls back: after 15 min below
/// 30 % the pool scales in, every 5 min, down to its minimum of 2 and no
/// further, each removed instance leaving rotation at once and billed for
/// its 1-min drain.
#[test]
fn a_step_in_demand_scales_out_after_sustain_and_provisioning_and_back_in_to_min() {
    let sc = scenario(&sunday_rush(false), &["instance.capacity=100", "simulation.years=3"]);
    let tl = record_year(&sc, Pick::Nearest { downtime: 0.0 }, 100);
    let sunday = 6.0 * DAY_SECS;
    let monday = 7.0 * DAY_SECS;
    let pool = changes(&tl, |s| s.instances as f64);
    let capacity = changes(&tl, |s| s.capacity_rps.unwrap());
    let close = |got: &[(f64, f64)], want: &[(f64, f64)]| {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g.0 - w.0).abs() < 1e-6 && g.1 == w.1, "{got:?} vs {want:?}");
        }
    };
    let first_week = |v: Vec<(f64, f64)>| v.into_iter().filter(|c| c.0 < 8.0 * DAY_SECS).collect::<Vec<_>>();
    close(
        &first_week(pool),
        &[
            (sunday + 5.0 * MIN, 3.0),
            (sunday + 10.0 * MIN, 4.0),
            (sunday + 15.0 * MIN, 5.0),
            (monday + 15.0 * MIN, 4.0),
            (monday + 20.0 * MIN, 3.0),
            (monday + 25.0 * MIN, 2.0),
        ],
    );
    close(
        &first_week(capacity),
        &[
            (sunday + 9.0 * MIN, 300.0),
            (sunday + 14.0 * MIN, 400.0),
            (sunday + 19.0 * MIN, 500.0),
            (monday + 15.0 * MIN, 400.0),
            (monday + 20.0 * MIN, 300.0),
            (monday + 25.0 * MIN, 200.0),
        ],
    );
    // All week below 30 % at the minimum: no action.
    let later = tl.samples.iter().filter(|s| s.t > monday + 30.0 * MIN && s.t < sunday + 7.0 * DAY_SECS);
    assert!(later.into_iter().all(|s| s.instances == 2));
    // The demand drawn beside it: hourly over the whole year, 30
    // requests/s on weekdays and 300 on Sundays.
    let demand = |t: f64| tl.demand.iter().find(|d| d.0 == t).map(|d| (d.1 * 1e9).round() / 1e9);
    assert_eq!(tl.demand.first().map(|d| d.0), Some(0.0));
    assert_eq!(tl.demand.last().map(|d| d.0), Some((YEAR_SECS / 3_600.0).floor() * 3_600.0));
    assert!(tl.demand.windows(2).all(|w| w[0].0 < w[1].0 && w[1].0 - w[0].0 <= 3_600.0));
    assert_eq!(demand(12.0 * 3_600.0), Some(30.0));
    assert_eq!(demand(sunday + 12.0 * 3_600.0), Some(300.0));
    assert_eq!(demand(monday + 12.0 * 3_600.0), Some(30.0));
}

/// The same behind a health checker: each new instance also waits for its
/// admission, one probe interval (10 s) after running plus up to another
/// interval for its first probe. A provisioning instance is not serving,
/// so monitoring alerts about it; an alert that comes once it runs (4 min
/// 5 s, between its start and its admission) finds nothing failing and
/// does nothing, however the start and the admission are merged.
#[test]
fn new_instances_serve_after_their_health_check_admission() {
    for alert_delay in ["0s", "245s"] {
        let alert = format!("monitoring.alert_delay={alert_delay}");
        let sc = scenario(&sunday_rush(true), &["instance.capacity=100", "simulation.years=3", &alert]);
        let tl = record_year(&sc, Pick::Nearest { downtime: 0.0 }, 100);
        let sunday = 6.0 * DAY_SECS;
        let capacity = changes(&tl, |s| s.capacity_rps.unwrap());
        let rises: Vec<f64> = capacity.iter().filter(|c| c.0 < sunday + DAY_SECS).map(|c| c.0).collect();
        assert_eq!(rises.len(), 3, "alert after {alert_delay}: {capacity:?}");
        for (k, t) in rises.iter().enumerate() {
            let running = sunday + (9.0 + 5.0 * k as f64) * MIN;
            let admitted = t - running;
            assert!(
                (10.0..=20.0).contains(&admitted),
                "alert after {alert_delay}: instance {k} admitted {admitted} s after running"
            );
        }
    }
}

/// The figures of the Sunday rush, by hand. Each Sunday fails the demand
/// above capacity until the third instance serves: 100 requests/s for
/// 9 min. A 365-day year starting on a Monday holds 52 Sundays and 313
/// other days.
#[test]
fn the_sunday_rush_figures_follow_by_hand() {
    let r = simulate(&sunday_rush(false), 20, &["instance.capacity=100"]);
    let requests = DAY_SECS * (313.0 * 30.0 + 52.0 * 300.0);
    let failed = 52.0 * 100.0 * 9.0 * MIN;
    let close = |got: f64, want: f64, what: &str| {
        assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{what}: {got} != {want}");
    };
    close(1.0 - r.request_availability.mean, failed / requests, "request unavailability");
    assert_eq!(r.time_availability.mean, 1.0, "capacity shortfalls are not downtime");
    let capacity = r.causes.get("capacity").unwrap();
    close(capacity.failed_request_minutes_per_year, failed / requests * YEAR_SECS / 60.0, "capacity cause");
    assert_eq!(capacity.downtime_minutes_per_year, 0.0);
    close(r.scale_actions_per_year.out, 3.0 * 52.0, "scale-outs");
    close(r.scale_actions_per_year.inward, 3.0 * 52.0, "scale-ins");
    // Billed: 2 instances all year; each Sunday 3 more, from their actions
    // until the end of their drains a day and 11 min later.
    let extra = 3.0 * (DAY_SECS + 11.0 * MIN);
    close(r.instance_hours_per_year.mean, (2.0 * YEAR_SECS + 52.0 * extra) / 3_600.0, "instance-hours");
    // At the maximum of 5 from Sunday 00:15 to Monday 00:15.
    close(r.hours_at_max_per_year, 52.0 * 24.0, "hours at max");
    let peak = r.peak_utilisation_percent.unwrap();
    close(peak.max, 150.0, "peak utilisation: 300 requests/s on 200");
    assert!((peak.mean / 150.0 - 1.0).abs() < 1e-6);
}

/// Demand that never exceeds capacity fails nothing, flash sales included.
#[test]
fn demand_under_capacity_fails_no_requests() {
    let text = minimal(
        &[3],
        r#"
[repair]
mode = "pool"
time = "5m"
[traffic]
rps = 100
daily = [[0, 0.3], [12, 1.0], [20, 0.8]]
[traffic.flash_sale]
per_year = 50
multiplier = [2, 3]
ramp = "10m"
duration = { dist = "exponential", mean = "2h" }
"#,
    );
    // Three instances of 1,000 requests/s: even ten sales at once (2,100
    // requests/s) would fit.
    let r = simulate(&text, 200, &["instance.capacity=1000"]);
    assert!(r.events > 200 * 50 * 3, "the flash sales happened: {} events", r.events);
    assert_eq!(r.request_availability.mean, 1.0);
    assert_eq!(r.causes.get("capacity").unwrap().failed_request_minutes_per_year, 0.0);
    // Peak: a sale of three times the reference demand at midday on 3,000,
    // at least; sales overlap rarely.
    let peak = r.peak_utilisation_percent.unwrap();
    assert!(peak.max >= 100.0 * 300.0 / 3_000.0 * 0.99 && peak.max < 100.0 * 700.0 / 3_000.0, "{peak:?}");
}

/// A constant demand weighs every minute alike: the figures are exactly
/// those of the same scenario without traffic, on the same seed.
#[test]
fn a_constant_demand_reproduces_the_unweighted_figures_exactly() {
    let text = availsim::embedded::scenario("three-fd").unwrap();
    let plain = simulate(text, 400, &[]);
    let constant = simulate(text, 400, &["traffic.rps=1200", "instance.capacity=1000000"]);
    assert_eq!(constant.request_availability, plain.request_availability);
    assert_eq!(constant.time_availability, plain.time_availability);
    assert_eq!(constant.events, plain.events);
    assert_eq!(constant.slo, plain.slo);
    for (a, b) in constant.causes.0.iter().zip(&plain.causes.0) {
        assert_eq!(
            (a.downtime_minutes_per_year, a.failed_request_minutes_per_year),
            (b.downtime_minutes_per_year, b.failed_request_minutes_per_year),
            "{}",
            a.name
        );
    }
}

/// A required dependency down every day from 23 h to midnight of the
/// trajectory's clock; the warm-up sets where that falls in the demand
/// profile's day: at night (demand 1) or at noon (demand 4). Both lose
/// 1/24 of the time; requests, in proportion to demand: 1 and 4 parts of
/// the day's 31.5.
#[test]
fn a_daily_profile_weighs_outages_by_the_demand_they_hit() {
    let text = minimal(
        &[1],
        r#"
[repair]
mode = "manual"
time = "1h"
[traffic]
rps = 10
daily = [[0, 1], [11, 1], [11.5, 4], [13.5, 4], [14, 1], [24, 1]]
[[dependency]]
name = "database"
impact = "required"
failure = "23h"
repair = "1h"
"#,
    );
    let night = simulate(&text, 4, &["simulation.warmup=\"1d\""]);
    let noon = simulate(&text, 4, &["simulation.warmup=\"35h\""]);
    for r in [&night, &noon] {
        assert!((1.0 - r.time_availability.mean - 1.0 / 24.0).abs() < 1e-12);
    }
    let (a, b) = (1.0 - night.request_availability.mean, 1.0 - noon.request_availability.mean);
    assert!((a - 1.0 / 31.5).abs() < 1e-9, "{a}");
    assert!((b - 4.0 / 31.5).abs() < 1e-9, "{b}");
    assert!((b / a - 4.0).abs() < 1e-9);
}

/// Above its overload threshold all the time, an instance crashes `hazard`
/// times as often: one instance at 95 % with an exponential week to crash
/// and a hazard of 5 runs 7/5 days between crashes, then is down for the
/// alert (none) and the 1-hour replacement.
#[test]
fn overload_multiplies_the_crash_rate() {
    let text = minimal(
        &[1],
        r#"
[repair]
mode = "pool"
time = "1h"
[traffic]
rps = 95
"#,
    );
    let sets = [
        "instance.failure={ dist = \"exponential\", mean = \"7d\" }",
        "instance.capacity=100",
        "instance.overload={ above = 0.9, hazard = 5 }",
    ];
    let r = simulate(&text, 10_000, &sets);
    let up = 7.0 * 24.0 / 5.0;
    let want = up / (up + 1.0);
    let a = &r.time_availability;
    assert!(a.ci95_low <= want && want <= a.ci95_high, "{want} not in [{}, {}]", a.ci95_low, a.ci95_high);
    // Below the threshold, the base rate.
    let calm = simulate(&text, 10_000, &[sets[0], sets[1], "instance.overload={ above = 0.96, hazard = 5 }"]);
    let want = 168.0 / 169.0;
    let a = &calm.time_availability;
    assert!(a.ci95_low <= want && want <= a.ci95_high, "{want} not in [{}, {}]", a.ci95_low, a.ci95_high);
}

/// Every new key is checked, and the message names it.
#[test]
fn traffic_and_autoscaling_keys_are_checked() {
    let pool = "[repair]\nmode = \"pool\"\ntime = \"5m\"\n";
    let cases: &[(&str, &[&str], &str)] = &[
        ("[traffic]\nrps = -5\n", &[], "traffic.rps must be a number from 1e-6"),
        ("[traffic]\nrps = 5\ndaily = [[0, 1], [25, 2]]\n", &[], "hours must ascend strictly within 0 to 24"),
        ("[traffic]\nrps = 5\ndaily = [[3, 1], [2, 2]]\n", &[], "hours must ascend"),
        ("[traffic]\nrps = 5\ndaily = [[0, 0]]\n", &[], "not all 0"),
        ("[traffic]\nrps = 5\nweekly = [1, 1]\n", &[], "needs 7 factors"),
        ("[traffic]\nrps = 5\ngrowth = -2\n", &[], "traffic.growth"),
        (
            "[traffic]\nrps = 5\n[traffic.flash_sale]\nper_year = 2\nmultiplier = 0.5\nramp = \"1m\"\nduration = \"1h\"\n",
            &[],
            "multiplier must be a number from 1 to 1000",
        ),
        ("", &["instance.capacity=100"], "instance.capacity needs a [traffic] section"),
        ("[traffic]\nrps = 5\n", &["instance.overload={ above = 0.9, hazard = 3 }"], "needs instance.capacity"),
        (
            "[traffic]\nrps = 5\n",
            &["instance.capacity=10", "instance.overload={ above = 0.9, hazard = 0.5 }"],
            "from 1 to 1000",
        ),
        ("[traffic]\nrps = 5\n[autoscaling]\nmin = 1\nmax = 4\n", &[], "needs [traffic] and instance.capacity"),
        (
            "[traffic]\nrps = 5\n[autoscaling]\nmin = 1\nmax = 4\n",
            &["instance.capacity=10"],
            "needs repair.mode = \"pool\"",
        ),
        (
            &format!("{pool}[traffic]\nrps = 5\n[autoscaling]\nmin = 3\nmax = 4\n"),
            &["instance.capacity=10"],
            "above the topology's 2",
        ),
        (
            &format!("{pool}[traffic]\nrps = 5\n[autoscaling]\nmin = 1\nmax = 1\n"),
            &["instance.capacity=10"],
            "below the topology's 2",
        ),
        (
            &format!("{pool}[traffic]\nrps = 5\n[autoscaling]\nmin = 0\nmax = 4\n"),
            &["instance.capacity=10"],
            "at least 1",
        ),
        (
            &format!(
                "{pool}[traffic]\nrps = 5\n[autoscaling]\nmin = 1\nmax = 4\nscale_in = {{ below = 0.8, for = \"1m\" }}\n"
            ),
            &["instance.capacity=10"],
            "must be under scale_out.above (0.7)",
        ),
        (
            &format!("{pool}[traffic]\nrps = 5\n[autoscaling]\nmin = 1\nmax = 4\nstep = 0\n"),
            &["instance.capacity=10"],
            "step must be at least 1",
        ),
    ];
    for (extra, sets, want) in cases {
        let text = minimal(&[2], extra);
        let text = if text.contains("[repair]") {
            text
        } else {
            format!("{text}\n[repair]\nmode = \"manual\"\ntime = \"1h\"\n")
        };
        let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
        let err = Scenario::from_toml(&text, "bad.toml", &overrides)
            .err()
            .unwrap_or_else(|| panic!("accepted: {extra} {sets:?}"));
        assert!(err.to_string().contains(want), "{extra} {sets:?}: {err}");
    }
}

/// A switched-off autoscaler is no autoscaler once checked (the model never
/// asks), yet its keys are still checked.
#[test]
fn a_disabled_autoscaler_is_none_and_still_checked() {
    let text = embedded::scenario("flash-sale").unwrap();
    let off = |sets: &[&str]| {
        let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
        Scenario::from_toml(text, "flash-sale.toml", &overrides)
    };
    assert!(off(&[]).unwrap().autoscaling.is_some());
    assert!(off(&["autoscaling.enabled=false"]).unwrap().autoscaling.is_none());
    let err = off(&["autoscaling.enabled=false", "autoscaling.step=0"]).expect_err("refused");
    assert!(err.to_string().contains("step must be at least 1"), "{err}");
}

/// Flash sales add their requests and, above capacity, fail the excess:
/// ten a year of one hour at three times a demand the pool carries twice,
/// 100 requests/s over capacity each, out of a year's requests plus the
/// sales' own.
#[test]
fn flash_sales_over_capacity_fail_their_excess() {
    let text = minimal(
        &[2],
        r#"
[repair]
mode = "pool"
time = "5m"
[traffic]
rps = 100
[traffic.flash_sale]
per_year = 10
multiplier = 3
ramp = "0s"
duration = "1h"
"#,
    );
    let r = simulate(&text, 4_000, &["instance.capacity=100"]);
    let requests = 100.0 * YEAR_SECS + 10.0 * 200.0 * 3_600.0;
    let want = 10.0 * 100.0 * 3_600.0 / requests * YEAR_SECS / 60.0;
    let got = r.causes.get("capacity").unwrap().failed_request_minutes_per_year;
    assert!((got / want - 1.0).abs() < 0.03, "{got} vs {want} failed-request minutes a year");
    let peak = r.peak_utilisation_percent.unwrap();
    assert!((peak.p50 / 150.0 - 1.0).abs() < 0.023, "{peak:?}");
    assert_eq!(r.time_availability.mean, 1.0);
}

/// Demand that ends a steep fall between two watched thresholds (overload
/// at 0.9, capacity at 1.0) does not flip them back and forth at one
/// instant for ever: rounding at the segment's end put demand above both
/// while one was found crossing downwards. The run ends, at a daily rate
/// of events.
#[test]
fn a_steep_fall_past_two_thresholds_does_not_stall() {
    let sets = [
        "traffic={rps=1000,daily=[[0,0],[12,1e6],[12.0001,0]]}",
        "instance.capacity=150",
        "instance.overload={above=0.9,hazard=20}",
    ];
    let text = embedded::scenario("three-fd").unwrap();
    let r = simulate(text, 100, &sets);
    assert_eq!(r.years, 100);
    assert!((r.events as f64) < 100.0 * 30_000.0, "{} events in 100 years", r.events);
}
