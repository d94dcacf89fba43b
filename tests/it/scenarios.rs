//! The bundled scenarios: reference designs in their bands, the common
//! mistakes visibly worse, results independent of the thread count.

use availsim::analysis::Results;
use availsim::embedded;
use availsim::scenario::Scenario;
use availsim::{RunConfig, simulate};

fn run(name: &str, threads: usize) -> Results {
    run_with(name, threads, &[])
}

fn run_with(name: &str, threads: usize, sets: &[&str]) -> Results {
    let overrides: Vec<_> = sets.iter().map(|s| availsim::scenario::Override::parse(s).unwrap()).collect();
    let scenario = Scenario::from_toml(embedded::scenario(name).unwrap(), name, &overrides).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| simulate(&scenario, &RunConfig::default())).unwrap().results
}

#[test]
fn single_instance_is_about_95_percent() {
    let r = run("single-instance", 2);
    let a = r.time_availability;
    assert!(a.ci95_low > 0.945 && a.ci95_high < 0.955, "single-instance time availability {a:?}");
}

#[test]
fn three_fd_is_about_99_9_percent_and_limited_by_what_it_shares() {
    let r = run("three-fd", 2);
    let a = r.time_availability;
    assert!(a.ci95_low > 0.9985 && a.ci95_high < 0.9995, "three-fd time availability {a:?}");
    let top: Vec<&str> = r.causes.top_downtime().iter().take(2).map(|c| c.0).collect();
    assert_eq!(top, ["database", "ad_outage"], "the shared database and availability domain limit it");
    // Sessions live in the external store: all 2,000 are lost at each of its
    // failures, 365 / (180 + 0.4) ≈ 2.02 a year.
    let store_failures = r.sessions_lost_per_year / 2000.0;
    assert!((store_failures - 2.02).abs() < 0.05, "{store_failures} store failures a year");
}

/// Sessions kept in the store are lost when it fails, not when it comes
/// back: a store that fails on days 100 and 500 and comes back on day 400
/// loses its 2,000 sessions twice in two years (once, were they lost at
/// its return).
#[test]
fn sessions_are_lost_when_their_store_fails() {
    let r = run_with(
        "three-fd",
        1,
        &[
            "simulation.years=2",
            "simulation.warmup=0s",
            "dependency.session-store.failure={ dist = \"constant\", value = \"100d\" }",
            "dependency.session-store.repair={ dist = \"constant\", value = \"300d\" }",
        ],
    );
    assert_eq!(r.sessions_lost_per_year, 2000.0);
}

/// The next step: a standby database in another fault domain. Its failures
/// cost promotion windows (about 1.8 min each, at about 6 a year: 4 of the
/// primary's own and 2 of its fault domain's) instead of repairs, and the
/// availability domain becomes the largest cause.
#[test]
fn a_standby_database_buys_the_next_step() {
    let (plain, ha) = (run("three-fd", 2), run("three-fd-ha-db", 2));
    assert!(
        ha.request_availability.ci95_low > plain.request_availability.ci95_high,
        "{:?} not above {:?}",
        ha.request_availability,
        plain.request_availability
    );
    let a = ha.request_availability;
    assert!(a.ci95_low > 0.9993 && a.ci95_high < 0.9997, "three-fd-ha-db request availability {a:?}");
    assert_eq!(ha.causes.top_downtime()[0].0, "ad_outage");
    let failover = ha.causes.get("database.failover").unwrap().downtime_minutes_per_year;
    assert!((9.5..12.5).contains(&failover), "{failover} min a year of promotion windows");
    // The instances' own causes do not move: same streams, same draws.
    let same = |r: &Results| r.causes.get("deploy").unwrap().downtime_minutes_per_year;
    assert!((same(&ha) / same(&plain) - 1.0).abs() < 0.01);
}

#[test]
fn results_do_not_depend_on_thread_count() {
    // Some chunks shorter than others, so that work-stealing order varies.
    let years = ["simulation.years=20500"];
    let (one, two) = (run_with("three-fd", 1, &years), run_with("three-fd", 2, &years));
    let json = |r: &Results| serde_json::to_string(r).unwrap();
    assert_eq!(json(&one), json(&two));
}

#[test]
fn common_mistakes_cost_availability() {
    let good = run("three-fd", 2);
    for (name, cause) in [
        ("six-in-one-fd", "fd_outage"),
        ("no-health-checks", "detection_window"),
        ("unregistered-replacements", "unregistered"),
    ] {
        let bad = run(name, 2);
        assert!(
            bad.request_availability.ci95_high < good.request_availability.ci95_low,
            "{name}: {:?} not below three-fd's {:?}",
            bad.request_availability,
            good.request_availability
        );
        let cause_minutes = |r: &Results| r.causes.get(cause).unwrap().failed_request_minutes_per_year;
        assert!(cause_minutes(&bad) > 2.0 * cause_minutes(&good), "{name}: {cause} should grow");
    }
    let memory = run("sessions-in-memory", 2);
    assert!(
        memory.sessions_lost_per_year > 20.0 * good.sessions_lost_per_year.max(1.0),
        "in-memory sessions are lost far more often"
    );
}

/// flash-sale: autoscaling carries the sales the fixed pool of six cannot,
/// for a few hundred more instance-hours a year; the time availability,
/// which ignores load, is the same.
#[test]
fn autoscaling_carries_flash_sales_the_fixed_pool_cannot() {
    let years = "simulation.years=3000";
    let scaled = run_with("flash-sale", 2, &[years]);
    let fixed = run_with("flash-sale", 2, &[years, "autoscaling.enabled=false"]);
    assert!(
        fixed.request_availability.ci95_high < scaled.request_availability.ci95_low,
        "fixed {:?} not below autoscaled {:?}",
        fixed.request_availability,
        scaled.request_availability
    );
    let capacity = |r: &Results| r.causes.get("capacity").unwrap().failed_request_minutes_per_year;
    assert!(capacity(&fixed) > 5.0 * capacity(&scaled), "{} vs {}", capacity(&fixed), capacity(&scaled));
    // A fixed pool bills the same every year: every quantile is exact.
    let hours = &fixed.instance_hours_per_year;
    assert_eq!([hours.mean, hours.p50, hours.p90, hours.p99, hours.max], [6.0 * 8_760.0; 5]);
    assert_eq!((fixed.scale_actions_per_year.out, fixed.hours_at_max_per_year), (0.0, 0.0));
    let extra = scaled.instance_hours_per_year.mean - fixed.instance_hours_per_year.mean;
    assert!(extra > 100.0 && extra < 5_000.0, "{extra} more instance-hours a year");
    assert!(scaled.scale_actions_per_year.out > 12.0, "at least one scale-out per sale");
    let (a, b) = (scaled.time_availability, fixed.time_availability);
    assert!((a.mean - b.mean).abs() < 3.0 * (a.ci95_high - a.ci95_low), "{a:?} vs {b:?}");
}

/// A run stopped part-way returns whole years only, marked partial.
#[test]
fn a_stopped_run_holds_the_whole_years_it_completed() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let scenario = Scenario::from_toml(embedded::scenario("three-fd").unwrap(), "three-fd", &[]).unwrap();
    let stop = AtomicBool::new(false);
    let progress = |done: f64| {
        if done >= 2_500.0 {
            stop.store(true, Ordering::Relaxed);
        }
    };
    let config = RunConfig {
        length: availsim::Length::Years(50_000),
        progress: Some(&progress),
        stop: Some(&stop),
        ..RunConfig::default()
    };
    let run = simulate(&scenario, &config).unwrap();
    let partial = run.info.partial.expect("stopped early");
    assert!(partial.years_done >= 2_500 && partial.years_done < 50_000, "{partial:?}");
    assert_eq!(partial.years_requested, 50_000);
    assert_eq!(run.results.years, partial.years_done);
    assert_eq!(run.tally.year_failed.n, partial.years_done, "every year counted is whole");
    // Stopped before it starts: nothing to report.
    let err = simulate(&scenario, &RunConfig { progress: None, ..config }).unwrap_err();
    assert!(err.to_string().contains("interrupted after 0 simulated years"), "{err}");
}

/// The recorded year is the one picked: the worst a run found, replayed
/// from its trajectory, has the downtime that run counted; a typical
/// one is the first trajectory's nearest to the downtime sought. Its
/// samples are in time order within the year, and the recorded service
/// state integrates to the year's downtime as the ledger measured it.
#[test]
fn the_recorded_year_integrates_to_its_downtime() {
    let text = embedded::scenario("three-fd").expect("bundled");
    let overrides =
        ["simulation.years=250", "simulation.seed=2"].map(|o| availsim::scenario::Override::parse(o).unwrap());
    let sc = Scenario::from_toml(text, "three-fd", &overrides).expect("valid");
    let run = simulate(&sc, &RunConfig::years(250)).expect("runs");
    let worst = run.tally.worst_year.expect("years completed");
    assert!(worst.trajectory > 0, "the worst of 250 years lies past the first trajectory here: {worst:?}");
    let worst = availsim::timeline::record_year(&sc, availsim::timeline::Pick::Year(worst), 100);
    assert_eq!((worst.downtime * 1e6).round() as u64, run.tally.year_down.max, "the run's worst year");
    let target = run.tally.year_down.histogram.quantile(0.5);
    let median = availsim::timeline::record_year(&sc, availsim::timeline::Pick::Nearest { downtime: target }, 100);
    assert!((median.downtime - target).abs() < 0.1 * target, "{} s vs {target} s", median.downtime);
    assert!(worst.downtime > median.downtime && median.downtime > 0.0);
    for tl in [&median, &worst] {
        assert!(tl.year < 150);
        let s = &tl.samples;
        assert!(
            s.windows(2).all(|w| w[0].t <= w[1].t)
                && s[0].t == 0.0
                && s.last().unwrap().t <= availsim::units::YEAR_SECS
        );
        let down = recorded_downtime(s);
        assert!((down - tl.downtime).abs() < 1e-3, "{down} vs {}", tl.downtime);
        assert_eq!(s[0].slots.len(), 6);
        // Weekly deploys and monthly maintenance, a fault domain at a time
        // for minutes each: under way for a day or two of the year.
        for kind in 0..2 {
            let active = recorded_time(s, |a| a.planned[kind]);
            assert!((3_600.0..3.0 * 86_400.0).contains(&active), "planned work {kind} under way {active} s");
        }
    }
}

/// The downtime chart's curves are on the SLI the SLO judges: where the
/// window curve crosses the window's budget is P(window meets SLO). On
/// three-fd (judged on requests) the downtime curve would read otherwise.
#[test]
fn the_charted_periods_are_judged_on_the_slos_sli() {
    let r = run_with("three-fd", 2, &["simulation.years=2000"]);
    let budget = (1.0 - r.slo.target) * r.slo.window_days * 86_400.0;
    let share = |h: &availsim::stats::LogHistogram| {
        let within: u64 = h.bins().into_iter().filter(|&(_, high, _)| high <= budget).map(|(_, _, n)| n).sum();
        within as f64 / h.count() as f64
    };
    let (_, window) = r.histograms.on(r.slo.sli);
    assert!((share(window) - r.slo.p_window_meets).abs() < 1e-3, "{} vs {}", share(window), r.slo.p_window_meets);
    let (_, downtime) = r.histograms.on(availsim::stats::Sli::Time);
    assert!(share(downtime) - r.slo.p_window_meets > 0.01, "downtime alone overstates it here");
}

/// A precision run says how long it expects to take from the interval
/// it has reached, not from its cap: on three-fd, ±1 % needs some
/// thousands of years, not the 100 million allowed.
#[test]
fn a_precision_run_projects_its_length_from_its_rounds() {
    let scenario = Scenario::from_toml(embedded::scenario("three-fd").unwrap(), "three-fd", &[]).unwrap();
    let projections = std::sync::Mutex::new(vec![]);
    let expect = |years: u64| projections.lock().unwrap().push(years);
    let config = RunConfig {
        length: availsim::Length::Precision { relative: 0.01, max_years: 100_000_000 },
        expect: Some(&expect),
        ..RunConfig::default()
    };
    let run = simulate(&scenario, &config).unwrap();
    let projections = projections.into_inner().unwrap();
    let (first, last) = (projections[0], *projections.last().unwrap());
    assert!((4_000..=64_000).contains(&first), "first projection {first} years: {projections:?}");
    assert_eq!(last, run.results.years, "the last projection is where the run stopped: {projections:?}");
}

/// The step after the database: three-fd-ha-db in two regions. Active-
/// active serves more requests and is down (no region serving) for
/// seconds a year; active-passive is down for its failovers, which its
/// causes name, and for what the global health check cannot see (bad
/// releases pass it).
#[test]
fn a_second_region_buys_the_step_after_the_database() {
    let years = ["simulation.years=2000"];
    let (ha, aa, ap) = (
        run_with("three-fd-ha-db", 2, &years),
        run_with("two-region-active-active", 2, &years),
        run_with("two-region-active-passive", 2, &years),
    );
    for (name, r) in [("active-active", &aa), ("active-passive", &ap)] {
        let (a, b) = (&r.request_availability, &ha.request_availability);
        assert!(a.ci95_low > b.ci95_high, "{name}: {a:?} not above one region's {b:?}");
    }
    assert!(aa.time_availability.mean > 0.99999, "{:?}", aa.time_availability);
    let down = |r: &Results| (1.0 - r.time_availability.mean) * 525_600.0;
    assert!(down(&ap) > 5.0 && down(&ap) < down(&ha) / 2.0, "{} min a year", down(&ap));
    let failover = ap.causes.get("region.eu-west.failover").unwrap().downtime_minutes_per_year;
    assert!(failover > 1.0, "{failover} min a year of failovers");
    assert_eq!(ap.causes.top_downtime()[0].0, "bad_release", "the health check cannot see it");
    // Two regions pay for about twice the instances.
    let ratio = aa.instance_hours_per_year.mean / ha.instance_hours_per_year.mean;
    assert!((1.8..2.4).contains(&ratio), "{ratio}");
}

/// With regions, the recorded worst year replays to the run's worst
/// downtime, and its samples (each region's health and share beside the
/// first region's components) integrate to it.
#[test]
fn a_region_scenarios_recorded_year_replays_the_run() {
    let text = embedded::scenario("two-region-active-passive").expect("bundled");
    let overrides = ["simulation.years=300"].map(|o| availsim::scenario::Override::parse(o).unwrap());
    let sc = Scenario::from_toml(text, "two-region-active-passive", &overrides).expect("valid");
    let run = simulate(&sc, &RunConfig::years(300)).expect("runs");
    let worst =
        availsim::timeline::record_year(&sc, availsim::timeline::Pick::Year(run.tally.worst_year.unwrap()), 100);
    assert_eq!((worst.downtime * 1e6).round() as u64, run.tally.year_down.max);
    let s = &worst.samples;
    let down = recorded_downtime(s);
    assert!((down - worst.downtime).abs() < 1e-3, "{down} vs {}", worst.downtime);
    assert!(s.iter().all(|x| x.regions.len() == 2));
    assert!(s.iter().any(|x| x.regions[1].1 > 0.0), "the worst year fails over to the passive region");
}

/// The time a recorded year's samples say the service was down [s].
fn recorded_downtime(s: &[availsim::timeline::Sample]) -> f64 {
    recorded_time(s, |a| !a.up)
}

/// The time of a recorded year during which `state` holds [s].
fn recorded_time(s: &[availsim::timeline::Sample], state: impl Fn(&availsim::timeline::Sample) -> bool) -> f64 {
    s.iter()
        .zip(s.iter().skip(1).map(|n| n.t).chain([availsim::units::YEAR_SECS]))
        .filter(|(a, _)| state(a))
        .map(|(a, next)| next - a.t)
        .sum()
}
